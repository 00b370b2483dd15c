"""Deploy artifacts for an app's event bus: each cloud creates the bus and subscribes each
``on_event(bus=...)`` function to it with the filters that cloud can apply, and grants
publishing to the function that publishes."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from deploy.arm_check import ArmTemplate
from deploy.conftest import Builder
from deploy.sam_check import lint_errors, load_template, transform
from polyfn.core.errors import ConfigError

HERE = Path(__file__).resolve().parent
BUS_SAMPLE = HERE / "bus_sample"
UNBUSSED = HERE / "unbussed_sample"
NO_DEPS = {"install_dependencies": False}


def _sam(built: Builder) -> dict[str, Any]:
    result = built(BUS_SAMPLE, "aws", **NO_DEPS)
    return load_template((result.out / "template.yaml").read_text())


def test_sam_creates_the_bus_and_a_rule_on_it_per_subscriber(built: Builder) -> None:
    template = _sam(built)
    resources = template["Resources"]
    assert resources["OrdersEventBus"] == {
        "Type": "AWS::Events::EventBus",
        "Properties": {"Name": "busy-dev-orders"},
    }
    rules = {
        name: resources[f"{camel}Function"]["Properties"]["Events"]["Event"]
        for name, camel in (
            ("order_placed", "OrderPlaced"),
            ("any_shop_order", "AnyShopOrder"),
            ("every_order_event", "EveryOrderEvent"),
        )
    }
    on_bus = {"Ref": "OrdersEventBus"}
    assert rules["order_placed"]["Properties"] == {
        "Pattern": {"source": ["shop.orders"], "detail-type": ["OrderPlaced"]},
        "EventBusName": on_bus,
        "DeadLetterConfig": {"Type": "SQS"},
    }
    assert rules["any_shop_order"]["Properties"] == {
        "Pattern": {"source": [{"prefix": "shop."}], "detail-type": [{"prefix": "Order"}]},
        "EventBusName": on_bus,
        "DeadLetterConfig": {"Type": "SQS"},
    }
    assert rules["every_order_event"]["Properties"]["EventBusName"] == on_bus
    publisher = resources["PlaceOrderFunction"]["Properties"]
    assert publisher["Environment"]["Variables"]["POLYFN_EVENT_BUS_ORDERS"] == on_bus
    assert {"Effect": "Allow", "Action": ["events:PutEvents"], "Resource": {
        "Fn::GetAtt": ["OrdersEventBus", "Arn"]
    }} in publisher["Policies"][0]["Statement"]  # fmt: skip
    # A subscriber that does not publish gets no PutEvents.
    assert "Policies" not in resources["OrderPlacedFunction"]["Properties"]


def test_sam_with_a_bus_transforms_and_lints_with_no_findings(built: Builder) -> None:
    cfn = transform(_sam(built))
    assert lint_errors(cfn) == []
    rules = [r for r in cfn["Resources"].values() if r["Type"] == "AWS::Events::Rule"]
    assert len(rules) == 3
    assert all(r["Properties"]["EventBusName"] == {"Ref": "OrdersEventBus"} for r in rules)


def test_arm_creates_a_cloudevents_topic_and_filtered_subscriptions(built: Builder) -> None:
    project = built(BUS_SAMPLE, "azure", **NO_DEPS).out
    main = ArmTemplate(json.loads((project / "infra" / "main.json").read_text()))
    main.check()
    (topic,) = main.resource("Microsoft.EventGrid/topics")
    # CloudEvents in, and Microsoft Entra tokens only: the topic's keys cannot publish.
    assert topic["properties"] == {"inputSchema": "CloudEventSchemaV1_0", "disableLocalAuth": True}
    topic_name = main.value(topic["name"])
    assert topic_name.endswith("-orders") and 3 <= len(topic_name) <= 50
    site = main.resource("Microsoft.Web/sites")[0]
    settings = {
        s["name"]: main.value(s["value"]) for s in site["properties"]["siteConfig"]["appSettings"]
    }
    assert settings["POLYFN_EVENT_BUS_ORDERS"].startswith("https://")
    # The app publishes as its identity: no key in its settings, the sender role on the topic.
    assert not any(
        "listKeys" in json.dumps(s) for s in site["properties"]["siteConfig"]["appSettings"]
    )
    assert "POLYFN_EVENT_BUS_ORDERS_KEY" not in settings
    senders = [
        r for r in main.resource("Microsoft.Authorization/roleAssignments")
        if r["properties"]["roleDefinitionId"].endswith("'d5a91429-5739-47e2-a06b-3470a27159e7')]")
    ]  # fmt: skip
    assert [main.value(r["scope"]) for r in senders] == [f"Microsoft.EventGrid/topics/{topic_name}"]
    assert "identity.principalId" in senders[0]["properties"]["principalId"]
    outputs = {k: main.value(v["value"]) for k, v in main.template["outputs"].items()}
    grid_template = json.loads((project / "infra" / "eventgrid.json").read_text())
    # The documented command passes storageAccountName to every eventgrid.json; with no
    # blob-delete subscription nothing reads it, which ARM accepts and the check would not.
    checked = dict(grid_template, parameters={"functionAppName": {"type": "string"}})
    grid = ArmTemplate(
        checked,
        values={"functionAppName": outputs["functionAppName"]},
        external=("Microsoft.Web/sites/functions",),
    )
    grid.check()
    subscriptions = {
        grid.value(r["name"]).split("/")[1]: r["properties"] for r in grid_template["resources"]
    }
    assert set(subscriptions) == {"order-placed", "any-shop-order", "every-order-event"}
    assert all(
        grid.value(r["name"]).split("/")[0] == topic_name for r in grid_template["resources"]
    )
    assert {p["eventDeliverySchema"] for p in subscriptions.values()} == {"CloudEventSchemaV1_0"}
    assert subscriptions["order-placed"]["filter"] == {
        "includedEventTypes": ["OrderPlaced"],
        "advancedFilters": [
            {"operatorType": "StringIn", "key": "source", "values": ["shop.orders"]}
        ],
    }
    # A type prefix is the function's to apply; the source prefix is Event Grid's.
    assert subscriptions["any-shop-order"]["filter"] == {
        "advancedFilters": [
            {"operatorType": "StringBeginsWith", "key": "source", "values": ["shop."]}
        ]
    }
    assert subscriptions["every-order-event"]["filter"] == {}


def _deploy_command(script: str, name: str) -> str:
    match = re.search(rf"^gcloud functions deploy {name} .*?(?<!\\)\n", script, re.M | re.S)
    assert match, f"no deploy command for {name}"
    return match.group(0)


def test_deploy_sh_creates_the_topic_and_triggers_each_subscriber_on_it(built: Builder) -> None:
    script = (built(BUS_SAMPLE, "gcp", **NO_DEPS).out / "deploy.sh").read_text()
    assert 'EVENT_BUS_ORDERS="busy-dev-orders"' in script
    assert 'gcloud pubsub topics create "${EVENT_BUS_ORDERS}"' in script
    for name in ("order-placed", "any-shop-order", "every-order-event"):
        command = _deploy_command(script, f"busy-dev-{name}")
        assert '--trigger-topic "${EVENT_BUS_ORDERS}"' in command
        assert "--entry-point events --retry" in command
        assert "POLYFN_EVENT_BUS_ORDERS=${EVENT_BUS_ORDERS}" in command
        assert "--trigger-event-filters" not in command
    publisher = _deploy_command(script, "busy-dev-place-order")
    assert "POLYFN_EVENT_BUS_ORDERS=${EVENT_BUS_ORDERS}" in publisher
    assert re.search(
        r'gcloud pubsub topics add-iam-policy-binding "\$\{EVENT_BUS_ORDERS\}" \\\n'
        r'    "\$\{P\[@\]\}" --member "serviceAccount:\$\{SA_PLACE_ORDER\}" '
        r"--role roles/pubsub.publisher",
        script,
    )


def test_deploy_sh_refuses_a_custom_event_type_on_no_bus(built: Builder) -> None:
    with pytest.raises(ConfigError, match=r"invoice_paid: .*channel.*app\.event_bus"):
        built(UNBUSSED, "gcp", **NO_DEPS)


@pytest.mark.parametrize(
    ("cloud", "kind", "trigger"),
    [
        ("aws", "EventBridge custom event bus", "EventBridge rule on bus orders"),
        ("azure", "Event Grid custom topic", "Event Grid subscription on topic orders"),
        ("gcp", "Pub/Sub topic carrying CloudEvents", "applied by the function"),
    ],
)
def test_preview_lists_the_bus_and_how_each_subscriber_is_triggered(
    cloud: str, kind: str, trigger: str
) -> None:
    from polyfn.deploy.builder import BuildOptions, prepare
    from polyfn.deploy.preview import describe

    prepared = prepare(str(BUS_SAMPLE), BuildOptions(cloud=cloud))  # type: ignore[arg-type]
    plan = describe(prepared.model, cloud, [])
    (bus,) = plan["resources"]
    assert (bus["kind"], bus["name"]) == ("event_bus", "orders")
    assert bus["type"].startswith(kind)
    triggers = {f["name"]: f["trigger"] for f in plan["functions"]}
    assert trigger in triggers["order_placed"]


def test_uses_can_name_an_event_bus_and_grants_publishing() -> None:
    from polyfn import App, Request
    from polyfn.deploy.aws_sam import statements_for
    from polyfn.deploy.model import build_model

    app = App("busy")
    orders = app.event_bus("orders")
    publish = orders.publish

    @app.post("/orders", uses=[orders])
    def place_order(req: Request) -> None:
        publish(source="shop.orders", type="OrderPlaced")  # through an alias the scan misses

    model = build_model(app)
    assert statements_for(model, model.function("place_order")) == [
        {
            "Effect": "Allow",
            "Action": ["events:PutEvents"],
            "Resource": {"Fn::GetAtt": ["OrdersEventBus", "Arn"]},
        }
    ]
