"""Settings for the fault tests' worker: the real ones, quick retries, and a platform that misbehaves."""

from portal.settings import *  # noqa: F403

REQUEST_ADAPTER_FACTORY = "tests.requests.faults.FaultyAdapter"
REQUEST_RETRY_BASE_SECONDS = 0.2
REQUEST_RETRY_MAX_SECONDS = 2
REQUEST_MAX_ATTEMPTS = 500
REQUEST_EXECUTION_LEASE_SECONDS = 5
REQUEST_SWEEP_GRACE_SECONDS = 2
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
