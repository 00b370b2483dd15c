"""The Event Grid event bus backend at the client library boundary.

Azure Event Grid has no local emulator, so the real ``azure-eventgrid`` publisher client
sends to a small HTTP endpoint on 127.0.0.1 standing in for the topic; the test reads
what arrived on the wire: the CloudEvents 1.0 batch (``application/cloudevents-batch+json``)
and the ``aeg-sas-key`` header, or, as deployed, the app identity's bearer token over TLS,
as the topic's publishing API documents them ("Publish events to Azure Event Grid custom
topics using access keys" and "Authenticate publishing clients using Microsoft Entra ID",
learn.microsoft.com). The delivered CloudEvent then goes through the Azure adapter's
Event Grid trigger.
"""

from __future__ import annotations

import contextlib
import json
import ssl
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from polyfn import App, Event
from polyfn.adapters.azure.backends import AzureBackends
from polyfn.adapters.azure.backends import event_bus as event_bus_module
from polyfn.core.errors import CredentialsError, ResourceError
from polyfn.hosts.azure import AzureHost


class _Topic(BaseHTTPRequestHandler):
    received: list[tuple[str, dict[str, str], Any]]
    status = 200

    def do_POST(self) -> None:  # the topic's publishing endpoint
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length))
        self.received.append((self.path, dict(self.headers), body))
        self.send_response(self.status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@contextlib.contextmanager
def _serving(tls: ssl.SSLContext | None = None) -> Iterator[tuple[str, type[_Topic]]]:
    """A stand-in topic on 127.0.0.1 (https with ``tls``): its endpoint and what it got."""
    handler = type("Topic", (_Topic,), {"received": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        scheme = "https" if tls is not None else "http"
        yield f"{scheme}://127.0.0.1:{server.server_address[1]}/api/events", handler
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def topic() -> Iterator[tuple[str, type[_Topic]]]:
    with _serving() as served:
        yield served


def _app() -> tuple[App, list[Event]]:
    app = App("shop")
    orders = app.event_bus("orders")
    seen: list[Event] = []

    @app.on_event(bus=orders, source="shop.orders", type="OrderPlaced")
    def placed(event: Event) -> None:
        seen.append(event)

    return app, seen


def test_publish_sends_a_cloudevent_whose_source_and_type_are_polyfns(
    topic: tuple[str, type[_Topic]], monkeypatch: pytest.MonkeyPatch
) -> None:
    endpoint, handler = topic
    app, seen = _app()
    orders = app.event_buses["orders"]
    monkeypatch.setenv(orders.binding_variable, endpoint)
    monkeypatch.setenv(f"{orders.binding_variable}_KEY", "topic-key-1")
    app.bind(AzureBackends())
    event_id = orders.publish(
        source="shop.orders", type="OrderPlaced", data={"order": 7}, subject="orders/7"
    )

    ((path, headers, batch),) = handler.received
    assert path.startswith("/api/events")
    assert headers["aeg-sas-key"] == "topic-key-1"
    assert headers["Content-Type"].startswith("application/cloudevents-batch+json")
    (sent,) = batch
    assert sent["specversion"] == "1.0"
    assert (sent["id"], sent["source"], sent["type"], sent["subject"], sent["data"]) == (
        event_id,
        "shop.orders",
        "OrderPlaced",
        "orders/7",
        {"order": 7},
    )

    # A subscription with the CloudEvents delivery schema hands the event over as sent.
    host = AzureHost()
    from polyfn.hosts.events.azure_native import event_grid_event

    host.index(app).call("placed", "event", event_grid_event(sent))
    assert [(e.id, e.source, e.type, e.data) for e in seen] == [
        (event_id, "shop.orders", "OrderPlaced", {"order": 7})
    ]


def test_a_refused_publish_raises_a_resource_error(
    topic: tuple[str, type[_Topic]], monkeypatch: pytest.MonkeyPatch
) -> None:
    endpoint, handler = topic
    handler.status = 401
    app, _ = _app()
    orders = app.event_buses["orders"]
    monkeypatch.setenv(orders.binding_variable, endpoint)
    monkeypatch.setenv(f"{orders.binding_variable}_KEY", "wrong-key")
    app.bind(AzureBackends())
    with pytest.raises(ResourceError):
        orders.publish(source="shop.orders", type="OrderPlaced")


class _Identity:
    """A Microsoft Entra token credential standing in for the Function App's identity: it
    records the scopes asked for, or fails as ManagedIdentityCredential does off Azure."""

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.scopes: list[tuple[str, ...]] = []

    def get_token(self, *scopes: str, **options: Any) -> Any:
        from azure.core.credentials import AccessToken
        from azure.identity import CredentialUnavailableError

        self.scopes.append(scopes)
        if self.fail:
            raise CredentialUnavailableError("no managed identity endpoint here")
        return AccessToken("identity-token-1", int(time.time()) + 3600)


@pytest.fixture
def tls_topic(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, type[_Topic]]]:
    # A bearer token only travels over TLS (azure-core refuses http), so this stand-in
    # serves https with a certificate made here, which the SDK's transport trusts through
    # REQUESTS_CA_BUNDLE.
    certificate, key = _self_signed(tmp_path)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(certificate))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate, key)
    with _serving(context) as served:
        yield served


def _self_signed(folder: Path) -> tuple[Path, Path]:
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "topic.pem", folder / "topic.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def test_without_a_key_the_app_publishes_as_its_managed_identity(
    tls_topic: tuple[str, type[_Topic]], monkeypatch: pytest.MonkeyPatch
) -> None:
    # As deployed: the endpoint only, no key in the settings; the identity's token for
    # Event Grid's scope goes as a bearer token and no access key is sent.
    endpoint, handler = tls_topic
    identity = _Identity()
    monkeypatch.setattr(event_bus_module, "managed_identity", lambda: identity)
    app, _ = _app()
    orders = app.event_buses["orders"]
    monkeypatch.setenv(orders.binding_variable, endpoint)
    monkeypatch.delenv(f"{orders.binding_variable}_KEY", raising=False)
    app.bind(AzureBackends())
    event_id = orders.publish(source="shop.orders", type="OrderPlaced", data={"order": 8})
    ((_, headers, batch),) = handler.received
    assert headers["Authorization"] == "Bearer identity-token-1"
    assert "aeg-sas-key" not in {name.lower() for name in headers}
    assert [event["id"] for event in batch] == [event_id]
    assert identity.scopes == [("https://eventgrid.azure.net/.default",)]


def test_an_identity_without_a_token_says_what_to_grant_or_set(
    tls_topic: tuple[str, type[_Topic]], monkeypatch: pytest.MonkeyPatch
) -> None:
    endpoint, handler = tls_topic
    monkeypatch.setattr(event_bus_module, "managed_identity", lambda: _Identity(fail=True))
    app, _ = _app()
    orders = app.event_buses["orders"]
    monkeypatch.setenv(orders.binding_variable, endpoint)
    monkeypatch.delenv(f"{orders.binding_variable}_KEY", raising=False)
    app.bind(AzureBackends())
    with pytest.raises(CredentialsError) as refused:
        orders.publish(source="shop.orders", type="OrderPlaced")
    message = str(refused.value)
    assert "EventGrid Data Sender" in message and "POLYFN_EVENT_BUS_ORDERS_KEY" in message
    assert handler.received == []  # nothing was sent without a credential
