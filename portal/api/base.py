"""The base of every store-scoped API view: the store and the scope are checked before any handler.

`required_scopes` maps each HTTP method to the scope it needs; a handler without one is refused
when the class is defined. Another store, or a store the caller cannot reach, is a 404. The caller
is a person (session) with their role's scopes, or an API token: a store token in its own store
only, an agency token in the stores that grant its agency access, with the grant role's scopes at
most. A POST with an `Idempotency-Key` is answered once per key (see `portal.api.idempotency`).
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.core.exceptions import ImproperlyConfigured
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cancellations.requests.actors import Actor
from portal.api import idempotency
from portal.api.auth import request_token
from portal.models import IdempotencyRecord
from tenants.access import StoreAccess, access_store_for_staff
from tenants.models import Store
from tenants.tokens import TokenAccess, access_store_for_token

_HANDLERS = ("get", "post", "put", "patch", "delete")


def caller_key(request: Request) -> str:
    """Who is calling, as a short stable string: `token:<id>` or `user:<id>`."""
    token = request_token(request)
    return f"token:{token.pk}" if token is not None else f"user:{request.user.pk}"


class StoreScopedAPIView(APIView):
    required_scopes: ClassVar[dict[str, str]] = {}
    access: StoreAccess | TokenAccess
    store: Store
    _idempotency: IdempotencyRecord | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for method in _HANDLERS:
            if hasattr(cls, method) and method.upper() not in cls.required_scopes:
                raise ImproperlyConfigured(f"{cls.__name__}.{method} has no scope in required_scopes.")

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        # Authentication, permissions (IsAuthenticated) and throttles first, then the store.
        super().initial(request, *args, **kwargs)
        method = "GET" if request.method == "HEAD" else request.method
        scope = self.required_scopes.get(method or "")
        if scope is None:
            self.http_method_not_allowed(request)
        slug = self.kwargs.pop("store_slug")
        token = request_token(request)
        if token is not None:
            self.access = access_store_for_token(token=token, slug=slug, scope=scope)
        else:
            self.access = access_store_for_staff(user=request.user, slug=slug, scope=scope)
        self.store = self.access.store
        if method == "POST":
            self._idempotency = idempotency.claim(store=self.store, actor=self.caller, request=request)

    @property
    def caller(self) -> str:
        return caller_key(self.request)

    @property
    def actor(self) -> Actor:
        """The caller as the services know it, with the scopes it holds in this store."""
        if isinstance(self.access, TokenAccess):
            token = self.access.token
            return Actor.api_token(token.pk, token.name, self.access.scopes)
        return Actor.staff(self.access)

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, idempotency.IdempotentReplay):
            return exc.response
        if self._idempotency is not None:
            # The handler failed before answering: nothing was done, so the key may be used again.
            idempotency.release(self._idempotency)
            self._idempotency = None
        return super().handle_exception(exc)

    def finalize_response(self, request: Request, response: Response, *args: Any, **kwargs: Any) -> Response:
        # Typed as DRF's stubs type it; DRF itself passes on whatever the handler returned, hence the check.
        if self._idempotency is not None and isinstance(response, Response):
            idempotency.settle(self._idempotency, response)
            self._idempotency = None
        return super().finalize_response(request, response, *args, **kwargs)
