"""The lock-in scan on source written the way Lambda, Azure and Google code is written."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

from polyfn.plan.lockin import scan_sources
from polyfn.plan.model import LockinFinding


def scan(
    tmp_path: Path, files: dict[str, str], entries: dict[str, tuple[str, str]]
) -> list[LockinFinding]:
    for name, text in files.items():
        (tmp_path / name).write_text(dedent(text))
    return scan_sources(
        [tmp_path / name for name in files],
        tmp_path,
        {fn: (tmp_path / file, def_name) for fn, (file, def_name) in entries.items()},
    )


def find(findings: list[LockinFinding], what: str) -> LockinFinding:
    matches = [f for f in findings if what in f.what]
    assert matches, f"no finding {what!r} in {[f.what for f in findings]}"
    return matches[0]


def test_aws_sdk_calls_follow_what_variables_hold(tmp_path: Path) -> None:
    findings = scan(
        tmp_path,
        {
            "handler.py": '''
                """Docstring mentioning arn:aws:s3:::not-a-finding is ignored."""
                import boto3

                table = boto3.resource("dynamodb").Table("users")
                s3 = boto3.Session().client("s3")

                def get(req):
                    return table.get_item(Key={"id": req.path_params["id"]})

                def upload(event):
                    s3.put_object(Bucket="b", Key=event.key, Body=b"")
                    return boto3.client("sqs").send_message(QueueUrl="q", MessageBody="x")
            ''',
        },
        {"get_user": ("handler.py", "get"), "upload": ("handler.py", "upload")},
    )
    get_item = find(findings, "DynamoDB get_item()")
    assert (get_item.cloud, get_item.severity, get_item.functions) == ("aws", "high", ("get_user",))
    assert get_item.replacement.startswith("table.get(key)")
    assert find(findings, "S3 put_object()").functions == ("upload",)
    assert find(findings, "SQS send_message()").replacement.startswith("queue.send")
    assert find(findings, "imports boto3").severity == "low"
    assert not [f for f in findings if "not-a-finding" in f.what]


def test_env_raw_events_tmp_arns_urls_and_regions(tmp_path: Path) -> None:
    findings = scan(
        tmp_path,
        {
            "app.py": """
                import os
                from os import environ

                BUCKET_URL = "https://media.s3.eu-west-1.amazonaws.com/logo.png"
                TOPIC = "arn:aws:sns:us-east-1:123456789012:alerts"
                STORE = "https://acct.blob.core.windows.net/c"
                GCS = "gs://reports"
                REGION = "europe-west1"

                def handler(event, context):
                    name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
                    site = environ["WEBSITE_SITE_NAME"]
                    left = context.get_remaining_time_in_millis()
                    rid = context.aws_request_id
                    for record in event["Records"]:
                        pass
                    if os.path.exists("/tmp/model.bin"):
                        return None
                    return "K_SERVICE" in os.environ

                def polyfn_style(req, ctx):
                    return req.raw["requestContext"], ctx.raw
            """,
        },
        {"h": ("app.py", "handler"), "p": ("app.py", "polyfn_style")},
    )
    assert find(findings, "AWS_LAMBDA_FUNCTION_NAME").replacement.startswith("ctx.function_name")
    assert find(findings, "WEBSITE_SITE_NAME").cloud == "azure"
    assert find(findings, "K_SERVICE").cloud == "gcp"
    assert find(findings, "get_remaining_time_in_millis").replacement == "ctx.remaining_ms"
    assert find(findings, "aws_request_id").replacement == "ctx.request_id"
    assert find(findings, "['Records']").category == "raw-event"
    assert find(findings, "Lambda handler signature").functions == ("h",)
    tmp = find(findings, "/tmp/model.bin")
    assert tmp.severity == "medium" and "cache" in tmp.what
    assert find(findings, "hard-coded ARN").service == "sns"
    assert find(findings, "S3 address").cloud == "aws"
    assert find(findings, "Blob Storage address").cloud == "azure"
    assert find(findings, "Cloud Storage address").cloud == "gcp"
    assert find(findings, "region 'europe-west1'").cloud == "gcp"
    raw = [f for f in findings if f.functions == ("p",)]
    assert {f.cloud for f in raw} == {"aws", "any"}  # raw["requestContext"] is AWS; ctx.raw any


def test_azure_and_google_sdks_and_native_models(tmp_path: Path) -> None:
    findings = scan(
        tmp_path,
        {
            "store.py": """
                import azure.functions as func
                from azure.storage.blob import BlobServiceClient
                from google.cloud import firestore, pubsub_v1, storage

                def save(data):
                    service = BlobServiceClient.from_connection_string("UseDevelopmentStorage=true")
                    service.get_container_client("c").upload_blob("k", data)
                    storage.Client().bucket("b").blob("k").download_as_bytes()
                    pubsub_v1.PublisherClient().publish("projects/p/topics/t", data)
                    firestore.Client().collection("users").document("1").set({})
            """,
            "main.py": """
                from store import save

                def main(req):
                    save(b"x")
            """,
        },
        {"main": ("main.py", "main")},
    )
    assert find(findings, "azure.functions").category == "raw-event"
    assert find(findings, "Blob Storage upload_blob()").functions == ("main",)  # through store.save
    assert find(findings, "Cloud Storage download_as_bytes()").replacement.startswith("bucket.read")
    assert find(findings, "Pub/Sub publish()").replacement.startswith("queue.send")
    assert find(findings, "Firestore set()").replacement.startswith("table.put")
    assert find(findings, "Pub/Sub address").cloud == "gcp"


def test_a_file_that_does_not_parse_is_reported_not_fatal(tmp_path: Path) -> None:
    findings = scan(tmp_path, {"broken.py": "def (:\n"}, {})
    assert [f.category for f in findings] == ["unreadable"]
