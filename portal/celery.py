"""The Celery application. Configuration lives in settings under the CELERY_ prefix."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

# Every package with a `tasks` module. Tasks carry explicit names ("requests.execute"), so a module
# can move without stranding tasks already queued under the old path.
TASK_PACKAGES = [
    "portal",
    "cancellations.bulk",
    "cancellations.holds",
    "cancellations.hosts",
    "cancellations.insights",
    "cancellations.notifications",
    "cancellations.orders",
    "cancellations.platforms",
    "cancellations.requests",
    "cancellations.rules",
    "cancellations.webhooks",
]

app = Celery("amend")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(TASK_PACKAGES)
