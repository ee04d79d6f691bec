"""The network proof source: the well-known file only from public addresses over HTTPS, small and
without redirects; TXT records read whole; every failure a sentence the store's owner can act on."""

from __future__ import annotations

import importlib

import dns.exception
import dns.resolver
import httpx
import pytest

from cancellations.hosts.checks import FILE_MAX_BYTES, NetworkProofSource, ProofUnavailable, find_proof
from tenants.models import StoreDomain

URL = "https://orders.alpha.example/.well-known/amend-verification.txt"
PUBLIC = ["93.184.216.34"]


def source(handler, addresses=PUBLIC, dns_resolver=None) -> NetworkProofSource:
    return NetworkProofSource(
        resolve=lambda host, port: list(addresses),
        transport=httpx.MockTransport(handler),
        dns_resolver=dns_resolver,
    )


def test_the_file_is_fetched_from_the_checked_address_with_the_host_name_kept():
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((str(request.url), request.headers["Host"], request.extensions.get("sni_hostname")))
        return httpx.Response(200, text="the-token\n")

    assert source(handler).well_known_file(URL) == "the-token\n"
    assert seen == [
        (
            "https://93.184.216.34/.well-known/amend-verification.txt",
            "orders.alpha.example",
            "orders.alpha.example",
        )
    ]


@pytest.mark.parametrize(
    ("addresses", "handler", "message"),
    [
        (["10.0.0.5"], lambda r: httpx.Response(200, text="t"), "is not on a public address"),
        (["169.254.169.254"], lambda r: httpx.Response(200, text="t"), "is not on a public address"),
        (PUBLIC, lambda r: httpx.Response(302, headers={"Location": "https://evil.example/"}), "redirect"),
        (PUBLIC, lambda r: httpx.Response(404), "answered 404"),
        (PUBLIC, lambda r: httpx.Response(200, content=b"x" * (FILE_MAX_BYTES + 1)), "longer than"),
    ],
)
def test_a_file_that_cannot_count_as_proof_says_why(addresses, handler, message):
    with pytest.raises(ProofUnavailable, match=message):
        source(handler, addresses).well_known_file(URL)


def test_a_connection_failure_is_a_reason_not_a_crash():
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused")

    with pytest.raises(ProofUnavailable, match="could not be fetched over HTTPS"):
        source(handler).well_known_file(URL)


class FakeTxt:
    def __init__(self, *strings: bytes) -> None:
        self.strings = strings


class FakeResolver:
    lifetime = 0.0

    def __init__(self, answer=None, error=None) -> None:
        self.answer, self.error, self.asked = answer, error, []

    def resolve(self, name, rdtype):
        self.asked.append((name, rdtype))
        if self.error:
            raise self.error
        return self.answer


def test_txt_values_are_read_whole_even_when_split_into_strings():
    resolver = FakeResolver(answer=[FakeTxt(b"amend-verification=", b"abc"), FakeTxt(b"v=spf1 -all")])
    found = find_proof(
        host="orders.alpha.example",
        token="abc",
        source=source(lambda r: httpx.Response(404), dns_resolver=resolver),
    )
    assert (found.found, found.method) == (True, "dns")
    assert resolver.asked == [("_amend-challenge.orders.alpha.example", "TXT")]
    assert resolver.lifetime == 5.0


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (dns.resolver.NXDOMAIN(), "There is no TXT record at _amend-challenge.orders.alpha.example"),
        (dns.resolver.NoAnswer(), "There is no TXT record"),
        (dns.exception.Timeout(), "timed out"),
        (dns.resolver.NoNameservers(), "failed"),
    ],
)
def test_a_failed_lookup_of_both_proofs_gives_both_reasons(error, message):
    outcome = find_proof(
        host="orders.alpha.example",
        token="abc",
        source=source(lambda r: httpx.Response(404), dns_resolver=FakeResolver(error=error)),
    )
    assert not outcome.found
    assert message in outcome.error
    assert "answered 404" in outcome.error
    assert len(outcome.error) <= 200


@pytest.mark.django_db
def test_the_migration_gives_every_existing_domain_its_own_token_and_leaves_it_pending(store_a, store_b):
    migration = importlib.import_module("tenants.migrations.0004_store_domain_verification")
    one = StoreDomain.objects.create(store=store_a, host="one.example.com", token="same")
    two = StoreDomain.objects.create(store=store_b, host="two.example.com", token="same")
    from django.apps import apps

    migration.give_each_domain_its_own_token(apps, None)
    one.refresh_from_db()
    two.refresh_from_db()
    assert one.token != "same" and two.token != "same" and one.token != two.token
    assert one.status == two.status == StoreDomain.Status.PENDING
