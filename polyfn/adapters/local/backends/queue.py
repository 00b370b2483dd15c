"""The queue port on SQLite, with the consumer side SQS has: visibility timeout, receive
count and a dead-letter queue.

A received message stays in the table, invisible until ``visible_at``; only ``ack``
deletes it. So a consumer that dies mid-batch loses nothing: its messages come back when
their visibility timeout runs out (at-least-once, as on every cloud). Each receive hands
out a fresh receipt; ``ack`` and ``fail`` act only while that receipt is current, so a
slow consumer cannot delete a message someone else has since received.

A message that has been received ``max_receives`` times and still not acknowledged moves
to the dead-letter table, where ``dead_letters()`` shows it: at once when the last
receive fails, or on the next receive when its consumer died.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from polyfn.adapters.common.errors import ResourceRef
from polyfn.adapters.local.backends.store import Store
from polyfn.core.events import Message

__all__ = ["MAX_MESSAGE_BYTES", "DeadLetter", "Delivery", "QueueDepth", "SqliteQueue"]

# The SQS quota for one message, body and attributes together, and the one polyfn's AWS
# backend enforces too: a message that fits locally fits on SQS. (Azure Queue Storage is
# smaller still; its backend checks its own.) Source: Amazon SQS Developer Guide,
# "Amazon SQS message quotas", 2026-11.
MAX_MESSAGE_BYTES = 262_144


@dataclass(frozen=True)
class Delivery:
    """One received message and the receipt that acknowledges or fails it."""

    id: str
    body: bytes
    attributes: dict[str, str]
    receive_count: int
    receipt: str
    sent_at: float

    def to_message(self, queue: str) -> Message:
        return Message(
            self.id,
            self.body,
            attributes=self.attributes,
            receive_count=self.receive_count,
            queue=queue,
            raw=self,
        )


@dataclass(frozen=True)
class DeadLetter:
    """A message that was received ``max_receives`` times without being acknowledged."""

    id: str
    body: bytes
    attributes: dict[str, str]
    receive_count: int
    sent_at: float
    dead_at: float

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


@dataclass(frozen=True)
class QueueDepth:
    """How many messages are ready, being handled, waiting (a delay or a retry), dead."""

    visible: int
    in_flight: int
    delayed: int
    dead: int = 0


class SqliteQueue:
    """One queue in the app's SQLite file."""

    def __init__(
        self,
        store: Store,
        ref: ResourceRef,
        *,
        max_receives: int,
        visibility_timeout: int,
        on_sent: Callable[[str], None] | None = None,
    ) -> None:
        self._store = store
        self.ref = ref
        self._queue = ref.physical
        self.max_receives = max_receives
        self.visibility_timeout = visibility_timeout
        self._on_sent = on_sent

    # ------------------------------------------------------------------ producer side

    def send(self, body: bytes, attributes: Mapping[str, str], delay_seconds: int) -> str:
        return self.send_batch([body], attributes, delay_seconds)[0]

    def send_batch(
        self, bodies: list[bytes], attributes: Mapping[str, str], delay_seconds: int
    ) -> list[str]:
        attribute_text = json.dumps(dict(attributes), separators=(",", ":"), ensure_ascii=False)
        attribute_bytes = sum(len(k.encode()) + len(v.encode()) for k, v in attributes.items())
        for body in bodies:
            size = len(body) + attribute_bytes
            if size > MAX_MESSAGE_BYTES:
                raise self.ref.too_large(
                    "message (body and attributes)", size, MAX_MESSAGE_BYTES, "SQS message quota"
                )
        now = time.time()
        ids = [str(uuid.uuid4()) for _ in bodies]
        with self._store.write() as conn:
            conn.executemany(
                "INSERT INTO queue_messages (id, queue, body, attributes, sent_at, visible_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (message_id, self._queue, body, attribute_text, now, now + delay_seconds)
                    for message_id, body in zip(ids, bodies, strict=True)
                ],
            )
        if self._on_sent is not None:
            self._on_sent(self._queue)
        return ids

    # ------------------------------------------------------------------ consumer side

    def receive(self, max_messages: int, visibility_timeout: float | None = None) -> list[Delivery]:
        """Take up to ``max_messages`` visible messages, hiding each for the timeout."""
        hide_for = self.visibility_timeout if visibility_timeout is None else visibility_timeout
        delivered: list[Delivery] = []
        with self._store.write() as conn:
            now = time.time()
            dead_lettered = True
            # Another round only when dead-lettering left room in the batch; a message
            # taken in this call is never taken twice, even with a zero timeout.
            while dead_lettered and len(delivered) < max_messages:
                dead_lettered = False
                taken = [d.id for d in delivered]
                rows = conn.execute(
                    "SELECT id, body, attributes, sent_at, receive_count FROM queue_messages "
                    "WHERE queue = ? AND visible_at <= ? "
                    f"AND id NOT IN ({','.join('?' * len(taken))}) "
                    "ORDER BY visible_at, seq LIMIT ?",
                    (self._queue, now, *taken, max_messages - len(delivered)),
                ).fetchall()
                for message_id, body, attributes, sent_at, receive_count in rows:
                    if receive_count >= self.max_receives:
                        # Its consumer died holding it for the last time: dead-letter it.
                        _move_to_dead_letters(conn, message_id, now)
                        dead_lettered = True
                        continue
                    receipt = uuid.uuid4().hex
                    conn.execute(
                        "UPDATE queue_messages SET receive_count = receive_count + 1, "
                        "visible_at = ?, receipt = ? WHERE id = ?",
                        (now + hide_for, receipt, message_id),
                    )
                    delivered.append(
                        Delivery(
                            message_id,
                            bytes(body),
                            json.loads(attributes),
                            receive_count + 1,
                            receipt,
                            sent_at,
                        )
                    )
        return delivered

    def ack(self, deliveries: Iterable[Delivery]) -> int:
        """Delete the messages whose receipt is still current; returns how many."""
        pairs = [(d.id, d.receipt) for d in deliveries]
        if not pairs:
            return 0
        with self._store.write() as conn:
            deleted = 0
            for message_id, receipt in pairs:
                cursor = conn.execute(
                    "DELETE FROM queue_messages WHERE id = ? AND receipt = ?",
                    (message_id, receipt),
                )
                deleted += cursor.rowcount
        return deleted

    def fail(self, deliveries: Sequence[Delivery], retry_after: float | None = None) -> list[str]:
        """Give messages back: visible again after ``retry_after`` seconds (default: the
        visibility timeout), or dead-lettered when they have used up ``max_receives``.
        Returns the ids that went to the dead-letter queue."""
        delay = self.visibility_timeout if retry_after is None else retry_after
        dead: list[str] = []
        if not deliveries:
            return dead
        with self._store.write() as conn:
            now = time.time()
            for delivery in deliveries:
                current = conn.execute(
                    "SELECT receive_count FROM queue_messages WHERE id = ? AND receipt = ?",
                    (delivery.id, delivery.receipt),
                ).fetchone()
                if current is None:
                    continue  # acknowledged or received again since: not ours to fail
                if current[0] >= self.max_receives:
                    _move_to_dead_letters(conn, delivery.id, now)
                    dead.append(delivery.id)
                else:
                    conn.execute(
                        "UPDATE queue_messages SET visible_at = ?, receipt = NULL WHERE id = ?",
                        (now + delay, delivery.id),
                    )
        return dead

    # ------------------------------------------------------------------ inspection

    def dead_letters(self) -> list[DeadLetter]:
        """The dead-letter queue's messages, oldest first."""
        with self._store.read() as conn:
            rows = conn.execute(
                "SELECT id, body, attributes, receive_count, sent_at, dead_at FROM dead_letters "
                "WHERE queue = ? ORDER BY seq",
                (self._queue,),
            ).fetchall()
        return [
            DeadLetter(message_id, bytes(body), json.loads(attributes), count, sent, dead)
            for message_id, body, attributes, count, sent, dead in rows
        ]

    def redrive(self, ids: Sequence[str] | None = None) -> list[str]:
        """Move dead letters back into the queue (all, or those of ``ids``), as SQS's
        dead-letter redrive does: same body and attributes, visible now, receive count
        back to 0 so they get ``max_receives`` new attempts. Returns the ids moved, in
        their dead-letter order; one transaction, so a message is never in both or lost."""
        now = time.time()
        with self._store.write() as conn:
            rows = conn.execute(
                "SELECT seq, id FROM dead_letters WHERE queue = ? ORDER BY seq", (self._queue,)
            ).fetchall()
            wanted = None if ids is None else set(ids)
            chosen = [
                (seq, message_id)
                for seq, message_id in rows
                if wanted is None or message_id in wanted
            ]
            for seq, _ in chosen:
                conn.execute(
                    "INSERT INTO queue_messages "
                    "(id, queue, body, attributes, sent_at, visible_at) "
                    "SELECT id, queue, body, attributes, sent_at, ? "
                    "FROM dead_letters WHERE seq = ?",
                    (now, seq),
                )
                conn.execute("DELETE FROM dead_letters WHERE seq = ?", (seq,))
        moved = [message_id for _, message_id in chosen]
        if moved and self._on_sent is not None:
            self._on_sent(self._queue)
        return moved

    def depth(self) -> QueueDepth:
        now = time.time()
        with self._store.read() as conn:
            visible, in_flight, delayed = conn.execute(
                "SELECT "
                "coalesce(sum(visible_at <= :now), 0), "
                "coalesce(sum(visible_at > :now AND receipt IS NOT NULL), 0), "
                "coalesce(sum(visible_at > :now AND receipt IS NULL), 0) "
                "FROM queue_messages WHERE queue = :queue",
                {"now": now, "queue": self._queue},
            ).fetchone()
            (dead,) = conn.execute(
                "SELECT count(*) FROM dead_letters WHERE queue = ?", (self._queue,)
            ).fetchone()
        return QueueDepth(int(visible), int(in_flight), int(delayed), int(dead))


def _move_to_dead_letters(conn: Any, message_id: str, now: float) -> None:
    conn.execute(
        "INSERT INTO dead_letters (id, queue, body, attributes, sent_at, receive_count, dead_at) "
        "SELECT id, queue, body, attributes, sent_at, receive_count, ? FROM queue_messages "
        "WHERE id = ?",
        (now, message_id),
    )
    conn.execute("DELETE FROM queue_messages WHERE id = ?", (message_id,))
