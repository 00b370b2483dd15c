"""An app with CORS, two routes on one path, a greedy route and an auth="function" route:
what the front door of each cloud is generated from (tests/deploy/test_front_door.py)."""

from __future__ import annotations

from polyfn import CORS, App, Request

app = App(
    "corsy",
    cors=CORS(
        ["https://shop.example", "https://admin.example"],
        allow_headers=["content-type", "x-trace"],
        expose_headers=["location"],
        allow_credentials=True,
        max_age=300,
    ),
)


@app.get("/items")
def list_items(req: Request) -> list[str]:
    return []


@app.post("/items")
def add_item(req: Request) -> dict[str, str]:
    return {}


@app.get("/files/{path+}")
def read_file(req: Request) -> bytes:
    return b""


@app.delete("/items/{id}", auth="function")
def drop_item(req: Request) -> None:
    return None
