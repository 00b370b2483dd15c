"""What every generated AWS event shares: the account, the region, ids and timestamps."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime

__all__ = ["ACCOUNT", "CLIENT_IP", "REGION", "USER_AGENT"]

ACCOUNT = "123456789012"
REGION = "us-east-1"
CLIENT_IP = "198.51.100.7"
USER_AGENT = "polyfn-test/1.0"


def now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime | None = None, *, millis: bool = True) -> str:
    moment = moment or now()
    if millis:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def clf_time(moment: datetime) -> str:
    # API Gateway's requestTime: "09/Apr/2015:12:34:56 +0000".
    return moment.strftime("%d/%b/%Y:%H:%M:%S +0000")


def new_id() -> str:
    return str(uuid.uuid4())


def hex_id(length: int) -> str:
    return os.urandom(length // 2 + 1).hex()[:length].upper()
