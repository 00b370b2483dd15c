"""Plays the Functions host's part towards the Python worker library, one request per line.

Run under Python 3.13 (the worker library's floor) in the venv ``make test`` builds for it:
``python worker_host.py``. It reads JSON requests on stdin and writes one JSON answer per line:

- ``{"op": "init", "directory": D, "env": {...}}``: WorkerInitRequest for the function app in D
  (the worker indexes ``function_app.py`` there), then FunctionsMetadataRequest and a
  FunctionLoadRequest per function, as the host sends them. Answers the functions' metadata.
- ``{"op": "invoke", "function": NAME, "input_data": [...], "trigger_metadata": {...},
  "retry_context": {...}}``: an InvocationRequest, with the binding data in protobuf's JSON form
  (``TypedData`` as the host fills it). Answers the InvocationResponse in the same form.

The worker library does everything in between: indexing with ``azure.functions``' FunctionApp,
binding conversion from typed data (``HttpRequest``, ``QueueMessage``, ``TimerRequest``,
``InputStream``...), the call in its thread pool, and the return value's conversion.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import types
import uuid
from typing import Any

import azure_functions_runtime as worker
from functions_rpc import build
from google.protobuf import json_format

PROTOS = build()


def _request(**content: Any) -> types.SimpleNamespace:
    # The proxy worker hands the library the StreamingMessage plus the host's properties.
    message = PROTOS.StreamingMessage(request_id=str(uuid.uuid4()), **content)
    return types.SimpleNamespace(
        request=message, properties={"host": "127.0.0.1", "protos": PROTOS}
    )


def _as_dict(message: Any) -> dict[str, Any]:
    # Every field, defaults included: a Failure status is the enum's zero value.
    return json_format.MessageToDict(
        message, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
    )


class Host:
    def __init__(self) -> None:
        self.ids: dict[str, str] = {}

    async def init(self, directory: str, env: dict[str, str]) -> dict[str, Any]:
        os.environ.update(env)
        sys.path.insert(0, directory)
        init = await worker.worker_init_request(
            _request(
                worker_init_request=PROTOS.WorkerInitRequest(
                    host_version="4.1040.0",
                    function_app_directory=directory,
                    capabilities={"FunctionDataCache": "false"},
                )
            )
        )
        if init.result.status != PROTOS.StatusResult.Success:
            return {"init": _as_dict(init)}
        metadata = await worker.functions_metadata_request(
            _request(
                functions_metadata_request=PROTOS.FunctionsMetadataRequest(
                    function_app_directory=directory
                )
            )
        )
        functions = []
        for function in metadata.function_metadata_results:
            self.ids[function.name] = function.function_id
            load = await worker.function_load_request(
                _request(
                    function_load_request=PROTOS.FunctionLoadRequest(
                        function_id=function.function_id, metadata=function
                    )
                )
            )
            functions.append(
                {
                    "name": function.name,
                    "raw_bindings": [json.loads(raw) for raw in function.raw_bindings],
                    "loaded": load.result.status == PROTOS.StatusResult.Success,
                }
            )
        return {"init": _as_dict(init), "functions": functions}

    async def invoke(self, request: dict[str, Any]) -> dict[str, Any]:
        invocation = json_format.ParseDict(
            {
                "invocation_id": request.get("invocation_id") or str(uuid.uuid4()),
                "function_id": self.ids[request["function"]],
                "input_data": request.get("input_data", []),
                "trigger_metadata": request.get("trigger_metadata", {}),
                "trace_context": request.get("trace_context", {}),
                "retry_context": request.get("retry_context", {}),
            },
            PROTOS.InvocationRequest(),
        )
        response = await worker.invocation_request(_request(invocation_request=invocation))
        return _as_dict(response)


async def serve() -> None:
    worker.start_threadpool_executor()
    host = Host()
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            break
        request = json.loads(line)
        try:
            if request["op"] == "init":
                answer = await host.init(request["directory"], request.get("env", {}))
            else:
                answer = await host.invoke(request)
        except Exception as error:  # the harness's own failure, reported to the test
            answer = {"harness_error": f"{type(error).__name__}: {error}"}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()
    worker.stop_threadpool_executor()


if __name__ == "__main__":
    asyncio.run(serve())
