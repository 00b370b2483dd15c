"""``polyfn deploy build --aws-api rest``: the REST API (v1) front door. The article's
API behind a Lambda REQUEST authorizer (IAM policy answers) and polyfn-verified JWTs,
usage plans and API keys when asked, throttling, CORS preflights and unknown paths on
the fallback function; checked by the SAM transform and cfn-lint."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from deploy.conftest import Builder
from deploy.sam_check import lint_errors, load_template, transform
from polyfn.core.errors import ConfigError

HERE = Path(__file__).resolve().parent
AUTH_SAMPLE = HERE / "auth_sample"
CORS_SAMPLE = HERE / "cors_sample"
REST = {"install_dependencies": False, "aws_api": "rest"}


def _template(built: Builder, app_dir: Path = AUTH_SAMPLE, **options: Any) -> dict[str, Any]:
    result = built(app_dir, "aws", **{**REST, **options})
    return load_template((result.out / "template.yaml").read_text())


def _resources_of(cfn: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [r for r in cfn["Resources"].values() if r["Type"] == kind]


def test_the_rest_api_has_the_request_authorizer_and_no_http_api(built: Builder) -> None:
    template = _template(built)
    assert "HttpApi" not in template["Globals"]
    api = template["Resources"]["RestApi"]
    assert api["Type"] == "AWS::Serverless::Api"
    assert api["Properties"]["StageName"] == "dev"
    assert api["Properties"]["Auth"] == {
        "Authorizers": {
            "authorizer": {
                "FunctionPayloadType": "REQUEST",
                "FunctionArn": {"Fn::GetAtt": ["AuthorizerAuthorizerFunction", "Arn"]},
                "Identity": {"ReauthorizeEvery": 300, "Headers": ["authorization"]},
            }
        }
    }
    assert api["Properties"]["MethodSettings"] == [
        {
            "ResourcePath": "/*",
            "HttpMethod": "*",
            "ThrottlingRateLimit": {"Ref": "ApiThrottlingRateLimit"},
            "ThrottlingBurstLimit": {"Ref": "ApiThrottlingBurstLimit"},
        }
    ]
    assert "RestApiUrl" in template["Outputs"] and "HttpApiUrl" not in template["Outputs"]


def test_routes_are_rest_events_and_only_the_authorizer_fronts(built: Builder) -> None:
    resources = _template(built)["Resources"]
    create = resources["CreateUserFunction"]["Properties"]
    event = create["Events"]["PostUsers"]
    assert event["Type"] == "Api"
    assert event["Properties"] == {
        "RestApiId": {"Ref": "RestApi"},
        "Path": "/users",
        "Method": "POST",
        "Auth": {"Authorizer": "authorizer"},
    }
    assert create["Environment"]["Variables"]["POLYFN_AUTH_FRONT"] == "authorizer"
    # REST has no JWT authorizer: the route's Lambda verifies the token, told nothing.
    get = resources["GetUserFunction"]["Properties"]
    assert set(get["Events"]) == {"GetUsersId", "HeadUsersId"}
    assert "Auth" not in get["Events"]["GetUsersId"]["Properties"]
    assert "POLYFN_AUTH_FRONT" not in get["Environment"]["Variables"]
    fallback = resources["PolyfnHttpFallbackFunction"]["Properties"]["Events"]
    assert fallback["FallbackProxy"]["Properties"]["Path"] == "/{proxy+}"
    assert fallback["FallbackProxy"]["Properties"]["Method"] == "ANY"


def test_the_rest_template_transforms_and_lints_clean(built: Builder) -> None:
    cfn = transform(_template(built))
    assert lint_errors(cfn) == []
    (api,) = _resources_of(cfn, "AWS::ApiGateway::RestApi")
    body = api["Properties"]["Body"]
    request_authorizer = body["securityDefinitions"]["authorizer"]["x-amazon-apigateway-authorizer"]
    assert request_authorizer["type"] == "request"
    assert request_authorizer["authorizerResultTtlInSeconds"] == 300
    assert request_authorizer["identitySource"] == "method.request.header.authorization"
    assert body["paths"]["/users"]["post"]["security"] == [{"authorizer": []}]
    assert "security" not in body["paths"]["/users/{id}"]["get"]
    assert not _resources_of(cfn, "AWS::ApiGatewayV2::Api")
    assert not _resources_of(cfn, "AWS::ApiGateway::UsagePlan")
    # API Gateway may invoke the authorizer's Lambda.
    permissions = [
        p["Properties"]
        for p in _resources_of(cfn, "AWS::Lambda::Permission")
        if p["Properties"]["FunctionName"]
        == {"Fn::GetAtt": ["AuthorizerAuthorizerFunction", "Arn"]}
    ]
    assert permissions and permissions[0]["Principal"] == "apigateway.amazonaws.com"
    (stage,) = _resources_of(cfn, "AWS::ApiGateway::Stage")
    assert stage["Properties"]["StageName"] == "dev"


def _usage_plan_lint(findings: list[str]) -> list[str]:
    """cfn-lint's findings minus two that SAM's own usage plan output causes here:
    W3005, the DependsOn SAM writes on the plan, key and binding beside a Ref; W2001 on
    the quota parameter, which the local transform replaces by its default inside the
    plan (CloudFormation's transform keeps the parameter's value at deploy time)."""
    return [
        f
        for f in findings
        if not f.startswith("[W3005:")
        and not (f.startswith("[W2001:") and "ApiKeyMonthlyQuota" in f)
    ]


def test_api_keys_make_a_usage_plan_and_a_key(built: Builder) -> None:
    template = _template(built, aws_api_keys=True)
    auth = template["Resources"]["RestApi"]["Properties"]["Auth"]
    assert auth["ApiKeyRequired"] is True
    assert auth["UsagePlan"]["CreateUsagePlan"] == "PER_API"
    assert auth["UsagePlan"]["Quota"] == {"Limit": {"Ref": "ApiKeyMonthlyQuota"}, "Period": "MONTH"}
    assert template["Parameters"]["ApiKeyMonthlyQuota"]["Default"] == 1_000_000
    cfn = transform(template)
    assert _usage_plan_lint(lint_errors(cfn)) == []
    assert len(_resources_of(cfn, "AWS::ApiGateway::UsagePlan")) == 1
    assert len(_resources_of(cfn, "AWS::ApiGateway::ApiKey")) == 1
    assert len(_resources_of(cfn, "AWS::ApiGateway::UsagePlanKey")) == 1
    (api,) = _resources_of(cfn, "AWS::ApiGateway::RestApi")
    paths = api["Properties"]["Body"]["paths"]
    assert {"api_key": []} in paths["/users"]["post"]["security"]
    assert {"api_key": []} in paths["/health"]["get"]["security"]
    # Unknown paths answer polyfn's 404 without a key.
    assert "security" not in paths["/{proxy+}"]["x-amazon-apigateway-any-method"] or not any(
        "api_key" in s for s in paths["/{proxy+}"]["x-amazon-apigateway-any-method"]["security"]
    )


def test_cors_preflights_go_to_the_fallback_function(built: Builder) -> None:
    template = _template(built, CORS_SAMPLE)
    fallback = template["Resources"]["PolyfnHttpFallbackFunction"]["Properties"]["Events"]
    preflights = {
        e["Properties"]["Path"] for e in fallback.values() if e["Properties"]["Method"] == "OPTIONS"
    }
    assert preflights == {"/items", "/items/{id}", "/files/{path+}"}
    # The platform-key route signs with IAM, as on the HTTP API.
    drop = next(
        r["Properties"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::Serverless::Function"
        and r["Properties"].get("Environment", {}).get("Variables", {}).get("POLYFN_FUNCTION")
        == "drop_item"
    )
    (event,) = drop["Events"].values()
    assert event["Properties"]["Auth"] == {"Authorizer": "AWS_IAM"}
    cfn = transform(template)
    assert lint_errors(cfn) == []
    assert json.dumps(cfn).count('"options"') >= 2


def test_api_keys_need_the_rest_api(built: Builder) -> None:
    with pytest.raises(ConfigError, match="REST API"):
        built(AUTH_SAMPLE, "aws", install_dependencies=False, aws_api_keys=True)
