"""One error shape for the whole API: {"type", "code", "detail", "attr"}.

`attr` names the field at fault as a dotted path (`changes.0.quantity`, `actions.cancel.window.minutes`),
or is null. When several fields are at fault, the first is in the top-level keys and every one is
listed, in the same shape, under `errors`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from cancellations.policy.errors import PolicyInvalid
from portal.api.idempotency import IdempotencyKeyMismatch
from tenants.errors import Conflict, DomainError, NotFound, PermissionDenied

# Most specific first.
_DOMAIN_STATUS: tuple[tuple[type[DomainError], int], ...] = (
    (NotFound, 404),
    (PermissionDenied, 403),
    (Conflict, 409),
    (IdempotencyKeyMismatch, 422),
)


def error_body(type_: str, code: str, detail: str, attr: str | None = None) -> dict[str, Any]:
    return {"type": type_, "code": code, "detail": detail, "attr": attr}


def _error(status_code: int, type_: str, code: str, detail: str, attr: str | None = None) -> Response:
    return Response(error_body(type_, code, detail, attr), status=status_code)


def _field_errors(detail: Any, path: str = "") -> Iterator[tuple[str | None, str, str]]:
    """(attr, code, message) for every message in a DRF error detail, however nested."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = "" if key == "non_field_errors" else str(key)
            yield from _field_errors(value, f"{path}.{name}" if path and name else (name or path))
    elif isinstance(detail, list):
        nested = any(isinstance(item, dict | list) for item in detail)
        for index, item in enumerate(detail):
            if nested:
                if item:
                    yield from _field_errors(item, f"{path}.{index}" if path else str(index))
            else:
                yield from _field_errors(item, path)
    else:
        yield (path or None, str(getattr(detail, "code", None) or "invalid"), str(detail))


def _validation_response(errors: list[tuple[str | None, str, str]]) -> Response:
    if not errors:
        return _error(400, "validation_error", "invalid", _("The request is not valid."))
    attr, code, detail = errors[0]
    body = error_body("validation_error", code, detail, attr)
    if len(errors) > 1:
        body["errors"] = [error_body("validation_error", c, d, a) for a, c, d in errors]
    return Response(body, status=400)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, PolicyInvalid):
        return _validation_response([(e.field, e.code, str(e.message)) for e in exc.errors])
    if isinstance(exc, DomainError):
        code = next((s for cls, s in _DOMAIN_STATUS if isinstance(exc, cls)), 400)
        type_ = {404: "not_found", 400: "validation_error" if exc.field else "client_error"}.get(
            code, "client_error"
        )
        return _error(code, type_, exc.code, exc.message, exc.field)
    if isinstance(exc, Http404):
        return _error(404, "not_found", "not_found", _("Not found."))
    if isinstance(exc, exceptions.ValidationError):
        return _validation_response(list(_field_errors(exc.detail)))
    response = exception_handler(exc, context)
    if response is not None and isinstance(exc, exceptions.APIException):
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
            type_ = "authentication_error"
        elif isinstance(exc, exceptions.NotFound):
            type_ = "not_found"
        elif response.status_code >= status.HTTP_500_INTERNAL_SERVER_ERROR:
            type_ = "server_error"
        else:
            type_ = "client_error"
        codes = exc.get_codes()
        response.data = error_body(type_, codes if isinstance(codes, str) else "error", str(exc.detail))
    return response
