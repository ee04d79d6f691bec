"""Store credit granted on a platform: the bonus a customer gets for taking store credit over a refund.

`PlatformAdapter.grant_store_credit(grant, idempotency_key=...)` credits the customer once per key
(the effect ledger, operation `credit`); the refund itself is the cancel's (refunded to store credit).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from cancellations.platforms.base import EffectStatus, PermanentPlatformError
from cancellations.platforms.errors import PlatformErrorCode


@dataclass(frozen=True)
class StoreCreditGrant:
    order_platform_id: str
    customer_id: str  # the platform's customer (Shopify: gid://shopify/Customer/<n>); blank: a guest
    email: str
    amount: Decimal
    currency: str
    note: str = ""

    def __post_init__(self) -> None:
        if self.amount <= 0:
            raise PermanentPlatformError(
                "Store credit must be more than zero.", code=PlatformErrorCode.STORE_CREDIT_REFUSED
            )


@dataclass(frozen=True)
class StoreCreditGranted:
    status: EffectStatus
    amount: Decimal
    currency: str
    account_id: str = ""
    transaction_id: str = ""
    replayed: bool = False


def bonus_key(key: str) -> str:
    """The ledger key of a request's store-credit bonus, beside the cancel's own key."""
    return f"{key}:bonus"
