"""One error shape for the whole API: {"type", "code", "detail", "attr"}.

`attr` names the field at fault as a dotted path (`changes.0.quantity`, `actions.cancel.window.minutes`),
or is null. When several fields are at fault, the first is in the top-level keys and every one is
listed, in the same shape, under `errors`.

`code` is a member of one of the catalogues (tenants.errors.ErrorCode and its subclasses, one per
area); `ApiErrorCode` holds the API's own, including those Django REST framework gives. Every code
is listed in docs/api-errors.md.
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
from tenants.errors import CommonErrorCode, Conflict, DomainError, ErrorCode, NotFound, PermissionDenied


class ApiErrorCode(ErrorCode):
    """The API's own codes: idempotency keys, and those Django REST framework gives (authentication,
    methods, rate limits, and the checks of each field of a body or a query)."""

    IDEMPOTENCY_KEY_INVALID = (
        "idempotency_key_invalid",
        "The Idempotency-Key header is over 255 characters.",
        400,
    )
    IDEMPOTENCY_KEY_MISMATCH = (
        "idempotency_key_mismatch",
        "The Idempotency-Key was used before for another request (another body, path or method).",
        422,
    )
    IDEMPOTENCY_KEY_IN_USE = (
        "idempotency_key_in_use",
        "The first request with this Idempotency-Key is still being answered.",
        409,
    )
    NOT_AUTHENTICATED = "not_authenticated", "No token or session was sent.", 401
    AUTHENTICATION_FAILED = "authentication_failed", "The Authorization header is not `Bearer <token>`.", 401
    METHOD_NOT_ALLOWED = "method_not_allowed", "The path does not take this HTTP method.", 405
    NOT_ACCEPTABLE = "not_acceptable", "The Accept header asks for a format the API does not give.", 406
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type", "The body is not JSON (Content-Type).", 415
    PARSE_ERROR = "parse_error", "The body is not well-formed JSON.", 400
    THROTTLED = "throttled", "Over the rate limit; `Retry-After` says how many seconds to wait.", 429
    NULL = "null", "A field that may not be null is null.", 400
    BLANK = "blank", "A text field that may not be blank is blank.", 400
    EMPTY = "empty", "A list that may not be empty is empty.", 400
    INVALID_CHOICE = "invalid_choice", "The value is not one of the field's choices.", 400
    MAX_LENGTH = "max_length", "The text or list is longer than the field allows.", 400
    MIN_LENGTH = "min_length", "The text or list is shorter than the field allows.", 400
    MAX_VALUE = "max_value", "The number is above the field's maximum.", 400
    MIN_VALUE = "min_value", "The number is below the field's minimum.", 400
    MAX_STRING_LENGTH = "max_string_length", "The number is written with too many characters.", 400
    MAX_DIGITS = "max_digits", "The amount has too many digits.", 400
    MAX_DECIMAL_PLACES = "max_decimal_places", "The amount has too many decimal places.", 400
    MAX_WHOLE_DIGITS = "max_whole_digits", "The amount has too many digits before the decimal point.", 400
    DATE = "date", "A date was given where a date and time is expected.", 400
    DATETIME = "datetime", "A date and time was given where a date is expected.", 400
    MAKE_AWARE = "make_aware", "The time does not exist in the time zone.", 400
    OVERFLOW = "overflow", "The time is out of the range of times.", 400
    NOT_A_LIST = "not_a_list", "A list is expected.", 400
    NOT_A_DICT = "not_a_dict", "An object is expected.", 400


class IdempotencyKeyMismatch(DomainError):
    """The key was used before for another request (another body, path or method): 422."""

    code = ApiErrorCode.IDEMPOTENCY_KEY_MISMATCH


class IdempotencyKeyInUse(Conflict):
    """The first request with this key is still being answered."""

    code = ApiErrorCode.IDEMPOTENCY_KEY_IN_USE


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
        yield (path or None, str(getattr(detail, "code", None) or CommonErrorCode.INVALID), str(detail))


def _validation_response(errors: list[tuple[str | None, str, str]]) -> Response:
    if not errors:
        return _error(400, "validation_error", CommonErrorCode.INVALID, _("The request is not valid."))
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
        return _error(404, "not_found", CommonErrorCode.NOT_FOUND, _("Not found."))
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
        response.data = error_body(
            type_, codes if isinstance(codes, str) else CommonErrorCode.ERROR, str(exc.detail)
        )
    return response
