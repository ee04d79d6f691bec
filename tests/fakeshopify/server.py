"""A Shopify-like Admin API on the loopback interface, for tests and local staging.

It answers the OAuth token exchange and runs GraphQL documents against Shopify's real published
schema (so a document Shopify would reject is rejected here too), with a small in-memory shop:
orders, asynchronous cancel jobs, refunds (tests/fakeshopify/refunds.py), order edits, draft
orders, webhook subscriptions and fulfilment orders with their holds (tests/fakeshopify/holds.py). It keeps
Shopify's cost-based rate limit: each query's requested cost is worked out from the schema by
Shopify's rules (tests/fakeshopify/cost.py), a query over 1,000 points is refused with
MAX_COST_EXCEEDED, the bucket must hold the requested cost (THROTTLED when it does not) and gets
back the difference to the actual cost once the query ran. It can be told to fail
the next requests, or to lose its answer after carrying a mutation out.

Addresses: SHOPIFY_API_ORIGIN = f"{server.url}/shops/{{shop}}".
"""

from __future__ import annotations

import copy
import itertools
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    execute_sync,
    parse,
    validate,
)

from tests.fakeshopify import holds, refunds, store_credit
from tests.fakeshopify.cost import MAX_SINGLE_QUERY_COST, CostError, actual_cost, requested_cost
from tests.fakeshopify.schema import admin_schema

_ids = itertools.count(9_000_000)


def money(amount: Decimal | str) -> dict[str, Any]:
    return {
        "shopMoney": {"amount": str(Decimal(str(amount)).quantize(Decimal("0.01"))), "currencyCode": "USD"}
    }


# Shopify's expiring offline tokens: the access token lasts an hour, the refresh token 90 days; each
# refresh answers a new pair. The refresh token used last stays good until its replacement is used,
# then it is retired; any other refresh token is refused (400 invalid_grant).
#   https://shopify.dev/changelog/offline-access-tokens-now-support-expiry-and-refresh
#   https://shopify.dev/changelog/more-resilient-refreshes-for-expiring-offline-access-tokens
ACCESS_TOKEN_SECONDS = 3600
# What an install grants (Shopify lists a write scope, never the read scope it implies).
REFRESH_TOKEN_SECONDS = 90 * 24 * 3600
TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
OFFLINE_TOKEN_TYPE = "urn:shopify:params:oauth:token-type:offline-access-token"
ONLINE_TOKEN_TYPE = "urn:shopify:params:oauth:token-type:online-access-token"
ID_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:id_token"
# An online access token lasts as long as the staff member's admin session, at most a day.
#   https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/online-access-tokens
ONLINE_TOKEN_SECONDS = 86399
# From this day Shopify refuses Admin API calls of public apps with a non-expiring token.
#   https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/offline-access-tokens
NON_EXPIRING_CUTOFF = 1798761600.0  # 2027-01-01T00:00:00Z
# What a merchant grants on install, as Shopify lists it: a write scope without its read scope.
# write_app_proxy: https://shopify.dev/docs/apps/build/online-store/display-dynamic-data
GRANTED_SCOPES = (
    "write_orders,write_order_edits,read_products,write_draft_orders,"
    "write_merchant_managed_fulfillment_orders,write_third_party_fulfillment_orders,write_app_proxy,"
    "read_store_credit_accounts,write_store_credit_account_transactions"
)


@dataclass
class Shop:
    domain: str
    token: str
    # Every access token the shop accepts, with when it expires (None: a legacy non-expiring token).
    access_tokens: dict[str, float | None] = field(default_factory=dict)
    refresh_token: str = ""
    previous_refresh_token: str = ""
    refresh_token_expires_at: float = 0.0
    refreshes: int = 0
    # A legacy token exchanged for an expiring pair, and the pair (a retry answers the same pair).
    migrated: dict[str, dict[str, Any]] = field(default_factory=dict)
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    edits: dict[str, dict[str, Any]] = field(default_factory=dict)
    drafts: list[dict[str, Any]] = field(default_factory=list)
    subscriptions: list[tuple[str, str]] = field(default_factory=list)
    # The shop's staff by Shopify user id, as an online token's `associated_user` describes them.
    staff: dict[str, dict[str, Any]] = field(default_factory=dict)
    exchanges: list[str] = field(default_factory=list)  # requested_token_type of each id-token exchange
    # Bulk operations: id -> {"status", "search", "polls", "file", ...}
    bulk: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Every refund made, and the first answer for each `@idempotent` key (tests/fakeshopify/refunds.py).
    refunds: list[dict[str, Any]] = field(default_factory=list)
    refund_keys: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    declined_refunds: list[str] = field(default_factory=list)
    prices: dict[str, Decimal] = field(default_factory=dict)
    # The catalogue `products(query:)` searches, and every order edit committed with notifyCustomer.
    products: list[dict[str, Any]] = field(default_factory=list)
    invoices_sent: list[str] = field(default_factory=list)
    # The access scopes the app was granted (None: every scope), and every hold placed and released.
    scopes: set[str] | None = None
    hold_log: list[tuple[str, str, str]] = field(default_factory=list)
    # Store credit: customer id -> currency -> account, every storeCreditAccountCredit made, and the
    # currencies the shop sells in (tests/fakeshopify/store_credit.py).
    store_credit: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    store_credit_calls: list[dict[str, Any]] = field(default_factory=list)
    currencies: set[str] = field(default_factory=lambda: {"USD"})
    # The leaky bucket of query-cost points.
    # A standard plan's rate: https://shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits
    maximum: float = 1000.0
    available: float = 1000.0
    restore_rate: float = 100.0
    refilled_at: float = field(default_factory=time.monotonic)
    # Scripted trouble: HTTP statuses to answer with, and mutations whose answer gets lost.
    failures: list[int] = field(default_factory=list)
    lose_answers: int = 0
    # Steady trouble for fault runs: every `fail_every`-th call answers one of `fail_statuses` without
    # running, and every `lose_every`-th mutation runs but its answer is lost (504). 0: never.
    fail_every: int = 0
    fail_statuses: tuple[int, ...] = (500, 502, 503)
    lose_every: int = 0
    served: int = 0
    mutations_served: int = 0
    calls: list[str] = field(default_factory=list)
    # (operation, requested cost) of every query that ran.
    costs: list[tuple[str, int]] = field(default_factory=list)


class FakeShopify:
    def __init__(self, *, api_key: str, api_secret: str, job_ticks: int = 1) -> None:
        self.api_key = api_key
        self.api_secret = api_secret
        self.job_ticks = job_ticks
        self.shops: dict[str, Shop] = {}
        self.codes: dict[str, str] = {}
        self.lock = threading.RLock()
        # The fake's clock (epoch seconds) for token expiry: tests move it with `advance`.
        self.clock_offset = 0.0
        # Refuse non-expiring tokens once the clock is past 2027-01-01 (off by default: most tests
        # use a legacy token and must not start failing on that date).
        self.enforce_expiring_tokens = False
        # Bulk exports: how many may run at once per shop (five from API version 2026-01), and how many
        # polls one takes to finish.
        self.bulk_concurrency = 5
        self.bulk_polls = 1
        # Seconds every Admin API answer takes before it is sent: the network to Shopify and Shopify's own
        # work. 0 in tests; the click-to-effect bench sets it (Shopify publishes no latency figure, so
        # the bench names the value it assumes and takes another with --shopify-latency).
        self.latency = 0.0
        self._server: ThreadingHTTPServer | None = None
        admin_schema()  # load before serving: the first request should not wait for it

    # --- running ---

    def start(self, port: int = 0) -> FakeShopify:
        fake = self

        class Handler(_Handler):
            server_fake = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def origin(self) -> str:
        return f"{self.url}/shops/{{shop}}"

    # --- arranging ---

    def add_shop(self, domain: str, *, token: str | None = None) -> Shop:
        """A shop that has the app installed with a legacy non-expiring token (`shop.token`)."""
        with self.lock:
            shop = Shop(domain=domain, token=token or f"shpat_{secrets.token_hex(16)}")
            shop.access_tokens[shop.token] = None
            self.shops[domain] = shop
            return shop

    def add_staff(
        self,
        domain: str,
        user_id: str,
        *,
        email: str,
        account_owner: bool = False,
        email_verified: bool = True,
        first_name: str = "Sam",
        last_name: str = "Staff",
        locale: str = "en",
    ) -> dict[str, Any]:
        """A staff member of the shop, who can open the app from the admin (session tokens' `sub`)."""
        with self.lock:
            member = {
                "id": int(user_id),
                "first_name": first_name,
                "last_name": last_name,
                "email": email,
                "account_owner": account_owner,
                "locale": locale,
                "collaborator": False,
                "email_verified": email_verified,
            }
            self.shops[domain].staff[str(user_id)] = member
            return member

    # --- tokens and their clock ---

    def now(self) -> float:
        return time.time() + self.clock_offset

    def advance(self, seconds: float) -> None:
        with self.lock:
            self.clock_offset += seconds

    def issue_expiring(self, domain: str) -> dict[str, Any]:
        """A new expiring pair for the shop, as the token endpoint answers it; it replaces any other."""
        with self.lock:
            shop = self.shops[domain]
            token = f"shpat_{secrets.token_hex(16)}"
            shop.access_tokens = {t: e for t, e in shop.access_tokens.items() if e is not None}
            shop.access_tokens[token] = self.now() + ACCESS_TOKEN_SECONDS
            shop.token = token
            shop.previous_refresh_token = ""
            shop.refresh_token = f"shprt_{secrets.token_hex(16)}"
            shop.refresh_token_expires_at = self.now() + REFRESH_TOKEN_SECONDS
            return self._pair(shop)

    def session_token(self, domain: str, *, sub: str = "", kind: str = "admin", **overrides: Any) -> str:
        """A session token as Shopify signs one for this app, valid for a minute.

        kind "admin": App Bridge's `shopify.idToken()` in the embedded admin (`sub` a staff user id,
        iss `https://<shop>/admin`, dest `https://<shop>`); kind "customer": a customer account UI
        extension's `sessionToken.get()` (`sub` `gid://shopify/Customer/<id>` when signed in, dest the
        shop's domain). `overrides` replace or add claims (None removes one); `secret=` signs with
        another key. https://shopify.dev/docs/apps/build/authentication-authorization/session-tokens
        """
        import jwt  # only the tests and the fake sign tokens

        secret = overrides.pop("secret", self.api_secret)
        issued = int(self.now())
        claims: dict[str, Any] = {
            "aud": self.api_key,
            "exp": issued + 60,
            "nbf": issued - 1,
            "iat": issued - 1,
            "jti": secrets.token_hex(8),
            "sid": secrets.token_hex(8),
        }
        if kind == "admin":
            claims |= {"iss": f"https://{domain}/admin", "dest": f"https://{domain}", "sub": sub or "42"}
        else:
            claims |= {"dest": domain}
            if sub:
                claims["sub"] = sub if sub.startswith("gid://") else f"gid://shopify/Customer/{sub}"
        for key, value in overrides.items():
            if value is None:
                claims.pop(key, None)
            else:
                claims[key] = value
        return jwt.encode(claims, secret, algorithm="HS256")

    def expire_access_token(self, domain: str) -> None:
        """Make the shop's current access token expire now (Amend's clock does not move)."""
        with self.lock:
            shop = self.shops[domain]
            shop.access_tokens[shop.token] = self.now() - 1

    def _pair(self, shop: Shop) -> dict[str, Any]:
        expires = shop.access_tokens[shop.token]
        return {
            "access_token": shop.token,
            "scope": GRANTED_SCOPES,
            "expires_in": int((expires or 0) - self.now()),
            "refresh_token": shop.refresh_token,
            "refresh_token_expires_in": int(shop.refresh_token_expires_at - self.now()),
        }

    def accepts(self, shop: Shop, token: str | None) -> bool:
        if token is None or token not in shop.access_tokens:
            return False
        expires = shop.access_tokens[token]
        if expires is None:
            return not (self.enforce_expiring_tokens and self.now() >= NON_EXPIRING_CUTOFF)
        return self.now() < expires

    def issue_code(self, domain: str) -> str:
        """An authorisation code, as Shopify puts on the callback once the merchant approves."""
        code = secrets.token_hex(16)
        with self.lock:
            self.codes[code] = domain
        return code

    def add_order(self, domain: str, **overrides: Any) -> dict[str, Any]:
        number = next(_ids)
        order = {
            "id": f"gid://shopify/Order/{number}",
            "name": f"#{number % 100000}",
            "number": number % 100000,
            "email": "ann@example.com",
            "customerLocale": "en",
            "customer": {"id": "gid://shopify/Customer/501"},
            "createdAt": "2026-11-20T10:00:00Z",
            "processedAt": "2026-11-20T10:00:00Z",
            "updatedAt": "2026-11-20T10:00:00Z",
            "cancelledAt": None,
            "cancelReason": None,
            "currencyCode": "USD",
            "displayFinancialStatus": "PAID",
            "displayFulfillmentStatus": "UNFULFILLED",
            "tags": [],
            "discountCodes": [],
            "paymentGatewayNames": ["shopify_payments"],
            "currentShippingPriceSet": money("5.00"),
            "currentTotalTaxSet": money("0.00"),
            "currentTotalDiscountsSet": money("0.00"),
            "totalRefundedSet": money("0.00"),
            "totalOutstandingSet": money("0.00"),
            "paymentCollectionDetails": {"additionalPaymentCollectionUrl": None, "vaultedPaymentMethods": []},
            "risk": {"recommendation": "ACCEPT", "assessments": [{"riskLevel": "LOW"}]},
            "shippingAddress": {
                "firstName": "Ann",
                "lastName": "Buyer",
                "company": None,
                "address1": "Main St 1",
                "address2": None,
                "city": "Springfield",
                "provinceCode": "KY",
                "zip": "40202",
                "countryCodeV2": "US",
                "phone": None,
            },
            "billingAddress": None,
            "lineItems": {"nodes": []},
        }
        lines = overrides.pop("lines", [("gid://shopify/ProductVariant/1", 2, "10.00")])
        order["fulfillmentOrders"] = [
            holds.new_fulfillment_order(order["id"]) for _ in range(overrides.pop("fulfillment_orders", 1))
        ]
        order.update(overrides)
        shop = self.shops[domain]
        for variant_id, quantity, price in lines:
            shop.prices.setdefault(variant_id, Decimal(price))
            order["lineItems"]["nodes"].append(self._line(variant_id, quantity, Decimal(price)))
        self._recompute(order)
        refunds.payments(order)
        with self.lock:
            shop.orders[order["id"]] = order
        return order

    def add_product(
        self, domain: str, *, title: str, tags: list[str], variants: list[tuple[str, str, str, int | None]]
    ) -> dict[str, Any]:
        """A product of the shop's catalogue; each variant (id, title, price, stock or None: not tracked)."""
        shop = self.shops[domain]
        product = {
            "id": f"gid://shopify/Product/{next(_ids)}",
            "title": title,
            "handle": title.lower().replace(" ", "-"),
            "productType": "",
            "tags": list(tags),
            "status": "ACTIVE",
            "updatedAt": "2026-11-20T10:00:00Z",
            "variants": {
                "nodes": [
                    {
                        "id": variant_id,
                        "title": variant_title,
                        "sku": "",
                        "price": price,
                        "inventoryQuantity": stock,
                        "availableForSale": stock is None or stock > 0,
                        "position": position + 1,
                    }
                    for position, (variant_id, variant_title, price, stock) in enumerate(variants)
                ]
            },
        }
        with self.lock:
            shop.products.append(product)
            for variant_id, _title, price, _stock in variants:
                shop.prices[variant_id] = Decimal(price)
        return product

    def fail_next(self, domain: str, *statuses: int) -> None:
        with self.lock:
            self.shops[domain].failures.extend(statuses)

    def decline_next_refund(
        self, domain: str, message: str = "The payment provider declined the refund."
    ) -> None:
        """Answer the next refundCreate with a userError (as for a refund the payment provider declines)."""
        with self.lock:
            self.shops[domain].declined_refunds.append(message)

    def lose_next_answer(self, domain: str) -> None:
        """Carry out the next mutation but answer 504, as if the connection broke on the way back."""
        with self.lock:
            self.shops[domain].lose_answers += 1

    def set_bucket(self, domain: str, *, maximum: float, available: float, restore_rate: float) -> None:
        with self.lock:
            shop = self.shops[domain]
            shop.maximum, shop.available, shop.restore_rate = maximum, available, restore_rate
            shop.refilled_at = time.monotonic()

    def order(self, domain: str, order_id: str) -> dict[str, Any]:
        return self.shops[domain].orders[order_id]

    def fulfil(self, domain: str, order_id: str) -> None:
        """Fulfil an order as the warehouse would; ValueError while its fulfilment is held."""
        with self.lock:
            holds.fulfil(self.shops[domain].orders[order_id])

    # --- the shop's behaviour ---

    @staticmethod
    def _line(variant_id: str, quantity: int, price: Decimal) -> dict[str, Any]:
        number = next(_ids)
        return {
            "id": f"gid://shopify/LineItem/{number}",
            "title": f"Item {variant_id.rsplit('/', 1)[-1]}",
            "variantTitle": "Default",
            "sku": f"SKU-{variant_id.rsplit('/', 1)[-1]}",
            "quantity": quantity,
            "currentQuantity": quantity,
            "unfulfilledQuantity": quantity,
            "originalUnitPriceSet": money(price),
            "totalDiscountSet": money("0.00"),
            "variant": {"id": variant_id},
            "product": {"id": "gid://shopify/Product/1", "productType": "Shirt", "tags": []},
        }

    @staticmethod
    def _recompute(order: dict[str, Any]) -> None:
        subtotal = sum(
            Decimal(line["originalUnitPriceSet"]["shopMoney"]["amount"]) * line["currentQuantity"]
            for line in order["lineItems"]["nodes"]
        )
        shipping = Decimal(order["currentShippingPriceSet"]["shopMoney"]["amount"])
        order["currentSubtotalPriceSet"] = money(subtotal)
        order["currentTotalPriceSet"] = money(subtotal + shipping)

    def _collect(self, shop: Shop, order: dict[str, Any]) -> None:
        """What is left to pay after an edit, and where: a paid order that now costs more is partly paid,
        with a link to pay the balance (`Order.paymentCollectionDetails`).
        https://shopify.dev/docs/api/admin-graphql/2026-07/objects/OrderPaymentCollectionDetails"""
        paid = sum((p["amount"] for p in refunds.payments(order)), Decimal("0.00"))
        net = paid - Decimal(order["totalRefundedSet"]["shopMoney"]["amount"])
        outstanding = max(
            Decimal(order["currentTotalPriceSet"]["shopMoney"]["amount"]) - net, Decimal("0.00")
        )
        order["totalOutstandingSet"] = money(outstanding)
        url = None
        if outstanding > 0 and paid > 0:
            order["displayFinancialStatus"] = "PARTIALLY_PAID"
            url = f"https://{shop.domain}/{order['id'].rsplit('/', 1)[-1]}/invoices/{secrets.token_hex(8)}"
        order["paymentCollectionDetails"] = {
            "additionalPaymentCollectionUrl": url,
            "vaultedPaymentMethods": [],
        }

    def pay_outstanding(self, domain: str, order_id: str) -> None:
        """The customer pays the balance by the invoice: one more sale, and the order is paid."""
        with self.lock:
            order = self.shops[domain].orders[order_id]
            amount = Decimal(order["totalOutstandingSet"]["shopMoney"]["amount"])
            refunds.payments(order).append(
                {
                    "id": f"gid://shopify/OrderTransaction/{next(_ids)}",
                    "gateway": "shopify_payments",
                    "amount": amount,
                }
            )
            order["totalOutstandingSet"] = money("0.00")
            order["displayFinancialStatus"] = "PAID"
            order["paymentCollectionDetails"] = {
                "additionalPaymentCollectionUrl": None,
                "vaultedPaymentMethods": [],
            }

    def _tick(self, shop: Shop) -> None:
        for job in shop.jobs.values():
            if not job["done"]:
                job["ticks"] += 1
                if job["ticks"] >= self.job_ticks:
                    job["done"] = True
                    order = shop.orders[job["order"]]
                    order["cancelledAt"] = "2026-11-26T12:00:00Z"
                    order["cancelReason"] = job["reason"]
                    if order["displayFinancialStatus"] == "PAID" and job["refund"]:
                        order["totalRefundedSet"] = money(
                            order["currentTotalPriceSet"]["shopMoney"]["amount"]
                        )
                        order["displayFinancialStatus"] = "REFUNDED"
                        if job["store_credit"]:
                            total = Decimal(order["currentTotalPriceSet"]["shopMoney"]["amount"])
                            store_credit.refund_to_credit(shop, order, total)
                    elif order["displayFinancialStatus"] != "PAID":
                        order["displayFinancialStatus"] = "VOIDED"
                    order["updatedAt"] = "2026-11-26T12:00:00Z"

    def _advance_bulk(self, shop: Shop, operation_id: str) -> None:
        """Run the export a step: after `bulk_polls` polls it is complete, its JSONL file written.

        The file has a line per order and a line per line item naming its order in `__parentId`; as
        without `groupObjects`, the line items do not follow their orders (they all come last here).
        """
        operation = shop.bulk[operation_id]
        if operation["status"] not in ("CREATED", "RUNNING"):
            return
        operation["polls"] += 1
        operation["status"] = "RUNNING"
        since = (re.search(r"created_at:>='?([^'\s]+)", operation["search"]) or [None, None])[1]
        orders = sorted(shop.orders.values(), key=lambda order: (order["createdAt"], order["id"]))
        if since:
            orders = [order for order in orders if order["createdAt"] >= since[:19]]
        lines = sum(len(order["lineItems"]["nodes"]) for order in orders)
        share = min(operation["polls"] / max(self.bulk_polls, 1), 1.0)
        operation["roots"] = int(len(orders) * share)
        operation["objects"] = int((len(orders) + lines) * share)
        if operation["polls"] < self.bulk_polls:
            return
        out = []
        order_fields, line_fields = operation["order_fields"], operation["line_fields"]
        for order in orders:
            out.append(json.dumps({k: order.get(k) for k in order_fields}))
        for order in orders:
            for line in order["lineItems"]["nodes"]:
                out.append(json.dumps({**{k: line.get(k) for k in line_fields}, "__parentId": order["id"]}))
        operation["file"] = ("\n".join(out) + "\n").encode() if out else b""
        operation["status"] = "COMPLETED"

    def fail_bulk(self, domain: str, operation_id: str, error_code: str = "INTERNAL_SERVER_ERROR") -> None:
        with self.lock:
            self.shops[domain].bulk[operation_id].update(status="FAILED", errorCode=error_code)

    def bulk_file(self, number: str) -> bytes | None:
        for shop in self.shops.values():
            for operation_id, operation in shop.bulk.items():
                if operation_id.rsplit("/", 1)[-1] == number and operation["status"] == "COMPLETED":
                    return operation["file"]
        return None

    def check(
        self, query: str, variables: dict[str, Any]
    ) -> tuple[dict[str, Any] | None, tuple[str, bool, int] | None]:
        """Refuse a document Shopify would refuse before running it: one that does not parse or
        validate against the schema, or whose requested cost cannot be worked out; else
        (operation name, is a mutation, requested cost)."""
        document, errors = _checked(admin_schema(), query)
        if document is None:
            return {"errors": list(errors)}, None
        try:
            cost = requested_cost(admin_schema(), document, variables)
        except CostError as error:
            return {"errors": [{"message": str(error), "extensions": {"code": "BAD_REQUEST"}}]}, None
        operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
        return None, (cost.operation, operation.operation.value == "mutation", cost.requested)

    def execute(self, shop: Shop, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        """Run a document `check` let through (the variables are still checked against it here)."""
        document, _errors = _checked(admin_schema(), query)
        assert document is not None
        root = _Root(self, shop)
        result = execute_sync(admin_schema(), document, root_value=root, variable_values=variables)
        answer: dict[str, Any] = {"data": result.data}
        if result.errors:
            answer["errors"] = [error.formatted for error in result.errors]
        return answer


@lru_cache(maxsize=512)
def _checked(schema: GraphQLSchema, query: str) -> tuple[DocumentNode | None, tuple[dict[str, Any], ...]]:
    """The document parsed and validated against the schema, or why not: once per text, as neither
    depends on anything else (the variables are checked, and the cost worked out, on every call)."""
    try:
        document = parse(query)
    except GraphQLError as error:
        return None, (error.formatted,)
    errors = validate(schema, document)
    if errors:
        return None, tuple(error.formatted for error in errors)
    return document, ()


def _page(nodes: list[Any], first: int | None, after: str | None) -> dict[str, Any]:
    """A connection's page, with an index for a cursor."""
    start = int(after) if after else 0
    size = first or 50
    more = start + size < len(nodes)
    page = nodes[start : start + size]
    return {
        "nodes": page,
        "edges": [{"node": node, "cursor": str(start + n + 1)} for n, node in enumerate(page)],
        "pageInfo": {"hasNextPage": more, "endCursor": str(start + size) if more else None},
    }


def _node_fields(selection_set: Any) -> tuple[list[str], Any]:
    """The field names selected on a connection's node (through edges { node } or nodes), and the
    selection of its nested `lineItems`."""
    for field_node in selection_set.selections if selection_set else ():
        name = field_node.name.value
        if name == "nodes":
            inner = field_node.selection_set
        elif name == "edges":
            inner = next(
                (f.selection_set for f in field_node.selection_set.selections if f.name.value == "node"), None
            )
        else:
            continue
        names = [f.name.value for f in inner.selections if getattr(f, "name", None)]
        lines = next((f.selection_set for f in inner.selections if f.name.value == "lineItems"), None)
        return names, lines
    return [], None


def _bulk_selected_fields(document: Any) -> tuple[list[str], list[str]]:
    """What the bulk query selects of each order and of each line item: only that goes in the file."""
    operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
    orders = next(f for f in operation.selection_set.selections if f.name.value == "orders")
    order_fields, lines = _node_fields(orders.selection_set)
    line_fields, _ = _node_fields(lines)
    return [name for name in order_fields if name != "lineItems"], line_fields


def _bulk_orders_search(document: Any) -> str | None:
    """The `query:` search of the bulk query's `orders` connection ("" for none); None without one."""
    operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
    for selection in operation.selection_set.selections:
        if getattr(selection, "name", None) and selection.name.value == "orders":
            for argument in selection.arguments or ():
                if argument.name.value == "query":
                    return str(getattr(argument.value, "value", ""))
            return ""
    return None


def _order_view(order: dict[str, Any]) -> dict[str, Any]:
    """A copy of the order to answer with, its line items a connection paged by `first`/`after`."""
    view = copy.deepcopy(order)
    lines = view["lineItems"]["nodes"]
    view["lineItems"] = lambda info, first=None, after=None, **_: _page(lines, first, after)
    view["suggestedRefund"] = refunds.suggested_refund(order)
    view["fulfillmentOrders"] = holds.connection(order.get("fulfillmentOrders") or [], _page)
    return view


class _Root:
    """Resolvers for the root fields Amend uses; everything below them is plain dicts."""

    def __init__(self, fake: FakeShopify, shop: Shop) -> None:
        self.fake, self.shop = fake, shop

    def order(self, info, id):
        self.fake._tick(self.shop)
        order = self.shop.orders.get(id)
        return _order_view(order) if order else None

    def orders(self, info, first=None, after=None, query=None, sortKey=None, **_):
        """Orders created since the date in `created_at:>='...'`, oldest first, paged by an index cursor."""
        self.fake._tick(self.shop)
        since = (re.search(r"created_at:>='?([^'\s]+)", query or "") or [None, None])[1]
        nodes = sorted(self.shop.orders.values(), key=lambda order: (order["createdAt"], order["id"]))
        if since:
            nodes = [order for order in nodes if order["createdAt"] >= since[:19]]
        page = _page(nodes, first, after)
        page["nodes"] = [_order_view(order) for order in page["nodes"]]
        return page

    # --- bulk operations ---
    # https://shopify.dev/docs/api/admin-graphql/latest/mutations/bulkOperationRunQuery
    # https://shopify.dev/docs/apps/build/apis/graphql-admin/bulk-operations/queries

    def bulkOperationRunQuery(self, info, query, groupObjects=False):
        def refused(message, code="INVALID"):
            return {
                "bulkOperation": None,
                "userErrors": [{"field": ["query"], "message": message, "code": code}],
            }

        try:
            document = parse(query)
        except GraphQLError as error:
            return refused(f"Invalid bulk query: {error.message}")
        errors = validate(admin_schema(), document)
        if errors:
            return refused(f"Invalid bulk query: {errors[0].message}")
        search = _bulk_orders_search(document)
        if search is None:
            return refused("Bulk queries must contain at least one connection.")
        running = [op for op in self.shop.bulk.values() if op["status"] in ("CREATED", "RUNNING")]
        if len(running) >= self.fake.bulk_concurrency:
            return refused(
                "A bulk query operation for this app and shop is already in progress.",
                "OPERATION_IN_PROGRESS",
            )
        operation_id = f"gid://shopify/BulkOperation/{next(_ids)}"
        order_fields, line_fields = _bulk_selected_fields(document)
        self.shop.bulk[operation_id] = {
            "status": "CREATED",
            "search": search,
            "polls": 0,
            "file": b"",
            "order_fields": order_fields,
            "line_fields": line_fields,
        }
        return {"bulkOperation": {"id": operation_id, "status": "CREATED"}, "userErrors": []}

    def bulkOperation(self, info, id):
        operation = self.shop.bulk.get(id)
        if operation is None:
            return None
        self.fake._advance_bulk(self.shop, id)
        done = operation["status"] == "COMPLETED"
        return {
            "id": id,
            "status": operation["status"],
            "errorCode": operation.get("errorCode"),
            "objectCount": str(operation.get("objects", 0)),
            "rootObjectCount": str(operation.get("roots", 0)),
            "url": f"{self.fake.url}/bulk/{id.rsplit('/', 1)[-1]}.jsonl"
            if done and operation["file"]
            else None,
            "partialDataUrl": None,
        }

    def job(self, info, id):
        job = self.shop.jobs.get(id)
        if job is None:
            return None
        self.fake._tick(self.shop)
        return {"id": id, "done": job["done"]}

    def orderCancel(
        self, info, orderId, reason, restock, refundMethod=None, notifyCustomer=False, staffNote=None
    ):
        order = self.shop.orders.get(orderId)
        if order is None:
            return {
                "job": None,
                "orderCancelUserErrors": [
                    {"code": "NOT_FOUND", "field": ["orderId"], "message": "Order not found"}
                ],
            }
        if order["cancelledAt"] or any(
            not j["done"] for j in self.shop.jobs.values() if j["order"] == orderId
        ):
            return {
                "job": None,
                "orderCancelUserErrors": [
                    {"code": "INVALID", "field": None, "message": "Order has already been cancelled"}
                ],
            }
        if order["displayFulfillmentStatus"] == "FULFILLED":
            return {
                "job": None,
                "orderCancelUserErrors": [
                    {"code": "INVALID", "field": None, "message": "Cannot cancel a fulfilled order"}
                ],
            }
        job_id = f"gid://shopify/Job/{secrets.token_hex(8)}"
        self.shop.jobs[job_id] = {
            "order": orderId,
            "done": False,
            "ticks": 0,
            "reason": reason,
            "refund": bool(refundMethod),
            "store_credit": (refundMethod or {}).get("storeCreditRefund") is not None,
            "restock": restock,
            "notify": notifyCustomer,
            "note": staffNote,
        }
        return {"job": {"id": job_id, "done": False}, "orderCancelUserErrors": []}

    def storeCreditAccountCredit(self, info, id, creditInput):
        return store_credit.account_credit(self.shop, id, creditInput)

    def customer(self, info, id):
        return store_credit.customer_view(self.shop, id)

    def refundCreate(self, info, input):
        return refunds.refund_create(self.shop, info, input, view=_order_view)

    def products(self, info, first=None, query=None, **_):
        """Products by Shopify's search syntax, as far as Amend uses it: `tag:'x'` and `status:active`.
        https://shopify.dev/docs/api/usage/search-syntax"""
        tag = (re.search(r"tag:'?([^'\s]+)'?", query or "") or [None, None])[1]
        status = (re.search(r"status:(\w+)", query or "") or [None, "active"])[1]
        found = [
            product
            for product in self.shop.products
            if (tag is None or tag.lower() in (t.lower() for t in product["tags"]))
            and product["status"] == status.upper()
        ]
        return _page(found, first, None)

    def orderEditBegin(self, info, id):
        order = self.shop.orders.get(id)
        if order is None or order["cancelledAt"]:
            return {
                "calculatedOrder": None,
                "userErrors": [{"field": ["id"], "message": "The order cannot be edited."}],
            }
        edit_id = f"gid://shopify/CalculatedOrder/{next(_ids)}"
        lines = {
            line["id"].rsplit("/", 1)[-1]: {
                "quantity": line["currentQuantity"],
                "variant": line["variant"]["id"],
            }
            for line in order["lineItems"]["nodes"]
        }
        self.shop.edits[edit_id] = {"order": id, "lines": lines, "added": []}
        nodes = [
            {
                "id": f"gid://shopify/CalculatedLineItem/{n}",
                "quantity": v["quantity"],
                "variant": {"id": v["variant"]},
            }
            for n, v in lines.items()
        ]
        return {"calculatedOrder": {"id": edit_id, "lineItems": {"nodes": nodes}}, "userErrors": []}

    def orderEditSetQuantity(self, info, id, lineItemId, quantity, restock=None):
        edit = self.shop.edits[id]
        number = lineItemId.rsplit("/", 1)[-1]
        if number not in edit["lines"]:
            return {
                "calculatedLineItem": None,
                "userErrors": [{"field": ["lineItemId"], "message": "Line not found"}],
            }
        edit["lines"][number]["quantity"] = quantity
        return {"calculatedLineItem": {"id": lineItemId, "quantity": quantity}, "userErrors": []}

    def orderEditAddVariant(self, info, id, variantId, quantity, locationId=None, allowDuplicates=False):
        edit = self.shop.edits[id]
        if variantId not in self.shop.prices:
            return {
                "calculatedLineItem": None,
                "userErrors": [{"field": ["variantId"], "message": "Variant not found"}],
            }
        edit["added"].append((variantId, quantity))
        return {
            "calculatedLineItem": {
                "id": f"gid://shopify/CalculatedLineItem/{next(_ids)}",
                "quantity": quantity,
            },
            "userErrors": [],
        }

    def orderEditCommit(self, info, id, notifyCustomer=None, staffNote=None):
        edit = self.shop.edits.pop(id)
        order = self.shop.orders[edit["order"]]
        for line in order["lineItems"]["nodes"]:
            line["currentQuantity"] = edit["lines"][line["id"].rsplit("/", 1)[-1]]["quantity"]
            line["unfulfilledQuantity"] = min(line["unfulfilledQuantity"], line["currentQuantity"])
        for variant_id, quantity in edit["added"]:
            order["lineItems"]["nodes"].append(
                self.fake._line(variant_id, quantity, self.shop.prices[variant_id])
            )
        self.fake._recompute(order)
        self.fake._collect(self.shop, order)
        if notifyCustomer:
            # Shopify emails the customer the edited order, with the invoice for any balance.
            # https://shopify.dev/docs/api/admin-graphql/2026-07/mutations/orderEditCommit
            self.shop.invoices_sent.append(order["id"])
        order["updatedAt"] = "2026-11-26T12:00:00Z"
        return {"order": copy.deepcopy(order), "userErrors": []}

    def orderUpdate(self, info, input):
        order = self.shop.orders.get(input["id"])
        if order is None:
            return {"order": None, "userErrors": [{"field": ["id"], "message": "Order not found"}]}
        address = dict(input.get("shippingAddress") or {})
        if "countryCode" in address:
            address["countryCodeV2"] = address.pop("countryCode")
        order["shippingAddress"] = {**order["shippingAddress"], **address}
        return {"order": {"id": order["id"]}, "userErrors": []}

    def fulfillmentOrderHold(self, info, id, fulfillmentHold):
        return holds.hold(self.shop, id, fulfillmentHold)

    def fulfillmentOrderReleaseHold(self, info, id, holdIds=None, externalId=None):
        return holds.release(self.shop, id, holdIds, externalId)

    def tagsAdd(self, info, id, tags):
        # https://shopify.dev/docs/api/admin-graphql/latest/mutations/tagsAdd: a tag the resource has
        # already is not added twice (tags compare without regard to case).
        order = self.shop.orders.get(id)
        if order is None:
            return {"node": None, "userErrors": [{"field": ["id"], "message": "Resource not found"}]}
        have = {tag.casefold() for tag in order["tags"]}
        for tag in tags:
            for part in (item.strip() for item in tag.split(",")):
                if part and part.casefold() not in have:
                    order["tags"].append(part)
                    have.add(part.casefold())
        return {"node": {"__typename": "Order", "id": order["id"]}, "userErrors": []}

    def draftOrderCreate(self, info, input):
        for line in input.get("lineItems") or []:
            if line.get("variantId") not in self.shop.prices:
                return {
                    "draftOrder": None,
                    "userErrors": [{"field": ["lineItems"], "message": "Variant not found"}],
                }
        number = next(_ids)
        draft = {
            "id": f"gid://shopify/DraftOrder/{number}",
            "name": f"#D{number % 100000}",
            "invoiceUrl": f"https://{self.shop.domain}/invoices/{number}",
            "tags": list(input.get("tags") or []),
            "input": input,
        }
        self.shop.drafts.append(draft)
        return {"draftOrder": draft, "userErrors": []}

    def draftOrders(self, info, first=None, query=None, **_):
        tag = (re.match(r"tag:(\S+)", query or "") or [None, None])[1]
        nodes = [d for d in self.shop.drafts if tag is None or tag in d["tags"]][: first or 50]
        return {"nodes": nodes}

    def webhookSubscriptionCreate(self, info, topic, webhookSubscription):
        key = (topic, webhookSubscription.get("uri"))
        if key in self.shop.subscriptions:
            return {
                "webhookSubscription": None,
                "userErrors": [
                    {
                        "field": ["webhookSubscription", "uri"],
                        "message": "Address for this topic has already been taken",
                    }
                ],
            }
        self.shop.subscriptions.append(key)
        return {
            "webhookSubscription": {"id": f"gid://shopify/WebhookSubscription/{next(_ids)}"},
            "userErrors": [],
        }


class _Handler(BaseHTTPRequestHandler):
    server_fake: FakeShopify
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    def _send(self, status: int, body: dict[str, Any] | None = None) -> None:
        data = json.dumps(body or {}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        """The JSONL file of a finished bulk operation (on Shopify: a signed storage URL, no token)."""
        match = re.fullmatch(r"/bulk/(\d+)\.jsonl", self.path)
        data = self.server_fake.bulk_file(match.group(1)) if match else None
        if data is None:
            return self._send(404, {"errors": "Not Found"})
        self.send_response(200)
        self.send_header("Content-Type", "application/jsonl")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        fake = self.server_fake
        length = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(length) or b"{}")
        if fake.latency:
            time.sleep(fake.latency)  # outside the lock: concurrent calls wait side by side, as on Shopify
        match = re.fullmatch(
            r"/shops/([^/]+)/admin/(oauth/access_token|api/([^/]+)/graphql\.json)", self.path
        )
        if not match or match.group(1) not in fake.shops:
            return self._send(404, {"errors": "Not Found"})
        shop = fake.shops[match.group(1)]
        if match.group(2) == "oauth/access_token":
            return self._token(shop, body)
        with fake.lock:
            if not fake.accepts(shop, self.headers.get("X-Shopify-Access-Token")):
                return self._send(401, {"errors": "[API] Invalid API key or access token"})
            if shop.failures:
                return self._send(shop.failures.pop(0), {"errors": "Service unavailable"})
            shop.served += 1
            if shop.fail_every and shop.served % shop.fail_every == 0:
                status = shop.fail_statuses[(shop.served // shop.fail_every) % len(shop.fail_statuses)]
                return self._send(status, {"errors": "Internal Server Error"})
            query = body.get("query", "")
            variables = body.get("variables") or {}
            refused, operation = fake.check(query, variables)
            if refused is not None:
                return self._send(200, refused)
            assert operation is not None
            name, is_mutation, cost = operation
            now = time.monotonic()
            shop.available = min(shop.maximum, shop.available + (now - shop.refilled_at) * shop.restore_rate)
            shop.refilled_at = now
            if cost > MAX_SINGLE_QUERY_COST:
                return self._send(200, self._too_costly(shop, cost))
            if shop.available < cost:
                return self._send(
                    200,
                    {
                        "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
                        "extensions": self._throttle(shop, cost, None),
                    },
                )
            shop.available -= cost
            shop.calls.append(name)
            shop.costs.append((name, cost))
            answer = fake.execute(shop, query, variables)
            # The bucket gets back what the answer did not use.
            document, _errors = _checked(admin_schema(), query)
            assert document is not None
            actual = min(cost, actual_cost(admin_schema(), document, variables, answer.get("data")))
            shop.available = min(shop.maximum, shop.available + cost - actual)
            answer["extensions"] = self._throttle(shop, cost, actual)
            if is_mutation:
                shop.mutations_served += 1
            if is_mutation and shop.lose_answers:
                shop.lose_answers -= 1
                return self._send(504, {"errors": "Gateway Timeout"})
            if is_mutation and shop.lose_every and shop.mutations_served % shop.lose_every == 0:
                return self._send(504, {"errors": "Gateway Timeout"})
        return self._send(200, answer)

    @staticmethod
    def _throttle(shop: Shop, cost: float, actual: float | None) -> dict[str, Any]:
        return {
            "cost": {
                "requestedQueryCost": cost,
                "actualQueryCost": actual,
                "throttleStatus": {
                    "maximumAvailable": shop.maximum,
                    "currentlyAvailable": shop.available,
                    "restoreRate": shop.restore_rate,
                },
            }
        }

    def _too_costly(self, shop: Shop, cost: int) -> dict[str, Any]:
        """A query asking for more points than the bucket holds is refused before it runs, never queued.

        The single query limit is 1,000 points (the bucket of a standard plan):
        https://shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits ("Single query limit").
        """
        limit = MAX_SINGLE_QUERY_COST
        return {
            "errors": [
                {
                    "message": (
                        f"Query cost is {cost}, which exceeds the single query max cost limit ({limit}).\n\n"
                        "See https://shopify.dev/concepts/about-apis/rate-limits for more information on how "
                        "the\ncost of a query is calculated.\n\nTo query larger amounts of data with fewer "
                        "limits, bulk operations should be used instead.\nSee https://shopify.dev/"
                        "tutorials/perform-bulk-operations-with-admin-api for usage details.\n"
                    ),
                    "extensions": {
                        "code": "MAX_COST_EXCEEDED",
                        "cost": cost,
                        "maxCost": limit,
                        "documentation": "https://shopify.dev/api/usage/rate-limits",
                    },
                }
            ],
            "extensions": self._throttle(shop, cost, None),
        }

    def _token(self, shop: Shop, body: dict[str, Any]) -> None:
        """POST /admin/oauth/access_token: the authorisation code, refresh and token-exchange grants.

        https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/offline-access-tokens
        https://shopify.dev/docs/apps/build/authentication-authorization/migrate-to-expiring-offline-access-tokens
        """
        fake = self.server_fake
        if body.get("client_id") != fake.api_key or body.get("client_secret") != fake.api_secret:
            return self._send(400, {"error": "invalid_client"})
        expiring = str(body.get("expiring", "")) == "1"
        grant_type = body.get("grant_type")
        with fake.lock:
            if grant_type == "refresh_token":
                return self._refresh(shop, str(body.get("refresh_token", "")))
            if grant_type == TOKEN_EXCHANGE:
                return self._exchange(shop, body, expiring=expiring)
            domain = fake.codes.pop(str(body.get("code")), None)
            if domain != shop.domain:
                return self._send(400, {"error": "invalid_request"})
            if expiring:
                return self._send(200, fake.issue_expiring(shop.domain))
            # Without `expiring=1`: the legacy non-expiring token.
            shop.access_tokens.setdefault(shop.token, None)
            return self._send(
                200,
                {
                    "access_token": shop.token,
                    "scope": GRANTED_SCOPES,
                },
            )

    def _refresh(self, shop: Shop, refresh_token: str) -> None:
        fake = self.server_fake
        usable = refresh_token and refresh_token in (shop.refresh_token, shop.previous_refresh_token)
        if not usable or fake.now() >= shop.refresh_token_expires_at:
            return self._send(400, {"error": "invalid_grant", "error_description": "refresh token invalid"})
        current = shop.refresh_token
        expires_at = shop.refresh_token_expires_at
        pair = fake.issue_expiring(shop.domain)
        shop.refreshes += 1
        # Using the replacement retires the one before it; a retry of the previous one still works.
        shop.previous_refresh_token = current if refresh_token == current else refresh_token
        # A refresh does not extend the refresh token's own 90 days.
        if refresh_token != current:
            shop.refresh_token_expires_at = expires_at
        shop.migrated.clear()
        pair["refresh_token_expires_in"] = int(shop.refresh_token_expires_at - fake.now())
        return self._send(200, pair)

    def _exchange(self, shop: Shop, body: dict[str, Any], *, expiring: bool) -> None:
        fake = self.server_fake
        subject = str(body.get("subject_token", ""))
        if body.get("subject_token_type") == ID_TOKEN_TYPE:
            return self._exchange_id_token(shop, body, subject, expiring=expiring)
        if (
            not expiring
            or body.get("subject_token_type") != OFFLINE_TOKEN_TYPE
            or body.get("requested_token_type") != OFFLINE_TOKEN_TYPE
        ):
            return self._send(400, {"error": "invalid_request"})
        if subject in shop.migrated:  # a retry with the original token answers the same pair
            return self._send(200, shop.migrated[subject])
        if shop.access_tokens.get(subject, 0.0) is not None:  # only a non-expiring token migrates
            return self._send(400, {"error": "invalid_subject_token"})
        pair = fake.issue_expiring(shop.domain)  # the legacy token stops working
        shop.migrated[subject] = pair
        return self._send(200, pair)

    def _exchange_id_token(self, shop: Shop, body: dict[str, Any], subject: str, *, expiring: bool) -> None:
        """Token exchange with a session token (managed installation and embedded apps).

        The session token must be one Shopify signed for this app and this shop, and still valid;
        otherwise 400 `invalid_subject_token`. It buys an offline token (expiring with `expiring=1`,
        with its refresh token) or an online token for the staff member, with `associated_user`.
          https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/token-exchange
        """
        import jwt  # only the tests and the fake sign tokens

        fake = self.server_fake
        requested = body.get("requested_token_type")
        if requested not in (OFFLINE_TOKEN_TYPE, ONLINE_TOKEN_TYPE):
            return self._send(400, {"error": "invalid_request"})
        invalid = {
            "error": "invalid_subject_token",
            "error_description": "Token exchange cannot be performed due to an invalid subject.",
        }
        try:
            claims = jwt.decode(
                subject,
                fake.api_secret,
                algorithms=["HS256"],
                audience=fake.api_key,
                options={"require": ["exp", "nbf", "aud", "dest", "sub"], "verify_exp": False},
            )
        except jwt.PyJWTError:
            return self._send(400, invalid)
        # Judged by the fake's clock (tests move it), as Shopify judges it by its own.
        if claims["exp"] <= fake.now() or claims["nbf"] > fake.now() + 5:
            return self._send(400, invalid)
        if str(claims["dest"]).removeprefix("https://") != shop.domain:
            return self._send(400, invalid)
        shop.exchanges.append(str(requested))
        if requested == OFFLINE_TOKEN_TYPE:
            if expiring:
                return self._send(200, fake.issue_expiring(shop.domain))
            shop.access_tokens.setdefault(shop.token, None)
            return self._send(200, {"access_token": shop.token, "scope": self._scopes()})
        member = shop.staff.get(str(claims["sub"]))
        if member is None:  # the fake knows only the staff a test added
            return self._send(400, invalid)
        token = f"shpua_{secrets.token_hex(16)}"
        shop.access_tokens[token] = fake.now() + ONLINE_TOKEN_SECONDS
        return self._send(
            200,
            {
                "access_token": token,
                "scope": self._scopes(),
                "expires_in": ONLINE_TOKEN_SECONDS,
                "associated_user_scope": self._scopes(),
                "associated_user": dict(member),
            },
        )

    @staticmethod
    def _scopes() -> str:
        return GRANTED_SCOPES
