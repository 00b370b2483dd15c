"""Sort keys and secondary indexes in each cloud's deploy artifact: DynamoDB key schema
and GSIs (as the runtime creates them on moto), Firestore composite indexes, the Table
Storage companion table of the index entities."""

from __future__ import annotations

import json
from typing import Any

from deploy.conftest import SHOP, Builder
from deploy.sam_check import lint_errors, load_template, transform
from polyfn import App, Request
from polyfn.adapters.aws.backends import dynamodb_table_spec
from polyfn.adapters.azure.backends.table_index import SUFFIX
from polyfn.deploy.aws_sam import sam_template, statements_for
from polyfn.deploy.azure_arm import main_template
from polyfn.deploy.gcp_script import deploy_script
from polyfn.deploy.model import build_model
from polyfn.deploy.table_indexes import INDEX_TABLE_SUFFIX, firestore_indexes_json


def _orders_app() -> App:
    app = App("orders")
    orders = app.table(
        "orders",
        key="customer",
        sort="created",
        indexes={"by_status": ("status", "created"), "by_email": "email"},
    )

    @app.get("/orders/{customer}")
    def list_orders(req: Request) -> object:
        return orders.query(req.path_params["customer"], index="by_status").items

    @app.post("/orders")
    def import_orders(req: Request) -> None:
        orders.batch_write(req.json())

    return app


def test_dynamodb_key_schema_and_gsis_match_what_the_runtime_creates() -> None:
    app = _orders_app()
    template = sam_template(build_model(app))

    properties = template["Resources"]["OrdersTable"]["Properties"]

    assert properties == dynamodb_table_spec(app.tables["orders"])
    assert [g["IndexName"] for g in properties["GlobalSecondaryIndexes"]] == [
        "by_status",
        "by_email",
    ]
    assert lint_errors(transform(template)) == []


def test_index_queries_and_batches_are_granted_and_nothing_more() -> None:
    model = build_model(_orders_app())

    listing = statements_for(model, model.function("list_orders"))
    importing = statements_for(model, model.function("import_orders"))

    assert [s["Action"] for s in listing] == [
        ["dynamodb:Query", "dynamodb:Scan"],
        ["dynamodb:Query"],
    ]
    assert listing[1]["Resource"] == {"Fn::Sub": "${OrdersTable.Arn}/index/*"}
    assert [s["Action"] for s in importing] == [["dynamodb:BatchWriteItem"]]


def test_shop_users_email_index_is_a_gsi(built: Builder) -> None:
    result = built(SHOP, "aws", install_dependencies=False)
    template = load_template((result.out / "template.yaml").read_text())

    gsis = template["Resources"]["UsersTable"]["Properties"]["GlobalSecondaryIndexes"]

    assert gsis == [
        {
            "IndexName": "by_email",
            "KeySchema": [{"AttributeName": "email", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "ALL"},
        }
    ]


def test_firestore_composite_indexes_for_each_sorted_pair_both_directions(
    built: Builder,
) -> None:
    app = _orders_app()
    indexes = json.loads(firestore_indexes_json({"shop-prod-orders": app.tables["orders"]}))
    script = deploy_script(build_model(app), "europe-west1")

    fields = [
        [(f["fieldPath"], f["order"]) for f in index["fields"]] for index in indexes["indexes"]
    ]
    assert fields == [
        [("customer", "ASCENDING"), ("created", "ASCENDING")],
        [("customer", "ASCENDING"), ("created", "DESCENDING")],
        [("status", "ASCENDING"), ("created", "ASCENDING")],
        [("status", "ASCENDING"), ("created", "DESCENDING")],
    ]
    assert script.count("composite_index \\") == 4
    assert "field-path=status,order=ascending" in script
    assert "field-path=created,order=descending" in script
    shop = built(SHOP, "gcp", install_dependencies=False).out
    # by_email has no sort field: Firestore's automatic indexes serve it.
    assert json.loads((shop / "firestore.indexes.json").read_text())["indexes"] == []


def _arm_tables(template: dict[str, Any]) -> list[str]:
    return [
        r["name"]
        for r in template["resources"]
        if r["type"] == "Microsoft.Storage/storageAccounts/tableServices/tables"
    ]


def test_table_storage_gets_the_companion_table_of_index_entities() -> None:
    app = _orders_app()
    template = main_template(build_model(app), {})

    names = _arm_tables(template)

    assert INDEX_TABLE_SUFFIX == SUFFIX
    assert names == [
        "[format('{0}/default/orders', parameters('storageAccountName'))]",
        "[format('{0}/default/ordersix', parameters('storageAccountName'))]",
    ]
