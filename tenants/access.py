"""The one way in: resolve a store or agency and what the actor may do there.

Staff reach a store through a membership, or through an agency they belong to that holds an
active grant; they act with the higher of the two roles, and an agency never gets more than
its grant. Anything the actor cannot reach raises NotFound, which every surface renders as 404.

A store that requires two-factor authentication lets staff act only once they have an
authenticator: `access_store_for_staff` raises MfaRequired for everyone else (after the 404 check,
so it tells an outsider nothing), and `needs_mfa` answers the same question for the pages, API
routes, agency workspace and tokens that list several stores at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from allauth.mfa.utils import is_mfa_enabled
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.db.models import Q
from django.utils.translation import gettext as _

from tenants.errors import NotFound, PermissionDenied, TenantErrorCode
from tenants.models import Agency, AgencyGrant, AgencyMembership, Membership, Store, StoreDomain, User
from tenants.roles import AgencyRole, higher_role, scopes_for


@dataclass(frozen=True)
class StoreAccess:
    """What one person may do in one store, and how they got there."""

    store: Store
    user: User
    role: str
    membership_role: str | None = None
    agency: Agency | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)

    def has(self, scope: str) -> bool:
        return scope in self.scopes

    @property
    def via_agency(self) -> bool:
        return self.membership_role is None and self.agency is not None


class MfaRequired(PermissionDenied):
    """The store requires two-factor authentication and the person has no authenticator yet."""

    code = TenantErrorCode.MFA_REQUIRED


def needs_mfa(*, user: User | AnonymousUser, store: Store) -> bool:
    """True when the store requires two-factor authentication and the user has not set it up."""
    return bool(store.require_staff_mfa) and not (user.is_authenticated and is_mfa_enabled(user))


def store_by_slug(slug: str) -> Store:
    """The store with this slug, or NotFound."""
    try:
        return Store.objects.get(slug=slug)
    except Store.DoesNotExist:
        raise NotFound("No such store.") from None


_HOST_CACHE_SECONDS = 60


def _host_key(host: str) -> str:
    return f"store-domain:{host.split(':', 1)[0].lower().rstrip('.')}"


def store_for_host(host: str) -> Store | None:
    """The store that verified this host as its own domain. Cached briefly: every request on it asks."""
    key = _host_key(host)
    store_id = cache.get(key)
    if store_id is None:
        bare = host.split(":", 1)[0].lower().rstrip(".")
        verified = StoreDomain.objects.filter(host=bare, status=StoreDomain.Status.VERIFIED)
        store_id = verified.values_list("store_id", flat=True).first() or 0
        cache.set(key, store_id, _HOST_CACHE_SECONDS)
    return Store.objects.filter(pk=store_id).first() if store_id else None


def forget_host(host: str) -> None:
    cache.delete(_host_key(host))


def staff_access(*, user: User | AnonymousUser, store: Store) -> StoreAccess | None:
    """The user's access to the store as staff (membership or agency grant), or None."""
    if not user.is_authenticated:
        return None
    membership_role = (
        Membership.objects.for_store(store).filter(user=user).values_list("role", flat=True).first()
    )
    grant = (
        AgencyGrant.objects.for_store(store)
        .filter(revoked_at__isnull=True, agency__memberships__user=user)
        .select_related("agency")
        .order_by("-granted_at")
        .first()
    )
    role = higher_role(membership_role, grant.role if grant else None)
    if role is None:
        return None
    return StoreAccess(
        store=store,
        user=user,
        role=role,
        membership_role=membership_role,
        agency=grant.agency if grant else None,
        scopes=scopes_for(role),
    )


def access_store_for_staff(*, user: User | AnonymousUser, slug: str, scope: str | None) -> StoreAccess:
    """Resolve the store and check the scope: NotFound if unknown or unreachable, denied without the scope."""
    store = store_by_slug(slug)
    access = staff_access(user=user, store=store)
    if access is None:
        raise NotFound("No such store.")
    if needs_mfa(user=user, store=store):
        raise MfaRequired(
            _("%(store)s requires two-factor authentication. Set up an authenticator app to continue.")
            % {"store": store.name}
        )
    if scope is not None and not access.has(scope):
        raise PermissionDenied("Your role in this store does not allow this.")
    return access


def access_store_as_platform_staff(*, user: User, store: Store, scope: str | None) -> StoreAccess:
    """The access of someone the store's commerce platform signed in (the app inside Shopify admin).

    The same roles and scopes as `access_store_for_staff`, without the two-factor prompt: the platform
    authenticated the person for this very shop (Shopify's own sign-in, with its two-step verification),
    and a second sign-in inside the platform's admin is what embedded apps must not ask for.
    See docs/decisions/0102-embedded-shopify-admin.md.
    """
    access = staff_access(user=user, store=store)
    if access is None:
        raise NotFound("No such store.")
    if scope is not None and not access.has(scope):
        raise PermissionDenied("Your role in this store does not allow this.")
    return access


@dataclass(frozen=True)
class AgencyAccess:
    agency: Agency
    user: User
    role: str

    @property
    def can_manage(self) -> bool:
        return self.role in {AgencyRole.OWNER, AgencyRole.ADMIN}


def access_agency(*, user: User | AnonymousUser, slug: str) -> AgencyAccess:
    """The agency, for one of its members; NotFound for everyone else."""
    if not user.is_authenticated:
        raise NotFound("No such agency.")
    membership = (
        AgencyMembership.objects.select_related("agency").filter(agency__slug=slug, user=user).first()
    )
    if membership is None:
        raise NotFound("No such agency.")
    return AgencyAccess(agency=membership.agency, user=user, role=membership.role)


def stores_for_staff(user: User | AnonymousUser) -> list[Store]:
    """Every store the user works in, directly or through an agency's active grant."""
    if not user.is_authenticated:
        return []
    member_of = Membership.objects.dangerously_unscoped().filter(user=user).values("store_id")
    granted = (
        AgencyGrant.objects.dangerously_unscoped()
        .filter(revoked_at__isnull=True, agency__memberships__user=user)
        .values("store_id")
    )
    return list(Store.objects.filter(Q(pk__in=member_of) | Q(pk__in=granted)).order_by("name"))


def code_sign_in_allowed(user: User) -> bool:
    """May this person sign in with an emailed code? Not if a store they work in does not allow it.

    Customers and people who work in no store may; staff (members, or agency members through a
    grant) may only when every one of their stores allows it, since one session reaches them all.
    """
    return all(store.allow_staff_code_login for store in stores_for_staff(user))
