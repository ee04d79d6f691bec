"""The store-credit bonus on Shopify: `storeCreditAccountCredit` to the order's customer, once per key.

The cancel refunds the order to store credit (`orderCancel` with `refundMethod.storeCreditRefund`, or
the refund less a fee as a `storeCreditRefund`); the bonus on top is a credit of its own, under the
ledger key `<key>:bonus`, in the order's currency, to the customer by id (Shopify opens an account in
that currency when there is none).
https://shopify.dev/docs/api/admin-graphql/2026-07/mutations/storeCreditAccountCredit
https://shopify.dev/docs/api/admin-graphql/2026-07/input-objects/StoreCreditAccountCreditInput

`storeCreditAccountCredit` takes no idempotency key, so before the first try the ledger row keeps the
newest credit already on the customer's account in that currency; a retry after an unknown outcome
reads the account first, and a newer credit of the same amount means the earlier try got through.
Refusals (a currency the account does not hold, a missing customer) fail the request; a missing
access scope (`write_store_credit_account_transactions`) is Shopify's ACCESS_DENIED.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import transaction

from cancellations.models import PlatformEffect
from cancellations.platforms.base import EffectStatus, PermanentPlatformError, from_json, to_json
from cancellations.platforms.credit import StoreCreditGrant, StoreCreditGranted
from cancellations.platforms.errors import PlatformErrorCode
from cancellations.platforms.ledger import exclusive_key, record_outcome
from cancellations.platforms.shopify import credit_documents as documents

if TYPE_CHECKING:
    from cancellations.platforms.shopify.adapter import ShopifyAdapter

NEWEST_BEFORE = "newest_credit_before"


def _recent_credits(adapter: ShopifyAdapter, grant: StoreCreditGrant) -> list[tuple[str, Decimal]]:
    """(transaction id, amount) of the customer's newest credits in the grant's currency, newest first."""
    variables = {"id": grant.customer_id, "currency": f"currency_code:{grant.currency}"}
    customer = adapter.client.execute(documents.STORE_CREDIT_RECENT, variables).get("customer") or {}
    accounts = (customer.get("storeCreditAccounts") or {}).get("nodes") or []
    if not accounts:
        return []
    nodes = (accounts[0].get("transactions") or {}).get("nodes") or []
    return [
        (str(node["id"]), Decimal(str((node.get("amount") or {}).get("amount") or "0")))
        for node in nodes
        if node.get("id")
    ]


def credit_once(adapter: ShopifyAdapter, grant: StoreCreditGrant, key: str) -> StoreCreditGranted:
    """Credit the customer's store credit with the bonus, once for this key."""
    if not grant.customer_id:
        raise PermanentPlatformError(
            "The order has no Shopify customer to give store credit to.",
            code=PlatformErrorCode.STORE_CREDIT_NO_CUSTOMER,
        )
    with exclusive_key(adapter.store, key):
        effect, created = adapter.claim(PlatformEffect.Operation.CREDIT, grant, key)
        if effect.status == PlatformEffect.Status.COMPLETED:
            return from_json(StoreCreditGranted, effect.result, replayed=True)
        with adapter.forgotten_on_refusal(effect):
            recent = _recent_credits(adapter, grant)
            before = (effect.result or {}).get(NEWEST_BEFORE)
            if not created and before is not None:
                ids = [transaction_id for transaction_id, _ in recent]
                newer = recent[: ids.index(before)] if before in ids else recent
                match = next((item for item in newer if item[1] == grant.amount), None)
                if match is not None:
                    # The earlier try got through before its answer was lost (or its worker stopped).
                    return _complete(effect, grant, match[0], "", replayed=True)
            if before is None:
                # Committed before Shopify is asked: a later look compares the account with this.
                with transaction.atomic():
                    effect.result = {NEWEST_BEFORE: recent[0][0] if recent else ""}
                    effect.save(update_fields=["result"])
            credit_input = {
                "creditAmount": {"amount": str(grant.amount), "currencyCode": grant.currency},
                "notify": False,  # Amend tells the customer itself
            }
            payload = (
                adapter.client.execute(
                    documents.STORE_CREDIT_CREDIT, {"id": grant.customer_id, "creditInput": credit_input}
                ).get("storeCreditAccountCredit")
                or {}
            )
            errors: list[dict[str, Any]] = list(payload.get("userErrors") or [])
            made = payload.get("storeCreditAccountTransaction")
            if errors or not made:
                message = "; ".join(str(e.get("message")) for e in errors) or "Shopify made no credit."
                raise PermanentPlatformError(
                    f"The order is cancelled, but Shopify refused the store-credit bonus: {message}",
                    code=PlatformErrorCode.STORE_CREDIT_REFUSED,
                )
            account = str((made.get("account") or {}).get("id") or "")
            return _complete(effect, grant, str(made.get("id") or ""), account, replayed=False)


def _complete(
    effect: PlatformEffect, grant: StoreCreditGrant, transaction_id: str, account_id: str, *, replayed: bool
) -> StoreCreditGranted:
    result = StoreCreditGranted(
        status=EffectStatus.COMPLETED,
        amount=grant.amount,
        currency=grant.currency,
        account_id=account_id,
        transaction_id=transaction_id,
    )
    with transaction.atomic():
        record_outcome(effect, status=PlatformEffect.Status.COMPLETED, result=to_json(result))
    return replace(result, replayed=replayed)
