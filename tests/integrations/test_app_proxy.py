"""The storefront through Shopify's app proxy: signatures, who is who, and a cancel end to end."""

from __future__ import annotations

import re
import time
from urllib.parse import urlencode

import pytest

from cancellations.models import OrderRequest, RequestStatus
from cancellations.orders.services import sync_order_from_platform
from cancellations.platforms.shopify.app_proxy import ProxyRefused, verify_proxy_request
from cancellations.platforms.shopify.signing import proxy_signature, verify_proxy_signature
from tests.factories import make_order
from tests.fakeshopify.fixtures import make_shopify_store
from tests.integrations.proxy_client import PREFIX, Storefront, signed_query

pytestmark = pytest.mark.django_db

# The forwarded request of "Authenticate app proxies", verbatim (shared secret `hush`):
# https://shopify.dev/docs/apps/build/online-store/app-proxies/authenticate-app-proxies
PUBLISHED_SECRET = "hush"
PUBLISHED_QUERY = (
    "extra=1&extra=2&shop=shop-name.myshopify.com&logged_in_customer_id=1"
    "&path_prefix=%2Fapps%2Fawesome_reviews&timestamp=1317327555"
    "&signature=4c68c8624d737112c91818c11017d24d334b524cb5c2b8ba08daa056f7395ddb"
)
# The page's earlier example of the same request from an anonymous visitor (no logged_in_customer_id).
PUBLISHED_ANONYMOUS_QUERY = (
    "extra=1&extra=2&shop=shop-name.myshopify.com&path_prefix=%2Fapps%2Fawesome_reviews"
    "&timestamp=1317327555&signature=a9718877bea71c2484f91608a7eaea1532bdf71f5c56825065fa4ccabe549ef3"
)


def _query(text):
    from django.http import QueryDict

    return QueryDict(text)


@pytest.mark.parametrize("published", [PUBLISHED_QUERY, PUBLISHED_ANONYMOUS_QUERY])
def test_shopifys_published_examples_verify(published):
    assert verify_proxy_signature(_query(published), secrets=[PUBLISHED_SECRET])
    assert not verify_proxy_signature(_query(published), secrets=["hush!"])


def test_signing_joins_repeated_keys_with_commas_and_concatenates_sorted_pairs():
    params = _query(PUBLISHED_QUERY)
    signature = params["signature"]
    assert proxy_signature(params, PUBLISHED_SECRET) == signature
    # `extra=1,2` is one pair: sent as one value it signs the same.
    assert (
        proxy_signature(_query(PUBLISHED_QUERY.replace("extra=1&extra=2", "extra=1%2C2")), "hush")
        == signature
    )


def _flip_one_bit(text, index):
    return text[:index] + chr(ord(text[index]) ^ 1) + text[index + 1 :]


@pytest.mark.parametrize("published", [PUBLISHED_QUERY, PUBLISHED_ANONYMOUS_QUERY])
def test_any_one_bit_change_is_refused(published):
    params = _query(published)
    for key in params:
        value = params[key]
        for index in range(len(value)):
            tampered = params.copy()
            tampered[key] = _flip_one_bit(value, index)
            assert not verify_proxy_signature(tampered, secrets=[PUBLISHED_SECRET]), (key, index)


@pytest.mark.parametrize(
    "change",
    [
        lambda q: q.pop("signature"),
        lambda q: q.setlist("signature", [q["signature"], q["signature"]]),
        lambda q: q.__setitem__("signature", ""),
        lambda q: q.__setitem__("logged_in_customer_id", "2"),
        lambda q: q.setlist("extra", ["2", "1"]),
        lambda q: q.__setitem__("added", "1"),
        lambda q: q.__setitem__("signature", "ü" * 64),
    ],
)
def test_unsigned_and_tampered_variants_are_refused(change):
    params = _query(PUBLISHED_QUERY).copy()
    change(params)
    assert not verify_proxy_signature(params, secrets=[PUBLISHED_SECRET])


def test_the_published_request_is_stale_now_but_fresh_at_its_time(settings):
    settings.SHOPIFY_API_SECRET, settings.SHOPIFY_API_PREVIOUS_SECRET = PUBLISHED_SECRET, ""
    params = _query(PUBLISHED_QUERY)
    proxied = verify_proxy_request(params, now=1317327555 + 10)
    assert (proxied.shop, proxied.customer_gid, proxied.path_prefix) == (
        "shop-name.myshopify.com",
        "gid://shopify/Customer/1",
        "/apps/awesome_reviews",
    )
    for now in (1317327555 + 301, 1317327555 - 301, time.time()):
        with pytest.raises(ProxyRefused) as refused:
            verify_proxy_request(params, now=now)
        assert refused.value.code == "proxy_request_stale"


# Through Amend's /shopify/proxy/ -------------------------------------------------------------------


@pytest.fixture
def shop(fake_shopify):
    return make_shopify_store(fake_shopify, name="Alpha Shop", slug="alpha-shop")


@pytest.fixture
def other_shop(fake_shopify):
    return make_shopify_store(fake_shopify, name="Bravo Butik", slug="bravo-shop")


def _mirror(fake, store, **overrides):
    placed = fake.add_order(store.platform_domain, **overrides)
    sync_order_from_platform(store=store, order_platform_id=placed["id"])
    from cancellations.models import Order

    return Order.objects.for_store(store).get(platform_id=placed["id"])


@pytest.fixture
def kim_orders(fake_shopify, shop, other_shop):
    """Kim (Shopify customer 777) has two orders at the shop; Lee (778) one; Kim one at the other shop."""
    kim = {"id": "gid://shopify/Customer/777"}
    return {
        "kim": [
            _mirror(fake_shopify, shop, customer=kim, email="kim@example.com"),
            _mirror(fake_shopify, shop, customer=kim, email="kim@example.com"),
        ],
        "lee": _mirror(
            fake_shopify, shop, customer={"id": "gid://shopify/Customer/778"}, email="lee@example.com"
        ),
        "elsewhere": _mirror(fake_shopify, other_shop, customer=kim, email="kim@example.com"),
        "guest": make_order(shop, email="kim@example.com", name="#G-1"),
    }


def test_unsigned_stale_and_tampered_requests_show_nothing(client, shop, kim_orders):
    order = kim_orders["kim"][0]
    good = signed_query(shop.platform_domain, 777)
    variants = {
        "unsigned": {k: v for k, v in good.items() if k != "signature"},
        "stale": signed_query(shop.platform_domain, 777, at=time.time() - 600),
        "future": signed_query(shop.platform_domain, 777, at=time.time() + 600),
        "tampered customer": {**good, "logged_in_customer_id": "778"},
        "other secret": signed_query(shop.platform_domain, 777, secret="not-the-app-secret"),
        "nothing": {},
    }
    for name, query in variants.items():
        for path in (
            "/shopify/proxy/",
            f"/shopify/proxy/orders/{order.pk}/",
            f"/shopify/proxy/orders/{order.pk}/cancel/",
        ):
            response = client.get(path, query)
            assert response.status_code == 401, (name, path)
            assert response.content == b"", (name, path)
    assert client.get("/shopify/proxy/", good).status_code == 200


def test_a_signed_in_customer_sees_exactly_their_orders_at_that_store(client, shop, kim_orders):
    page = Storefront(client, shop.platform_domain, 777).get()
    assert page.status_code == 200
    assert page["Content-Type"].startswith("application/liquid")
    assert page["Cache-Control"] == "private, no-store"
    html = page.content.decode()
    assert "<html" not in html and "<body" not in html
    for order in kim_orders["kim"]:
        assert order.name in html
        assert f'href="{PREFIX}/orders/{order.pk}/"' in html
    for other in (kim_orders["lee"], kim_orders["elsewhere"], kim_orders["guest"]):
        assert other.name not in html
    assert "/shopify/proxy" not in html and "/s/alpha-shop" not in html


def test_another_customers_or_stores_order_through_the_proxy_is_a_404(client, shop, other_shop, kim_orders):
    kim = Storefront(client, shop.platform_domain, 777)
    for other in (kim_orders["lee"], kim_orders["elsewhere"], kim_orders["guest"]):
        for step in ("", "cancel/", "edit/address/", "reorder/"):
            assert kim.get(f"{PREFIX}/orders/{other.pk}/{step}").status_code == 404, (other.name, step)
    # Kim's own order named through the other shop's proxy is not found there either.
    elsewhere = Storefront(client, other_shop.platform_domain, 777)
    assert elsewhere.get(f"{PREFIX}/orders/{kim_orders['kim'][0].pk}/").status_code == 404
    # A POST to another customer's order changes nothing.
    page = kim.get(f"{PREFIX}/orders/{kim_orders['kim'][0].pk}/cancel/")
    token_path = f"{PREFIX}/orders/{kim_orders['lee'].pk}/cancel/"
    assert kim.submit(page, token_path, {"step": "confirm", "reason": "changed_mind"}).status_code in (
        403,
        404,
    )
    assert not OrderRequest.objects.for_store(shop).exists()


def test_a_shop_without_an_amend_store_is_a_404(client, fake_shopify):
    query = signed_query("no-such-shop.myshopify.com", 777)
    response = client.get("/shopify/proxy/", query)
    assert response.status_code == 404 and response.content == b""


def test_an_anonymous_visitor_is_offered_sign_in_find_order_and_no_orders(client, shop, kim_orders):
    visitor = Storefront(client, shop.platform_domain)
    html = visitor.get().content.decode()
    assert f'href="{PREFIX}/find-order/"' in html
    assert "/account/login?return_url=%2Fapps%2Famend%2F" in html
    for order in [*kim_orders["kim"], kim_orders["guest"]]:
        assert order.name not in html
    # An order page without a signed-in customer sends them to the shop's sign-in, not to the order.
    response = visitor.get(f"{PREFIX}/orders/{kim_orders['kim'][0].pk}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/account/login?return_url=")


def test_a_signed_in_customer_cancels_end_to_end(
    client, fake_shopify, shop, kim_orders, django_capture_on_commit_callbacks
):
    order = kim_orders["kim"][0]
    kim = Storefront(client, shop.platform_domain, 777)
    detail = kim.get(f"{PREFIX}/orders/{order.pk}/")
    assert f'href="{PREFIX}/orders/{order.pk}/cancel/"' in detail.content.decode()
    cancel_path = f"{PREFIX}/orders/{order.pk}/cancel/"
    form = kim.get(cancel_path)
    assert "Why do you want to cancel?" in form.content.decode()
    summary = kim.submit(form, cancel_path, {"step": "reason", "reason": "changed_mind", "submit_key": "k1"})
    assert summary.status_code == 200 and "You get back" in summary.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        done = kim.submit(
            summary, cancel_path, {"step": "confirm", "reason": "changed_mind", "submit_key": "k1"}
        )
    assert done.status_code == 302
    order_request = OrderRequest.objects.for_store(shop).get(order=order)
    assert done["Location"] == f"{PREFIX}/orders/{order.pk}/requests/{order_request.pk}/"
    order_request.refresh_from_db()
    assert order_request.status == RequestStatus.COMPLETED
    assert fake_shopify.shops[shop.platform_domain].orders[order.platform_id]["cancelledAt"]
    page = kim.get(done["Location"]).content.decode()
    assert "Cancellation" in page


def test_a_form_without_a_valid_token_changes_nothing(client, shop, kim_orders):
    order = kim_orders["kim"][0]
    kim = Storefront(client, shop.platform_domain, 777)
    path = f"{PREFIX}/orders/{order.pk}/cancel/"
    form = {"step": "confirm", "reason": "changed_mind", "submit_key": "k1"}
    no_token = kim.post(path, form)
    assert no_token.status_code == 403 and "send the form again" in no_token.content.decode().lower()
    # A token shown to another customer, or for another page, does not fit this one.
    lee_page = Storefront(client, shop.platform_domain, 778).get(
        f"{PREFIX}/orders/{kim_orders['lee'].pk}/cancel/"
    )
    assert kim.submit(lee_page, path, form).status_code == 403
    own_other_page = kim.get(f"{PREFIX}/orders/{kim_orders['kim'][1].pk}/cancel/")
    assert kim.submit(own_other_page, path, form).status_code == 403
    assert not OrderRequest.objects.for_store(shop).exists()


def test_an_old_form_token_is_refused(client, shop, kim_orders, settings):
    order = kim_orders["kim"][0]
    kim = Storefront(client, shop.platform_domain, 777)
    path = f"{PREFIX}/orders/{order.pk}/cancel/"
    page = kim.get(path)
    settings.SHOPIFY_APP_PROXY_FORM_MAX_AGE = -1
    response = kim.submit(page, path, {"step": "confirm", "reason": "changed_mind", "submit_key": "k1"})
    assert response.status_code == 403
    assert not OrderRequest.objects.for_store(shop).exists()


def test_the_anonymous_find_order_flow_emails_a_link_on_the_shops_domain(
    client, shop, kim_orders, mailoutbox
):
    visitor = Storefront(client, shop.platform_domain)
    path = f"{PREFIX}/find-order/"
    page = visitor.get(path)
    assert page["Content-Type"].startswith("application/liquid")
    guest = kim_orders["guest"]
    sent = visitor.submit(page, path, {"number": guest.name, "email": "kim@example.com"})
    assert sent.status_code == 200
    link = next(word for word in mailoutbox[0].body.split() if "/o/" in word)
    assert link.startswith(f"https://{shop.platform_domain}{PREFIX}/o/")
    opened = visitor.get(link.removeprefix(f"https://{shop.platform_domain}"))
    assert opened.status_code == 200 and guest.name in opened.content.decode()


def test_liquid_in_what_customers_typed_is_shown_as_text(client, fake_shopify, shop):
    order = _mirror(
        fake_shopify,
        shop,
        customer={"id": "gid://shopify/Customer/777"},
        name="#{{ shop.secret }}{% layout none %}",
    )
    html = Storefront(client, shop.platform_domain, 777).get(f"{PREFIX}/orders/{order.pk}/").content.decode()
    assert "{{" not in html and "{%" not in html
    assert "&#123;&#123; shop.secret }}" in html


def test_a_post_is_checked_by_its_signature_too(client, shop, kim_orders):
    order = kim_orders["kim"][0]
    kim = Storefront(client, shop.platform_domain, 777)
    path = f"{PREFIX}/orders/{order.pk}/cancel/"
    page = kim.get(path)
    query = urlencode(signed_query(shop.platform_domain, 777, at=time.time() - 3600))
    stale = client.post(
        f"/shopify/proxy/orders/{order.pk}/cancel/?{query}", {"proxy_form": "x", "step": "confirm"}
    )
    assert stale.status_code == 401
    assert page.status_code == 200
    assert not OrderRequest.objects.for_store(shop).exists()


def test_an_anonymous_visitor_withdraws_through_the_proxy(client, fake_shopify, shop):
    from datetime import timedelta

    from django.utils import timezone

    from cancellations.policy import WithdrawalSettings
    from tests.customer.conftest import set_policy

    set_policy(shop, withdrawal=WithdrawalSettings(enabled=True, period_days=14))
    order = make_order(
        shop,
        email="kim@example.com",
        name="#W-1",
        fulfillment_status="fulfilled",
        delivered_at=timezone.now() - timedelta(days=3),
    )
    visitor = Storefront(client, shop.platform_domain)
    assert f'href="{PREFIX}/withdraw/"' in visitor.get().content.decode()
    path = f"{PREFIX}/withdraw/"
    details = {"name": "Kim Buyer", "number": "#W-1", "email": "kim@example.com"}
    confirm = visitor.submit(visitor.get(path), path, details)
    assert confirm.status_code == 200 and "Confirm withdrawal" in confirm.content.decode()
    lookup = re.search(r'name="lookup" value="([^"]+)"', confirm.content.decode()).group(1)
    key = re.search(r'name="submit_key" value="([^"]+)"', confirm.content.decode()).group(1)
    done = visitor.submit(confirm, path, {**details, "step": "confirm", "lookup": lookup, "submit_key": key})
    assert done.status_code == 302
    order_request = OrderRequest.objects.for_store(shop).get(order=order)
    assert order_request.kind == "withdrawal"
    assert done["Location"].startswith(f"{PREFIX}/o/")
    assert done["Location"].endswith(f"/requests/{order_request.pk}/")
    assert visitor.get(done["Location"]).status_code == 200


def test_a_request_page_through_the_proxy_has_no_script_and_no_amend_links(client, shop, kim_orders):
    from cancellations.requests.actors import Actor
    from cancellations.requests.submission import submit_request

    order = kim_orders["kim"][0]
    order_request = submit_request(
        store=shop,
        order=order,
        actor=Actor.customer(order.email),
        kind="cancel",
        reason_code="changed_mind",
        idempotency_key="k1",
    )
    kim = Storefront(client, shop.platform_domain, 777)
    page = kim.get(f"{PREFIX}/orders/{order.pk}/requests/{order_request.pk}/")
    html = page.content.decode()
    assert page.status_code == 200 and "<script" not in html
    assert "/shopify/proxy" not in html and "signature=" not in html
    status = kim.get(f"{PREFIX}/orders/{order.pk}/requests/{order_request.pk}/status.json")
    assert status.status_code == 200 and status.json()["status"] == order_request.status
    lee = Storefront(client, shop.platform_domain, 778)
    assert lee.get(f"{PREFIX}/orders/{order.pk}/requests/{order_request.pk}/status.json").status_code == 404


def test_every_order_page_opens_through_the_proxy_without_script(client, shop, kim_orders):
    order = kim_orders["kim"][0]
    kim = Storefront(client, shop.platform_domain, 777)
    for step in ("", "cancel/", "edit/address/", "edit/items/", "reorder/"):
        page = kim.get(f"{PREFIX}/orders/{order.pk}/{step}")
        assert page.status_code in (200, 409), step
        assert page["Content-Type"].startswith("application/liquid"), step
        html = page.content.decode()
        assert "<script" not in html and "/shopify/proxy" not in html, step
