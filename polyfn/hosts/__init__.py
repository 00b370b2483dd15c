"""Hosts: call an App exactly as each platform's host does, from a native event.

One module per runtime, each following ``base.RuntimeHosts``; this registry is the only
list of runtimes in polyfn. ``polyfn invoke``, ``polyfn events``, ``polyfn inspect``, the
pytest plugin and the behaviour suite all find hosts here. Adding a cloud is a checklist
(docs/architecture.md): an adapter, a host module, its event generators, one line below.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, cast

from polyfn.hosts.base import Host, HttpResult, RuntimeHosts

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "CLOUDS",
    "RUNTIMES",
    "Host",
    "HttpResult",
    "RuntimeHosts",
    "UnknownRuntime",
    "all_hosts",
    "host_named",
    "hosts_for",
    "runtime_hosts",
    "runtime_of",
]

# runtime -> the module of its hosts. The order is the order of every listing.
_MODULES: dict[str, str] = {
    "aws": "polyfn.hosts.aws",
    "azure": "polyfn.hosts.azure",
    "gcp": "polyfn.hosts.gcp",
    "local": "polyfn.hosts.local",
}
RUNTIMES: tuple[str, ...] = tuple(_MODULES)
"""Every runtime polyfn runs on."""
CLOUDS: tuple[str, ...] = tuple(name for name in RUNTIMES if name != "local")
"""The runtimes that are clouds: they have native event formats and deploy artifacts."""


class UnknownRuntime(ValueError):
    """A runtime or host variant name polyfn does not know; the message lists the known ones."""


def runtime_hosts(runtime: str) -> RuntimeHosts:
    """The host module of ``runtime`` (imported on first use: each loads its cloud's libraries)."""
    module = _MODULES.get(runtime)
    if module is None:
        raise UnknownRuntime(f"unknown runtime {runtime!r}; expected one of {', '.join(RUNTIMES)}")
    return cast("RuntimeHosts", importlib.import_module(module))


def hosts_for(runtime: str) -> list[Host]:
    """Every host variant of one runtime, the primary one first."""
    return list(runtime_hosts(runtime).HOSTS)


def all_hosts(runtimes: Sequence[str] = RUNTIMES) -> list[Host]:
    return [host for runtime in runtimes for host in hosts_for(runtime)]


def runtime_of(name: str) -> str:
    """``aws`` for ``aws-alb``: the runtime a host variant name belongs to."""
    runtime = name.split("-", 1)[0]
    if runtime not in _MODULES:
        raise UnknownRuntime(
            f"unknown runtime {name!r}; expected one of {', '.join(RUNTIMES)} "
            "or a variant of one (aws-v1, aws-v2, aws-alb, aws-url)"
        )
    return runtime


def host_named(name: str) -> Host:
    """The primary host of a runtime (``aws``), or the exact variant (``aws-alb``)."""
    hosts = hosts_for(runtime_of(name))
    if name in _MODULES:
        return hosts[0]
    for host in hosts:
        if host.name == name:
            return host
    known = ", ".join(host.name for host in hosts)
    raise UnknownRuntime(f"no host variant {name!r} (known: {known})")
