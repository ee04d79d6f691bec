"""Changes to how a store runs its support queue."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from cancellations.models import QueueSettings
from cancellations.models.queue import MAX_RESPONSE_TARGET_HOURS
from cancellations.queue.errors import QueueErrorCode
from tenants.access import StoreAccess
from tenants.errors import DomainError, PermissionDenied
from tenants.roles import Scope
from tenants.services import record_store_event


def set_response_target(*, access: StoreAccess, hours: int) -> QueueSettings:
    """Set how many hours a request may wait for review before it counts as late."""
    if not access.has(Scope.POLICY_WRITE):
        raise PermissionDenied(_("Your role in this store does not allow this."))
    if not 1 <= hours <= MAX_RESPONSE_TARGET_HOURS:
        raise DomainError(
            _("Choose between 1 and %(max)d hours.") % {"max": MAX_RESPONSE_TARGET_HOURS},
            code=QueueErrorCode.RESPONSE_TARGET_INVALID,
            field="hours",
        )
    store = access.store
    with transaction.atomic():
        # Two first saves at once: get_or_create catches the second insert's unique violation and
        # reads the row the first one made; the row lock then orders the two updates.
        row, _created = QueueSettings.objects.for_store(store).select_for_update().get_or_create(store=store)
        before = row.response_target_hours
        if before != hours:
            row.response_target_hours = hours
            row.save(update_fields=["response_target_hours", "updated_at"])
            record_store_event(
                store=store,
                actor=access.user,
                action="queue.response_target_changed",
                data={"hours": [before, hours]},
            )
    return row
