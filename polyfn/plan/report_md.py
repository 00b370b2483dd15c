"""The Markdown report: a summary a person reads first, then the detail behind it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from polyfn.plan.model import CLOUD_LABELS, Plan

__all__ = ["money", "render_markdown"]

_STATUS_MARK = {
    "portable": "portable",
    "needs changes": "needs changes",
    "blocked": "**blocked**",
    "needs a decision": "**needs a decision**",
}


def money(amount: float) -> str:
    if 0 < amount < 0.005:
        return "<$0.01"
    return f"${amount:,.2f}"


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines.extend("| " + " | ".join(_cell(c) for c in row) + " |" for row in rows)
    return lines


class _Sources:
    """Numbered references, so a source is printed once however many notes cite it."""

    def __init__(self) -> None:
        self.numbers: dict[str, int] = {}

    def ref(self, source: str) -> str:
        if not source:
            return ""
        number = self.numbers.setdefault(source, len(self.numbers) + 1)
        return f"[{number}]"

    def render(self) -> list[str]:
        if not self.numbers:
            return []
        out = ["## Sources", ""]
        out += [f"{number}. {source}" for source, number in self.numbers.items()]
        out.append("")
        return out


def render_markdown(plan: Plan) -> str:
    sources = _Sources()
    out: list[str] = []
    labels = [CLOUD_LABELS.get(c, c) for c in plan.clouds]
    out.append(f"# polyfn plan: {plan.app}")
    out.append("")
    out.append(
        f"Generated {plan.generated} from the {plan.source}, for {', '.join(labels)}. "
        f"Prices: `prices.json` version {plan.prices_version}."
    )
    out.append("")
    out += _summary(plan, labels)
    out += _attention(plan)
    out += _lockin(plan)
    out += _triggers(plan, sources)
    out += _limits(plan, sources)
    out += _costs(plan)
    out += _workflow_costs(plan)
    out += _containers(plan)
    out += _concurrency(plan)
    out += _sweep(plan)
    out += _imports(plan)
    out += _tables(plan)
    out += _assumptions(plan)
    out += sources.render()
    return "\n".join(out).rstrip() + "\n"


def _summary(plan: Plan, labels: list[str]) -> list[str]:
    out = ["## Summary", ""]
    rows = []
    names = list(dict.fromkeys(s.function for s in plan.statuses))
    triggers = {f.name: f.trigger for f in plan.functions}
    triggers.update((u.function, f"none polyfn can express ({u.origin})") for u in plan.undecided)
    for name in names:
        row: list[object] = [f"`{name}`", triggers.get(name, "code outside any function")]
        for cloud in plan.clouds:
            status = plan.status_of(name, cloud)
            row.append(_STATUS_MARK[status.status] if status else "")
        rows.append(row)
    if rows:
        # One line per cloud with the counts, so a reader sees the verdict at a glance.
        functions = sum(1 for name in names if name != "(app)")
        counts: list[object] = ["**all**", f"{functions} functions, app code"]
        for cloud in plan.clouds:
            found = [plan.status_of(name, cloud) for name in names]
            tally = {s.status: 0 for s in found if s}
            for status in found:
                if status:
                    tally[status.status] += 1
            counts.append(", ".join(f"{n} {_STATUS_MARK[k]}" for k, n in tally.items()))
        rows.append(counts)
    out += _table(["Function", "Trigger", *labels], rows)
    out.append("")
    if plan.costs:
        out.append(
            "Monthly cost: compute, invocations, API Gateway, logs, warm instances and "
            "requests to queues and storage (details below):"
        )
        out.append("")
        out += _table(
            ["Cloud", "Plan", "With free tier", "Without free tier"],
            [
                [CLOUD_LABELS[c.cloud], c.label, money(c.total_with_free_tier), money(c.total)]
                for c in plan.costs
            ],
        )
        out.append("")
    high = sum(1 for f in plan.lockin if f.severity == "high")
    fails = sum(1 for limit in plan.limits if limit.level == "fail")
    warns = sum(1 for limit in plan.limits if limit.level == "warn")
    over = [c for c in plan.concurrency if c.level == "warn"]
    facts = [
        f"Lock-in: {len(plan.lockin)} finding(s), {high} of high severity, in "
        f"{len(plan.scanned_files)} scanned file(s).",
        (plan.limits_note or f"Limits: {fails} fail, {warns} warn."),
        f"Concurrency: {len(over)} warning(s)." if plan.concurrency else "",
        _unconfirmed_fact(plan),
    ]
    out += [f"- {fact}" for fact in facts if fact]
    out.append("")
    return out


def _unconfirmed_fact(plan: Plan) -> str:
    """How many of the prices behind these bills the vendor pages did not show, by name,
    so a reader knows which figures to check before a decision rests on them."""
    paths = plan.unconfirmed_prices()
    if not plan.costs:
        return ""
    if not paths:
        return "Prices: every figure these bills use is confirmed in prices.json."
    return (
        f"Prices: {len(paths)} figure(s) these bills use are marked unconfirmed in "
        "prices.json (check them against the vendor page, docs/readme/plan.md): "
        + ", ".join(f"`{p}`" for p in paths)
    )


def _attention(plan: Plan) -> list[str]:
    pending = [s for s in plan.statuses if s.status != "portable"]
    if not pending:
        return []
    out = ["## What blocks a move or needs changing", ""]
    for status in pending:
        out.append(
            f"- `{status.function}` on {CLOUD_LABELS.get(status.cloud, status.cloud)} "
            f"({status.status}):"
        )
        out += [f"  - {reason}" for reason in status.reasons]
    out.append("")
    return out


def _lockin(plan: Plan) -> list[str]:
    out = ["## Lock-in findings", ""]
    if not plan.lockin:
        out += ["No code tied to one vendor was found in the scanned files.", ""]
        return out
    order = {"high": 0, "medium": 1, "low": 2}
    rows = [
        [
            f"{f.file}:{f.line}",
            f"{CLOUD_LABELS.get(f.cloud, 'any cloud')} {f.service}",
            f.severity,
            f.what,
            f.replacement,
            ", ".join(f.functions) or "module level",
        ]
        for f in sorted(plan.lockin, key=lambda f: (order[f.severity], f.file, f.line))
    ]
    out += _table(["Where", "Ties to", "Severity", "Found", "Replace with", "Reached from"], rows)
    out.append("")
    return out


def _triggers(plan: Plan, sources: _Sources) -> list[str]:
    out = ["## Trigger map", ""]
    for info in plan.functions:
        out.append(f"### `{info.name}`: {info.trigger}")
        if info.origin:
            out.append(f"From `{info.origin}`.")
        out.append("")
        for mapping in plan.triggers:
            if mapping.function != info.name:
                continue
            out.append(f"- **{CLOUD_LABELS.get(mapping.cloud, mapping.cloud)}**: {mapping.native}")
            out += [
                f"  - {note.impact}: {note.topic}: {note.text} {sources.ref(note.source)}"
                for note in mapping.notes
            ]
        out.append("")
    return out


def _limits(plan: Plan, sources: _Sources) -> list[str]:
    out = ["## Limits", ""]
    if plan.limits_note:
        return [*out, plan.limits_note, ""]
    flagged = [limit for limit in plan.limits if limit.level != "pass"]
    rows = [
        [
            f"`{limit.function}`" if limit.function else "app",
            CLOUD_LABELS.get(limit.cloud, limit.cloud),
            limit.level,
            limit.limit,
            limit.message,
            sources.ref(limit.source),
        ]
        for limit in flagged
    ]
    if rows:
        out += _table(["Function", "Cloud", "Result", "Limit", "Detail", "Source"], rows)
        out.append("")
    for cloud in plan.clouds:
        passed = [x.function for x in plan.limits if x.cloud == cloud and x.level == "pass"]
        if passed:
            out.append(
                f"- {CLOUD_LABELS.get(cloud, cloud)}: {len(passed)} function(s) within every "
                f"documented limit ({', '.join(passed)})"
            )
    out.append("")
    return out


def _containers(plan: Plan) -> list[str]:
    """The "do the math" comparison with an always-on container, per cloud."""
    if not plan.containers:
        return []
    first = plan.containers[0]
    out = [
        "## Serverless or an always-on container",
        "",
        f"The same traffic on {first.instances} always-on instance(s) of {first.vcpu:g} vCPU "
        f"and {first.memory_gb:g} GB (peak concurrency {first.peak_concurrency:.2f}; "
        "`container` in the traffic profile changes the sizing). Both sides without free "
        "tiers; the crossover is the event rate at which serverless would cost the same.",
        "",
    ]
    rows = [
        [
            c.label,
            money(c.serverless_cost),
            money(c.monthly_cost),
            (
                f"{c.crossover_events_per_month:,.0f} / month ({c.crossover_per_second:,.1f}/s)"
                if c.crossover_events_per_month is not None and c.crossover_per_second
                else "none"
            ),
        ]
        for c in plan.containers
    ]
    out += _table(["Always-on container", "Serverless", "Container", "Crossover"], rows)
    return [*out, ""]


def _costs(plan: Plan) -> list[str]:
    out = ["## Cost detail", ""]
    for cost in plan.costs:
        out.append(
            f"### {cost.label}: {money(cost.total_with_free_tier)} a month with the free tier, "
            f"{money(cost.total)} without"
        )
        out.append("")
        rows = [
            [
                f"`{line.function}`",
                f"{line.invocations:,.0f}",
                f"{line.billed_ms:,.0f}",
                f"{line.billed_memory_mb:,.0f}",
                ", ".join(
                    f"{k.partition(':')[0]} {v:,.0f}"
                    for k, v in line.units.items()
                    if k not in ("requests", "api_gateway_requests")
                ),
                money(line.request_cost),
                money(line.compute_cost),
                money(line.gateway_cost),
                money(line.logs_cost),
                money(line.baseline_cost),
                money(line.resource_cost),
                money(line.total),
                money(line.total_with_free_tier),
            ]
            for line in cost.functions
        ]
        out += _table(
            [
                "Function",
                "Invocations",
                "Billed ms",
                "Billed MB",
                "Compute units",
                "Requests",
                "Compute",
                "API Gateway",
                "Logs",
                "Warm instances",
                "Queues & storage",
                "Total",
                "With free tier",
            ],
            rows,
        )
        out += [f"- {note}" for note in cost.notes]
        if cost.unconfirmed_prices:
            out.append(
                "- Rests on figures marked unconfirmed in prices.json: "
                + ", ".join(f"`{p}`" for p in cost.unconfirmed_prices)
            )
        out.append("")
    return out


def _concurrency(plan: Plan) -> list[str]:
    if not plan.concurrency:
        return []
    out = ["## Concurrency at peak", ""]
    rows = [
        [
            CLOUD_LABELS.get(c.cloud, c.cloud),
            c.scope,
            f"{c.peak_concurrency:,.2f}",
            f"{c.limit:,.0f}",
            c.level,
            c.message,
        ]
        for c in plan.concurrency
    ]
    out += _table(["Cloud", "Scope", "Peak", "Limit", "Result", "Detail"], rows)
    out.append("")
    return out


def _sweep(plan: Plan) -> list[str]:
    if not plan.sweep:
        return []
    out = ["## Memory sweep", ""]
    rows = [
        [
            f"`{c.function}`",
            CLOUD_LABELS.get(c.cloud, c.cloud),
            f"{c.best_memory_mb} MB" if c.best_memory_mb else "n/a",
            "; ".join(
                f"{p.memory_mb} MB {p.duration_ms:g} ms {money(p.monthly_cost)}" for p in c.points
            ),
            c.note,
        ]
        for c in plan.sweep
    ]
    out += _table(["Function", "Cloud", "Cheapest", "Measured", "Why"], rows)
    out.append("")
    return out


ENGINE_LABELS = {
    "step_functions_standard": "Step Functions Standard",
    "step_functions_express": "Step Functions Express",
    "durable_functions": "Durable Functions (Consumption)",
    "cloud_workflows": "Cloud Workflows",
}

WORKFLOW_COST_NOTE = (
    "Counted along each run's success path (every task succeeds, choices take their "
    "default, a map has one item); retries add transitions, executions and steps on "
    "every engine. Durable Functions: the free grant is shared with the app's functions "
    "and not subtracted."
)


def workflow_cost_rows(plan: Plan) -> list[list[str]]:
    """One row per workflow and engine: workflow, engine, runs a month, what was counted,
    the monthly cost (or why the engine cannot run it); plain text, for any format."""
    rows = []
    for row in plan.workflow_costs:
        engine = ENGINE_LABELS.get(row.engine, row.engine)
        if row.unsupported:
            rows.append([row.workflow, engine, f"{row.runs:,.0f}", "-", row.unsupported])
            continue
        counted = ", ".join(
            f"{value:,.0f} {unit.replace('_', ' ')}" for unit, value in row.units.items()
        )
        flag = " (unconfirmed prices)" if row.unconfirmed else ""
        rows.append(
            [row.workflow, engine, f"{row.runs:,.0f}", counted, f"${row.monthly_usd:,.2f}{flag}"]
        )
    return rows


WORKFLOW_COST_HEADER = ["Workflow", "Engine", "Runs/month", "Counted", "Monthly cost"]


def _workflow_costs(plan: Plan) -> list[str]:
    if not plan.workflow_costs:
        return []
    out = ["## Workflows: monthly cost", ""]
    rows = [[f"`{r[0]}`", *r[1:]] for r in workflow_cost_rows(plan)]
    out += _table(WORKFLOW_COST_HEADER, rows)
    out += ["", WORKFLOW_COST_NOTE, ""]
    return out


def _imports(plan: Plan) -> list[str]:
    if not plan.import_notes:
        return []
    out = [f"## Read from the {plan.source}", ""]
    out += [
        f"- [{note.impact}] {'`' + note.function + '`: ' if note.function else ''}{note.text}"
        for note in plan.import_notes
    ]
    out.append("")
    return out


def _tables(plan: Plan) -> list[str]:
    if not plan.table_notes:
        return []
    return ["## Tables", "", *(f"- {note}" for note in plan.table_notes), ""]


def _assumptions(plan: Plan) -> list[str]:
    out = ["## Assumptions", ""]
    out += [f"- {note}" for note in plan.traffic_notes]
    from polyfn.plan.prices import load_prices

    out += [f"- {note}" for note in load_prices().notes]
    if plan.scanned_files:
        out.append("- Scanned: " + ", ".join(f"`{f}`" for f in plan.scanned_files))
    out.append("")
    return out
