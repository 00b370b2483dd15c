"""``polyfn run --reload``: run the runtime in a child process and restart it when code changes.

The parent never imports the app; it polls the modification times of the ``.py`` files
under the app's folder once a second (skipping hidden folders, virtualenvs, caches and
the data directory) and, on a change, stops the child with SIGTERM (so it finishes its
work in flight) and starts a new one. A child that dies (a syntax error while editing)
is restarted on the next change. SIGTERM or Ctrl-C stops the child, then the parent.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType

__all__ = ["RELOAD_POLL_SECONDS", "source_mtimes", "supervise"]

RELOAD_POLL_SECONDS = 1.0
_SKIPPED_FOLDERS = {"__pycache__", "node_modules", "venv", "build", "dist"}
_STOP_GRACE_SECONDS = 30.0


def source_mtimes(folder: Path, skip: Sequence[Path] = ()) -> dict[str, int]:
    """Modification time of every ``.py`` file under ``folder``, by path."""
    skipped = {os.path.realpath(path) for path in skip}
    mtimes: dict[str, int] = {}
    for root, dirs, files in os.walk(folder):
        dirs[:] = [
            d
            for d in dirs
            if not d.startswith(".")
            and d not in _SKIPPED_FOLDERS
            and os.path.realpath(os.path.join(root, d)) not in skipped
        ]
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(root, name)
                try:
                    mtimes[path] = os.stat(path).st_mtime_ns
                except FileNotFoundError:
                    continue  # removed while walking; the next poll sees it gone
    return mtimes


def supervise(
    child_argv: Callable[[bool], list[str]],
    folder: Path,
    *,
    skip: Sequence[Path] = (),
    poll_seconds: float = RELOAD_POLL_SECONDS,
) -> int:
    """Run ``child_argv(first)`` and restart it on every change under ``folder``."""
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    mtimes = source_mtimes(folder, skip)
    child = subprocess.Popen(child_argv(True))
    reported_exit = False
    try:
        while not stop.wait(poll_seconds):
            if child.poll() is not None and not reported_exit:
                reported_exit = True
                _say(f"the app exited with code {child.returncode}; waiting for a change")
            current = source_mtimes(folder, skip)
            if current == mtimes:
                continue
            changed = sorted(set(current.items()) ^ set(mtimes.items()))
            mtimes = current
            _say(f"{Path(changed[0][0]).name} changed; restarting")
            _stop_child(child)
            child = subprocess.Popen(child_argv(False))
            reported_exit = False
    finally:
        _stop_child(child)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


def _stop_child(child: subprocess.Popen[bytes]) -> None:
    if child.poll() is not None:
        return
    child.send_signal(signal.SIGTERM)
    try:
        child.wait(_STOP_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        _say("the app did not stop in time; killing it")
        child.kill()
        child.wait()


def _say(message: str) -> None:
    print(f"polyfn run --reload: {message}", file=sys.stderr, flush=True)
