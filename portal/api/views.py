"""REST API v1: stores and orders."""

from __future__ import annotations

from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cancellations.access import access_order
from cancellations.models import LineItem, Order
from portal.api.base import StoreScopedAPIView
from tenants.access import staff_access, stores_for_staff
from tenants.models import Store
from tenants.roles import Scope


class StoreSerializer(serializers.ModelSerializer):
    class Meta:
        model = Store
        fields = ["slug", "name", "platform", "locale", "timezone", "currency"]


class LineItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = LineItem
        fields = ["id", "title", "variant_title", "sku", "quantity", "fulfilled_quantity", "unit_price"]


class OrderSerializer(serializers.ModelSerializer):
    line_items = LineItemSerializer(many=True, read_only=True)

    class Meta:
        model = Order
        fields = [
            "id",
            "name",
            "email",
            "placed_at",
            "currency",
            "total",
            "financial_status",
            "fulfillment_status",
            "cancelled_at",
            "risk_level",
            "line_items",
        ]


class StoreListView(APIView):
    def get(self, request: Request) -> Response:
        stores = stores_for_staff(request.user)
        data = []
        for store in stores:
            access = staff_access(user=request.user, store=store)
            data.append({**StoreSerializer(store).data, "role": access.role if access else None})
        return Response({"results": data})


class StoreDetailView(StoreScopedAPIView):
    required_scopes = {"GET": Scope.ORDERS_READ}

    def get(self, request: Request) -> Response:
        return Response({**StoreSerializer(self.store).data, "role": self.access.role})


class OrderListView(StoreScopedAPIView):
    required_scopes = {"GET": Scope.ORDERS_READ}

    def get(self, request: Request) -> Response:
        orders = (
            Order.objects.for_store(self.store)
            .prefetch_related("line_items")
            .order_by("-placed_at", "-id")[:50]
        )
        return Response({"results": OrderSerializer(orders, many=True).data})


class OrderDetailView(StoreScopedAPIView):
    required_scopes = {"GET": Scope.ORDERS_READ}

    def get(self, request: Request, order_id: int) -> Response:
        return Response(OrderSerializer(access_order(store=self.store, order_id=order_id)).data)
