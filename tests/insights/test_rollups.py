"""The daily rollups: built through yesterday, refreshed over the trailing days, rebuilt on demand."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from cancellations.insights import queries
from cancellations.insights.queries import Compared
from cancellations.insights.rollups import (
    REFRESH_EVERY,
    refresh_due,
    refresh_rollups,
    stores_due_for_refresh,
)
from cancellations.insights.tasks import refresh_due_insights_task, refresh_insights_task
from cancellations.models import DailyBreakdown, DailyRequestStats, DailyStoreStats, InsightsRollup
from tests.insights.conftest import END, START, STOCKHOLM, local

pytestmark = pytest.mark.django_db


def cancelled(dataset, tz=STOCKHOLM) -> Compared[int]:
    return queries.cancellation_rate(store=dataset.store, start=START, end=END, tz=tz).cancelled


def test_a_refresh_rolls_up_every_day_through_yesterday(dataset):
    state = refresh_rollups(store=dataset.store, now=local(20, 9))

    assert (state.timezone, state.built_through) == ("Europe/Stockholm", date(2026, 11, 19))
    day = DailyStoreStats.objects.for_store(dataset.store).get(day=date(2026, 11, 8))
    assert (day.placed, day.cancelled, day.placed_value, day.cancelled_value) == (
        1,
        1,
        Decimal("100.00"),
        Decimal("100.00"),
    )
    # O4 was placed at 00:10 on the 15th, Stockholm time.
    assert DailyStoreStats.objects.for_store(dataset.store).get(day=date(2026, 11, 15)).placed == 1
    assert not DailyStoreStats.objects.for_store(dataset.other).exists()
    tee = DailyBreakdown.objects.for_store(dataset.store).get(day=date(2026, 11, 14), key="Tee")
    assert (tee.dimension, tee.orders, tee.cancelled, tee.value) == ("product", 1, 1, Decimal("200.00"))
    assert (
        DailyRequestStats.objects.for_store(dataset.store).filter(day=date(2026, 11, 8)).get().requests == 1
    )


def test_a_change_within_the_trailing_days_is_counted_at_the_next_refresh(dataset):
    refresh_rollups(store=dataset.store, now=local(20))
    order = dataset.orders["O2"]
    order.cancelled_at = local(21)
    order.save(update_fields=["cancelled_at"])

    assert cancelled(dataset) == Compared(3, 1)  # the rollups hold the 10th as it was

    refresh_rollups(store=dataset.store, now=local(22))

    assert cancelled(dataset) == Compared(4, 1)


def test_an_older_change_is_counted_after_a_rebuild(dataset):
    refresh_rollups(store=dataset.store, now=local(20))
    order = dataset.orders["O2"]
    order.cancelled_at = local(21)
    order.save(update_fields=["cancelled_at"])
    three_months_on = local(20) + timedelta(days=90)

    refresh_rollups(store=dataset.store, now=three_months_on)
    assert cancelled(dataset) == Compared(3, 1)

    out = StringIO()
    call_command("rebuild_insights", "--store", dataset.store.slug, stdout=out)

    assert cancelled(dataset) == Compared(4, 1)
    assert f"{dataset.store.slug}: rebuilt through" in out.getvalue()


def test_rollups_cut_in_another_time_zone_are_rebuilt_and_not_read(dataset):
    refresh_rollups(store=dataset.store, now=local(20))
    dataset.store.timezone = "UTC"
    dataset.store.save(update_fields=["timezone"])

    # Read in UTC, the Stockholm rollups are not used.
    assert cancelled(dataset, tz="UTC") == Compared(3, 2)
    assert refresh_due(store=dataset.store, now=local(20, 1))

    state = refresh_rollups(store=dataset.store, now=local(20, 1))

    assert state.timezone == "UTC"
    # In UTC the 7th holds P2 and O1.
    assert DailyStoreStats.objects.for_store(dataset.store).get(day=date(2026, 11, 7)).placed == 2
    assert cancelled(dataset, tz="UTC") == Compared(3, 2)


def test_a_refresh_is_due_when_missing_or_an_hour_old(dataset):
    assert refresh_due(store=dataset.store, now=local(20))

    refresh_rollups(store=dataset.store, now=local(20))

    assert not refresh_due(store=dataset.store, now=local(20) + REFRESH_EVERY - timedelta(seconds=1))
    assert refresh_due(store=dataset.store, now=local(20) + REFRESH_EVERY)
    assert stores_due_for_refresh(now=local(20) + REFRESH_EVERY) == [dataset.store.pk]
    assert stores_due_for_refresh(now=local(20, 0, 30)) == []


def test_the_sweep_refreshes_stores_whose_rollups_are_due(dataset):
    refresh_rollups(store=dataset.store, now=local(20))
    refresh_rollups(store=dataset.other)

    assert refresh_due_insights_task() == 1

    state = InsightsRollup.objects.for_store(dataset.store).get()
    assert not refresh_due(store=dataset.store)
    assert state.built_through > date(2026, 11, 19)


def test_the_refresh_task_skips_a_store_that_is_gone(dataset):
    store_id = dataset.other.pk
    dataset.other.delete()

    refresh_insights_task(store_id)

    refresh_insights_task(dataset.store.pk, full=True)
    assert InsightsRollup.objects.for_store(dataset.store).get().rebuilt_at is not None


def test_rebuild_insights_needs_a_store_or_all(dataset):
    with pytest.raises(CommandError, match="--store"):
        call_command("rebuild_insights")
    with pytest.raises(CommandError, match="'nowhere'"):
        call_command("rebuild_insights", "--store", "nowhere")

    out = StringIO()
    call_command("rebuild_insights", "--all", stdout=out)

    assert out.getvalue().count("rebuilt through") == 2
