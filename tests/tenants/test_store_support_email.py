"""The support address is set on the merchant Settings page; a bad address is refused and kept to fix."""

import pytest

from tenants.roles import Role
from tests.factories import make_member

pytestmark = pytest.mark.django_db


def _form(store, **changes):
    return {
        "name": store.name,
        "locale": store.locale,
        "timezone": store.timezone,
        "currency": store.currency,
        "accent_colour": store.accent_colour,
        **changes,
    }


def test_an_admin_sets_and_clears_the_support_address(client, store_a):
    client.force_login(make_member(store_a, Role.OWNER))

    response = client.post("/app/alpha-shop/settings/", _form(store_a, support_email="help@alpha.example"))
    assert response.status_code == 302
    store_a.refresh_from_db()
    assert store_a.support_email == "help@alpha.example"
    assert 'value="help@alpha.example"' in client.get("/app/alpha-shop/settings/").content.decode()

    client.post("/app/alpha-shop/settings/", _form(store_a, support_email=""))
    store_a.refresh_from_db()
    assert store_a.support_email == ""


def test_a_bad_address_is_refused_and_kept_in_the_form(client, store_a):
    client.force_login(make_member(store_a, Role.OWNER))

    response = client.post("/app/alpha-shop/settings/", _form(store_a, support_email="help at alpha"))

    assert response.status_code == 400
    page = response.content.decode()
    assert "Enter a valid email address." in page and 'value="help at alpha"' in page
    store_a.refresh_from_db()
    assert store_a.support_email == ""


def test_another_stores_settings_are_not_found(client, store_a, store_b):
    client.force_login(make_member(store_a, Role.OWNER))

    response = client.post("/app/bravo-shop/settings/", _form(store_b, support_email="x@example.com"))

    assert response.status_code == 404
    store_b.refresh_from_db()
    assert store_b.support_email == ""
