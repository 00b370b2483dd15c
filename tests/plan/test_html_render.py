"""The HTML report rendered by headless Chromium: a real page with the cost chart drawn.

Chromium is not a Python dependency; this test runs where Debian's ``chromium`` is
installed (``apt-get install -y chromium``) and says so in the skip reason elsewhere.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from polyfn.commands.loading import load_app
from polyfn.plan.planner import PlanInputs, build_plan
from polyfn.plan.report_html import render_html
from polyfn.plan.traffic import load_traffic

SHOP = Path(__file__).resolve().parents[2] / "examples" / "shop"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.slow
@pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (apt-get install -y chromium)"
)
def test_report_renders_with_its_chart(tmp_path: Path) -> None:
    plan = build_plan(
        PlanInputs(
            load_app(str(SHOP)), ("aws", "azure", "gcp"), load_traffic(SHOP / "traffic.yaml")
        )
    )
    page = tmp_path / "plan.html"
    page.write_text(render_html(plan), encoding="utf-8")
    shot = tmp_path / "plan.png"
    assert CHROMIUM is not None
    subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--window-size=1200,1100",
            f"--screenshot={shot}",
            page.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    with Image.open(shot) as image:
        pixels = image.convert("RGB")
        assert pixels.size == (1200, 1100)
        colors = {pixels.getpixel((x, y)) for x in range(0, 1200, 4) for y in range(0, 1100, 4)}
    # The chart's two bar colours (#2f6fb3, #9cc3ea) and the status colours were painted.
    assert (0x2F, 0x6F, 0xB3) in colors and (0x9C, 0xC3, 0xEA) in colors
    assert (0xE6, 0xF6, 0xEA) in colors  # a 'portable' cell
