"""Settings for the fault tests' worker: the real ones, quick retries, and a platform that misbehaves."""

from portal.settings import *  # noqa: F403

REQUEST_ADAPTER_FACTORY = "tests.requests.faults.FaultyAdapter"
REQUEST_RETRY_BASE_SECONDS = 0.2
REQUEST_RETRY_MAX_SECONDS = 2
REQUEST_MAX_ATTEMPTS = 500
REQUEST_EXECUTION_LEASE_SECONDS = 10
REQUEST_SWEEP_GRACE_SECONDS = 2
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

if CELERY_BROKER_URL.startswith("filesystem://"):  # noqa: F405
    # The development broker is polled, and a prefork worker on it acknowledges finished tasks only
    # between polls (every 2 s): without reserving more work ahead it would run two tasks per poll.
    # A killed worker loses what it reserved; the sweep sends that again, as it must.
    CELERY_WORKER_PREFETCH_MULTIPLIER = 32
    CELERY_BROKER_TRANSPORT_OPTIONS = {**CELERY_BROKER_TRANSPORT_OPTIONS, "polling_interval": 0.1}  # noqa: F405
