"""REST API v1: the insights summary of a store (the figures of the Insights page)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from cancellations.insights.summary import insights_summary
from portal.api.base import StoreScopedAPIView
from tenants.roles import Scope

EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)


@extend_schema_field(
    {"type": "string", "format": "date", "pattern": r"^(?:20[0-9]{2}|2100)-[0-9]{2}-[0-9]{2}$"}
)
class _Day(serializers.DateField):
    """A day from EARLIEST to LATEST; the schema says the years, as it cannot compare dates."""


class InsightsQuerySerializer(serializers.Serializer):
    start = _Day(
        required=False, help_text=_("First day (in the store's time zone); 29 days before `end` if left out.")
    )
    end = _Day(required=False, help_text=_("Last day, included; today if left out."))

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        for name in ("start", "end"):
            if name in attrs and not EARLIEST <= attrs[name] <= LATEST:
                raise serializers.ValidationError({name: [_("Give a day from 2000 to 2100.")]})
        return attrs


class InsightsSerializer(serializers.Serializer):
    """Figures for the period and the one before it: each as {"current", "previous"}."""

    period = serializers.DictField(child=serializers.CharField())
    previous_period = serializers.DictField(child=serializers.CharField())
    timezone = serializers.CharField()
    currency = serializers.CharField()
    cancellation_rate = serializers.DictField()
    requests = serializers.DictField()
    reasons = serializers.ListField(child=serializers.DictField())
    products = serializers.ListField(child=serializers.DictField())
    product_types = serializers.ListField(child=serializers.DictField())
    time_to_cancel = serializers.ListField(child=serializers.DictField())
    decisions = serializers.DictField()
    time_to_decision = serializers.DictField()
    retention = serializers.DictField()
    refunds_and_fees = serializers.DictField()


class InsightsView(StoreScopedAPIView):
    required_scopes = {"GET": Scope.ORDERS_READ}

    @extend_schema(
        operation_id="insights_retrieve",
        description="Cancellations, reasons, decisions, retention and money for a period of up to a year.",
        parameters=[InsightsQuerySerializer],
        responses={200: InsightsSerializer},
        tags=["insights"],
    )
    def get(self, request: Request) -> Response:
        query = InsightsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        today = timezone.localdate(timezone=ZoneInfo(self.store.timezone))
        end = query.validated_data.get("end", today)
        start = query.validated_data.get("start", end - timedelta(days=29))
        return Response(insights_summary(store=self.store, start=start, end=end))
