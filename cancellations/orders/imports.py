"""Importing a store's order history in one platform export: the only writer of `OrderImport.status`.

exporting -> reading -> done, or -> failed. The platform exports in the background; a task asks where
it is every `ORDER_IMPORT_POLL_SECONDS` (Shopify's `bulk_operations/finish` webhook asks at once),
and the one caller that moves the import from exporting to reading mirrors the file, a batch at a
time, counting as it goes so the merchant sees the progress. Mirroring is an upsert by platform id,
so an import whose worker died is read on by the sweep from the last batch counted, and a batch read
twice changes nothing twice.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import timedelta
from itertools import islice

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from cancellations.core.queueing import send_task
from cancellations.models import IMPORT_OPEN_STATUSES, OrderImport, OrderImportStatus
from cancellations.orders.services import upsert_orders
from cancellations.platforms import get_adapter
from cancellations.platforms.base import OrderSnapshot, PermanentPlatformError
from tenants.models import Store

logger = logging.getLogger(__name__)

IMPORT_BATCH = 500


def open_import(store: Store) -> OrderImport | None:
    return OrderImport.objects.for_store(store).filter(status__in=IMPORT_OPEN_STATUSES).first()


def start_import(*, store: Store, days: int | None = None) -> OrderImport | None:
    """Ask the platform to export the orders of the last `days` days (None: all of them).

    None when the platform cannot export (the built-in store, or a platform read page by page);
    the import already under way when there is one.
    """
    adapter = get_adapter(store)
    if not adapter.exports_orders:
        return None
    running = open_import(store)
    if running is not None:
        return running
    since = timezone.now() - timedelta(days=days) if days else None
    operation_id = adapter.start_orders_export(created_since=since)
    try:
        with transaction.atomic():
            started = OrderImport.objects.create(store=store, operation_id=operation_id, created_since=since)
    except IntegrityError:
        return open_import(store)
    send_task("orders.import_check", (store.pk, started.pk), countdown=settings.ORDER_IMPORT_POLL_SECONDS)
    return started


def check_import(*, store: Store, import_id: int) -> OrderImport | None:
    """Ask the platform where the export is; mirror it once it is finished. None: no such import here."""
    found = OrderImport.objects.for_store(store).filter(pk=import_id).first()
    if found is None:
        return None
    if found.status == OrderImportStatus.READING and _stalled(found):
        # Its reader died: read again from the last batch counted.
        return _read(store, found)
    if found.status != OrderImportStatus.EXPORTING:
        return found
    adapter = get_adapter(store)
    export = adapter.orders_export(found.operation_id)
    found.exported_objects, found.exported_orders = export.objects, export.orders
    if export.state == "running":
        found.save(update_fields=["exported_objects", "exported_orders", "updated_at"])
        return found
    if export.state == "failed":
        _finish(found, OrderImportStatus.FAILED, error=export.error)
        return found
    # Completed: only the caller that moves it to reading mirrors the file.
    moved = (
        OrderImport.objects.for_store(store)
        .filter(pk=found.pk, status=OrderImportStatus.EXPORTING)
        .update(
            status=OrderImportStatus.READING,
            exported_objects=export.objects,
            exported_orders=export.orders,
            exported_at=timezone.now(),
            operation_url=export.url,
            updated_at=timezone.now(),
        )
    )
    found.refresh_from_db()
    if not moved:
        return found
    return _read(store, found)


def _stalled(found: OrderImport) -> bool:
    return found.updated_at < timezone.now() - timedelta(seconds=settings.ORDER_IMPORT_STALLED_SECONDS)


def _read(store: Store, found: OrderImport) -> OrderImport:
    """Mirror the export's orders, from where the last reader stopped.

    A reader stops after `ORDER_IMPORT_READ_SECONDS` (well inside a task's time limit) and queues the
    next, which skips the orders already counted: the file's order is fixed.
    """
    adapter = get_adapter(store)
    deadline = time.monotonic() + settings.ORDER_IMPORT_READ_SECONDS
    snapshots = adapter.read_orders_export(found.operation_url, skip=found.orders_read)
    try:
        for batch in _batches(snapshots, IMPORT_BATCH):
            created = upsert_orders(store=store, snapshots=batch)
            OrderImport.objects.for_store(store).filter(pk=found.pk).update(
                orders_read=F("orders_read") + len(batch),
                orders_created=F("orders_created") + created,
                updated_at=timezone.now(),
            )
            if time.monotonic() > deadline:
                send_task("orders.import_read", (store.pk, found.pk))
                found.refresh_from_db()
                return found
    except PermanentPlatformError as error:
        found.refresh_from_db()
        _finish(found, OrderImportStatus.FAILED, error=error.message)
        return found
    found.refresh_from_db()
    _finish(found, OrderImportStatus.DONE)
    return found


def continue_import(*, store: Store, import_id: int) -> OrderImport | None:
    """Go on mirroring an import a reader stopped in the middle of."""
    found = OrderImport.objects.for_store(store).filter(pk=import_id).first()
    if found is None or found.status != OrderImportStatus.READING:
        return found
    return _read(store, found)


def _finish(found: OrderImport, status: str, *, error: str = "") -> None:
    found.status, found.error, found.finished_at = status, error[:500], timezone.now()
    found.save(
        update_fields=["status", "error", "finished_at", "exported_objects", "exported_orders", "updated_at"]
    )
    logger.info("store %s: order import %s %s %s", found.store_id, found.pk, status, error)


def _batches(items: Iterable[OrderSnapshot], size: int) -> Iterator[list[OrderSnapshot]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def imports_to_check() -> list[tuple[int, int]]:
    """(store id, import id) of every import under way that nothing has moved for a while."""
    quiet = timezone.now() - timedelta(seconds=settings.ORDER_IMPORT_STALLED_SECONDS)
    return list(
        OrderImport.objects.dangerously_unscoped()
        .filter(status__in=IMPORT_OPEN_STATUSES, updated_at__lt=quiet)
        .values_list("store_id", "pk")
    )


def import_for_operation(store: Store, operation_id: str) -> OrderImport | None:
    """The import a platform export belongs to (the finish webhook names the export)."""
    return OrderImport.objects.for_store(store).filter(operation_id=operation_id).first()


def run_import(
    *, store: Store, days: int | None = None, sleep: Callable[[float], None] = time.sleep
) -> OrderImport | None:
    """Start an import and see it through in this process (the command line, the benchmark)."""
    started = start_import(store=store, days=days)
    if started is None:
        return None
    found: OrderImport | None = started
    while found is not None and found.status in IMPORT_OPEN_STATUSES:
        if found.status == OrderImportStatus.READING:
            found = continue_import(store=store, import_id=found.pk)
            continue
        found = check_import(store=store, import_id=found.pk)
        if found is not None and found.status == OrderImportStatus.EXPORTING:
            sleep(settings.ORDER_IMPORT_POLL_SECONDS)
    return found
