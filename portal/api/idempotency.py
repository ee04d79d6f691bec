"""`Idempotency-Key` on API POSTs: the same key and the same body replay the first answer.

The first request with a key claims it (a row with no answer yet), runs, and stores its answer. A
repeat with the same method, path and body gets that answer again, marked `Idempotent-Replayed:
true`; a repeat with anything else is a 422. A repeat that arrives while the first is still running
is a 409. A 5xx, or an exception, gives the key up, so the caller may try again with it.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.request import Request
from rest_framework.response import Response

from portal.api.errors import ApiErrorCode, IdempotencyKeyInUse, IdempotencyKeyMismatch
from portal.models import IdempotencyRecord
from tenants.errors import DomainError
from tenants.models import Store

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
REPLAYED_HEADER = "Idempotent-Replayed"


class IdempotentReplay(Exception):
    """Raised from `initial()` to answer with the stored response instead of running the handler."""

    def __init__(self, response: Response) -> None:
        super().__init__("replay")
        self.response = response


def _ttl() -> timedelta:
    return timedelta(hours=float(settings.API_IDEMPOTENCY_TTL_HOURS))


def fingerprint(request: Request) -> str:
    """Method, path and body, with JSON bodies compared by meaning rather than by their spacing."""
    raw = request._request.body or b""
    try:
        body = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":")).encode()
    except (ValueError, UnicodeDecodeError):
        body = raw
    digest = hashlib.sha256()
    for part in ((request.method or "").encode(), request.path.encode(), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def _replay(record: IdempotencyRecord) -> Response:
    response = Response(record.response_body, status=record.status_code)
    response[REPLAYED_HEADER] = "true"
    return response


def claim(*, store: Store, actor: str, request: Request) -> IdempotencyRecord | None:
    """Claim the request's key for it, or raise IdempotentReplay / a 409 / a 422. None without a key."""
    key = request.headers.get(HEADER, "").strip()
    if not key:
        return None
    if len(key) > MAX_KEY_LENGTH:
        raise DomainError(
            _("An Idempotency-Key has at most %(n)s characters.") % {"n": MAX_KEY_LENGTH},
            code=ApiErrorCode.IDEMPOTENCY_KEY_INVALID,
            field=HEADER,
        )
    print_ = fingerprint(request)
    records = IdempotencyRecord.objects.for_store(store)
    for _attempt in range(2):
        record = records.filter(actor=actor, key=key).first()
        if record is not None and record.created_at < timezone.now() - _ttl():
            records.filter(pk=record.pk).delete()
            record = None
        if record is None:
            try:
                with transaction.atomic():
                    return IdempotencyRecord.objects.create(
                        store=store, actor=actor, key=key, fingerprint=print_
                    )
            except IntegrityError:
                continue  # another request claimed the key a moment ago: look at its record
        if record.fingerprint != print_:
            raise IdempotencyKeyMismatch(
                _("This Idempotency-Key was used for a different request."), field=HEADER
            )
        if record.status_code is None:
            raise IdempotencyKeyInUse(_("A request with this Idempotency-Key is still being answered."))
        raise IdempotentReplay(_replay(record))
    raise IdempotencyKeyInUse(_("A request with this Idempotency-Key is still being answered."))


def settle(record: IdempotencyRecord, response: Response) -> None:
    """Keep the answer for replays, or give the key up when the server failed."""
    records = IdempotencyRecord.objects.for_store(record.store_id)
    if response.status_code >= 500 or response.status_code == 429:
        records.filter(pk=record.pk).delete()
        return
    body: Any = response.data if isinstance(response, Response) else None
    records.filter(pk=record.pk).update(
        status_code=response.status_code, response_body=json.loads(json.dumps(body, default=str))
    )


def release(record: IdempotencyRecord) -> None:
    IdempotencyRecord.objects.for_store(record.store_id).filter(pk=record.pk).delete()


def purge_idempotency_records(*, now: Any = None, limit: int = 10_000) -> int:
    """Forget keys older than API_IDEMPOTENCY_TTL_HOURS (a sweep across stores, by age only)."""
    cutoff = (now or timezone.now()) - _ttl()
    ids = list(
        IdempotencyRecord.objects.dangerously_unscoped()
        .filter(created_at__lt=cutoff)
        .values_list("pk", flat=True)[:limit]
    )
    if not ids:
        return 0
    deleted, _rows = IdempotencyRecord.objects.dangerously_unscoped().filter(pk__in=ids).delete()
    return deleted
