"""The decision: may this customer do this to this order now? One pure function, `decide()`.

It reads only its arguments (a policy, an `OrderFacts` snapshot and the time), so it is cheap enough to
run for every action on every order page and trivially testable. Its answer is monotone in time: as `now`
moves forward an outcome can only get stricter (allowed -> needs approval -> not allowed), because every
time-dependent rule is a window that closes and never reopens.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from cancellations.policy.choices import LEGAL_WITHDRAWAL_DAYS, Action, ExclusionScope, WindowKind
from cancellations.policy.facts import LineFacts, OrderFacts
from cancellations.policy.schema import StorePolicy
from cancellations.policy.sections import Window


class Outcome(models.TextChoices):
    ALLOWED = "allowed", _("Allowed")
    NEEDS_APPROVAL = "needs_approval", _("Needs the store's approval")
    NOT_ALLOWED = "not_allowed", _("Not allowed")


# Stricter outcomes rank higher; as time passes an outcome's rank never goes down.
OUTCOME_RANK: dict[str, int] = {Outcome.ALLOWED: 0, Outcome.NEEDS_APPROVAL: 1, Outcome.NOT_ALLOWED: 2}

# What the customer reads. Risk and tag reasons stay neutral: a customer is never told their order was
# flagged; staff see the specifics in the trace.
BLOCKING_MESSAGES: dict[str, Promise] = {
    "action_disabled": _("The store does not offer this online."),
    "already_cancelled": _("This order has already been cancelled."),
    "fulfilled": _("This order has already shipped."),
    "status_not_eligible": _("This is not possible for the order in its current state."),
    "order_tag_excluded": _("Please contact the store about this order."),
    "risk_excluded": _("Please contact the store about this order."),
    "product_excluded": _("Some items cannot be changed online."),
    "line_fulfilled": _("This item has already shipped."),
    "line_not_found": _("That item is not part of this order."),
    "no_lines": _("There are no items this applies to."),
    "reason_unknown": _("Please choose one of the reasons listed."),
    "window_closed": _("The time for this has passed."),
}
APPROVAL_MESSAGES: dict[str, Promise] = {
    "always_review": _("The store reviews every request like this."),
    "over_value": _("The store reviews requests for orders of this value."),
    "risk_review": _("The store will review this request."),
    "discount_used": _("The store reviews requests for orders placed with a discount code."),
    "grace_period": _("The usual time has passed, so the store will review this request."),
    "delivery_unknown": _("The store will confirm the delivery date and review this request."),
}
REASON_MESSAGES: dict[str, Promise] = {**BLOCKING_MESSAGES, **APPROVAL_MESSAGES}

_ORDER_LEVEL = frozenset({Action.EDIT_ADDRESS})
_LINE_ACTIONS = frozenset({Action.EDIT_QUANTITY, Action.SWAP_VARIANT, Action.REMOVE_LINE})
_EDITS = _LINE_ACTIONS | _ORDER_LEVEL


@dataclass(frozen=True, slots=True)
class DecisionReason:
    """Why: a stable code (kept, tested, mapped by the API) and its message in the active language."""

    code: str

    @property
    def message(self) -> str:
        return str(REASON_MESSAGES.get(self.code, self.code))

    @property
    def blocking(self) -> bool:
        return self.code in BLOCKING_MESSAGES

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


@dataclass(frozen=True, slots=True)
class RuleCheck:
    """One rule as it was evaluated, for staff: which rule, whether the order passed it, and the facts."""

    rule: str
    passed: bool
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "passed": self.passed, "detail": self.detail}


@dataclass(frozen=True)
class Decision:
    action: Action
    outcome: Outcome
    reasons: tuple[DecisionReason, ...] = ()
    # When the window for doing this without review closes (None: no time limit, or not time-based).
    window_closes_at: datetime | None = None
    # When the grace period after the window ends (None when there is none).
    grace_ends_at: datetime | None = None
    lines: tuple[int, ...] = ()  # the line ids the action would apply to
    excluded_lines: tuple[int, ...] = ()  # line ids left out by a per-line exclusion
    excluded_line_reasons: tuple[tuple[int, str], ...] = field(default=(), repr=False)
    trace: tuple[RuleCheck, ...] = field(default=(), repr=False)

    @property
    def allowed(self) -> bool:
        return self.outcome == Outcome.ALLOWED

    @property
    def needs_approval(self) -> bool:
        return self.outcome == Outcome.NEEDS_APPROVAL

    @property
    def available(self) -> bool:
        """Whether the customer may ask at all (at once or for review)."""
        return self.outcome != Outcome.NOT_ALLOWED

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(reason.code for reason in self.reasons)

    def line_reason(self, line_id: int) -> DecisionReason | None:
        """Why a line was left out, or None when it was not."""
        code = dict(self.excluded_line_reasons).get(line_id)
        return DecisionReason(code) if code else None

    def to_dict(self) -> dict[str, Any]:
        """The decision as JSON, for the request's record and the API."""
        return {
            "action": self.action.value,
            "outcome": self.outcome.value,
            "reasons": [reason.to_dict() for reason in self.reasons],
            "window_closes_at": self.window_closes_at.isoformat() if self.window_closes_at else None,
            "grace_ends_at": self.grace_ends_at.isoformat() if self.grace_ends_at else None,
            "lines": list(self.lines),
            "excluded_lines": [{"id": line_id, "code": code} for line_id, code in self.excluded_line_reasons],
            "trace": [check.to_dict() for check in self.trace],
        }


class _Evaluation:
    """Collects rule results while `decide` runs (local to one call)."""

    __slots__ = ("approvals", "blocking", "trace")

    def __init__(self) -> None:
        self.blocking: list[str] = []
        self.approvals: list[str] = []
        self.trace: list[RuleCheck] = []

    def require(self, rule: str, ok: bool, code: str, detail: str = "") -> bool:
        self.trace.append(RuleCheck(rule, ok, detail))
        if not ok and code not in self.blocking:
            self.blocking.append(code)
        return ok

    def review_if(self, rule: str, triggered: bool, code: str, detail: str = "") -> None:
        self.trace.append(RuleCheck(rule, not triggered, detail))
        if triggered and code not in self.approvals:
            self.approvals.append(code)

    def outcome(self) -> tuple[Outcome, tuple[DecisionReason, ...]]:
        if self.blocking:
            return Outcome.NOT_ALLOWED, tuple(DecisionReason(code) for code in self.blocking)
        if self.approvals:
            return Outcome.NEEDS_APPROVAL, tuple(DecisionReason(code) for code in self.approvals)
        return Outcome.ALLOWED, ()


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("decide() needs time-zone-aware datetimes.")
    return moment.astimezone(UTC)


def _zone(name: str) -> ZoneInfo:
    # ZoneInfo keeps its own cache, so this is a dict look-up after the first call.
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _local_moment(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of a wall-clock time in a zone.

    A time skipped by a spring-forward change (02:30 in Stockholm on the last Sunday of March) falls
    just after the gap (03:30 summer time); a time that happens twice in autumn is its first occurrence.
    Both follow PEP 495 with fold=0.
    """
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def next_cutoff(placed_at: datetime, cutoff: time, zone: ZoneInfo) -> datetime:
    """The first daily cut-off strictly after the order was placed, in UTC."""
    placed = _utc(placed_at)
    local_day = placed.astimezone(zone).date()
    candidate = _local_moment(local_day, cutoff, zone)
    if candidate <= placed:
        candidate = _local_moment(local_day + timedelta(days=1), cutoff, zone)
    return candidate


def withdrawal_deadline(delivered_at: datetime, days: int, zone: ZoneInfo) -> datetime:
    """The moment a withdrawal period of `days` from delivery ends, in UTC.

    Counted as Regulation 1182/71 counts periods in days (the Consumer Rights Directive, recital 41):
    the day of delivery does not count, the period ends at the end of its last day in the store's time
    zone, and a last day on a Saturday or Sunday moves to the following Monday. Public holidays differ by
    country and are not known here; a store can lengthen the period to cover them.
    """
    last_day = _utc(delivered_at).astimezone(zone).date() + timedelta(days=days)
    if last_day.weekday() >= 5:
        last_day += timedelta(days=7 - last_day.weekday())
    return _local_moment(last_day + timedelta(days=1), time(0, 0), zone)


def _window_close(window: Window, order: OrderFacts, zone: ZoneInfo) -> tuple[datetime | None, str]:
    """When a timed window closes, with a note for the trace; None for untimed windows."""
    placed = _utc(order.placed_at)
    if window.kind == WindowKind.MINUTES:
        if window.minutes is None or window.minutes < 0:
            return placed, "window has no length in minutes; treated as closed"
        return placed + timedelta(minutes=window.minutes), f"{window.minutes} minutes after the order"
    if window.kind == WindowKind.DAILY_CUTOFF:
        cutoff = window.cutoff_time
        if cutoff is None:
            return placed, f"cut-off {window.cutoff!r} is not a time; treated as closed"
        return next_cutoff(placed, cutoff, zone), f"daily cut-off {window.cutoff} ({zone.key})"
    return None, ""


def _select_lines(order: OrderFacts, lines: Sequence[int] | None, ev: _Evaluation) -> tuple[LineFacts, ...]:
    if lines is None:
        return order.lines
    by_id = {line.id: line for line in order.lines}
    unknown = [line_id for line_id in lines if line_id not in by_id]
    ev.require(
        "lines_in_order", not unknown, "line_not_found", f"unknown line ids {unknown}" if unknown else ""
    )
    return tuple(by_id[line_id] for line_id in dict.fromkeys(lines) if line_id in by_id)


def _exclude_products(
    scope_whole: bool,
    exclusions_match: Callable[[LineFacts], str | None],
    order: OrderFacts,
    requested: Iterable[LineFacts],
    excluded: dict[int, str],
    ev: _Evaluation,
) -> None:
    """Apply product exclusions: block the whole action, or leave the matching lines out."""
    if scope_whole:
        hits = [(line.id, kind) for line in order.lines if (kind := exclusions_match(line))]
        ev.require(
            "product_exclusions", not hits, "product_excluded", f"excluded lines {hits}" if hits else ""
        )
        return
    hits = []
    for line in requested:
        kind = exclusions_match(line)
        if kind:
            hits.append((line.id, kind))
            excluded.setdefault(line.id, "product_excluded")
    ev.trace.append(RuleCheck("product_exclusions", not hits, f"lines left out {hits}" if hits else ""))


def _finish(
    action: Action,
    ev: _Evaluation,
    requested: Sequence[LineFacts],
    excluded: dict[int, str],
    closes_at: datetime | None,
    grace_ends_at: datetime | None,
) -> Decision:
    remaining = tuple(line.id for line in requested if line.id not in excluded)
    # An address change is for the whole order; a cancellation of an order without lines is still one.
    acts_on_lines = action not in _ORDER_LEVEL and (bool(requested) or action != Action.CANCEL)
    if acts_on_lines and not remaining and not ev.blocking:
        # Nothing left to act on: say why each line was left out, or that there were none.
        codes = list(dict.fromkeys(excluded[line.id] for line in requested)) or ["no_lines"]
        for code in codes:
            ev.require("lines_remaining", False, code, "no line is left to act on")
    outcome, reasons = ev.outcome()
    ordered_excluded = tuple((line.id, excluded[line.id]) for line in requested if line.id in excluded)
    return Decision(
        action=action,
        outcome=outcome,
        reasons=reasons,
        window_closes_at=closes_at,
        grace_ends_at=grace_ends_at,
        lines=remaining,
        excluded_lines=tuple(line_id for line_id, _code in ordered_excluded),
        excluded_line_reasons=ordered_excluded,
        trace=tuple(ev.trace),
    )


def decide(
    *,
    policy: StorePolicy,
    order: OrderFacts,
    action: Action | str,
    now: datetime,
    lines: Sequence[int] | None = None,
    reason: str | None = None,
) -> Decision:
    """Whether `action` on `order` is allowed now, needs the store's approval, or is not allowed, and why.

    `lines` narrows a line action (quantity, swap, remove), a cancellation or a reorder to some line ids;
    None means every line. `reason` is the cancellation reason code, when the customer has chosen one.
    """
    action = Action(action)
    now = _utc(now)
    zone = _zone(order.timezone)
    if action == Action.WITHDRAWAL:
        return _decide_withdrawal(policy, order, now, lines, zone)

    rule = policy.rule_for(action)
    ev = _Evaluation()
    ev.require("enabled", rule.enabled, "action_disabled")
    if action != Action.REORDER:
        ev.require("not_cancelled", order.cancelled_at is None, "already_cancelled")
    # Hard rules no setting can loosen: a shipped order is never cancelled here, a fully shipped one
    # never edited (staff can still act on the platform).
    shipped_ok = True
    if action == Action.CANCEL:
        shipped_ok = ev.require(
            "nothing_shipped", not order.shipping_started, "fulfilled", order.fulfillment_status
        )
    elif action in _EDITS:
        shipped_ok = ev.require(
            "not_fully_shipped", not order.fully_shipped, "fulfilled", order.fulfillment_status
        )

    ev.require(
        "financial_status",
        order.financial_status in rule.financial_statuses,
        "status_not_eligible",
        f"{order.financial_status!r} in {list(rule.financial_statuses)}",
    )
    ev.require(
        "fulfillment_status",
        order.fulfillment_status in rule.fulfillment_statuses,
        "status_not_eligible",
        f"{order.fulfillment_status!r} in {list(rule.fulfillment_statuses)}",
    )
    folded = rule.order_exclusions.folded_tags
    tag_hits = [tag for tag in order.tags if tag.casefold() in folded] if folded else []
    ev.require(
        "order_tags", not tag_hits, "order_tag_excluded", f"excluded tags {tag_hits}" if tag_hits else ""
    )
    ev.require(
        "order_risk",
        order.risk_level not in rule.order_exclusions.risk_levels,
        "risk_excluded",
        f"risk {order.risk_level!r}, excluded {list(rule.order_exclusions.risk_levels)}",
    )
    if action == Action.CANCEL and reason is not None:
        ev.require("reason", reason in policy.reasons.codes, "reason_unknown", f"reason {reason!r}")

    requested = order.lines if action in _ORDER_LEVEL else _select_lines(order, lines, ev)
    excluded: dict[int, str] = {}
    if action in _LINE_ACTIONS:
        # Shipped units cannot be swapped or removed; a quantity can still change while some are unshipped.
        partly_is_enough = action != Action.EDIT_QUANTITY
        for line in requested:
            if line.fully_fulfilled or (partly_is_enough and line.partly_fulfilled):
                excluded[line.id] = "line_fulfilled"
    if not rule.product_exclusions.is_empty:
        whole = rule.product_exclusions.scope == ExclusionScope.ORDER or action in _ORDER_LEVEL
        _exclude_products(whole, rule.product_exclusions.match, order, requested, excluded, ev)

    closes_at, window_note = _window_close(rule.window, order, zone)
    grace_ends_at: datetime | None = None
    if rule.window.kind == WindowKind.UNTIL_FULFILLMENT:
        started = order.shipping_started
        if shipped_ok:
            ev.require("window", not started, "window_closed", "until fulfilment starts")
        else:
            ev.trace.append(RuleCheck("window", not started, "until fulfilment starts"))
    elif closes_at is not None:
        grace = max(rule.approval.grace_minutes, 0)
        grace_ends_at = closes_at + timedelta(minutes=grace) if grace else None
        in_window = now < closes_at
        in_grace = not in_window and grace_ends_at is not None and now < grace_ends_at
        ev.require(
            "window", in_window or in_grace, "window_closed", f"{window_note}: closes {closes_at.isoformat()}"
        )
        if grace_ends_at is not None:
            ev.review_if("grace_period", in_grace, "grace_period", f"grace ends {grace_ends_at.isoformat()}")
    else:
        ev.trace.append(RuleCheck("window", True, "no time limit"))

    approval = rule.approval
    ev.review_if("always_review", approval.always, "always_review")
    if approval.over_value is not None:
        over = order.total > approval.over_value
        ev.review_if("over_value", over, "over_value", f"total {order.total} > {approval.over_value}")
    if approval.risk_levels:
        risky = order.risk_level in approval.risk_levels
        ev.review_if("risk_review", risky, "risk_review", f"risk {order.risk_level!r}")
    if approval.discount_used:
        used = bool(order.discount_codes)
        ev.review_if("discount_used", used, "discount_used", f"codes {list(order.discount_codes)}")
    return _finish(action, ev, requested, excluded, closes_at, grace_ends_at)


def _decide_withdrawal(
    policy: StorePolicy, order: OrderFacts, now: datetime, lines: Sequence[int] | None, zone: ZoneInfo
) -> Decision:
    """The EU right of withdrawal: available from the order until the period after delivery ends."""
    settings = policy.withdrawal
    ev = _Evaluation()
    ev.require("enabled", settings.enabled, "action_disabled")
    ev.require("not_cancelled", order.cancelled_at is None, "already_cancelled")
    requested = _select_lines(order, lines, ev)
    excluded: dict[int, str] = {}
    if not settings.exclusions.is_empty:
        whole = settings.exclusions.scope == ExclusionScope.ORDER
        _exclude_products(whole, settings.exclusions.match, order, requested, excluded, ev)

    days = max(settings.period_days, LEGAL_WITHDRAWAL_DAYS)
    closes_at: datetime | None = None
    if order.delivered_at is not None:
        closes_at = withdrawal_deadline(order.delivered_at, days, zone)
        ev.require(
            "window",
            now < closes_at,
            "window_closed",
            f"{days} days from delivery: closes {closes_at.isoformat()}",
        )
    elif not order.shipping_started:
        # The customer may withdraw before the goods arrive (Art. 9(3)); the period starts on delivery.
        ev.trace.append(RuleCheck("window", True, "not shipped yet; the period starts on delivery"))
    else:
        ev.review_if("delivery_known", True, "delivery_unknown", "shipped, delivery date unknown")
    return _finish(Action.WITHDRAWAL, ev, requested, excluded, closes_at, None)


def combine(decisions: Sequence[Decision], *, strictest: bool) -> Decision:
    """One decision for several actions: the strictest (a submitted edit: every change must be allowed)
    or the most lenient (what a page offers: "Change items" is open if any kind of item change is).

    The reasons are those of the decisions with the chosen outcome, the window closes at the earliest
    close, and the trace keeps every check prefixed by its action.
    """
    if len(decisions) == 1:
        return decisions[0]
    pick = max if strictest else min
    chosen = pick(decisions, key=lambda d: OUTCOME_RANK[d.outcome])
    same = [d for d in decisions if d.outcome == chosen.outcome]
    reasons = tuple(dict.fromkeys(reason for d in same for reason in d.reasons))
    closes = [d.window_closes_at for d in decisions if d.window_closes_at is not None]
    trace = tuple(
        RuleCheck(f"{d.action.value}.{check.rule}", check.passed, check.detail)
        for d in decisions
        for check in d.trace
    )
    return dataclasses.replace(
        chosen,
        reasons=reasons,
        window_closes_at=min(closes) if closes else None,
        lines=tuple(dict.fromkeys(line for d in decisions for line in d.lines)),
        trace=trace,
    )
