"""A store's own domains: adding and removing them, and what a check for the store's proof found.

A domain serves the store's customer portal only while it is verified. It starts pending; a check
that finds the proof (cancellations/hosts) verifies it, one that does not leaves it failed. A
verified domain is rechecked; after STORE_DOMAIN_LOST_AFTER_CHECKS checks in a row without the proof
it is lost and stops serving, until a check finds the proof again. Only one store can hold a host
verified (a partial unique constraint), and a host verified by one store cannot be added by another.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from tenants.access import StoreAccess, forget_host
from tenants.errors import DomainError, NotFound, TenantErrorCode
from tenants.hosts import Proof, claimable_host, proof_for
from tenants.models import Store, StoreDomain
from tenants.services import record_store_event

Status = StoreDomain.Status

# How soon each kind of domain is checked again by the sweep.
PENDING_RECHECK = timedelta(minutes=10)
FAILED_RECHECK_EARLY = timedelta(hours=1)  # in the first days, while the owner sets the proof up
FAILED_EARLY_PERIOD = timedelta(days=2)
SETTLED_RECHECK = timedelta(hours=24)  # verified and lost domains; failed ones after the first days

TAKEN_MESSAGE = "Another store has verified this host name."


@dataclass(frozen=True)
class CheckOutcome:
    """What one check for the proof found: the proof (and how), or why not, in words for the owner."""

    found: bool
    method: str = ""
    error: str = ""


@dataclass(frozen=True)
class DomainRow:
    domain: StoreDomain
    proof: Proof

    @property
    def serving(self) -> bool:
        return self.domain.status == Status.VERIFIED


def store_domains(*, store: Store) -> QuerySet[StoreDomain]:
    return StoreDomain.objects.filter(store=store)


def domain_rows(*, store: Store) -> list[DomainRow]:
    """The store's domains with the proof each one needs, for the settings page."""
    return [
        DomainRow(domain=domain, proof=proof_for(host=domain.host, token=domain.token))
        for domain in store_domains(store=store)
    ]


def access_store_domain(*, store: Store, domain_id: int) -> StoreDomain:
    domain = StoreDomain.objects.filter(store=store, pk=domain_id).first()
    if domain is None:
        raise NotFound("No such domain.")
    return domain


def _verified_elsewhere(*, host: str, store_id: int) -> bool:
    # Routing is global: this reads across stores on purpose, and says only yes or no.
    return StoreDomain.objects.filter(host=host, status=Status.VERIFIED).exclude(store_id=store_id).exists()


def add_store_domain(*, access: StoreAccess, host: str) -> StoreDomain:
    """Claim a host name for the store; it serves once a check finds the store's proof on it."""
    host = claimable_host(host)
    if _verified_elsewhere(host=host, store_id=access.store.pk):
        raise DomainError(TAKEN_MESSAGE, code=TenantErrorCode.HOST_TAKEN, field="host")
    domain = StoreDomain(store=access.store, host=host)
    try:
        with transaction.atomic():
            domain.save()
    except IntegrityError:
        raise DomainError(
            "You have already added this host name.", code=TenantErrorCode.HOST_TAKEN, field="host"
        ) from None
    record_store_event(store=access.store, actor=access.user, action="domain.added", subject=domain.host)
    return domain


def remove_store_domain(*, access: StoreAccess, domain_id: int) -> None:
    domain = access_store_domain(store=access.store, domain_id=domain_id)
    domain.delete()
    forget_host(domain.host)
    record_store_event(store=access.store, actor=access.user, action="domain.removed", subject=domain.host)


def _apply(domain: StoreDomain, outcome: CheckOutcome, now: datetime) -> None:
    domain.last_checked_at = now
    if outcome.found:
        if domain.status != Status.VERIFIED and _verified_elsewhere(
            host=domain.host, store_id=domain.store_id
        ):
            domain.status = Status.LOST if domain.status == Status.LOST else Status.FAILED
            domain.last_error = TAKEN_MESSAGE
            return
        if domain.status != Status.VERIFIED:
            domain.status, domain.verified_at = Status.VERIFIED, now
        domain.failed_checks, domain.last_error = 0, ""
        return
    domain.failed_checks += 1
    domain.last_error = (outcome.error or "The proof was not found.")[:200]
    if domain.status == Status.PENDING:
        domain.status = Status.FAILED
    elif domain.status == Status.VERIFIED and domain.failed_checks >= settings.STORE_DOMAIN_LOST_AFTER_CHECKS:
        domain.status = Status.LOST


_CHECK_FIELDS = ["status", "verified_at", "last_checked_at", "last_error", "failed_checks"]


def record_domain_check(
    *, store_id: int, domain_id: int, outcome: CheckOutcome, now: datetime | None = None
) -> StoreDomain | None:
    """Record what a check found; the only writer of a domain's status after it is added."""
    now = now or timezone.now()
    with transaction.atomic():
        domain = (
            StoreDomain.objects.select_for_update()
            .select_related("store")
            .filter(store_id=store_id, pk=domain_id)
            .first()
        )
        if domain is None:
            return None
        before, verified_at = domain.status, domain.verified_at
        _apply(domain, outcome, now)
        try:
            with transaction.atomic():
                domain.save(update_fields=_CHECK_FIELDS)
        except IntegrityError:
            # Another store's check verified the host between our look and our write.
            domain.status = Status.LOST if before == Status.LOST else Status.FAILED
            domain.verified_at, domain.last_error = verified_at, TAKEN_MESSAGE
            domain.save(update_fields=_CHECK_FIELDS)
        if domain.status != before and Status.VERIFIED in (before, domain.status):
            action = "domain.verified" if domain.status == Status.VERIFIED else "domain.lost"
            data = {"method": outcome.method} if outcome.found else {"error": domain.last_error}
            record_store_event(store=domain.store, actor=None, action=action, subject=domain.host, data=data)
            host = domain.host
            transaction.on_commit(lambda: forget_host(host))
    return domain


def domains_due_for_check(*, now: datetime | None = None) -> QuerySet[StoreDomain]:
    """Domains whose next check is due, across every store (for the beat sweep), oldest check first."""
    now = now or timezone.now()
    never = Q(last_checked_at__isnull=True)
    pending = Q(status=Status.PENDING, last_checked_at__lt=now - PENDING_RECHECK)
    failed_early = Q(
        status=Status.FAILED,
        created_at__gte=now - FAILED_EARLY_PERIOD,
        last_checked_at__lt=now - FAILED_RECHECK_EARLY,
    )
    settled = Q(last_checked_at__lt=now - SETTLED_RECHECK)
    return StoreDomain.objects.filter(never | pending | failed_early | settled).order_by(
        "last_checked_at", "pk"
    )
