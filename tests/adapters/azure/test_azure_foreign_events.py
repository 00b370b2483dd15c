"""Documented Event Grid deliveries through ``polyfn inspect`` and the Event Grid trigger
(issue 13, item 12)."""

from __future__ import annotations

from typing import Any

from adapters.azure import foreign_events as foreign

from polyfn import App, Event, ObjectEvent
from polyfn.cli.inspect import describe as inspect
from polyfn.hosts.azure import IndexedApp
from polyfn.hosts.events import azure as events


def test_documented_cloudevent_blob_subject_without_leading_slash() -> None:
    model = inspect(foreign.BLOB_CREATED_CLOUDEVENT)
    assert model["cloud"] == "azure" and model["trigger"] == "object"
    [event] = model["events"]
    assert (event["bucket"], event["key"], event["size"]) == (
        "testcontainer",
        "new-file.png",
        30699,
    )


def test_custom_topic_cloudevent_alone_is_an_azure_event() -> None:
    for cloud in (None, "azure"):
        model = inspect(foreign.CUSTOM_TOPIC_CLOUDEVENT, cloud)
        assert model["cloud"] == "azure" and model["trigger"] == "event"
        [event] = model["events"]
        assert (event["source"], event["type"]) == ("/contoso/items", "Contoso.Items.ItemReceived")


def test_custom_topic_cloudevent_in_an_array_is_read() -> None:
    model = inspect([foreign.CUSTOM_TOPIC_CLOUDEVENT, foreign.CUSTOM_TOPIC_CLOUDEVENT])
    assert model["cloud"] == "azure" and len(model["events"]) == 2


def test_custom_topic_cloudevent_reaches_on_event_through_the_trigger() -> None:
    app = App("grid")
    seen: list[Event] = []

    @app.on_event(source="/contoso/items", type="Contoso.Items.ItemReceived")
    def received(event: Event) -> None:
        seen.append(event)

    indexed = IndexedApp(app)
    indexed.call("received", "event", events.event_grid_event(foreign.CUSTOM_TOPIC_CLOUDEVENT))
    assert [(e.subject, e.data) for e in seen] == [
        ("items/42", {"itemSku": "Standard", "quantity": 3})
    ]


def test_blob_cloudevent_without_leading_slash_reaches_the_deleted_function() -> None:
    app = App("grid")
    seen: list[ObjectEvent] = []
    files = app.bucket("testcontainer")
    app.on_object_deleted(files)(seen.append)
    document: dict[str, Any] = dict(
        foreign.BLOB_CREATED_CLOUDEVENT, type="Microsoft.Storage.BlobDeleted"
    )
    indexed = IndexedApp(app)
    [name] = indexed.functions.keys() - {"polyfn_fallback"}
    indexed.call(name, "event", events.event_grid_event(document))
    assert [(e.action, e.bucket, e.key) for e in seen] == [
        ("deleted", "testcontainer", "new-file.png")
    ]
