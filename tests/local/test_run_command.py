"""``polyfn run``'s command line: clear one-line errors, and ``--reload``."""

from __future__ import annotations

import shutil
import socket
import time
from pathlib import Path

import pytest

from polyfn.cli import main

from .processes import APP_FILE, RunningApp, free_port, wait_for


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["no/such/app.py"], "no such file"),
        ([str(APP_FILE.parent)], "folder without an app.py"),
        ([str(APP_FILE), "--fire", "nightly"], "no scheduled function 'nightly'"),
        ([str(APP_FILE), "--fire", "work"], "(scheduled: daily)"),
        ([str(APP_FILE), "--port", "70000"], "--port must be 0-65535"),
        ([str(APP_FILE), "--visibility-timeout", "-1"], "--visibility-timeout must be"),
        ([str(APP_FILE), "--max-body", "6TB"], "--max-body: expected a size such as 6MB"),
        ([str(APP_FILE), "--idle-timeout", "0"], "--idle-timeout must be more than 0"),
        ([str(APP_FILE), "--max-connections", "0"], "--max-connections must be at least 1"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(
    arguments: list[str],
    message: str,
    data_dir: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["run", *arguments, "--data-dir", str(data_dir)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("polyfn run: ")
    assert message in err
    assert "\n" not in err


def test_a_port_in_use_is_a_usage_error(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code = main(["run", str(APP_FILE), "--port", str(port), "--data-dir", str(data_dir)])
    assert code == 2
    assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err


def test_reload_restarts_on_a_code_change(tmp_path: Path) -> None:
    app_folder = tmp_path / "project"
    app_folder.mkdir()
    shutil.copy(APP_FILE, app_folder / "app.py")
    port = free_port()
    running = RunningApp(
        tmp_path / "data", tmp_path / "logs", ["--reload"], app=app_folder, port=port
    )
    try:
        assert running.request("GET", "/notes/x")[1]["error"]["message"] == "no such note"
        source = (app_folder / "app.py").read_text()
        time.sleep(0.05)  # a distinct modification time even on coarse clocks
        (app_folder / "app.py").write_text(source.replace("no such note", "note not found"))

        def reloaded() -> bool:
            try:
                _, body = running.request("GET", "/notes/x")
            except OSError:
                return False  # between the old process and the new one
            return bool(body["error"]["message"] == "note not found")

        wait_for(reloaded, timeout=15, what="the reloaded app")
        assert "app.py changed; restarting" in running.stderr_text()
        assert running.terminate() == 0
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
    finally:
        running.kill()
