"""What ``polyfn deploy build`` reads of the app's folder, and what it tells the user.

A ``.py`` APP once made the build parse every sibling ``.py``, so an unrelated broken
script stopped it; the Azure build printed ``warning: warn:`` and told the user to deploy
``infra/eventgrid.json`` even when no such file was written.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from deploy.conftest import SAMPLE, SHOP
from polyfn.cli import main
from polyfn.deploy.imports import imported_top_modules


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "proj"
    (folder / "helpers").mkdir(parents=True)
    (folder / "app.py").write_text(
        "from polyfn import App, Request, Response\n\nimport helpers.text\n\n"
        'app = App("siblings")\n\n\n@app.get("/x")\n'
        "def x(req: Request) -> Response:\n"
        '    return Response.json({"v": helpers.text.VALUE})\n'
    )
    (folder / "helpers" / "__init__.py").write_text("from . import shared\n")
    (folder / "helpers" / "shared.py").write_text("import tomllib\nimport colorsys\n")
    (folder / "helpers" / "text.py").write_text("from .shared import tomllib\nVALUE = 1\n")
    (folder / "scratch.py").write_text("def broken(:\n")  # a sibling the app never imports
    (folder / "tool.py").write_text("import some_tool_nobody_installed\n")
    return folder


def test_only_modules_the_app_reaches_are_read(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    files = [p.relative_to(folder) for p in folder.rglob("*.py")]
    modules = imported_top_modules(folder, files, Path("app.py"))
    # app -> helpers (package) -> helpers.shared; app -> helpers.text -> helpers.shared
    assert {"polyfn", "helpers", "tomllib", "colorsys"} <= modules
    assert "some_tool_nobody_installed" not in modules


@pytest.mark.parametrize("cloud", ["aws", "azure", "gcp"])
def test_a_broken_sibling_does_not_block_the_build(
    tmp_path: Path, cloud: str, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _folder(tmp_path)
    out = tmp_path / cloud
    args = ["deploy", "build", str(folder / "app.py"), "--cloud", cloud, "--out", str(out)]
    assert main([*args, "--no-deps"] if cloud == "aws" else args) == 0
    text = capsys.readouterr().out
    assert "some_tool_nobody_installed" not in text  # tool.py is not the app's
    if cloud != "aws":  # AWS zips it into bundle.zip
        assert (out / "scratch.py").is_file()  # the folder still ships whole


def test_azure_next_steps_name_eventgrid_only_when_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(
            ["deploy", "build", str(SHOP), "--cloud", "azure", "--plan", "consumption",
             "--out", str(tmp_path / "s")]
        )
        == 0
    )  # fmt: skip
    shop = capsys.readouterr().out
    assert not (tmp_path / "s" / "infra" / "eventgrid.json").exists()
    assert "eventgrid" not in shop
    assert "warning: azure app:" in shop and "warn:" not in shop
    assert (
        main(["deploy", "build", str(SAMPLE), "--cloud", "azure", "--out", str(tmp_path / "x")])
        == 0
    )
    sample = capsys.readouterr().out
    assert (tmp_path / "x" / "infra" / "eventgrid.json").is_file()
    assert "then infra/eventgrid.json" in sample
