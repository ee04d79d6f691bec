"""Queries on tenant-owned tables must say which store they are for, or they fail.

Every tenant-owned model uses `TenantManager`. Its querysets refuse to run until they are
narrowed to one store with `.for_store(store)`; querysets reached through a related object
(`order.line_items.all()`) are already narrowed by their parent and pass. The only way around
is the loudly named `dangerously_unscoped()`, for migrations, the Django admin and system sweeps
that re-check the store of each row themselves.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, Self, TypeVar

from django.db import connections, models

if TYPE_CHECKING:
    from tenants.models import Store


class UnscopedQueryError(RuntimeError):
    """Raised when a tenant-owned table is queried without naming a store."""


_M = TypeVar("_M", bound=models.Model, covariant=True)


class TenantQuerySet(models.QuerySet[_M]):
    _store_scoped: bool = False
    # Set by QuerySet.__init__; django-stubs leaves the private attribute out.
    _hints: dict[str, Any]

    def _clone(self) -> Self:
        clone: Self = super()._clone()  # type: ignore[misc]  # private QuerySet._clone, not in django-stubs
        clone._store_scoped = self._store_scoped
        return clone

    def for_store(self, store: Store | int) -> Self:
        """Narrow to one store (a Store or its id)."""
        store_id = store if isinstance(store, int) else store.pk
        if store_id is None:
            raise UnscopedQueryError("for_store() needs a saved store.")
        clone = self.filter(store_id=store_id)
        clone._store_scoped = True
        return clone

    def dangerously_unscoped(self) -> Self:
        """Allow a query across stores. Callers must re-check each row's store before using it."""
        clone = self._clone()
        clone._store_scoped = True
        return clone

    def _check_scoped(self) -> None:
        # A related manager (order.line_items) marks its queryset with the parent instance.
        if not self._store_scoped and "instance" not in self._hints:
            raise UnscopedQueryError(
                f"Query on {self.model._meta.label} without a store: use .for_store(store) "
                "or a selector that takes store=."
            )

    def _fetch_all(self) -> None:
        if self._result_cache is None:
            self._check_scoped()
        super()._fetch_all()

    def count(self) -> int:
        self._check_scoped()
        return super().count()

    def exists(self) -> bool:
        self._check_scoped()
        return super().exists()

    def aggregate(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        self._check_scoped()
        return super().aggregate(*args, **kwargs)

    def update(self, **kwargs: Any) -> int:
        self._check_scoped()
        return super().update(**kwargs)

    def update_each(self, objs: Sequence[Any], fields: Sequence[str]) -> int:
        """Write each row's own values of `fields`, as `bulk_update` does, in one UPDATE ... FROM VALUES.

        Django's `bulk_update` builds a CASE over every row for every field, which costs milliseconds
        of Python per row; this sends the values as a table joined on the primary key. Values are the
        attributes as they are (no `pre_save`, no expressions), as `bulk_update` takes them; only rows
        this queryset matches are written. Returns how many were.
        """
        self._check_scoped()
        if not objs:
            return 0
        meta = self.model._meta
        connection = connections[self.db]
        quote = connection.ops.quote_name
        columns: list[models.Field[Any, Any]] = []
        for field in [meta.pk, *(meta.get_field(name) for name in fields)]:
            if not isinstance(field, models.Field) or field.many_to_many or not field.concrete:
                raise ValueError("update_each writes a model's own columns only")
            columns.append(field)
        # A length-limited cast would cut a long string silently; the column still refuses it.
        types = [re.sub(r"varchar\(\d+\)", "varchar", str(field.db_type(connection))) for field in columns]
        row = "(" + ", ".join(f"CAST(%s AS {kind})" for kind in types) + ")"
        params: list[Any] = []
        for obj in objs:
            for field in columns:
                params.append(field.get_db_prep_save(getattr(obj, field.attname), connection=connection))
        query = self.filter(pk__in=[obj.pk for obj in objs]).query
        if sum(1 for count in query.alias_refcount.values() if count) > 1:
            raise ValueError("update_each filters on the table's own columns only")
        where, where_params = query.get_compiler(self.db).compile(query.where)
        table = quote(meta.db_table)
        names = [quote(str(field.column)) for field in columns]
        assignments = ", ".join(f"{name} = amend_rows.{name}" for name in names[1:])
        rows = ", ".join([row] * len(objs))
        sql = f"""
            UPDATE {table} SET {assignments}
            FROM (VALUES {rows}) AS amend_rows ({", ".join(names)})
            WHERE {table}.{names[0]} = amend_rows.{names[0]} AND {where}
        """  # noqa: S608 - names are the model's own, quoted; values are parameters
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, *where_params])
            return int(cursor.rowcount)

    def delete(self) -> tuple[int, dict[str, int]]:
        self._check_scoped()
        return super().delete()

    def iterator(self, chunk_size: int | None = None) -> Iterator[Any]:
        self._check_scoped()
        return super().iterator(chunk_size=chunk_size)


# Made at module level, not subclassed: that is the form django-stubs' plugin types, so that
# `Order.objects.for_store(store)` is a TenantQuerySet[Order] rather than Any.
TenantManager = models.Manager.from_queryset(TenantQuerySet, class_name="TenantManager")


class TenantModel(models.Model):
    """Base of every tenant-owned table: a non-null store and a manager that insists on it."""

    store = models.ForeignKey("tenants.Store", on_delete=models.CASCADE, related_name="+")

    objects = TenantManager()
    # Django's own bookkeeping (cascading deletes) needs an unfiltered manager; application code must not.
    dangerously_all_stores = models.Manager()  # noqa: DJ012

    class Meta:
        abstract = True
        base_manager_name = "dangerously_all_stores"
