"""Ready-made rules for the common cases, offered on the new-rule page (each starts switched off)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from cancellations.models import RuleMatchMode, RuleTrigger


@dataclass(frozen=True)
class RulePreset:
    code: str
    name: Promise
    description: Promise
    triggers: tuple[str, ...]
    conditions: tuple[dict[str, Any], ...]
    actions: tuple[dict[str, Any], ...]
    match: str = RuleMatchMode.ALL
    dry_run: bool = False
    stop_after_match: bool = False

    def initial(self) -> dict[str, Any]:
        """The preset as the fields of a new rule."""
        return {
            "name": str(self.name),
            "triggers": list(self.triggers),
            "match": self.match,
            "conditions": [dict(c) for c in self.conditions],
            "actions": [dict(a) for a in self.actions],
            "enabled": False,
            "dry_run": self.dry_run,
            "stop_after_match": self.stop_after_match,
        }


PRESETS: dict[str, RulePreset] = {
    preset.code: preset
    for preset in (
        RulePreset(
            code="cancel_high_risk",
            name=_("Cancel high-risk orders"),
            description=_(
                "Cancels orders your platform rates high risk, refunds them and restocks the items. "
                "Starts in dry-run, so you can see what it would cancel first."
            ),
            triggers=(RuleTrigger.ORDER_CREATED, RuleTrigger.RISK_ASSESSED),
            conditions=({"type": "risk_level", "negate": False, "values": ["high"]},),
            actions=(
                {
                    "type": "cancel",
                    "reason": "fraud",
                    "refund": "original",
                    "restock": True,
                    "notify": False,
                    "staff_note": "Cancelled by an Amend rule: high fraud risk.",
                },
                {"type": "tag", "tag": "amend-high-risk"},
            ),
            dry_run=True,
            stop_after_match=True,
        ),
        RulePreset(
            code="hold_freight_forwarders",
            name=_("Hold orders to freight forwarders"),
            description=_(
                "Puts orders shipped to an address on your freight-forwarder list in the queue for review, "
                "and tags them."
            ),
            triggers=(RuleTrigger.ORDER_CREATED, RuleTrigger.ORDER_UPDATED),
            conditions=({"type": "freight_forwarder", "negate": False},),
            actions=(
                {"type": "hold", "note": "Ships to a known freight-forwarder address."},
                {"type": "tag", "tag": "freight-forwarder"},
            ),
        ),
    )
}
