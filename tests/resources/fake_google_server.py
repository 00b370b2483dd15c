"""An in-test gRPC server standing in for Pub/Sub and Firestore at the wire.

The Pub/Sub and Firestore emulators need a Java runtime that the test environment does
not promise, so polyfn's backends are tested at the client libraries' boundary: the real
``PublisherClient`` and ``firestore.Client`` talk gRPC (through ``PUBSUB_EMULATOR_HOST``
and ``FIRESTORE_EMULATOR_HOST``) to this server, which records every request for the
tests to assert on and answers from a small in-memory store.

It implements exactly the calls polyfn makes and aborts with UNIMPLEMENTED on anything
else, so a backend that starts making a different request fails its tests loudly.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import grpc
from google.cloud.firestore_v1.types import document as fs_document
from google.cloud.firestore_v1.types import firestore as fs
from google.cloud.firestore_v1.types import query as fs_query
from google.cloud.firestore_v1.types import write as fs_write
from google.pubsub_v1 import types as pubsub

_Operator = fs_query.StructuredQuery.FieldFilter.Operator
_Direction = fs_query.StructuredQuery.Direction


@dataclass
class FakeGoogle:
    """What the fake saw and holds; ``requests`` is (method, request) in arrival order."""

    address: str = ""
    requests: list[tuple[str, Any]] = field(default_factory=list)
    topics: set[str] = field(default_factory=set)
    documents: dict[str, fs_document.Document] = field(default_factory=dict)
    forbidden_prefixes: list[str] = field(default_factory=list)
    _ids: Iterator[int] = field(default_factory=itertools.count)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def sent(self, method: str) -> list[Any]:
        return [request for name, request in self.requests if name == method]

    def _record(self, method: str, request: Any) -> None:
        with self._lock:
            self.requests.append((method, request))

    # ------------------------------------------------------------------ Pub/Sub

    def create_topic(self, request: pubsub.Topic, context: grpc.ServicerContext) -> pubsub.Topic:
        self._record("CreateTopic", request)
        if request.name in self.topics:
            context.abort(grpc.StatusCode.ALREADY_EXISTS, "Topic already exists")
        self.topics.add(request.name)
        return request

    def publish(
        self, request: pubsub.PublishRequest, context: grpc.ServicerContext
    ) -> pubsub.PublishResponse:
        self._record("Publish", request)
        if request.topic not in self.topics:
            context.abort(grpc.StatusCode.NOT_FOUND, f"Topic not found: {request.topic}")
        with self._lock:
            ids = [f"{next(self._ids)}:{m.data.decode(errors='replace')}" for m in request.messages]
        return pubsub.PublishResponse(message_ids=ids)

    # ------------------------------------------------------------------ Firestore

    def _check_allowed(self, name: str, context: grpc.ServicerContext) -> None:
        if any(f"/documents/{prefix}" in name for prefix in self.forbidden_prefixes):
            context.abort(grpc.StatusCode.PERMISSION_DENIED, "Missing or insufficient permissions.")

    def commit(self, request: fs.CommitRequest, context: grpc.ServicerContext) -> fs.CommitResponse:
        self._record("Commit", request)
        now = datetime.now(UTC)
        with self._lock:
            for write in request.writes:  # preconditions first: a commit is atomic
                name = write.update.name if "update" in write else write.delete
                self._check_allowed(name, context)
                if "current_document" in write:
                    must_exist = write.current_document.exists
                    if must_exist and name not in self.documents:
                        context.abort(grpc.StatusCode.NOT_FOUND, f"No document to update: {name}")
                    if not must_exist and name in self.documents:
                        context.abort(
                            grpc.StatusCode.ALREADY_EXISTS, f"Document already exists: {name}"
                        )
            for write in request.writes:
                if "update" not in write:
                    self.documents.pop(write.delete, None)
                    continue
                self._apply(write, now, context)
        results = [fs_write.WriteResult(update_time=now) for _ in request.writes]
        return fs.CommitResponse(write_results=results, commit_time=now)

    def _apply(self, write: fs_write.Write, now: datetime, context: grpc.ServicerContext) -> None:
        incoming = write.update
        existing = self.documents.get(incoming.name)
        if "update_mask" in write and existing is not None:
            fields = dict(existing.fields)
            for path in write.update_mask.field_paths:
                name = _top_level_field(path, context)
                if name in incoming.fields:
                    fields[name] = incoming.fields[name]
                else:
                    fields.pop(name, None)
            created = existing.create_time
        else:
            fields = dict(incoming.fields)
            created = existing.create_time if existing is not None else now
        self.documents[incoming.name] = fs_document.Document(
            name=incoming.name, fields=fields, create_time=created, update_time=now
        )

    def batch_get_documents(
        self, request: fs.BatchGetDocumentsRequest, context: grpc.ServicerContext
    ) -> Iterator[fs.BatchGetDocumentsResponse]:
        self._record("BatchGetDocuments", request)
        if request.transaction or "mask" in request:
            context.abort(grpc.StatusCode.UNIMPLEMENTED, "the fake reads whole documents only")
        now = datetime.now(UTC)
        for name in request.documents:
            self._check_allowed(name, context)
            found = self.documents.get(name)
            if found is None:
                yield fs.BatchGetDocumentsResponse(missing=name, read_time=now)
            else:
                yield fs.BatchGetDocumentsResponse(found=found, read_time=now)

    def run_query(
        self, request: fs.RunQueryRequest, context: grpc.ServicerContext
    ) -> Iterator[fs.RunQueryResponse]:
        self._record("RunQuery", request)
        query = request.structured_query
        if len(query.from_) != 1 or query.from_[0].all_descendants or "select" in query:
            context.abort(grpc.StatusCode.UNIMPLEMENTED, "the fake queries one collection")
        parent = f"{request.parent}/{query.from_[0].collection_id}/"
        self._check_allowed(parent, context)
        names = sorted(
            name
            for name in self.documents
            if name.startswith(parent) and "/" not in name[len(parent) :]
        )
        orders = [(o.field.field_path, o.direction) for o in query.order_by]
        if orders != [("__name__", _Direction.ASCENDING)]:
            context.abort(
                grpc.StatusCode.UNIMPLEMENTED, f"the fake orders by __name__ only: {orders}"
            )
        if "where" in query:
            condition = query.where.field_filter
            if (
                condition.field.field_path != "__name__"
                or condition.op != _Operator.GREATER_THAN_OR_EQUAL
            ):
                context.abort(grpc.StatusCode.UNIMPLEMENTED, "the fake filters __name__ >= only")
            names = [name for name in names if name >= condition.value.reference_value]
        if "start_at" in query:
            [value] = query.start_at.values
            after = value.reference_value
            names = [n for n in names if (n >= after if query.start_at.before else n > after)]
        if "end_at" in query or query.offset:
            context.abort(grpc.StatusCode.UNIMPLEMENTED, "the fake has no end_at or offset")
        if "limit" in query:
            names = names[: query.limit]
        now = datetime.now(UTC)
        if not names:
            yield fs.RunQueryResponse(read_time=now)
        for name in names:
            yield fs.RunQueryResponse(document=self.documents[name], read_time=now)


def _top_level_field(path: str, context: grpc.ServicerContext) -> str:
    if path.startswith("`") and path.endswith("`"):
        return path[1:-1].replace("\\`", "`").replace("\\\\", "\\")
    if "." in path:
        context.abort(
            grpc.StatusCode.UNIMPLEMENTED, f"the fake updates top-level fields only: {path}"
        )
    return path


def _unary(method: Any, request_type: Any, response_type: Any) -> grpc.RpcMethodHandler:
    return grpc.unary_unary_rpc_method_handler(
        method,
        request_deserializer=request_type.deserialize,
        response_serializer=response_type.serialize,
    )


def _streaming(method: Any, request_type: Any, response_type: Any) -> grpc.RpcMethodHandler:
    return grpc.unary_stream_rpc_method_handler(
        method,
        request_deserializer=request_type.deserialize,
        response_serializer=response_type.serialize,
    )


def start_fake_google() -> tuple[grpc.Server, FakeGoogle]:
    """Start the fake on 127.0.0.1 and a free port; the caller stops the server."""
    fake = FakeGoogle()
    publisher = grpc.method_handlers_generic_handler(
        "google.pubsub.v1.Publisher",
        {
            "CreateTopic": _unary(fake.create_topic, pubsub.Topic, pubsub.Topic),
            "Publish": _unary(fake.publish, pubsub.PublishRequest, pubsub.PublishResponse),
        },
    )
    firestore = grpc.method_handlers_generic_handler(
        "google.firestore.v1.Firestore",
        {
            "Commit": _unary(fake.commit, fs.CommitRequest, fs.CommitResponse),
            "BatchGetDocuments": _streaming(
                fake.batch_get_documents, fs.BatchGetDocumentsRequest, fs.BatchGetDocumentsResponse
            ),
            "RunQuery": _streaming(fake.run_query, fs.RunQueryRequest, fs.RunQueryResponse),
        },
    )
    server = grpc.server(ThreadPoolExecutor(max_workers=8))
    server.add_generic_rpc_handlers((publisher, firestore))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    fake.address = f"127.0.0.1:{port}"
    return server, fake
