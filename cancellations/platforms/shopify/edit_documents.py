"""The GraphQL documents of an order edit: the products a customer may add, and the edit session
(begin, set a quantity, add a variant, commit). `documents.DOCUMENTS` and `documents.COSTS` list them
with every other document."""

from __future__ import annotations

# The products a customer may add to an order: active ones with the store's tag, each with its first
# variants (price and stock), a page small enough to stay far under the single-query limit.
# https://shopify.dev/docs/api/admin-graphql/2026-07/queries/products
ADDABLE_PRODUCTS_PAGE = 20
ADDABLE_VARIANTS = 10
ADDABLE_PRODUCTS = """
query AmendAddableProducts($query: String!, $first: Int!) {
  products(first: $first, query: $query) {
    nodes {
      id
      title
      handle
      productType
      tags
      status
      updatedAt
      variants(first: 10) {
        nodes { id title sku price inventoryQuantity availableForSale position }
      }
    }
  }
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

# With notifyCustomer, Shopify emails the customer the edited order and, when the edit leaves a balance,
# the invoice to pay it; `additionalPaymentCollectionUrl` is where that balance is paid.
# https://shopify.dev/docs/api/admin-graphql/2026-07/mutations/orderEditCommit
# https://shopify.dev/docs/api/admin-graphql/2026-07/objects/OrderPaymentCollectionDetails
ORDER_EDIT_COMMIT = """
mutation AmendOrderEditCommit($id: ID!, $notifyCustomer: Boolean, $staffNote: String) {
  orderEditCommit(id: $id, notifyCustomer: $notifyCustomer, staffNote: $staffNote) {
    order {
      id
      currentTotalPriceSet { shopMoney { amount } }
      totalOutstandingSet { shopMoney { amount } }
      paymentCollectionDetails { additionalPaymentCollectionUrl }
    }
    userErrors { field message }
  }
}
"""
