"""polyfn's benchmarks: per-invocation overhead, import cost, memory and bundle size.

    python benchmarks/run.py            # the table
    python benchmarks/run.py --json     # one JSON object with the same figures
    make bench                          # builds .bench-venv with the peers, then runs this

Every polyfn figure is compared, in the same run, with a hand-written handler doing the
same work, and on the AWS HTTP path with the peers. Ratios are what to read: absolute
microseconds move with the machine.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import auth_cost
import bundle
import cases
import coldstart
import route_scale
import workflow_overhead
from timing import per_call_us

TARGETS = {
    "invocation_ratio": 2.0,  # polyfn / hand-written, SQS batch of 10
    "http_ratio": 1.5,  # polyfn / hand-written, AWS v2 GET and POST
    "share_ratio": 2.0,  # (polyfn) / (hand-written) on the Azure and GCP HTTP paths
    "import_ms": 10.0,
    # ms to import an every-trigger-kind handler module after awslambdaric's imports; it
    # must load no typing and no third-party module either.
    "lambda_cold_start_ms": 5.0,
    "route_scale_ratio": 1.3,  # v2 GET through $default: 1,000 routes / 1 route
    "memory_mb": 3.0,
    "bundle_kb": 300.0,
    # ms the local workflow executor adds per state transition, SQLite durable (issue 15)
    "workflow_overhead_ms": workflow_overhead.TARGET_OVERHEAD_MS,
}


class _Discard:
    """A log stream that keeps nothing: formatting is measured, terminal output is not."""

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass


def log_like_lambda() -> None:
    # The Lambda Python runtime puts a handler on the root logger that writes every
    # record, with this layout, to the function's log stream; failures in the cases are
    # logged through one like it, so what logging costs is in the figures.
    logging.basicConfig(
        stream=_Discard(),
        format="[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(message)s",
        force=True,
    )


def invocation_table(rounds: int) -> list[dict[str, Any]]:
    rows = []
    for case in cases.all_cases():
        timings = per_call_us(case.candidates, rounds=rounds) if case.candidates else {}
        base = timings.get("hand-written", 1.0)
        for name, us in timings.items():
            rows.append(
                {
                    "case": case.name,
                    "handler": name,
                    "us": round(us, 2),
                    "ratio": round(us / base, 2),
                    "target": case.target if name == "polyfn" else None,
                }
            )
        for name, error in case.unavailable.items():
            target = case.target if name == "all" else None  # a whole cloud missing
            rows.append(
                {"case": case.name, "handler": name, "us": None, "error": error, "target": target}
            )
    return rows


def route_scale_table(rounds: int) -> dict[str, Any]:
    timings = per_call_us(route_scale.candidates(), rounds=rounds)
    base = timings["1 route"]
    worst = max(us for name, us in timings.items() if name.startswith("1000 "))
    return {
        "us": {name: round(us, 2) for name, us in timings.items()},
        "ratio_1000_to_1": round(worst / base, 2),
    }


def auth_table(rounds: int) -> dict[str, Any]:
    with auth_cost.candidates() as candidates:
        return auth_cost.table(per_call_us(candidates, rounds=rounds))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--rounds", type=int, default=15, help="rounds per case (median)")
    parser.add_argument("--processes", type=int, default=15, help="fresh processes (median)")
    args = parser.parse_args()
    started = time.perf_counter()
    log_like_lambda()
    report: dict[str, Any] = {
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
        "targets": TARGETS,
        "invocations": invocation_table(args.rounds),
        "route_scale": route_scale_table(args.rounds),
        "auth": auth_table(args.rounds),
        "imports": coldstart.import_costs(args.processes),
        "lambda_cold_start": coldstart.lambda_cold_start(args.processes),
        "first_response_ms": coldstart.first_response(cases.memory_event(), args.processes),
        "runtime_client_first_answer_ms": coldstart.runtime_client_first_answer(
            cases.memory_event(), args.processes
        ),
        "memory_mb": coldstart.peak_memory(cases.memory_event(), args.processes),
        "bundle": bundle.polyfn_share(),
        "workflow": workflow_overhead.measure(),
    }
    report["seconds"] = round(time.perf_counter() - started, 1)
    report["verdict"] = verdict(report)
    if args.json:
        json.dump(report, sys.stdout, indent=2)
        print()
    else:
        print_table(report)
    return 0 if all(report["verdict"].values()) else 1


def verdict(report: dict[str, Any]) -> dict[str, bool]:
    checks: dict[str, bool] = {}
    for row in report["invocations"]:
        if row.get("target") is not None:
            measured = row["us"] is not None
            checks[f"invocation: {row['case']}"] = measured and row["ratio"] <= row["target"]
    scale = report["route_scale"]
    checks["route scale: 1,000 routes / 1 route"] = (
        scale["ratio_1000_to_1"] <= TARGETS["route_scale_ratio"]
    )
    checks.update(auth_cost.checks(report["auth"]))
    lam = report["lambda_cold_start"][next(iter(coldstart.LAMBDA_HANDLERS))]
    checks["Lambda cold start after the runtime client, no typing/third-party"] = (
        lam["ms"] is not None
        and lam["ms"] <= TARGETS["lambda_cold_start_ms"]
        and not lam["flagged"]
    )
    imports = report["imports"]
    bare = imports["bare python"]["ms"] or 0.0
    ours = imports["polyfn + aws adapter + 10-route app"]
    checks["import ms over bare python"] = (
        ours["ms"] is not None
        and ours["ms"] - bare <= TARGETS["import_ms"]
        and not ours["third_party"]
    )
    memory = report["memory_mb"]
    checks["peak RSS over hand-written"] = (
        memory["polyfn"] - memory["hand-written"] <= TARGETS["memory_mb"]
    )
    checks["AWS bundle share"] = report["bundle"]["zip_kb"] <= TARGETS["bundle_kb"]
    checks["workflow executor overhead per transition"] = (
        report["workflow"]["overhead_ms_per_transition"] <= TARGETS["workflow_overhead_ms"]
    )
    return checks


def print_table(report: dict[str, Any]) -> None:
    m = report["machine"]
    print(f"polyfn benchmarks: Python {m['python']} on {m['platform']}, {m['cpus']} CPUs\n")
    print(f"{'case':<34} {'handler':<36} {'µs/call':>9} {'x hand':>7}")
    print("-" * 90)
    last = None
    for row in report["invocations"]:
        case = row["case"] if row["case"] != last else ""
        last = row["case"]
        if row.get("us") is None:
            print(f"{case:<34} {row['handler']:<36} {'n/a':>9}  ({row['error']})")
            continue
        mark = ""
        if row.get("target") is not None:
            mark = "  ok" if row["ratio"] <= row["target"] else f"  OVER {row['target']}x"
        print(f"{case:<34} {row['handler']:<36} {row['us']:>9.2f} {row['ratio']:>6.2f}x{mark}")
    scale = report["route_scale"]
    print("\nroute lookup scale: AWS v2 GET through $default (µs/call)")
    for name, us in scale["us"].items():
        print(f"  {name:<40} {us:>7.2f}")
    target = TARGETS["route_scale_ratio"]
    ratio = scale["ratio_1000_to_1"]
    mark = "ok" if ratio <= target else f"OVER {target}x"
    print(f"  {'1,000 routes (slower pick) / 1 route':<40} {ratio:>6.2f}x  {mark}")
    auth = report["auth"]
    print("\nauth on the AWS v2 GET path (µs/call)")
    for name, us in auth["us"].items():
        print(f"  {name:<40} {us:>7.2f}")
    print(
        f"  platform-validated / anonymous: {auth['platform_ratio']:.2f}x "
        f"(target <= {auth_cost.PLATFORM_TARGET}x)\n"
        f"  polyfn-verified adds {auth['verified_over_anonymous_us']:.1f} µs for a token seen "
        f"first ({auth['verified_ratio_to_signature']:.2f}x one signature check, "
        f"{auth['signature_us']:.1f} µs; target <= 1x), "
        f"{auth['repeated_over_anonymous_us']:.1f} µs for a repeated token "
        f"({auth['repeated_ratio_to_signature']:.2f}x)"
    )
    print(
        "\nLambda cold start: import of the handler module after awslambdaric's imports "
        f"(target <= {TARGETS['lambda_cold_start_ms']:.0f} ms, no typing, no third-party)"
    )
    for name, row in report["lambda_cold_start"].items():
        if row.get("ms") is None:
            print(f"  {name:<58} n/a ({row.get('error')})")
            continue
        flagged = ", ".join(row["flagged"]) or "-"
        stdlib = ", ".join(row["stdlib_added"]) or "-"
        print(
            f"  {name:<58} {row['ms']:>6.2f} ms  {row['modules']:>3} new modules; "
            f"flagged: {flagged}; stdlib added: {stdlib}"
        )
    print("\nimport (ms, in a fresh process; third-party modules loaded)")
    bare = report["imports"]["bare python"]["ms"] or 0.0
    for name, row in report["imports"].items():
        if row.get("ms") is None:
            print(f"  {name:<40} n/a ({row.get('error')})")
        else:
            extra = f"+{row['ms'] - bare:.1f} ms" if name != "bare python" else ""
            print(f"  {name:<40} {row['ms']:>7.1f} {extra:>10}  {row['third_party'] or '-'}")
    first = report["first_response_ms"]
    print(
        f"\nfrom nothing to the first v2 answer (import, app, one call): hand-written "
        f"{first['hand-written']:.1f} ms, polyfn {first['polyfn']:.1f} ms "
        f"(+{first['polyfn'] - first['hand-written']:.1f} ms)"
    )
    ric = report["runtime_client_first_answer_ms"]
    base = ric["hand-written (one module)"]
    print(
        "\nLambda cold start under awslambdaric: process start -> first answer at the "
        "Runtime API (median)"
    )
    for name, ms in ric.items():
        print(f"  {name:<40} {ms:>7.1f} ms  {ms / base:>5.2f}x hand-written")
    mem = report["memory_mb"]
    print(
        f"\npeak RSS after one invocation: hand-written {mem['hand-written']:.1f} MB, "
        f"polyfn {mem['polyfn']:.1f} MB (+{mem['polyfn'] - mem['hand-written']:.1f} MB)"
    )
    b = report["bundle"]
    print(f"polyfn's share of the AWS bundle: {b['zip_kb']:.0f} KB zipped, {b['files']} files")
    w = report["workflow"]
    print(
        f"\nlocal workflow executor ({w['tasks']} tasks in sequence, SQLite, durable): "
        f"{w['executor_ms_per_run']:.3f} ms per run vs {w['direct_ms_per_run']:.3f} ms calling "
        f"the tasks in a loop; {w['overhead_ms_per_transition']:.3f} ms per transition, "
        f"{w['transitions_per_second']:.0f} transitions/s"
    )
    print("\ntargets:")
    for name, ok in report["verdict"].items():
        print(f"  {'ok  ' if ok else 'MISS'} {name}")
    print(f"\n({report['seconds']} s)")


if __name__ == "__main__":
    raise SystemExit(main())
