"""Plays the Durable Functions host for the orchestrators ``function_app(app)`` registered.

The orchestrator runs through the function the ``azure-functions-durable`` library built
for it (``Orchestrator.create``'s handle), on the context the host would send: the
orchestration history as JSON (the shape the library's own tests build, with
``ContextBuilder`` in tests/test_utils of Azure/azure-functions-durable-python). Each
episode the host reads the actions the orchestrator returned, carries out the new ones
and appends what it saw, the way the host writes history:

- OrchestratorStarted (the episode's time, which becomes ``current_utc_datetime``), ...,
  OrchestratorCompleted;
- CallActivity -> TaskScheduled (EventId = the action's sequence number), then
  TaskCompleted (Result: the activity's JSON) or TaskFailed (Reason and Details, see below)
  with TaskScheduledId;
- CreateTimer -> TimerCreated (FireAt), then TimerFired (TimerId) at that time;
- CallSubOrchestrator -> SubOrchestrationInstanceCreated, then ...Completed (Result) or
  ...Failed (Reason, Details) with TaskScheduledId; the sub-orchestration is run here too.

Time is virtual: it starts at a fixed instant and moves to the time of each event
delivered; an activity takes the (real) time it took to run, so a slow task loses its
race against a timer; timers fire as soon as nothing comes before them. Activities run
through the function registered for them, their input and output through the library's
``ActivityTriggerConverter``, as the Python worker does.

A failed activity's TaskFailed: Reason "Activity function '<name>' failed: <message>" and
Details the exception as JSON with its "Message" ("Exception: <Type>: <message>"), the
shape reported in Azure/azure-functions-durable-extension#2990 and
Azure/azure-functions-durable-python#562.
"""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlparse

import azure.functions as func
from azure.durable_functions.constants import DATETIME_STRING_FORMAT
from azure.functions._durable_functions import df_dumps
from azure.functions.durable_functions import ActivityTriggerConverter
from azure.functions.meta import Datum

# History event types (azure.durable_functions.models.history.HistoryEventType).
EXECUTION_STARTED = 0
TASK_SCHEDULED, TASK_COMPLETED, TASK_FAILED = 4, 5, 6
SUB_CREATED, SUB_COMPLETED, SUB_FAILED = 7, 8, 9
TIMER_CREATED, TIMER_FIRED = 10, 11
ORCHESTRATOR_STARTED, ORCHESTRATOR_COMPLETED = 12, 13
# Action types (azure.durable_functions.models.actions.ActionType).
CALL_ACTIVITY, CALL_SUB_ORCHESTRATOR, CREATE_TIMER = 0, 2, 5
WHEN_ANY, WHEN_ALL = 11, 12

OUT_OF_PROC = "$OutOfProcData$:"
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


class Outcome:
    """How an orchestration ended, as the host records it."""

    def __init__(
        self, status: str, output: Any, custom_status: Any, history: list[dict[str, Any]]
    ) -> None:
        self.status = status  # "Completed" | "Failed"
        self.output = output  # the result, or the failure's message
        self.custom_status = custom_status
        self.history = history
        self.ended = EPOCH


def _stamp(at: datetime) -> str:
    return at.strftime(DATETIME_STRING_FORMAT)


class DurableHost:
    def __init__(self, native: func.FunctionApp) -> None:
        self.functions = {f.get_function_name(): f for f in native.get_functions()}
        self.activities_run: list[str] = []
        self.episodes = 0

    def trigger_of(self, name: str) -> str:
        return str(self.functions[name].get_trigger().get_binding_name())

    def run(self, name: str, input: Any, instance_id: str, started: datetime = EPOCH) -> Outcome:
        """Run orchestration ``name`` to its end; returns how it ended."""
        assert self.trigger_of(name) == "orchestrationTrigger", name
        handle = self.functions[name].get_user_function()
        encoded_input = json.dumps(input)
        now = started
        history: list[dict[str, Any]] = []
        sequence = 0  # the next action's EventId
        pending: list[tuple[datetime, int, dict[str, Any]]] = []  # (when, order, event)
        timers: dict[int, int] = {}  # EventId of a timer -> its index in the actions
        order = 0

        def event(kind: int, at: datetime, event_id: int = -1, **fields: Any) -> dict[str, Any]:
            return {
                "EventType": kind,
                "EventId": event_id,
                "IsPlayed": False,
                "Timestamp": _stamp(at),
                **fields,
            }

        history.append(event(ORCHESTRATOR_STARTED, now))
        history.append(event(EXECUTION_STARTED, now, Name=name, Version="", Input=encoded_input))
        while True:
            self.episodes += 1
            context = {
                "history": history,
                "instanceId": instance_id,
                "isReplaying": False,
                "parentInstanceId": None,
                "input": encoded_input,
                "upperSchemaVersion": 2,
            }
            try:
                state = json.loads(handle(json.dumps(context)))
            except Exception as failure:
                message, _, data = str(failure).partition(OUT_OF_PROC)
                custom = json.loads(data).get("customStatus") if data else None
                return self._end("Failed", message.strip(), custom, history, now)
            if state["isDone"]:
                return self._end(
                    "Completed", state.get("output"), state.get("customStatus"), history, now
                )
            actions = _flatten(state["actions"])
            for index, action in enumerate(actions):
                if action["actionType"] == CREATE_TIMER and action.get("isCanceled"):
                    timers.pop(index, None)  # a cancelled timer never fires
            for action in actions[sequence:]:
                event_id = sequence
                sequence += 1
                kind = action["actionType"]
                if kind == CALL_ACTIVITY:
                    history.append(
                        event(
                            TASK_SCHEDULED,
                            now,
                            event_id,
                            Name=action["functionName"],
                            Version="",
                            Input=action.get("input"),
                        )
                    )
                    done, finished = self._activity(action, now, event_id, event)
                elif kind == CREATE_TIMER:
                    fire_at = datetime.strptime(action["fireAt"], DATETIME_STRING_FORMAT).replace(
                        tzinfo=UTC
                    )
                    history.append(event(TIMER_CREATED, now, event_id, FireAt=action["fireAt"]))
                    timers[event_id] = event_id
                    done = event(TIMER_FIRED, fire_at, TimerId=event_id, FireAt=action["fireAt"])
                    finished = max(fire_at, now)
                elif kind == CALL_SUB_ORCHESTRATOR:
                    child_id = action.get("instanceId") or f"{instance_id}:{event_id}"
                    history.append(
                        event(
                            SUB_CREATED,
                            now,
                            event_id,
                            Name=action["functionName"],
                            InstanceId=child_id,
                            Version="",
                            Input=action.get("input"),
                        )
                    )
                    done, finished = self._sub_orchestration(action, child_id, now, event_id, event)
                else:
                    raise AssertionError(f"the host does not play action {action!r}")
                pending.append((finished, order, done))
                order += 1
            history.append(event(ORCHESTRATOR_COMPLETED, now))
            pending = [
                p for p in pending if p[2]["EventType"] != TIMER_FIRED or p[2]["TimerId"] in timers
            ]
            assert pending, "the orchestrator waits for nothing: it would never wake"
            pending.sort(key=lambda p: (p[0], p[1]))
            when, _, next_event = pending.pop(0)
            if next_event["EventType"] == TIMER_FIRED:
                timers.pop(next_event["TimerId"], None)
            now = max(now, when)
            next_event["Timestamp"] = _stamp(now)
            history.append(event(ORCHESTRATOR_STARTED, now))
            history.append(next_event)

    def _end(
        self, status: str, output: Any, custom: Any, history: list[dict[str, Any]], now: datetime
    ) -> Outcome:
        outcome = Outcome(status, output, custom, history)
        outcome.ended = now
        return outcome

    def _activity(
        self, action: dict[str, Any], now: datetime, event_id: int, event: Any
    ) -> tuple[dict[str, Any], datetime]:
        name = action["functionName"]
        assert self.trigger_of(name) == "activityTrigger", name
        self.activities_run.append(name)
        function = self.functions[name].get_user_function()
        data = ActivityTriggerConverter.decode(
            Datum(type="json", value=action.get("input") or "null"), trigger_metadata=None
        )
        began = time.monotonic()
        try:
            result = function(data)
            done = event(TASK_COMPLETED, now, TaskScheduledId=event_id, Result=df_dumps(result))
        except Exception as failure:
            message = f"Exception: {type(failure).__name__}: {failure}"
            done = event(
                TASK_FAILED,
                now,
                TaskScheduledId=event_id,
                Reason=f"Activity function '{name}' failed: {message}",
                Details=json.dumps({"$type": "System.Exception", "Message": message}),
            )
        return done, now + timedelta(seconds=time.monotonic() - began)

    def _sub_orchestration(
        self, action: dict[str, Any], child_id: str, now: datetime, event_id: int, event: Any
    ) -> tuple[dict[str, Any], datetime]:
        name = action["functionName"]
        raw = action.get("input")
        outcome = self.run(name, json.loads(raw) if raw else None, child_id, started=now)
        if outcome.status == "Completed":
            done = event(
                SUB_COMPLETED, now, TaskScheduledId=event_id, Result=json.dumps(outcome.output)
            )
        else:
            done = event(
                SUB_FAILED,
                now,
                TaskScheduledId=event_id,
                Reason=f"Orchestrator function '{name}' failed: {outcome.output}",
                Details=json.dumps({"Message": outcome.output}),
            )
        return done, outcome.ended


def _flatten(actions: Any) -> list[dict[str, Any]]:
    """The actions in the order the library numbered them (lists per yield in schema V1,
    compound WhenAll/WhenAny actions in V2 and later)."""
    flat: list[dict[str, Any]] = []
    for item in actions:
        if isinstance(item, list):
            flat.extend(_flatten(item))
        elif item["actionType"] in (WHEN_ANY, WHEN_ALL):
            flat.extend(_flatten(item["compoundActions"]))
        else:
            flat.append(item)
    return flat


class DurableRpc:
    """The Durable extension's HTTP API the client calls (``rpcBaseUrl``), backed by the
    replaying host: starting an instance runs it to its end."""

    def __init__(self, native: Any) -> None:
        self.host = DurableHost(native)
        self.instances: dict[str, dict[str, Any]] = {}
        rpc = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                parts = urlparse(self.path).path.strip("/").split("/")
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                payload = json.loads(body) if body else None
                # The client posts the input's JSON text as a JSON string (it serializes
                # it, then aiohttp's json= encodes that string); the text is the input.
                if isinstance(payload, str):
                    payload = json.loads(payload)
                name, instance_id = parts[-2], parts[-1]
                outcome = rpc.host.run(name, payload, instance_id)
                rpc.instances[instance_id] = {
                    "name": name,
                    "instanceId": instance_id,
                    "input": payload,
                    "output": outcome.output,
                    "customStatus": outcome.custom_status,
                    "runtimeStatus": outcome.status,
                    "createdTime": "2026-01-01T00:00:00Z",
                    "lastUpdatedTime": "2026-01-01T00:00:00Z",
                }
                self._answer(202, {"id": instance_id})

            def do_GET(self) -> None:
                url = urlparse(self.path)
                instance_id = url.path.strip("/").split("/")[-1]
                found = rpc.instances.get(instance_id)
                if found is None:
                    self._answer(404, {"message": "not found"})
                    return
                shown = dict(found)
                if "showInput=True" not in url.query and "showInput=true" not in url.query:
                    shown.pop("input")
                self._answer(200, shown)

            def _answer(self, status: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def binding(self) -> str:
        host, port = self.server.server_address[:2]
        base = f"http://{host}:{port}/runtime/webhooks/durabletask/"
        return json.dumps(
            {"taskHubName": "hub", "creationUrls": {}, "managementUrls": {}, "rpcBaseUrl": base}
        )
