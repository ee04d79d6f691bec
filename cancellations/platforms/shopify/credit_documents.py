"""The GraphQL documents of store credit (listed with every other in documents.DOCUMENTS)."""

# The store-credit bonus: a credit to the customer's account in the order's currency (Shopify opens
# the account when the customer has none in it). Needs write_store_credit_account_transactions.
# https://shopify.dev/docs/api/admin-graphql/2026-07/mutations/storeCreditAccountCredit
# https://shopify.dev/docs/api/admin-graphql/2026-07/input-objects/StoreCreditAccountCreditInput
STORE_CREDIT_CREDIT = """
mutation AmendStoreCreditCredit($id: ID!, $creditInput: StoreCreditAccountCreditInput!) {
  storeCreditAccountCredit(id: $id, creditInput: $creditInput) {
    storeCreditAccountTransaction {
      id
      amount { amount currencyCode }
      account { id }
    }
    userErrors { code field message }
  }
}
"""

# A customer's newest store-credit credits in one currency: what a retry after a lost answer looks at
# before crediting again (storeCreditAccountCredit takes no idempotency key).
# https://shopify.dev/docs/api/admin-graphql/2026-07/objects/Customer#field-storeCreditAccounts
# https://shopify.dev/docs/api/admin-graphql/2026-07/objects/StoreCreditAccount
STORE_CREDIT_RECENT = """
query AmendStoreCreditRecent($id: ID!, $currency: String!) {
  customer(id: $id) {
    id
    storeCreditAccounts(first: 1, query: $currency) {
      nodes {
        id
        transactions(first: 10, reverse: true, query: "type:credit") {
          nodes {
            ... on StoreCreditAccountCreditTransaction { id amount { amount currencyCode } }
          }
        }
      }
    }
  }
}
"""

DOCUMENTS: dict[str, str] = {
    "AmendStoreCreditCredit": STORE_CREDIT_CREDIT,
    "AmendStoreCreditRecent": STORE_CREDIT_RECENT,
}
# What each requests (tests/platforms/test_shopify_query_cost.py works them out from the schema).
COSTS: dict[str, int] = {"AmendStoreCreditCredit": 14, "AmendStoreCreditRecent": 26}
