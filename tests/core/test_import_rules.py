"""What importing polyfn and declaring an app loads, checked in a fresh interpreter.

Every module here is paid for on each cold start. The interpreter runs with ``-S`` so
that this venv's ``.pth`` files (the editable install's finder loads ``re`` and more)
do not hide what polyfn itself imports; polyfn comes from the source tree, as from a
bundle. The app declares every trigger kind, so every import that a trigger's decorator
makes is counted.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Modules that cost milliseconds of a cold start and that polyfn's runtime path does
# without (benchmarks/tricks.py measures them; polyfn/core/cheap_typing.py lists the figures).
NEVER = ("typing", "re", "dataclasses", "inspect", "urllib.parse", "datetime", "pathlib", "asyncio")
# SDKs: the adapters import them when a backend is first used, never at import.
NO_SDKS = ("boto3", "botocore", "azure", "google")

EVERY_TRIGGER_APP = """
import polyfn
from polyfn import App, Response

app = App("rules")
files = app.bucket("files")
jobs = app.queue("jobs")

def make(i):
    def route(req):
        return Response.json({"id": req.path_params["id"], "route": i})
    route.__name__ = f"route_{i}"
    return route

for i in range(10):
    app.get(f"/r{i}/{{id}}")(make(i))

@app.on_object_created(files)
def uploaded(event):
    pass

@app.on_message(jobs)
def work(msg):
    pass

@app.schedule("rate(5 minutes)")
def tick(event):
    pass

@app.on_event(source="rules.*")
def other(event):
    pass
"""

# Snapshot first: the report's own json import must not count.
_REPORT = """
_seen = sorted(sys.modules)
import json
print(json.dumps(_seen))
"""


def loaded_by(code: str) -> set[str]:
    """The modules in ``sys.modules`` after ``code`` runs in a fresh ``python -S``."""
    script = f"import sys\nsys.path.insert(0, {str(ROOT)!r})\n{code}\n{_REPORT}"
    out = subprocess.run(
        [sys.executable, "-S", "-c", script],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return set(json.loads(out.stdout))


def offenders(modules: set[str]) -> list[str]:
    tops = {name.split(".")[0] for name in modules}
    return sorted({m for m in NEVER if m in modules} | {s for s in NO_SDKS if s in tops})


def test_importing_polyfn_and_declaring_every_trigger_kind_loads_none_of_them() -> None:
    modules = loaded_by(EVERY_TRIGGER_APP)
    assert "polyfn.core.schedule" in modules  # the app really declared a schedule
    assert offenders(modules) == []


def test_the_aws_handler_loads_none_of_them() -> None:
    code = (
        EVERY_TRIGGER_APP + "import polyfn.adapters.aws as aws\nhandler = aws.lambda_handler(app)\n"
    )
    modules = loaded_by(code)
    assert "polyfn.adapters.aws" in modules
    assert offenders(modules) == []


def test_the_check_sees_what_it_looks_for() -> None:
    modules = loaded_by("import dataclasses, typing")  # dataclasses brings inspect and re
    assert offenders(modules) == ["dataclasses", "inspect", "re", "typing"]
    assert offenders({"botocore.session", "google.cloud", "os"}) == ["botocore", "google"]


# json_codec builds its encoder once with the private json.encoder.c_make_encoder (1.8 µs
# of each v2 GET, see core/cheap_typing.py). These pin the signature it relies on:
# (markers, default, encoder, indent, key_separator, item_separator, sort_keys, skipkeys,
# allow_nan) -> a callable of (obj, indent_level) returning string chunks.


def test_the_c_encoder_json_codec_relies_on_is_there() -> None:
    from json import encoder

    from polyfn.core import json_codec

    assert getattr(encoder, "c_make_encoder", None) is not None
    # json_codec took the fast path: its encode is not a JSONEncoder method.
    assert not hasattr(json_codec.encode, "__self__")


def test_c_make_encoder_takes_nine_arguments_in_this_order() -> None:
    from json import encoder

    make = getattr(encoder, "c_make_encoder", None)
    assert make is not None
    text = encoder.encode_basestring
    # key separator, item separator, sort_keys, each where json_codec puts it; default
    chunks = make(None, repr, text, None, "=", ";", 1, 0, 0)
    assert "".join(chunks({"b": 1, "a": 2}, 0)) == '{"a"=2;"b"=1}'
    assert "".join(chunks([object], 0)) == "[" + text(repr(object)) + "]"
    # skipkeys: a key JSON cannot carry is left out instead of raising
    assert "".join(make(None, repr, text, None, ":", ",", 0, 1, 1)({(1,): 0}, 0)) == "{}"
    try:
        "".join(chunks([float("nan")], 0))  # allow_nan=0
    except ValueError:
        pass
    else:
        raise AssertionError("allow_nan is no longer the ninth argument")
    for wrong in (8, 10):
        try:
            make(*[None, repr, encoder.encode_basestring, None, ":", ",", 0, 0, 1, 0][:wrong])
        except TypeError:
            continue
        raise AssertionError(f"c_make_encoder accepted {wrong} arguments")


def test_json_codec_encodes_as_json_dumps_would() -> None:
    import json

    from polyfn.core import json_codec

    data = {"id": "123", "name": "Zoë", "n": [1, 2.5, None, True], "nested": {"k": "v"}}
    expected = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    assert json_codec.encode(data) == expected
    assert json_codec.encode({"t": (1, 2), "b": b"hi"}) == '{"t":[1,2],"b":"aGk="}'


def test_json_codec_decodes_bytes_as_json_loads_does() -> None:
    import codecs
    import json

    from polyfn.core import json_codec

    document = '{"name": "Zoë", "n": [1, 2.5], "s": "\\ud83d"}'
    samples: list[bytes] = [b"", b"1", b"12", b"[]", b"\xef\xbb\xbf[1]", b'"\xff"', b"{"]
    for encoding in ("utf-8", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"):
        samples.append(document.encode(encoding, "surrogatepass"))
    samples += [codecs.BOM_UTF16_LE + "[2]".encode("utf-16-le"), codecs.BOM_UTF8 + b'{"a":1}']
    for raw in samples:
        outcomes = []
        for decode in (json.loads, json_codec.decode):
            try:
                outcomes.append(("ok", decode(raw)))
            except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError alike
                outcomes.append(("error", type(exc).__name__))
        assert outcomes[0] == outcomes[1], raw


def test_core_reads_no_environment_variable() -> None:
    # Core reads a deployment's settings from the mapping polyfn/__init__ hands it
    # (core.settings), never from the process environment itself.
    import ast
    from pathlib import Path

    import polyfn.core

    offenders = []
    for path in sorted(Path(polyfn.core.__file__).parent.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv", "putenv"):
                offenders.append(f"{path.name}:{node.lineno} .{node.attr}")
            if isinstance(node, ast.ImportFrom) and node.module == "os":
                offenders.append(f"{path.name}:{node.lineno} from os import ...")
    assert offenders == []


def test_core_settings_are_the_mapping_it_is_given() -> None:
    import os

    from polyfn.core.resources import physical_name
    from polyfn.core.settings import settings, use_settings

    assert settings() is os.environ  # what polyfn/__init__ hands in
    try:
        use_settings({"POLYFN_BUCKET_FILES": "prod-files"})
        assert physical_name("bucket", "files") == "prod-files"
        assert physical_name("queue", "jobs") == "jobs"
    finally:
        use_settings(os.environ)
