"""Model fields shared by several tables."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import models


class MoneyField(models.DecimalField):
    """An amount in the order's currency: up to 14 digits, 2 of them decimals, zero unless given."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("default", Decimal("0.00"))
        super().__init__(*args, **kwargs)
