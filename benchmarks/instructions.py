"""Instructions per call under cachegrind: the figure that does not move with machine load.

    python benchmarks/instructions.py                 # AWS v2 GET and POST
    python benchmarks/instructions.py --case "AWS SQS batch of 10"
    python benchmarks/instructions.py --table         # the local table (table_sqlite.py)

Timings on a shared 2-core machine move by tens of percent with its load; instruction
counts under ``valgrind --tool=cachegrind`` repeat to the instruction. Each candidate runs
in a child process twice, with N and 2N calls, and the difference divided by N is its
cost per call: start-up, imports and the first calls cancel out. Needs valgrind.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
_CHILD = """
import sys
sys.path[:0] = [{root!r}, {here!r}]
import logging
import cases
from run import log_like_lambda
log_like_lambda()
[case] = [c for c in cases.all_cases() if c.name == {case!r}]
call = case.candidates[{candidate!r}]
for _ in range({calls}):
    call()
"""


# The local table's cases (table_sqlite.py): candidate 0 is polyfn, 1 the hand-written.
_TABLE_CHILD = """
import sys, tempfile
from pathlib import Path
sys.path[:0] = [{root!r}, {here!r}]
import table_sqlite
with tempfile.TemporaryDirectory() as tmp, table_sqlite.table_cases(Path(tmp)) as cases:
    call = cases[{case!r}][{candidate!r}]
    for _ in range({calls}):
        call()
"""


def instructions(case: str, candidate: str | int, calls: int) -> int:
    """Instructions cachegrind counts for a child that makes ``calls`` calls (a table
    case when ``candidate`` is an index, else a case of cases.py)."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "cachegrind.out"
        child = _TABLE_CHILD if isinstance(candidate, int) else _CHILD
        code = child.format(
            root=str(HERE.parent), here=str(HERE), case=case, candidate=candidate, calls=calls
        )
        env = {**os.environ, "PYTHONHASHSEED": "0"}
        result = subprocess.run(
            [
                "valgrind",
                "--tool=cachegrind",
                "--cache-sim=no",
                f"--cachegrind-out-file={out}",
                sys.executable,
                "-c",
                code,
            ],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        found = re.search(r"I\s+refs:\s+([\d,]+)", result.stderr)
        if result.returncode != 0 or found is None:
            raise RuntimeError(f"cachegrind failed for {candidate}: {result.stderr[-2000:]}")
        return int(found.group(1).replace(",", ""))


def per_call(case: str, candidate: str | int, calls: int) -> float:
    return (instructions(case, candidate, 2 * calls) - instructions(case, candidate, calls)) / calls


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--case",
        action="append",
        help="a case name from benchmarks/cases.py (default: the AWS v2 GET and POST)",
    )
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument(
        "--table",
        action="store_true",
        help="the local table against hand-written sqlite3 (benchmarks/table_sqlite.py)",
    )
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        print("instructions.py needs valgrind (apt-get install valgrind)", file=sys.stderr)
        return 2
    if args.table:
        sys.path.insert(0, str(HERE))
        import table_sqlite

        calls = min(args.calls, 300)  # a batch write is 100 items: 300 calls suffice
        for name in table_sqlite.CASES:
            hand = per_call(name, 1, calls)
            polyfn = per_call(name, 0, calls)
            print(f"{name}: hand-written {hand / 1000:.1f}k, polyfn {polyfn / 1000:.1f}k "
                  f"instructions per call ({polyfn / hand:.2f}x)")  # fmt: skip
        return 0
    names = args.case or ["AWS HTTP API v2 GET /users/{id}", "AWS HTTP API v2 POST (300 B JSON)"]
    for name in names:
        hand = per_call(name, "hand-written", args.calls)
        polyfn = per_call(name, "polyfn", args.calls)
        print(f"{name}: hand-written {hand / 1000:.1f}k, polyfn {polyfn / 1000:.1f}k "
              f"instructions per call ({polyfn / hand:.2f}x)")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
