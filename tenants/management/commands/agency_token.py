"""Make or revoke an agency's API token (the agency workspace has no page for it yet)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tenants.errors import DomainError
from tenants.models import Agency, AgencyMembership
from tenants.tokens import API_SCOPES, create_agency_token, revoke_agency_token


class Command(BaseCommand):
    help = (
        "Make an API token for an agency: it reaches only the stores that grant the agency access, with "
        "the granted role's scopes at most. Prints the token once. With --revoke PREFIX, revoke one instead."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("agency", help="The agency's address name (as in /agency/<name>/).")
        parser.add_argument("--name", default="Agency integration", help="What the token is for.")
        parser.add_argument(
            "--scope",
            action="append",
            dest="scopes",
            choices=API_SCOPES,
            help="A scope to give the token (repeat for more); every API scope if left out.",
        )
        parser.add_argument(
            "--for",
            dest="holder",
            metavar="EMAIL",
            help=(
                "The agency member the token is for. A store that requires two-factor authentication is "
                "reached only by a token for a member who has an authenticator."
            ),
        )
        parser.add_argument("--revoke", metavar="PREFIX", help="Revoke the agency's token with this prefix.")

    def handle(self, *args: Any, **options: Any) -> None:
        agency = Agency.objects.filter(slug=options["agency"]).first()
        if agency is None:
            raise CommandError(f"No agency {options['agency']!r}.")
        try:
            if options["revoke"]:
                token = revoke_agency_token(agency=agency, prefix=options["revoke"])
                self.stdout.write(self.style.SUCCESS(f"Revoked {token.display} ({token.name})."))
                return
            holder = None
            if options["holder"]:
                membership = (
                    AgencyMembership.objects.select_related("user")
                    .filter(agency=agency, user__email__iexact=options["holder"])
                    .first()
                )
                if membership is None:
                    raise CommandError(f"{options['holder']} is not a member of {agency.name}.")
                holder = membership.user
            made = create_agency_token(
                agency=agency,
                name=options["name"],
                scopes=options["scopes"] or API_SCOPES,
                created_by=holder,
            )
        except DomainError as error:
            raise CommandError(error.message) from None
        self.stdout.write(f"Token for {agency.name} (scopes: {', '.join(made.token.scopes)}):")
        self.stdout.write(made.secret)
        self.stdout.write(self.style.WARNING("It is shown only now: Amend keeps only a hash of it."))
