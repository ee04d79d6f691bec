"""Walk every URL in the project as every kind of outsider to store B: nothing of B leaks or changes.

The URLs come from the resolver, so a new view is walked without editing this test; a new URL
keyword must be given a value below (the test fails on an unknown one, naming it).
"""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.core import serializers
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from cancellations.models import (
    BulkCancelJob,
    FulfilmentHold,
    HoldStatus,
    LineItem,
    Order,
    OrderRequest,
    OutgoingWebhook,
    Product,
    RequestKind,
    RequestStatus,
    Variant,
    WebhookEndpoint,
)
from cancellations.notifications.webhooks import create_endpoint
from cancellations.orders.access import make_order_link_token
from cancellations.rules.services import create_rule
from tenants import services
from tenants.access import staff_access
from tenants.models import (
    AgencyGrant,
    ApiToken,
    Membership,
    StaffInvitation,
    Store,
    StoreCustomer,
    StoreDomain,
)
from tenants.roles import Role
from tenants.tokens import API_SCOPES, create_agency_token, create_store_token
from tests.factories import (
    grant,
    make_agency,
    make_agency_member,
    make_member,
    make_order,
    make_product,
    make_user,
)

pytestmark = pytest.mark.django_db

ACTORS = [
    "anonymous",
    "customer_a",
    "viewer_a",
    "agent_a",
    "admin_a",
    "owner_a",
    "agency_granted_a",
    "agency_revoked_a",
    # API tokens: store A's own, an agency's granted A, and an agency's whose grant A revoked.
    "token_a",
    "agency_token_a",
    "agency_token_revoked_a",
]
TOKEN_ACTORS = {"token_a", "agency_token_a", "agency_token_revoked_a"}
# Pages of a store's public customer portal: anyone may open them, so they may name the store
# (never its orders or people).
PUBLIC_STORE_PAGES = {
    "customer:home",
    "customer:signin",
    "customer:signin_code",
    "customer:find_order",
    "customer:brand_css",
    "customer:logo",
    "customer:orders",
}
SIGN_IN_PATHS = ("/accounts/login/", "/admin/login/", "/s/bravo-shop/signin/", "/s/alpha-shop/signin/")


def _routes(patterns=None, prefix="", namespace=None):
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            ns = pattern.namespace or namespace
            if ns == "admin":
                continue  # Amend operators only (is_staff); covered by test_the_admin_is_for_operators_only
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern), ns)
        elif isinstance(pattern, URLPattern) and pattern.name:
            route = prefix + str(pattern.pattern)
            names = re.findall(r"<(?:\w+:)?(\w+)>", route) + list(pattern.pattern.regex.groupindex)
            yield (f"{namespace}:{pattern.name}" if namespace else pattern.name), names


@pytest.fixture
def world(store_a, store_b):
    """Store A with one person of each kind; store B with its own private data to protect."""
    people = {
        "viewer_a": make_member(store_a, Role.VIEWER),
        "agent_a": make_member(store_a, Role.AGENT),
        "admin_a": make_member(store_a, Role.ADMIN),
        "owner_a": make_member(store_a, Role.OWNER),
    }
    agency = make_agency("helpful-agency", name="Helpful Agency")
    people["agency_granted_a"] = make_agency_member(agency)
    grant(store_a, agency, Role.ADMIN)
    old_agency = make_agency("former-agency", name="Former Agency")
    people["agency_revoked_a"] = make_agency_member(old_agency)
    grant(store_a, old_agency, Role.ADMIN, revoked=True)
    people["agency_token_a"] = create_agency_token(agency=agency, name="Helpful", scopes=API_SCOPES).secret
    people["agency_token_revoked_a"] = create_agency_token(
        agency=old_agency, name="Former", scopes=API_SCOPES
    ).secret
    customer = make_user("ann@example.com")
    EmailAddress.objects.create(user=customer, email=customer.email, verified=True, primary=True)
    people["customer_a"] = customer
    order_a = make_order(store_a, email="ann@example.com")
    owner_a_access = staff_access(user=people["owner_a"], store=store_a)
    people["token_a"] = create_store_token(access=owner_a_access, name="Alpha", scopes=API_SCOPES).secret
    _, invite_token_a = services.invite_staff(
        access=owner_a_access, email="new@alpha.example", role=Role.AGENT
    )

    owner_b = make_member(store_b, Role.OWNER, email="owner@bravo.example")
    owner_b_access = staff_access(user=owner_b, store=store_b)
    order_b = make_order(store_b, email="bravo.only@example.net", name="#B-7731", customer_name="Bea Bravo")
    make_product(store_b, title="Bravo Secret Jacket")
    agency_b = make_agency("bravo-partners", name="Bravo Partners")
    make_agency_member(agency_b, email="partner@bravo-partners.example")
    grant_b = grant(store_b, agency_b, Role.AGENT)
    invitation_b, _ = services.invite_staff(
        access=owner_b_access, email="hire@bravo.example", role=Role.ADMIN
    )
    StoreDomain.objects.create(store=store_b, host="orders.bravo.example")
    StoreCustomer.objects.create(store=store_b, email="bravo.only@example.net")
    token_b = create_store_token(access=owner_b_access, name="Bravo Secret Token", scopes=API_SCOPES).token
    endpoint_b = create_endpoint(
        store=store_b, actor=owner_b, url="https://hooks.bravo.example/amend", events=["request.created"]
    )
    request_b = OrderRequest.objects.create(
        store=store_b,
        order=order_b,
        kind=RequestKind.CANCEL,
        status=RequestStatus.PENDING_REVIEW,
        requester_kind="customer",
        requester_label="bravo.only@example.net",
        idempotency_key="bravo-request-1",
    )
    job_b = BulkCancelJob.objects.create(
        store=store_b,
        created_by=owner_b,
        created_by_label="owner@bravo.example",
        run_as=owner_b,
        start_key="bravo-bulk-1",
        description="tagged fraud-wave",
        reason="fraud",
        refund_method="original",
    )
    rule_b = create_rule(
        store=store_b,
        actor=owner_b,
        values={
            "name": "Bravo Secret Rule",
            "triggers": ["order_created"],
            "conditions": [{"type": "risk_level", "values": ["high"]}],
            "actions": [{"type": "hold"}],
        },
    )
    hold_b = FulfilmentHold.objects.create(
        store=store_b, order=order_b, status=HoldStatus.HELD, release_at=timezone.now() + timedelta(hours=1)
    )
    values = {
        "store_slug": store_b.slug,
        "order_id": order_b.pk,
        "membership_id": Membership.objects.for_store(store_b).get(user=owner_b).pk,
        "invitation_id": invitation_b.pk,
        "grant_id": grant_b.pk,
        "token_id": token_b.pk,
        "endpoint_id": endpoint_b.pk,
        "rule_id": rule_b.pk,
        "request_id": request_b.pk,
        "job_id": job_b.pk,
        "hold_id": hold_b.pk,
        # The extensions name an order by its Shopify id, in the shop their session token is for.
        "shopify_order_id": 7731,
        "version": 1,
        "chart": "cancellation_rate",
        "agency_slug": agency_b.slug,
        # Credentials an outsider could hold: A's own links, replayed against store B.
        "token": make_order_link_token(order_a),
        "join_store/token": invite_token_a,
        # Not tenant data (allauth's own keys, the dev mailbox): any value.
        "key": "nokey",
        "uidb36": "1",
        "message_id": 1,
    }
    secrets = [
        "#B-7731",
        "bravo.only@example.net",
        "Bea Bravo",
        "owner@bravo.example",
        "Bravo Secret Jacket",
        "Bravo Partners",
        "partner@bravo-partners.example",
        "hire@bravo.example",
        "orders.bravo.example",
        "Bravo Secret Token",
        "hooks.bravo.example",
        "Bravo Secret Rule",
    ]
    return {"people": people, "values": values, "secrets": secrets, "store_a": store_a, "store_b": store_b}


def _snapshot(store: Store) -> str:
    """Everything stored about a store, serialised, to compare before and after the walk."""
    rows = [Store.objects.filter(pk=store.pk), StoreDomain.objects.filter(store=store)]
    for model in (Order, LineItem, Product, Variant, Membership, AgencyGrant, StaffInvitation, StoreCustomer):
        rows.append(model.objects.for_store(store).order_by("pk"))
    rows.append(ApiToken.objects.filter(store=store).order_by("pk"))
    for model in (WebhookEndpoint, OutgoingWebhook):
        rows.append(model.objects.for_store(store).order_by("pk"))
    return json.dumps(
        [json.loads(serializers.serialize("json", queryset)) for queryset in rows], sort_keys=True
    )


def _url(name: str, kwarg_names: list[str], values: dict) -> str:
    kwargs = {}
    for kwarg in kwarg_names:
        value = values.get(f"{name}/{kwarg}", values.get(kwarg))
        assert value is not None, f"URL {name} takes <{kwarg}>: give it a store B value in world()"
        kwargs[kwarg] = value
    return reverse(name, kwargs=kwargs or None)


def _is_sign_in_redirect(response) -> bool:
    return response.status_code in (301, 302) and response["Location"].startswith(SIGN_IN_PATHS)


B_OBJECTS = (
    "order_id",
    "membership_id",
    "invitation_id",
    "grant_id",
    "token_id",
    "endpoint_id",
    "request_id",
    "rule_id",
    "job_id",
    "shopify_order_id",
)


@pytest.mark.parametrize("through", ["store_b", "store_a"])
@pytest.mark.parametrize("actor", ACTORS)
def test_nothing_of_store_b_is_shown_or_changed_to_anyone_outside_it(world, actor, through):
    """`through` store_b: B's own URLs. store_a: URLs of A (which the actor may reach) naming B's objects."""
    if actor in TOKEN_ACTORS:
        client = Client(HTTP_AUTHORIZATION=f"Bearer {world['people'][actor]}")
    else:
        client = Client()
    if actor not in TOKEN_ACTORS and actor != "anonymous":
        client.force_login(world["people"][actor])
    before = _snapshot(world["store_b"])
    values = dict(world["values"])
    if through == "store_a":
        values["store_slug"] = world["store_a"].slug
    walked = 0
    for name, kwarg_names in _routes():
        if name in {"account_logout", "set_language"}:
            continue  # would end the walk's own session or only set a cookie
        if through == "store_a" and not any(k in kwarg_names for k in B_OBJECTS):
            continue  # A's own pages, without B's objects, are A's business
        url = _url(name, kwarg_names, values)
        names_store_b = any(k in kwarg_names for k in ("store_slug", "agency_slug", *B_OBJECTS))
        for method in ("get", "post"):
            data = {
                "role": "owner",
                "email": "intruder@example.com",
                "agency": "helpful-agency",
                "host": "x.example",
                "name": "Hijacked",
                "number": "#B-7731",
            }
            response = getattr(client, method)(url, data if method == "post" else None)
            walked += 1
            body = b"".join(response.streaming_content) if response.streaming else response.content
            for secret in world["secrets"]:
                assert secret.encode() not in body, f"{actor} {method.upper()} {url} shows {secret!r}"
            if names_store_b and name not in PUBLIC_STORE_PAGES:
                allowed = response.status_code in (404, 405) or _is_sign_in_redirect(response)
                # In store A, a role without the scope is refused before any object is looked up.
                allowed = allowed or (through == "store_a" and response.status_code == 403)
                if actor == "anonymous" and name.startswith("api:"):
                    allowed = allowed or response.status_code in (401, 403)
                if name.startswith(("shopify_admin", "api:extension_")):
                    # Inside Shopify (the admin, the extensions): no Shopify session token, no look-up.
                    # Another shop's token: tests/integrations/test_shopify_embedded.py and
                    # tests/api/test_shopify_extension.py.
                    allowed = allowed or response.status_code == 401
                assert allowed, f"{actor} {method.upper()} {url} answered {response.status_code}"
    assert walked > (60 if through == "store_b" else 10)
    assert _snapshot(world["store_b"]) == before


def test_the_walk_covers_every_store_scoped_view(world):
    names = {name for name, _ in _routes()}
    assert {
        "merchant:dashboard",
        "merchant:team",
        "merchant:agencies",
        "customer:order",
        "api:order",
        "api:request_approve",
        "api:policy",
        "merchant:tokens",
        "merchant:webhook_test",
        "agency:overview",
        "join_store",
    } <= names


def test_the_admin_is_for_operators_only(world, client):
    client.force_login(world["people"]["owner_a"])
    response = client.get("/admin/")
    assert _is_sign_in_redirect(response)
