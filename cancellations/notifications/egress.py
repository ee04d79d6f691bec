"""Sending to addresses a store gave us (its webhook endpoints) without reaching Amend's own network.

A host name is resolved once; every address it resolves to must be public, an IPv6 address that
carries an IPv4 one (IPv4-mapped, IPv4-compatible, NAT64 `64:ff9b::/96` and `64:ff9b:1::/48`, 6to4
`2002::/16`, Teredo `2001::/32`) only if the IPv4 inside is public too; then the connection is made to
exactly the address checked, with the name kept for `Host` and for TLS (SNI and the certificate check),
so a second lookup cannot answer differently (DNS rebinding). Proxies from the environment are ignored.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Mapping
from urllib.parse import urlsplit, urlunsplit

import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]

_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_SIX_TO_FOUR = ipaddress.ip_network("2002::/16")


class AddressRefused(Exception):
    """The host does not resolve, or resolves to an address Amend must not send to."""


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one stands for, where it carries one."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.teredo is not None:
        return address.teredo[1]
    packed = address.packed
    if address in _SIX_TO_FOUR:
        return ipaddress.IPv4Address(packed[2:6])
    if any(address in network for network in _NAT64) or (
        packed[:12] == bytes(12) and int(address) > 1  # IPv4-compatible ::a.b.c.d (deprecated)
    ):
        return ipaddress.IPv4Address(packed[12:16])
    return None


def is_public(address: IPAddress) -> bool:
    """Whether an address is on the public internet, looking inside IPv6 forms that carry IPv4."""
    if not address.is_global or address.is_multicast:
        return False
    if isinstance(address, ipaddress.IPv6Address):
        inner = embedded_ipv4(address)
        if inner is not None:
            return is_public(inner)
    return True


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def checked_address(
    host: str, port: int, *, allow_private: bool, resolve: Resolver = system_resolver
) -> IPAddress:
    """The address to connect to: the first the host resolves to, all of them checked."""
    try:
        addresses = [ipaddress.ip_address(a.split("%")[0]) for a in resolve(host, port)]
    except (OSError, UnicodeError, ValueError):
        raise AddressRefused(f"{host} does not resolve") from None
    if not addresses:
        raise AddressRefused(f"{host} does not resolve")
    if not allow_private:
        refused = [str(a) for a in addresses if not is_public(a)]
        if refused:
            raise AddressRefused(f"{host} resolves to an address that is not public ({refused[0]})")
    return addresses[0]


def _pinned(url: str, *, allow_private: bool, resolve: Resolver) -> tuple[str, str, str]:
    """The URL with its host replaced by the checked address, the `Host` header, and the name for TLS."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    address = checked_address(host, port, allow_private=allow_private, resolve=resolve)
    literal = f"[{address}]" if address.version == 6 else str(address)
    netloc = f"{literal}:{parts.port}" if parts.port else literal
    target = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
    host_header = f"{host}:{parts.port}" if parts.port else host
    return target, host_header, host


def post(
    url: str,
    *,
    content: bytes,
    headers: Mapping[str, str],
    timeout: float,
    allow_private: bool,
    resolve: Resolver = system_resolver,
    transport: httpx.BaseTransport | None = None,
) -> httpx.Response:
    """POST to `url`, connecting to the address its host was checked to have."""
    target, host_header, host = _pinned(url, allow_private=allow_private, resolve=resolve)
    with httpx.Client(
        trust_env=False, follow_redirects=False, timeout=timeout, transport=transport
    ) as client:
        request = client.build_request(
            "POST",
            target,
            content=content,
            headers={**headers, "Host": host_header},
            extensions={"sni_hostname": host},
        )
        return client.send(request)


class ResponseTooLarge(Exception):
    """The answer's body is longer than the caller allows."""


def get(
    url: str,
    *,
    timeout: float,
    max_bytes: int,
    allow_private: bool,
    resolve: Resolver = system_resolver,
    transport: httpx.BaseTransport | None = None,
) -> tuple[int, bytes]:
    """GET `url` (no redirects followed) and return its status and body, reading at most `max_bytes`."""
    target, host_header, host = _pinned(url, allow_private=allow_private, resolve=resolve)
    with httpx.Client(
        trust_env=False, follow_redirects=False, timeout=timeout, transport=transport
    ) as client:
        request = client.build_request(
            "GET", target, headers={"Host": host_header}, extensions={"sni_hostname": host}
        )
        response = client.send(request, stream=True)
        try:
            body = b""
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > max_bytes:
                    raise ResponseTooLarge(f"{url} answered more than {max_bytes} bytes")
            return response.status_code, body
        finally:
            response.close()
