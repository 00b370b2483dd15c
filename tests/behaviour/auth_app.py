"""The article's API with auth: ``POST /users`` behind a custom authorizer whose answers
are cached for 300 s, ``GET /users/{id}`` with a JWT; the behaviour suite drives it
through every runtime."""

from __future__ import annotations

from typing import Any

from polyfn import JWT, Allow, App, AuthRequest, Deny, Request, Response

# The tokens the authorizer knows: what an API key table would hold.
API_KEYS = {"Bearer key-alice": "alice", "Bearer key-bob": "bob"}


def build(issuer_url: str, jwks_url: str | None = None) -> tuple[App, dict[str, list[Any]]]:
    app = App("authapi")
    seen: dict[str, list[Any]] = {"authorizer": [], "identities": []}

    @app.authorizer(ttl=300, identity=["header:authorization"])
    def authorizer(request: AuthRequest) -> Allow | Deny:
        seen["authorizer"].append(request)
        caller = API_KEYS.get(request.headers.get("authorization") or "")
        if caller is None:
            return Deny("unknown key")
        return Allow(caller, context={"tier": "gold" if caller == "alice" else "free"})

    reader = JWT(issuer=issuer_url, audience="api", scopes=["users:read"], jwks_url=jwks_url)

    @app.post("/users", auth=authorizer)
    def create_user(req: Request) -> Response:
        seen["identities"].append(req.identity)
        assert req.identity is not None
        return Response.json(
            {"created": req.json(), "by": req.identity.subject, "claims": req.identity.claims},
            201,
        )

    @app.get("/users/{id}", auth=reader)
    def get_user(req: Request) -> Response:
        seen["identities"].append(req.identity)
        assert req.identity is not None
        return Response.json({"id": req.path_params["id"], "identity": req.identity.to_dict()})

    @app.get("/health")
    def health(req: Request) -> Response:
        seen["identities"].append(req.identity)
        return Response.json({"ok": True})

    return app, seen
