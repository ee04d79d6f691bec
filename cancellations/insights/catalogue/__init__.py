"""Every chart of the Insights page: its data as a table (shown under the chart, exported as CSV) and its SVG.

`chart(name, insights)` builds one chart from a `StoreInsights`, which computes each insight when first
asked for, so a CSV export computes only what its chart needs. Table rows hold raw values (as the CSV
has them); `Column.kind` says how the page prints them, and `csv_only` columns (stable codes beside
their labels) are left out of the page's table.
"""

from __future__ import annotations

from collections.abc import Callable

from cancellations.insights.catalogue.base import Chart, Column, bucket_label, period_label
from cancellations.insights.catalogue.demand import (
    cancellation_rate,
    product_types,
    products,
    reason_trend,
    reasons,
    requests,
)
from cancellations.insights.catalogue.outcomes import (
    decisions,
    refunds_and_fees,
    retention,
    time_to_cancel,
    time_to_decision,
)
from cancellations.insights.report import StoreInsights

__all__ = ["CHARTS", "Chart", "Column", "bucket_label", "chart", "period_label"]

CHARTS: dict[str, Callable[[StoreInsights], Chart]] = {
    "cancellation_rate": cancellation_rate,
    "requests": requests,
    "reasons": reasons,
    "reason_trend": reason_trend,
    "products": products,
    "product_types": product_types,
    "time_to_cancel": time_to_cancel,
    "decisions": decisions,
    "time_to_decision": time_to_decision,
    "retention": retention,
    "refunds_and_fees": refunds_and_fees,
}


def chart(name: str, insights: StoreInsights) -> Chart:
    """One chart by name (a KeyError for an unknown name)."""
    return CHARTS[name](insights)
