"""The JSON endpoints of Amend's Shopify extensions: session-token authentication, CORS, the order answers."""
