"""A store's own domain serves its portal only after the store proves it owns the host name."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from cancellations.hosts.services import sweep_domains
from cancellations.hosts.tasks import check_domain_task
from tenants.models import StoreAuditEvent, StoreDomain
from tenants.roles import Role
from tests.factories import make_member
from tests.tenants.fake_proofs import SOURCE, FakeProofSource

pytestmark = pytest.mark.django_db

HOST = "orders.alpha.example"
DOMAINS_URL = "/app/alpha-shop/settings/domains/"
SETTINGS_URL = "/app/alpha-shop/settings/"
Status = StoreDomain.Status


@pytest.fixture(autouse=True)
def _proofs(settings):
    # Stores' domains reach Amend without being listed: '*' lets them through, Amend checks them.
    settings.ALLOWED_HOSTS = ["testserver", "*"]
    settings.PRIMARY_HOSTS = frozenset({"testserver"})
    settings.SITE_URL = "https://amend.example.com"
    settings.STORE_DOMAIN_PROOF_SOURCE = SOURCE
    settings.STORE_DOMAIN_LOST_AFTER_CHECKS = 3
    FakeProofSource.reset()
    yield
    FakeProofSource.reset()


@pytest.fixture
def owner_a(client, store_a):
    owner = make_member(store_a, Role.OWNER)
    client.force_login(owner)
    return owner


def publish_txt(domain: StoreDomain) -> None:
    FakeProofSource.txt[f"_amend-challenge.{domain.host}"] = [
        "v=spf1 -all",
        f"amend-verification={domain.token}",
    ]


def publish_file(domain: StoreDomain, body: str | None = None) -> None:
    url = f"https://{domain.host}/.well-known/amend-verification.txt"
    FakeProofSource.files[url] = domain.token + "\n" if body is None else body


def withdraw_proof() -> None:
    FakeProofSource.txt.clear()
    FakeProofSource.files.clear()


def run_check(domain: StoreDomain, capture) -> StoreDomain:
    with capture(execute=True):
        check_domain_task.delay(domain.store_id, domain.pk)
    domain.refresh_from_db()
    return domain


def add(client, host: str):
    return client.post(DOMAINS_URL, {"host": host})


def portal_home(client, host: str = HOST):
    return client.get("/", HTTP_HOST=host)


# Amend's own hosts and names that are no host name


@pytest.mark.parametrize(
    ("allowed", "primary", "host"),
    [
        # the README's deploy recipe: ALLOWED_HOSTS=amend.example.com, PRIMARY_HOSTS left alone
        (["amend.example.com", "testserver"], {"testserver"}, "amend.example.com"),
        (["testserver", "*"], {"testserver", "portal.amend.example"}, "portal.amend.example"),
        (["testserver", ".amend.cloud"], {"testserver"}, "tenant.amend.cloud"),
        (["testserver", ".amend.cloud"], {"testserver"}, "amend.cloud"),
        (["testserver", ".amend.cloud"], {"testserver"}, "deep.down.amend.cloud"),
        # SITE_URL's host, though listed nowhere else
        (["testserver", "*"], {"testserver"}, "Amend.Example.Com."),
    ],
)
def test_no_store_can_claim_amends_own_hosts(client, owner_a, settings, allowed, primary, host):
    settings.ALLOWED_HOSTS, settings.PRIMARY_HOSTS = allowed, frozenset(primary)
    response = add(client, host)
    assert response.status_code == 400
    page = response.content.decode()
    assert "belongs to Amend itself" in page
    assert f'value="{host}"' in page  # the owner's input is kept
    assert not StoreDomain.objects.exists()


def test_claiming_amends_own_host_leaves_amend_working_for_everyone(client, owner_a, settings):
    settings.ALLOWED_HOSTS = ["amend.example.com", "testserver"]
    add(client, "amend.example.com")
    client.logout()
    landing = client.get("/", HTTP_HOST="amend.example.com")
    assert "Let customers fix their own orders" in landing.content.decode()
    for path in ("/app/", "/admin/", "/api/schema/"):
        assert client.get(path, HTTP_HOST="amend.example.com").status_code != 404, path


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "10.1.2.3",
        "[::1]",
        "::1",
        "localhost",
        "shop.localhost",
        "printer.local",
        "intranet",
        "https://orders.example.com/",
        "orders.example.com/portal",
        "orders.example.com:8443",
        "bad_name.example.com",
        "-orders.example.com",
        "orders..example.com",
        "a" * 64 + ".example.com",
        "orders.example.123",
        "",
    ],
)
def test_a_name_that_is_not_a_public_host_name_is_refused(client, owner_a, host):
    response = add(client, host)
    assert response.status_code == 400
    page = response.content.decode()
    assert (
        "Enter a host name like orders.example.com" in page
        or "cannot be reached" in page
        or (host == "" and "This field is required" in page)
    )
    assert not StoreDomain.objects.exists()


def test_an_international_name_is_kept_in_its_ascii_form(client, owner_a, store_a):
    assert add(client, "beställ.exempel.se").status_code == 302
    assert StoreDomain.objects.get(store=store_a).host == "xn--bestll-eua.exempel.se"


# One store per verified host


def test_a_host_another_store_has_verified_cannot_be_added(client, owner_a, store_a, store_b):
    StoreDomain.objects.create(store=store_b, host=HOST, status=Status.VERIFIED, verified_at=timezone.now())
    response = add(client, HOST)
    assert response.status_code == 400
    assert "Another store has verified this host name." in response.content.decode()
    assert f'value="{HOST}"' in response.content.decode()
    assert not StoreDomain.objects.filter(store=store_a).exists()


def test_the_same_host_twice_is_refused(client, owner_a, store_a):
    add(client, HOST)
    response = add(client, HOST.upper())
    assert response.status_code == 400
    assert "You have already added this host name." in response.content.decode()
    assert StoreDomain.objects.filter(store=store_a).count() == 1


def test_a_host_only_pending_elsewhere_can_be_claimed_but_only_the_prover_gets_it(
    client, owner_a, store_a, store_b, django_capture_on_commit_callbacks
):
    squatter = StoreDomain.objects.create(store=store_b, host=HOST)
    assert add(client, HOST).status_code == 302
    mine = StoreDomain.objects.get(store=store_a)
    publish_txt(mine)

    assert run_check(squatter, django_capture_on_commit_callbacks).status == Status.FAILED
    assert run_check(mine, django_capture_on_commit_callbacks).status == Status.VERIFIED
    client.logout()
    assert "Your orders at Alpha Shop" in portal_home(client).content.decode()


def test_when_two_stores_publish_proof_the_first_verified_keeps_the_host(
    client, store_a, store_b, django_capture_on_commit_callbacks
):
    first = StoreDomain.objects.create(store=store_a, host=HOST)
    second = StoreDomain.objects.create(store=store_b, host=HOST)
    publish_txt(first)
    publish_file(second)
    assert run_check(first, django_capture_on_commit_callbacks).status == Status.VERIFIED
    second = run_check(second, django_capture_on_commit_callbacks)
    assert second.status == Status.FAILED
    assert second.last_error == "Another store has verified this host name."
    assert "Your orders at Alpha Shop" in portal_home(client).content.decode()


# Serving only while verified


def test_a_pending_domain_does_not_serve(client, owner_a, store_a):
    assert add(client, HOST).status_code == 302
    client.logout()
    assert StoreDomain.objects.get(store=store_a).status == Status.PENDING
    response = portal_home(client)
    assert response.status_code == 404
    assert "Alpha Shop" not in response.content.decode()
    # Amend's own host is untouched
    assert "Let customers fix their own orders" in client.get("/").content.decode()


def test_a_host_nobody_verified_is_a_404_and_health_checks_still_answer(client):
    assert portal_home(client, "unknown.example.net").status_code == 404
    assert client.get("/healthz", HTTP_HOST="10.0.0.7:8000").status_code == 200


def test_verifying_by_a_dns_txt_record_makes_the_domain_serve(
    client, owner_a, store_a, django_capture_on_commit_callbacks
):
    add(client, HOST)
    domain = StoreDomain.objects.get(store=store_a)
    assert portal_home(client).status_code == 404  # cached as "no store" for a while
    publish_txt(domain)
    domain = run_check(domain, django_capture_on_commit_callbacks)
    assert (domain.status, domain.last_error, domain.failed_checks) == (Status.VERIFIED, "", 0)
    assert domain.verified_at is not None
    assert StoreAuditEvent.objects.for_store(store_a).filter(action="domain.verified", subject=HOST).exists()
    client.logout()
    assert "Your orders at Alpha Shop" in portal_home(client).content.decode()


def test_verifying_by_the_well_known_file_makes_the_domain_serve(
    client, owner_a, store_a, django_capture_on_commit_callbacks
):
    add(client, HOST)
    domain = StoreDomain.objects.get(store=store_a)
    publish_file(domain)
    assert run_check(domain, django_capture_on_commit_callbacks).status == Status.VERIFIED
    client.logout()
    assert "Your orders at Alpha Shop" in portal_home(client).content.decode()


def test_a_proof_with_the_wrong_token_does_not_verify(
    client, owner_a, store_a, store_b, django_capture_on_commit_callbacks
):
    add(client, HOST)
    domain = StoreDomain.objects.get(store=store_a)
    FakeProofSource.txt[f"_amend-challenge.{HOST}"] = ["amend-verification=someone-elses-token"]
    publish_file(domain, body="not the token")
    domain = run_check(domain, django_capture_on_commit_callbacks)
    assert domain.status == Status.FAILED
    assert "does not hold this domain's value" in domain.last_error
    assert "does not hold this domain's token" in domain.last_error
    assert portal_home(client).status_code == 404


def test_losing_the_proof_for_three_checks_in_a_row_stops_the_domain_serving(
    client, store_a, django_capture_on_commit_callbacks
):
    domain = StoreDomain.objects.create(store=store_a, host=HOST)
    publish_txt(domain)
    run_check(domain, django_capture_on_commit_callbacks)
    assert portal_home(client).status_code == 200

    withdraw_proof()
    for _ in range(2):
        domain = run_check(domain, django_capture_on_commit_callbacks)
        assert domain.status == Status.VERIFIED  # one missed check is not yet a loss
        assert "There is no TXT record" in domain.last_error
        assert portal_home(client).status_code == 200
    domain = run_check(domain, django_capture_on_commit_callbacks)
    assert domain.status == Status.LOST
    assert portal_home(client).status_code == 404
    assert StoreAuditEvent.objects.for_store(store_a).filter(action="domain.lost", subject=HOST).exists()

    # the proof back: the domain serves again
    publish_file(domain)
    assert run_check(domain, django_capture_on_commit_callbacks).status == Status.VERIFIED
    assert portal_home(client).status_code == 200


def test_a_missed_check_between_found_ones_starts_the_count_again(
    store_a, django_capture_on_commit_callbacks
):
    domain = StoreDomain.objects.create(store=store_a, host=HOST)
    publish_txt(domain)
    run_check(domain, django_capture_on_commit_callbacks)
    for _ in range(3):
        withdraw_proof()
        run_check(domain, django_capture_on_commit_callbacks)
        run_check(domain, django_capture_on_commit_callbacks)
        publish_txt(domain)
        domain = run_check(domain, django_capture_on_commit_callbacks)
        assert (domain.status, domain.failed_checks) == (Status.VERIFIED, 0)


# Tenancy of the tasks and the page


def test_a_task_given_another_stores_domain_id_does_nothing(
    store_a, store_b, django_capture_on_commit_callbacks
):
    theirs = StoreDomain.objects.create(store=store_b, host="orders.bravo.example")
    publish_txt(theirs)
    with django_capture_on_commit_callbacks(execute=True):
        check_domain_task.delay(store_a.pk, theirs.pk)
    theirs.refresh_from_db()
    assert (theirs.status, theirs.last_checked_at) == (Status.PENDING, None)
    assert FakeProofSource.looked_up == []


def test_check_now_and_remove_on_another_stores_domain_are_404s(client, owner_a, store_b):
    theirs = StoreDomain.objects.create(store=store_b, host="orders.bravo.example")
    assert client.post(DOMAINS_URL, {"check": theirs.pk}).status_code == 404
    assert client.post(DOMAINS_URL, {"remove": theirs.pk}).status_code == 404
    assert client.post(DOMAINS_URL, {"check": "nonsense"}).status_code == 404
    assert StoreDomain.objects.filter(pk=theirs.pk, last_checked_at__isnull=True).exists()


def test_only_store_admins_manage_domains(client, store_a):
    client.force_login(make_member(store_a, Role.ADMIN))
    assert add(client, HOST).status_code == 403
    assert not StoreDomain.objects.exists()


# The settings page


def test_the_page_shows_the_exact_proof_and_check_now_verifies(
    client, owner_a, store_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert add(client, HOST).status_code == 302  # checked at once: no proof yet
    domain = StoreDomain.objects.get(store=store_a)
    page = client.get(SETTINGS_URL).content.decode()
    assert "Not verified" in page
    assert f"_amend-challenge.{HOST}" in page
    assert f"amend-verification={domain.token}" in page
    assert f"https://{HOST}/.well-known/amend-verification.txt" in page
    assert "There is no TXT record" in page
    assert "Last checked" in page

    # some minutes later the owner has published the record
    StoreDomain.objects.filter(pk=domain.pk).update(last_checked_at=timezone.now() - timedelta(minutes=5))
    publish_txt(domain)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(DOMAINS_URL, {"check": domain.pk})
    assert response.status_code == 302
    page = client.get(SETTINGS_URL).content.decode()
    assert "Serving your customer portal" in page
    assert f"amend-verification={domain.token}" not in page  # instructions only while not serving

    # pressed again at once: the check just made stands, nothing is fetched again
    FakeProofSource.looked_up.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(DOMAINS_URL, {"check": domain.pk}, follow=True)
    assert "was checked a moment ago" in response.content.decode()
    assert FakeProofSource.looked_up == []


def test_each_domain_has_its_own_token(client, owner_a, store_a, store_b):
    add(client, HOST)
    theirs = StoreDomain.objects.create(store=store_b, host=HOST)
    mine = StoreDomain.objects.get(store=store_a)
    assert len(mine.token) >= 32 and mine.token != theirs.token


def test_the_page_is_in_swedish_for_a_swedish_owner(client, store_b):
    owner = make_member(store_b, Role.OWNER)
    client.force_login(owner)
    StoreDomain.objects.create(store=store_b, host="orders.bravo.example")
    page = client.get("/app/bravo-shop/settings/", HTTP_ACCEPT_LANGUAGE="sv").content.decode()
    assert "Kontrollera nu" in page
    assert "Inte kontrollerad än" in page


# The sweep


def test_the_sweep_checks_what_is_due_and_leaves_recent_checks_alone(
    store_a, store_b, django_capture_on_commit_callbacks
):
    now = timezone.now()
    never = StoreDomain.objects.create(store=store_a, host="new.alpha.example")
    stale = StoreDomain.objects.create(
        store=store_a, host="stale.alpha.example", status=Status.VERIFIED, verified_at=now
    )
    fresh = StoreDomain.objects.create(
        store=store_b, host="fresh.bravo.example", status=Status.VERIFIED, verified_at=now
    )
    StoreDomain.objects.filter(pk=stale.pk).update(last_checked_at=now - timedelta(hours=25))
    StoreDomain.objects.filter(pk=fresh.pk).update(last_checked_at=now - timedelta(hours=2))
    publish_txt(stale)

    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_domains() == 2
    never.refresh_from_db()
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert never.status == Status.FAILED and never.last_checked_at is not None
    assert stale.status == Status.VERIFIED and stale.last_checked_at > now
    assert fresh.last_checked_at < now
