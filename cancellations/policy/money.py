"""Fees and refunds under a store's policy. Decimal throughout, rounded half up to two places."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from cancellations.policy.choices import Action, FeeKind, RefundOption
from cancellations.policy.schema import StorePolicy

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def round_money(amount: Decimal) -> Decimal:
    """Two decimal places, half up, whatever the currency (the order mirror keeps two places too)."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def restocking_fee(policy: StorePolicy, order_total: Decimal, reason: str | None = None) -> Decimal:
    """The fee kept from a refund of `order_total`: within the policy's minimum and maximum, never above
    the total itself, and nothing when the customer's reason is one the store waives the fee for."""
    fees = policy.fees
    total = round_money(max(order_total, ZERO))
    if fees.kind == FeeKind.NONE or total <= ZERO or (reason is not None and reason in fees.waived_reasons):
        return ZERO
    raw = total * fees.percent / 100 if fees.kind == FeeKind.PERCENT else fees.fixed
    fee = round_money(max(raw, ZERO))
    if fees.minimum is not None:
        fee = max(fee, round_money(fees.minimum))
    if fees.maximum is not None:
        fee = min(fee, round_money(max(fees.maximum, ZERO)))
    # A minimum above a small order's total keeps the whole total, never more.
    return min(fee, total)


@dataclass(frozen=True)
class RefundSummary:
    method: RefundOption  # where this refund goes: ORIGINAL or STORE_CREDIT
    choices: tuple[RefundOption, ...]  # what the customer may pick from (one entry: the store decides)
    refundable: Decimal  # what the request gives back before any fee
    fee: Decimal
    amount: Decimal  # refundable - fee
    store_credit_bonus: Decimal  # added on top when the refund is store credit
    total: Decimal  # what the customer receives: amount + bonus

    def to_dict(self) -> dict[str, object]:
        return {
            "method": self.method.value,
            "choices": [choice.value for choice in self.choices],
            "refundable": str(self.refundable),
            "fee": str(self.fee),
            "amount": str(self.amount),
            "store_credit_bonus": str(self.store_credit_bonus),
            "total": str(self.total),
        }


def refund_summary(
    policy: StorePolicy,
    *,
    refundable: Decimal,
    reason: str | None = None,
    choice: RefundOption | str | None = None,
    action: Action | str = Action.CANCEL,
) -> RefundSummary:
    """How a refund of `refundable` is paid out: method, fee, store-credit bonus and what the customer gets.

    `choice` is the customer's pick, used only when the store lets them choose. A withdrawal is refunded
    without any fee and to the original payment method unless the customer expressly picks store credit
    (Directive 2011/83/EU, Art. 13(1)), whatever the store's usual method.
    """
    refundable = round_money(max(refundable, ZERO))
    configured = policy.refunds.method
    both = (RefundOption.ORIGINAL, RefundOption.STORE_CREDIT)
    if Action(action) == Action.WITHDRAWAL:
        fee = ZERO
        choices = (RefundOption.ORIGINAL,) if configured == RefundOption.ORIGINAL else both
    else:
        fee = restocking_fee(policy, refundable, reason)
        choices = both if configured == RefundOption.CUSTOMER_CHOICE else (RefundOption(configured),)
    method = RefundOption(choice) if choice is not None and choice in choices else choices[0]
    amount = refundable - fee
    bonus = ZERO
    if method == RefundOption.STORE_CREDIT and amount > 0:
        # A percentage of the refund and a fixed amount, added together (either may be zero).
        bonus = round_money(
            amount * max(policy.refunds.store_credit_bonus_percent, ZERO) / 100
        ) + round_money(max(policy.refunds.store_credit_bonus_fixed, ZERO))
    return RefundSummary(
        method=method,
        choices=choices,
        refundable=refundable,
        fee=fee,
        amount=amount,
        store_credit_bonus=bonus,
        total=amount + bonus,
    )
