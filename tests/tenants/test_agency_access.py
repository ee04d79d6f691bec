"""A store owner grants an agency a role and can revoke it; the agency loses access at once."""

import pytest

from tenants.models import AgencyGrant
from tenants.roles import Role
from tests.factories import make_agency, make_agency_member, make_member

pytestmark = pytest.mark.django_db


def test_granting_and_revoking_an_agency(client, store_a):
    owner = make_member(store_a, Role.OWNER)
    agency = make_agency("north-agency", name="North Agency")
    agency_staff = make_agency_member(agency)
    agency_client = client.__class__()
    agency_client.force_login(agency_staff)
    assert agency_client.get("/app/alpha-shop/orders/").status_code == 404

    client.force_login(owner)
    response = client.post("/app/alpha-shop/agencies/", {"agency": "north-agency", "role": "agent"})
    assert response.status_code == 302
    overview = agency_client.get("/agency/north-agency/").content.decode()
    assert "Alpha Shop" in overview
    assert agency_client.get("/app/alpha-shop/orders/").status_code == 200
    assert "via North Agency" in agency_client.get("/app/alpha-shop/").content.decode()

    grant = AgencyGrant.objects.for_store(store_a).get(agency=agency)
    client.post(f"/app/alpha-shop/agencies/{grant.pk}/revoke/", {"confirm": "yes"})
    assert agency_client.get("/app/alpha-shop/orders/").status_code == 404
    assert "Alpha Shop" not in agency_client.get("/agency/north-agency/").content.decode()
    grant.refresh_from_db()
    assert grant.revoked_by == owner and grant.revoked_at is not None


def test_an_unknown_agency_is_a_clear_error(client, store_a):
    client.force_login(make_member(store_a, Role.OWNER))
    response = client.post("/app/alpha-shop/agencies/", {"agency": "no-such-agency", "role": "agent"})
    assert response.status_code == 400
    assert "No agency has that address name." in response.content.decode()


def test_only_owners_manage_agency_access(client, store_a):
    client.force_login(make_member(store_a, Role.ADMIN))
    assert client.get("/app/alpha-shop/agencies/").status_code == 403


def test_an_agency_workspace_is_only_for_its_members(client, store_a):
    make_agency("north-agency")
    client.force_login(make_member(store_a, Role.OWNER))
    assert client.get("/agency/north-agency/").status_code == 404


def test_the_grant_form_shows_a_real_example_address(client, store_a):
    client.force_login(make_member(store_a, Role.OWNER))
    body = client.get("/app/alpha-shop/agencies/").content.decode()
    assert "for /agency/north-agency/ it is north-agency." in body
    assert "/agency//" not in body


def test_revoking_asks_first_and_only_the_confirmed_post_revokes(client, store_a):
    owner = make_member(store_a, Role.OWNER)
    agency = make_agency("north-agency", name="North Agency")
    client.force_login(owner)
    client.post("/app/alpha-shop/agencies/", {"agency": "north-agency", "role": "agent"})
    grant = AgencyGrant.objects.for_store(store_a).get(agency=agency)
    url = f"/app/alpha-shop/agencies/{grant.pk}/revoke/"

    question = client.post(url)
    assert question.status_code == 200
    body = question.content.decode()
    assert "Revoke access for North Agency?" in body
    assert 'name="confirm" value="yes"' in body
    assert 'href="/app/alpha-shop/agencies/"' in body
    grant.refresh_from_db()
    assert grant.revoked_at is None
    assert client.post(url, {"confirm": "no"}).status_code == 200
    grant.refresh_from_db()
    assert grant.revoked_at is None

    done = client.post(url, {"confirm": "yes"}, follow=True)
    assert "North Agency no longer has access." in done.content.decode()
    grant.refresh_from_db()
    assert grant.revoked_by == owner and grant.revoked_at is not None
    assert client.get(url).status_code == 302


def test_another_stores_grant_cannot_be_asked_about_or_revoked(client, store_a, store_b):
    agency = make_agency("north-agency", name="North Agency")
    grant = AgencyGrant.objects.create(store=store_b, agency=agency, role=Role.AGENT)
    client.force_login(make_member(store_a, Role.OWNER))
    assert client.get(f"/app/alpha-shop/agencies/{grant.pk}/revoke/").status_code == 404
    assert client.post(f"/app/alpha-shop/agencies/{grant.pk}/revoke/").status_code == 404
    assert client.post(f"/app/alpha-shop/agencies/{grant.pk}/revoke/", {"confirm": "yes"}).status_code == 404
    grant.refresh_from_db()
    assert grant.revoked_at is None


def test_the_revoke_question_speaks_swedish(client, store_a):
    agency = make_agency("north-agency", name="North Agency")
    grant = AgencyGrant.objects.create(store=store_a, agency=agency, role=Role.AGENT)
    client.force_login(make_member(store_a, Role.OWNER))
    body = client.post(
        f"/app/alpha-shop/agencies/{grant.pk}/revoke/", HTTP_ACCEPT_LANGUAGE="sv"
    ).content.decode()
    assert "Återkalla åtkomsten för North Agency?" in body
    assert "Ja, återkalla åtkomsten" in body
