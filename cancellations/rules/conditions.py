"""Rule conditions: what each one asks of an order, as pure functions of a plain snapshot.

A condition is a dict: `{"type": <code>, "negate": bool, ...}` plus the values its type takes
(`values` for a list, `amount`, `days` and `at_least`). `clean_condition` checks and normalises one
(the pages, the API and the rule services all store only what it returns); `evaluate` decides a
whole rule's conditions against an `OrderFacts` and says, for each, whether it held and why.
Nothing here reads the database: the engine builds the snapshot (with the counts and the forwarder
list a condition needs) first, so a preview over thousands of orders runs without a query per order.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _

from cancellations.models.orders import RiskLevel, RiskRecommendation
from cancellations.models.rules import RuleMatchMode
from cancellations.rules.errors import RuleFieldError
from cancellations.rules.normalise import NormalisedAddress, at_any, fold

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise, StrPromise

MAX_VALUES = 200
MAX_VALUE_LENGTH = 255
MAX_DAYS = 365
MAX_CONDITIONS = 30


@dataclass(frozen=True)
class LineFacts:
    product_type: str = ""
    product_tags: tuple[str, ...] = ()
    sku: str = ""


@dataclass(frozen=True)
class OrderFacts:
    """What the conditions look at, copied out of an order (and its lines) once."""

    email: str = ""
    total: Decimal = Decimal("0.00")
    currency: str = ""
    risk_level: str = ""
    risk_recommendation: str = ""
    shipping_address: Mapping[str, Any] = field(default_factory=dict)
    billing_address: Mapping[str, Any] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    discount_codes: tuple[str, ...] = ()
    payment_gateways: tuple[str, ...] = ()
    lines: tuple[LineFacts, ...] = ()
    # Days -> orders with this email placed in that many days up to this one (this one included).
    recent_orders: Mapping[int, int] = field(default_factory=dict)


@dataclass(frozen=True)
class RuleContext:
    """Store-wide facts some conditions need: the store's freight-forwarder addresses."""

    forwarders: tuple[NormalisedAddress, ...] = ()


@dataclass(frozen=True)
class ConditionResult:
    type: str
    passed: bool
    detail: str = ""
    negate: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, "passed": self.passed, "negate": self.negate, "detail": self.detail}


@dataclass(frozen=True)
class Evaluation:
    matched: bool
    results: tuple[ConditionResult, ...] = ()

    def to_list(self) -> list[dict[str, Any]]:
        return [result.to_dict() for result in self.results]


Check = Callable[[Mapping[str, Any], OrderFacts, RuleContext], tuple[bool, str]]


@dataclass(frozen=True)
class ConditionType:
    code: str
    label: StrPromise
    check: Check
    # Which values it takes: "values" (a list), "amount", "days_count"; and the allowed list values.
    takes: str = ""
    choices: tuple[tuple[str, StrPromise], ...] = ()
    values_label: StrOrPromise = ""
    upper: bool = False  # list values are codes written in capitals (countries, regions)


# --- the checks ----------------------------------------------------------------------------------


def _folded(values: Sequence[str]) -> set[str]:
    return {fold(value).strip() for value in values}


def _any_of(have: Sequence[str], wanted: Sequence[str]) -> tuple[bool, str]:
    hits = sorted(_folded(have) & _folded(wanted))
    return bool(hits), ", ".join(hits) if hits else ", ".join(have) or "-"


def _risk_level(c: Mapping[str, Any], o: OrderFacts, ctx: RuleContext) -> tuple[bool, str]:
    return o.risk_level in c["values"], o.risk_level or "-"


def _risk_recommendation(c: Mapping[str, Any], o: OrderFacts, ctx: RuleContext) -> tuple[bool, str]:
    return o.risk_recommendation in c["values"], o.risk_recommendation or "-"


def _country(address: Mapping[str, Any]) -> str:
    return str(address.get("country_code") or "").strip().upper()


def _shipping_country(c: Mapping[str, Any], o: OrderFacts, ctx: RuleContext) -> tuple[bool, str]:
    country = _country(o.shipping_address)
    return country in c["values"], country or "-"


def _shipping_region(c: Mapping[str, Any], o: OrderFacts, ctx: RuleContext) -> tuple[bool, str]:
    province = str(o.shipping_address.get("province_code") or "").strip().upper()
    region = f"{_country(o.shipping_address)}-{province}" if province else ""
    return bool(region) and region in c["values"], region or "-"


def _freight_forwarder(c: Mapping[str, Any], o: OrderFacts, ctx: RuleContext) -> tuple[bool, str]:
    found = at_any(o.shipping_address, ctx.forwarders)
    return found is not None, found.street if found else "-"


def _billing_country_differs(c: Mapping[str, Any], o: OrderFacts, ctx: RuleContext) -> tuple[bool, str]:
    billing, shipping = _country(o.billing_address), _country(o.shipping_address)
    # An order without one of the two addresses (a digital good) does not differ.
    differs = bool(billing and shipping) and billing != shipping
    return differs, f"{billing or '-'} / {shipping or '-'}"


def _email_domain(c: Mapping[str, Any], o: OrderFacts, ctx: RuleContext) -> tuple[bool, str]:
    domain = o.email.rsplit("@", 1)[-1].strip().lower() if "@" in o.email else ""
    hit = bool(domain) and any(domain == d or domain.endswith(f".{d}") for d in c["values"])
    return hit, domain or "-"


def _total_above(c: Mapping[str, Any], o: OrderFacts, ctx: RuleContext) -> tuple[bool, str]:
    return o.total > Decimal(c["amount"]), f"{o.total} {o.currency}".strip()


def _total_below(c: Mapping[str, Any], o: OrderFacts, ctx: RuleContext) -> tuple[bool, str]:
    return o.total < Decimal(c["amount"]), f"{o.total} {o.currency}".strip()


def _order_tag(c: Mapping[str, Any], o: OrderFacts, ctx: RuleContext) -> tuple[bool, str]:
    return _any_of(o.tags, c["values"])


def _product_type(c: Mapping[str, Any], o: OrderFacts, ctx: RuleContext) -> tuple[bool, str]:
    return _any_of([line.product_type for line in o.lines if line.product_type], c["values"])


def _product_tag(c: Mapping[str, Any], o: OrderFacts, ctx: RuleContext) -> tuple[bool, str]:
    return _any_of([tag for line in o.lines for tag in line.product_tags], c["values"])


def _sku(c: Mapping[str, Any], o: OrderFacts, ctx: RuleContext) -> tuple[bool, str]:
    return _any_of([line.sku for line in o.lines if line.sku], c["values"])


def _customer_orders(c: Mapping[str, Any], o: OrderFacts, ctx: RuleContext) -> tuple[bool, str]:
    count = o.recent_orders.get(int(c["days"]), 1)
    return count >= int(c["at_least"]), str(count)


def _payment_gateway(c: Mapping[str, Any], o: OrderFacts, ctx: RuleContext) -> tuple[bool, str]:
    return _any_of(o.payment_gateways, c["values"])


def _discount_code(c: Mapping[str, Any], o: OrderFacts, ctx: RuleContext) -> tuple[bool, str]:
    if not c["values"]:
        return bool(o.discount_codes), ", ".join(o.discount_codes) or "-"
    return _any_of(o.discount_codes, c["values"])


_RISK_LEVELS = tuple((level.value, level.label) for level in RiskLevel if level.value)
_RECOMMENDATIONS = tuple((value.value, value.label) for value in RiskRecommendation if value.value)

CONDITION_TYPES: dict[str, ConditionType] = {
    t.code: t
    for t in (
        ConditionType(
            "risk_level", _("Fraud risk level is"), _risk_level, "values", _RISK_LEVELS, _("Risk levels")
        ),
        ConditionType(
            "risk_recommendation",
            _("The platform recommends"),
            _risk_recommendation,
            "values",
            _RECOMMENDATIONS,
            _("Recommendations"),
        ),
        ConditionType(
            "shipping_country",
            _("Shipping country is"),
            _shipping_country,
            "values",
            values_label=_("Country codes, e.g. US, SE"),
            upper=True,
        ),
        ConditionType(
            "shipping_region",
            _("Shipping region is"),
            _shipping_region,
            "values",
            values_label=_("Country and region codes, e.g. US-CA, CA-QC"),
            upper=True,
        ),
        ConditionType(
            "freight_forwarder", _("Ships to an address on the freight-forwarder list"), _freight_forwarder
        ),
        ConditionType(
            "billing_country_differs",
            _("Billing country differs from shipping country"),
            _billing_country_differs,
        ),
        ConditionType(
            "email_domain",
            _("Customer's email domain is"),
            _email_domain,
            "values",
            values_label=_("Domains, e.g. mailinator.com"),
        ),
        ConditionType("total_above", _("Order total is above"), _total_above, "amount"),
        ConditionType("total_below", _("Order total is below"), _total_below, "amount"),
        ConditionType("order_tag", _("Order has the tag"), _order_tag, "values", values_label=_("Tags")),
        ConditionType(
            "product_type",
            _("Order contains the product type"),
            _product_type,
            "values",
            values_label=_("Product types"),
        ),
        ConditionType(
            "product_tag",
            _("Order contains a product tagged"),
            _product_tag,
            "values",
            values_label=_("Product tags"),
        ),
        ConditionType("sku", _("Order contains the SKU"), _sku, "values", values_label=_("SKUs")),
        ConditionType(
            "customer_orders", _("The same customer placed orders recently"), _customer_orders, "days_count"
        ),
        ConditionType(
            "payment_gateway",
            _("Paid through the gateway"),
            _payment_gateway,
            "values",
            values_label=_("Gateways, e.g. manual, shopify_payments"),
        ),
        ConditionType(
            "discount_code",
            _("A discount code was used"),
            _discount_code,
            "values",
            values_label=_("Codes (empty: any code)"),
        ),
    )
}
# Conditions whose list may be empty (it then means "any").
_EMPTY_LIST_ALLOWED = {"discount_code"}


# --- evaluating ----------------------------------------------------------------------------------


def evaluate_condition(
    condition: Mapping[str, Any], order: OrderFacts, context: RuleContext
) -> ConditionResult:
    """One cleaned condition against one order."""
    kind = CONDITION_TYPES[condition["type"]]
    held, detail = kind.check(condition, order, context)
    negate = bool(condition.get("negate"))
    return ConditionResult(type=kind.code, passed=held != negate, detail=detail, negate=negate)


def evaluate(
    *, match: str, conditions: Sequence[Mapping[str, Any]], order: OrderFacts, context: RuleContext
) -> Evaluation:
    """Whether a rule's cleaned conditions hold for the order (all or any), with each one's outcome.

    A rule without conditions never matches: matching every order is never what a store meant.
    """
    results = tuple(evaluate_condition(condition, order, context) for condition in conditions)
    if not results:
        return Evaluation(matched=False)
    passed = [result.passed for result in results]
    matched = all(passed) if match == RuleMatchMode.ALL else any(passed)
    return Evaluation(matched=matched, results=results)


def needed_days(conditions: Sequence[Mapping[str, Any]]) -> set[int]:
    """The day counts the "orders by the same customer" conditions ask about."""
    return {int(c["days"]) for c in conditions if c.get("type") == "customer_orders"}


def needs_forwarders(conditions: Sequence[Mapping[str, Any]]) -> bool:
    return any(c.get("type") == "freight_forwarder" for c in conditions)


# --- checking what is stored -----------------------------------------------------------------------


def _list(raw: Any, kind: ConditionType, where: str) -> list[str]:
    if isinstance(raw, str):
        raw = raw.split(",")
    if not isinstance(raw, list | tuple):
        raise RuleFieldError(where, _("Give a list."))
    values: list[str] = []
    for item in raw:
        text = str(item).strip()
        if not text:
            continue
        if len(text) > MAX_VALUE_LENGTH:
            raise RuleFieldError(where, _("Each value may be at most 255 characters."))
        if kind.upper:
            text = text.upper()
        elif kind.code == "email_domain":
            text = text.lower().lstrip("@")
        if text not in values:
            values.append(text)
    if len(values) > MAX_VALUES:
        raise RuleFieldError(where, _("Give at most 200 values."))
    allowed = {code for code, _label in kind.choices}
    if allowed and set(values) - allowed:
        raise RuleFieldError(where, _("Choose from the values offered."))
    if kind.code == "shipping_country" and any(not re.fullmatch(r"[A-Z]{2}", v) for v in values):
        raise RuleFieldError(where, _("Use two-letter country codes, e.g. US or SE."))
    if kind.code == "shipping_region" and any(not re.fullmatch(r"[A-Z]{2}-[A-Z0-9]{1,3}", v) for v in values):
        raise RuleFieldError(where, _("Write each region as country-region, e.g. US-CA."))
    if not values and kind.code not in _EMPTY_LIST_ALLOWED:
        raise RuleFieldError(where, _("Give at least one value."))
    return values


def _amount(raw: Any, where: str) -> str:
    try:
        amount = Decimal(str(raw).strip()).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise RuleFieldError(where, _("Give an amount, e.g. 500.00.")) from None
    if not amount.is_finite() or amount < 0 or amount >= Decimal("1e12"):
        raise RuleFieldError(where, _("Give an amount of zero or more."))
    return str(amount)


def _whole(raw: Any, where: str, low: int, high: int) -> int:
    try:
        number = int(str(raw).strip())
    except (TypeError, ValueError):
        raise RuleFieldError(where, _("Give a whole number.")) from None
    if not low <= number <= high:
        raise RuleFieldError(where, _("Give a number from %(low)s to %(high)s.") % {"low": low, "high": high})
    return number


def clean_condition(raw: Any, where: str = "condition") -> dict[str, Any]:
    """One condition checked and in its stored shape, or RuleFieldError."""
    if not isinstance(raw, Mapping):
        raise RuleFieldError(where, _("A condition must be an object."))
    kind = CONDITION_TYPES.get(str(raw.get("type", "")))
    if kind is None:
        raise RuleFieldError(f"{where}.type", _("Unknown condition."))
    cleaned: dict[str, Any] = {"type": kind.code, "negate": bool(raw.get("negate", False))}
    if kind.takes == "values":
        cleaned["values"] = _list(raw.get("values", []), kind, f"{where}.values")
    elif kind.takes == "amount":
        cleaned["amount"] = _amount(raw.get("amount", ""), f"{where}.amount")
    elif kind.takes == "days_count":
        cleaned["days"] = _whole(raw.get("days", ""), f"{where}.days", 1, MAX_DAYS)
        cleaned["at_least"] = _whole(raw.get("at_least", ""), f"{where}.at_least", 1, 10_000)
    return cleaned


def clean_conditions(raw: Any) -> list[dict[str, Any]]:
    if not isinstance(raw, list | tuple):
        raise RuleFieldError("conditions", _("Give a list of conditions."))
    if len(raw) > MAX_CONDITIONS:
        raise RuleFieldError("conditions", _("A rule may have at most 30 conditions."))
    return [clean_condition(item, f"conditions.{i}") for i, item in enumerate(raw)]
