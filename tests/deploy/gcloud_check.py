"""A dry-run parse of every ``gcloud`` command line in a ``deploy.sh``, offline.

gcloud ships its whole command tree, with every command's flags, as the static
completion table (``data/cli/gcloud_completions.py`` of the SDK). Each command line of the
script is read the way the shell would split it, then walked down that tree: the command
must exist, each ``--flag`` must be one of that command's (or gcloud's global) flags, a
flag that takes a value must get one, and a choice flag must get one of its choices.

The table leaves hidden flags out (``functions describe --gen2`` is one), so a flag it
does not list is put to gcloud itself: the command runs with an empty configuration and
no account, where gcloud parses its arguments and then stops before any request, either
with "unrecognized arguments" (refused) or for want of an account (parsed). Nothing is
sent anywhere.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import subprocess
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

from polyfn.testing.emulators import find_gcloud

# Hidden aliases the completion table leaves out, spelt as the documented command.
_ALIASES = {("config", "get-value"): ["config", "get"]}


class GcloudLineError(AssertionError):
    """A gcloud command line that gcloud would refuse to parse."""


@cache
def cli_tree() -> dict[str, Any]:
    sdk = find_gcloud().resolve().parent.parent
    path = sdk / "data" / "cli" / "gcloud_completions.py"
    spec = importlib.util.spec_from_file_location("gcloud_completions", path)
    assert spec is not None and spec.loader is not None, path
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    tree: dict[str, Any] = module.STATIC_COMPLETION_CLI_TREE
    return tree


def command_lines(script: str) -> list[str]:
    """Every ``gcloud ...`` invocation, continuation lines joined, up to where the shell
    ends it (an unquoted ``)``, ``;``, ``|``, ``>``, ``&`` or the line's end)."""
    text = script.replace("\\\n", " ")
    found: list[str] = []
    for line in text.splitlines():
        if line.lstrip().startswith("#"):
            continue
        for match in re.finditer(r"\bgcloud ", line):
            before = line[: match.start()]
            opened = before.rfind('"')
            if before.count('"') % 2 and not before[opened:].endswith('"$('):
                continue  # words in a message ("run: gcloud config set ..."), not a command
            found.append(_until_shell_stop(line[match.start() :]))
    return found


def _until_shell_stop(text: str) -> str:
    quote: str | None = None
    depth = 0
    for index, char in enumerate(text):
        if quote:
            if char == quote:
                quote = None
            elif char == "$" and text[index + 1 : index + 2] == "(":
                depth += 1
            continue
        if char in "'\"":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            if depth == 0:
                return text[:index]
            depth -= 1
        elif char in ";|>&" and depth == 0:
            return re.sub(r"\s\d$", "", text[:index])  # "2>/dev/null": the 2 is the shell's
    return text


def check_line(line: str) -> None:
    tree = cli_tree()
    tokens = shlex.split(line)
    assert tokens[0] == "gcloud", line
    alias = _ALIASES.get(tuple(tokens[1:3]))  # type: ignore[arg-type]
    if alias:
        tokens = ["gcloud", *alias, *tokens[3:]]
    node, path, index = tree, ["gcloud"], 1
    while index < len(tokens) and tokens[index] in node.get("commands", {}):
        node = node["commands"][tokens[index]]
        path.append(tokens[index])
        index += 1
    if node.get("commands"):
        raise GcloudLineError(f"{' '.join(path)} is a group, not a command: {line}")
    flags = {**tree["flags"], **node.get("flags", {})}
    while index < len(tokens):
        token = tokens[index]
        index += 1
        if token == '"${P[@]}"' or token == "${P[@]}":
            continue  # the script's --project array
        if not token.startswith("--"):
            continue  # a positional argument
        name, has_value, _ = token.partition("=")
        negated = "--" + name.removeprefix("--no-")
        if name not in flags and name.startswith("--no-") and flags.get(negated) == "bool":
            name = negated  # a boolean flag's --no- form
        if name not in flags:
            if _gcloud_parses(tuple(path[1:]), name):
                continue
            raise GcloudLineError(f"{' '.join(path)} has no flag {name}: {line}")
        kind = flags[name]
        if kind == "bool":
            if has_value:
                raise GcloudLineError(f"{name} takes no value: {line}")
            continue
        value = token.partition("=")[2] if has_value else None
        if value is None:
            if index >= len(tokens) or tokens[index].startswith("--"):
                raise GcloudLineError(f"{name} needs a value: {line}")
            value = tokens[index]
            index += 1
        # gcloud matches choices without regard to case (--http-method POST is post).
        choices = [str(c).lower() for c in kind] if isinstance(kind, list) else None
        if choices and value.lower() not in choices and "$" not in value:
            raise GcloudLineError(f"{name} takes one of {kind}, got {value!r}: {line}")


@cache
def _gcloud_parses(command: tuple[str, ...], flag: str) -> bool:
    """Whether gcloud's own parser takes ``flag`` on ``command`` (a hidden flag)."""
    with tempfile.TemporaryDirectory() as config:
        completed = subprocess.run(
            [str(find_gcloud()), *command, "x", flag, "--project", "p"],
            env={**os.environ, "CLOUDSDK_CONFIG": config, "CLOUDSDK_CORE_DISABLE_PROMPTS": "1"},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    refused = re.search(r"unrecognized arguments:(.*)", completed.stderr)
    return not (refused and flag in refused.group(1).split())


def check_script(path: Path) -> int:
    """Check every gcloud line of ``path``; the number of lines checked."""
    lines = command_lines(path.read_text())
    for line in lines:
        check_line(line)
    return len(lines)
