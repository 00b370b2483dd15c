"""The boto3 clients of the AWS backends: made once per process, in one shared cache.

Every port module (``bucket``, ``queue``, ``table``) and the provider's ``ensure_*``
helpers ask for their client here, so there is one cache and one client configuration.
Clients are kept in ``adapters.common.clients.ClientCache``, keyed by service, endpoint,
region, profile and access key: tests that point the process at another emulator get a
new client instead of a stale one.

Endpoints: ``POLYFN_AWS_ENDPOINT_URL`` wins; otherwise boto3 reads ``AWS_ENDPOINT_URL``
(and ``AWS_ENDPOINT_URL_<SERVICE>``) itself. Credentials and region come from boto3's
usual chain (the Lambda environment, ``AWS_PROFILE``, instance roles). boto3 is imported
when the first client is made, never when this module is.
"""

from __future__ import annotations

import os
from typing import Any

from polyfn.adapters.common.clients import ClientCache

__all__ = ["aws_client"]

_clients = ClientCache()


def _endpoint_override() -> str | None:
    return os.environ.get("POLYFN_AWS_ENDPOINT_URL") or None


def aws_client(service: str) -> Any:
    """The process-wide boto3 client for ``service`` under the current environment."""
    env = os.environ
    key = (
        service,
        _endpoint_override(),
        env.get("AWS_ENDPOINT_URL"),
        env.get(f"AWS_ENDPOINT_URL_{service.upper()}"),
        env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION"),
        env.get("AWS_PROFILE"),
        env.get("AWS_ACCESS_KEY_ID"),
    )
    return _clients.get(key, lambda: _make_client(service, key[4]))


def _make_client(service: str, region: str | None) -> Any:
    import boto3
    from botocore.config import Config

    # polyfn retries itself (adapters.common.retry), so botocore makes one attempt; a
    # short connect timeout lets a wrong endpoint fail in seconds rather than a minute.
    config = Config(
        retries={"total_max_attempts": 1, "mode": "standard"},
        connect_timeout=5,
        read_timeout=60,
    )
    # A session of its own: boto3's default session is not safe to share across threads.
    session: Any = boto3.session.Session(region_name=region)
    return session.client(service, endpoint_url=_endpoint_override(), config=config)
