"""One answer for every event the ``events`` target refuses: a fixed 400, the reason logged.

A reason quotes the event (a bucket, a job name, a field), and functions-framework's own
refusal of a body that is neither a CloudEvent nor a background event quotes the request's
headers and data. The caller gets neither: the body is one fixed sentence, and the reason
goes to the log, as the GCP guide promises and as AWS and Azure do (their refusals are
raised to the platform, which answers the caller with its own generic error).

``install`` puts the answer on functions-framework's Flask app: ``serving.framework_app``
calls it for the apps polyfn builds, and ``entry.event_function`` for the app
functions-framework builds around ``main.py`` (whose import runs inside that app's
context, the hook functions-framework's own ``errorhandler`` decorator relies on too).
"""

from __future__ import annotations

import logging
from typing import Any

__all__ = ["REFUSED_EVENT_DESCRIPTION", "install", "install_in_current_app"]

REFUSED_EVENT_DESCRIPTION = "The event could not be read; the reason is in the function log."
# functions-framework's reason carries the whole body: enough of it to see what arrived.
_MAX_LOGGED_REASON = 2000
_logger = logging.getLogger("polyfn.gcp")


def _answer(error: Any) -> Any:
    from werkzeug.wrappers import Response

    reason = str(getattr(error, "description", "") or "")
    if reason and reason != REFUSED_EVENT_DESCRIPTION:  # polyfn's own refusals logged theirs
        if len(reason) > _MAX_LOGGED_REASON:
            reason = reason[:_MAX_LOGGED_REASON] + "... (cut)"
        _logger.error("refused a request to the events target: %s", reason)
    return Response(REFUSED_EVENT_DESCRIPTION + "\n", 400, mimetype="text/plain")


def install(flask_app: Any) -> None:
    """Answer every 400 of ``flask_app`` with the fixed sentence, logging the reason."""
    flask_app.register_error_handler(400, _answer)


def install_in_current_app() -> None:
    """``install`` on the Flask app whose context is active, if one is (functions-framework
    importing ``main.py``); nothing otherwise (a test or a script importing it)."""
    import flask

    if flask.has_app_context():
        install(flask.current_app)
