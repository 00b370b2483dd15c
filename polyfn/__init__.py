"""polyfn: write serverless handlers once, run them on AWS, Azure, Google Cloud or locally.

This module only re-exports the cloud-neutral model; importing it loads nothing outside
the standard library, so it adds next to nothing to a cold start.
"""

from polyfn.core.app import App
from polyfn.core.context import Context, current_context
from polyfn.core.errors import PolyfnError
from polyfn.core.events import BadPayload, Event, Message, ObjectEvent, Schedule
from polyfn.core.http import HTTPError, Request, Response

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (core/cheap_typing.py)
if TYPE_CHECKING:
    from polyfn.core.cors import CORS

__all__ = [
    "CORS",
    "App",
    "BadPayload",
    "Context",
    "Event",
    "HTTPError",
    "Message",
    "ObjectEvent",
    "PolyfnError",
    "Request",
    "Response",
    "Schedule",
    "current_context",
]

__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    # CORS is loaded when an app asks for it: most functions behind an API gateway
    # leave CORS to the gateway and never need it.
    if name == "CORS":
        from polyfn.core.cors import CORS

        return CORS
    raise AttributeError(f"module 'polyfn' has no attribute {name!r}")
