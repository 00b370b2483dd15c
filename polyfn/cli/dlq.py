"""``polyfn dlq list|redrive APP``: the dead letters of an app's queues, on the local runtime.

``list`` also shows the table changes each ``on_change`` function gave up on after its
retries (the local change log's ``change_failures``), and ``redrive`` hands them back to
that function: logged again for it alone, with fresh retries (``--change SEQ`` picks some).

A message whose handler failed ``max_receives`` times leaves its queue for the queue's
dead letters (``polyfn run`` logs it); these commands read the same data directory as
``polyfn run`` (``--data-dir``, else ``$POLYFN_DATA_DIR``, else ``./.polyfn``) and may run
while it serves: ``redrive`` puts the messages back in their queue, where the running
worker picks them up with ``max_receives`` new attempts. On a cloud, use the platform's
own redrive (SQS "start DLQ redrive", Service Bus / Storage Queues poison queues, Pub/Sub
dead-letter topics).
"""

from __future__ import annotations

import argparse
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from polyfn.cli.errors import UsageError
from polyfn.core.errors import ConfigError

_PREVIEW = 80  # characters of a body shown by ``list``


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=("list", "redrive"), help="list or redrive")
    parser.add_argument("app", help="module:attr, a .py file, or a folder with an app.py")
    parser.add_argument("--queue", help="only this queue (its name in the app); default all")
    parser.add_argument(
        "--id",
        action="append",
        default=None,
        dest="ids",
        metavar="MESSAGE_ID",
        help="redrive only this message (repeatable); default every dead letter",
    )
    parser.add_argument(
        "--change",
        action="append",
        type=int,
        default=None,
        dest="changes",
        metavar="SEQ",
        help="redrive only this recorded change failure (its change number in list; "
        "repeatable); default every one",
    )
    parser.add_argument(
        "--data-dir",
        help="where buckets, queues and tables live (default $POLYFN_DATA_DIR or ./.polyfn)",
    )
    parser.add_argument("--json", action="store_true", help="list: one JSON object a line")


def run(args: argparse.Namespace) -> int:
    from polyfn.adapters.local.backends import DATA_DIR_VARIABLE, LocalBackends, data_dir_from_env
    from polyfn.loading import AppNotFound, load_app

    if (args.ids or args.changes) and args.action != "redrive":
        raise UsageError("--id and --change are for redrive")
    if args.data_dir:
        os.environ[DATA_DIR_VARIABLE] = str(Path(args.data_dir).resolve())
    try:
        app = load_app(args.app)
    except AppNotFound as exc:
        raise UsageError(str(exc)) from None
    except ConfigError as exc:
        raise UsageError(f"{args.app}: {exc}") from None
    if args.queue is not None and args.queue not in app.queues:
        known = ", ".join(sorted(app.queues)) or "none"
        raise UsageError(f"app {app.name} has no queue {args.queue!r} (queues: {known})")
    queues = [app.queues[args.queue]] if args.queue else list(app.queues.values())
    backends = LocalBackends(data_dir_from_env(), app.name)
    try:
        if args.action == "list":
            for queue in queues:
                for letter in backends.dead_letters(queue):
                    print(_listing(queue.name, letter, as_json=args.json))
            if args.queue is None:
                _list_change_failures(app, backends, as_json=args.json)
            return 0
        # --change alone redrives changes only; --queue or --id alone, messages only.
        messages = not args.changes or bool(args.ids or args.queue)
        changes = not (args.ids or args.queue) or bool(args.changes)
        if messages:
            _redrive_messages(queues, backends, args.ids)
        if changes:
            _redrive_changes(app, backends, args.changes)
        return 0
    finally:
        backends.close()


def _redrive_messages(queues: list[Any], backends: Any, ids: list[str] | None) -> None:
    moved = 0
    wanted = set(ids) if ids else None
    for queue in queues:
        redriven = backends.queue(queue).redrive(None if wanted is None else sorted(wanted))
        moved += len(redriven)
        for message_id in redriven:
            print(f"{queue.name}: {message_id} redriven")
        if wanted is not None:
            wanted -= set(redriven)
    if wanted:
        raise UsageError(f"no dead letter with id {', '.join(sorted(wanted))}")
    print(f"{moved} message(s) back in their queue")


def _redrive_changes(app: Any, backends: Any, seqs: list[int] | None) -> None:
    """The recorded change failures back to their on_change functions (each reader's in
    one transaction); nothing printed for an app without on_change functions."""
    from polyfn.adapters.local.backends.change_log import ChangeLog, reader_name

    functions = app.functions_of("change")
    wanted = set(seqs) if seqs else None
    moved = 0
    found: set[int] = set()
    for fn in functions:
        table = fn.trigger.table
        physical = backends.table(table).ref.physical
        log = ChangeLog(backends.store, physical, reader_name(app.name, fn.name))
        redriven = log.redrive(None if wanted is None else sorted(wanted))
        moved += len(redriven)
        found.update(redriven)
        for change in redriven:
            print(f"{table.name} changes -> {fn.name}: change {change} redriven")
    if wanted is not None and wanted - found:
        missing = ", ".join(str(seq) for seq in sorted(wanted - found))
        raise UsageError(f"no recorded change failure with change number {missing}")
    if functions:
        print(f"{moved} change(s) back to their on_change function")


def _list_change_failures(app: Any, backends: Any, *, as_json: bool) -> None:
    """The changes each on_change function gave up on (recorded after its retries)."""
    from polyfn.adapters.local.backends.change_log import ChangeLog, reader_name

    for fn in app.functions_of("change"):
        table = fn.trigger.table
        physical = backends.table(table).ref.physical
        log = ChangeLog(backends.store, physical, reader_name(app.name, fn.name))
        for failure in log.failures():
            if as_json:
                document = {
                    "table": table.name,
                    "function": fn.name,
                    "change": failure.change_seq,
                    "kind": failure.kind,
                    "attempts": failure.attempts,
                }
                print(json.dumps(document))
            else:
                print(
                    f"{table.name} changes -> {fn.name}  change {failure.change_seq}  "
                    f"{failure.kind}  failed {failure.attempts}x"
                )


def _listing(queue: str, letter: object, *, as_json: bool) -> str:
    from polyfn.adapters.local.backends.queue import DeadLetter

    assert isinstance(letter, DeadLetter)
    dead_at = datetime.fromtimestamp(letter.dead_at, UTC).isoformat(timespec="seconds")
    if as_json:
        return json.dumps(
            {
                "queue": queue,
                "id": letter.id,
                "receive_count": letter.receive_count,
                "dead_at": dead_at,
                "attributes": letter.attributes,
                "body": letter.text,
            },
            ensure_ascii=False,
        )
    text = letter.text.replace("\n", " ")
    preview = text if len(text) <= _PREVIEW else text[: _PREVIEW - 1] + "…"
    return f"{queue}  {letter.id}  received {letter.receive_count}x  dead {dead_at}  {preview}"
