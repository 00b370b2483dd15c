"""DynamoDB Streams records, as Lambda's event source mapping delivers them, to changes.

A record (Lambda developer guide, "Using AWS Lambda with Amazon DynamoDB", example
event, read 2026-12) names the write in ``eventName`` (INSERT, MODIFY, REMOVE) and
carries under ``dynamodb`` the item's ``Keys``, its ``NewImage`` and ``OldImage`` as the
stream's view type allows, the ``SequenceNumber`` (the ``itemIdentifier`` of a partial
batch response) and ``ApproximateCreationDateTime`` (epoch seconds). Images are in
DynamoDB's JSON: every value tagged with its type, binary values base64-encoded.

Decoding is plain Python (base64 and a few dict walks, no boto3): a function that only
consumes a stream never loads the SDK. Numbers follow the table backend's rule
(``backends/dynamodb_codec``): a number with a '.' or an exponent is a float, any other
an int, so an image equals what ``table.get`` returns for the same item.
"""

from __future__ import annotations

from polyfn.core.changes import Change, MalformedChange

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (core/cheap_typing.py)
if TYPE_CHECKING:
    from typing import Any

__all__ = ["decode_image", "stream_change", "stream_table_name"]

_KINDS = {"INSERT": "insert", "MODIFY": "modify", "REMOVE": "remove"}


def stream_table_name(arn: str) -> str | None:
    """The table of a stream ARN, ``arn:aws:dynamodb:<region>:<account>:table/<name>/
    stream/<label>``; None for anything else."""
    resource = arn.split(":", 5)[5] if arn.count(":") >= 5 else ""
    parts = resource.split("/")
    if len(parts) >= 2 and parts[0] == "table" and parts[1]:
        return parts[1]
    return None


def stream_change(record: Any) -> Change:
    """The change a DynamoDB stream record describes; ``MalformedChange`` when the record
    lacks what every stream record has, or carries a value DynamoDB never sends."""
    if type(record) is not dict:
        raise MalformedChange(f"a DynamoDB stream record is an object, not {_kind(record)}")
    name = record.get("eventName")
    kind = _KINDS.get(name) if type(name) is str else None
    if kind is None:
        raise MalformedChange(
            f"a DynamoDB stream record's eventName is INSERT, MODIFY or REMOVE, "
            f"not {record.get('eventName')!r}"
        )
    data = record.get("dynamodb")
    if type(data) is not dict:
        raise MalformedChange("a DynamoDB stream record has a 'dynamodb' object")
    sequence = data.get("SequenceNumber")
    if type(sequence) is not str or not sequence:
        raise MalformedChange("a DynamoDB stream record has a SequenceNumber string")
    keys = decode_image(data.get("Keys"), "Keys")
    if not keys:
        raise MalformedChange(f"DynamoDB stream record {sequence} has no Keys")
    new = decode_image(data["NewImage"], "NewImage") if "NewImage" in data else None
    old = decode_image(data["OldImage"], "OldImage") if "OldImage" in data else None
    table = stream_table_name(str(record.get("eventSourceARN", ""))) or ""
    return Change(
        kind,  # type: ignore[arg-type]
        table,
        keys,
        new=new,
        old=old,
        id=sequence,
        time=_iso_time(data.get("ApproximateCreationDateTime")),
        raw=record,
    )


def decode_image(image: Any, where: str) -> dict[str, Any]:
    """An item in DynamoDB's JSON (``{"name": {"S": "x"}}``) as plain Python values."""
    if type(image) is not dict:
        raise MalformedChange(f"a stream record's {where} is an object, not {_kind(image)}")
    return {str(name): _value(tagged, f"{where}.{name}") for name, tagged in image.items()}


def _value(tagged: Any, path: str) -> Any:
    if type(tagged) is not dict or len(tagged) != 1:
        raise MalformedChange(f"{path} is not a DynamoDB attribute value ({{type: value}})")
    ((tag, value),) = tagged.items()
    if tag == "S" and type(value) is str:
        return value
    if tag == "N" and type(value) is str:
        return _number(value, path)
    if tag == "BOOL" and type(value) is bool:
        return value
    if tag == "NULL" and value is True:
        return None
    if tag == "B" and type(value) is str:
        return _bytes(value, path)
    if tag == "M" and type(value) is dict:
        return {str(k): _value(v, f"{path}.{k}") for k, v in value.items()}
    if tag == "L" and type(value) is list:
        return [_value(v, f"{path}[{i}]") for i, v in enumerate(value)]
    # Sets are never written by polyfn; an item another tool wrote reads them as lists,
    # as the table backend does.
    if tag in ("SS", "NS", "BS") and type(value) is list and all(type(v) is str for v in value):
        if tag == "SS":
            return list(value)
        if tag == "NS":
            return [_number(v, path) for v in value]
        return [_bytes(v, path) for v in value]
    raise MalformedChange(f"{path}: {tag!r} with a {_kind(value)} is not a DynamoDB value")


def _number(text: str, path: str) -> int | float:
    try:
        if any(mark in text for mark in ".eE"):
            number = float(text)
            if number != number or number in (float("inf"), float("-inf")):
                raise ValueError(text)
            return number
        return int(text)
    except ValueError:
        raise MalformedChange(f"{path}: {text[:40]!r} is not a DynamoDB number") from None


def _bytes(text: str, path: str) -> bytes:
    import base64
    import binascii

    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise MalformedChange(f"{path}: binary values are base64 text") from None


def _iso_time(seconds: Any) -> str | None:
    if type(seconds) not in (int, float) or not 0 <= seconds < 253402300800:
        return None
    from datetime import UTC, datetime

    return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__
