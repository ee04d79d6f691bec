"""A store's policy and the decision engine that applies it.

    policy = StorePolicy.from_dict(data)          # or StorePolicy() for a new store's defaults
    errors = validate_policy(policy)              # [FieldError(field, code, message), ...]
    decision = decide(policy=policy, order=order_facts(order), action="cancel", now=timezone.now())
    decision.outcome, decision.reasons, decision.window_closes_at, decision.excluded_lines

Storage and versions live in `cancellations.policy.services`.
"""

from cancellations.policy.choices import (
    LEGAL_WITHDRAWAL_DAYS,
    RULE_ACTIONS,
    Action,
    ExclusionScope,
    FeeKind,
    RefundOption,
    RetentionKind,
    WindowKind,
)
from cancellations.policy.diff import flatten_policy, policy_changes
from cancellations.policy.engine import (
    APPROVAL_MESSAGES,
    BLOCKING_MESSAGES,
    OUTCOME_RANK,
    Decision,
    DecisionReason,
    Outcome,
    RuleCheck,
    combine,
    decide,
    next_cutoff,
    withdrawal_deadline,
)
from cancellations.policy.facts import LineFacts, OrderFacts, order_facts
from cancellations.policy.holds import CHANGE_ACTIONS, MAX_HOLD_MINUTES, hold_until
from cancellations.policy.money import RefundSummary, refund_summary, restocking_fee, round_money
from cancellations.policy.schema import DEFAULT_POLICY, AdditionSettings, StorePolicy
from cancellations.policy.sections import (
    ActionRule,
    ApprovalRules,
    CancelReason,
    FeeSettings,
    FulfilmentHoldSettings,
    LimitSettings,
    OrderExclusions,
    ProductExclusions,
    ReasonSettings,
    RefundSettings,
    RetentionOffer,
    Window,
    WithdrawalSettings,
)
from cancellations.policy.validation import FieldError, reason_errors, validate_policy

__all__ = [
    "APPROVAL_MESSAGES",
    "BLOCKING_MESSAGES",
    "CHANGE_ACTIONS",
    "DEFAULT_POLICY",
    "LEGAL_WITHDRAWAL_DAYS",
    "MAX_HOLD_MINUTES",
    "OUTCOME_RANK",
    "RULE_ACTIONS",
    "Action",
    "ActionRule",
    "AdditionSettings",
    "ApprovalRules",
    "CancelReason",
    "Decision",
    "DecisionReason",
    "ExclusionScope",
    "FeeKind",
    "FeeSettings",
    "FieldError",
    "FulfilmentHoldSettings",
    "LimitSettings",
    "LineFacts",
    "OrderExclusions",
    "OrderFacts",
    "Outcome",
    "ProductExclusions",
    "ReasonSettings",
    "RefundOption",
    "RefundSettings",
    "RefundSummary",
    "RetentionKind",
    "RetentionOffer",
    "RuleCheck",
    "StorePolicy",
    "Window",
    "WindowKind",
    "WithdrawalSettings",
    "combine",
    "decide",
    "flatten_policy",
    "hold_until",
    "next_cutoff",
    "order_facts",
    "policy_changes",
    "reason_errors",
    "refund_summary",
    "restocking_fee",
    "round_money",
    "validate_policy",
    "withdrawal_deadline",
]
