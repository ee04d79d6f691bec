"""Errors of the request lifecycle, each with a stable code from `RequestErrorCode`.

Codes the platform layer defines too (`line_not_found`, `quantity_invalid`, `variant_not_found`,
`idempotency_key_reused`) are `PlatformErrorCode` members, used here as they are.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from cancellations.platforms.errors import PlatformErrorCode
from tenants.errors import Conflict, DomainError, ErrorCode

if TYPE_CHECKING:
    from cancellations.models import OrderRequest


class RequestErrorCode(ErrorCode):
    """Order requests: asking (customers, staff, the API), deciding, and carrying them out."""

    REQUEST_ALREADY_OPEN = (
        "request_already_open",
        "The order already has an open request of this kind (its id and status are in the message).",
        409,
    )
    ALREADY_DECIDED = (
        "already_decided",
        "Someone decided the request already: who, how and when are in the message.",
        409,
    )
    TRANSITION_NOT_ALLOWED = "transition_not_allowed", "The request's status does not allow this step.", 409
    ACTION_NOT_AVAILABLE = (
        "action_not_available",
        "The store's policy does not offer this action on this order now (the reasons are in the message).",
        409,
    )
    INVALID_REQUEST = "invalid_request", "What was asked is not well formed.", 400
    KIND_INVALID = "kind_invalid", "Not a kind of request Amend knows.", 400
    KEY_INVALID = "key_invalid", "A request key (the idempotency key) of 1 to 200 characters is needed.", 400
    CHANGES_REQUIRED = "changes_required", "An edit or a reorder says nothing about what should change.", 400
    CHANGES_NOT_ALLOWED = (
        "changes_not_allowed",
        "A cancellation applies to the whole order: it takes no changes.",
        400,
    )
    CHANGE_INVALID = "change_invalid", "A change is not well formed, or of a kind Amend does not know.", 400
    ADDRESS_INVALID = "address_invalid", "The new address needs a street and a country.", 400
    ITEM_NOT_ADDABLE = (
        "item_not_addable",
        "The item may not be added to this order: not among the products the store allows, out of stock, "
        "or on the order already.",
        400,
    )
    TOO_MANY_ADDED = "too_many_added", "More items are added than the store's policy allows.", 400
    OVERRIDE_INVALID = (
        "override_invalid",
        "Staff approval changes something that cannot be changed, or gives a value that is not valid.",
        400,
    )
    MESSAGE_REQUIRED = "message_required", "Rejecting needs a message to the customer (or customers).", 400
    REQUEST_IDS_REQUIRED = (
        "request_ids_required",
        "Deciding several requests at once needs at least one.",
        400,
    )
    ASSIGNEE_INVALID = "assignee_invalid", "A request can only be assigned to the store's staff.", None
    NOTE_EMPTY = "note_empty", "A note has no text.", None
    TOO_MANY_ATTEMPTS = (
        "too_many_attempts",
        "Carrying out the request failed too often; it was given up.",
        None,
    )
    JOB_TIMEOUT = "job_timeout", "The platform did not finish the change in time.", None
    EDIT_SESSION_LIMIT_REACHED = (
        "edit_session_limit_reached",
        "The order has had as many edit sessions as the store's policy allows (the store's message).",
        409,
    )
    CANCELLATION_LIMIT_REACHED = (
        "cancellation_limit_reached",
        "The customer has cancelled as often in the period as the store's policy allows.",
        409,
    )


class RequestAlreadyOpen(Conflict):
    """The order already has an open request of this kind; `request` is that request."""

    code = RequestErrorCode.REQUEST_ALREADY_OPEN

    def __init__(self, request: OrderRequest) -> None:
        super().__init__(
            _("There is already an open request for this order (request %(id)s, %(status)s).")
            % {"id": request.pk, "status": request.get_status_display()}
        )
        self.request = request


class ActionNotAvailable(Conflict):
    """The store's policy does not offer this action on this order now; the message says why."""

    code = RequestErrorCode.ACTION_NOT_AVAILABLE


class AlreadyDecided(Conflict):
    """Someone decided this request already: who, how (`resolution`) and when are on the error."""

    code = RequestErrorCode.ALREADY_DECIDED

    def __init__(self, request: OrderRequest) -> None:
        self.request = request
        self.decided_by = request.decided_by_label or str(_("the store's policy"))
        self.resolution = request.resolution or request.status
        self.decided_at = request.decided_at
        when = request.decided_at.strftime("%Y-%m-%d %H:%M UTC") if request.decided_at else ""
        super().__init__(
            _("This request was already decided: %(how)s by %(who)s at %(when)s.")
            % {
                "how": request.get_resolution_display() or request.status,
                "who": self.decided_by,
                "when": when,
            }
        )


class TransitionNotAllowed(Conflict):
    """The request's status does not allow this step (see TRANSITIONS)."""

    code = RequestErrorCode.TRANSITION_NOT_ALLOWED

    def __init__(self, request: OrderRequest, to_status: str) -> None:
        super().__init__(
            _("A request that is %(status)s cannot become %(to)s.")
            % {"status": request.get_status_display(), "to": to_status}
        )
        self.request = request
        self.to_status = to_status


class IdempotencyKeyReused(Conflict):
    """The key was already used for a request on another order or of another kind."""

    code = PlatformErrorCode.IDEMPOTENCY_KEY_REUSED


class InvalidRequest(DomainError):
    """What was asked is not well formed (no changes for an edit, an unknown line, ...)."""

    code = RequestErrorCode.INVALID_REQUEST


class LimitReached(Conflict):
    """A cap of the store's policy stops this customer's request; the message is the store's."""

    code = RequestErrorCode.EDIT_SESSION_LIMIT_REACHED
