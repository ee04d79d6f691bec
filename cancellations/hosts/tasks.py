"""Tasks of stores' own domains: one domain checked for its proof, and the sweep of those due."""

from __future__ import annotations

from celery import shared_task

from cancellations.hosts.services import run_domain_check, sweep_domains


@shared_task(name="hosts.check_domain")
def check_domain_task(store_id: int, domain_id: int) -> None:
    """Check one domain of the store; a no-op for a domain the store does not have."""
    run_domain_check(store_id=store_id, domain_id=domain_id)


@shared_task(name="hosts.sweep_domains")
def sweep_domains_task() -> int:
    """Check the domains whose check is due (run by beat)."""
    return sweep_domains()
