"""The local runtime: every trigger of an App running on this machine (``polyfn run``).

One process, a few threads:

- the HTTP server (functions-framework's Flask app on werkzeug's threaded server);
- one worker per consumed queue (receive a batch, run it, acknowledge the successes);
- the object-event pump, fed by writes and deletes through the app's buckets and by the
  folder watcher that notices files dropped into a bucket folder by hand;
- the bus-event pump, fed by what the app publishes to its event buses;
- the scheduler.

Stopping (``stop``, or SIGTERM / Ctrl-C in ``serve_forever``) stops taking new work and
lets work in flight finish: requests being answered, the batch each worker holds, object
events already due and ticks already running. Unfinished queue messages are never lost:
they stay in SQLite and come back after their visibility timeout.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, TextIO

from polyfn.adapters.local.backends import LocalBackends
from polyfn.adapters.local.backends.change_log import ChangeLog, reader_name
from polyfn.adapters.local.backends.folder_keys import FileStamp
from polyfn.adapters.local.bus import BusEventPump
from polyfn.adapters.local.change_worker import ChangeWorker
from polyfn.adapters.local.events import ObjectEventPump, make_object_event
from polyfn.adapters.local.http import HttpServer, build_wsgi_app
from polyfn.adapters.local.invocations import Invocations
from polyfn.adapters.local.limits import ServerLimits
from polyfn.adapters.local.scheduler import Scheduler, scheduled_function
from polyfn.adapters.local.watcher import POLL_INTERVAL_SECONDS, FolderWatcher
from polyfn.adapters.local.worker import QueueWorker
from polyfn.core.app import App
from polyfn.core.errors import ConfigError
from polyfn.core.event_bus import OutgoingEvent
from polyfn.core.functions import ChangeTrigger, Function, MessageTrigger, ObjectTrigger
from polyfn.core.resources import ObjectInfo

if TYPE_CHECKING:
    from polyfn.adapters.local.backends.workflows import LocalWorkflow

__all__ = ["DEFAULT_VISIBILITY_CAP_SECONDS", "LocalRuntime", "RuntimeOptions", "StartFailed"]

# Locally a failed message should come back in seconds, not the 30 s a cloud queue waits:
# each queue's visibility timeout is capped by this (``--visibility-timeout``).
DEFAULT_VISIBILITY_CAP_SECONDS = 5.0
DEFAULT_GRACE_SECONDS = 30.0


class StartFailed(Exception):
    """Starting the runtime failed; what had started is stopped again. The message says
    what failed in one line; the original exception is the cause."""


@dataclass
class RuntimeOptions:
    data_dir: Path
    host: str = "127.0.0.1"
    port: int = 8080
    visibility_timeout: float = DEFAULT_VISIBILITY_CAP_SECONDS
    fire: list[str] = field(default_factory=list)
    watch_interval: float = POLL_INTERVAL_SECONDS
    grace_seconds: float = DEFAULT_GRACE_SECONDS
    # False runs only the background triggers (objects, queues, schedules): for embedding
    # the runtime in a test or a script that has no use for the HTTP server.
    serve_http: bool = True
    # Body size, idle timeout and connection cap of the HTTP server (``limits``).
    limits: ServerLimits = field(default_factory=ServerLimits)
    # The key ``platform-key`` routes need (X-Polyfn-Key); None: POLYFN_LOCAL_KEY, else
    # a new one, printed at start.
    platform_key: str | None = None


class LocalRuntime:
    """Runs one App locally; ``start`` then ``stop``, or ``serve_forever``."""

    def __init__(self, app: App, options: RuntimeOptions, *, log: TextIO | None = None) -> None:
        for name in options.fire:
            scheduled_function(app, name)  # a bad --fire fails before anything starts
        self.app = app
        self.options = options
        self.backends = LocalBackends(options.data_dir, app.name)
        app.bind(self.backends)
        self.invocations = Invocations(log)
        self.pump = ObjectEventPump(app, self.invocations)
        self.bus_pump = BusEventPump(app, self.invocations)
        watched = {
            fn.trigger.bucket.name: fn.trigger.bucket
            for fn in app.functions.values()
            if isinstance(fn.trigger, ObjectTrigger)
        }
        self.watcher = FolderWatcher(
            [self.backends.bucket(bucket) for bucket in watched.values()],
            self.pump.submit,
            interval=options.watch_interval,
        )
        self.workers: dict[str, QueueWorker] = {}
        for fn in app.functions_of("message"):
            assert isinstance(fn.trigger, MessageTrigger)
            queue = fn.trigger.queue
            backend = self.backends.queue(queue)
            self.workers[backend.ref.physical] = QueueWorker(
                app,
                fn,
                backend,
                self.invocations,
                visibility_timeout=min(queue.visibility_timeout, options.visibility_timeout),
            )
        self.change_workers: list[ChangeWorker] = [
            ChangeWorker(app, fn, self.change_log(fn), self.invocations)
            for fn in app.functions_of("change")
        ]
        self.scheduler = Scheduler(app, self.invocations)
        self.http: HttpServer | None = None
        self.platform_key: str | None = None
        if options.serve_http:
            if any(fn.trigger.auth == "function" for _, _, fn in app.routes()):  # type: ignore[union-attr]
                from polyfn.adapters.local.platform_key import KEY_VARIABLE, make_key

                self.platform_key = (
                    options.platform_key or os.environ.get(KEY_VARIABLE) or make_key()
                )
            wsgi = build_wsgi_app(
                app, self.invocations, self.platform_key, max_body=options.limits.max_body
            )
            self.http = HttpServer(wsgi, options.host, options.port, options.limits)
        self.backends.observe(self)
        self._stopped = threading.Event()
        # The local executors of the app's workflows (made on start, when the store opens).
        self.workflows: list[LocalWorkflow] = []

    def change_log(self, fn: Function) -> ChangeLog:
        """The change log ``fn`` (an on_change function) reads, as its own reader."""
        assert isinstance(fn.trigger, ChangeTrigger)
        table = self.backends.table(fn.trigger.table).ref.physical
        return ChangeLog(self.backends.store, table, reader_name(self.app.name, fn.name))

    # ------------------------------------------------------------------ backend observer

    def object_written(self, bucket: str, info: ObjectInfo, stamp: FileStamp) -> None:
        self.watcher.remember(bucket, info.key, stamp)
        # The event carries the object's metadata, as Cloud Storage's does: a write from
        # an invocation stored its trace and hop count there (core.resources), so the
        # loop guard stops a function that keeps writing into the bucket that triggers it.
        self.pump.submit(
            make_object_event("created", bucket, info.key, info=info, metadata=info.metadata)
        )

    def object_deleted(self, bucket: str, key: str) -> None:
        self.watcher.forget(bucket, key)
        self.pump.submit(make_object_event("deleted", bucket, key))

    def messages_sent(self, queue: str) -> None:
        worker = self.workers.get(queue)
        if worker is not None:
            worker.wake()

    def event_published(self, bus: str, event: OutgoingEvent) -> None:
        self.bus_pump.submit(bus, event)

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        self.backends.sweep_stale_writes()
        self.watcher.baseline()
        self.pump.start()
        self.bus_pump.start()
        self.watcher.start()
        for worker in self.workers.values():
            worker.start()
        for change_worker in self.change_workers:
            change_worker.start()
        self.scheduler.start()
        self._resume_workflows()
        for name in self.options.fire:
            self.scheduler.fire_now(name)
        if self.http is not None:
            self.http.start()

    def stop(self) -> None:
        """Stop taking work, finish what is in flight, release the data directory."""
        if self._stopped.is_set():
            return
        self._stopped.set()
        grace = self.options.grace_seconds
        if self.http is not None:
            self.http.stop(grace)  # first: a request may still write, send or fire events
        self.scheduler.stop(grace)
        self.watcher.stop()
        for worker in self.workers.values():
            worker.stop()
        for change_worker in self.change_workers:
            change_worker.stop()
        for worker in self.workers.values():
            worker.join(grace)
        for change_worker in self.change_workers:
            change_worker.join(grace)
        for executor in self.workflows:
            executor.stop()  # at its next transition; the execution resumes on the next run
        self.pump.stop(grace)
        self.bus_pump.stop(grace)
        self.backends.close()

    def _resume_workflows(self) -> None:
        """Run on, in the background, the executions a previous run left unfinished."""
        for workflow in self.app.workflows.values():
            executor = self.app.backend_for(workflow)
            self.workflows.append(executor)
            threading.Thread(
                target=executor.resume_all, name=f"resume-{workflow.name}", daemon=True
            ).start()

    def serve_forever(self) -> None:
        """Start, run until SIGTERM or SIGINT (Ctrl-C), then stop cleanly.

        A second signal while stopping interrupts the wait for the work in flight
        (``KeyboardInterrupt``): queue messages not yet acknowledged come back later, so
        nothing is lost. A failure while starting stops what had started and raises
        ``StartFailed``.
        """
        stop_requested = threading.Event()

        def request_stop(signum: int, frame: FrameType | None) -> None:
            if stop_requested.is_set():
                raise KeyboardInterrupt  # asked twice: stop waiting
            stop_requested.set()

        previous = {
            sig: signal.signal(sig, request_stop) for sig in (signal.SIGTERM, signal.SIGINT)
        }
        try:
            try:
                self.start()
            except Exception as exc:
                self.stop()
                raise StartFailed(_one_line(exc)) from exc
            try:
                print(self.summary(), flush=True)
                while not stop_requested.wait(0.5):
                    pass
                print("polyfn run: stopping; finishing the work in flight", file=sys.stderr)
            finally:
                self.stop()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    # ------------------------------------------------------------------ summary

    def summary(self) -> str:
        app = self.app
        where = self.http.url if self.http is not None else "(no HTTP server)"
        lines = [f"polyfn run: {app.name} on {where} (data in {self.backends.app_dir})"]
        routes = app.routes()
        if routes:
            lines.append("  routes:")
            width = max(len(method) for method, _, _ in routes)
            lines += [f"    {m:<{width}} {path}  -> {fn.name}" for m, path, fn in routes]
        if self.platform_key is not None:
            lines.append(f"  platform key (X-Polyfn-Key, or ?code=): {self.platform_key}")
        if app.buckets:
            lines.append("  buckets:")
            for bucket in app.buckets.values():
                triggers = [
                    f"{fn.name} ({fn.trigger.describe()})"
                    for fn in app.functions_of("object")
                    if isinstance(fn.trigger, ObjectTrigger) and fn.trigger.bucket is bucket
                ]
                bucket_dir = self.backends.bucket_dir(bucket.physical_name)
                fires = f"  -> {', '.join(triggers)}" if triggers else ""
                lines.append(f"    {bucket.name}: {bucket_dir}{fires}")
            if self.watcher.buckets:
                interval = f"{self.watcher.interval:g}"
                lines.append(f"    (folders polled every {interval} s for dropped files)")
        if app.queues:
            lines.append("  queues:")
            for queue in app.queues.values():
                worker = self.workers.get(queue.physical_name)
                consumer = "(no consumer)"
                if worker is not None:
                    consumer = (
                        f"-> {worker.function.name} (batch {worker.trigger.batch_size}, "
                        f"retry after {worker.visibility_timeout:g} s, "
                        f"dead letter after {queue.max_receives} receives)"
                    )
                lines.append(f"    {queue.name} {consumer}")
        if app.tables:
            lines.append("  tables: " + ", ".join(sorted(app.tables)))
            for change_worker in self.change_workers:
                trigger = change_worker.trigger
                lines.append(
                    f"    {trigger.table.name} changes -> {change_worker.function.name} "
                    f"(batch {trigger.batch_size}, {trigger.retries} retries, then recorded "
                    "as failed)"
                )
        if app.event_buses:
            lines.append("  event buses:")
            for bus in app.event_buses.values():
                subscribers = ", ".join(
                    f"{fn.name} ({fn.trigger.describe()})" for fn in bus.subscribers()
                )
                lines.append(f"    {bus.name} -> {subscribers or '(no subscriber)'}")
        schedules = app.functions_of("schedule")
        if schedules:
            lines.append("  schedules (UTC):")
            for fn in schedules:
                due = self.scheduler.next_times.get(fn.name)
                when = due.isoformat() if due else "-"
                lines.append(f"    {fn.name}: {fn.trigger.describe()}, next {when}")
        lines.append(f"  started {datetime.now(UTC).isoformat(timespec='seconds')}; Ctrl-C to stop")
        return "\n".join(lines)


def _one_line(exc: BaseException) -> str:
    """An exception as one line: its type (unless polyfn's own explains itself) and text."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    if isinstance(exc, ConfigError):
        return text
    return f"{type(exc).__name__}: {text}"
