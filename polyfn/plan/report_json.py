"""The JSON report, for tools. Its shape is versioned by ``schema_version``.

Schema 1 (every key always present; lists may be empty):

- ``schema_version`` (1), ``kind`` ("polyfn-plan"), ``app``, ``source``, ``clouds``,
  ``generated``, ``prices_version``
- ``functions``: ``[{name, kind, trigger, origin}]``
- ``statuses``: ``[{function, cloud, status: portable|needs changes|blocked|needs a decision,
  reasons}]`` (``function`` is ``"(app)"`` for findings outside any function)
- ``lockin``: ``[{file, line, cloud, service, category, severity, what, replacement,
  functions}]``
- ``triggers``: ``[{function, cloud, native, notes: [{topic, impact, text, source}]}]``
- ``limits``: ``[{function, cloud, level: pass|warn|fail, limit, message, source}]`` and
  ``limits_note`` (why limits were not checked, else null)
- ``costs``: ``[{cloud, plan, label, total, total_with_free_tier, notes,
  unconfirmed_prices, functions: [{function, cloud, invocations, billed_ms,
  billed_memory_mb, units, request_cost, compute_cost, total, total_with_free_tier,
  gateway_cost, logs_cost, baseline_cost, resource_cost}]}]`` (USD per month;
  ``plan`` is lambda, gen2, or the Azure plan: flex, consumption or premium;
  ``gateway_cost``, ``logs_cost``, ``baseline_cost`` and ``resource_cost``, added within
  schema 1, are the API Gateway share of an AWS HTTP function (0 elsewhere), its log
  ingestion, its warm instances (AWS provisioned concurrency, Flex always-ready, Cloud
  Run minimum instances, or its share of the Premium plan's always-on minimum) and its
  requests to the app's queues and buckets (``plan.resource_cost``); all are part of
  ``total``)
- ``concurrency``: ``[{cloud, scope, peak_concurrency, limit, level, message, source}]``
- ``sweep``: null or ``[{function, cloud, best_memory_mb, note, points: [{memory_mb,
  duration_ms, monthly_cost}]}]``
- ``import_notes``: ``[{function, impact, text}]``, ``traffic_notes``, ``scanned_files``
- ``table_notes``: what each sort key and index becomes, and costs, per target
- ``undecided``: ``[{function, origin, reasons}]``: imported functions with no trigger
  polyfn can express (their statuses say "needs a decision")
- ``containers`` (added within schema 1): ``[{cloud, label, instances, vcpu, memory_gb,
  peak_concurrency, monthly_cost, serverless_cost, crossover_events_per_month,
  crossover_per_second}]``: the same traffic on an always-on container, and the event
  rate at which the two bills meet (null when serverless costs nothing per event), and
  ``unconfirmed_prices``, the container rates marked unconfirmed
- ``unconfirmed_prices`` (added within schema 1): every figure marked unconfirmed in
  prices.json that any bill above uses, sorted, each once
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from polyfn.plan.model import Plan

__all__ = ["SCHEMA_VERSION", "plan_to_dict", "render_json"]

SCHEMA_VERSION = 1


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    body = dataclasses.asdict(plan)
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": "polyfn-plan",
        **body,
        "unconfirmed_prices": plan.unconfirmed_prices(),
    }


def render_json(plan: Plan) -> str:
    return json.dumps(plan_to_dict(plan), indent=2, ensure_ascii=False) + "\n"
