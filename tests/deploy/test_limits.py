"""Each cloud's limits, checked at build time: fail where the cloud refuses, warn where it
bends what the App declares; every finding names its function and cites its source."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import pytest

from deploy.conftest import SHOP
from polyfn import App, Request, Response
from polyfn.core.errors import ConfigError
from polyfn.deploy.builder import BuildOptions, prepare
from polyfn.deploy.limits import LIMITS, LimitFinding, check_app, check_function
from polyfn.loading import load_app


def _found(
    findings: Iterable[LimitFinding], level: str, limit: str, function: str = ""
) -> list[str]:
    return [
        f.message for f in findings
        if f.level == level and f.limit == limit and (not function or f.function == function)
    ]  # fmt: skip


def _http(app: App, name: str, **options: Any) -> None:
    def handler(req: Request) -> Response:
        return Response.json({})

    app.get(f"/{name}", name=name, **options)(handler)


def test_every_figure_cites_where_and_when_it_was_read() -> None:
    for cloud, figures in LIMITS.items():
        for name, figure in figures.items():
            # Each figure says when its page was read (most in 2026-11, later ones after).
            assert re.search(r"read 20\d\d-\d\d\b", figure["source"]), (cloud, name)
            assert figure["source"].startswith("https://"), (cloud, name)


@pytest.mark.parametrize("cloud", ["aws", "azure", "gcp"])
def test_the_shop_fits_every_cloud(cloud: str) -> None:
    findings = check_app(load_app(str(SHOP)), cloud)
    assert [f for f in findings if f.level == "fail"] == []
    assert all(f.source for f in findings)


def test_aws_limits() -> None:
    app = App("limits")
    jobs = app.queue("jobs", visibility_timeout=30)
    _http(app, "slow", timeout=60)
    _http(app, "huge", memory=20000, timeout=901)
    _http(app, "too_reserved", reserved_concurrency=950)
    _http(app, "more_warm_than_reserved", reserved_concurrency=2, provisioned_concurrency=5)

    @app.on_message(jobs, batch_size=50, timeout=60)
    def consume(msg: object) -> None:
        return None

    @app.schedule("0 0 1 * MON")
    def both_days(tick: object) -> None:
        return None

    findings = check_app(app, "aws")
    assert _found(findings, "warn", "timeout", "slow")  # API Gateway gives up at 30 s
    assert _found(findings, "fail", "timeout", "huge") and _found(
        findings, "fail", "memory", "huge"
    )
    assert _found(findings, "fail", "concurrency", "too_reserved")
    assert _found(findings, "fail", "concurrency", "more_warm_than_reserved")
    assert _found(findings, "warn", "batch_size", "consume")  # needs a batching window
    [visibility] = _found(findings, "fail", "visibility_timeout", "consume")
    assert "visibility_timeout 30 s" in visibility and "60 s" in visibility
    [schedule] = _found(findings, "fail", "schedule", "both_days")
    assert "'both_days'" in schedule and "EventBridge" in schedule


def test_aws_refuses_overlapping_object_filters() -> None:
    app = App("overlap")
    files = app.bucket("files")
    for name, prefix, suffix in (
        ("all_csv", "", ".csv"),
        ("in_csv", "in/", ".csv"),
        ("out", "out/", ".txt"),
    ):
        app.on_object_created(files, prefix=prefix, suffix=suffix, name=name)(lambda event: None)
    [overlap] = _found(check_app(app, "aws"), "fail", "object_filter")
    assert "all_csv and in_csv" in overlap


def test_aws_names_are_checked_at_their_longest() -> None:
    app = App("a-rather-long-application-name")
    app.bucket("a-long-bucket-name-too")
    _http(app, "a_function_name_long_enough_to_overflow_the_limit")
    findings = check_app(app, "aws", stage="production")
    assert any("64" in m for m in _found(findings, "fail", "name"))
    assert any("S3 name of bucket" in m for m in _found(findings, "fail", "name"))


def test_azure_limits_depend_on_the_plan() -> None:
    app = App("limits")
    first, second = app.queue("first", max_receives=3), app.queue("second", max_receives=5)
    app.bucket("ab")  # too short for a container
    app.table("a-b-c")
    app.table("abc")  # the same table name once hyphens go
    _http(app, "long", timeout=900)
    _http(app, "big", memory=2048, reserved_concurrency=1, provisioned_concurrency=1)
    _http(app, "small", memory=256)

    @app.on_message(first, batch_size=64)
    def one(msg: object) -> None:
        return None

    @app.on_message(second)
    def two(msg: object) -> None:
        return None

    consumption = check_app(app, "azure", plan="consumption")
    assert _found(consumption, "fail", "timeout", "long")
    assert _found(consumption, "warn", "timeout", "long")  # HTTP answers within 230 s
    assert _found(consumption, "fail", "memory")  # 2048 MB on a 1.5 GB instance
    assert _found(consumption, "warn", "memory")  # memory is per app, not per function
    assert _found(consumption, "warn", "batch_size", "one")
    # Differing max_receives no longer stop the build: polyfn poisons per queue itself.
    assert not _found(consumption, "fail", "max_receives")
    names = " ".join(_found(consumption, "fail", "name"))
    assert "'ab'" in names and "'abc'" in names
    assert len(_found(consumption, "warn", "concurrency", "big")) == 2
    premium = check_app(app, "azure", plan="premium")
    assert not _found(premium, "fail", "timeout") and not _found(premium, "fail", "memory")
    flex = check_app(app, "azure", plan="flex")
    assert len(_found(flex, "warn", "concurrency", "big")) == 1  # always-ready instances exist
    with pytest.raises(ConfigError, match="unknown azure plan"):
        check_app(app, "azure", plan="dedicated")


def test_gcp_limits_by_trigger() -> None:
    app = App("limits")
    few, many = app.queue("few", max_receives=3), app.queue("many", max_receives=200)
    _http(app, "long_http", timeout=3000)

    @app.on_message(few, timeout=30)
    def retried(msg: object) -> None:
        return None

    @app.on_message(many, timeout=600)
    def slow_event(msg: object) -> None:
        return None

    @app.on_event(source="shop", type="order.*")
    def wildcard(event: object) -> None:
        return None

    findings = check_app(app, "gcp")
    assert not _found(findings, "fail", "timeout", "long_http")  # HTTP may run 3600 s
    assert _found(findings, "fail", "timeout", "slow_event")  # event-driven: 540 s
    [minimum] = _found(findings, "warn", "max_receives", "retried")
    assert "tried 5 times" in minimum
    assert _found(findings, "fail", "max_receives", "slow_event")
    assert _found(findings, "fail", "event_filter", "wildcard")
    function_only = check_function(app, app.function("retried"), "gcp")
    assert [f.limit for f in function_only] == ["max_receives"]


def test_a_build_refuses_with_every_failure_listed(tmp_path: Any) -> None:
    source = tmp_path / "broken"
    source.mkdir()
    (source / "app.py").write_text(
        "from polyfn import App\n"
        "app = App('broken')\n"
        "@app.get('/a', timeout=2000)\n"
        "def a(req): return None\n"
        "@app.schedule('rate(7 minutes)')\n"
        "def b(tick): return None\n"
    )
    with pytest.raises(ConfigError) as caught:
        prepare(str(source), BuildOptions(cloud="azure", plan="consumption"))
    message = str(caught.value)
    assert "cannot be deployed to azure" in message
    assert "function a:" in message and "function b:" in message
    assert message.count("  - fail") == 2


@pytest.mark.parametrize(
    ("cloud", "good", "bad", "hint"),
    [
        ("gcp", "europe-west1", "eu-west-1", "spelt like a region of AWS"),
        ("aws", "eu-west-1", "europe-west1", "spelt like a region of Google Cloud"),
        ("azure", "westeurope", "west-europe", "its regions are spelt like westeurope"),
    ],
)
def test_a_region_of_another_cloud_is_refused_before_anything_is_built(
    cloud: str, good: str, bad: str, hint: str, tmp_path: Any
) -> None:
    source = tmp_path / "app.py"
    source.write_text(
        "from polyfn import App\napp = App('r')\n@app.get('/a')\ndef a(req): return None\n"
    )
    assert prepare(str(source), BuildOptions(cloud=cloud, region=good)).options.region == good
    with pytest.raises(ConfigError) as caught:
        prepare(str(source), BuildOptions(cloud=cloud, region=bad))
    assert f"--region {bad!r}" in str(caught.value) and hint in str(caught.value)
