"""Where ``@idempotent``'s records behave differently on each target, for ``polyfn plan``.

The rule is the same everywhere (core/idempotency.py): a conditional create claims a key,
the expiry is checked on every read. What differs is who deletes expired records and
what the conditional writes are. Sources: DynamoDB Developer Guide, "Working with time
to live (TTL)" (expired items are typically deleted within a few days); "Understanding
the Table service data model" (learn.microsoft.com: no expiry of entities); Firestore
"Manage data retention with TTL policies" (the TTL field must hold a timestamp;
expired documents are typically deleted within 24 hours); all
read 2026-12.
"""

from __future__ import annotations

from collections.abc import Sequence

from polyfn.core.app import App
from polyfn.core.idempotency import Idempotency

__all__ = ["idempotency_notes"]


def idempotency_notes(app: App, clouds: Sequence[str]) -> list[str]:
    tables: dict[str, list[str]] = {}
    for fn in app.functions.values():
        config = getattr(fn.handler, "idempotency", None)
        if isinstance(config, Idempotency):
            tables.setdefault(config.table.name, []).append(fn.name)
    notes: list[str] = []
    for table, functions in sorted(tables.items()):
        where = f"idempotency records of {', '.join(sorted(functions))} in table {table!r}"
        if "aws" in clouds:
            notes.append(
                f"AWS: {where} are claimed with a conditional PutItem and deleted by DynamoDB "
                "TTL on 'expires' (deploy enables it; deletion runs up to a few days late, "
                "so polyfn checks the expiry on read); two writes per first invocation"
            )
        if "azure" in clouds:
            notes.append(
                f"Azure: {where} are claimed with an insert and replaced with If-Match on "
                "the ETag; Table Storage has no TTL, so expired records are only replaced "
                "when their key comes back and otherwise stay (storage grows with distinct "
                "keys until a cleanup of your own deletes them)"
            )
        if "gcp" in clouds:
            notes.append(
                f"Google Cloud: {where} are claimed with a document create (it fails if the "
                "document exists) and replaced in a transaction; each record holds its "
                "expiry also as the timestamp 'polyfn_expires_at', on which deploy sets a "
                "Firestore TTL policy (deletion typically within 24 hours of the expiry, so polyfn "
                "checks the expiry on read)"
            )
    return notes
