"""Azure Table Storage has no change feed: ``function_app`` leaves an ``on_change``
function out, saying why, and serves the App's other functions (``polyfn deploy build
--cloud azure`` refuses such an App outright: tests/deploy/test_change_feed_deploy.py)."""

from __future__ import annotations

import logging

import pytest

from polyfn import App, Change, Request, Response
from polyfn.adapters import azure


def test_an_on_change_function_is_not_registered_and_the_reason_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = App("feeds")
    notes = app.table("notes")

    @app.on_change(notes)
    def note_changed(change: Change) -> None: ...

    @app.get("/notes")
    def list_notes(req: Request) -> Response:
        return Response.json([])

    with caplog.at_level(logging.WARNING, logger="polyfn.azure"):
        native = azure.function_app(app, backends="keep")
    names = {f.get_function_name() for f in native.get_functions()}
    assert "list_notes" in names and "note_changed" not in names
    assert any(
        "note_changed reads the changes of table 'notes'" in r.getMessage()
        and "Azure Table Storage has no change feed" in r.getMessage()
        for r in caplog.records
    )
