"""OpenAPI links between the API's operations: which answer's ids feed which next call.

A client (or Schemathesis's stateful run in the tests) reads them to chain calls: the store list's
first slug opens every store-scoped path, a list's first id or a create's id opens the detail and
action operations. Each link names its target by `operationId`, and its parameters by location
(`path.order_id`), as OpenAPI 3.0 has it.
"""

from __future__ import annotations

from typing import Any

# Where the values come from, as OpenAPI runtime expressions.
_FIRST = "$response.body#/results/0"
_BODY = "$response.body#"
_SAME_STORE = "$request.path.store_slug"

# Every operation under /stores/{store_slug}/ that needs nothing but the store.
_STORE_OPERATIONS = (
    "stores_retrieve",
    "insights_retrieve",
    "orders_list",
    "policy_retrieve",
    "policy_update",
    "requests_list",
    "requests_create",
    "requests_decide",
    "rules_list",
    "rules_create",
)
_REQUEST_OPERATIONS = ("requests_retrieve", "requests_approve", "requests_reject")
_RULE_OPERATIONS = ("rules_retrieve", "rules_update", "rules_partial_update", "rules_destroy")
_RULE_WRITES = ("rules_update", "rules_partial_update")


def _link(target: str, parameters: dict[str, str], body: Any = None) -> dict[str, Any]:
    link: dict[str, Any] = {"operationId": target, "parameters": parameters}
    if body is not None:
        link["requestBody"] = body
    return link


def _to_store(slug: str) -> dict[str, dict[str, Any]]:
    return {f"to_{target}": _link(target, {"path.store_slug": slug}) for target in _STORE_OPERATIONS}


def _to_request(request_id: str) -> dict[str, dict[str, Any]]:
    parameters = {"path.store_slug": _SAME_STORE, "path.request_id": request_id}
    return {f"to_{target}": _link(target, parameters) for target in _REQUEST_OPERATIONS}


def _to_rule(rule: str) -> dict[str, dict[str, Any]]:
    """The rule's own operations; a change writes the rule back as read, so it is a valid one."""
    parameters = {"path.store_slug": _SAME_STORE, "path.rule_id": f"{rule}/id"}
    body = _rule_body(rule)
    return {
        f"to_{target}": _link(target, parameters, body=body if target in _RULE_WRITES else None)
        for target in _RULE_OPERATIONS
    }


def _rule_body(rule: str) -> dict[str, str]:
    fields = ("name", "triggers", "match", "conditions", "actions")
    return {field: f"{rule}/{field}" for field in fields}


def _to_order(order_id: str) -> dict[str, dict[str, Any]]:
    return {
        "to_orders_retrieve": _link(
            "orders_retrieve", {"path.store_slug": _SAME_STORE, "path.order_id": order_id}
        ),
        "to_requests_list": _link(
            "requests_list", {"path.store_slug": _SAME_STORE, "query.order_id": order_id}
        ),
        "to_requests_create": _link(
            "requests_create", {"path.store_slug": _SAME_STORE}, body={"order_id": order_id}
        ),
    }


def _from_request(request_id: str, order_id: str) -> dict[str, dict[str, Any]]:
    return {
        **_to_request(request_id),
        "to_orders_retrieve": _link(
            "orders_retrieve", {"path.store_slug": _SAME_STORE, "path.order_id": order_id}
        ),
        "to_requests_decide": _link(
            "requests_decide", {"path.store_slug": _SAME_STORE}, body={"request_ids": [request_id]}
        ),
    }


def _back_to_request() -> dict[str, dict[str, Any]]:
    parameters = {"path.store_slug": _SAME_STORE, "path.request_id": "$request.path.request_id"}
    return {"to_requests_retrieve": _link("requests_retrieve", parameters)}


def _copy_rule(rule: str) -> dict[str, dict[str, Any]]:
    """A new rule like this one: the store's rules make a valid body to start from."""
    return {"to_rules_create": _link("rules_create", {"path.store_slug": _SAME_STORE}, body=_rule_body(rule))}


def _after_rule_delete() -> dict[str, dict[str, Any]]:
    parameters = {"path.store_slug": _SAME_STORE, "path.rule_id": "$request.path.rule_id"}
    return {"to_rules_retrieve": _link("rules_retrieve", parameters)}


def _without(links: dict[str, dict[str, Any]], target: str) -> dict[str, dict[str, Any]]:
    """The links but the one back to the operation itself."""
    return {name: link for name, link in links.items() if link["operationId"] != target}


def _after_policy(policy: str) -> dict[str, dict[str, Any]]:
    return {
        "to_policy_update": _link("policy_update", {"path.store_slug": _SAME_STORE}, body={"policy": policy}),
        "to_policy_retrieve": _link("policy_retrieve", {"path.store_slug": _SAME_STORE}),
    }


# operationId -> status code -> the links of that answer.
LINKS: dict[str, dict[str, dict[str, dict[str, Any]]]] = {
    "stores_list": {"200": _to_store(f"{_FIRST}/slug")},
    "orders_list": {"200": _to_order(f"{_FIRST}/id")},
    "orders_retrieve": {"200": _without(_to_order("$response.body#/id"), "orders_retrieve")},
    "requests_list": {"200": _from_request(f"{_FIRST}/id", f"{_FIRST}/order_id")},
    "requests_create": {"201": _from_request("$response.body#/id", "$response.body#/order_id")},
    "requests_retrieve": {
        "200": _without(_from_request("$response.body#/id", "$response.body#/order_id"), "requests_retrieve")
    },
    "requests_approve": {"200": _back_to_request()},
    "requests_reject": {"200": _back_to_request()},
    "requests_decide": {"200": _to_request(f"{_FIRST}/id")},
    "rules_list": {"200": {**_to_rule(_FIRST), **_copy_rule(_FIRST)}},
    "rules_create": {"201": _to_rule(_BODY)},
    "rules_retrieve": {"200": {**_without(_to_rule(_BODY), "rules_retrieve"), **_copy_rule(_BODY)}},
    "rules_update": {"200": _to_rule(_BODY)},
    "rules_partial_update": {"200": _to_rule(_BODY)},
    "rules_destroy": {"204": _after_rule_delete()},
    "policy_retrieve": {"200": _without(_after_policy("$response.body#/policy"), "policy_retrieve")},
    "policy_update": {"200": _without(_after_policy("$response.body#/policy"), "policy_update")},
}


def add_links(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular post-processing hook: each answer lists the calls its ids open."""
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict):
                continue
            for status, links in LINKS.get(operation.get("operationId", ""), {}).items():
                response = operation.get("responses", {}).get(status)
                if response is not None:
                    response["links"] = links
    return result
