"""Holding an order's fulfilment on its platform, and releasing the hold: one interface, two platforms.

Shopify: a `fulfillmentOrderHold` with Amend's handle on each fulfilment order that can be held, and
`fulfillmentOrderReleaseHold` of exactly those holds (shopify/holds.py). The built-in store: the hold
row itself is the hold, which the built-in fulfilment respects (builtin_fulfilment.py), so there is
nothing to call.

Both calls may be repeated after a crash: a hold looks for Amend's handle before placing another, and
a release releases only the holds of Amend's handle that are still there.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from tenants.models import Store


@dataclass(frozen=True)
class PlacedHold:
    """One hold on the platform: the fulfilment order it is on, and its id."""

    fulfillment_order: str
    hold: str

    def to_dict(self) -> dict[str, str]:
        return {"fulfillment_order": self.fulfillment_order, "hold": self.hold}


class FulfilmentHolds(ABC):
    def __init__(self, store: Store) -> None:
        self.store = store

    @abstractmethod
    def hold(self, order_platform_id: str, *, notes: str) -> list[PlacedHold]:
        """Hold every fulfilment order of the order that can be held (already held by Amend: kept)."""

    @abstractmethod
    def release(self, order_platform_id: str) -> int:
        """Release Amend's holds on the order; how many were still there to release."""


class BuiltinHolds(FulfilmentHolds):
    """The built-in store keeps no holds of its own: `FulfilmentHold` is the hold."""

    def hold(self, order_platform_id: str, *, notes: str) -> list[PlacedHold]:
        return []

    def release(self, order_platform_id: str) -> int:
        return 0
