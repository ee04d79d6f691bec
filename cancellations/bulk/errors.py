"""The codes of bulk cancellation: choosing the orders, starting and steering a job."""

from __future__ import annotations

from tenants.errors import ErrorCode

__all__ = ["BulkErrorCode"]


class BulkErrorCode(ErrorCode):
    """Bulk cancellation (the store's connection to Shopify is `platform_not_connected`)."""

    FILTER_INVALID = (
        "filter_invalid",
        "A filter is not valid (unknown status or risk, or a range the wrong way).",
        None,
    )
    SELECTION_INVALID = (
        "selection_invalid",
        "Orders are chosen neither by a filter nor by their numbers.",
        None,
    )
    NUMBERS_EMPTY = "numbers_empty", "No order numbers were pasted.", None
    TOO_MANY_ORDERS = "too_many_orders", "More orders are chosen than one job may cancel.", None
    AMOUNT_INVALID = "amount_invalid", "An amount is not a number.", None
    START_KEY_INVALID = (
        "start_key_invalid",
        "The form's start key is missing or too long: preview again.",
        None,
    )
    REASON_INVALID = "reason_invalid", "Not one of the reasons for a bulk cancellation.", None
    REFUND_METHOD_INVALID = "refund_method_invalid", "Not one of the ways to refund.", None
    NOTE_TOO_LONG = "note_too_long", "The staff note is over 255 characters.", None
    NOTHING_TO_CANCEL = "nothing_to_cancel", "None of the chosen orders can be cancelled.", None
    BULK_JOB_STATE = (
        "bulk_job_state",
        "The job's state does not allow this (e.g. resuming a job that is not paused).",
        None,
    )
