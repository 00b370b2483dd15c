"""The change worker: what DynamoDB Streams + Lambda's event source mapping do, for one
on_change function, on the local store's change log (``backends/change_log.py``).

Read up to ``batch_size`` changes after the reader's position, run
``App.handle_changes`` on them, then move the position past the changes that ran. The
first change not done is retried after a pause; past the trigger's ``retries`` it is
recorded as failed and passed. The position moves only after the handler returned, so a
process killed mid-batch delivers the batch again on its next start: at least once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from polyfn.adapters.local.backends.change_log import ChangeLog
from polyfn.adapters.local.invocations import Invocations
from polyfn.adapters.local.polling import PolledWorker, PollingThread
from polyfn.core.app import App
from polyfn.core.functions import ChangeTrigger, Function

__all__ = ["ChangeBatch", "ChangeWorker"]

_log = logging.getLogger("polyfn.local.changes")


@dataclass
class ChangeBatch:
    """What one batch did, by change id (the log's sequence number)."""

    received: list[str] = field(default_factory=list)
    succeeded: list[str] = field(default_factory=list)
    not_done: list[str] = field(default_factory=list)
    recorded_failed: list[str] = field(default_factory=list)


class ChangeWorker(PolledWorker):
    """Reads one table's change log for its one on_change function."""

    def __init__(
        self, app: App, function: Function, log: ChangeLog, invocations: Invocations
    ) -> None:
        if not isinstance(function.trigger, ChangeTrigger):
            raise TypeError(f"{function.name} is not an on_change function")
        self.app = app
        self.function = function
        self.trigger = function.trigger
        self.log = log
        self.invocations = invocations
        self._opened = False
        self._poller = PollingThread(f"polyfn-changes-{function.name}", self._poll, _log)

    def process_batch(self) -> ChangeBatch:
        if not self._opened:
            # Where a new reader starts (latest/oldest) is fixed by its first read.
            self.log.open(self.trigger.start)
            self._opened = True
        logged = self.log.pending(self.trigger.batch_size)
        batch = ChangeBatch(received=[str(entry.seq) for entry in logged])
        if not logged:
            return batch
        table = self.trigger.table
        changes = [entry.to_change(table.name, {}) for entry in logged]
        ctx = self.invocations.context(self.app, self.function.name)
        with self.invocations.record(self.app, "change", ctx, changes=len(changes)) as entry:
            not_done = self.app.handle_changes(
                self.log.table, changes, ctx, function=self.function.name
            )
            done = len(changes) - len(not_done)
            if done:
                self.log.acknowledge(logged[done - 1].seq)
            batch.succeeded = batch.received[:done]
            batch.not_done = batch.received[done:]
            if not_done:
                entry["outcome"] = "error"
                entry["failed"] = len(not_done)
                if self.log.failed(logged[done], self.trigger.retries):
                    batch.recorded_failed = [batch.received[done]]
                    entry["recorded_failed"] = 1
                    _log.error(
                        "change %s of table %s failed %d time(s) in %s; recorded in "
                        "change_failures and passed",
                        batch.received[done],
                        table.name,
                        self.trigger.retries + 1,
                        self.function.name,
                    )
        return batch

    # ------------------------------------------------------------------ thread

    def _poll(self) -> bool:
        batch = self.process_batch()
        return bool(batch.received) and not batch.not_done  # it ran: maybe more right away
