"""``polyfn invoke``: each trigger kind of a small app, on each cloud's adapter.

Every case runs in this process through ``polyfn.cli.main``; one success and one failure
also run as real subprocesses, the way a developer types them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import APP_FILE, CliRunner

CLOUDS = ("aws", "azure", "gcp", "local")

# function -> (options that make it succeed, options that make it fail, the error the
# failure logs). The same options work on every cloud: the sample event is built from
# them by that cloud's generator.
CASES: dict[str, tuple[tuple[str, ...], tuple[str, ...], str]] = {
    "get_item": (
        ("--path", "/items/7", "--query", "q=x"),
        ("--path", "/items/fail"),
        "the item store is down",
    ),
    "on_file": (("--key", "in/report.txt"), ("--key", "in/fail.txt"), "cannot process in/fail.txt"),
    "on_file_deleted": ((), ("--key", "old/fail.bin"), "cannot forget old/fail.bin"),
    "work": (("--message", '{"n": 1}'), ("--message", '{"fail": true}'), "this job always fails"),
    "tick": ((), (), "tick failed on purpose"),  # DEVLOOP_TICK_FAILS makes it fail
    "on_order": (
        ("--data", '{"order": 1}'),
        ("--data", '{"fail": true}'),
        "order event failed on purpose",
    ),
}
CASE_IDS = list(CASES)


@pytest.mark.parametrize("cloud", CLOUDS)
@pytest.mark.parametrize("function", CASE_IDS)
def test_success_exits_0_and_prints_the_native_answer(
    cli: CliRunner, cloud: str, function: str
) -> None:
    ok, _, _ = CASES[function]
    result = cli("invoke", APP_FILE, function, "--cloud", cloud, *ok)
    assert result.code == 0, result.err
    answer = result.json()
    if function == "get_item":
        status = answer.get("statusCode", answer.get("status"))
        assert status == 200
        body = json.loads(answer["body"])
        assert body == {"id": "7", "query": "x"}
    elif function == "work" and cloud == "aws":
        assert answer == {"batchItemFailures": []}
    else:
        assert answer == {"ok": True} or answer is not None


@pytest.mark.parametrize("cloud", CLOUDS)
@pytest.mark.parametrize("function", CASE_IDS)
def test_handler_error_exits_1_with_a_one_line_log(
    cli: CliRunner, cloud: str, function: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, failing, error = CASES[function]
    if function == "tick":
        monkeypatch.setenv("DEVLOOP_TICK_FAILS", "1")
    result = cli("invoke", APP_FILE, function, "--cloud", cloud, *failing)
    assert result.code == 1, result.out + result.err
    assert "Traceback" not in result.err
    assert error in result.err, "the handler's error is logged on stderr"
    if function == "work" and cloud == "aws":
        assert len(result.json()["batchItemFailures"]) == 1
    if function == "get_item":
        answer = result.json()
        assert answer.get("statusCode", answer.get("status")) == 500
        assert "the item store is down" not in answer["body"]  # never leaked to a client


def test_debug_shows_the_traceback(cli: CliRunner) -> None:
    result = cli("invoke", APP_FILE, "on_file", "--cloud", "aws", "--key", "in/fail.txt", "--debug")
    assert result.code == 1
    assert "Traceback" in result.err
    assert "cannot process in/fail.txt" in result.err


def test_a_batch_with_one_bad_message_fails_only_that_one(cli: CliRunner) -> None:
    result = cli(
        "invoke", APP_FILE, "work", "--cloud", "aws",
        "--message", '{"n": 1}', "--message", '{"fail": true}', "--message", '{"n": 3}',
    )  # fmt: skip
    assert result.code == 1
    assert len(result.json()["batchItemFailures"]) == 1


@pytest.mark.parametrize("cloud", ("aws", "azure", "gcp"))
def test_an_event_file_from_polyfn_events(cli: CliRunner, cloud: str, tmp_path: Path) -> None:
    kinds = {"aws": "apigw-v1", "azure": "http", "gcp": "http"}
    printed = cli("events", cloud, kinds[cloud], "--path", "/items/42")
    assert printed.code == 0, printed.err
    event_file = tmp_path / "event.json"
    event_file.write_text(printed.out, encoding="utf-8")
    result = cli("invoke", APP_FILE, "get_item", "--cloud", cloud, "--event", str(event_file))
    assert result.code == 0, result.err
    assert json.loads(result.json()["body"])["id"] == "42"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("nothing_here",), "no function 'nothing_here'"),
        (("get_item", "--cloud", "aws", "--sample", "kinesis"), "unknown aws event kind"),
        (("tick", "--cloud", "aws", "--sample", "sqs"), "tick is triggered by schedule"),
        (("tick", "--cloud", "aws", "--path", "/x"), "does not take --path"),
        (("get_item", "--cloud", "aws", "--event", "/no/such.json"), "cannot read"),
        (("get_item", "--cloud", "aws", "--event", APP_FILE), "is not JSON"),
        (("get_item", "--cloud", "ibm"), "invalid choice"),
        (("get_item", "--event", APP_FILE, "--path", "/x"), "do not apply to --event"),
    ],
)
def test_bad_arguments_exit_2(cli: CliRunner, args: tuple[str, ...], message: str) -> None:
    result = cli("invoke", APP_FILE, *args)
    assert result.code == 2
    assert message in result.err
    assert "Traceback" not in result.err


# options that make the deployed function skip the event -> words the reason must hold
SKIPPED: dict[str, tuple[tuple[str, ...], str]] = {
    "prefix": (("on_file", "--key", "other/x.png"), "on_file wants keys starting with 'in/'"),
    "suffix": (("on_file", "--key", "in/x.png"), "on_file wants keys ending with '.txt'"),
    "action": (("on_file", "--action", "deleted"), "on_file runs for object created only"),
    "source": (("on_order", "--source", "shop.other"), "on_order wants event source=shop.orders"),
    "type": (("on_order", "--type", "Refund"), "on_order wants event source=shop.orders"),
    "route": (("get_item", "--method", "POST", "--path", "/items"), "create_item"),
}


# An Azure blob trigger is never given a deletion: there is no event for it to skip.
SKIP_CASES = [
    (cloud, case) for cloud in CLOUDS for case in SKIPPED if (cloud, case) != ("azure", "action")
]


@pytest.mark.parametrize(("cloud", "case"), SKIP_CASES)
def test_an_event_the_function_skips_exits_3_with_the_reason(
    cli: CliRunner, cloud: str, case: str
) -> None:
    args, reason = SKIPPED[case]
    if case == "action" and cloud == "gcp":  # a deletion is its own event type there
        args = ("on_file", "--sample", "storage-deleted")
    result = cli("invoke", APP_FILE, args[0], "--cloud", cloud, *args[1:])
    assert result.code == 3, result.out + result.err
    assert f"polyfn invoke: {args[0]} did not run" in result.err
    assert reason in result.err
    answer = result.json()
    if case == "route":
        # The answer a deployment pinned to get_item gives (Azure's host never sends the
        # request to get_item's function at all).
        assert answer.get("statusCode", answer.get("status")) == 404 or answer["ran"] == 0
    else:
        assert answer["ran"] == 0 and reason in answer["skipped"]


def test_exit_statuses_are_in_the_help(cli: CliRunner) -> None:
    result = cli("invoke", "--help")
    assert result.code == 0
    assert "3 the handler did not run" in " ".join(result.out.split())


def test_an_event_of_another_cloud_is_a_usage_error(cli: CliRunner, tmp_path: Path) -> None:
    event_file = tmp_path / "event.json"
    event_file.write_text(json.dumps({"hello": "world"}), encoding="utf-8")
    for cloud in ("aws", "azure"):
        result = cli("invoke", APP_FILE, "get_item", "--cloud", cloud, "--event", str(event_file))
        assert result.code == 2, result.err
        assert len(result.err.strip().splitlines()) == 1


def test_unknown_app_exits_2(cli: CliRunner) -> None:
    result = cli("invoke", "no/such/app.py", "get_item")
    assert result.code == 2
    assert "no such file" in result.err


def _polyfn(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    code = "import sys; from polyfn.cli import main; sys.exit(main())"
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )


def test_as_a_real_subprocess(isolated_data: Path) -> None:
    env = {**os.environ, "POLYFN_DATA_DIR": str(isolated_data / "data")}
    ok = _polyfn("invoke", APP_FILE, "get_item", "--cloud", "aws", "--path", "/items/9", env=env)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(json.loads(ok.stdout)["body"]) == {"id": "9", "query": None}

    failed = _polyfn(
        "invoke", APP_FILE, "work", "--cloud", "azure", "--message", '{"fail": true}', env=env
    )
    assert failed.returncode == 1
    assert "this job always fails" in failed.stderr
    assert "Traceback" not in failed.stderr

    bad = _polyfn("invoke", APP_FILE, "get_item", "--sample", "nope", "--cloud", "gcp", env=env)
    assert bad.returncode == 2
    assert bad.stderr.startswith("polyfn invoke: ")


@pytest.mark.parametrize("cloud", CLOUDS)
def test_without_key_an_existing_object_is_used_or_stderr_says_what_to_pass(
    cli: CliRunner, cloud: str
) -> None:
    missing = cli("invoke", APP_FILE, "on_file", "--cloud", cloud)
    assert "bucket files has no object in/*.txt" in missing.err
    assert "pass --key KEY" in missing.err

    from polyfn.loading import load_app

    load_app(APP_FILE).buckets["files"].write("in/real.txt", b"written before")
    found = cli("invoke", APP_FILE, "on_file", "--cloud", cloud)
    assert found.code == 0, found.err
    assert "no --key given; using in/real.txt" in found.err
