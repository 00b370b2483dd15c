"""Drivers run an App through one runtime's native event shapes (see ``base.Driver``)."""

from __future__ import annotations

import importlib

from polyfn.testing.drivers.base import Driver, HttpResult

__all__ = ["RUNTIMES", "Driver", "HttpResult", "all_drivers", "drivers_for"]

RUNTIMES = ("aws", "azure", "gcp", "local")


def drivers_for(runtime: str) -> list[Driver]:
    """Every driver variant of one runtime (``aws`` has one per HTTP event source)."""
    if runtime not in RUNTIMES:
        raise ValueError(f"unknown runtime {runtime!r}; expected one of {', '.join(RUNTIMES)}")
    module = importlib.import_module(f"polyfn.testing.drivers.{runtime}")
    return list(module.DRIVERS)


def all_drivers() -> list[Driver]:
    return [driver for runtime in RUNTIMES for driver in drivers_for(runtime)]
