"""Cursor pagination for every API list: `?cursor=` from `next` / `previous`, `?page_size=` up to 100.

A cursor is opaque and stable while rows are added, so a client walking a list never sees a row
twice or misses one. A cursor that was tampered with is a 400 on `cursor`, not a 404, and so is one
that decodes but holds a position of the wrong kind (a word where the list is ordered by time).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response

CURSOR_PATTERN = r"^[A-Za-z0-9+/]+={0,2}$"
CURSOR_MAX_LENGTH = 500


class ApiCursorPagination(CursorPagination):
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering: Any = ("-id",)
    # A lazy string, as DRF's own message is; djangorestframework-stubs types it as str.
    invalid_cursor_message = _(  # type: ignore[assignment]
        "The cursor is not valid; use the `next` or `previous` link as given."
    )

    def __init__(self, ordering: tuple[str, ...] | None = None) -> None:
        if ordering is not None:
            self.ordering = ordering

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> list[Any] | None:
        self._model = queryset.model
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request: Request) -> Cursor | None:
        try:
            cursor = super().decode_cursor(request)
        except exceptions.NotFound:
            raise self._invalid() from None
        if cursor is not None and cursor.position is not None:
            self._check_position(cursor.position)
        return cursor

    def _check_position(self, position: object) -> None:
        """The position must be a value of the first ordering field, or the query fails in the database."""
        if "\x00" in str(position):  # PostgreSQL text cannot hold it
            raise self._invalid()
        model = getattr(self, "_model", None)
        if model is None:
            return
        try:
            field = model._meta.get_field(self.ordering[0].lstrip("-"))
        except FieldDoesNotExist:
            return
        try:
            field.to_python(position)
        except (DjangoValidationError, ValueError, TypeError):
            raise self._invalid() from None

    def _invalid(self) -> exceptions.ValidationError:
        return exceptions.ValidationError({self.cursor_query_param: [self.invalid_cursor_message]})

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is not None:
            try:
                size = int(raw)
            except ValueError:
                size = 0
            if not 1 <= size <= self.max_page_size:
                raise exceptions.ValidationError(
                    {self.page_size_query_param: [_("Use a whole number from 1 to 100.")]}
                )
            return size
        return self.page_size

    def get_paginated_response(self, data: Any) -> Response:
        return Response({"next": self.get_next_link(), "previous": self.get_previous_link(), "results": data})

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }


def paginate(
    request: Request, queryset: Any, serializer_class: Any, *, ordering: tuple[str, ...], view: Any = None
) -> Response:
    """One page of the queryset, serialised, with links to the next and previous pages."""
    paginator = ApiCursorPagination(ordering)
    page: list[Any] | None = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(serializer_class(page, many=True).data)


PAGE_PARAMETERS = [
    OpenApiParameter(
        "cursor",
        # What the cursors in the links look like (base64); only those links' own cursors find a page.
        {"type": "string", "pattern": CURSOR_PATTERN, "maxLength": CURSOR_MAX_LENGTH},
        OpenApiParameter.QUERY,
        description=_("From a page's `next` or `previous` link, as given; any other value is a 400."),
    ),
    OpenApiParameter(
        "page_size",
        {"type": "integer", "minimum": 1, "maximum": 100},
        OpenApiParameter.QUERY,
        description=_("1 to 100; 25 if not given."),
    ),
]
