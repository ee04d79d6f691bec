"""Print the list of error codes (docs/api-errors.md), or write it with --write."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from portal.api.error_catalogue import render_markdown

DOC = Path(settings.BASE_DIR) / "docs" / "api-errors.md"


class Command(BaseCommand):
    help = "Print the list of every error code, by area; --write rewrites docs/api-errors.md."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--write", action="store_true", help=f"write {DOC.name} instead of printing it")

    def handle(self, *args: Any, **options: Any) -> None:
        text = render_markdown()
        if options["write"]:
            DOC.write_text(text, encoding="utf-8")
            self.stdout.write(f"Wrote {DOC}.")
        else:
            self.stdout.write(text, ending="")
