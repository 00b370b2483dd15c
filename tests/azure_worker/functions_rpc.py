"""The part of the Azure Functions host <-> language worker protocol that the worker library reads.

The Functions host talks to a language worker over gRPC with the messages of
``FunctionRpc.proto`` (github.com/Azure/azure-functions-language-worker-protobuf). The Python
worker library (``azure-functions-runtime``) takes those messages as Python protobuf objects from
the proxy worker that the host ships, which is not on PyPI. This module builds the message types
the library reads and writes, with the field names the protocol documents, as real protobuf
classes (so ``WhichOneof``, maps, enums and defaults behave as they do in the host's objects).

Only names matter here: the messages never cross a wire, so field numbers are our own and this
is not a copy of the protocol file. Runs under Python 3.13 beside ``azure-functions-runtime``.
"""

from __future__ import annotations

import types
from typing import Any

from google.protobuf import (
    descriptor_pb2,
    descriptor_pool,
    duration_pb2,
    message_factory,
    timestamp_pb2,
)

FIELD = descriptor_pb2.FieldDescriptorProto
SCALARS = {
    "string": FIELD.TYPE_STRING,
    "bytes": FIELD.TYPE_BYTES,
    "bool": FIELD.TYPE_BOOL,
    "int32": FIELD.TYPE_INT32,
    "sint64": FIELD.TYPE_SINT64,
    "double": FIELD.TYPE_DOUBLE,
}
PACKAGE = "polyfn_test_rpc"

# message -> [(field name, type, label)]; label: "" single, "repeated", "map:<value type>",
# "oneof:<group>". A type that is not a scalar names another message or an enum below.
MESSAGES: dict[str, list[tuple[str, str, str]]] = {
    "NullableString": [("value", "string", "")],
    "NullableDouble": [("value", "double", "")],
    "NullableBool": [("value", "bool", "")],
    "NullableTimestamp": [("value", ".google.protobuf.Timestamp", "")],
    "RpcException": [
        ("source", "string", ""),
        ("stack_trace", "string", ""),
        ("message", "string", ""),
    ],
    "StatusResult": [
        ("status", "StatusResult.Status", ""),
        ("result", "string", ""),
        ("exception", "RpcException", ""),
    ],
    "CollectionBytes": [("bytes", "bytes", "repeated")],
    "CollectionString": [("string", "string", "repeated")],
    "CollectionDouble": [("double", "double", "repeated")],
    "CollectionSInt64": [("sint64", "sint64", "repeated")],
    "RpcHttpCookie": [
        ("name", "string", ""),
        ("value", "string", ""),
        ("domain", "NullableString", ""),
        ("path", "NullableString", ""),
        ("expires", "NullableTimestamp", ""),
        ("secure", "NullableBool", ""),
        ("http_only", "NullableBool", ""),
        ("same_site", "RpcHttpCookie.SameSite", ""),
        ("max_age", "NullableDouble", ""),
    ],
    "RpcHttp": [
        ("method", "string", ""),
        ("url", "string", ""),
        ("headers", "string", "map:string"),
        ("body", "TypedData", ""),
        ("params", "string", "map:string"),
        ("status_code", "string", ""),
        ("query", "string", "map:string"),
        ("enable_content_negotiation", "bool", ""),
        ("raw_body", "TypedData", ""),
        ("cookies", "RpcHttpCookie", "repeated"),
    ],
    "TypedData": [
        ("string", "string", "oneof:data"),
        ("json", "string", "oneof:data"),
        ("bytes", "bytes", "oneof:data"),
        ("stream", "bytes", "oneof:data"),
        ("http", "RpcHttp", "oneof:data"),
        ("int", "sint64", "oneof:data"),
        ("double", "double", "oneof:data"),
        ("collection_bytes", "CollectionBytes", "oneof:data"),
        ("collection_string", "CollectionString", "oneof:data"),
        ("collection_double", "CollectionDouble", "oneof:data"),
        ("collection_sint64", "CollectionSInt64", "oneof:data"),
    ],
    "ParameterBinding": [("name", "string", ""), ("data", "TypedData", "oneof:rpc_data")],
    "BindingInfo": [
        ("type", "string", ""),
        ("direction", "BindingInfo.Direction", ""),
        ("data_type", "BindingInfo.DataType", ""),
    ],
    "RpcRetryOptions": [
        ("max_retry_count", "int32", ""),
        ("delay_interval", ".google.protobuf.Duration", ""),
        ("minimum_interval", ".google.protobuf.Duration", ""),
        ("maximum_interval", ".google.protobuf.Duration", ""),
        ("retry_strategy", "RpcRetryOptions.RetryStrategy", ""),
    ],
    "RpcFunctionMetadata": [
        ("name", "string", ""),
        ("directory", "string", ""),
        ("script_file", "string", ""),
        ("entry_point", "string", ""),
        ("bindings", "BindingInfo", "map:BindingInfo"),
        ("is_proxy", "bool", ""),
        ("status", "StatusResult", ""),
        ("language", "string", ""),
        ("raw_bindings", "string", "repeated"),
        ("function_id", "string", ""),
        ("managed_dependency_enabled", "bool", ""),
        ("retry_options", "RpcRetryOptions", ""),
        ("properties", "string", "map:string"),
    ],
    "WorkerMetadata": [
        ("runtime_name", "string", ""),
        ("runtime_version", "string", ""),
        ("worker_version", "string", ""),
        ("worker_bitness", "string", ""),
        ("custom_properties", "string", "map:string"),
    ],
    "WorkerInitRequest": [
        ("host_version", "string", ""),
        ("capabilities", "string", "map:string"),
        ("worker_directory", "string", ""),
        ("function_app_directory", "string", ""),
    ],
    "WorkerInitResponse": [
        ("worker_version", "string", ""),
        ("capabilities", "string", "map:string"),
        ("result", "StatusResult", ""),
        ("worker_metadata", "WorkerMetadata", ""),
    ],
    "FunctionsMetadataRequest": [("function_app_directory", "string", "")],
    "FunctionMetadataResponse": [
        ("function_metadata_results", "RpcFunctionMetadata", "repeated"),
        ("result", "StatusResult", ""),
        ("use_default_metadata_indexing", "bool", ""),
    ],
    "FunctionLoadRequest": [("function_id", "string", ""), ("metadata", "RpcFunctionMetadata", "")],
    "FunctionLoadResponse": [("function_id", "string", ""), ("result", "StatusResult", "")],
    "RpcTraceContext": [
        ("trace_parent", "string", ""),
        ("trace_state", "string", ""),
        ("attributes", "string", "map:string"),
    ],
    "RetryContext": [
        ("retry_count", "int32", ""),
        ("max_retry_count", "int32", ""),
        ("exception", "RpcException", ""),
    ],
    "InvocationRequest": [
        ("invocation_id", "string", ""),
        ("function_id", "string", ""),
        ("input_data", "ParameterBinding", "repeated"),
        ("trigger_metadata", "TypedData", "map:TypedData"),
        ("trace_context", "RpcTraceContext", ""),
        ("retry_context", "RetryContext", ""),
    ],
    "InvocationResponse": [
        ("invocation_id", "string", ""),
        ("output_data", "ParameterBinding", "repeated"),
        ("return_value", "TypedData", ""),
        ("result", "StatusResult", ""),
    ],
    "FunctionEnvironmentReloadResponse": [
        ("worker_metadata", "WorkerMetadata", ""),
        ("capabilities", "string", "map:string"),
        ("result", "StatusResult", ""),
    ],
    "StreamingMessage": [
        ("request_id", "string", ""),
        ("worker_init_request", "WorkerInitRequest", "oneof:content"),
        ("functions_metadata_request", "FunctionsMetadataRequest", "oneof:content"),
        ("function_load_request", "FunctionLoadRequest", "oneof:content"),
        ("invocation_request", "InvocationRequest", "oneof:content"),
    ],
}

# enum (as Message.Enum) -> value names in order; the numbers are the positions.
ENUMS: dict[str, list[str]] = {
    "StatusResult.Status": ["Failure", "Success", "Cancelled"],
    "RpcHttpCookie.SameSite": ["None", "Lax", "Strict", "ExplicitNone"],
    "BindingInfo.Direction": ["in", "out", "inout"],
    "BindingInfo.DataType": ["undefined", "string", "binary", "stream"],
    "RpcRetryOptions.RetryStrategy": ["exponential_backoff", "fixed_delay"],
}


def _type_name(name: str) -> str:
    return name if name.startswith(".") else f".{PACKAGE}.{name}"


def _field(name: str, number: int, kind: str, repeated: bool) -> FIELD:
    field = FIELD(name=name, number=number)
    field.label = FIELD.LABEL_REPEATED if repeated else FIELD.LABEL_OPTIONAL
    if kind in SCALARS:
        field.type = SCALARS[kind]
    elif kind in ENUMS:
        field.type = FIELD.TYPE_ENUM
        field.type_name = _type_name(kind)
    else:
        field.type = FIELD.TYPE_MESSAGE
        field.type_name = _type_name(kind)
    return field


def _file() -> descriptor_pb2.FileDescriptorProto:
    file = descriptor_pb2.FileDescriptorProto(
        name="polyfn_test_rpc.proto",
        package=PACKAGE,
        syntax="proto3",
        dependency=["google/protobuf/timestamp.proto", "google/protobuf/duration.proto"],
    )
    for message_name, fields in MESSAGES.items():
        message = file.message_type.add(name=message_name)
        oneofs: list[str] = []
        for number, (name, kind, label) in enumerate(fields, start=1):
            if label.startswith("map:"):
                entry_name = "".join(part.title() for part in name.split("_")) + "Entry"
                entry = message.nested_type.add(name=entry_name)
                entry.options.map_entry = True
                entry.field.append(_field("key", 1, "string", repeated=False))
                entry.field.append(_field("value", 2, label[4:], repeated=False))
                message.field.append(
                    _field(name, number, f"{message_name}.{entry_name}", repeated=True)
                )
                continue
            field = _field(name, number, kind, repeated=label == "repeated")
            if label.startswith("oneof:"):
                group = label[6:]
                if group not in oneofs:
                    oneofs.append(group)
                    message.oneof_decl.add(name=group)
                field.oneof_index = oneofs.index(group)
            message.field.append(field)
        for enum_name, values in ENUMS.items():
            owner, _, short = enum_name.partition(".")
            if owner == message_name:
                enum = message.enum_type.add(name=short)
                for index, value in enumerate(values):
                    enum.value.add(name=value, number=index)
    return file


def build() -> types.SimpleNamespace:
    """A namespace of message classes, as the proxy worker's ``protos`` module offers them."""
    pool = descriptor_pool.DescriptorPool()
    pool.AddSerializedFile(timestamp_pb2.DESCRIPTOR.serialized_pb)
    pool.AddSerializedFile(duration_pb2.DESCRIPTOR.serialized_pb)
    pool.Add(_file())
    classes: dict[str, Any] = {
        name: message_factory.GetMessageClass(pool.FindMessageTypeByName(f"{PACKAGE}.{name}"))
        for name in MESSAGES
    }
    classes["Timestamp"] = message_factory.GetMessageClass(
        pool.FindMessageTypeByName("google.protobuf.Timestamp")
    )
    return types.SimpleNamespace(**classes)
