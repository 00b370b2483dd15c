"""Running ``polyfn run`` as a real process on 127.0.0.1 for the tests, and talking to it."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from polyfn import App
from polyfn.adapters.local.backends import LocalBackends

APP_FILE = Path(__file__).resolve().parent / "apps" / "runapp.py"
_URL = re.compile(r"on (http://127\.0\.0\.1:\d+)")
READY_TIMEOUT = 20.0


class RunningApp:
    """One ``polyfn run`` child process; stop it with ``terminate`` or ``kill``."""

    def __init__(
        self,
        data_dir: Path,
        log_dir: Path,
        extra: Sequence[str] = (),
        *,
        app: Path = APP_FILE,
        port: int = 0,
    ) -> None:
        self.data_dir = data_dir
        log_dir.mkdir(parents=True, exist_ok=True)
        self.stderr_path = log_dir / f"stderr-{time.monotonic_ns()}.log"
        self.stdout_lines: list[str] = []
        argv = [
            sys.executable,
            "-c",
            # Not ``-m polyfn.cli``: that runs cli.py as __main__, a second copy whose
            # UsageError is not the one the commands raise.
            "from polyfn.cli import main; raise SystemExit(main())",
            "run",
            str(app),
            "--port",
            str(port),
            "--data-dir",
            str(data_dir),
            *extra,
        ]
        env = {k: v for k, v in os.environ.items() if k != "POLYFN_FUNCTION"}
        with open(self.stderr_path, "wb") as stderr:
            self.process = subprocess.Popen(
                argv, stdout=subprocess.PIPE, stderr=stderr, stdin=subprocess.DEVNULL, env=env
            )
        self._reader = threading.Thread(target=self._read_stdout, daemon=True)
        self._reader.start()
        self.url = self._wait_for_url()

    def _read_stdout(self) -> None:
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            self.stdout_lines.append(raw.decode("utf-8", "replace").rstrip("\n"))

    def _wait_for_url(self) -> str:
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            for line in list(self.stdout_lines):
                found = _URL.search(line)
                if found:
                    return found.group(1)
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        self.kill()
        raise AssertionError(f"polyfn run did not start: {self.stderr_text()[-2000:]}")

    def stderr_text(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def invocations(self) -> list[dict[str, Any]]:
        lines = []
        for line in self.stderr_text().splitlines():
            if line.startswith("{"):
                lines.append(json.loads(line))
        return lines

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.url + path, data=data, method=method, headers={"content-type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    def terminate(self, timeout: float = 20.0) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def seen_table(data_dir: Path) -> tuple[App, LocalBackends]:
    """The test app's ``seen`` table, read from the test process."""
    app = App("runapp")
    app.table("seen")
    app.queue("jobs", max_receives=3)
    backends = LocalBackends(data_dir, "runapp")
    app.bind(backends)
    return app, backends


def seen_ids(app: App, prefix: str = "") -> list[str]:
    return [item["id"] for item in app.tables["seen"].query(prefix, limit=1000)]


def wait_for(condition: Callable[[], bool], timeout: float = 15.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or 'the app'}")
        time.sleep(0.05)
