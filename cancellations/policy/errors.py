"""Errors of the store policy: it failed validation, or its stored data has a value of the wrong kind.

Every domain error in Amend subclasses `tenants.errors.DomainError` (a stable `code`, a human `message`,
an optional `field`). `PolicyErrorCode` is the catalogue of the policy's codes, including the one per
field that the policy's checks (validation.py) and the customer's reason give.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from tenants.errors import DomainError, ErrorCode

if TYPE_CHECKING:
    from cancellations.policy.validation import FieldError

__all__ = ["PolicyDataError", "PolicyErrorCode", "PolicyInvalid"]


class PolicyErrorCode(ErrorCode):
    """The store policy: saving it (one code per field at fault) and the reason a customer gives."""

    POLICY_INVALID = (
        "policy_invalid",
        "The policy failed its checks; each field at fault has its own code.",
        400,
    )
    POLICY_DATA_INVALID = (
        "policy_data_invalid",
        "Policy data has a value of the wrong kind (not an object).",
        400,
    )
    NEGATIVE = "negative", "An amount or a grace period is below zero.", 400
    TOO_PRECISE = "too_precise", "An amount has more than two decimal places.", 400
    OUT_OF_RANGE = (
        "out_of_range",
        "A percentage, window, grace, withdrawal period or hold length is outside its range.",
        400,
    )
    TOO_LONG = "too_long", "A text or a list is longer than allowed.", None
    UNKNOWN_STATUS = "unknown_status", "A payment or shipping status that orders do not have.", 400
    UNKNOWN_RISK_LEVEL = "unknown_risk_level", "A risk level that orders do not have.", 400
    UNKNOWN_LANGUAGE = "unknown_language", "A label or message in a language Amend does not offer.", 400
    INVALID_TIME = "invalid_time", "A daily cut-off is not a 24-hour time like 14:00.", 400
    INVALID_CODE = "invalid_code", "A reason code or a discount code is not written as allowed.", 400
    DUPLICATE_REASON = "duplicate_reason", "Two reasons have the same code.", 400
    UNKNOWN_REASON = "unknown_reason", "A fee waiver names a reason the store does not have.", 400
    NOTHING_TO_GIVE = (
        "nothing_to_give",
        "A reason is required but there are no reasons to choose and no box for the customer's own words.",
        400,
    )
    SHIPPED_NOT_CANCELLABLE = (
        "shipped_not_cancellable",
        "The cancel action allows shipped orders, which cannot be cancelled.",
        400,
    )
    SHIPPED_NOT_EDITABLE = (
        "shipped_not_editable",
        "A change action allows shipped orders, which cannot be changed.",
        400,
    )
    GRACE_WITHOUT_WINDOW = (
        "grace_without_window",
        "A grace period is set but the action has no time window.",
        400,
    )
    MAX_BELOW_MIN = "max_below_min", "The maximum fee is below the minimum.", 400
    BONUS_WITHOUT_STORE_CREDIT = (
        "bonus_without_store_credit",
        "A store-credit bonus is set but store credit is not a refund method.",
        400,
    )
    BELOW_LEGAL_MINIMUM = "below_legal_minimum", "The withdrawal period is under the legal 14 days.", 400
    REASON_UNKNOWN = "reason_unknown", "The customer's reason is not one of the store's reasons.", None
    NOT_ACCEPTED = "not_accepted", "The customer wrote a reason but the store does not take one.", None


class PolicyInvalid(DomainError):
    """A store policy failed validation; `errors` says which fields and why."""

    code = PolicyErrorCode.POLICY_INVALID

    def __init__(self, errors: Sequence[FieldError]) -> None:
        super().__init__(str(_("The policy has errors; please correct the fields marked.")))
        self.errors: tuple[FieldError, ...] = tuple(errors)


class PolicyDataError(DomainError):
    """Stored or submitted policy data has a value of the wrong kind (not a validation question)."""

    code = PolicyErrorCode.POLICY_DATA_INVALID
