"""The HTML report as a browser would take it: a balanced document, styled status cells, and
a cost chart that actually paints its bars.

The chart is rasterised by resvg (``resvg-py``, a pip wheel with the renderer inside), so
the test runs wherever ``make test`` does; no browser has to be installed.
"""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser
from pathlib import Path

import resvg_py
from PIL import Image

from polyfn.loading import load_app
from polyfn.plan.planner import PlanInputs, build_plan
from polyfn.plan.report_html import render_html
from polyfn.plan.traffic import load_traffic

SHOP = Path(__file__).resolve().parents[2] / "examples" / "shop"
# Elements HTML never closes; every other one must be closed, in order.
VOID = {"br", "col", "hr", "img", "input", "link", "meta", "source", "wbr"}
SVG_VOID = {"line", "rect"}  # written self-closing in the chart


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.errors: list[str] = []
        self.status_classes: set[str] = set()
        self.style = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "span":
            self.status_classes.update((dict(attrs).get("class") or "").split())
        if tag not in VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in VOID | SVG_VOID:
            self.errors.append(f"<{tag}/> is not an element that may close itself")

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.open[-1:] or 'nothing'}")
            return
        self.open.pop()

    def handle_data(self, data: str) -> None:
        if self.open and self.open[-1] == "style":
            self.style += data


def _page() -> str:
    plan = build_plan(
        PlanInputs(
            load_app(str(SHOP)), ("aws", "azure", "gcp"), load_traffic(SHOP / "traffic.yaml")
        )
    )
    return render_html(plan)


def test_report_is_a_balanced_document_whose_status_cells_are_styled() -> None:
    page = _Page()
    page.feed(_page())
    page.close()
    assert page.errors == [] and page.open == []
    statuses = page.status_classes & {"portable", "needs", "blocked"}
    assert "portable" in statuses  # the shop example has portable functions
    for name in statuses:  # a status cell is coloured by the page's own stylesheet
        assert re.search(rf"\.{name}\{{[^}}]*background:#", page.style), name


def test_cost_chart_paints_each_bar_at_its_height() -> None:
    html = _page()
    svg = html[html.index("<svg") : html.index("</svg>") + len("</svg>")]
    png = resvg_py.svg_to_bytes(svg_string=svg, background="#ffffff")
    with Image.open(io.BytesIO(bytes(png))) as image:
        pixels = image.convert("RGB")
    assert pixels.size == (640, 300)
    bars = [
        (float(x), float(y), float(w), float(h), color)
        for x, y, w, h, color in re.findall(
            r'<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)" '
            r'fill="#([0-9a-f]{6})"><title>',
            svg,
        )
    ]
    assert len(bars) == 6  # two per cloud
    for x, y, width, height, color in bars:
        rgb = tuple(int(color[i : i + 2], 16) for i in (0, 2, 4))
        column = round(x + width / 2)
        painted = [row for row in range(300) if pixels.getpixel((column, row)) == rgb]
        if height < 1:
            continue  # a zero bar paints nothing
        # The bar covers its rectangle, give or take the antialiased edge rows.
        assert painted, f"bar #{color} at x={x} is not painted"
        assert abs(min(painted) - y) <= 1.5 and abs(max(painted) + 1 - (y + height)) <= 1.5
