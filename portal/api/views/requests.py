"""REST API v1: order requests — list, read, make on a customer's behalf, approve, reject, decide many."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from cancellations.models import OrderRequest
from cancellations.orders.access import access_order
from cancellations.requests.access import access_request
from cancellations.requests.services import approve_request, decide_requests, reject_request
from cancellations.requests.submission import submit_request
from portal.api.base import StoreScopedAPIView
from portal.api.idempotency import HEADER as IDEMPOTENCY_HEADER
from portal.api.pagination import PAGE_PARAMETERS, paginate
from portal.api.serializers.common import (
    ApproveSerializer,
    BulkDecisionResultSerializer,
    BulkDecisionSerializer,
    BulkOutcomeSerializer,
    RejectSerializer,
    RequestCreateSerializer,
    RequestFilterSerializer,
    RequestSerializer,
    page_of,
)
from tenants.roles import Scope


def _with_details(requests: QuerySet[OrderRequest]) -> QuerySet[OrderRequest]:
    return requests.select_related("order").prefetch_related("changes")


class RequestListView(StoreScopedAPIView):
    required_scopes = {"GET": Scope.REQUESTS_READ, "POST": Scope.REQUESTS_DECIDE}

    @extend_schema(
        operation_id="requests_list",
        parameters=[RequestFilterSerializer, *PAGE_PARAMETERS],
        responses={200: page_of(RequestSerializer)},
        tags=["requests"],
    )
    def get(self, request: Request) -> Response:
        filters = RequestFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        given = filters.validated_data
        requests = _with_details(OrderRequest.objects.for_store(self.store))
        for name in ("kind", "status", "order_id"):
            if name in given:
                requests = requests.filter(**{name: given[name]})
        if "requested_after" in given:
            requests = requests.filter(requested_at__gte=given["requested_after"])
        if "requested_before" in given:
            requests = requests.filter(requested_at__lt=given["requested_before"])
        return paginate(request, requests, RequestSerializer, ordering=("-requested_at", "-id"), view=self)

    @extend_schema(
        operation_id="requests_create",
        description=(
            "Make a request on a customer's behalf. The store's policy decides it as if the customer "
            "had asked: it may be approved at once, wait for review, or be denied."
        ),
        request=RequestCreateSerializer,
        responses={201: RequestSerializer},
        tags=["requests"],
    )
    def post(self, request: Request) -> Response:
        given = RequestCreateSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        order = access_order(store=self.store, order_id=data["order_id"])
        header_key = request.headers.get(IDEMPOTENCY_HEADER, "").strip()
        # The service's own key makes the request once per caller and key, even without our replay table.
        key = f"api:{self.caller}:{header_key}" if header_key else f"api:{uuid.uuid4().hex}"
        made = submit_request(
            store=self.store,
            order=order,
            actor=self.actor,
            kind=data["kind"],
            idempotency_key=key[:200],
            reason_code=data.get("reason_code", ""),
            reason_text=data.get("reason_text", ""),
            changes=[
                {**change, "address": dict(change["address"])} if "address" in change else change
                for change in data.get("changes", [])
            ],
            refund_method=data.get("refund_method"),
        )
        fresh = access_request(store=self.store, request_id=made.pk)
        return Response(RequestSerializer(fresh).data, status=201)


class RequestDetailView(StoreScopedAPIView):
    required_scopes = {"GET": Scope.REQUESTS_READ}

    @extend_schema(operation_id="requests_retrieve", responses={200: RequestSerializer}, tags=["requests"])
    def get(self, request: Request, request_id: int) -> Response:
        return Response(RequestSerializer(access_request(store=self.store, request_id=request_id)).data)


class RequestApproveView(StoreScopedAPIView):
    required_scopes = {"POST": Scope.REQUESTS_DECIDE}

    @extend_schema(
        operation_id="requests_approve",
        description=(
            "Approve a request waiting for review; optionally change the refund method, fee or amount."
        ),
        request=ApproveSerializer,
        responses={200: RequestSerializer},
        tags=["requests"],
    )
    def post(self, request: Request, request_id: int) -> Response:
        access_request(store=self.store, request_id=request_id)  # another store's request: 404 first
        given = ApproveSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        approve_request(
            store=self.store, request_id=request_id, actor=self.actor, overrides=dict(given.validated_data)
        )
        return Response(RequestSerializer(access_request(store=self.store, request_id=request_id)).data)


class RequestRejectView(StoreScopedAPIView):
    required_scopes = {"POST": Scope.REQUESTS_DECIDE}

    @extend_schema(
        operation_id="requests_reject",
        description="Reject a request waiting for review; the message is sent to the customer.",
        request=RejectSerializer,
        responses={200: RequestSerializer},
        tags=["requests"],
    )
    def post(self, request: Request, request_id: int) -> Response:
        access_request(store=self.store, request_id=request_id)  # another store's request: 404 first
        given = RejectSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        reject_request(
            store=self.store, request_id=request_id, actor=self.actor, message=given.validated_data["message"]
        )
        return Response(RequestSerializer(access_request(store=self.store, request_id=request_id)).data)


class RequestBulkDecisionView(StoreScopedAPIView):
    required_scopes = {"POST": Scope.REQUESTS_DECIDE}

    @extend_schema(
        operation_id="requests_decide",
        description=(
            "Approve, or reject with a message, up to 500 requests waiting for review, as the queue page's "
            "bulk action does. Each request is decided on its own: one that someone else decided first, or "
            "that is not this store's, is reported in `results` and does not undo the others. 200 with one "
            "result per request, in the order given."
        ),
        request=BulkDecisionSerializer,
        responses={200: BulkDecisionResultSerializer},
        tags=["requests"],
    )
    def post(self, request: Request) -> Response:
        given = BulkDecisionSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        outcomes = decide_requests(
            store=self.store,
            request_ids=given.validated_data["request_ids"],
            actor=self.actor,
            approve=given.validated_data["action"] == "approve",
            message=given.validated_data.get("message", ""),
        )
        counts = {name: 0 for name in ("decided", "already_decided", "not_found", "error")}
        for outcome in outcomes:
            counts[outcome.outcome] += 1
        return Response({"results": BulkOutcomeSerializer(outcomes, many=True).data, "counts": counts})
