"""The sections of a store's policy: windows, exclusions, approval, per-action rules, reasons, retention
offers, fees, refunds, limits and the right of withdrawal, each a frozen value with its JSON form.

`StorePolicy` (schema.py) puts them together.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING, Any

from cancellations.policy.choices import (
    ExclusionScope,
    FeeKind,
    RefundOption,
    RetentionKind,
    WindowKind,
)
from cancellations.policy.errors import PolicyDataError
from cancellations.policy.parsing import (
    Coerced,
    as_bool,
    as_choice,
    as_decimal,
    as_int,
    as_labels,
    as_opt_decimal,
    as_opt_int,
    as_opt_str,
    as_str,
    as_strings,
    decimal_out,
    folded,
    read,
    section,
)

if TYPE_CHECKING:
    from cancellations.policy.facts import LineFacts


@dataclass(frozen=True)
class Window(Coerced):
    """How long after an order the action is offered without review."""

    _choices = {"kind": WindowKind}

    kind: WindowKind = WindowKind.UNTIL_FULFILLMENT
    minutes: int | None = None  # for MINUTES
    cutoff: str | None = None  # "HH:MM" in the store's time zone, for DAILY_CUTOFF

    @cached_property
    def cutoff_time(self) -> time | None:
        """The cut-off as a time of day, or None when it is missing or malformed."""
        text = self.cutoff or ""
        digits = text[:2] + text[3:]
        if len(text) != 5 or text[2] != ":" or not (digits.isascii() and digits.isdigit()):
            return None
        hour, minute = int(text[:2]), int(text[3:])
        return time(hour, minute) if hour < 24 and minute < 60 else None

    @property
    def is_timed(self) -> bool:
        """Whether the window ends at a moment in time (so a grace period can follow it)."""
        return self.kind in (WindowKind.MINUTES, WindowKind.DAILY_CUTOFF)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind.value, "minutes": self.minutes, "cutoff": self.cutoff}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], default: Window, path: str = "") -> Window:
        return cls(
            kind=read(data, "kind", default.kind, as_choice(WindowKind), path),
            minutes=read(data, "minutes", default.minutes, as_opt_int, path),
            cutoff=read(data, "cutoff", default.cutoff, as_opt_str, path),
        )


@dataclass(frozen=True)
class ProductExclusions(Coerced):
    """Products the action does not apply to, by product type, product tag or SKU (case-insensitive)."""

    _choices = {"scope": ExclusionScope}
    _tuples = ("product_types", "product_tags", "skus")

    product_types: tuple[str, ...] = ()
    product_tags: tuple[str, ...] = ()
    skus: tuple[str, ...] = ()
    scope: ExclusionScope = ExclusionScope.LINES

    @cached_property
    def _sets(self) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
        return folded(self.product_types), folded(self.product_tags), folded(self.skus)

    @property
    def is_empty(self) -> bool:
        return not any(self._sets)

    def match(self, line: LineFacts) -> str | None:
        """What excludes this line ("type", "tag" or "sku"), or None when nothing does."""
        types, tags, skus = self._sets
        if types and line.product_type.casefold() in types:
            return "type"
        if tags and any(tag.casefold() in tags for tag in line.product_tags):
            return "tag"
        if skus and line.sku.casefold() in skus:
            return "sku"
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "product_types": list(self.product_types),
            "product_tags": list(self.product_tags),
            "skus": list(self.skus),
            "scope": self.scope.value,
        }

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], default: ProductExclusions, path: str = ""
    ) -> ProductExclusions:
        return cls(
            product_types=read(data, "product_types", default.product_types, as_strings, path),
            product_tags=read(data, "product_tags", default.product_tags, as_strings, path),
            skus=read(data, "skus", default.skus, as_strings, path),
            scope=read(data, "scope", default.scope, as_choice(ExclusionScope), path),
        )


@dataclass(frozen=True)
class OrderExclusions(Coerced):
    """Orders the action is never offered for: by order tag (case-insensitive) or fraud risk level."""

    _tuples = ("tags", "risk_levels")

    tags: tuple[str, ...] = ()
    risk_levels: tuple[str, ...] = ()

    @cached_property
    def folded_tags(self) -> frozenset[str]:
        return folded(self.tags)

    def to_dict(self) -> dict[str, Any]:
        return {"tags": list(self.tags), "risk_levels": list(self.risk_levels)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], default: OrderExclusions, path: str = "") -> OrderExclusions:
        return cls(
            tags=read(data, "tags", default.tags, as_strings, path),
            risk_levels=read(data, "risk_levels", default.risk_levels, as_strings, path),
        )


@dataclass(frozen=True)
class ApprovalRules(Coerced):
    """When a request the policy allows still goes to staff for review instead of going through at once."""

    _tuples = ("risk_levels",)
    _decimals = ("over_value",)

    always: bool = False
    over_value: Decimal | None = None  # review orders whose total is above this
    risk_levels: tuple[str, ...] = ()  # review orders with these fraud risk levels
    discount_used: bool = False  # review orders placed with a discount code
    grace_minutes: int = 0  # after a timed window closes, still accept requests for review this long

    def to_dict(self) -> dict[str, Any]:
        return {
            "always": self.always,
            "over_value": decimal_out(self.over_value),
            "risk_levels": list(self.risk_levels),
            "discount_used": self.discount_used,
            "grace_minutes": self.grace_minutes,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], default: ApprovalRules, path: str = "") -> ApprovalRules:
        return cls(
            always=read(data, "always", default.always, as_bool, path),
            over_value=read(data, "over_value", default.over_value, as_opt_decimal, path),
            risk_levels=read(data, "risk_levels", default.risk_levels, as_strings, path),
            discount_used=read(data, "discount_used", default.discount_used, as_bool, path),
            grace_minutes=read(data, "grace_minutes", default.grace_minutes, as_int, path),
        )


@dataclass(frozen=True)
class ActionRule(Coerced):
    """Everything that decides one action: on or off, until when, for which orders and products."""

    _tuples = ("financial_statuses", "fulfillment_statuses")

    enabled: bool = False
    window: Window = field(default_factory=Window)
    financial_statuses: tuple[str, ...] = ()
    fulfillment_statuses: tuple[str, ...] = ()
    product_exclusions: ProductExclusions = field(default_factory=ProductExclusions)
    order_exclusions: OrderExclusions = field(default_factory=OrderExclusions)
    approval: ApprovalRules = field(default_factory=ApprovalRules)

    def to_dict(self) -> dict[str, Any]:
        return {
            "enabled": self.enabled,
            "window": self.window.to_dict(),
            "financial_statuses": list(self.financial_statuses),
            "fulfillment_statuses": list(self.fulfillment_statuses),
            "product_exclusions": self.product_exclusions.to_dict(),
            "order_exclusions": self.order_exclusions.to_dict(),
            "approval": self.approval.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], default: ActionRule, path: str = "") -> ActionRule:
        return cls(
            enabled=read(data, "enabled", default.enabled, as_bool, path),
            window=Window.from_dict(section(data, "window", path), default.window, f"{path}window."),
            financial_statuses=read(data, "financial_statuses", default.financial_statuses, as_strings, path),
            fulfillment_statuses=read(
                data, "fulfillment_statuses", default.fulfillment_statuses, as_strings, path
            ),
            product_exclusions=ProductExclusions.from_dict(
                section(data, "product_exclusions", path),
                default.product_exclusions,
                f"{path}product_exclusions.",
            ),
            order_exclusions=OrderExclusions.from_dict(
                section(data, "order_exclusions", path), default.order_exclusions, f"{path}order_exclusions."
            ),
            approval=ApprovalRules.from_dict(
                section(data, "approval", path), default.approval, f"{path}approval."
            ),
        )


def pick_label(labels: Mapping[str, str], language: str, fallback: str = "") -> str:
    """The text for a language: exact, then its base language ("sv" for "sv-SE"), English, any."""
    for lang in (language, language.split("-")[0], "en"):
        if labels.get(lang):
            return labels[lang]
    return next((text for text in labels.values() if text), fallback)


@dataclass(frozen=True)
class CancelReason:
    """One reason a customer can pick: a stable code (kept on the request) and a label per language."""

    code: str
    labels: dict[str, str] = field(default_factory=dict)

    def label(self, language: str) -> str:
        return pick_label(self.labels, language, fallback=self.code)

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "labels": dict(self.labels)}

    @classmethod
    def from_dict(cls, data: Any, path: str = "") -> CancelReason:
        if not isinstance(data, Mapping):
            raise PolicyDataError(f"{path} must be an object.", field=path.rstrip("."))
        return cls(
            code=read(data, "code", "", as_str, path), labels=read(data, "labels", {}, as_labels, path)
        )


@dataclass(frozen=True)
class ReasonSettings(Coerced):
    """The cancellation reasons a customer chooses from."""

    _tuples = ("choices",)

    choices: tuple[CancelReason, ...] = ()
    required: bool = True
    free_text: bool = True  # a box for the customer's own words

    def get(self, code: str) -> CancelReason | None:
        return next((reason for reason in self.choices if reason.code == code), None)

    def label_of(self, code: str, language: str) -> str:
        """A reason code as the policy names it (a code the policy no longer has stays as it is)."""
        reason = self.get(code)
        return reason.label(language) if reason else code

    @cached_property
    def codes(self) -> frozenset[str]:
        return frozenset(reason.code for reason in self.choices)

    def to_dict(self) -> dict[str, Any]:
        return {
            "choices": [reason.to_dict() for reason in self.choices],
            "required": self.required,
            "free_text": self.free_text,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], default: ReasonSettings, path: str = "") -> ReasonSettings:
        def parse_choices(value: Any) -> tuple[CancelReason, ...]:
            if not isinstance(value, list | tuple):
                raise ValueError(f"expected a list of reasons, got {value!r}")
            return tuple(CancelReason.from_dict(item, f"{path}choices.{i}.") for i, item in enumerate(value))

        return cls(
            choices=read(data, "choices", default.choices, parse_choices, path),
            required=read(data, "required", default.required, as_bool, path),
            free_text=read(data, "free_text", default.free_text, as_bool, path),
        )


@dataclass(frozen=True)
class RetentionOffer(Coerced):
    """What a customer is offered before a cancellation is confirmed."""

    _choices = {"kind": RetentionKind}

    kind: RetentionKind = RetentionKind.NONE
    discount_code: str = ""  # for DISCOUNT_CODE: a code the store created on its platform
    messages: dict[str, str] = field(default_factory=dict)  # the offer's text, per language

    def message(self, language: str) -> str:
        return pick_label(self.messages, language)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind.value, "discount_code": self.discount_code, "messages": dict(self.messages)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], default: RetentionOffer, path: str = "") -> RetentionOffer:
        return cls(
            kind=read(data, "kind", default.kind, as_choice(RetentionKind), path),
            discount_code=read(data, "discount_code", default.discount_code, as_str, path),
            messages=read(data, "messages", default.messages, as_labels, path),
        )


@dataclass(frozen=True)
class FeeSettings(Coerced):
    """A restocking fee kept from refunds (never charged on a withdrawal)."""

    _choices = {"kind": FeeKind}
    _tuples = ("waived_reasons",)
    _decimals = ("percent", "fixed", "minimum", "maximum")

    kind: FeeKind = FeeKind.NONE
    percent: Decimal = Decimal("0")  # for PERCENT, 0-100
    fixed: Decimal = Decimal("0")  # for FIXED, in the order's currency
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    waived_reasons: tuple[str, ...] = ()  # no fee when the customer gives one of these reason codes

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "percent": str(self.percent),
            "fixed": str(self.fixed),
            "minimum": decimal_out(self.minimum),
            "maximum": decimal_out(self.maximum),
            "waived_reasons": list(self.waived_reasons),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], default: FeeSettings, path: str = "") -> FeeSettings:
        return cls(
            kind=read(data, "kind", default.kind, as_choice(FeeKind), path),
            percent=read(data, "percent", default.percent, as_decimal, path),
            fixed=read(data, "fixed", default.fixed, as_decimal, path),
            minimum=read(data, "minimum", default.minimum, as_opt_decimal, path),
            maximum=read(data, "maximum", default.maximum, as_opt_decimal, path),
            waived_reasons=read(data, "waived_reasons", default.waived_reasons, as_strings, path),
        )


@dataclass(frozen=True)
class RefundSettings(Coerced):
    """Where refunds go, and the bonus added when the customer takes store credit: a percentage of the
    refund, a fixed amount in the store's currency, or both added together."""

    _choices = {"method": RefundOption}
    _decimals = ("store_credit_bonus_percent", "store_credit_bonus_fixed")

    method: RefundOption = RefundOption.ORIGINAL
    store_credit_bonus_percent: Decimal = Decimal("0")
    store_credit_bonus_fixed: Decimal = Decimal("0")

    @property
    def has_bonus(self) -> bool:
        return self.store_credit_bonus_percent > 0 or self.store_credit_bonus_fixed > 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method.value,
            "store_credit_bonus_percent": str(self.store_credit_bonus_percent),
            "store_credit_bonus_fixed": str(self.store_credit_bonus_fixed),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], default: RefundSettings, path: str = "") -> RefundSettings:
        return cls(
            method=read(data, "method", default.method, as_choice(RefundOption), path),
            store_credit_bonus_percent=read(
                data, "store_credit_bonus_percent", default.store_credit_bonus_percent, as_decimal, path
            ),
            store_credit_bonus_fixed=read(
                data, "store_credit_bonus_fixed", default.store_credit_bonus_fixed, as_decimal, path
            ),
        )


@dataclass(frozen=True)
class LimitSettings(Coerced):
    """Caps against abuse: edit sessions per order, and cancellations per customer in a period of days.

    None is no cap. An edit session is a run of edits to one order by one person with no more than
    `EDIT_SESSION_MINUTES` (a setting) between two saves; the cap counts sessions, not saves.
    `messages` is what a customer is told when a cap stops them, per language (a default otherwise).
    """

    edit_sessions_per_order: int | None = None
    cancellations_per_customer: int | None = None
    cancellation_period_days: int = 30
    messages: dict[str, str] = field(default_factory=dict)

    def message(self, language: str) -> str:
        return pick_label(self.messages, language)

    def to_dict(self) -> dict[str, Any]:
        return {
            "edit_sessions_per_order": self.edit_sessions_per_order,
            "cancellations_per_customer": self.cancellations_per_customer,
            "cancellation_period_days": self.cancellation_period_days,
            "messages": dict(self.messages),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], default: LimitSettings, path: str = "") -> LimitSettings:
        return cls(
            edit_sessions_per_order=read(
                data, "edit_sessions_per_order", default.edit_sessions_per_order, as_opt_int, path
            ),
            cancellations_per_customer=read(
                data, "cancellations_per_customer", default.cancellations_per_customer, as_opt_int, path
            ),
            cancellation_period_days=read(
                data, "cancellation_period_days", default.cancellation_period_days, as_int, path
            ),
            messages=read(data, "messages", default.messages, as_labels, path),
        )


@dataclass(frozen=True)
class WithdrawalSettings:
    """The EU right of withdrawal (Directive 2011/83/EU as amended by 2023/2673, Art. 11a)."""

    enabled: bool = False
    period_days: int = 14  # counted from delivery; the law's minimum is 14
    # Goods the law exempts (Art. 16: made to order, perishable, unsealed hygiene goods, ...).
    exclusions: ProductExclusions = field(default_factory=ProductExclusions)

    def to_dict(self) -> dict[str, Any]:
        return {
            "enabled": self.enabled,
            "period_days": self.period_days,
            "exclusions": self.exclusions.to_dict(),
        }

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], default: WithdrawalSettings, path: str = ""
    ) -> WithdrawalSettings:
        return cls(
            enabled=read(data, "enabled", default.enabled, as_bool, path),
            period_days=read(data, "period_days", default.period_days, as_int, path),
            exclusions=ProductExclusions.from_dict(
                section(data, "exclusions", path), default.exclusions, f"{path}exclusions."
            ),
        )


@dataclass(frozen=True)
class FulfilmentHoldSettings:
    """Hold a new order's fulfilment while the customer may still change it (off by default)."""

    enabled: bool = False
    # The longest hold: where the window has no end of its own ("until shipped"), or a later one.
    max_minutes: int = 120

    def to_dict(self) -> dict[str, Any]:
        return {"enabled": self.enabled, "max_minutes": self.max_minutes}

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], default: FulfilmentHoldSettings, path: str = ""
    ) -> FulfilmentHoldSettings:
        return cls(
            enabled=read(data, "enabled", default.enabled, as_bool, path),
            max_minutes=read(data, "max_minutes", default.max_minutes, as_int, path),
        )
