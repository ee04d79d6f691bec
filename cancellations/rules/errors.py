"""Errors of the automation rules, each with a stable code from `RuleErrorCode` (and, for invalid input,
where it is)."""

from __future__ import annotations

from django.utils.functional import Promise

from tenants.errors import DomainError, ErrorCode


class RuleErrorCode(ErrorCode):
    """Automation rules and the freight-forwarder list."""

    RULE_INVALID = (
        "rule_invalid",
        "A rule, one of its conditions or actions, or a forwarder address is not valid (`attr` says where).",
        400,
    )
    TOO_MANY_RULES = "too_many_rules", "The store has 100 rules, as many as it may have.", 400
    TOO_MANY_FORWARDERS = "too_many_forwarders", "The freight-forwarder list is full (5000 addresses).", None


class RuleInvalid(DomainError):
    """A rule, one of its conditions or actions, or a forwarder address is not valid."""

    code = RuleErrorCode.RULE_INVALID


class RuleFieldError(RuleInvalid):
    """Invalid input at one place, e.g. `conditions.2.values` (the `field`)."""

    def __init__(self, field: str, message: Promise | str) -> None:
        super().__init__(str(message), field=field)
