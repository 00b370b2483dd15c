"""`polyfn plan` on an app with an on_change function: Azure's refusal (Table Storage has
no change feed) is said once, in the trigger map with its reason, and blocks the function;
deploy's limit check, which makes the Azure build fail, does not repeat it as a limit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

APP = """
from polyfn import App, Change

app = App("feeds")
notes = app.table("notes")

@app.on_change(notes)
def note_changed(change: Change) -> None:
    pass
"""


def test_the_azure_refusal_is_said_once_with_its_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from polyfn.cli import main

    (tmp_path / "app.py").write_text(APP)
    assert main(["plan", str(tmp_path / "app.py"), "--format", "json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    (azure,) = [s for s in plan["statuses"] if s["cloud"] == "azure"]
    assert azure["status"] == "blocked"
    (reason,) = azure["reasons"]
    assert reason.startswith("change feed: function note_changed reads the changes of table")
    assert "Azure Table Storage has no change feed" in reason and "Instead:" in reason
    assert not [
        limit for limit in plan["limits"] if limit["cloud"] == "azure" and limit["level"] != "pass"
    ]

    assert main(["plan", str(tmp_path / "app.py")]) == 0
    report = capsys.readouterr().out
    refusal = "Azure Table Storage has no change feed"
    blocks = report.split("## What blocks")[1].split("\n## ")[0]
    limits = report.split("## Limits")[1].split("\n## ")[0]
    trigger_map = report.split("## Trigger map")[1].split("\n## ")[0]
    assert (blocks.count(refusal), trigger_map.count(refusal), limits.count(refusal)) == (1, 1, 0)
