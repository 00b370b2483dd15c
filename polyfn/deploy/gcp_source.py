"""The Google Cloud translation: a Cloud Functions (2nd gen) source folder.

``main.py`` exposes two functions-framework targets built by polyfn's GCP adapter:
``http`` for HTTP functions (and Cloud Scheduler's HTTP calls) and ``events`` for
CloudEvents (Cloud Storage, Pub/Sub, Eventarc). Every polyfn function is deployed from this
same folder as its own Cloud Function, pinned with ``POLYFN_FUNCTION``; ``deploy.sh``
(``gcp_script``) holds the gcloud commands. Cloud Build installs ``requirements.txt``.
Each workflow is written as Cloud Workflows source in ``workflows/<name>.yaml``
(``workflow_gcp``), which ``deploy.sh`` deploys after its task functions; a workflow
Cloud Workflows cannot express fails the build (``WorkflowUnsupported``, naming it).
"""

from __future__ import annotations

import json

from polyfn.deploy.gcp_gateway import gateway_config, gateway_functions
from polyfn.deploy.gcp_script import GATEWAY_CONFIG, deploy_script, workflow_source_file
from polyfn.deploy.model import DeployModel
from polyfn.deploy.naming import gcp_function_name, gcp_physical_name
from polyfn.deploy.requirements import Requirements
from polyfn.deploy.source import AppSource
from polyfn.deploy.table_indexes import firestore_indexes_json

__all__ = ["EVENT_TARGET", "HTTP_TARGET", "gcp_files", "main_file", "workflow_files"]

HTTP_TARGET = "http"
EVENT_TARGET = "events"

_GCLOUDIGNORE = """\
# Not uploaded by gcloud functions deploy.
.gcloudignore
.git
.venv
__pycache__/
deploy.sh
workflows/
"""


def main_file(source: AppSource) -> str:
    return (
        '"""Cloud Functions entry points written by polyfn deploy."""\n\n'
        "from polyfn.adapters import gcp\n"
        f"{source.import_line('polyfn_app')}\n\n"
        f"{HTTP_TARGET} = gcp.http_function(polyfn_app)\n"
        f"{EVENT_TARGET} = gcp.event_function(polyfn_app)\n"
    )


def gcp_files(
    model: DeployModel, source: AppSource, requirements: Requirements, region: str | None
) -> dict[str, str]:
    files = workflow_files(model) | {
        "main.py": main_file(source),
        "requirements.txt": requirements.text(
            "Installed by Cloud Build; polyfn itself is in ./polyfn"
        ),
        ".gcloudignore": _GCLOUDIGNORE,
        "deploy.sh": deploy_script(model, region),
        "firestore.indexes.json": firestore_indexes_json(
            {gcp_physical_name(model.app, model.stage, t): t for t in model.app.tables.values()}
        ),
    }
    if gateway_functions(model):
        files[GATEWAY_CONFIG] = json.dumps(gateway_config(model), indent=2) + "\n"
    return files


def workflow_files(model: DeployModel) -> dict[str, str]:
    """``workflows/<name>.yaml`` per workflow, each task step calling its task's function."""
    from polyfn.deploy.workflow_gcp import TASK_URL, to_workflows_yaml

    app, files = model.app, {}
    for name, workflow in sorted(app.workflows.items()):

        def url(task: str) -> str:
            return TASK_URL.format(gcp_function_name(app, model.stage, app.functions[task]))

        files[workflow_source_file(name)] = to_workflows_yaml(
            workflow.graph, url, workflow=name, timeout=workflow.timeout
        )
    return files
