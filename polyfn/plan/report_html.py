"""The HTML report: one self-contained file, inline CSS and an inline SVG cost chart.

No script, no font, no image is fetched: the page renders the same offline, attached to
an email or opened from a CI artifact. Every value is escaped.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape

from polyfn.plan.model import CLOUD_LABELS, CloudCost, Plan
from polyfn.plan.report_md import (
    WORKFLOW_COST_HEADER,
    WORKFLOW_COST_NOTE,
    money,
    workflow_cost_rows,
)

__all__ = ["component_chart_svg", "component_costs", "cost_chart_svg", "render_html"]

_CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;
max-width:1100px;padding:0 1rem;color:#1d232a;background:#fff}
h1{font-size:1.7rem;margin-bottom:.2rem}h2{margin-top:2.2rem;border-bottom:2px solid #e3e7ec;
padding-bottom:.2rem}h3{margin-top:1.4rem}
table{border-collapse:collapse;width:100%;margin:.6rem 0;font-size:.9rem}
th,td{border:1px solid #d9dee4;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f5f8}td.num{text-align:right;white-space:nowrap}
.portable{background:#e6f6ea;color:#145a28}.needs{background:#fff4d6;color:#7a5200}
.blocked{background:#fde4e4;color:#8a1111;font-weight:600}
.muted{color:#5b6570;font-size:.85rem}.tag{display:inline-block;padding:0 .35rem;border-radius:3px;
font-size:.8rem;background:#eef1f5}.tag.change{background:#fff4d6}.tag.blocked{background:#fde4e4}
code{background:#f3f5f8;padding:0 .2rem;border-radius:3px}
"""
_STATUS_CLASS = {
    "portable": "portable",
    "needs changes": "needs",
    "blocked": "blocked",
    "needs a decision": "blocked",
}
_BAR_COLORS = ("#2f6fb3", "#9cc3ea")
_COMPONENT_COLORS = {
    "compute": "#2f6fb3",
    "requests": "#9cc3ea",
    "API Gateway": "#e08a2c",
    "logs": "#6aa84f",
    "warm instances": "#8e63b5",
    "queues and storage": "#c9b037",
}


def component_costs(cost: CloudCost) -> dict[str, float]:
    """One cloud's monthly bill (without free tier) by component; they add up to total."""
    lines = cost.functions
    return {
        "compute": sum(line.compute_cost for line in lines),
        "requests": sum(line.request_cost for line in lines),
        "API Gateway": sum(line.gateway_cost for line in lines),
        "logs": sum(line.logs_cost for line in lines),
        "warm instances": sum(line.baseline_cost for line in lines),
        "queues and storage": sum(line.resource_cost for line in lines),
    }


def component_chart_svg(costs: Sequence[CloudCost]) -> str:
    """A stacked bar per cloud: what the bill (without free tier) is made of."""
    width, height, left, bottom, top = 640, 320, 70, 70, 30
    plot_w, plot_h = width - left - 20, height - bottom - top
    peak = max([c.total for c in costs] + [0.01])
    group = plot_w / max(len(costs), 1)
    bar = min(80.0, group / 2)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="Monthly cost per cloud '
        'and component">',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 20}" y2="{top + plot_h}" '
        'stroke="#888"/>',
    ]
    for index, cost in enumerate(costs):
        x = left + group * index + (group - bar) / 2
        base = float(top + plot_h)
        for name, value in component_costs(cost).items():
            h = plot_h * value / peak
            base -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{base:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="{_COMPONENT_COLORS[name]}"><title>{escape(CLOUD_LABELS[cost.cloud])} '
                f"{escape(name)}: {escape(money(value))}</title></rect>"
            )
        parts.append(
            f'<text x="{x + bar / 2:.1f}" y="{base - 4:.1f}" font-size="11" '
            f'text-anchor="middle" fill="#333">{escape(money(cost.total))}</text>'
        )
        parts.append(
            f'<text x="{x + bar / 2:.1f}" y="{top + plot_h + 18}" font-size="13" '
            f'text-anchor="middle" fill="#222">{escape(CLOUD_LABELS[cost.cloud])}</text>'
        )
    for offset, (name, color) in enumerate(_COMPONENT_COLORS.items()):
        # Two rows of three keys, inside the 640-pixel width.
        x, y = left + offset % 3 * 170, height - 38 + offset // 3 * 18
        parts.append(f'<rect x="{x}" y="{y}" width="12" height="12" fill="{color}"/>')
        parts.append(f'<text x="{x + 18}" y="{y + 10}" font-size="12" fill="#333">{name}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _table(
    header: Sequence[str], rows: Iterable[Sequence[str]], numeric: set[int] | None = None
) -> str:
    numeric = numeric or set()
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="num">{cell}</td>' if i in numeric else f"<td>{cell}</td>"
            for i, cell in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def cost_chart_svg(costs: Sequence[CloudCost]) -> str:
    """Grouped bars per cloud: with the free tier and without, on one scale."""
    width, height, left, bottom, top = 640, 300, 70, 50, 30
    plot_w, plot_h = width - left - 20, height - bottom - top
    peak = max([c.total for c in costs] + [c.total_with_free_tier for c in costs] + [0.01])
    group = plot_w / max(len(costs), 1)
    bar = min(60.0, group / 3)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="Monthly cost per cloud">',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 20}" y2="{top + plot_h}" '
        'stroke="#888"/>',
    ]
    for step in range(5):
        value = peak * step / 4
        y = top + plot_h - plot_h * step / 4
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - 20}" y2="{y:.1f}" stroke="#eee"/>'
        )
        parts.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end" '
            f'fill="#555">{escape(money(value))}</text>'
        )
    for index, cost in enumerate(costs):
        x0 = left + group * index + (group - 2 * bar) / 2
        for offset, (value, color, label) in enumerate(
            (
                (cost.total_with_free_tier, _BAR_COLORS[0], "with free tier"),
                (cost.total, _BAR_COLORS[1], "without free tier"),
            )
        ):
            h = plot_h * value / peak
            x = x0 + offset * bar
            y = top + plot_h - h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar - 4:.1f}" height="{h:.1f}" '
                f'fill="{color}"><title>{escape(CLOUD_LABELS[cost.cloud])} {label}: '
                f"{escape(money(value))}</title></rect>"
            )
            parts.append(
                f'<text x="{x + (bar - 4) / 2:.1f}" y="{y - 4:.1f}" font-size="11" '
                f'text-anchor="middle" fill="#333">{escape(money(value))}</text>'
            )
        parts.append(
            f'<text x="{x0 + bar:.1f}" y="{top + plot_h + 18}" font-size="13" '
            f'text-anchor="middle" fill="#222">{escape(CLOUD_LABELS[cost.cloud])}</text>'
        )
    legend_y = height - 12
    for offset, (color, label) in enumerate(
        zip(_BAR_COLORS, ("with free tier", "without free tier"), strict=True)
    ):
        x = left + offset * 160
        parts.append(f'<rect x="{x}" y="{legend_y - 10}" width="12" height="12" fill="{color}"/>')
        parts.append(f'<text x="{x + 18}" y="{legend_y}" font-size="12" fill="#333">{label}</text>')
    parts.append("</svg>")
    return "".join(parts)


def render_html(plan: Plan) -> str:
    labels = [CLOUD_LABELS.get(c, c) for c in plan.clouds]
    body: list[str] = [
        f"<h1>polyfn plan: {escape(plan.app)}</h1>",
        f'<p class="muted">Generated {escape(plan.generated)} from the {escape(plan.source)}, '
        f"for {escape(', '.join(labels))}. Prices: prices.json version "
        f"{escape(plan.prices_version)}.</p>",
        "<h2>Summary</h2>",
    ]
    triggers = {f.name: f.trigger for f in plan.functions}
    triggers.update((u.function, f"none polyfn can express ({u.origin})") for u in plan.undecided)
    rows = []
    for name in dict.fromkeys(s.function for s in plan.statuses):
        row = [
            f"<code>{escape(name)}</code>",
            escape(triggers.get(name, "code outside any function")),
        ]
        for cloud in plan.clouds:
            status = plan.status_of(name, cloud)
            if status is None:
                row.append("")
                continue
            title = escape("; ".join(status.reasons))
            row.append(
                f'<span class="{_STATUS_CLASS[status.status]}" title="{title}">'
                f"{escape(status.status)}</span>"
            )
        rows.append(row)
    body.append(_table(["Function", "Trigger", *labels], rows))
    if plan.costs:
        body.append("<h3>Monthly cost per cloud, every component</h3>")
        body.append(cost_chart_svg(plan.costs))
        body.append("<h3>What each cloud's bill is made of (without free tier)</h3>")
        body.append(component_chart_svg(plan.costs))
        body.append(
            _table(
                ["Cloud", "Plan", "With free tier", "Without free tier"],
                [
                    [
                        escape(CLOUD_LABELS[c.cloud]),
                        escape(c.label),
                        money(c.total_with_free_tier),
                        money(c.total),
                    ]
                    for c in plan.costs
                ],
                {2, 3},
            )
        )
        unconfirmed = plan.unconfirmed_prices()
        if unconfirmed:
            body.append(
                f"<p>Prices: {len(unconfirmed)} figure(s) these bills use are marked "
                "unconfirmed in prices.json: "
                + ", ".join(f"<code>{escape(p)}</code>" for p in unconfirmed)
                + "</p>"
            )
    pending = [s for s in plan.statuses if s.status != "portable"]
    if pending:
        body.append("<h2>What blocks a move or needs changing</h2><ul>")
        for status in pending:
            reasons = "".join(f"<li>{escape(r)}</li>" for r in status.reasons)
            body.append(
                f"<li><code>{escape(status.function)}</code> on "
                f"{escape(CLOUD_LABELS.get(status.cloud, status.cloud))} "
                f'(<span class="{_STATUS_CLASS[status.status]}">{escape(status.status)}'
                f"</span>)<ul>{reasons}</ul></li>"
            )
        body.append("</ul>")
    body.append("<h2>Lock-in findings</h2>")
    if plan.lockin:
        body.append(
            _table(
                ["Where", "Ties to", "Severity", "Found", "Replace with", "Reached from"],
                [
                    [
                        escape(f"{f.file}:{f.line}"),
                        escape(f"{CLOUD_LABELS.get(f.cloud, 'any cloud')} {f.service}"),
                        escape(f.severity),
                        escape(f.what),
                        escape(f.replacement),
                        escape(", ".join(f.functions) or "module level"),
                    ]
                    for f in plan.lockin
                ],
            )
        )
    else:
        body.append("<p>No code tied to one vendor was found in the scanned files.</p>")
    body.append("<h2>Trigger map</h2>")
    for info in plan.functions:
        body.append(f"<h3><code>{escape(info.name)}</code>: {escape(info.trigger)}</h3><ul>")
        for mapping in (m for m in plan.triggers if m.function == info.name):
            notes = "".join(
                f'<li><span class="tag {escape(n.impact)}">{escape(n.impact)}</span> '
                f"{escape(n.topic)}: {escape(n.text)} "
                f'<span class="muted">({escape(n.source)})</span></li>'
                for n in mapping.notes
            )
            body.append(
                f"<li><b>{escape(CLOUD_LABELS.get(mapping.cloud, mapping.cloud))}</b>: "
                f"{escape(mapping.native)}<ul>{notes}</ul></li>"
            )
        body.append("</ul>")
    body.append("<h2>Limits</h2>")
    if plan.limits_note:
        body.append(f"<p>{escape(plan.limits_note)}</p>")
    else:
        body.append(
            _table(
                ["Function", "Cloud", "Result", "Limit", "Detail"],
                [
                    [
                        escape(x.function or "app"),
                        escape(CLOUD_LABELS.get(x.cloud, x.cloud)),
                        escape(x.level),
                        escape(x.limit),
                        escape(x.message),
                    ]
                    for x in plan.limits
                ],
            )
        )
    body.append("<h2>Cost detail</h2>")
    for cost in plan.costs:
        body.append(f"<h3>{escape(cost.label)}</h3>")
        body.append(
            _table(
                [
                    "Function",
                    "Invocations",
                    "Billed ms",
                    "Billed MB",
                    "Warm instances",
                    "Total",
                    "With free tier",
                ],
                [
                    [
                        f"<code>{escape(x.function)}</code>",
                        f"{x.invocations:,.0f}",
                        f"{x.billed_ms:,.0f}",
                        f"{x.billed_memory_mb:,.0f}",
                        escape(money(x.baseline_cost)),  # "<$0.01" is text, not a tag
                        escape(money(x.total)),
                        escape(money(x.total_with_free_tier)),
                    ]
                    for x in cost.functions
                ],
                {1, 2, 3, 4, 5, 6},
            )
        )
        cost_notes = list(cost.notes)
        if cost.unconfirmed_prices:
            cost_notes.append("rests on unconfirmed figures: " + ", ".join(cost.unconfirmed_prices))
        if cost_notes:
            body.append("<ul>" + "".join(f"<li>{escape(n)}</li>" for n in cost_notes) + "</ul>")
    if plan.workflow_costs:
        body.append("<h2>Workflows: monthly cost</h2>")
        rows = [
            [f"<code>{escape(r[0])}</code>", *(escape(cell) for cell in r[1:])]
            for r in workflow_cost_rows(plan)
        ]
        body.append(_table(WORKFLOW_COST_HEADER, rows, {2, 4}))
        body.append(f'<p class="muted">{escape(WORKFLOW_COST_NOTE)}</p>')
    if plan.concurrency:
        body.append("<h2>Concurrency at peak</h2>")
        body.append(
            _table(
                ["Cloud", "Scope", "Peak", "Limit", "Result", "Detail"],
                [
                    [
                        escape(CLOUD_LABELS.get(c.cloud, c.cloud)),
                        escape(c.scope),
                        f"{c.peak_concurrency:,.2f}",
                        f"{c.limit:,.0f}",
                        escape(c.level),
                        escape(c.message),
                    ]
                    for c in plan.concurrency
                ],
                {2, 3},
            )
        )
    if plan.sweep:
        body.append("<h2>Memory sweep</h2>")
        body.append(
            _table(
                ["Function", "Cloud", "Cheapest", "Why"],
                [
                    [
                        escape(c.function),
                        escape(CLOUD_LABELS.get(c.cloud, c.cloud)),
                        escape(f"{c.best_memory_mb} MB" if c.best_memory_mb else "n/a"),
                        escape(c.note),
                    ]
                    for c in plan.sweep
                ],
            )
        )
    if plan.import_notes:
        body.append(f"<h2>Read from the {escape(plan.source)}</h2><ul>")
        body += [
            f'<li><span class="tag {escape(n.impact)}">{escape(n.impact)}</span> '
            f"{escape(n.function + ': ' if n.function else '')}{escape(n.text)}</li>"
            for n in plan.import_notes
        ]
        body.append("</ul>")
    if plan.table_notes:
        body.append("<h2>Tables</h2><ul>")
        body += [f"<li>{escape(note)}</li>" for note in plan.table_notes]
        body.append("</ul>")
    body.append('<h2>Assumptions</h2><ul class="muted">')
    body += [f"<li>{escape(n)}</li>" for n in plan.traffic_notes]
    body.append("</ul>")
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>polyfn plan: {escape(plan.app)}</title><style>{_CSS}</style></head>"
        f"<body>{''.join(body)}</body></html>\n"
    )
