"""Mutated requests and events through functions-framework serving ``gcp.http_function``
and ``gcp.event_function``, and through the local runtime's WSGI app: a 4xx at worst,
never a 500 (a 500 means "handler failed, redeliver", and the fuzz app's handlers never
fail)."""

from __future__ import annotations

import json
import logging
import string
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fuzz.fuzz_app import build
from fuzz.strategies import FUZZ, mutated, odd_text
from polyfn.adapters.gcp import event_function, http_function
from polyfn.adapters.gcp.serving import framework_app
from polyfn.hosts.events import gcp as events
from polyfn.hosts.local import wsgi_app_for

# What the events target receives, by kind; "http" and "scheduler" go to the HTTP target.
_EVENT_KINDS = {
    "storage-finalized": {"bucket": "uploads", "key": "in/a.jpg"},
    "storage-deleted": {"bucket": "uploads", "key": "in/a.jpg"},
    "pubsub": {"topic": "jobs", "message": "hello"},
    "scheduler-pubsub": {"job_name": "tick"},
    "cloudevent": {"source": "shop.orders", "type": "OrderPlaced", "data": {"n": 1}},
    "legacy-storage": {"bucket": "uploads", "key": "in/a.jpg"},
    "legacy-pubsub": {"topic": "jobs"},
    "firestore-document": {"collection": "items", "change": "modify", "key": "i1"},
}

_header_names = st.text(alphabet=string.ascii_letters + "-", min_size=1, max_size=12)
# Werkzeug's test client sends latin-1 header values without line breaks, as a server does.
_header_values = st.text(
    alphabet=st.characters(min_codepoint=32, max_codepoint=255, exclude_characters="\x7f"),
    max_size=20,
)
_paths = st.one_of(
    # "?" and "#" would end the path: the query has its own field.
    st.builds(lambda tail: "/items/" + tail.replace("?", "%3F").replace("#", "%23"), odd_text),
    st.sampled_from(["/", "//", "/items/", "/items/%zz", "/items/a%2Fb", "/%00"]),
)


def _requests() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "method": st.sampled_from(["GET", "POST", "PUT", "DELETE", "HEAD", "PATCH", "BREW"]),
            "path": _paths,
            # A line break cannot arrive in a request line; a server never passes one on.
            "query_string": st.one_of(odd_text, st.just("a=1&a=2&%zz=%")).map(
                lambda text: text.replace("\r", "%0D").replace("\n", "%0A")
            ),
            "headers": st.lists(st.tuples(_header_names, _header_values), max_size=4),
            "data": st.one_of(st.binary(max_size=40), st.sampled_from([b"{", b'{"a": [1,'])),
        }
    )


@pytest.mark.parametrize("runtime", ["gcp", "local"])
def test_mutated_http_requests_get_4xx_at_worst(runtime: str) -> None:
    app = build()
    if runtime == "gcp":
        client = framework_app(http_function(app, backends="keep"), "http").test_client()
    else:
        from werkzeug.test import Client

        client = Client(wsgi_app_for(app))

    @FUZZ
    @given(_requests())
    def run(request: dict[str, Any]) -> None:
        response = client.open(**request)
        assert response.status_code < 500, (response.status_code, response.get_data()[:200])

    run()


class _Redeliveries(logging.Handler):
    """Notes the 500s that are by design: a Pub/Sub message for a queue no function
    consumes, or a Firestore change of a collection no function reads, is failed so that
    it is redelivered (then set aside), never dropped, as on every runtime
    (core.dispatch.handle_messages, core.change_dispatch.handle_changes)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def redelivered(self) -> bool:
        return any(
            "no on_message handler" in r.getMessage() or "no on_change handler" in r.getMessage()
            for r in self.records
        )


@pytest.mark.parametrize("kind", sorted(_EVENT_KINDS))
def test_mutated_events_get_4xx_at_worst(kind: str) -> None:
    app = build()
    target = event_function(app, backends="keep")
    reached: list[bool] = []

    def events_target(event: Any) -> None:
        # functions-framework converts a legacy event before calling the target; what its
        # own conversion refuses (with a 500 of its own) never reaches polyfn.
        reached.append(True)
        target(event)

    client = framework_app(events_target, "cloudevent").test_client()
    base = events.GENERATORS[kind](**_EVENT_KINDS[kind])
    structured = "specversion" in base
    content_type = "application/cloudevents+json" if structured else "application/json"

    def post(document: Any) -> Any:
        return client.post("/", data=json.dumps(document), headers={"content-type": content_type})

    assert post(base).status_code == 200
    kept = _Redeliveries()
    logging.getLogger("polyfn").addHandler(kept)

    @FUZZ
    @given(mutated(base))
    def run(document: Any) -> None:
        reached.clear()
        kept.records.clear()
        response = post(document)
        if reached and not kept.redelivered():
            assert response.status_code < 500, (response.status_code, response.get_data()[:300])

    try:
        run()
    finally:
        logging.getLogger("polyfn").removeHandler(kept)
