"""Domain errors: each carries a stable `code` for the API and a human message for pages."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error a service raises on purpose."""

    code = "error"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.field = field


class NotFound(DomainError):
    """The object does not exist, or the actor may not know that it does (always rendered as 404)."""

    code = "not_found"


class PermissionDenied(DomainError):
    """The actor is known to the store but lacks the scope for this action (403)."""

    code = "permission_denied"


class Conflict(DomainError):
    """The action conflicts with the current state (e.g. removing the last owner)."""

    code = "conflict"
