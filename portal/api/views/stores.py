"""REST API v1: stores, orders and the store's policy."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cancellations.models import Order
from cancellations.orders.access import access_order
from cancellations.policy import StorePolicy
from cancellations.policy.errors import PolicyDataError, PolicyInvalid
from cancellations.policy.services import current_policy, save_policy
from portal.api.auth import request_token
from portal.api.base import StoreScopedAPIView
from portal.api.errors import error_body
from portal.api.pagination import PAGE_PARAMETERS, ApiCursorPagination, paginate
from portal.api.serializers.common import (
    OrderFilterSerializer,
    OrderSerializer,
    PolicyInputSerializer,
    PolicySerializer,
    StoreSerializer,
    page_of,
)
from tenants.access import needs_mfa, staff_access, stores_for_staff
from tenants.errors import CommonErrorCode
from tenants.models import Store
from tenants.roles import Scope
from tenants.tokens import TokenAccess, stores_for_token, token_access


@csrf_exempt  # it changes nothing: a POST with a token (no CSRF cookie) gets the JSON 404 too
def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """A path under /api/v1/ that names nothing, for any method: the one error shape, not an HTML page."""
    return JsonResponse(error_body("not_found", CommonErrorCode.NOT_FOUND, str(_("Not found."))), status=404)


class StoreListView(APIView):
    """The stores the caller reaches: a store token's own store, an agency's granted stores, or staff's."""

    @extend_schema(
        operation_id="stores_list",
        parameters=PAGE_PARAMETERS,
        responses={200: page_of(StoreSerializer)},
        tags=["stores"],
    )
    def get(self, request: Request) -> Response:
        token = request_token(request)
        if token is not None:
            stores = stores_for_token(token)
        else:
            # A store that requires two-factor authentication is left out until the person has set it up.
            user = request.user
            reachable = [s.pk for s in stores_for_staff(user) if not needs_mfa(user=user, store=s)]
            stores = Store.objects.filter(pk__in=reachable)
        paginator = ApiCursorPagination(("name", "id"))
        page = paginator.paginate_queryset(stores, request, view=self)
        assert page is not None  # None only without a page size, and this paginator always has one
        if token is not None:
            access: dict[int, Any] = {store.pk: token_access(token=token, store=store) for store in page}
        else:
            access = {store.pk: staff_access(user=request.user, store=store) for store in page}
        data = StoreSerializer(page, many=True, context={"access": access}).data
        return paginator.get_paginated_response(data)


class StoreDetailView(StoreScopedAPIView):
    required_scopes = {"GET": Scope.ORDERS_READ}

    @extend_schema(operation_id="stores_retrieve", responses={200: StoreSerializer}, tags=["stores"])
    def get(self, request: Request) -> Response:
        return Response(StoreSerializer(self.store, context={"access": {self.store.pk: self.access}}).data)


class OrderListView(StoreScopedAPIView):
    required_scopes = {"GET": Scope.ORDERS_READ}

    @extend_schema(
        operation_id="orders_list",
        parameters=[OrderFilterSerializer, *PAGE_PARAMETERS],
        responses={200: page_of(OrderSerializer)},
        tags=["orders"],
    )
    def get(self, request: Request) -> Response:
        filters = OrderFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        given = filters.validated_data
        orders = Order.objects.for_store(self.store).prefetch_related("line_items")
        if given.get("status") == "open":
            orders = orders.filter(cancelled_at__isnull=True)
        elif given.get("status") == "cancelled":
            orders = orders.filter(cancelled_at__isnull=False)
        for name in ("financial_status", "fulfillment_status"):
            if name in given:
                orders = orders.filter(**{name: given[name]})
        if "placed_after" in given:
            orders = orders.filter(placed_at__gte=given["placed_after"])
        if "placed_before" in given:
            orders = orders.filter(placed_at__lt=given["placed_before"])
        if "email" in given:
            orders = orders.filter(email=given["email"].lower())
        if "name" in given:
            orders = orders.filter(name__iexact=given["name"].strip())
        return paginate(request, orders, OrderSerializer, ordering=("-placed_at", "-id"), view=self)


class OrderDetailView(StoreScopedAPIView):
    required_scopes = {"GET": Scope.ORDERS_READ}

    @extend_schema(operation_id="orders_retrieve", responses={200: OrderSerializer}, tags=["orders"])
    def get(self, request: Request, order_id: int) -> Response:
        return Response(OrderSerializer(access_order(store=self.store, order_id=order_id)).data)


class PolicyView(StoreScopedAPIView):
    """The store's policy: read it, or save a new version with the same checks as the policy page."""

    required_scopes = {"GET": Scope.ORDERS_READ, "PUT": Scope.POLICY_WRITE}

    def _answer(self, status: int = 200) -> Response:
        policy, version = current_policy(store=self.store)
        return Response({"version": version, "policy": policy.to_dict()}, status=status)

    @extend_schema(operation_id="policy_retrieve", responses={200: PolicySerializer}, tags=["policy"])
    def get(self, request: Request) -> Response:
        return self._answer()

    @extend_schema(
        operation_id="policy_update",
        request=PolicyInputSerializer,
        responses={200: PolicySerializer},
        tags=["policy"],
    )
    def put(self, request: Request) -> Response:
        given = PolicyInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        try:
            policy = StorePolicy.from_dict(given.validated_data["policy"])
        except PolicyDataError as error:
            error.field = f"policy.{error.field}" if error.field else "policy"
            raise
        user = None if isinstance(self.access, TokenAccess) else self.access.user
        try:
            save_policy(store=self.store, actor=user, policy=policy)
        except PolicyInvalid as error:
            # Field paths are named from the request body, which holds the policy under "policy".
            raise PolicyInvalid([replace(e, field=f"policy.{e.field}") for e in error.errors]) from None
        return self._answer()
