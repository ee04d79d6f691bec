"""The charts of what came of it: time to cancel, decisions, time to decision, retention, money."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from cancellations.insights import formatting, queries
from cancellations.insights.catalogue.base import (
    Chart,
    Column,
    compare_series,
    seconds,
)
from cancellations.insights.charts import bar_chart
from cancellations.insights.report import DELAY_LABELS, StoreInsights


def time_to_cancel(insights: StoreInsights) -> Chart:
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
        series=compare_series([row[2] for row in rows], [row[4] for row in rows]),
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


def decisions(insights: StoreInsights) -> Chart:
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
        series=compare_series([row[2] for row in rows], [row[4] for row in rows]),
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


def period_rows(insights: StoreInsights, current: list[Any], previous: list[Any]) -> list[list[Any]]:
    return [
        ["current", _("This period"), insights.period.start, insights.period.end, *current],
        ["previous", _("Previous period"), insights.previous.start, insights.previous.end, *previous],
    ]


def period_columns() -> list[Column]:
    return [
        Column("period_code", _("Period code"), "text", csv_only=True),
        Column("period", _("Period"), "text"),
        Column("from", _("From"), "date"),
        Column("to", _("To"), "date"),
    ]


def time_to_decision(insights: StoreInsights) -> Chart:
    data = insights.decision_time
    columns = [
        *period_columns(),
        Column("reviewed_requests", _("Requests reviewed")),
        Column("median_seconds", _("Median time to decision"), "duration"),
        Column("p90_seconds", _("90th percentile"), "duration"),
    ]
    rows = period_rows(
        insights,
        [data.reviewed.current, seconds(data.median.current), seconds(data.p90.current)],
        [data.reviewed.previous, seconds(data.median.previous), seconds(data.p90.previous)],
    )
    title = _("Time to decision")
    svg = bar_chart(
        chart_id="chart-time-to-decision",
        title=title,
        description=_(
            "For requests that waited for review: the median wait and the wait 9 in 10 stayed under."
        ),
        categories=[_("Median"), _("90th percentile")],
        series=compare_series(
            [seconds(data.median.current), seconds(data.p90.current)],
            [seconds(data.median.previous), seconds(data.p90.previous)],
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


def retention(insights: StoreInsights) -> Chart:
    data = insights.retention
    acceptance = data.acceptance
    columns = [
        *period_columns(),
        Column("kept_orders", _("Orders kept")),
        Column("kept_value", _("Value kept"), "money"),
        Column("declined_offers", _("Offers declined")),
        Column("acceptance_rate", _("Accepted"), "percent"),
    ]
    rows = period_rows(
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
        series=compare_series(
            [data.kept.current, data.declined.current], [data.kept.previous, data.declined.previous]
        ),
        value_text=formatting.count,
    )
    return Chart("retention", title, str(_("Orders kept are those not cancelled since.")), columns, rows, svg)


def refunds_and_fees(insights: StoreInsights) -> Chart:
    data = insights.money
    currency = insights.store.currency
    columns = [
        *period_columns(),
        Column("completed_requests", _("Cancellations and withdrawals carried out")),
        Column("refunds", _("Refunded"), "money"),
        Column("fees", _("Fees collected"), "money"),
        Column("kept_as_store_credit", _("Revenue kept as store credit"), "money"),
    ]
    rows = period_rows(
        insights,
        [data.completed.current, data.refunds.current, data.fees.current, data.kept_as_credit.current],
        [data.completed.previous, data.refunds.previous, data.fees.previous, data.kept_as_credit.previous],
    )
    title = _("Refunds and fees")
    svg = bar_chart(
        chart_id="chart-refunds-and-fees",
        title=title,
        description=_("Refunded to customers and fees kept, in %(currency)s, this period and before.")
        % {"currency": currency},
        categories=[_("Refunded"), _("Fees collected")],
        series=compare_series(
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
