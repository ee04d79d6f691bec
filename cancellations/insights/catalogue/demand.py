"""The charts of what customers ask for: the cancellation rate, requests, reasons, products."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from cancellations.insights import formatting, queries
from cancellations.insights.catalogue.base import (
    Chart,
    Column,
    bucket_label,
    compare_series,
)
from cancellations.insights.charts import Series, bar_chart, line_chart
from cancellations.insights.periods import Bucket
from cancellations.insights.report import StoreInsights
from cancellations.models import RequestKind, Resolution


def cancellation_rate(insights: StoreInsights) -> Chart:
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
    rows: list[list[Any]] = [
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
        series=compare_series([p.rate for p in points], [p.rate for p in previous]),
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


def outcome_label(outcome: str) -> str:
    return str(Resolution(outcome).label) if outcome != queries.OPEN else _("Not decided yet")


def kind_label(kind: str) -> str:
    return str(RequestKind(kind).label) if kind in RequestKind.values else kind


def requests(insights: StoreInsights) -> Chart:
    data = insights.requests
    columns = [
        Column("kind_code", _("Request code"), "text", csv_only=True),
        Column("outcome_code", _("Outcome code"), "text", csv_only=True),
        Column("kind", _("Request"), "text"),
        Column("outcome", _("Outcome"), "text"),
        Column("requests", _("Requests")),
        Column("previous_requests", _("Requests before")),
    ]
    rows: list[list[Any]] = [
        [r.kind, r.outcome, kind_label(r.kind), outcome_label(r.outcome), r.count.current, r.count.previous]
        for r in data.rows
    ]
    title = _("Requests by kind and outcome")
    svg = bar_chart(
        chart_id="chart-requests",
        title=title,
        description=_("Requests customers and staff made in the period, by kind and how they were decided."),
        categories=[f"{row[2]}: {row[3]}" for row in rows],
        series=compare_series([r.count.current for r in data.rows], [r.count.previous for r in data.rows]),
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


def reasons(insights: StoreInsights) -> Chart:
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
        series=compare_series([r[2] for r in rows], [r[4] for r in rows]),
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


def reason_trend(insights: StoreInsights) -> Chart:
    data = insights.reasons
    columns = [Column("from", _("From"), "date"), Column("to", _("To"), "date")]
    columns += [
        Column(f"requests_{item.code or 'none'}", item.label or _("No reason given")) for item in data.trend
    ]
    rows: list[list[Any]] = [
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


def products(insights: StoreInsights) -> Chart:
    data = insights.products
    currency = insights.store.currency
    columns = [
        Column("product", _("Product"), "text"),
        Column("cancelled_orders", _("Cancelled orders")),
        Column("cancelled_value", _("Value cancelled"), "money"),
        Column("previous_cancelled_orders", _("Cancelled orders before")),
        Column("previous_cancelled_value", _("Value cancelled before"), "money"),
    ]
    rows: list[list[Any]] = [
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
        series=compare_series([r[1] for r in rows], [r[3] for r in rows]),
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


def product_types(insights: StoreInsights) -> Chart:
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
        series=compare_series([row[3] for row in rows], [row[6] for row in rows]),
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
