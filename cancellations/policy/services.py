"""Reading and saving a store's policy. Every save is a new version; the newest one is in force."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from cancellations.core.memo import forget, memoized
from cancellations.models import Order, StorePolicyVersion
from cancellations.policy import (
    DEFAULT_POLICY,
    Action,
    Decision,
    StorePolicy,
    decide,
    order_facts,
    policy_changes,
    validate_policy,
)
from cancellations.policy.errors import PolicyInvalid
from tenants.errors import NotFound
from tenants.models import Store, User
from tenants.services import record_store_event


def policy_of(row: StorePolicyVersion) -> StorePolicy:
    """The policy a saved version holds."""
    return StorePolicy.from_dict(row.data)


def current_policy(*, store: Store) -> tuple[StorePolicy, int]:
    """The policy in force and its version number (the defaults, as version 0, until one is saved).

    Read once per web request (see cancellations.core.memo): a page asks for it in several places.
    """
    return memoized(_policy_key(store), lambda: _read_current_policy(store))


def _policy_key(store: Store) -> tuple[str, int]:
    return ("current_policy", store.pk)


def _read_current_policy(store: Store) -> tuple[StorePolicy, int]:
    latest = (
        StorePolicyVersion.objects.for_store(store)
        .order_by("-version")
        .only("store", "version", "data")
        .first()
    )
    if latest is None:
        return DEFAULT_POLICY, 0
    return policy_of(latest), latest.version


def policy_at_version(*, store: Store, version: int) -> StorePolicy:
    """The policy a store had at a version (0: the defaults), e.g. to explain an old request's decision."""
    if version == 0:
        return DEFAULT_POLICY
    row = StorePolicyVersion.objects.for_store(store).filter(version=version).only("store", "data").first()
    if row is None:
        raise NotFound("No such policy version.")
    return policy_of(row)


def policy_versions(*, store: Store) -> QuerySet[StorePolicyVersion]:
    """A store's saved versions, newest first, with who saved each."""
    return StorePolicyVersion.objects.for_store(store).select_related("created_by").order_by("-version")


def save_policy(*, store: Store, actor: User | None, policy: StorePolicy) -> StorePolicyVersion:
    """Validate and save a policy as the store's next version, recording what changed."""
    errors = validate_policy(policy)
    if errors:
        raise PolicyInvalid(errors)
    with transaction.atomic():
        # Saves of one store take turns on its row, so each numbers its version after the other's and
        # diffs against it. NO KEY UPDATE leaves inserts that merely reference the store unblocked.
        if not list(Store.objects.select_for_update(no_key=True).filter(pk=store.pk).values_list("pk")):
            raise NotFound("No such store.")
        before, number = _read_current_policy(store)  # after the lock: not a memoized answer
        forget(_policy_key(store))
        return StorePolicyVersion.objects.create(
            store=store,
            version=number + 1,
            data=policy.to_dict(),
            created_by=actor,
            change_summary=policy_changes(before, policy),
        )


def decide_for_order(
    *,
    store: Store,
    order: Order,
    action: Action | str,
    lines: Sequence[int] | None = None,
    reason: str | None = None,
    now: datetime | None = None,
    delivered_at: datetime | None = None,
) -> tuple[Decision, int]:
    """Apply the store's current policy to one of its orders; returns the decision and the policy version."""
    if order.store_id != store.pk:
        raise NotFound("No such order.")
    policy, version = current_policy(store=store)
    if not Order.store.is_cached(order):
        order.store = store
    facts = order_facts(order, delivered_at=delivered_at)
    decision = decide(
        policy=policy, order=facts, action=action, now=now or timezone.now(), lines=lines, reason=reason
    )
    return decision, version


def restore_policy_version(*, store: Store, actor: User | None, version: int) -> StorePolicyVersion:
    """Put an earlier version back in force, as a new version with its content; audited.

    The history is never rewritten: restoring version 3 after version 5 saves version 6, whose changes
    are what it undid of version 5. Version 0 restores the defaults.
    """
    with transaction.atomic():
        old = policy_at_version(store=store, version=version)
        saved = save_policy(store=store, actor=actor, policy=old)
        record_store_event(
            store=store,
            actor=actor,
            action="policy.restored",
            subject=str(saved),
            data={"version": saved.version, "restored": version, "changes": saved.change_summary},
        )
    return saved
