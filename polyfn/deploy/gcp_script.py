"""``deploy.sh``: the gcloud commands that create a polyfn app on Google Cloud.

The script is idempotent (each resource is described first and created only if missing;
``gcloud functions deploy`` creates or updates), so it is also how a new version ships.
It creates, in order: the resources (buckets, Pub/Sub topics with a dead-letter topic and
a subscription that keeps the dead letters, the Firestore database), one service account
per function with exactly the roles its code needs, the functions, the dead-letter policy
on each queue consumer's Eventarc subscription, the Cloud Scheduler jobs, and the front
door: an API Gateway whose config (``gateway/openapi.json``, see ``gcp_gateway``) routes
every anonymous HTTP route to its function, which only the gateway may invoke.

Where Google Cloud cannot grant narrower access, the script says so in a comment:
Firestore roles apply to a whole database, not to one collection.
"""

from __future__ import annotations

import hashlib
import shlex

from polyfn.core.auth import FRONT_SETTING, GATEWAY_SETTING, JWT
from polyfn.core.functions import (
    ChangeTrigger,
    EventTrigger,
    HttpTrigger,
    MessageTrigger,
    ObjectTrigger,
    ScheduleTrigger,
    TaskTrigger,
)
from polyfn.core.resources import binding_variable
from polyfn.deploy.existing import gcp_existing
from polyfn.deploy.gcp_gateway import (
    CORS_FUNCTION,
    MANAGED_SERVICE_TOKEN,
    gateway_functions,
    url_token,
)
from polyfn.deploy.limits_data import LIMITS
from polyfn.deploy.model import DeployFunction, DeployModel, schedule_expression
from polyfn.deploy.naming import (
    app_slug,
    event_bus_name,
    gcp_bucket_name,
    gcp_function_name,
    gcp_physical_name,
)
from polyfn.deploy.observability import gcp_labels
from polyfn.deploy.table_indexes import firestore_composite_pairs
from polyfn.deploy.workflow_gcp import deploy_lines

__all__ = [
    "DEFAULT_REGION",
    "GATEWAY_CONFIG",
    "RUNTIME",
    "deploy_script",
    "gcp_cpu",
    "service_account_id",
    "workflow_id",
    "workflow_source_file",
]

GATEWAY_CONFIG = "gateway/openapi.json"
_GATEWAY_SERVICES = (
    "apigateway.googleapis.com servicemanagement.googleapis.com servicecontrol.googleapis.com"
)

RUNTIME = "python312"
DEFAULT_REGION = "us-central1"
_STORAGE_EVENTS = {
    "created": "google.cloud.storage.object.v1.finalized",
    "deleted": "google.cloud.storage.object.v1.deleted",
}
_SERVICES = (
    "cloudfunctions.googleapis.com run.googleapis.com cloudbuild.googleapis.com "
    "artifactregistry.googleapis.com eventarc.googleapis.com pubsub.googleapis.com "
    "cloudscheduler.googleapis.com storage.googleapis.com firestore.googleapis.com"
)
_WORKFLOW_SERVICES = " workflows.googleapis.com"


def _var(kind: str, name: str) -> str:
    return binding_variable(kind, name).removeprefix("POLYFN_")


def service_account_id(model: DeployModel, function: DeployFunction) -> str:
    """6-30 characters, unique per app, stage and function, readable where it fits."""
    return _account_id(model, function.name)


def _account_id(model: DeployModel, label: str) -> str:
    digest = hashlib.sha256(f"{model.app.name}/{model.stage}/{label}".encode()).hexdigest()
    readable = label.lower().replace("_", "-")[:17].rstrip("-")
    return f"pf-{digest[:8]}-{readable}".rstrip("-")


def workflow_id(model: DeployModel, workflow: str) -> str:
    """The workflow's name on Google Cloud (``deploy_lines`` checks the API's rule)."""
    return f"{app_slug(model.app)}-{model.stage}-{workflow}"


def workflow_source_file(workflow: str) -> str:
    """Where the build writes the workflow's Cloud Workflows YAML, relative to deploy.sh."""
    return f"workflows/{workflow}.yaml"


def _workflow_account(model: DeployModel, workflow: str) -> tuple[str, str]:
    """(shell variable, account id) of the service account a workflow runs as. The
    variable's ``WFSA_`` prefix is taken by no function's (``SA_``) nor resource's."""
    key = f"{model.app.name}/{model.stage}/workflow:{workflow}"
    digest = hashlib.sha256(key.encode()).hexdigest()
    readable = "wf-" + workflow.lower().replace("_", "-")[:14].rstrip("-")
    variable = "WFSA_" + _var("workflow", workflow).removeprefix("WORKFLOW_")
    return variable, f"pf-{digest[:8]}-{readable}".rstrip("-")


class _Script:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, *lines: str) -> None:
        self.lines.extend(lines)

    def section(self, title: str) -> None:
        self.add("", f"# --- {title}")

    def command(self, *parts: str) -> None:
        """One command, split over lines; parts are already quoted for the shell."""
        self.add(" \\\n    ".join(parts))

    def ensure(self, check: str, *create: str) -> None:
        self.add(f"if ! {check} >/dev/null 2>&1; then")
        self.add("  " + " \\\n      ".join(create))
        self.add("fi")


def gcp_cpu(memory: int, concurrency: int) -> str | None:
    """``--cpu`` for a gen2 function: None keeps the memory's default vCPU, which serves
    one request at a time; over 1, Cloud Run requires 1 vCPU at least, so the larger of
    that and the memory's default is written (limits_data: gcp concurrency, cpu_by_memory)."""
    if concurrency <= 1:
        return None
    tiers: list[list[float]] = LIMITS["gcp"]["cpu_by_memory"]["tiers"]
    default = next((cpu for size, cpu in tiers if memory <= size), tiers[-1][1])
    minimum = LIMITS["gcp"]["concurrency"]["min_cpu_over_one"]
    return f"{max(default, minimum):g}"


def _q(text: str) -> str:
    return shlex.quote(text)


def deploy_script(model: DeployModel, region: str | None) -> str:
    app, stage = model.app, model.stage
    s = _Script()
    s.add(
        "#!/usr/bin/env bash",
        f"# Deploys polyfn app {app.name!r}, stage {stage!r}, to Cloud Functions (2nd gen).",
        "# Written by polyfn deploy; safe to run again (it creates what is missing and",
        "# redeploys the functions). Needs: gcloud, logged in, a project with billing.",
        "set -euo pipefail",
        "",
        'PROJECT_ID="${PROJECT_ID:-$(gcloud config get-value project 2>/dev/null)}"',
        f'REGION="${{REGION:-{region or DEFAULT_REGION}}}"',
        'if [[ -z "${PROJECT_ID}" ]]; then',
        '  echo "set PROJECT_ID or run: gcloud config set project PROJECT" >&2',
        "  exit 2",
        "fi",
        'PROJECT_NUMBER="$(gcloud projects describe "${PROJECT_ID}" '
        '--format="value(projectNumber)")"',
        'PUBSUB_AGENT="service-${PROJECT_NUMBER}@gcp-sa-pubsub.iam.gserviceaccount.com"',
        'SOURCE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"',
        'P=(--project "${PROJECT_ID}")',
        "",
        f"gcloud services enable {_SERVICES}"
        + (_WORKFLOW_SERVICES if app.workflows else "")
        + ' "${P[@]}"',
    )
    _resources(model, s)
    _identities(model, s)
    for function in model.functions:
        _function(model, function, s)
    _workflows(model, s)
    _gateway(model, s)
    s.add(
        "",
        'echo "polyfn: deployed ' + f"{app_slug(app)}-{stage}" + ' to ${PROJECT_ID} (${REGION})"',
    )
    return "\n".join(s.lines) + "\n"


# ----------------------------------------------------------------------------- resources


def _resources(model: DeployModel, s: _Script) -> None:
    app, stage = model.app, model.stage
    if model.buckets:
        s.section("buckets")
    for name in model.buckets:
        var = _var("bucket", name)
        s.add(f'{var}="{gcp_bucket_name(app, stage, app.buckets[name])}"')
        if gcp_existing(app.buckets[name], stage) is not None:
            s.add(f"# {name}: an existing bucket, adopted (existing=): not created")
            continue
        s.ensure(
            f'gcloud storage buckets describe "gs://${{{var}}}" "${{P[@]}}"',
            f'gcloud storage buckets create "gs://${{{var}}}" "${{P[@]}}"',
            '--location "${REGION}" --uniform-bucket-level-access',
        )
    if any(isinstance(f.fn.trigger, ObjectTrigger) for f in model.functions):
        # Storage triggers reach functions through Pub/Sub, published by Cloud Storage's own
        # service agent (Eventarc's Cloud Storage trigger requirements).
        s.add('GCS_AGENT="$(gcloud storage service-agent "${P[@]}")"')
        s.command(
            'gcloud projects add-iam-policy-binding "${PROJECT_ID}"',
            '--member "serviceAccount:${GCS_AGENT}" --role roles/pubsub.publisher',
            "--condition=None >/dev/null",
        )
    if model.queues:
        s.section("queues: Pub/Sub topics, each with a dead-letter topic that keeps its messages")
    for name in model.queues:
        var = _var("queue", name)
        topic = gcp_physical_name(app, stage, app.queues[name])
        adopted = gcp_existing(app.queues[name], stage) is not None
        # An adopted topic's dead letters go to a topic of the app's own, named as polyfn's.
        own = f"{app_slug(app)}-{stage}-{name}" if adopted else topic
        s.add(f'{var}="{topic}"', f'{var}_DLQ="{own}-dead-letter"')
        if adopted:
            s.add(f"# {name}: an existing topic, adopted (existing=): not created")
        for ref in [f"${{{var}_DLQ}}"] if adopted else [f"${{{var}}}", f"${{{var}_DLQ}}"]:
            s.ensure(
                f'gcloud pubsub topics describe "{ref}" "${{P[@]}}"',
                f'gcloud pubsub topics create "{ref}" "${{P[@]}}"',
            )
        # A topic without a subscription drops what is published to it.
        s.ensure(
            f'gcloud pubsub subscriptions describe "${{{var}_DLQ}}-sub" "${{P[@]}}"',
            f'gcloud pubsub subscriptions create "${{{var}_DLQ}}-sub" "${{P[@]}}"',
            f'--topic "${{{var}_DLQ}}" --message-retention-duration 7d',
        )
        s.command(
            f'gcloud pubsub topics add-iam-policy-binding "${{{var}_DLQ}}" "${{P[@]}}"',
            '--member "serviceAccount:${PUBSUB_AGENT}" --role roles/pubsub.publisher >/dev/null',
        )
    if model.event_buses:
        s.section(
            "event buses: Pub/Sub topics carrying CloudEvents (ce-source, ce-type attributes)"
        )
    for name in model.event_buses:
        var = _var("event_bus", name)
        adopted_bus = gcp_existing(app.event_buses[name], stage)
        s.add(f'{var}="{adopted_bus or event_bus_name(app, stage, name)}"')
        if adopted_bus is not None:
            s.add(f"# {name}: an existing topic, adopted (existing=): not created")
            continue
        s.ensure(
            f'gcloud pubsub topics describe "${{{var}}}" "${{P[@]}}"',
            f'gcloud pubsub topics create "${{{var}}}" "${{P[@]}}"',
        )
    if model.app.workflows:
        s.section("workflows: Cloud Workflows, deployed after their task functions (below)")
    for name in sorted(model.app.workflows):
        # The binding a starter gets is the full resource name, which the Executions API
        # takes as is (polyfn.adapters.gcp.backends.workflow.workflow_path).
        s.add(
            f'{_var("workflow", name)}="projects/${{PROJECT_ID}}/locations/${{REGION}}/'
            f'workflows/{workflow_id(model, name)}"'
        )
    if model.tables:
        s.section("tables: Firestore collections (created on first write) in the default database")
        for name in model.tables:
            s.add(f'{_var("table", name)}="{gcp_physical_name(app, stage, app.tables[name])}"')
        s.ensure(
            "gcloud firestore databases describe --database='(default)' \"${P[@]}\"",
            'gcloud firestore databases create --location "${REGION}" "${P[@]}"',
        )
        if model.of_kind("change"):
            s.add(
                "# Firestore triggers live where the database is: set FIRESTORE_LOCATION for",
                "# a database made elsewhere (a multi-region such as nam5).",
                'FIRESTORE_LOCATION="${FIRESTORE_LOCATION:-${REGION}}"',
            )
        _composite_indexes(model, s)
        _ttl_policies(model, s)


def _ttl_policies(model: DeployModel, s: _Script) -> None:
    """A Firestore TTL policy on each table that holds idempotency records: Firestore
    deletes a document once its EXPIRY_FIELD timestamp has passed (typically within a day,
    so polyfn checks the expiry on read as well). One TTL field per collection group;
    ``--async``: the policy takes minutes to apply and deploy need not wait for it."""
    from polyfn.adapters.gcp.backends.table import EXPIRY_FIELD
    from polyfn.core.idempotency import ttl_attribute

    expiring = [name for name in model.tables if ttl_attribute(model.app, model.app.tables[name])]
    if not expiring:
        return
    s.section("Firestore TTL: idempotency records are deleted after their expiry")
    for name in expiring:
        s.command(
            "gcloud firestore fields ttls update",
            EXPIRY_FIELD,
            f'--collection-group="${{{_var("table", name)}}}"',
            "--enable-ttl",
            "--async",
            '"${P[@]}"',
        )


def _composite_indexes(model: DeployModel, s: _Script) -> None:
    """The composite indexes of sort keys and sorted polyfn indexes (firestore.indexes.json
    holds the same, for the Firebase CLI). Creating one that exists answers ALREADY_EXISTS,
    the only failure tolerated."""
    app = model.app
    pairs = [
        (name, partition, sort)
        for name in model.tables
        for partition, sort in firestore_composite_pairs(app.tables[name])
    ]
    if not pairs:
        return
    s.section("Firestore composite indexes of sort keys and sorted indexes")
    s.add(
        "composite_index() {",
        '  out=$(gcloud firestore indexes composite create "$@" --async 2>&1) || case "$out" in',
        '    *ALREADY_EXISTS*|*"already exists"*) ;;',
        '    *) echo "$out" >&2; exit 1 ;;',
        "  esac",
        "}",
    )
    for name, partition, sort in pairs:
        for order in ("ascending", "descending"):
            s.command(
                "composite_index",
                f'--collection-group="${{{_var("table", name)}}}"',
                "--query-scope=collection",
                f"--field-config=field-path={_q(partition)},order=ascending",
                f"--field-config=field-path={_q(sort)},order={order}",
                '"${P[@]}"',
            )


def _identities(model: DeployModel, s: _Script) -> None:
    s.section("one service account per function, with the roles its code needs")
    app = model.app
    for function in model.functions:
        account = service_account_id(model, function)
        var = f"SA_{function.name.upper()}"
        s.add(f'{var}="{account}@${{PROJECT_ID}}.iam.gserviceaccount.com"')
        s.ensure(
            f'gcloud iam service-accounts describe "${{{var}}}" "${{P[@]}}"',
            f'gcloud iam service-accounts create {_q(account)} "${{P[@]}}"',
            f"--display-name {_q(f'polyfn {app.name}/{model.stage} {function.name}')}",
        )
        member = f'--member "serviceAccount:${{{var}}}"'
        for (kind, name), accesses in sorted(function.usage.accesses.items()):
            if kind == "bucket":
                # objectUser, not objectCreator, when writing: overwriting an object is a delete.
                role = "objectUser" if accesses & {"write", "delete"} else "objectViewer"
                s.command(
                    f'gcloud storage buckets add-iam-policy-binding "gs://${{{_var(kind, name)}}}"',
                    f'"${{P[@]}}" {member} --role roles/storage.{role} >/dev/null',
                )
            elif kind == "workflow":
                # invoker: create and read executions; viewer: read them (Workflows' IAM
                # roles, https://cloud.google.com/workflows/docs/access-control, read
                # 2026-12-04). Granted on the project, as deploy.sh grants Firestore's.
                role = "invoker" if "start" in accesses else "viewer"
                s.add(f"# Workflow roles are granted per project: this reaches beyond {name!r}.")
                s.command(
                    'gcloud projects add-iam-policy-binding "${PROJECT_ID}"',
                    f"{member} --role roles/workflows.{role} --condition=None >/dev/null",
                )
            elif kind in ("queue", "event_bus"):
                s.command(
                    f'gcloud pubsub topics add-iam-policy-binding "${{{_var(kind, name)}}}"',
                    f'"${{P[@]}}" {member} --role roles/pubsub.publisher >/dev/null',
                )
            else:
                role = "user" if accesses & {"write", "delete"} else "viewer"
                s.add(f"# Firestore grants roles per database, so this reaches beyond {name!r}.")
                s.command(
                    'gcloud projects add-iam-policy-binding "${PROJECT_ID}"',
                    f"{member} --role roles/datastore.{role} --condition=None >/dev/null",
                )
        if function.kind not in ("http", "task"):
            # Eventarc and Cloud Scheduler call the function as this account.
            s.command(
                'gcloud projects add-iam-policy-binding "${PROJECT_ID}"',
                f"{member} --role roles/eventarc.eventReceiver --condition=None >/dev/null",
            )


# ----------------------------------------------------------------------------- functions


def _function(model: DeployModel, function: DeployFunction, s: _Script) -> None:
    fn = function.fn
    name = gcp_function_name(model.app, model.stage, fn)
    trigger = fn.trigger
    sa = f"SA_{fn.name.upper()}"
    s.section(f"function {fn.name}: {trigger.describe()}")
    variables = [
        f"POLYFN_FUNCTION={fn.name}",
        f"POLYFN_TIMEOUT_SECONDS={function.timeout}",
        "POLYFN_LOG_LEVEL=INFO",  # the level of the Cloud Logging handler polyfn installs
    ]
    if isinstance(trigger, HttpTrigger) and trigger.auth == "anonymous":
        # Behind the API Gateway (gcp_gateway): the client's Authorization and address
        # are one step removed, and a JWT route's token was validated there.
        variables.append(f"{GATEWAY_SETTING}=1")
        if isinstance(trigger.guard, JWT):
            variables.append(f"{FRONT_SETTING}=jwt")
    bound = set(function.usage.accesses)
    if isinstance(trigger, ObjectTrigger):
        bound.add(("bucket", trigger.bucket.name))
    if isinstance(trigger, MessageTrigger):
        bound.add(("queue", trigger.queue.name))
    if isinstance(trigger, ChangeTrigger):
        bound.add(("table", trigger.table.name))
    if isinstance(trigger, EventTrigger) and trigger.bus is not None:
        bound.add(("event_bus", trigger.bus.name))
    variables += [f"{binding_variable(k, n)}=${{{_var(k, n)}}}" for k, n in sorted(bound)]
    concurrency = fn.options.concurrency
    if concurrency is not None and concurrency > 1:
        # functions-framework serves Python with this many threads (Google's advice for
        # concurrency over 1: THREADS equal to the concurrency).
        variables.append(f"THREADS={concurrency}")
    parts = [
        f'gcloud functions deploy {_q(name)} --gen2 "${{P[@]}}" --region "${{REGION}}"',
        f'--runtime {RUNTIME} --source "${{SOURCE_DIR}}"',
        f"--memory {function.memory}Mi --timeout {function.timeout}s",
        f'--service-account "${{{sa}}}"',
        f'--set-env-vars "{",".join(variables)}"',
        # Labels on every log entry of the function (deploy/observability.py).
        f'--update-labels "{gcp_labels(app_slug(model.app), model.stage, fn.name)}"',
    ]
    if concurrency is not None:
        cpu = gcp_cpu(function.memory, concurrency)
        parts.append(f"--concurrency {concurrency}" + (f" --cpu {cpu}" if cpu else ""))
    if fn.options.reserved_concurrency is not None:
        parts.append(f"--max-instances {fn.options.reserved_concurrency}")
    if fn.options.provisioned_concurrency:
        parts.append(f"--min-instances {fn.options.provisioned_concurrency}")
    if isinstance(trigger, HttpTrigger):
        # Private either way: anonymous routes are public through the gateway only (its
        # service account is their one invoker); auth="function" callers need the invoker
        # role themselves.
        s.command(*parts, "--entry-point http --trigger-http --no-allow-unauthenticated")
    elif isinstance(trigger, ScheduleTrigger):
        s.command(*parts, "--entry-point http --trigger-http --no-allow-unauthenticated")
        _scheduler_job(model, function, name, sa, s)
    elif isinstance(trigger, TaskTrigger):
        # Private: only the workflow's service account may call it (deploy_lines grants
        # it), with an OIDC token Google's front end checks; pinned, so it runs the task.
        s.command(*parts, "--entry-point http --trigger-http --no-allow-unauthenticated")
    elif isinstance(trigger, ObjectTrigger):
        if trigger.prefix or trigger.suffix:
            s.add(
                "# Eventarc filters storage events by bucket and type only: every object",
                f"# invokes this function, which keeps {trigger.prefix!r}*{trigger.suffix!r} "
                "and acknowledges the rest (billed invocations).",
            )
        s.command(
            *parts,
            "--entry-point events --retry",
            f'--trigger-event-filters "type={_STORAGE_EVENTS[trigger.action]}"',
            f'--trigger-event-filters "bucket=${{{_var("bucket", trigger.bucket.name)}}}"',
            f'--trigger-location "${{REGION}}" --trigger-service-account "${{{sa}}}"',
        )
        _allow_invoker(name, sa, s)
    elif isinstance(trigger, MessageTrigger):
        queue = _var("queue", trigger.queue.name)
        s.command(
            *parts,
            "--entry-point events --retry",
            f'--trigger-topic "${{{queue}}}" --trigger-service-account "${{{sa}}}"',
        )
        _allow_invoker(name, sa, s)
        _dead_letter(model, name, queue, trigger, s)
    elif isinstance(trigger, ChangeTrigger):
        # Every write of a document of the table's collection, in the database's location
        # (FIRESTORE_LOCATION); "written" covers created, updated and deleted, and the
        # adapter tells them apart from the images the protobuf payload carries.
        s.command(
            *parts,
            "--entry-point events --retry",
            f'--trigger-event-filters "type={FIRESTORE_WRITTEN}"',
            '--trigger-event-filters "database=(default)"',
            "--trigger-event-filters-path-pattern "
            f'"document=${{{_var("table", trigger.table.name)}}}/{{doc}}"',
            '--trigger-location "${FIRESTORE_LOCATION}"',
            f'--trigger-service-account "${{{sa}}}"',
        )
        _allow_invoker(name, sa, s)
    elif isinstance(trigger, EventTrigger) and trigger.bus is not None:
        s.add(
            "# Eventarc's Pub/Sub trigger cannot filter on message attributes: every event",
            "# published to the bus reaches this function, which applies on_event's source",
            "# and type filters itself (the others are acknowledged with a WARNING).",
        )
        s.command(
            *parts,
            "--entry-point events --retry",
            f'--trigger-topic "${{{_var("event_bus", trigger.bus.name)}}}"',
            f'--trigger-service-account "${{{sa}}}"',
        )
        _allow_invoker(name, sa, s)
    elif isinstance(trigger, EventTrigger):
        s.command(
            *parts,
            "--entry-point events --retry",
            f'--trigger-event-filters "type={trigger.type}"',
            f'--trigger-service-account "${{{sa}}}"',
        )
        _allow_invoker(name, sa, s)


def _workflows(model: DeployModel, s: _Script) -> None:
    """Each workflow: its own service account, allowed to invoke its task functions only,
    and the YAML (``workflows/<name>.yaml``, written by the build) deployed as it."""
    app = model.app
    for name in sorted(app.workflows):
        workflow = app.workflows[name]
        variable, account = _workflow_account(model, name)
        s.section(f"workflow {name}: runs as its own service account")
        s.add(f'{variable}="{account}@${{PROJECT_ID}}.iam.gserviceaccount.com"')
        s.ensure(
            f'gcloud iam service-accounts describe "${{{variable}}}" "${{P[@]}}"',
            f'gcloud iam service-accounts create {_q(account)} "${{P[@]}}"',
            f"--display-name {_q(f'polyfn {app.name}/{model.stage} workflow {name}')}",
        )
        tasks = [gcp_function_name(app, model.stage, app.functions[t]) for t in workflow.tasks]
        s.add(*deploy_lines(workflow_id(model, name), workflow_source_file(name), variable, tasks))


def _allow_invoker(name: str, sa: str, s: _Script) -> None:
    s.command(
        f'gcloud functions add-invoker-policy-binding {_q(name)} "${{P[@]}}"',
        '--region "${REGION}"',
        f'--member "serviceAccount:${{{sa}}}" >/dev/null',
    )


# Eventarc's Firestore event for any write of a document (Cloud Functions docs, "Extend
# Cloud Firestore with Cloud Run functions (2nd gen)", event types, read 2026-12).
FIRESTORE_WRITTEN = "google.cloud.firestore.document.v1.written"

# Pub/Sub's bounds: an ack deadline of 10-600 s, retry delays of 0-600 s
# (cloud.google.com/pubsub/docs/subscription-properties, read 2026-12).
_ACK_DEADLINE = (10, 600)
_MAX_RETRY_DELAY = 600


def _dead_letter(
    model: DeployModel, name: str, queue: str, trigger: MessageTrigger, s: _Script
) -> None:
    attempts = LIMITS["gcp"]["pubsub_max_delivery_attempts"]
    count = min(max(trigger.queue.max_receives, attempts["min"]), attempts["max"])
    if count != trigger.queue.max_receives:
        s.add(
            f"# max_receives={trigger.queue.max_receives}, but Pub/Sub allows "
            f"{attempts['min']}-{attempts['max']} delivery attempts: using {count}."
        )
    s.add(
        "# The Eventarc trigger owns the push subscription; give it the dead-letter policy.",
        f'TRIGGER="$(gcloud functions describe {_q(name)} --gen2 "${{P[@]}}" '
        '--region "${REGION}" --format="value(eventTrigger.trigger)")"',
        'SUBSCRIPTION="$(gcloud eventarc triggers describe "${TRIGGER}" "${P[@]}" '
        '--location "${REGION}" --format="value(transport.pubsub.subscription)")"',
    )
    # The queue's settings, as on the other clouds: how long a delivery may take before it
    # counts as failed (its visibility timeout: declared, or 6x the consumer's timeout)
    # and how long a failed message waits before it comes back (the retry delay).
    low, high = _ACK_DEADLINE
    visibility = model.visibility_timeout(trigger.queue)
    ack = min(high, max(low, visibility))
    if ack != visibility:
        s.add(f"# visibility {visibility} s is outside Pub/Sub's {low}-{high} s ack deadline.")
    retry = min(_MAX_RETRY_DELAY, trigger.queue.visibility_timeout)
    s.command(
        'gcloud pubsub subscriptions update "${SUBSCRIPTION}" "${P[@]}"',
        f'--dead-letter-topic "${{{queue}_DLQ}}" --max-delivery-attempts {count}',
        f"--ack-deadline {ack} --min-retry-delay {retry}s --max-retry-delay {_MAX_RETRY_DELAY}s",
    )
    s.command(
        'gcloud pubsub subscriptions add-iam-policy-binding "${SUBSCRIPTION}" "${P[@]}"',
        '--member "serviceAccount:${PUBSUB_AGENT}" --role roles/pubsub.subscriber >/dev/null',
    )


def _scheduler_job(
    model: DeployModel, function: DeployFunction, name: str, sa: str, s: _Script
) -> None:
    cron = schedule_expression(function.fn, "unix")
    _allow_invoker(name, sa, s)
    s.add(
        f'URL="$(gcloud functions describe {_q(name)} --gen2 "${{P[@]}}" --region "${{REGION}}" '
        '--format="value(serviceConfig.uri)")"',
        "# Cloud Scheduler marks its calls with X-CloudScheduler and X-CloudScheduler-JobName.",
    )
    job = f"{name}-schedule"
    flags = (
        f'--location "${{REGION}}" --schedule {_q(cron)} --time-zone Etc/UTC '
        f'--uri "${{URL}}" --http-method POST --oidc-service-account-email "${{{sa}}}" '
        '--oidc-token-audience "${URL}"'
    )
    describe = f'gcloud scheduler jobs describe {_q(job)} "${{P[@]}}" --location "${{REGION}}"'
    s.add(f"if {describe} >/dev/null 2>&1; then")
    s.add(f'  gcloud scheduler jobs update http {_q(job)} "${{P[@]}}" {flags}')
    s.add("else")
    s.add(f'  gcloud scheduler jobs create http {_q(job)} "${{P[@]}}" {flags}')
    s.add("fi")


# ----------------------------------------------------------------------------- front door


def _gateway(model: DeployModel, s: _Script) -> None:
    """API Gateway in front of the anonymous routes (``gcp_gateway``)."""
    fronted = gateway_functions(model)
    if not fronted:
        return
    app, stage = model.app, model.stage
    s.section("front door: API Gateway, one host name for every anonymous route")
    s.add(f'gcloud services enable {_GATEWAY_SERVICES} "${{P[@]}}"')
    gateway_account = _account_id(model, "gateway")
    s.add(f'SA_GATEWAY="{gateway_account}@${{PROJECT_ID}}.iam.gserviceaccount.com"')
    s.ensure(
        'gcloud iam service-accounts describe "${SA_GATEWAY}" "${P[@]}"',
        f'gcloud iam service-accounts create {_q(gateway_account)} "${{P[@]}}"',
        f"--display-name {_q(f'polyfn {app.name}/{stage} API Gateway')}",
    )
    names = [(f.name, gcp_function_name(app, stage, f.fn)) for f in fronted]
    if app.cors is not None:
        cors_name = f"{app_slug(app)}-{stage}-{CORS_FUNCTION}"
        cors_account = _account_id(model, CORS_FUNCTION)
        s.add(
            "# Preflights reach this function only: it runs polyfn's CORS rules for every",
            "# route of the App, touches no resource and has no role.",
            f'SA_CORS="{cors_account}@${{PROJECT_ID}}.iam.gserviceaccount.com"',
        )
        s.ensure(
            'gcloud iam service-accounts describe "${SA_CORS}" "${P[@]}"',
            f'gcloud iam service-accounts create {_q(cors_account)} "${{P[@]}}"',
            f"--display-name {_q(f'polyfn {app.name}/{stage} CORS preflights')}",
        )
        s.command(
            f'gcloud functions deploy {_q(cors_name)} --gen2 "${{P[@]}}" --region "${{REGION}}"',
            f'--runtime {RUNTIME} --source "${{SOURCE_DIR}}"',
            "--memory 256Mi --timeout 10s",
            '--service-account "${SA_CORS}"',
            f'--set-env-vars "POLYFN_TIMEOUT_SECONDS=10,{GATEWAY_SETTING}=1"',
            "--entry-point http --trigger-http --no-allow-unauthenticated",
        )
        names.append((CORS_FUNCTION, cors_name))
    replacements = []
    for label, name in names:
        var = "URL_" + label.upper().replace("-", "_")
        s.command(
            f'gcloud functions add-invoker-policy-binding {_q(name)} "${{P[@]}}"',
            '--region "${REGION}" --member "serviceAccount:${SA_GATEWAY}" >/dev/null',
        )
        s.add(
            f'{var}="$(gcloud functions describe {_q(name)} --gen2 "${{P[@]}}" '
            '--region "${REGION}" --format="value(serviceConfig.uri)")"'
        )
        replacements.append(f'-e "s#{url_token(label)}#${{{var}}}#g"')
    api = f"{app_slug(app)}-{stage}"
    s.add(f'API_ID="{api}"')
    s.ensure(
        'gcloud api-gateway apis describe "${API_ID}" "${P[@]}"',
        'gcloud api-gateway apis create "${API_ID}" "${P[@]}"',
    )
    s.add(
        'MANAGED_SERVICE="$(gcloud api-gateway apis describe "${API_ID}" "${P[@]}" '
        "--format='value(managedService)')\"",
        'gcloud services enable "${MANAGED_SERVICE}" "${P[@]}"',
        "# The config names each function's URL, known only now; configs are immutable,",
        "# so every deploy creates one and points the gateway at it.",
        'CONFIG_FILE="$(mktemp --suffix .json)"',
        "trap 'rm -f \"${CONFIG_FILE}\"' EXIT",
    )
    s.command(
        "sed",
        *replacements,
        f'-e "s#{MANAGED_SERVICE_TOKEN}#${{MANAGED_SERVICE}}#g"',
        f'"${{SOURCE_DIR}}/{GATEWAY_CONFIG}" > "${{CONFIG_FILE}}"',
    )
    s.add('CONFIG_ID="${API_ID}-$(date -u +%Y%m%d-%H%M%S)"')
    s.command(
        'gcloud api-gateway api-configs create "${CONFIG_ID}" "${P[@]}" --api "${API_ID}"',
        '--openapi-spec "${CONFIG_FILE}" --backend-auth-service-account "${SA_GATEWAY}"',
    )

    def gateway(verb: str) -> str:
        return (
            f'gcloud api-gateway gateways {verb} "${{API_ID}}" "${{P[@]}}" --location "${{REGION}}"'
        )

    config = '--api "${API_ID}" --api-config "${CONFIG_ID}"'
    s.add(f"if {gateway('describe')} >/dev/null 2>&1; then")
    s.add(f"  {gateway('update')} {config}")
    s.add("else")
    s.add(f"  {gateway('create')} {config}")
    s.add("fi")
    s.add(
        f'GATEWAY_HOST="$({gateway("describe")} --format="value(defaultHostname)")"',
        'echo "polyfn: the routes are served at https://${GATEWAY_HOST}"',
    )
