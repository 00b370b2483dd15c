"""``polyfn workflow start|show|list`` on the order workflow."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from polyfn.cli.main import main

TESTS = Path(__file__).resolve().parents[1]


@pytest.fixture
def app_file(tmp_path: Path) -> Path:
    path = tmp_path / "orders_app.py"
    path.write_text(
        "import sys\n"
        f"sys.path.insert(0, {str(TESTS)!r})\n"
        "from workflows.order_workflow import build\n"
        "app = build(retry_interval=0.01)\n"
    )
    return path


def test_start_prints_status_output_and_path(
    app_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = ["--data-dir", str(tmp_path / "data")]
    code = main(["workflow", "start", str(app_file), "order", "--input", '{"orderId": "1"}', *data])
    printed = json.loads(capsys.readouterr().out)
    assert code == 0
    assert printed["status"] == "succeeded"
    assert printed["path"] == [
        "validate_order",
        "check_inventory",
        "charge_payment",
        "fulfill_order",
    ]
    assert printed["output"]["status"] == "fulfilled"

    code = main(
        [
            "workflow",
            "start",
            str(app_file),
            "order",
            "--input",
            '{"no": "id"}',
            "--name",
            "x",
            *data,
        ]
    )
    printed = json.loads(capsys.readouterr().out)
    assert (code, printed["status"], printed["error"]) == (1, "failed", "ValueError")

    assert main(["workflow", "list", str(app_file), *data]) == 0
    listed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert sorted(row["status"] for row in listed) == ["failed", "succeeded"]
    assert {row["workflow"] for row in listed} == {"order"}


def test_bad_input_and_unknown_names_are_usage_errors(
    app_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = ["--data-dir", str(tmp_path / "data")]
    assert main(["workflow", "start", str(app_file), "order", "--input", "{nope", *data]) == 2
    assert "--input is not JSON" in capsys.readouterr().err
    assert main(["workflow", "start", str(app_file), "billing", *data]) == 2
    assert "no workflow 'billing' (its workflows: order)" in capsys.readouterr().err
    args = ["workflow", "start", str(app_file), "order", "--name", "n1", *data]
    assert main([*args, "--input", '{"orderId": "1"}']) == 0
    capsys.readouterr()
    assert main([*args, "--input", '{"orderId": "2"}']) == 2
    assert "different input" in capsys.readouterr().err


def test_show_draws_the_graph_as_text_and_mermaid(
    app_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["workflow", "show", str(app_file), "order"]) == 0
    text = capsys.readouterr().out
    assert "check_inventory: task -> charge_payment; on OutOfStock -> notify_out_of_stock" in text
    assert "validate_order: task -> check_inventory; retry Throttled x3" in text
    assert main(["workflow", "show", str(app_file), "order", "--format", "mermaid"]) == 0
    mermaid = capsys.readouterr().out
    assert mermaid.startswith("flowchart TD\n  start((start)) --> n_validate_order")
    assert "n_check_inventory -->|OutOfStock| n_notify_out_of_stock" in mermaid
    assert "n_fulfill_order --> n_end" in mermaid
