"""``polyfn plan``: what moving an app between clouds changes and costs.

polyfn plan APP [--to aws,azure,gcp] [--traffic FILE] [--format md|json|html]
                [--out FILE] [--memory-sweep CSV]
polyfn plan --from serverless.yml|template.yaml [--scaffold DIR] [same options]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from polyfn.cli.errors import UsageError
from polyfn.core.errors import ConfigError
from polyfn.hosts import CLOUDS

if TYPE_CHECKING:
    from polyfn.plan.importers import ImportedApp
    from polyfn.plan.model import Plan
    from polyfn.plan.planner import PlanInputs

CLOUD_CHOICES = CLOUDS
FORMATS = ("md", "json", "html")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "app", nargs="?", help="the polyfn app: module:attr, a .py file or a folder with app.py"
    )
    parser.add_argument(
        "--from",
        dest="source",
        metavar="FILE",
        help="plan an existing AWS app from its serverless.yml or SAM template instead",
    )
    parser.add_argument(
        "--to", default="aws,azure,gcp", help="target clouds, comma-separated (default: all)"
    )
    parser.add_argument("--traffic", metavar="FILE", help="traffic profile (YAML or JSON)")
    parser.add_argument("--format", choices=FORMATS, default="md", help="report format")
    parser.add_argument("--out", metavar="FILE", help="write the report here (default stdout)")
    parser.add_argument(
        "--memory-sweep",
        metavar="CSV",
        help="measured durations (function,memory_mb,duration_ms) to find the cheapest memory",
    )
    parser.add_argument(
        "--scaffold", metavar="DIR", help="with --from: write a polyfn app.py skeleton into DIR"
    )
    parser.add_argument(
        "--azure-plan",
        choices=("flex", "consumption", "premium"),
        help="Azure hosting plan to price and check (default: the profile's, else flex)",
    )


def _clouds(text: str) -> tuple[str, ...]:
    clouds = tuple(dict.fromkeys(c.strip().lower() for c in text.split(",") if c.strip()))
    unknown = [c for c in clouds if c not in CLOUD_CHOICES]
    if unknown or not clouds:
        raise UsageError(f"--to takes a comma-separated list of aws, azure, gcp; got {text!r}")
    return clouds


def run(args: argparse.Namespace) -> int:
    from polyfn.plan.model import PlanInputError

    if bool(args.app) == bool(args.source):
        raise UsageError("give either APP (a polyfn app) or --from serverless.yml/template.yaml")
    if args.scaffold and not args.source:
        raise UsageError("--scaffold needs --from (it writes a polyfn app for an AWS app)")
    clouds = _clouds(args.to)
    try:
        plan_inputs, imported = _inputs(args, clouds)
        from polyfn.plan.planner import build_plan

        plan = build_plan(plan_inputs)
        if args.scaffold and imported is not None:
            from polyfn.plan.scaffold import write_scaffold

            written = write_scaffold(imported, Path(args.scaffold), plan.lockin)
            print(f"polyfn plan: wrote {written}", file=sys.stderr)
    except (PlanInputError, ConfigError) as exc:
        raise UsageError(str(exc)) from None
    text = _render(plan, args.format)
    if args.out:
        try:
            Path(args.out).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot write {args.out}: {exc.strerror or exc}") from None
    else:
        sys.stdout.write(text)
    return 0


def _inputs(
    args: argparse.Namespace, clouds: tuple[str, ...]
) -> tuple[PlanInputs, ImportedApp | None]:
    from polyfn.plan.planner import PlanInputs, polyfn_entrypoints, source_files_of
    from polyfn.plan.sweep import load_sweep
    from polyfn.plan.traffic import load_traffic

    traffic = load_traffic(Path(args.traffic) if args.traffic else None)
    if args.azure_plan:
        traffic.azure_plan = args.azure_plan
    measurements = load_sweep(Path(args.memory_sweep)) if args.memory_sweep else None
    if args.source:
        from polyfn.plan.importers import import_aws_app

        imported = import_aws_app(Path(args.source))
        inputs = imported.plan_inputs(clouds, traffic)
        inputs.measurements = measurements
        return inputs, imported
    from polyfn.loading import AppNotFound, load_app, resolve_app_source

    try:
        file, module_name, _ = resolve_app_source(args.app)
        app = load_app(args.app)
    except AppNotFound as exc:
        raise UsageError(str(exc)) from None
    if file is None:
        module = sys.modules.get(module_name)
        module_file = getattr(module, "__file__", None)
        file = Path(module_file) if module_file else None
    files = source_files_of(file) if file is not None else []
    root = file.parent if file is not None else Path.cwd()
    inputs = PlanInputs(
        app=app,
        clouds=clouds,
        traffic=traffic,
        root=root,
        files=files,
        entrypoints=polyfn_entrypoints(app),
        measurements=measurements,
    )
    return inputs, None


def _render(plan: Plan, fmt: str) -> str:
    if fmt == "json":
        from polyfn.plan.report_json import render_json

        return render_json(plan)
    if fmt == "html":
        from polyfn.plan.report_html import render_html

        return render_html(plan)
    from polyfn.plan.report_md import render_markdown

    return render_markdown(plan)
