"""The built-in store: orders kept in Amend itself (stores not on a platform, and the demo).

Each effect runs in one transaction that claims its idempotency key in the effect ledger, locks the
order, checks, changes the order, its refunds and stock, and records the outcome: so an effect is
applied exactly once per key, and a failed check leaves nothing behind (not even the claim).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Sequence
from decimal import Decimal
from functools import partial

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from cancellations.core.mail import customer_email
from cancellations.models import (
    PAID_STATES,
    FinancialStatus,
    InventoryAdjustment,
    LineItem,
    Order,
    PlatformEffect,
    Refund,
    RefundMethod,
    Variant,
)
from cancellations.platforms.base import (
    AddVariant,
    CancelRequest,
    CancelResult,
    ChangeAddress,
    EditChange,
    EditRequest,
    EditResult,
    EffectStatus,
    OrderSnapshot,
    PermanentPlatformError,
    PlatformAdapter,
    RemoveLine,
    ReorderRequest,
    ReorderResult,
    SetQuantity,
    SwapVariant,
    from_json,
    to_json,
)
from cancellations.platforms.builtin_credit import grant_once, record_credit
from cancellations.platforms.builtin_payments import ask_for_payment, outstanding, payment_url
from cancellations.platforms.builtin_snapshot import snapshot_of
from cancellations.platforms.credit import StoreCreditGrant, StoreCreditGranted
from cancellations.platforms.errors import PlatformErrorCode
from cancellations.platforms.ledger import claim_effect, record_outcome

logger = logging.getLogger(__name__)

CENT = Decimal("0.01")


def order_platform_id(number: int) -> str:
    """The platform id of the built-in store's order with this number."""
    return f"gid://amend/Order/{number}"


class BuiltinAdapter(PlatformAdapter):
    platform = "builtin"

    # --- reads ---

    def fetch_order(self, order_platform_id: str, *, idempotency_key: str) -> OrderSnapshot:
        return snapshot_of(self._order(order_platform_id))

    def add_tags(self, order_platform_id: str, tags: Sequence[str], *, idempotency_key: str) -> None:
        """Nothing to do: the built-in store's record of an order is Amend's own, tagged already."""

    def poll_job(self, job_id: str, *, idempotency_key: str) -> CancelResult:
        # Built-in effects finish inside their transaction, so a "job" is simply the recorded outcome.
        effect = PlatformEffect.objects.for_store(self.store).filter(idempotency_key=idempotency_key).first()
        if effect is None or effect.status != PlatformEffect.Status.COMPLETED:
            raise PermanentPlatformError(
                "No finished change is recorded under this key.", code=PlatformErrorCode.JOB_NOT_FOUND
            )
        return from_json(CancelResult, effect.result, replayed=True)

    # --- effects ---

    def grant_store_credit(self, grant: StoreCreditGrant, *, idempotency_key: str) -> StoreCreditGranted:
        return grant_once(self.store, grant, idempotency_key)

    def cancel(self, request: CancelRequest, *, idempotency_key: str) -> CancelResult:
        with transaction.atomic():
            effect, created = claim_effect(
                store=self.store,
                operation=PlatformEffect.Operation.CANCEL,
                idempotency_key=idempotency_key,
                request=request,
                order_platform_id=request.order_platform_id,
            )
            if not created:
                return from_json(CancelResult, effect.result, replayed=True)
            order = self._order(request.order_platform_id, lock=True)
            if order.cancelled_at is not None:
                raise PermanentPlatformError(
                    "This order is already cancelled.", code=PlatformErrorCode.ORDER_ALREADY_CANCELLED
                )
            lines = list(order.line_items.all())
            if any(line.fulfilled_quantity for line in lines):
                raise PermanentPlatformError(
                    "Items of this order have already shipped, so it can no longer be cancelled.",
                    code=PlatformErrorCode.ORDER_FULFILLED,
                )
            refunded = Decimal("0.00")
            if order.financial_status in PAID_STATES:
                outstanding = order.total - order.refunded
                amount = max(outstanding - request.fee, Decimal("0.00"))
                if request.refund != RefundMethod.NONE and amount > 0:
                    Refund.objects.create(
                        store=self.store,
                        order=order,
                        effect=effect,
                        amount=amount,
                        currency=order.currency,
                        method=request.refund,
                        reason=f"cancelled: {request.reason}",
                    )
                    if request.refund == RefundMethod.STORE_CREDIT:
                        record_credit(
                            store=self.store, order=order, effect=effect, kind="refund", amount=amount
                        )
                    refunded = amount
                    order.refunded += amount
                    order.financial_status = (
                        FinancialStatus.REFUNDED
                        if amount == outstanding
                        else FinancialStatus.PARTIALLY_REFUNDED
                    )
            else:
                # Nothing was captured: the authorisation (or the pending payment) is released.
                order.financial_status = FinancialStatus.VOIDED
            if request.restock:
                self._move_stock(
                    ((line.variant_id, line.quantity) for line in lines),
                    order=order,
                    effect=effect,
                    reason=InventoryAdjustment.Reason.RESTOCK,
                )
            now = timezone.now()
            order.cancelled_at = now
            order.cancel_reason = str(request.reason)
            self._save_order(order, "cancelled_at", "cancel_reason", "financial_status", "refunded")
            result = CancelResult(status=EffectStatus.COMPLETED, refunded=refunded)
            record_outcome(effect, status=PlatformEffect.Status.COMPLETED, result=to_json(result))
            if request.notify_customer:
                self._notify_after_commit(order, f"Your order {order.name} has been cancelled.", refunded)
        return result

    def edit(self, request: EditRequest, *, idempotency_key: str) -> EditResult:
        with transaction.atomic():
            effect, created = claim_effect(
                store=self.store,
                operation=PlatformEffect.Operation.EDIT,
                idempotency_key=idempotency_key,
                request=request,
                order_platform_id=request.order_platform_id,
            )
            if not created:
                return from_json(EditResult, effect.result, replayed=True)
            order = self._order(request.order_platform_id, lock=True)
            if order.cancelled_at is not None:
                raise PermanentPlatformError(
                    "A cancelled order cannot be changed.", code=PlatformErrorCode.ORDER_CANCELLED
                )
            lines = {line.platform_id: line for line in order.line_items.select_for_update()}
            before_subtotal, before_total = order.subtotal, order.total
            url = ""
            for change in request.changes:
                self._apply_change(order, lines, change, effect)
            remaining = [line for line in lines.values() if line.pk is not None]
            if not remaining:
                raise PermanentPlatformError(
                    "This would remove every item; cancel the order instead.",
                    code=PlatformErrorCode.ORDER_WOULD_BE_EMPTY,
                )
            self._recompute_totals(order, remaining, before_subtotal)
            balance = order.total - before_total
            if order.financial_status in PAID_STATES and balance < 0:
                Refund.objects.create(
                    store=self.store,
                    order=order,
                    effect=effect,
                    amount=-balance,
                    currency=order.currency,
                    method=RefundMethod.ORIGINAL,
                    reason="order edited",
                )
                order.refunded += -balance
                order.financial_status = FinancialStatus.PARTIALLY_REFUNDED
            elif order.financial_status in PAID_STATES and balance > 0:
                # Paid for the old total: the difference is owed, by the link the customer is sent.
                order.financial_status = FinancialStatus.PARTIALLY_PAID
                payment = ask_for_payment(store=self.store, order=order, amount=balance, effect=effect)
                url = payment_url(self.store, payment)
            self._save_order(
                order,
                "shipping_address",
                "subtotal",
                "tax",
                "total",
                "refunded",
                "financial_status",
            )
            result = EditResult(
                status=EffectStatus.COMPLETED,
                total=order.total,
                balance=balance,
                outstanding=outstanding(store=self.store, order=order),
                payment_url=url,
            )
            record_outcome(effect, status=PlatformEffect.Status.COMPLETED, result=to_json(result))
            if request.notify_customer:
                self._notify_after_commit(
                    order, f"Your order {order.name} has been changed.", -min(balance, Decimal(0))
                )
        return result

    def create_reorder(self, request: ReorderRequest, *, idempotency_key: str) -> ReorderResult:
        with transaction.atomic():
            effect, created = claim_effect(
                store=self.store,
                operation=PlatformEffect.Operation.REORDER,
                idempotency_key=idempotency_key,
                request=request,
                order_platform_id=request.order_platform_id,
            )
            if not created:
                return from_json(ReorderResult, effect.result, replayed=True)
            source = self._order(request.order_platform_id)
            wanted = [(line.variant_platform_id, line.quantity) for line in request.lines] or [
                (line.variant_id, line.quantity) for line in source.line_items.all() if line.variant_id
            ]
            if not wanted or any(quantity <= 0 for _, quantity in wanted):
                raise PermanentPlatformError("Nothing to reorder.", code=PlatformErrorCode.REORDER_EMPTY)
            variants = {
                v.platform_id: v
                for v in Variant.objects.for_store(self.store)
                .select_related("product")
                .filter(platform_id__in=[variant_id for variant_id, _ in wanted])
            }
            missing = [variant_id for variant_id, _ in wanted if variant_id not in variants]
            if missing:
                raise PermanentPlatformError(
                    "Some items of this order are no longer sold.", code=PlatformErrorCode.VARIANT_NOT_FOUND
                )
            number = self._next_number()
            order = Order.objects.create(
                store=self.store,
                platform_id=order_platform_id(number),
                name=f"#{number}",
                number=number,
                placed_at=timezone.now(),
                currency=source.currency,
                email=source.email,
                customer_name=source.customer_name,
                customer_locale=source.customer_locale,
                shipping_address=source.shipping_address,
                billing_address=source.billing_address,
                financial_status=FinancialStatus.PENDING,
                tags=["reorder"],
                platform_updated_at=timezone.now(),
            )
            new_lines = [
                _line_for_variant(order, variants[variant_id], quantity, position)
                for position, (variant_id, quantity) in enumerate(wanted)
            ]
            LineItem.objects.bulk_create(new_lines)
            self._move_stock(
                ((variant_id, -quantity) for variant_id, quantity in wanted),
                order=order,
                effect=effect,
                reason=InventoryAdjustment.Reason.REORDER,
            )
            self._recompute_totals(order, new_lines, None)
            order.save(update_fields=["subtotal", "tax", "total"])
            result = ReorderResult(platform_id=order.platform_id, name=order.name)
            record_outcome(effect, status=PlatformEffect.Status.COMPLETED, result=to_json(result))
        return result

    # --- helpers ---

    def _order(self, platform_id: str, *, lock: bool = False) -> Order:
        orders = Order.objects.for_store(self.store)
        if lock:
            orders = orders.select_for_update()
        order = orders.filter(platform_id=platform_id).first()
        if order is None:
            raise PermanentPlatformError(
                "This order does not exist in the store.", code=PlatformErrorCode.ORDER_NOT_FOUND
            )
        return order

    def _save_order(self, order: Order, *fields: str) -> None:
        order.version += 1
        order.platform_updated_at = timezone.now()
        order.save(update_fields=[*fields, "version", "platform_updated_at", "updated_at"])

    def _next_number(self) -> int:
        # Serialise numbering within the store for the rest of this transaction.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [0x414D44, self.store.pk])
        highest = Order.objects.for_store(self.store).aggregate(n=Max("number"))["n"] or 1000
        return highest + 1

    def _apply_change(
        self, order: Order, lines: dict[str, LineItem], change: EditChange, effect: PlatformEffect
    ) -> None:
        if isinstance(change, ChangeAddress):
            if any(line.fulfilled_quantity for line in lines.values() if line.pk is not None):
                raise PermanentPlatformError(
                    "Items have already shipped to the old address.", code=PlatformErrorCode.ORDER_FULFILLED
                )
            order.shipping_address = change.address.as_mirror()
            return
        if isinstance(change, AddVariant):
            # A new line at the variant's price: the order's discounts do not reach it (as on Shopify).
            variant = self._variant(change.variant_platform_id)
            position = max((line.position for line in lines.values() if line.pk is not None), default=0)
            added = _line_for_variant(order, variant, change.quantity, position + 1)
            added.save()
            lines[added.platform_id] = added
            self._move_stock(
                [(variant.platform_id, -change.quantity)],
                order=order,
                effect=effect,
                reason=InventoryAdjustment.Reason.EDIT,
            )
            return
        line = lines.get(change.line_platform_id)
        if line is None or line.pk is None:
            raise PermanentPlatformError(
                "This item is not on the order.", code=PlatformErrorCode.LINE_NOT_FOUND
            )
        if isinstance(change, SetQuantity) and change.quantity > 0:
            if change.quantity < line.fulfilled_quantity:
                raise PermanentPlatformError(
                    "Fewer items than have already shipped cannot be kept.",
                    code=PlatformErrorCode.LINE_FULFILLED,
                )
            self._move_stock(
                [(line.variant_id, line.quantity - change.quantity)],
                order=order,
                effect=effect,
                reason=InventoryAdjustment.Reason.EDIT,
            )
            line.quantity = change.quantity
            line.save(update_fields=["quantity"])
            return
        if line.fulfilled_quantity:
            raise PermanentPlatformError(
                "This item has already shipped.", code=PlatformErrorCode.LINE_FULFILLED
            )
        if isinstance(change, SwapVariant):
            variant = self._variant(change.variant_platform_id)
            quantity = change.quantity or line.quantity
            new_line = _line_for_variant(order, variant, quantity, line.position)
            new_line.save()
            lines[new_line.platform_id] = new_line
            self._move_stock(
                [(variant.platform_id, -quantity)],
                order=order,
                effect=effect,
                reason=InventoryAdjustment.Reason.EDIT,
            )
        # SetQuantity to 0, RemoveLine, and the old line of a swap: the line goes, its stock comes back.
        assert isinstance(change, SetQuantity | RemoveLine | SwapVariant)
        self._move_stock(
            [(line.variant_id, line.quantity)],
            order=order,
            effect=effect,
            reason=InventoryAdjustment.Reason.EDIT,
        )
        line.delete()
        line.pk = None

    def _variant(self, platform_id: str) -> Variant:
        variant = (
            Variant.objects.for_store(self.store)
            .select_related("product")
            .filter(platform_id=platform_id)
            .first()
        )
        if variant is None:
            raise PermanentPlatformError("That option is not sold.", code=PlatformErrorCode.VARIANT_NOT_FOUND)
        return variant

    def _move_stock(
        self, moves: Iterable[tuple[str, int]], *, order: Order, effect: PlatformEffect, reason: str
    ) -> None:
        """Add (positive) or take (negative) stock of tracked variants; taking more than there is fails."""
        totals: dict[str, int] = {}
        for variant_id, delta in moves:
            if variant_id and delta:
                totals[variant_id] = totals.get(variant_id, 0) + delta
        if not totals:
            return
        variants = (
            Variant.objects.for_store(self.store)
            .select_for_update()
            .filter(platform_id__in=list(totals), inventory_quantity__isnull=False)
            .order_by("pk")  # a fixed lock order, so two edits never wait on each other in a cycle
        )
        adjustments = []
        for variant in variants:
            assert variant.inventory_quantity is not None  # filtered to tracked stock above
            delta = totals[variant.platform_id]
            if variant.inventory_quantity + delta < 0:
                raise PermanentPlatformError(
                    f"{variant} is out of stock.", code=PlatformErrorCode.OUT_OF_STOCK
                )
            variant.inventory_quantity += delta
            variant.save(update_fields=["inventory_quantity"])
            adjustments.append(
                InventoryAdjustment(
                    store=self.store, variant=variant, order=order, effect=effect, delta=delta, reason=reason
                )
            )
        InventoryAdjustment.objects.bulk_create(adjustments)

    @staticmethod
    def _recompute_totals(order: Order, lines: Iterable[LineItem], before_subtotal: Decimal | None) -> None:
        subtotal = sum(
            (line.unit_price * line.quantity - line.total_discount for line in lines), Decimal("0.00")
        )
        if before_subtotal:
            # Tax follows the goods: scale it with the subtotal (one tax rate per built-in order).
            order.tax = (order.tax * subtotal / before_subtotal).quantize(CENT)
        order.subtotal = subtotal
        order.total = subtotal + order.shipping + order.tax

    def _notify_after_commit(self, order: Order, headline: str, refunded: Decimal) -> None:
        if not order.email:
            return
        body = headline
        if refunded > 0:
            body += f"\n\n{refunded} {order.currency} will be refunded to you."
        message = customer_email(
            store=self.store, to=order.email, subject=f"{self.store.name}: {headline}", text=body
        )
        transaction.on_commit(partial(message.send, fail_silently=True))


def _line_for_variant(order: Order, variant: Variant, quantity: int, position: int) -> LineItem:
    return LineItem(
        store_id=order.store_id,
        order=order,
        platform_id=f"gid://amend/LineItem/{uuid.uuid4().hex[:16]}",
        product_id=variant.product.platform_id,
        variant_id=variant.platform_id,
        sku=variant.sku,
        title=variant.product.title,
        variant_title=variant.title,
        product_type=variant.product.product_type,
        product_tags=list(variant.product.tags),
        quantity=quantity,
        unit_price=variant.price,
        position=position,
    )
