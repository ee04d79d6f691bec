"""Insights under /app/<store>/insights/: figures for a period against the one before, charts and CSVs."""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from cancellations.core.queueing import enqueue
from cancellations.insights import formatting
from cancellations.insights.catalogue import CHARTS, Chart, Column, chart, period_label
from cancellations.insights.periods import PRESET_DAYS, InvalidPeriod, Period, checked_period
from cancellations.insights.report import StoreInsights
from cancellations.insights.rollups import REFRESH_EVERY, refresh_due
from portal.csv_export import safe_cell
from portal.merchant.base import StoreStaffView
from tenants.models import Store
from tenants.roles import Scope

DEFAULT_DAYS = 30


class PeriodForm(forms.Form):
    days = forms.TypedChoiceField(
        label=gettext_lazy("Period"),
        choices=[(days, days) for days in PRESET_DAYS],
        coerce=int,
        required=False,
    )
    start = forms.DateField(label=gettext_lazy("From"), required=False)
    end = forms.DateField(label=gettext_lazy("To"), required=False)

    def __init__(self, *args: Any, store: Store, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.store = store

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data  # what Form.clean returns; its stub allows None for overrides
        start, end = data.get("start"), data.get("end")
        if self.errors:
            return data
        if start or end:
            if not (start and end):
                raise forms.ValidationError(_("Choose both the first and the last day."))
            try:
                data["period"] = checked_period(start, end, self.store.timezone)
            except InvalidPeriod as error:
                self.add_error(error.field, error.message)
        else:
            data["period"] = Period.last_days(data.get("days") or DEFAULT_DAYS, self.store.timezone)
        return data


def _period(request: HttpRequest, store: Store) -> tuple[PeriodForm, Period | None]:
    form = PeriodForm(request.GET or None, store=store)
    if not request.GET:
        return form, Period.last_days(DEFAULT_DAYS, store.timezone)
    return form, form.cleaned_data["period"] if form.is_valid() else None


def _query(period: Period, form: PeriodForm) -> str:
    """The query string that names the period, for CSV links and the preset links' state."""
    if form.is_bound and form.cleaned_data.get("start"):
        return urlencode({"start": period.start.isoformat(), "end": period.end.isoformat()})
    return urlencode({"days": period.days})


def _request_refresh(store: Store) -> None:
    """Ask a worker to bring the rollups up to date when they are due (once per REFRESH_EVERY)."""
    if refresh_due(store=store) and cache.add(
        f"insights-refresh:{store.pk}", True, timeout=int(REFRESH_EVERY.total_seconds())
    ):
        enqueue("insights.refresh", (store.pk,))


def _cell(value: Any, column: Column, currency: str) -> str:
    if value is None:
        return formatting.NOTHING
    if column.kind == "date":
        return date_format(value, "SHORT_DATE_FORMAT")
    if column.kind == "percent":
        return formatting.percent(value)
    if column.kind == "money":
        return formatting.money(value, currency)
    if column.kind == "duration":
        return formatting.duration(value)
    if column.kind == "count":
        return formatting.count(value)
    return str(value)


def _table(item: Chart, currency: str) -> dict[str, Any]:
    shown = [i for i, column in enumerate(item.columns) if not column.csv_only]
    return {
        "headers": [item.columns[i].label for i in shown],
        "rows": [[_cell(row[i], item.columns[i], currency) for i in shown] for row in item.rows],
    }


def _cards(insights: StoreInsights) -> list[dict[str, str]]:
    """The headline figures: this period, the one before, and the change."""
    rate = insights.cancellation_rate
    automation = insights.automation.share
    decisions = insights.decision_time
    kept = insights.retention
    money = insights.money
    currency = insights.store.currency

    def card(label: str, current: Any, previous: Any, shown: Any, *, points: bool = False) -> dict[str, str]:
        return {
            "label": label,
            "value": shown(current),
            "previous": shown(previous),
            "change": formatting.change(current, previous, points=points),
        }

    def money_text(value: Decimal) -> str:
        return formatting.money(value, currency)

    return [
        card(_("Cancellation rate"), rate.rate.current, rate.rate.previous, formatting.percent, points=True),
        card(_("Orders placed"), rate.placed.current, rate.placed.previous, formatting.count),
        card(_("Orders cancelled"), rate.cancelled.current, rate.cancelled.previous, formatting.count),
        card(
            _("Decided automatically"),
            automation.current,
            automation.previous,
            formatting.percent,
            points=True,
        ),
        card(
            _("Median time to decision"),
            decisions.median.current,
            decisions.median.previous,
            formatting.duration,
        ),
        card(
            _("90th percentile time to decision"),
            decisions.p90.current,
            decisions.p90.previous,
            formatting.duration,
        ),
        card(_("Orders kept by offers"), kept.kept.current, kept.kept.previous, formatting.count),
        card(_("Value kept by offers"), kept.kept_value.current, kept.kept_value.previous, money_text),
        card(_("Refunded"), money.refunds.current, money.refunds.previous, money_text),
        card(_("Fees collected"), money.fees.current, money.fees.previous, money_text),
        card(
            _("Revenue kept as store credit"),
            money.kept_as_credit.current,
            money.kept_as_credit.previous,
            money_text,
        ),
    ]


class InsightsView(StoreStaffView):
    required_scopes = {"GET": Scope.ORDERS_READ}
    nav = "insights"

    def get(self, request: HttpRequest) -> HttpResponse:
        form, period = _period(request, self.store)
        context: dict[str, Any] = {"form": form, "presets": PRESET_DAYS, "period": period}
        if period is None:
            return self.render(request, "merchant/insights.html", context, status=400)
        _request_refresh(self.store)
        insights = StoreInsights(store=self.store, period=period, language=get_language())
        charts = [chart(name, insights) for name in CHARTS]
        query = _query(period, form)
        context.update(
            {
                "query": query,
                "days": None if form.is_bound and form.cleaned_data.get("start") else period.days,
                "period_label": period_label(period),
                "previous_label": period_label(period.previous()),
                "today": timezone.now().astimezone(period.tz).date(),
                "cards": _cards(insights),
                "charts": [{"chart": item, "table": _table(item, self.store.currency)} for item in charts],
            }
        )
        return self.render(request, "merchant/insights.html", context)


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:.6f}".rstrip("0").rstrip(".") if value else "0"
    if isinstance(value, Decimal | int):
        return str(value)
    return safe_cell(value)


class InsightsCsvView(StoreStaffView):
    required_scopes = {"GET": Scope.ORDERS_READ}
    nav = "insights"

    def get(self, request: HttpRequest, chart: str) -> HttpResponse:
        if chart not in CHARTS:
            raise Http404
        form, period = _period(request, self.store)
        if period is None:
            errors = "; ".join(str(message) for messages in form.errors.values() for message in messages)
            return HttpResponse(errors, status=400, content_type="text/plain; charset=utf-8")
        item = CHARTS[chart](StoreInsights(store=self.store, period=period, language=get_language()))
        filename = f"{self.store.slug}-{chart}-{period.start.isoformat()}-{period.end.isoformat()}.csv"
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        writer = csv.writer(response)
        writer.writerow([column.key for column in item.columns])
        for row in item.rows:
            writer.writerow([_csv_value(value) for value in row])
        return response
