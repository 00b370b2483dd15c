"""An app with change feeds, for the deploy tests: one function reads the orders table's
changes and writes an audit table; another reads the audit table's changes and writes
the audit table again, the loop the deploy build warns about."""

from __future__ import annotations

from polyfn import App, Change

app = App("feeds")
orders = app.table("orders", key="id")
audit = app.table("audit", key="id")


@app.on_change(orders, batch_size=50, start="oldest", retries=5)
def order_changed(change: Change) -> None:
    audit.put({"id": change.id, "kind": change.kind, "order": change.keys["id"]})


@app.on_change(audit)
def audit_changed(change: Change) -> None:
    if change.kind == "insert" and change.new is not None:
        audit.put({**change.new, "seen": True})
