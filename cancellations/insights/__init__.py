"""Insights: cancellation figures for a period compared with the one before, their charts and exports.

    insights_summary(store=store, start=date(2026, 11, 1), end=date(2026, 11, 30))   # for the API
    record_retention_kept(store=store, order=order, offer_kind="discount_code", discount_code="KEEP10")

`queries` has one function per insight; `rollups` the daily rollups they read; `catalogue` the charts
(SVG from `charts`) and their tables and CSV columns.
"""

from cancellations.insights.periods import InvalidPeriod
from cancellations.insights.services import record_retention_kept
from cancellations.insights.summary import insights_summary

__all__ = ["InvalidPeriod", "insights_summary", "record_retention_kept"]
