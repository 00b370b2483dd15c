"""Legacy Cloud Storage ``object.change`` events, as 1st gen Cloud Functions delivered
them (issue 13, item 12).

Source: Cloud Functions documentation, "Cloud Storage triggers (1st gen)", legacy
``providers/cloud.storage/eventTypes/object.change`` trigger, whose deletions carry
``resourceState: "not_exists"`` (https://cloud.google.com/functions/1stgendocs/calling/
storage, read 2026-12; the same rule in Google's legacy Node.js sample,
gist.github.com/mfurlend/279386ee87cab9403c8f6fcf9d5b9152).
"""

from __future__ import annotations

from typing import Any

from gcp_native import event_client, post_legacy

from polyfn import App, ObjectEvent
from polyfn.cli.inspect import describe as inspect


def object_change(resource_state: str) -> dict[str, Any]:
    return {
        "context": {
            "eventId": "1147091835525187",
            "timestamp": "2026-12-04T12:00:00.000Z",
            "eventType": "providers/cloud.storage/eventTypes/object.change",
            "resource": "projects/_/buckets/files/objects/gone.txt#1596471011500000",
        },
        "data": {
            "kind": "storage#object",
            "bucket": "files",
            "name": "gone.txt",
            "generation": "1596471011500000",
            "metageneration": "1",
            "contentType": "text/plain",
            "size": "12",
            "resourceState": resource_state,
            "timeCreated": "2026-12-04T11:59:00.000Z",
            "updated": "2026-12-04T11:59:00.000Z",
        },
    }


def test_inspect_reads_not_exists_as_a_deletion() -> None:
    assert inspect(object_change("not_exists"))["events"][0]["action"] == "deleted"
    assert inspect(object_change("exists"))["events"][0]["action"] == "created"


def test_not_exists_runs_the_deleted_function() -> None:
    app = App("legacy")
    files = app.bucket("files")
    seen: list[tuple[str, str]] = []

    @app.on_object_created(files)
    def stored(event: ObjectEvent) -> None:
        seen.append(("created", event.key))

    @app.on_object_deleted(files)
    def forget(event: ObjectEvent) -> None:
        seen.append(("deleted", event.key))

    response = post_legacy(event_client(app), object_change("not_exists"))
    assert response.status_code == 200
    assert seen == [("deleted", "gone.txt")]


def test_the_object_event_keeps_its_fields() -> None:
    app = App("legacy")
    received: list[ObjectEvent] = []
    app.on_object_deleted(app.bucket("files"))(received.append)
    post_legacy(event_client(app), object_change("not_exists"))
    [event] = received
    assert (event.bucket, event.key, event.size) == ("files", "gone.txt", 12)
