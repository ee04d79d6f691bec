"""All the figures of the Insights page as plain JSON-ready data, for the REST API."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from cancellations.insights.periods import Period, checked_period
from cancellations.insights.queries import Compared
from cancellations.insights.report import DELAY_LABELS, StoreInsights
from tenants.models import Store


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, timedelta):
        return round(value.total_seconds(), 1)
    return value


def _compared(figure: Compared[Any]) -> dict[str, Any]:
    return {"current": _plain(figure.current), "previous": _plain(figure.previous)}


def _period(period: Period) -> dict[str, str]:
    return {"start": period.start.isoformat(), "end": period.end.isoformat()}


def insights_summary(*, store: Store, start: date, end: date) -> dict[str, Any]:
    """Every insight for the days `start` to `end` (in the store's time zone) and the period before.

    Money is a decimal string in the store's currency, durations are seconds, rates and shares are
    fractions (None over nothing). Raises InvalidPeriod for a period that ends before it starts or is
    too long.
    """
    period = checked_period(start, end, store.timezone)
    insights = StoreInsights(store=store, period=period)
    rate = insights.cancellation_rate
    reasons = insights.reasons
    delays = insights.time_to_cancel
    automation = insights.automation
    decisions = insights.decision_time
    kept = insights.retention
    money = insights.money
    return {
        "period": _period(period),
        "previous_period": _period(period.previous()),
        "timezone": period.tz.key,
        "currency": store.currency,
        "cancellation_rate": {
            "placed": _compared(rate.placed),
            "cancelled": _compared(rate.cancelled),
            "rate": _compared(rate.rate),
            "placed_value": _compared(rate.placed_value),
            "cancelled_value": _compared(rate.cancelled_value),
        },
        "requests": {
            "total": _compared(insights.requests.total),
            "by_kind_and_outcome": [
                {"kind": row.kind, "outcome": row.outcome, **_compared(row.count)}
                for row in insights.requests.rows
            ],
        },
        "reasons": [
            {
                "code": row.code,
                "label": row.label,
                **_compared(row.count),
                "share": _compared(reasons.share(row)),
            }
            for row in reasons.rows
        ],
        "products": [
            {"title": row.key, "cancelled": _compared(row.cancelled), "value": _compared(row.cancelled_value)}
            for row in insights.products.rows
        ],
        "product_types": [
            {
                "product_type": row.key,
                "orders": _compared(row.orders),
                "cancelled": _compared(row.cancelled),
                "rate": _compared(row.rate),
            }
            for row in insights.product_types.rows
        ],
        "time_to_cancel": [
            {"bucket": row.key, "label": str(DELAY_LABELS[row.key]), **_compared(row.cancelled)}
            for row in delays.rows
        ],
        "decisions": {
            "decided": _compared(automation.decided),
            "automatic": _compared(automation.automatic),
            "automatic_share": _compared(automation.share),
            "by_policy": _compared(automation.by_policy),
            "by_rule_or_integration": _compared(automation.without_person),
            "by_staff": _compared(automation.by_staff),
        },
        "time_to_decision": {
            "reviewed": _compared(decisions.reviewed),
            "median_seconds": _compared(decisions.median),
            "p90_seconds": _compared(decisions.p90),
        },
        "retention": {
            "kept": _compared(kept.kept),
            "kept_value": _compared(kept.kept_value),
            "declined": _compared(kept.declined),
            "acceptance": _compared(kept.acceptance),
        },
        "refunds_and_fees": {
            "completed": _compared(money.completed),
            "refunds": _compared(money.refunds),
            "fees": _compared(money.fees),
            "kept_as_store_credit": _compared(money.kept_as_credit),
        },
    }
