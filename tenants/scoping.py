"""Queries on tenant-owned tables must say which store they are for, or they fail.

Every tenant-owned model uses `TenantManager`. Its querysets refuse to run until they are
narrowed to one store with `.for_store(store)`; querysets reached through a related object
(`order.line_items.all()`) are already narrowed by their parent and pass. The only way around
is the loudly named `dangerously_unscoped()`, for migrations, the Django admin and system sweeps
that re-check the store of each row themselves.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Self, TypeVar

from django.db import models

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
