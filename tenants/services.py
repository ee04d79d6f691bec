"""Services that change stores, teams, agencies and grants. Views, commands and tasks call these."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from tenants.access import AgencyAccess, StoreAccess
from tenants.errors import CommonErrorCode, Conflict, DomainError, NotFound, PermissionDenied, TenantErrorCode
from tenants.models import (
    Agency,
    AgencyGrant,
    AgencyMembership,
    Membership,
    SecurityEvent,
    StaffInvitation,
    Store,
    StoreAuditEvent,
    StoreCustomer,
    User,
)
from tenants.roles import ROLE_RANK, AgencyRole, Role

INVITATION_LIFETIME = timedelta(days=7)
# What a store's administrators may change on its Settings page (the form shows exactly these).
STORE_SETTINGS_FIELDS = (
    "name",
    "locale",
    "timezone",
    "currency",
    "accent_colour",
    "require_staff_mfa",
    "allow_staff_code_login",
    "support_email",
    "return_address",
    "return_instructions",
)
LOGO_MAX_BYTES = 256 * 1024
_LOGO_SIGNATURES = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg", b"RIFF": "image/webp"}


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def record_store_event(
    *, store: Store, actor: User | None, action: str, subject: str = "", data: dict | None = None
) -> StoreAuditEvent:
    """Append an entry to the store's audit log."""
    return StoreAuditEvent.objects.create(
        store=store,
        actor=actor,
        actor_label=actor.email if actor else "system",
        action=action,
        subject=subject,
        data=data or {},
    )


def record_security_event(
    *,
    kind: str,
    user: User | None = None,
    email: str = "",
    ip: str | None = None,
    user_agent: str = "",
    data: dict | None = None,
) -> SecurityEvent:
    """Append a sign-in related event to the service-wide security log."""
    return SecurityEvent.objects.create(
        kind=kind,
        user=user,
        email=(email or (user.email if user else ""))[:254],
        ip=ip or None,
        user_agent=user_agent[:300],
        data=data or {},
    )


def _full_clean(instance: models.Model) -> None:
    try:
        instance.full_clean()
    except ValidationError as error:
        field, messages = next(iter(error.message_dict.items()))
        raise DomainError(messages[0], code=CommonErrorCode.INVALID, field=field) from None


@transaction.atomic
def create_store(
    *,
    owner: User,
    name: str,
    slug: str,
    platform: str = "builtin",
    platform_domain: str | None = None,
    locale: str = "en",
    currency: str = "USD",
    timezone_name: str = "UTC",
) -> Store:
    """Create a store with its creator as the owner."""
    store = Store(
        name=name.strip(),
        slug=slug.strip().lower(),
        platform=platform,
        platform_domain=platform_domain,
        locale=locale,
        currency=currency.upper(),
        timezone=timezone_name,
    )
    _full_clean(store)
    try:
        with transaction.atomic():
            store.save()
    except IntegrityError:
        raise DomainError(
            "That address name is taken; please choose another.",
            code=TenantErrorCode.SLUG_TAKEN,
            field="slug",
        ) from None
    Membership.objects.create(store=store, user=owner, role=Role.OWNER)
    record_store_event(store=store, actor=owner, action="store.created", subject=store.slug)
    return store


@transaction.atomic
def create_agency(*, owner: User, name: str, slug: str) -> Agency:
    """Create an agency with its creator as the owner."""
    agency = Agency(name=name.strip(), slug=slug.strip().lower())
    _full_clean(agency)
    try:
        with transaction.atomic():
            agency.save()
    except IntegrityError:
        raise DomainError(
            "That address name is taken; please choose another.",
            code=TenantErrorCode.SLUG_TAKEN,
            field="slug",
        ) from None
    AgencyMembership.objects.create(agency=agency, user=owner, role=AgencyRole.OWNER)
    return agency


def update_store_settings(*, access: StoreAccess, **changes: object) -> Store:
    """Change a store's name, language, time zone, currency, colour, MFA, code sign-in or support address."""
    store = access.store
    unknown = set(changes) - set(STORE_SETTINGS_FIELDS)
    if unknown:
        raise DomainError(f"Unknown settings: {', '.join(sorted(unknown))}.", code=CommonErrorCode.INVALID)
    before = {key: getattr(store, key) for key in changes}
    for key, value in changes.items():
        setattr(store, key, value)
    _full_clean(store)
    store.save(update_fields=list(changes))
    changed = {key: [before[key], value] for key, value in changes.items() if before[key] != value}
    if changed:
        record_store_event(store=store, actor=access.user, action="store.settings_changed", data=changed)
    return store


def set_store_logo(*, access: StoreAccess, content: bytes | None) -> Store:
    """Replace the store's logo (PNG, JPEG or WebP, at most 256 KB), or remove it with None."""
    store = access.store
    if content is None:
        store.logo, store.logo_content_type = None, ""
    else:
        if len(content) > LOGO_MAX_BYTES:
            raise DomainError(
                "The logo must be at most 256 KB.", code=TenantErrorCode.LOGO_TOO_LARGE, field="logo"
            )
        content_type = next((kind for sig, kind in _LOGO_SIGNATURES.items() if content.startswith(sig)), None)
        if content_type is None or (content_type == "image/webp" and content[8:12] != b"WEBP"):
            raise DomainError(
                "The logo must be a PNG, JPEG or WebP image.", code=TenantErrorCode.LOGO_TYPE, field="logo"
            )
        store.logo, store.logo_content_type = content, content_type
    store.logo_updated_at = timezone.now()
    store.save(update_fields=["logo", "logo_content_type", "logo_updated_at"])
    record_store_event(store=store, actor=access.user, action="store.logo_changed")
    return store


def _check_can_assign(access: StoreAccess, role: str) -> None:
    # Nobody hands out a role above their own; only owners make owners.
    if ROLE_RANK[role] > ROLE_RANK[access.role]:
        raise PermissionDenied("You cannot give a role above your own.")


def invite_staff(*, access: StoreAccess, email: str, role: str) -> tuple[StaffInvitation, str]:
    """Invite someone by email to the store's staff; returns the invitation and its secret token."""
    if role not in Role.values:
        raise DomainError("Choose a role.", code=CommonErrorCode.INVALID, field="role")
    _check_can_assign(access, role)
    email = email.strip().lower()
    if Membership.objects.for_store(access.store).filter(user__email__iexact=email).exists():
        raise Conflict("That person is already on the team.", field="email")
    token = secrets.token_urlsafe(32)
    invitation = StaffInvitation.objects.create(
        store=access.store,
        email=email,
        role=role,
        token_hash=_hash_token(token),
        invited_by=access.user,
        expires_at=timezone.now() + INVITATION_LIFETIME,
    )
    record_store_event(
        store=access.store, actor=access.user, action="team.invited", subject=email, data={"role": role}
    )
    return invitation, token


def open_invitation(*, store: Store, token: str) -> StaffInvitation:
    """The open invitation for this token at this store, or NotFound (used, expired, cancelled or wrong)."""
    invitation = StaffInvitation.objects.for_store(store).filter(token_hash=_hash_token(token)).first()
    if invitation is None or not invitation.is_open:
        raise NotFound("This invitation is no longer valid. Ask for a new one.")
    return invitation


@transaction.atomic
def accept_invitation(*, store: Store, token: str, user: User) -> Membership:
    """Join the store's staff with the invited role. The signed-in email must be the invited one."""
    invitation = open_invitation(store=store, token=token)
    invitation = StaffInvitation.objects.for_store(store).select_for_update().get(pk=invitation.pk)
    if not invitation.is_open:
        raise NotFound("This invitation is no longer valid. Ask for a new one.")
    if invitation.email.lower() != user.email.lower():
        raise PermissionDenied(f"This invitation was sent to {invitation.email}. Sign in with that address.")
    membership, _ = Membership.objects.for_store(store).get_or_create(
        store=store, user=user, defaults={"role": invitation.role}
    )
    invitation.accepted_at, invitation.accepted_by = timezone.now(), user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    record_store_event(
        store=store, actor=user, action="team.joined", subject=user.email, data={"role": membership.role}
    )
    return membership


def cancel_invitation(*, access: StoreAccess, invitation_id: int) -> None:
    invitation = (
        StaffInvitation.objects.for_store(access.store)
        .filter(pk=invitation_id, accepted_at__isnull=True)
        .first()
    )
    if invitation is None:
        raise NotFound("No such invitation.")
    invitation.cancelled_at = timezone.now()
    invitation.save(update_fields=["cancelled_at"])
    record_store_event(
        store=access.store, actor=access.user, action="team.invitation_cancelled", subject=invitation.email
    )


def _lock_membership(store: Store, membership_id: int) -> Membership:
    membership = (
        Membership.objects.for_store(store)
        .select_for_update()
        .select_related("user")
        .filter(pk=membership_id)
        .first()
    )
    if membership is None:
        raise NotFound("No such team member.")
    return membership


def _owner_count(store: Store) -> int:
    # Lock every owner row so two concurrent demotions cannot both pass the check.
    return len(Membership.objects.for_store(store).select_for_update().filter(role=Role.OWNER))


@transaction.atomic
def change_member_role(*, access: StoreAccess, membership_id: int, role: str) -> Membership:
    """Give a team member another role. Owners cannot demote the last owner."""
    if role not in Role.values:
        raise DomainError("Choose a role.", code=CommonErrorCode.INVALID, field="role")
    membership = _lock_membership(access.store, membership_id)
    if membership.role == role:
        return membership
    _check_can_assign(access, role)
    _check_can_assign(access, membership.role)
    if membership.role == Role.OWNER and _owner_count(access.store) <= 1:
        raise Conflict("A store needs at least one owner. Make someone else an owner first.")
    before = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    record_store_event(
        store=access.store,
        actor=access.user,
        action="team.role_changed",
        subject=membership.user.email,
        data={"from": before, "to": role},
    )
    return membership


@transaction.atomic
def remove_member(*, access: StoreAccess, membership_id: int) -> None:
    """Remove someone from the team. The last owner cannot be removed."""
    membership = _lock_membership(access.store, membership_id)
    _check_can_assign(access, membership.role)
    if membership.role == Role.OWNER and _owner_count(access.store) <= 1:
        raise Conflict("A store needs at least one owner. Make someone else an owner first.")
    email = membership.user.email
    membership.delete()
    record_store_event(store=access.store, actor=access.user, action="team.removed", subject=email)


@transaction.atomic
def grant_agency_access(*, access: StoreAccess, agency_slug: str, role: str) -> AgencyGrant:
    """Let an agency's staff work in this store with a role (replacing any earlier grant)."""
    if role not in Role.values or role == Role.OWNER:
        raise DomainError("Choose viewer, agent or admin.", code=CommonErrorCode.INVALID, field="role")
    _check_can_assign(access, role)
    agency = Agency.objects.filter(slug=agency_slug.strip().lower()).first()
    if agency is None:
        raise DomainError(
            "No agency has that address name.", code=TenantErrorCode.UNKNOWN_AGENCY, field="agency"
        )
    now = timezone.now()
    AgencyGrant.objects.for_store(access.store).select_for_update().filter(
        agency=agency, revoked_at__isnull=True
    ).update(revoked_at=now, revoked_by=access.user)
    grant = AgencyGrant.objects.create(
        store=access.store, agency=agency, role=role, granted_by=access.user, granted_at=now
    )
    record_store_event(
        store=access.store,
        actor=access.user,
        action="agency.granted",
        subject=agency.slug,
        data={"role": role},
    )
    return grant


@transaction.atomic
def revoke_agency_grant(*, access: StoreAccess, grant_id: int) -> AgencyGrant:
    """Withdraw an agency's access; its staff lose the store on their next request."""
    grant = (
        AgencyGrant.objects.for_store(access.store)
        .select_for_update()
        .select_related("agency")
        .filter(pk=grant_id)
        .first()
    )
    if grant is None:
        raise NotFound("No such grant.")
    if grant.revoked_at is None:
        grant.revoked_at, grant.revoked_by = timezone.now(), access.user
        grant.save(update_fields=["revoked_at", "revoked_by"])
        record_store_event(
            store=access.store, actor=access.user, action="agency.revoked", subject=grant.agency.slug
        )
    return grant


def remember_store_customer(*, store: Store, email: str, name: str = "") -> StoreCustomer:
    """Note that a person with this email bought from the store (called when orders arrive)."""
    email = email.strip().lower()
    customer = StoreCustomer.objects.for_store(store).filter(email__iexact=email).first()
    if customer is None:
        try:
            with transaction.atomic():
                customer = StoreCustomer.objects.create(store=store, email=email, name=name)
        except IntegrityError:
            customer = StoreCustomer.objects.for_store(store).get(email__iexact=email)
    return customer


def provision_customer_user(*, store: Store, email: str) -> User | None:
    """Make sure a store customer with this email can sign in: the user behind them, or None if unknown."""
    customer = StoreCustomer.objects.for_store(store).filter(email__iexact=email.strip()).first()
    if customer is None:
        return None
    if customer.user_id is None:
        user = User.objects.filter(email__iexact=customer.email).first()
        if user is None:
            try:
                with transaction.atomic():
                    user = User.objects.create_user(customer.email, None)
            except IntegrityError:
                user = User.objects.get(email__iexact=customer.email)
        customer.user = user
        customer.save(update_fields=["user"])
    # The address is proven (verified) when the emailed sign-in code is entered, not before.
    EmailAddress.objects.get_or_create(
        user=customer.user, email__iexact=customer.email, defaults={"email": customer.email, "primary": True}
    )
    return customer.user


def _require_agency_manager(access: AgencyAccess) -> None:
    if not access.can_manage:
        raise PermissionDenied("Only the agency's owners and admins manage its team.")


@transaction.atomic
def add_agency_member(*, access: AgencyAccess, email: str, role: str) -> AgencyMembership:
    """Add someone to the agency's team by email; they sign in with a code sent to that address."""
    _require_agency_manager(access)
    if role not in AgencyRole.values:
        raise DomainError("Choose a role.", code=CommonErrorCode.INVALID, field="role")
    if role == AgencyRole.OWNER and access.role != AgencyRole.OWNER:
        raise PermissionDenied("Only owners make owners.")
    email = email.strip().lower()
    user = User.objects.filter(email__iexact=email).first() or User.objects.create_user(email, None)
    EmailAddress.objects.get_or_create(
        user=user, email__iexact=email, defaults={"email": email, "primary": True}
    )
    membership, created = AgencyMembership.objects.get_or_create(
        agency=access.agency, user=user, defaults={"role": role}
    )
    if not created:
        raise Conflict("That person is already on the team.", field="email")
    return membership


def _agency_owners_locked(agency: Agency) -> int:
    return len(AgencyMembership.objects.select_for_update().filter(agency=agency, role=AgencyRole.OWNER))


@transaction.atomic
def change_agency_member_role(*, access: AgencyAccess, membership_id: int, role: str) -> AgencyMembership:
    _require_agency_manager(access)
    if role not in AgencyRole.values:
        raise DomainError("Choose a role.", code=CommonErrorCode.INVALID, field="role")
    membership = (
        AgencyMembership.objects.select_for_update().filter(agency=access.agency, pk=membership_id).first()
    )
    if membership is None:
        raise NotFound("No such team member.")
    if AgencyRole.OWNER in (role, membership.role) and access.role != AgencyRole.OWNER:
        raise PermissionDenied("Only owners change owners.")
    if (
        membership.role == AgencyRole.OWNER
        and role != AgencyRole.OWNER
        and _agency_owners_locked(access.agency) <= 1
    ):
        raise Conflict("An agency needs at least one owner. Make someone else an owner first.")
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def remove_agency_member(*, access: AgencyAccess, membership_id: int) -> None:
    _require_agency_manager(access)
    membership = (
        AgencyMembership.objects.select_for_update().filter(agency=access.agency, pk=membership_id).first()
    )
    if membership is None:
        raise NotFound("No such team member.")
    if membership.role == AgencyRole.OWNER:
        if access.role != AgencyRole.OWNER:
            raise PermissionDenied("Only owners remove owners.")
        if _agency_owners_locked(access.agency) <= 1:
            raise Conflict("An agency needs at least one owner. Make someone else an owner first.")
    membership.delete()
