"""The queue port on Azure Queue Storage.

Messages are sent base64-encoded, which is what the Functions host's queue trigger
expects by default (host.json ``messageEncoding: base64``). Queue Storage messages have no
attributes, so a message sent with attributes travels in polyfn's envelope
(``polyfn.adapters.azure.envelope``), which the queue trigger unwraps. ``delay_seconds``
is the message's initial visibility timeout. There is no batch send in Queue Storage:
``send_batch`` sends one message after another.

Dead-lettering is the host's: after ``maxDequeueCount`` failed receives (polyfn's
``max_receives``, written to host.json by deploy) it moves the message to
``<queue>-poison``. host.json has one count per app, so for a queue whose
``max_receives`` is lower, the queue trigger forwards the message there itself
(``forward``).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from functools import cached_property, partial
from typing import Any

from polyfn.adapters.azure.backends.clients import service_client
from polyfn.adapters.azure.backends.errors import guard
from polyfn.adapters.azure.envelope import wrap
from polyfn.adapters.common.errors import ResourceRef

__all__ = ["MAX_MESSAGE_BYTES", "StorageQueue"]

# "A queue message can be up to 64 KB in size" (Azure Queue Storage introduction,
# learn.microsoft.com, checked 2026-11); the limit applies to the message as stored, i.e.
# after base64 encoding, so at most 48 KiB of raw body fits.
MAX_MESSAGE_BYTES = 64 * 1024


class StorageQueue:
    """Sends to one Queue Storage queue."""

    def __init__(self, name: str, physical: str) -> None:
        self.ref = ResourceRef("azure", "queue", name, physical)

    @cached_property
    def _queue(self) -> Any:
        # Made on first use: binding a queue needs neither the SDK nor credentials.
        from azure.storage.queue import BinaryBase64DecodePolicy, BinaryBase64EncodePolicy

        return service_client("queue", self.ref).get_queue_client(
            self.ref.physical,
            message_encode_policy=BinaryBase64EncodePolicy(),
            message_decode_policy=BinaryBase64DecodePolicy(),
        )

    def send(self, body: bytes, attributes: Mapping[str, str], delay_seconds: int) -> str:
        content = self._content(body, attributes)
        return guard(self.ref, partial(self._send, content, delay_seconds or None))

    def send_batch(
        self, bodies: list[bytes], attributes: Mapping[str, str], delay_seconds: int
    ) -> list[str]:
        # Check every message first, so an oversized one sends none rather than some.
        contents = [self._content(body, attributes) for body in bodies]
        send = partial(self._send, visibility=delay_seconds or None)
        return [guard(self.ref, partial(send, content)) for content in contents]

    def forward(self, content: bytes) -> str:
        """Send a message as it was received (already in polyfn's envelope, if any): how a
        failed message reaches ``<queue>-poison`` unchanged."""
        return guard(self.ref, partial(self._send, content, None))

    def _send(self, content: bytes, visibility: int | None) -> str:
        return str(self._queue.send_message(content, visibility_timeout=visibility).id)

    def _content(self, body: bytes, attributes: Mapping[str, str]) -> bytes:
        content = wrap(body, attributes)
        stored = len(base64.b64encode(content))
        if stored > MAX_MESSAGE_BYTES:
            what = "message (base64, with its attribute envelope)" if attributes else "message"
            raise self.ref.too_large(
                f"{what}", stored, MAX_MESSAGE_BYTES, "Queue Storage message size, base64"
            )
        return content
