"""``polyfn metrics APP``: what the app's functions emitted under the last ``polyfn run``.

``polyfn run`` prints the same summary when it stops and keeps it in the app's data
folder; this reads it back: per metric and dimensions, the invocations that added it
and its total (counters), last value (gauges) or count, min, mean and max (histograms).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from polyfn.cli.errors import UsageError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("app", help="module:attr, a .py file, or a folder with an app.py")
    parser.add_argument(
        "--data-dir", help="as given to polyfn run (default $POLYFN_DATA_DIR or ./.polyfn)"
    )
    parser.add_argument("--format", default="text", choices=("text", "json"))


def run(args: argparse.Namespace) -> int:
    from polyfn.adapters.local.backends import DATA_DIR_VARIABLE, LocalBackends, data_dir_from_env
    from polyfn.adapters.local.metrics import load_summary, summary_text
    from polyfn.loading import AppNotFound, load_app

    if args.data_dir:
        os.environ[DATA_DIR_VARIABLE] = str(Path(args.data_dir).resolve())
    try:
        app = load_app(args.app)
    except AppNotFound as exc:
        raise UsageError(str(exc)) from None
    app_dir = LocalBackends(data_dir_from_env(), app.name).app_dir
    rows = load_summary(app_dir)
    if rows is None:
        raise UsageError(f"no metrics for {app.name} in {app_dir}: run it with polyfn run first")
    if args.format == "json":
        print(json.dumps(rows, indent=2))
    else:
        print(summary_text(rows) or f"{app.name}: no metrics were emitted in the last run")
    return 0
