"""A token issuer for tests: RSA keys made here, tokens signed here, the JWKS served on
127.0.0.1 by a local HTTP server, so no test of JWT auth reaches the internet.

    with local_issuer() as issuer:
        app = App("api", auth=JWT(issuer=issuer.url, audience="api"))
        token = issuer.token(sub="alice", scope="users:read")

The server counts the JWKS fetches it answers (``jwks_requests``) and can be told to
fail them (``issuer.down = True``) or to stall (``issuer.delay``), for the bad-input
cases (issuer unreachable or slow, key rotation). Needs ``polyfn[jwt]``.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["LocalIssuer", "local_issuer"]


class LocalIssuer:
    """Signing keys and the JWKS of an issuer at ``url`` (``http://127.0.0.1:<port>``)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.jwks_url = url + "/.well-known/jwks.json"
        self.jwks_requests = 0
        self.down = False
        self.delay = 0.0
        self._keys: dict[str, Any] = {}
        self.current_kid = ""
        self.rotate()

    def rotate(self) -> str:
        """Make a new signing key, publish it next to the old ones; its kid."""
        from cryptography.hazmat.primitives.asymmetric import rsa

        # Unique across issuers: a later issuer may get a port an earlier one had, and a
        # verifier's cache (keyed on the JWKS URL) must not take its keys for the old ones.
        kid = f"key-{len(self._keys) + 1}-{os.urandom(4).hex()}"
        self._keys[kid] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.current_kid = kid
        return kid

    def unpublished_key(self) -> tuple[str, Any]:
        """A key the JWKS does not list yet (a rotation the cache has not seen)."""
        kid = self.rotate()
        key = self._keys.pop(kid)
        self.current_kid = next(reversed(self._keys))
        return kid, key

    def publish(self, kid: str, key: Any) -> None:
        self._keys[kid] = key

    def jwks(self) -> dict[str, Any]:
        import jwt

        keys = []
        for kid, private in self._keys.items():
            entry = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key()))
            entry.update(kid=kid, use="sig", alg="RS256")
            keys.append(entry)
        return {"keys": keys}

    def public_pem(self, kid: str | None = None) -> bytes:
        from cryptography.hazmat.primitives import serialization

        public = self._keys[kid or self.current_kid].public_key()
        return public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def token(
        self,
        *,
        audience: str = "api",
        lifetime: float = 300.0,
        kid: str | None = None,
        key: Any = None,
        headers: dict[str, Any] | None = None,
        **claims: Any,
    ) -> str:
        """A signed RS256 token with ``iss`` this issuer, ``aud``, ``iat`` and ``exp``."""
        import jwt

        now = int(time.time())
        payload: dict[str, Any] = {"iss": self.url, "aud": audience, "iat": now}
        payload["exp"] = now + int(lifetime)
        payload.update(claims)
        payload = {name: value for name, value in payload.items() if value is not None}
        kid = kid or self.current_kid
        signing_key = key if key is not None else self._keys[kid]
        return jwt.encode(
            payload, signing_key, algorithm="RS256", headers={"kid": kid, **(headers or {})}
        )


@contextlib.contextmanager
def local_issuer() -> Iterator[LocalIssuer]:
    """Serve a fresh issuer's JWKS on 127.0.0.1 and a free port; stopped on exit."""
    holder: list[LocalIssuer] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            issuer = holder[0]
            if self.path != "/.well-known/jwks.json":
                self.send_error(404)
                return
            issuer.jwks_requests += 1
            if issuer.delay:
                time.sleep(issuer.delay)
            if issuer.down:
                self.send_error(503)
                return
            body = json.dumps(issuer.jwks()).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    # Keys cached for an earlier issuer at the same address are not this one's.
    from polyfn.adapters.common.jwt_verifier import forget_keys

    forget_keys()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    holder.append(LocalIssuer(f"http://127.0.0.1:{server.server_address[1]}"))
    # A short poll interval: shutdown() waits for the serve loop's next poll, and a test
    # suite starts one issuer per test (the default 0.5 s cost half a second each).
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.02},
        name="polyfn-issuer",
        daemon=True,
    )
    thread.start()
    try:
        yield holder[0]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
