"""Cloud emulators for tests: moto (AWS), Azurite (Azure Storage), gcp-storage-emulator.

Each emulator is a context manager that starts it on 127.0.0.1 and free ports, waits until
it answers, yields an endpoint that knows the environment variables pointing polyfn (and
the cloud SDKs) at it, and stops it on exit. An emulator that is not installed raises
``EmulatorUnavailable`` saying how to install it: a test suite that needs one fails
loudly instead of skipping and passing for the wrong reason.

moto and gcp-storage-emulator are Python servers and run on threads of this process;
Azurite is a Node program and runs as a child process started from its binary directly,
so its PID is ours to stop (terminate, then kill).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "AZURITE_ACCOUNT",
    "AZURITE_KEY",
    "AwsEmulator",
    "AzuriteEmulator",
    "EmulatorUnavailable",
    "GcsEmulator",
    "azurite",
    "find_azurite",
    "free_port",
    "gcs_emulator",
    "moto_server",
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
