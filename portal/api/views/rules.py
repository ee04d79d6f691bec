"""REST API v1: automation rules — list, create, read, change, delete."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from cancellations.models import AutomationRule, RuleMatchMode, RuleTrigger
from cancellations.rules.selectors import access_rule
from cancellations.rules.services import RULE_FIELDS, create_rule, delete_rule, update_rule
from portal.api.base import StoreScopedAPIView
from portal.api.pagination import PAGE_PARAMETERS, paginate
from portal.api.serializers.common import page_of
from tenants.models import User
from tenants.roles import Scope
from tenants.tokens import TokenAccess


class RuleSerializer(serializers.ModelSerializer):
    triggers = serializers.ListField(child=serializers.ChoiceField(choices=RuleTrigger.choices))
    conditions = serializers.ListField(child=serializers.DictField())
    actions = serializers.ListField(child=serializers.DictField())

    class Meta:
        model = AutomationRule
        fields = [
            "id",
            "name",
            "position",
            "triggers",
            "match",
            "conditions",
            "actions",
            "enabled",
            "dry_run",
            "stop_after_match",
            "created_at",
            "updated_at",
        ]


class RuleInputSerializer(serializers.Serializer):
    """A whole rule, checked as on the rules page; an error names its place, e.g. `conditions.0.type`."""

    name = serializers.CharField(max_length=120)
    triggers = serializers.ListField(
        child=serializers.ChoiceField(choices=RuleTrigger.choices), min_length=1, max_length=10
    )
    match = serializers.ChoiceField(choices=RuleMatchMode.choices, default=RuleMatchMode.ALL)
    conditions = serializers.ListField(child=serializers.DictField(), min_length=1, max_length=50)
    actions = serializers.ListField(child=serializers.DictField(), min_length=1, max_length=20)
    enabled = serializers.BooleanField(default=False)
    dry_run = serializers.BooleanField(default=False)
    stop_after_match = serializers.BooleanField(default=False)


class RulePatchSerializer(RuleInputSerializer):
    """Some of a rule's fields; the rest stay as they are."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, partial=True, **kwargs)


def _user(view: StoreScopedAPIView) -> User | None:
    return None if isinstance(view.access, TokenAccess) else view.access.user


class RuleListView(StoreScopedAPIView):
    required_scopes = {"GET": Scope.ORDERS_READ, "POST": Scope.RULES_WRITE}

    @extend_schema(
        operation_id="rules_list",
        description="The store's rules in the order they run.",
        parameters=PAGE_PARAMETERS,
        responses={200: page_of(RuleSerializer)},
        tags=["rules"],
    )
    def get(self, request: Request) -> Response:
        rules = AutomationRule.objects.for_store(self.store)
        return paginate(request, rules, RuleSerializer, ordering=("position", "id"), view=self)

    @extend_schema(
        operation_id="rules_create",
        description="Add a rule at the end of the list. New rules are off unless `enabled` is true.",
        request=RuleInputSerializer,
        responses={201: RuleSerializer},
        tags=["rules"],
    )
    def post(self, request: Request) -> Response:
        given = RuleInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        rule = create_rule(store=self.store, actor=_user(self), values=given.validated_data)
        return Response(RuleSerializer(rule).data, status=201)


class RuleDetailView(StoreScopedAPIView):
    required_scopes = {
        "GET": Scope.ORDERS_READ,
        "PUT": Scope.RULES_WRITE,
        "PATCH": Scope.RULES_WRITE,
        "DELETE": Scope.RULES_WRITE,
    }

    @extend_schema(operation_id="rules_retrieve", responses={200: RuleSerializer}, tags=["rules"])
    def get(self, request: Request, rule_id: int) -> Response:
        return Response(RuleSerializer(access_rule(store=self.store, rule_id=rule_id)).data)

    @extend_schema(
        operation_id="rules_update",
        request=RuleInputSerializer,
        responses={200: RuleSerializer},
        tags=["rules"],
    )
    def put(self, request: Request, rule_id: int) -> Response:
        access_rule(store=self.store, rule_id=rule_id)  # another store's rule: 404 before the body
        given = RuleInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        rule = update_rule(store=self.store, rule_id=rule_id, actor=_user(self), values=given.validated_data)
        return Response(RuleSerializer(rule).data)

    @extend_schema(
        operation_id="rules_partial_update",
        request=RulePatchSerializer,
        responses={200: RuleSerializer},
        tags=["rules"],
    )
    def patch(self, request: Request, rule_id: int) -> Response:
        rule = access_rule(store=self.store, rule_id=rule_id)
        given = RulePatchSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        values = {name: getattr(rule, name) for name in RULE_FIELDS}
        values.update(given.validated_data)
        rule = update_rule(store=self.store, rule_id=rule_id, actor=_user(self), values=values)
        return Response(RuleSerializer(rule).data)

    @extend_schema(operation_id="rules_destroy", responses={204: None}, tags=["rules"])
    def delete(self, request: Request, rule_id: int) -> Response:
        delete_rule(store=self.store, rule_id=rule_id, actor=_user(self))
        return Response(status=204)
