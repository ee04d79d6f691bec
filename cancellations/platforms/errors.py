"""The codes of what a commerce platform (Shopify, or the built-in store) could not do.

Most are never an HTTP answer of the API: they are why a request failed or is being retried, kept
on the request (`last_error_code`), in its timeline and in the bulk results. The error classes are in
base.py (`PlatformError`, `TransientPlatformError`, `PermanentPlatformError`).
"""

from __future__ import annotations

from typing import Any, Self

from tenants.errors import ErrorCode

__all__ = ["PlatformErrorCode", "ShopifyErrorCode"]


class PlatformErrorCode(ErrorCode):
    """Calls to the platform, their refusals, the effect ledger and the Shopify install."""

    # What any call may meet.
    PLATFORM_ERROR = "platform_error", "The platform could not do what was asked.", None
    PLATFORM_UNAVAILABLE = (
        "platform_unavailable",
        "The platform had a problem of its own (5xx); retried later.",
        None,
    )
    PLATFORM_UNREACHABLE = "platform_unreachable", "The platform could not be reached; retried later.", None
    PLATFORM_TIMEOUT = "platform_timeout", "The platform did not answer in time; retried later.", None
    PLATFORM_THROTTLED = (
        "platform_throttled",
        "The platform's rate limit for the shop is used up; retried later.",
        None,
    )
    PLATFORM_BAD_RESPONSE = "platform_bad_response", "The platform sent an answer Amend cannot read.", None
    PLATFORM_REFUSED = "platform_refused", "The platform refused the call; retrying will not help.", None
    PLATFORM_UNAUTHORIZED = (
        "platform_unauthorized",
        "Shopify refused the store's access token; the store must be connected again.",
        None,
    )
    PLATFORM_FORBIDDEN = "platform_forbidden", "The Amend app lacks a Shopify permission this needs.", None
    PLATFORM_QUERY_REJECTED = "platform_query_rejected", "Shopify rejected the request as written.", None
    PLATFORM_RECONNECT_NEEDED = (
        "platform_reconnect_needed",
        "Shopify refused to renew the store's access token; the store must be connected again.",
        None,
    )
    TOKEN_EXCHANGE_REFUSED = (
        "token_exchange_refused",
        "Shopify would not exchange the store's non-expiring token for an expiring one.",
        None,
    )
    PLATFORM_QUERY_TOO_COSTLY = (
        "platform_query_too_costly",
        "The query costs more points than Shopify allows one query, or than the shop's whole bucket; "
        "it can never run as written.",
        None,
    )
    PLATFORM_NOT_CONNECTED = "platform_not_connected", "The store is not connected to Shopify.", None
    SHOP_FROZEN = "shop_frozen", "The shop's Shopify account is frozen (unpaid).", None
    SHOP_NOT_FOUND = "shop_not_found", "Shopify does not know the shop.", None
    SHOP_LOCKED = "shop_locked", "Shopify has locked the shop.", None
    PAYLOAD_UNPROCESSABLE = (
        "payload_unprocessable",
        "A platform payload lacks what Amend needs or holds values of the wrong kind.",
        None,
    )
    WEBHOOK_REFUSED = "webhook_refused", "Shopify refused to subscribe the shop to a webhook topic.", None

    # The effect ledger: each effect once per idempotency key.
    IDEMPOTENCY_KEY_MISSING = (
        "idempotency_key_missing",
        "A platform call was made without an idempotency key.",
        None,
    )
    IDEMPOTENCY_KEY_REUSED = (
        "idempotency_key_reused",
        "The idempotency key was already used for another request (another order or kind).",
        409,
    )
    EFFECT_IN_PROGRESS = (
        "effect_in_progress",
        "Another worker is carrying out this change; retried later.",
        None,
    )
    JOB_NOT_FOUND = "job_not_found", "No change, or no platform job, is recorded under the key.", None
    JOB_UNFINISHED = (
        "job_unfinished",
        "The platform has not finished the cancellation yet; looked at again later.",
        None,
    )

    # Orders and their lines.
    ORDER_NOT_FOUND = "order_not_found", "The platform has no such order.", None
    ORDER_ALREADY_CANCELLED = "order_already_cancelled", "The order is already cancelled.", None
    ORDER_CANCELLED = "order_cancelled", "A cancelled order cannot be changed.", None
    ORDER_FULFILLED = "order_fulfilled", "Items have already shipped (to the old address).", None
    ORDER_NOT_EDITABLE = "order_not_editable", "Shopify will not edit this order.", None
    ORDER_WOULD_BE_EMPTY = "order_would_be_empty", "The change would remove every item; cancel instead.", None
    LINE_NOT_FOUND = "line_not_found", "The item is not part of the order.", 400
    LINE_FULFILLED = "line_fulfilled", "The item has already shipped.", None
    VARIANT_NOT_FOUND = "variant_not_found", "The option (variant) is not sold.", 400
    QUANTITY_INVALID = "quantity_invalid", "The quantity is missing or below zero.", 400
    OUT_OF_STOCK = "out_of_stock", "An item is out of stock.", None
    CANCEL_FAILED = (
        "cancel_failed",
        "The platform finished the cancellation but the order is not cancelled.",
        None,
    )
    CANCEL_OUTCOME_UNKNOWN = (
        "cancel_outcome_unknown",
        "After an attempt of unknown outcome the platform refused; looked at again later.",
        None,
    )
    FEE_INVALID = "fee_invalid", "A fee is below zero.", None
    REFUND_REFUSED = (
        "refund_refused",
        "The order is cancelled but the platform refused the refund less the fee.",
        None,
    )
    STAFF_NOTE_TOO_LONG = "staff_note_too_long", "The staff note is over 255 characters.", None
    EDIT_EMPTY = "edit_empty", "An edit has no changes.", None
    EDIT_REFUSED = "edit_refused", "Shopify refused a step of the order edit.", None
    ADDRESS_REFUSED = "address_refused", "Shopify refused the new address.", None
    TAGS_REFUSED = "tags_refused", "Shopify refused to add the tags to the order.", None
    TAGS_NOT_SUPPORTED = "tags_not_supported", "The platform cannot tag orders.", None
    HOLD_REFUSED = "hold_refused", "Shopify refused to hold or release the order's fulfilment.", None
    ORDER_ON_HOLD = (
        "order_on_hold",
        "The order's fulfilment is held while its change window is open; release the hold first.",
        400,
    )
    STORE_CREDIT_NOT_SUPPORTED = (
        "store_credit_not_supported",
        "The platform cannot credit a customer's store credit.",
        None,
    )
    STORE_CREDIT_REFUSED = (
        "store_credit_refused",
        "The order is cancelled but the platform refused the store-credit bonus.",
        None,
    )
    STORE_CREDIT_NO_CUSTOMER = (
        "store_credit_no_customer",
        "Store credit needs a customer account; the order was placed as a guest.",
        None,
    )
    EXPORT_NOT_SUPPORTED = "export_not_supported", "The platform cannot export a store's orders.", None
    EXPORT_REFUSED = "export_refused", "Shopify would not start exporting the store's orders.", None
    EXPORT_FAILED = "export_failed", "Shopify's export of the store's orders failed.", None
    REORDER_EMPTY = "reorder_empty", "There is nothing to reorder.", None
    REORDER_REFUSED = "reorder_refused", "Shopify made no draft order for the reorder.", None

    # Installing the Amend app on a Shopify shop (/shopify/install and /shopify/callback).
    INSTALL_REFUSED = "install_refused", "The install was refused.", 400
    SHOPIFY_NOT_CONFIGURED = "shopify_not_configured", "This Amend has no Shopify app key and secret.", 503
    INVALID_SHOP = "invalid_shop", "Not a Shopify shop address (name.myshopify.com).", 400
    INVALID_HMAC = "invalid_hmac", "The install request was not signed by Shopify.", 400
    UNKNOWN_SHOP = "unknown_shop", "No Amend store is set up for the shop.", 404
    INVALID_STATE = "invalid_state", "The install link is not valid (unknown, used or too old).", 400
    MISSING_CODE = "missing_code", "Shopify sent no authorisation code.", 400
    SCOPES_MISSING = "scopes_missing", "Shopify granted fewer permissions than Amend needs.", 400
    CODE_REJECTED = "code_rejected", "Shopify did not accept the authorisation code, or sent no token.", 400

    # Requests from a shop's storefront through the app proxy (/shopify/proxy/): never an API answer,
    # the proxy itself answers each with an empty 401.
    PROXY_REFUSED = "proxy_refused", "The request did not come through the shop's app proxy.", None
    PROXY_SIGNATURE_INVALID = "proxy_signature_invalid", "The proxied request is unsigned or tampered.", None
    PROXY_REQUEST_STALE = "proxy_request_stale", "The proxied request's time is too old or too new.", None

    # Shopify session tokens (the app in the admin at /shopify/admin/, the extensions), managed installation.
    SESSION_TOKEN_INVALID = (
        "session_token_invalid",
        "The Shopify session token is missing, forged, expired, not yet valid, for another app, for a shop "
        "Amend does not serve, or names no customer (extensions) or no staff member (the admin).",
        401,
    )
    SESSION_TOKEN_REFUSED = (
        "session_token_refused",
        "Shopify would not exchange the session token for an access token (invalid_subject_token).",
        401,
    )
    SHOPIFY_EMAIL_UNVERIFIED = (
        "shopify_email_unverified",
        "The Shopify staff member's email address is not verified, so Amend cannot match it to a person.",
        403,
    )
    NOT_ON_TEAM = (
        "not_on_team",
        "The Shopify staff member is not on the store's team in Amend (and does not own the shop).",
        403,
    )


class ShopifyErrorCode(ErrorCode):
    """Shopify's own code for refusing `orderCancel` (OrderCancelUserErrorCode), passed through as
    `shopify_<code>`. Shopify owns the list; a code it adds later passes through as it is."""

    NO_REFUND_PERMISSION = (
        "shopify_no_refund_permission",
        "Shopify: a refund was asked but the app lacks the refund_orders permission.",
        None,
    )
    NO_REFUND_TO_STORE_CREDIT_PERMISSION = (
        "shopify_no_refund_to_store_credit_permission",
        "Shopify: a refund to store credit was asked but the app lacks that permission.",
        None,
    )
    STORE_CREDIT_REFUND_EXPIRATION_IN_PAST = (
        "shopify_store_credit_refund_expiration_in_past",
        "Shopify: the store credit would expire in the past.",
        None,
    )
    STORE_CREDIT_REFUND_MISSING_CUSTOMER = (
        "shopify_store_credit_refund_missing_customer",
        "Shopify: a store-credit refund was asked but the order has no customer.",
        None,
    )
    STORE_CREDIT_REFUND_B2B_NOT_SUPPORTED = (
        "shopify_store_credit_refund_b2b_not_supported",
        "Shopify: a store-credit refund was asked for a B2B order.",
        None,
    )
    NOT_FOUND = "shopify_not_found", "Shopify: the order (or another record given) was not found.", None
    INVALID = "shopify_invalid", "Shopify: a value given is invalid (also when Shopify gave no code).", None
    INTERNAL_ERROR = "shopify_internal_error", "Shopify: an unexpected internal error.", None

    @classmethod
    def passed_through(cls, shopify_code: object) -> ShopifyErrorCode:
        """The code for one of Shopify's userErrors codes (`INVALID` when it gave none)."""
        return cls(f"shopify_{str(shopify_code or 'invalid').lower()}")

    @classmethod
    def _missing_(cls, value: Any) -> Self | None:
        # A code Shopify added after this list was written: passed through, not refused.
        if not isinstance(value, str) or not value.startswith("shopify_"):
            return None
        member = str.__new__(cls, value)
        member._name_ = value.removeprefix("shopify_").upper()
        member._value_ = value
        member.description = "Shopify: a code Amend does not know yet."
        member.status = None
        return member
