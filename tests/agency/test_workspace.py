"""An agency sees every granted store's figures and waiting requests in one place, and runs its team."""

from dataclasses import replace

import pytest

from cancellations.policy import DEFAULT_POLICY
from cancellations.requests.actors import Actor
from cancellations.requests.submission import submit_request
from tenants.models import AgencyGrant, AgencyMembership
from tenants.roles import AgencyRole, Role
from tests.customer.conftest import set_policy
from tests.factories import grant, make_agency, make_agency_member, make_order, make_store

pytestmark = pytest.mark.django_db


def waiting_request(store, name):
    """A cancellation the store's policy sends to review."""
    approval = replace(DEFAULT_POLICY.cancel.approval, always=True)
    set_policy(store, cancel=replace(DEFAULT_POLICY.cancel, approval=approval))
    order = make_order(store, email="buyer@example.com", name=name)
    return submit_request(
        store=store,
        order=order,
        actor=Actor.customer("buyer@example.com"),
        kind="cancel",
        idempotency_key=f"k-{name}",
    )


@pytest.fixture
def agency_world(store_a, store_b):
    agency = make_agency("north-agency", name="North Agency")
    owner = make_agency_member(agency, role=AgencyRole.OWNER, email="owner@north.example")
    member = make_agency_member(agency, email="member@north.example")
    grant(store_a, agency, Role.AGENT)
    cedar = make_store("cedar-goods", name="Cedar Goods")
    grant(cedar, agency, Role.VIEWER)
    waiting_request(store_a, "#A-1")
    waiting_request(cedar, "#C-1")
    waiting_request(store_b, "#B-1")  # not granted: never shown
    return {"agency": agency, "owner": owner, "member": member, "cedar": cedar}


def test_the_overview_shows_each_granted_store_with_its_figures(client, agency_world):
    client.force_login(agency_world["member"])
    body = client.get("/agency/north-agency/").content.decode()
    assert "Alpha Shop" in body and "Cedar Goods" in body
    assert "Bravo Butik" not in body
    figures = client.get("/agency/north-agency/").context["figures"]
    assert {(f.store.slug, f.role, f.waiting) for f in figures} == {
        ("alpha-shop", "agent", 1),
        ("cedar-goods", "viewer", 1),
    }


def test_the_combined_queue_lists_waiting_requests_of_granted_stores_only(client, agency_world):
    client.force_login(agency_world["member"])
    body = client.get("/agency/north-agency/queue/").content.decode()
    assert "#A-1" in body and "#C-1" in body and "#B-1" not in body
    only_cedar = client.get("/agency/north-agency/queue/?store=cedar-goods").content.decode()
    assert "#C-1" in only_cedar and "#A-1" not in only_cedar
    assert "#B-1" not in client.get("/agency/north-agency/queue/?store=bravo-shop").content.decode()


def test_deciding_happens_in_the_store_with_the_granted_role(client, agency_world):
    client.force_login(agency_world["member"])
    queue = client.get("/agency/north-agency/queue/?store=cedar-goods").context["page"].rows
    (row,) = queue
    url = f"/app/cedar-goods/queue/{row.pk}/approve/"
    assert client.post(url).status_code == 403  # the viewer grant may not decide


def test_a_revoked_grant_takes_the_store_out_at_once(client, agency_world, store_a):
    client.force_login(agency_world["member"])
    AgencyGrant.objects.for_store(store_a).update(revoked_at="2026-01-01T00:00:00Z")
    body = client.get("/agency/north-agency/queue/").content.decode()
    assert "#A-1" not in body and "Alpha Shop" not in client.get("/agency/north-agency/").content.decode()
    assert client.get("/app/alpha-shop/queue/").status_code == 404


def test_the_owner_runs_the_team_and_members_cannot(client, agency_world):
    client.force_login(agency_world["member"])
    assert (
        client.post("/agency/north-agency/team/", {"email": "x@example.com", "role": "member"}).status_code
        == 403
    )
    client.force_login(agency_world["owner"])
    response = client.post("/agency/north-agency/team/", {"email": "New@North.Example", "role": "admin"})
    assert response.status_code == 302
    added = AgencyMembership.objects.get(agency=agency_world["agency"], user__email="new@north.example")
    assert added.role == "admin"
    client.post(f"/agency/north-agency/team/{added.pk}/", {"role": "member"})
    added.refresh_from_db()
    assert added.role == "member"
    client.post(f"/agency/north-agency/team/{added.pk}/", {"remove": "1"})
    assert not AgencyMembership.objects.filter(pk=added.pk).exists()


def test_the_last_owner_stays(client, agency_world):
    client.force_login(agency_world["owner"])
    own = AgencyMembership.objects.get(user=agency_world["owner"])
    response = client.post(f"/agency/north-agency/team/{own.pk}/", {"remove": "1"}, follow=True)
    assert "at least one owner" in response.content.decode()
    assert AgencyMembership.objects.filter(pk=own.pk).exists()


def test_bad_team_input_is_a_clear_error(client, agency_world):
    client.force_login(agency_world["owner"])
    response = client.post("/agency/north-agency/team/", {"email": "not-an-email", "role": "member"})
    assert response.status_code == 400
    assert "Enter a valid email address." in response.content.decode()


def test_the_combined_queue_titles_each_request_and_says_what_it_changes(client, agency_world, store_a):
    from cancellations.models import LineItem

    swap = replace(
        DEFAULT_POLICY.remove_line,
        enabled=True,
        approval=replace(DEFAULT_POLICY.cancel.approval, always=True),
    )
    set_policy(store_a, remove_line=swap)
    order = make_order(store_a, email="buyer@example.com", name="#A-2")
    line = LineItem.objects.for_store(store_a).filter(order=order).order_by("position").first()
    submit_request(
        store=store_a,
        order=order,
        actor=Actor.customer("buyer@example.com"),
        kind="edit",
        idempotency_key="k-edit",
        changes=[{"kind": "remove", "line_id": line.pk}],
    )
    client.force_login(agency_world["member"])

    body = client.get("/agency/north-agency/queue/").content.decode()

    assert "Cancellation" in body
    assert "Change of items" in body and "Remove: Product 0" in body
