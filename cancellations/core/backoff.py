"""The one backoff rule for work that is tried again: exponential, with jitter, never sooner than asked."""

from __future__ import annotations

import random


def backoff_seconds(attempt: int, *, base: float, cap: float, retry_after: float | None = None) -> float:
    """Seconds to wait before try `attempt + 1` (1-based `attempt`).

    The ceiling doubles with each attempt from `base` up to `cap`; the wait is drawn from the upper half
    of it ("equal jitter"), so retries spread out but never collapse to zero. A platform's own
    `retry_after` is a floor.
    """
    ceiling = min(cap, base * 2 ** max(attempt - 1, 0))
    return max(retry_after or 0.0, random.uniform(ceiling / 2, ceiling))
