"""Subscribe a connected Shopify store to the webhooks Amend processes (safe to repeat)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from cancellations.platforms.base import PlatformError
from cancellations.platforms.shopify.connections import register_shopify_webhooks
from tenants.models import Store


class Command(BaseCommand):
    help = "Register Amend's webhook subscriptions on a connected Shopify store."

    def add_arguments(self, parser) -> None:
        parser.add_argument("store", help="the store's address name (slug)")

    def handle(self, *args: Any, **options: Any) -> None:
        store = Store.objects.filter(slug=options["store"]).first()
        if store is None:
            raise CommandError(f"No store {options['store']!r}.")
        try:
            topics = register_shopify_webhooks(store=store)
        except PlatformError as error:
            raise CommandError(f"{error.message} ({error.code})") from None
        self.stdout.write(self.style.SUCCESS(f"Subscribed to {len(topics)} topics."))
