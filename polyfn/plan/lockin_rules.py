"""What the lock-in scan looks for, as data: SDK calls, variables, URLs, regions.

Each SDK rule maps a (client kind, method) to the service it ties the code to and the
polyfn replacement. Client kinds are the scan's own names for what an expression holds
(``aws:s3`` is ``boto3.client("s3")``, ``gcp:gcs_blob`` is ``bucket.blob(name)``).
"""

from __future__ import annotations

import re

__all__ = [
    "ARN_PATTERN",
    "AZURE_CONTEXT_ATTRIBUTES",
    "CLASS_KINDS",
    "CONSTRUCTORS",
    "ENV_DEFAULT_REPLACEMENT",
    "ENV_PREFIXES",
    "ENV_REPLACEMENTS",
    "GENERIC_REPLACEMENT",
    "LAMBDA_CONTEXT_ATTRIBUTES",
    "LAMBDA_EVENT_KEYS",
    "METHODS",
    "REGION_PATTERNS",
    "RESOURCE_URL_PATTERNS",
    "SDK_MODULES",
    "SERVICE_NAMES",
    "cloud_of_module",
]

# Top-level modules and the cloud they belong to.
SDK_MODULES = {
    "boto3": "aws",
    "botocore": "aws",
    "aioboto3": "aws",
    "aws_lambda_powertools": "aws",
    "azure": "azure",
    "google.cloud": "gcp",
    "google.api_core": "gcp",
    "google.auth": "gcp",
    "functions_framework": "gcp",
    "firebase_admin": "gcp",
}


def cloud_of_module(module: str) -> str | None:
    for prefix, cloud in SDK_MODULES.items():
        if module == prefix or module.startswith(prefix + "."):
            return cloud
    return None


SERVICE_NAMES = {
    "aws:s3": "S3",
    "aws:s3_resource": "S3",
    "aws:s3_bucket": "S3",
    "aws:s3_object": "S3",
    "aws:sqs": "SQS",
    "aws:sqs_resource": "SQS",
    "aws:sqs_queue": "SQS",
    "aws:dynamodb": "DynamoDB",
    "aws:dynamodb_resource": "DynamoDB",
    "aws:dynamodb_table": "DynamoDB",
    "aws:sns": "SNS",
    "aws:events": "EventBridge",
    "aws:lambda": "Lambda",
    "aws:secretsmanager": "Secrets Manager",
    "aws:ses": "SES",
    "aws:ssm": "Systems Manager",
    "aws:session": "boto3",
    "azure:blob_service": "Blob Storage",
    "azure:blob_container": "Blob Storage",
    "azure:blob": "Blob Storage",
    "azure:queue": "Queue Storage",
    "azure:queue_service": "Queue Storage",
    "azure:table_service": "Table Storage",
    "azure:table": "Table Storage",
    "azure:servicebus": "Service Bus",
    "azure:cosmos": "Cosmos DB",
    "gcp:gcs_client": "Cloud Storage",
    "gcp:gcs_bucket": "Cloud Storage",
    "gcp:gcs_blob": "Cloud Storage",
    "gcp:pubsub_publisher": "Pub/Sub",
    "gcp:pubsub_subscriber": "Pub/Sub",
    "gcp:firestore": "Firestore",
    "gcp:firestore_collection": "Firestore",
    "gcp:firestore_document": "Firestore",
    "gcp:secretmanager": "Secret Manager",
}

# (kind, method) -> kind of the result: how clients lead to tables, buckets, blobs.
CONSTRUCTORS: dict[tuple[str, str], str] = {
    ("aws:dynamodb_resource", "Table"): "aws:dynamodb_table",
    ("aws:s3_resource", "Bucket"): "aws:s3_bucket",
    ("aws:s3_resource", "Object"): "aws:s3_object",
    ("aws:s3_bucket", "Object"): "aws:s3_object",
    ("aws:sqs_resource", "Queue"): "aws:sqs_queue",
    ("aws:sqs_resource", "get_queue_by_name"): "aws:sqs_queue",
    ("azure:blob_service", "get_container_client"): "azure:blob_container",
    ("azure:blob_service", "get_blob_client"): "azure:blob",
    ("azure:blob_container", "get_blob_client"): "azure:blob",
    ("azure:queue_service", "get_queue_client"): "azure:queue",
    ("azure:table_service", "get_table_client"): "azure:table",
    ("azure:table_service", "create_table_if_not_exists"): "azure:table",
    ("gcp:gcs_client", "bucket"): "gcp:gcs_bucket",
    ("gcp:gcs_client", "get_bucket"): "gcp:gcs_bucket",
    ("gcp:gcs_bucket", "blob"): "gcp:gcs_blob",
    ("gcp:gcs_bucket", "get_blob"): "gcp:gcs_blob",
    ("gcp:firestore", "collection"): "gcp:firestore_collection",
    ("gcp:firestore_collection", "document"): "gcp:firestore_document",
    ("gcp:firestore", "document"): "gcp:firestore_document",
}

# Azure / Google classes whose construction (or from_* factory) yields a client kind.
CLASS_KINDS = {
    "BlobServiceClient": "azure:blob_service",
    "ContainerClient": "azure:blob_container",
    "BlobClient": "azure:blob",
    "QueueServiceClient": "azure:queue_service",
    "QueueClient": "azure:queue",
    "TableServiceClient": "azure:table_service",
    "TableClient": "azure:table",
    "ServiceBusClient": "azure:servicebus",
    "CosmosClient": "azure:cosmos",
    "Client@google.cloud.storage": "gcp:gcs_client",
    "PublisherClient": "gcp:pubsub_publisher",
    "SubscriberClient": "gcp:pubsub_subscriber",
    "Client@google.cloud.firestore": "gcp:firestore",
    "SecretManagerServiceClient": "gcp:secretmanager",
}

_BUCKET_WRITE = "bucket.write(key, data) on app.bucket(...)"
_BUCKET_READ = "bucket.read(key) on app.bucket(...)"
_BUCKET_DELETE = "bucket.delete(key) on app.bucket(...)"
_BUCKET_LIST = "bucket.list(prefix) / bucket.iter(prefix) on app.bucket(...)"
_BUCKET_META = "bucket.metadata(key) / bucket.exists(key) on app.bucket(...)"
_QUEUE_SEND = "queue.send(body) on app.queue(...)"
_QUEUE_BATCH = "queue.send_batch(bodies) on app.queue(...)"
_CONSUME = "an @app.on_message(queue) handler: polyfn receives, deletes and dead-letters"
_TABLE_GET = "table.get(key) on app.table(...)"
_TABLE_PUT = "table.put(item) on app.table(...) (table.put_if_absent(item) for a conditional put)"
_TABLE_UPDATE = "table.update(key, changes) on app.table(...)"
_TABLE_DELETE = "table.delete(key) on app.table(...)"
_TABLE_QUERY = "table.query(prefix) on app.table(...)"
_TABLE_SCAN = "table.scan() on app.table(...)"
_NO_PORT = "no polyfn port yet: keep it behind a small interface with one implementation per cloud"
_SECRETS = (
    "read it from an app setting (environment variable) that deploy fills from each cloud's "
    "secret store"
)

# (kind, method) -> replacement. A method of a known client that is not listed still
# counts as lock-in, with the generic replacement below.
METHODS: dict[tuple[str, str], str] = {
    ("aws:s3", "put_object"): _BUCKET_WRITE,
    ("aws:s3", "upload_file"): _BUCKET_WRITE,
    ("aws:s3", "upload_fileobj"): _BUCKET_WRITE,
    ("aws:s3", "get_object"): _BUCKET_READ,
    ("aws:s3", "download_file"): _BUCKET_READ,
    ("aws:s3", "download_fileobj"): _BUCKET_READ,
    ("aws:s3", "head_object"): _BUCKET_META,
    ("aws:s3", "delete_object"): _BUCKET_DELETE,
    ("aws:s3", "delete_objects"): _BUCKET_DELETE,
    ("aws:s3", "list_objects_v2"): _BUCKET_LIST,
    ("aws:s3", "list_objects"): _BUCKET_LIST,
    ("aws:s3", "generate_presigned_url"): _NO_PORT,
    ("aws:s3_bucket", "put_object"): _BUCKET_WRITE,
    ("aws:s3_bucket", "upload_file"): _BUCKET_WRITE,
    ("aws:s3_bucket", "download_file"): _BUCKET_READ,
    ("aws:s3_object", "get"): _BUCKET_READ,
    ("aws:s3_object", "put"): _BUCKET_WRITE,
    ("aws:s3_object", "delete"): _BUCKET_DELETE,
    ("aws:sqs", "send_message"): _QUEUE_SEND,
    ("aws:sqs", "send_message_batch"): _QUEUE_BATCH,
    ("aws:sqs", "receive_message"): _CONSUME,
    ("aws:sqs", "delete_message"): _CONSUME,
    (
        "aws:sqs",
        "get_queue_url",
    ): "app.queue(name): the physical queue is bound by POLYFN_QUEUE_<NAME>",
    ("aws:sqs_queue", "send_message"): _QUEUE_SEND,
    ("aws:sqs_queue", "send_messages"): _QUEUE_BATCH,
    ("aws:sqs_queue", "receive_messages"): _CONSUME,
    ("aws:dynamodb_table", "get_item"): _TABLE_GET,
    ("aws:dynamodb_table", "put_item"): _TABLE_PUT,
    ("aws:dynamodb_table", "update_item"): _TABLE_UPDATE,
    ("aws:dynamodb_table", "delete_item"): _TABLE_DELETE,
    ("aws:dynamodb_table", "query"): _TABLE_QUERY,
    ("aws:dynamodb_table", "scan"): _TABLE_SCAN,
    ("aws:dynamodb_table", "batch_writer"): "a loop of table.put(item) on app.table(...)",
    ("aws:dynamodb", "get_item"): _TABLE_GET,
    ("aws:dynamodb", "put_item"): _TABLE_PUT,
    ("aws:dynamodb", "update_item"): _TABLE_UPDATE,
    ("aws:dynamodb", "delete_item"): _TABLE_DELETE,
    ("aws:dynamodb", "query"): _TABLE_QUERY,
    ("aws:dynamodb", "scan"): _TABLE_SCAN,
    ("aws:dynamodb", "transact_write_items"): _NO_PORT,
    ("aws:sns", "publish"): "queue.send(body) to an app.queue(...) its consumers read, or "
    + _NO_PORT,
    ("aws:events", "put_events"): _NO_PORT,
    ("aws:lambda", "invoke"): "queue.send(body) to an app.queue(...) the other function consumes",
    ("aws:ses", "send_email"): "an email provider's HTTP API (the same on every cloud), or "
    + _NO_PORT,
    ("aws:secretsmanager", "get_secret_value"): _SECRETS,
    ("aws:ssm", "get_parameter"): _SECRETS,
    ("aws:ssm", "get_parameters"): _SECRETS,
    ("azure:blob", "upload_blob"): _BUCKET_WRITE,
    ("azure:blob", "download_blob"): _BUCKET_READ,
    ("azure:blob", "delete_blob"): _BUCKET_DELETE,
    ("azure:blob", "get_blob_properties"): _BUCKET_META,
    ("azure:blob", "exists"): _BUCKET_META,
    ("azure:blob_container", "upload_blob"): _BUCKET_WRITE,
    ("azure:blob_container", "download_blob"): _BUCKET_READ,
    ("azure:blob_container", "delete_blob"): _BUCKET_DELETE,
    ("azure:blob_container", "list_blobs"): _BUCKET_LIST,
    ("azure:queue", "send_message"): _QUEUE_SEND,
    ("azure:queue", "receive_messages"): _CONSUME,
    ("azure:queue", "delete_message"): _CONSUME,
    ("azure:table", "get_entity"): _TABLE_GET,
    ("azure:table", "create_entity"): _TABLE_PUT,
    ("azure:table", "upsert_entity"): _TABLE_PUT,
    ("azure:table", "update_entity"): _TABLE_UPDATE,
    ("azure:table", "delete_entity"): _TABLE_DELETE,
    ("azure:table", "query_entities"): _TABLE_QUERY,
    ("azure:table", "list_entities"): _TABLE_SCAN,
    ("gcp:gcs_blob", "upload_from_string"): _BUCKET_WRITE,
    ("gcp:gcs_blob", "upload_from_filename"): _BUCKET_WRITE,
    ("gcp:gcs_blob", "upload_from_file"): _BUCKET_WRITE,
    ("gcp:gcs_blob", "download_as_bytes"): _BUCKET_READ,
    ("gcp:gcs_blob", "download_as_text"): _BUCKET_READ,
    ("gcp:gcs_blob", "download_to_filename"): _BUCKET_READ,
    ("gcp:gcs_blob", "exists"): _BUCKET_META,
    ("gcp:gcs_blob", "delete"): _BUCKET_DELETE,
    ("gcp:gcs_bucket", "list_blobs"): _BUCKET_LIST,
    ("gcp:gcs_client", "list_blobs"): _BUCKET_LIST,
    ("gcp:pubsub_publisher", "publish"): _QUEUE_SEND,
    ("gcp:pubsub_subscriber", "pull"): _CONSUME,
    ("gcp:firestore_document", "get"): _TABLE_GET,
    ("gcp:firestore_document", "set"): _TABLE_PUT,
    ("gcp:firestore_document", "create"): _TABLE_PUT,
    ("gcp:firestore_document", "update"): _TABLE_UPDATE,
    ("gcp:firestore_document", "delete"): _TABLE_DELETE,
    ("gcp:firestore_collection", "stream"): _TABLE_SCAN,
    ("gcp:firestore_collection", "where"): _TABLE_QUERY,
    ("gcp:secretmanager", "access_secret_version"): _SECRETS,
}
GENERIC_REPLACEMENT = "the matching polyfn handle: app.bucket / app.queue / app.table"

# Environment variable prefixes (and exact names) each platform sets.
ENV_PREFIXES: dict[str, tuple[str, ...]] = {
    "aws": ("AWS_", "LAMBDA_", "_HANDLER", "_X_AMZN_TRACE_ID"),
    "azure": ("AZURE_", "FUNCTIONS_", "WEBSITE_", "AzureWebJobs", "APPSETTING_", "MSI_"),
    "gcp": (
        "GOOGLE_",
        "GCP_",
        "GCLOUD_",
        "K_SERVICE",
        "K_REVISION",
        "K_CONFIGURATION",
        "FUNCTION_TARGET",
        "FUNCTION_SIGNATURE_TYPE",
        "FUNCTION_REGION",
        "X_GOOGLE_",
    ),
}
ENV_REPLACEMENTS = {
    "AWS_LAMBDA_FUNCTION_NAME": "ctx.function_name (polyfn Context)",
    "K_SERVICE": "ctx.function_name (polyfn Context)",
    "FUNCTION_TARGET": "ctx.function_name (polyfn Context)",
    "WEBSITE_SITE_NAME": "ctx.function_name (polyfn Context)",
    "AWS_REQUEST_ID": "ctx.request_id (polyfn Context)",
}
ENV_DEFAULT_REPLACEMENT = (
    "an app setting of your own name (the same on every cloud), or the resource binding "
    "POLYFN_<KIND>_<NAME> that deploy sets"
)

# The Lambda context object's attributes (polyfn's Context has other names).
LAMBDA_CONTEXT_ATTRIBUTES = {
    "get_remaining_time_in_millis": "ctx.remaining_ms",
    "aws_request_id": "ctx.request_id",
    "invoked_function_arn": "ctx.function_name (and deploy-time settings)",
    "log_group_name": "ctx.logger",
    "log_stream_name": "ctx.logger",
    "memory_limit_in_mb": "an app setting",
    "client_context": "no portable equivalent",
    "identity": "no portable equivalent",
}
AZURE_CONTEXT_ATTRIBUTES = {
    "invocation_id": "ctx.request_id",
    "function_directory": "a path relative to the module (Path(__file__).parent)",
    "trace_context": "no portable equivalent",
}
# Keys of Lambda's native event dicts: reading them ties the handler to one event shape.
LAMBDA_EVENT_KEYS = {
    "Records": "the polyfn event the handler receives (ObjectEvent, Message, Event)",
    "requestContext": "the polyfn Request (req.method, req.path, req.headers, req.client_ip)",
    "queryStringParameters": "req.query",
    "multiValueQueryStringParameters": "req.query",
    "pathParameters": "req.path_params",
    "httpMethod": "req.method",
    "rawPath": "req.path",
    "body": "req.body / req.json()",
    "isBase64Encoded": "req.body (polyfn decodes it)",
    "detail-type": "event.type",
    "detail": "event.data",
}

ARN_PATTERN = re.compile(r"arn:aws[a-z-]*:([a-z0-9-]+):[a-z0-9-]*:\d{0,12}:\S+")
RESOURCE_URL_PATTERNS: tuple[tuple[re.Pattern[str], str, str], ...] = (
    (re.compile(r"s3://[a-z0-9.-]+|[a-z0-9.-]+\.s3[.-]([a-z0-9-]+\.)?amazonaws\.com"), "aws", "S3"),
    (re.compile(r"sqs\.[a-z0-9-]+\.amazonaws\.com/\d+/\S+"), "aws", "SQS"),
    (re.compile(r"dynamodb\.[a-z0-9-]+\.amazonaws\.com"), "aws", "DynamoDB"),
    (re.compile(r"[a-z0-9]+\.execute-api\.[a-z0-9-]+\.amazonaws\.com"), "aws", "API Gateway"),
    (re.compile(r"[a-z0-9]+\.lambda-url\.[a-z0-9-]+\.on\.aws"), "aws", "Lambda"),
    (re.compile(r"[a-z0-9]+\.blob\.core\.windows\.net"), "azure", "Blob Storage"),
    (re.compile(r"[a-z0-9]+\.queue\.core\.windows\.net"), "azure", "Queue Storage"),
    (re.compile(r"[a-z0-9]+\.table\.core\.windows\.net"), "azure", "Table Storage"),
    (re.compile(r"[a-z0-9-]+\.servicebus\.windows\.net"), "azure", "Service Bus"),
    (re.compile(r"[a-z0-9-]+\.azurewebsites\.net"), "azure", "Functions"),
    (re.compile(r"DefaultEndpointsProtocol=|AccountKey="), "azure", "Storage connection string"),
    (
        re.compile(r"storage\.googleapis\.com|storage\.cloud\.google\.com|gs://[a-z0-9._-]+"),
        "gcp",
        "Cloud Storage",
    ),
    (
        re.compile(r"pubsub\.googleapis\.com|projects/[^/\s]+/(topics|subscriptions)/"),
        "gcp",
        "Pub/Sub",
    ),
    (re.compile(r"firestore\.googleapis\.com"), "gcp", "Firestore"),
    (
        re.compile(r"[a-z0-9-]+\.cloudfunctions\.net|[a-z0-9-]+\.run\.app"),
        "gcp",
        "Cloud Run functions",
    ),
)
REGION_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(
            r"^(us|eu|ap|sa|ca|me|af|il|mx)-(north|south|east|west|central|northeast|"
            r"southeast|southwest|northwest)-\d$"
        ),
        "aws",
    ),
    (
        re.compile(
            r"^(us|europe|asia|australia|northamerica|southamerica|me|africa)-(central|east|"
            r"west|north|south|northeast|southeast|southwest|northwest)\d{1,2}$"
        ),
        "gcp",
    ),
    (
        re.compile(
            r"^(eastus2?|westus[23]?|centralus|northcentralus|southcentralus|westcentralus|"
            r"northeurope|westeurope|uksouth|ukwest|francecentral|germanywestcentral|"
            r"swedencentral|switzerlandnorth|norwayeast|eastasia|southeastasia|japaneast|"
            r"japanwest|australiaeast|centralindia|koreacentral|canadacentral|brazilsouth)$"
        ),
        "azure",
    ),
)
