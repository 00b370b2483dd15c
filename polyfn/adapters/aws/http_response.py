"""``Response`` -> the dict each HTTP source expects back from the function.

- REST API (v1): ``multiValueHeaders``, so repeated headers and cookies survive.
- HTTP API v2 and Function URLs: single ``headers`` (repeats joined with commas) plus a
  ``cookies`` list, the only way to send more than one ``Set-Cookie``.
- ALB: a ``statusDescription`` ("200 OK") and ``multiValueHeaders`` only when the target
  group has multi-value headers on (the request tells: it came with
  ``multiValueHeaders``); ALB reads the response headers from the field of its mode.

Bodies that are not text travel base64-encoded with ``isBase64Encoded: true``.
"""

from __future__ import annotations

from polyfn.core.http import Response, reason_phrase

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (cheap_typing.py)
if TYPE_CHECKING:
    from typing import Any

__all__ = ["render_alb", "render_v1", "render_v2"]


def _status_description(status: int) -> str:
    # ALB requires statusDescription as "<code> <phrase>"; a code HTTP does not name
    # gets "Unknown" (ALB accepts any text there).
    description = _DESCRIPTIONS.get(status)
    if description is None:
        description = _DESCRIPTIONS[status] = f"{status} {reason_phrase(status) or 'Unknown'}"
    return description


# ALB's statusDescription per status, built once per status: "200 OK".
_DESCRIPTIONS: dict[int, str] = {}


def _multi_value_headers(response: Response) -> dict[str, list[str]]:
    # A copy of the response's headers as name -> values, built straight from its
    # internals: the public accessors cost a microsecond more on every invocation (see
    # test_response_internals_are_what_the_renderers_read).
    headers = response._headers
    if headers is not None:
        return {name: list(values) for name, values in headers._data.items()}
    content_type = response._content_type
    return {"content-type": [content_type]} if content_type is not None else {}


def _body(response: Response, content_type: str | None) -> tuple[str, bool]:
    body = response.body
    if not body:
        return "", False
    # JSON (and no content type) is text by Response.is_text's rule; deciding those here
    # saves the header lookups on the most common answer.
    if content_type is None or content_type == "application/json" or response.is_text:
        try:
            return body.decode("utf-8"), False
        except UnicodeDecodeError:
            pass  # declared as text but is not UTF-8: send the bytes as they are
    import binascii

    return binascii.b2a_base64(body, newline=False).decode("ascii"), True


def _first(values: list[str] | None) -> str | None:
    return values[0] if values else None


def render_v2(response: Response) -> dict[str, Any]:
    """HTTP API payload 2.0 / Function URL response."""
    headers = response._headers
    cookies = None
    if headers is not None and headers._data:
        lists = headers._data
        single = _joined_headers(lists)
        content_type = _first(lists.get("content-type"))
        cookies = lists.get("set-cookie")
    else:
        content_type = response._content_type  # None whenever _headers is set
        if content_type is None:
            body, encoded = _body(response, None)
            return {"statusCode": response.status, "body": body, "isBase64Encoded": encoded}
        if content_type == "application/json":
            # The most common answer of all, without the _body call: JSON is UTF-8 text
            # (a body that is not falls through to _body, which sends it base64-encoded).
            try:
                text = response.body.decode()
            except UnicodeDecodeError:
                pass
            else:
                return {
                    "statusCode": response.status,
                    "headers": {"content-type": content_type},
                    "body": text,
                    "isBase64Encoded": False,
                }
        single = {"content-type": content_type}  # most answers: a type and nothing else
    body, encoded = _body(response, content_type)
    # One literal with every key: cheaper than adding keys to a smaller dict.
    out = {
        "statusCode": response.status,
        "headers": single,
        "body": body,
        "isBase64Encoded": encoded,
    }
    if cookies:
        out["cookies"] = list(cookies)  # payload 2.0's only way to send several
    return out


def _joined_headers(lists: dict[str, list[str]]) -> dict[str, str]:
    # Payload 2.0 takes one value per header: repeats are joined with commas, as API
    # Gateway itself does, except Set-Cookie, which travels in "cookies".
    return {
        name: values[0] if len(values) == 1 else ",".join(values)
        for name, values in lists.items()
        if name != "set-cookie"
    }


def render_v1(response: Response) -> dict[str, Any]:
    """REST API (and HTTP API payload 1.0) proxy integration response."""
    lists = _multi_value_headers(response)
    out: dict[str, Any] = {"statusCode": response.status}
    if lists:
        out["multiValueHeaders"] = lists
    out["body"], out["isBase64Encoded"] = _body(response, _first(lists.get("content-type")))
    return out


def render_alb(response: Response, multi_value: bool) -> dict[str, Any]:
    """ALB target response, in the headers mode the request came in."""
    status = response.status
    out: dict[str, Any] = {
        "statusCode": status,
        "statusDescription": _status_description(status),
    }
    lists = _multi_value_headers(response)
    if multi_value:
        out["multiValueHeaders"] = lists
    else:
        out["headers"] = _single_value_headers(lists)
    out["body"], out["isBase64Encoded"] = _body(response, _first(lists.get("content-type")))
    return out


def _single_value_headers(lists: dict[str, list[str]]) -> dict[str, str]:
    single: dict[str, str] = {}
    for name, values in lists.items():
        if name == "set-cookie" and len(values) > 1:
            # One Set-Cookie is all single-value mode can carry, and joining cookies with
            # commas breaks them. Keep the first and say why the rest went.
            import logging

            logging.getLogger("polyfn.aws").warning(
                "ALB single-value headers mode can send one Set-Cookie; %d dropped. "
                "Turn on multi-value headers for the target group.",
                len(values) - 1,
            )
            single[name] = values[0]
        else:
            single[name] = values[0] if len(values) == 1 else ",".join(values)
    return single
