"""Loading the APP a command names: the user's own errors, shown as Python shows them."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from polyfn.cli import main
from polyfn.loading import AppImportFailed, load_app


@pytest.fixture
def clean_modules() -> Iterator[None]:
    """Each test's app module and its siblings leave sys.modules as they found it."""
    before = set(sys.modules)
    path = list(sys.path)
    yield
    for name in set(sys.modules) - before:
        del sys.modules[name]
    sys.path[:] = path


def write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


@pytest.mark.usefixtures("clean_modules")
def test_a_syntax_error_is_shown_as_python_shows_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = write(tmp_path / "broken", {"app.py": "from polyfn import App\ndef f(:\n    pass\n"})
    assert main(["invoke", str(app), "f"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"polyfn invoke: {app} failed to import:\n")
    assert f'File "{app / "app.py"}", line 2' in err
    assert "SyntaxError: invalid syntax" in err
    assert "Traceback" not in err
    assert "polyfn/" not in err.replace(str(app), "")


@pytest.mark.usefixtures("clean_modules")
def test_an_exception_at_import_shows_only_the_apps_frames(tmp_path: Path) -> None:
    folder = write(
        tmp_path / "raises",
        {
            "app.py": "from polyfn import App\nimport helper\napp = App('x')\n",
            "helper.py": "def g():\n    raise RuntimeError('boom')\ng()\n",
        },
    )
    with pytest.raises(AppImportFailed) as raised:
        load_app(str(folder))
    shown = str(raised.value)
    assert shown.splitlines()[1] == "Traceback (most recent call last):"
    assert shown.splitlines()[2] == f'  File "{folder / "app.py"}", line 2, in <module>'
    assert shown.endswith("RuntimeError: boom")
    assert "importlib" not in shown and "loading.py" not in shown
    # A failed import leaves no half-made module behind.
    app_file = str(folder / "app.py")
    assert [m for m in list(sys.modules.values()) if getattr(m, "__file__", None) == app_file] == []


@pytest.mark.usefixtures("clean_modules")
def test_the_apps_module_is_named_after_its_file(tmp_path: Path) -> None:
    folder = write(
        tmp_path / "notes",
        {
            "app.py": "from polyfn import App\napp = App('notes')\n"
            "class Poison(Exception):\n    pass\n",
        },
    )
    sys.modules.pop("app", None)  # another test's app.py may hold the name
    app = load_app(str(folder))
    module = sys.modules["app"]
    assert module.app is app
    assert f"{module.Poison.__module__}.{module.Poison.__qualname__}" == "app.Poison"
    # What the app's own tests import is that same module.
    import app as imported  # type: ignore[import-not-found]

    assert imported is module
    # Loading it again keeps the name; another app.py in the same process gets its own.
    assert load_app(str(folder)).name == "notes"
    other = write(tmp_path / "other", {"app.py": "from polyfn import App\napp = App('other')\n"})
    assert load_app(str(other)).name == "other"
    assert sys.modules["app"].__file__ == module.__file__


@pytest.mark.usefixtures("clean_modules")
def test_a_file_named_like_a_standard_module_keeps_a_made_up_name(tmp_path: Path) -> None:
    folder = write(tmp_path / "svc", {"json.py": "from polyfn import App\napp = App('j')\n"})
    load_app(str(folder / "json.py"))
    assert "polyfn_user_svc_json" in sys.modules
