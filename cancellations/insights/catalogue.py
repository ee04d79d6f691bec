"""Every chart of the Insights page: its data as a table (shown under the chart, exported as CSV) and its SVG.

`chart(name, insights)` builds one chart from a `StoreInsights`, which computes each insight when first
asked for, so a CSV export computes only what its chart needs. Table rows hold raw values (as the CSV
has them); `Column.kind` says how the page prints them, and `csv_only` columns (stable codes beside
their labels) are left out of the page's table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.utils.formats import date_format
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from cancellations.insights import formatting, queries
from cancellations.insights.charts import Series, bar_chart, line_chart
from cancellations.insights.periods import Bucket, Period
from cancellations.insights.report import DELAY_LABELS, StoreInsights
from cancellations.models import RequestKind, Resolution


@dataclass(frozen=True)
class Column:
    key: str  # the CSV header
    label: str  # the table header
    kind: str = "count"  # text, date, count, percent, money, duration (seconds)
    csv_only: bool = False


@dataclass(frozen=True)
class Chart:
    name: str
    title: str
    description: str
    columns: list[Column]
    rows: list[list[Any]]
    svg: SafeString


def _short(day: date) -> str:
    return date_format(day, "j M")


def bucket_label(bucket: Bucket) -> str:
    if bucket.is_day:
        return _short(bucket.first)
    return _("%(first)s to %(last)s") % {"first": _short(bucket.first), "last": _short(bucket.last)}


def period_label(period: Period) -> str:
    return _("%(start)s to %(end)s") % {
        "start": date_format(period.start, "DATE_FORMAT"),
        "end": date_format(period.end, "DATE_FORMAT"),
    }


def _compare_series(current: list[Any], previous: list[Any]) -> list[Series]:
    return [
        Series(_("This period"), current, "current"),
        Series(_("Previous period"), previous, "previous"),
    ]


def _seconds(value: timedelta | None) -> float | None:
    return None if value is None else round(value.total_seconds(), 1)


def _cancellation_rate(insights: StoreInsights) -> Chart:
    data = insights.cancellation_rate
    points, previous = data.points, data.previous_points
    columns = [
        Column("from", _("From"), "date"),
        Column("to", _("To"), "date"),
        Column("placed", _("Orders placed")),
        Column("cancelled", _("Cancelled")),
        Column("cancellation_rate", _("Cancellation rate"), "percent"),
        Column("previous_from", _("Previous period from"), "date"),
        Column("previous_to", _("Previous period to"), "date"),
        Column("previous_placed", _("Orders placed before")),
        Column("previous_cancelled", _("Cancelled before")),
        Column("previous_cancellation_rate", _("Cancellation rate before"), "percent"),
    ]
    rows = [
        [p.first, p.last, p.placed, p.cancelled, p.rate, b.first, b.last, b.placed, b.cancelled, b.rate]
        for p, b in zip(points, previous, strict=True)
    ]
    title = _("Cancellation rate")
    svg = line_chart(
        chart_id="chart-cancellation-rate",
        title=title,
        description=_(
            "Share of the orders placed on each %(unit)s that were cancelled, this period and the one before."
        )
        % {"unit": _("day") if points[0].first == points[0].last else _("week")},
        x_labels=[bucket_label(Bucket(p.first, p.last)) for p in points],
        series=_compare_series([p.rate for p in points], [p.rate for p in previous]),
        value_text=formatting.percent,
    )
    return Chart(
        "cancellation_rate",
        title,
        str(_("Orders placed in the period that were cancelled since.")),
        columns,
        rows,
        svg,
    )


def _outcome_label(outcome: str) -> str:
    return str(Resolution(outcome).label) if outcome != queries.OPEN else _("Not decided yet")


def _kind_label(kind: str) -> str:
    return str(RequestKind(kind).label) if kind in RequestKind.values else kind


def _requests(insights: StoreInsights) -> Chart:
    data = insights.requests
    columns = [
        Column("kind_code", _("Request code"), "text", csv_only=True),
        Column("outcome_code", _("Outcome code"), "text", csv_only=True),
        Column("kind", _("Request"), "text"),
        Column("outcome", _("Outcome"), "text"),
        Column("requests", _("Requests")),
        Column("previous_requests", _("Requests before")),
    ]
    rows = [
        [r.kind, r.outcome, _kind_label(r.kind), _outcome_label(r.outcome), r.count.current, r.count.previous]
        for r in data.rows
    ]
    title = _("Requests by kind and outcome")
    svg = bar_chart(
        chart_id="chart-requests",
        title=title,
        description=_("Requests customers and staff made in the period, by kind and how they were decided."),
        categories=[f"{row[2]}: {row[3]}" for row in rows],
        series=_compare_series([r.count.current for r in data.rows], [r.count.previous for r in data.rows]),
        value_text=formatting.count,
    )
    return Chart(
        "requests",
        title,
        str(_("Requests made in the period, by how they were decided.")),
        columns,
        rows,
        svg,
    )


def _reasons(insights: StoreInsights) -> Chart:
    data = insights.reasons
    columns = [
        Column("reason_code", _("Code"), "text"),
        Column("reason", _("Reason"), "text"),
        Column("requests", _("Requests")),
        Column("share", _("Share"), "percent"),
        Column("previous_requests", _("Requests before")),
        Column("previous_share", _("Share before"), "percent"),
    ]
    rows: list[list[Any]] = []
    for row in data.rows:
        share = data.share(row)
        label = row.label or _("No reason given")
        rows.append([row.code, label, row.count.current, share.current, row.count.previous, share.previous])
    title = _("Top cancellation reasons")
    svg = bar_chart(
        chart_id="chart-reasons",
        title=title,
        description=_(
            "The reasons customers chose most often when asking to cancel, this period and before."
        ),
        categories=[row[1] for row in rows],
        series=_compare_series([r[2] for r in rows], [r[4] for r in rows]),
        value_text=formatting.count,
    )
    return Chart(
        "reasons",
        title,
        str(_("Cancellation requests made in the period, by the reason given.")),
        columns,
        rows,
        svg,
    )


def _reason_trend(insights: StoreInsights) -> Chart:
    data = insights.reasons
    columns = [Column("from", _("From"), "date"), Column("to", _("To"), "date")]
    columns += [
        Column(f"requests_{item.code or 'none'}", item.label or _("No reason given")) for item in data.trend
    ]
    rows = [
        [bucket.first, bucket.last, *(item.counts[i] for item in data.trend)]
        for i, bucket in enumerate(data.buckets)
    ]
    title = _("Reasons over time")
    svg = line_chart(
        chart_id="chart-reason-trend",
        title=title,
        description=_("How often the most given reasons were chosen over the period."),
        x_labels=[bucket_label(b) for b in data.buckets],
        series=[
            Series(item.label or _("No reason given"), item.counts, f"s{i + 1}")
            for i, item in enumerate(data.trend)
        ],
        value_text=formatting.count,
    )
    return Chart(
        "reason_trend", title, str(_("Cancellation requests per reason over the period.")), columns, rows, svg
    )


def _products(insights: StoreInsights) -> Chart:
    data = insights.products
    currency = insights.store.currency
    columns = [
        Column("product", _("Product"), "text"),
        Column("cancelled_orders", _("Cancelled orders")),
        Column("cancelled_value", _("Value cancelled"), "money"),
        Column("previous_cancelled_orders", _("Cancelled orders before")),
        Column("previous_cancelled_value", _("Value cancelled before"), "money"),
    ]
    rows = [
        [
            r.key,
            r.cancelled.current,
            r.cancelled_value.current,
            r.cancelled.previous,
            r.cancelled_value.previous,
        ]
        for r in data.rows
    ]
    title = _("Cancellations by product")
    svg = bar_chart(
        chart_id="chart-products",
        title=title,
        description=_(
            "The products most often in cancelled orders, and the value of those items (%(currency)s)."
        )
        % {"currency": currency},
        categories=[r.key for r in data.rows],
        series=_compare_series([r[1] for r in rows], [r[3] for r in rows]),
        value_text=formatting.count,
    )
    return Chart(
        "products",
        title,
        str(_("Orders placed in the period and cancelled, by product.")),
        columns,
        rows,
        svg,
    )


def _product_types(insights: StoreInsights) -> Chart:
    data = insights.product_types
    columns = [
        Column("product_type", _("Product type"), "text"),
        Column("orders", _("Orders")),
        Column("cancelled", _("Cancelled")),
        Column("cancellation_rate", _("Cancellation rate"), "percent"),
        Column("previous_orders", _("Orders before")),
        Column("previous_cancelled", _("Cancelled before")),
        Column("previous_cancellation_rate", _("Cancellation rate before"), "percent"),
    ]
    rows: list[list[Any]] = []
    for r in data.rows:
        rate = r.rate
        name = r.key or _("No product type")
        rows.append(
            [
                name,
                r.orders.current,
                r.cancelled.current,
                rate.current,
                r.orders.previous,
                r.cancelled.previous,
                rate.previous,
            ]
        )
    title = _("Cancellation rate by product type")
    svg = bar_chart(
        chart_id="chart-product-types",
        title=title,
        description=_("Of the orders with each product type, the share cancelled, this period and before."),
        categories=[row[0] for row in rows],
        series=_compare_series([row[3] for row in rows], [row[6] for row in rows]),
        value_text=formatting.percent,
    )
    return Chart(
        "product_types",
        title,
        str(_("Orders placed in the period, by the product types in them.")),
        columns,
        rows,
        svg,
    )


def _time_to_cancel(insights: StoreInsights) -> Chart:
    data = insights.time_to_cancel
    columns = [
        Column("bucket", _("Bucket"), "text", csv_only=True),
        Column("after_ordering", _("Cancelled after"), "text"),
        Column("cancelled", _("Cancelled orders")),
        Column("share", _("Share"), "percent"),
        Column("previous_cancelled", _("Cancelled orders before")),
        Column("previous_share", _("Share before"), "percent"),
    ]
    rows: list[list[Any]] = []
    for row in data.rows:
        share = data.share(row)
        rows.append(
            [
                row.key,
                str(DELAY_LABELS[row.key]),
                row.cancelled.current,
                share.current,
                row.cancelled.previous,
                share.previous,
            ]
        )
    title = _("Time from order to cancellation")
    svg = bar_chart(
        chart_id="chart-time-to-cancel",
        title=title,
        description=_("How long after ordering customers cancelled, this period and before."),
        categories=[row[1] for row in rows],
        series=_compare_series([row[2] for row in rows], [row[4] for row in rows]),
        value_text=formatting.count,
    )
    return Chart(
        "time_to_cancel",
        title,
        str(_("Orders placed in the period and cancelled, by how soon.")),
        columns,
        rows,
        svg,
    )


def _decisions(insights: StoreInsights) -> Chart:
    data = insights.automation
    decided = data.decided
    columns = [
        Column("decider", _("Decider code"), "text", csv_only=True),
        Column("decided_by", _("Decided by"), "text"),
        Column("requests", _("Requests")),
        Column("share", _("Share"), "percent"),
        Column("previous_requests", _("Requests before")),
        Column("previous_share", _("Share before"), "percent"),
    ]
    parts = [
        ("policy", _("The store's policy, at once"), data.by_policy),
        ("rule_or_integration", _("A rule or an integration"), data.without_person),
        ("staff", _("Staff"), data.by_staff),
    ]
    rows: list[list[Any]] = [
        [
            code,
            label,
            figure.current,
            queries.ratio(figure.current, decided.current),
            figure.previous,
            queries.ratio(figure.previous, decided.previous),
        ]
        for code, label, figure in parts
    ]
    title = _("Who decided requests")
    svg = bar_chart(
        chart_id="chart-decisions",
        title=title,
        description=_("Requests made in the period and decided: automatically, or by staff."),
        categories=[row[1] for row in rows],
        series=_compare_series([row[2] for row in rows], [row[4] for row in rows]),
        value_text=formatting.count,
    )
    return Chart(
        "decisions",
        title,
        str(_("Decided requests made in the period (withdrawn ones left out).")),
        columns,
        rows,
        svg,
    )


def _period_rows(insights: StoreInsights, current: list[Any], previous: list[Any]) -> list[list[Any]]:
    return [
        ["current", _("This period"), insights.period.start, insights.period.end, *current],
        ["previous", _("Previous period"), insights.previous.start, insights.previous.end, *previous],
    ]


def _period_columns() -> list[Column]:
    return [
        Column("period_code", _("Period code"), "text", csv_only=True),
        Column("period", _("Period"), "text"),
        Column("from", _("From"), "date"),
        Column("to", _("To"), "date"),
    ]


def _time_to_decision(insights: StoreInsights) -> Chart:
    data = insights.decision_time
    columns = [
        *_period_columns(),
        Column("reviewed_requests", _("Requests reviewed")),
        Column("median_seconds", _("Median time to decision"), "duration"),
        Column("p90_seconds", _("90th percentile"), "duration"),
    ]
    rows = _period_rows(
        insights,
        [data.reviewed.current, _seconds(data.median.current), _seconds(data.p90.current)],
        [data.reviewed.previous, _seconds(data.median.previous), _seconds(data.p90.previous)],
    )
    title = _("Time to decision")
    svg = bar_chart(
        chart_id="chart-time-to-decision",
        title=title,
        description=_(
            "For requests that waited for review: the median wait and the wait 9 in 10 stayed under."
        ),
        categories=[_("Median"), _("90th percentile")],
        series=_compare_series(
            [_seconds(data.median.current), _seconds(data.p90.current)],
            [_seconds(data.median.previous), _seconds(data.p90.previous)],
        ),
        value_text=formatting.duration,
    )
    return Chart(
        "time_to_decision",
        title,
        str(_("Requests made in the period that waited for review.")),
        columns,
        rows,
        svg,
    )


def _retention(insights: StoreInsights) -> Chart:
    data = insights.retention
    acceptance = data.acceptance
    columns = [
        *_period_columns(),
        Column("kept_orders", _("Orders kept")),
        Column("kept_value", _("Value kept"), "money"),
        Column("declined_offers", _("Offers declined")),
        Column("acceptance_rate", _("Accepted"), "percent"),
    ]
    rows = _period_rows(
        insights,
        [data.kept.current, data.kept_value.current, data.declined.current, acceptance.current],
        [data.kept.previous, data.kept_value.previous, data.declined.previous, acceptance.previous],
    )
    title = _("Orders kept by retention offers")
    svg = bar_chart(
        chart_id="chart-retention",
        title=title,
        description=_("Customers shown an offer instead of cancelling: orders kept, and offers declined."),
        categories=[_("Orders kept"), _("Offers declined")],
        series=_compare_series(
            [data.kept.current, data.declined.current], [data.kept.previous, data.declined.previous]
        ),
        value_text=formatting.count,
    )
    return Chart("retention", title, str(_("Orders kept are those not cancelled since.")), columns, rows, svg)


def _refunds_and_fees(insights: StoreInsights) -> Chart:
    data = insights.money
    currency = insights.store.currency
    columns = [
        *_period_columns(),
        Column("completed_requests", _("Cancellations and withdrawals carried out")),
        Column("refunds", _("Refunded"), "money"),
        Column("fees", _("Fees collected"), "money"),
    ]
    rows = _period_rows(
        insights,
        [data.completed.current, data.refunds.current, data.fees.current],
        [data.completed.previous, data.refunds.previous, data.fees.previous],
    )
    title = _("Refunds and fees")
    svg = bar_chart(
        chart_id="chart-refunds-and-fees",
        title=title,
        description=_("Refunded to customers and fees kept, in %(currency)s, this period and before.")
        % {"currency": currency},
        categories=[_("Refunded"), _("Fees collected")],
        series=_compare_series(
            [float(data.refunds.current), float(data.fees.current)],
            [float(data.refunds.previous), float(data.fees.previous)],
        ),
        value_text=lambda value: formatting.money(None if value is None else Decimal(str(value)), currency),
    )
    return Chart(
        "refunds_and_fees",
        title,
        str(_("Cancellations and withdrawals made in the period and carried out.")),
        columns,
        rows,
        svg,
    )


CHARTS: dict[str, Callable[[StoreInsights], Chart]] = {
    "cancellation_rate": _cancellation_rate,
    "requests": _requests,
    "reasons": _reasons,
    "reason_trend": _reason_trend,
    "products": _products,
    "product_types": _product_types,
    "time_to_cancel": _time_to_cancel,
    "decisions": _decisions,
    "time_to_decision": _time_to_decision,
    "retention": _retention,
    "refunds_and_fees": _refunds_and_fees,
}


def chart(name: str, insights: StoreInsights) -> Chart:
    """One chart by name (a KeyError for an unknown name)."""
    return CHARTS[name](insights)
