"""The pytest plugin polyfn registers (entry point ``pytest11``).

Fixtures for testing a user's App through any runtime with native events; see the
README's "Testing your app" section:

- ``polyfn_client(app)``: a ``Client`` that sends HTTP requests, queue messages, object
  events, schedule ticks and other events through the runtime of ``polyfn_runtime``.
- ``polyfn_runtime``: ``"local"`` unless the test opts in to more with
  ``@pytest.mark.polyfn_runtimes("aws", "local")`` or ``@polyfn.testing.all_runtimes``;
  the test then runs once per runtime (a driver variant such as ``aws-alb`` works too).
- ``polyfn_data_dir``: a fresh ``POLYFN_DATA_DIR`` under ``tmp_path`` for the local
  buckets, queues and tables; every client fixture uses it.
- ``polyfn_context``: a real ``Context`` for calling a handler directly.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from polyfn.core.app import App
from polyfn.core.context import Context
from polyfn.core.defaults import DEFAULT_TIMEOUT_SECONDS
from polyfn.core.metrics import set_strict as set_strict_metrics
from polyfn.hosts import RUNTIMES, Host, UnknownRuntime, host_named, runtime_of
from polyfn.testing.client import Client

MARKER = "polyfn_runtimes"
_OPTION = "--polyfn-runtimes"
_DEFAULT_RUNTIME = "local"
_CHOSEN = pytest.StashKey[set[str]]()  # the names --polyfn-runtimes keeps


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("polyfn")
    group.addoption(
        _OPTION,
        default=None,
        metavar="NAMES",
        help="comma-separated runtimes (aws,azure,gcp,local) or host variants (aws-v1, aws-alb, "
        "...) that polyfn_runtimes tests run on; the others are deselected",
    )


def pytest_configure(config: pytest.Config) -> None:
    # Checked here, once, so that a bad name is reported before collection starts.
    value = config.getoption(_OPTION, default=None)
    if value:
        config.stash[_CHOSEN] = _option_runtimes(str(value))
    # Under test, a metric a backend would refuse is an error where it is added, not the
    # WARNING it is in production (polyfn.core.metrics).
    set_strict_metrics(True)
    config.addinivalue_line(
        "markers",
        f"{MARKER}(*names): run the test once per polyfn runtime through the polyfn_runtime "
        f"and polyfn_client fixtures ({', '.join(RUNTIMES)}, or a driver variant such as "
        "aws-alb; no names: all runtimes)",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "polyfn_runtime" not in metafunc.fixturenames:
        return
    marker = metafunc.definition.get_closest_marker(MARKER)
    if marker is None:
        return  # the fixture falls back to the local runtime
    names = [str(name) for name in marker.args] or list(RUNTIMES)
    for name in names:
        _runtime_of(name)  # a typo fails at collection, naming the known runtimes
    chosen = metafunc.config.stash.get(_CHOSEN, None)
    if chosen is not None:
        names = _narrowed(names, chosen)
    metafunc.parametrize("polyfn_runtime", names, indirect=True, ids=names)


def _narrowed(names: list[str], chosen: set[str]) -> list[str]:
    """The marker's names that ``--polyfn-runtimes`` keeps.

    A runtime (``aws``) keeps every name of that runtime; a host variant (``aws-v1``) keeps
    that variant, which a marker names either exactly or, for the runtime's primary variant,
    by the runtime's name (``@runtimes("aws")`` runs through ``aws-v1``).
    """
    return [
        name
        for name in names
        if name in chosen
        or _runtime_of(name) in chosen
        or (name in RUNTIMES and _host_named(name).name in chosen)
    ]


def _option_runtimes(value: str) -> set[str]:
    """The runtimes and host variants named by ``--polyfn-runtimes``; a name polyfn does
    not know is a usage error (one line, no traceback)."""
    chosen = {part.strip() for part in value.split(",") if part.strip()}
    for name in chosen:
        try:
            if name not in RUNTIMES:
                host_named(name)  # a variant: aws-v1, aws-alb, ...
        except UnknownRuntime as exc:
            raise pytest.UsageError(f"{_OPTION}: {exc}") from None
    return chosen


def _runtime_of(name: str) -> str:
    try:
        return runtime_of(name)
    except UnknownRuntime as exc:
        # A collection error naming the test, without a traceback into the plugin.
        pytest.fail(f"@pytest.mark.{MARKER}: {exc}", pytrace=False)


def _host_named(name: str) -> Host:
    """The host for a runtime (its primary variant) or for an exact variant name."""
    try:
        return host_named(name)
    except UnknownRuntime as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture
def polyfn_runtime(request: pytest.FixtureRequest) -> str:
    """The runtime (or host variant) this test runs on; ``local`` unless marked."""
    return str(getattr(request, "param", _DEFAULT_RUNTIME))


@pytest.fixture
def polyfn_host(polyfn_runtime: str) -> Host:
    """The host behind ``polyfn_client`` (``polyfn.hosts``), for tests that want the
    native answers or to invoke a native event."""
    return _host_named(polyfn_runtime)


@pytest.fixture
def polyfn_driver(polyfn_host: Host) -> Host:
    """The former name of ``polyfn_host``, kept so that existing tests run."""
    return polyfn_host


@pytest.fixture
def polyfn_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh local data directory for this test (``POLYFN_DATA_DIR``)."""
    data_dir = tmp_path / "polyfn-data"
    data_dir.mkdir()
    monkeypatch.setenv("POLYFN_DATA_DIR", str(data_dir))
    # A pinned function would make every trigger run that one function.
    monkeypatch.delenv("POLYFN_FUNCTION", raising=False)
    return data_dir


@pytest.fixture
def polyfn_client(polyfn_host: Host, polyfn_data_dir: Path) -> Iterator[Callable[[App], Client]]:
    """``polyfn_client(app)``: a ``Client`` for ``app`` on this test's runtime.

    The app's resources are bound to the local backends in ``polyfn_data_dir`` for the
    test (unless the app is bound to a cloud backend already) and restored afterwards.
    """
    bound: list[tuple[App, Any]] = []

    def make(app: App) -> Client:
        client = Client(app, polyfn_host)
        if not any(previous_app is app for previous_app, _ in bound):
            previous = _bind_locally(app)
            if previous is not _UNCHANGED:
                bound.append((app, previous))
        return client

    yield make
    for app, previous in reversed(bound):
        _restore_binding(app, previous)


_UNCHANGED: Any = object()


def _bind_locally(app: App) -> Any:
    """Bind ``app`` to local backends in the current data dir; returns the old provider."""
    previous = app.binding
    if previous is not None and getattr(previous, "cloud", "local") != "local":
        return _UNCHANGED  # the test chose a cloud backend on purpose
    from polyfn.adapters.local.backends import LocalBackends

    app.bind(LocalBackends.from_env(app.name))
    return previous


def _restore_binding(app: App, previous: Any) -> None:
    current = app.unbind()
    close = getattr(current, "close", None)
    if callable(close):
        close()  # release SQLite handles on the test's data dir
    if previous is not None:
        app.bind(previous)
    # else back to unbound: the next use outside a test binds from the environment again


@pytest.fixture
def polyfn_context() -> Context:
    """A real Context for calling handlers directly; set ``.deadline`` to test timeouts.

    ``polyfn_context.deadline = time.time() + 0.05`` leaves a handler 50 ms.
    """
    return Context("local", "test", "test-request", deadline=time.time() + DEFAULT_TIMEOUT_SECONDS)
