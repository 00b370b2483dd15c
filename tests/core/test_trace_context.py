"""Trace context read from what arrives: W3C, X-Ray and Cloud Trace headers, and the
bad input that must start a new trace instead of failing (issue 17, item 2)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from polyfn.core.datastructures import Headers
from polyfn.core.trace_context import (
    MAX_CORRELATION_CHARS,
    parse_cloud_trace,
    parse_traceparent,
    parse_xray,
    trace_from,
)

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT = "00f067aa0ba902b7"


def test_a_w3c_traceparent_is_continued_with_a_new_span() -> None:
    trace = trace_from({"traceparent": f"00-{TRACE}-{PARENT}-01", "tracestate": "congo=t61"})
    assert (trace.trace_id, trace.parent_id, trace.sampled) == (TRACE, PARENT, True)
    assert trace.span_id != PARENT and len(trace.span_id) == 16
    assert trace.outgoing() == {
        "traceparent": f"00-{TRACE}-{trace.span_id}-01",
        "tracestate": "congo=t61",
        "x-correlation-id": TRACE,  # none arrived: the trace id names the chain
        "polyfn-hops": "1",
    }


def test_headers_are_read_whatever_their_case() -> None:
    headers = Headers([("TraceParent", f"00-{TRACE}-{PARENT}-00"), ("X-Correlation-ID", "c-1")])
    trace = trace_from(headers)
    assert (trace.trace_id, trace.sampled, trace.correlation_id) == (TRACE, False, "c-1")


@pytest.mark.parametrize(
    "value",
    [
        f"00-{TRACE}-{PARENT}",  # too short
        f"00-{TRACE}-{PARENT}-01-extra",  # version 00 has nothing after the flags
        f"00-{TRACE[:-1]}-{PARENT}-01x",  # wrong field lengths
        f"00-{'0' * 32}-{PARENT}-01",  # all-zero trace id
        f"00-{TRACE}-{'0' * 16}-01",  # all-zero parent id
        f"ff-{TRACE}-{PARENT}-01",  # the version that is invalid
        f"00-{TRACE.upper()}-{PARENT}-01",  # uppercase hex
        f"0g-{TRACE}-{PARENT}-01",  # not hex
        f"00_{TRACE}_{PARENT}_01",  # wrong separators
        "",
        "\x00" * 55,
    ],
)
def test_a_malformed_traceparent_is_ignored_and_a_new_trace_started(value: str) -> None:
    assert parse_traceparent(value) is None
    trace = trace_from({"traceparent": value, "tracestate": "ignored=1"})
    assert trace.trace_id != TRACE and len(trace.trace_id) == 32 and trace.parent_id is None
    assert trace.tracestate == ""


def test_a_later_traceparent_version_is_read_for_its_known_fields() -> None:
    assert parse_traceparent(f"01-{TRACE}-{PARENT}-01-what-comes-later") == (TRACE, PARENT, True)


def test_xray_and_cloud_trace_headers_map_to_the_same_trace_id() -> None:
    xray = f"Root=1-{TRACE[:8]}-{TRACE[8:]};Parent={PARENT};Sampled=1"
    assert parse_xray(xray) == (TRACE, PARENT, True)
    assert parse_xray("Root=1-abc;Parent=x") is None
    assert parse_xray("Root=2-4bf92f35-77b34da6a3ce929d0e0e4736") is None
    assert parse_cloud_trace(f"{TRACE}/{int(PARENT, 16)};o=1") == (TRACE, PARENT, True)
    assert parse_cloud_trace(f"{TRACE}/abc;o=0") == (TRACE, None, False)
    assert parse_cloud_trace("nothex/1") is None
    assert trace_from({"x-amzn-trace-id": xray}).xray_trace_id == f"1-{TRACE[:8]}-{TRACE[8:]}"
    # W3C wins when both arrive; the platform's header counts only when the event has none.
    other = "1" * 32
    both = {"traceparent": f"00-{other}-{PARENT}-01", "x-amzn-trace-id": xray}
    assert trace_from(both).trace_id == other
    assert trace_from({}, {"x-amzn-trace-id": xray}).trace_id == TRACE
    assert trace_from(both, {"x-amzn-trace-id": xray}).trace_id == other


def test_an_oversized_correlation_id_is_truncated_and_a_forged_hop_count_ignored() -> None:
    trace = trace_from({"x-correlation-id": "c" * 10_000, "polyfn-hops": "-3"})
    assert trace.correlation_id == "c" * MAX_CORRELATION_CHARS
    assert trace.hops == 0
    assert trace_from({"polyfn-hops": "99999999999999"}).hops == 0
    assert trace_from({"polyfn-hops": "7"}).hops == 7


def test_dispatch_reads_the_hop_count_under_the_same_name() -> None:
    from polyfn.core import dispatch, trace_context

    assert dispatch.HOPS_ATTRIBUTE == trace_context.HOPS_ATTRIBUTE


def test_the_eventbridge_adapter_reads_the_trace_under_the_same_key() -> None:
    from polyfn.adapters.aws import records
    from polyfn.core import trace_context

    assert records._TRACE_DETAIL_KEY == trace_context.TRACE_DETAIL_KEY


def test_object_metadata_and_event_extensions_round_trip_the_outgoing_attributes() -> None:
    from polyfn.core.trace_context import (
        carrier_from_extensions,
        carrier_from_metadata,
        event_extensions,
        xray_header,
    )

    trace = trace_from(
        {
            "traceparent": f"00-{TRACE}-{PARENT}-01",
            "tracestate": "vendor=1",
            "x-correlation-id": "flow-1",
            "polyfn-hops": "2",
        }
    )
    outgoing = trace.outgoing()
    stored = trace.object_metadata()
    # Names every cloud's object metadata keeps: lowercase, no '-' (Azure: C# identifiers).
    assert all(name.isidentifier() and name == name.lower() for name in stored)
    assert carrier_from_metadata(stored) == outgoing
    # Azure or the S3 API may hand the names back in another case.
    assert carrier_from_metadata({k.upper(): v for k, v in stored.items()}) == outgoing
    extensions = event_extensions(trace)
    # CloudEvents attribute names: lowercase letters and digits, at most 20 characters.
    assert all(name.isalnum() and name.islower() and len(name) <= 20 for name in extensions)
    assert carrier_from_extensions(extensions) == outgoing
    assert carrier_from_extensions({f"ce-{k}": v for k, v in extensions.items()}) == outgoing
    assert xray_header(outgoing["traceparent"]) == (
        f"Root=1-{TRACE[:8]}-{TRACE[8:]};Parent={trace.span_id};Sampled=1"
    )
    assert xray_header("not a traceparent") is None


@given(
    st.dictionaries(
        st.one_of(st.text(max_size=30), st.integers(), st.none()),
        st.one_of(st.text(max_size=80), st.integers(), st.none(), st.lists(st.text())),
        max_size=8,
    )
)
def test_whatever_metadata_or_extensions_arrive_a_trace_is_read_or_started(
    found: dict[object, object],
) -> None:
    # Metadata and extension attributes come from whoever wrote the object or published
    # the event: anything that is not polyfn's text is left out, and reading never raises.
    from polyfn.core.trace_context import carrier_from_extensions, carrier_from_metadata

    for carrier in (
        carrier_from_metadata(found),  # type: ignore[arg-type]
        carrier_from_extensions(found),
    ):
        assert all(isinstance(v, str) for v in carrier.values())
        trace = trace_from(carrier)
        assert len(trace.trace_id) == 32 and trace.hops >= 0
