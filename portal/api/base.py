"""The base of every store-scoped API view: the store and the scope are checked before any handler.

`required_scopes` maps each HTTP method to the scope it needs; a handler without one is refused
when the class is defined. Another store, or a store the caller cannot reach, is a 404.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.core.exceptions import ImproperlyConfigured
from rest_framework.request import Request
from rest_framework.views import APIView

from tenants.access import StoreAccess, access_store_for_staff
from tenants.models import Store

_HANDLERS = ("get", "post", "put", "patch", "delete")


class StoreScopedAPIView(APIView):
    required_scopes: ClassVar[dict[str, str]] = {}
    access: StoreAccess
    store: Store

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
        self.access = access_store_for_staff(
            user=request.user, slug=self.kwargs.pop("store_slug"), scope=scope
        )
        self.store = self.access.store
