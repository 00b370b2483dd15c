"""`polyfn plan` says, per target, where @idempotent's records behave differently: who
deletes expired records (DynamoDB TTL; nobody on Table Storage; a TTL policy on a
timestamp field on Firestore) and what the conditional writes are."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

APP = """
from polyfn import App, Message

app = App("idem")
jobs = app.queue("jobs")

@app.on_message(jobs)
@app.idempotent()
def charge(msg: Message) -> None:
    pass
"""


def test_the_plan_has_a_note_per_target_on_the_records(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from polyfn.cli import main

    (tmp_path / "app.py").write_text(APP)
    assert main(["plan", str(tmp_path / "app.py"), "--format", "json"]) == 0
    notes = [n for n in json.loads(capsys.readouterr().out)["table_notes"] if "charge" in n]

    assert [note.split(":", 1)[0] for note in notes] == ["AWS", "Azure", "Google Cloud"]
    aws, azure, gcp = notes
    assert "TTL on 'expires'" in aws and "conditional PutItem" in aws
    assert "no TTL" in azure and "If-Match" in azure
    assert "TTL policy" in gcp and "'polyfn_expires_at'" in gcp
