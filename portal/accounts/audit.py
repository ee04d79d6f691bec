"""Write every sign-in, failure, rejected code, sign-out and MFA change to the security log.

These are receivers of Django's and allauth's authentication signals: the authentication flow is
theirs, so listening is the only place to observe it.
"""

from __future__ import annotations

from typing import Any

from allauth.account.signals import login_code_rejected, user_logged_in
from allauth.mfa.signals import authenticator_added, authenticator_removed
from django.contrib.auth.signals import user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from portal.client_ip import client_ip
from tenants.access import stores_for_staff
from tenants.models import AgencyMembership, SecurityEvent
from tenants.services import record_security_event

STAFF_SESSION_KEY = "staff_session"
LAST_SEEN_SESSION_KEY = "last_seen"


def _client(request: HttpRequest | None) -> dict[str, Any]:
    if request is None:
        return {}
    return {"ip": client_ip(request), "user_agent": request.headers.get("User-Agent", "")}


@receiver(user_logged_in)
def _signed_in(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    record_security_event(kind=SecurityEvent.Kind.SIGNED_IN, user=user, **_client(request))
    # Staff sessions expire when idle (portal.accounts.middleware); customers' do not.
    is_staff = (
        bool(stores_for_staff(user)) or AgencyMembership.objects.filter(user=user).exists() or user.is_staff
    )
    request.session[STAFF_SESSION_KEY] = is_staff


@receiver(user_login_failed)
def _sign_in_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    email = str(credentials.get("email") or credentials.get("username") or "")
    record_security_event(kind=SecurityEvent.Kind.SIGN_IN_FAILED, email=email, **_client(request))


@receiver(login_code_rejected)
def _code_rejected(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    record_security_event(kind=SecurityEvent.Kind.CODE_REJECTED, user=user, **_client(request))


@receiver(user_logged_out)
def _signed_out(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    if user is not None and not (request and getattr(request, "_session_expired", False)):
        record_security_event(kind=SecurityEvent.Kind.SIGNED_OUT, user=user, **_client(request))


@receiver(authenticator_added)
def _mfa_added(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    record_security_event(kind=SecurityEvent.Kind.MFA_ENABLED, user=user, **_client(request))


@receiver(authenticator_removed)
def _mfa_removed(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    record_security_event(kind=SecurityEvent.Kind.MFA_DISABLED, user=user, **_client(request))
