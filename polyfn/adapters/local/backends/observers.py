"""What the local backends tell whoever listens: the runtime, to deliver object events and
to wake a queue's worker as soon as a message is sent in the same process, and to
deliver what is published to an event bus."""

from __future__ import annotations

from typing import Protocol

from polyfn.adapters.local.backends.folder_keys import FileStamp
from polyfn.core.event_bus import OutgoingEvent
from polyfn.core.resources import ObjectInfo

__all__ = ["BackendObserver"]


class BackendObserver(Protocol):
    def object_written(self, bucket: str, info: ObjectInfo, stamp: FileStamp) -> None:
        """An object was written through a bucket (``bucket`` is the physical name).

        Called while the bucket's lock is held, right after the file took its place, so a
        folder watcher that takes the same lock sees the write as already known.
        """
        ...

    def object_deleted(self, bucket: str, key: str) -> None:
        """An existing object was deleted through a bucket (under the bucket's lock)."""
        ...

    def messages_sent(self, queue: str) -> None:
        """Messages were sent to ``queue`` (physical name); they may be visible now."""
        ...

    def event_published(self, bus: str, event: OutgoingEvent) -> None:
        """An event was published to ``bus`` (physical name); deliver it to subscribers."""
        ...
