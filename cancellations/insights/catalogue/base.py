"""What every Insights chart is made of: its table columns, the chart itself, and shared labels."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.utils.formats import date_format
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from cancellations.insights.charts import Series
from cancellations.insights.periods import Bucket, Period


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


def short(day: date) -> str:
    return date_format(day, "j M")


def bucket_label(bucket: Bucket) -> str:
    if bucket.is_day:
        return short(bucket.first)
    return _("%(first)s to %(last)s") % {"first": short(bucket.first), "last": short(bucket.last)}


def period_label(period: Period) -> str:
    return _("%(start)s to %(end)s") % {
        "start": date_format(period.start, "DATE_FORMAT"),
        "end": date_format(period.end, "DATE_FORMAT"),
    }


def compare_series(current: list[Any], previous: list[Any]) -> list[Series]:
    return [
        Series(_("This period"), current, "current"),
        Series(_("Previous period"), previous, "previous"),
    ]


def seconds(value: timedelta | None) -> float | None:
    return None if value is None else round(value.total_seconds(), 1)
