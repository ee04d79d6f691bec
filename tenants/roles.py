"""Roles are data: each role is a set of scopes, and views ask for scopes, never for roles."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Scope:
    ORDERS_READ = "orders:read"
    REQUESTS_READ = "requests:read"
    REQUESTS_DECIDE = "requests:decide"
    POLICY_WRITE = "policy:write"
    RULES_WRITE = "rules:write"
    TEAM_MANAGE = "team:manage"
    TOKENS_MANAGE = "tokens:manage"
    STORE_ADMIN = "store:admin"

    ALL = frozenset(
        {
            ORDERS_READ,
            REQUESTS_READ,
            REQUESTS_DECIDE,
            POLICY_WRITE,
            RULES_WRITE,
            TEAM_MANAGE,
            TOKENS_MANAGE,
            STORE_ADMIN,
        }
    )


class Role(models.TextChoices):
    """Store roles, highest first: owner > admin > agent > viewer."""

    OWNER = "owner", _("Owner")
    ADMIN = "admin", _("Admin")
    AGENT = "agent", _("Agent")
    VIEWER = "viewer", _("Viewer")


_VIEWER = frozenset({Scope.ORDERS_READ, Scope.REQUESTS_READ})
_AGENT = _VIEWER | {Scope.REQUESTS_DECIDE}
_ADMIN = _AGENT | {Scope.POLICY_WRITE, Scope.RULES_WRITE, Scope.TEAM_MANAGE, Scope.TOKENS_MANAGE}
_OWNER = _ADMIN | {Scope.STORE_ADMIN}

ROLE_SCOPES: dict[str, frozenset[str]] = {
    Role.VIEWER: _VIEWER,
    Role.AGENT: _AGENT,
    Role.ADMIN: _ADMIN,
    Role.OWNER: _OWNER,
}

ROLE_RANK: dict[str, int] = {Role.VIEWER: 1, Role.AGENT: 2, Role.ADMIN: 3, Role.OWNER: 4}


def scopes_for(role: str | None) -> frozenset[str]:
    return ROLE_SCOPES.get(role or "", frozenset())


def higher_role(a: str | None, b: str | None) -> str | None:
    """The stronger of two roles (None when neither is set)."""
    if a is None:
        return b
    if b is None:
        return a
    return a if ROLE_RANK[a] >= ROLE_RANK[b] else b


class AgencyRole(models.TextChoices):
    """Roles inside an agency's own workspace (not in the client stores)."""

    OWNER = "owner", _("Owner")
    ADMIN = "admin", _("Admin")
    MEMBER = "member", _("Member")
