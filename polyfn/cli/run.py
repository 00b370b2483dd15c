"""``polyfn run APP``: run an app on this machine, every trigger included.

HTTP routes are served on ``--host:--port``; writes to the app's buckets (and files
dropped into their folders) fire object events; each consumed queue has a worker; schedules
fire at their times. See ``polyfn.adapters.local.entry`` and the README's "Running
locally".
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import os
import socket
import sys
from pathlib import Path

from polyfn.cli.errors import UsageError
from polyfn.core.errors import ConfigError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from polyfn.adapters.local.limits import ServerLimits

_DEFAULT_PORT = 8080
_DEFAULT_HOST = "127.0.0.1"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("app", help="module:attr, a .py file, or a folder with an app.py")
    parser.add_argument(
        "--port", type=int, default=_DEFAULT_PORT, help="HTTP port (default 8080; 0: a free one)"
    )
    parser.add_argument(
        "--host", default=_DEFAULT_HOST, help="address to listen on (default 127.0.0.1)"
    )
    parser.add_argument(
        "--data-dir",
        help="where buckets, queues and tables live (default $POLYFN_DATA_DIR or ./.polyfn)",
    )
    parser.add_argument(
        "--reload", action="store_true", help="restart when a .py file of the app changes"
    )
    parser.add_argument(
        "--fire",
        action="append",
        default=[],
        metavar="FUNCTION",
        help="fire this scheduled function once at start (repeatable)",
    )
    parser.add_argument(
        "--max-body",
        default=None,
        metavar="SIZE",
        help="largest request body, answered 413 above it (default 6MB, Lambda's limit; "
        "Cloud Functions takes 32MB, Azure 100MB)",
    )
    parser.add_argument(
        "--idle-timeout",
        type=float,
        default=None,
        metavar="S",
        help="close a connection that sends nothing for S seconds (default 30)",
    )
    parser.add_argument(
        "--max-connections",
        type=int,
        default=None,
        metavar="N",
        help="connections served at once; more are answered 503 (default 100)",
    )
    parser.add_argument(
        "--visibility-timeout",
        type=float,
        default=None,
        metavar="S",
        help="cap on each queue's visibility timeout: a failed message comes back after "
        "at most S seconds (default 5)",
    )
    parser.add_argument(
        "--log-format",
        choices=("text", "json"),
        default="text",
        help="log lines as readable text (default) or one JSON object each, with the "
        "fields a cloud's log has (function, request, trace and correlation ids)",
    )


def run(args: argparse.Namespace) -> int:
    from polyfn.adapters.local.backends import DATA_DIR_VARIABLE, data_dir_from_env
    from polyfn.adapters.local.entry import DEFAULT_VISIBILITY_CAP_SECONDS

    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port must be 0-65535, got {args.port}")
    visibility = (
        DEFAULT_VISIBILITY_CAP_SECONDS
        if args.visibility_timeout is None
        else args.visibility_timeout
    )
    if not 0 <= visibility <= 43200:
        raise UsageError(f"--visibility-timeout must be 0-43200 seconds, got {visibility:g}")
    limits = _limits(args)
    if args.data_dir:
        os.environ[DATA_DIR_VARIABLE] = str(Path(args.data_dir).resolve())
    data_dir = data_dir_from_env()
    # The app may touch a resource while it is imported; it must find the same data dir.
    os.environ[DATA_DIR_VARIABLE] = str(data_dir)
    if args.reload:
        return _run_reloading(args, data_dir, visibility, limits)
    return _run_once(args, data_dir, visibility, limits)


def _limits(args: argparse.Namespace) -> ServerLimits:
    from polyfn.adapters.local.limits import ServerLimits, parse_size

    defaults = ServerLimits()
    max_body = defaults.max_body
    if args.max_body is not None:
        try:
            max_body = parse_size(args.max_body)
        except ValueError as exc:
            raise UsageError(f"--max-body: {exc}") from None
    idle = defaults.idle_timeout if args.idle_timeout is None else args.idle_timeout
    if not idle > 0:
        raise UsageError(f"--idle-timeout must be more than 0 seconds, got {idle:g}")
    connections = defaults.max_connections if args.max_connections is None else args.max_connections
    if connections < 1:
        raise UsageError(f"--max-connections must be at least 1, got {connections}")
    return ServerLimits(max_body=max_body, idle_timeout=idle, max_connections=connections)


def _run_once(
    args: argparse.Namespace, data_dir: Path, visibility: float, limits: ServerLimits
) -> int:
    from polyfn.adapters.local.entry import LocalRuntime, RuntimeOptions, StartFailed
    from polyfn.loading import AppNotFound, load_app

    _configure_logging(getattr(args, "log_format", "text"))
    try:
        app = load_app(args.app)
    except AppNotFound as exc:
        raise UsageError(str(exc)) from None
    except ConfigError as exc:
        raise UsageError(f"{args.app}: {exc}") from None
    options = RuntimeOptions(
        data_dir=data_dir,
        host=args.host,
        port=args.port,
        visibility_timeout=visibility,
        fire=list(args.fire),
        limits=limits,
    )
    try:
        runtime = LocalRuntime(app, options)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    except OSError as exc:
        raise UsageError(
            f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}; "
            "choose another --port (0 picks a free one)"
        ) from None
    try:
        runtime.serve_forever()
    except StartFailed as exc:
        raise UsageError(f"cannot start {app.name}: {exc}") from None
    _report_metrics(runtime.backends.app_dir)
    return 0


def _configure_logging(log_format: str) -> None:
    from polyfn.adapters.common.log_json import JsonLineFormatter, TextFormatter

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLineFormatter() if log_format == "json" else TextFormatter())
    logging.basicConfig(level=logging.INFO, handlers=[handler])


def _report_metrics(app_dir: Path) -> None:
    """The metrics summary on exit, and kept for ``polyfn metrics``."""
    from polyfn.adapters.local.metrics import save_summary, summary_text

    text = summary_text()
    if text:
        print(text, file=sys.stderr, flush=True)
    save_summary(app_dir)


def _run_reloading(
    args: argparse.Namespace, data_dir: Path, visibility: float, limits: ServerLimits
) -> int:
    from polyfn.adapters.local.reloader import supervise
    from polyfn.loading import AppNotFound, resolve_app_source

    try:
        file, module, _ = resolve_app_source(args.app)
    except AppNotFound as exc:
        raise UsageError(str(exc)) from None
    folder = file.parent if file is not None else _module_folder(module)
    # Every restart must listen where the first one did: choose "a free port" once, here.
    port = args.port or _free_port(args.host)

    def child_argv(first: bool) -> list[str]:
        argv = [
            sys.executable,
            "-c",
            # Not ``-m polyfn.cli``: that would load cli.py twice (as __main__ too), and
            # the UsageError the command raises would not be the one main() catches.
            "from polyfn.cli import main; raise SystemExit(main())",
            "run",
            args.app,
            "--host",
            args.host,
            "--port",
            str(port),
            "--data-dir",
            str(data_dir),
            "--visibility-timeout",
            str(visibility),
            "--max-body",
            str(limits.max_body),
            "--idle-timeout",
            str(limits.idle_timeout),
            "--max-connections",
            str(limits.max_connections),
            "--log-format",
            args.log_format,
        ]
        if first:  # --fire means "once at start", not once per reload
            for name in args.fire:
                argv += ["--fire", name]
        return argv

    return supervise(child_argv, folder, skip=[data_dir])


def _free_port(host: str) -> int:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def _module_folder(module: str) -> Path:
    """The folder of a ``module:attr`` app's top-level package or module (else the current one)."""
    top = module.split(".")[0]
    if "" not in sys.path:
        sys.path.insert(0, "")
    try:
        spec = importlib.util.find_spec(top)
    except (ImportError, ValueError):
        spec = None
    if spec is None or spec.origin is None:
        return Path.cwd()
    return Path(spec.origin).parent  # the package's folder, or the module's
