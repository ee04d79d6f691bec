"""Owners and admins run the team: invite by email, change roles, remove; a store keeps an owner."""

import re

import pytest
from django.core import mail

from tenants.access import staff_access
from tenants.errors import Conflict, PermissionDenied
from tenants.models import Membership, StaffInvitation, StoreAuditEvent
from tenants.roles import Role
from tenants.services import change_member_role, invite_staff, remove_member
from tests.factories import make_member, make_user

pytestmark = pytest.mark.django_db


def _link_from_last_mail() -> str:
    return re.search(r"http://testserver(/app/\S+/join/\S+/)", mail.outbox[-1].body).group(1)


def test_an_invited_person_joins_by_the_emailed_link(client, store_a):
    owner = make_member(store_a, Role.OWNER)
    client.force_login(owner)
    response = client.post("/app/alpha-shop/team/", {"email": "New.Hire@Example.com", "role": "agent"})
    assert response.status_code == 302
    assert mail.outbox[-1].to == ["new.hire@example.com"]
    link = _link_from_last_mail()

    newcomer = make_user("new.hire@example.com")
    client.force_login(newcomer)
    assert "Accept invitation" in client.get(link).content.decode()
    response = client.post(link)
    assert response["Location"] == "/app/alpha-shop/"
    assert Membership.objects.for_store(store_a).get(user=newcomer).role == Role.AGENT
    # the link works once
    assert client.get(link).status_code == 404


def test_an_invitation_is_for_the_invited_address_only(client, store_a):
    owner = make_member(store_a, Role.OWNER)
    client.force_login(owner)
    client.post("/app/alpha-shop/team/", {"email": "invited@example.com", "role": "admin"})
    link = _link_from_last_mail()
    client.force_login(make_user("someone.else@example.com"))
    response = client.post(link)
    assert response.status_code == 403
    assert not Membership.objects.for_store(store_a).filter(user__email="someone.else@example.com").exists()


def test_an_expired_invitation_is_refused(client, store_a):
    owner = make_member(store_a, Role.OWNER)
    client.force_login(owner)
    client.post("/app/alpha-shop/team/", {"email": "late@example.com", "role": "agent"})
    link = _link_from_last_mail()
    from datetime import timedelta

    from django.utils import timezone

    StaffInvitation.objects.for_store(store_a).update(expires_at=timezone.now() - timedelta(seconds=1))
    client.force_login(make_user("late@example.com"))
    assert client.post(link).status_code == 404


def test_a_bad_invitation_form_says_what_is_wrong_and_keeps_the_input(client, store_a):
    client.force_login(make_member(store_a, Role.OWNER))
    response = client.post("/app/alpha-shop/team/", {"email": "not-an-email", "role": "agent"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Enter a valid email address." in body
    assert 'value="not-an-email"' in body


def test_nobody_hands_out_a_role_above_their_own(store_a):
    admin = make_member(store_a, Role.ADMIN)
    access = staff_access(user=admin, store=store_a)
    with pytest.raises(PermissionDenied):
        invite_staff(access=access, email="boss@example.com", role=Role.OWNER)


def test_the_last_owner_cannot_be_removed_or_demoted(store_a):
    owner = make_member(store_a, Role.OWNER)
    access = staff_access(user=owner, store=store_a)
    membership = Membership.objects.for_store(store_a).get(user=owner)
    with pytest.raises(Conflict, match="at least one owner"):
        remove_member(access=access, membership_id=membership.pk)
    with pytest.raises(Conflict, match="at least one owner"):
        change_member_role(access=access, membership_id=membership.pk, role=Role.ADMIN)
    second = make_member(store_a, Role.OWNER)
    remove_member(access=access, membership_id=Membership.objects.for_store(store_a).get(user=second).pk)


def test_role_changes_are_written_to_the_audit_log(client, store_a):
    owner = make_member(store_a, Role.OWNER)
    agent = make_member(store_a, Role.AGENT, email="agent@example.com")
    client.force_login(owner)
    membership = Membership.objects.for_store(store_a).get(user=agent)
    client.post(f"/app/alpha-shop/team/{membership.pk}/role/", {"role": "admin"})
    event = StoreAuditEvent.objects.for_store(store_a).get(action="team.role_changed")
    assert (event.actor, event.subject, event.data) == (
        owner,
        "agent@example.com",
        {"from": "agent", "to": "admin"},
    )
    assert "team.role_changed" in client.get("/app/alpha-shop/audit/").content.decode()
