"""API tokens: made, checked and revoked here, and what a token may do in a store.

A token reads `amd_<prefix>_<secret>`. The prefix finds the row (it is unique and shown in lists);
the secret is compared by its SHA-256 hash in constant time. A store token reaches its own store
with its own scopes. An agency token reaches a store only while the store's grant to the agency is
active, with the token's scopes cut down to those of the grant's role; revoking the grant ends that
at once, because nothing about the grant is cached.

A store that requires two-factor authentication of its staff is reached only by tokens made by
(or, for an agency, for) a person who has an authenticator: otherwise a token would be a way
around the requirement. Such a call is a 403 `token_owner_mfa_required`, not a 404: the token
does reach the store, and its holder needs to know why it is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from allauth.mfa.utils import is_mfa_enabled
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from tenants.access import StoreAccess, store_by_slug
from tenants.errors import DomainError, NotFound, PermissionDenied, TenantErrorCode
from tenants.models import Agency, AgencyGrant, ApiToken, Store, User
from tenants.roles import Scope, scopes_for
from tenants.services import record_store_event

TOKEN_PREFIX = "amd"  # noqa: S105 - the fixed start of every token, not a secret
# What a token may be given: what the API offers. Managing people, tokens or the store is for people.
API_SCOPES: tuple[str, ...] = (
    Scope.ORDERS_READ,
    Scope.REQUESTS_READ,
    Scope.REQUESTS_DECIDE,
    Scope.POLICY_WRITE,
    Scope.RULES_WRITE,
)
_PREFIX_ALPHABET = string.ascii_lowercase + string.digits
_PREFIX_LENGTH = 10
# `last_used_at` is written at most this often per token, not on every call.
_LAST_USED_EVERY = timedelta(minutes=1)


class TokenInvalid(DomainError):
    """The presented token is unknown, malformed or revoked."""

    code = TenantErrorCode.TOKEN_INVALID


@dataclass(frozen=True)
class NewToken:
    """A token just made: `secret` is the whole token, which is never shown again."""

    token: ApiToken
    secret: str


@dataclass(frozen=True)
class TokenAccess:
    """What one API token may do in one store, and how it got there."""

    store: Store
    token: ApiToken
    scopes: frozenset[str]
    agency: Agency | None = None
    role: str | None = None

    def has(self, scope: str) -> bool:
        return scope in self.scopes


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _clean_scopes(scopes: Iterable[str]) -> list[str]:
    chosen = sorted(set(scopes))
    unknown = [scope for scope in chosen if scope not in API_SCOPES]
    if unknown:
        raise DomainError(
            _("These scopes cannot be given to a token: %(scopes)s.") % {"scopes": ", ".join(unknown)},
            code=TenantErrorCode.SCOPE_INVALID,
            field="scopes",
        )
    if not chosen:
        raise DomainError(
            _("Choose at least one scope."), code=TenantErrorCode.SCOPE_REQUIRED, field="scopes"
        )
    return chosen


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise DomainError(_("Give the token a name."), code=TenantErrorCode.NAME_REQUIRED, field="name")
    return name[:100]


def _make(**fields: object) -> NewToken:
    prefix = "".join(secrets.choice(_PREFIX_ALPHABET) for _ in range(_PREFIX_LENGTH))
    secret = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(prefix=prefix, secret_hash=hash_secret(secret), **fields)
    return NewToken(token=token, secret=f"{TOKEN_PREFIX}_{prefix}_{secret}")


def create_store_token(*, access: StoreAccess, name: str, scopes: Iterable[str]) -> NewToken:
    """Make a token for the store; it never gets a scope its maker does not hold."""

    if not access.has(Scope.TOKENS_MANAGE):
        raise PermissionDenied(_("Your role in this store does not allow this."))
    chosen = _clean_scopes(scopes)
    beyond = [scope for scope in chosen if not access.has(scope)]
    if beyond:
        raise PermissionDenied(
            _("You cannot give a token scopes you do not hold: %(scopes)s.") % {"scopes": ", ".join(beyond)},
            field="scopes",
        )
    with transaction.atomic():
        made = _make(store=access.store, name=_clean_name(name), scopes=chosen, created_by=access.user)
        record_store_event(
            store=access.store,
            actor=access.user,
            action="api_token_created",
            subject=made.token.name,
            data={"prefix": made.token.prefix, "scopes": chosen},
        )
    return made


def create_agency_token(
    *, agency: Agency, name: str, scopes: Iterable[str], created_by: User | None = None
) -> NewToken:
    """Make a token for an agency: it reaches only the stores that grant the agency access."""
    return _make(agency=agency, name=_clean_name(name), scopes=_clean_scopes(scopes), created_by=created_by)


def store_tokens(*, store: Store) -> list[ApiToken]:
    """The store's own tokens, newest first (revoked ones too, marked so)."""
    return list(ApiToken.objects.filter(store=store).select_related("created_by"))


def revoke_store_token(*, access: StoreAccess, token_id: int) -> ApiToken:
    """Revoke one of the store's tokens; it stops working at once."""

    if not access.has(Scope.TOKENS_MANAGE):
        raise PermissionDenied(_("Your role in this store does not allow this."))
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().filter(pk=token_id, store=access.store).first()
        if token is None:
            raise NotFound(_("No such token."))
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.revoked_by = access.user
            token.save(update_fields=["revoked_at", "revoked_by"])
            record_store_event(
                store=access.store,
                actor=access.user,
                action="api_token_revoked",
                subject=token.name,
                data={"prefix": token.prefix},
            )
    return token


def revoke_agency_token(*, agency: Agency, prefix: str) -> ApiToken:
    """Revoke one of the agency's tokens by its prefix."""
    token = ApiToken.objects.filter(agency=agency, prefix=prefix).first()
    if token is None:
        raise NotFound(_("No such token."))
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def authenticate_token(raw: str) -> ApiToken:
    """The active token this string is, or TokenInvalid."""
    parts = (raw or "").split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or not parts[1] or not parts[2]:
        raise TokenInvalid(_("The token is not valid."))
    token = ApiToken.objects.select_related("store", "agency", "created_by").filter(prefix=parts[1]).first()
    # Hash and compare even when no row matched, so timing does not tell which prefixes exist.
    expected = token.secret_hash if token is not None else hash_secret(secrets.token_hex(8))
    if not hmac.compare_digest(hash_secret(parts[2]), expected) or token is None:
        raise TokenInvalid(_("The token is not valid."))
    if token.revoked_at is not None:
        raise TokenInvalid(_("The token was revoked."), code=TenantErrorCode.TOKEN_REVOKED)
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > _LAST_USED_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def _active_grant(store: Store, agency_id: int) -> AgencyGrant | None:
    return (
        AgencyGrant.objects.for_store(store)
        .filter(agency_id=agency_id, revoked_at__isnull=True)
        .order_by("-granted_at")
        .first()
    )


def token_access(*, token: ApiToken, store: Store) -> TokenAccess | None:
    """What the token may do in the store, or None if it cannot reach it."""
    if token.revoked_at is not None:
        return None
    if token.store_id is not None:
        if token.store_id != store.pk:
            return None
        return TokenAccess(store=store, token=token, scopes=frozenset(token.scopes))
    if token.agency_id is None:
        return None
    grant = _active_grant(store, token.agency_id)
    if grant is None:
        return None
    return TokenAccess(
        store=store,
        token=token,
        scopes=frozenset(token.scopes) & scopes_for(grant.role),
        agency=token.agency,
        role=grant.role,
    )


class TokenOwnerMfaRequired(PermissionDenied):
    """The store requires two-factor authentication and the token's person has none (or it has none)."""

    code = TenantErrorCode.TOKEN_OWNER_MFA_REQUIRED


def _owner_lacks_mfa(token: ApiToken) -> bool:
    return token.created_by is None or not is_mfa_enabled(token.created_by)


def token_needs_mfa(*, token: ApiToken, store: Store) -> bool:
    """True when the store requires two-factor authentication that the token's person has not set up."""
    if not store.require_staff_mfa:
        return False
    return _owner_lacks_mfa(token)


def access_store_for_token(*, token: ApiToken, slug: str, scope: str | None) -> TokenAccess:
    """Resolve the store and check the scope: NotFound if unknown or unreachable, denied without it."""
    store = store_by_slug(slug)
    access = token_access(token=token, store=store)
    if access is None:
        raise NotFound(_("No such store."))
    if token_needs_mfa(token=token, store=store):
        raise TokenOwnerMfaRequired(
            _(
                "%(store)s requires two-factor authentication: this token was made by (or for) a person "
                "without an authenticator. Make a new token as someone who has one."
            )
            % {"store": store.name}
        )
    if scope is not None and not access.has(scope):
        raise PermissionDenied(_("This token does not allow this."))
    return access


def stores_for_token(token: ApiToken) -> QuerySet[Store]:
    """Every store the token reaches now (a store whose MFA requirement it does not meet is left out)."""
    if token.revoked_at is not None:
        return Store.objects.none()
    if token.store_id is not None:
        own = Store.objects.filter(pk=token.store_id)
        return own.filter(require_staff_mfa=False) if _owner_lacks_mfa(token) else own
    if token.agency_id is None:
        return Store.objects.none()
    granted = (
        AgencyGrant.objects.dangerously_unscoped()
        .filter(agency_id=token.agency_id, revoked_at__isnull=True)
        .values("store_id")
    )
    stores = Store.objects.filter(pk__in=granted)
    return stores.filter(require_staff_mfa=False) if _owner_lacks_mfa(token) else stores
