"""Builders for the rule tests: rules made through the services, orders shaped for the conditions."""

from __future__ import annotations

from typing import Any

from cancellations.models import AutomationRule, Order
from cancellations.rules.services import create_rule
from tenants.models import Store
from tests.factories import make_order

HIGH_RISK = {"type": "risk_level", "values": ["high"]}


def make_rule(store: Store, **values: Any) -> AutomationRule:
    """A switched-on rule (holding high-risk new orders unless told otherwise)."""
    values.setdefault("name", "High risk")
    values.setdefault("triggers", ["order_created"])
    values.setdefault("conditions", [HIGH_RISK])
    values.setdefault("actions", [{"type": "hold", "note": "Look at this one."}])
    values.setdefault("enabled", True)
    return create_rule(store=store, actor=None, values=values)


def risky_order(store: Store, **fields: Any) -> Order:
    fields.setdefault("risk_level", "high")
    return make_order(store, **fields)
