"""Cloud emulators for tests: moto (AWS), Azurite (Azure Storage), gcp-storage-emulator,
and the Google Cloud CLI's Pub/Sub and Firestore emulators.

Each emulator is a context manager that starts it on 127.0.0.1 and free ports, waits until
it answers, yields an endpoint that knows the environment variables pointing polyfn (and
the cloud SDKs) at it, and stops it on exit. An emulator that is not installed raises
``EmulatorUnavailable`` saying how to install it: a test suite that needs one fails
loudly instead of skipping and passing for the wrong reason.

moto and gcp-storage-emulator are Python servers and run on threads of this process;
Azurite is a Node program and runs as a child process started from its binary directly,
so its PID is ours to stop (terminate, then kill). The Pub/Sub and Firestore emulators
are Java programs that ``gcloud`` starts as its own child: each runs in a new process
group of its own, and stopping kills that group, so the Java process dies with gcloud.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "AZURITE_ACCOUNT",
    "AZURITE_KEY",
    "AwsEmulator",
    "AzuriteEmulator",
    "EmulatorUnavailable",
    "FirestoreEmulator",
    "GcsEmulator",
    "PubSubEmulator",
    "azurite",
    "find_azurite",
    "find_gcloud",
    "firestore_emulator",
    "free_port",
    "gcloud_emulators",
    "gcs_emulator",
    "moto_server",
    "pubsub_emulator",
]

# The well-known development account every Azure Storage emulator accepts
# (learn.microsoft.com "Use the Azurite emulator", "Authorization for tools and SDKs").
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)

_READY_TIMEOUT = 30.0
_STOP_GRACE = 5.0


class EmulatorUnavailable(RuntimeError):
    """An emulator is not installed or did not start; the message says how to fix it."""


# ----------------------------------------------------------------------------- helpers


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_port(port: int, deadline: float, process: subprocess.Popen[bytes], log: Path) -> None:
    while True:
        if process.poll() is not None:
            said = log.read_text(errors="replace").strip()[-2000:] if log.exists() else ""
            raise EmulatorUnavailable(
                f"the emulator process exited with code {process.returncode} before "
                f"listening on port {port}" + (f": {said}" if said else "")
            )
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise EmulatorUnavailable(
                    f"nothing listened on 127.0.0.1:{port} within {_READY_TIMEOUT:.0f} s"
                ) from None
            time.sleep(0.05)


def _wait_for_http(url: str, deadline: float) -> None:
    """Wait until ``url`` answers HTTP at all (any status means the server is up)."""
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            if time.monotonic() > deadline:
                raise EmulatorUnavailable(
                    f"{url} did not answer within {_READY_TIMEOUT:.0f} s"
                ) from None
            time.sleep(0.05)


def _stop_process(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=_STOP_GRACE)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=_STOP_GRACE)


# ----------------------------------------------------------------------------- moto


@dataclass(frozen=True)
class AwsEmulator:
    """A running moto server; ``environ`` points boto3 and polyfn's AWS backends at it."""

    url: str
    region: str = "us-east-1"

    @property
    def environ(self) -> dict[str, str]:
        return {
            "AWS_ENDPOINT_URL": self.url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
        }

    def reset(self) -> None:
        """Forget every bucket, queue and table (moto's own reset endpoint)."""
        request = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=10):
            pass


@contextlib.contextmanager
def moto_server() -> Iterator[AwsEmulator]:
    """moto in server mode on a thread of this process (S3, SQS, DynamoDB and the rest)."""
    try:
        from moto.server import ThreadedMotoServer
    except ImportError as exc:
        raise EmulatorUnavailable(
            "moto's server mode is not installed: `make install` installs it "
            "(or `.venv/bin/pip install 'moto[server]'`)"
        ) from exc
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_for_http(f"{url}/moto-api/", time.monotonic() + _READY_TIMEOUT)
        yield AwsEmulator(url)
    finally:
        server.stop()


# ----------------------------------------------------------------------------- Azurite


@dataclass(frozen=True)
class AzuriteEmulator:
    """A running Azurite (blob, queue and table); ``environ`` holds its connection string."""

    blob_port: int
    queue_port: int
    table_port: int
    pid: int

    @property
    def connection_string(self) -> str:
        base = f"http://127.0.0.1:{{port}}/{AZURITE_ACCOUNT}"
        return (
            "DefaultEndpointsProtocol=http;"
            f"AccountName={AZURITE_ACCOUNT};AccountKey={AZURITE_KEY};"
            f"BlobEndpoint={base.format(port=self.blob_port)};"
            f"QueueEndpoint={base.format(port=self.queue_port)};"
            f"TableEndpoint={base.format(port=self.table_port)};"
        )

    @property
    def environ(self) -> dict[str, str]:
        return {"AZURE_STORAGE_CONNECTION_STRING": self.connection_string}


def find_azurite(start: Path | None = None) -> Path:
    """The ``azurite`` binary: ``$POLYFN_AZURITE``, else ``node_modules/.bin`` upwards."""
    override = os.environ.get("POLYFN_AZURITE")
    if override:
        path = Path(override)
        if not path.is_file():
            raise EmulatorUnavailable(f"POLYFN_AZURITE={override} is not a file")
        return path
    bases = [start or Path.cwd(), Path(__file__).resolve()]
    for base in bases:
        for folder in (base, *base.parents):
            candidate = folder / "node_modules" / ".bin" / "azurite"
            if candidate.is_file():
                return candidate
    raise EmulatorUnavailable(
        "Azurite is not installed: `make test` installs it with npm (or run "
        "`npm install` in the repository, which reads package.json)"
    )


@contextlib.contextmanager
def azurite() -> Iterator[AzuriteEmulator]:
    """Azurite from ``node_modules/.bin/azurite``, in memory, on three free ports."""
    binary = find_azurite()
    if shutil.which("node") is None:
        raise EmulatorUnavailable("Azurite needs Node.js (`node`) on PATH")
    blob, queue, table = free_port(), free_port(), free_port()
    # In memory, so no data lands on disk; the temporary working directory holds the
    # process's output (read back when it fails to start) and whatever else it writes.
    workspace = Path(tempfile.mkdtemp(prefix="polyfn-azurite-"))
    log = workspace / "azurite.log"
    command = [
        str(binary),
        "--blobHost", "127.0.0.1", "--blobPort", str(blob),
        "--queueHost", "127.0.0.1", "--queuePort", str(queue),
        "--tableHost", "127.0.0.1", "--tablePort", str(table),
        "--inMemoryPersistence",
        "--disableTelemetry", "--skipApiVersionCheck", "--loose", "--silent",
    ]  # fmt: skip
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, cwd=workspace, stdin=subprocess.DEVNULL, stdout=output, stderr=output
        )
    try:
        deadline = time.monotonic() + _READY_TIMEOUT
        for port in (blob, queue, table):
            _wait_for_port(port, deadline, process, log)
        yield AzuriteEmulator(blob, queue, table, process.pid)
    finally:
        _stop_process(process)
        shutil.rmtree(workspace, ignore_errors=True)


# ----------------------------------------------------------------------------- Cloud Storage


@dataclass(frozen=True)
class GcsEmulator:
    """A running gcp-storage-emulator; ``environ`` points google-cloud-storage at it."""

    url: str
    project: str = "polyfn-test"

    @property
    def environ(self) -> dict[str, str]:
        return {"STORAGE_EMULATOR_HOST": self.url, "GOOGLE_CLOUD_PROJECT": self.project}


@contextlib.contextmanager
def gcs_emulator() -> Iterator[GcsEmulator]:
    """gcp-storage-emulator on a thread of this process, storing in memory."""
    try:
        from gcp_storage_emulator.server import create_server
    except ImportError as exc:
        raise EmulatorUnavailable(
            "gcp-storage-emulator is not installed: `make install` installs it "
            "(or `.venv/bin/pip install gcp-storage-emulator`)"
        ) from exc
    port = free_port()
    server = create_server("127.0.0.1", port, in_memory=True)
    server.start()
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_for_http(f"{url}/storage/v1/b", time.monotonic() + _READY_TIMEOUT)
        yield GcsEmulator(url)
    finally:
        server.stop()


# ----------------------------------------------------------------------------- Pub/Sub, Firestore

GCLOUD_PROJECT = "polyfn-test"
# A JVM starting on a busy 2-core machine is slower than the Python servers above.
_JAVA_READY_TIMEOUT = 90.0
_INSTALL_GCLOUD = (
    "install the Google Cloud CLI (cloud.google.com/sdk/docs/install) with its emulators: "
    "`apt-get install google-cloud-cli google-cloud-cli-pubsub-emulator "
    "google-cloud-cli-firestore-emulator` (or `gcloud components install beta "
    "pubsub-emulator cloud-firestore-emulator`)"
)
# Environment for every gcloud run: no prompt, no update check, no usage report, and a
# configuration directory of its own (never the user's account or project settings).
_QUIET_GCLOUD = {
    "CLOUDSDK_CORE_DISABLE_PROMPTS": "1",
    "CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK": "1",
    "CLOUDSDK_CORE_DISABLE_USAGE_REPORTING": "1",
}


@dataclass(frozen=True)
class PubSubEmulator:
    """gcloud's Pub/Sub emulator; ``environ`` points google-cloud-pubsub at it."""

    host: str
    pid: int
    project: str = GCLOUD_PROJECT

    @property
    def environ(self) -> dict[str, str]:
        return {"PUBSUB_EMULATOR_HOST": self.host, "GOOGLE_CLOUD_PROJECT": self.project}


@dataclass(frozen=True)
class FirestoreEmulator:
    """gcloud's Firestore emulator (native mode); ``environ`` points google-cloud-firestore
    at it."""

    host: str
    pid: int
    project: str = GCLOUD_PROJECT

    @property
    def environ(self) -> dict[str, str]:
        return {"FIRESTORE_EMULATOR_HOST": self.host, "GOOGLE_CLOUD_PROJECT": self.project}


def find_gcloud() -> Path:
    """The ``gcloud`` binary on PATH, once it is known that Java (which both emulators
    run on) is there too."""
    gcloud = shutil.which("gcloud")
    if gcloud is None:
        raise EmulatorUnavailable(f"`gcloud` is not on PATH: {_INSTALL_GCLOUD}")
    if shutil.which("java") is None:
        raise EmulatorUnavailable(
            "the Pub/Sub and Firestore emulators need a Java runtime (`java` on PATH, JRE 11 "
            "or newer): `apt-get install openjdk-17-jre-headless`"
        )
    return Path(gcloud)


@dataclass
class _Started:
    """A gcloud emulator process that was started and may not listen yet."""

    process: subprocess.Popen[bytes]
    port: int
    workspace: Path
    log: Path

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def wait(self, deadline: float) -> None:
        _wait_for_port(self.port, deadline, self.process, self.log)
        # Both answer "Ok" on GET / once their API is up.
        _wait_for_http(f"http://{self.host}/", deadline)

    def stop(self) -> None:
        _stop_group(self.process)
        shutil.rmtree(self.workspace, ignore_errors=True)


def _start_gcloud(service: str, arguments: list[str], *, data_dir: bool = False) -> _Started:
    gcloud = find_gcloud()
    port = free_port()
    workspace = Path(tempfile.mkdtemp(prefix=f"polyfn-{service}-"))
    (workspace / "config").mkdir()
    log = workspace / f"{service}.log"
    environ = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("CLOUDSDK_") and not name.endswith("_EMULATOR_HOST")
    }
    environ.update(_QUIET_GCLOUD, CLOUDSDK_CONFIG=str(workspace / "config"))
    command = [str(gcloud), *arguments, f"--host-port=127.0.0.1:{port}"]
    if data_dir:
        # Pub/Sub writes an env.yaml there; by default it would land in the CLI's config.
        (workspace / "data").mkdir()
        command.append(f"--data-dir={workspace / 'data'}")
    with log.open("wb") as output:
        # A new session makes a new process group led by gcloud, which the Java emulator
        # it starts joins: stopping the group stops both.
        process = subprocess.Popen(
            command,
            cwd=workspace,
            env=environ,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=output,
            start_new_session=True,
        )
    return _Started(process, port, workspace, log)


def _start_pubsub() -> _Started:
    arguments = ["beta", "emulators", "pubsub", "start", f"--project={GCLOUD_PROJECT}"]
    return _start_gcloud("pubsub", arguments, data_dir=True)


def _start_firestore() -> _Started:
    arguments = ["emulators", "firestore", "start", "--database-mode=firestore-native"]
    return _start_gcloud("firestore", arguments)


@contextlib.contextmanager
def _running(*starts: Callable[[], _Started]) -> Iterator[list[_Started]]:
    """Start every emulator at once, then wait for all: they start in parallel."""
    started: list[_Started] = []
    try:
        for start in starts:
            # One by one, so that those started before a failing one are stopped too.
            started.append(start())  # noqa: PERF401
        deadline = time.monotonic() + _JAVA_READY_TIMEOUT
        for emulator in started:
            emulator.wait(deadline)
        yield started
    finally:
        for emulator in started:
            emulator.stop()


@contextlib.contextmanager
def pubsub_emulator() -> Iterator[PubSubEmulator]:
    """``gcloud beta emulators pubsub start`` on a free port of 127.0.0.1."""
    with _running(_start_pubsub) as (pubsub,):
        yield PubSubEmulator(pubsub.host, pubsub.process.pid)


@contextlib.contextmanager
def firestore_emulator() -> Iterator[FirestoreEmulator]:
    """``gcloud emulators firestore start`` (native mode) on a free port of 127.0.0.1."""
    with _running(_start_firestore) as (firestore,):
        yield FirestoreEmulator(firestore.host, firestore.process.pid)


@contextlib.contextmanager
def gcloud_emulators() -> Iterator[tuple[PubSubEmulator, FirestoreEmulator]]:
    """Both gcloud emulators, started in parallel (each JVM takes seconds to come up)."""
    with _running(_start_pubsub, _start_firestore) as (pubsub, firestore):
        yield (
            PubSubEmulator(pubsub.host, pubsub.process.pid),
            FirestoreEmulator(firestore.host, firestore.process.pid),
        )


def _stop_group(process: subprocess.Popen[bytes]) -> None:
    """Stop the process group ``process`` leads (it and the Java process it started)."""
    group = process.pid
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal.SIGTERM)
    try:
        process.wait(timeout=_STOP_GRACE)
    except subprocess.TimeoutExpired:
        pass
    deadline = time.monotonic() + _STOP_GRACE
    while time.monotonic() < deadline and _group_alive(group):
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal.SIGKILL)
    if process.poll() is None:
        process.wait(timeout=_STOP_GRACE)


def _group_alive(group: int) -> bool:
    """Whether a process of ``group`` is still running (a zombie waiting for its parent
    to collect it does not count: it holds nothing)."""
    for status in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = status.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # After the command: state, ppid, pgrp.
        if int(fields[2]) == group and fields[0] != "Z":
            return True
    return False
