"""What a deployed app needs installed, per cloud.

Three sources, in order: the app's own ``requirements.txt`` (kept as written), the
distributions its code imports but that file does not list (found by reading the imports
of the app's module and of the modules it reaches, ``polyfn.deploy.imports``, and asking
the local environment which distribution provides each, added unpinned with a note: the
target platform may not have the local version), and the cloud's runtime libraries
polyfn's adapter needs (from polyfn's own extras, only those for the resource kinds the
app declares). What the cloud provides or what belongs to another cloud is left out:
boto3 is in every Lambda runtime and has no place on Azure or Google Cloud.
"""

from __future__ import annotations

import importlib.metadata
import re
import sys
from pathlib import Path

from polyfn.deploy.imports import imported_top_modules, module_file
from polyfn.deploy.model import DeployModel
from polyfn.deploy.source import AppSource

__all__ = ["Requirements", "resolve_requirements"]

# Distributions by the cloud they belong to; inferred imports of another cloud's SDK are
# not added (the plan command reports such code as lock-in).
_CLOUD_FAMILIES: dict[str, tuple[str, ...]] = {
    "aws": ("boto3", "botocore", "s3transfer", "aiobotocore", "aioboto3"),
    "azure": ("azure-",),
    "gcp": ("google-cloud-", "google-api-core", "functions-framework"),
}
# The Lambda runtime ships these; bundling them only adds megabytes.
_PROVIDED = {"aws": ("boto3", "botocore", "s3transfer", "jmespath"), "azure": (), "gcp": ()}
# Which of polyfn's extras each resource kind pulls in, per cloud.
_RUNTIME_BY_KIND = {
    "azure": {"": "azure-functions", "bucket": "azure-storage-blob",
              "queue": "azure-storage-queue", "table": "azure-data-tables",
              "workflow": "azure-functions-durable"},
    "gcp": {"": "functions-framework", "bucket": "google-cloud-storage",
            "queue": "google-cloud-pubsub", "table": "google-cloud-firestore",
            "workflow": "google-cloud-workflows"},
}  # fmt: skip


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_name(line: str) -> str | None:
    line = line.split("#", 1)[0].strip()
    if not line or line.startswith("-"):
        return None
    match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", line)
    return _normalize(match.group(0)) if match else None


def _belongs_to(dist: str, cloud: str) -> bool:
    name = _normalize(dist)
    return any(
        name == f or (f.endswith("-") and name.startswith(f)) for f in _CLOUD_FAMILIES[cloud]
    )


class Requirements:
    """The requirement lines for one cloud, and notes on what was added or left out."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.notes: list[str] = []

    @property
    def names(self) -> set[str]:
        return {n for n in map(_requirement_name, self.lines) if n}

    def text(self, header: str) -> str:
        return "\n".join([f"# {header}", *self.lines]) + "\n"


def resolve_requirements(
    model: DeployModel, source: AppSource, cloud: str, files: list[Path]
) -> Requirements:
    result = Requirements()
    declared = source.root / "requirements.txt"
    if declared.is_file():
        for raw in declared.read_text().splitlines():
            name = _requirement_name(raw)
            if name is None:
                continue
            if name in _PROVIDED[cloud]:
                result.notes.append(f"left out {name}: the {cloud} runtime provides it")
                continue
            result.lines.append(raw.strip())
    _add_inferred(result, source, cloud, files)
    for kind, dist in _RUNTIME_BY_KIND.get(cloud, {}).items():
        if kind and not getattr(model.app, kind + "s"):
            continue
        if _normalize(dist) not in result.names:
            result.lines.append(_pinned_by_polyfn(dist))
    # Deploy connects to storage with the app's managed identity, not a key.
    uses_storage = bool(model.app.buckets or model.app.queues or model.app.tables)
    if cloud == "azure" and uses_storage and "azure-identity" not in result.names:
        result.lines.append(_pinned_by_polyfn("azure-identity"))
    return result


def _add_inferred(result: Requirements, source: AppSource, cloud: str, files: list[Path]) -> None:
    local = {p.parts[0].removesuffix(".py") for p in files}
    provides = importlib.metadata.packages_distributions()
    # Only what the app imports: a sibling script it never imports is not read.
    start = module_file(source.module, files)
    for module in sorted(imported_top_modules(source.root, files, start)):
        if module in local or module == "polyfn" or module in sys.stdlib_module_names:
            continue
        dists = provides.get(module)
        if not dists:
            result.notes.append(
                f"the code imports {module!r}, which is not installed here and no "
                "requirements.txt lists: add it to requirements.txt"
            )
            continue
        if any(_normalize(d) in result.names or _normalize(d) in _PROVIDED[cloud] for d in dists):
            continue
        foreign = [c for c in _CLOUD_FAMILIES for d in dists if c != cloud and _belongs_to(d, c)]
        if foreign:
            result.notes.append(
                f"left out {dists[0]}: the code imports {module!r}, a {foreign[0]} SDK, which "
                f"ties it to {foreign[0]} (see `polyfn plan`)"
            )
            continue
        if len(dists) > 1:
            # A namespace package (google.*, azure.*): the import alone does not say which.
            result.notes.append(
                f"the code imports {module!r}, which several distributions provide "
                f"({', '.join(sorted(dists))}); list the ones it needs in requirements.txt"
            )
            continue
        dist = dists[0]
        result.lines.append(dist)
        result.notes.append(
            f"added {dist} (the code imports {module!r}; pin it in requirements.txt to "
            "choose the version)"
        )


def _pinned_by_polyfn(dist: str) -> str:
    """``dist`` with the version range polyfn's own extras declare, when known."""
    try:
        requires = importlib.metadata.requires("polyfn") or []
    except importlib.metadata.PackageNotFoundError:
        return dist
    for requirement in requires:
        spec = requirement.split(";", 1)[0].strip()
        if _requirement_name(spec) == _normalize(dist):
            return spec.replace(" ", "")
    return dist
