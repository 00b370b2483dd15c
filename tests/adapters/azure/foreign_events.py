"""Event Grid deliveries written from Microsoft's documentation (issue 13, item 12)."""

from __future__ import annotations

from typing import Any

# "CloudEvents v1.0 schema with Azure Event Grid", sample event:
# https://learn.microsoft.com/azure/event-grid/cloud-event-schema (read 2026-12). The
# subject has no leading "/" there, unlike the Event Grid schema's samples.
BLOB_CREATED_CLOUDEVENT: dict[str, Any] = {
    "specversion": "1.0",
    "type": "Microsoft.Storage.BlobCreated",
    "source": "/subscriptions/{subscription-id}/resourceGroups/{resource-group}/providers/"
    "Microsoft.Storage/storageAccounts/{storage-account}",
    "id": "9aeb0fdf-c01e-0131-0922-9eb54906e209",
    "time": "2019-11-18T15:13:39.4589254Z",
    "subject": "blobServices/default/containers/testcontainer/blobs/new-file.png",
    "data": {
        "api": "PutBlockList",
        "clientRequestId": "4c5dd7fb-2c48-4a27-bb30-5361b5de920a",
        "requestId": "9aeb0fdf-c01e-0131-0922-9eb549000000",
        "eTag": "0x8D76C39E4407333",
        "contentType": "image/png",
        "contentLength": 30699,
        "blobType": "BlockBlob",
        "url": "https://gridtesting.blob.core.windows.net/testcontainer/new-file.png",
        "sequencer": "000000000000000000000000000099240000000000c41c18",
        "storageDiagnostics": {"batchId": "681fe319-3006-00a8-0022-9e7cde000000"},
    },
}

# A custom topic's event in the CloudEvents schema: the publisher chooses type and source
# ("Event Grid custom topics" and the CloudEvents schema page above: with the CloudEvents
# input schema Event Grid delivers the event as published, read 2026-12).
CUSTOM_TOPIC_CLOUDEVENT: dict[str, Any] = {
    "specversion": "1.0",
    "type": "Contoso.Items.ItemReceived",
    "source": "/contoso/items",
    "id": "0b3c7d1e-0d5a-4e3b-9c8a-1f2e3d4c5b6a",
    "time": "2026-12-04T12:00:00Z",
    "subject": "items/42",
    "datacontenttype": "application/json",
    "data": {"itemSku": "Standard", "quantity": 3},
}
