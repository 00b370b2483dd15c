"""The app the local change-feed tests run: every change of ``ledger`` is recorded in
``seen`` by its handler; an entry with ``fail`` makes it raise, ``sleep`` slows it."""

from __future__ import annotations

import time
import uuid

from polyfn import App, Change

app = App("feedapp")
ledger = app.table("ledger")
seen = app.table("seen")


@app.on_change(ledger, batch_size=5, start="oldest", retries=2)
def ledger_changed(change: Change) -> None:
    item = change.item or {}
    time.sleep(item.get("sleep", 0))
    if item.get("fail"):
        raise RuntimeError(f"entry {change.keys['id']} always fails")
    seen.put(
        {
            "id": f"change-{change.keys['id']}-{change.kind}-{uuid.uuid4().hex[:6]}",
            "key": change.keys["id"],
            "kind": change.kind,
            "change": change.id,
        }
    )
