"""The address a request came from, read through the number of proxies the deployment trusts.

`X-Forwarded-For` lists the addresses each proxy saw, the client's first; anyone can send the header,
so only the entries our own proxies appended are believed. With TRUSTED_PROXY_COUNT = n the client
is the n-th entry from the right (each of our n proxies appended one). With 0 (the default, for a
server that faces the internet directly) the header is ignored and REMOTE_ADDR is the client.
Sign-in throttling, allauth's rate limits, the API's throttle and the security log all use this.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _clean(value: str) -> str | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:
        value = value[1 : value.index("]")]  # [IPv6]:port
    elif value.count(":") == 1:
        value = value.split(":", 1)[0]  # IPv4:port
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    """The client's address as our trusted proxies report it (REMOTE_ADDR when none is trusted)."""
    remote = request.META.get("REMOTE_ADDR") or ""
    trusted = settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if trusted > 0 and forwarded:
        hops = [hop for hop in forwarded.split(",") if hop.strip()]
        if hops:
            # Fewer entries than trusted proxies: every entry was added by our own proxies, and the
            # first is the client as the outermost one saw it.
            found = _clean(hops[-trusted] if len(hops) >= trusted else hops[0])
            if found is not None:
                return found
    return _clean(remote) if remote else None
