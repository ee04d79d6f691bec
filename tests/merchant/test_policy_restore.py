"""An earlier policy version can be put back in force: as a new version with its content, audited."""

from __future__ import annotations

from dataclasses import replace

import pytest

from cancellations.policy import DEFAULT_POLICY
from cancellations.policy.services import current_policy, policy_versions, save_policy
from tenants.models import StoreAuditEvent
from tenants.roles import Role
from tests.factories import make_member

pytestmark = pytest.mark.django_db


def restore_url(store, version: int) -> str:
    return f"/app/{store.slug}/policy/versions/{version}/restore/"


@pytest.fixture
def two_versions(store_a):
    save_policy(store=store_a, actor=None, policy=replace(DEFAULT_POLICY, allow_country_change=True))
    changed = replace(DEFAULT_POLICY.cancel, enabled=False)
    save_policy(store=store_a, actor=None, policy=replace(DEFAULT_POLICY, cancel=changed))


def test_an_admin_restores_an_old_version_as_a_new_one(client, store_a, two_versions):
    admin = make_member(store_a, Role.ADMIN)
    client.force_login(admin)
    assert current_policy(store=store_a)[0].cancel.enabled is False

    page = client.get(f"/app/{store_a.slug}/policy/versions/1/").content.decode()
    assert "Restore version 1" in page
    response = client.post(restore_url(store_a, 1), follow=True)

    policy, version = current_policy(store=store_a)
    assert version == 3 and policy.cancel.enabled is True
    assert [row.version for row in policy_versions(store=store_a)] == [3, 2, 1]  # history kept
    assert "Version 1 is in force again, saved as version 3." in response.content.decode()
    event = StoreAuditEvent.objects.for_store(store_a).get(action="policy.restored")
    assert event.actor == admin and event.data["restored"] == 1 and event.data["version"] == 3
    assert event.data["changes"]  # what the restore undid


def test_the_version_in_force_offers_no_restore_and_restoring_it_saves_nothing(client, store_a, two_versions):
    client.force_login(make_member(store_a, Role.ADMIN))

    assert "Restore version 2" not in client.get(f"/app/{store_a.slug}/policy/versions/2/").content.decode()
    response = client.post(restore_url(store_a, 2), follow=True)

    assert "already the policy in force" in response.content.decode()
    assert current_policy(store=store_a)[1] == 2


def test_agents_and_viewers_cannot_restore(client, store_a, two_versions):
    for role in (Role.AGENT, Role.VIEWER):
        client.force_login(make_member(store_a, role))
        assert "Restore version" not in client.get(f"/app/{store_a.slug}/policy/versions/1/").content.decode()
        assert client.post(restore_url(store_a, 1)).status_code == 403
    assert current_policy(store=store_a)[1] == 2


def test_another_stores_version_and_a_missing_one_are_not_found(client, store_a, store_b, two_versions):
    save_policy(store=store_b, actor=None, policy=DEFAULT_POLICY)
    client.force_login(make_member(store_b, Role.OWNER))

    assert client.post(restore_url(store_b, 2)).status_code == 404  # store B has only version 1
    assert client.post(restore_url(store_a, 1)).status_code == 404  # not a member of store A
    assert current_policy(store=store_a)[1] == 2
