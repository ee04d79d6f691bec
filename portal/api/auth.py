"""Bearer-token authentication for the API: `Authorization: Bearer amd_<prefix>_<secret>`.

A request without an Authorization header falls through to the session (staff using the API from
the browser). A bad, malformed or revoked token is a 401 with `WWW-Authenticate: Bearer`, never a
silent fall back to anonymous.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request

from tenants.models import ApiToken
from tenants.tokens import TokenInvalid, authenticate_token


@dataclass(frozen=True)
class TokenPrincipal:
    """Who `request.user` is for a token: not a person, but authenticated."""

    token: ApiToken
    pk: None = None
    is_authenticated: bool = True
    is_anonymous: bool = False
    is_active: bool = True
    is_staff: bool = False
    is_superuser: bool = False

    @property
    def email(self) -> str:
        return ""

    def __str__(self) -> str:
        return f"API token {self.token.display}"


class ApiTokenAuthentication(BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[TokenPrincipal, ApiToken] | None:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return None
        keyword, _sep, raw = header.partition(" ")
        if keyword.lower() != self.keyword.lower():
            raise exceptions.AuthenticationFailed(_("Use the header Authorization: Bearer <token>."))
        raw = raw.strip()
        if not raw or " " in raw:
            raise exceptions.AuthenticationFailed(_("Use the header Authorization: Bearer <token>."))
        try:
            token = authenticate_token(raw)
        except TokenInvalid as error:
            raise exceptions.AuthenticationFailed(error.message, code=error.code) from None
        return TokenPrincipal(token=token), token

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="api"'


def request_token(request: Request) -> ApiToken | None:
    """The token the request was made with, if any."""
    return request.auth if isinstance(request.auth, ApiToken) else None
