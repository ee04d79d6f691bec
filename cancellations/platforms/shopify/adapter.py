"""The Shopify adapter: the platform interface over the Admin GraphQL API.

Shopify's order mutations take no idempotency key (orderCancel, order editing, draftOrderCreate), so
exactly-once comes from us. For each key we (1) take a session lock, so one worker at a time runs it;
(2) commit a `started` row in the effect ledger before calling Shopify; (3) record the outcome after.
When a retry finds a `started` row, the earlier attempt's outcome is unknown, so it looks before it
acts: an order already cancelled, edits already visible on the order, a draft order already carrying
the key's tag each mean the earlier attempt worked. Call this adapter outside a transaction.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from django.db import transaction

from cancellations.models import PlatformConnection, PlatformEffect, RefundMethod
from cancellations.platforms.base import (
    Address,
    CancelRequest,
    CancelResult,
    CancelStatus,
    ChangeAddress,
    EditRequest,
    EditResult,
    EffectStatus,
    OrderExport,
    OrderSnapshot,
    PermanentPlatformError,
    PlatformAdapter,
    ProductSnapshot,
    RateBudget,
    ReorderRequest,
    ReorderResult,
    TransientPlatformError,
    from_json,
    to_json,
)
from cancellations.platforms.credit import StoreCreditGrant, StoreCreditGranted
from cancellations.platforms.errors import PlatformErrorCode, ShopifyErrorCode
from cancellations.platforms.ledger import claim_effect, exclusive_key, record_outcome
from cancellations.platforms.shopify import bulk_status, documents, export, refunds, store_credit
from cancellations.platforms.shopify.client import ShopifyClient
from cancellations.platforms.shopify.edits import Committed, already_applied, check_editable, edit_lines
from cancellations.platforms.shopify.lines import all_lines
from cancellations.platforms.shopify.payloads import (
    UnprocessablePayload,
    address_to_graphql,
    order_from_graphql,
    product_from_graphql,
)
from cancellations.platforms.shopify.tokens import ConnectionTokens
from tenants.models import Platform, Store


def _numeric_id(gid: str) -> str:
    return gid.rsplit("/", 1)[-1]


def _user_errors(payload: dict[str, Any], key: str = "userErrors") -> list[dict[str, Any]]:
    return list((payload or {}).get(key) or [])


# Shopify's documented bucket for a standard shop, assumed until the first answer reports the real one,
# and what one orderCancel (a mutation) costs of it.
SHOPIFY_DEFAULT_CAPACITY = 1000.0
SHOPIFY_DEFAULT_RATE = 100.0
SHOPIFY_CANCEL_COST = float(documents.COSTS["AmendOrderCancel"])


class ShopifyAdapter(PlatformAdapter):
    platform = "shopify"
    status_batch_size = documents.BULK_CANCEL_STATUS_SLOTS

    def __init__(self, store: Store, *, client: ShopifyClient | None = None) -> None:
        super().__init__(store)
        self._client = client

    @property
    def client(self) -> ShopifyClient:
        if self._client is None:
            connection = (
                PlatformConnection.objects.for_store(self.store).filter(platform=Platform.SHOPIFY).first()
            )
            if connection is None or not connection.is_active:
                raise PermanentPlatformError(
                    "The store is not connected to Shopify; connect it first.",
                    code=PlatformErrorCode.PLATFORM_NOT_CONNECTED,
                )
            self._client = ShopifyClient(shop=connection.shop_domain, tokens=ConnectionTokens(connection))
        return self._client

    # --- tags ---

    def add_tags(self, order_platform_id: str, tags: Sequence[str], *, idempotency_key: str) -> None:
        payload = self.client.execute(documents.TAGS_ADD, {"id": order_platform_id, "tags": list(tags)})
        errors = _user_errors(payload["tagsAdd"])
        if errors:
            raise PermanentPlatformError(
                "; ".join(e["message"] for e in errors), code=PlatformErrorCode.TAGS_REFUSED
            )

    # --- what bulk work needs ---

    def rate_budget(self) -> RateBudget:
        """Shopify's cost bucket, following what the shop's answers report (stamped by the wall clock)."""
        try:
            client: ShopifyClient | None = self.client
        except PermanentPlatformError:
            client = None
        return RateBudget(
            capacity=SHOPIFY_DEFAULT_CAPACITY,
            rate=SHOPIFY_DEFAULT_RATE,
            cancel_cost=SHOPIFY_CANCEL_COST,
            report=client.bucket_report if client is not None and client.shop else None,
            clock=time.time,
        )

    def cancel_statuses(self, order_ids: Sequence[str]) -> dict[str, CancelStatus | None]:
        return bulk_status.cancel_statuses(self.client, order_ids)

    def status_query_cost(self, count: int) -> float:
        return bulk_status.status_query_cost(count)

    # --- the order history in one export ---

    exports_orders = True

    def start_orders_export(self, *, created_since: datetime | None) -> str:
        return export.start(self.client, created_since=created_since)

    def orders_export(self, operation_id: str) -> OrderExport:
        return export.status(self.client, operation_id)

    def read_orders_export(self, url: str, *, skip: int = 0) -> Iterator[OrderSnapshot]:
        return export.read(url, skip=skip)

    # --- reads ---

    def fetch_order(self, order_platform_id: str, *, idempotency_key: str) -> OrderSnapshot:
        variables = {"id": order_platform_id, "lines": documents.ORDER_LINES}
        data = self.client.execute(documents.FETCH_ORDER, variables)
        if not data.get("order"):
            raise PermanentPlatformError("Shopify has no such order.", code=PlatformErrorCode.ORDER_NOT_FOUND)
        try:
            return order_from_graphql(all_lines(self.client, data["order"]))
        except UnprocessablePayload as error:
            raise PermanentPlatformError(
                error.message, code=PlatformErrorCode.PLATFORM_BAD_RESPONSE
            ) from None

    def orders_page(
        self,
        *,
        created_since: datetime,
        after: str | None = None,
        page_size: int = documents.ORDERS_PAGE_SIZE,
    ) -> tuple[list[OrderSnapshot], str | None]:
        """One page of the shop's orders created since a moment, oldest first; and the next page's cursor.

        A page holds as many orders as fit in one query's cost limit (documents.ORDERS_PAGE_SIZE);
        an order with more line items than a page reads gets the rest with AmendOrderLines.
        """
        variables = {
            "first": min(page_size, documents.ORDERS_PAGE_SIZE),
            "lines": documents.PAGE_LINES,
            "after": after,
            "query": f"created_at:>='{created_since.isoformat()}'",
        }
        data = self.client.execute(documents.ORDERS_PAGE, variables)
        page = data.get("orders") or {}
        try:
            snapshots = [order_from_graphql(all_lines(self.client, node)) for node in page.get("nodes") or []]
        except UnprocessablePayload as error:
            raise PermanentPlatformError(
                error.message, code=PlatformErrorCode.PLATFORM_BAD_RESPONSE
            ) from None
        info = page.get("pageInfo") or {}
        return snapshots, (info.get("endCursor") if info.get("hasNextPage") else None)

    def poll_job(self, job_id: str, *, idempotency_key: str) -> CancelResult:
        effects = PlatformEffect.objects.for_store(self.store)
        effect = (
            effects.filter(idempotency_key=idempotency_key).first()
            or effects.filter(idempotency_key=refunds.cancel_key(idempotency_key)).first()
        )
        if effect is None:
            raise PermanentPlatformError(
                "No change is recorded under this key.", code=PlatformErrorCode.JOB_NOT_FOUND
            )
        owed = refunds.FeeRefund.owed_after(effect.result)
        if effect.status == PlatformEffect.Status.COMPLETED:
            done = from_json(CancelResult, effect.result, replayed=True)
            return done if owed is None else refunds.refund_once(self, owed, idempotency_key, done)
        job = self.client.execute(documents.JOB, {"id": job_id or effect.job_id}).get("job")
        if job is None:
            raise PermanentPlatformError(
                "Shopify does not know this job.", code=PlatformErrorCode.JOB_NOT_FOUND
            )
        if not job.get("done"):
            return CancelResult(status=EffectStatus.PENDING, job_id=job["id"])
        snapshot = self.fetch_order(effect.order_platform_id, idempotency_key=idempotency_key)
        if snapshot.cancelled_at is None:
            self._forget(effect)
            raise PermanentPlatformError(
                "Shopify finished the cancellation but the order is not cancelled.",
                code=PlatformErrorCode.CANCEL_FAILED,
            )
        done = self._complete_cancel(effect, snapshot, replayed=False)
        return done if owed is None else refunds.refund_once(self, owed, idempotency_key, done)

    # --- effects ---

    def cancel(self, request: CancelRequest, *, idempotency_key: str) -> CancelResult:
        if not refunds.keeps_fee(request):
            return self._cancel_once(request, idempotency_key)
        # Cancel refunding nothing, then refund less the fee: two effects, each under its own key.
        owed = refunds.FeeRefund.of(request)
        cancelled = self._cancel_once(request, refunds.cancel_key(idempotency_key), then=owed)
        if cancelled.status == EffectStatus.PENDING:
            return cancelled
        return refunds.refund_once(self, owed, idempotency_key, cancelled)

    def grant_store_credit(self, grant: StoreCreditGrant, *, idempotency_key: str) -> StoreCreditGranted:
        return store_credit.credit_once(self, grant, idempotency_key)

    def refunds_after_cancel(self, request: CancelRequest) -> bool:
        return refunds.keeps_fee(request)

    def _cancel_once(
        self, request: CancelRequest, idempotency_key: str, *, then: refunds.FeeRefund | None = None
    ) -> CancelResult:
        with exclusive_key(self.store, idempotency_key):
            effect, created = self.claim(PlatformEffect.Operation.CANCEL, request, idempotency_key)
            if effect.status != PlatformEffect.Status.STARTED:
                return from_json(CancelResult, effect.result, replayed=True)
            with self.forgotten_on_refusal(effect):
                if not created:
                    # An earlier attempt may have got through before its worker stopped.
                    snapshot = self.fetch_order(request.order_platform_id, idempotency_key=idempotency_key)
                    if snapshot.cancelled_at is not None:
                        return self._complete_cancel(effect, snapshot, replayed=True, then=then)
                variables = self._cancel_variables(request, refund=then is None)
                payload = self.client.execute(documents.ORDER_CANCEL, variables)["orderCancel"]
                errors = _user_errors(payload, "orderCancelUserErrors")
                if errors and not created:
                    # After an earlier attempt of unknown outcome, a refusal may mean "already being
                    # cancelled": keep the claim and look again later.
                    raise TransientPlatformError(
                        "; ".join(e["message"] for e in errors),
                        code=PlatformErrorCode.CANCEL_OUTCOME_UNKNOWN,
                        retry_after=10,
                    )
                if errors:
                    raise PermanentPlatformError(
                        "; ".join(e["message"] for e in errors),
                        code=ShopifyErrorCode.passed_through(errors[0].get("code")),
                    )
                job = payload.get("job") or {}
                result = CancelResult(status=EffectStatus.PENDING, job_id=job.get("id", ""))
                with transaction.atomic():
                    record_outcome(
                        effect,
                        status=PlatformEffect.Status.PENDING,
                        result={**to_json(result), **(then.carried() if then else {})},
                        job_id=result.job_id,
                    )
                return result

    def search_products(self, *, tag: str, first: int) -> list[ProductSnapshot]:
        # Shopify's search syntax: a quoted tag, and only what the shop sells now.
        # https://shopify.dev/docs/api/usage/search-syntax
        query = f"tag:'{tag.replace(chr(39), '')}' AND status:active"
        first = min(first, documents.ADDABLE_PRODUCTS_PAGE)
        found = self.client.execute(documents.ADDABLE_PRODUCTS, {"query": query, "first": first})
        return [product_from_graphql(node) for node in (found.get("products") or {}).get("nodes") or []]

    def edit(self, request: EditRequest, *, idempotency_key: str) -> EditResult:
        with exclusive_key(self.store, idempotency_key):
            effect, _ = self.claim(PlatformEffect.Operation.EDIT, request, idempotency_key)
            if effect.status != PlatformEffect.Status.STARTED:
                return from_json(EditResult, effect.result, replayed=True)
            with self.forgotten_on_refusal(effect):
                order = self.fetch_order(request.order_platform_id, idempotency_key=idempotency_key)
                if order.cancelled_at is not None:
                    raise PermanentPlatformError(
                        "A cancelled order cannot be changed.", code=PlatformErrorCode.ORDER_CANCELLED
                    )
                # Only what the order does not show yet: a retry after a lost answer does not repeat it.
                todo = [change for change in request.changes if not already_applied(change, order)]
                check_editable(todo, order)
                committed = Committed(order.total)
                for change in todo:
                    if isinstance(change, ChangeAddress):
                        self._update_address(order.platform_id, change.address)
                line_changes = [change for change in todo if not isinstance(change, ChangeAddress)]
                if line_changes:
                    committed = edit_lines(self.client, order, line_changes, request)
                result = EditResult(
                    status=EffectStatus.COMPLETED,
                    total=committed.total,
                    balance=committed.total - order.total,
                    outstanding=committed.outstanding,
                    payment_url=committed.payment_url,
                )
                with transaction.atomic():
                    record_outcome(effect, status=PlatformEffect.Status.COMPLETED, result=to_json(result))
                return result

    def create_reorder(self, request: ReorderRequest, *, idempotency_key: str) -> ReorderResult:
        with exclusive_key(self.store, idempotency_key):
            effect, created = self.claim(PlatformEffect.Operation.REORDER, request, idempotency_key)
            if effect.status != PlatformEffect.Status.STARTED:
                return from_json(ReorderResult, effect.result, replayed=True)
            tag = "amend-" + hashlib.sha256(f"{self.store.pk}:{idempotency_key}".encode()).hexdigest()[:24]
            with self.forgotten_on_refusal(effect):
                if not created:
                    found = self.client.execute(documents.DRAFT_ORDERS_BY_TAG, {"query": f"tag:{tag}"})
                    nodes = (found.get("draftOrders") or {}).get("nodes") or []
                    if nodes:
                        return self._complete_reorder(effect, nodes[0], replayed=True)
                order = self.fetch_order(request.order_platform_id, idempotency_key=idempotency_key)
                lines = [(line.variant_platform_id, line.quantity) for line in request.lines] or [
                    (line.variant_id, line.quantity) for line in order.lines if line.variant_id
                ]
                if not lines:
                    raise PermanentPlatformError("Nothing to reorder.", code=PlatformErrorCode.REORDER_EMPTY)
                draft_input: dict[str, Any] = {
                    "lineItems": [
                        {"variantId": variant, "quantity": quantity} for variant, quantity in lines
                    ],
                    "note": request.note or f"Reorder of {order.name}",
                    "tags": ["amend-reorder", tag],
                }
                if order.email:
                    draft_input["email"] = order.email
                if order.shipping_address:
                    draft_input["shippingAddress"] = address_to_graphql(
                        Address.from_mirror(order.shipping_address)
                    )
                payload = self.client.execute(documents.DRAFT_ORDER_CREATE, {"input": draft_input})[
                    "draftOrderCreate"
                ]
                errors = _user_errors(payload)
                if errors or not payload.get("draftOrder"):
                    raise PermanentPlatformError(
                        "; ".join(e["message"] for e in errors) or "Shopify made no draft order.",
                        code=PlatformErrorCode.REORDER_REFUSED,
                    )
                return self._complete_reorder(effect, payload["draftOrder"], replayed=False)

    # --- helpers ---

    def claim(self, operation: str, request: Any, idempotency_key: str) -> tuple[PlatformEffect, bool]:
        # Committed before Shopify is called: if this worker dies mid-call, the row says "outcome unknown".
        with transaction.atomic():
            return claim_effect(
                store=self.store,
                operation=operation,
                idempotency_key=idempotency_key,
                request=request,
                order_platform_id=request.order_platform_id,
            )

    def _forget(self, effect: PlatformEffect) -> None:
        PlatformEffect.objects.for_store(self.store).filter(
            pk=effect.pk, status=PlatformEffect.Status.STARTED
        ).delete()

    @contextmanager
    def forgotten_on_refusal(self, effect: PlatformEffect) -> Iterator[None]:
        """On a refusal nothing happened on Shopify, so the claim goes and a later try starts afresh."""
        try:
            yield
        except PermanentPlatformError:
            self._forget(effect)
            raise

    def _cancel_variables(self, request: CancelRequest, *, refund: bool = True) -> dict[str, Any]:
        refund_method: dict[str, Any] | None
        if not refund:
            refund_method = None  # Shopify leaves the money alone; a refund less the fee follows
        elif request.refund == RefundMethod.ORIGINAL:
            refund_method = {"originalPaymentMethodsRefund": True}
        elif request.refund == RefundMethod.STORE_CREDIT:
            refund_method = {"storeCreditRefund": {}}
        else:
            refund_method = None
        return {
            "orderId": request.order_platform_id,
            "reason": str(request.reason).upper(),
            "refundMethod": refund_method,
            "restock": request.restock,
            "notifyCustomer": request.notify_customer,
            "staffNote": request.staff_note or None,
        }

    def _complete_cancel(
        self,
        effect: PlatformEffect,
        snapshot: OrderSnapshot,
        *,
        replayed: bool,
        then: refunds.FeeRefund | None = None,
    ) -> CancelResult:
        result = CancelResult(status=EffectStatus.COMPLETED, job_id=effect.job_id, refunded=snapshot.refunded)
        # A refund still owed after this cancel stays on the row, for whoever looks next.
        owed = then or refunds.FeeRefund.owed_after(effect.result)
        carried = owed.carried() if owed else {}
        record_outcome(effect, status=PlatformEffect.Status.COMPLETED, result={**to_json(result), **carried})
        # The caller writes the order to the mirror (with the request's completion).
        return CancelResult(
            status=result.status,
            job_id=result.job_id,
            refunded=result.refunded,
            replayed=replayed,
            order=snapshot,
        )

    def _complete_reorder(
        self, effect: PlatformEffect, draft: dict[str, Any], *, replayed: bool
    ) -> ReorderResult:
        result = ReorderResult(
            platform_id=draft["id"], url=draft.get("invoiceUrl") or "", name=str(draft.get("name") or "")
        )
        with transaction.atomic():
            record_outcome(effect, status=PlatformEffect.Status.COMPLETED, result=to_json(result))
        return ReorderResult(
            platform_id=result.platform_id, url=result.url, name=result.name, replayed=replayed
        )

    def _update_address(self, order_id: str, address: Address) -> None:
        variables = {"input": {"id": order_id, "shippingAddress": address_to_graphql(address)}}
        payload = self.client.execute(documents.ORDER_UPDATE_ADDRESS, variables)["orderUpdate"]
        if _user_errors(payload):
            raise PermanentPlatformError(
                "; ".join(e["message"] for e in _user_errors(payload)), code=PlatformErrorCode.ADDRESS_REFUSED
            )
