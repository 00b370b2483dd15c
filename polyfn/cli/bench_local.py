"""``polyfn bench-local APP``: load-test an app served by ``polyfn run`` on this machine.

- HTTP: ``polyfn run`` is started as a child process on 127.0.0.1 and a free port (or
  ``--url`` points at a server already running), loaded with ``--requests`` requests
  from ``--concurrency`` keep-alive workers, and stopped again.
- ``--compare-functions-framework``: the same load against a built-in one-route app
  served by ``polyfn run``, the same app as ``gcp.http_function`` on functions-framework's
  own server (gunicorn), and the route written by hand for plain functions-framework:
  the first pair shows what the local server costs, the second what polyfn's
  translation costs.
- ``--queue NAME``: local queue throughput end to end (see ``bench_queue``), on APP's
  queue or, without APP, on a built-in no-op consumer with batch size 10.

Every run is bounded by ``--duration`` as well as by its count, and its data lives in a
temporary folder, never in the user's data directory.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from polyfn.cli.bench_queue import QueueResult, consumer_batch_size, measure_queue
from polyfn.cli.bench_servers import (
    BENCH_PATH,
    BENCH_QUEUE,
    functions_framework_command,
    polyfn_run_command,
    serve,
    write_bench_apps,
)
from polyfn.cli.errors import UsageError
from polyfn.cli.loadgen import LoadResult, LoadSpec, run_load

Results = dict[str, tuple[LoadSpec, LoadResult]]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("app", nargs="?", help="the app to serve (module:attr, file or folder)")
    parser.add_argument("--url", help="load an already running server instead of starting one")
    parser.add_argument("--requests", "-n", type=int, default=2000, help="requests to send")
    parser.add_argument("--concurrency", "-c", type=int, default=8, help="concurrent workers")
    parser.add_argument("--path", default="/", help="request path (default /)")
    parser.add_argument("--method", default="GET", help="request method (default GET)")
    parser.add_argument("--body", help="request body (text)")
    parser.add_argument(
        "--header", action="append", default=[], metavar="'NAME: VALUE'", help="request header"
    )
    parser.add_argument("--port", type=int, default=0, help="port for the server (default free)")
    parser.add_argument(
        "--duration", type=float, default=60.0, help="stop after this many seconds (default 60)"
    )
    parser.add_argument(
        "--warmup", type=int, default=None, help="requests sent before measuring (default N/20)"
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument(
        "--compare-functions-framework",
        action="store_true",
        help="measure polyfn run against a hand-written functions-framework handler",
    )
    parser.add_argument("--queue", help="measure this queue's throughput instead of HTTP")
    parser.add_argument("--messages", type=int, default=2000, help="messages for --queue")
    parser.add_argument(
        "--message-body", default='{"n": 1}', help="body of each message for --queue"
    )


def run(args: argparse.Namespace) -> int:
    if args.requests < 1 or args.concurrency < 1 or args.messages < 1 or args.duration <= 0:
        raise UsageError(
            "--requests, --concurrency and --messages must be at least 1, --duration positive"
        )
    if args.app and args.url:
        raise UsageError("give either APP or --url, not both")
    if args.queue is not None:
        if args.url or args.compare_functions_framework:
            raise UsageError("--queue measures a queue of APP (or the built-in app) on its own")
        result = _bench_queue(args)
        _report_queue(result, as_json=args.json)
        return 1 if result.left or result.dead_lettered else 0
    if not args.compare_functions_framework and not args.app and not args.url:
        raise UsageError("give an APP to serve, --url of a running server, or a comparison")
    results = _bench_http(args)
    _report(results, as_json=args.json)
    return 1 if any(result.errors for _, result in results.values()) else 0


# ----------------------------------------------------------------------------- HTTP


def _bench_http(args: argparse.Namespace) -> Results:
    headers = _parse_headers(args.header)
    body = args.body.encode() if args.body is not None else None
    warmup = args.warmup if args.warmup is not None else min(200, args.requests // 20)

    def measure(url: str, path: str) -> tuple[LoadSpec, LoadResult]:
        try:
            spec = LoadSpec(
                url=url,
                path=path,
                method=args.method.upper(),
                body=body,
                headers=headers,
                requests=args.requests,
                concurrency=args.concurrency,
                duration=args.duration,
            )
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        if warmup > 0:
            # Warm imports, connections and caches so the numbers are the steady state.
            run_load(_replace_count(spec, warmup))
        return spec, run_load(spec)

    results: Results = {}
    if args.url:
        results[args.url] = measure(args.url, args.path)
        return results
    with tempfile.TemporaryDirectory(prefix="polyfn-bench-") as name:
        folder = Path(name)
        if args.compare_functions_framework:
            apps = write_bench_apps(folder)
            command = polyfn_run_command(str(apps.polyfn_app), folder / "data")
            with serve(command, args.port, folder) as url:
                results["polyfn run"] = measure(url, BENCH_PATH)
            command = functions_framework_command(apps.polyfn_main, "http")
            with serve(command, 0, folder, {"POLYFN_DATA_DIR": str(folder / "data")}) as url:
                results["polyfn on functions-framework"] = measure(url, BENCH_PATH)
            with serve(functions_framework_command(apps.flask_main, "hello"), 0, folder) as url:
                results["functions-framework"] = measure(url, BENCH_PATH)
        else:
            with serve(polyfn_run_command(args.app, folder / "data"), args.port, folder) as url:
                results[f"polyfn run {args.app}"] = measure(url, args.path)
    return results


def _replace_count(spec: LoadSpec, requests: int) -> LoadSpec:
    return LoadSpec(
        url=spec.url,
        path=spec.path,
        method=spec.method,
        body=spec.body,
        headers=spec.headers,
        requests=requests,
        concurrency=spec.concurrency,
        duration=min(spec.duration, 30.0),
    )


def _parse_headers(values: Sequence[str]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for value in values:
        name, sep, content = value.partition(":")
        if not sep or not name.strip():
            raise UsageError(f"--header expects 'Name: value', got {value!r}")
        headers[name.strip()] = content.strip()
    return headers


# ----------------------------------------------------------------------------- queue


def _bench_queue(args: argparse.Namespace) -> QueueResult:
    from polyfn.core.errors import ConfigError
    from polyfn.loading import AppNotFound, load_app

    with tempfile.TemporaryDirectory(prefix="polyfn-bench-") as name:
        folder = Path(name)
        app_spec = args.app or str(write_bench_apps(folder).polyfn_app)
        queue = args.queue if args.app else BENCH_QUEUE
        try:
            app = load_app(app_spec)
        except (AppNotFound, ConfigError) as exc:
            raise UsageError(str(exc)) from None
        consumer_batch_size(app, queue)  # a queue nobody consumes fails here, before starting
        data_dir = folder / "data"
        with serve(polyfn_run_command(app_spec, data_dir), args.port, folder):
            return measure_queue(
                app,
                queue,
                data_dir,
                messages=args.messages,
                body=args.message_body.encode(),
                duration=args.duration,
            )


# ----------------------------------------------------------------------------- report


def _report(results: Results, *, as_json: bool) -> None:
    if as_json:
        document: dict[str, Any] = {
            name: {
                "method": spec.method,
                "path": spec.path,
                "concurrency": spec.concurrency,
                **result.to_dict(),
            }
            for name, (spec, result) in results.items()
        }
        json.dump(document, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return
    for name, (spec, result) in results.items():
        summary = result.to_dict()
        latency = summary["latency_ms"]
        statuses = ", ".join(f"{status}: {count}" for status, count in summary["statuses"].items())
        print(f"{name}  {spec.method} {spec.path}  ({spec.concurrency} workers)")
        print(f"  requests     {result.completed} in {result.elapsed:.2f} s")
        print(f"  requests/s   {result.requests_per_second:.1f}")
        print(
            f"  latency ms   p50 {latency['p50']:.2f}  p90 {latency['p90']:.2f}  "
            f"p99 {latency['p99']:.2f}  max {latency['max']:.2f}"
        )
        print(f"  errors       {result.errors}  (statuses {statuses or 'none'})")
        for kind, count in result.transport_errors.items():
            print(f"  transport    {kind}: {count}")
        if result.stopped_by_time:
            print(f"  stopped at the {spec.duration:.0f} s limit before all requests were sent")
    if len(results) > 1:
        *others, (baseline, (_, base)) = results.items()
        for name, (_, result) in others:
            if base.requests_per_second > 0:
                ratio = result.requests_per_second / base.requests_per_second
                print(f"{name} serves {ratio:.2f}x the requests/s of {baseline}")


def _report_queue(result: QueueResult, *, as_json: bool) -> None:
    if as_json:
        json.dump({"queue": result.to_dict()}, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return
    print(f"queue {result.queue}  (batch {result.batch_size})")
    print(f"  messages     {result.messages - result.left} in {result.elapsed:.2f} s")
    print(f"  messages/s   {result.messages_per_second:.1f}")
    print(f"  dead-letter  {result.dead_lettered}")
    if result.left:
        print(f"  {result.left} message(s) still queued at the time limit")
