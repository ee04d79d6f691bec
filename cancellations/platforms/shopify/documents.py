"""Every GraphQL document Amend sends to Shopify, validated by the tests against the pinned schema."""

from __future__ import annotations

ADDRESS_FIELDS = """
fragment AmendAddress on MailingAddress {
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
}
"""

ORDER_FIELDS = """
fragment AmendOrder on Order {
  id
  name
  number
  email
  customerLocale
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
  shippingAddress { ...AmendAddress }
  billingAddress { ...AmendAddress }
  lineItems(first: 250) {
    nodes {
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
    }
  }
}
"""

FETCH_ORDER = (
    """
query AmendFetchOrder($id: ID!) {
  order(id: $id) { ...AmendOrder }
}
"""
    + ORDER_FIELDS
    + ADDRESS_FIELDS
)

# Recent orders, oldest first, a page at a time: the backfill after install and the resync command.
ORDERS_PAGE = (
    """
query AmendOrdersPage($first: Int!, $after: String, $query: String) {
  orders(first: $first, after: $after, query: $query, sortKey: CREATED_AT) {
    pageInfo { hasNextPage endCursor }
    nodes { ...AmendOrder }
  }
}
"""
    + ORDER_FIELDS
    + ADDRESS_FIELDS
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

JOB = """
query AmendJob($id: ID!) {
  job(id: $id) { id done }
}
"""

ORDER_EDIT_BEGIN = """
mutation AmendOrderEditBegin($id: ID!) {
  orderEditBegin(id: $id) {
    calculatedOrder {
      id
      lineItems(first: 250) { nodes { id quantity variant { id } } }
    }
    userErrors { field message }
  }
}
"""

ORDER_EDIT_SET_QUANTITY = """
mutation AmendOrderEditSetQuantity($id: ID!, $lineItemId: ID!, $quantity: Int!, $restock: Boolean) {
  orderEditSetQuantity(id: $id, lineItemId: $lineItemId, quantity: $quantity, restock: $restock) {
    calculatedLineItem { id quantity }
    userErrors { field message }
  }
}
"""

ORDER_EDIT_ADD_VARIANT = """
mutation AmendOrderEditAddVariant($id: ID!, $variantId: ID!, $quantity: Int!) {
  orderEditAddVariant(id: $id, variantId: $variantId, quantity: $quantity, allowDuplicates: true) {
    calculatedLineItem { id quantity }
    userErrors { field message }
  }
}
"""

ORDER_EDIT_COMMIT = """
mutation AmendOrderEditCommit($id: ID!, $notifyCustomer: Boolean, $staffNote: String) {
  orderEditCommit(id: $id, notifyCustomer: $notifyCustomer, staffNote: $staffNote) {
    order { id currentTotalPriceSet { shopMoney { amount } } totalOutstandingSet { shopMoney { amount } } }
    userErrors { field message }
  }
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

DRAFT_ORDER_CREATE = """
mutation AmendDraftOrderCreate($input: DraftOrderInput!) {
  draftOrderCreate(input: $input) {
    draftOrder { id invoiceUrl }
    userErrors { field message }
  }
}
"""

DRAFT_ORDERS_BY_TAG = """
query AmendDraftOrdersByTag($query: String!) {
  draftOrders(first: 1, query: $query) { nodes { id invoiceUrl } }
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

DOCUMENTS: dict[str, str] = {
    "AmendFetchOrder": FETCH_ORDER,
    "AmendOrdersPage": ORDERS_PAGE,
    "AmendOrderCancel": ORDER_CANCEL,
    "AmendJob": JOB,
    "AmendOrderEditBegin": ORDER_EDIT_BEGIN,
    "AmendOrderEditSetQuantity": ORDER_EDIT_SET_QUANTITY,
    "AmendOrderEditAddVariant": ORDER_EDIT_ADD_VARIANT,
    "AmendOrderEditCommit": ORDER_EDIT_COMMIT,
    "AmendOrderUpdateAddress": ORDER_UPDATE_ADDRESS,
    "AmendTagsAdd": TAGS_ADD,
    "AmendDraftOrderCreate": DRAFT_ORDER_CREATE,
    "AmendDraftOrdersByTag": DRAFT_ORDERS_BY_TAG,
    "AmendWebhookSubscriptionCreate": WEBHOOK_SUBSCRIPTION_CREATE,
    "AmendBulkCancelStatus": BULK_CANCEL_STATUS,
}
