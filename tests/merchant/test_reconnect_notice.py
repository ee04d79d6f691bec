"""A Shopify connection whose token Shopify would not renew is told to the staff on the overview."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cancellations.models import PlatformConnection
from tenants.roles import Role
from tests.factories import make_member
from tests.fakeshopify.fixtures import make_shopify_store

pytestmark = pytest.mark.django_db


def _overview(client, store, role):
    client.force_login(make_member(store, role))
    return client.get(reverse("merchant:dashboard", kwargs={"store_slug": store.slug})).content.decode()


def test_staff_are_told_to_connect_again_and_admins_get_the_link(client, fake_shopify):
    store = make_shopify_store(fake_shopify)
    PlatformConnection.objects.for_store(store).update(
        status=PlatformConnection.Status.RECONNECT, status_message="Open Amend from your Shopify admin."
    )

    page = _overview(client, store, Role.OWNER)

    assert "Connect your Shopify store again" in page
    assert store.platform_domain in page and "Open Amend from your Shopify admin." in page
    assert f"/shopify/install?shop={store.platform_domain}" in page
    viewer_page = _overview(client, store, Role.VIEWER)
    assert "Connect your Shopify store again" in viewer_page
    assert "/shopify/install" not in viewer_page


def test_a_healthy_connection_shows_no_notice(client, fake_shopify):
    store = make_shopify_store(fake_shopify)

    assert "Connect your Shopify store again" not in _overview(client, store, Role.OWNER)
