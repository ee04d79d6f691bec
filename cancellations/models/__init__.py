"""Models of the cancellations app, one module per topic."""

from cancellations.models.bulk import (
    BulkCancelItem,
    BulkCancelJob,
    BulkCancelReason,
    BulkItemStatus,
    BulkJobStatus,
)
from cancellations.models.catalogue import Product, Variant
from cancellations.models.credit import StoreCreditEntry
from cancellations.models.effects import InventoryAdjustment, PlatformEffect, Refund, RefundMethod
from cancellations.models.holds import (
    ACTIVE_HOLD_STATUSES,
    HOLD_HANDLE,
    FulfilmentHold,
    HoldStatus,
    ReleaseReason,
)
from cancellations.models.imports import IMPORT_OPEN_STATUSES, OrderImport, OrderImportStatus
from cancellations.models.insights import (
    DailyBreakdown,
    DailyRequestStats,
    DailyStoreStats,
    InsightDimension,
    InsightsRollup,
    RetentionOutcome,
)
from cancellations.models.notifications import (
    Notification,
    StaffNotificationSetting,
    StoreNotificationSettings,
)
from cancellations.models.orders import (
    PAID_STATES,
    FinancialStatus,
    FulfillmentStatus,
    LineItem,
    Order,
    RiskLevel,
)
from cancellations.models.outgoing import (
    OutgoingWebhook,
    WebhookDeliveryAttempt,
    WebhookEndpoint,
    WebhookEvent,
)
from cancellations.models.payments import BuiltinPayment
from cancellations.models.platforms import ComplianceRequest, OAuthState, PlatformConnection, WebhookDelivery
from cancellations.models.policy import StorePolicyVersion
from cancellations.models.queue import QueueSettings
from cancellations.models.requests import (
    ActorKind,
    OrderRequest,
    RequestChange,
    RequestEvent,
    RequestKind,
    RequestNote,
    RequestStatus,
    Resolution,
)
from cancellations.models.rules import (
    AutomationRule,
    FreightForwarderAddress,
    RuleMatch,
    RuleMatchMode,
    RuleTrigger,
)
from cancellations.models.sessions import EditSession

__all__ = [
    "ACTIVE_HOLD_STATUSES",
    "HOLD_HANDLE",
    "IMPORT_OPEN_STATUSES",
    "PAID_STATES",
    "ActorKind",
    "AutomationRule",
    "BuiltinPayment",
    "BulkCancelItem",
    "BulkCancelJob",
    "BulkCancelReason",
    "BulkItemStatus",
    "BulkJobStatus",
    "ComplianceRequest",
    "DailyBreakdown",
    "DailyRequestStats",
    "DailyStoreStats",
    "EditSession",
    "FinancialStatus",
    "FreightForwarderAddress",
    "FulfillmentStatus",
    "FulfilmentHold",
    "HoldStatus",
    "InsightDimension",
    "InsightsRollup",
    "InventoryAdjustment",
    "LineItem",
    "Notification",
    "OAuthState",
    "Order",
    "OrderImport",
    "OrderImportStatus",
    "OrderRequest",
    "OutgoingWebhook",
    "PlatformConnection",
    "PlatformEffect",
    "Product",
    "QueueSettings",
    "Refund",
    "RefundMethod",
    "ReleaseReason",
    "RequestChange",
    "RequestEvent",
    "RequestKind",
    "RequestNote",
    "RequestStatus",
    "Resolution",
    "RetentionOutcome",
    "RiskLevel",
    "RuleMatch",
    "RuleMatchMode",
    "RuleTrigger",
    "StaffNotificationSetting",
    "StoreCreditEntry",
    "StoreNotificationSettings",
    "StorePolicyVersion",
    "Variant",
    "WebhookDelivery",
    "WebhookDeliveryAttempt",
    "WebhookEndpoint",
    "WebhookEvent",
]
