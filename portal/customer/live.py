"""The customer's request status as JSON, for the request page to follow (portal/live_status.py)."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase

from cancellations.requests.access import access_request
from portal.customer.order_access import OrderPageMixin
from portal.live_status import status_answer
from tenants.errors import NotFound


class RequestStatusView(OrderPageMixin):
    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        self.request_id = kwargs.pop("request_id")
        return super().dispatch(request, *args, **kwargs)

    def get(self, request: HttpRequest) -> HttpResponse:
        try:
            order_request = access_request(store=self.store, request_id=self.request_id)
        except NotFound:
            raise Http404 from None
        if order_request.order_id != self.order.pk:
            raise Http404  # a request of another order, even the same customer's
        return status_answer(order_request)
