"""An app with one on_change function, for the change-feed CLI tests: an item whose
``fail`` attribute is true makes its handler raise."""

from __future__ import annotations

import json

from polyfn import App, Change

app = App("devfeeds")
orders = app.table("orders", key="order")


@app.on_change(orders)
def order_changed(change: Change) -> None:
    if (change.item or {}).get("fail"):
        raise RuntimeError(f"order {change.keys} failed on purpose")
    seen = {"kind": change.kind, "keys": change.keys, "new": change.new, "old": change.old}
    print("CHANGE " + json.dumps(seen, sort_keys=True))
