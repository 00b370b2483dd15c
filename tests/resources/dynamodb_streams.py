"""Reading a table's real stream records from moto's DynamoDB Streams API, and handing
them over as a Lambda event source mapping does.

The mapping calls GetRecords on each shard and invokes the function with
``{"Records": [...]}``: each record as the API returned it, plus ``eventSourceARN`` (the
stream's ARN). The records' JSON is taken from the raw HTTP answer (botocore's
``after-call`` hook), not from boto3's parsed copy, which turns timestamps into datetimes
and binary values into bytes: the mapping forwards the service's JSON as it is.
"""

from __future__ import annotations

import json
from typing import Any

import boto3


def stream_event(table_physical: str, *, endpoint: str, region: str) -> dict[str, Any]:
    """Every record of the table's stream so far, as one Lambda event."""
    dynamodb = boto3.client("dynamodb", endpoint_url=endpoint, region_name=region)
    streams = boto3.client("dynamodbstreams", endpoint_url=endpoint, region_name=region)
    arn = dynamodb.describe_table(TableName=table_physical)["Table"]["LatestStreamArn"]
    raw_pages: list[dict[str, Any]] = []

    def keep_raw(http_response: Any, **_: Any) -> None:
        raw_pages.append(json.loads(http_response.content))

    streams.meta.events.register("after-call.dynamodbstreams.GetRecords", keep_raw)
    shards = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
    for shard in shards:
        iterator = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while iterator:
            before = len(raw_pages)
            page = streams.get_records(ShardIterator=iterator)
            if not page["Records"] or len(raw_pages) == before:
                break
            iterator = page.get("NextShardIterator")
    records = [
        {**record, "eventSourceARN": arn} for page in raw_pages for record in page["Records"]
    ]
    return {"Records": records}
