"""The filesystem broker of the default runtime (no CELERY_BROKER_URL), made to keep up with its worker.

Two things made a worker on kombu's filesystem transport run about one task a second:
- Celery's loop for brokers without asynchronous I/O sends the acknowledgements of finished tasks
  (and its other pending operations) only between two `drain_events` calls, and asks each call to
  wait up to two seconds; with late acknowledgement and one task prefetched per process, the worker
  waited out the two seconds after every task. `Transport.drain_events` returns from an empty wait
  after `MAX_WAIT` seconds, so the loop acknowledges and takes the next message at once.
- Each message taken listed and sorted the whole folder. `Channel` keeps the sorted names of the last
  listing and lists again only when they are used up (a name another worker took meanwhile is
  skipped: moving it fails). Polling every few milliseconds also finds files the sender has created
  but not yet written, which kombu's reader would take and fail to decode: an empty file is left for
  the next listing.
Everything else, the files and their format, is kombu's filesystem transport.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections import deque
from queue import Empty
from typing import Any

from kombu.transport import filesystem
from kombu.utils.json import loads

MAX_WAIT = 0.005


class Channel(filesystem.Channel):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._listed: dict[str, deque[str]] = {}

    def _get(self, queue: str, timeout: float | None = None) -> Any:
        suffix = f".{queue}.msg"
        names = self._listed.get(queue)
        if not names:
            names = deque(sorted(n for n in os.listdir(self.data_folder_in) if n.endswith(suffix)))
            self._listed[queue] = names
        taken_to = self.processed_folder if self.store_processed else tempfile.gettempdir()
        while names:
            name = names.popleft()
            source = os.path.join(self.data_folder_in, name)
            try:
                # The sender creates the file, then writes the message in one write: an empty file is
                # one being sent, left for the next listing.
                if os.stat(source).st_size == 0:
                    continue
                shutil.move(source, taken_to)
            except OSError:
                continue  # another worker took it
            path = os.path.join(taken_to, name)
            with open(path, "rb") as handle:
                payload = handle.read()
            if not self.store_processed:
                os.remove(path)
            return loads(payload.decode())
        raise Empty()


class Transport(filesystem.Transport):
    Channel = Channel

    # The stubs' base class declares **kwargs; kombu's virtual transport takes `timeout`, as here.
    def drain_events(self, connection: Any, timeout: float | None = None) -> Any:  # type: ignore[override]
        if timeout is not None:
            timeout = min(timeout, MAX_WAIT)
        return super().drain_events(connection, timeout=timeout)
