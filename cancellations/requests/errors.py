"""Errors of the request lifecycle, each with a stable code."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from tenants.errors import Conflict, DomainError

if TYPE_CHECKING:
    from cancellations.models import OrderRequest


class RequestAlreadyOpen(Conflict):
    """The order already has an open request of this kind; `request` is that request."""

    code = "request_already_open"

    def __init__(self, request: OrderRequest) -> None:
        super().__init__(
            _("There is already an open request for this order (request %(id)s, %(status)s).")
            % {"id": request.pk, "status": request.get_status_display()}
        )
        self.request = request


class AlreadyDecided(Conflict):
    """Someone decided this request already: who, how (`resolution`) and when are on the error."""

    code = "already_decided"

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

    code = "transition_not_allowed"

    def __init__(self, request: OrderRequest, to_status: str) -> None:
        super().__init__(
            _("A request that is %(status)s cannot become %(to)s.")
            % {"status": request.get_status_display(), "to": to_status}
        )
        self.request = request
        self.to_status = to_status


class IdempotencyKeyReused(Conflict):
    """The key was already used for a request on another order or of another kind."""

    code = "idempotency_key_reused"


class InvalidRequest(DomainError):
    """What was asked is not well formed (no changes for an edit, an unknown line, ...)."""

    code = "invalid_request"
