"""Merchants create stores and agencies; slugs are validated; a store's own domain serves its portal."""

import pytest

from tenants.models import Agency, Membership, Store
from tenants.roles import Role
from tests.factories import make_member, make_order, make_user

pytestmark = pytest.mark.django_db

STORE_FORM = {
    "name": "Cedar Goods",
    "slug": "cedar-goods",
    "platform": "builtin",
    "locale": "sv",
    "currency": "SEK",
    "timezone": "Europe/Stockholm",
}


def test_signing_up_creates_a_store_with_the_signer_as_owner(client):
    user = make_user()
    client.force_login(user)
    response = client.post("/signup/store/", STORE_FORM)
    assert response["Location"] == "/app/cedar-goods/"
    store = Store.objects.get(slug="cedar-goods")
    assert (store.locale, store.currency, store.timezone) == ("sv", "SEK", "Europe/Stockholm")
    assert Membership.objects.for_store(store).get(user=user).role == Role.OWNER


@pytest.mark.parametrize(
    ("slug", "message"),
    [
        ("Cedar Goods", "lowercase letters, digits and hyphens"),
        ("-cedar", "lowercase letters, digits and hyphens"),
        ("ab", "lowercase letters, digits and hyphens"),
        ("admin", "is reserved"),
        ("api", "is reserved"),
    ],
)
def test_a_bad_or_reserved_slug_is_refused_with_a_reason(client, slug, message):
    client.force_login(make_user())
    response = client.post("/signup/store/", {**STORE_FORM, "slug": slug})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Store.objects.filter(name="Cedar Goods").exists()


def test_a_taken_slug_is_refused(client, store_a):
    client.force_login(make_user())
    response = client.post("/signup/store/", {**STORE_FORM, "slug": "alpha-shop"})
    assert response.status_code == 400
    assert "already exists" in response.content.decode() or "is taken" in response.content.decode()


def test_signing_up_an_agency(client):
    client.force_login(make_user())
    response = client.post("/signup/agency/", {"name": "North", "slug": "north"})
    assert response["Location"] == "/agency/north/"
    assert Agency.objects.filter(slug="north").exists()


def test_an_unknown_store_is_a_404_page(client):
    response = client.get("/s/no-such-store/")
    assert response.status_code == 404
    assert "Not found" in response.content.decode()


def test_a_store_domain_serves_that_stores_portal_at_the_root_once_verified(
    client, store_a, store_b, settings, django_capture_on_commit_callbacks
):
    from cancellations.hosts.tasks import check_domain_task
    from tenants.models import StoreDomain
    from tests.tenants.fake_proofs import SOURCE, FakeProofSource

    settings.ALLOWED_HOSTS = ["testserver", "*"]
    settings.STORE_DOMAIN_PROOF_SOURCE = SOURCE
    FakeProofSource.reset()
    owner = make_member(store_a, Role.OWNER)
    client.force_login(owner)
    response = client.post("/app/alpha-shop/settings/domains/", {"host": "Orders.Alpha.Example"})
    assert response.status_code == 302
    domain = StoreDomain.objects.get(store=store_a, host="orders.alpha.example")
    FakeProofSource.txt["_amend-challenge.orders.alpha.example"] = [f"amend-verification={domain.token}"]
    with django_capture_on_commit_callbacks(execute=True):
        check_domain_task.delay(store_a.pk, domain.pk)
    FakeProofSource.reset()
    client.logout()
    home = client.get("/", HTTP_HOST="orders.alpha.example")
    assert home.status_code == 200
    assert "Your orders at Alpha Shop" in home.content.decode()
    assert client.get("/signin/", HTTP_HOST="orders.alpha.example").status_code == 200
    # the merchant app is not served on a store's domain
    assert client.get("/app/alpha-shop/", HTTP_HOST="orders.alpha.example").status_code == 404
    # and Amend's own host still serves the landing page
    assert "Let customers fix their own orders" in client.get("/").content.decode()


def test_a_customer_on_the_store_domain_sees_only_that_stores_orders(client, store_a, store_b, settings):
    from allauth.account.models import EmailAddress

    from tenants.models import StoreDomain

    settings.ALLOWED_HOSTS = ["testserver", "*"]
    StoreDomain.objects.create(store=store_a, host="orders.alpha.example", status=StoreDomain.Status.VERIFIED)
    ann = make_user("ann@example.com")
    EmailAddress.objects.create(user=ann, email="ann@example.com", verified=True, primary=True)
    make_order(store_a, email="ann@example.com", name="#A-1")
    foreign = make_order(store_b, email="ann@example.com", name="#B-1")
    client.force_login(ann)
    page = client.get("/orders/", HTTP_HOST="orders.alpha.example").content.decode()
    assert "#A-1" in page and "#B-1" not in page
    assert client.get(f"/orders/{foreign.pk}/", HTTP_HOST="orders.alpha.example").status_code == 404


def test_a_new_account_goes_on_to_create_its_store(client):
    response = client.post(
        "/accounts/signup/",
        {
            "email": "founder@cedar.example",
            "password1": "a-long-pass-phrase-42",
            "password2": "a-long-pass-phrase-42",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/signup/store/"
