"""Shopify: the Admin GraphQL API (a pinned version), OAuth install, signed webhooks."""
