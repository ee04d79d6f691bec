"""Who calls from Amend's Shopify extensions: a signed-in customer of one store, by Shopify's session token.

The customer account and thank-you page extensions send `Authorization: Bearer <session token>`
(`shopify.sessionToken.get()`). The token is verified in one place (`verify_session_token`: HS256 with
the app secret, `aud` our client id, `exp`/`nbf` with a little leeway, `dest`/`iss` one shop); its shop
must be a Shopify store Amend serves, and its `sub` must name a customer. Anything else is a 401 in
the API's one error shape, never a fall back to a session or to anonymous.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request

from cancellations.platforms.errors import PlatformErrorCode
from cancellations.platforms.shopify.session_tokens import (
    CUSTOMER_GID,
    InvalidSessionToken,
    SessionToken,
    bearer_token,
    verify_session_token,
)
from tenants.models import Platform, Store


@dataclass(frozen=True)
class ShopifyCustomer:
    """`request.user` for an extension call: a store's customer as Shopify knows them, not an Amend user."""

    store: Store
    customer_id: str  # gid://shopify/Customer/<n>, as Order.customer_id holds it
    token: SessionToken
    pk: None = None
    is_authenticated: bool = True
    is_anonymous: bool = False
    is_active: bool = True
    is_staff: bool = False
    is_superuser: bool = False

    @property
    def caller(self) -> str:
        """A short stable name of the customer within their store, for idempotency keys (at most 40)."""
        return f"shopify:{self.token.customer_id}"[:40]

    def __str__(self) -> str:
        return self.customer_id


def _refuse(detail: str) -> exceptions.AuthenticationFailed:
    return exceptions.AuthenticationFailed(detail, code=PlatformErrorCode.SESSION_TOKEN_INVALID)


class ShopifySessionTokenAuthentication(BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[ShopifyCustomer, SessionToken]:
        raw = bearer_token(request.META.get("HTTP_AUTHORIZATION", ""))
        if not raw:
            raise _refuse(_("Send the Shopify session token as Authorization: Bearer <token>."))
        try:
            token = verify_session_token(raw)
        except InvalidSessionToken:
            raise _refuse(_("The session token is not valid.")) from None
        store = Store.objects.filter(platform=Platform.SHOPIFY, platform_domain=token.shop).first()
        if store is None:
            raise _refuse(_("The session token is for a shop Amend does not serve."))
        if not token.customer_id:
            raise _refuse(_("The session token names no signed-in customer."))
        customer = ShopifyCustomer(store=store, customer_id=f"{CUSTOMER_GID}{token.customer_id}", token=token)
        return customer, token

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="shopify-extension"'
