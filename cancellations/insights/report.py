"""The insights of one store for one period (and the period before), each computed when first asked for."""

from __future__ import annotations

from datetime import date
from functools import cached_property
from typing import TypedDict
from zoneinfo import ZoneInfo

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from cancellations.insights import queries
from cancellations.insights.periods import Period
from tenants.models import Store

DELAY_LABELS: dict[str, Promise] = {
    "under_1h": gettext_lazy("Within an hour"),
    "1h_6h": gettext_lazy("1 to 6 hours"),
    "6h_24h": gettext_lazy("6 to 24 hours"),
    "1d_3d": gettext_lazy("1 to 3 days"),
    "3d_7d": gettext_lazy("3 to 7 days"),
    "7d_30d": gettext_lazy("7 to 30 days"),
    "over_30d": gettext_lazy("Over 30 days"),
}


class _Window(TypedDict):
    """The arguments every query of the report takes."""

    store: Store
    start: date
    end: date
    tz: ZoneInfo


class StoreInsights:
    """The insights of one store for one period (and the one before), each computed on first use."""

    def __init__(self, *, store: Store, period: Period, language: str | None = None) -> None:
        self.store = store
        self.period = period
        self.previous = period.previous()
        self.language = language
        self._args: _Window = {"store": store, "start": period.start, "end": period.end, "tz": period.tz}

    @cached_property
    def cancellation_rate(self) -> queries.CancellationRate:
        return queries.cancellation_rate(**self._args)

    @cached_property
    def requests(self) -> queries.RequestOutcomes:
        return queries.requests_by_outcome(**self._args)

    @cached_property
    def reasons(self) -> queries.TopReasons:
        return queries.top_reasons(**self._args, language=self.language)

    @cached_property
    def products(self) -> queries.ProductBreakdown:
        return queries.cancellations_by_product(**self._args)

    @cached_property
    def product_types(self) -> queries.ProductBreakdown:
        return queries.cancellations_by_product_type(**self._args)

    @cached_property
    def time_to_cancel(self) -> queries.TimeToCancel:
        return queries.time_to_cancel(**self._args)

    @cached_property
    def automation(self) -> queries.AutomationShare:
        return queries.automation_share(**self._args)

    @cached_property
    def decision_time(self) -> queries.DecisionTime:
        return queries.time_to_decision(**self._args)

    @cached_property
    def retention(self) -> queries.Retention:
        return queries.retention(**self._args)

    @cached_property
    def money(self) -> queries.RefundsAndFees:
        return queries.refunds_and_fees(**self._args)
