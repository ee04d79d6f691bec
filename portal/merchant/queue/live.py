"""The staff request page's status as JSON, for the page to follow (portal/live_status.py)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse

from cancellations.requests.access import access_request
from portal.live_status import status_answer
from portal.merchant.base import StoreStaffView
from tenants.errors import NotFound
from tenants.roles import Scope


class RequestStatusView(StoreStaffView):
    required_scopes = {"GET": Scope.REQUESTS_READ}

    def get(self, request: HttpRequest, request_id: int) -> HttpResponse:
        try:
            return status_answer(access_request(store=self.store, request_id=request_id))
        except NotFound:
            raise Http404 from None
