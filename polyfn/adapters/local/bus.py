"""Delivering what is published to an event bus, locally (``app.event_bus(...).publish``).

The local bus backend (``backends.event_bus``) hands each published event to the runtime;
this pump delivers it to every ``on_event(bus=...)`` function of that bus whose source and
type filters match, each as its own subscription (as each EventBridge rule, Event Grid
subscription or Eventarc trigger is): called on its own, logged on its own line, retried
on its own. Delivery is asynchronous, as on the clouds, so a handler may publish to the
bus it listens to without recursing inside ``publish``. Retries are those of the local
object events (``pump.RETRY_DELAYS_SECONDS``): twice, then logged and dropped.
"""

from __future__ import annotations

import logging

from polyfn.adapters.local.invocations import Invocations
from polyfn.adapters.local.pump import RETRY_DELAYS_SECONDS, DeliveryPump
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
        trace=_carried(event.trace),
    )


def _carried(extensions: dict[str, str]) -> dict[str, str]:
    if not extensions:
        return {}
    from polyfn.core.trace_context import carrier_from_extensions

    return carrier_from_extensions(extensions)


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
    """A thread that delivers bus events in order, with retries (``pump``)."""

    def __init__(self, app: App, invocations: Invocations) -> None:
        self._app = app
        self._invocations = invocations
        self._pump: DeliveryPump[Event] = DeliveryPump(
            "polyfn-bus-events",
            self._deliver,
            lambda event: f"event {event.type} from {event.source}",
            lambda: RETRY_DELAYS_SECONDS,
        )

    def start(self) -> None:
        self._pump.start()

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
        return self._pump.submit(event, [fn.name for fn in functions])

    def idle(self) -> bool:
        """True when nothing is queued or running (retries waiting count as queued)."""
        return self._pump.idle()

    def stop(self, timeout: float) -> None:
        """Deliver what is due, drop retries not yet due, and end the thread."""
        self._pump.stop(timeout)

    def _deliver(self, event: Event, name: str) -> None:
        deliver_bus_event(self._app, event, self._app.functions[name], self._invocations)
