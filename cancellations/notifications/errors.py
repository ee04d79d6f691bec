"""The codes of what Amend tells people and systems: Slack, staff alerts and the store's own webhooks."""

from __future__ import annotations

from tenants.errors import ErrorCode

__all__ = ["NotificationErrorCode"]


class NotificationErrorCode(ErrorCode):
    """Notifications and the outgoing webhooks to a store's own endpoints (too many is `too_many`)."""

    ENDPOINT_INVALID = (
        "endpoint_invalid",
        "A webhook endpoint is not valid: not a public https:// address, or no known events.",
        None,
    )
    SLACK_REFUSED = "slack_refused", "Slack refused the message (kept on the notification).", None
    SLACK_NOT_CONFIGURED = "slack_not_configured", "The store no longer has a Slack webhook.", None
