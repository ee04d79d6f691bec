"""A platform that misbehaves for a while, for the fault tests' worker (see fault_settings.py).

In front of the store's real adapter (the built-in store), while `time.time() < AMEND_FAULTS_UNTIL`:
a share of calls fail with a 503 before reaching the platform, a share time out after a pause, and a
share are carried out but their answer is lost (the worst case for exactly-once). Outside that time,
every call pauses `AMEND_FAULTS_LATENCY` seconds after the platform has acted, so a worker killed at
random is often killed between the effect and the record of it.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable
from typing import Any

from cancellations.platforms import get_adapter
from cancellations.platforms.base import (
    CancelRequest,
    CancelResult,
    EditRequest,
    EditResult,
    OrderSnapshot,
    PlatformAdapter,
    ReorderRequest,
    ReorderResult,
    TransientPlatformError,
)
from tenants.models import Store


def _setting(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


class FaultyAdapter(PlatformAdapter):
    platform = "faulty"

    def __init__(self, store: Store) -> None:
        super().__init__(store)
        self.inner = get_adapter(store)

    def _call(self, call: Callable[[], Any]) -> Any:
        if time.time() >= _setting("AMEND_FAULTS_UNTIL", 0):
            result = call()
            # A pause after the effect is in and before the request is marked: where a kill hurts most.
            time.sleep(_setting("AMEND_FAULTS_LATENCY", 0))
            return result
        roll = random.random()
        unavailable = _setting("AMEND_FAULTS_UNAVAILABLE", 0.3)
        timeout = unavailable + _setting("AMEND_FAULTS_TIMEOUT", 0.1)
        lost = timeout + _setting("AMEND_FAULTS_LOST", 0.2)
        if roll < unavailable:
            raise TransientPlatformError("The platform answered 503.", code="platform_unavailable")
        if roll < timeout:
            time.sleep(0.3)
            raise TransientPlatformError("The platform did not answer in time.", code="platform_timeout")
        result = call()
        if roll < lost:
            raise TransientPlatformError("The answer was lost on the way back.", code="platform_timeout")
        return result

    def fetch_order(self, order_platform_id: str, *, idempotency_key: str) -> OrderSnapshot:
        return self._call(lambda: self.inner.fetch_order(order_platform_id, idempotency_key=idempotency_key))

    def cancel(self, request: CancelRequest, *, idempotency_key: str) -> CancelResult:
        return self._call(lambda: self.inner.cancel(request, idempotency_key=idempotency_key))

    def edit(self, request: EditRequest, *, idempotency_key: str) -> EditResult:
        return self._call(lambda: self.inner.edit(request, idempotency_key=idempotency_key))

    def create_reorder(self, request: ReorderRequest, *, idempotency_key: str) -> ReorderResult:
        return self._call(lambda: self.inner.create_reorder(request, idempotency_key=idempotency_key))

    def poll_job(self, job_id: str, *, idempotency_key: str) -> CancelResult:
        return self._call(lambda: self.inner.poll_job(job_id, idempotency_key=idempotency_key))
