"""The local workflow executor's cost per state transition, against the task functions
called directly in a loop, in the same run.

    python benchmarks/workflow_overhead.py

A workflow of ``TASKS`` trivial tasks in sequence runs to its end on the local executor
(SQLite, every transition committed before the next task: durability on, as shipped);
the hand-written loop calls the same functions on the same data. The difference divided
by the transitions is the executor's overhead per transition (target: at most 1 ms on
the project's 2-core machine, issue 15); transitions per second is what one thread gets.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from polyfn import App
from polyfn.adapters.local.backends import LocalBackends

TASKS = 10
TARGET_OVERHEAD_MS = 1.0


def step(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "n": data["n"] + 1}


def build() -> App:
    app = App("bench")
    flow = app.workflow("chain")
    steps = [flow.task(step, name=f"step_{i}") for i in range(TASKS)]
    flow.flow(*steps)
    return app


def measure(executions: int = 30, rounds: int = 5) -> dict[str, float]:
    app = build()
    direct_s: list[float] = []
    executor_s: list[float] = []
    with tempfile.TemporaryDirectory() as folder:
        app.bind(LocalBackends(Path(folder), app.name))
        workflow = app.workflows["chain"]
        backend = app.backend_for(workflow)
        backend.background = False
        for _ in range(rounds):
            start = time.perf_counter()
            for _ in range(executions):
                data: dict[str, Any] = {"n": 0}
                for _ in range(TASKS):
                    data = step(data)
            direct_s.append((time.perf_counter() - start) / executions)
            start = time.perf_counter()
            for _ in range(executions):
                execution = workflow.start({"n": 0})
                assert backend.run(execution.id).output == {"n": TASKS}
            executor_s.append((time.perf_counter() - start) / executions)
        app.unbind()
    direct = statistics.median(direct_s)
    executor = statistics.median(executor_s)
    return {
        "tasks": TASKS,
        "direct_ms_per_run": direct * 1000,
        "executor_ms_per_run": executor * 1000,
        "overhead_ms_per_transition": (executor - direct) * 1000 / TASKS,
        "transitions_per_second": TASKS / executor,
        "ratio": executor / direct if direct else float("inf"),
    }


def main() -> int:
    figures = measure()
    print(f"workflow executor: {TASKS} tasks in sequence, SQLite, durability on")
    print(f"  task functions called in a loop   {figures['direct_ms_per_run']:>9.3f} ms per run")
    print(f"  local executor                    {figures['executor_ms_per_run']:>9.3f} ms per run")
    overhead = figures["overhead_ms_per_transition"]
    mark = "ok" if overhead <= TARGET_OVERHEAD_MS else "MISS"
    print(f"  overhead per transition           {overhead:>9.3f} ms  ({mark}: <= 1 ms)")
    print(f"  transitions per second (1 thread) {figures['transitions_per_second']:>9.0f}")
    print(f"  executor / direct                 {figures['ratio']:>9.0f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
