"""AWS Lambda: ``handler = aws.lambda_handler(app)`` serves every AWS event source.

Importing this package loads only the standard library and polyfn's core; boto3 is
imported by the S3/SQS/DynamoDB backends on the first resource use, never for HTTP.
"""

from polyfn.adapters.aws.entry import LambdaHandler, lambda_handler

__all__ = ["LambdaHandler", "lambda_handler"]
