"""YAML with CloudFormation's short-form intrinsic tags (``!Ref``, ``!GetAtt``, ``!Sub``...).

serverless.yml and SAM templates use them freely; PyYAML's safe loader rejects unknown
tags, so each one is turned into its long form (``{"Ref": "X"}``,
``{"Fn::GetAtt": ["X", "Arn"]}``) on a loader of our own, never on PyYAML's global one.
"""

from __future__ import annotations

from typing import Any

from polyfn.plan.model import PlanInputError

__all__ = ["load_yaml"]

_LOADER: Any = None


def _loader_class() -> Any:
    global _LOADER
    if _LOADER is not None:
        return _LOADER
    try:
        import yaml
    except ImportError:  # pragma: no cover - PyYAML ships with polyfn's dev and plan extras
        raise PlanInputError(
            "reading YAML needs PyYAML: pip install PyYAML (or give the file as JSON)"
        ) from None

    class CloudFormationLoader(yaml.SafeLoader):
        """SafeLoader plus the intrinsic-function tags; nothing is executed."""

    def construct_tag(loader: Any, tag_suffix: str, node: Any) -> Any:
        name = "Ref" if tag_suffix == "Ref" else f"Fn::{tag_suffix}"
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
            if tag_suffix == "GetAtt" and isinstance(value, str):
                # !GetAtt Queue.Arn is the short form of ["Queue", "Arn"]
                resource, _, attribute = value.partition(".")
                value = [resource, attribute]
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        return {name: value}

    CloudFormationLoader.add_multi_constructor("!", construct_tag)
    _LOADER = CloudFormationLoader
    return _LOADER


def load_yaml(text: str, where: str) -> Any:
    """Parse YAML text; a syntax error becomes a ``PlanInputError`` naming file and line."""
    loader = _loader_class()  # first: it explains a missing PyYAML
    import yaml

    try:
        return yaml.load(text, Loader=loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise PlanInputError(f"{where}{line}: not valid YAML ({problem})") from None
