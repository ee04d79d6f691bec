"""Checks a policy before it is saved, with a message per field that a merchant can act on."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from cancellations.models.orders import FulfillmentStatus
from cancellations.policy.choices import (
    FINANCIAL_STATUSES,
    FULFILLMENT_STATUSES,
    LEGAL_WITHDRAWAL_DAYS,
    RISK_LEVELS,
    RULE_ACTIONS,
    Action,
    FeeKind,
    RefundOption,
    RetentionKind,
    WindowKind,
)
from cancellations.policy.errors import PolicyErrorCode
from cancellations.policy.holds import MAX_HOLD_MINUTES
from cancellations.policy.schema import StorePolicy
from cancellations.policy.sections import ActionRule
from tenants.errors import CommonErrorCode, ErrorCode

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise, StrPromise

CUTOFF_PATTERN = re.compile(r"(?:[01][0-9]|2[0-3]):[0-5][0-9]")
REASON_CODE_PATTERN = re.compile(r"[a-z0-9_]{1,40}")
MAX_WINDOW_MINUTES = 365 * 24 * 60
MAX_WITHDRAWAL_DAYS = 365
_SHIPPED = (FulfillmentStatus.PARTIAL.value, FulfillmentStatus.FULFILLED.value)
_EDIT_ACTIONS = (
    Action.EDIT_ADDRESS,
    Action.EDIT_QUANTITY,
    Action.SWAP_VARIANT,
    Action.REMOVE_LINE,
    Action.ADD_ITEM,
)
MAX_ADDED_ITEMS = 20


@dataclass(frozen=True)
class FieldError:
    """One problem: the dotted path of the field (as in `to_dict()`), a stable code and a message."""

    field: str
    code: ErrorCode
    message: StrOrPromise

    def to_dict(self) -> dict[str, str]:
        return {"field": self.field, "code": self.code, "message": str(self.message)}


class _Errors(list[FieldError]):
    def add(self, field: str, code: ErrorCode, message: StrOrPromise) -> None:
        self.append(FieldError(field, code, message))


def _known_languages() -> frozenset[str]:
    return frozenset(code for code, _name in settings.LANGUAGES)


def _two_places(amount: Decimal) -> bool:
    exponent = amount.as_tuple().exponent
    return isinstance(exponent, int) and exponent >= -2


def _money(errors: _Errors, field: str, amount: Decimal | None) -> None:
    if amount is None:
        return
    if amount < 0:
        errors.add(field, PolicyErrorCode.NEGATIVE, _("Use an amount of zero or more."))
    elif not _two_places(amount):
        errors.add(field, PolicyErrorCode.TOO_PRECISE, _("Use at most two decimal places."))


def _percent(errors: _Errors, field: str, value: Decimal) -> None:
    if not Decimal(0) <= value <= Decimal(100):
        errors.add(field, PolicyErrorCode.OUT_OF_RANGE, _("Use a percentage from 0 to 100."))


def _statuses(
    errors: _Errors, field: str, values: Iterable[str], known: tuple[str, ...], label: StrPromise
) -> None:
    for value in values:
        if value not in known:
            errors.add(
                field,
                PolicyErrorCode.UNKNOWN_STATUS,
                format_lazy(_("Unknown {kind} “{value}”."), kind=label, value=value),
            )


def _risk_levels(errors: _Errors, field: str, values: Iterable[str]) -> None:
    for value in values:
        if value not in RISK_LEVELS:
            errors.add(
                field,
                PolicyErrorCode.UNKNOWN_RISK_LEVEL,
                format_lazy(_("Unknown risk level “{value}”."), value=value),
            )


def _labels(errors: _Errors, field: str, labels: dict[str, str]) -> None:
    languages = _known_languages()
    for language in labels:
        if language not in languages:
            errors.add(
                f"{field}.{language}",
                PolicyErrorCode.UNKNOWN_LANGUAGE,
                format_lazy(_("Unknown language “{language}”."), language=language),
            )


def _validate_rule(errors: _Errors, action: Action, rule: ActionRule) -> None:
    path = f"actions.{action.value}."
    window = rule.window
    if window.kind == WindowKind.MINUTES:
        if window.minutes is None:
            errors.add(
                f"{path}window.minutes", CommonErrorCode.REQUIRED, _("Give the window a length in minutes.")
            )
        elif not 1 <= window.minutes <= MAX_WINDOW_MINUTES:
            errors.add(
                f"{path}window.minutes",
                PolicyErrorCode.OUT_OF_RANGE,
                _("Use a window from 1 minute to 365 days."),
            )
    elif window.kind == WindowKind.DAILY_CUTOFF:
        if not window.cutoff:
            errors.add(
                f"{path}window.cutoff", CommonErrorCode.REQUIRED, _("Give a daily cut-off time, e.g. 14:00.")
            )
        elif not CUTOFF_PATTERN.fullmatch(window.cutoff):
            errors.add(
                f"{path}window.cutoff", PolicyErrorCode.INVALID_TIME, _("Use a 24-hour time like 14:00.")
            )

    _statuses(
        errors, f"{path}financial_statuses", rule.financial_statuses, FINANCIAL_STATUSES, _("payment status")
    )
    _statuses(
        errors,
        f"{path}fulfillment_statuses",
        rule.fulfillment_statuses,
        FULFILLMENT_STATUSES,
        _("shipping status"),
    )
    if rule.enabled and not rule.financial_statuses:
        errors.add(
            f"{path}financial_statuses",
            CommonErrorCode.REQUIRED,
            _("Choose at least one payment status, or turn this action off."),
        )
    if rule.enabled and not rule.fulfillment_statuses:
        errors.add(
            f"{path}fulfillment_statuses",
            CommonErrorCode.REQUIRED,
            _("Choose at least one shipping status, or turn this action off."),
        )
    if action == Action.CANCEL and any(status in _SHIPPED for status in rule.fulfillment_statuses):
        errors.add(
            f"{path}fulfillment_statuses",
            PolicyErrorCode.SHIPPED_NOT_CANCELLABLE,
            _("Orders that have shipped cannot be cancelled here; remove “Partly shipped” and “Shipped”."),
        )
    if action in _EDIT_ACTIONS and FulfillmentStatus.FULFILLED.value in rule.fulfillment_statuses:
        errors.add(
            f"{path}fulfillment_statuses",
            PolicyErrorCode.SHIPPED_NOT_EDITABLE,
            _("Orders that have shipped cannot be changed here; remove “Shipped”."),
        )
    _risk_levels(errors, f"{path}order_exclusions.risk_levels", rule.order_exclusions.risk_levels)

    approval = rule.approval
    _money(errors, f"{path}approval.over_value", approval.over_value)
    _risk_levels(errors, f"{path}approval.risk_levels", approval.risk_levels)
    if approval.grace_minutes < 0:
        errors.add(
            f"{path}approval.grace_minutes", PolicyErrorCode.NEGATIVE, _("A grace period cannot be negative.")
        )
    elif approval.grace_minutes > MAX_WINDOW_MINUTES:
        errors.add(
            f"{path}approval.grace_minutes",
            PolicyErrorCode.OUT_OF_RANGE,
            _("Use a grace period of at most 365 days."),
        )
    elif approval.grace_minutes and not window.is_timed:
        errors.add(
            f"{path}approval.grace_minutes",
            PolicyErrorCode.GRACE_WITHOUT_WINDOW,
            _("Grace period needs a time window (minutes after the order, or a daily cut-off)."),
        )


def _validate_reasons(errors: _Errors, policy: StorePolicy) -> None:
    reasons = policy.reasons
    seen: set[str] = set()
    for index, reason in enumerate(reasons.choices):
        path = f"reasons.choices.{index}."
        if not reason.code:
            errors.add(f"{path}code", CommonErrorCode.REQUIRED, _("Give the reason a code."))
        elif not REASON_CODE_PATTERN.fullmatch(reason.code):
            errors.add(
                f"{path}code",
                PolicyErrorCode.INVALID_CODE,
                _("Use at most 40 lowercase letters, digits and underscores, e.g. changed_mind."),
            )
        elif reason.code in seen:
            errors.add(
                f"{path}code",
                PolicyErrorCode.DUPLICATE_REASON,
                format_lazy(_("The code “{code}” is used by another reason."), code=reason.code),
            )
        seen.add(reason.code)
        if not any(text.strip() for text in reason.labels.values()):
            errors.add(f"{path}labels", CommonErrorCode.REQUIRED, _("Give the reason a label."))
        _labels(errors, f"{path}labels", reason.labels)
    if reasons.required and not reasons.choices and not reasons.free_text:
        errors.add(
            "reasons.required",
            PolicyErrorCode.NOTHING_TO_GIVE,
            _("A required reason needs reasons to choose from or a box for the customer's own words."),
        )


def _validate_money_settings(errors: _Errors, policy: StorePolicy) -> None:
    fees = policy.fees
    if fees.kind == FeeKind.PERCENT:
        _percent(errors, "fees.percent", fees.percent)
    if fees.kind == FeeKind.FIXED:
        _money(errors, "fees.fixed", fees.fixed)
    _money(errors, "fees.minimum", fees.minimum)
    _money(errors, "fees.maximum", fees.maximum)
    if fees.minimum is not None and fees.maximum is not None and fees.maximum < fees.minimum:
        errors.add("fees.maximum", PolicyErrorCode.MAX_BELOW_MIN, _("Maximum fee is below the minimum."))
    codes = policy.reasons.codes
    for code in fees.waived_reasons:
        if code not in codes:
            errors.add(
                "fees.waived_reasons",
                PolicyErrorCode.UNKNOWN_REASON,
                format_lazy(_("“{code}” is not one of the store's reasons."), code=code),
            )

    refunds = policy.refunds
    _percent(errors, "refunds.store_credit_bonus_percent", refunds.store_credit_bonus_percent)
    _money(errors, "refunds.store_credit_bonus_fixed", refunds.store_credit_bonus_fixed)
    for name in ("store_credit_bonus_percent", "store_credit_bonus_fixed"):
        if getattr(refunds, name) > 0 and refunds.method == RefundOption.ORIGINAL:
            errors.add(
                f"refunds.{name}",
                PolicyErrorCode.BONUS_WITHOUT_STORE_CREDIT,
                _("A store-credit bonus needs store credit as a refund method."),
            )


MAX_LIMIT = 1000
MAX_LIMIT_DAYS = 3650


def _validate_limits(errors: _Errors, policy: StorePolicy) -> None:
    limits = policy.limits
    for name in ("edit_sessions_per_order", "cancellations_per_customer"):
        value = getattr(limits, name)
        if value is not None and not 1 <= value <= MAX_LIMIT:
            errors.add(
                f"limits.{name}",
                PolicyErrorCode.OUT_OF_RANGE,
                _("Use a number from 1 to 1000, or leave it empty for no limit."),
            )
    if not 1 <= limits.cancellation_period_days <= MAX_LIMIT_DAYS:
        errors.add(
            "limits.cancellation_period_days",
            PolicyErrorCode.OUT_OF_RANGE,
            _("Use a period of 1 to 3650 days."),
        )
    _labels(errors, "limits.messages", limits.messages)


def validate_policy(policy: StorePolicy) -> list[FieldError]:
    """Every problem with a policy, in the order of the settings page; empty when it can be saved."""
    errors = _Errors()
    for action in RULE_ACTIONS:
        _validate_rule(errors, action, policy.rule_for(action))
    _validate_reasons(errors, policy)

    retention = policy.retention
    if retention.kind == RetentionKind.DISCOUNT_CODE and not retention.discount_code.strip():
        errors.add("retention.discount_code", CommonErrorCode.REQUIRED, _("Give the discount code to offer."))
    elif retention.discount_code != retention.discount_code.strip() or " " in retention.discount_code:
        errors.add(
            "retention.discount_code",
            PolicyErrorCode.INVALID_CODE,
            _("A discount code cannot contain spaces."),
        )
    _labels(errors, "retention.messages", retention.messages)

    _validate_money_settings(errors, policy)
    _validate_limits(errors, policy)

    # Without a tag nothing may be added: the customer is offered no items (not an error to save).
    additions = policy.additions
    if not 1 <= additions.max_items <= MAX_ADDED_ITEMS:
        errors.add(
            "additions.max_items",
            PolicyErrorCode.OUT_OF_RANGE,
            _("Allow from 1 to 20 added items."),
        )

    withdrawal = policy.withdrawal
    if withdrawal.period_days < LEGAL_WITHDRAWAL_DAYS:
        errors.add(
            "withdrawal.period_days",
            PolicyErrorCode.BELOW_LEGAL_MINIMUM,
            _("The legal withdrawal period is at least 14 days."),
        )
    elif withdrawal.period_days > MAX_WITHDRAWAL_DAYS:
        errors.add(
            "withdrawal.period_days",
            PolicyErrorCode.OUT_OF_RANGE,
            _("Use a withdrawal period of at most 365 days."),
        )
    hold_minutes = policy.fulfilment_hold.max_minutes
    if not 1 <= hold_minutes <= MAX_HOLD_MINUTES:
        errors.add(
            "fulfilment_hold.max_minutes",
            PolicyErrorCode.OUT_OF_RANGE,
            _("Hold fulfilment for at least 1 minute and at most 10080 minutes (a week)."),
        )
    return list(errors)


MAX_REASON_TEXT = 1000


def reason_errors(policy: StorePolicy, *, code: str | None, text: str = "") -> list[FieldError]:
    """Problems with the reason a customer gave for cancelling (fields "reason" and "reason_text")."""
    reasons = policy.reasons
    errors = _Errors()
    text = text.strip()
    if code:
        if code not in reasons.codes:
            errors.add(
                "reason", PolicyErrorCode.REASON_UNKNOWN, _("Please choose one of the reasons listed.")
            )
    elif reasons.required and not (reasons.free_text and text):
        errors.add("reason", CommonErrorCode.REQUIRED, _("Please tell us why you are cancelling."))
    if text and not reasons.free_text:
        errors.add(
            "reason_text", PolicyErrorCode.NOT_ACCEPTED, _("The store does not take a written reason.")
        )
    elif len(text) > MAX_REASON_TEXT:
        errors.add("reason_text", PolicyErrorCode.TOO_LONG, _("Please keep it under 1000 characters."))
    return list(errors)
