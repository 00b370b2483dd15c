"""AWS events polyfn does not produce itself, written from AWS's documentation.

Each sample follows the documented example named in its comment (values shortened where
they do not matter); the tests check how ``polyfn inspect`` and ``lambda_handler`` read
them (issue 13, item 12).
"""

from __future__ import annotations

from typing import Any

# API Gateway developer guide, "Input to an API Gateway Lambda authorizer", REQUEST input
# format: https://docs.aws.amazon.com/apigateway/latest/developerguide/
# api-gateway-lambda-authorizer-input.html (read 2026-12).
REST_REQUEST_AUTHORIZER: dict[str, Any] = {
    "type": "REQUEST",
    "methodArn": "arn:aws:execute-api:us-east-1:123456789012:abcdef123/test/GET/request",
    "resource": "/request",
    "path": "/request",
    "httpMethod": "GET",
    "headers": {"Accept": "*/*", "HeaderAuth1": "headerValue1", "Host": "abcdef123.execute-api"},
    "queryStringParameters": {"QueryString1": "queryValue1"},
    "pathParameters": {},
    "stageVariables": {"StageVar1": "stageValue1"},
    "requestContext": {
        "path": "/request",
        "accountId": "123456789012",
        "resourceId": "05c7jb",
        "stage": "test",
        "requestId": "...",
        "identity": {"sourceIp": "203.0.113.7", "userAgent": "curl/7.88"},
        "resourcePath": "/request",
        "httpMethod": "GET",
        "apiId": "abcdef123",
    },
}

# The same page, TOKEN input format.
TOKEN_AUTHORIZER: dict[str, Any] = {
    "type": "TOKEN",
    "authorizationToken": "allow",
    "methodArn": "arn:aws:execute-api:us-east-1:123456789012:abcdef123/test/GET/request",
}

# API Gateway developer guide, "Control access to HTTP APIs with AWS Lambda authorizers",
# payload format version 2.0: https://docs.aws.amazon.com/apigateway/latest/developerguide/
# http-api-lambda-authorizer.html (read 2026-12).
HTTP_API_REQUEST_AUTHORIZER: dict[str, Any] = {
    "version": "2.0",
    "type": "REQUEST",
    "routeArn": "arn:aws:execute-api:us-east-1:123456789012:abcdef123/test/GET/request",
    "identitySource": ["user1", "123"],
    "routeKey": "GET /request",
    "rawPath": "/request",
    "rawQueryString": "parameter1=value1",
    "headers": {"header1": "value1"},
    "requestContext": {
        "accountId": "123456789012",
        "apiId": "abcdef123",
        "domainName": "abcdef123.execute-api.us-east-1.amazonaws.com",
        "http": {
            "method": "GET",
            "path": "/request",
            "protocol": "HTTP/1.1",
            "sourceIp": "203.0.113.7",
            "userAgent": "agent",
        },
        "requestId": "id",
        "routeKey": "GET /request",
        "stage": "$default",
    },
}

# Amazon VPC Lattice user guide, "Lambda functions as targets", event format version 2.0:
# https://docs.aws.amazon.com/vpc-lattice/latest/ug/lambda-functions.html (read 2026-12).
VPC_LATTICE_V2: dict[str, Any] = {
    "version": "2.0",
    "path": "/",
    "method": "GET|POST|HEAD|...",
    "headers": {"header-key": ["header-value"]},
    "queryStringParameters": {"key": ["value"]},
    "body": "request-body",
    "isBase64Encoded": False,
    "requestContext": {
        "serviceNetworkArn": "arn:aws:vpc-lattice:region:123456789012:"
        "servicenetwork/sn-0bf3f2882e9cc805a",
        "serviceArn": "arn:aws:vpc-lattice:region:123456789012:service/svc-0a40eebed65f8d69c",
        "targetGroupArn": "arn:aws:vpc-lattice:region:123456789012:targetgroup/tg-6d0ecf831eec9f09",
        "identity": {"sourceVpcArn": "arn:aws:ec2:region:123456789012:vpc/vpc-0b8276c84697e7339"},
        "region": "region",
        "timeEpoch": "1690497599177430",
    },
}

# Lambda developer guide, "Invoke a Lambda function on a schedule" (EventBridge
# Scheduler): https://docs.aws.amazon.com/lambda/latest/dg/with-eventbridge-scheduler.html
# (read 2026-12); the schedule's ARN is in resources, detail is the text "{}".
EVENTBRIDGE_SCHEDULER: dict[str, Any] = {
    "version": "0",
    "id": "4e6638e7-b5e8-ea52-74d6-4c8d4bee4aa7",
    "detail-type": "Scheduled Event",
    "source": "aws.scheduler",
    "account": "123456789012",
    "time": "2026-12-04T12:00:00Z",
    "region": "us-east-1",
    "resources": ["arn:aws:scheduler:us-east-1:123456789012:schedule/default/nightly"],
    "detail": "{}",
}

# Lambda developer guide, "Using AWS Lambda with Amazon DynamoDB", example event:
# https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html (read 2026-12).
DYNAMODB_STREAM: dict[str, Any] = {
    "Records": [
        {
            "eventID": "1",
            "eventVersion": "1.0",
            "dynamodb": {
                "Keys": {"Id": {"N": "101"}},
                "NewImage": {"Message": {"S": "New item!"}, "Id": {"N": "101"}},
                "StreamViewType": "NEW_AND_OLD_IMAGES",
                "SequenceNumber": "111",
                "SizeBytes": 26,
            },
            "awsRegion": "us-west-2",
            "eventName": "INSERT",
            "eventSourceARN": "arn:aws:dynamodb:us-west-2:123456789012:table/Example/stream/x",
            "eventSource": "aws:dynamodb",
        }
    ]
}

# Lambda developer guide, "Using AWS Lambda with Amazon Kinesis", example event:
# https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html (read 2026-12).
KINESIS_STREAM: dict[str, Any] = {
    "Records": [
        {
            "kinesis": {
                "kinesisSchemaVersion": "1.0",
                "partitionKey": "1",
                "sequenceNumber": "49590338271490256608559692538361571095921575989136588898",
                "data": "SGVsbG8sIHRoaXMgaXMgYSB0ZXN0Lg==",
                "approximateArrivalTimestamp": 1545084650.987,
            },
            "eventSource": "aws:kinesis",
            "eventVersion": "1.0",
            "eventID": "shardId-000000000006:"
            "49590338271490256608559692538361571095921575989136588898",
            "eventName": "aws:kinesis:record",
            "awsRegion": "us-east-2",
            "eventSourceARN": "arn:aws:kinesis:us-east-2:123456789012:stream/lambda-stream",
        }
    ]
}

# Amazon SES developer guide, "Lambda action" event example:
# https://docs.aws.amazon.com/ses/latest/dg/receiving-email-action-lambda-event.html
# (read 2026-12); the mail and receipt objects are cut short.
SES_RECEIPT: dict[str, Any] = {
    "Records": [
        {
            "eventSource": "aws:ses",
            "eventVersion": "1.0",
            "ses": {
                "mail": {"messageId": "o3vrnil0e2ic28trm7dfhrc2v0clambda4nbp0g1", "source": "a@b"},
                "receipt": {"action": {"type": "Lambda"}},
            },
        }
    ]
}

# API Gateway developer guide, "WebSocket APIs": a $connect route's event, written from
# the documented requestContext fields (apigateway-websocket-api-mapping-template-
# reference.html, read 2026-12), with httpMethod present but null as some proxies send it.
WEBSOCKET_CONNECT: dict[str, Any] = {
    "headers": {"Host": "abcdef123.execute-api.us-east-1.amazonaws.com"},
    "httpMethod": None,
    "requestContext": {
        "routeKey": "$connect",
        "eventType": "CONNECT",
        "extendedRequestId": "x",
        "requestTime": "04/Dec/2026:12:00:00 +0000",
        "messageDirection": "IN",
        "stage": "prod",
        "connectedAt": 1796385600000,
        "requestTimeEpoch": 1796385600000,
        "identity": {"sourceIp": "203.0.113.7"},
        "requestId": "x",
        "domainName": "abcdef123.execute-api.us-east-1.amazonaws.com",
        "connectionId": "L0SM9cOFvHcCIhw=",
        "apiId": "abcdef123",
    },
    "isBase64Encoded": False,
}
