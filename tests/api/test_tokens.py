"""API tokens: who they reach, with which scopes, and how a bad one is refused."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from tenants.access import staff_access
from tenants.errors import DomainError, PermissionDenied
from tenants.models import AgencyGrant, ApiToken
from tenants.roles import Role, Scope
from tenants.tokens import create_store_token, hash_secret, revoke_store_token
from tests.api.conftest import TokenClient, agency_token
from tests.factories import grant, make_agency, make_member, make_order

pytestmark = pytest.mark.django_db


def _orders(store) -> str:
    return f"/api/v1/stores/{store.slug}/orders/"


def _policy(store) -> str:
    return f"/api/v1/stores/{store.slug}/policy/"


def test_a_store_token_reads_its_own_store(api_a, store_a):
    make_order(store_a, name="#A-1")

    response = api_a.get(_orders(store_a))

    assert response.status_code == 200
    assert [order["name"] for order in response.json()["results"]] == ["#A-1"]


def test_a_store_token_cannot_reach_another_store(api_a, store_b):
    make_order(store_b, name="#B-1")

    response = api_a.get(_orders(store_b))

    assert response.status_code == 404
    assert response.json() == {
        "type": "not_found",
        "code": "not_found",
        "detail": "No such store.",
        "attr": None,
    }


@pytest.mark.parametrize(
    "header",
    [
        "Bearer amd_nosuchprefix_nosuchsecret",
        "Bearer not-a-token",
        "Bearer ",
        "Token amd_x_y",
        "Bearer amd_a_b extra",
    ],
)
def test_a_bad_token_is_a_401_with_www_authenticate(store_a, header):
    response = TokenClient(HTTP_AUTHORIZATION=header).get(_orders(store_a))

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response.json()["type"] == "authentication_error"


def test_a_right_prefix_with_a_wrong_secret_is_refused(token_a, store_a):
    prefix = token_a.split("_")[1]

    response = TokenClient(f"amd_{prefix}_wrong-secret").get(_orders(store_a))

    assert response.status_code == 401
    assert response.json()["code"] == "token_invalid"


def test_a_revoked_token_stops_working_at_once(token_a, api_a, store_a, owner_a):
    assert api_a.get(_orders(store_a)).status_code == 200
    token = ApiToken.objects.get(prefix=token_a.split("_")[1])

    revoke_store_token(access=staff_access(user=owner_a, store=store_a), token_id=token.pk)
    response = api_a.get(_orders(store_a))

    assert response.status_code == 401
    assert response.json()["code"] == "token_revoked"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_no_credentials_is_a_401(client, store_a):
    response = client.get(_orders(store_a))

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_a_token_without_the_scope_is_refused_with_403(make_token, store_a):
    api = TokenClient(make_token(scopes=[Scope.REQUESTS_READ]))

    response = api.get(_orders(store_a))

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_only_a_hash_of_the_secret_is_stored(token_a):
    _amd, prefix, secret = token_a.split("_", 2)
    row = ApiToken.objects.get(prefix=prefix)

    assert row.secret_hash == hash_secret(secret)
    assert secret not in str(ApiToken.objects.filter(pk=row.pk).values().get())


def test_using_a_token_records_when(api_a, token_a, store_a):
    prefix = token_a.split("_")[1]
    assert ApiToken.objects.get(prefix=prefix).last_used_at is None

    api_a.get(_orders(store_a))

    assert ApiToken.objects.get(prefix=prefix).last_used_at is not None


def test_a_token_never_gets_more_than_its_maker_holds(store_a):
    agent = make_member(store_a, Role.AGENT)
    admin = make_member(store_a, Role.ADMIN)

    with pytest.raises(PermissionDenied):
        create_store_token(
            access=staff_access(user=agent, store=store_a), name="x", scopes=[Scope.ORDERS_READ]
        )
    with pytest.raises(DomainError) as error:
        create_store_token(
            access=staff_access(user=admin, store=store_a), name="x", scopes=[Scope.TEAM_MANAGE]
        )
    assert error.value.code == "scope_invalid"


def test_a_store_token_has_its_store_set_and_no_agency(token_a, store_a):
    row = ApiToken.objects.get(prefix=token_a.split("_")[1])

    assert (row.store_id, row.agency_id) == (store_a.pk, None)


def test_the_database_refuses_a_token_of_both_a_store_and_an_agency(store_a):
    from django.db import IntegrityError

    with pytest.raises(IntegrityError):
        ApiToken.objects.create(
            store=store_a, agency=make_agency(), name="both", prefix="both", secret_hash="x" * 64
        )


# --- agency tokens -------------------------------------------------------------------------------


@pytest.fixture
def agency():
    return make_agency("helpful-agency", name="Helpful Agency")


def test_an_agency_token_reaches_only_the_stores_granted_to_the_agency(agency, store_a, store_b):
    grant(store_a, agency, Role.ADMIN)
    api = TokenClient(agency_token(agency))

    assert api.get(_orders(store_a)).status_code == 200
    assert api.get(_orders(store_b)).status_code == 404
    stores = api.get("/api/v1/stores/").json()["results"]
    assert [store["slug"] for store in stores] == [store_a.slug]


def test_an_agency_token_is_a_404_the_moment_the_grant_is_revoked(agency, store_a):
    active = grant(store_a, agency, Role.ADMIN)
    api = TokenClient(agency_token(agency))
    assert api.get(_orders(store_a)).status_code == 200

    AgencyGrant.objects.for_store(store_a).filter(pk=active.pk).update(revoked_at=timezone.now())

    assert api.get(_orders(store_a)).status_code == 404
    assert api.get("/api/v1/stores/").json()["results"] == []


def test_an_agency_token_gets_the_scopes_both_the_token_and_the_grant_allow(agency, store_a):
    grant(store_a, agency, Role.VIEWER)
    full = TokenClient(agency_token(agency))
    read_only_token = TokenClient(agency_token(agency, scopes=[Scope.REQUESTS_READ]))

    # The token may change the policy, but a viewer's grant does not allow it.
    assert full.put_json(_policy(store_a), {"policy": {}}).status_code == 403
    assert full.get(_orders(store_a)).status_code == 200
    # The grant allows reading orders, but this token was not given the scope.
    assert read_only_token.get(_orders(store_a)).status_code == 403
    store = full.get(f"/api/v1/stores/{store_a.slug}/").json()
    assert store["scopes"] == sorted([Scope.ORDERS_READ, Scope.REQUESTS_READ])
    assert store["role"] == Role.VIEWER  # the role the store granted the agency


def test_the_command_makes_and_revokes_an_agency_token(agency, store_a):
    grant(store_a, agency, Role.AGENT)
    out = io.StringIO()

    call_command("agency_token", agency.slug, "--scope", Scope.ORDERS_READ, stdout=out)
    secret = next(line for line in out.getvalue().splitlines() if line.startswith("amd_"))

    assert TokenClient(secret).get(_orders(store_a)).status_code == 200
    call_command("agency_token", agency.slug, "--revoke", secret.split("_")[1], stdout=io.StringIO())
    assert TokenClient(secret).get(_orders(store_a)).status_code == 401


def test_people_keep_using_the_api_with_their_session(client, store_a, store_b):
    client.force_login(make_member(store_a, Role.VIEWER))

    assert client.get(_orders(store_a)).status_code == 200
    assert client.get(_orders(store_b)).status_code == 404
    assert client.put(_policy(store_a), {}, content_type="application/json").status_code == 403
