"""POST /webhooks/shopify/: verify, store once, answer at once. Processing happens in a task.

Shopify's deliveries come in bursts (a sale, a bulk edit) and are answered before the page middleware
runs (`WebhookIntakeMiddleware`): sessions, CSRF, sign-in, languages, store host names and the
security headers of HTML pages mean nothing to a signed server-to-server POST, and together cost as
much as storing the delivery (decision 0093).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from cancellations.platforms.shopify.signing import is_shop_domain, verify_webhook
from cancellations.webhooks.inbox import record_webhook, store_id_for_shop

logger = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def shopify_webhook(request: HttpRequest) -> HttpResponse:
    body = request.body
    if not verify_webhook(body, request.headers.get("X-Shopify-Hmac-Sha256", "")):
        return HttpResponse("Invalid signature.", status=401, content_type="text/plain")
    topic = request.headers.get("X-Shopify-Topic", "")
    shop = request.headers.get("X-Shopify-Shop-Domain", "").lower()
    webhook_id = request.headers.get("X-Shopify-Webhook-Id", "")
    if not topic or not webhook_id or not is_shop_domain(shop):
        return HttpResponse("Missing Shopify headers.", status=400, content_type="text/plain")
    store_id = store_id_for_shop(shop)
    if store_id is None:
        # Signed by our app, so really from Shopify, for a shop Amend no longer serves: acknowledge it.
        logger.info("webhook %s for unknown shop %s acknowledged and dropped", topic, shop)
        return HttpResponse(status=200)
    record_webhook(
        store_id=store_id,
        webhook_id=webhook_id,
        topic=topic,
        shop_domain=shop,
        body=body,
        api_version=request.headers.get("X-Shopify-API-Version", ""),
        event_id=request.headers.get("X-Shopify-Event-Id", ""),
        triggered_at=parse_datetime(request.headers.get("X-Shopify-Triggered-At", "")),
    )
    return HttpResponse(status=200)


class WebhookIntakeMiddleware:
    """Answer a POST to the webhook path here; everything else goes on down the middleware.

    Sits just after the request log and memo middleware (each delivery still gets its id and log
    line) and checks the host as Django would; any other method goes through the full stack to the
    same view, which refuses it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.path = reverse("shopify_webhook")

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST" and request.path_info == self.path:
            request.get_host()  # the same host names as every page (DisallowedHost answers 400)
            return shopify_webhook(request)
        return self.get_response(request)
