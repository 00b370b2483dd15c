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


def test_azure_and_google_cloud_deploy_the_records_table_without_a_ttl() -> None:
    import json

    from polyfn.deploy.azure_arm import main_template
    from polyfn.deploy.gcp_script import deploy_script

    model = build_model(_app())
    arm = json.dumps(main_template(model, {}))
    script = deploy_script(model, "europe-west1")

    # Table Storage has no TTL; Firestore's needs a timestamp field (docs/idempotency.md).
    assert "tableServices/default/tables/idempotency" in arm
    assert "POLYFN_TABLE_IDEMPOTENCY=${TABLE_IDEMPOTENCY}" in script
    assert "ttl" not in script.lower()
