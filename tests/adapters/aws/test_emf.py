"""polyfn's EMF lines against the aws-embedded-metrics library's for the same metrics:
the same CloudWatchMetrics directive, the same root members (issue 17, item 3)."""

from __future__ import annotations

import json

from aws_embedded_metrics.logger.metrics_context import MetricsContext
from aws_embedded_metrics.serializers.log_serializer import LogSerializer

from polyfn.adapters.aws.metrics import emf_documents, write_emf
from polyfn.core.context import Context
from polyfn.core.metrics import MetricPoint


def _reference(
    namespace: str, dimensions: dict[str, str], metrics: list[tuple[str, object, str]]
) -> dict[str, object]:
    context = MetricsContext.empty()
    context.namespace = namespace
    context.set_dimensions([dimensions] if dimensions else [])
    for name, value, unit in metrics:
        for one in value if isinstance(value, list) else [value]:
            context.put_metric(name, one, unit)
    (line,) = LogSerializer.serialize(context)
    return json.loads(line)  # type: ignore[no-any-return]


def _points(ctx: Context) -> list[MetricPoint]:
    ctx.metrics.count("Orders", 2, region="eu", tier="gold")
    ctx.metrics.histogram("Latency", 12.5, region="eu", tier="gold")
    ctx.metrics.histogram("Latency", 20, region="eu", tier="gold")
    ctx.metrics.gauge("Depth", 4, unit="None")
    return ctx.metrics.points


def test_emf_documents_match_the_reference_library() -> None:
    ctx = Context("aws", "checkout", "req-1")
    with_dimensions, without = emf_documents(ctx, "shop", _points(ctx))
    expected = _reference(
        "shop", {"region": "eu", "tier": "gold"},
        [("Orders", 2.0, "Count"), ("Latency", [12.5, 20.0], "Milliseconds")],
    )  # fmt: skip
    assert with_dimensions["_aws"]["CloudWatchMetrics"] == expected["_aws"]["CloudWatchMetrics"]  # type: ignore[index]
    for member in ("region", "tier", "Orders", "Latency"):
        assert with_dimensions[member] == expected[member]
    assert isinstance(with_dimensions["_aws"]["Timestamp"], int)
    plain = _reference("shop", {}, [("Depth", 4.0, "None")])
    assert without["_aws"]["CloudWatchMetrics"] == plain["_aws"]["CloudWatchMetrics"]  # type: ignore[index]
    assert without["Depth"] == plain["Depth"] == 4
    # The invocation's ids ride along as properties (not dimensions: no extra cost).
    assert with_dimensions["requestId"] == "req-1"
    assert with_dimensions["function"] == "checkout"
    assert with_dimensions["traceId"].startswith("1-")


def test_emf_lines_are_single_json_lines_on_stdout(capsys: object) -> None:
    ctx = Context("aws", "checkout", "req-1")
    write_emf(ctx, "shop", _points(ctx))
    lines = capsys.readouterr().out.splitlines()  # type: ignore[attr-defined]
    assert len(lines) == 2
    assert all("_aws" in json.loads(line) for line in lines)
