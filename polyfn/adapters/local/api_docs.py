"""``/openapi.json`` and ``/docs`` for ``polyfn run``: the App's API document and a page
that reads it.

The page is one self-contained HTML file (its script and style inline, no CDN, no font,
no request but ``openapi.json``), so it works on a machine with no internet access. It
lists every operation with its parameters, request body, answers and the named schemas.

Both paths are served only when the App routes nothing there itself: an App that declares
``/docs`` keeps it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from typing import Any

from polyfn.core.app import App
from polyfn.core.routing import MethodNotAllowed, NotFound

__all__ = ["DOCS_PATH", "OPENAPI_PATH", "ApiDocs", "docs_page"]

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

OPENAPI_PATH = "/openapi.json"
DOCS_PATH = "/docs"


class ApiDocs:
    """WSGI middleware answering ``GET /openapi.json`` and ``GET /docs``."""

    def __init__(self, wsgi: WsgiApp, app: App) -> None:
        self.wsgi = wsgi
        self.app = app
        self._document: bytes | None = None
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ.get("PATH_INFO") or "/"
        method = environ.get("REQUEST_METHOD", "GET").upper()
        if (
            path in (OPENAPI_PATH, DOCS_PATH)
            and method in ("GET", "HEAD")
            and not self._routed(path)
        ):
            if path == OPENAPI_PATH:
                body, content_type = self.document(), "application/json"
            else:
                body, content_type = docs_page(self.app.name).encode(), "text/html; charset=utf-8"
            start_response(
                "200 OK",
                [("Content-Type", content_type), ("Content-Length", str(len(body)))],
            )
            return [b"" if method == "HEAD" else body]
        return self.wsgi(environ, start_response)

    def _routed(self, path: str) -> bool:
        try:
            self.app.router.match("GET", path)
        except NotFound:
            return False
        except MethodNotAllowed:
            return True
        return True

    def document(self) -> bytes:
        """The App's OpenAPI document, built on first request (declarations do not change
        while the process runs; ``--reload`` restarts it)."""
        with self._lock:
            if self._document is None:
                from polyfn.core.openapi import openapi_document

                self._document = json.dumps(openapi_document(self.app), indent=2).encode()
            return self._document


def docs_page(title: str) -> str:
    """The docs page: static HTML whose script renders ``openapi.json``."""
    return _PAGE.replace("{{title}}", _escape(title))


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{title}} API</title>
<style>
body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 60rem;
       padding: 0 1rem; color: #1b1b1b; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
section.op { border: 1px solid #d0d0d0; border-radius: 6px; margin: .8rem 0; }
section.op > h3 { margin: 0; padding: .5rem .8rem; font-size: 1rem; background: #f4f4f4;
                  cursor: pointer; }
section.op > div { padding: .2rem .8rem .8rem; display: none; }
section.op.open > div { display: block; }
.method { display: inline-block; min-width: 4.5rem; font-weight: 700; }
.get { color: #0b6e4f; } .post { color: #1f5fbf; } .put { color: #9a5b00; }
.patch { color: #7a3fb0; } .delete { color: #b3261e; }
pre { background: #f7f7f7; padding: .6rem; overflow: auto; font-size: 13px; }
table { border-collapse: collapse; } td, th { text-align: left; padding: .2rem .6rem .2rem 0; }
.muted { color: #666; }
</style>
</head>
<body>
<h1>{{title}} <span class="muted" id="version"></span></h1>
<p class="muted">OpenAPI document: <a href="openapi.json">openapi.json</a></p>
<div id="api">Loading openapi.json ...</div>
<script>
"use strict";
function el(tag, attrs, children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  for (const child of [].concat(children || [])) {
    node.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return node;
}
function json(value) { return el("pre", {}, JSON.stringify(value, null, 2)); }
function render(doc) {
  const root = document.getElementById("api");
  root.textContent = "";
  document.getElementById("version").textContent = doc.info.version;
  root.append(el("h2", {}, "Operations"));
  for (const [path, item] of Object.entries(doc.paths || {})) {
    for (const [method, op] of Object.entries(item)) {
      const body = el("div", {}, []);
      if (op.summary) body.append(el("p", {}, op.summary));
      if (op.description) body.append(el("p", {}, op.description));
      if (op.security) {
        const schemes = op.security.map(s => Object.keys(s).join(", ")).join("; ");
        body.append(el("p", {}, "Auth: " + schemes));
      }
      if (op.parameters) {
        const rows = op.parameters.map(p => el("tr", {}, [
          el("td", {}, el("code", {}, p.name)), el("td", {}, p.in),
          el("td", {}, p.required ? "required" : "optional"),
          el("td", {}, el("code", {}, JSON.stringify(p.schema)))]));
        body.append(el("h4", {}, "Parameters"), el("table", {}, rows));
      }
      if (op.requestBody) {
        body.append(el("h4", {}, "Request body"), json(op.requestBody.content));
      }
      body.append(el("h4", {}, "Answers"));
      for (const [status, answer] of Object.entries(op.responses || {})) {
        body.append(el("p", {}, [el("b", {}, status + " "), answer.description || ""]));
        if (answer.content) body.append(json(answer.content));
      }
      const section = el("section", {class: "op"}, [
        el("h3", {}, [el("span", {class: "method " + method}, method.toUpperCase()),
                      el("code", {}, path), " ",
                      el("span", {class: "muted"}, op.operationId || "")]),
        body]);
      section.firstChild.addEventListener("click", () => section.classList.toggle("open"));
      root.append(section);
    }
  }
  const schemas = (doc.components || {}).schemas || {};
  root.append(el("h2", {}, "Schemas"));
  for (const [name, schema] of Object.entries(schemas)) {
    root.append(el("h3", {id: "schema-" + name}, name), json(schema));
  }
}
fetch("openapi.json").then(r => r.json()).then(render).catch(err => {
  document.getElementById("api").textContent = "Cannot read openapi.json: " + err;
});
</script>
</body>
</html>
"""
