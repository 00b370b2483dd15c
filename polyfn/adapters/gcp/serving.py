"""functions-framework's own Flask app around a target built in this process.

``functions_framework.create_app`` loads its target from a source file, the way the CLI
and Cloud Functions do. To serve a target that already exists (for the hosts, the local
runtime and tests), a two-line source that hands it over by a one-time token is written to a
temporary folder, and what ``create_app`` leaves behind (the ``FUNCTION_TARGET`` and
``FUNCTION_SIGNATURE_TYPE`` variables, a ``sys.path`` entry, the loaded module) is put
back as it was.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from polyfn.adapters.gcp.refusal import install

__all__ = ["claim_target", "framework_app"]

SignatureType = Literal["http", "cloudevent"]

_TARGET_NAME = "polyfn_gcp_target"
_SOURCE = '''"""functions-framework source written by polyfn.adapters.gcp.serving."""
from polyfn.adapters.gcp.serving import claim_target

{name} = claim_target({token!r})
'''
_VARIABLES = ("FUNCTION_TARGET", "FUNCTION_SIGNATURE_TYPE")
_pending: dict[str, Callable[[Any], Any]] = {}
_lock = threading.Lock()


def claim_target(token: str) -> Callable[[Any], Any]:
    """The target stored under ``token`` (once; the source file calls this)."""
    with _lock:
        return _pending.pop(token)


def framework_app(target: Callable[[Any], Any], signature_type: SignatureType) -> Any:
    """The ``flask.Flask`` app functions-framework builds for ``target``."""
    import functions_framework

    token = uuid.uuid4().hex
    with _lock:
        _pending[token] = target
    saved_env = {name: os.environ.get(name) for name in _VARIABLES}
    saved_path = list(sys.path)
    module_name = f"polyfn_gcp_entry_{token}"
    with tempfile.TemporaryDirectory(prefix="polyfn-gcp-") as folder:
        source = Path(folder) / f"{module_name}.py"
        source.write_text(_SOURCE.format(name=_TARGET_NAME, token=token), encoding="utf-8")
        try:
            flask_app = functions_framework.create_app(  # type: ignore[no-untyped-call]
                target=_TARGET_NAME, source=str(source), signature_type=signature_type
            )
            if signature_type == "cloudevent":
                install(flask_app)  # a refusal's reason goes to the log, not to the caller
            return flask_app
        finally:
            sys.path[:] = saved_path
            sys.modules.pop(module_name, None)
            for name, value in saved_env.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
            with _lock:
                _pending.pop(token, None)
