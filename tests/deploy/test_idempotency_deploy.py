"""@idempotent in the deploy artifacts: the records table has DynamoDB TTL on the expiry
attribute, and each idempotent function is granted the records it keeps as well as what
its own code touches (the scan reads the user's handler, not polyfn's wrapper)."""

from __future__ import annotations

from deploy.sam_check import lint_errors, transform
from polyfn import App, Message, Request
from polyfn.deploy.aws_sam import sam_template, statements_for
from polyfn.deploy.model import build_model


def _app() -> App:
    app = App("idem")
    orders = app.table("orders")
    jobs = app.queue("jobs")

    @app.post("/orders")
    @app.idempotent()
    def create_order(req: Request) -> None:
        orders.put(req.json())

    @app.on_message(jobs)
    @app.idempotent(table=orders)  # records in a table of the user's own
    def charge(msg: Message) -> None:
        pass

    return app


def test_the_records_table_has_ttl_on_its_expiry_attribute() -> None:
    template = sam_template(build_model(_app()))
    resources = template["Resources"]

    assert resources["IdempotencyTable"]["Properties"]["TimeToLiveSpecification"] == {
        "AttributeName": "expires",
        "Enabled": True,
    }
    assert resources["OrdersTable"]["Properties"]["TimeToLiveSpecification"] == {
        "AttributeName": "expires",
        "Enabled": True,
    }
    assert lint_errors(transform(template)) == []


def test_an_idempotent_function_is_granted_its_records_and_its_own_uses() -> None:
    model = build_model(_app())

    creating = statements_for(model, model.function("create_order"))
    charging = statements_for(model, model.function("charge"))

    def grants(statements: list[dict[str, object]]) -> dict[str, list[str]]:
        return {str(s["Resource"]): s["Action"] for s in statements}  # type: ignore[misc]

    created = grants(creating)
    assert any("IdempotencyTable" in resource for resource in created)
    assert any("OrdersTable" in resource for resource in created)  # the user's orders.put
    records = next(v for k, v in created.items() if "IdempotencyTable" in k)
    assert {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"} <= set(records)
    assert any("OrdersTable" in resource for resource in grants(charging))


def test_azure_deploys_the_records_table_without_a_ttl() -> None:
    import json

    from polyfn.deploy.azure_arm import main_template

    arm = json.dumps(main_template(build_model(_app()), {}))

    # Table Storage has no TTL (docs/idempotency.md): nothing to turn on.
    assert "tableServices/default/tables/idempotency" in arm
    assert "ttl" not in arm.lower()


def test_google_cloud_sets_a_ttl_policy_on_the_records_timestamp() -> None:
    from deploy.gcloud_check import check_line, command_lines
    from polyfn.adapters.gcp.backends.table import EXPIRY_FIELD
    from polyfn.deploy.gcp_script import deploy_script

    script = deploy_script(build_model(_app()), "europe-west1")

    assert "POLYFN_TABLE_IDEMPOTENCY=${TABLE_IDEMPOTENCY}" in script
    policies = [line for line in command_lines(script) if "fields ttls update" in line]
    assert sorted(" ".join(line.split()) for line in policies) == sorted(
        f'gcloud firestore fields ttls update {EXPIRY_FIELD} --collection-group="${{{var}}}" '
        '--enable-ttl --async "${P[@]}"'
        for var in ("TABLE_IDEMPOTENCY", "TABLE_ORDERS")
    )
    for line in policies:
        check_line(line)  # gcloud's own command tree accepts it
    # A table without idempotency records gets no policy.
    plain = App("plain")
    notes = plain.table("notes")

    @plain.get("/notes")
    def list_notes(req: Request) -> None:
        notes.scan(limit=10)

    assert "ttls" not in deploy_script(build_model(plain), "europe-west1")
