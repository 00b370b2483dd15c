"""``polyfn deploy build|preview APP --cloud aws|azure|gcp``: per-cloud deploy artifacts.

``build`` writes a self-contained folder (a SAM template and code bundle, an Azure
Functions project, or a Cloud Functions source folder with its gcloud script) after
checking the app against the cloud's limits; ``preview`` prints what it would create.
``deploy plan`` is the old name of ``preview``, kept as a deprecated alias: it read as
``polyfn plan``, the migration planner, which is another command.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from polyfn.cli.errors import UsageError
from polyfn.core.errors import PolyfnError
from polyfn.hosts import CLOUDS
from polyfn.loading import AppNotFound

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION")
    sub.required = True
    build = sub.add_parser("build", help="write the deployable folder for one cloud")
    preview = sub.add_parser("preview", help="print what a build would create, write nothing")
    plan = sub.add_parser(
        "plan", help="deprecated name of preview (polyfn plan is the migration planner)"
    )
    for command in (build, preview, plan):
        command.add_argument("app", metavar="APP", help="module:attr, a .py file or a folder")
        command.add_argument("--cloud", required=True, choices=CLOUDS)
        command.add_argument("--stage", default="dev", help="part of every name (default dev)")
        command.add_argument("--region", help="the region written into the artifacts")
        command.add_argument(
            "--plan",
            dest="hosting_plan",
            help="Azure hosting plan: flex (Flex Consumption, default), consumption (Y1), premium",
        )
    build.add_argument("--out", required=True, type=Path, help="the folder to write")
    build.add_argument("--arch", default="arm64", choices=("arm64", "x86_64"), help="AWS only")
    build.add_argument(
        "--gradual",
        metavar="CONFIG",
        help="AWS: shift traffic to each new version through CodeDeploy "
        "(Canary10Percent5Minutes, Linear10PercentEvery1Minute, ...)",
    )
    build.add_argument(
        "--log-retention-days",
        type=int,
        help="AWS: days each function's log group keeps its logs (default 30)",
    )
    build.add_argument(
        "--no-deps",
        action="store_true",
        help="AWS: leave the app's dependencies out of the bundle (for a layer, or a quick check)",
    )
    build.add_argument(
        "--aws-api",
        default="http",
        choices=("http", "rest"),
        help="AWS: the HTTP routes' front door: an HTTP API (default) or a REST API "
        "(usage plans, API keys, Lambda REQUEST authorizers with IAM policies)",
    )
    build.add_argument(
        "--aws-api-keys",
        action="store_true",
        help="AWS, with --aws-api rest: every route requires an API key, under a usage plan",
    )
    for command in (preview, plan):
        command.add_argument("--format", default="text", choices=("text", "json"))


def run(args: argparse.Namespace) -> int:
    from polyfn.deploy.builder import BuildOptions, build, prepare

    options = BuildOptions(
        cloud=args.cloud,
        stage=args.stage,
        region=args.region,
        arch=getattr(args, "arch", "arm64"),
        plan=args.hosting_plan,
        gradual=getattr(args, "gradual", None),
        install_dependencies=not getattr(args, "no_deps", False),
        log_retention_days=getattr(args, "log_retention_days", None),
        aws_api=getattr(args, "aws_api", "http"),
        aws_api_keys=getattr(args, "aws_api_keys", False),
    )
    try:
        if args.action == "plan":
            print(
                "polyfn deploy: 'deploy plan' is deprecated; use 'deploy preview' "
                "('polyfn plan' is the migration planner)",
                file=sys.stderr,
            )
        if args.action in ("preview", "plan"):
            from polyfn.deploy.preview import describe, render

            prepared = prepare(args.app, options)
            document = describe(prepared.model, args.cloud, prepared.findings, args.hosting_plan)
            if args.format == "json":
                print(json.dumps(document, indent=2))
            else:
                print(render(document), end="")
            return 0
        result = build(args.app, args.out, options)
    except AppNotFound as exc:
        raise UsageError(str(exc)) from None
    except PolyfnError as exc:
        print(f"polyfn deploy: {exc}", file=sys.stderr)
        return 1
    print(f"polyfn deploy: {result.cloud} artifacts for {args.app} in {result.out}")
    for name in result.files:
        if name.count("/") == 0 or name.startswith("infra/"):
            print(f"  {name}")
    if result.bundle is not None:
        print(f"  bundle: {result.bundle.summary()}")
        if result.bundle.dependencies:
            print(f"  dependencies: {', '.join(result.bundle.dependencies)}")
    for note in result.notes:
        print(f"note: {note}")
    for finding in result.warnings:
        print(f"warning: {finding.detail()}")
    for warning in result.workflow_warnings:
        print(f"warning: {warning}")
    print(_next_steps(result.cloud, result.out, result.files))
    return 0


def _next_steps(cloud: str, out: Path, files: Sequence[str]) -> str:
    if cloud == "aws":
        return f"next: cd {out} && sam deploy --guided"
    if cloud == "azure":
        # infra/eventgrid.json is written only when a function subscribes to Event Grid.
        grid = ", then infra/eventgrid.json" if "infra/eventgrid.json" in files else ""
        return (
            f"next: cd {out} && az deployment group create -g RESOURCE_GROUP -f infra/main.json, "
            f"then func azure functionapp publish FUNCTION_APP{grid} (see docs/readme/deploy.md)"
        )
    return f"next: {out}/deploy.sh (PROJECT_ID and REGION from the environment or gcloud config)"
