"""The interface every commerce platform adapter implements, and the values that cross it.

Callers (request execution, order sync) get an adapter with `get_adapter(store)` and call
`fetch_order`, `cancel`, `edit` and `create_reorder`, always with an idempotency key: the same key
never causes the effect twice, however often the call is repeated (a retried task, a worker killed
mid-call). A repeated call returns the first outcome with `replayed=True`; a key reused for a
different request is refused (`PermanentPlatformError`, code `idempotency_key_reused`).

Errors: `TransientPlatformError` (retry later, with backoff; `retry_after` when the platform said)
and `PermanentPlatformError` (retrying will not help: show the message, mark the request failed).
Both carry a stable `code` and a human `message`.

Shopify cancels asynchronously: `cancel` may return `EffectStatus.PENDING` with a `job_id`; call
`poll_job(job_id, idempotency_key=...)` until it reports `COMPLETED`. Bulk work needs `rate_budget()`
(the bucket calls spend) and, where `status_batch_size` is not 0, `cancel_statuses(order_ids)` (whether
many orders are cancelled yet, one call per batch). `grant_store_credit` credits a customer (credit.py).
"""

from __future__ import annotations

import hashlib
import json
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar, Self

from django.conf import settings

from cancellations.models import RefundMethod
from cancellations.platforms.errors import PlatformErrorCode
from cancellations.platforms.serialization import to_json
from tenants.errors import DomainError, ErrorCode
from tenants.models import Store

if TYPE_CHECKING:
    from cancellations.platforms.credit import StoreCreditGrant, StoreCreditGranted
STAFF_NOTE_MAX = 255


class PlatformError(DomainError):
    """Something the commerce platform (or the built-in store) could not do."""

    code = PlatformErrorCode.PLATFORM_ERROR


class TransientPlatformError(PlatformError):
    """The platform could not answer now (down, throttled, busy): the same call may succeed later."""

    code = PlatformErrorCode.PLATFORM_UNAVAILABLE

    def __init__(
        self, message: str, *, code: ErrorCode | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message, code=code)
        self.retry_after = retry_after


class PermanentPlatformError(PlatformError):
    """The platform refused the call for a reason that retrying will not change."""

    code = PlatformErrorCode.PLATFORM_REFUSED


class CancelReason(StrEnum):
    CUSTOMER = "customer"
    DECLINED = "declined"
    FRAUD = "fraud"
    INVENTORY = "inventory"
    STAFF = "staff"
    OTHER = "other"


class EffectStatus(StrEnum):
    COMPLETED = "completed"
    PENDING = "pending"


@dataclass(frozen=True)
class Address:
    first_name: str = ""
    last_name: str = ""
    company: str = ""
    address1: str = ""
    address2: str = ""
    city: str = ""
    province_code: str = ""
    zip: str = ""
    country_code: str = ""
    phone: str = ""

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def as_mirror(self) -> dict[str, str]:
        """The address as `Order.shipping_address` keeps it."""
        return {"name": self.name, **{k: v for k, v in asdict(self).items() if v}}

    @classmethod
    def from_mirror(cls, data: dict[str, Any]) -> Self:
        known = {f.name for f in fields(cls)}
        return cls(**{k: str(v) for k, v in data.items() if k in known and v is not None})


# --- requests and results --------------------------------------------------------------------------


@dataclass(frozen=True)
class CancelRequest:
    order_platform_id: str
    reason: CancelReason = CancelReason.CUSTOMER
    refund: RefundMethod = RefundMethod.ORIGINAL
    restock: bool = True
    notify_customer: bool = True
    staff_note: str = ""
    # A restocking fee kept from the refund (Shopify: the cancel refunds nothing, a refund follows).
    fee: Decimal = Decimal("0.00")

    def __post_init__(self) -> None:
        if self.fee < 0:
            raise PermanentPlatformError("A fee cannot be negative.", code=PlatformErrorCode.FEE_INVALID)
        if len(self.staff_note) > STAFF_NOTE_MAX:
            raise PermanentPlatformError(
                f"A staff note may be at most {STAFF_NOTE_MAX} characters.",
                code=PlatformErrorCode.STAFF_NOTE_TOO_LONG,
            )


@dataclass(frozen=True)
class CancelResult:
    status: EffectStatus
    job_id: str = ""
    refunded: Decimal = Decimal("0.00")
    # The restocking fee kept from the refund, where the platform refunded less a fee.
    fee: Decimal = Decimal("0.00")
    replayed: bool = False
    # The order as the platform described it after cancelling, for the caller to write to the mirror
    # (adapters do not write the mirror of a remote platform). Not stored with the result.
    order: OrderSnapshot | None = field(default=None, compare=False, metadata={"stored": False})


@dataclass(frozen=True)
class ChangeAddress:
    address: Address
    kind: ClassVar[str] = "address"


@dataclass(frozen=True)
class SetQuantity:
    line_platform_id: str
    quantity: int
    kind: ClassVar[str] = "quantity"


@dataclass(frozen=True)
class SwapVariant:
    """Replace a line's variant; the new line keeps the old quantity unless one is given."""

    line_platform_id: str
    variant_platform_id: str
    quantity: int | None = None
    kind: ClassVar[str] = "swap"


@dataclass(frozen=True)
class RemoveLine:
    line_platform_id: str
    kind: ClassVar[str] = "remove"


@dataclass(frozen=True)
class AddVariant:
    """A new line on the order (at the variant's own price: the order's discounts do not reach it)."""

    variant_platform_id: str
    quantity: int
    kind: ClassVar[str] = "add"


LineChange = SetQuantity | SwapVariant | RemoveLine  # the changes made to one line
EditChange = ChangeAddress | LineChange | AddVariant


@dataclass(frozen=True)
class EditRequest:
    order_platform_id: str
    changes: tuple[EditChange, ...]
    notify_customer: bool = True
    staff_note: str = ""
    # Ask the platform to send its own invoice for what the edit leaves owed (Shopify's edit email).
    send_invoice: bool = False

    def __post_init__(self) -> None:
        if not self.changes:
            raise PermanentPlatformError(
                "An edit needs at least one change.", code=PlatformErrorCode.EDIT_EMPTY
            )
        if len(self.staff_note) > STAFF_NOTE_MAX:
            raise PermanentPlatformError(
                f"A staff note may be at most {STAFF_NOTE_MAX} characters.",
                code=PlatformErrorCode.STAFF_NOTE_TOO_LONG,
            )
        for change in self.changes:
            if isinstance(change, AddVariant) and change.quantity < 1:
                raise PermanentPlatformError(
                    "Add at least one of an item.", code=PlatformErrorCode.QUANTITY_INVALID
                )
            if isinstance(change, SetQuantity | SwapVariant) and (change.quantity or 0) < 0:
                raise PermanentPlatformError(
                    "A quantity cannot be negative.", code=PlatformErrorCode.QUANTITY_INVALID
                )


@dataclass(frozen=True)
class EditResult:
    status: EffectStatus
    total: Decimal | None = None
    # What the edit changed the amount owed by: positive, the customer owes more; negative, refunded.
    balance: Decimal = Decimal("0.00")
    # What the customer has left to pay on the order after the edit, and where they pay it.
    outstanding: Decimal = Decimal("0.00")
    payment_url: str = ""
    replayed: bool = False


@dataclass(frozen=True)
class ReorderLine:
    variant_platform_id: str
    quantity: int


@dataclass(frozen=True)
class ReorderRequest:
    """A new order (Shopify: a draft with an invoice link) from an old one; no lines means the same lines."""

    order_platform_id: str
    lines: tuple[ReorderLine, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class ReorderResult:
    platform_id: str
    url: str = ""
    name: str = ""  # what the customer sees, e.g. "#D12" for a Shopify draft order
    replayed: bool = False


# --- what platforms tell us about orders and products ----------------------------------------------


@dataclass(frozen=True)
class LineSnapshot:
    platform_id: str
    title: str
    quantity: int
    unit_price: Decimal
    fulfilled_quantity: int = 0
    total_discount: Decimal = Decimal("0.00")
    variant_title: str = ""
    sku: str = ""
    product_id: str = ""
    variant_id: str = ""
    product_type: str = ""
    product_tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class OrderSnapshot:
    """An order as the platform last described it, in the mirror's terms."""

    platform_id: str
    name: str
    placed_at: datetime
    currency: str
    updated_at: datetime | None = None
    number: int | None = None
    email: str = ""
    customer_name: str = ""
    customer_locale: str = ""
    customer_id: str = ""
    subtotal: Decimal = Decimal("0.00")
    shipping: Decimal = Decimal("0.00")
    tax: Decimal = Decimal("0.00")
    discount: Decimal = Decimal("0.00")
    total: Decimal = Decimal("0.00")
    refunded: Decimal = Decimal("0.00")
    financial_status: str = "pending"
    fulfillment_status: str = "unfulfilled"
    cancelled_at: datetime | None = None
    cancel_reason: str = ""
    # None: this source says nothing about risk (REST webhooks), so the mirror keeps what it has.
    risk_level: str | None = None
    risk_recommendation: str | None = None
    tags: tuple[str, ...] = ()
    discount_codes: tuple[str, ...] = ()
    payment_gateways: tuple[str, ...] = ()
    shipping_address: dict[str, Any] = field(default_factory=dict)
    billing_address: dict[str, Any] = field(default_factory=dict)
    lines: tuple[LineSnapshot, ...] = ()


@dataclass(frozen=True)
class VariantSnapshot:
    platform_id: str
    title: str
    price: Decimal
    sku: str = ""
    inventory_quantity: int | None = None
    available: bool = True
    position: int = 0
    image_url: str | None = None  # its own image; as ProductSnapshot.image_url


@dataclass(frozen=True)
class ProductSnapshot:
    platform_id: str
    title: str
    updated_at: datetime | None = None
    handle: str = ""
    product_type: str = ""
    tags: tuple[str, ...] = ()
    active: bool = True
    variants: tuple[VariantSnapshot, ...] = ()
    # The main image's https URL, "" for none; None when the source does not say (it is then kept).
    image_url: str | None = None


@dataclass(frozen=True)
class BucketReport:
    """What the platform last said about its bucket of points, and when (`at`, by the budget's clock)."""

    capacity: float
    rate: float
    available: float
    at: float


@dataclass(frozen=True)
class RateBudget:
    """How fast a platform takes calls: a leaky bucket of `capacity` points refilled at `rate` a second.

    `cancel_cost` is what one cancel spends; `report` reads the platform's latest report (by `clock`).
    """

    capacity: float
    rate: float
    cancel_cost: float
    report: Callable[[], BucketReport | None] | None = None
    clock: Callable[[], float] = time.monotonic


@dataclass(frozen=True)
class CancelStatus:
    """Whether the platform shows an order cancelled, read cheaply for many orders at once."""

    platform_id: str
    cancelled_at: datetime | None
    cancel_reason: str
    financial_status: str | None
    updated_at: datetime | None


@dataclass(frozen=True)
class OrderExport:
    """Where a platform's background export of a store's orders is (Shopify: a bulk operation)."""

    operation_id: str
    # "running", "completed" or "failed" (the platform's other states map onto these).
    state: str
    objects: int = 0
    orders: int = 0
    url: str = ""
    error: str = ""


# --- the adapter -----------------------------------------------------------------------------------


class PlatformAdapter(ABC):
    """One store's commerce platform. Every call takes an idempotency key (see the module docstring)."""

    platform: ClassVar[str]

    def __init__(self, store: Store) -> None:
        self.store = store

    @abstractmethod
    def fetch_order(self, order_platform_id: str, *, idempotency_key: str) -> OrderSnapshot:
        """The order as the platform has it now (a read: the key only labels the call)."""

    @abstractmethod
    def cancel(self, request: CancelRequest, *, idempotency_key: str) -> CancelResult:
        """Cancel the order, refunding and restocking as asked."""

    @abstractmethod
    def edit(self, request: EditRequest, *, idempotency_key: str) -> EditResult:
        """Change the order's address, quantities or variants, or remove lines."""

    @abstractmethod
    def create_reorder(self, request: ReorderRequest, *, idempotency_key: str) -> ReorderResult:
        """Start a new order from an old one."""

    @abstractmethod
    def poll_job(self, job_id: str, *, idempotency_key: str) -> CancelResult:
        """The state of an asynchronous effect started under this key (Shopify's cancel job)."""

    def search_products(self, *, tag: str, first: int) -> list[ProductSnapshot] | None:
        """Active products with this tag, from the platform; None: the catalogue mirror is complete."""
        return None

    def add_tags(self, order_platform_id: str, tags: Sequence[str], *, idempotency_key: str) -> None:
        """Add tags to the order on the platform (adding one it has already changes nothing)."""
        raise PermanentPlatformError(
            f"{type(self).__name__} cannot tag orders.", code=PlatformErrorCode.TAGS_NOT_SUPPORTED
        )

    def grant_store_credit(self, grant: StoreCreditGrant, *, idempotency_key: str) -> StoreCreditGranted:
        """Add store credit to the customer's balance (the bonus for taking store credit)."""
        raise PermanentPlatformError("No store credit.", code=PlatformErrorCode.STORE_CREDIT_NOT_SUPPORTED)

    # --- what bulk work needs ---

    # How many orders one `cancel_statuses` call answers for; 0: the platform has no such read, and
    # each background cancel is confirmed with `poll_job`.
    status_batch_size: ClassVar[int] = 0

    def rate_budget(self) -> RateBudget:
        """The bucket bulk work drains under. By default `BULK_CANCEL_BUILTIN_RATE` calls a second."""
        rate = float(settings.BULK_CANCEL_BUILTIN_RATE)
        return RateBudget(capacity=max(rate, 1.0), rate=rate, cancel_cost=1.0)

    def cancel_statuses(self, order_ids: Sequence[str]) -> dict[str, CancelStatus | None]:
        """Each order's cancellation state (None: the platform does not know the order)."""
        raise NotImplementedError(f"{type(self).__name__} has no batch status read")

    def status_query_cost(self, count: int) -> float:
        """What one `cancel_statuses` call for `count` orders spends of the bucket."""
        return float(count)

    def refunds_after_cancel(self, request: CancelRequest) -> bool:
        """Whether the refund of this cancel is a step of its own after the cancel (Shopify, keeping a
        fee): then an order found cancelled does not yet mean the request is carried out."""
        return False

    # --- importing a store's order history in one export ---

    # Whether the platform can export a store's orders in the background (else the mirror is filled
    # page by page, or, for the built-in store, is the store itself).
    exports_orders: ClassVar[bool] = False

    def start_orders_export(self, *, created_since: datetime | None) -> str:
        """Start exporting the orders created since a moment (None: all); the export's id."""
        raise PermanentPlatformError(
            f"{type(self).__name__} cannot export orders.", code=PlatformErrorCode.EXPORT_NOT_SUPPORTED
        )

    def orders_export(self, operation_id: str) -> OrderExport:
        """Where the export is."""
        raise PermanentPlatformError(
            f"{type(self).__name__} cannot export orders.", code=PlatformErrorCode.EXPORT_NOT_SUPPORTED
        )

    def read_orders_export(self, url: str, *, skip: int = 0) -> Iterator[OrderSnapshot]:
        """Every order of a finished export, past the first `skip` (the file's order is fixed)."""
        raise PermanentPlatformError(
            f"{type(self).__name__} cannot export orders.", code=PlatformErrorCode.EXPORT_NOT_SUPPORTED
        )


# --- (de)serialising results for the effect ledger -------------------------------------------------


def request_fingerprint(operation: str, request: Any) -> str:
    """A digest of what a request asks for: the same key must always mean the same request."""
    payload = {"operation": operation, "request": to_json(request)}
    if isinstance(request, EditRequest):
        payload["request"]["changes"] = [to_json(change) for change in request.changes]
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def from_json(cls: type[Any], data: dict[str, Any], **overrides: Any) -> Any:
    """Rebuild a result dataclass stored by `to_json`."""
    kwargs: dict[str, Any] = {}
    for f in fields(cls):
        if f.name not in data:
            continue
        value = data[f.name]
        if value is not None and f.type in ("Decimal", "Decimal | None"):
            value = Decimal(value)
        elif f.type == "EffectStatus":
            value = EffectStatus(value)
        kwargs[f.name] = value
    kwargs.update(overrides)
    return cls(**kwargs)
