"""A store's audit log: its set-up changes (tenants.StoreAuditEvent) and every request event, as one list.

The two tables are read apart, each newest first by its own (store, at) index, and merged by time;
paging is by keyset on (at, source, id), so an old page costs what the first one does. Set-up events
have no actor kind of their own: one with a person is "staff", one without is Amend ("system").
"""

from __future__ import annotations

import dataclasses
import heapq
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from django.core import signing
from django.db.models import Q, QuerySet
from django.utils.dateparse import parse_datetime

from cancellations.audit.labels import action_label
from cancellations.models import ActorKind, OrderRequest, RequestEvent
from cancellations.orders.describe import Describer, event_details
from tenants.models import Store, StoreAuditEvent

CURSOR_SALT = "amend.audit-cursor"
PAGE_SIZE = 100
REQUEST, STORE = "request", "store"  # the two sources; this order (r < s) breaks ties of time


@dataclasses.dataclass(frozen=True)
class AuditFilters:
    actor_kind: str = ""
    action: str = ""
    since: datetime | None = None  # inclusive
    until: datetime | None = None  # exclusive


@dataclasses.dataclass(frozen=True)
class AuditEntry:
    source: str
    id: int
    at: datetime
    actor_kind: str
    actor_label: str
    action: str
    subject: str
    request_id: int | None
    request_kind: str
    from_status: str
    to_status: str
    data: dict[str, Any]

    @property
    def sort_key(self) -> tuple[datetime, str, int]:
        return (self.at, self.source, self.id)

    @property
    def action_label(self) -> str:
        return action_label(self.action)

    @property
    def details(self) -> list[str]:
        """The recorded data in words ("Refund method: Original payment method → Store credit")."""
        data = self.data or {}
        if self.action == "store.settings_changed":
            # Each setting is kept as [before, after].
            data = {
                key: {"before": value[0], "after": value[1]}
                if isinstance(value, list) and len(value) == 2
                else value
                for key, value in data.items()
            }
        elif self.action == "team.role_changed" and "from" in data:
            data = {"role": {"before": data.get("from"), "after": data.get("to")}}
        return event_details(data)

    @property
    def actor_kind_label(self) -> str:
        try:
            return str(ActorKind(self.actor_kind).label)
        except ValueError:
            return self.actor_kind


@dataclasses.dataclass(frozen=True)
class AuditPage:
    entries: list[AuditEntry]
    next_cursor: str | None


def _before_after(value: Any) -> Any:
    if isinstance(value, list) and len(value) == 2:
        return {"before": value[0], "after": value[1]}
    return value


def _encode(entry: AuditEntry) -> str:
    return signing.dumps({"a": entry.at.isoformat(), "s": entry.source, "i": entry.id}, salt=CURSOR_SALT)


def _decode(cursor: str) -> tuple[datetime, str, int] | None:
    try:
        data = signing.loads(cursor, salt=CURSOR_SALT)
        at = parse_datetime(str(data["a"]))
        source, row_id = str(data["s"]), int(data["i"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    if at is None or source not in (REQUEST, STORE):
        return None
    return at, source, row_id


def _after(source: str, position: tuple[datetime, str, int] | None) -> Q:
    """Rows of one source that come after the cursor, newest first by (at, source, id)."""
    if position is None:
        return Q()
    at, cursor_source, row_id = position
    if source < cursor_source:
        return Q(at__lte=at)
    if source > cursor_source:
        return Q(at__lt=at)
    return Q(at__lte=at) & (Q(at__lt=at) | Q(id__lt=row_id))


def _dated(rows: QuerySet, filters: AuditFilters) -> QuerySet:
    if filters.since is not None:
        rows = rows.filter(at__gte=filters.since)
    if filters.until is not None:
        rows = rows.filter(at__lt=filters.until)
    if filters.action:
        rows = rows.filter(action=filters.action)
    return rows


def _request_events(store: Store, filters: AuditFilters) -> QuerySet:
    rows = RequestEvent.objects.for_store(store)
    if filters.actor_kind:
        rows = rows.filter(actor_kind=filters.actor_kind)
    return _dated(rows, filters).values_list(
        "id",
        "at",
        "actor_kind",
        "actor_label",
        "action",
        "request__order__name",
        "request_id",
        "request__kind",
        "from_status",
        "to_status",
        "data",
    )


def _store_events(store: Store, filters: AuditFilters) -> QuerySet | None:
    rows = StoreAuditEvent.objects.for_store(store)
    if filters.actor_kind == ActorKind.STAFF:
        rows = rows.filter(actor__isnull=False)
    elif filters.actor_kind == ActorKind.SYSTEM:
        rows = rows.filter(actor__isnull=True)
    elif filters.actor_kind:
        return None  # customers, rules and tokens do not change a store's set-up
    return _dated(rows, filters).values_list(
        "id", "at", "actor_id", "actor_label", "action", "subject", "data"
    )


def _request_entry(row: tuple[Any, ...]) -> AuditEntry:
    row_id, at, kind, label, action, order_name, request_id, request_kind, before, after, data = row
    return AuditEntry(
        REQUEST,
        row_id,
        at,
        kind,
        label,
        action,
        order_name or "",
        request_id,
        request_kind,
        before,
        after,
        data,
    )


def _store_entry(row: tuple[Any, ...]) -> AuditEntry:
    row_id, at, actor_id, label, action, subject, data = row
    kind = ActorKind.STAFF if actor_id is not None else ActorKind.SYSTEM
    return AuditEntry(STORE, row_id, at, str(kind), label, action, subject, None, "", "", "", data)


def _streams(
    store: Store, filters: AuditFilters, position: tuple[datetime, str, int] | None, limit: int | None
) -> list[Iterable[AuditEntry]]:
    streams: list[Iterable[AuditEntry]] = []
    for source, rows, make in (
        (REQUEST, _request_events(store, filters), _request_entry),
        (STORE, _store_events(store, filters), _store_entry),
    ):
        if rows is None:
            continue
        rows = rows.filter(_after(source, position)).order_by("-at", "-id")
        if limit is not None:
            streams.append([make(row) for row in rows[:limit]])
        else:
            streams.append(map(make, rows.iterator(chunk_size=2000)))
    return streams


def audit_page(
    *, store: Store, filters: AuditFilters, cursor: str | None = None, size: int = PAGE_SIZE
) -> AuditPage:
    """One page of the store's audit log, newest first, after the cursor."""
    position = _decode(cursor) if cursor else None
    merged = heapq.merge(
        *_streams(store, filters, position, size + 1), key=lambda e: e.sort_key, reverse=True
    )
    entries = [entry for _, entry in zip(range(size + 1), merged, strict=False)]
    more = len(entries) > size
    entries = entries[:size]
    cursor_out = _encode(entries[-1]) if more and entries else None
    return AuditPage(entries=_described(store, entries), next_cursor=cursor_out)


def _described(store: Store, entries: list[AuditEntry]) -> list[AuditEntry]:
    """Request entries name the request and what it changes: "#1001 · Change of items: ..."."""
    ids = {entry.request_id for entry in entries if entry.request_id is not None}
    if not ids:
        return entries
    requests = list(OrderRequest.objects.for_store(store).filter(pk__in=ids).only("id", "store_id", "kind"))
    describer = Describer(store, requests)
    words: dict[int, str] = {}
    for request in requests:
        summary = describer.summary_of(request)
        title = describer.title_of(request)
        words[request.pk] = f"{title}: {summary}" if summary else title
    return [
        dataclasses.replace(entry, subject=f"{entry.subject} · {words[entry.request_id]}")
        if entry.request_id in words
        else entry
        for entry in entries
    ]


def audit_entries(*, store: Store, filters: AuditFilters) -> Iterator[AuditEntry]:
    """Every entry that passes the filters, newest first, read in chunks (for an export)."""
    yield from heapq.merge(*_streams(store, filters, None, None), key=lambda e: e.sort_key, reverse=True)
