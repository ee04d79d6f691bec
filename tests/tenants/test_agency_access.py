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
    client.post(f"/app/alpha-shop/agencies/{grant.pk}/revoke/")
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
