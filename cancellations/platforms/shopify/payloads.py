"""Shopify's descriptions of orders and products (REST webhook bodies, GraphQL answers) as snapshots."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, overload
from urllib.parse import urlsplit

from django.utils.dateparse import parse_datetime

from cancellations.platforms.base import (
    Address,
    LineSnapshot,
    OrderSnapshot,
    ProductSnapshot,
    VariantSnapshot,
)
from cancellations.platforms.errors import PlatformErrorCode
from tenants.errors import DomainError

ZERO = Decimal("0.00")
FINANCIAL_STATUSES = {
    "pending",
    "authorized",
    "partially_paid",
    "paid",
    "partially_refunded",
    "refunded",
    "voided",
}
FULFILLMENT_STATUSES = {"partial": "partial", "fulfilled": "fulfilled", "restocked": "restocked"}
GRAPHQL_FULFILLMENT = {"FULFILLED": "fulfilled", "PARTIALLY_FULFILLED": "partial", "RESTOCKED": "restocked"}
RISK_ORDER = {"LOW": 1, "MEDIUM": 2, "HIGH": 3}
ADDRESS_KEYS = (
    "first_name",
    "last_name",
    "name",
    "company",
    "address1",
    "address2",
    "city",
    "province",
    "province_code",
    "zip",
    "country",
    "country_code",
    "phone",
)
# Fulfilments in these states count as shipped (not cancelled, failed or in error).
SHIPPED_FULFILLMENTS = {"success", "open", "pending"}


class UnprocessablePayload(DomainError):
    """A platform payload that lacks what we need or holds values of the wrong kind."""

    code = PlatformErrorCode.PAYLOAD_UNPROCESSABLE


def gid(kind: str, value: Any) -> str:
    """Shopify's global id for a REST id (`gid://shopify/Order/123`); already-global ids pass through."""
    text = str(value)
    return text if text.startswith("gid://") else f"gid://shopify/{kind}/{text}"


def _money(value: Any, what: str) -> Decimal:
    if value in (None, ""):
        return ZERO
    try:
        return Decimal(str(value)).quantize(Decimal("0.01"))
    except InvalidOperation:
        raise UnprocessablePayload(f"{what} is not an amount: {value!r}.") from None


@overload
def _when(value: Any, what: str, *, required: Literal[True]) -> datetime: ...
@overload
def _when(value: Any, what: str, *, required: bool = False) -> datetime | None: ...
def _when(value: Any, what: str, *, required: bool = False) -> datetime | None:
    if value in (None, ""):
        if required:
            raise UnprocessablePayload(f"The payload has no {what}.")
        return None
    parsed = parse_datetime(str(value)) if isinstance(value, str) else None
    if parsed is None or parsed.tzinfo is None:
        raise UnprocessablePayload(f"{what} is not a date and time with a zone: {value!r}.")
    return parsed


def _int(value: Any, what: str) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        raise UnprocessablePayload(f"{what} is not a whole number: {value!r}.") from None


def _tags(value: Any) -> tuple[str, ...]:
    items = value if isinstance(value, list) else str(value or "").split(",")
    return tuple(tag.strip()[:100] for tag in items if str(tag).strip())


def _image_url(payload: dict[str, Any]) -> str:
    """The product's main image: `image.src`, else the first of `images`; only an https URL, else "".

    The REST Product resource carries `image` (the first image) and `images`, each with a `src`
    (https://shopify.dev/docs/api/admin-rest/latest/resources/product). Anything but an https URL
    (http://, javascript:, data:) is dropped so the page never loads it.
    """
    image = payload.get("image")
    images = payload.get("images")
    if not isinstance(image, dict) and isinstance(images, list) and images:
        image = images[0]
    return _https(image)


def _https(image: Any) -> str:
    src = str(image.get("src") or "").strip() if isinstance(image, dict) else ""
    parts = urlsplit(src)
    if parts.scheme != "https" or not parts.hostname or len(src) > 2048:
        return ""
    return src


def _address(data: Any) -> dict[str, str]:
    if not isinstance(data, dict):
        return {}
    return {key: str(data[key]) for key in ADDRESS_KEYS if data.get(key) not in (None, "")}


def _shop_money(data: Any) -> Any:
    return ((data or {}).get("shopMoney") or {}).get("amount")


# --- REST (webhook bodies, which carry the REST order) ---------------------------------------------


def order_from_rest(payload: Any) -> OrderSnapshot:
    """An orders/* webhook body (the bare REST order) as a snapshot."""
    if not isinstance(payload, dict) or payload.get("id") in (None, ""):
        raise UnprocessablePayload("The order has no id.")
    currency = payload.get("currency")
    if not currency:
        raise UnprocessablePayload("The order has no currency.")
    shipped: dict[str, int] = defaultdict(int)
    for fulfillment in payload.get("fulfillments") or []:
        if (fulfillment.get("status") or "") in SHIPPED_FULFILLMENTS:
            for item in fulfillment.get("line_items") or []:
                shipped[str(item.get("id"))] += _int(item.get("quantity"), "A fulfilled quantity")
    lines = []
    for item in payload.get("line_items") or []:
        if item.get("id") in (None, ""):
            raise UnprocessablePayload("A line item has no id.")
        quantity = _int(item.get("current_quantity", item.get("quantity")), "A line quantity")
        if quantity <= 0:
            continue  # removed by an edit or fully refunded: no longer part of the order
        lines.append(
            LineSnapshot(
                platform_id=gid("LineItem", item["id"]),
                title=str(item.get("title") or item.get("name") or "")[:255],
                quantity=quantity,
                unit_price=_money(item.get("price"), "A line price"),
                fulfilled_quantity=min(shipped.get(str(item["id"]), 0), quantity),
                total_discount=_money(item.get("total_discount"), "A line discount"),
                variant_title=str(item.get("variant_title") or "")[:255],
                sku=str(item.get("sku") or "")[:100],
                product_id=gid("Product", item["product_id"]) if item.get("product_id") else "",
                variant_id=gid("ProductVariant", item["variant_id"]) if item.get("variant_id") else "",
            )
        )
    refunded = sum(
        (
            _money(transaction.get("amount"), "A refund amount")
            for refund in payload.get("refunds") or []
            for transaction in refund.get("transactions") or []
            if transaction.get("kind") == "refund" and transaction.get("status") == "success"
        ),
        ZERO,
    )
    shipping_set = ((payload.get("total_shipping_price_set") or {}).get("shop_money") or {}).get("amount")
    shipping = (
        _money(shipping_set, "The shipping price")
        if shipping_set is not None
        else sum(
            (_money(s.get("price"), "A shipping price") for s in payload.get("shipping_lines") or []), ZERO
        )
    )
    customer = payload.get("customer") or {}
    shipping_address = _address(payload.get("shipping_address"))
    customer_name = (
        shipping_address.get("name")
        or f"{customer.get('first_name') or ''} {customer.get('last_name') or ''}".strip()
        or _address(payload.get("billing_address")).get("name", "")
    )
    financial = str(payload.get("financial_status") or "pending")
    fulfillment = str(payload.get("fulfillment_status") or "")
    return OrderSnapshot(
        platform_id=gid("Order", payload.get("admin_graphql_api_id") or payload["id"]),
        name=str(payload.get("name") or f"#{payload.get('order_number', payload['id'])}")[:64],
        number=_int(payload.get("order_number"), "The order number") or None,
        placed_at=_when(
            payload.get("processed_at") or payload.get("created_at"), "order date", required=True
        ),
        updated_at=_when(payload.get("updated_at"), "update time"),
        currency=str(currency)[:3],
        email=str(
            payload.get("email") or payload.get("contact_email") or customer.get("email") or ""
        ).lower(),
        customer_name=customer_name[:200],
        customer_locale=str(payload.get("customer_locale") or "")[:16],
        customer_id=gid("Customer", customer["id"]) if customer.get("id") else "",
        subtotal=_money(payload.get("current_subtotal_price", payload.get("subtotal_price")), "The subtotal"),
        shipping=shipping,
        tax=_money(payload.get("current_total_tax", payload.get("total_tax")), "The tax"),
        discount=_money(
            payload.get("current_total_discounts", payload.get("total_discounts")), "The discount"
        ),
        total=_money(payload.get("current_total_price", payload.get("total_price")), "The total"),
        refunded=refunded,
        financial_status=financial
        if financial in FINANCIAL_STATUSES
        else "voided"
        if financial == "expired"
        else "pending",
        fulfillment_status=FULFILLMENT_STATUSES.get(fulfillment, "unfulfilled"),
        cancelled_at=_when(payload.get("cancelled_at"), "cancellation time"),
        cancel_reason=str(payload.get("cancel_reason") or "")[:40],
        tags=_tags(payload.get("tags")),
        discount_codes=tuple(
            str(d.get("code"))[:100] for d in payload.get("discount_codes") or [] if d.get("code")
        ),
        payment_gateways=tuple(str(g)[:100] for g in payload.get("payment_gateway_names") or []),
        shipping_address=shipping_address,
        billing_address=_address(payload.get("billing_address")),
        lines=tuple(lines),
    )


def product_from_rest(payload: Any) -> ProductSnapshot:
    """A products/create or products/update webhook body as a snapshot."""
    if not isinstance(payload, dict) or payload.get("id") in (None, ""):
        raise UnprocessablePayload("The product has no id.")
    # A variant's `image_id` names one of the product's `images` (same page as above).
    images = {
        str(image.get("id")): _https(image)
        for image in payload.get("images") or []
        if isinstance(image, dict) and image.get("id") is not None
    }
    variants = []
    for position, variant in enumerate(payload.get("variants") or []):
        if variant.get("id") in (None, ""):
            raise UnprocessablePayload("A variant has no id.")
        tracked = bool(variant.get("inventory_management"))
        variants.append(
            VariantSnapshot(
                platform_id=gid("ProductVariant", variant.get("admin_graphql_api_id") or variant["id"]),
                title=str(variant.get("title") or "")[:255],
                price=_money(variant.get("price"), "A variant price"),
                sku=str(variant.get("sku") or "")[:100],
                inventory_quantity=_int(variant.get("inventory_quantity"), "A stock level")
                if tracked
                else None,
                available=variant.get("inventory_policy") == "continue"
                or not tracked
                or _int(variant.get("inventory_quantity"), "A stock level") > 0,
                position=_int(variant.get("position") or position + 1, "A variant position"),
                image_url=images.get(str(variant.get("image_id")), ""),
            )
        )
    return ProductSnapshot(
        platform_id=gid("Product", payload.get("admin_graphql_api_id") or payload["id"]),
        title=str(payload.get("title") or "")[:255],
        updated_at=_when(payload.get("updated_at"), "update time"),
        handle=str(payload.get("handle") or "")[:255],
        product_type=str(payload.get("product_type") or "")[:255],
        tags=_tags(payload.get("tags")),
        active=(payload.get("status") or "active") == "active",
        variants=tuple(variants),
        image_url=_image_url(payload),
    )


def product_from_graphql(node: Any) -> ProductSnapshot:
    """A product of the AmendAddableProducts search as a snapshot."""
    if not isinstance(node, dict) or not node.get("id"):
        raise UnprocessablePayload("The product has no id.")
    variants = tuple(
        VariantSnapshot(
            platform_id=str(variant["id"]),
            title=str(variant.get("title") or "")[:255],
            price=_money(variant.get("price"), "A variant price"),
            sku=str(variant.get("sku") or "")[:100],
            inventory_quantity=variant.get("inventoryQuantity"),
            available=bool(variant.get("availableForSale")),
            position=_int(variant.get("position") or 0, "A variant position"),
        )
        for variant in ((node.get("variants") or {}).get("nodes") or [])
        if variant.get("id")
    )
    return ProductSnapshot(
        platform_id=str(node["id"]),
        title=str(node.get("title") or "")[:255],
        updated_at=_when(node.get("updatedAt"), "update time"),
        handle=str(node.get("handle") or "")[:255],
        product_type=str(node.get("productType") or "")[:255],
        tags=_tags(node.get("tags")),
        active=node.get("status") == "ACTIVE",
        variants=variants,
    )


# --- GraphQL (fetch_order) -------------------------------------------------------------------------


def _address_from_graphql(data: Any) -> dict[str, str]:
    if not isinstance(data, dict):
        return {}
    address = Address(
        first_name=data.get("firstName") or "",
        last_name=data.get("lastName") or "",
        company=data.get("company") or "",
        address1=data.get("address1") or "",
        address2=data.get("address2") or "",
        city=data.get("city") or "",
        province_code=data.get("provinceCode") or "",
        zip=data.get("zip") or "",
        country_code=data.get("countryCodeV2") or "",
        phone=data.get("phone") or "",
    )
    return address.as_mirror()


def address_to_graphql(address: Address) -> dict[str, str]:
    """An address as Shopify's MailingAddressInput."""
    fields = {
        "firstName": address.first_name,
        "lastName": address.last_name,
        "company": address.company,
        "address1": address.address1,
        "address2": address.address2,
        "city": address.city,
        "provinceCode": address.province_code,
        "zip": address.zip,
        "countryCode": address.country_code,
        "phone": address.phone,
    }
    return {key: value for key, value in fields.items() if value}


def order_from_graphql(node: Any) -> OrderSnapshot:
    """The AmendOrder fragment of an Admin GraphQL answer as a snapshot."""
    if not isinstance(node, dict) or not node.get("id"):
        raise UnprocessablePayload("Shopify returned no order.")
    lines = []
    for item in (node.get("lineItems") or {}).get("nodes") or []:
        quantity = _int(item.get("currentQuantity", item.get("quantity")), "A line quantity")
        if quantity <= 0:
            continue
        unfulfilled = _int(item.get("unfulfilledQuantity"), "An unfulfilled quantity")
        product = item.get("product") or {}
        lines.append(
            LineSnapshot(
                platform_id=item["id"],
                title=str(item.get("title") or "")[:255],
                quantity=quantity,
                unit_price=_money(_shop_money(item.get("originalUnitPriceSet")), "A line price"),
                fulfilled_quantity=max(min(quantity - unfulfilled, quantity), 0),
                total_discount=_money(_shop_money(item.get("totalDiscountSet")), "A line discount"),
                variant_title=str(item.get("variantTitle") or "")[:255],
                sku=str(item.get("sku") or "")[:100],
                product_id=product.get("id") or "",
                variant_id=(item.get("variant") or {}).get("id") or "",
                product_type=str(product.get("productType") or "")[:255],
                product_tags=_tags(product.get("tags")),
            )
        )
    risk = node.get("risk") or {}
    levels = [a.get("riskLevel") for a in risk.get("assessments") or [] if a.get("riskLevel") in RISK_ORDER]
    recommendation = str(risk.get("recommendation") or "NONE")
    financial = str(node.get("displayFinancialStatus") or "PENDING").lower()
    shipping_address = _address_from_graphql(node.get("shippingAddress"))
    return OrderSnapshot(
        platform_id=node["id"],
        name=str(node.get("name") or "")[:64],
        number=_int(node.get("number"), "The order number") or None,
        placed_at=_when(node.get("processedAt") or node.get("createdAt"), "order date", required=True),
        updated_at=_when(node.get("updatedAt"), "update time"),
        currency=str(node.get("currencyCode") or "")[:3],
        email=str(node.get("email") or "").lower(),
        customer_name=shipping_address.get("name", "")[:200],
        customer_locale=str(node.get("customerLocale") or "")[:16],
        customer_id=str((node.get("customer") or {}).get("id") or "")[:64],
        subtotal=_money(_shop_money(node.get("currentSubtotalPriceSet")), "The subtotal"),
        shipping=_money(_shop_money(node.get("currentShippingPriceSet")), "The shipping price"),
        tax=_money(_shop_money(node.get("currentTotalTaxSet")), "The tax"),
        discount=_money(_shop_money(node.get("currentTotalDiscountsSet")), "The discount"),
        total=_money(_shop_money(node.get("currentTotalPriceSet")), "The total"),
        refunded=_money(_shop_money(node.get("totalRefundedSet")), "The refunded amount"),
        financial_status=financial
        if financial in FINANCIAL_STATUSES
        else "voided"
        if financial == "expired"
        else "pending",
        fulfillment_status=GRAPHQL_FULFILLMENT.get(str(node.get("displayFulfillmentStatus")), "unfulfilled"),
        cancelled_at=_when(node.get("cancelledAt"), "cancellation time"),
        cancel_reason=str(node.get("cancelReason") or "").lower()[:40],
        risk_level=max(levels, key=RISK_ORDER.__getitem__).lower() if levels else "",
        risk_recommendation="" if recommendation == "NONE" else recommendation.lower(),
        tags=_tags(node.get("tags")),
        discount_codes=tuple(str(code)[:100] for code in node.get("discountCodes") or []),
        payment_gateways=tuple(str(g)[:100] for g in node.get("paymentGatewayNames") or []),
        shipping_address=shipping_address,
        billing_address=_address_from_graphql(node.get("billingAddress")),
        lines=tuple(lines),
    )
