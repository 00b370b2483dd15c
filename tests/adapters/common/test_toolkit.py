"""The pieces every adapter shares: one grammar, one cache, one flag, one table each."""

from __future__ import annotations

import threading

import pytest

from polyfn.adapters.common.binding import choose_backends
from polyfn.adapters.common.clients import ClientCache
from polyfn.adapters.common.environment import pinned_function, timeout_seconds
from polyfn.core.app import App
from polyfn.core.errors import ConfigError
from polyfn.core.http import reason_phrase


@pytest.mark.parametrize(("text", "seconds"), [("30", 30.0), ("2.5", 2.5), (" 60 ", 60.0)])
def test_timeout_grammar(text: str, seconds: float) -> None:
    assert timeout_seconds(9.0, {"POLYFN_TIMEOUT_SECONDS": text}) == seconds


@pytest.mark.parametrize("text", ["0", "-5", "ten", "inf", "nan", "1e999"])
def test_bad_timeouts_are_config_errors(text: str) -> None:
    with pytest.raises(ConfigError, match="POLYFN_TIMEOUT_SECONDS"):
        timeout_seconds(9.0, {"POLYFN_TIMEOUT_SECONDS": text})


def test_timeout_default_and_pinned_function() -> None:
    assert timeout_seconds(9.0, {}) == 9.0
    assert pinned_function({"POLYFN_FUNCTION": "work"}) == "work"
    assert pinned_function({"POLYFN_FUNCTION": ""}) is None
    assert pinned_function({}) is None


def test_choose_backends_grammar() -> None:
    made: list[object] = []

    class Provider:
        def __init__(self) -> None:
            made.append(self)

    app = App("binding")
    off = choose_backends(app, "auto", "aws", on_platform=lambda: False, provider=Provider)  # type: ignore[arg-type]
    assert (off, app.binding) == (False, None)
    assert choose_backends(app, "auto", "aws", on_platform=lambda: True, provider=Provider)  # type: ignore[arg-type]
    assert app.binding is made[0]
    # auto never replaces a binding made before; the cloud's own name always binds.
    assert not choose_backends(app, "auto", "aws", on_platform=lambda: True, provider=Provider)  # type: ignore[arg-type]
    assert not choose_backends(app, "keep", "aws", on_platform=lambda: True, provider=Provider)  # type: ignore[arg-type]
    assert choose_backends(app, "aws", "aws", on_platform=lambda: False, provider=Provider)  # type: ignore[arg-type]
    assert app.binding is made[1]
    with pytest.raises(ConfigError, match="'auto', 'aws' or 'keep'"):
        choose_backends(app, "gcp", "aws", on_platform=lambda: True, provider=Provider)  # type: ignore[arg-type]


def test_client_cache_builds_one_client_per_key_across_threads() -> None:
    cache = ClientCache()
    built: list[str] = []
    barrier = threading.Barrier(8)

    def make() -> object:
        built.append("x")
        return object()

    results: list[object] = []

    def worker() -> None:
        barrier.wait()
        results.append(cache.get(("s3", "eu-west-1"), make))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(built) == 1 and len({id(r) for r in results}) == 1
    assert cache.get(("s3", "us-east-1"), make) is not results[0]


@pytest.mark.parametrize(
    ("status", "phrase"), [(404, "Not Found"), (418, "I'm a Teapot"), (299, "")]
)
def test_reason_phrases_come_from_the_standard_table(status: int, phrase: str) -> None:
    assert reason_phrase(status) == phrase
