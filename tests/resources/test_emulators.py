"""The emulator fixtures fail loudly, saying how to install what is missing."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest

from polyfn.testing.emulators import (
    EmulatorUnavailable,
    azurite,
    find_azurite,
    find_gcloud,
    firestore_emulator,
    gcs_emulator,
    moto_server,
    pubsub_emulator,
)


def test_a_missing_azurite_binary_says_how_to_get_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POLYFN_AZURITE", str(tmp_path / "nowhere" / "azurite"))

    with pytest.raises(EmulatorUnavailable, match="is not a file"):
        find_azurite()


def test_an_azurite_that_dies_at_start_reports_what_it_said(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = tmp_path / "azurite"
    broken.write_text("#!/bin/sh\necho 'Exit due to unhandled error: port in use' >&2\nexit 3\n")
    broken.chmod(0o755)
    monkeypatch.setenv("POLYFN_AZURITE", str(broken))

    with pytest.raises(EmulatorUnavailable, match=r"code 3.*port in use"), azurite():
        pass


@pytest.mark.parametrize(
    ("module", "start", "hint"),
    [("moto.server", moto_server, "moto"), ("gcp_storage_emulator.server", gcs_emulator, "gcp")],
)
def test_a_missing_python_emulator_says_how_to_install_it(
    module: str, start: object, hint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # makes the import fail

    with pytest.raises(EmulatorUnavailable, match=rf"{hint}.*make install"), start():  # type: ignore[operator]
        pass


def test_azurite_listens_on_three_ports_and_stops_on_exit() -> None:
    with azurite() as emulator:
        ports = (emulator.blob_port, emulator.queue_port, emulator.table_port)
        for port in ports:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        assert f"127.0.0.1:{emulator.table_port}" in emulator.connection_string

    for port in ports:
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=1).close()


@pytest.mark.parametrize("start", [pubsub_emulator, firestore_emulator])
def test_without_gcloud_the_google_emulators_say_what_to_install(
    start: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))

    with (
        pytest.raises(EmulatorUnavailable, match=r"gcloud.*google-cloud-cli-pubsub-emulator"),
        start(),  # type: ignore[operator]
    ):
        pass


def test_without_java_the_google_emulators_say_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gcloud = tmp_path / "gcloud"
    gcloud.write_text("#!/bin/sh\nexit 0\n")
    gcloud.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))

    with pytest.raises(EmulatorUnavailable, match=r"Java runtime.*openjdk"):
        find_gcloud()


def _processes_in_group(group: int) -> list[str]:
    """The live (not zombie) processes of a process group, from /proc."""
    found = []
    for status in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = status.read_text()
        except OSError:
            continue
        command, rest = text.split(" (", 1)[1].rsplit(")", 1)
        state, _, pgrp = rest.split()[:3]
        if int(pgrp) == group and state != "Z":
            found.append(command)
    return found


@pytest.mark.slow
def test_the_pubsub_emulator_and_its_java_process_stop_on_exit() -> None:
    with pubsub_emulator() as emulator:
        socket.create_connection(("127.0.0.1", int(emulator.host.rsplit(":", 1)[1])), 1).close()
        assert "java" in _processes_in_group(emulator.pid)  # gcloud's child, in our group

    assert _processes_in_group(emulator.pid) == []
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", int(emulator.host.rsplit(":", 1)[1])), 1).close()
