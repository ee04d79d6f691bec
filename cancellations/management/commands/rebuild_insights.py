"""Rebuild a store's Insights rollups from its orders and requests (after an import, or a late change)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from cancellations.insights.rollups import refresh_rollups
from tenants.models import Store


class Command(BaseCommand):
    help = "Rebuild the Insights rollups of one store (--store, repeatable) or of every store (--all)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--store", action="append", dest="stores", default=[], help="a store's slug")
        parser.add_argument("--all", action="store_true", help="every store")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["all"] == bool(options["stores"]):
            raise CommandError("Name the stores with --store <slug>, or give --all.")
        if options["all"]:
            stores = list(Store.objects.order_by("slug"))
        else:
            stores = list(Store.objects.filter(slug__in=options["stores"]).order_by("slug"))
            missing = sorted(set(options["stores"]) - {store.slug for store in stores})
            if missing:
                raise CommandError(f"No store {', '.join(repr(slug) for slug in missing)}.")
        for store in stores:
            started = time.monotonic()
            state = refresh_rollups(store=store, full=True)
            self.stdout.write(
                self.style.SUCCESS(
                    f"{store.slug}: rebuilt through {state.built_through} ({state.timezone}) "
                    f"in {time.monotonic() - started:.1f} s"
                )
            )
