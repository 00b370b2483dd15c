"""Instructions per call under cachegrind: the figure that does not move with machine load.

    python benchmarks/instructions.py                 # AWS v2 GET and POST
    python benchmarks/instructions.py --case "AWS SQS batch of 10"
    python benchmarks/instructions.py --table         # the local table (table_sqlite.py)
    python benchmarks/instructions.py --auth          # benchmarks/auth_cost.py's candidates

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
# auth_cost's candidates live inside its context manager (the local issuer serves the
# JWKS while they run). The issuer's RSA key is the one in {key!r}: generating a key
# takes a random number of instructions, which would not cancel out between children.
_AUTH_CHILD = """
import sys
sys.path[:0] = [{root!r}, {here!r}]
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
with open({key!r}, "rb") as pem:
    _key = serialization.load_pem_private_key(pem.read(), password=None)
rsa.generate_private_key = lambda **_: _key
import auth_cost
from run import log_like_lambda
log_like_lambda()
with auth_cost.candidates() as candidates:
    call = candidates[{candidate!r}]
    for _ in range({calls}):
        call()
"""


_FIXED_KEY = Path(tempfile.gettempdir()) / "polyfn-instructions-issuer-key.pem"


def _fixed_key() -> str:
    if not _FIXED_KEY.exists():
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        _FIXED_KEY.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    return str(_FIXED_KEY)


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
        if isinstance(candidate, int):
            template = _TABLE_CHILD
        else:
            template = _AUTH_CHILD if case == AUTH else _CHILD
        code = template.format(
            root=str(HERE.parent),
            here=str(HERE),
            case=case,
            candidate=candidate,
            calls=calls,
            key=_fixed_key() if case == AUTH else "",
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


AUTH = "auth"


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
    parser.add_argument(
        "--auth", action="store_true", help="auth_cost.py's candidates, against its anonymous GET"
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
    if args.auth:
        return auth_instructions(args.calls)
    names = args.case or ["AWS HTTP API v2 GET /users/{id}", "AWS HTTP API v2 POST (300 B JSON)"]
    for name in names:
        hand = per_call(name, "hand-written", args.calls)
        polyfn = per_call(name, "polyfn", args.calls)
        print(f"{name}: hand-written {hand / 1000:.1f}k, polyfn {polyfn / 1000:.1f}k "
              f"instructions per call ({polyfn / hand:.2f}x)")  # fmt: skip
    return 0


def auth_instructions(calls: int) -> int:
    sys.path.insert(0, str(HERE))
    import auth_cost

    names = [
        "anonymous",
        "platform-validated JWT",
        "polyfn-verified RS256, first sight",
        "polyfn-verified RS256, repeated",
        "one RS256 signature check",
    ]
    counts = {name: per_call(AUTH, name, calls) for name in names}
    base = counts["anonymous"]
    signature = counts["one RS256 signature check"]
    for name, count in counts.items():
        print(f"{name}: {count / 1000:.1f}k instructions per call")
    print(
        f"platform-validated / anonymous: {counts['platform-validated JWT'] / base:.2f}x "
        f"(target <= {auth_cost.PLATFORM_TARGET}x)"
    )
    for name in ("polyfn-verified RS256, first sight", "polyfn-verified RS256, repeated"):
        extra = counts[name] - base
        print(
            f"{name} - anonymous: {extra / 1000:.1f}k, {extra / signature:.2f}x one signature check"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
