"""The codes of holding fulfilment during the change window."""

from __future__ import annotations

from tenants.errors import ErrorCode

__all__ = ["HoldErrorCode"]


class HoldErrorCode(ErrorCode):
    """Fulfilment holds."""

    HOLD_NOT_ACTIVE = (
        "hold_not_active",
        "The order's fulfilment is not held (any more): it was released or never placed.",
        409,
    )
