"""Automation rules through the API: list, create, read, replace, change, delete."""

from __future__ import annotations

import pytest

from cancellations.models import AutomationRule
from tenants.models import StoreAuditEvent
from tenants.roles import Scope
from tests.api.conftest import TokenClient

pytestmark = pytest.mark.django_db

HOLD_RISKY = {
    "name": "Hold risky orders",
    "triggers": ["order_created", "risk_assessed"],
    "conditions": [{"type": "risk_level", "values": ["high"]}],
    "actions": [{"type": "hold"}],
}


def _rules(store) -> str:
    return f"/api/v1/stores/{store.slug}/rules/"


def test_a_rule_is_made_read_changed_and_deleted(api_a, store_a):
    made = api_a.post_json(_rules(store_a), HOLD_RISKY)
    assert made.status_code == 201, made.content
    rule = made.json()
    url = f"{_rules(store_a)}{rule['id']}/"
    assert (rule["enabled"], rule["match"], rule["position"]) == (False, "all", 0)

    assert api_a.get(url).json()["name"] == "Hold risky orders"
    assert [r["id"] for r in api_a.get(_rules(store_a)).json()["results"]] == [rule["id"]]
    patched = api_a.patch(url, {"enabled": True}, content_type="application/json")
    assert (patched.status_code, patched.json()["enabled"]) == (200, True)
    assert patched.json()["conditions"] == [{"type": "risk_level", "negate": False, "values": ["high"]}]
    replaced = api_a.put_json(url, {**HOLD_RISKY, "name": "Hold", "match": "any"})
    assert (replaced.json()["name"], replaced.json()["match"], replaced.json()["enabled"]) == (
        "Hold",
        "any",
        False,
    )
    assert api_a.delete(url).status_code == 204
    assert api_a.get(url).status_code == 404
    actions = set(StoreAuditEvent.objects.for_store(store_a).values_list("action", flat=True))
    assert {"rule.created", "rule.updated", "rule.deleted"} <= actions


@pytest.mark.parametrize(
    ("change", "attr"),
    [
        ({"name": ""}, "name"),
        ({"triggers": ["on_a_whim"]}, "triggers.0"),
        ({"conditions": []}, "conditions"),
        ({"conditions": [{"type": "moon_phase"}]}, "conditions.0.type"),
        ({"actions": [{"type": "explode"}]}, "actions.0.type"),
    ],
)
def test_a_bad_rule_is_refused_naming_the_field(api_a, store_a, change, attr):
    response = api_a.post_json(_rules(store_a), {**HOLD_RISKY, **change})

    assert response.status_code == 400, response.content
    assert response.json()["attr"] == attr
    assert AutomationRule.objects.for_store(store_a).count() == 0


def test_another_stores_rule_is_a_404_for_every_method(api_a, make_token, store_a, store_b):
    rule_b = TokenClient(make_token(store=store_b)).post_json(_rules(store_b), HOLD_RISKY).json()
    url = f"{_rules(store_a)}{rule_b['id']}/"

    assert api_a.get(url).status_code == 404
    assert api_a.put_json(url, HOLD_RISKY).status_code == 404
    assert api_a.patch(url, {}, content_type="application/json").status_code == 404
    assert api_a.delete(url).status_code == 404
    assert AutomationRule.objects.for_store(store_b).get().name == "Hold risky orders"


def test_rules_are_read_with_orders_read_and_changed_with_rules_write(make_token, store_a):
    reader = TokenClient(make_token(scopes=[Scope.ORDERS_READ]))

    assert reader.get(_rules(store_a)).status_code == 200
    assert reader.post_json(_rules(store_a), HOLD_RISKY).status_code == 403
