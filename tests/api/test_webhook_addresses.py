"""Where outgoing webhooks may go: public addresses only, in every form an address can be written, and
the connection goes to the very address that was checked (no second lookup to rebind)."""

from __future__ import annotations

import ipaddress

import httpx
import pytest

from cancellations.notifications import egress
from cancellations.notifications.webhooks import EndpointInvalid, check_endpoint_url

NOT_PUBLIC = [
    "127.0.0.1",
    "10.0.0.5",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",  # cloud metadata
    "100.64.0.1",  # carrier-grade NAT
    "0.0.0.0",  # noqa: S104 - an address to refuse, not one to bind
    "::1",
    "::",
    "fe80::1",
    "fc00::1",
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:169.254.169.254",
    "::127.0.0.1",  # IPv4-compatible
    "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
    "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
    "64:ff9b:1::a9fe:a9fe",  # local-use NAT64
    "2002:7f00:1::",  # 6to4 of 127.0.0.1
    "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
    "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo whose client is 127.0.0.1
    "ff02::1",
    "224.0.0.1",
]
PUBLIC = ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "64:ff9b::5db8:d822", "2002:5db8:d822::1"]


@pytest.mark.parametrize("address", NOT_PUBLIC)
def test_every_form_of_a_private_loopback_or_metadata_address_is_refused(address):
    assert not egress.is_public(ipaddress.ip_address(address))
    with pytest.raises(egress.AddressRefused):
        egress.checked_address("hooks.example.com", 443, allow_private=False, resolve=lambda h, p: [address])


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_pass(address):
    assert egress.is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://[64:ff9b::a9fe:a9fe]/hook",
        "https://[2002:7f00:1::]/hook",
        "https://[::127.0.0.1]/hook",
        "https://2130706433/hook",  # 127.0.0.1 as one decimal number
        "https://0x7f000001/hook",
        "https://0177.0.0.1/hook",
        "https://localhost/hook",
    ],
)
def test_an_endpoint_url_on_a_non_public_address_is_refused(url, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    with pytest.raises(EndpointInvalid):
        check_endpoint_url(url)


def test_one_private_answer_among_public_ones_is_enough_to_refuse():
    with pytest.raises(egress.AddressRefused):
        egress.checked_address(
            "hooks.example.com", 443, allow_private=False, resolve=lambda h, p: ["93.184.216.34", "10.0.0.1"]
        )


def test_the_sender_connects_to_the_address_it_checked_keeping_the_name():
    answers = iter([["93.184.216.34"], ["127.0.0.1"]])  # a rebinding resolver: the second answer differs
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    response = egress.post(
        "https://hooks.example.com:8443/amend?x=1",
        content=b"{}",
        headers={"Content-Type": "application/json"},
        timeout=5,
        allow_private=False,
        resolve=lambda host, port: next(answers),
        transport=httpx.MockTransport(handler),
    )

    assert response.status_code == 204
    [request] = seen
    assert (request.url.host, request.url.port, request.url.path, request.url.query) == (
        "93.184.216.34",
        8443,
        "/amend",
        b"x=1",
    )
    assert request.headers["Host"] == "hooks.example.com:8443"
    assert request.extensions["sni_hostname"] == "hooks.example.com"


def test_an_ipv6_address_is_connected_to_in_brackets():
    seen: list[httpx.Request] = []
    egress.post(
        "https://hooks.example.com/h",
        content=b"{}",
        headers={},
        timeout=5,
        allow_private=False,
        resolve=lambda host, port: ["2606:2800:220:1:248:1893:25c8:1946"],
        transport=httpx.MockTransport(lambda r: seen.append(r) or httpx.Response(200)),
    )
    assert seen[0].url.host == "2606:2800:220:1:248:1893:25c8:1946"
    assert seen[0].headers["Host"] == "hooks.example.com"


def test_a_name_that_does_not_resolve_is_refused():
    def nothing(host: str, port: int) -> list[str]:
        raise OSError("no such name")

    with pytest.raises(egress.AddressRefused):
        egress.checked_address("nowhere.invalid", 443, allow_private=False, resolve=nothing)
