"""Send a store's failed webhook deliveries to be processed again (after the cause is fixed)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from cancellations.webhooks.inbox import replay_webhook_deliveries
from tenants.models import Store


class Command(BaseCommand):
    help = "Replay failed webhook deliveries of one store (all of them, or those given by --id)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("store", help="the store's address name (slug)")
        parser.add_argument("--id", type=int, action="append", dest="ids", help="a delivery id (repeatable)")

    def handle(self, *args: Any, **options: Any) -> None:
        store = Store.objects.filter(slug=options["store"]).first()
        if store is None:
            raise CommandError(f"No store {options['store']!r}.")
        with transaction.atomic():
            count = replay_webhook_deliveries(store=store, delivery_ids=options["ids"])
        self.stdout.write(self.style.SUCCESS(f"Sent {count} failed delivery(ies) to be processed again."))
