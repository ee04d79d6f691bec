"""Tasks reach a real worker through the broker, and only once their transaction has committed."""

import time

import pytest
from django.db import transaction

from portal.models import TaskHeartbeat
from portal.services import send_heartbeat
from tests.worker import running_worker, wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def _ran(heartbeat_id: int) -> bool:
    return TaskHeartbeat.objects.filter(pk=heartbeat_id, ran_at__isnull=False).exists()


def test_a_task_enqueued_in_a_transaction_runs_on_the_worker_only_after_commit():
    with running_worker():
        with transaction.atomic():
            heartbeat = send_heartbeat()
            # given the worker is up and the transaction still open, nothing has been sent yet
            time.sleep(2)
            assert not _ran(heartbeat.pk)
        # when the transaction commits, the worker picks the task up and marks the row
        assert wait_until(lambda: _ran(heartbeat.pk), timeout=60)


def test_a_rolled_back_transaction_enqueues_nothing():
    with running_worker():
        with pytest.raises(RuntimeError), transaction.atomic():
            send_heartbeat()
            raise RuntimeError("abort")
        control = send_heartbeat()
        assert wait_until(lambda: _ran(control.pk), timeout=60)
        # the control task ran, so the broker is live, and the rolled-back row never existed
        assert TaskHeartbeat.objects.count() == 1
