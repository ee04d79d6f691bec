"""The OpenAPI description of the API (drf-spectacular): errors, tokens and idempotency keys included.

Every operation documents the error answers it can give, in the one error shape, so a client
generated from the schema (and Schemathesis, in the tests) knows every answer it may get.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from portal.api.idempotency import HEADER as IDEMPOTENCY_HEADER
from portal.api.serializers.common import ErrorSerializer

_ERRORS_ANY = ("400", "401", "403", "404", "429")
_ERRORS_WRITE = ("409", "422")
_RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before the next request.",
        "schema": {"type": "integer"},
    }
}


def decimal_pattern(field: serializers.DecimalField) -> str:
    """The strings the field takes: a digit at least, no sign when it cannot be negative."""
    sign = "" if field.min_value is not None and field.min_value >= 0 else "-?"
    whole, places = field.max_whole_digits, field.decimal_places
    return rf"^{sign}(?:\d{{1,{whole}}}(?:\.\d{{0,{places}}})?|\.\d{{1,{places}}})$"


class ApiAutoSchema(AutoSchema):
    def _map_serializer_field(self, field: Any, direction: Any, bypass_extensions: bool = False) -> Any:
        result = super()._map_serializer_field(field, direction, bypass_extensions)
        # drf-spectacular's pattern allows a minus sign below a min_value of 0, and "" or ".".
        if (
            isinstance(field, serializers.DecimalField)
            and "pattern" in result
            and field.max_whole_digits
            and field.decimal_places
        ):
            result["pattern"] = decimal_pattern(field)
        return result

    def get_override_parameters(self) -> list[Any]:
        parameters = list(super().get_override_parameters())
        if self.method == "POST":
            parameters.append(
                OpenApiParameter(
                    IDEMPOTENCY_HEADER,
                    str,
                    OpenApiParameter.HEADER,
                    required=False,
                    description=_(
                        "Any unique string up to 255 characters. Sending the same key with the same "
                        "body again returns the first answer; the same key with another body is a 422."
                    ),
                )
            )
        return parameters

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses = dict(super()._get_response_bodies(direction))
        codes = _ERRORS_ANY + (_ERRORS_WRITE if self.method in ("POST", "PUT", "PATCH", "DELETE") else ())
        for code in codes:
            if code not in responses:
                responses[code] = self._get_response_for_code(ErrorSerializer, code, direction=direction)
        if "429" in responses:
            responses["429"]["headers"] = _RETRY_AFTER
        if "401" in responses:
            responses["401"]["headers"] = {
                "WWW-Authenticate": {"description": "How to authenticate.", "schema": {"type": "string"}}
            }
        return responses


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "portal.api.auth.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "amd_<prefix>_<secret>",
            "description": str(
                _(
                    "A store token (made by staff under API tokens) or an agency token. "
                    "Send it as `Authorization: Bearer amd_...`."
                )
            ),
        }
