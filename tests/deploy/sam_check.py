"""Offline validation of a SAM template, the strongest there is without an AWS account.

SAM templates are transformed by CloudFormation before deployment; cfn-lint on the raw
template misses what only the transform reveals (the roles, permissions, API and event
source mappings it generates). So: transform with aws-sam-translator, using the managed
policy map it ships (no network), then lint the CloudFormation it produced.
"""

from __future__ import annotations

import json
import re
from typing import Any

import boto3
import yaml
from cfnlint.api import ManualArgs, lint
from samtranslator.internal.managed_policies import get_bundled_managed_policy_map
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator

REGION = "eu-central-1"


def load_template(text: str) -> dict[str, Any]:
    document = yaml.safe_load(text)
    assert isinstance(document, dict)
    return document


def package(template: dict[str, Any]) -> dict[str, Any]:
    """What `sam deploy` does before the transform: the local CodeUri becomes an S3 URI."""
    packaged = json.loads(json.dumps(template))
    packaged["Globals"]["Function"]["CodeUri"] = "s3://sam-artifacts-bucket/bundle.zip"
    return packaged


def transform(template: dict[str, Any]) -> dict[str, Any]:
    translator = Translator(
        get_bundled_managed_policy_map("aws"),
        Parser(),
        boto_session=boto3.Session(region_name=REGION),
    )
    return translator.translate(package(template), parameter_values={})


def lint_errors(cloudformation: dict[str, Any]) -> list[str]:
    matches = lint(json.dumps(cloudformation), config=ManualArgs(regions=[REGION]))
    return [str(m) for m in matches]


# cfn-lint-serverless findings polyfn leaves, each for a stated reason:
# - ES2000 (access logs on the HTTP API stage): each function's own log line already says
#   what each request got; an access log is a second bill for the same facts, an app's
#   choice. (Default throttling, ES2003, and X-Ray tracing, WS1000, are generated and
#   checked.)
# - ES6000 (a queue without a RedrivePolicy) on dead-letter and failure queues: they are
#   the end of the line, a redrive from them would loop.
SERVERLESS_RULES_LEFT = frozenset({"ES2000"})
_END_OF_LINE_QUEUE = re.compile(r"SQS Queue \w+(Dlq|Failures) ")


def serverless_findings(template_text: str) -> list[str]:
    """cfn-lint-serverless (the Serverless Rules, PyPI) on the SAM template as written,
    minus the documented exceptions above."""
    matches = lint(
        template_text,
        config=ManualArgs(regions=[REGION], append_rules=["cfn_lint_serverless.rules"]),
    )
    return [
        f"{m.rule.id} {m.message}"
        for m in matches
        if m.rule.id not in SERVERLESS_RULES_LEFT
        and not (m.rule.id == "ES6000" and _END_OF_LINE_QUEUE.search(m.message))
    ]
