"""The front door of each cloud, generated from the App: AWS HTTP API CORS and throttling,
Google Cloud API Gateway (OpenAPI 2.0), Azure platform CORS; each checked offline."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from openapi_spec_validator import OpenAPIV2SpecValidator
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from deploy.arm_check import ArmTemplate
from deploy.conftest import SHOP, Builder
from deploy.sam_check import lint_errors, load_template, transform

CORS_SAMPLE = Path(__file__).resolve().parent / "cors_sample"
NO_DEPS = {"install_dependencies": False}


def _aws(built: Builder, app_dir: Path) -> dict[str, Any]:
    result = built(app_dir, "aws", **NO_DEPS)
    return load_template((result.out / "template.yaml").read_text())


def test_aws_http_api_answers_preflights_itself_from_the_apps_cors(built: Builder) -> None:
    template = _aws(built, CORS_SAMPLE)
    http_api = template["Globals"]["HttpApi"]
    assert http_api["CorsConfiguration"] == {
        "AllowOrigins": ["https://admin.example", "https://shop.example"],
        "AllowMethods": ["DELETE", "GET", "HEAD", "POST"],
        "AllowHeaders": ["content-type", "x-trace"],
        "MaxAge": 300,
        "AllowCredentials": True,
        "ExposeHeaders": ["location"],
    }
    # The CORS configuration reaches the API itself (SAM writes it into the API's
    # OpenAPI body as x-amazon-apigateway-cors), and the template deploys.
    cfn = transform(template)
    apis = [r for r in cfn["Resources"].values() if r["Type"] == "AWS::ApiGatewayV2::Api"]
    assert len(apis) == 1
    assert apis[0]["Properties"]["Body"]["x-amazon-apigateway-cors"] == {
        "allowOrigins": ["https://admin.example", "https://shop.example"],
        "allowHeaders": ["content-type", "x-trace"],
        "allowMethods": ["DELETE", "GET", "HEAD", "POST"],
        "exposeHeaders": ["location"],
        "maxAge": 300,
        "allowCredentials": True,
    }
    assert lint_errors(cfn) == []


def test_aws_stage_throttling_defaults_are_parameters(built: Builder) -> None:
    template = _aws(built, SHOP)
    assert "CorsConfiguration" not in template["Globals"]["HttpApi"]  # the shop has no CORS
    assert template["Parameters"]["ApiThrottlingRateLimit"]["Default"] == 1000
    assert template["Parameters"]["ApiThrottlingBurstLimit"]["Default"] == 500
    cfn = transform(template)
    stages = [r for r in cfn["Resources"].values() if r["Type"] == "AWS::ApiGatewayV2::Stage"]
    assert len(stages) == 1
    assert stages[0]["Properties"]["DefaultRouteSettings"] == {
        "ThrottlingRateLimit": {"Ref": "ApiThrottlingRateLimit"},
        "ThrottlingBurstLimit": {"Ref": "ApiThrottlingBurstLimit"},
    }
    assert lint_errors(cfn) == []


def test_azure_site_config_carries_the_apps_cors(built: Builder) -> None:
    out = built(CORS_SAMPLE, "azure", **NO_DEPS).out
    main = ArmTemplate(json.loads((out / "infra" / "main.json").read_text()))
    main.check()
    site = main.resource("Microsoft.Web/sites")[0]
    assert site["properties"]["siteConfig"]["cors"] == {
        "allowedOrigins": ["https://admin.example", "https://shop.example"],
        "supportCredentials": True,
    }
    shop = built(SHOP, "azure", **NO_DEPS).out
    shop_site = ArmTemplate(json.loads((shop / "infra" / "main.json").read_text()))
    assert "cors" not in shop_site.resource("Microsoft.Web/sites")[0]["properties"]["siteConfig"]


def _gateway_document(out: Path) -> dict[str, Any]:
    """The config as deploy.sh sends it: the tokens replaced with function URLs."""
    text = (out / "gateway" / "openapi.json").read_text()
    text = re.sub(
        r"@POLYFN_URL_([A-Z0-9_]+)@",
        lambda m: f"https://{m.group(1).lower().replace('_', '-')}-abc123-ew.a.run.app",
        text,
    )
    text = text.replace("@POLYFN_MANAGED_SERVICE@", "corsy-dev-0abc.apigateway.p.cloud.goog")
    assert "@POLYFN" not in text
    return json.loads(text)


def _validate_v2(document: dict[str, Any]) -> None:
    # openapi-spec-validator knows OpenAPI 2.0 but not API Gateway's multi-segment
    # wildcard ({name=**}), whose parameter is the plain name: check it as {name}.
    plain = json.loads(json.dumps(document).replace("=**}", "}"))
    OpenAPIV2SpecValidator(plain).validate()


def test_gcp_gateway_config_is_valid_openapi_20_with_a_backend_per_route(
    built: Builder,
) -> None:
    out = built(CORS_SAMPLE, "gcp").out
    document = _gateway_document(out)
    _validate_v2(document)
    paths = document["paths"]
    # auth="function" routes stay off the gateway; the greedy route is a wildcard.
    assert set(paths) == {"/items", "/files/{path=**}"}
    get_items = paths["/items"]["get"]["x-google-backend"]
    assert get_items == {
        "address": "https://list-items-abc123-ew.a.run.app",
        "path_translation": "APPEND_PATH_TO_ADDRESS",
        "jwt_audience": "https://list-items-abc123-ew.a.run.app",
        "deadline": 30.0,
    }
    assert paths["/items"]["post"]["x-google-backend"]["address"].startswith("https://add-item")
    assert set(paths["/items"]) == {"get", "head", "post", "options"}
    # Preflights pass through to the one function that knows every route's methods.
    assert document["x-google-endpoints"] == [
        {"name": "corsy-dev-0abc.apigateway.p.cloud.goog", "allowCors": True}
    ]
    for item in paths.values():
        assert item["options"]["x-google-backend"]["address"].startswith("https://http-cors")
    assert paths["/files/{path=**}"]["get"]["parameters"] == [
        {"name": "path", "in": "path", "required": True, "type": "string"}
    ]


def test_the_v2_check_sees_what_it_looks_for(built: Builder) -> None:
    document = _gateway_document(built(CORS_SAMPLE, "gcp").out)
    del document["paths"]["/items"]["get"]["responses"]
    with pytest.raises(OpenAPIValidationError):
        _validate_v2(document)


def test_gcp_deploy_script_keeps_functions_private_behind_the_gateway(built: Builder) -> None:
    out = built(CORS_SAMPLE, "gcp").out
    script = (out / "deploy.sh").read_text()
    bash = shutil.which("bash")
    assert bash
    assert subprocess.run([bash, "-n", str(out / "deploy.sh")], check=False).returncode == 0
    assert "--allow-unauthenticated" not in script.replace("--no-allow-unauthenticated", "")
    for name in ("list-items", "add-item", "read-file", "http-cors"):
        invoker = re.search(
            rf"add-invoker-policy-binding corsy-dev-{name} .*?[^\\]\n", script, re.S
        )
        assert invoker is not None, name
        assert '--member "serviceAccount:${SA_GATEWAY}"' in invoker.group(0)
    # The auth="function" route's callers need the invoker role themselves.
    assert "add-invoker-policy-binding corsy-dev-drop-item" not in script
    assert '--backend-auth-service-account "${SA_GATEWAY}"' in script
    assert '--openapi-spec "${CONFIG_FILE}"' in script
    assert "gcloud api-gateway gateways create" in script
    # The CORS function is not pinned: it answers preflights for every route.
    cors = re.search(
        r"^gcloud functions deploy corsy-dev-http-cors .*?[^\\]\n", script, re.M | re.S
    )
    assert cors is not None and "POLYFN_FUNCTION" not in cors.group(0)


def test_an_app_without_anonymous_routes_has_no_gateway(built: Builder, tmp_path: Path) -> None:
    app_file = tmp_path / "private.py"
    app_file.write_text(
        "from polyfn import App\n"
        "app = App('private')\n"
        "@app.get('/x', auth='function')\n"
        "def x(req):\n"
        "    return None\n"
    )
    out = built(app_file, "gcp").out
    assert not (out / "gateway").exists()
    assert "api-gateway" not in (out / "deploy.sh").read_text()


def _preflight(function: str | None, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A browser's preflight for POST /items, as the gateway passes it to a function."""
    from polyfn.adapters.gcp import http_function
    from polyfn.adapters.gcp.serving import framework_app
    from polyfn.loading import load_app

    if function is None:
        monkeypatch.delenv("POLYFN_FUNCTION", raising=False)
    else:
        monkeypatch.setenv("POLYFN_FUNCTION", function)
    app = load_app(str(CORS_SAMPLE / "app.py"))
    client = framework_app(http_function(app, backends="keep"), "http").test_client()
    return client.open(
        "/items",
        method="OPTIONS",
        headers={
            "Origin": "https://shop.example",
            "Access-Control-Request-Method": "POST",
        },
    )


def test_the_gateways_preflight_function_grants_every_routes_methods(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # deploy.sh deploys the preflight function unpinned: it knows every route's methods.
    answer = _preflight(None, monkeypatch)
    assert answer.status_code == 204
    assert answer.headers["access-control-allow-origin"] == "https://shop.example"
    assert "POST" in answer.headers["access-control-allow-methods"]
    # Why not the route's own function: pinned to GET /items, it cannot grant POST.
    assert _preflight("list_items", monkeypatch).status_code == 403


AUTH_SAMPLE = Path(__file__).resolve().parent / "auth_sample"


def _function_deploy(script: str, name: str) -> str:
    found = re.search(rf"^gcloud functions deploy {name} .*?[^\\]\n", script, re.M | re.S)
    assert found is not None, name
    return found.group(0)


def test_gcp_gateway_validates_the_jwt_routes_tokens(built: Builder) -> None:
    out = built(AUTH_SAMPLE, "gcp").out
    document = _gateway_document(out)
    _validate_v2(document)
    assert document["securityDefinitions"] == {
        "jwt1": {
            "authorizationUrl": "https://auth.example.com/",
            "flow": "implicit",
            "type": "oauth2",
            "x-google-issuer": "https://auth.example.com/",
            "x-google-jwks_uri": "https://auth.example.com/.well-known/jwks.json",
            "x-google-audiences": "users-api",
        }
    }
    paths = document["paths"]
    assert paths["/users/{id}"]["get"]["security"] == [{"jwt1": []}]
    assert paths["/users/{id}"]["head"]["security"] == [{"jwt1": []}]
    # The authorizer runs in the function (API Gateway has no custom authorizers).
    assert "security" not in paths["/users"]["post"]
    assert "security" not in paths["/health"]["get"]
    script = (out / "deploy.sh").read_text()
    get_user = _function_deploy(script, "users-dev-get-user")
    assert "POLYFN_AUTH_FRONT=jwt" in get_user
    assert "POLYFN_GCP_GATEWAY=1" in get_user
    create_user = _function_deploy(script, "users-dev-create-user")
    assert "POLYFN_GCP_GATEWAY=1" in create_user
    assert "POLYFN_AUTH_FRONT" not in create_user


def test_a_security_definition_the_v2_check_refuses(built: Builder) -> None:
    document = _gateway_document(built(AUTH_SAMPLE, "gcp").out)
    document["securityDefinitions"]["jwt1"]["flow"] = "sideways"
    with pytest.raises(OpenAPIValidationError):
        _validate_v2(document)


def test_one_issuer_with_two_audiences_is_refused_for_the_gateway(
    built: Builder, tmp_path: Path
) -> None:
    from polyfn.core.errors import ConfigError

    app_file = tmp_path / "two.py"
    app_file.write_text(
        "from polyfn import App, JWT\n"
        "app = App('two')\n"
        "@app.get('/a', auth=JWT(issuer='https://id.example/', audience='a'))\n"
        "def a(req):\n"
        "    return None\n"
        "@app.get('/b', auth=JWT(issuer='https://id.example/', audience='b'))\n"
        "def b(req):\n"
        "    return None\n"
    )
    with pytest.raises(ConfigError, match="one JWT provider per issuer"):
        built(app_file, "gcp")
