"""Builders and fakes for the request tests: requests made through the services, scripted platforms."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.test.utils import CaptureQueriesContext  # noqa: F401 - re-exported for tests

from cancellations.models import Order, OrderRequest
from cancellations.platforms.base import (
    CancelRequest,
    CancelResult,
    EditRequest,
    EditResult,
    OrderSnapshot,
    PermanentPlatformError,
    PlatformAdapter,
    ReorderRequest,
    ReorderResult,
    TransientPlatformError,
)
from cancellations.platforms.builtin import BuiltinAdapter
from cancellations.platforms.errors import PlatformErrorCode
from cancellations.policy import ApprovalRules, StorePolicy
from cancellations.policy.services import save_policy
from cancellations.requests.actors import Actor
from cancellations.requests.submission import submit_request
from tenants.access import staff_access
from tenants.models import Store
from tenants.roles import Role
from tests.factories import make_member, make_order

_keys = itertools.count(1)


def key() -> str:
    return f"key-{next(_keys)}-{uuid.uuid4().hex[:8]}"


def staff_actor(store: Store, role: str = Role.AGENT) -> Actor:
    user = make_member(store, role)
    access = staff_access(user=user, store=store)
    assert access is not None
    return Actor.staff(access)


def review_everything(store: Store) -> None:
    """A policy under which every cancellation and edit goes to staff."""
    policy = StorePolicy()
    always = ApprovalRules(always=True)
    from dataclasses import replace

    policy = replace(
        policy,
        cancel=replace(policy.cancel, approval=always),
        edit_address=replace(policy.edit_address, approval=always),
        reorder=replace(policy.reorder, approval=always),
    )
    save_policy(store=store, actor=None, policy=policy)


def pending_request(store: Store, order: Order | None = None, **fields: Any) -> OrderRequest:
    """A cancellation waiting for review (the store reviews every one)."""
    review_everything(store)
    order = order or make_order(store)
    request = submit_request(
        store=store,
        order=order,
        actor=Actor.customer(order.email),
        kind=fields.pop("kind", "cancel"),
        idempotency_key=key(),
        **{"reason_code": "changed_mind", **fields},
    )
    assert request.status == "pending_review", request.decision
    return request


@dataclass
class ScriptedPlatform:
    """A platform in front of the built-in store that fails as scripted, call by call.

    Each script entry is "ok", "transient", "permanent", or "lost" (carry the effect out, then fail
    transiently, as if the answer never came back).
    """

    script: list[str] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)

    def __call__(self, store: Store) -> PlatformAdapter:
        return _ScriptedAdapter(store, self)

    def next(self) -> str:
        return self.script.pop(0) if self.script else "ok"


class _ScriptedAdapter(BuiltinAdapter):
    def __init__(self, store: Store, platform: ScriptedPlatform) -> None:
        super().__init__(store)
        self.platform = platform

    def _run(self, name: str, call: Callable[[], Any]) -> Any:
        step = self.platform.next()
        self.platform.calls.append(f"{name}:{step}")
        if step == "transient":
            raise TransientPlatformError("The platform answered 503.", code="platform_unavailable")
        if step == "permanent":
            raise PermanentPlatformError("The platform refused: order is locked.", code="order_locked")
        if step == "held":
            raise TransientPlatformError(
                "This change is being carried out by another worker.",
                code=PlatformErrorCode.EFFECT_IN_PROGRESS,
                retry_after=5,
            )
        result = call()
        if step == "lost":
            raise TransientPlatformError("The platform did not answer in time.", code="timeout")
        return result

    def cancel(self, request: CancelRequest, *, idempotency_key: str) -> CancelResult:
        return self._run(
            "cancel", lambda: super(_ScriptedAdapter, self).cancel(request, idempotency_key=idempotency_key)
        )

    def edit(self, request: EditRequest, *, idempotency_key: str) -> EditResult:
        return self._run(
            "edit", lambda: super(_ScriptedAdapter, self).edit(request, idempotency_key=idempotency_key)
        )

    def create_reorder(self, request: ReorderRequest, *, idempotency_key: str) -> ReorderResult:
        return self._run(
            "reorder",
            lambda: super(_ScriptedAdapter, self).create_reorder(request, idempotency_key=idempotency_key),
        )

    def fetch_order(self, order_platform_id: str, *, idempotency_key: str) -> OrderSnapshot:
        return super().fetch_order(order_platform_id, idempotency_key=idempotency_key)


SCRIPTED = ScriptedPlatform()


def scripted_adapter(store: Store) -> PlatformAdapter:
    """The factory the settings point at in tests that script the platform (see `scripted` fixture)."""
    return SCRIPTED(store)


@contextmanager
def scripted(settings: Any, *steps: str) -> Iterator[ScriptedPlatform]:
    SCRIPTED.script[:] = list(steps)
    SCRIPTED.calls.clear()
    settings.REQUEST_ADAPTER_FACTORY = "tests.requests.helpers.scripted_adapter"
    yield SCRIPTED
    SCRIPTED.script.clear()
