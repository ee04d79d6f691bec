"""The store's audit log under /app/<store>/audit/: set-up changes and request events, filterable, as CSV.

`?format=csv` streams every entry that passes the filters (no page limit), read in chunks, so a
store with millions of events exports without holding them in memory.
"""

from __future__ import annotations

import csv
import json
import zoneinfo
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils import timezone

from cancellations.audit.selectors import AuditEntry, AuditFilters, audit_entries, audit_page
from portal.csv_export import Echo, safe_cell
from portal.merchant.base import StoreStaffView
from portal.merchant.queue.forms import AuditFilterForm
from tenants.roles import Scope

CSV_COLUMNS = (
    "at",
    "source",
    "actor_kind",
    "actor",
    "action",
    "subject",
    "request_id",
    "request_kind",
    "from_status",
    "to_status",
    "details",
)


def _csv_row(entry: AuditEntry, zone: zoneinfo.ZoneInfo) -> list[str]:
    return [
        safe_cell(value)
        for value in (
            timezone.localtime(entry.at, timezone=zone).isoformat(),
            entry.source,
            entry.actor_kind,
            entry.actor_label,
            entry.action,
            entry.subject,
            entry.request_id,
            entry.request_kind,
            entry.from_status,
            entry.to_status,
            json.dumps(entry.data, sort_keys=True, default=str) if entry.data else "",
        )
    ]


def _store_zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def _start_of(day: date | None, zone: zoneinfo.ZoneInfo) -> datetime | None:
    return datetime.combine(day, time.min, tzinfo=zone) if day else None


class AuditLogView(StoreStaffView):
    required_scopes = {"GET": Scope.TEAM_MANAGE}
    nav = "audit"

    def get(self, request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
        zone = _store_zone(self.store.timezone)
        form = AuditFilterForm(request.GET or None)
        data = form.cleaned_data if form.is_valid() else {}
        until_day = data.get("date_to")
        filters = AuditFilters(
            actor_kind=data.get("actor_kind") or "",
            action=(data.get("action") or "").strip(),
            since=_start_of(data.get("date_from"), zone),
            # Dates are the store's days; "to" includes the whole of its last day.
            until=_start_of(until_day + timedelta(days=1), zone) if until_day else None,
        )
        if request.GET.get("format") == "csv":
            return self._csv(filters, zone)
        page = audit_page(store=self.store, filters=filters, cursor=request.GET.get("cursor") or None)
        kept = request.GET.copy()
        kept.pop("cursor", None)
        kept.pop("format", None)
        context = {
            "form": form,
            "entries": page.entries,
            "page": page,
            "query": kept.urlencode(),
            "filtered": bool(kept),
        }
        return self.render(request, "merchant/audit.html", context)

    def _csv(self, filters: AuditFilters, zone: zoneinfo.ZoneInfo) -> StreamingHttpResponse:
        writer = csv.writer(Echo())

        def lines() -> Iterator[str]:
            yield writer.writerow(CSV_COLUMNS)
            for entry in audit_entries(store=self.store, filters=filters):
                yield writer.writerow(_csv_row(entry, zone))

        stamp = timezone.localtime(timezone.now(), timezone=zone).strftime("%Y%m%d-%H%M")
        response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{self.store.slug}-audit-{stamp}.csv"'
        return response
