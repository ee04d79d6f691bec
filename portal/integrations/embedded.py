"""/shopify/admin/: Amend's merchant app inside the Shopify admin (the app's URL in its configuration).

The store is the one the verified session token names, never one from the URL, so a request id of
another store is simply not found (404). Each request is authenticated by its own session token
(embedded_auth.py); the person is matched to the store's team by cancellations.platforms.shopify.embedded,
which also installs the app (token exchange) the first time the shop opens it.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from cancellations.orders.describe import Describer
from cancellations.platforms.base import PermanentPlatformError, TransientPlatformError
from cancellations.platforms.errors import PlatformErrorCode
from cancellations.platforms.shopify.embedded import (
    EmbeddedRefused,
    EmbeddedVisit,
    is_configured,
    open_embedded,
)
from cancellations.platforms.shopify.session_tokens import (
    InvalidSessionToken,
    SessionToken,
    bearer_token,
    verify_session_token,
)
from cancellations.policy.services import current_policy
from cancellations.queue.selectors import QueueFilters, backlog, queue_page, queue_settings
from cancellations.requests.actors import Actor
from cancellations.requests.errors import AlreadyDecided
from cancellations.requests.services import approve_request, reject_request
from portal.integrations.embedded_auth import (
    RETRY_HEADER,
    api_key,
    as_embedded,
    bounce,
    safe_reload_target,
)
from portal.integrations.shopify_oauth import register_webhooks_and_import
from portal.merchant.queue.views import already_decided_message
from portal.templatetags.amend import duration, money
from tenants.errors import DomainError, NotFound, PermissionDenied
from tenants.roles import Scope

logger = logging.getLogger(__name__)


def _page(
    request: HttpRequest, shop: str, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    response = render(request, template, {"shopify_api_key": api_key(), **context}, status=status)
    return as_embedded(response, shop)


def _refused_page(request: HttpRequest, shop: str, message: str, status: int) -> HttpResponse:
    return _page(request, shop, "merchant/embedded/refused.html", {"message": message}, status=status)


def _language(request: HttpRequest, visit: EmbeddedVisit) -> str:
    """The admin's language when Amend has it (Shopify sends `locale`), else the store's."""
    wanted = (request.GET.get("locale") or "").split("-")[0].lower()
    return wanted if translation.check_for_language(wanted) and wanted else visit.store.locale


def _visit(session: SessionToken, token: str, scope: str) -> EmbeddedVisit:
    visit = open_embedded(session=session, session_token=token, scope=scope)
    if visit.installed:
        transaction.on_commit(lambda: register_webhooks_and_import(visit.store.pk))
    return visit


@never_cache
@require_GET
def bounce_page(request: HttpRequest) -> HttpResponse:
    """A page with only App Bridge: it reloads `shopify-reload` with a fresh session token."""
    shop = request.GET.get("shop", "").strip().lower()
    target = safe_reload_target(request.GET.get("shopify-reload", ""))
    return _page(request, shop, "merchant/embedded/bounce.html", {"reload": target})


@never_cache
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The support queue, as the app's first page inside the admin."""
    shop = request.GET.get("shop", "").strip().lower()
    if not is_configured():
        return _refused_page(request, shop, _("Shopify is not configured on this Amend."), 503)
    token = request.GET.get("id_token", "")
    try:
        session = verify_session_token(token)
    except InvalidSessionToken:
        return bounce(request)  # App Bridge brings us back with a fresh token
    try:
        with transaction.atomic():
            visit = _visit(session, token, Scope.REQUESTS_READ)
    except EmbeddedRefused as error:
        return _refused_page(request, session.shop, error.message, error.code.status or 403)
    except PermissionDenied as error:
        return _refused_page(request, session.shop, error.message, 403)
    except TransientPlatformError as error:
        return _refused_page(request, session.shop, error.message, 502)
    except PermanentPlatformError as error:
        return _refused_page(request, session.shop, error.message, error.code.status or 401)
    with translation.override(_language(request, visit)):
        return _page(request, session.shop, "merchant/embedded/queue.html", _queue_context(visit))


def _queue_context(visit: EmbeddedVisit) -> dict[str, Any]:
    store = visit.store
    now = timezone.now()
    settings_row = queue_settings(store=store)
    policy, _version = current_policy(store=store)
    language = translation.get_language() or store.locale
    page = queue_page(store=store, filters=QueueFilters(), now=now)
    describer = Describer(store, page.rows)
    rows = [
        {
            "pk": request.pk,
            "kind": describer.title_of(request),
            "changes": describer.summary_of(request),
            "order_name": request.order.name,
            "email": request.order.email,
            "value": money(request.order.total, request.order.currency),
            "reason": policy.reasons.label_of(request.reason_code, language) if request.reason_code else "",
            "reason_text": request.reason_text,
            "age": duration(now - request.requested_at),
        }
        for request in page.rows
    ]
    return {
        "store": store,
        "access": visit.access,
        "rows": rows,
        "backlog": backlog(store=store, target=settings_row.response_target, now=now),
        "can_decide": visit.access.has(Scope.REQUESTS_DECIDE),
        "app_url": f"/app/{store.slug}/queue/",
    }


def _json_error(message: str, code: str, status: int, *, retry: bool = False) -> JsonResponse:
    response = JsonResponse({"code": code, "detail": message}, status=status)
    if retry:
        response[RETRY_HEADER] = "1"
    return response


def _body(request: HttpRequest) -> dict[str, Any]:
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}
    return request.POST.dict()


def _decide(request: HttpRequest, request_id: int, *, approve: bool) -> HttpResponse:
    token = bearer_token(request.headers.get("Authorization", ""))
    try:
        session = verify_session_token(token)
    except InvalidSessionToken:
        message = _("Your Shopify session has expired; reload the app.")
        return _json_error(message, PlatformErrorCode.SESSION_TOKEN_INVALID, 401, retry=True)
    body = _body(request)
    try:
        with transaction.atomic():
            visit = _visit(session, token, Scope.REQUESTS_DECIDE)
            actor = Actor.staff(visit.access)
            if approve:
                approve_request(store=visit.store, request_id=request_id, actor=actor)
                message = _("Approved. The change is being carried out.")
            else:
                reject_request(
                    store=visit.store,
                    request_id=request_id,
                    actor=actor,
                    message=str(body.get("message", "")),
                )
                message = _("Rejected. The customer has been told why.")
    except AlreadyDecided as error:
        return _json_error(already_decided_message(error, visit.store.timezone), error.code, 409)
    except NotFound as error:
        return _json_error(_("No such request."), error.code, 404)
    except (EmbeddedRefused, PermissionDenied) as error:
        return _json_error(error.message, error.code, 403)
    except TransientPlatformError as error:
        return _json_error(error.message, error.code, 502)
    except PermanentPlatformError as error:
        return _json_error(error.message, error.code, error.code.status or 401)
    except DomainError as error:
        response = _json_error(error.message, error.code, 400)
        return response
    return JsonResponse({"status": "approved" if approve else "rejected", "message": message})


@csrf_exempt  # authenticated by the Authorization header, which another site cannot make a browser send
@never_cache
@require_POST
def approve(request: HttpRequest, request_id: int) -> HttpResponse:
    return _decide(request, request_id, approve=True)


@csrf_exempt  # as approve
@never_cache
@require_POST
def reject(request: HttpRequest, request_id: int) -> HttpResponse:
    return _decide(request, request_id, approve=False)
