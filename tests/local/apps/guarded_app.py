"""An app with every auth mode, for schemathesis against ``polyfn run``
(tests/local/test_openapi_served.py): a JWT route, an authorizer route with a body
model, a platform-key route and an anonymous one. The JWT route's issuer is
``GUARDED_ISSUER`` (the test's own issuer on 127.0.0.1, whose tokens it sends), or else
one that serves no keys (nothing listens on its 127.0.0.1 port, so a well-formed token
gets the documented 503 and no request leaves the machine)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from polyfn import JWT, Allow, App, AuthRequest, Deny, Request, Response

app = App("guarded")

# Port 9 (discard): nothing listens on it here, a fetch is refused at once.
KEYLESS_ISSUER = "http://127.0.0.1:9/issuer"


@dataclass
class NewNote:
    text: str


@app.authorizer(ttl=60, identity=["header:x-team-key"])
def team(request: AuthRequest) -> Allow | Deny:
    ok = request.headers.get("x-team-key") == "team-secret"
    return Allow("team") if ok else Deny("unknown key")


@app.post("/notes", body=NewNote, auth=team, responses={201: NewNote})
def add_note(req: Request) -> Response:
    note: NewNote = req.model
    return Response.json({"text": note.text}, 201)


@app.get(
    "/notes/{id}",
    auth=JWT(
        issuer=os.environ.get("GUARDED_ISSUER", KEYLESS_ISSUER),
        audience="notes",
        scopes=["notes:read"],
        fetch_timeout=0.5,
    ),
)
def read_note(req: Request) -> Response:
    return Response.json({"text": req.path_params["id"]})


@app.delete("/notes/{id}", auth="platform-key")
def drop_note(req: Request) -> Response:
    return Response(status=204)


@app.get("/health")
def health(req: Request) -> Response:
    return Response.json({"ok": True})
