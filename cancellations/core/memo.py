"""Reads asked for more than once while one request is served, answered once within it.

A page about an order asks for the store's policy in several places (what it offers, the limits, the
refund summary). Inside `memo_scope()` (the web middleware opens one per request) the first answer is
kept for the rest of the scope; outside one (tasks, the shell, tests calling services) nothing is
kept and every call reads afresh. A writer calls `forget` for what it changed.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

T = TypeVar("T")

_scope: ContextVar[dict[Hashable, Any] | None] = ContextVar("amend_request_memo", default=None)


@contextmanager
def memo_scope() -> Iterator[None]:
    """Keep answers to `memoized` calls until the block ends."""
    token = _scope.set({})
    try:
        yield
    finally:
        _scope.reset(token)


def memoized(key: Hashable, compute: Callable[[], T]) -> T:
    """The answer kept under `key` in the current scope, or `compute()` (kept if there is a scope)."""
    scope = _scope.get()
    if scope is None:
        return compute()
    if key not in scope:
        scope[key] = compute()
    return scope[key]


def forget(key: Hashable) -> None:
    """Drop what the current scope keeps under `key` (after a write that changes it)."""
    scope = _scope.get()
    if scope is not None:
        scope.pop(key, None)
