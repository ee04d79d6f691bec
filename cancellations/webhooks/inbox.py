"""The webhook inbox: every verified delivery is stored once, then processed apart from the request.

Shopify delivers at least once, in any order, and gives up on an endpoint that is slow or failing,
so the web request only stores the delivery (one INSERT ... ON CONFLICT DO NOTHING on the unique
(store, webhook_id)) and answers; a task processes it. A delivery that cannot be processed keeps its
body and its error, and can be replayed once the cause is fixed.

Waking the workers: the row is the durable record, so the web request does not publish a task per
delivery. It wakes the inbox (`wake_inbox`, from a relay thread of the web process, so the 200 waits
for no round trip and a burst costs one wake): one `webhooks.drain_inbox` task is published unless one
is already waiting to start (a cache key, set with `add` and cleared by the drain as it starts). A
drain takes the oldest waiting delivery with FOR UPDATE SKIP LOCKED, processes it, and goes on until
none is left, so several drains share a burst and a delivery stored while one was waiting is seen by
it. The key expires after `WAKE_KEY_SECONDS`, so a lost drain delays processing by seconds at most
while deliveries keep coming; the beat sweep covers the rest. See docs/decisions/0092 and 0093.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import OperationalError, connection, connections, transaction
from django.db.models import QuerySet
from django.utils import timezone

from cancellations.core.queueing import send_task
from cancellations.holds.services import hold_new_order
from cancellations.models import WebhookDelivery
from cancellations.orders.imports import import_for_operation
from cancellations.orders.services import (
    retire_product,
    sync_order_from_platform,
    upsert_order,
    upsert_product,
)
from cancellations.platforms.base import TransientPlatformError
from cancellations.platforms.connections import disconnect_platform
from cancellations.platforms.shopify.payloads import (
    UnprocessablePayload,
    gid,
    order_from_rest,
    product_from_rest,
)
from cancellations.rules.intake import rules_after_sync
from cancellations.webhooks import compliance
from tenants.models import Platform, Store

logger = logging.getLogger(__name__)

Handler = Callable[[Store, Any, WebhookDelivery], None]

# Shop domain -> store id, per process, briefly: every delivery asks, and the answer rarely changes.
_SHOP_CACHE_SECONDS = 30.0
_shop_stores: dict[str, tuple[int | None, float]] = {}


def store_id_for_shop(shop: str) -> int | None:
    """The id of the Shopify store whose shop this is (cached for a few seconds in this process)."""
    cached = _shop_stores.get(shop)
    if cached is not None and cached[1] > time.monotonic():
        return cached[0]
    store_id = (
        Store.objects.filter(platform=Platform.SHOPIFY, platform_domain=shop)
        .values_list("pk", flat=True)
        .first()
    )
    if len(_shop_stores) > 10_000:
        _shop_stores.clear()
    _shop_stores[shop] = (store_id, time.monotonic() + _SHOP_CACHE_SECONDS)
    return store_id


def _order(store: Store, payload: Any, delivery: WebhookDelivery) -> None:
    outcome = upsert_order(store=store, snapshot=order_from_rest(payload))
    if outcome.created:
        # A new order: held while its change window is open, where the store holds fulfilment.
        hold_new_order(store=store, order=outcome.order)
    rules_after_sync(store=store, outcome=outcome, webhook_id=delivery.webhook_id)


def _risk_changed(store: Store, payload: Any, delivery: WebhookDelivery) -> None:
    # The risk webhook names the order; its assessment is read from the API with everything else.
    order_id = (
        payload.get("admin_graphql_api_id") or payload.get("order_id") if isinstance(payload, dict) else None
    )
    if not order_id:
        raise UnprocessablePayload("The risk assessment names no order.")
    outcome = sync_order_from_platform(store=store, order_platform_id=gid("Order", order_id))
    rules_after_sync(store=store, outcome=outcome, webhook_id=delivery.webhook_id, risk_assessed=True)


def _product(store: Store, payload: Any, delivery: WebhookDelivery) -> None:
    upsert_product(store=store, snapshot=product_from_rest(payload))


def _product_deleted(store: Store, payload: Any, delivery: WebhookDelivery) -> None:
    if not isinstance(payload, dict) or not payload.get("id"):
        raise UnprocessablePayload("The deleted product has no id.")
    retire_product(store=store, platform_id=gid("Product", payload["id"]))


def _bulk_finished(store: Store, payload: Any, delivery: WebhookDelivery) -> None:
    # Shopify says an export is finished: look now instead of at the next poll.
    # https://shopify.dev/docs/apps/build/apis/graphql-admin/bulk-operations/queries
    operation_id = payload.get("admin_graphql_api_id") if isinstance(payload, dict) else None
    if not operation_id:
        raise UnprocessablePayload("The finished bulk operation has no id.")
    found = import_for_operation(store, str(operation_id))
    if found is not None:
        send_task("orders.import_check", (store.pk, found.pk))


def _uninstalled(store: Store, payload: Any, delivery: WebhookDelivery) -> None:
    disconnect_platform(store=store)


HANDLERS: dict[str, Handler] = {
    "orders/create": _order,
    "orders/updated": _order,
    "orders/paid": _order,
    "orders/cancelled": _order,
    "orders/fulfilled": _order,
    "orders/partially_fulfilled": _order,
    "orders/risk_assessment_changed": _risk_changed,
    "products/create": _product,
    "products/update": _product,
    "products/delete": _product_deleted,
    "app/uninstalled": _uninstalled,
    "bulk_operations/finish": _bulk_finished,
    "customers/data_request": compliance.answer_data_request,
    "customers/redact": compliance.redact_customer,
    "shop/redact": compliance.redact_shop,
}


def record_webhook(
    *,
    store_id: int,
    webhook_id: str,
    topic: str,
    shop_domain: str,
    body: bytes,
    api_version: str = "",
    event_id: str = "",
    triggered_at: datetime | None = None,
) -> WebhookDelivery | None:
    """Store a verified delivery and send it for processing; None if this webhook id was already stored."""
    text = body.decode("utf-8", errors="replace").replace("\x00", "\ufffd")
    table = WebhookDelivery._meta.db_table
    with connection.cursor() as cursor:
        # One statement, safe under concurrent duplicates: the unique (store, webhook_id) decides.
        cursor.execute(
            f"""
            INSERT INTO {table}
                (store_id, webhook_id, topic, shop_domain, api_version, event_id, triggered_at, body,
                 status, attempts, error, received_at)
            VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, 0, '', %s)
            ON CONFLICT (store_id, webhook_id) DO NOTHING
            RETURNING id
            """,  # noqa: S608 - the table name is our own model's
            [
                store_id,
                webhook_id[:100],
                topic[:100],
                shop_domain[:255],
                api_version[:20],
                event_id[:100],
                triggered_at,
                text,
                WebhookDelivery.Status.RECEIVED,
                timezone.now(),
            ],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    delivery = WebhookDelivery(
        pk=row[0],
        store_id=store_id,
        webhook_id=webhook_id,
        topic=topic,
        status=WebhookDelivery.Status.RECEIVED,
    )
    transaction.on_commit(wake_inbox_soon)
    return delivery


# The drain waiting to start: while it is set, a new delivery needs no task of its own.
WAKE_KEY = "webhooks:drain-pending"
WAKE_KEY_SECONDS = 2
# A drain hands on to a new task after this long, so one task never holds a worker for a whole burst.
DRAIN_SECONDS = 20.0


# How long the relay waits after a delivery before it wakes the inbox, so one wake covers a burst.
WAKE_COALESCE_SECONDS = 0.002


def wake_inbox_soon() -> None:
    """After a delivery committed: wake the inbox, from this process's relay thread
    (WEBHOOK_INBOX_WAKE_RELAY), so the 200 waits for no cache or broker round trip."""
    if settings.WEBHOOK_INBOX_WAKE_RELAY:
        _relay.request()
    else:
        wake_inbox()


class _WakeRelay:
    """One thread per process that wakes the inbox for the deliveries this process stored.

    A delivery sets the flag after its row committed; the thread clears the flag and then wakes, so a
    delivery committed before the clear is covered by that wake and one after it sets the flag again.
    A wake lost with the process (it stops within WAKE_COALESCE_SECONDS of a delivery) is the beat
    sweep's, as a lost drain task is.
    """

    def __init__(self) -> None:
        self._wanted = threading.Event()
        self._lock = threading.Lock()
        self._pid = 0

    def request(self) -> None:
        if self._pid != os.getpid():  # first use in this process (a forked worker inherits no thread)
            with self._lock:
                if self._pid != os.getpid():
                    self._wanted = threading.Event()
                    threading.Thread(target=self._run, name="amend-inbox-wake", daemon=True).start()
                    self._pid = os.getpid()
        self._wanted.set()

    def _run(self) -> None:
        wanted = self._wanted
        while True:
            wanted.wait()
            time.sleep(WAKE_COALESCE_SECONDS)
            wanted.clear()
            try:
                wake_inbox()
            except Exception:  # the cache or broker is down: the next delivery or the sweep tries again
                logger.warning("could not wake the webhook inbox", exc_info=True)
            finally:
                connections.close_all()  # this thread's: the database cache's, when that is the cache


_relay = _WakeRelay()


def wake_inbox() -> bool:
    """Make sure a drain will look at the inbox soon; True if this call published one."""
    if not cache.add(WAKE_KEY, 1, timeout=WAKE_KEY_SECONDS):
        return False  # a drain that has not started yet will see what was just stored
    if send_task("webhooks.drain_inbox"):
        return True
    cache.delete(WAKE_KEY)  # the broker is down: let the next delivery try again (the sweep backs this)
    return False


def enqueue_processing(*, store_id: int, delivery_id: int) -> bool:
    """Send one stored delivery to a worker; if the broker is down, the inbox sweep sends it later."""
    return send_task("webhooks.process_delivery", (store_id, delivery_id))


def drain_inbox(*, seconds: float = DRAIN_SECONDS) -> int:
    """Process waiting deliveries, oldest first, until none is left; the number processed.

    Deliveries of every store: each is processed under its own store. One that failed for a reason
    that may pass (the platform down) is sent to `webhooks.process_delivery`, which retries it later.
    """
    cache.delete(WAKE_KEY)  # from here on, what is stored is either seen below or wakes another drain
    stores: dict[int, Store | None] = {}
    done = 0
    deadline = time.monotonic() + seconds
    while True:
        if time.monotonic() > deadline:
            wake_inbox()  # hand on; the next drain goes on where this one stopped
            return done
        retry: tuple[int, int, float | None] | None = None
        with transaction.atomic():
            delivery = (
                _waiting_deliveries().select_for_update(skip_locked=True).order_by("received_at").first()
            )
            if delivery is None:
                return done
            if delivery.store_id not in stores:
                stores[delivery.store_id] = Store.objects.filter(pk=delivery.store_id).first()
            store = stores[delivery.store_id]
            if store is None:  # the store went away with its deliveries; nothing to do
                continue
            failed = _process_locked(store, delivery)
            if failed is not None:
                retry = (store.pk, delivery.pk, failed.retry_after)
        done += 1
        if done == 1 and _waiting_deliveries().exists():
            wake_inbox()  # a backlog: a companion drain, so each free worker takes a share (SKIP LOCKED)
        if retry is not None:
            store_id, delivery_id, after = retry
            send_task("webhooks.process_delivery", (store_id, delivery_id), countdown=after or 5.0)


def _waiting_deliveries() -> QuerySet[WebhookDelivery]:
    # A system read across stores; each delivery is then processed under its own store.
    return WebhookDelivery.objects.dangerously_unscoped().filter(status=WebhookDelivery.Status.RECEIVED)


def process_webhook_delivery(*, store: Store, delivery_id: int) -> WebhookDelivery | None:
    """Act on a stored delivery once; failures are kept with their error. None if another worker has it.

    Raises TransientPlatformError (after recording the attempt) when trying again later may help.
    """
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.for_store(store)
            .select_for_update(skip_locked=True)
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.status in (
            WebhookDelivery.Status.PROCESSED,
            WebhookDelivery.Status.IGNORED,
        ):
            return delivery
        retry = _process_locked(store, delivery)
    if retry is not None:
        raise retry
    return delivery


def _process_locked(store: Store, delivery: WebhookDelivery) -> TransientPlatformError | None:
    """Run the topic's handler on a delivery this transaction holds locked, and record the outcome.

    Returns the error when trying again later may help; the caller raises or schedules it once its
    transaction has committed the failed attempt.
    """
    retry: Exception | None = None
    delivery.attempts += 1
    handler = HANDLERS.get(delivery.topic)
    if handler is None:
        delivery.status = WebhookDelivery.Status.IGNORED
        delivery.error = ""
    else:
        try:
            with transaction.atomic():
                handler(store, _parse(delivery.body), delivery)
            delivery.status, delivery.error = WebhookDelivery.Status.PROCESSED, ""
        except (TransientPlatformError, OperationalError) as error:
            delivery.status, delivery.error = WebhookDelivery.Status.FAILED, _describe(error)
            retry = error
        except Exception as error:
            # Kept with its body and error, to be replayed once the cause is fixed.
            logger.exception("webhook %s (%s) could not be processed", delivery.pk, delivery.topic)
            delivery.status, delivery.error = WebhookDelivery.Status.FAILED, _describe(error)
    delivery.processed_at = timezone.now()
    delivery.save(update_fields=["status", "error", "attempts", "processed_at"])
    if retry is None:
        return None
    return TransientPlatformError(delivery.error, retry_after=getattr(retry, "retry_after", None))


def replay_webhook_deliveries(*, store: Store, delivery_ids: list[int] | None = None) -> int:
    """Send failed deliveries (all of the store's, or these) to be processed again."""
    deliveries = WebhookDelivery.objects.for_store(store).filter(status=WebhookDelivery.Status.FAILED)
    if delivery_ids is not None:
        deliveries = deliveries.filter(pk__in=delivery_ids)
    ids = list(deliveries.values_list("pk", flat=True))
    WebhookDelivery.objects.for_store(store).filter(pk__in=ids).update(status=WebhookDelivery.Status.RECEIVED)
    for delivery_id in ids:
        transaction.on_commit(partial(enqueue_processing, store_id=store.pk, delivery_id=delivery_id))
    return len(ids)


def sweep_webhook_inbox(*, older_than: timedelta = timedelta(minutes=5), limit: int = 1000) -> int:
    """Send deliveries that have waited too long (a lost task, a broker outage) to be processed again."""
    # A system sweep across stores: each row is processed under its own store by the task.
    waiting = (
        WebhookDelivery.objects.dangerously_unscoped()
        .filter(status=WebhookDelivery.Status.RECEIVED, received_at__lt=timezone.now() - older_than)
        .order_by("received_at")
        .values_list("store_id", "pk")[:limit]
    )
    sent = 0
    for store_id, delivery_id in list(waiting):
        sent += enqueue_processing(store_id=store_id, delivery_id=delivery_id)
    return sent


def _parse(body: str) -> Any:
    try:
        return json.loads(body)
    except ValueError as error:
        raise UnprocessablePayload(f"The body is not JSON: {error}.") from None


def _describe(error: Exception) -> str:
    message = getattr(error, "message", None) or str(error) or error.__class__.__name__
    return f"{error.__class__.__name__}: {message}"[:2000]
