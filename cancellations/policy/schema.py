"""A store's policy as plain, frozen values, and its JSON form.

The policy is data (STYLE #7): the settings page edits it, `StorePolicyVersion` stores it as JSON, and
`decide()` reads it. `to_dict()` writes every field; `from_dict()` accepts any older or partial dict and
fills what is missing from the defaults, so a policy saved today still loads after new settings are added.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from cancellations.models.orders import FinancialStatus, FulfillmentStatus, RiskLevel
from cancellations.policy.choices import (
    FINANCIAL_STATUSES,
    FULFILLMENT_STATUSES,
    RULE_ACTIONS,
    Action,
    WindowKind,
)
from cancellations.policy.errors import PolicyDataError
from cancellations.policy.parsing import (
    as_bool,
    as_int,
    as_str,
    read,
    section,
)
from cancellations.policy.sections import (
    ActionRule,
    ApprovalRules,
    CancelReason,
    FeeSettings,
    FulfilmentHoldSettings,
    LimitSettings,
    ReasonSettings,
    RefundSettings,
    RetentionOffer,
    Window,
    WithdrawalSettings,
)

if TYPE_CHECKING:
    pass


# Raised whenever the JSON layout changes in a way `from_dict` must know about.
SCHEMA_VERSION = 1


_ALL_PAYABLE = (
    FinancialStatus.PENDING.value,
    FinancialStatus.AUTHORIZED.value,
    FinancialStatus.PARTIALLY_PAID.value,
    FinancialStatus.PAID.value,
)
_UNSHIPPED = (FulfillmentStatus.UNFULFILLED.value,)


def _edit_rule(enabled: bool) -> ActionRule:
    return ActionRule(
        enabled=enabled,
        window=Window(WindowKind.UNTIL_FULFILLMENT),
        financial_statuses=_ALL_PAYABLE,
        fulfillment_statuses=_UNSHIPPED,
    )


@dataclass(frozen=True)
class AdditionSettings:
    """Which products a customer may add to an open order, and how many items at most.

    Whether an addition is offered, until when and whether staff review it is the `add_item` rule."""

    tag: str = ""  # products with this tag may be added; empty: none may be
    max_items: int = 3

    def to_dict(self) -> dict[str, Any]:
        return {"tag": self.tag, "max_items": self.max_items}

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], default: AdditionSettings, path: str = ""
    ) -> AdditionSettings:
        return cls(
            tag=read(data, "tag", default.tag, as_str, path).strip(),
            max_items=read(data, "max_items", default.max_items, as_int, path),
        )


DEFAULT_REASONS = ReasonSettings(
    choices=(
        CancelReason("changed_mind", {"en": "I changed my mind", "sv": "Jag har ångrat mig"}),
        CancelReason("ordered_by_mistake", {"en": "I ordered by mistake", "sv": "Jag beställde av misstag"}),
        CancelReason(
            "found_cheaper", {"en": "I found it cheaper elsewhere", "sv": "Jag hittade det billigare"}
        ),
        CancelReason(
            "delivery_too_slow", {"en": "Delivery takes too long", "sv": "Leveransen tar för lång tid"}
        ),
        CancelReason(
            "wrong_item", {"en": "Wrong size, colour or item", "sv": "Fel storlek, färg eller vara"}
        ),
        CancelReason("other", {"en": "Something else", "sv": "Något annat"}),
    ),
    required=True,
    free_text=True,
)


@dataclass(frozen=True)
class StorePolicy:
    """A store's whole policy. The defaults are a sensible start for a new store."""

    cancel: ActionRule = field(default_factory=lambda: _edit_rule(True))
    edit_address: ActionRule = field(
        default_factory=lambda: replace(
            _edit_rule(True),
            # A changed address is a common fraud pattern: risky orders get a second look.
            approval=ApprovalRules(risk_levels=(RiskLevel.MEDIUM.value, RiskLevel.HIGH.value)),
        )
    )
    edit_quantity: ActionRule = field(default_factory=lambda: _edit_rule(False))
    swap_variant: ActionRule = field(default_factory=lambda: _edit_rule(False))
    remove_line: ActionRule = field(default_factory=lambda: _edit_rule(False))
    add_item: ActionRule = field(default_factory=lambda: _edit_rule(False))
    reorder: ActionRule = field(
        default_factory=lambda: ActionRule(
            enabled=True,
            window=Window(WindowKind.ALWAYS),
            financial_statuses=FINANCIAL_STATUSES,
            fulfillment_statuses=FULFILLMENT_STATUSES,
        )
    )
    reasons: ReasonSettings = DEFAULT_REASONS
    retention: RetentionOffer = field(default_factory=RetentionOffer)
    fees: FeeSettings = field(default_factory=FeeSettings)
    refunds: RefundSettings = field(default_factory=RefundSettings)
    limits: LimitSettings = field(default_factory=LimitSettings)
    withdrawal: WithdrawalSettings = field(default_factory=WithdrawalSettings)
    # Hold a new order's fulfilment until its change window closes (cancellations/holds/).
    fulfilment_hold: FulfilmentHoldSettings = field(default_factory=FulfilmentHoldSettings)
    # Whether an address change may move the order to another country (shipping and taxes change).
    allow_country_change: bool = False
    additions: AdditionSettings = field(default_factory=AdditionSettings)

    def rule_for(self, action: Action | str) -> ActionRule:
        """The rule of one of RULE_ACTIONS (withdrawal has `withdrawal` instead)."""
        action = Action(action)
        if action == Action.WITHDRAWAL:
            raise ValueError("Withdrawal is configured by policy.withdrawal, not by an action rule.")
        return getattr(self, action.value)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA_VERSION,
            "actions": {action.value: self.rule_for(action).to_dict() for action in RULE_ACTIONS},
            "reasons": self.reasons.to_dict(),
            "retention": self.retention.to_dict(),
            "fees": self.fees.to_dict(),
            "refunds": self.refunds.to_dict(),
            "limits": self.limits.to_dict(),
            "withdrawal": self.withdrawal.to_dict(),
            "fulfilment_hold": self.fulfilment_hold.to_dict(),
            "allow_country_change": self.allow_country_change,
            "additions": self.additions.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> StorePolicy:
        """Load a stored or submitted policy: missing settings take defaults, unknown keys are ignored."""
        data = data or {}
        if not isinstance(data, Mapping):
            raise PolicyDataError("A policy must be an object.")
        default = DEFAULT_POLICY
        actions = section(data, "actions", "")
        rules = {
            action.value: ActionRule.from_dict(
                section(actions, action.value, "actions."),
                default.rule_for(action),
                f"actions.{action.value}.",
            )
            for action in RULE_ACTIONS
        }
        return cls(
            **rules,
            reasons=ReasonSettings.from_dict(section(data, "reasons", ""), default.reasons, "reasons."),
            retention=RetentionOffer.from_dict(
                section(data, "retention", ""), default.retention, "retention."
            ),
            fees=FeeSettings.from_dict(section(data, "fees", ""), default.fees, "fees."),
            refunds=RefundSettings.from_dict(section(data, "refunds", ""), default.refunds, "refunds."),
            limits=LimitSettings.from_dict(section(data, "limits", ""), default.limits, "limits."),
            withdrawal=WithdrawalSettings.from_dict(
                section(data, "withdrawal", ""), default.withdrawal, "withdrawal."
            ),
            fulfilment_hold=FulfilmentHoldSettings.from_dict(
                section(data, "fulfilment_hold", ""), default.fulfilment_hold, "fulfilment_hold."
            ),
            allow_country_change=read(
                data, "allow_country_change", default.allow_country_change, as_bool, ""
            ),
            additions=AdditionSettings.from_dict(
                section(data, "additions", ""), default.additions, "additions."
            ),
        )


DEFAULT_POLICY = StorePolicy()
