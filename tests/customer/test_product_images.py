"""Product pictures where a customer picks items: mirrored from Shopify's product webhooks (https only),
shown beside each line on the item-change page and the order page, never another store's."""

from __future__ import annotations

from dataclasses import replace

import pytest

from cancellations.models import Product, Variant
from cancellations.orders.services import upsert_product
from cancellations.platforms.shopify.payloads import product_from_rest
from cancellations.policy import DEFAULT_POLICY
from tests.customer.conftest import set_policy

pytestmark = pytest.mark.django_db

SWEATER = "https://cdn.shopify.com/s/files/1/0001/products/sweater.jpg?v=1"


def _webhook(product_id: int, **fields):
    return {
        "id": product_id,
        "title": "Wool Sweater",
        "status": "active",
        "updated_at": "2026-01-01T00:00:00Z",
        "variants": [{"id": 1, "title": "Small", "price": "25.00"}],
        **fields,
    }


@pytest.fixture(autouse=True)
def _item_changes_allowed(store_a):
    allowed = replace(DEFAULT_POLICY.cancel)
    set_policy(store_a, edit_quantity=allowed, swap_variant=allowed, remove_line=allowed)


def test_a_product_webhooks_image_is_mirrored_and_a_later_update_without_one_clears_it(store_a):
    product, _ = upsert_product(
        store=store_a, snapshot=product_from_rest(_webhook(7, image={"src": SWEATER}, images=[]))
    )
    assert Product.objects.for_store(store_a).get(pk=product.pk).image_url == SWEATER
    first = "https://cdn.shopify.com/s/files/first.png"
    assert product_from_rest(_webhook(7, images=[{"src": first}, {"src": SWEATER}])).image_url == first

    upsert_product(store=store_a, snapshot=product_from_rest(_webhook(7, updated_at="2026-01-02T00:00:00Z")))
    assert Product.objects.for_store(store_a).get(pk=product.pk).image_url == ""


@pytest.mark.parametrize(
    "src",
    [
        "http://cdn.shopify.com/s/files/sweater.jpg",
        "javascript:alert(1)",
        "data:image/svg+xml,<svg></svg>",
        "//cdn.shopify.com/sweater.jpg",
        "https:///nohost.jpg",
        "",
        None,
    ],
)
def test_only_an_https_image_url_is_stored(store_a, src):
    snapshot = product_from_rest(_webhook(8, image={"src": src}))
    assert snapshot.image_url == ""
    product, _ = upsert_product(store=store_a, snapshot=snapshot)
    product.refresh_from_db()
    assert product.image_url == ""


def _show_image(store, order, url):
    line = order.line_items.get()
    Product.objects.for_store(store).filter(platform_id=line.product_id).update(image_url=url)


def test_the_item_change_and_order_pages_show_the_lines_image(signed_in, store_a, ann_order):
    _show_image(store_a, ann_order, SWEATER)
    for url in (f"/s/alpha-shop/orders/{ann_order.pk}/edit/items/", f"/s/alpha-shop/orders/{ann_order.pk}/"):
        page = signed_in.get(url).content.decode()
        assert f'src="{SWEATER.replace("&", "&amp;")}"' in page
        # Beside the item's name, the picture is decoration: a screen reader reads the name once.
        assert 'alt="" width="48" height="48" loading="lazy"' in page


def test_a_line_whose_product_has_no_image_shows_none(signed_in, store_a, ann_order):
    for url in (f"/s/alpha-shop/orders/{ann_order.pk}/edit/items/", f"/s/alpha-shop/orders/{ann_order.pk}/"):
        page = signed_in.get(url)
        assert page.status_code == 200
        assert 'class="line-image"' not in page.content.decode()


def test_another_stores_product_with_that_id_never_lends_its_image(signed_in, store_a, store_b, ann_order):
    line = ann_order.line_items.get()
    Product.objects.create(store=store_b, platform_id=line.product_id, title="Theirs", image_url=SWEATER)
    for url in (f"/s/alpha-shop/orders/{ann_order.pk}/edit/items/", f"/s/alpha-shop/orders/{ann_order.pk}/"):
        page = signed_in.get(url)
        assert page.status_code == 200
        assert "cdn.shopify.com" not in page.content.decode()


def test_the_pages_csp_lets_shopifys_image_host_in(signed_in, ann_order):
    page = signed_in.get(f"/s/alpha-shop/orders/{ann_order.pk}/edit/items/")
    policy = page.headers.get("Content-Security-Policy", "")
    assert "img-src 'self' data: https://cdn.shopify.com;" in policy


def test_the_demo_catalogue_has_pictures_served_by_amend_itself(store_a):
    from django.contrib.staticfiles import finders

    from portal.dev.demo_orders import CATALOGUE, seed_demo_catalogue_and_orders

    seed_demo_catalogue_and_orders(store_a, orders=1)

    urls = list(
        Product.objects.for_store(store_a)
        .filter(platform_id__startswith="gid://amend/Product/")
        .values_list("image_url", flat=True)
    )
    assert len(urls) == len(CATALOGUE)
    for url in urls:
        assert url.startswith("/static/portal/demo/") and url.endswith(".svg")
        assert finders.find(url.removeprefix("/static/")), url


def test_the_add_items_product_search_keeps_the_webhooks_image(store_a):
    from cancellations.platforms.shopify.payloads import product_from_graphql

    upsert_product(store=store_a, snapshot=product_from_rest(_webhook(9, image={"src": SWEATER})))
    searched = product_from_graphql(
        {"id": "gid://shopify/Product/9", "title": "Wool Sweater", "variants": {"nodes": []}}
    )

    product, _ = upsert_product(store=store_a, snapshot=searched)

    product.refresh_from_db()
    assert product.image_url == SWEATER


def test_a_lines_own_variant_image_is_shown_before_the_products(signed_in, store_a, ann_order):
    red = "https://cdn.shopify.com/s/files/red.jpg"
    line = ann_order.line_items.get()
    snapshot = product_from_rest(
        _webhook(
            10,
            images=[
                {"id": 5, "src": SWEATER},
                {"id": 6, "src": red},
                {"id": 7, "src": "http://x.test/a.jpg"},
            ],
            variants=[
                {"id": 1, "title": "Red", "price": "25.00", "image_id": 6},
                {"id": 2, "title": "Blue", "price": "25.00", "image_id": None},
                {"id": 3, "title": "Green", "price": "25.00", "image_id": 7},
            ],
        )
    )
    assert snapshot.image_url == SWEATER
    assert [variant.image_url for variant in snapshot.variants] == [red, "", ""]

    Variant.objects.for_store(store_a).filter(platform_id=line.variant_id).update(image_url=red)
    _show_image(store_a, ann_order, SWEATER)
    for url in (f"/s/alpha-shop/orders/{ann_order.pk}/edit/items/", f"/s/alpha-shop/orders/{ann_order.pk}/"):
        page = signed_in.get(url).content.decode()
        assert f'src="{red}"' in page and "sweater.jpg" not in page
