"""Per-instance concurrency (``concurrency=``) in each cloud's artifact: Cloud Run's
``--concurrency`` with the vCPU it requires and the threads Python needs, Azure's one
per-app HTTP figure (Flex's perInstanceConcurrency, host.json elsewhere), and a warning
where a platform cannot honour it."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from deploy.arm_check import ArmTemplate
from deploy.conftest import Builder
from deploy.gcloud_check import check_script
from polyfn import App
from polyfn.core.errors import ConfigError
from polyfn.deploy.gcp_script import gcp_cpu

SAMPLE = Path(__file__).resolve().parent / "concurrency_sample"
NO_DEPS = {"install_dependencies": False}


def _deploy_command(script: str, name: str) -> str:
    match = re.search(rf"^gcloud functions deploy {name} .*?(?<!\\)\n", script, re.M | re.S)
    assert match, f"no deploy command for {name}"
    return match.group(0)


def test_gcloud_gets_concurrency_the_vcpu_it_needs_and_as_many_threads(built: Builder) -> None:
    out = built(SAMPLE, "gcp", **NO_DEPS).out
    script = (out / "deploy.sh").read_text()
    fast = _deploy_command(script, "busy-dev-fast")
    assert "--concurrency 16 --cpu 1" in fast  # 512 MB gets 0.333 vCPU by default
    assert "THREADS=16" in fast
    big = _deploy_command(script, "busy-dev-big")
    assert "--concurrency 40 --cpu 2" in big  # 4 GiB already has 2 vCPU
    work = _deploy_command(script, "busy-dev-work")
    assert "--concurrency 4 --cpu 1" in work
    single = _deploy_command(script, "busy-dev-single")
    assert "--concurrency" not in single and "--cpu" not in single and "THREADS" not in single
    subprocess.run(["bash", "-n", str(out / "deploy.sh")], check=True)
    assert check_script(out / "deploy.sh") > 10


@pytest.mark.parametrize(
    ("memory", "concurrency", "cpu"),
    # Google's memory table: 128 MiB .083, 1 GiB .583, 2 GiB 1, 8 GiB 2, 32 GiB 8 vCPU.
    [(128, 2, "1"), (1024, 8, "1"), (2048, 8, "1"), (8192, 80, "2"), (32768, 2, "8"),
     (512, 1, None)],
)  # fmt: skip
def test_the_vcpu_for_a_concurrency_is_at_least_one_and_never_below_the_default(
    memory: int, concurrency: int, cpu: str | None
) -> None:
    assert gcp_cpu(memory, concurrency) == cpu


def test_flex_takes_the_smallest_http_concurrency_and_warns_of_the_rest(built: Builder) -> None:
    result = built(SAMPLE, "azure", **NO_DEPS)
    main = ArmTemplate(json.loads((result.out / "infra" / "main.json").read_text()))
    main.check()
    site = main.resource("Microsoft.Web/sites")[0]
    scale = site["properties"]["functionAppConfig"]["scaleAndConcurrency"]
    assert scale["triggers"] == {"http": {"perInstanceConcurrency": 16}}
    assert scale["instanceMemoryMB"] == 4096  # the largest function decides, per app
    host = json.loads((result.out / "host.json").read_text())
    assert "maxConcurrentRequests" not in host["extensions"]["http"]
    warnings = " | ".join(w.message for w in result.warnings)
    assert "ask for [16, 40], so all get the smallest, 16" in warnings
    # The queue consumer's concurrency=4 is Azure's batchSize + newBatchThreshold: its
    # batch of 10 comes down to 4 with no early refill, so 4 messages at once per instance.
    assert host["extensions"]["queues"]["batchSize"] == 4
    assert host["extensions"]["queues"]["newBatchThreshold"] == 0
    assert "concurrency is ignored" not in warnings


def test_queue_concurrency_is_one_per_app_and_can_exceed_the_batch() -> None:
    from polyfn.deploy.azure_project import host_json
    from polyfn.deploy.limits import check_app
    from polyfn.deploy.model import build_model

    app = App("queues")
    jobs, mail, logs = app.queue("jobs"), app.queue("mail"), app.queue("logs")

    @app.on_message(jobs, batch_size=16, concurrency=40)
    def work(msg: object) -> None:
        return None

    @app.on_message(mail, concurrency=64)
    def send(msg: object) -> None:
        return None

    @app.on_message(logs)
    def keep(msg: object) -> None:
        return None

    @app.schedule("rate(5 minutes)", concurrency=2)
    def tick() -> None:
        return None

    queues = host_json(build_model(app), "flex")["extensions"]["queues"]
    # The smallest asked, 40: a batch of 16 (the largest batch_size) refilled when 24
    # are left, so 16 + 24 messages at once for each queue function per instance.
    assert (queues["batchSize"], queues["newBatchThreshold"]) == (16, 24)
    warnings = [f.message for f in check_app(app, "azure", plan="flex") if f.level == "warn"]
    assert any("asked [40, 64], so every queue function of the app gets 40" in w for w in warnings)
    # A timer has no per-instance concurrency setting on Azure: said, not dropped.
    assert any("this trigger's is the host's own, so concurrency is ignored" in w for w in warnings)


def test_consumption_writes_the_http_concurrency_into_host_json(built: Builder) -> None:
    result = built(SAMPLE, "azure", plan="premium", **NO_DEPS)
    host = json.loads((result.out / "host.json").read_text())
    assert host["extensions"]["http"]["maxConcurrentRequests"] == 16
    main = json.loads((result.out / "infra" / "main.json").read_text())
    assert "functionAppConfig" not in json.dumps(main)


def test_lambda_says_it_ignores_concurrency(built: Builder) -> None:
    result = built(SAMPLE, "aws", **NO_DEPS)
    ignored = [
        w for w in result.warnings if "one invocation per execution environment" in w.message
    ]
    assert {w.function for w in ignored} == {"fast", "big", "work"}


@pytest.mark.parametrize("bad", [0, 1001, -1, 2.5, "8"])
def test_a_concurrency_no_platform_takes_is_refused_when_declared(bad: object) -> None:
    app = App("bad")
    with pytest.raises(ConfigError, match="concurrency must be a whole number 1-1000"):
        app.get("/x", concurrency=bad)  # type: ignore[arg-type]


def test_queue_retry_delay_is_one_per_app_the_largest_with_a_warning() -> None:
    from polyfn.deploy.azure_project import host_json
    from polyfn.deploy.limits import check_app
    from polyfn.deploy.model import build_model

    app = App("delays")
    quick = app.queue("quick", visibility_timeout=10)
    patient = app.queue("patient", visibility_timeout=300)

    @app.on_message(quick)
    def fast(msg: object) -> None:
        return None

    @app.on_message(patient)
    def slow(msg: object) -> None:
        return None

    # Azure retries a failed message after host.json's one delay: the largest, so the
    # patient queue's messages do not use up their receives in quick succession.
    assert host_json(build_model(app), "flex")["extensions"]["queues"]["visibilityTimeout"] == (
        "00:05:00"
    )
    warnings = [f.message for f in check_app(app, "azure", plan="flex") if f.level == "warn"]
    assert any(
        "waits the largest visibility_timeout, 300 s, before a retry: patient 300 s, quick 10 s"
        in w
        for w in warnings
    )
    same = App("same")
    one, two = same.queue("one", visibility_timeout=20), same.queue("two", visibility_timeout=20)
    same.on_message(one)(fast)
    same.on_message(two)(slow)
    assert host_json(build_model(same), "flex")["extensions"]["queues"]["visibilityTimeout"] == (
        "00:00:20"
    )
    assert not any(f.limit == "visibility" for f in check_app(same, "azure", plan="flex"))
