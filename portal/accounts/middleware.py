"""Staff sessions end after a period without requests (STAFF_SESSION_IDLE_SECONDS)."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from portal.accounts.audit import LAST_SEEN_SESSION_KEY, STAFF_SESSION_KEY
from portal.client_ip import client_ip
from portal.http import AmendRequest
from tenants.models import SecurityEvent
from tenants.services import record_security_event

# Write the last-seen time at most this often, so most requests do not rewrite the session.
_TOUCH_EVERY_SECONDS = 30


class StaffSessionMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: AmendRequest) -> HttpResponse:
        if request.user.is_authenticated and request.session.get(STAFF_SESSION_KEY):
            now = time.time()
            last_seen = request.session.get(LAST_SEEN_SESSION_KEY, now)
            if now - last_seen > settings.STAFF_SESSION_IDLE_SECONDS:
                user = request.user
                request._session_expired = True
                logout(request)
                record_security_event(
                    kind=SecurityEvent.Kind.SESSION_EXPIRED, user=user, ip=client_ip(request)
                )
                messages.info(
                    request, _("You were signed out after a period of inactivity. Please sign in again.")
                )
                return redirect_to_login(request.get_full_path())
            if now - last_seen >= _TOUCH_EVERY_SECONDS or LAST_SEEN_SESSION_KEY not in request.session:
                request.session[LAST_SEEN_SESSION_KEY] = now
        return self.get_response(request)
