"""What each table's sort key and secondary indexes become, and cost, on each target.

``polyfn plan`` shows these lines under "Tables" for an app that declares sort keys or
indexes (an imported template gets the same facts as import notes). They change no
verdict: every target can serve the queries; what differs is how, and what it costs.
Sources: DynamoDB Developer Guide, "Global secondary indexes" (a GSI consumes its own
write capacity for every table write that changes its key attributes); Table Storage
has no secondary indexes ("Design for querying", learn.microsoft.com); Firestore
"Index types" (composite indexes, index entries count toward storage); all checked
2026-12.
"""

from __future__ import annotations

from collections.abc import Sequence

from polyfn.core.app import App

__all__ = ["table_notes"]


def table_notes(app: App, clouds: Sequence[str]) -> list[str]:
    notes: list[str] = []
    for table in app.tables.values():
        for index in table.indexes.values():
            shown = index.partition if index.sort is None else f"{index.partition} + {index.sort}"
            where = f"table {table.name!r} index {index.name!r} ({shown})"
            if "aws" in clouds:
                notes.append(
                    f"AWS: {where} is a global secondary index (projection ALL, eventually "
                    "consistent); each write that sets or changes its attributes also writes "
                    "the index (write units and storage of its own)"
                )
            if "azure" in clouds:
                notes.append(
                    f"Azure: {where} is kept by polyfn as index entities in the companion "
                    f"table '{table.name}ix' (Table Storage has no secondary indexes): each "
                    "write of an indexed item is doubled (an upsert, and a delete when the "
                    "value changes), written just after the item, so the index can briefly "
                    "lag it; reads through it check each item and skip stale entries; a "
                    "table with indexes has no transactions there"
                )
            if "gcp" in clouds:
                how = (
                    "composite indexes (ascending and descending) that deploy creates"
                    if index.sort is not None
                    else "Firestore's automatic single-field index"
                )
                notes.append(
                    f"Google Cloud: {where} is a field query served by {how}; index "
                    "entries are written with each document (storage, no extra operations)"
                )
        if table.sort is not None and "azure" in clouds:
            notes.append(
                f"Azure: table {table.name!r} sort key {table.sort!r} is the RowKey within a "
                "PartitionKey per partition key; a descending query reads its range forwards "
                "(Table Storage cannot read backwards), so it costs more as a partition grows"
            )
    return notes
