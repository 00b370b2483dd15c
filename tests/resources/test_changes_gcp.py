"""A table's changes on Google Cloud, from documents the GCP table backend really wrote
to gcloud's Firestore emulator: each write's stored ``Document`` (before and after, read
back through Firestore's own API) wrapped in the ``DocumentEventData`` Eventarc sends,
posted in binary mode to functions-framework's CloudEvent target. The emulator emits no
Eventarc events itself, so this is as close as a test gets without a project: the
payload's documents are the backend's real ones, and the images must equal what
``table.get`` returns."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from resource_harness import Harness

from polyfn import Change
from polyfn.adapters.gcp.firestore_events import _event_data_type
from polyfn.hosts.gcp import GcpHost


def _stored(table_physical: str, document_id: str) -> Any:
    """The document as Firestore stores it (``google.firestore.v1.Document``), or None."""
    from google.api_core.exceptions import NotFound
    from google.cloud import firestore

    client = firestore.Client()
    name = f"{client._database_string}/documents/{table_physical}/{document_id}"
    try:
        return client._firestore_api.get_document(request={"name": name})
    except NotFound:
        return None


def _event(kind: str, table_physical: str, document_id: str, new: Any, old: Any) -> dict[str, Any]:
    envelope = _event_data_type()
    fields = {k: v for k, v in (("value", new), ("old_value", old)) if v is not None}
    payload = envelope.serialize(envelope(**fields))
    return {
        "specversion": "1.0",
        "id": f"{kind}-{document_id}",
        "source": "//firestore.googleapis.com/projects/demo/databases/(default)",
        "type": f"google.cloud.firestore.document.v1.{kind}",
        "subject": f"documents/{table_physical}/{document_id}",
        "datacontenttype": "application/protobuf",
        "data_base64": base64.b64encode(payload).decode("ascii"),
    }


@pytest.mark.parametrize("harness", ["gcp"], indirect=True)
def test_documents_written_by_the_backend_reach_on_change_as_its_items(harness: Harness) -> None:
    notes = harness.table(key="id")
    seen: list[Change] = []

    @harness.app.on_change(notes)
    def note_changed(change: Change) -> None:
        if (change.new or {}).get("fail"):
            raise ValueError("refused")
        seen.append(change)

    physical = notes.physical_name
    host = GcpHost()
    notes.put({"id": "n1", "text": "first", "n": 1, "ratio": 0.25, "blob": b"\x00\xff"})
    created = _stored(physical, "n1")
    notes.update("n1", {"text": "second", "tags": ["a", {"deep": None}]})
    updated = _stored(physical, "n1")
    notes.delete("n1")
    assert _stored(physical, "n1") is None
    for event in (
        _event("created", physical, "n1", created, None),
        _event("updated", physical, "n1", updated, created),
        _event("written", physical, "n1", None, updated),  # "written" told apart by images
    ):
        assert host.post_event(harness.app, event).status_code == 200
    assert [(c.kind, c.keys, c.table) for c in seen] == [
        ("insert", {"id": "n1"}, notes.name),
        ("modify", {"id": "n1"}, notes.name),
        ("remove", {"id": "n1"}, notes.name),
    ]
    first = {"id": "n1", "text": "first", "n": 1, "ratio": 0.25, "blob": b"\x00\xff"}
    assert seen[0].new == first and seen[0].old is None
    assert seen[1].old == first
    assert seen[1].new == {**first, "text": "second", "tags": ["a", {"deep": None}]}
    assert seen[2].new is None and seen[2].old == seen[1].new

    # A failing change: the invocation fails, so Eventarc delivers it again.
    notes.put({"id": "n2", "fail": True})
    failing = _event("created", physical, "n2", _stored(physical, "n2"), None)
    assert host.post_event(harness.app, failing).status_code == 500
    assert len(seen) == 3
