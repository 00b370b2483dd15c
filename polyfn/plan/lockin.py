"""The lock-in scan: what in the source ties it to one cloud, found with ``ast`` alone.

Nothing is imported or executed. Each file is walked once; the walk follows what an
expression holds (``s3 = boto3.client("s3")`` makes ``s3.put_object`` an S3 call,
``boto3.resource("dynamodb").Table(name).get_item`` a DynamoDB read), reads of each
platform's environment variables, native event shapes (``event["Records"]``,
``req.raw``, ``context.get_remaining_time_in_millis()``), state kept in ``/tmp``,
hard-coded ARNs, resource URLs and regions. A finding inside a function is attributed to
every handler that reaches that function through plain calls, across the scanned files.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

from polyfn.plan.lockin_visitor import FileResult, Raw, Scanner, docstring_ids
from polyfn.plan.model import LockinFinding

__all__ = ["scan_sources"]


def _scan_file(path: Path) -> FileResult:
    result = FileResult(path)
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError) as exc:
        result.findings.append(
            Raw(
                getattr(exc, "lineno", 0) or 0,
                "any",
                "source",
                "unreadable",
                "low",
                f"could not be scanned: {type(exc).__name__}",
                "fix the file and scan again",
                None,
            )
        )
        return result
    Scanner(result, docstring_ids(tree)).visit(tree)
    return result


def _reachable(
    results: Mapping[Path, FileResult], start: tuple[Path, str]
) -> set[tuple[Path, str]]:
    by_stem = {path.stem: result for path, result in results.items()}
    seen: set[tuple[Path, str]] = set()
    todo = [start]
    while todo:
        path, name = todo.pop()
        if (path, name) in seen or path not in results:
            continue
        seen.add((path, name))
        result = results[path]
        for called in result.calls.get(name, ()):
            if called in result.defs:
                todo.append((path, called))
            elif called in result.imported:
                module, original = result.imported[called]
                target = by_stem.get(module)
                if target is not None:
                    todo.append((target.path, original))
    return seen


def scan_sources(
    files: Iterable[Path],
    root: Path,
    entrypoints: Mapping[str, tuple[Path, str]],
) -> list[LockinFinding]:
    """Scan ``files``; ``entrypoints`` maps each polyfn function to its (file, def name)."""
    results = {path.resolve(): _scan_file(path.resolve()) for path in sorted(set(files))}
    reach = {
        fn: _reachable(results, (path.resolve(), name)) for fn, (path, name) in entrypoints.items()
    }
    findings: list[LockinFinding] = []
    for path, result in results.items():
        try:
            relative = str(path.relative_to(root.resolve()))
        except ValueError:
            relative = str(path)
        seen: set[tuple[int, int, str, str]] = set()
        for raw in sorted(result.findings, key=lambda r: (r.line, r.cloud == "any", r.col)):
            # req.raw["Records"] is one finding (the AWS one), not also a generic raw read.
            key = (raw.line, raw.col, raw.category, raw.what)
            if key in seen or (
                raw.cloud == "any" and (raw.line, raw.col, raw.category, "") in seen
            ):
                continue
            seen.update({key, (raw.line, raw.col, raw.category, "")})
            functions = tuple(
                sorted(
                    fn for fn, nodes in reach.items() if raw.scope and (path, raw.scope) in nodes
                )
            )
            findings.append(
                LockinFinding(
                    relative,
                    raw.line,
                    raw.cloud,
                    raw.service,
                    raw.category,
                    raw.severity,
                    raw.what,
                    raw.replacement,
                    functions,
                )
            )
    return findings
