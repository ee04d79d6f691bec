"""The codes of the support queue's settings."""

from __future__ import annotations

from tenants.errors import ErrorCode

__all__ = ["QueueErrorCode"]


class QueueErrorCode(ErrorCode):
    """The support queue."""

    RESPONSE_TARGET_INVALID = (
        "response_target_invalid",
        "The response target is not a whole number of hours in the allowed range.",
        None,
    )
