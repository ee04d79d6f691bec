"""Every GraphQL document Amend sends to Shopify, validated by the tests against the pinned schema.

Shopify refuses a single query that requests more than 1,000 cost points (MAX_COST_EXCEEDED), and
works out the requested cost before running it: a scalar or enum 0, an object 1, a connection 2 plus
`first` times one node, a mutation 10 (https://shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits).
So an order's line items come a page at a time, and a page of orders is as large as fits: `COSTS`
holds what each document requests at the largest variables Amend sends it (the client waits for
that many points), and tests/platforms/test_shopify_query_cost.py works each out from the schema.
"""

from __future__ import annotations

import re

from cancellations.platforms.shopify import credit_documents
from cancellations.platforms.shopify.edit_documents import (
    ADDABLE_PRODUCTS,
    ADDABLE_PRODUCTS_PAGE,
    ADDABLE_VARIANTS,
    ORDER_EDIT_ADD_VARIANT,
    ORDER_EDIT_BEGIN,
    ORDER_EDIT_COMMIT,
    ORDER_EDIT_SET_QUANTITY,
)

# Shopify's single query limit.
MAX_QUERY_COST = 1000
# What one order of the AmendOrder fragment costs without its line items (the order and its 17
# objects: six money sets of two, two addresses, the customer, the risk and its assessments), and
# one line item of AmendLine (the line, two money sets of two, its variant and product).
ORDER_COST = 18
LINE_COST = 7
CONNECTION_COST = 2
# Lines read with an order; an order with more gets the rest through AmendOrderLines.
ORDER_LINES = 50
# Lines read with each order of a page: most orders have fewer, and the rest follow as above.
PAGE_LINES = 10
LINES_PAGE = 100


def order_cost(lines: int) -> int:
    """What one AmendOrder costs when it reads `lines` line items."""
    return ORDER_COST + CONNECTION_COST + lines * LINE_COST


def orders_page_size(lines: int = PAGE_LINES, budget: int = MAX_QUERY_COST) -> int:
    """The most orders one AmendOrdersPage can ask for within the budget."""
    return max((budget - CONNECTION_COST) // order_cost(lines), 1)


ORDERS_PAGE_SIZE = orders_page_size()

ADDRESS_SELECTION = """
  firstName
  lastName
  company
  address1
  address2
  city
  provinceCode
  zip
  countryCodeV2
  phone
"""

# What Amend reads of an order, but its line items: shared by the AmendOrder fragment and the bulk export.
ORDER_SELECTION = (
    """
  id
  name
  number
  email
  customerLocale
  customer { id }
  createdAt
  processedAt
  updatedAt
  cancelledAt
  cancelReason
  currencyCode
  displayFinancialStatus
  displayFulfillmentStatus
  tags
  discountCodes
  paymentGatewayNames
  currentSubtotalPriceSet { shopMoney { amount } }
  currentShippingPriceSet { shopMoney { amount } }
  currentTotalTaxSet { shopMoney { amount } }
  currentTotalDiscountsSet { shopMoney { amount } }
  currentTotalPriceSet { shopMoney { amount } }
  totalRefundedSet { shopMoney { amount } }
  risk { recommendation assessments { riskLevel } }
  shippingAddress {"""
    + ADDRESS_SELECTION
    + """  }
  billingAddress {"""
    + ADDRESS_SELECTION
    + """  }
"""
)

LINE_SELECTION = """
  id
  title
  variantTitle
  sku
  quantity
  currentQuantity
  unfulfilledQuantity
  originalUnitPriceSet { shopMoney { amount } }
  totalDiscountSet { shopMoney { amount } }
  variant { id }
  product { id productType tags }
"""

ORDER_FIELDS = (
    """
fragment AmendOrder on Order {"""
    + ORDER_SELECTION
    + """  lineItems(first: $lines) {
    pageInfo { hasNextPage endCursor }
    nodes { ...AmendLine }
  }
}
"""
)

LINE_FIELDS = "\nfragment AmendLine on LineItem {" + LINE_SELECTION + "}\n"

FETCH_ORDER = (
    """
query AmendFetchOrder($id: ID!, $lines: Int!) {
  order(id: $id) { ...AmendOrder }
}
"""
    + ORDER_FIELDS
    + LINE_FIELDS
)

# The line items of an order past the first page.
ORDER_LINES_PAGE = (
    """
query AmendOrderLines($id: ID!, $first: Int!, $after: String) {
  order(id: $id) {
    id
    lineItems(first: $first, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes { ...AmendLine }
    }
  }
}
"""
    + LINE_FIELDS
)

# Recent orders, oldest first, a page at a time: the backfill after install and the resync command.
ORDERS_PAGE = (
    """
query AmendOrdersPage($first: Int!, $lines: Int!, $after: String, $query: String) {
  orders(first: $first, after: $after, query: $query, sortKey: CREATED_AT) {
    pageInfo { hasNextPage endCursor }
    nodes { ...AmendOrder }
  }
}
"""
    + ORDER_FIELDS
    + LINE_FIELDS
)

ORDER_CANCEL = """
mutation AmendOrderCancel(
  $orderId: ID!
  $reason: OrderCancelReason!
  $refundMethod: OrderCancelRefundMethodInput
  $restock: Boolean!
  $notifyCustomer: Boolean
  $staffNote: String
) {
  orderCancel(
    orderId: $orderId
    reason: $reason
    refundMethod: $refundMethod
    restock: $restock
    notifyCustomer: $notifyCustomer
    staffNote: $staffNote
  ) {
    job { id done }
    orderCancelUserErrors { code field message }
  }
}
"""

# What a cancelled order has left to refund, and how Shopify would pay it back: every line and the
# shipping (`suggestFullRefund`), as transactions on the original payments or as store credit.
# https://shopify.dev/docs/api/admin-graphql/2026-07/objects/SuggestedRefund
SUGGESTED_REFUND = """
query AmendSuggestedRefund($id: ID!, $allocation: RefundMethodAllocation!) {
  order(id: $id) {
    id
    cancelledAt
    displayFinancialStatus
    totalRefundedSet { shopMoney { amount } }
    suggestedRefund(suggestFullRefund: true, refundShipping: true, refundMethodAllocation: $allocation) {
      maximumRefundableSet { shopMoney { amount currencyCode } }
      suggestedTransactions {
        gateway
        kind
        amountSet { shopMoney { amount } }
        maximumRefundableSet { shopMoney { amount } }
        parentTransaction { id }
      }
      suggestedRefundMethods {
        amount { shopMoney { amount } }
        maximumRefundable { shopMoney { amount } }
      }
    }
  }
}
"""

# A refund of money only (the cancel restocked already). From 2026-04 Shopify requires an idempotency
# key on refundCreate: a repeat with the same key answers the first refund instead of refunding again.
# https://shopify.dev/docs/api/admin-graphql/2026-07/mutations/refundCreate
# https://shopify.dev/docs/api/usage/idempotent-requests
REFUND_CREATE = """
mutation AmendRefundCreate($input: RefundInput!, $idempotencyKey: String!) {
  refundCreate(input: $input) @idempotent(key: $idempotencyKey) {
    refund { id totalRefundedSet { shopMoney { amount } } }
    order { id displayFinancialStatus totalRefundedSet { shopMoney { amount } } }
    userErrors { field message }
  }
}
"""

JOB = """
query AmendJob($id: ID!) {
  job(id: $id) { id done }
}
"""

ORDER_UPDATE_ADDRESS = """
mutation AmendOrderUpdateAddress($input: OrderInput!) {
  orderUpdate(input: $input) {
    order { id }
    userErrors { field message }
  }
}
"""

# Adding a tag an order has already is a no-op on Shopify, so a repeated call is harmless.
# https://shopify.dev/docs/api/admin-graphql/latest/mutations/tagsAdd
TAGS_ADD = """
mutation AmendTagsAdd($id: ID!, $tags: [String!]!) {
  tagsAdd(id: $id, tags: $tags) {
    node { id }
    userErrors { field message }
  }
}
"""

# Holding fulfilment while the change window is open: an order's open fulfilment orders with what
# can be done to them and their holds, a hold with Amend's handle, a release of the holds by id.
# https://shopify.dev/docs/api/admin-graphql/2026-07/mutations/fulfillmentOrderHold
# https://shopify.dev/docs/api/admin-graphql/2026-07/mutations/fulfillmentOrderReleaseHold
# https://shopify.dev/docs/api/admin-graphql/2026-07/objects/FulfillmentHold
FULFILLMENT_ORDERS_PAGE = 20
FULFILLMENT_ORDERS = f"""
query AmendFulfillmentOrders($id: ID!) {{
  order(id: $id) {{
    id
    fulfillmentOrders(first: {FULFILLMENT_ORDERS_PAGE}) {{
      nodes {{
        id
        status
        supportedActions {{ action }}
        fulfillmentHolds {{ id handle heldByRequestingApp }}
      }}
    }}
  }}
}}
"""

FULFILLMENT_ORDER_HOLD = """
mutation AmendFulfillmentOrderHold($id: ID!, $hold: FulfillmentOrderHoldInput!) {
  fulfillmentOrderHold(id: $id, fulfillmentHold: $hold) {
    fulfillmentHold { id handle }
    fulfillmentOrder { id status }
    userErrors { field message code }
  }
}
"""

FULFILLMENT_ORDER_RELEASE_HOLD = """
mutation AmendFulfillmentOrderReleaseHold($id: ID!, $holdIds: [ID!]) {
  fulfillmentOrderReleaseHold(id: $id, holdIds: $holdIds) {
    fulfillmentOrder { id status }
    userErrors { field message code }
  }
}
"""

DRAFT_ORDER_CREATE = """
mutation AmendDraftOrderCreate($input: DraftOrderInput!) {
  draftOrderCreate(input: $input) {
    draftOrder { id name invoiceUrl }
    userErrors { field message }
  }
}
"""

DRAFT_ORDERS_BY_TAG = """
query AmendDraftOrdersByTag($query: String!) {
  draftOrders(first: 1, query: $query) { nodes { id name invoiceUrl } }
}
"""

WEBHOOK_SUBSCRIPTION_CREATE = """
mutation AmendWebhookSubscriptionCreate($topic: WebhookSubscriptionTopic!, $uri: String!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: {uri: $uri, format: JSON}) {
    webhookSubscription { id }
    userErrors { field message }
  }
}
"""

# Bulk cancellation looks whether Shopify has finished many cancels with one query: one aliased `order`
# per slot, a slot left unused when its `$iN` is false (Shopify charges about one point per order).
BULK_CANCEL_STATUS_SLOTS = 25
CANCEL_STATUS_FIELDS = """
fragment AmendCancelStatus on Order {
  id
  cancelledAt
  cancelReason
  displayFinancialStatus
  updatedAt
}
"""
BULK_CANCEL_STATUS = (
    "query AmendBulkCancelStatus("
    + ", ".join(f"$o{n}: ID!, $i{n}: Boolean!" for n in range(BULK_CANCEL_STATUS_SLOTS))
    + ") {\n"
    + "".join(
        f"  o{n}: order(id: $o{n}) @include(if: $i{n}) {{ ...AmendCancelStatus }}\n"
        for n in range(BULK_CANCEL_STATUS_SLOTS)
    )
    + "}\n"
    + CANCEL_STATUS_FIELDS
)

# A store's order history, exported by Shopify in the background as one JSONL file: each order a line,
# each of its line items a line of its own naming the order in `__parentId`.
# https://shopify.dev/docs/apps/build/apis/graphql-admin/bulk-operations/queries
BULK_ORDERS_START = """
mutation AmendBulkOrders($query: String!) {
  bulkOperationRunQuery(query: $query) {
    bulkOperation { id status }
    userErrors { field message code }
  }
}
"""

BULK_OPERATION = """
query AmendBulkOperation($id: ID!) {
  bulkOperation(id: $id) { id status errorCode objectCount rootObjectCount url partialDataUrl }
}
"""


def bulk_orders_query(search: str) -> str:
    """The query the bulk export runs: every order matching Shopify's search syntax, with its lines.

    A bulk query takes no variables and its connections no `first`; it is validated by Shopify
    (and by the tests) like any document.
    """
    return (
        "{\n  orders(query: "
        + _graphql_string(search)
        + ", sortKey: CREATED_AT) {\n    edges {\n      node {"
        + ORDER_SELECTION
        + "        lineItems {\n          edges {\n            node {"
        + LINE_SELECTION
        + "            }\n          }\n        }\n      }\n    }\n  }\n}\n"
    )


def _graphql_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


DOCUMENTS: dict[str, str] = {
    "AmendFetchOrder": FETCH_ORDER,
    "AmendOrderLines": ORDER_LINES_PAGE,
    "AmendOrdersPage": ORDERS_PAGE,
    "AmendOrderCancel": ORDER_CANCEL,
    "AmendJob": JOB,
    "AmendSuggestedRefund": SUGGESTED_REFUND,
    "AmendRefundCreate": REFUND_CREATE,
    "AmendAddableProducts": ADDABLE_PRODUCTS,
    "AmendOrderEditBegin": ORDER_EDIT_BEGIN,
    "AmendOrderEditSetQuantity": ORDER_EDIT_SET_QUANTITY,
    "AmendOrderEditAddVariant": ORDER_EDIT_ADD_VARIANT,
    "AmendOrderEditCommit": ORDER_EDIT_COMMIT,
    "AmendOrderUpdateAddress": ORDER_UPDATE_ADDRESS,
    "AmendTagsAdd": TAGS_ADD,
    "AmendFulfillmentOrders": FULFILLMENT_ORDERS,
    "AmendFulfillmentOrderHold": FULFILLMENT_ORDER_HOLD,
    "AmendFulfillmentOrderReleaseHold": FULFILLMENT_ORDER_RELEASE_HOLD,
    "AmendDraftOrderCreate": DRAFT_ORDER_CREATE,
    "AmendDraftOrdersByTag": DRAFT_ORDERS_BY_TAG,
    "AmendWebhookSubscriptionCreate": WEBHOOK_SUBSCRIPTION_CREATE,
    "AmendBulkCancelStatus": BULK_CANCEL_STATUS,
    "AmendBulkOrders": BULK_ORDERS_START,
    "AmendBulkOperation": BULK_OPERATION,
    **credit_documents.DOCUMENTS,
}

# The largest variables Amend sends each document with, for the cost of what it may request.
LARGEST_VARIABLES: dict[str, dict[str, object]] = {
    "AmendAddableProducts": {"first": ADDABLE_PRODUCTS_PAGE},
    "AmendFetchOrder": {"lines": ORDER_LINES},
    "AmendOrderLines": {"first": LINES_PAGE},
    "AmendOrdersPage": {"first": ORDERS_PAGE_SIZE, "lines": PAGE_LINES},
    "AmendBulkCancelStatus": {f"i{n}": True for n in range(BULK_CANCEL_STATUS_SLOTS)},
}

# What each document requests at those variables (checked against the schema by the tests).
COSTS: dict[str, int] = {
    "AmendFetchOrder": order_cost(ORDER_LINES),
    "AmendOrderLines": 1 + CONNECTION_COST + LINES_PAGE * LINE_COST,
    "AmendOrdersPage": CONNECTION_COST + ORDERS_PAGE_SIZE * order_cost(PAGE_LINES),
    "AmendOrderCancel": 12,
    "AmendJob": 1,
    "AmendSuggestedRefund": 17,
    "AmendRefundCreate": 17,
    "AmendAddableProducts": CONNECTION_COST
    + ADDABLE_PRODUCTS_PAGE * (1 + CONNECTION_COST + ADDABLE_VARIANTS),
    "AmendOrderEditBegin": 514,
    "AmendOrderEditSetQuantity": 12,
    "AmendOrderEditAddVariant": 12,
    "AmendOrderEditCommit": 17,
    "AmendOrderUpdateAddress": 12,
    "AmendTagsAdd": 12,
    "AmendFulfillmentOrders": 1 + CONNECTION_COST + FULFILLMENT_ORDERS_PAGE * 3,
    "AmendFulfillmentOrderHold": 13,
    "AmendFulfillmentOrderReleaseHold": 12,
    "AmendDraftOrderCreate": 12,
    "AmendDraftOrdersByTag": 3,
    "AmendWebhookSubscriptionCreate": 12,
    "AmendBulkCancelStatus": BULK_CANCEL_STATUS_SLOTS,
    "AmendBulkOrders": 12,
    "AmendBulkOperation": 1,
    **credit_documents.COSTS,
}

_OPERATION = re.compile(r"\b(?:query|mutation)\s+(\w+)")


def operation_name(document: str) -> str:
    match = _OPERATION.search(document)
    return match.group(1) if match else ""


def requested_cost(document: str) -> int:
    """The points a document of ours may request (what the client waits for before sending it)."""
    return COSTS.get(operation_name(document), 10)
