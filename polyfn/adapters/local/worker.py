"""The queue worker: what SQS + Lambda's event source mapping do, for one consumed queue.

Receive a batch of up to the function's ``batch_size``, run ``App.handle_messages`` on it,
delete exactly the messages that succeeded and give the others back to the queue, which
shows them again after the visibility timeout and dead-letters them after
``max_receives``. Nothing is acknowledged before its handler returned, so a process
killed mid-batch loses nothing: the batch's messages reappear when their timeout ends.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from polyfn.adapters.local.backends.queue import SqliteQueue
from polyfn.adapters.local.invocations import Invocations
from polyfn.adapters.local.polling import PolledWorker, PollingThread
from polyfn.core.app import App
from polyfn.core.functions import Function, MessageTrigger

__all__ = ["BatchResult", "QueueWorker"]

_log = logging.getLogger("polyfn.local.worker")


@dataclass
class BatchResult:
    """What one batch did: ids received, acknowledged, failed and dead-lettered."""

    received: list[str] = field(default_factory=list)
    succeeded: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    dead_lettered: list[str] = field(default_factory=list)


class QueueWorker(PolledWorker):
    """Consumes one queue with its one consumer function."""

    def __init__(
        self,
        app: App,
        function: Function,
        queue: SqliteQueue,
        invocations: Invocations,
        *,
        visibility_timeout: float,
    ) -> None:
        if not isinstance(function.trigger, MessageTrigger):
            raise TypeError(f"{function.name} is not an on_message function")
        self.app = app
        self.function = function
        self.trigger = function.trigger
        self.queue = queue
        self.invocations = invocations
        self.visibility_timeout = visibility_timeout
        self._poller = PollingThread(f"polyfn-worker-{function.name}", self._poll, _log)

    @property
    def queue_name(self) -> str:
        return self.trigger.queue.name

    def process_batch(self, limit: int | None = None) -> BatchResult:
        """Receive one batch (up to ``batch_size`` or ``limit``) and settle every message."""
        size = min(self.trigger.batch_size, limit) if limit else self.trigger.batch_size
        deliveries = self.queue.receive(size, self.visibility_timeout)
        result = BatchResult(received=[d.id for d in deliveries])
        if not deliveries:
            return result
        ctx = self.invocations.context(self.app, self.function.name)
        messages = [d.to_message(self.queue_name) for d in deliveries]
        failed_ids: set[str] | None = None
        with self.invocations.record(self.app, "message", ctx, messages=len(messages)) as entry:
            try:
                failed = self.app.handle_messages(self.queue.ref.physical, messages, ctx)
                failed_ids = {m.id for m in failed}
            finally:
                # Settle even when the batch was interrupted: what did not finish is failed
                # (given back), never acknowledged.
                settled = failed_ids if failed_ids is not None else set(result.received)
                succeeded = [d for d in deliveries if d.id not in settled]
                given_back = [d for d in deliveries if d.id in settled]
                self.queue.ack(succeeded)
                result.dead_lettered = self.queue.fail(given_back, self.visibility_timeout)
                result.succeeded = [d.id for d in succeeded]
                result.failed = [d.id for d in given_back]
            entry["failed"] = len(given_back)
            if given_back:
                entry["outcome"] = "error"
            if result.dead_lettered:
                entry["dead_lettered"] = len(result.dead_lettered)
        return result

    # ------------------------------------------------------------------ thread

    def _poll(self) -> bool:
        result = self.process_batch()
        return len(result.received) == self.trigger.batch_size  # full: maybe more right away
