"""Periods of whole days in a store's time zone, the period before, and the buckets a chart plots."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.translation import gettext as _

from cancellations.insights.errors import InsightErrorCode
from tenants.errors import DomainError

# Longer periods are plotted by week, so a year is 53 points rather than 365.
DAILY_BUCKETS_UP_TO_DAYS = 62
MAX_PERIOD_DAYS = 731
PRESET_DAYS = (7, 30, 90)


class InvalidPeriod(DomainError):
    """A period that ends before it starts, or is longer than Insights compares."""

    code = InsightErrorCode.INVALID_PERIOD


def checked_period(start: date, end: date, tz: ZoneInfo | str) -> Period:
    """The period from `start` to `end`, or InvalidPeriod saying what is wrong with it."""
    if end < start:
        raise InvalidPeriod(_("The period must end on or after the day it starts."), field="end")
    if (end - start).days + 1 > MAX_PERIOD_DAYS:
        raise InvalidPeriod(
            _("A period can be at most %(days)d days long.") % {"days": MAX_PERIOD_DAYS}, field="start"
        )
    return Period.of(start, end, tz)


def as_zone(tz: ZoneInfo | str) -> ZoneInfo:
    return tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)


@dataclass(frozen=True)
class Period:
    """The days `start` to `end`, both included, cut at midnight in `tz`."""

    start: date
    end: date
    tz: ZoneInfo

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("A period ends on or after its first day.")

    @classmethod
    def of(cls, start: date, end: date, tz: ZoneInfo | str) -> Period:
        return cls(start=start, end=end, tz=as_zone(tz))

    @classmethod
    def last_days(cls, days: int, tz: ZoneInfo | str, *, now: datetime | None = None) -> Period:
        """The last `days` days, today included."""
        zone = as_zone(tz)
        today = (now or timezone.now()).astimezone(zone).date()
        return cls(start=today - timedelta(days=days - 1), end=today, tz=zone)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def start_at(self) -> datetime:
        return midnight(self.start, self.tz)

    @property
    def end_at(self) -> datetime:
        """The first moment after the period (exclusive)."""
        return midnight(self.end + timedelta(days=1), self.tz)

    def previous(self) -> Period:
        """The period of the same length that ends the day before this one starts."""
        end = self.start - timedelta(days=1)
        return Period(start=end - timedelta(days=self.days - 1), end=end, tz=self.tz)

    def buckets(self) -> list[Bucket]:
        """Consecutive days, or weeks for long periods (the last one may be shorter), covering the period."""
        step = 1 if self.days <= DAILY_BUCKETS_UP_TO_DAYS else 7
        buckets = []
        first = self.start
        while first <= self.end:
            last = min(first + timedelta(days=step - 1), self.end)
            buckets.append(Bucket(first=first, last=last))
            first = last + timedelta(days=1)
        return buckets


@dataclass(frozen=True)
class Bucket:
    first: date
    last: date

    @property
    def is_day(self) -> bool:
        return self.first == self.last


def midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz)


def bucket_index(buckets: list[Bucket]) -> dict[date, int]:
    """Each day of the buckets, mapped to its bucket's position."""
    index: dict[date, int] = {}
    for position, bucket in enumerate(buckets):
        day = bucket.first
        while day <= bucket.last:
            index[day] = position
            day += timedelta(days=1)
    return index
