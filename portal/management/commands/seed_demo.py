"""Load the demo data (idempotent) and print the demo logins.

The logins are also written to .data/demo-logins.json for tools and tests.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from portal.dev.demo_data import seed_demo


class Command(BaseCommand):
    help = "Create or refresh the demo stores, people and orders, and print the demo logins."

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            logins = seed_demo()
        path = settings.DATA_DIR / "demo-logins.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(logins, indent=2))
        self.stdout.write(self.style.SUCCESS("Demo data is ready."))
        for login in logins["logins"]:
            secret = login.get("password") or "(sign in with a code sent by email)"
            self.stdout.write(f"  {login['role']:<44} {login['email']:<32} {secret}")
        for note in logins.get("notes", []):
            self.stdout.write(f"  {note}")
