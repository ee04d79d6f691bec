"""Errors of the automation rules, each with a stable code (and, for invalid input, where it is)."""

from __future__ import annotations

from django.utils.functional import Promise

from tenants.errors import DomainError


class RuleInvalid(DomainError):
    """A rule, one of its conditions or actions, or a forwarder address is not valid."""

    code = "rule_invalid"


class RuleFieldError(RuleInvalid):
    """Invalid input at one place, e.g. `conditions.2.values` (the `field`)."""

    def __init__(self, field: str, message: Promise | str) -> None:
        super().__init__(str(message), field=field)
