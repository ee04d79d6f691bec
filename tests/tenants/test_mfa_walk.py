"""Walk every URL as staff of a store that requires two-factor authentication, without an authenticator.

Pages send them to set one up, API routes answer 403 `mfa_required` (or, for a token made by or
for such a person, `token_owner_mfa_required`), the agency workspace hides the store; nothing of
the store is shown or changed. The same people with an authenticator reach a sample of it.
"""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from django.test import Client
from django.urls import reverse

from cancellations.models import OrderRequest, RequestKind, RequestStatus
from cancellations.rules.services import create_rule
from tenants import services
from tenants.access import staff_access
from tenants.errors import TenantErrorCode
from tenants.models import AgencyGrant, ApiToken, Membership, Store
from tenants.roles import Role
from tenants.tokens import API_SCOPES, create_agency_token, create_store_token
from tests.factories import grant, make_agency, make_agency_member, make_member, make_order, make_product
from tests.tenants.test_cross_store_walk import _routes, _snapshot, _url

pytestmark = pytest.mark.django_db

MFA_SETUP = "/accounts/2fa/totp/activate/"
SIGN_IN_PATHS = ("/accounts/login/", "/admin/login/", "/s/alpha-shop/signin/")
# The store's public customer portal, and the invitation link (which only joins, then goes to the store).
NOT_STAFF_PAGES = ("customer:", "join_store")
SESSION_ACTORS = ["owner", "agency_admin"]
TOKEN_ACTORS = ["store_token", "agency_token_for_member", "agency_token_for_nobody"]


def _enrol(user) -> None:
    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "JBSWY3DPEHPK3PXP"})


@pytest.fixture
def world(store_a, store_b):
    """Store A requires 2FA and has private data; its owner and an agency's member have no authenticator."""
    store_a.require_staff_mfa = True
    store_a.save()
    owner = make_member(store_a, Role.OWNER, email="owner@alpha.example")
    agency = make_agency("helpful-agency", name="Helpful Agency")
    agency_admin = make_agency_member(agency, role="admin", email="partner@helpful.example")
    agency_grant = grant(store_a, agency, Role.ADMIN)
    owner_access = staff_access(user=owner, store=store_a)
    order = make_order(store_a, email="alpha.secret@example.net", name="#A-5521", customer_name="Alva Secret")
    make_product(store_a, title="Alpha Secret Jacket")
    request = OrderRequest.objects.create(
        store=store_a,
        order=order,
        kind=RequestKind.CANCEL,
        status=RequestStatus.PENDING_REVIEW,
        requester_kind="customer",
        requester_label="alpha.secret@example.net",
        idempotency_key="alpha-request-1",
    )
    rule = create_rule(
        store=store_a,
        actor=owner,
        values={
            "name": "Alpha Secret Rule",
            "triggers": ["order_created"],
            "conditions": [{"type": "risk_level", "values": ["high"]}],
            "actions": [{"type": "hold"}],
        },
    )
    store_token = create_store_token(access=owner_access, name="Alpha Secret Token", scopes=API_SCOPES)
    invitation, _ = services.invite_staff(access=owner_access, email="hire@alpha.example", role=Role.AGENT)
    people = {
        "owner": owner,
        "agency_admin": agency_admin,
        "store_token": store_token.secret,
        "agency_token_for_member": create_agency_token(
            agency=agency, name="For the partner", scopes=API_SCOPES, created_by=agency_admin
        ).secret,
        "agency_token_for_nobody": create_agency_token(
            agency=agency, name="Nobody's", scopes=API_SCOPES
        ).secret,
    }
    values = {
        "store_slug": store_a.slug,
        "order_id": order.pk,
        "membership_id": Membership.objects.for_store(store_a).get(user=owner).pk,
        "invitation_id": invitation.pk,
        "grant_id": agency_grant.pk,
        "token_id": store_token.token.pk,
        "endpoint_id": 1,
        "rule_id": rule.pk,
        "request_id": request.pk,
        "job_id": 1,
        "hold_id": 1,
        "shopify_order_id": 5521,  # the extensions' endpoints: refused without a Shopify session token
        "version": 1,
        "chart": "cancellation_rate",
        "agency_slug": agency.slug,
        "token": "not-an-order-link",
        "join_store/token": "not-an-invitation",
        "key": "nokey",
        "uidb36": "1",
        "message_id": 1,
    }
    secrets = [
        "#A-5521",
        "alpha.secret@example.net",
        "Alva Secret",
        "Alpha Secret Jacket",
        "Alpha Secret Rule",
        "Alpha Secret Token",
        "hire@alpha.example",
    ]
    return {"people": people, "values": values, "secrets": secrets, "store": store_a, "agency": agency}


def _client(world, actor: str) -> Client:
    if actor in TOKEN_ACTORS:
        return Client(HTTP_AUTHORIZATION=f"Bearer {world['people'][actor]}")
    client = Client()
    client.force_login(world["people"][actor])
    return client


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.mark.parametrize("actor", SESSION_ACTORS + TOKEN_ACTORS)
def test_staff_without_an_authenticator_get_nothing_of_a_store_that_requires_one(world, actor):
    client = _client(world, actor)
    before = _snapshot(world["store"])
    expected_code = (
        TenantErrorCode.TOKEN_OWNER_MFA_REQUIRED if actor in TOKEN_ACTORS else TenantErrorCode.MFA_REQUIRED
    )
    walked = refused = 0
    for name, kwarg_names in _routes():
        if name in {"account_logout", "set_language"}:
            continue  # would end the walk's own session or only set a cookie
        url = _url(name, kwarg_names, world["values"])
        for method in ("get", "post"):
            response = getattr(client, method)(
                url, {"name": "Hijacked", "role": "owner"} if method == "post" else None
            )
            walked += 1
            body = _body(response)
            for secret in world["secrets"]:
                assert secret.encode() not in body, f"{actor} {method.upper()} {url} shows {secret!r}"
            if "store_slug" not in kwarg_names or name.startswith(NOT_STAFF_PAGES):
                continue
            status = response.status_code
            if name.startswith("api:"):
                ok = status == 405 or (status == 403 and response.json()["code"] == expected_code)
            elif actor in TOKEN_ACTORS:
                ok = status == 405 or (status == 302 and response["Location"].startswith(SIGN_IN_PATHS))
            else:
                ok = status == 405 or (status == 302 and response["Location"].startswith(MFA_SETUP))
            assert ok, f"{actor} {method.upper()} {url} answered {status}"
            refused += status != 405
    assert walked > 100
    assert refused > 40
    ApiToken.objects.update(last_used_at=None)  # a token that authenticated notes when; nothing else changes
    assert _snapshot(world["store"]) == before


def test_the_agency_workspace_hides_the_store_and_says_why(world):
    client = _client(world, "agency_admin")
    overview = client.get(reverse("agency:overview", args=["helpful-agency"]))
    assert overview.status_code == 200
    page = overview.content.decode()
    assert "Alpha Shop" not in page
    assert "One client store requires two-factor authentication" in page
    assert MFA_SETUP in page
    queue = client.get(reverse("agency:queue", args=["helpful-agency"]), {"store": "alpha-shop"})
    assert "#A-5521" not in queue.content.decode()
    assert "Alpha Shop" not in queue.content.decode()


def test_the_api_store_list_leaves_out_a_store_whose_requirement_is_not_met(world):
    for actor in ["owner", *TOKEN_ACTORS]:
        response = _client(world, actor).get("/api/v1/stores/")
        assert response.status_code == 200
        assert [row["slug"] for row in response.json()["results"]] == [], actor


def test_with_an_authenticator_the_same_people_and_tokens_reach_the_store(world):
    # given: the owner and the agency's member set up an authenticator
    _enrol(world["people"]["owner"])
    _enrol(world["people"]["agency_admin"])
    owner, agency_admin = _client(world, "owner"), _client(world, "agency_admin")
    # then: pages, the API with a session, the agency workspace and their tokens work
    assert "#A-5521" in owner.get("/app/alpha-shop/orders/").content.decode()
    assert "#A-5521" in agency_admin.get("/app/alpha-shop/orders/").content.decode()
    assert owner.get("/api/v1/stores/alpha-shop/orders/").json()["results"][0]["name"] == "#A-5521"
    approve = owner.post(
        f"/api/v1/stores/alpha-shop/requests/{world['values']['request_id']}/approve/",
        {},
        content_type="application/json",
    )
    assert approve.status_code == 200
    assert "Alpha Shop" in agency_admin.get("/agency/helpful-agency/").content.decode()
    for actor in ("store_token", "agency_token_for_member"):
        assert _client(world, actor).get("/api/v1/stores/alpha-shop/orders/").status_code == 200, actor
    # a token that names nobody never meets the requirement
    response = _client(world, "agency_token_for_nobody").get("/api/v1/stores/alpha-shop/orders/")
    assert response.status_code == 403
    assert response.json()["code"] == TenantErrorCode.TOKEN_OWNER_MFA_REQUIRED


def test_a_store_that_does_not_require_it_is_reached_without_an_authenticator(world):
    Store.objects.filter(pk=world["store"].pk).update(require_staff_mfa=False)
    assert _client(world, "owner").get("/api/v1/stores/alpha-shop/orders/").status_code == 200
    assert (
        _client(world, "agency_token_for_nobody").get("/api/v1/stores/alpha-shop/orders/").status_code == 200
    )
    assert AgencyGrant.objects.for_store(world["store"]).count() == 1
