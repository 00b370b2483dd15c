"""``polyfn plan`` end to end: the command, its three formats, and its errors."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from polyfn.cli import main

ROOT = Path(__file__).resolve().parents[2]
SHOP = ROOT / "examples" / "shop"
TRAFFIC = SHOP / "traffic.yaml"
SERVERLESS = Path(__file__).parent / "fixtures" / "serverless" / "serverless.yml"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["plan", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_markdown_summary_comes_first(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, str(SHOP), "--traffic", str(TRAFFIC))
    assert code == 0
    sections = re.findall(r"^## (.+)$", out, flags=re.M)
    assert sections[0] == "Summary"
    assert {"Lock-in findings", "Trigger map", "Limits", "Cost detail", "Sources"} <= set(sections)
    assert "| `get_user` | GET /users/{id} | portable | portable | portable |" in out
    # send_email asks for 3 receives; Pub/Sub dead-letters after at least 5.
    assert re.search(r"`send_email` on Google Cloud \(needs changes\)", out)
    # The verdict per cloud, counted, before any detail; then the totals.
    summary = out.split("## Summary", 1)[1].split("\n## ", 1)[0]
    assert (
        "| **all** | 15 functions, app code | 16 portable | 15 portable, 1 needs changes "
        "| 14 portable, 2 needs changes |" in summary
    )
    assert re.search(r"\| AWS \| AWS Lambda \| \$[\d.,]+ \| \$[\d.,]+ \|", summary)
    # The prices still unconfirmed behind those totals are counted and named up front.
    fact = re.search(r"- Prices: (\d+) figure\(s\) these bills use are marked unconfirmed", summary)
    assert fact, summary
    named = re.findall(r"`([a-z_0-9.\[\]]+)`", summary.split("- Prices:", 1)[1])
    assert len(named) == int(fact.group(1)) > 0
    assert "azure.flex.executions_per_million" in named
    assert "resources.aws.s3_write_per_1000" not in named  # confirmed 2026-12-05


def test_json_schema(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, str(SHOP), "--traffic", str(TRAFFIC), "--format", "json")
    assert code == 0
    report = json.loads(out)
    assert report["schema_version"] == 1 and report["kind"] == "polyfn-plan"
    for key in ("functions", "statuses", "lockin", "triggers", "limits", "costs", "concurrency"):
        assert isinstance(report[key], list), key
    costs = {c["cloud"]: c for c in report["costs"]}
    assert set(costs) == {"aws", "azure", "gcp"}
    aws = costs["aws"]
    assert aws["total"] == pytest.approx(sum(f["total"] for f in aws["functions"]))
    assert aws["total_with_free_tier"] <= aws["total"]
    gcp_thumbnail = next(f for f in costs["gcp"]["functions"] if f["function"] == "thumbnail")
    assert gcp_thumbnail["invocations"] == pytest.approx(500_000)  # filtered in the function
    statuses = {(s["function"], s["cloud"]): s["status"] for s in report["statuses"]}
    assert statuses[("send_email", "gcp")] == "needs changes"
    # One sorted list of every unconfirmed figure any bill uses, each bill's own included.
    unconfirmed = report["unconfirmed_prices"]
    assert unconfirmed == sorted(set(unconfirmed))
    assert set(costs["azure"]["unconfirmed_prices"]) <= set(unconfirmed)
    assert all(set(c["unconfirmed_prices"]) <= set(unconfirmed) for c in report["containers"])


def test_targets_and_output_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out_file = tmp_path / "plan.json"
    code, out, _ = run(capsys, str(SHOP), "--to", "gcp", "--format", "json", "--out", str(out_file))
    assert code == 0 and out == ""
    report = json.loads(out_file.read_text())
    assert report["clouds"] == ["gcp"]
    assert {c["cloud"] for c in report["costs"]} == {"gcp"}


def test_html_is_self_contained(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, str(SHOP), "--traffic", str(TRAFFIC), "--format", "html")
    assert code == 0
    assert out.startswith("<!DOCTYPE html>") and "<svg" in out and "</svg>" in out
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", out)  # nothing fetched
    assert "<script" not in out
    assert out.count("<rect") >= 6  # two bars per cloud, plus the legend
    # The summary names the unconfirmed prices behind the totals, as the Markdown does.
    summary = out.split("<h2>Summary</h2>", 1)[1].split("<h2>", 1)[0]
    assert re.search(r"<p>Prices: \d+ figure\(s\) these bills use are marked unconfirmed", summary)
    assert "<code>azure.flex.executions_per_million</code>" in summary


def test_memory_sweep_and_scaffold(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    sweep = tmp_path / "sweep.csv"
    sweep.write_text("function,memory_mb,duration_ms\nthumbnail,1024,2000\nthumbnail,2048,900\n")
    code, out, err = run(
        capsys,
        "--from",
        str(SERVERLESS),
        "--memory-sweep",
        str(sweep),
        "--scaffold",
        str(tmp_path / "app"),
    )
    assert code == 0
    assert "## Memory sweep" in out and "| `thumbnail` | AWS | 2048 MB |" in out
    assert (tmp_path / "app" / "app.py").is_file() and "wrote" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "give either APP"),
        (("examples/shop", "--from", "x.yml"), "give either APP"),
        (("examples/shop", "--scaffold", "d"), "--scaffold needs --from"),
        (("examples/shop", "--to", "aws,oracle"), "--to takes"),
        (("no/such/app.py",), "no such file"),
    ],
)
def test_usage_errors(
    capsys: pytest.CaptureFixture[str], args: tuple[str, ...], message: str
) -> None:
    code, out, err = run(capsys, *args)
    assert code == 2 and out == ""
    assert message in err and "Traceback" not in err


def test_bad_inputs_are_one_line_errors(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    traffic = tmp_path / "t.yaml"
    traffic.write_text("functions:\n  get_usr: {invocations: 10}\n")
    code, _, err = run(capsys, str(SHOP), "--traffic", str(traffic))
    assert code == 2 and "no function named get_usr" in err
    traffic.write_text("defaults: {architecture: sparc}\n")
    code, _, err = run(capsys, str(SHOP), "--traffic", str(traffic))
    assert code == 2 and "x86_64 or arm64" in err
    sweep = tmp_path / "s.csv"
    sweep.write_text("function,memory,duration\n")
    code, _, err = run(capsys, str(SHOP), "--memory-sweep", str(sweep))
    assert code == 2 and "header" in err
    broken = tmp_path / "serverless.yml"
    broken.write_text("service: x\nfunctions: [\n")
    code, _, err = run(capsys, "--from", str(broken))
    assert code == 2 and "not valid YAML" in err and "Traceback" not in err
