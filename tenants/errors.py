"""Domain errors: each carries a stable `code` for the API and a human message for pages.

Codes come from catalogues, one per area (`TenantErrorCode` here, `RequestErrorCode` in
cancellations/requests/errors.py, ...), never from string literals: a code is public API, and a typo
would mint a new one. A code two areas share is defined once, in the lower layer, and reused.
docs/api-errors.md lists every code (`python manage.py error_codes` writes it).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Self


class ErrorCode(StrEnum):
    """Base of every catalogue. A member's value is the code; it also has a meaning and, when the
    HTTP status of an answer with this code is fixed, that status.

    A member is written `NAME = "value", "What it means.", status` (the status may be left out).
    """

    _value_: str
    description: str
    status: int | None

    def __new__(cls, value: str, description: str = "", status: int | None = None) -> Self:
        member = str.__new__(cls, value)
        member._value_ = value
        member.description = description
        member.status = status
        return member


class CommonErrorCode(ErrorCode):
    """Codes every area uses."""

    ERROR = "error", "Something went wrong that has no more specific code.", None
    INVALID = "invalid", "A value is not valid (the message and `attr` say which and why).", 400
    REQUIRED = "required", "A value that is needed is missing.", 400
    TOO_MANY = (
        "too_many",
        "More than allowed (requests decided at once; a store's webhook endpoints, on their page).",
        400,
    )
    NOT_FOUND = (
        "not_found",
        "The object does not exist, or belongs to another store: another store's objects are never 403s.",
        404,
    )
    PERMISSION_DENIED = "permission_denied", "The caller's role or token does not allow this action.", 403
    CONFLICT = "conflict", "The action conflicts with the current state (e.g. removing the last owner).", 409


class TenantErrorCode(ErrorCode):
    """Stores, domains, teams, agencies and API tokens."""

    SLUG_TAKEN = "slug_taken", "The address name of the store or agency is taken.", None
    LOGO_TOO_LARGE = "logo_too_large", "The logo is over 256 KB.", None
    LOGO_TYPE = "logo_type", "The logo is not a PNG, JPEG or WebP image.", None
    INVALID_HOST = (
        "invalid_host",
        "The store's own domain is not a public host name like orders.example.com (IP addresses, "
        "single-label and local names are refused).",
        None,
    )
    HOST_RESERVED = "host_reserved", "The host name is one of Amend's own, which no store can claim.", None
    HOST_TAKEN = (
        "host_taken",
        "The host name is verified by another store, or the store has already added it.",
        None,
    )
    UNKNOWN_AGENCY = "unknown_agency", "No agency has that address name.", None
    SCOPE_INVALID = "scope_invalid", "A scope asked for is not one a token can have.", None
    SCOPE_REQUIRED = "scope_required", "A token needs at least one scope.", None
    NAME_REQUIRED = "name_required", "A token needs a name.", None
    TOKEN_INVALID = "token_invalid", "The API token is unknown or malformed.", 401
    TOKEN_REVOKED = "token_revoked", "The API token was revoked.", 401
    MFA_REQUIRED = (
        "mfa_required",
        "The store requires two-factor authentication and the signed-in person has no authenticator yet.",
        403,
    )
    TOKEN_OWNER_MFA_REQUIRED = (
        "token_owner_mfa_required",
        "The store requires two-factor authentication and the person the token was made by (or for) "
        "has no authenticator, or the token names nobody.",
        403,
    )


class DomainError(Exception):
    """Base of every error a service raises on purpose."""

    code: ErrorCode = CommonErrorCode.ERROR

    def __init__(self, message: str, *, code: ErrorCode | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.field = field


class NotFound(DomainError):
    """The object does not exist, or the actor may not know that it does (always rendered as 404)."""

    code: ErrorCode = CommonErrorCode.NOT_FOUND


class PermissionDenied(DomainError):
    """The actor is known to the store but lacks the scope for this action (403)."""

    code: ErrorCode = CommonErrorCode.PERMISSION_DENIED


class Conflict(DomainError):
    """The action conflicts with the current state (e.g. removing the last owner)."""

    code: ErrorCode = CommonErrorCode.CONFLICT
