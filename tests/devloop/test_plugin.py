"""The pytest plugin, exercised the way a user's project uses it (through ``pytester``)."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

APP = """
from polyfn import App, Message, ObjectEvent, Request, Response, Schedule, Event

app = App("notes")
notes = app.table("notes")
files = app.bucket("files")
inbox = app.queue("inbox")
seen = []


@app.get("/notes/{id}")
def get_note(req: Request) -> Response:
    note = notes.get(req.path_params["id"])
    return Response.json(note) if note else Response.json({"error": "no"}, 404)


@app.post("/notes")
def add_note(req: Request) -> Response:
    note = {"id": str(len(notes.scan().items) + 1), **req.json()}
    notes.put(note)
    return Response.json(note, 201)


@app.on_object_created(files, suffix=".txt")
def indexed(event: ObjectEvent) -> None:
    notes.put({"id": event.key, "text": files.read_text(event.key)})


@app.on_message(inbox)
def receive(msg: Message) -> None:
    if msg.json().get("bad"):
        raise ValueError("bad message")
    notes.put({"id": msg.id, **msg.json()})


@app.schedule("rate(1 hour)")
def hourly(tick: Schedule) -> None:
    notes.put({"id": "tick", "at": tick.time})


@app.on_event(source="shop.orders")
def on_order(event: Event) -> None:
    notes.put({"id": "order", "data": event.data})
"""

TESTS = """
import pytest
from polyfn.testing import all_runtimes, runtimes
from notes_app import app, notes


@all_runtimes
def test_http(polyfn_client, polyfn_runtime):
    client = polyfn_client(app)
    created = client.post("/notes", json={"text": "hi"})
    assert created.status == 201
    assert client.get("/notes/1").json() == {"id": "1", "text": "hi"}
    assert client.get("/notes/2").status == 404
    assert client.runtime == polyfn_runtime


@all_runtimes
def test_each_test_has_its_own_data(polyfn_client):
    client = polyfn_client(app)
    assert notes.scan().items == []
    client.post("/notes", json={"text": "again"})


@all_runtimes
def test_messages_objects_schedules_events(polyfn_client):
    client = polyfn_client(app)
    assert client.send("inbox", {"text": "a"}, {"bad": True}, b"{}") == [1]
    client.upload("files", "readme.txt", "hello")
    assert notes.get("readme.txt") == {"id": "readme.txt", "text": "hello"}
    client.fire("hourly")
    assert notes.get("tick") is not None
    client.emit("shop.orders", "OrderPlaced", {"n": 1})
    assert notes.get("order")["data"] == {"n": 1}


@runtimes("aws-alb", "local")
def test_a_host_variant(polyfn_client, polyfn_host, polyfn_driver):
    assert polyfn_client(app).get("/notes/9").status == 404
    assert polyfn_host.name in ("aws-alb", "local") and polyfn_driver is polyfn_host


def test_unmarked_tests_run_locally(polyfn_runtime, polyfn_client):
    assert polyfn_runtime == "local"
    assert polyfn_client(app).runtime == "local"


def test_context_deadline_is_settable(polyfn_context):
    import time
    assert polyfn_context.remaining_ms > 20_000
    polyfn_context.deadline = time.time() + 0.05
    assert polyfn_context.remaining_ms <= 50
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makepyfile(notes_app=APP)
    pytester.syspathinsert()
    return pytester


def test_fixtures_run_a_users_tests_on_every_runtime(project: pytest.Pytester) -> None:
    project.makepyfile(test_notes=TESTS)
    result = project.runpytest("-p", "no:cacheprovider", "-v")
    # 3 tests x 4 runtimes, 2 driver variants, 2 plain tests.
    result.assert_outcomes(passed=16)
    result.stdout.fnmatch_lines(
        [
            "*test_http?aws? PASSED*",
            "*test_http?azure? PASSED*",
            "*test_http?gcp? PASSED*",
            "*test_http?local? PASSED*",
            "*test_a_host_variant?aws-alb? PASSED*",
        ]
    )


def test_a_failing_test_fails_on_each_runtime(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_wrong="""
from polyfn.testing import all_runtimes
from notes_app import app


@all_runtimes
def test_expects_the_wrong_status(polyfn_client):
    assert polyfn_client(app).get("/notes/1").status == 200
"""
    )
    result = project.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=4)
    result.stdout.fnmatch_lines(["*assert 404 == 200*"])


def test_the_runtime_option_narrows_the_runs(project: pytest.Pytester) -> None:
    project.makepyfile(test_notes=TESTS)
    result = project.runpytest("-p", "no:cacheprovider", "--polyfn-runtimes", "aws,local")
    # 3 tests x 2 runtimes, both variants (aws-alb is an aws one), 2 plain tests.
    result.assert_outcomes(passed=10)


def test_the_runtime_option_takes_a_host_variant(project: pytest.Pytester) -> None:
    project.makepyfile(test_notes=TESTS)
    result = project.runpytest("-p", "no:cacheprovider", "-v", "--polyfn-runtimes", "aws-v1")
    # aws-v1 is the aws runtime's primary variant: the 3 tests marked with every runtime
    # run through it; the aws-alb test is left with no runtime (skipped); 2 plain tests.
    result.assert_outcomes(passed=5, skipped=1)
    result.stdout.fnmatch_lines(["*test_http?aws? PASSED*"])
    result.stdout.no_fnmatch_line("*aws-alb? PASSED*")
    alb = project.runpytest("-p", "no:cacheprovider", "-v", "--polyfn-runtimes", "aws-alb")
    alb.assert_outcomes(passed=3, skipped=3)
    alb.stdout.fnmatch_lines(["*test_a_host_variant?aws-alb? PASSED*"])


def test_an_unknown_runtime_option_is_one_line(project: pytest.Pytester) -> None:
    project.makepyfile(test_notes=TESTS)
    result = project.runpytest("-p", "no:cacheprovider", "--polyfn-runtimes", "aws-nope")
    assert result.ret != 0
    result.stderr.fnmatch_lines(["*--polyfn-runtimes: no host variant 'aws-nope'*"])
    assert "Traceback" not in result.stderr.str() + result.stdout.str()
    result.stdout.no_fnmatch_line("*plugin.py*")


def test_an_unknown_runtime_is_a_clear_error(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_typo="""
import pytest


@pytest.mark.polyfn_runtimes("lambda")
def test_x(polyfn_client):
    pass
"""
    )
    result = project.runpytest("-p", "no:cacheprovider")
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*ERROR collecting test_typo.py*", "*unknown runtime 'lambda'*"])
    result.stdout.no_fnmatch_line("*plugin.py*")


def test_the_marker_is_registered(project: pytest.Pytester) -> None:
    result = project.runpytest("--markers")
    result.stdout.fnmatch_lines(["*polyfn_runtimes(*names)*"])


def test_client_rejects_what_the_app_does_not_declare(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_misuse="""
import pytest
from notes_app import app


def test_unknown_queue(polyfn_client):
    with pytest.raises(ValueError, match="declares no queue 'nope'"):
        polyfn_client(app).send("nope", b"x")


def test_fire_needs_a_scheduled_function(polyfn_client):
    with pytest.raises(ValueError, match="not a scheduled function"):
        polyfn_client(app).fire("get_note")
"""
    )
    result = project.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
