"""One error shape for the whole API: {"type", "code", "detail", "attr"}."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from tenants.errors import Conflict, DomainError, NotFound, PermissionDenied

_DOMAIN_STATUS = {NotFound: 404, PermissionDenied: 403, Conflict: 409}


def _error(status_code: int, type_: str, code: str, detail: str, attr: str | None = None) -> Response:
    return Response({"type": type_, "code": code, "detail": detail, "attr": attr}, status=status_code)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        code = next((s for cls, s in _DOMAIN_STATUS.items() if isinstance(exc, cls)), 400)
        return _error(code, "client_error" if code != 404 else "not_found", exc.code, exc.message, exc.field)
    if isinstance(exc, Http404):
        return _error(404, "not_found", "not_found", "Not found.")
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        if isinstance(detail, dict) and detail:
            attr, messages = next(iter(detail.items()))
            message = messages[0] if isinstance(messages, list) and messages else messages
            return _error(
                400, "validation_error", getattr(message, "code", "invalid"), str(message), str(attr)
            )
        message = detail[0] if isinstance(detail, list) and detail else detail
        return _error(400, "validation_error", getattr(message, "code", "invalid"), str(message))
    response = exception_handler(exc, context)
    if response is not None and isinstance(exc, exceptions.APIException):
        type_ = (
            "authentication_error"
            if response.status_code in (401, 403)
            and isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed)
            else "client_error"
        )
        if response.status_code >= status.HTTP_500_INTERNAL_SERVER_ERROR:
            type_ = "server_error"
        body = {
            "type": type_,
            "code": exc.get_codes() if isinstance(exc.get_codes(), str) else "error",
            "detail": str(exc.detail),
            "attr": None,
        }
        response.data = body
    return response
