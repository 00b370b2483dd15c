"""Who calls an imported function that has no event of its own.

A Lambda function without events is still fed by something: a Step Functions state,
another service given its ARN, an authorizer polyfn could not read. polyfn has no trigger
for these, so the function needs a person's decision; this module finds where the file
refers to it, so the plan can say *why* instead of only "no events". An authorizer the
importers read (``import_auth``) is no such function: it becomes an ``@app.authorizer``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from polyfn.plan.import_model import ImportedApp, ImportedFunction
from polyfn.plan.import_resources import ref_id

__all__ = ["FunctionRefs", "explain_callers"]

Path = tuple[str, ...]
_STATE_MACHINES = ("AWS::Serverless::StateMachine", "AWS::StepFunctions::StateMachine")


@dataclass(frozen=True)
class FunctionRefs:
    """How the file may name one function."""

    logical_ids: frozenset[str]  # targets of !Ref / !GetAtt / ${X.Arn}
    names: frozenset[str]  # plain names, counted only under an 'authorizer' key
    arn_suffixes: frozenset[str]  # ':function:<physical name>'


def _walk(node: object, path: Path) -> Iterator[tuple[Path, object]]:
    yield path, node
    if isinstance(node, Mapping):
        for key, value in node.items():
            yield from _walk(value, (*path, str(key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, (*path, str(index)))


def _refers(path: Path, node: object, refs: FunctionRefs) -> bool:
    if isinstance(node, Mapping):
        return ref_id(node) in refs.logical_ids
    if not isinstance(node, str):
        return False
    if any(node.endswith(suffix) or f"{suffix}:" in node for suffix in refs.arn_suffixes):
        return True
    for match in re.finditer(r"\$\{([A-Za-z0-9]+)(?:\.Arn)?\}", node):
        if match.group(1) in refs.logical_ids:
            return True
    under_authorizer = any("authorizer" in part.lower() for part in path)
    return under_authorizer and node in refs.names


def references(
    tree: Mapping[str, object], refs: FunctionRefs, skip: Path
) -> Iterator[tuple[Path, object]]:
    """Each place in ``tree`` that names the function, outside its own definition."""
    for path, node in _walk(tree, ()):
        if path[: len(skip)] == skip or (path and path[0] == "Outputs"):
            continue
        if _refers(path, node, refs):
            yield path, node


def _resource_type(document: Mapping[str, object], path: Path) -> str:
    """The CloudFormation type of the resource ``path`` lies in ('' outside Resources)."""
    if "Resources" not in path[:-1]:
        return ""
    end = path.index("Resources") + 2
    node: object = document
    for key in path[:end]:
        node = node.get(key) if isinstance(node, Mapping) else None
    return str(node.get("Type", "")) if isinstance(node, Mapping) else ""


def _reason(path: Path, resource_type: str) -> tuple[str, str]:
    """(the caller's kind, the reason a person reads)."""
    where = ".".join(path)
    lowered = [part.lower() for part in path]
    if any("authorizer" in part for part in lowered):
        return "authorizer", (
            f"it is a Lambda authorizer ({where}) that polyfn could not read as one: "
            "declare it with @app.authorizer in the scaffold and name it in the auth= of "
            "the routes it guards"
        )
    if lowered[:1] == ["stepfunctions"] or resource_type in _STATE_MACHINES:
        return "state machine", (
            f"it is a Step Functions task ({where}): polyfn has no workflow trigger; decide "
            "what calls it on the other clouds (a workflow service calling an HTTP route, "
            "or a queue)"
        )
    return where, (
        f"it is called from {where}, which polyfn does not read: decide how it is fed on "
        "the other clouds"
    )


def explain_callers(
    imported: ImportedApp,
    document: Mapping[str, object],
    fn: ImportedFunction,
    refs: FunctionRefs,
    own: Path,
) -> None:
    """Note, as ``blocked``, each caller of ``fn`` the file shows; only for unfed functions
    that are not one of the imported authorizers (read before the function loop)."""
    if fn.triggers or imported.authorizer_of(fn) is not None:
        return
    seen: set[str] = set()  # one note per kind of caller: the first place says enough
    for path, _ in references(document, refs, own):
        kind, reason = _reason(path, _resource_type(document, path))
        if kind not in seen:
            seen.add(kind)
            imported.note(fn.name, "blocked", reason)
