"""Slow password guessing down without ever locking the account's owner out.

allauth's own `login_failed` limit refuses every sign-in to an account after five failures, the
right password too, so anyone who knows a staff member's email could keep them out. Instead,
failures are counted per account *and* client address: the first SIGN_IN_FREE_FAILURES cost
nothing, after that each failure makes that address wait twice as long before its next try, up to
SIGN_IN_MAX_DELAY_SECONDS. An address that has not been failing is never slowed, so the owner
signs in from their own network while an attacker elsewhere waits; the same address may try again
after the wait; a password reset forgets every count for the account. The counts live in the
shared cache, one entry per account, and are forgotten SIGN_IN_FORGET_AFTER_SECONDS after the last
failure. Two racing failures may count once: that allows a guess more, never a lockout.
"""

from __future__ import annotations

import hashlib
import math
import time

from django.conf import settings
from django.core.cache import cache

# One account's entry keeps this many addresses (those that failed most recently).
_MAX_ADDRESSES = 200


def _key(login: str) -> str:
    return "signin-failures:" + hashlib.sha256(login.strip().lower().encode()).hexdigest()


def _delay(failures: int) -> float:
    over = failures - settings.SIGN_IN_FREE_FAILURES
    if over <= 0:
        return 0.0
    return float(min(settings.SIGN_IN_MAX_DELAY_SECONDS, 2 ** (over - 1)))


def wait_seconds(*, login: str, ip: str) -> int:
    """How long this address must wait before its next try for this account (0: it may try now)."""
    entry: dict[str, list[float]] = cache.get(_key(login)) or {}
    failures, last = entry.get(ip, (0, 0.0))
    remaining = last + _delay(int(failures)) - time.time()
    return math.ceil(remaining) if remaining > 0 else 0


def record_failure(*, login: str, ip: str) -> None:
    key = _key(login)
    entry: dict[str, list[float]] = cache.get(key) or {}
    failures, _last = entry.get(ip, (0, 0.0))
    entry[ip] = [int(failures) + 1, time.time()]
    if len(entry) > _MAX_ADDRESSES:
        for stale in sorted(entry, key=lambda address: entry[address][1])[: len(entry) - _MAX_ADDRESSES]:
            del entry[stale]
    cache.set(key, entry, settings.SIGN_IN_FORGET_AFTER_SECONDS)


def record_success(*, login: str, ip: str) -> None:
    """The right password from this address: its count starts again (other addresses keep theirs)."""
    key = _key(login)
    entry: dict[str, list[float]] | None = cache.get(key)
    if entry and ip in entry:
        del entry[ip]
        cache.set(key, entry, settings.SIGN_IN_FORGET_AFTER_SECONDS)


def forget(*, login: str) -> None:
    """Forget every count for the account (after a password reset)."""
    cache.delete(_key(login))
