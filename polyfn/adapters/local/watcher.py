"""Noticing files dropped into, changed in or removed from a bucket folder by hand.

The watcher polls (every 0.5 s by default): portable, no dependency, and cheap for the
folders a developer drops files into. It keeps a snapshot of each watched bucket, key ->
(inode, mtime, size), taken silently at start: only changes made while the runtime runs
fire events.

A new or changed file fires ``created`` once its stamp has stayed the same across two
polls, so a file still being copied in fires once, complete, rather than half-written.
A removed file fires ``deleted``. Writes and deletes made through the bucket in this
process are reported to the watcher (``remember``/``forget``) under the bucket's lock by
the runtime, so they fire once, from the bucket, and never again from here.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence

from polyfn.adapters.local.backends.bucket import FolderBucket
from polyfn.adapters.local.backends.folder_keys import FileStamp
from polyfn.adapters.local.events import make_object_event
from polyfn.core.events import ObjectEvent

__all__ = ["POLL_INTERVAL_SECONDS", "FolderWatcher"]

POLL_INTERVAL_SECONDS = 0.5
_log = logging.getLogger("polyfn.local.watcher")


class FolderWatcher:
    """Polls bucket folders and hands each change to ``on_event``."""

    def __init__(
        self,
        buckets: Sequence[FolderBucket],
        on_event: Callable[[ObjectEvent], object],
        *,
        interval: float = POLL_INTERVAL_SECONDS,
    ) -> None:
        self._buckets = {bucket.ref.physical: bucket for bucket in buckets}
        self._on_event = on_event
        self.interval = interval
        self._known: dict[str, dict[str, FileStamp]] = {name: {} for name in self._buckets}
        self._settling: dict[str, dict[str, FileStamp]] = {name: {} for name in self._buckets}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="polyfn-watcher", daemon=True)

    @property
    def buckets(self) -> list[str]:
        return list(self._buckets)

    def watches(self, bucket: str) -> bool:
        return bucket in self._buckets

    # ------------------------------------------------------------------ snapshot

    def baseline(self) -> None:
        """Take the starting snapshot: what is there now fires nothing."""
        for name, bucket in self._buckets.items():
            stamps = bucket.scan()
            with bucket.lock:
                self._known[name] = stamps
                self._settling[name] = {}

    def remember(self, bucket: str, key: str, stamp: FileStamp) -> None:
        """A write through the bucket; call with the bucket's lock held."""
        if bucket in self._known:
            self._known[bucket][key] = stamp
            self._settling[bucket].pop(key, None)

    def forget(self, bucket: str, key: str) -> None:
        """A delete through the bucket; call with the bucket's lock held."""
        if bucket in self._known:
            self._known[bucket].pop(key, None)
            self._settling[bucket].pop(key, None)

    # ------------------------------------------------------------------ polling

    def poll_once(self) -> list[ObjectEvent]:
        """One look at every watched folder; returns (and hands on) the events it found."""
        events: list[ObjectEvent] = []
        for name, bucket in self._buckets.items():
            events.extend(self._poll_bucket(name, bucket))
        for event in events:
            self._on_event(event)
        return events

    def _poll_bucket(self, name: str, bucket: FolderBucket) -> list[ObjectEvent]:
        seen = bucket.scan()  # outside the lock: a walk can take a while
        created: list[str] = []
        deleted: list[str] = []
        with bucket.lock:
            known, settling = self._known[name], self._settling[name]
            for key, stamp in seen.items():
                if known.get(key) == stamp:
                    settling.pop(key, None)
                    continue
                # Look again under the lock: a write through the bucket may have landed
                # (and been remembered) since the walk.
                now = bucket.stamp(key)
                if now is None or known.get(key) == now:
                    continue
                if settling.get(key) == now:
                    known[key] = now
                    del settling[key]
                    created.append(key)
                else:
                    settling[key] = now  # new or still changing: wait for it to settle
            for key in [k for k in known if k not in seen]:
                if bucket.stamp(key) is None:
                    del known[key]
                    deleted.append(key)
            for key in [k for k in settling if k not in seen]:
                del settling[key]
        events = [make_object_event("deleted", name, key) for key in deleted]
        for key in created:
            info = bucket.metadata(key)  # records etag and content type for the handler
            if info is not None:
                events.append(make_object_event("created", name, key, info=info))
        return events

    # ------------------------------------------------------------------ thread

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.poll_once()
            except Exception:
                _log.exception("polling the bucket folders failed; trying again")

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
