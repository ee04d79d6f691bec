"""Per-caller rate limits for the API, counted in the shared cache (Redis in production).

Each token has its own budget, and so does each person using the API with their session; the
limit is the API_RATE_LIMIT setting ("<requests>/<second|minute|hour|day>"). Over it, the answer
is a 429 with `Retry-After`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from portal.api.auth import request_token
from portal.client_ip import client_ip

if TYPE_CHECKING:
    from rest_framework.request import Request
    from rest_framework.views import APIView


class CallerRateThrottle(SimpleRateThrottle):
    scope = "api"

    def get_rate(self) -> str | None:
        # Read at each request, not at import, so a deployment (or a test) can change it.
        return settings.API_RATE_LIMIT or None

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        token = request_token(request)
        if token is not None:
            ident = f"token:{token.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"ip:{self.get_ident(request)}"
        return f"api-throttle:{ident}"

    def get_ident(self, request: Request) -> str:
        # The same client address as everywhere else (TRUSTED_PROXY_COUNT), not DRF's NUM_PROXIES.
        return client_ip(request) or ""

    def allow_request(self, request: Request, view: APIView) -> bool:
        self.rate = self.get_rate()
        if self.rate is None:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)
