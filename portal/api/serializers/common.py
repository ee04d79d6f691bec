"""What the API reads and writes: one serializer per resource, plus the filters of its lists."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cancellations.models import (
    FinancialStatus,
    FulfillmentStatus,
    LineItem,
    Order,
    OrderRequest,
    RequestChange,
    RequestKind,
    RequestStatus,
)
from cancellations.requests.errors import RequestErrorCode
from cancellations.requests.services import MAX_BULK_DECISION
from tenants.models import Store
from tenants.roles import Role


class ErrorItemSerializer(serializers.Serializer):
    type = serializers.CharField()
    code = serializers.CharField(help_text="A stable code; every code is listed under API error codes above.")
    detail = serializers.CharField()
    attr = serializers.CharField(allow_null=True)


class ErrorSerializer(ErrorItemSerializer):
    """Every error the API answers with. `errors` lists each field at fault when there are several."""

    # DRF's metaclass takes declared fields off the class, so this does not hide Serializer.errors;
    # the stubs cannot know that.
    errors = ErrorItemSerializer(many=True, required=False)  # type: ignore[assignment]


def page_of(child: type[serializers.Serializer]) -> type[serializers.Serializer]:
    """The shape of one page of a cursor-paginated list of `child`."""
    name = child.__name__.removesuffix("Serializer")
    return type(
        f"{name}PageSerializer",
        (serializers.Serializer,),
        {
            "next": serializers.URLField(allow_null=True, help_text="The next page, or null at the end."),
            "previous": serializers.URLField(allow_null=True, help_text="The page before, or null."),
            "results": child(many=True),
            "Meta": type("Meta", (), {"ref_name": f"{name}Page"}),
        },
    )


# --- stores and orders ---------------------------------------------------------------------------


class StoreSerializer(serializers.ModelSerializer):
    role = serializers.SerializerMethodField(help_text="The caller's role in the store (null for tokens).")
    scopes = serializers.SerializerMethodField(help_text="What the caller may do in the store.")

    class Meta:
        model = Store
        fields = ["slug", "name", "platform", "locale", "timezone", "currency", "role", "scopes"]

    def get_role(self, store: Store) -> str | None:
        access = self.context.get("access", {}).get(store.pk)
        role = getattr(access, "role", None)
        return role if role in Role.values else None

    def get_scopes(self, store: Store) -> list[str]:
        access = self.context.get("access", {}).get(store.pk)
        return sorted(getattr(access, "scopes", ()))


class LineItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = LineItem
        fields = [
            "id",
            "title",
            "variant_title",
            "sku",
            "quantity",
            "fulfilled_quantity",
            "unit_price",
            "total_discount",
        ]


class OrderSerializer(serializers.ModelSerializer):
    line_items = LineItemSerializer(many=True, read_only=True)

    class Meta:
        model = Order
        fields = [
            "id",
            "name",
            "email",
            "customer_name",
            "placed_at",
            "currency",
            "subtotal",
            "shipping",
            "tax",
            "discount",
            "total",
            "refunded",
            "financial_status",
            "fulfillment_status",
            "delivered_at",
            "cancelled_at",
            "risk_level",
            "tags",
            "line_items",
        ]


class OrderFilterSerializer(serializers.Serializer):
    """Query parameters of the order list; every one is optional and they combine with AND."""

    status = serializers.ChoiceField(
        choices=[("open", _("Not cancelled")), ("cancelled", _("Cancelled"))], required=False
    )
    financial_status = serializers.ChoiceField(choices=FinancialStatus.choices, required=False)
    fulfillment_status = serializers.ChoiceField(choices=FulfillmentStatus.choices, required=False)
    placed_after = serializers.DateTimeField(required=False, help_text="Placed at or after this time.")
    placed_before = serializers.DateTimeField(required=False, help_text="Placed before this time.")
    email = serializers.EmailField(required=False, help_text="The customer's email (any case).")
    name = serializers.CharField(required=False, max_length=64, help_text="The order's name, e.g. #1001.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        after, before = attrs.get("placed_after"), attrs.get("placed_before")
        if after and before and after >= before:
            raise serializers.ValidationError({"placed_before": [_("Give a time after placed_after.")]})
        return attrs


# --- requests ------------------------------------------------------------------------------------


class RequestChangeSerializer(serializers.ModelSerializer):
    line_id = serializers.IntegerField(allow_null=True, read_only=True)
    variant_id = serializers.CharField(source="variant_platform_id", read_only=True)

    class Meta:
        model = RequestChange
        fields = ["position", "kind", "line_id", "variant_id", "quantity", "address", "price_difference"]


class DecisionReasonSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()


class DecisionSerializer(serializers.Serializer):
    outcome = serializers.CharField(help_text="allowed, needs_approval or blocked.")
    reasons = DecisionReasonSerializer(many=True)
    window_closes_at = serializers.DateTimeField(allow_null=True)


class RequestSerializer(serializers.ModelSerializer):
    order_id = serializers.IntegerField(read_only=True)
    order_name = serializers.CharField(source="order.name", read_only=True)
    decision = serializers.SerializerMethodField()
    changes = RequestChangeSerializer(many=True, read_only=True)

    class Meta:
        model = OrderRequest
        fields = [
            "id",
            "order_id",
            "order_name",
            "kind",
            "status",
            "resolution",
            "reason_code",
            "reason_text",
            "customer_message",
            "refund_method",
            "currency",
            "fee",
            "refund_amount",
            "decision",
            "policy_version",
            "requester_kind",
            "requester_label",
            "requested_at",
            "decided_by_label",
            "decided_at",
            "completed_at",
            "attempts",
            "last_error",
            "changes",
        ]

    @extend_schema_field(DecisionSerializer)
    def get_decision(self, request: OrderRequest) -> dict[str, Any]:
        data = request.decision or {}
        return {
            "outcome": str(data.get("outcome", "")),
            "reasons": [
                {"code": str(r.get("code", "")), "message": str(r.get("message", ""))}
                for r in data.get("reasons", [])
            ],
            "window_closes_at": data.get("window_closes_at"),
        }


class RequestFilterSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=RequestKind.choices, required=False)
    status = serializers.ChoiceField(choices=RequestStatus.choices, required=False)
    order_id = serializers.IntegerField(required=False, min_value=1, max_value=2**62)
    requested_after = serializers.DateTimeField(required=False, help_text="Made at or after this time.")
    requested_before = serializers.DateTimeField(required=False, help_text="Made before this time.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        after, before = attrs.get("requested_after"), attrs.get("requested_before")
        if after and before and after >= before:
            raise serializers.ValidationError({"requested_before": [_("Give a time after requested_after.")]})
        return attrs


class AddressInputSerializer(serializers.Serializer):
    name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    company = serializers.CharField(required=False, allow_blank=True, max_length=200)
    address1 = serializers.CharField(max_length=200)
    address2 = serializers.CharField(required=False, allow_blank=True, max_length=200)
    city = serializers.CharField(required=False, allow_blank=True, max_length=100)
    zip = serializers.CharField(required=False, allow_blank=True, max_length=20)
    province_code = serializers.CharField(required=False, allow_blank=True, max_length=10)
    country_code = serializers.RegexField(r"^[A-Z]{2}$", max_length=2)
    phone = serializers.CharField(required=False, allow_blank=True, max_length=40)


class ChangeInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=RequestChange.Kind.choices)
    line_id = serializers.IntegerField(required=False, min_value=1, max_value=2**62)
    variant_id = serializers.CharField(required=False, max_length=64)
    quantity = serializers.IntegerField(required=False, min_value=0, max_value=10_000)
    address = AddressInputSerializer(required=False)


class RequestCreateSerializer(serializers.Serializer):
    order_id = serializers.IntegerField(min_value=1, max_value=2**62)
    kind = serializers.ChoiceField(choices=RequestKind.choices)
    reason_code = serializers.CharField(required=False, allow_blank=True, max_length=60, default="")
    reason_text = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")
    refund_method = serializers.ChoiceField(
        choices=[("original", _("Original payment")), ("store_credit", _("Store credit"))], required=False
    )
    # With many=True DRF hands max_length to the ListSerializer; the stubs' __init__ does not list it.
    changes = ChangeInputSerializer(many=True, required=False, max_length=100)  # type: ignore[call-arg]


class ApproveSerializer(serializers.Serializer):
    refund_method = serializers.ChoiceField(
        choices=[
            ("original", _("Original payment")),
            ("store_credit", _("Store credit")),
            ("none", _("None")),
        ],
        required=False,
    )
    fee = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0, required=False)
    refund_amount = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0, required=False)


class RejectSerializer(serializers.Serializer):
    message = serializers.CharField(max_length=5000, help_text="The store's reason, sent to the customer.")


class BulkDecisionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject"))])
    request_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        min_length=1,
        max_length=MAX_BULK_DECISION,
        help_text=f"The requests to decide, at most {MAX_BULK_DECISION}; each is decided on its own.",
    )
    message = serializers.CharField(
        max_length=5000,
        required=False,
        allow_blank=True,
        help_text="The store's reason, sent to each customer; required to reject.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["action"] == "reject" and not (attrs.get("message") or "").strip():
            raise serializers.ValidationError(
                {"message": _("Tell the customers why.")}, code=RequestErrorCode.MESSAGE_REQUIRED
            )
        return attrs


class BulkOutcomeSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="request_id")
    outcome = serializers.ChoiceField(
        choices=["decided", "already_decided", "not_found", "error"],
        help_text="decided; already_decided (someone decided it first); not_found; error (see code, detail).",
    )
    code = serializers.SerializerMethodField()
    detail = serializers.SerializerMethodField()

    def get_code(self, outcome: Any) -> str | None:
        return str(outcome.error.code) if outcome.error else None

    def get_detail(self, outcome: Any) -> str | None:
        return outcome.error.message if outcome.error else None


class BulkDecisionResultSerializer(serializers.Serializer):
    results = BulkOutcomeSerializer(many=True)
    counts = serializers.DictField(child=serializers.IntegerField())


# --- policy --------------------------------------------------------------------------------------


class PolicySerializer(serializers.Serializer):
    version = serializers.IntegerField(help_text="The version in force; 0 for the defaults of a new store.")
    policy = serializers.JSONField(help_text="The whole policy, as the policy page edits it.")


class PolicyInputSerializer(serializers.Serializer):
    policy = serializers.DictField(help_text="The whole policy; settings left out take their defaults.")
