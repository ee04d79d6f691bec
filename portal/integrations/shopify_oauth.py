"""GET /shopify/install and /shopify/callback: the app's OAuth install, over the oauth service."""

from __future__ import annotations

import logging

from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from cancellations.core.queueing import send_task
from cancellations.platforms.base import TransientPlatformError
from cancellations.platforms.shopify.oauth import (
    InstallRefused,
    begin_install,
    check_install_request,
    complete_install,
)
from tenants.access import needs_mfa, staff_access
from tenants.roles import Scope

logger = logging.getLogger(__name__)


def _refused(error: InstallRefused) -> HttpResponse:
    # The code fixes the status: 503 when Shopify is not configured, 404 for an unknown shop, else 400.
    logger.info("shopify install refused: %s", error.code)
    return HttpResponse(
        error.message, status=error.code.status or 400, content_type="text/plain; charset=utf-8"
    )


@never_cache
@require_GET
def install(request: HttpRequest) -> HttpResponse:
    params = request.GET  # repeated keys kept: they are signed too
    try:
        store = check_install_request(params)
    except InstallRefused as error:
        return _refused(error)
    if "hmac" not in params:
        # Not sent by Shopify: only the store's own administrators may start connecting it.
        access = staff_access(user=request.user, store=store)
        if access is None or not access.has(Scope.STORE_ADMIN):
            return HttpResponse("Sign in as an administrator of this store to connect it.", status=403)
        if needs_mfa(user=request.user, store=store):
            message = "This store requires two-factor authentication: set up an authenticator app first."
            return HttpResponse(message, status=403)
    return HttpResponseRedirect(begin_install(store=store, session=request.session))


def register_webhooks_and_import(store_id: int) -> None:
    """After an install: subscribe the shop to webhooks and bring in its past orders (both queued)."""
    try:
        send_task("platforms.register_shopify_webhooks", (store_id,))
        # Bring in the orders placed before the app was installed (one bulk export).
        send_task("orders.import_start", (store_id,))
    except Exception:
        # The store is connected either way; both can be repeated (manage.py register_shopify_webhooks,
        # manage.py resync_store --all).
        logger.exception("store %s: could not start the webhook subscription or the backfill", store_id)


@never_cache
@require_GET
def callback(request: HttpRequest) -> HttpResponse:
    try:
        with transaction.atomic():
            connection = complete_install(params=request.GET, session=request.session)
            transaction.on_commit(lambda: register_webhooks_and_import(connection.store_id))
    except InstallRefused as error:
        return _refused(error)
    except TransientPlatformError as error:
        return HttpResponse(error.message, status=502, content_type="text/plain; charset=utf-8")
    return HttpResponseRedirect(f"/app/{connection.store.slug}/")
