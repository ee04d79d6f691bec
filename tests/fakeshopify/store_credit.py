"""Store credit on the fake Shopify: accounts per customer and currency, credited as Shopify documents.

- `storeCreditAccountCredit(id, creditInput)` takes a store credit account id or a customer id. By a
  customer id it credits the customer's account in that currency, opening one when there is none
  ("it automatically creates an account if one doesn't exist for the specified currency"); by an
  account id, a currency other than the account's is MISMATCHING_CURRENCY. An unknown owner is
  OWNER_NOT_FOUND (ACCOUNT_NOT_FOUND for an account id), an amount of zero or less
  NEGATIVE_OR_ZERO_AMOUNT, a currency the shop does not sell in UNSUPPORTED_CURRENCY, an expiry in the
  past EXPIRES_AT_IN_PAST. It needs the `write_store_credit_account_transactions` scope: without it the
  answer is a top-level ACCESS_DENIED error, not a userError. It takes no idempotency key.
  https://shopify.dev/docs/api/admin-graphql/2026-07/mutations/storeCreditAccountCredit
  https://shopify.dev/docs/api/admin-graphql/2026-07/input-objects/StoreCreditAccountCreditInput
  https://shopify.dev/docs/api/admin-graphql/2026-07/enums/StoreCreditAccountCreditUserErrorCode
- A refund to store credit (`orderCancel` with `refundMethod.storeCreditRefund`, or `refundCreate`
  with a `storeCreditRefund` method) is a credit to the order customer's account in the order's
  currency. https://shopify.dev/docs/api/admin-graphql/2026-07/input-objects/OrderCancelRefundMethodInput
- `Customer.storeCreditAccounts(query: "currency_code:USD")` and `StoreCreditAccount.transactions`
  (newest first with `reverse: true`; `query: "type:credit"` only the credits).
  https://shopify.dev/docs/api/admin-graphql/2026-07/objects/StoreCreditAccount
"""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from graphql import GraphQLError

_ids = itertools.count(9_100_000)
WRITE_SCOPE = "write_store_credit_account_transactions"


def _money(amount: Decimal, currency: str) -> dict[str, str]:
    return {"amount": str(Decimal(amount).quantize(Decimal("0.01"))), "currencyCode": currency}


def customers(shop) -> set[str]:
    return {
        str((order.get("customer") or {}).get("id"))
        for order in shop.orders.values()
        if order.get("customer")
    }


def account_for(shop, customer_id: str, currency: str) -> dict[str, Any]:
    """The customer's account in `currency`, opened when there is none."""
    accounts = shop.store_credit.setdefault(customer_id, {})
    if currency not in accounts:
        accounts[currency] = {
            "id": f"gid://shopify/StoreCreditAccount/{next(_ids)}",
            "owner": customer_id,
            "currency": currency,
            "balance": Decimal("0.00"),
            "transactions": [],
        }
    return accounts[currency]


def credit(account: dict[str, Any], amount: Decimal, origin: str) -> dict[str, Any]:
    account["balance"] += amount
    transaction = {
        "id": f"gid://shopify/StoreCreditAccountCreditTransaction/{next(_ids)}",
        "amount": amount,
        "origin": origin,
        "balance_after": account["balance"],
    }
    account["transactions"].append(transaction)
    return transaction


def refund_to_credit(shop, order: dict[str, Any], amount: Decimal) -> None:
    """A refund of the order paid as store credit to its customer."""
    customer = (order.get("customer") or {}).get("id")
    if customer and amount > 0:
        credit(account_for(shop, str(customer), order["currencyCode"]), amount, f"refund:{order['id']}")


def _refused(code: str, message: str, field: list[str]) -> dict[str, Any]:
    return {
        "storeCreditAccountTransaction": None,
        "userErrors": [{"code": code, "field": field, "message": message}],
    }


def _view(account: dict[str, Any], transaction: dict[str, Any]) -> dict[str, Any]:
    return {
        "__typename": "StoreCreditAccountCreditTransaction",
        "id": transaction["id"],
        "amount": _money(transaction["amount"], account["currency"]),
        "balanceAfterTransaction": _money(transaction["balance_after"], account["currency"]),
        "account": {"id": account["id"], "balance": _money(account["balance"], account["currency"])},
    }


def account_credit(shop, id: str, creditInput: dict[str, Any]) -> dict[str, Any]:
    if shop.scopes is not None and WRITE_SCOPE not in shop.scopes:
        raise GraphQLError(
            "Access denied for storeCreditAccountCredit field. "
            f"Required access: `{WRITE_SCOPE}` access scope.",
            extensions={"code": "ACCESS_DENIED"},
        )
    money = creditInput["creditAmount"]
    amount, currency = Decimal(str(money["amount"])), str(money["currencyCode"])
    if amount <= 0:
        return _refused(
            "NEGATIVE_OR_ZERO_AMOUNT", "A positive amount must be used.", ["creditInput", "creditAmount"]
        )
    expires = creditInput.get("expiresAt")
    if expires and datetime.fromisoformat(str(expires).replace("Z", "+00:00")) <= datetime.now(UTC):
        return _refused(
            "EXPIRES_AT_IN_PAST", "The expiry date must be in the future.", ["creditInput", "expiresAt"]
        )
    if currency not in shop.currencies:
        return _refused(
            "UNSUPPORTED_CURRENCY", "The currency provided is not currently supported.", ["creditInput"]
        )
    if id.startswith("gid://shopify/StoreCreditAccount/"):
        account = next(
            (a for accounts in shop.store_credit.values() for a in accounts.values() if a["id"] == id), None
        )
        if account is None:
            return _refused("ACCOUNT_NOT_FOUND", "The store credit account could not be found.", ["id"])
        if account["currency"] != currency:
            return _refused(
                "MISMATCHING_CURRENCY",
                "The currency provided does not match the currency of the store credit account.",
                ["creditInput", "creditAmount", "currencyCode"],
            )
    elif id in customers(shop):
        account = account_for(shop, id, currency)
    else:
        return _refused("OWNER_NOT_FOUND", "Owner does not exist.", ["id"])
    transaction = credit(account, amount, "api")
    shop.store_credit_calls.append({"id": id, "amount": amount, "currency": currency})
    return {"storeCreditAccountTransaction": _view(account, transaction), "userErrors": []}


def customer_view(shop, id: str) -> dict[str, Any] | None:
    """The `customer(id:)` root field, with its store credit accounts."""
    if id not in customers(shop):
        return None

    def accounts(info, first=None, query=None, **_):
        wanted = (re.search(r"currency_code:(\w+)", query or "") or [None, None])[1]
        found = [a for c, a in shop.store_credit.get(id, {}).items() if wanted is None or c == wanted]
        return {"nodes": [_account_view(a) for a in found[: first or len(found)]]}

    return {"id": id, "storeCreditAccounts": accounts}


def _account_view(account: dict[str, Any]) -> dict[str, Any]:
    def transactions(info, first=None, reverse=False, query=None, **_):
        rows = list(reversed(account["transactions"])) if reverse else list(account["transactions"])
        return {"nodes": [_view(account, row) for row in rows[: first or len(rows)]]}

    return {
        "id": account["id"],
        "balance": _money(account["balance"], account["currency"]),
        "transactions": transactions,
    }


def balance(shop, customer_id: str, currency: str = "USD") -> Decimal:
    """What the customer holds in store credit (for tests)."""
    account = shop.store_credit.get(customer_id, {}).get(currency)
    return account["balance"] if account else Decimal("0.00")
