"""Offline validation of a SAM template, the strongest there is without an AWS account.

SAM templates are transformed by CloudFormation before deployment; cfn-lint on the raw
template misses what only the transform reveals (the roles, permissions, API and event
source mappings it generates). So: transform with aws-sam-translator, using the managed
policy map it ships (no network), then lint the CloudFormation it produced.
"""

from __future__ import annotations

import json
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
