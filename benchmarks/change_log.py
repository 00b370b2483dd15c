"""What the local change feed costs a write: the same SQLite table with and without an
``on_change`` function reading it (with one, each write reads the item it replaces and
logs the change in the same transaction), in the same run; and how many changes per
second the change worker delivers to a handler that does nothing.

    .venv/bin/python benchmarks/change_log.py
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from timing import per_call_us

from polyfn import App, Change
from polyfn.adapters.local.backends import LocalBackends
from polyfn.adapters.local.backends.change_log import ChangeLog
from polyfn.adapters.local.change_worker import ChangeWorker
from polyfn.adapters.local.invocations import Invocations

BATCH = 100
DELIVERED = 5000


def _item(n: int) -> dict[str, Any]:
    return {"id": f"item-{n:06d}", "status": "open", "total": n * 3, "lines": [{"qty": 1}]}


def _table(root: Path, name: str, feed: bool) -> tuple[App, Any, LocalBackends]:
    app = App(name)
    backends = LocalBackends(root, app.name)
    app.bind(backends)
    table = app.table("orders")
    if feed:

        @app.on_change(table, batch_size=BATCH)
        def changed(change: Change) -> None:
            pass

    return app, table, backends


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _, plain, _ = _table(root / "plain", "plain", feed=False)
        app, fed, backends = _table(root / "fed", "fed", feed=True)
        counter = iter(range(10**9))
        batch = [_item(n) for n in range(BATCH)]
        cases = {
            "put (new item)": (
                lambda: fed.put(_item(next(counter))),
                lambda: plain.put(_item(next(counter))),
            ),
            "put (overwrite)": (lambda: fed.put(batch[0]), lambda: plain.put(batch[0])),
            f"batch write ({BATCH})": (
                lambda: fed.batch_write(batch),
                lambda: plain.batch_write(batch),
            ),
        }
        print(f"{'case':<24}{'feed µs':>10}{'no feed µs':>12}{'ratio':>8}")
        for name, (ours, theirs) in cases.items():
            timings = per_call_us({"feed": ours, "plain": theirs}, rounds=7)
            ratio = timings["feed"] / timings["plain"]
            print(f"{name:<24}{timings['feed']:>10.1f}{timings['plain']:>12.1f}{ratio:>7.2f}x")

        # Delivery: a fresh reader from the oldest change, batches of BATCH.
        fn = app.functions["changed"]
        physical = backends.table(app.tables["orders"]).ref.physical
        log = ChangeLog(backends.store, physical, "bench.reader")
        log.open("latest")
        for start in range(0, DELIVERED, BATCH):
            fed.batch_write([_item(n) for n in range(start, start + BATCH)])
        worker = ChangeWorker(app, fn, log, Invocations(None))
        started = time.perf_counter()
        delivered = 0
        while True:
            done = worker.process_batch()
            if not done.received:
                break
            delivered += len(done.succeeded)
        elapsed = time.perf_counter() - started
        print(f"delivery: {delivered} changes in {elapsed:.2f} s = {delivered / elapsed:,.0f}/s")


if __name__ == "__main__":
    main()
