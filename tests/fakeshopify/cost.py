"""Shopify's calculated query cost, worked out from the pinned schema as Shopify documents it.

https://shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits ("Cost calculation"):
a field returning a scalar or an enum costs 0, an object 1, an interface or a union the most
expensive of its possible selections, a connection is sized by its `first`/`last` argument
(2 for the connection plus that many times the cost of one node), and a mutation costs 10.
The requested cost is worked out before the query runs; a single query may not request more
than 1,000 points. The actual cost is worked out from the answer (an object that came back null
costs nothing below it, a connection only the nodes it returned), and the bucket is refunded the
difference.

Rules taken where the page is silent, each the one Shopify's own answers show:
- `edges`, `pageInfo` and `cursor` cost nothing of their own: a connection's nodes are counted once,
  whether selected through `nodes` or `edges { node }` (the larger of the two when both are).
- A mutation's root field costs 10 in place of the object's 1; what its payload selects is added.
- A field left out by `@include(if: false)` or `@skip(if: true)` costs nothing.
- A list of objects that is not a connection (`risk { assessments }`) costs like one object.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLAbstractType,
    GraphQLBoolean,
    GraphQLField,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
    is_abstract_type,
    is_leaf_type,
    parse,
    value_from_ast,
)

MAX_SINGLE_QUERY_COST = 1000
CONNECTION_COST = 2
MUTATION_COST = 10
FREE_CONNECTION_FIELDS = frozenset({"pageInfo", "cursor", "__typename"})


class CostError(Exception):
    """The document cannot be costed the way Shopify would (a connection without first/last)."""


@dataclass(frozen=True)
class Cost:
    requested: int
    operation: str


def requested_cost(
    schema: GraphQLSchema, document: str | DocumentNode, variables: dict[str, Any] | None = None
) -> Cost:
    """What Shopify charges up front for the document's (first) operation with these variables."""
    walker = _Walker(schema, document, variables or {})
    return Cost(requested=walker.requested(), operation=walker.operation_name)


def actual_cost(
    schema: GraphQLSchema,
    document: str | DocumentNode,
    variables: dict[str, Any] | None,
    data: dict[str, Any] | None,
) -> int:
    """What the answer cost: the requested rules applied to what came back."""
    walker = _Walker(schema, document, variables or {})
    return walker.actual(data)


class _Walker:
    def __init__(self, schema: GraphQLSchema, document: str | DocumentNode, variables: dict[str, Any]):
        self.schema = schema
        self.document = parse(document) if isinstance(document, str) else document
        self.variables = variables
        operations = [d for d in self.document.definitions if isinstance(d, OperationDefinitionNode)]
        if not operations:
            raise CostError("The document has no operation.")
        self.operation = operations[0]
        self.operation_name = self.operation.name.value if self.operation.name else "anonymous"
        self.fragments = {
            d.name.value: d for d in self.document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.is_mutation = self.operation.operation.value == "mutation"
        root = schema.mutation_type if self.is_mutation else schema.query_type
        if root is None:
            raise CostError("The schema has no root type for this operation.")
        self.root: GraphQLObjectType = root

    # --- requested ---

    def requested(self) -> int:
        return self._selection_cost(self.operation.selection_set, self.root, root=True)

    def _selection_cost(
        self, selection_set: SelectionSetNode | None, parent: GraphQLNamedType, *, root=False
    ):
        if selection_set is None:
            return 0
        if is_abstract_type(parent):
            assert isinstance(parent, GraphQLAbstractType)
            possible = self.schema.get_possible_types(parent)
            return max((self._selection_cost(selection_set, kind, root=root) for kind in possible), default=0)
        assert isinstance(parent, GraphQLObjectType)
        total = 0
        for field_node in self._fields(selection_set, parent):
            total += self._field_cost(field_node, parent, root=root)
        return total

    def _field_cost(self, node: FieldNode, parent: GraphQLObjectType, *, root: bool) -> int:
        definition = self._definition(node, parent)
        if definition is None:
            return 0
        kind = get_named_type(definition.type)
        if is_leaf_type(kind):
            return 0
        if self._is_connection(kind):
            size = self._page_size(node, definition)
            return CONNECTION_COST + size * self._node_cost(node, kind)
        own = MUTATION_COST if (root and self.is_mutation) else 1
        return own + self._selection_cost(node.selection_set, kind)

    def _node_cost(self, connection: FieldNode, kind: GraphQLNamedType) -> int:
        """The cost of one node of a connection, through `nodes` or `edges { node }`."""
        assert isinstance(kind, GraphQLObjectType)
        costs = [0]
        for field_node in self._fields(connection.selection_set, kind):
            name = field_node.name.value
            if name == "nodes":
                node_type = get_named_type(kind.fields["nodes"].type)
                costs.append(1 + self._selection_cost(field_node.selection_set, node_type))
            elif name == "edges":
                edge_type = get_named_type(kind.fields["edges"].type)
                assert isinstance(edge_type, GraphQLObjectType)
                for inner in self._fields(field_node.selection_set, edge_type):
                    if inner.name.value == "node":
                        node_type = get_named_type(edge_type.fields["node"].type)
                        costs.append(1 + self._selection_cost(inner.selection_set, node_type))
        return max(costs)

    # --- actual ---

    def actual(self, data: dict[str, Any] | None) -> int:
        if not data:
            return 0
        return self._actual_selection(self.operation.selection_set, self.root, data, root=True)

    def _actual_selection(self, selection_set, parent, value: dict[str, Any], *, root=False) -> int:
        if selection_set is None or not isinstance(value, dict):
            return 0
        if is_abstract_type(parent):
            concrete = self.schema.get_type(str(value.get("__typename", ""))) or None
            if isinstance(concrete, GraphQLObjectType):
                parent = concrete
            else:
                possible = self.schema.get_possible_types(parent)
                return max(
                    (self._actual_selection(selection_set, p, value, root=root) for p in possible), default=0
                )
        total = 0
        for node in self._fields(selection_set, parent):
            definition = self._definition(node, parent)
            if definition is None:
                continue
            kind = get_named_type(definition.type)
            if is_leaf_type(kind):
                continue
            key = node.alias.value if node.alias else node.name.value
            answer = value.get(key)
            if answer is None:
                continue
            if self._is_connection(kind):
                total += CONNECTION_COST + self._actual_nodes(node, kind, answer)
                continue
            own = MUTATION_COST if (root and self.is_mutation) else 1
            items = answer if isinstance(answer, list) else [answer]
            total += own + max(
                (self._actual_selection(node.selection_set, kind, item) for item in items), default=0
            )
        return total

    def _actual_nodes(self, connection: FieldNode, kind, answer: dict[str, Any]) -> int:
        totals = [0]
        for field_node in self._fields(connection.selection_set, kind):
            key = field_node.alias.value if field_node.alias else field_node.name.value
            if field_node.name.value == "nodes":
                node_type = get_named_type(kind.fields["nodes"].type)
                totals.append(
                    sum(
                        1 + self._actual_selection(field_node.selection_set, node_type, n)
                        for n in answer.get(key) or []
                    )
                )
            elif field_node.name.value == "edges":
                edge_type = get_named_type(kind.fields["edges"].type)
                node_type = get_named_type(edge_type.fields["node"].type)
                total = 0
                for edge in answer.get(key) or []:
                    for inner in self._fields(field_node.selection_set, edge_type):
                        if inner.name.value == "node" and isinstance(edge, dict):
                            inner_key = inner.alias.value if inner.alias else "node"
                            total += 1 + self._actual_selection(
                                inner.selection_set, node_type, edge.get(inner_key)
                            )
                totals.append(total)
        return max(totals)

    # --- the document ---

    def _fields(self, selection_set: SelectionSetNode | None, parent: GraphQLObjectType) -> list[FieldNode]:
        """The fields selected on `parent`, fragments spread, those left out by a directive dropped."""
        found: list[FieldNode] = []
        if selection_set is None:
            return found
        for selection in selection_set.selections:
            if not self._included(selection):
                continue
            if isinstance(selection, FieldNode):
                found.append(selection)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition.name.value if selection.type_condition else None
                if self._applies(condition, parent):
                    found.extend(self._fields(selection.selection_set, parent))
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is None:
                    raise CostError(f"Unknown fragment {selection.name.value}.")
                if self._applies(fragment.type_condition.name.value, parent):
                    found.extend(self._fields(fragment.selection_set, parent))
        return found

    def _applies(self, condition: str | None, parent: GraphQLObjectType) -> bool:
        if condition is None or condition == parent.name:
            return True
        kind = self.schema.get_type(condition)
        return is_abstract_type(kind) and self.schema.is_sub_type(kind, parent)  # type: ignore[arg-type]

    def _included(self, node: Any) -> bool:
        for directive in node.directives or ():
            name = directive.name.value
            if name not in ("skip", "include"):
                continue
            condition = next((a.value for a in directive.arguments if a.name.value == "if"), None)
            value = (
                value_from_ast(condition, GraphQLNonNull(GraphQLBoolean), self.variables)
                if condition
                else None
            )
            if (name == "skip" and value is True) or (name == "include" and value is False):
                return False
        return True

    @staticmethod
    def _definition(node: FieldNode, parent: GraphQLObjectType) -> GraphQLField | None:
        if node.name.value.startswith("__"):
            return None
        return parent.fields.get(node.name.value)

    @staticmethod
    def _is_connection(kind: GraphQLNamedType) -> bool:
        return (
            isinstance(kind, GraphQLObjectType)
            and kind.name.endswith("Connection")
            and ("nodes" in kind.fields or "edges" in kind.fields)
        )

    def _page_size(self, node: FieldNode, definition: GraphQLField) -> int:
        given: dict[str, Any] = {}
        for argument in node.arguments or ():
            name = argument.name.value
            if name in ("first", "last") and name in definition.args:
                given[name] = value_from_ast(argument.value, definition.args[name].type, self.variables)
        sizes = [int(v) for v in given.values() if v is not None]
        if not sizes:
            raise CostError(f"you must provide one of first or last ({node.name.value}).")
        return max(sizes)
