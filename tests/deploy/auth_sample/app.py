"""The article's API, for the deploy tests: ``POST /users`` behind a custom authorizer
whose answers API Gateway caches for 300 s, ``GET /users/{id}`` with a JWT."""

from __future__ import annotations

from polyfn import JWT, Allow, App, AuthRequest, Deny, Request, Response

app = App("users")
users = app.table("users")


@app.authorizer(ttl=300, identity=["header:authorization"])
def authorizer(request: AuthRequest) -> Allow | Deny:
    if request.headers.get("authorization") == "Bearer team-key":
        return Allow("team")
    return Deny("unknown key")


@app.post("/users", auth=authorizer)
def create_user(req: Request) -> Response:
    users.put(req.json())
    return Response.json({"created": True}, 201)


@app.get(
    "/users/{id}",
    auth=JWT(issuer="https://auth.example.com/", audience="users-api", scopes=["users:read"]),
)
def get_user(req: Request) -> Response:
    return Response.json(users.get(req.path_params["id"]))


@app.get("/health")
def health(req: Request) -> Response:
    return Response.json({"ok": True})
