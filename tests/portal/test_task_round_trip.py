"""Tasks reach a real worker through the broker, and only once their transaction has committed.

No sleeping: "not before commit" is proven by what was published to the broker (Celery's
after_task_publish signal fires in this process once the broker has the message), and "never after a
rollback" by a marker sent behind it: one queue, one worker process, so the broker hands tasks out in
the order they were sent and the rolled-back task, had it been sent, would have run first.
"""

from collections.abc import Iterator

import pytest
from celery.signals import after_task_publish
from django.db import transaction

from portal.models import TaskHeartbeat
from portal.services import send_heartbeat
from tests.worker import Worker, running_worker, wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]

MARK_HEARTBEAT = "portal.mark_heartbeat"


def _ran(heartbeat_id: int) -> bool:
    return TaskHeartbeat.objects.filter(pk=heartbeat_id, ran_at__isnull=False).exists()


@pytest.fixture
def published() -> Iterator[list[tuple[str, tuple]]]:
    """(task name, args) of every message this process hands to the broker while the test runs."""
    sent: list[tuple[str, tuple]] = []

    def record(sender=None, body=None, **_) -> None:
        args, _kwargs, _embed = body  # Celery's message protocol 2
        sent.append((sender, tuple(args)))

    after_task_publish.connect(record, weak=False)
    yield sent
    after_task_publish.disconnect(record)


def test_a_task_enqueued_in_a_transaction_runs_on_the_worker_only_after_commit(published):
    with running_worker():
        with transaction.atomic():
            heartbeat = send_heartbeat()
            # given the worker is up and the transaction still open, nothing has gone to the broker
            assert published == []
        # when the transaction commits, the task is published once
        assert published == [(MARK_HEARTBEAT, (heartbeat.pk,))]
        # then the worker picks it up and marks the row
        assert wait_until(lambda: _ran(heartbeat.pk), timeout=60)


def test_a_rolled_back_transaction_enqueues_nothing(published):
    with Worker() as worker:
        # given a transaction that enqueues a heartbeat, then rolls back (no worker is consuming yet)
        with pytest.raises(RuntimeError), transaction.atomic():
            rolled_back = send_heartbeat()
            raise RuntimeError("abort")
        assert published == []
        # a row under the rolled-back id, so a stray task would leave a mark where we can see it
        TaskHeartbeat.objects.create(pk=rolled_back.pk, token="would be marked by a stray task")

        # when a worker starts and a marker task is sent behind anything that might be queued
        worker.start()
        marker = send_heartbeat()
        assert wait_until(lambda: _ran(marker.pk), timeout=60)

        # then the marker ran and nothing ran before it: the rolled-back task was never sent
        assert published == [(MARK_HEARTBEAT, (marker.pk,))]
        assert not _ran(rolled_back.pk)
