"""What each cold-start trick in polyfn/core/_speed.py is worth, measured.

    .bench-venv/bin/python benchmarks/tricks.py          (make bench builds .bench-venv)

Import costs are medians over fresh ``python -S`` interpreters (no ``.pth`` files, as on
Lambda), each timing one import statement itself, in two settings: after ``import
awslambdaric.bootstrap`` (what a Lambda process has loaded before the handler) and bare
(nothing loaded: a local run, a test, a runtime that preloads less).
Per-invocation figures time the v2 GET of benchmarks/cases.py with and without the
trick, interleaved.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import sysconfig
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

ROOT = Path(__file__).resolve().parent.parent

# What each trick avoids importing at cold start.
IMPORTS = {
    "typing (cheap_typing's Generic/overload, TYPE_CHECKING = False)": "import typing",
    "collections.abc (the _collections_abc imports)": "import collections.abc",
    "json (json_codec builds on first use)": "import json",
    "re (schedule's rate parser, routing's literal checks)": "import re",
    "dataclasses": "import dataclasses",
    "inspect": "import inspect",
    "urllib.parse": "import urllib.parse",
    "datetime (schedule imports it in next_fire)": "import datetime",
}

_CHILD = """
import sys, time
{before}
t = time.perf_counter()
{statement}
print((time.perf_counter() - t) * 1000)
"""


def _ms(statement: str, before: str, runs: int) -> float | None:
    before = f"import os\nsys.path.append({sysconfig.get_paths()['purelib']!r})\n{before}"
    samples = []
    for _ in range(runs + 1):
        out = subprocess.run(
            [sys.executable, "-S", "-c", _CHILD.format(before=before, statement=statement)],
            capture_output=True,
            text=True,
            check=False,
            env={"PYTHONDONTWRITEBYTECODE": "", "PATH": "/usr/bin:/bin"},
        )
        if out.returncode != 0:
            return None
        samples.append(float(out.stdout))
    return statistics.median(samples[1:])


def import_table(runs: int = 21) -> dict[str, tuple[float | None, float | None]]:
    """(ms after awslambdaric, ms on a bare -S interpreter) per avoided import."""
    return {
        name: (_ms(statement, "import awslambdaric.bootstrap", runs), _ms(statement, "", runs))
        for name, statement in IMPORTS.items()
    }


def encoder_table(rounds: int = 15) -> dict[str, float]:
    """v2 GET µs/call with json_codec's prebuilt C encoder, and with json.JSONEncoder."""
    import json

    import cases
    from timing import per_call_us

    from polyfn.adapters import aws
    from polyfn.core import json_codec
    from polyfn.hosts.events import aws as events

    handler = aws.lambda_handler(cases._app(), backends="keep")
    event, ctx = cases.memory_event(), events.lambda_context()
    fast = json_codec.encode
    slow = json.JSONEncoder(
        separators=(",", ":"), ensure_ascii=False, default=json_codec._default
    ).encode

    def with_fast() -> object:
        json_codec.encode = fast
        return handler(event, ctx)

    def with_slow() -> object:
        json_codec.encode = slow
        return handler(event, ctx)

    data = {"id": "123"}
    try:
        return per_call_us(
            {
                "v2 GET, prebuilt C encoder": with_fast,
                "v2 GET, json.JSONEncoder().encode": with_slow,
                'encode {"id": "123"}, prebuilt': lambda: fast(data),
                'encode {"id": "123"}, JSONEncoder': lambda: slow(data),
            },
            rounds=rounds,
        )
    finally:
        json_codec.encode = fast


def main() -> None:
    print("import cost avoided (ms, median of fresh interpreters)")
    print(f"  {'module':<66} {'after awslambdaric':>18} {'bare -S':>8}")
    for name, (lam, bare) in import_table().items():
        lam_text = "n/a" if lam is None else f"{lam:.2f}"
        bare_text = "n/a" if bare is None else f"{bare:.2f}"
        print(f"  {name:<66} {lam_text:>18} {bare_text:>8}")
    print("\nper invocation (µs/call)")
    for name, us in encoder_table().items():
        print(f"  {name:<40} {us:>7.2f}")


if __name__ == "__main__":
    main()
