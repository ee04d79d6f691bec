"""The JSON endpoints Amend's Shopify extensions call (/api/v1/shopify/extension/).

Every call carries the customer's Shopify session token; the store is the token's shop and the order
must be one the token's customer placed there (`access_order_for_platform_customer`): another
customer's order, or another store's, is a 404. Orders are named by Shopify's numeric order id (the
number at the end of the extension's `gid://shopify/Order/<id>`). A cancel goes through the same
`submit_request` as the portal's, once per `Idempotency-Key`. These endpoints are the extensions' own,
so they are left out of the public OpenAPI description.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cancellations.models import Order, RequestKind
from cancellations.orders.access import access_order_for_platform_customer
from cancellations.policy import Outcome, refund_summary
from cancellations.policy.errors import PolicyInvalid
from cancellations.policy.services import current_policy
from cancellations.policy.validation import MAX_REASON_TEXT, reason_errors
from cancellations.requests.actors import Actor
from cancellations.requests.errors import ActionNotAvailable
from cancellations.requests.submission import preview_action, submit_request
from portal.api import idempotency
from portal.api.extension.auth import ShopifyCustomer, ShopifySessionTokenAuthentication
from portal.api.extension.cors import add_cors_headers, preflight
from portal.api.extension.payloads import (
    order_payload,
    refundable,
    submitted_payload,
    thank_you_payload,
)
from portal.api.throttling import CallerRateThrottle
from portal.models import IdempotencyRecord
from tenants.models import Store

SHOPIFY_ORDER_GID = "gid://shopify/Order/"


class ExtensionRateThrottle(CallerRateThrottle):
    """The API's rate limit, counted per customer of a store rather than per token."""

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        user = request.user
        return f"api-throttle:{user.store.pk}:{user.caller}" if isinstance(user, ShopifyCustomer) else None


class CancelInputSerializer(serializers.Serializer[Any]):
    reason_code = serializers.CharField(required=False, allow_blank=True, max_length=100, default="")
    reason_text = serializers.CharField(
        required=False, allow_blank=True, max_length=MAX_REASON_TEXT, default="", trim_whitespace=True
    )
    refund_method = serializers.CharField(required=False, allow_blank=True, max_length=20, default="")


@extend_schema(exclude=True)
class ExtensionView(APIView):
    """A call from the extensions: a verified customer's session token, CORS for their origin only."""

    authentication_classes = [ShopifySessionTokenAuthentication]
    permission_classes = [IsAuthenticated]
    throttle_classes = [ExtensionRateThrottle]
    customer: ShopifyCustomer
    store: Store
    _idempotency: IdempotencyRecord | None = None

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.method == "OPTIONS":
            # A browser's preflight carries no Authorization header: answer it before authentication.
            return preflight(request)
        return super().dispatch(request, *args, **kwargs)

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        assert isinstance(request.user, ShopifyCustomer)  # the only authentication class gives one
        self.customer = request.user
        self.store = request.user.store
        if request.method == "POST":
            caller = self.customer.caller
            self._idempotency = idempotency.claim(store=self.store, actor=caller, request=request)

    def order(self, shopify_order_id: int) -> Order:
        order = access_order_for_platform_customer(
            store=self.store,
            customer_id=self.customer.customer_id,
            platform_id=f"{SHOPIFY_ORDER_GID}{shopify_order_id}",
        )
        order.store = self.store
        return order

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, idempotency.IdempotentReplay):
            return exc.response
        if self._idempotency is not None:
            idempotency.release(self._idempotency)  # nothing was done: the key may be used again
            self._idempotency = None
        return super().handle_exception(exc)

    def finalize_response(self, request: Request, response: Response, *args: Any, **kwargs: Any) -> Response:
        if self._idempotency is not None and isinstance(response, Response):
            idempotency.settle(self._idempotency, response)
            self._idempotency = None
        add_cors_headers(request, response)
        return super().finalize_response(request, response, *args, **kwargs)


class OrderView(ExtensionView):
    """GET: what the customer may do with the order now, until when, the cancel reasons and refund."""

    def get(self, request: Request, shopify_order_id: int) -> Response:
        order = self.order(shopify_order_id)
        policy, _version = current_policy(store=self.store)
        reason = str(request.query_params.get("reason", ""))[:100] or None
        if reason is not None and reason not in policy.reasons.codes:
            reason = None
        return Response(order_payload(store=self.store, order=order, policy=policy, reason=reason))


class CancelView(ExtensionView):
    """POST: cancel the order with a reason, decided by the store's policy as in the portal."""

    def post(self, request: Request, shopify_order_id: int) -> Response:
        order = self.order(shopify_order_id)
        given = CancelInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        code, text = data["reason_code"], data["reason_text"]
        policy, _version = current_policy(store=self.store)
        errors = reason_errors(policy, code=code, text=text)
        if errors:
            raise PolicyInvalid(errors)
        decision = preview_action(store=self.store, order=order, kind="cancel", reason_code=code or None)
        if decision.outcome == Outcome.NOT_ALLOWED:
            reasons = "; ".join(reason.message for reason in decision.reasons)
            raise ActionNotAvailable(reasons or _("This order can no longer be cancelled here."))
        summary = refund_summary(
            policy, refundable=refundable(order), reason=code or None, choice=data["refund_method"] or None
        )
        header_key = request.headers.get(idempotency.HEADER, "").strip()
        # The service's own key makes one request per customer and key, even without the replay table.
        key = f"shopify-ext:{self.customer.caller}:{header_key or uuid.uuid4().hex}"
        made = submit_request(
            store=self.store,
            order=order,
            actor=Actor.customer(order.email),
            kind=RequestKind.CANCEL,
            idempotency_key=key[:200],
            reason_code=code,
            reason_text=text,
            refund_method=summary.method.value,
        )
        return Response({"request": submitted_payload(made), "refund": summary.to_dict()}, status=201)


class ThankYouView(ExtensionView):
    """GET: until when the order just placed can still be changed (the thank-you page block)."""

    def get(self, request: Request, shopify_order_id: int) -> Response:
        order = self.order(shopify_order_id)
        policy, _version = current_policy(store=self.store)
        return Response(thank_you_payload(store=self.store, order=order, policy=policy))
