"""Host names: which are Amend's own, which a store may claim, and the proof a store publishes.

Amend's own hosts are every `PRIMARY_HOSTS` and `ALLOWED_HOSTS` entry and `SITE_URL`'s host. An entry
with a leading dot (`.example.com`) covers that name and every name under it, as it does for Django;
`*` covers nothing here (it only tells Django to let any host through). No store can claim an own
host, and requests to one are never looked up as a store's domain.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

from tenants.errors import DomainError, TenantErrorCode

CHALLENGE_LABEL = "_amend-challenge"
CHALLENGE_PREFIX = "amend-verification="
WELL_KNOWN_PATH = "/.well-known/amend-verification.txt"
# The TXT record's name (`_amend-challenge.` + host) must itself fit in a DNS name's 253 characters.
MAX_HOST_LENGTH = 253 - len(CHALLENGE_LABEL) - 1

_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
# Names that never reach a store on the public internet (RFC 6761, RFC 6762, RFC 8375 and friends).
_RESERVED_SUFFIXES = ("localhost", "local", "internal", "invalid", "home.arpa", "arpa", "onion")


@dataclass(frozen=True)
class OwnHosts:
    names: frozenset[str]
    suffixes: tuple[str, ...]

    def __contains__(self, host: object) -> bool:
        if not isinstance(host, str):
            return False
        host = host.lower().rstrip(".")
        return host in self.names or any(host == s or host.endswith(f".{s}") for s in self.suffixes)


def own_hosts() -> OwnHosts:
    """Amend's own host names, read from settings each time (tests and deployments change them)."""
    names: set[str] = set()
    suffixes: set[str] = set()
    site_host = urlsplit(settings.SITE_URL).hostname or ""
    for entry in [*settings.PRIMARY_HOSTS, *settings.ALLOWED_HOSTS, site_host]:
        entry = entry.strip().lower().rstrip(".")
        if not entry or entry == "*":
            continue
        if entry.startswith("."):
            suffixes.add(entry.lstrip("."))
        else:
            names.add(entry)
    return OwnHosts(names=frozenset(names), suffixes=tuple(sorted(suffixes)))


def is_own_host(host: str) -> bool:
    return host in own_hosts()


def normalise_host(raw: str) -> str:
    """The host name as stored: lower case, no trailing dot, international names in their ASCII form."""
    host = raw.strip().lower().rstrip(".")
    try:
        return host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:
        return host


def _is_dns_name(host: str) -> bool:
    labels = host.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        return False
    # A name whose last label is all digits is an IPv4 address in disguise (or no name at all).
    return not labels[-1].isdigit()


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def claimable_host(raw: str) -> str:
    """The host name a store may add, normalised; DomainError (field `host`) for anything else."""
    host = normalise_host(raw)
    if not host or _is_ip_literal(host) or len(host) > MAX_HOST_LENGTH or not _is_dns_name(host):
        raise DomainError(
            "Enter a host name like orders.example.com (not an IP address, no http:// or path).",
            code=TenantErrorCode.INVALID_HOST,
            field="host",
        )
    if any(host == s or host.endswith(f".{s}") for s in _RESERVED_SUFFIXES):
        raise DomainError(
            "That host name cannot be reached on the internet; use a domain of yours.",
            code=TenantErrorCode.INVALID_HOST,
            field="host",
        )
    if is_own_host(host):
        raise DomainError(
            "That host name belongs to Amend itself and cannot be used as a store's domain.",
            code=TenantErrorCode.HOST_RESERVED,
            field="host",
        )
    return host


@dataclass(frozen=True)
class Proof:
    """What the store publishes to prove it owns a host: either one is enough."""

    txt_name: str
    txt_value: str
    file_url: str
    file_content: str


def proof_for(*, host: str, token: str) -> Proof:
    return Proof(
        txt_name=f"{CHALLENGE_LABEL}.{host}",
        txt_value=f"{CHALLENGE_PREFIX}{token}",
        file_url=f"https://{host}{WELL_KNOWN_PATH}",
        file_content=token,
    )
