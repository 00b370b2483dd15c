"""The front door's auth in each cloud's artifact (issue 16, item 2 and 3): the SAM
template has the HTTP API's JWT authorizer and the Lambda authorizer (checked by the SAM
transform and cfn-lint), and each route Lambda behind one is told so."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from deploy.conftest import Builder
from deploy.sam_check import lint_errors, load_template, transform

AUTH_SAMPLE = Path(__file__).resolve().parent / "auth_sample"
NO_DEPS = {"install_dependencies": False}


def _template(built: Builder) -> dict[str, Any]:
    result = built(AUTH_SAMPLE, "aws", **NO_DEPS)
    return load_template((result.out / "template.yaml").read_text())


def test_the_sam_template_declares_both_authorizers(built: Builder) -> None:
    template = _template(built)
    authorizers = template["Globals"]["HttpApi"]["Auth"]["Authorizers"]
    assert authorizers["Jwt1"] == {
        "IdentitySource": "$request.header.Authorization",
        "JwtConfiguration": {"issuer": "https://auth.example.com/", "audience": ["users-api"]},
    }
    assert authorizers["authorizer"] == {
        "FunctionArn": {"Fn::GetAtt": ["AuthorizerAuthorizerFunction", "Arn"]},
        "AuthorizerPayloadFormatVersion": "2.0",
        "EnableSimpleResponses": True,
        "EnableFunctionDefaultPermissions": True,
        "Identity": {"ReauthorizeEvery": 300, "Headers": ["authorization"]},
    }
    resources = template["Resources"]
    pinned = resources["AuthorizerAuthorizerFunction"]["Properties"]
    assert pinned["Environment"]["Variables"] == {"POLYFN_FUNCTION": "authorizer"}
    assert "Events" not in pinned  # API Gateway calls it; nothing else does


def test_each_route_names_its_authorizer_and_knows_it_is_fronted(built: Builder) -> None:
    resources = _template(built)["Resources"]
    create = resources["CreateUserFunction"]["Properties"]
    assert create["Events"]["PostUsers"]["Properties"]["Auth"] == {"Authorizer": "authorizer"}
    assert create["Environment"]["Variables"]["POLYFN_AUTH_FRONT"] == "authorizer"
    get = resources["GetUserFunction"]["Properties"]
    for event in ("GetUsersId", "HeadUsersId"):
        assert get["Events"][event]["Properties"]["Auth"] == {
            "Authorizer": "Jwt1",
            "AuthorizationScopes": ["users:read"],
        }
    assert get["Environment"]["Variables"]["POLYFN_AUTH_FRONT"] == "jwt"
    health = resources["HealthFunction"]["Properties"]
    assert "Auth" not in health["Events"]["GetHealth"]["Properties"]
    assert "POLYFN_AUTH_FRONT" not in health["Environment"]["Variables"]


def test_the_template_transforms_and_lints_clean(built: Builder) -> None:
    cfn = transform(_template(built))
    assert lint_errors(cfn) == []
    # SAM writes the authorizers into the HTTP API's OpenAPI body.
    (api,) = [r for r in cfn["Resources"].values() if r["Type"] == "AWS::ApiGatewayV2::Api"]
    schemes = api["Properties"]["Body"]["components"]["securitySchemes"]
    assert schemes["Jwt1"]["x-amazon-apigateway-authorizer"]["type"] == "jwt"
    lambda_authorizer = schemes["authorizer"]["x-amazon-apigateway-authorizer"]
    assert lambda_authorizer["type"] == "request"
    assert lambda_authorizer["authorizerResultTtlInSeconds"] == 300
    assert lambda_authorizer["authorizerPayloadFormatVersion"] == "2.0"
    assert lambda_authorizer["enableSimpleResponses"] is True
    security = api["Properties"]["Body"]["paths"]["/users/{id}"]["get"]["security"]
    assert security == [{"Jwt1": ["users:read"]}]
    # API Gateway may invoke the authorizer Lambda (EnableFunctionDefaultPermissions).
    permission = cfn["Resources"]["ServerlessHttpApiauthorizerAuthorizerPermission"]
    assert permission["Type"] == "AWS::Lambda::Permission"
    assert permission["Properties"]["Principal"] == "apigateway.amazonaws.com"
    assert permission["Properties"]["FunctionName"] == {
        "Fn::GetAtt": ["AuthorizerAuthorizerFunction", "Arn"]
    }


def test_the_arm_template_configures_easy_auth_for_the_jwt_routes(built: Builder) -> None:
    import json

    from deploy.arm_check import ArmTemplate

    project = built(AUTH_SAMPLE, "azure", **NO_DEPS).out
    main = ArmTemplate(json.loads((project / "infra" / "main.json").read_text()))
    main.check()  # names, expressions and dependsOn hold together
    (config,) = main.resource("Microsoft.Web/sites/config")
    assert main.value(config["name"]).endswith("/authsettingsV2")
    properties = config["properties"]
    assert properties["platform"] == {"enabled": True}
    # Anonymous routes stay reachable; polyfn refuses a JWT route's caller itself.
    assert properties["globalValidation"] == {
        "requireAuthentication": False,
        "unauthenticatedClientAction": "AllowAnonymous",
    }
    (provider,) = properties["identityProviders"]["customOpenIdConnectProviders"].values()
    assert provider["registration"] == {
        "clientId": "users-api",
        "openIdConnectConfiguration": {
            "wellKnownOpenIdConfiguration": "https://auth.example.com/.well-known/openid-configuration"
        },
    }
    site = main.resource("Microsoft.Web/sites")[0]
    settings = {s["name"]: s["value"] for s in site["properties"]["siteConfig"]["appSettings"]}
    assert settings["POLYFN_AUTH_FRONT"] == "jwt"


def test_no_easy_auth_without_jwt_routes(built: Builder) -> None:
    import json

    from deploy.conftest import SHOP

    project = built(SHOP, "azure", **NO_DEPS).out
    main = json.loads((project / "infra" / "main.json").read_text())
    assert not [r for r in main["resources"] if r["type"] == "Microsoft.Web/sites/config"]


def test_easy_auth_refuses_one_issuer_with_two_audiences(built: Builder, tmp_path: Path) -> None:
    import pytest

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
    with pytest.raises(ConfigError, match="one audience"):
        built(app_file, "azure", **NO_DEPS)
