"""The queue port on a Google Cloud Pub/Sub topic.

A polyfn queue on Google Cloud is a topic with one push subscription (made by deploy)
that delivers to the consuming function; sending is publishing. Attributes are Pub/Sub's
own. Pub/Sub has no per-message delay, so ``delay_seconds > 0`` is an error rather than
a message delivered early. Dead-lettering after ``max_receives`` is the subscription's
dead-letter policy (``maxDeliveryAttempts``), which deploy sets.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import Future

from polyfn.adapters.common.errors import ResourceRef
from polyfn.adapters.gcp.backends.clients import google_client, project_id
from polyfn.adapters.gcp.backends.errors import guard
from polyfn.core.errors import CredentialsError

__all__ = ["MAX_ATTRIBUTES", "MAX_MESSAGE_BYTES", "PubSubTopic"]

# Pub/Sub "Quotas and limits", resource limits (checked 2026-11): a message (data and
# attributes) is at most 10 MB, with at most 100 attributes, keys of at most 256 bytes
# that do not start with "goog", values of at most 1024 bytes; a message needs data or
# at least one attribute.
MAX_MESSAGE_BYTES = 10_000_000
MAX_ATTRIBUTES = 100
_MAX_KEY_BYTES = 256
_MAX_VALUE_BYTES = 1024
# PublisherClient.publish(topic, data, ordering_key, retry, timeout, **attributes): these
# names cannot be passed as attributes through it.
_RESERVED_BY_CLIENT = frozenset({"topic", "data", "ordering_key", "retry", "timeout"})
_PUBLISH_TIMEOUT = 60.0


class PubSubTopic:
    """Publishes to one Pub/Sub topic, named by its id or its full path."""

    def __init__(self, name: str, physical: str) -> None:
        topic_id = physical.rsplit("/", 1)[-1]
        self.ref = ResourceRef("gcp", "queue", name, topic_id)
        self._path = physical if physical.startswith("projects/") else None

    @property
    def path(self) -> str:
        """``projects/<project>/topics/<topic>``."""
        if self._path is None:
            project = project_id() or _credentials_project()
            if not project:
                raise self.ref.error(
                    CredentialsError, "no Google Cloud project: set GOOGLE_CLOUD_PROJECT"
                )
            self._path = f"projects/{project}/topics/{self.ref.physical}"
        return self._path

    def send(self, body: bytes, attributes: Mapping[str, str], delay_seconds: int) -> str:
        return self.send_batch([body], attributes, delay_seconds)[0]

    def send_batch(
        self, bodies: list[bytes], attributes: Mapping[str, str], delay_seconds: int
    ) -> list[str]:
        self._check(bodies, attributes, delay_seconds)
        publisher = google_client("pubsub", self.ref)
        topic = self.path
        ids: dict[int, str] = {}

        def publish_pending() -> None:
            # The client batches these into as few Publish requests as its limits allow.
            # On a retry only the messages without an id yet are published again.
            futures: dict[int, Future[str]] = {
                index: publisher.publish(topic, body, **attributes)
                for index, body in enumerate(bodies)
                if index not in ids
            }
            failure: BaseException | None = None
            for index, future in futures.items():
                try:
                    ids[index] = future.result(timeout=_PUBLISH_TIMEOUT)
                except Exception as exc:
                    failure = failure or exc
            if failure is not None:
                raise failure

        guard(self.ref, publish_pending)
        return [ids[index] for index in range(len(bodies))]

    def _check(self, bodies: list[bytes], attributes: Mapping[str, str], delay: int) -> None:
        if delay > 0:
            raise self.ref.unsupported(
                "Pub/Sub cannot delay a message; send it later instead (delay_seconds must be 0)"
            )
        if len(attributes) > MAX_ATTRIBUTES:
            raise self.ref.unsupported(
                f"Pub/Sub allows at most {MAX_ATTRIBUTES} attributes, got {len(attributes)}"
            )
        attributes_size = 0
        for key, value in attributes.items():
            key_bytes, value_bytes = len(key.encode()), len(value.encode())
            if not key or key_bytes > _MAX_KEY_BYTES or key.startswith("goog"):
                raise self.ref.unsupported(f"{key!r} is not a valid Pub/Sub attribute name")
            if key in _RESERVED_BY_CLIENT:
                raise self.ref.unsupported(
                    f"the Pub/Sub client cannot send an attribute named {key!r}"
                )
            if value_bytes > _MAX_VALUE_BYTES:
                raise self.ref.unsupported(
                    f"Pub/Sub attribute {key!r} is {value_bytes} bytes, over {_MAX_VALUE_BYTES}"
                )
            attributes_size += key_bytes + value_bytes
        for body in bodies:
            if not body and not attributes:
                raise self.ref.unsupported("a Pub/Sub message needs a body or an attribute")
            size = len(body) + attributes_size
            if size > MAX_MESSAGE_BYTES:
                raise self.ref.too_large(
                    "message (data and attributes)", size, MAX_MESSAGE_BYTES, "Pub/Sub limits"
                )


def _credentials_project() -> str | None:
    try:
        import google.auth

        _, project = google.auth.default()
    except Exception:
        return None
    return str(project) if project else None
