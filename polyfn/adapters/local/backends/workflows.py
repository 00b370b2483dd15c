"""The local workflow executor: executions saved in the app's SQLite file, state by state.

Every transition the engine (``polyfn.core.workflow_engine``) makes is committed before the
next task runs, so a process killed in the middle of an execution resumes it, on the next
``resume``, from the last committed state: the task that was running runs again (at least
once, as on Step Functions and Durable Functions). A parallel or map state is one step
here: killed while its branches run, it runs them all again.

A runner holds a lease on the execution it drives (renewed at each transition), so two
processes sharing the data directory never drive the same execution at once.

Task timeouts: a task that runs past its timeout fails with ``States.Timeout`` and the
execution moves on; Python cannot stop a thread, so the late task finishes in the
background and its result is dropped.
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from polyfn.core import workflow_engine as engine
from polyfn.core.errors import ExecutionExists, UnknownExecution
from polyfn.core.workflow import WorkflowExecution, canonical_input
from polyfn.core.workflow_steps import TIMEOUT

if TYPE_CHECKING:
    from polyfn.adapters.local.backends.store import Store
    from polyfn.core.workflow import Workflow
    from polyfn.core.workflow_graph import Graph

__all__ = ["ExecutionExists", "LocalWorkflow", "UnknownExecution"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS workflow_executions (
    workflow TEXT NOT NULL,
    id TEXT NOT NULL,
    input TEXT NOT NULL,
    status TEXT NOT NULL,
    saved TEXT NOT NULL,
    started_at REAL NOT NULL,
    lease_owner TEXT,
    lease_until REAL NOT NULL DEFAULT 0,
    PRIMARY KEY (workflow, id)
) WITHOUT ROWID
"""

LEASE_SECONDS = 60.0
# How often a sleeping runner looks again (a stop request or a lease to renew).
_SLEEP_SLICE = 0.5


class LocalWorkflow:
    """The backend of one workflow: start executions, run them, say how they went."""

    def __init__(self, store: Store, workflow: Workflow, *, background: bool = True) -> None:
        self.store = store
        self.workflow = workflow
        self.name = workflow.physical_name
        self.background = background
        # "<pid>:<random>": a lease whose process is gone can be taken over at once.
        self.owner = f"{os.getpid()}:{uuid.uuid4().hex}"
        self._stop = threading.Event()
        with store.write() as conn:
            conn.execute(_SCHEMA)

    # ------------------------------------------------------------------ the port

    def start(
        self,
        workflow: Workflow,
        input: Any,
        name: str | None,
        trace: Mapping[str, str] | None = None,
    ) -> WorkflowExecution:
        graph = workflow.graph
        execution_id = name or uuid.uuid4().hex
        encoded_input = canonical_input(input)
        now = time.time()
        execution = engine.start(
            graph, json.loads(encoded_input), id=execution_id, now=now, timeout=workflow.timeout
        )
        execution.trace = dict(trace) if trace else None  # saved with it: survives a restart
        with self.store.write() as conn:
            row = conn.execute(
                "SELECT input, saved FROM workflow_executions WHERE workflow = ? AND id = ?",
                (self.name, execution_id),
            ).fetchone()
            if row is not None:
                if row[0] != encoded_input:
                    raise ExecutionExists(
                        f"an execution named {execution_id!r} of workflow {self.name!r} "
                        "already exists with different input"
                    )
                saved = engine.Execution.from_dict(json.loads(row[1]))
                return _handle(saved)
            conn.execute(
                "INSERT INTO workflow_executions (workflow, id, input, status, saved, started_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (
                    self.name,
                    execution_id,
                    encoded_input,
                    execution.status,
                    json.dumps(execution.to_dict()),
                    now,
                ),
            )
        if self.background and execution.status == engine.RUNNING:
            threading.Thread(
                target=self.run, args=(execution_id,), name=f"workflow-{execution_id}", daemon=True
            ).start()
        return _handle(execution)

    def describe(self, workflow: Workflow, execution_id: str) -> WorkflowExecution:
        return _handle(self.load(execution_id))

    # ------------------------------------------------------------------ running

    def load(self, execution_id: str) -> engine.Execution:
        with self.store.read() as conn:
            row = conn.execute(
                "SELECT saved FROM workflow_executions WHERE workflow = ? AND id = ?",
                (self.name, execution_id),
            ).fetchone()
        if row is None:
            raise UnknownExecution(f"no execution {execution_id!r} of workflow {self.name!r}")
        return engine.Execution.from_dict(json.loads(row[0]))

    def executions(self) -> list[dict[str, Any]]:
        """Every execution of this workflow, newest first: id, status, started_at."""
        with self.store.read() as conn:
            rows = conn.execute(
                "SELECT id, status, started_at FROM workflow_executions WHERE workflow = ?"
                " ORDER BY started_at DESC",
                (self.name,),
            ).fetchall()
        return [{"id": r[0], "status": r[1], "started_at": r[2]} for r in rows]

    def resume_all(self) -> list[str]:
        """Run, to their end, the executions left running (by a process that died)."""
        with self.store.read() as conn:
            rows = conn.execute(
                "SELECT id FROM workflow_executions WHERE workflow = ? AND status = ?"
                " ORDER BY started_at",
                (self.name, engine.RUNNING),
            ).fetchall()
        resumed = [row[0] for row in rows]
        for execution_id in resumed:
            self.run(execution_id)
        return resumed

    def stop(self) -> None:
        """Ask runners to stop at their next transition (the execution stays resumable)."""
        self._stop.set()

    def run(self, execution_id: str) -> engine.Execution:
        """Drive the execution until it ends (or this backend is stopped); returns it."""
        if not self._claim(execution_id):
            return self.load(execution_id)  # another runner has it
        try:
            execution = self.load(execution_id)
            graph = self.workflow.graph
            while not self._stop.is_set():
                action = engine.next_action(graph, execution, time.time())
                if isinstance(action, engine.Done):
                    self._save(execution)
                    break
                if isinstance(action, engine.Sleep):
                    self._save(execution)
                    self._stop.wait(min(_SLEEP_SLICE, max(0.0, action.until - time.time())))
                    continue
                if isinstance(action, engine.RunTask):
                    self._run_task(graph, execution, action)
                else:
                    self._run_branches(graph, execution, action)
                self._save(execution)
            return execution
        finally:
            self._release(execution_id)

    def _run_task(self, graph: Graph, execution: engine.Execution, action: engine.RunTask) -> None:
        error, cause, result = self.call_task(
            action.task, action.data, action.timeout, execution.trace
        )
        now = time.time()
        if error is None:
            engine.task_succeeded(graph, execution, result, now)
        else:
            engine.task_failed(graph, execution, error, cause, now)

    def call_task(
        self,
        task: str,
        data: Any,
        timeout: int | None,
        trace: Mapping[str, str] | None = None,
    ) -> tuple[str | None, str, Any]:
        """(error name or None, cause, JSON result) of one task run; ``trace`` the
        starter's, which the task's log lines continue."""
        from polyfn.core.context import Context
        from polyfn.core.defaults import DEFAULT_TIMEOUT_SECONDS

        app = self.workflow.app
        ctx = Context(
            "local",
            task,
            uuid.uuid4().hex,
            deadline=time.time() + (timeout or DEFAULT_TIMEOUT_SECONDS),
        )
        outcome: dict[str, Any] = {}

        def call() -> None:
            try:
                outcome["result"] = app.handle_task(task, data, ctx, trace)
            except Exception as exc:
                outcome["error"] = (type(exc).__name__, str(exc))

        if timeout is None:
            call()
        else:
            runner = threading.Thread(target=call, name=f"task-{task}", daemon=True)
            runner.start()
            runner.join(timeout)
            if runner.is_alive():
                return TIMEOUT, f"task {task!r} ran past its {timeout} s timeout", None
        if "error" in outcome:
            name, cause = outcome["error"]
            return name, cause, None
        try:
            # The data between states is JSON on every engine; so is it here.
            return None, "", json.loads(canonical_input(outcome.get("result")))
        except ValueError as error:
            return (
                engine.RUNTIME_ERROR,
                f"task {task!r} returned a value that is not JSON: {error}",
                None,
            )

    def _run_branches(
        self, graph: Graph, execution: engine.Execution, action: engine.RunBranches
    ) -> None:
        def run_branch(branch: tuple[Graph, Any]) -> engine.Execution:
            branch_graph, data = branch
            child = engine.start(branch_graph, data, id=f"{execution.id}/branch", now=time.time())
            child.trace = execution.trace  # a branch's tasks continue the starter's trace
            while True:
                step = engine.next_action(branch_graph, child, time.time())
                if isinstance(step, engine.Done):
                    return child
                if isinstance(step, engine.Sleep):
                    time.sleep(max(0.0, step.until - time.time()))
                elif isinstance(step, engine.RunTask):
                    self._run_task(branch_graph, child, step)
                else:
                    self._run_branches(branch_graph, child, step)

        workers = action.max_concurrency or max(1, len(action.branches))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="branch") as pool:
            children = list(pool.map(run_branch, action.branches))
        now = time.time()
        for child in children:
            if child.status != engine.SUCCEEDED:
                engine.task_failed(graph, execution, child.error or "", child.cause or "", now)
                return
        engine.branches_done(graph, execution, [child.output for child in children], now)

    # ------------------------------------------------------------------ persistence

    def _save(self, execution: engine.Execution) -> None:
        with self.store.write() as conn:
            conn.execute(
                "UPDATE workflow_executions SET status = ?, saved = ?, lease_until = ?"
                " WHERE workflow = ? AND id = ? AND lease_owner = ?",
                (
                    execution.status,
                    json.dumps(execution.to_dict()),
                    time.time() + LEASE_SECONDS,
                    self.name,
                    execution.id,
                    self.owner,
                ),
            )

    def _claim(self, execution_id: str) -> bool:
        now = time.time()
        with self.store.write() as conn:
            row = conn.execute(
                "SELECT lease_owner, lease_until FROM workflow_executions"
                " WHERE workflow = ? AND id = ?",
                (self.name, execution_id),
            ).fetchone()
            if row is None:
                raise UnknownExecution(f"no execution {execution_id!r} of workflow {self.name!r}")
            owner, until = row
            if owner not in (None, self.owner) and until >= now and _process_alive(owner):
                return False
            conn.execute(
                "UPDATE workflow_executions SET lease_owner = ?, lease_until = ?"
                " WHERE workflow = ? AND id = ?",
                (self.owner, now + LEASE_SECONDS, self.name, execution_id),
            )
        return True

    def _release(self, execution_id: str) -> None:
        with self.store.write() as conn:
            conn.execute(
                "UPDATE workflow_executions SET lease_owner = NULL, lease_until = 0"
                " WHERE workflow = ? AND id = ? AND lease_owner = ?",
                (self.name, execution_id, self.owner),
            )


def _process_alive(owner: str) -> bool:
    # Leases are taken on this machine (the data directory is local), so the owner's pid
    # says whether it can still be running the execution.
    pid_text, _, _ = owner.partition(":")
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return False
    except (ValueError, PermissionError):
        return True
    return True


def _handle(execution: engine.Execution) -> WorkflowExecution:
    return WorkflowExecution(execution.id, execution.status, execution.summary())
