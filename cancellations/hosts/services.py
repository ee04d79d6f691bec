"""Adding a store's domain and checking it: the services the settings page, the tasks and beat call."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from cancellations.core.queueing import enqueue
from cancellations.hosts.checks import ProofSource, find_proof, proof_source
from tenants.access import StoreAccess
from tenants.domains import access_store_domain, add_store_domain, domains_due_for_check, record_domain_check
from tenants.models import StoreDomain

SWEEP_BATCH = 500
# "Check now" pressed again sooner than this shows the check just made instead of fetching again.
CHECK_NOW_INTERVAL = timedelta(seconds=30)


def add_domain(*, access: StoreAccess, host: str) -> StoreDomain:
    """Claim a host name for the store and look for its proof at once."""
    domain = add_store_domain(access=access, host=host)
    enqueue("hosts.check_domain", (domain.store_id, domain.pk))
    return domain


def check_domain_now(*, access: StoreAccess, domain_id: int) -> tuple[StoreDomain, bool]:
    """Look for the proof again now (the owner has just published it); False when it was just checked."""
    domain = access_store_domain(store=access.store, domain_id=domain_id)
    checked = domain.last_checked_at
    if checked is not None and timezone.now() - checked < CHECK_NOW_INTERVAL:
        return domain, False
    enqueue("hosts.check_domain", (domain.store_id, domain.pk))
    return domain, True


def run_domain_check(
    *, store_id: int, domain_id: int, source: ProofSource | None = None
) -> StoreDomain | None:
    """Look for the domain's proof and record what was found; None when the domain is not the store's."""
    domain = StoreDomain.objects.filter(store_id=store_id, pk=domain_id).first()
    if domain is None:
        return None
    # The lookups run outside any transaction: they may take seconds.
    outcome = find_proof(host=domain.host, token=domain.token, source=source or proof_source())
    return record_domain_check(store_id=store_id, domain_id=domain_id, outcome=outcome)


def sweep_domains() -> int:
    """Send every domain whose check is due to a worker; returns how many were sent."""
    due = list(domains_due_for_check().values_list("store_id", "pk")[:SWEEP_BATCH])
    for store_id, domain_id in due:
        enqueue("hosts.check_domain", (store_id, domain_id))
    return len(due)
