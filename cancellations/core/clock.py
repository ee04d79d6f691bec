"""A store's clock: every time a person reads is in the store's time zone, with the zone named."""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, tzinfo

from django.utils import timezone

from tenants.models import Store


def store_zone(store: Store) -> tzinfo:
    """The store's time zone (UTC if the stored name is no longer known)."""
    try:
        return zoneinfo.ZoneInfo(store.timezone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


@contextmanager
def store_clock(store: Store) -> Iterator[None]:
    """The store's zone for what is rendered inside (emails, task output)."""
    with timezone.override(store_zone(store)):
        yield


def zone_abbreviation(moment: datetime) -> str:
    """The active zone's short name at that moment: NZDT, CET, UTC (or +0530 where none exists)."""
    local = timezone.localtime(moment) if timezone.is_aware(moment) else moment
    name = local.tzname() or ""
    if not name or name[:1] in "+-":
        name = local.strftime("%z")
    return name
