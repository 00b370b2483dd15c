"""``polyfn invoke APP FUNCTION``: run one function once through a cloud's adapter.

Like ``sam local invoke``, for every cloud: the function gets a native event (from
``--event FILE``, generated for ``--sample KIND``, or a sample fitted to its trigger),
runs in this process through the same entry point the cloud calls, with
``POLYFN_FUNCTION`` pinning it as a one-function deployment does, and the native answer
is printed as JSON. The exit status (``EXIT_STATUSES``) is 0 when the handler succeeded,
1 when it failed (an HTTP 5xx, a failed message of a batch, a raised exception: the error
is logged on stderr, with its traceback only under ``--debug``), 2 for bad arguments and
3 when the deployed function would not run the handler for this event: its filters
refuse it (a key outside the prefix, another action, an unmatched source or type) or it
is another function's route (404). That is said on stderr, with the reason, on every
cloud, so that a filter that skips an event is never mistaken for a handler that ran.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from polyfn.cli.errors import UsageError
from polyfn.cli.events import (
    add_event_options,
    options_from_args,
)
from polyfn.core.app import App
from polyfn.core.errors import ConfigError, UnrecognizedEvent
from polyfn.core.functions import Function, ObjectTrigger
from polyfn.hosts import RUNTIMES, host_named
from polyfn.hosts.outcome import Outcome
from polyfn.hosts.samples import sample_key
from polyfn.hosts.vocabulary import EventOptionError

__all__ = ["build_event", "invoke_function"]

_log = logging.getLogger("polyfn.invoke")

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_NOT_RUN = 0, 1, 2, 3
EXIT_STATUSES = (
    "exit status: 0 the handler ran and succeeded; 1 it failed (HTTP 5xx, a failed "
    "message, an exception); 2 bad arguments; 3 the handler did not run: the function's "
    "filters skip this event (prefix/suffix, action, source, type) or the request is "
    "another function's route (404). The reason is printed on stderr."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = EXIT_STATUSES
    parser.add_argument("app", help="the app (module:attr, a .py file or a folder)")
    parser.add_argument("function", help="the function to run (its Python name)")
    parser.add_argument(
        "--cloud", choices=RUNTIMES, default="local", help="whose adapter runs it (default local)"
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--event", metavar="FILE", help="a native event as JSON ('-': stdin)")
    source.add_argument(
        "--sample", metavar="KIND", help="generate the event (see polyfn events CLOUD)"
    )
    parser.add_argument(
        "--debug", action="store_true", help="log at DEBUG and show tracebacks of handler errors"
    )
    add_event_options(parser)


def run(args: argparse.Namespace) -> int:
    app = _load(args.app, debug=args.debug)
    if app is None:
        return 1
    try:
        fn = app.function(args.function)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    given = options_from_args(args)
    if args.event is not None:
        if given:
            raise UsageError("event options (--path, --message, ...) do not apply to --event")
        event = _read_event(args.event)
    else:
        if "key" not in given:
            _choose_sample_key(fn, given)
        event = build_event(args.cloud, fn, args.sample, given)
    with _logging_to_stderr(debug=args.debug):
        try:
            outcome = invoke_function(app, fn, args.cloud, event)
        except UnrecognizedEvent as exc:
            raise UsageError(str(exc)) from None
        except Exception as exc:
            _log.error("%s failed: %s: %s", fn.name, type(exc).__name__, exc, exc_info=args.debug)
            _print({"errorType": type(exc).__name__, "errorMessage": str(exc)})
            return 1
    _print(outcome.output)
    if outcome.failed:
        print(f"polyfn invoke: {fn.name} failed ({outcome.reason})", file=sys.stderr)
        return EXIT_FAILED
    if outcome.skipped:
        print(f"polyfn invoke: {fn.name} did not run: {outcome.skipped}", file=sys.stderr)
        return EXIT_NOT_RUN
    return EXIT_OK


def invoke_function(app: App, fn: Function, cloud: str, event: Any) -> Outcome:
    """Run ``event`` through ``cloud``'s host with ``fn`` pinned; the native outcome."""
    return host_named(cloud).invoke(app, fn, event)


def build_event(cloud: str, fn: Function, kind: str | None, given: Mapping[str, Any]) -> Any:
    """The native event for ``fn``: kind ``kind`` (or the trigger's usual one) with the
    user's options, and the function's own queue, bucket, path, ... where not given."""
    try:
        return host_named(cloud).sample(fn, kind, given)
    except EventOptionError as exc:
        raise UsageError(str(exc)) from None


# ----------------------------------------------------------------------------- helpers

# How many keys under the trigger's prefix are looked at for one that ends with its suffix.
_KEYS_LOOKED_AT = 1000


def _choose_sample_key(fn: Function, given: dict[str, Any]) -> None:
    """Without ``--key``, a created-object function gets an object that exists.

    The generated key (``prefix + "sample" + suffix``) names no object, so a handler that
    reads the object it is told about fails on it; an existing object of the bucket that
    passes the trigger's filters is used instead, and when there is none stderr says
    what to pass.
    """
    trigger = fn.trigger
    if not isinstance(trigger, ObjectTrigger) or trigger.action != "created":
        return
    bucket = trigger.bucket
    try:
        for index, info in enumerate(bucket.iter(trigger.prefix)):
            if index >= _KEYS_LOOKED_AT:
                break
            if info.key.endswith(trigger.suffix):
                given["key"] = info.key
                print(f"polyfn invoke: no --key given; using {info.key}", file=sys.stderr)
                return
    except Exception as exc:  # the bucket cannot be listed here: say so, use the sample
        _log.debug("cannot list bucket %s: %s", bucket.name, exc)
    wanted = f"{trigger.prefix}*{trigger.suffix}"
    print(
        f"polyfn invoke: bucket {bucket.name} has no object {wanted}; the event names "
        f"{sample_key(trigger)}, which does not exist. Write one first, or pass --key KEY",
        file=sys.stderr,
    )


def _load(spec: str, *, debug: bool) -> App | None:
    from polyfn.loading import AppNotFound, load_app

    try:
        return load_app(spec)
    except (AppNotFound, ConfigError) as exc:
        raise UsageError(str(exc)) from None
    except Exception as exc:
        # The user's module raised while importing: their bug, not a bad argument.
        print(
            f"polyfn invoke: importing {spec} failed: {type(exc).__name__}: {exc}", file=sys.stderr
        )
        if debug:
            import traceback

            traceback.print_exc()
        return None


def _read_event(path: str) -> Any:
    try:
        if path == "-":
            text = sys.stdin.read()
        else:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise UsageError(f"{path} is not UTF-8 text") from None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise UsageError(f"{path} is not JSON ({exc})") from None


def _print(document: Any) -> None:
    json.dump(document, sys.stdout, indent=2, ensure_ascii=False, default=str)
    sys.stdout.write("\n")
    sys.stdout.flush()


# SDK loggers chat at INFO (credential lookups, retries); only their warnings are shown.
_QUIET_LIBRARIES = ("azure", "boto3", "botocore", "google", "s3transfer", "urllib3", "werkzeug")


def _not_sdk_chatter(record: logging.LogRecord) -> bool:
    return record.levelno >= logging.WARNING or not record.name.startswith(_QUIET_LIBRARIES)


class _OneLineFormatter(logging.Formatter):
    """Log records as one line each; an exception adds its type and message, not a trace."""

    def __init__(self, *, debug: bool) -> None:
        super().__init__("%(levelname)s %(name)s: %(message)s")
        self.debug = debug

    def format(self, record: logging.LogRecord) -> str:
        if self.debug:
            return super().format(record)
        line = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            line = f"{line}: {type(exc).__name__}: {exc}"
        return f"{record.levelname} {record.name}: {line}"


@contextmanager
def _logging_to_stderr(*, debug: bool) -> Iterator[None]:
    """Handler and adapter logs go to stderr while the function runs, then as they were."""
    root = logging.getLogger()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_OneLineFormatter(debug=debug))
    handler.setLevel(logging.DEBUG if debug else logging.INFO)
    if not debug:
        handler.addFilter(_not_sdk_chatter)
    previous_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if debug else logging.INFO)
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.setLevel(previous_level)
