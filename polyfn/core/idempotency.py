"""``@idempotent``: run a handler once per key, however often its input arrives.

    orders = app.table("orders")

    @app.post("/orders")
    @app.idempotent()                       # keyed on the Idempotency-Key header
    def create_order(req: Request) -> Response: ...

    @app.on_message(jobs)
    @app.idempotent(expires_after=3600)     # keyed on the message id
    def charge(msg: Message) -> None: ...

Every delivery is at-least-once, so every handler meets duplicates. The first invocation
of a key writes an *in-progress* record with a conditional create (``If.absent()``), which
all four table backends check atomically: of two concurrent invocations exactly one wins.
The winner runs the handler and replaces its record with the *completed* one, holding the
result (an HTTP answer's status, headers and body; another handler's JSON return value)
until ``expires_after`` seconds have passed. A failure deletes the record, so the
platform's retry runs the handler again.

A later invocation of the key finds the record:

- completed, not expired: the handler does not run; an HTTP request gets the stored answer
  (with ``Idempotent-Replayed: true``), any other trigger the stored return value;
- in progress, not expired: ``IdempotencyInProgress``, a 409 with ``Retry-After`` for
  HTTP, and on any other trigger a failure, so the platform redelivers the message later
  (it is never acknowledged while the first run may still fail);
- expired (its ``expires`` time passed): it is replaced, with a condition on the expired
  record's token, so two invocations that find it expired still cannot both win.

Expiry is checked on every read, not left to the backend: DynamoDB's and Firestore's TTL
deletion runs up to a day or more late, and Table Storage and SQLite have none.
"""

from __future__ import annotations

import time

from polyfn.core.context import _current
from polyfn.core.errors import ConditionFailed, ConfigError
from polyfn.core.http import Request, Response, to_response
from polyfn.core.idempotency_keys import (
    HEADER,
    IdempotencyError,
    IdempotencyKeyInvalid,
    IdempotencyKeyMissing,
    default_payload,
    digest,
    extract,
)

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (cheap_typing.py)
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from polyfn.core.app import App
    from polyfn.core.context import Context
    from polyfn.core.resources import Table

__all__ = [
    "EXPIRES",
    "Idempotency",
    "IdempotencyError",
    "IdempotencyInProgress",
    "IdempotencyKeyInvalid",
    "IdempotencyKeyMissing",
    "IdempotencyKeyReused",
    "IdempotencyRecordInvalid",
    "idempotent",
    "ttl_attribute",
]

# The record's attribute that holds its expiry (seconds since the epoch, a number): the
# attribute deploy names in DynamoDB's TimeToLiveSpecification and Firestore's TTL policy.
EXPIRES = "expires"
IN_PROGRESS = "in_progress"
COMPLETED = "completed"
# A platform with no deadline in its context (a local run) still frees a stuck key: the
# longest any of the four lets one invocation run (Lambda 15 min is the shortest of those).
DEFAULT_LEASE = 900
_ATTEMPTS = 5  # a record that vanishes between our write and our read, again and again


class IdempotencyInProgress(IdempotencyError):
    """Another invocation with this key is running now: retry later."""

    status_code = 409


class IdempotencyKeyReused(IdempotencyError):
    """The key was used before with a different payload (``check_payload=True``)."""

    status_code = 422


class IdempotencyRecordInvalid(IdempotencyError):
    """The stored record of this key cannot be read (written by something else, or
    damaged): the handler does not run, rather than run a second time."""

    status_code = 500


def clock() -> float:
    """Seconds since the epoch; a module attribute so tests can move time forward."""
    return time.time()


class Idempotency:
    """One ``@idempotent`` declaration: where records live and what names an invocation."""

    __slots__ = (
        "check_payload",
        "expires_after",
        "in_progress_expires_after",
        "key",
        "payload",
        "required",
        "scope",
        "table",
    )

    def __init__(
        self,
        table: Table,
        *,
        key: Callable[[Any], Any] | None,
        expires_after: int,
        in_progress_expires_after: int | None,
        check_payload: bool | Callable[[Any], Any],
        required: bool,
        scope: str,
    ) -> None:
        from polyfn.core.resources import Table

        if not isinstance(table, Table):
            raise ConfigError(f"@idempotent stores its records in a table, got {table!r}")
        for label, value in (
            ("expires_after", expires_after),
            ("in_progress_expires_after", in_progress_expires_after),
        ):
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or value < 1
            ):
                raise ConfigError(f"@idempotent: {label} is a whole number of seconds >= 1")
        if key is not None and not callable(key):
            raise ConfigError("@idempotent: key is a function of the input (or None)")
        self.table = table
        self.key = key
        table.expiry = EXPIRES  # the backends with a TTL delete expired records
        self.expires_after = expires_after
        self.in_progress_expires_after = in_progress_expires_after
        self.check_payload = bool(check_payload)
        self.payload = check_payload if callable(check_payload) else default_payload
        self.required = required
        self.scope = scope

    # ------------------------------------------------------------------ records

    def _record_key(self, hashed: str) -> dict[str, str]:
        schema = self.table.schema
        # "-", not "#": Table Storage keys refuse "#", "/", "\\" and "?".
        key = {schema.key: f"idempotency-{hashed}"}
        if schema.sort is not None:
            key[schema.sort] = "idempotency"  # single-table design: one fixed sort value
        return key

    def _get(self, key: dict[str, str]) -> dict[str, Any] | None:
        schema = self.table.schema
        sort = key[schema.sort] if schema.sort is not None else None
        return self.table.get(key[schema.key], sort)

    def _delete(self, key: dict[str, str], token: str) -> None:
        from polyfn.core.table_conditions import If

        schema = self.table.schema
        sort = key[schema.sort] if schema.sort is not None else None
        try:
            self.table.delete(key[schema.key], sort, condition=If.equals("token", token))
        except ConditionFailed:
            pass  # our lease ran out and another invocation owns the record now

    def _claim(self, key: dict[str, str], payload: str | None, lease: int) -> tuple[str, Any]:
        """Write our in-progress record: ("run", token), or ("replay", stored answer)."""
        from polyfn.core.table_conditions import If

        for _ in range(_ATTEMPTS):
            token = _token()
            record = {**key, "status": IN_PROGRESS, EXPIRES: int(clock()) + lease, "token": token}
            if payload is not None:
                record["payload"] = payload
            if self.table.put_if_absent(record):
                return "run", token
            stored = self._get(key)
            if stored is None:
                continue  # deleted (a failed run) between our write and our read
            expires, status, stored_token = _fields(stored)
            if expires <= clock():
                try:
                    self.table.put(record, condition=If.equals("token", stored_token))
                except ConditionFailed:
                    continue  # another invocation replaced it first; look again
                return "run", token
            if payload is not None and stored.get("payload") != payload:
                raise IdempotencyKeyReused(
                    "this idempotency key was used with a different payload; use a new key"
                )
            if status == IN_PROGRESS:
                wait = max(1, int(expires - clock()))
                raise IdempotencyInProgress(
                    "an invocation with this idempotency key is still running; retry later",
                    headers={"Retry-After": str(min(wait, 60))},
                )
            return "replay", _decode_result(stored)
        raise IdempotencyInProgress("the idempotency record keeps changing; retry later")

    def _complete(self, key: dict[str, str], token: str, payload: str | None, result: Any) -> None:
        from polyfn.core.table_conditions import If

        record = {
            **key,
            "status": COMPLETED,
            EXPIRES: int(clock()) + self.expires_after,
            "token": token,
            "result": _encode_result(result),
        }
        if payload is not None:
            record["payload"] = payload
        try:
            self.table.put(record, condition=If.equals("token", token))
        except ConditionFailed:
            pass  # our lease ran out and another invocation owns the key: its record stands

    # ------------------------------------------------------------------ the flow

    def run(self, handler: Callable[..., Any], wants_context: bool, event: Any, ctx: Any) -> Any:
        is_http = isinstance(event, Request)
        raw_key = extract(event, self.key)
        if raw_key is None or raw_key == "":
            if self.required:
                what = f"the {HEADER} header" if is_http and self.key is None else "a key"
                raise IdempotencyKeyMissing(f"this operation requires {what}")
            return _call(handler, wants_context, event, ctx)
        key = self._record_key(digest(self.scope, raw_key))
        payload = digest(self.scope, self.payload(event), "payload") if self.check_payload else None
        try:
            outcome, value = self._claim(key, payload, self._lease(ctx))
        except IdempotencyRecordInvalid:
            _warn(ctx, f"table {self.table.name!r}: a record of {self.scope} is damaged")
            raise
        if outcome == "replay":
            return _replayed(value) if is_http else value
        token = value
        try:
            result = _call(handler, wants_context, event, ctx)
            stored = to_response(result) if is_http else result
        except BaseException:
            try:
                self._delete(key, token)
            except Exception as exc:
                # The record stays in progress until its lease ends; then a retry runs.
                _warn(ctx, f"the idempotency record could not be released ({type(exc).__name__})")
            raise
        try:
            self._complete(key, token, payload, stored)
        except Exception as exc:
            # The handler's work is done and stays done; only the memory of it is lost,
            # so a repeat runs again (at-least-once, as without @idempotent).
            _warn(ctx, f"the idempotency record could not be stored ({type(exc).__name__})")
            try:
                self._delete(key, token)
            except Exception:
                pass  # the lease ends it
        return stored

    def _lease(self, ctx: Context | None) -> int:
        if self.in_progress_expires_after is not None:
            return self.in_progress_expires_after
        if ctx is not None and ctx.remaining_ms < 2**31 - 1:
            return max(1, -(-ctx.remaining_ms // 1000))
        return DEFAULT_LEASE


def idempotent(
    table: Table,
    *,
    key: Callable[[Any], Any] | None = None,
    expires_after: int = 3600,
    in_progress_expires_after: int | None = None,
    check_payload: bool | Callable[[Any], Any] = False,
    required: bool = False,
    name: str | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Make a handler of any trigger kind run once per key (see the module's docstring).

    ``key``: a function of the input that returns its key (str, bytes or a JSON value);
    by default the kind's own (message id, bucket + key + etag, the ``Idempotency-Key``
    header, schedule name + tick time, event source + id). ``None`` from it means the
    input has no key: the handler runs as if not idempotent, unless ``required`` (then a
    400 for HTTP, ``IdempotencyKeyMissing`` elsewhere). ``expires_after``: seconds a
    completed record is kept. ``in_progress_expires_after``: seconds an unfinished run
    holds its key (by default the invocation's remaining time). ``check_payload``: True
    (or a function of the input returning what must match) refuses a key reused with a
    different payload, ``IdempotencyKeyReused`` (422 for HTTP). ``name``: the scope of
    the keys (the handler's name by default); two handlers sharing it share keys.
    """

    def decorate(handler: Callable[..., Any]) -> Callable[..., Any]:
        from polyfn.core.functions import _accepts_two_arguments

        config = Idempotency(
            table,
            key=key,
            expires_after=expires_after,
            in_progress_expires_after=in_progress_expires_after,
            check_payload=check_payload,
            required=required,
            scope=name or str(getattr(handler, "__name__", "handler")),
        )
        wants_context = _accepts_two_arguments(handler)

        def idempotent_handler(event: Any, ctx: Any = None) -> Any:
            return config.run(handler, wants_context, event, ctx)

        for attribute in ("__module__", "__name__", "__qualname__", "__doc__"):
            if hasattr(handler, attribute):
                setattr(idempotent_handler, attribute, getattr(handler, attribute))
        idempotent_handler.__wrapped__ = handler  # type: ignore[attr-defined]
        idempotent_handler.idempotency = config  # type: ignore[attr-defined]
        return idempotent_handler

    return decorate


def ttl_attribute(app: App, table: Table) -> str | None:
    """The expiry attribute of ``table`` when a handler of ``app`` keeps idempotency
    records there (deploy turns on the backend's TTL for it); else None."""
    for fn in app.functions.values():
        config = getattr(fn.handler, "idempotency", None)
        if isinstance(config, Idempotency) and config.table is table:
            return EXPIRES
    return None


# ---------------------------------------------------------------------- helpers


def _call(handler: Callable[..., Any], wants_context: bool, event: Any, ctx: Any) -> Any:
    if wants_context:
        return handler(event, ctx if ctx is not None else _current.get())
    return handler(event)


def _token() -> str:
    import os

    return os.urandom(12).hex()


def _fields(stored: dict[str, Any]) -> tuple[float, str, str]:
    expires, status, token = stored.get(EXPIRES), stored.get("status"), stored.get("token")
    if (
        isinstance(expires, bool)
        or not isinstance(expires, int | float)
        or status not in (IN_PROGRESS, COMPLETED)
        or not isinstance(token, str)
    ):
        raise IdempotencyRecordInvalid("the stored idempotency record cannot be read")
    return float(expires), status, token


def _encode_result(result: Any) -> str:
    from polyfn.core import json_codec

    if isinstance(result, Response):
        import base64

        return json_codec.encode(
            {
                "http": {
                    "status": result.status,
                    "headers": result.headers.multi_items(),
                    "body": base64.b64encode(result.body).decode(),
                }
            }
        )
    try:
        return json_codec.encode({"value": result})
    except (TypeError, ValueError):
        # Not JSON (an object a message handler returned that nobody reads): the repeat
        # is still skipped, and returns None.
        return json_codec.encode({"value": None})


def _decode_result(stored: dict[str, Any]) -> Any:
    from polyfn.core import json_codec

    text = stored.get("result")
    try:
        document = json_codec.decode(text) if isinstance(text, str) else None
        if isinstance(document, dict) and "value" in document:
            return document["value"]
        answer = document["http"]  # type: ignore[index]
        import base64

        headers = [(str(name), str(value)) for name, value in answer["headers"]]
        return Response(base64.b64decode(answer["body"], validate=True), answer["status"], headers)
    except (ValueError, TypeError, KeyError, RecursionError) as exc:
        raise IdempotencyRecordInvalid("the stored idempotency record cannot be read") from exc


def _replayed(response: Response) -> Response:
    response.headers.set("idempotent-replayed", "true")
    return response


def _warn(ctx: Any, message: str) -> None:
    ctx = ctx if ctx is not None else _current.get()
    if ctx is not None:
        ctx.logger.warning(message)
