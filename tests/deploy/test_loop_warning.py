"""deploy build and deploy preview warn about a function that triggers itself with what it
writes: the thumbnail written back into the uploads bucket with no filter, a consumer
sending to its own queue (issue 17, item 4). A filtered trigger is not warned about."""

from __future__ import annotations

from pathlib import Path

import pytest

from deploy.conftest import SHOP
from polyfn.cli import main

LOOPING_APP = """
from polyfn import App, Message, ObjectEvent

app = App("loops")
uploads = app.bucket("uploads")
jobs = app.queue("jobs")

@app.on_object_created(uploads)
def thumbnail(event: ObjectEvent) -> None:
    uploads.write("thumb-" + event.key, uploads.read(event.key))

@app.on_message(jobs, max_hops=4)
def retry_later(msg: Message) -> None:
    jobs.send(msg.body)
"""


@pytest.fixture
def looping_app(tmp_path: Path) -> Path:
    path = tmp_path / "loops" / "app.py"
    path.parent.mkdir()
    path.write_text(LOOPING_APP)
    return path


@pytest.mark.parametrize("cloud", ["aws", "azure", "gcp"])
def test_build_warns_about_each_self_triggering_function(
    looping_app: Path, tmp_path: Path, cloud: str, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert (
        main(
            ["deploy", "build", str(looping_app), "--cloud", cloud, "--out", str(out), "--no-deps"]
        )
        == 0
    )
    warnings = [line for line in capsys.readouterr().out.splitlines() if "recursive loop" in line]
    assert len(warnings) == 2, warnings
    (thumbnail,) = [w for w in warnings if "function thumbnail" in w]
    assert "writes to bucket uploads" in thumbnail and "after 16 hops" in thumbnail
    (consumer,) = [w for w in warnings if "function retry_later" in w]
    assert "sends to queue jobs" in consumer and "after 4 hops" in consumer


def test_preview_warns_too(looping_app: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["deploy", "preview", str(looping_app), "--cloud", "aws"]) == 0
    assert "writes to bucket uploads" in capsys.readouterr().out


def test_a_filtered_trigger_is_not_a_loop(capsys: pytest.CaptureFixture[str]) -> None:
    # The shop's thumbnail reads uploads/*.jpg and writes thumbnails/...: filtered out.
    assert main(["deploy", "preview", str(SHOP), "--cloud", "aws"]) == 0
    assert "recursive loop" not in capsys.readouterr().out


def test_plan_warns_about_each_self_triggering_function_on_every_cloud(
    looping_app: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    assert main(["plan", str(looping_app), "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    loops = [row for row in report["limits"] if row["limit"] == "recursive loop"]
    assert {(row["function"], row["cloud"], row["level"]) for row in loops} == {
        (name, cloud, "warn")
        for name in ("thumbnail", "retry_later")
        for cloud in ("aws", "azure", "gcp")
    }
    (thumbnail,) = [r for r in loops if r["function"] == "thumbnail" and r["cloud"] == "aws"]
    assert "writes to bucket uploads" in thumbnail["message"]
    assert "4 hops" in next(r["message"] for r in loops if r["function"] == "retry_later")
