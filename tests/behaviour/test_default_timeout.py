"""A function that declares no timeout gets the same one on every runtime.

The default lives in ``polyfn.core.defaults``; each runtime's deadline (behind
``Context.remaining_ms``) and each deploy artifact read it. Once it was 30 s on AWS,
300 s under the Azure host and 60 s under the GCP host and locally.
"""

from __future__ import annotations

import pytest

from polyfn import App, Context, Request, Response
from polyfn.core.defaults import DEFAULT_TIMEOUT_SECONDS
from polyfn.hosts import Host


def test_the_default_deadline_is_the_same_on_every_runtime(
    driver: Host, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("POLYFN_TIMEOUT_SECONDS", raising=False)
    app = App("deadline")
    seen: list[int] = []

    @app.get("/deadline")
    def deadline(req: Request, ctx: Context) -> Response:
        seen.append(ctx.remaining_ms)
        return Response.json({})

    assert driver.http(app, "GET", "/deadline").status == 200
    default_ms = DEFAULT_TIMEOUT_SECONDS * 1000
    # Never more than the default (60 s or 300 s were); the lower bound is loose on purpose,
    # so a slow machine cannot fail it.
    assert default_ms // 2 < seen[0] <= default_ms
