"""The codes of Insights, the figures of a period."""

from __future__ import annotations

from tenants.errors import ErrorCode

__all__ = ["InsightErrorCode"]


class InsightErrorCode(ErrorCode):
    """Insights."""

    INVALID_PERIOD = "invalid_period", "The period ends before it starts, or is longer than 731 days.", 400
