"""Reads of tenant data shared by several views; each takes the store and returns scoped querysets."""

from __future__ import annotations

from django.db.models import QuerySet

from tenants.models import (
    Agency,
    AgencyGrant,
    Membership,
    StaffInvitation,
    Store,
    StoreAuditEvent,
)


def team_members(*, store: Store) -> QuerySet[Membership]:
    return Membership.objects.for_store(store).select_related("user").order_by("user__email")


def open_invitations(*, store: Store) -> list[StaffInvitation]:
    invitations = StaffInvitation.objects.for_store(store).filter(
        accepted_at__isnull=True, cancelled_at__isnull=True
    )
    return [invitation for invitation in invitations.select_related("invited_by") if invitation.is_open]


def agency_grants(*, store: Store) -> QuerySet[AgencyGrant]:
    """Every grant the store made, active ones first."""
    return (
        AgencyGrant.objects.for_store(store)
        .select_related("agency", "granted_by", "revoked_by")
        .order_by("revoked_at", "-granted_at")
    )


def agency_grant(*, store: Store, grant_id: int) -> AgencyGrant | None:
    """One of the store's grants, or None (another store's grant is not found either)."""
    return AgencyGrant.objects.for_store(store).select_related("agency").filter(pk=grant_id).first()


def store_audit_events(*, store: Store) -> QuerySet[StoreAuditEvent]:
    return StoreAuditEvent.objects.for_store(store).select_related("actor")


def granted_stores(*, agency: Agency) -> list[tuple[Store, str]]:
    """The stores that currently grant this agency access, with the role each grants."""
    grants = (
        AgencyGrant.objects.dangerously_unscoped()  # each row is this agency's own grant
        .filter(agency=agency, revoked_at__isnull=True)
        .select_related("store")
        .order_by("store__name")
    )
    return [(grant.store, grant.role) for grant in grants]
