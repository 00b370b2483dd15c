"""Delivering what is published to an event bus, locally (``app.event_bus(...).publish``).

The local bus backend (``backends.event_bus``) hands each published event to the runtime;
this pump delivers it to every ``on_event(bus=...)`` function of that bus whose source and
type filters match, each as its own subscription (as each EventBridge rule, Event Grid
subscription or Eventarc trigger is): called on its own, logged on its own line, retried
on its own. Delivery is asynchronous, as on the clouds, so a handler may publish to the
bus it listens to without recursing inside ``publish``. Retries are those of the local
object events (``events.RETRY_DELAYS_SECONDS``): twice, then logged and dropped.
"""

from __future__ import annotations

import heapq
import logging
import threading
import time

from polyfn.adapters.local.events import RETRY_DELAYS_SECONDS
from polyfn.adapters.local.invocations import Invocations
from polyfn.core.app import App
from polyfn.core.event_bus import OutgoingEvent
from polyfn.core.events import Event
from polyfn.core.functions import EventTrigger, Function

__all__ = ["BusEventPump", "bus_subscribers", "deliver_bus_event", "event_from_published"]

_log = logging.getLogger("polyfn.local")


def event_from_published(event: OutgoingEvent, bus: str) -> Event:
    """The ``Event`` a handler receives for an event published to ``bus`` (physical)."""
    return Event(
        event.id,
        event.source,
        event.type,
        subject=event.subject,
        time=event.time,
        data=event.data,
        raw={"source": "polyfn-local", "bus": bus, "id": event.id},
    )


def bus_subscribers(app: App, bus: str, event: Event) -> list[Function]:
    """The functions subscribed to the bus named ``bus`` (physical) that ``event`` matches."""
    return [
        fn
        for fn in app.functions.values()
        if isinstance(fn.trigger, EventTrigger)
        and fn.trigger.bus is not None
        and bus in (fn.trigger.bus.name, fn.trigger.bus.physical_name)
        and fn.trigger.matches(event)
    ]


def deliver_bus_event(app: App, event: Event, function: Function, invocations: Invocations) -> None:
    """Run one subscriber on one event now; its exception propagates."""
    ctx = invocations.context(app, function.name)
    with invocations.record(app, "event", ctx, source=event.source, type=event.type):
        app.handle_event(event, ctx, function=function.name)


class BusEventPump:
    """A thread that delivers bus events in order, with retries."""

    def __init__(self, app: App, invocations: Invocations) -> None:
        self._app = app
        self._invocations = invocations
        # (due time, sequence, attempt, event, function name): the sequence keeps order
        # among events due at the same moment.
        self._pending: list[tuple[float, int, int, Event, str]] = []
        self._sequence = 0
        self._busy = False
        self._condition = threading.Condition()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="polyfn-bus-events", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def submit(self, bus: str, published: OutgoingEvent) -> int:
        """Queue the event for every matching subscriber; returns how many will get it."""
        event = event_from_published(published, bus)
        functions = bus_subscribers(self._app, bus, event)
        if not functions:
            _log.warning(
                "event %s from %s published to bus %r matches no on_event function of %s",
                event.type,
                event.source,
                bus,
                self._app.name,
            )
        with self._condition:
            for fn in functions:
                self._push(time.monotonic(), 0, event, fn.name)
            self._condition.notify()
        return len(functions)

    def _push(self, due: float, attempt: int, event: Event, function: str) -> None:
        self._sequence += 1
        heapq.heappush(self._pending, (due, self._sequence, attempt, event, function))

    def idle(self) -> bool:
        """True when nothing is queued or running (retries waiting count as queued)."""
        with self._condition:
            return not self._pending and not self._busy

    def _run(self) -> None:
        while True:
            with self._condition:
                while not self._due_now():
                    if self._stopping:
                        return
                    wait = self._pending[0][0] - time.monotonic() if self._pending else None
                    self._condition.wait(wait)
                _, _, attempt, event, name = heapq.heappop(self._pending)
                self._busy = True
            try:
                self._deliver(event, name, attempt)
            finally:
                with self._condition:
                    self._busy = False
                    self._condition.notify_all()

    def _due_now(self) -> bool:
        return bool(self._pending) and self._pending[0][0] <= time.monotonic()

    def _deliver(self, event: Event, name: str, attempt: int) -> None:
        try:
            deliver_bus_event(self._app, event, self._app.functions[name], self._invocations)
        except Exception:
            function_logger = logging.getLogger(f"polyfn.fn.{name}")
            if attempt < len(RETRY_DELAYS_SECONDS):
                function_logger.exception(
                    "event %s from %s failed in %s; retrying in %.0f s",
                    event.type,
                    event.source,
                    name,
                    RETRY_DELAYS_SECONDS[attempt],
                )
                with self._condition:
                    self._push(
                        time.monotonic() + RETRY_DELAYS_SECONDS[attempt], attempt + 1, event, name
                    )
            else:
                function_logger.exception(
                    "event %s from %s failed in %s %d times; dropping it",
                    event.type,
                    event.source,
                    name,
                    attempt + 1,
                )

    def stop(self, timeout: float) -> None:
        """Deliver what is due, drop retries not yet due, and end the thread."""
        with self._condition:
            self._stopping = True
            self._condition.notify_all()
        self._thread.join(timeout)
