"""Figures and the combined queue across the stores an agency works in.

Every function takes the stores the agency's active grants reach (resolved by the caller through
tenants.selectors.granted_stores on each request) and reads only those stores' rows.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.core import signing
from django.db.models import Count, Q
from django.utils import timezone

from cancellations.models import Order, OrderRequest, RequestStatus
from cancellations.orders.describe import Describer
from cancellations.queue.selectors import backlog, queue_settings
from tenants.models import Store

COMBINED_PAGE_SIZE = 50
_CURSOR_SALT = "amend.agency-queue"


@dataclasses.dataclass(frozen=True)
class StoreFigures:
    store: Store
    role: str
    waiting: int
    late: int
    failed: int
    placed: int
    cancelled: int
    target_hours: int

    @property
    def cancellation_rate(self) -> float | None:
        return self.cancelled / self.placed if self.placed else None


def store_figures(*, stores: Sequence[tuple[Store, str]], now: datetime | None = None) -> list[StoreFigures]:
    """Waiting, late and failed requests and the last 30 days' cancellation rate, per granted store."""
    now = now or timezone.now()
    since = now - timedelta(days=30)
    figures = []
    for store, role in stores:
        target = queue_settings(store=store).response_target_hours
        waiting = backlog(store=store, target=timedelta(hours=target), now=now)
        orders = (
            Order.objects.for_store(store)
            .filter(placed_at__gte=since)
            .aggregate(placed=Count("id"), cancelled=Count("id", filter=Q(cancelled_at__isnull=False)))
        )
        failed = OrderRequest.objects.for_store(store).filter(status=RequestStatus.FAILED).count()
        figures.append(
            StoreFigures(
                store=store,
                role=role,
                waiting=waiting.waiting,
                late=waiting.late,
                failed=failed,
                placed=orders["placed"],
                cancelled=orders["cancelled"],
                target_hours=target,
            )
        )
    return figures


@dataclasses.dataclass(frozen=True)
class CombinedPage:
    rows: list[OrderRequest]
    next_cursor: str | None
    # Each row with its title and what it changes ("Change of items", "Merino Crew Sweater: S → M").
    described: list[tuple[OrderRequest, str, str]] = dataclasses.field(default_factory=list)


def combined_queue(
    *,
    stores: Sequence[Store],
    store_slug: str = "",
    cursor: str | None = None,
    size: int = COMBINED_PAGE_SIZE,
) -> CombinedPage:
    """Requests waiting for review in any of these stores, oldest first, keyset-paginated."""
    allowed = {store.pk: store for store in stores}
    if store_slug:
        allowed = {pk: store for pk, store in allowed.items() if store.slug == store_slug}
    if not allowed:
        return CombinedPage(rows=[], next_cursor=None)
    requests = (
        OrderRequest.objects.dangerously_unscoped()  # narrowed to the granted stores just below
        .filter(store_id__in=list(allowed), status=RequestStatus.PENDING_REVIEW)
        .select_related("order")
        .order_by("requested_at", "id")
    )
    after = _decode(cursor)
    if after is not None:
        moment, row_id = after
        requests = requests.filter(Q(requested_at__gt=moment) | Q(requested_at=moment, id__gt=row_id))
    rows = list(requests[: size + 1])
    for row in rows:
        row.store = allowed[row.store_id]
    more = len(rows) > size
    rows = rows[:size]
    # One describer per store on the page: each reads only its own store's changes and catalogue.
    words: dict[int, tuple[str, str]] = {}
    for store_id in {row.store_id for row in rows}:
        own = [row for row in rows if row.store_id == store_id]
        describer = Describer(allowed[store_id], own)
        words.update({row.pk: (describer.title_of(row), describer.summary_of(row)) for row in own})
    described = [(row, *words[row.pk]) for row in rows]
    return CombinedPage(rows=rows, next_cursor=_encode(rows[-1]) if more else None, described=described)


def _encode(row: OrderRequest) -> str:
    return signing.dumps({"t": row.requested_at.isoformat(), "i": row.pk}, salt=_CURSOR_SALT)


def _decode(cursor: str | None) -> tuple[datetime, int] | None:
    if not cursor:
        return None
    try:
        data = signing.loads(cursor, salt=_CURSOR_SALT)
        return datetime.fromisoformat(data["t"]), int(data["i"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
