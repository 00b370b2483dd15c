"""``polyfn dlq list|redrive``: the dead letters of a local run, from the command line."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from polyfn import App
from polyfn.adapters.local.backends import LocalBackends
from polyfn.cli import main

APP = """
from polyfn import App, Message

app = App("mailer")
emails = app.queue("emails", max_receives=2)
other = app.queue("other")


@app.on_message(emails)
def send(message: Message) -> None:
    raise ValueError("poison")
"""


@pytest.fixture
def app_file(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "mailer"
    folder.mkdir()
    (folder / "app.py").write_text(APP)
    before = set(sys.modules)
    yield folder
    for name in set(sys.modules) - before:
        del sys.modules[name]


def dead_lettered(data_dir: Path, bodies: list[bytes]) -> tuple[LocalBackends, App, list[str]]:
    """Send ``bodies`` and fail each twice (max_receives=2), as a failing worker would."""
    app = App("mailer")
    emails = app.queue("emails", max_receives=2)
    backends = LocalBackends(data_dir, "mailer")
    queue = backends.queue(emails)
    ids = [queue.send(body, {"kind": "mail"}, 0) for body in bodies]
    for _ in range(2):
        queue.fail(queue.receive(10, visibility_timeout=0), retry_after=0)
    assert queue.depth().dead == len(bodies)
    return backends, app, ids


def test_list_shows_each_dead_letter(
    app_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    backends, _, ids = dead_lettered(data, [b'{"to": "nobody"}', b"second"])
    backends.close()
    assert main(["dlq", "list", str(app_file), "--data-dir", str(data), "--json"]) == 0
    listed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(e["queue"], e["id"], e["body"], e["receive_count"]) for e in listed] == [
        ("emails", ids[0], '{"to": "nobody"}', 2),
        ("emails", ids[1], "second", 2),
    ]
    assert listed[0]["attributes"] == {"kind": "mail"}
    assert main(["dlq", "list", str(app_file), "--data-dir", str(data)]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith(f"emails  {ids[0]}  received 2x  dead ")
    assert first.endswith('{"to": "nobody"}')


def test_redrive_puts_them_back_with_fresh_attempts(
    app_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    backends, app, ids = dead_lettered(data, [b"one", b"two"])
    args = ["dlq", "redrive", str(app_file), "--data-dir", str(data)]
    assert main([*args, "--id", ids[1]]) == 0
    assert f"emails: {ids[1]} redriven" in capsys.readouterr().out
    queue = backends.queue(app.queues["emails"])
    assert [letter.id for letter in queue.dead_letters()] == [ids[0]]
    (back,) = queue.receive(10, visibility_timeout=0)
    assert (back.id, back.body, back.attributes, back.receive_count) == (
        ids[1],
        b"two",
        {"kind": "mail"},
        1,
    )
    assert main(args) == 0
    assert "1 message(s) back in their queue" in capsys.readouterr().out
    assert queue.depth().dead == 0
    backends.close()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["redrive", "--id", "nope"], "no dead letter with id nope"),
        (["list", "--queue", "missing"], "no queue 'missing' (queues: emails, other)"),
        (["list", "--id", "x"], "--id and --change are for redrive"),
        (["list", "--change", "3"], "--id and --change are for redrive"),
        (["redrive", "--change", "3"], "no recorded change failure with change number 3"),
    ],
)
def test_mistakes_are_one_line(
    app_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    message: str,
) -> None:
    action, *rest = extra
    code = main(["dlq", action, str(app_file), "--data-dir", str(tmp_path / "d"), *rest])
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("polyfn dlq: ") and message in err and "\n" not in err
