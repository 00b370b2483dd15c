"""The event-bus port locally: an in-process bus the local runtime delivers from.

Publishing hands the event to the backends' observers; the local runtime
(``adapters.local.entry``) is one, and delivers it to each matching ``on_event(bus=...)``
function through its event pump, with the retries of the other local events. Nothing is
stored: with no runtime in this process (a script, a unit test calling a handler
directly) nobody is subscribed, as on a cloud bus with no rule, and a WARNING says the
event reached no function rather than dropping it silently.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from polyfn.adapters.common.errors import ResourceRef
from polyfn.adapters.local.backends.observers import BackendObserver
from polyfn.core.event_bus import OutgoingEvent

__all__ = ["LocalEventBus"]

_log = logging.getLogger("polyfn.local")


class LocalEventBus:
    """Hands published events to whoever in this process listens (the local runtime)."""

    def __init__(self, ref: ResourceRef, observers: Sequence[BackendObserver]) -> None:
        self.ref = ref
        # The backends' live list: a runtime that starts later still hears later events.
        self._observers = observers

    def publish(self, event: OutgoingEvent) -> str:
        observers = list(self._observers)
        if not observers:
            _log.warning(
                "event %s from %s published to bus %r reached no function: no local "
                "runtime is running in this process (polyfn run delivers bus events)",
                event.type,
                event.source,
                self.ref.name,
            )
        for observer in observers:
            observer.event_published(self.ref.physical, event)
        return event.id
