"""Error codes come from the catalogues, one per area, and the API docs list exactly those.

A code is public API: a typo in a string literal would mint a new one. So the check reads every
product module's syntax tree and fails on a string literal where a code goes: a `code=` or
`last_error_code=` argument, a `code = ...` in a class body, the code argument of `FieldError`,
`errors.add`, `error_body` and `_error`, a `"code": ...` entry of a dict, and a comparison with an
error's `.code`. The few literals that are data, not error codes, are listed in EXCEPTIONS.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

import pytest
from django.test import Client
from rest_framework import exceptions, serializers

import portal.api.serializers.common
import portal.api.views.insights
import portal.api.views.requests
import portal.api.views.rules
import portal.api.views.stores
from cancellations.platforms.errors import ShopifyErrorCode
from cancellations.requests.errors import RequestErrorCode
from portal.api import errors as api_errors
from portal.api.error_catalogue import CATALOGUES, catalogue, render_markdown
from tenants.errors import CommonErrorCode, DomainError, ErrorCode

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("cancellations", "portal", "tenants")
DOC = ROOT / "docs" / "api-errors.md"

# (module, literal): why it is not an error code.
EXCEPTIONS = {
    ("cancellations/rules/presets.py", "cancel_high_risk"): "the id of a rule preset",
    ("cancellations/rules/presets.py", "hold_freight_forwarders"): "the id of a rule preset",
    ("cancellations/rules/conditions.py", "email_domain"): "a kind of rule condition",
    ("cancellations/rules/conditions.py", "shipping_country"): "a kind of rule condition",
    ("cancellations/rules/conditions.py", "shipping_region"): "a kind of rule condition",
    ("cancellations/rules/requests.py", "f'rule_{kind}'"): "the reason of a rule's decision, not an error",
}
# Calls whose code is positional: name -> index of the code argument.
POSITIONAL_CODE = {"FieldError": 1, "error_body": 1, "_error": 2}


def _literal(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return ast.unparse(node)
    return None


def _call_name(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def code_literals(source: str) -> list[tuple[int, str]]:
    """(line, literal) for each string literal where this source puts an error code."""
    found: list[tuple[int, ast.AST | None]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            found += [(node.lineno, k.value) for k in node.keywords if k.arg in ("code", "last_error_code")]
            name = _call_name(node)
            index = POSITIONAL_CODE.get(name)
            is_errors_add = (
                name == "add"
                and isinstance(node.func, ast.Attribute)
                and ast.unparse(node.func.value) == "errors"
            )
            if is_errors_add:
                index = 1
            if index is not None and len(node.args) > index:
                found.append((node.lineno, node.args[index]))
        elif isinstance(node, ast.ClassDef):
            for statement in node.body:
                targets = (
                    statement.targets
                    if isinstance(statement, ast.Assign)
                    else [statement.target]
                    if isinstance(statement, ast.AnnAssign)
                    else []
                )
                if any(isinstance(target, ast.Name) and target.id == "code" for target in targets):
                    found.append((statement.lineno, statement.value))
        elif (
            isinstance(node, ast.Compare)
            and isinstance(node.left, ast.Attribute)
            and node.left.attr == "code"
        ):
            found += [(node.lineno, comparator) for comparator in node.comparators]
        elif isinstance(node, ast.Dict):
            found += [
                (node.lineno, v) for k, v in zip(node.keys, node.values, strict=True) if _literal(k) == "code"
            ]
    # An empty string is "no error" (a request that has none), not a code.
    return sorted({(line, text) for line, value in found if (text := _literal(value))})


def _product_modules() -> list[tuple[str, str]]:
    return [
        (str(path.relative_to(ROOT)), path.read_text())
        for package in PRODUCT
        for path in sorted((ROOT / package).rglob("*.py"))
        if "migrations" not in path.parts
    ]


def test_no_error_code_is_a_string_literal_in_product_code():
    offenders, excepted = [], set()
    for module, source in _product_modules():
        for line, text in code_literals(source):
            if (module, text) in EXCEPTIONS:
                excepted.add((module, text))
            else:
                offenders.append(f"{module}:{line}: {text!r}")
    assert not offenders, "use a member of an area's ErrorCode catalogue instead:\n" + "\n".join(offenders)
    assert excepted == set(EXCEPTIONS), f"stale exceptions: {set(EXCEPTIONS) - excepted}"


def test_the_check_finds_each_kind_of_literal_code():
    source = """
class Refused(DomainError):
    code = "refused"
raise DomainError("No.", code="typo_code")
errors.add("field", "negative", "Below zero.")
FieldError("field", "too_precise", "Two places.")
body = error_body("not_found", "missing", "Not found.")
if error.code == "permission_denied":
    pass
data = {"code": f"shopify_{raw}", "message": ""}
request.save(last_error_code="", code=CommonErrorCode.INVALID)
"""
    assert [text for _line, text in code_literals(source)] == [
        "refused",
        "typo_code",
        "negative",
        "too_precise",
        "missing",
        "permission_denied",
        "f'shopify_{raw}'",
    ]


def _catalogue_names() -> dict[str, type[ErrorCode]]:
    return {codes.__name__: codes for _area, codes in CATALOGUES}


def test_every_catalogue_member_named_in_product_code_exists():
    # A misspelt member in a function body would fail only when that line runs.
    names = _catalogue_names()
    missing = []
    for module, source in _product_modules():
        for node in ast.walk(ast.parse(source)):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in names
            ):
                codes = names[node.value.id]
                if node.attr not in codes.__members__ and not hasattr(codes, node.attr):
                    missing.append(f"{module}:{node.lineno}: {node.value.id}.{node.attr}")
    assert not missing


def test_every_catalogue_in_product_code_is_listed():
    defined = set()
    for _module, source in _product_modules():
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.ClassDef) and any(
                ast.unparse(base) == "ErrorCode" for base in node.bases
            ):
                defined.add(node.name)
    assert defined == set(_catalogue_names())


def test_a_code_is_defined_once_across_the_areas():
    # A code two areas share is one member (of the lower layer), so it cannot mean two things.
    where = defaultdict(list)
    for area, code in catalogue():
        where[code.value].append(f"{area}: {type(code).__name__}.{code.name}")
    assert {value: places for value, places in where.items() if len(places) > 1} == {}


def test_every_code_says_what_it_means_and_is_written_as_codes_are():
    for area, codes in CATALOGUES:
        assert codes.__doc__, area
        for code in codes:
            assert re.fullmatch(r"[a-z][a-z0-9_]*", code.value), code
            assert code.description.endswith("."), code
            assert "|" not in code.description, code
            assert code.status in (None, 400, 401, 403, 404, 405, 406, 409, 415, 422, 429, 503), code


def _api_status(error_class: type[DomainError]) -> int:
    return next((status for cls, status in api_errors._DOMAIN_STATUS if issubclass(error_class, cls)), 400)


def _subclasses(cls: type) -> list[type]:
    return [cls, *(sub for direct in cls.__subclasses__() for sub in _subclasses(direct))]


def test_the_status_in_the_docs_is_the_one_the_api_answers_with():
    from tenants.tokens import TokenInvalid  # the API turns it into a 401 (authentication), not a 400

    checked = 0
    for error_class in _subclasses(DomainError):
        status = error_class.code.status
        if status is not None and error_class is not TokenInvalid:
            assert _api_status(error_class) == status, error_class
            checked += 1
    assert checked >= 10


def test_codes_from_the_rest_framework_are_in_the_catalogue():
    values = {code.value for _area, code in catalogue()}
    framework = {cls.default_code for cls in _subclasses(exceptions.APIException)}
    assert framework <= values, framework - values

    field_codes: set[str] = set()

    def walk(serializer: serializers.Serializer) -> None:
        field_codes.update(serializer.error_messages)
        for field in serializer.fields.values():
            field_codes.update(field.error_messages)
            child = getattr(field, "child", None)
            if isinstance(child, serializers.Serializer):
                walk(child)
            elif child is not None:
                field_codes.update(child.error_messages)
            if isinstance(field, serializers.Serializer):
                walk(field)

    modules = [
        portal.api.serializers.common,
        portal.api.views.insights,
        portal.api.views.requests,
        portal.api.views.rules,
        portal.api.views.stores,
    ]
    for module in modules:
        for value in vars(module).values():
            ours = isinstance(value, type) and value.__module__ == module.__name__
            if ours and issubclass(value, serializers.Serializer):
                walk(value())
    assert field_codes - values == set()


def test_the_docs_list_exactly_the_catalogue():
    assert DOC.read_text(encoding="utf-8") == render_markdown(), (
        "docs/api-errors.md is out of date: run `python manage.py error_codes --write`"
    )
    listed = re.findall(r"^\| `([a-z0-9_]+)` \|", DOC.read_text(encoding="utf-8"), re.M)
    assert sorted(listed) == sorted(code.value for _area, code in catalogue())
    assert "docs/api-errors.md" in (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.django_db
def test_the_openapi_description_lists_every_code():
    response = Client().get("/api/schema/", {"format": "json"})
    description = response.json()["info"]["description"]
    for _area, code in catalogue():
        assert f"| `{code.value}` |" in description, code


def test_a_code_renders_as_its_value():
    # The JSON and the pages show the value, as they did when codes were plain strings.
    assert f"{RequestErrorCode.KIND_INVALID}" == "kind_invalid" == RequestErrorCode.KIND_INVALID
    body = api_errors.error_body("validation_error", CommonErrorCode.INVALID, "No.", "kind")
    assert body == {"type": "validation_error", "code": "invalid", "detail": "No.", "attr": "kind"}


def test_shopifys_own_codes_pass_through_even_when_new():
    assert ShopifyErrorCode.passed_through("INVALID") is ShopifyErrorCode.INVALID
    assert ShopifyErrorCode.passed_through(None) is ShopifyErrorCode.INVALID
    new = ShopifyErrorCode.passed_through("SOMETHING_NEW")
    assert new == "shopify_something_new"
    assert isinstance(new, ShopifyErrorCode)
    assert new not in list(ShopifyErrorCode)
