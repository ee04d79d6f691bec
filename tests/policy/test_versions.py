"""Saving policies: each save a new version with what changed, per store, safe under concurrent saves."""

from __future__ import annotations

import itertools
import threading
from dataclasses import replace
from decimal import Decimal

import pytest
from django.db import IntegrityError, close_old_connections, connection, transaction

from cancellations.core.memo import memo_scope
from cancellations.models import StorePolicyVersion
from cancellations.policy import FeeKind, FeeSettings, StorePolicy, WindowKind, policy_changes
from cancellations.policy.errors import PolicyInvalid
from cancellations.policy.services import (
    current_policy,
    policy_at_version,
    policy_of,
    policy_versions,
    save_policy,
)
from tenants.errors import NotFound
from tenants.scoping import UnscopedQueryError
from tests.factories import make_member
from tests.policy.builders import with_rule

pytestmark = pytest.mark.django_db

ONE_HOUR = with_rule(StorePolicy(), "cancel", window={"kind": WindowKind.MINUTES, "minutes": 60})


def test_a_new_store_has_the_default_policy_as_version_zero(store_a) -> None:
    assert current_policy(store=store_a) == (StorePolicy(), 0)
    assert policy_at_version(store=store_a, version=0) == StorePolicy()
    assert list(policy_versions(store=store_a)) == []


def test_each_save_is_a_new_version_recording_who_and_what_changed(store_a) -> None:
    owner = make_member(store_a, "owner")

    first = save_policy(store=store_a, actor=owner, policy=ONE_HOUR)
    second = save_policy(
        store=store_a,
        actor=None,
        policy=replace(ONE_HOUR, fees=FeeSettings(kind=FeeKind.FIXED, fixed=Decimal("4.50"))),
    )

    assert (first.version, second.version) == (1, 2)
    assert first.created_by == owner and second.created_by is None
    assert first.change_summary == [
        {"field": "actions.cancel.window.kind", "before": "until_fulfillment", "after": "minutes"},
        {"field": "actions.cancel.window.minutes", "before": None, "after": 60},
    ]
    assert second.change_summary == [
        {"field": "fees.kind", "before": "none", "after": "fixed"},
        {"field": "fees.fixed", "before": "0", "after": "4.50"},
    ]
    policy, version = current_policy(store=store_a)
    assert version == 2 and policy.fees.fixed == Decimal("4.50") and policy.cancel.window.minutes == 60
    assert policy_at_version(store=store_a, version=1) == ONE_HOUR
    assert [row.version for row in policy_versions(store=store_a)] == [2, 1]


def test_saving_the_same_policy_again_is_still_a_version_with_no_changes(store_a) -> None:
    save_policy(store=store_a, actor=None, policy=ONE_HOUR)

    again = save_policy(store=store_a, actor=None, policy=ONE_HOUR)

    assert again.version == 2
    assert again.change_summary == []


def test_reason_changes_are_named_by_reason_code(store_a) -> None:
    policy = StorePolicy()
    relabelled = replace(
        policy.reasons.choices[0], labels={**policy.reasons.choices[0].labels, "sv": "Ångrade mig"}
    )
    changed = replace(
        policy, reasons=replace(policy.reasons, choices=(relabelled, *policy.reasons.choices[1:]))
    )

    version = save_policy(store=store_a, actor=None, policy=changed)

    assert version.change_summary == [
        {
            "field": "reasons.choices.changed_mind.labels.sv",
            "before": "Jag har ångrat mig",
            "after": "Ångrade mig",
        }
    ]


def test_an_invalid_policy_is_refused_with_its_field_errors(store_a) -> None:
    bad = with_rule(StorePolicy(), "cancel", approval={"grace_minutes": 15})

    with pytest.raises(PolicyInvalid) as raised:
        save_policy(store=store_a, actor=None, policy=bad)

    assert raised.value.code == "policy_invalid"
    assert [error.field for error in raised.value.errors] == ["actions.cancel.approval.grace_minutes"]
    assert current_policy(store=store_a)[1] == 0


def test_another_stores_versions_are_never_visible(store_a, store_b) -> None:
    save_policy(store=store_a, actor=None, policy=ONE_HOUR)
    save_policy(store=store_a, actor=None, policy=ONE_HOUR)

    assert current_policy(store=store_b) == (StorePolicy(), 0)
    assert list(policy_versions(store=store_b)) == []
    with pytest.raises(NotFound):
        policy_at_version(store=store_b, version=1)
    # Each store counts its own versions.
    assert save_policy(store=store_b, actor=None, policy=StorePolicy()).version == 1


def test_versions_cannot_be_read_without_naming_a_store(store_a) -> None:
    save_policy(store=store_a, actor=None, policy=ONE_HOUR)

    with pytest.raises(UnscopedQueryError):
        list(StorePolicyVersion.objects.all())


def test_the_database_refuses_a_duplicate_version(store_a) -> None:
    save_policy(store=store_a, actor=None, policy=ONE_HOUR)

    with pytest.raises(IntegrityError), transaction.atomic():
        StorePolicyVersion.objects.create(store=store_a, version=1, data={})


def test_the_version_constraint_leads_with_the_store() -> None:
    for constraint in StorePolicyVersion._meta.constraints:
        assert constraint.fields[0] == "store"
    assert not StorePolicyVersion._meta.indexes
    assert StorePolicyVersion._meta.get_field("created_by").db_index is False


@pytest.mark.django_db(transaction=True)
def test_concurrent_saves_both_land_with_distinct_versions(store_a) -> None:
    policies = [
        ONE_HOUR,
        replace(ONE_HOUR, fees=FeeSettings(kind=FeeKind.PERCENT, percent=Decimal("5"))),
        replace(ONE_HOUR, fees=FeeSettings(kind=FeeKind.FIXED, fixed=Decimal("2"))),
        with_rule(StorePolicy(), "reorder", enabled=False),
    ]
    start = threading.Barrier(len(policies))
    failures: list[BaseException] = []

    def save(policy: StorePolicy) -> None:
        try:
            start.wait(timeout=10)
            save_policy(store=store_a, actor=None, policy=policy)
        except BaseException as exc:  # reported to the test below
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(policy,)) for policy in policies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    close_old_connections()

    assert failures == []
    rows = list(StorePolicyVersion.objects.for_store(store_a).order_by("version"))
    assert [row.version for row in rows] == [1, 2, 3, 4]
    assert sorted(StorePolicy.from_dict(row.data).to_dict().__repr__() for row in rows) == sorted(
        policy.to_dict().__repr__() for policy in policies
    )
    # Each version's diff is against the version saved just before it, whichever thread saved that.
    for previous, row in itertools.pairwise(rows):
        assert row.change_summary == policy_changes(policy_of(previous), policy_of(row))


def test_within_one_request_the_policy_is_read_once_and_a_save_is_seen_at_once(
    store_a, django_assert_num_queries
) -> None:
    with memo_scope():
        assert current_policy(store=store_a) == (StorePolicy(), 0)
        with django_assert_num_queries(0):
            assert current_policy(store=store_a) == (StorePolicy(), 0)
        save_policy(store=store_a, actor=None, policy=ONE_HOUR)
        assert current_policy(store=store_a) == (ONE_HOUR, 1)
    # Outside a request nothing is kept: a task reads afresh each time.
    for _ in range(2):
        with django_assert_num_queries(1):
            assert current_policy(store=store_a) == (ONE_HOUR, 1)


def test_one_store_s_kept_policy_is_not_another_s(store_a, store_b) -> None:
    save_policy(store=store_a, actor=None, policy=ONE_HOUR)
    with memo_scope():
        assert current_policy(store=store_a) == (ONE_HOUR, 1)
        assert current_policy(store=store_b) == (StorePolicy(), 0)
