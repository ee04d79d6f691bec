"""Settings for the bulk tests' worker: the real ones with short leases and slices, three threads."""

from portal.settings import *  # noqa: F403

BULK_CANCEL_BUILTIN_RATE = 50
BULK_CANCEL_BATCH_SIZE = 10
BULK_CANCEL_CONCURRENCY = 3
BULK_CANCEL_SLICE_SECONDS = 2
BULK_CANCEL_LEASE_SECONDS = 3
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
