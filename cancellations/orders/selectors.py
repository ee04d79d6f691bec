"""Reads of the order mirror that pages show."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from cancellations.models import IMPORT_OPEN_STATUSES, OrderImport
from tenants.models import Store

# A finished import stays on the overview this long.
IMPORT_SHOWN_FOR = timedelta(days=7)


def import_to_show(store: Store) -> OrderImport | None:
    """The store's order import under way, else the last one if it ended in the past week."""
    recent = timezone.now() - IMPORT_SHOWN_FOR
    return (
        OrderImport.objects.for_store(store)
        .filter(Q(status__in=IMPORT_OPEN_STATUSES) | Q(finished_at__gte=recent))
        .order_by("-started_at")
        .first()
    )
