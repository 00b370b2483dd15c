"""The local runtime: every trigger on a laptop, with the semantics the clouds keep.

A bucket is a folder, queues and tables live in one SQLite file per app, HTTP is served
through functions-framework (``polyfn run``). Importing this package imports nothing
beyond the standard library; each part is imported where it is used:

- ``polyfn.adapters.local.backends.LocalBackends``: the resource backends;
- ``polyfn.adapters.local.entry.LocalRuntime``: what ``polyfn run`` runs;
- ``polyfn.hosts.local``: run one function in-process with cloud ``local`` (``invoke_*``).
"""
