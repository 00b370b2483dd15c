"""Firing scheduled functions at their times, as EventBridge, Azure's timer or Cloud
Scheduler would.

Times come from ``polyfn.core.schedule.next_fire`` (UTC; a rate is aligned to the clock, so
``rate(5 minutes)`` fires at :00, :05, ...). Each firing runs on a small thread pool, so a
slow function does not delay another's tick. A tick missed because the machine slept is
not made up: the clouds do not replay missed schedules either. Stopping waits for the
ticks already running.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from polyfn.adapters.local.invocations import Invocations
from polyfn.core.app import App
from polyfn.core.errors import ConfigError
from polyfn.core.events import Schedule
from polyfn.core.functions import Function, ScheduleTrigger
from polyfn.core.schedule import next_fire

__all__ = ["Scheduler", "fire_schedule", "scheduled_function"]

_MAX_SLEEP_SECONDS = 30.0  # wake now and then, so a change of the wall clock is noticed
_log = logging.getLogger("polyfn.local.scheduler")


def scheduled_function(app: App, name: str) -> Function:
    """The schedule-triggered function ``name``; ``ConfigError`` naming the ones there are."""
    fn = app.functions.get(name)
    if fn is None or not isinstance(fn.trigger, ScheduleTrigger):
        known = ", ".join(f.name for f in app.functions_of("schedule")) or "none"
        raise ConfigError(f"no scheduled function {name!r} in app {app.name} (scheduled: {known})")
    return fn


def _tick_time(moment: datetime) -> str:
    """ISO 8601 in UTC with a ``Z``, the form EventBridge gives a scheduled event's time."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def fire_schedule(app: App, name: str, invocations: Invocations, at: datetime | None = None) -> Any:
    """Run the scheduled function ``name`` once now, for the tick due ``at`` (default now)."""
    fn = scheduled_function(app, name)
    assert isinstance(fn.trigger, ScheduleTrigger)
    moment = at or datetime.now(UTC)
    tick = Schedule(
        _tick_time(moment),
        fn.name,
        raw={"source": "polyfn-local", "schedule": fn.trigger.expression.text},
    )
    ctx = invocations.context(app, fn.name)
    with invocations.record(app, "schedule", ctx, scheduled=tick.time):
        return app.handle_schedule(tick, ctx, function=fn.name)


class Scheduler:
    """A thread that fires each scheduled function of an app at its next time."""

    def __init__(self, app: App, invocations: Invocations, *, workers: int = 4) -> None:
        self._app = app
        self._invocations = invocations
        self._functions = app.functions_of("schedule")
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="polyfn-tick")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="polyfn-scheduler", daemon=True)
        self.next_times: dict[str, datetime] = {}

    def start(self) -> None:
        now = datetime.now(UTC)
        for fn in self._functions:
            assert isinstance(fn.trigger, ScheduleTrigger)
            self.next_times[fn.name] = next_fire(fn.trigger.expression, now)
        if self._functions:
            self._thread.start()

    def fire_now(self, name: str) -> Future[Any]:
        """Fire ``name`` once now (``polyfn run --fire``), beside its regular times."""
        scheduled_function(self._app, name)  # a bad name fails here, in the caller
        return self._pool.submit(self._fire, name, datetime.now(UTC))

    def _fire(self, name: str, at: datetime) -> Any:
        try:
            return fire_schedule(self._app, name, self._invocations, at)
        except Exception:
            _log.exception("scheduled function %s failed", name)
            return None

    def _run(self) -> None:
        while not self._stop.is_set():
            name, due = min(self.next_times.items(), key=lambda item: item[1])
            wait = (due - datetime.now(UTC)).total_seconds()
            if wait > 0:
                self._stop.wait(min(wait, _MAX_SLEEP_SECONDS))
                continue
            if self._stop.is_set():
                return
            self._pool.submit(self._fire, name, due)
            fn = self._app.functions[name]
            assert isinstance(fn.trigger, ScheduleTrigger)
            # From the later of the due time and now: missed ticks are skipped, not replayed.
            self.next_times[name] = next_fire(fn.trigger.expression, max(due, datetime.now(UTC)))

    def stop(self, timeout: float) -> None:
        """Stop firing; wait up to ``timeout`` for the ticks running now."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        self._pool.shutdown(wait=True, cancel_futures=False)
