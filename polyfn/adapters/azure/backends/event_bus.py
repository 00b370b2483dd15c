"""The event-bus port on an Azure Event Grid custom topic with the CloudEvents 1.0 schema.

In the Event Grid schema the topic takes the place of the event's source, so polyfn's
``source`` could not survive there. A topic created with ``inputSchema:
CloudEventSchemaV1_0`` keeps the CloudEvent's own ``source``, ``type``, ``subject``,
``id`` and ``time`` as published, and a subscription delivering the same schema hands them
to the function unchanged ("CloudEvents v1.0 schema with Azure Event Grid",
learn.microsoft.com, checked 2026-12); the Azure adapter reads ``source`` and ``type``
from it like any CloudEvent.

Binding: ``POLYFN_EVENT_BUS_<NAME>`` is the topic endpoint
(``https://<topic>.<region>-1.eventgrid.azure.net/api/events``). Deployed, the app
publishes as its managed identity, which deploy makes an EventGrid Data Sender on the
topic (a Microsoft Entra token for ``https://eventgrid.azure.net/.default``); no key is
in the app settings. ``POLYFN_EVENT_BUS_<NAME>_KEY``, one of the topic's access keys,
is used instead when set (a laptop, a topic that still takes keys). The ``azure-eventgrid``
publisher client is imported on the first publish.
"""

from __future__ import annotations

import os
from functools import cached_property
from typing import Any

from polyfn.adapters.azure.backends.clients import managed_identity
from polyfn.adapters.azure.backends.errors import guard
from polyfn.adapters.common.errors import ResourceRef
from polyfn.core.errors import ConfigError, CredentialsError
from polyfn.core.event_bus import OutgoingEvent

__all__ = ["EventGridTopic", "cloud_event", "cloud_event_document"]


def cloud_event_document(event: OutgoingEvent) -> dict[str, Any]:
    """``event`` in the CloudEvents 1.0 JSON format, as the topic receives and delivers it."""
    document: dict[str, Any] = {
        "specversion": "1.0",
        "id": event.id,
        "source": event.source,
        "type": event.type,
        "time": event.time,
        "datacontenttype": "application/json",
        "data": event.data,
    }
    if event.subject is not None:
        document["subject"] = event.subject
    # The publisher's trace as extension attributes, which Event Grid delivers unchanged.
    document.update(event.trace)
    return document


def cloud_event(event: OutgoingEvent) -> Any:
    """``event`` as the SDK's CloudEvent (azure-core), built from the same document."""
    from azure.core.messaging import CloudEvent

    return CloudEvent.from_dict(cloud_event_document(event))


class EventGridTopic:
    """Publishes CloudEvents to one Event Grid custom topic."""

    def __init__(self, name: str, physical: str, binding_variable: str) -> None:
        self.ref = ResourceRef("azure", "event_bus", name, physical)
        self._key_variable = f"{binding_variable}_KEY"

    @cached_property
    def _client(self) -> Any:
        endpoint = self.ref.physical
        if not endpoint.startswith(("https://", "http://")):
            raise ConfigError(
                f"event bus {self.ref.name!r}: set {self._key_variable[:-4]} to the Event "
                f"Grid topic endpoint (https://...eventgrid.azure.net/api/events), not "
                f"{endpoint!r}"
            )
        credential: Any
        key = os.environ.get(self._key_variable)
        if key:
            from azure.core.credentials import AzureKeyCredential

            credential = AzureKeyCredential(key)
        else:
            # The Function App's identity (or the user-assigned one its settings name).
            credential = managed_identity()
        from azure.eventgrid import EventGridPublisherClient

        # polyfn retries itself (adapters.common.retry): the SDK's retry policy is off.
        return EventGridPublisherClient(endpoint, credential, retry_total=0, connection_timeout=5)

    def publish(self, event: OutgoingEvent) -> str:
        client = self._client
        published = cloud_event(event)
        try:
            guard(self.ref, lambda: client.send([published]))
        except CredentialsError as error:
            if os.environ.get(self._key_variable):
                raise
            # The error's text already names the topic (ref.error), so not ref.error again.
            raise CredentialsError(
                f"{error}; deployed, the app's identity needs EventGrid Data Sender on the "
                f"topic (polyfn deploy grants it); elsewhere set {self._key_variable} to one "
                "of the topic's access keys",
                resource=self.ref.name,
                cloud=self.ref.cloud,
                kind=self.ref.kind,
            ) from error
        return event.id  # Event Grid keeps a CloudEvent's id
