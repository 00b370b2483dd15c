"""A small HTTP load generator on the standard library, for ``polyfn bench-local``.

Each worker thread keeps one ``http.client`` connection alive and takes request numbers
from a shared counter until the count is reached or the time budget is spent, so a run
is bounded both ways. Latency is measured per request around send-and-read-the-body,
which is what a client of the function waits for.
"""

from __future__ import annotations

import http.client
import itertools
import socket
import threading
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

__all__ = ["LoadResult", "LoadSpec", "free_port", "percentile", "run_load"]

# A request that takes longer than this is counted as an error rather than waited on.
_REQUEST_TIMEOUT = 10.0


@dataclass(frozen=True)
class LoadSpec:
    """What to send: ``requests`` requests with ``concurrency`` workers, at most ``duration`` s."""

    url: str  # the server's base URL: http://127.0.0.1:8080
    path: str = "/"
    method: str = "GET"
    body: bytes | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    requests: int = 1000
    concurrency: int = 8
    duration: float = 60.0

    def __post_init__(self) -> None:
        if self.requests < 1:
            raise ValueError("requests must be at least 1")
        if self.concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        if self.duration <= 0:
            raise ValueError("duration must be positive")
        parts = urlsplit(self.url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"expected an http://host:port URL, got {self.url!r}")


@dataclass
class LoadResult:
    """What came back: per-request latencies (seconds), statuses and transport errors."""

    elapsed: float
    latencies: list[float]
    statuses: Counter[int]
    transport_errors: Counter[str]
    stopped_by_time: bool

    @property
    def completed(self) -> int:
        return len(self.latencies)

    @property
    def errors(self) -> int:
        """Server errors (5xx) plus requests that got no HTTP answer at all."""
        server_errors = sum(count for status, count in self.statuses.items() if status >= 500)
        return server_errors + sum(self.transport_errors.values())

    @property
    def requests_per_second(self) -> float:
        return self.completed / self.elapsed if self.elapsed > 0 else 0.0

    def latency_ms(self, fraction: float) -> float:
        return percentile(self.latencies, fraction) * 1000.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "requests": self.completed,
            "elapsed_s": round(self.elapsed, 3),
            "requests_per_s": round(self.requests_per_second, 1),
            "latency_ms": {
                "p50": round(self.latency_ms(0.50), 3),
                "p90": round(self.latency_ms(0.90), 3),
                "p99": round(self.latency_ms(0.99), 3),
                "max": round(max(self.latencies, default=0.0) * 1000.0, 3),
            },
            "errors": self.errors,
            "statuses": {str(status): count for status, count in sorted(self.statuses.items())},
            "transport_errors": dict(self.transport_errors),
            "stopped_by_time": self.stopped_by_time,
        }


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (``fraction`` in 0..1) of ``values``; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-fraction * len(ordered) // 1))))
    return ordered[rank - 1]


class _Worker(threading.Thread):
    def __init__(self, spec: LoadSpec, tickets: itertools.count[int], deadline: float) -> None:
        super().__init__(daemon=True)
        self.spec = spec
        self.tickets = tickets
        self.deadline = deadline
        self.latencies: list[float] = []
        self.statuses: Counter[int] = Counter()
        self.transport_errors: Counter[str] = Counter()
        self.stopped_by_time = False

    def run(self) -> None:
        parts = urlsplit(self.spec.url)
        host, port = parts.hostname or "127.0.0.1", parts.port or 80
        prefix = parts.path.rstrip("/")
        target = prefix + self.spec.path
        headers = dict(self.spec.headers)
        if self.spec.body is not None:
            headers.setdefault("content-length", str(len(self.spec.body)))
        connection: http.client.HTTPConnection | None = None
        clock = time.perf_counter
        try:
            # next() on itertools.count is atomic under the GIL: no lock needed.
            while next(self.tickets) < self.spec.requests:
                if time.monotonic() >= self.deadline:
                    self.stopped_by_time = True
                    return
                if connection is None:
                    connection = http.client.HTTPConnection(host, port, timeout=_REQUEST_TIMEOUT)
                started = clock()
                try:
                    connection.request(self.spec.method, target, self.spec.body, headers)
                    response = connection.getresponse()
                    response.read()
                except (OSError, http.client.HTTPException) as exc:
                    self.transport_errors[type(exc).__name__] += 1
                    connection.close()
                    connection = None  # reconnect for the next request
                    continue
                self.latencies.append(clock() - started)
                self.statuses[response.status] += 1
                if response.will_close:
                    connection.close()
                    connection = None
        finally:
            if connection is not None:
                connection.close()


def run_load(spec: LoadSpec) -> LoadResult:
    """Send the requests of ``spec`` and measure them; returns when all are done or time is up."""
    tickets = itertools.count()
    started = time.monotonic()
    deadline = started + spec.duration
    workers = [
        _Worker(spec, tickets, deadline) for _ in range(min(spec.concurrency, spec.requests))
    ]
    begun = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        # A worker blocked on a slow request finishes it within _REQUEST_TIMEOUT.
        worker.join(max(0.0, deadline - time.monotonic()) + _REQUEST_TIMEOUT + 1.0)
    elapsed = time.perf_counter() - begun
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    transport_errors: Counter[str] = Counter()
    for worker in workers:
        latencies.extend(worker.latencies)
        statuses.update(worker.statuses)
        transport_errors.update(worker.transport_errors)
    return LoadResult(
        elapsed=elapsed,
        latencies=latencies,
        statuses=statuses,
        transport_errors=transport_errors,
        stopped_by_time=any(worker.stopped_by_time for worker in workers),
    )
