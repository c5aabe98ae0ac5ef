"""The Prometheus service of docker-compose.yml: its configuration and alert rules pass
promtool, every alert names only metrics the API really exposes, and it scrapes the API
nodes with the token the API requires."""
import os
import re
import shutil
import subprocess

import yaml

from tests.conftest import ROOT
from tests.test_metrics import promtool, scrape
from tests.test_live_support import make_app

PROMETHEUS = os.path.join(ROOT, "deploy", "prometheus")


def check(*args):
    result = subprocess.run([promtool(), "check", *args], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_the_rules_and_the_configuration_pass_promtool(tmp_path):
    check("rules", os.path.join(PROMETHEUS, "alerts.yml"))
    for name in ("prometheus.yml", "alerts.yml"):
        shutil.copy(os.path.join(PROMETHEUS, name), tmp_path / name)
    token = tmp_path / "metrics_token"
    token.write_text("t")
    config = (tmp_path / "prometheus.yml").read_text().replace(
        "/run/secrets/metrics_token", str(token))
    (tmp_path / "prometheus.yml").write_text(config)
    check("config", str(tmp_path / "prometheus.yml"))


def test_every_alert_reads_metrics_the_api_exposes(tmp_path):
    app = make_app(tmp_path)
    exposed = {m.split("{")[0].split(" ")[0] for m in scrape(app.test_client()).splitlines()
               if m and not m.startswith("#")}
    exposed |= {name + "_total" for name in exposed}
    app.extensions["store"].close()
    with open(os.path.join(PROMETHEUS, "alerts.yml")) as handle:
        rules = yaml.safe_load(handle)["groups"][0]["rules"]
    assert {"DirectoryServerErrors", "DirectoryLiveBedSyncLag", "DirectoryStaleFacilities",
            "DirectoryIndexOld"} <= {rule["alert"] for rule in rules}
    # Elasticsearch-only figures are absent on the embedded store; they are named in
    # metrics.py all the same.
    with open(os.path.join(ROOT, "directory_service", "metrics.py")) as handle:
        source = handle.read()
    for rule in rules:
        for name in re.findall(r"\b(directory_[a-z_]+)", rule["expr"]):
            assert name in exposed or f'"{name}"' in source, (rule["alert"], name)


def test_compose_runs_prometheus_with_the_token_the_api_requires():
    with open(os.path.join(ROOT, "docker-compose.yml")) as handle:
        compose = yaml.safe_load(handle)
    assert compose["services"]["api"]["environment"]["METRICS_TOKEN"].startswith("${METRICS_TOKEN")
    prometheus = compose["services"]["prometheus"]
    assert "metrics_token" in prometheus["secrets"]
    assert compose["secrets"]["metrics_token"] == {"environment": "METRICS_TOKEN"}
    assert all(port.startswith("127.0.0.1:") for port in prometheus["ports"])
