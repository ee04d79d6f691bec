"""Bring a store's mirror up to date with its platform: every order of the last N days, or (--all) its
whole history through one platform export."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cancellations.orders.imports import run_import
from cancellations.orders.services import BACKFILL_DAYS, backfill_orders
from cancellations.platforms.base import PlatformError
from tenants.models import Store


class Command(BaseCommand):
    help = "Fetch a store's recent orders from its platform and update the mirror (safe to repeat)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--store", required=True, help="The store's address name (slug).")
        parser.add_argument("--days", type=int, default=BACKFILL_DAYS, help="How far back (default 60).")
        parser.add_argument(
            "--all",
            action="store_true",
            help="Import the store's whole order history in one platform export (Shopify's bulk operations).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        store = Store.objects.filter(slug=options["store"]).first()
        if store is None:
            raise CommandError(f"No store has the address name {options['store']!r}.")
        if options["days"] < 1:
            raise CommandError("--days must be at least 1.")
        if options["all"]:
            return self._import(store)
        try:
            result = backfill_orders(store=store, days=options["days"])
        except PlatformError as error:
            raise CommandError(f"{store.slug}: {error.message}") from error
        self.stdout.write(
            f"{store.slug}: {result.orders} orders read, {result.created} new, {result.updated} updated."
        )

    def _import(self, store: Store) -> None:
        self.stdout.write(f"{store.slug}: exporting every order, then mirroring them...")
        try:
            found = run_import(store=store)
        except PlatformError as error:
            raise CommandError(f"{store.slug}: {error.message}") from error
        if found is None:
            raise CommandError(f"{store.slug}: its platform cannot export orders; use --days.")
        if found.status != "done":
            raise CommandError(f"{store.slug}: the import failed: {found.error}")
        self.stdout.write(
            f"{store.slug}: {found.orders_read} orders read, {found.orders_created} new "
            f"({found.exported_objects} objects exported)."
        )
