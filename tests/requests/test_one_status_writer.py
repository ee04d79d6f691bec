"""Only the lifecycle module writes a request's status (`cancellations/requests/lifecycle.py`).

The check reads every product module's syntax tree and reports each place that writes a status value
of `RequestStatus` outside that module: an attribute assignment (`request.status = S.COMPLETED`), a
`status=` keyword to a writing call (`create`, `update`, a model constructor, `update_or_create`,
`get_or_create`), or a many-rows update (`bulk_update`, `update_each`) that names the `status` field
of requests. Reads (`filter`, `exclude`, `Q`, comparisons) are not writes.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("cancellations", "portal", "tenants")
LIFECYCLE = Path("cancellations/requests/lifecycle.py")
WRITING_CALLS = {"create", "update", "update_or_create", "get_or_create", "OrderRequest", "bulk_create"}


def _status_aliases(tree: ast.Module) -> set[str]:
    """Names that stand for RequestStatus in this module (`RequestStatus`, and `S = RequestStatus`)."""
    names = {"RequestStatus"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Name) and node.value.id in names:
            names.update(target.id for target in node.targets if isinstance(target, ast.Name))
    return names


def _is_request_status(node: ast.AST, aliases: set[str]) -> bool:
    return any(
        isinstance(inner, ast.Attribute) and isinstance(inner.value, ast.Name) and inner.value.id in aliases
        for inner in ast.walk(node)
    )


def _call_name(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def _mentions_order_request(node: ast.AST) -> bool:
    return any(isinstance(inner, ast.Name) and inner.id == "OrderRequest" for inner in ast.walk(node))


def status_writes(source: str) -> list[int]:
    """The line numbers where this source writes a request status."""
    tree = ast.parse(source)
    aliases = _status_aliases(tree)
    lines: list[int] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            flat = [
                element
                for target in targets
                for element in (target.elts if isinstance(target, ast.Tuple) else [target])
            ]
            for target in flat:
                if not (isinstance(target, ast.Attribute) and target.attr == "status"):
                    continue
                names_a_request = isinstance(target.value, ast.Name) and "request" in target.value.id
                if names_a_request or (node.value is not None and _is_request_status(node.value, aliases)):
                    lines.append(node.lineno)
        elif isinstance(node, ast.Call):
            name = _call_name(node)
            if name in WRITING_CALLS:
                for keyword in node.keywords:
                    if keyword.arg == "status" and _is_request_status(keyword.value, aliases):
                        lines.append(node.lineno)
            if name in ("bulk_update", "update_each") and _mentions_order_request(node.func):
                fields = node.args[1] if len(node.args) > 1 else None
                for keyword in node.keywords:
                    if keyword.arg == "fields":
                        fields = keyword.value
                if fields is not None and any(
                    isinstance(c, ast.Constant) and c.value == "status" for c in ast.walk(fields)
                ):
                    lines.append(node.lineno)
    return sorted(set(lines))


def test_the_check_finds_each_kind_of_write():
    source = """
S = RequestStatus
request.status = S.COMPLETED
a.status, b = RequestStatus.FAILED, 1
order_request.status = to_status
OrderRequest.objects.create(store=store, status=S.SUBMITTED)
OrderRequest(status=RequestStatus.EXECUTING)
OrderRequest.objects.for_store(store).filter(pk=1).update(status=S.FAILED)
OrderRequest.objects.for_store(store).bulk_update(rows, ["status", "updated_at"])
OrderRequest.objects.for_store(store).update_each(rows, ["status", "updated_at"])
"""
    assert status_writes(source) == [3, 4, 5, 6, 7, 8, 9, 10]


def test_reads_are_not_writes():
    source = """
S = RequestStatus
OrderRequest.objects.for_store(store).filter(status=S.EXECUTING)
if request.status == S.COMPLETED:
    pass
item.status = BulkItemStatus.DONE
BulkCancelItem.objects.for_store(store).bulk_update(items, ["status"])
Q(status__in=(S.SUBMITTED,))
"""
    assert status_writes(source) == []


def test_no_module_but_the_lifecycle_writes_a_request_status():
    writes = {
        str(path.relative_to(ROOT)): status_writes(path.read_text())
        for package in PRODUCT
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts
    }
    assert writes.pop(str(LIFECYCLE)), "the lifecycle module writes statuses"
    assert {path: lines for path, lines in writes.items() if lines} == {}
