"""What a table's sort key and secondary indexes become in each cloud's deploy artifact.

* AWS: the DynamoDB table's key schema (HASH = key, RANGE = sort) and one global
  secondary index per polyfn index, projection ALL (the runtime creates the same on an
  emulator: ``adapters/aws/backends/__init__.py``, ``dynamodb_table_spec``).
* Google Cloud: Firestore composite indexes, one ascending and one descending per
  (partition, sort) pair the queries use (the table's own key and every index with a
  sort). An index without a sort field is served by Firestore's automatic single-field
  indexes and needs nothing.
* Azure: the companion table ``<table>ix`` of the index entities polyfn maintains
  (``adapters/azure/backends/table_index.py``).
"""

from __future__ import annotations

import json
from typing import Any

from polyfn.core.resources import Table

__all__ = [
    "INDEX_TABLE_SUFFIX",
    "dynamodb_key_properties",
    "firestore_composite_pairs",
    "firestore_indexes_json",
]

# Kept equal to adapters.azure.backends.table_index.SUFFIX (tests/deploy pin the two).
INDEX_TABLE_SUFFIX = "ix"


def dynamodb_key_properties(table: Table) -> dict[str, Any]:
    """AttributeDefinitions, KeySchema and GlobalSecondaryIndexes of AWS::DynamoDB::Table."""

    def key_schema(partition: str, sort: str | None) -> list[dict[str, str]]:
        schema = [{"AttributeName": partition, "KeyType": "HASH"}]
        if sort is not None:
            schema.append({"AttributeName": sort, "KeyType": "RANGE"})
        return schema

    attributes = dict.fromkeys(table.schema.key_attributes())
    for index in table.indexes.values():
        attributes.update(dict.fromkeys(index.attributes))
    properties: dict[str, Any] = {
        "AttributeDefinitions": [{"AttributeName": a, "AttributeType": "S"} for a in attributes],
        "KeySchema": key_schema(table.key, table.sort),
    }
    if table.indexes:
        properties["GlobalSecondaryIndexes"] = [
            {
                "IndexName": index.name,
                "KeySchema": key_schema(index.partition, index.sort),
                "Projection": {"ProjectionType": "ALL"},
            }
            for index in table.indexes.values()
        ]
    return properties


def firestore_composite_pairs(table: Table) -> list[tuple[str, str]]:
    """The (equality field, ordered field) pairs the table's queries need indexes for."""
    pairs = []
    if table.sort is not None:
        pairs.append((table.key, table.sort))
    pairs += [(i.partition, i.sort) for i in table.indexes.values() if i.sort is not None]
    return list(dict.fromkeys(pairs))


def firestore_indexes_json(collections: dict[str, Table]) -> str:
    """``firestore.indexes.json`` (the Firebase CLI's format) for ``{collection: table}``."""
    indexes = [
        {
            "collectionGroup": collection,
            "queryScope": "COLLECTION",
            "fields": [
                {"fieldPath": partition, "order": "ASCENDING"},
                {"fieldPath": sort, "order": order},
            ],
        }
        for collection, table in sorted(collections.items())
        for partition, sort in firestore_composite_pairs(table)
        for order in ("ASCENDING", "DESCENDING")
    ]
    return json.dumps({"indexes": indexes, "fieldOverrides": []}, indent=2) + "\n"
