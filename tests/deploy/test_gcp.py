"""Google Cloud artifacts: the script parses, and the generated main.py serves real HTTP
requests and CloudEvents (binary and structured mode) under the functions-framework
server, each function with exactly the environment deploy.sh gives it."""

from __future__ import annotations

import base64
import json
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from deploy.conftest import SAMPLE, SHOP, Builder
from deploy.gcloud_check import GcloudLineError, check_line, check_script

PROJECT = "test-project"
FUNCTIONS_FRAMEWORK = Path(sys.executable).parent / "functions-framework"


@pytest.fixture(scope="module")
def sample(built: Builder) -> Path:
    return built(SAMPLE, "gcp", region="europe-west1").out


@pytest.fixture(scope="module")
def shop(built: Builder) -> Path:
    return built(SHOP, "gcp").out


def test_deploy_script_is_valid_bash(sample: Path, shop: Path) -> None:
    bash = shutil.which("bash")
    assert bash, "bash is needed to check deploy.sh"
    for project in (sample, shop):
        script = project / "deploy.sh"
        assert script.stat().st_mode & 0o111
        completed = subprocess.run([bash, "-n", str(script)], capture_output=True, text=True)
        assert completed.returncode == 0, completed.stderr


def _deploy_command(script: str, name: str) -> str:
    match = re.search(rf"^gcloud functions deploy {name} --gen2.*?(?<!\\)\n", script, re.M | re.S)
    assert match, f"no deploy command for {name}"
    return match.group(0)


def test_script_creates_one_function_per_polyfn_function(sample: Path) -> None:
    script = (sample / "deploy.sh").read_text()
    assert 'REGION="${REGION:-europe-west1}"' in script
    assert len(re.findall(r"^gcloud functions deploy ", script, re.M)) == 9
    ping = _deploy_command(script, "sampler-dev-ping")
    # Public through the API Gateway only (tests/deploy/test_front_door.py).
    assert "--entry-point http --trigger-http --no-allow-unauthenticated" in ping
    assert "--no-allow-unauthenticated" in _deploy_command(script, "sampler-dev-read-file")
    ingest = _deploy_command(script, "sampler-dev-ingest")
    assert '--trigger-event-filters "type=google.cloud.storage.object.v1.finalized"' in ingest
    assert '--trigger-event-filters "bucket=${BUCKET_FILES}"' in ingest
    assert "--entry-point events --retry" in ingest and "--timeout 120s" in ingest
    forget = _deploy_command(script, "sampler-dev-forget")
    assert "google.cloud.storage.object.v1.deleted" in forget
    work = _deploy_command(script, "sampler-dev-work")
    assert '--trigger-topic "${QUEUE_JOBS}"' in work and "--retry" in work
    assert '--dead-letter-topic "${QUEUE_JOBS_DLQ}" --max-delivery-attempts 5' in script
    order = _deploy_command(script, "sampler-dev-on-order")
    # An app event bus is a Pub/Sub topic; Eventarc's trigger on it takes every message.
    assert '--trigger-topic "${EVENT_BUS_ORDERS}"' in order
    assert 'EVENT_BUS_ORDERS="sampler-dev-orders"' in script
    nightly = _deploy_command(script, "sampler-dev-nightly")
    assert "--max-instances 2" in nightly and "--min-instances 1" in nightly
    assert "gcloud scheduler jobs create http sampler-dev-nightly-schedule" in script
    assert "--schedule '0 6 * * 1-5' --time-zone Etc/UTC" in script
    assert 'QUEUE_JOBS="sampler-dev-jobs"' in script
    assert 'BUCKET_FILES="sampler-dev-files-${PROJECT_ID}"' in script


def test_shop_script_raises_dead_letter_attempts_to_pubsubs_minimum(shop: Path) -> None:
    script = (shop / "deploy.sh").read_text()
    assert "# max_receives=3, but Pub/Sub allows 5-100 delivery attempts: using 5." in script
    assert "--max-delivery-attempts 5" in script
    # The ack deadline is the queue's deployed visibility (6x send_email's 30 s), and a
    # failed message comes back after the queue's 30 s retry delay, as locally and on Azure.
    assert "--ack-deadline 180 --min-retry-delay 30s --max-retry-delay 600s" in script
    lines = [
        line for line in (shop / "requirements.txt").read_text().splitlines()
        if line and not line.startswith("#")
    ]  # fmt: skip
    names = {re.split(r"[<>=~!]", line)[0].lower() for line in lines}
    assert {
        "functions-framework",
        "google-cloud-storage",
        "google-cloud-pubsub",
        "google-cloud-firestore",
    } <= names
    assert not any(n.startswith(("boto", "azure")) for n in names)


# ----------------------------------------------------------------------------- servers


def _environment(script: str, name: str) -> dict[str, str]:
    """The variables deploy.sh sets for ``name``, with PROJECT_ID=test-project."""
    values = {"PROJECT_ID": PROJECT}
    for var, value in re.findall(
        r'^([A-Z][A-Z0-9_]*)="([^"$]*(?:\$\{PROJECT_ID\}[^"$]*)*)"$', script, re.M
    ):
        values[var] = value.replace("${PROJECT_ID}", PROJECT)
    [pairs] = re.findall(r'--set-env-vars "([^"]+)"', _deploy_command(script, name))
    expanded = re.sub(r"\$\{([A-Z0-9_]+)\}", lambda m: values[m.group(1)], pairs)
    return dict(pair.split("=", 1) for pair in expanded.split(","))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    def __init__(
        self, project: Path, target: str, signature: str, env: dict[str, str], markers: Path
    ) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [
            str(FUNCTIONS_FRAMEWORK),
            "--target",
            target,
            "--source",
            str(project / "main.py"),
        ]
        command += ["--signature-type", signature, "--host", "127.0.0.1", "--port", str(self.port)]
        self.process = subprocess.Popen(
            command,
            cwd=project,
            env={
                "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
                **env,
                "SAMPLE_MARKERS": str(markers),
            },
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def wait(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"functions-framework exited: {self.process.stdout.read()}")  # type: ignore[union-attr]
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.1)
        raise AssertionError("functions-framework did not start within 30 s")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def send(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        request = urllib.request.Request(
            self.url + path, data=body or None, method=method, headers=headers or {}
        )
        try:
            with urllib.request.urlopen(request, timeout=20) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()


@pytest.fixture(scope="module")
def servers(
    sample: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[dict[str, Server], Path]]:
    assert FUNCTIONS_FRAMEWORK.exists(), "functions-framework is not installed in this environment"
    markers = tmp_path_factory.mktemp("markers") / "markers.txt"
    script = (sample / "deploy.sh").read_text()
    started = {
        "ping": Server(sample, "http", "http", _environment(script, "sampler-dev-ping"), markers),
        "nightly": Server(
            sample, "http", "http", _environment(script, "sampler-dev-nightly"), markers
        ),
        "ingest": Server(
            sample, "events", "cloudevent", _environment(script, "sampler-dev-ingest"), markers
        ),
        "work": Server(
            sample, "events", "cloudevent", _environment(script, "sampler-dev-work"), markers
        ),
        "on_order": Server(
            sample, "events", "cloudevent", _environment(script, "sampler-dev-on-order"), markers
        ),
    }
    try:
        for server in started.values():
            server.wait()
        yield started, markers
    finally:
        for server in started.values():
            server.stop()


def _marks(markers: Path) -> list[str]:
    return markers.read_text().splitlines() if markers.exists() else []


def _cloudevent(
    kind: str, source: str, data: dict[str, Any], subject: str | None = None
) -> dict[str, Any]:
    event = {
        "specversion": "1.0",
        "id": f"evt-{time.monotonic_ns()}",
        "source": source,
        "type": kind,
        "time": "2026-11-27T10:00:00Z",
        "datacontenttype": "application/json",
        "data": data,
    }
    if subject:
        event["subject"] = subject
    return event


def _binary(server: Server, event: dict[str, Any]) -> int:
    headers = {f"ce-{k}": str(v) for k, v in event.items() if k not in ("data", "datacontenttype")}
    headers["Content-Type"] = "application/json"
    return server.send("POST", "/", json.dumps(event["data"]).encode(), headers)[0]


def _structured(server: Server, event: dict[str, Any]) -> int:
    headers = {"Content-Type": "application/cloudevents+json"}
    return server.send("POST", "/", json.dumps(event).encode(), headers)[0]


def _storage(key: str) -> dict[str, Any]:
    # Cloud Storage's object data: size is a string, as Google documents it.
    bucket = f"sampler-dev-files-{PROJECT}"
    data = {
        "bucket": bucket,
        "name": key,
        "size": "12",
        "contentType": "text/csv",
        "etag": "CKi1",
        "generation": "1",
    }
    return _cloudevent(
        "google.cloud.storage.object.v1.finalized",
        f"//storage.googleapis.com/projects/_/buckets/{bucket}",
        data,
        subject=f"objects/{key}",
    )


def _pubsub(payload: dict[str, Any]) -> dict[str, Any]:
    message = {
        "data": base64.b64encode(json.dumps(payload).encode()).decode(),
        "messageId": f"m-{time.monotonic_ns()}",
        "publishTime": "2026-11-27T10:00:00Z",
        "attributes": {},
    }
    return _cloudevent(
        "google.cloud.pubsub.topic.v1.messagePublished",
        f"//pubsub.googleapis.com/projects/{PROJECT}/topics/sampler-dev-jobs",
        {"message": message, "subscription": f"projects/{PROJECT}/subscriptions/eventarc-sub"},
    )


def test_http_function_serves_routes_and_polyfn_errors(
    servers: tuple[dict[str, Server], Path],
) -> None:
    started, markers = servers
    status, body = started["ping"].send("GET", "/ping?n=1")
    assert (status, json.loads(body)) == (200, {"pong": True})
    status, body = started["ping"].send("GET", "/nowhere")
    assert status == 404 and json.loads(body)["error"]["request_id"]
    assert "ping 1" in _marks(markers)


def test_storage_cloudevents_in_both_modes(servers: tuple[dict[str, Server], Path]) -> None:
    started, markers = servers
    ingest = started["ingest"]
    assert _binary(ingest, _storage("in/a.csv")) // 100 == 2
    assert _structured(ingest, _storage("in/b.csv")) // 100 == 2
    assert _structured(ingest, _storage("out/ignored.txt")) // 100 == 2  # filtered, not run
    assert _binary(ingest, _storage("in/fail.csv")) // 100 != 2  # raised: Eventarc retries
    marks = _marks(markers)
    assert "ingest files in/a.csv" in marks and "ingest files in/b.csv" in marks
    assert not any("ignored" in mark for mark in marks)


def test_pubsub_messages_succeed_or_fail_alone(servers: tuple[dict[str, Server], Path]) -> None:
    started, markers = servers
    work = started["work"]
    assert _structured(work, _pubsub({"sku": "ok-1"})) // 100 == 2
    assert _binary(work, _pubsub({"sku": "bad-1", "fail": True})) // 100 != 2  # not acknowledged
    marks = _marks(markers)
    assert any(m.startswith("work ok-1") for m in marks) and any(
        m.startswith("work bad-1") for m in marks
    )


def test_other_cloudevents_and_scheduler_calls(servers: tuple[dict[str, Server], Path]) -> None:
    started, markers = servers
    order = _cloudevent("order.created", "sampler.orders", {"order": 7})
    assert _binary(started["on_order"], order) // 100 == 2
    status, _ = started["nightly"].send(
        "POST",
        "/",
        headers={
            "X-CloudScheduler": "true",
            "X-CloudScheduler-JobName": "sampler-dev-nightly-schedule",
        },
    )
    assert status // 100 == 2
    marks = _marks(markers)
    assert f"order {order['id']}" in marks
    assert "nightly nightly" in marks


def test_every_gcloud_line_parses_against_gclouds_own_command_tree(
    sample: Path, shop: Path
) -> None:
    for project in (sample, shop):
        assert check_script(project / "deploy.sh") > 20


def test_the_gcloud_line_check_refuses_what_gcloud_would() -> None:
    check_line('gcloud functions deploy f --gen2 "${P[@]}" --concurrency 4 --cpu 1')
    for line, error in (
        ("gcloud functions deploy f --no-such-flag 1", "has no flag --no-such-flag"),
        ("gcloud pubsub subscriptions update s --ack-deadline", "needs a value"),
        ("gcloud functions", "is a group"),
        ("gcloud functions deploy f --retry=yes", "takes no value"),
        ("gcloud scheduler jobs create http j --http-method FETCH", "takes one of"),
    ):
        with pytest.raises(GcloudLineError, match=error):
            check_line(line)


def test_an_object_name_filter_is_stated_as_filtered_in_code_and_billed(shop: Path) -> None:
    from polyfn.deploy.limits import check_app
    from polyfn.loading import load_app

    [finding] = [f for f in check_app(load_app(str(SHOP)), "gcp") if f.limit == "object_filter"]
    assert finding.level == "warn" and finding.function == "thumbnail"
    assert "every object created in 'uploads' invokes the function" in finding.message
    assert "filter_match_ratio" in finding.message
    script = (shop / "deploy.sh").read_text()
    assert "# Eventarc filters storage events by bucket and type only" in script
