"""polyfn's portable conditions and sort conditions as DynamoDB expressions.

Attribute names always go through ``ExpressionAttributeNames`` (``#c0``...): that is what
lets an item use DynamoDB's reserved words (``status``, ``name``, ``date``...) as
attribute names. Source: DynamoDB Developer Guide, "Condition expressions" and "Key
condition expressions for query" (checked 2026-12).
"""

from __future__ import annotations

from typing import Any

from polyfn.adapters.aws.backends.dynamodb_codec import encode_value
from polyfn.core.table_conditions import Condition
from polyfn.core.table_keys import SortCondition

__all__ = ["Expression", "condition_expression", "key_condition"]


class Expression:
    """An expression string with its name and value placeholders."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.names: dict[str, str] = {}
        self.values: dict[str, Any] = {}

    def name(self, attribute: str) -> str:
        for placeholder, known in self.names.items():
            if known == attribute:
                return placeholder
        placeholder = f"#n{len(self.names)}"
        self.names[placeholder] = attribute
        return placeholder

    def value(self, value: Any) -> str:
        placeholder = f":v{len(self.values)}"
        self.values[placeholder] = encode_value(value, "condition")
        return placeholder

    def text(self) -> str:
        return " AND ".join(self.parts)

    def params(self, key: str) -> dict[str, Any]:
        """The request parameters: ``key`` (ConditionExpression or KeyConditionExpression)
        and the placeholders."""
        params: dict[str, Any] = {key: self.text(), "ExpressionAttributeNames": self.names}
        if self.values:
            params["ExpressionAttributeValues"] = self.values
        return params


def condition_expression(
    condition: Condition, key_attribute: str, expression: Expression | None = None
) -> Expression:
    expression = expression or Expression()
    for test in condition.tests:
        if test.op == "absent":
            expression.parts.append(f"attribute_not_exists({expression.name(key_attribute)})")
        elif test.op == "present":
            expression.parts.append(f"attribute_exists({expression.name(key_attribute)})")
        elif test.op == "exists":
            expression.parts.append(f"attribute_exists({expression.name(test.attribute)})")
        elif test.op == "not_exists":
            expression.parts.append(f"attribute_not_exists({expression.name(test.attribute)})")
        else:
            name, value = expression.name(test.attribute), expression.value(test.value)
            expression.parts.append(f"{name} = {value}")
    return expression


def key_condition(
    partition_attribute: str, partition: str, sort_attribute: str | None, sort: SortCondition | None
) -> Expression:
    expression = Expression()
    expression.parts.append(
        f"{expression.name(partition_attribute)} = {expression.value(partition)}"
    )
    if sort is None or sort_attribute is None:
        return expression
    name = expression.name(sort_attribute)
    if sort.op == "begins_with":
        expression.parts.append(f"begins_with({name}, {expression.value(sort.values[0])})")
    elif sort.op == "between":
        low, high = (expression.value(v) for v in sort.values)
        expression.parts.append(f"{name} BETWEEN {low} AND {high}")
    else:
        expression.parts.append(f"{name} {sort.op} {expression.value(sort.values[0])}")
    return expression
