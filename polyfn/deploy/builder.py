"""Run a build for one cloud: check the limits, then write the artifacts to a folder.

The output folder is owned by polyfn: it must be empty, missing, or a previous build
(marked by ``.polyfn-build.json``), which is cleared first so no stale file survives.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from polyfn.core.app import App
from polyfn.core.errors import ConfigError
from polyfn.deploy.aws_sam import sam_template
from polyfn.deploy.bundle import BundleReport, build_bundle
from polyfn.deploy.limits import LimitFinding, check_app, failures
from polyfn.deploy.loops import loop_findings
from polyfn.deploy.model import DeployModel, build_model
from polyfn.deploy.naming import DEFAULT_STAGE, app_slug
from polyfn.deploy.observability import DEFAULT_LOG_RETENTION_DAYS
from polyfn.deploy.regions import check_region
from polyfn.deploy.requirements import Requirements, resolve_requirements
from polyfn.deploy.source import AppSource, copy_app_source, copy_polyfn, locate_app_source
from polyfn.deploy.yaml_text import dump_yaml
from polyfn.hosts import CLOUDS
from polyfn.loading import load_app

__all__ = ["MARKER", "BuildOptions", "BuildResult", "build", "prepare"]

MARKER = ".polyfn-build.json"


@dataclass
class BuildOptions:
    cloud: str
    stage: str = DEFAULT_STAGE
    region: str | None = None
    arch: str = "arm64"
    plan: str | None = None  # Azure hosting plan
    gradual: str | None = None  # AWS: a CodeDeploy configuration for the live alias
    install_dependencies: bool = True
    log_retention_days: int | None = None  # AWS log groups (None: 30 days)
    aws_api: str = "http"  # AWS front door: "http" (HTTP API) or "rest" (REST API)
    aws_api_keys: bool = False  # AWS REST API: API keys under a usage plan


@dataclass
class BuildResult:
    cloud: str
    out: Path
    files: list[str] = field(default_factory=list)
    warnings: list[LimitFinding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    bundle: BundleReport | None = None
    # catches and retries no task can trigger (polyfn.deploy.workflow_errors)
    workflow_warnings: list[str] = field(default_factory=list)


@dataclass
class Prepared:
    """What both ``build`` and ``plan`` need: the app, its model and the limit findings."""

    app: App
    source: AppSource
    model: DeployModel
    findings: list[LimitFinding]
    options: BuildOptions


def prepare(spec: str, options: BuildOptions) -> Prepared:
    """Load the app and check it; ``ConfigError`` lists every limit it breaks."""
    if options.cloud not in CLOUDS:
        raise ConfigError(f"unknown cloud {options.cloud!r}; expected aws, azure or gcp")
    if options.region:
        check_region(options.cloud, options.region)
    app = load_app(spec)
    source = locate_app_source(spec, app)
    model = build_model(app, stage=options.stage, source_root=source.root)
    findings = check_app(app, options.cloud, plan=options.plan, stage=options.stage)
    findings += loop_findings(model, options.cloud)  # type: ignore[arg-type]  # checked above
    broken = failures(findings)
    if broken:
        listed = "\n".join(f"  - {f}" for f in broken)
        raise ConfigError(
            f"{app.name} cannot be deployed to {options.cloud} as declared:\n{listed}"
        )
    return Prepared(app, source, model, findings, options)


def build(spec: str, out: Path, options: BuildOptions) -> BuildResult:
    prepared = prepare(spec, options)
    out = out.resolve()
    _claim(out)
    result = BuildResult(options.cloud, out, warnings=list(prepared.findings))
    if prepared.app.workflows:
        from polyfn.deploy.workflow_errors import unraisable_error_warnings

        result.workflow_warnings = unraisable_error_warnings(prepared.app, prepared.source.root)
    # Build beside the target and swap in at the end, so a failed build leaves no half.
    staging = Path(tempfile.mkdtemp(prefix=".polyfn-build-", dir=out.parent))
    try:
        writer = {"aws": _build_aws, "azure": _build_azure, "gcp": _build_gcp}[options.cloud]
        writer(prepared, staging, result, exclude=out)
        (staging / MARKER).write_text(
            json.dumps(
                {"app": prepared.app.name, "cloud": options.cloud, "stage": options.stage},
                indent=2,
            )
            + "\n"
        )
        if out.exists():
            shutil.rmtree(out)
        staging.chmod(0o755)  # mkdtemp makes it private; the artifacts are not secret
        staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    result.files = sorted(
        p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file() and p.name != MARKER
    )
    return result


def _claim(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out} is a file, not a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).is_file():
        raise ConfigError(
            f"--out {out} is not empty and not a previous polyfn build; choose another folder"
        )
    out.parent.mkdir(parents=True, exist_ok=True)


def _requirements(prepared: Prepared, cloud: str, exclude: Path) -> Requirements:
    files = list(prepared.source.files(exclude=exclude))
    return resolve_requirements(prepared.model, prepared.source, cloud, files)


def _write(target: Path, files: dict[str, str]) -> None:
    for relative, text in files.items():
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def _build_aws(prepared: Prepared, target: Path, result: BuildResult, *, exclude: Path) -> None:
    options = prepared.options
    requirements = _requirements(prepared, "aws", exclude)
    result.notes += requirements.notes
    result.bundle = build_bundle(
        prepared.source,
        requirements,
        target / "bundle.zip",
        arch=options.arch,
        install_dependencies=options.install_dependencies,
        exclude=exclude,
    )
    if not options.install_dependencies and requirements.lines:
        result.notes.append(
            "built with --no-deps: the bundle lacks " + ", ".join(requirements.lines)
        )
    template = sam_template(
        prepared.model,
        arch=options.arch,
        code_uri="bundle.zip",
        gradual=options.gradual,
        log_retention_days=options.log_retention_days or DEFAULT_LOG_RETENTION_DAYS,
        api=options.aws_api,
        api_keys=options.aws_api_keys,
    )
    _write(target, {"template.yaml": dump_yaml(template), "samconfig.toml": _samconfig(prepared)})


def _samconfig(prepared: Prepared) -> str:
    options = prepared.options
    lines = [
        "# Defaults for `sam deploy` (written by polyfn deploy); `--guided` asks for the rest.",
        "version = 0.1",
        "",
        "[default.deploy.parameters]",
        f'stack_name = "{app_slug(prepared.app)}-{options.stage}"',
        'capabilities = "CAPABILITY_IAM"',
        "resolve_s3 = true",
        "confirm_changeset = true",
    ]
    if options.region:
        lines.append(f'region = "{options.region}"')
    return "\n".join(lines) + "\n"


def _build_azure(prepared: Prepared, target: Path, result: BuildResult, *, exclude: Path) -> None:
    from polyfn.deploy.azure_arm import DEFAULT_PLAN
    from polyfn.deploy.azure_project import azure_files

    plan = prepared.options.plan or DEFAULT_PLAN
    requirements = _requirements(prepared, "azure", exclude)
    result.notes += requirements.notes
    copy_app_source(prepared.source, target, exclude=exclude)
    copy_polyfn(target, "azure")
    files = azure_files(
        prepared.model, prepared.source, requirements, plan=plan, region=prepared.options.region
    )
    _write(target, files)


def _build_gcp(prepared: Prepared, target: Path, result: BuildResult, *, exclude: Path) -> None:
    from polyfn.deploy.gcp_source import gcp_files

    requirements = _requirements(prepared, "gcp", exclude)
    result.notes += requirements.notes
    copy_app_source(prepared.source, target, exclude=exclude)
    copy_polyfn(target, "gcp")
    _write(
        target, gcp_files(prepared.model, prepared.source, requirements, prepared.options.region)
    )
    (target / "deploy.sh").chmod(0o755)
