"""Merchant pages for integrations: API tokens and webhook endpoints (both need `tokens:manage`).

Secrets are shown once, on the answer that made them (a new token, a new endpoint, a new signing
secret), then only by their first characters; every page here is sent with `Cache-Control: no-store`
so no browser or proxy cache keeps one.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.http.response import HttpResponseBase
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _

from cancellations.models import WebhookEndpoint, WebhookEvent
from cancellations.notifications import webhooks as outgoing_webhooks
from portal.merchant.base import StoreStaffView
from portal.merchant.integrations.forms import EndpointForm, TokenForm
from portal.merchant.views import form_error
from tenants.errors import DomainError, NotFound
from tenants.roles import Scope
from tenants.tokens import API_SCOPES, create_store_token, revoke_store_token, store_tokens

# How much of a secret the pages show after the answer that made it.
SECRET_PREFIX = 12


class _NoStore(StoreStaffView):
    """A page that may carry a secret: never stored by a browser or a proxy."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = super().dispatch(request, *args, **kwargs)
        add_never_cache_headers(response)
        return response


class TokenListView(_NoStore):
    required_scopes = {"GET": Scope.TOKENS_MANAGE, "POST": Scope.TOKENS_MANAGE}
    nav = "tokens"

    def _form(self, data: QueryDict | None = None) -> TokenForm:
        return TokenForm(data, allowed=[scope for scope in API_SCOPES if self.access.has(scope)])

    def _page(
        self, request: HttpRequest, form: TokenForm, *, new_secret: str = "", status: int = 200
    ) -> HttpResponse:
        context = {"tokens": store_tokens(store=self.store), "form": form, "new_secret": new_secret}
        return self.render(request, "merchant/tokens.html", context, status=status)

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._page(request, self._form())

    def post(self, request: HttpRequest) -> HttpResponse:
        form = self._form(request.POST)
        if form.is_valid():
            try:
                made = create_store_token(
                    access=self.access, name=form.cleaned_data["name"], scopes=form.cleaned_data["scopes"]
                )
            except DomainError as error:
                form_error(form, error)
            else:
                # The secret is shown on this answer only: it is not kept anywhere it could be read again.
                return self._page(request, self._form(), new_secret=made.secret, status=201)
        return self._page(request, form, status=400)


class TokenRevokeView(_NoStore):
    required_scopes = {"POST": Scope.TOKENS_MANAGE}

    def post(self, request: HttpRequest, token_id: int) -> HttpResponse:
        try:
            token = revoke_store_token(access=self.access, token_id=token_id)
        except NotFound:
            raise Http404 from None
        messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
        return self.redirect_here("merchant:tokens")


class WebhookListView(_NoStore):
    required_scopes = {"GET": Scope.TOKENS_MANAGE, "POST": Scope.TOKENS_MANAGE}
    nav = "webhooks"

    def _page(self, request: HttpRequest, form: EndpointForm, status: int = 200) -> HttpResponse:
        context = {
            "endpoints": outgoing_webhooks.store_endpoints(store=self.store),
            "form": form,
            "event_labels": dict(WebhookEvent.choices),
        }
        return self.render(request, "merchant/webhooks.html", context, status=status)

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._page(request, EndpointForm(initial={"events": WebhookEvent.values, "active": True}))

    def post(self, request: HttpRequest) -> HttpResponse:
        form = EndpointForm(request.POST)
        if form.is_valid():
            try:
                endpoint = outgoing_webhooks.create_endpoint(
                    store=self.store,
                    actor=self.access.user,
                    url=form.cleaned_data["url"],
                    events=form.cleaned_data["events"],
                    description=form.cleaned_data["description"],
                )
            except DomainError as error:
                form_error(form, error)
            else:
                messages.success(request, _("Endpoint added. Copy its signing secret below."))
                return WebhookDetailView.page(self, request, endpoint, new_secret=endpoint.secret, status=201)
        return self._page(request, form, status=400)


class WebhookDetailView(_NoStore):
    required_scopes = {"GET": Scope.TOKENS_MANAGE, "POST": Scope.TOKENS_MANAGE}
    nav = "webhooks"

    def _endpoint(self, endpoint_id: int) -> WebhookEndpoint:
        try:
            return outgoing_webhooks.access_endpoint(store=self.store, endpoint_id=endpoint_id)
        except NotFound:
            raise Http404 from None

    @staticmethod
    def page(
        view: StoreStaffView,
        request: HttpRequest,
        endpoint: WebhookEndpoint,
        form: EndpointForm | None = None,
        *,
        new_secret: str = "",
        status: int = 200,
    ) -> HttpResponse:
        """The endpoint's page; `new_secret` is shown in full on this answer only."""
        if form is None:
            form = EndpointForm(
                initial={
                    "url": endpoint.url,
                    "description": endpoint.description,
                    "events": endpoint.events,
                    "active": endpoint.active,
                }
            )
        context = {
            "endpoint": endpoint,
            "form": form,
            "deliveries": outgoing_webhooks.endpoint_log(store=view.store, endpoint=endpoint),
            "new_secret": new_secret,
            "secret_prefix": endpoint.secret[:SECRET_PREFIX],
        }
        return view.render(request, "merchant/webhook.html", context, status=status)

    def _page(
        self, request: HttpRequest, endpoint: WebhookEndpoint, form: EndpointForm, status: int = 200
    ) -> HttpResponse:
        return self.page(self, request, endpoint, form, status=status)

    def get(self, request: HttpRequest, endpoint_id: int) -> HttpResponse:
        return self.page(self, request, self._endpoint(endpoint_id))

    def post(self, request: HttpRequest, endpoint_id: int) -> HttpResponse:
        endpoint = self._endpoint(endpoint_id)
        form = EndpointForm(request.POST)
        if form.is_valid():
            try:
                outgoing_webhooks.update_endpoint(
                    store=self.store,
                    actor=self.access.user,
                    endpoint_id=endpoint.pk,
                    url=form.cleaned_data["url"],
                    events=form.cleaned_data["events"],
                    description=form.cleaned_data["description"],
                    active=form.cleaned_data["active"],
                )
            except DomainError as error:
                form_error(form, error)
            else:
                messages.success(request, _("Endpoint saved."))
                return self.redirect_here("merchant:webhook", endpoint_id=endpoint.pk)
        return self._page(request, endpoint, form, status=400)


class WebhookTestView(StoreStaffView):
    required_scopes = {"POST": Scope.TOKENS_MANAGE}

    def post(self, request: HttpRequest, endpoint_id: int) -> HttpResponse:
        try:
            attempt = outgoing_webhooks.ping_endpoint(store=self.store, endpoint_id=endpoint_id)
        except NotFound:
            raise Http404 from None
        if attempt is None:
            messages.error(request, _("The test event was not sent."))
        elif attempt.status_code is not None and 200 <= attempt.status_code < 300:
            messages.success(
                request,
                _("Test event delivered: the endpoint answered HTTP %(code)s in %(ms)s ms.")
                % {"code": attempt.status_code, "ms": attempt.duration_ms},
            )
        elif attempt.status_code is not None:
            messages.error(
                request,
                _("Test event refused: the endpoint answered HTTP %(code)s in %(ms)s ms.")
                % {"code": attempt.status_code, "ms": attempt.duration_ms},
            )
        else:
            messages.error(request, _("Test event not delivered: %(error)s") % {"error": attempt.error})
        return self.redirect_here("merchant:webhook", endpoint_id=endpoint_id)


class WebhookRotateView(_NoStore):
    required_scopes = {"POST": Scope.TOKENS_MANAGE}

    def post(self, request: HttpRequest, endpoint_id: int) -> HttpResponse:
        try:
            endpoint = outgoing_webhooks.rotate_endpoint_secret(
                store=self.store, actor=self.access.user, endpoint_id=endpoint_id
            )
        except NotFound:
            raise Http404 from None
        messages.success(request, _("New signing secret made; the old one no longer signs anything."))
        return WebhookDetailView.page(self, request, endpoint, new_secret=endpoint.secret)


class WebhookDeleteView(StoreStaffView):
    required_scopes = {"POST": Scope.TOKENS_MANAGE}

    def post(self, request: HttpRequest, endpoint_id: int) -> HttpResponse:
        try:
            outgoing_webhooks.delete_endpoint(
                store=self.store, actor=self.access.user, endpoint_id=endpoint_id
            )
        except NotFound:
            raise Http404 from None
        messages.success(request, _("Endpoint removed."))
        return self.redirect_here("merchant:webhooks")
