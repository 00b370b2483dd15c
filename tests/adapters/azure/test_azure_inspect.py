"""``describe()`` and ``looks_like()`` for Event Grid documents, and the JSON generators."""

from __future__ import annotations

import json
from typing import Any

import pytest

from polyfn.adapters.azure.describe import describe, looks_like
from polyfn.core.errors import UnrecognizedEvent
from polyfn.hosts.events import azure as events

# The documented BlobCreated sample ("Azure Blob Storage as an Event Grid source",
# Event Grid schema tab, page dated 2024-01-10), with a key that needs care.
DOCUMENTED_BLOB_CREATED = {
    "topic": "/subscriptions/{subscription-id}/resourceGroups/Storage/providers/"
    "Microsoft.Storage/storageAccounts/my-storage-account",
    "subject": "/blobServices/default/containers/test-container/blobs/new folder/new+file.txt",
    "eventType": "Microsoft.Storage.BlobCreated",
    "eventTime": "2017-06-26T18:41:00.9584103Z",
    "id": "831e1650-001e-001b-66ab-eeb76e069631",
    "data": {
        "api": "PutBlockList",
        "clientRequestId": "6d79dbfb-0e37-4fc4-981f-442c9ca65760",
        "requestId": "831e1650-001e-001b-66ab-eeb76e000000",
        "eTag": '"0x8D4BCC2E4835CD0"',
        "contentType": "text/plain",
        "contentLength": 524288,
        "blobType": "BlockBlob",
        "url": "https://my-storage-account.blob.core.windows.net/testcontainer/new-file.txt",
        "sequencer": "00000000000004420000000000028963",
        "storageDiagnostics": {"batchId": "b68529f3-68cd-4744-baa4-3c0498ec19f0"},
    },
    "dataVersion": "",
    "metadataVersion": "1",
}


def test_documented_blob_created_in_event_grid_schema() -> None:
    assert describe(DOCUMENTED_BLOB_CREATED) == {
        "cloud": "azure",
        "trigger": "object",
        "events": [
            {
                "action": "created",
                "bucket": "test-container",
                "key": "new folder/new+file.txt",
                "size": 524288,
                "etag": "0x8D4BCC2E4835CD0",
                "content_type": "text/plain",
                "time": "2017-06-26T18:41:00.9584103Z",
                "id": "831e1650-001e-001b-66ab-eeb76e069631",
            }
        ],
    }


@pytest.mark.parametrize("make", [events.blob_deleted, events.blob_deleted_cloudevent])
def test_blob_deleted_in_both_schemas(make: Any) -> None:
    document = make(bucket="files", key="a/b c.txt")
    model = describe(document)
    assert model["trigger"] == "object"
    (event,) = model["events"]
    assert (event["action"], event["bucket"], event["key"]) == ("deleted", "files", "a/b c.txt")
    assert event["size"] is None and event["etag"] is None
    assert event["id"] == document["id"]
    assert event["time"] == document.get("eventTime", document.get("time"))


def test_blob_created_cloudevent() -> None:
    document = events.blob_created_cloudevent(bucket="files", key="x.bin", size=9)
    (event,) = describe(document)["events"]
    assert (event["action"], event["key"], event["size"]) == ("created", "x.bin", 9)


def test_arrays_of_blob_events() -> None:
    documents = [
        events.blob_created(bucket="files", key="one.txt", size=1),
        events.blob_deleted(bucket="files", key="two.txt"),
    ]
    model = describe(documents)
    assert model["trigger"] == "object"
    assert [(e["action"], e["key"]) for e in model["events"]] == [
        ("created", "one.txt"),
        ("deleted", "two.txt"),
    ]


@pytest.mark.parametrize("make", [events.eventgrid, events.eventgrid_cloudevent])
def test_custom_events_in_both_schemas(make: Any) -> None:
    document = make(type="Shop.OrderPlaced", subject="orders/9", data={"order": 9}, id="e-9")
    assert describe([document]) == {
        "cloud": "azure",
        "trigger": "event",
        "events": [
            {
                "id": "e-9",
                "source": document.get("topic", document.get("source")),
                "type": "Shop.OrderPlaced",
                "subject": "orders/9",
                "time": document.get("eventTime", document.get("time")),
                "data": {"order": 9},
            }
        ],
    }


def test_a_mixed_array_reads_each_element_as_what_it_is() -> None:
    # Issue 13 item 12: blob events in a mixed array were read as generic events only.
    documents = [events.blob_created(key="in/a.jpg"), events.eventgrid(type="Shop.X")]
    model = describe(documents)
    assert model["trigger"] == "mixed"
    blob, other = model["events"]
    assert blob["trigger"] == "object"
    assert (blob["action"], blob["key"]) == ("created", "in/a.jpg")
    assert (other["trigger"], other["type"]) == ("event", "Shop.X")


def test_other_storage_event_types_are_generic_events() -> None:
    document = dict(DOCUMENTED_BLOB_CREATED, eventType="Microsoft.Storage.BlobTierChanged")
    model = describe(document)
    assert model["trigger"] == "event"
    assert model["events"][0]["type"] == "Microsoft.Storage.BlobTierChanged"


def test_the_model_is_json() -> None:
    for kind in ("blob-created", "blob-deleted-cloudevent", "eventgrid", "eventgrid-cloudevent"):
        model = describe(events.GENERATORS[kind]())
        assert json.loads(json.dumps(model)) == model


@pytest.mark.parametrize(
    "document",
    [
        {},
        [],
        "text",
        42,
        None,
        {"Records": [{"eventSource": "aws:s3"}]},
        {"specversion": "1.0", "type": "google.cloud.storage.object.v1.finalized", "source": "//x"},
        [events.blob_created(), {"not": "an event"}],
        {"eventType": "X", "id": "1"},
    ],
)
def test_unknown_documents_are_unrecognized(document: Any) -> None:
    assert not looks_like(document)
    with pytest.raises(UnrecognizedEvent) as raised:
        describe(document)
    assert raised.value.expected and "Event Grid" in raised.value.expected


@pytest.mark.parametrize(
    "document",
    [
        dict(DOCUMENTED_BLOB_CREATED, subject="/blobServices/default/containers/only"),
        dict(DOCUMENTED_BLOB_CREATED, id=7),
        dict(DOCUMENTED_BLOB_CREATED, eventType=None),
    ],
)
def test_broken_event_grid_documents_say_what_is_wrong(document: Any) -> None:
    with pytest.raises(UnrecognizedEvent):
        describe(document)


def test_looks_like() -> None:
    assert looks_like(DOCUMENTED_BLOB_CREATED)
    assert looks_like([events.eventgrid(), events.eventgrid_cloudevent()])
    assert looks_like(events.blob_created_cloudevent())


def test_inspect_command_reads_azure_documents() -> None:
    from polyfn.cli.inspect import describe as inspect_describe

    assert inspect_describe(DOCUMENTED_BLOB_CREATED, "azure")["trigger"] == "object"


# ----------------------------------------------------------------------------- generators


def test_every_generator_gives_json_with_defaults() -> None:
    assert set(events.GENERATORS) >= {
        "http",
        "queue",
        "blob",
        "timer",
        "blob-created",
        "blob-deleted",
        "eventgrid",
        "eventgrid-cloudevent",
    }
    for kind, generate in events.GENERATORS.items():
        document = generate()
        assert isinstance(document, dict), kind
        assert json.loads(json.dumps(document)) == document


def test_generators_take_the_cli_options() -> None:
    http = events.GENERATORS["http"](method="post", path="/users/1", body='{"a": 1}')
    request = http["Data"]["req"]
    assert (request["Method"], request["Body"]) == ("POST", '{"a": 1}')
    assert request["Url"] == "https://polyfn-app.azurewebsites.net/api/users/1"
    assert events.GENERATORS["queue"](message="hello")["Data"]["msg"] == "hello"
    blob = events.GENERATORS["blob"](bucket="files", key="in/a.jpg", body="xyz")
    assert blob["Metadata"]["BlobTrigger"] == "files/in/a.jpg"
    assert blob["Metadata"]["Properties"]["ContentLength"] == 3
    created = events.GENERATORS["blob-created"](bucket="files", key="k")
    assert created["subject"] == "/blobServices/default/containers/files/blobs/k"
    custom = events.GENERATORS["eventgrid"](message='{"order": 1}')
    assert custom["data"] == {"order": 1}
    assert events.GENERATORS["timer"](past_due=True)["Data"]["timer"]["IsPastDue"] is True


def test_http_payload_groups_repeated_headers() -> None:
    payload = events.http_payload(
        path="/echo", query={"tag": ["a", "b"]}, headers=[("X-Tag", "1"), ("x-tag", "2")]
    )
    request = payload["Data"]["req"]
    assert request["Headers"] == {"X-Tag": ["1", "2"]}
    assert json.loads(request["Query"]) == {"tag": "a,b"}
    assert request["Url"].endswith("/api/echo?tag=a&tag=b")


# ----------------------------------------------------------------------------- host payloads


def test_http_payload_describes_the_request_a_handler_gets() -> None:
    payload = events.http_payload(
        method="post",
        path="/users/a b",
        query={"tag": ["x", "y"]},
        headers=[
            ("X-Tag", "1"),
            ("X-Tag", "2"),
            ("Cookie", "s=1"),
            ("X-Forwarded-For", "198.51.100.2:7"),
        ],
        body='{"n": 1}',
    )
    model = describe(payload)
    assert model["trigger"] == "http"
    request = model["request"]
    assert (request["method"], request["path"]) == ("POST", "/users/a b")
    assert request["query"] == {"tag": ["x", "y"]}
    assert request["headers"]["x-tag"] == ["1", "2"]
    assert request["cookies"] == {"s": "1"}
    assert (request["body"], request["body_base64"]) == ('{"n": 1}', "eyJuIjogMX0=")
    assert request["client_ip"] == "198.51.100.2"
    assert request["request_id"] == payload["Metadata"]["sys"]["RandGuid"]


def test_queue_payload_describes_the_message_with_envelope_attributes() -> None:
    from polyfn.adapters.azure.envelope import wrap

    body = wrap(b'{"n": 2}', {"origin": "cli"}).decode()
    model = describe(events.queue_payload(body=body, dequeue_count=3, id="q-1"))
    assert model == {
        "cloud": "azure",
        "trigger": "message",
        "messages": [
            {
                "id": "q-1",
                "body": '{"n": 2}',
                "body_base64": "eyJuIjogMn0=",
                "attributes": {"origin": "cli"},
                "receive_count": 3,
                "queue": "",
            }
        ],
    }


def test_blob_and_timer_payloads() -> None:
    blob = describe(events.blob_payload(bucket="files", key="in/a.jpg", body="abc"))
    (event,) = blob["events"]
    assert (blob["trigger"], event["bucket"], event["key"], event["size"]) == (
        "object",
        "files",
        "in/a.jpg",
        3,
    )
    timer = events.timer_payload(function="cleanup")
    assert describe(timer)["schedule"] == {
        "time": timer["Metadata"]["sys"]["UtcNow"],
        "name": "cleanup",
    }


def test_an_unknown_payload_is_unrecognized() -> None:
    payload = {"Data": {"thing": "x"}, "Metadata": {"sys": {}}}
    assert looks_like(payload)
    with pytest.raises(UnrecognizedEvent, match="no trigger polyfn knows"):
        describe(payload)
