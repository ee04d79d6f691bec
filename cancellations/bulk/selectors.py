"""Bulk cancellation, read side: which orders a filter or pasted numbers choose, what a job would do.

`preview_bulk_cancel` answers the preview page (a count, the refund total, and each order that cannot
be cancelled with the reason); the drain asks `order_ineligibility` again for each order as it goes.
Pasted numbers that match no order of this store (another store's included) are reported as unknown
and never looked up anywhere else.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from cancellations.bulk.errors import BulkErrorCode
from cancellations.models import (
    PAID_STATES,
    BulkCancelItem,
    BulkCancelJob,
    BulkItemStatus,
    FinancialStatus,
    FulfillmentStatus,
    LineItem,
    Order,
    OrderRequest,
    RefundMethod,
    RequestKind,
    RiskLevel,
)
from cancellations.models.requests import OPEN_STATUSES
from cancellations.requests.errors import InvalidRequest
from tenants.errors import NotFound
from tenants.models import Store

ZERO = Decimal("0.00")
# A cancel request in one of these is already under way: approved by the policy and not yet carried
# out counts too (it is not "open" for the one-open constraint, but it will cancel the order).
UNDER_WAY_STATUSES: tuple[str, ...] = OPEN_STATUSES
# How many orders one preview lists by name for each reason it gives (the counts cover them all).
EXAMPLES_PER_REASON = 50


# --- choosing orders -----------------------------------------------------------------------------


class StatusFilter:
    OPEN = "open"
    UNPAID = "unpaid"
    PAID = "paid"
    ANY = "any"


def status_choices() -> list[tuple[str, str]]:
    return [
        (StatusFilter.OPEN, _("Open: not cancelled, nothing shipped")),
        (StatusFilter.UNPAID, _("Not paid yet (pending or authorised)")),
        (StatusFilter.PAID, _("Paid")),
        (StatusFilter.ANY, _("Any status")),
    ]


_STATUS_Q: dict[str, Q] = {
    StatusFilter.OPEN: Q(cancelled_at__isnull=True, fulfillment_status=FulfillmentStatus.UNFULFILLED),
    StatusFilter.UNPAID: Q(financial_status__in=(FinancialStatus.PENDING, FinancialStatus.AUTHORIZED)),
    StatusFilter.PAID: Q(financial_status__in=PAID_STATES),
    StatusFilter.ANY: Q(),
}


@dataclass(frozen=True)
class OrderFilters:
    """Which orders a filter chooses. Dates are days in the store's time zone, both ends included."""

    status: str = StatusFilter.OPEN
    placed_from: date | None = None
    placed_to: date | None = None
    tag: str = ""
    risk: str = ""
    total_min: Decimal | None = None
    total_max: Decimal | None = None

    def __post_init__(self) -> None:
        if self.status not in _STATUS_Q:
            raise InvalidRequest(_("Choose a status."), code=BulkErrorCode.FILTER_INVALID, field="status")
        if self.risk and self.risk not in RiskLevel.values:
            raise InvalidRequest(_("Choose a risk level."), code=BulkErrorCode.FILTER_INVALID, field="risk")
        if self.placed_from and self.placed_to and self.placed_from > self.placed_to:
            raise InvalidRequest(
                _("The first day comes after the last."), code=BulkErrorCode.FILTER_INVALID, field="placed_to"
            )
        if self.total_min is not None and self.total_max is not None and self.total_min > self.total_max:
            raise InvalidRequest(
                _("The lowest total is above the highest."),
                code=BulkErrorCode.FILTER_INVALID,
                field="total_max",
            )

    def queryset(self, store: Store) -> QuerySet[Order]:
        orders = Order.objects.for_store(store).filter(_STATUS_Q[self.status])
        zone = _zone(store)
        if self.placed_from:
            orders = orders.filter(placed_at__gte=datetime.combine(self.placed_from, time.min, tzinfo=zone))
        if self.placed_to:
            next_day = datetime.combine(self.placed_to + timedelta(days=1), time.min, tzinfo=zone)
            orders = orders.filter(placed_at__lt=next_day)
        if self.tag:
            orders = orders.filter(tags__contains=[self.tag])
        if self.risk:
            orders = orders.filter(risk_level=self.risk)
        if self.total_min is not None:
            orders = orders.filter(total__gte=self.total_min)
        if self.total_max is not None:
            orders = orders.filter(total__lte=self.total_max)
        return orders

    def describe(self) -> str:
        parts = [dict(status_choices())[self.status]]
        if self.placed_from or self.placed_to:
            parts.append(
                _("placed %(start)s to %(end)s")
                % {"start": self.placed_from or "…", "end": self.placed_to or "…"}
            )
        if self.tag:
            parts.append(_("tagged %(tag)s") % {"tag": self.tag})
        if self.risk:
            parts.append(_("risk %(risk)s") % {"risk": RiskLevel(self.risk).label})
        if self.total_min is not None or self.total_max is not None:
            parts.append(
                _("total %(low)s to %(high)s")
                % {
                    "low": self.total_min if self.total_min is not None else "…",
                    "high": self.total_max or "…",
                }
            )
        return "; ".join(str(part) for part in parts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "placed_from": self.placed_from.isoformat() if self.placed_from else None,
            "placed_to": self.placed_to.isoformat() if self.placed_to else None,
            "tag": self.tag,
            "risk": self.risk,
            "total_min": str(self.total_min) if self.total_min is not None else None,
            "total_max": str(self.total_max) if self.total_max is not None else None,
        }


def _zone(store: Store) -> ZoneInfo:
    try:
        return ZoneInfo(store.timezone)
    except (ValueError, KeyError):
        return ZoneInfo("UTC")


_NUMBER_SPLIT = re.compile(r"[\s,;]+")


def parse_order_numbers(text: str) -> list[str]:
    """The order numbers in pasted text (one a line, or separated by commas), in order, without repeats."""
    tokens = [token.strip().lstrip("#") for token in _NUMBER_SPLIT.split(text or "")]
    return list(dict.fromkeys(token for token in tokens if token))


def orders_by_number(store: Store, numbers: Sequence[str]) -> tuple[list[Order], list[str]]:
    """The store's orders named by these numbers (as `#1001`, `1001` or the order's name), and the rest."""
    names = set(numbers) | {f"#{number}" for number in numbers}
    digits = {int(number) for number in numbers if number.isdigit() and len(number) < 19}
    found = list(
        Order.objects.for_store(store).filter(Q(name__in=names) | Q(number__in=digits)).order_by("id")
    )
    by_token: dict[str, Order] = {}
    for order in found:
        for token in (order.name, order.name.lstrip("#"), str(order.number or "")):
            by_token.setdefault(token, order)
    chosen: dict[int, Order] = {}
    unknown: list[str] = []
    for number in numbers:
        match = by_token.get(number)
        if match is None:
            unknown.append(number)
        else:
            chosen.setdefault(match.pk, match)
    return list(chosen.values()), unknown


# --- what a job would do -------------------------------------------------------------------------


@dataclass(frozen=True)
class Ineligible:
    order_id: int
    name: str
    code: str
    message: str


@dataclass(frozen=True)
class BulkPreview:
    eligible: tuple[Order, ...]
    refund_by_currency: dict[str, Decimal]
    ineligible: tuple[Ineligible, ...]
    unknown_numbers: tuple[str, ...]
    description: str
    selection: dict[str, Any] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return len(self.eligible)

    @property
    def refund_total(self) -> Decimal:
        return sum(self.refund_by_currency.values(), ZERO)

    def ineligible_by_reason(self) -> list[tuple[str, int, list[Ineligible]]]:
        """(message, how many, the first few) for each reason, most frequent first."""
        groups: dict[str, list[Ineligible]] = defaultdict(list)
        for row in self.ineligible:
            groups[row.message].append(row)
        ranked = sorted(groups.items(), key=lambda pair: -len(pair[1]))
        return [(message, len(rows), rows[:EXAMPLES_PER_REASON]) for message, rows in ranked]


def refundable(order: Order, refund_method: str) -> Decimal:
    """What cancelling the order gives back: what was paid and not refunded yet, unless no refund."""
    if refund_method == RefundMethod.NONE or order.financial_status not in PAID_STATES:
        return ZERO
    return max(order.total - order.refunded, ZERO)


def ineligible_reasons(
    store: Store, orders: Sequence[Order], job: BulkCancelJob | None
) -> dict[int, tuple[str, str]]:
    """Why each order that cannot be cancelled in bulk cannot (order id -> (code, message))."""
    ids = [order.pk for order in orders]
    open_requests = dict(
        OrderRequest.objects.for_store(store)
        .filter(order_id__in=ids, kind=RequestKind.CANCEL, status__in=UNDER_WAY_STATUSES)
        .values_list("order_id", "pk")
    )
    in_jobs = BulkCancelItem.objects.for_store(store).filter(order_id__in=ids, status=BulkItemStatus.PENDING)
    if job is not None:
        in_jobs = in_jobs.exclude(job=job)
    other_jobs = dict(in_jobs.values_list("order_id", "job_id"))
    reasons: dict[int, tuple[str, str]] = {}
    for order in orders:
        why = order_ineligibility(order, open_request=open_requests.get(order.pk))
        if why is None and order.pk in other_jobs:
            why = (
                "in_other_job",
                _("Already part of bulk cancellation #%(job)s.") % {"job": other_jobs[order.pk]},
            )
        if why is not None:
            reasons[order.pk] = why
    return reasons


def order_ineligibility(order: Order, *, open_request: int | None) -> tuple[str, str] | None:
    """Why staff cannot cancel this order in bulk (code, message), or None when they can.

    The hard rules only: the store's customer policy (windows, exclusions) binds customers, not the
    staff who decide; a shipped order is never cancelled here (staff can still act on the platform).
    """
    if order.cancelled_at is not None:
        return "already_cancelled", _("Already cancelled.")
    shipped = getattr(order, "has_shipped_lines", False)
    if order.fulfillment_status != FulfillmentStatus.UNFULFILLED or shipped:
        return "shipped", _("Items have already shipped; cancel it on the platform if you must.")
    if open_request is not None:
        return (
            "request_open",
            _("A cancellation request for this order is already under way (request %(id)s).")
            % {"id": open_request},
        )
    return None


def with_shipping(orders: QuerySet[Order]) -> QuerySet[Order]:
    # A subquery correlated to the (store-scoped) orders, on the lines' (store, order) index.
    shipped = LineItem.objects.filter(
        store_id=OuterRef("store_id"), order=OuterRef("pk"), fulfilled_quantity__gt=0
    )
    return orders.annotate(has_shipped_lines=Exists(shipped))


def preview_bulk_cancel(
    *,
    store: Store,
    filters: OrderFilters | None = None,
    order_numbers: str | Sequence[str] | None = None,
    refund_method: str = RefundMethod.ORIGINAL,
) -> BulkPreview:
    """How many orders a bulk cancellation would cancel, the total it would refund, and which it cannot."""
    limit = int(settings.BULK_CANCEL_MAX_ORDERS)
    if (filters is None) == (order_numbers is None):
        raise InvalidRequest(
            _("Choose orders by a filter or by their numbers."), code=BulkErrorCode.SELECTION_INVALID
        )
    unknown: list[str] = []
    if filters is not None:
        orders = list(with_shipping(filters.queryset(store)).order_by("placed_at", "id")[: limit + 1])
        description = filters.describe()
        selection: dict[str, Any] = {"filters": filters.to_dict()}
    else:
        numbers = (
            parse_order_numbers(order_numbers)
            if isinstance(order_numbers, str)
            else list(order_numbers or [])
        )
        if not numbers:
            raise InvalidRequest(
                _("Paste at least one order number."), code=BulkErrorCode.NUMBERS_EMPTY, field="numbers"
            )
        if len(numbers) > limit:
            raise InvalidRequest(
                _("Paste at most %(max)s order numbers at a time.") % {"max": limit},
                code=BulkErrorCode.TOO_MANY_ORDERS,
                field="numbers",
            )
        found, unknown = orders_by_number(store, numbers)
        ids = [order.pk for order in found]
        by_id = {
            order.pk: order for order in with_shipping(Order.objects.for_store(store).filter(pk__in=ids))
        }
        orders = [by_id[pk] for pk in ids]
        description = _("%(count)s order numbers pasted") % {"count": len(numbers)}
        selection = {"numbers": numbers}
    if len(orders) > limit:
        raise InvalidRequest(
            _("This chooses more than %(max)s orders; narrow the filter.") % {"max": limit},
            code=BulkErrorCode.TOO_MANY_ORDERS,
        )
    reasons = ineligible_reasons(store, orders, None)
    eligible = tuple(order for order in orders if order.pk not in reasons)
    refunds: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for order in eligible:
        refunds[order.currency] += refundable(order, refund_method)
    ineligible = tuple(
        Ineligible(order.pk, order.name, *reasons[order.pk]) for order in orders if order.pk in reasons
    )
    return BulkPreview(
        eligible=eligible,
        refund_by_currency=dict(refunds),
        ineligible=ineligible,
        unknown_numbers=tuple(unknown),
        description=str(description),
        selection=selection,
    )


def access_bulk_job(*, store: Store, job_id: int, lock: bool = False) -> BulkCancelJob:
    """The store's bulk cancellation with this id (locked when `lock`), or NotFound."""
    jobs = BulkCancelJob.objects.for_store(store)
    if lock:
        jobs = jobs.select_for_update()
    job = jobs.filter(pk=job_id).first()
    if job is None:
        raise NotFound(_("No such bulk cancellation."))
    return job


# --- reading jobs --------------------------------------------------------------------------------


def recent_bulk_jobs(*, store: Store, limit: int = 20) -> list[BulkCancelJob]:
    return list(BulkCancelJob.objects.for_store(store).order_by("-created_at", "-id")[:limit])


@dataclass(frozen=True)
class ResultRow:
    number: str
    status: str
    message: str
    refund: str
    currency: str


def bulk_result_rows(*, store: Store, job: BulkCancelJob) -> Iterator[ResultRow]:
    """One row per order the job named, in the order chosen, then the numbers that matched nothing."""
    items = (
        BulkCancelItem.objects.for_store(store)
        .filter(job=job)
        .order_by("id")
        .values_list("order_name", "status", "message", "refund", "currency")
    )
    for name, status, message, refund, currency in items.iterator(chunk_size=2000):
        shown = refund if status == BulkItemStatus.DONE else ZERO
        yield ResultRow(name, status, message, f"{shown:.2f}", currency)
    for number in job.unknown_numbers:
        yield ResultRow(str(number), BulkItemStatus.SKIPPED, _("No such order in this store."), "", "")


def parse_decimal(value: Any) -> Decimal | None:
    """A money amount from a form or JSON, or None when empty."""
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value)).quantize(Decimal("0.01"))
    except InvalidOperation:
        raise InvalidRequest(_("Give an amount."), code=BulkErrorCode.AMOUNT_INVALID) from None


def filters_from(data: Mapping[str, Any]) -> OrderFilters:
    """Filters from plain values (as stored on a job, or posted by the form's cleaned data)."""

    def day(value: Any) -> date | None:
        if isinstance(value, date):
            return value
        return date.fromisoformat(value) if value else None

    return OrderFilters(
        status=str(data.get("status") or StatusFilter.OPEN),
        placed_from=day(data.get("placed_from")),
        placed_to=day(data.get("placed_to")),
        tag=str(data.get("tag") or "").strip(),
        risk=str(data.get("risk") or ""),
        total_min=parse_decimal(data.get("total_min")),
        total_max=parse_decimal(data.get("total_max")),
    )
