"""Every error code, by area: what docs/api-errors.md and the OpenAPI description list.

`python manage.py error_codes --write` rewrites docs/api-errors.md from the catalogues; a test fails
when the file and the catalogues differ.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cancellations.bulk.errors import BulkErrorCode
from cancellations.holds.errors import HoldErrorCode
from cancellations.insights.errors import InsightErrorCode
from cancellations.notifications.errors import NotificationErrorCode
from cancellations.platforms.errors import PlatformErrorCode, ShopifyErrorCode
from cancellations.policy.errors import PolicyErrorCode
from cancellations.queue.errors import QueueErrorCode
from cancellations.requests.errors import RequestErrorCode
from cancellations.rules.errors import RuleErrorCode
from portal.api.errors import ApiErrorCode
from tenants.errors import CommonErrorCode, ErrorCode, TenantErrorCode

# (area, catalogue), lowest layer first: a code two areas share is defined in the first of them.
CATALOGUES: tuple[tuple[str, type[ErrorCode]], ...] = (
    ("Common", CommonErrorCode),
    ("Stores, teams and tokens", TenantErrorCode),
    ("Policy", PolicyErrorCode),
    ("Platforms", PlatformErrorCode),
    ("Shopify's own cancel codes", ShopifyErrorCode),
    ("Notifications and webhooks", NotificationErrorCode),
    ("Requests", RequestErrorCode),
    ("Rules", RuleErrorCode),
    ("Bulk cancellation", BulkErrorCode),
    ("Fulfilment holds", HoldErrorCode),
    ("Support queue", QueueErrorCode),
    ("Insights", InsightErrorCode),
    ("API", ApiErrorCode),
)

INTRODUCTION = """\
Every error the API answers with has one shape, `{"type", "code", "detail", "attr"}`: `code` is one of
the codes below and never changes meaning (a new code may be added); `detail` is a message for people,
in the caller's language, and may change; `attr` names the field at fault (`changes.0.quantity`,
`policy.withdrawal.period_days`) or is null. When several fields are at fault, `errors` lists each in
the same shape. The HTTP column is the status of an answer with that code (from the API; for the
Shopify install codes, from /shopify/install and /shopify/callback). A code without a status is not
an answer of the API: it is shown on a page of the portal, or kept where staff see it (why a request
failed, in its timeline, `last_error` and the bulk results)."""


def catalogue() -> Iterator[tuple[str, ErrorCode]]:
    """Every code with its area, in the order of the docs."""
    for area, codes in CATALOGUES:
        for code in codes:
            yield area, code


def render_markdown(heading: str = "#") -> str:
    """The list of codes as Markdown: one table per area (`heading` is the level of the title)."""
    sub = heading + "#"
    lines = [f"{heading} API error codes", ""]
    if heading == "#":
        lines += ["<!-- Written by `python manage.py error_codes --write`; do not edit by hand. -->", ""]
    lines += [INTRODUCTION, ""]
    for area, codes in CATALOGUES:
        lines += [
            f"{sub} {area}",
            "",
            f"`{codes.__module__}.{codes.__name__}`: {' '.join((codes.__doc__ or '').split())}",
            "",
            "| Code | HTTP | Meaning |",
            "| --- | --- | --- |",
        ]
        lines += [f"| `{code.value}` | {code.status or ''} | {code.description} |" for code in codes]
        lines.append("")
    return "\n".join(lines)


def describe_error_codes(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """drf-spectacular post-processing hook: the list of codes goes into the API's description."""
    info = result.setdefault("info", {})
    info["description"] = f"{info.get('description', '')}\n\n{render_markdown(heading='##')}".strip()
    return result
