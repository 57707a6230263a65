"""docker-compose.yml and Dockerfile, validated without a Docker engine."""

from __future__ import annotations

import importlib
import re
import shlex
from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def compose(deploy):
    return deploy.load_yaml(deploy.repo / "docker-compose.yml")


def _workers(compose):
    return {name: s for name, s in compose["services"].items() if name.startswith("worker")}


def test_services(compose):
    services = compose["services"]
    for name in ("kafka", "topics", "prometheus", "alertmanager", "grafana", "simulator"):
        assert name in services, name
    assert len(_workers(compose)) >= 2, "at least two worker replicas"
    assert services["kafka"]["image"].startswith("apache/kafka")
    env = services["kafka"]["environment"]
    assert "controller" in env["KAFKA_PROCESS_ROLES"], "Kafka runs in KRaft mode"
    assert services["simulator"].get("profiles") == ["demo"]


def test_mounted_and_referenced_files_exist(deploy, compose):
    for name, s in compose["services"].items():
        for v in s.get("volumes", []) or []:
            src = v.split(":", 1)[0]
            if src.startswith((".", "/")):
                assert (deploy.repo / src).exists(), f"{name}: mounted {src} does not exist"
        build = s.get("build")
        if build:
            ctx = build if isinstance(build, str) else build.get("context", ".")
            dockerfile = "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
            assert (deploy.repo / ctx / dockerfile).is_file(), f"{name}: no {dockerfile}"


def _mount_target(service, host_dir):
    for v in service.get("volumes", []):
        parts = v.split(":")
        if Path(parts[0]) == Path(host_dir):
            return parts[1]
    raise AssertionError(f"{host_dir} is not mounted")


def test_config_paths_agree_with_mounts(deploy, compose):
    s = compose["services"]
    prom_target = _mount_target(s["prometheus"], "./deploy/prometheus")
    assert f"--config.file={prom_target}/prometheus.yml" in s["prometheus"]["command"]
    am_target = _mount_target(s["alertmanager"], "./deploy/alertmanager")
    assert f"--config.file={am_target}/alertmanager.yml" in s["alertmanager"]["command"]
    graf_target = _mount_target(s["grafana"], "./deploy/grafana")
    provider = deploy.load_yaml(deploy.grafana_dir / "dashboards" / "dashboards.yml")["providers"][0]
    assert provider["options"]["path"] == f"{graf_target}/dashboards"
    home = s["grafana"]["environment"].get("GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH")
    if home:
        assert home == f"{graf_target}/dashboards/{deploy.dashboard.name}"
    # rule files referenced by prometheus.yml, relative to it, exist
    prom = deploy.load_yaml(deploy.prom_dir / "prometheus.yml")
    for rf in prom["rule_files"]:
        assert list(deploy.prom_dir.glob(rf)), f"prometheus.yml: no rule file {rf}"


def _flag(cmd, name):
    cmd = shlex.split(cmd) if isinstance(cmd, str) else list(cmd)
    for i, a in enumerate(cmd):
        if a == name:
            return cmd[i + 1]
        if a.startswith(name + "="):
            return a.split("=", 1)[1]
    return None


def test_prometheus_targets_match_workers(deploy, compose):
    prom = deploy.load_yaml(deploy.prom_dir / "prometheus.yml")
    (job,) = [j for j in prom["scrape_configs"] if j["job_name"] == "mailflow-worker"]
    targets = {t for sc in job["static_configs"] for t in sc["targets"]}
    expected = set()
    for name, s in _workers(compose).items():
        port = _flag(s["command"], "--metrics-port") or s.get("environment", {}).get("MAILFLOW_METRICS_PORT")
        assert port, f"{name}: no metrics port"
        expose = {str(p).split("/")[0] for p in s.get("expose", [])}
        assert str(port) in expose, f"{name}: metrics port {port} not exposed"
        expected.add(f"{s.get('hostname', name)}:{port}")
    assert targets == expected


def test_alertmanager_url_matches_service(deploy, compose):
    prom = deploy.load_yaml(deploy.prom_dir / "prometheus.yml")
    targets = [t for am in prom["alerting"]["alertmanagers"] for sc in am["static_configs"] for t in sc["targets"]]
    assert targets == ["alertmanager:9093"]
    ports = [str(p) for p in compose["services"]["alertmanager"].get("ports", [])]
    assert any(p.endswith(":9093") for p in ports)
    assert "prometheus:9090" in deploy.load_yaml(deploy.grafana_dir / "datasources" / "prometheus.yml")["datasources"][0]["url"]


def test_workers_and_topics_agree(compose):
    topics_cmd = "\n".join(compose["services"]["topics"]["command"])
    created = dict(re.findall(r"(mail\.[a-z.]+):(\d+)", topics_cmd))
    assert set(created) == {"mail.outbound", "mail.alerts", "mail.outbound.dlq"}
    for name, s in _workers(compose).items():
        assert _flag(s["command"], "--broker") == "kafka://kafka:9092", name
        env = s.get("environment", {})
        assert str(env.get("MAILFLOW_PARTITIONS")) == created["mail.outbound"], f"{name}: partitions differ from the topic"
        assert all(k.startswith("MAILFLOW_") for k in env), name
        assert s["depends_on"]["topics"]["condition"] == "service_completed_successfully"
    sim = compose["services"]["simulator"]["command"]
    sim = " ".join(sim) if isinstance(sim, list) else sim
    assert "mailflow simulate" in sim and "mailflow produce" in sim and "kafka://kafka:9092" in sim


def test_worker_env_names_are_settings(compose):
    settings = pytest.importorskip("streams.settings")
    known = {settings.env_name(n) for n in settings._SPECS}
    for name, s in _workers(compose).items():
        unknown = set(s.get("environment", {})) - known
        assert not unknown, f"{name}: unknown settings {unknown}"


def test_dockerfile(deploy):
    text = (deploy.repo / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.11-slim\b", text, re.M)
    for m in re.finditer(r"^COPY\s+(?!--from)(.+)$", text, re.M):
        *sources, _dest = m.group(1).split()
        for src in sources:
            assert (deploy.repo / src).exists(), f"Dockerfile copies {src}, which does not exist"
    entry = re.search(r"^ENTRYPOINT\s+(\[.*\])", text, re.M)
    cmd = re.search(r"^CMD\s+(\[.*\])", text, re.M)
    import json
    assert json.loads(entry.group(1)) == ["mailflow"]
    # the console script exists and the default command is one of its sub-commands
    pyproject = (deploy.repo / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(r'^mailflow\s*=\s*"streams\.cli:main"', pyproject, re.M)
    cli = importlib.import_module("streams.cli")
    assert json.loads(cmd.group(1))[0] in cli.COMMANDS
    # the commands docker-compose runs are sub-commands too
    compose = deploy.load_yaml(deploy.repo / "docker-compose.yml")
    for name, s in compose["services"].items():
        if s.get("build") and isinstance(s.get("command"), list) and not s.get("entrypoint"):
            assert s["command"][0] in cli.COMMANDS, name
    sim = " ".join(compose["services"]["simulator"]["command"])
    for sub in re.findall(r"\bmailflow\s+([a-z-]+)", sim):
        assert sub in cli.COMMANDS, sub
        importlib.util.find_spec(cli.COMMANDS[sub][0]) or pytest.fail(f"module of `mailflow {sub}` missing")


def test_dockerignore_keeps_what_the_build_needs(deploy):
    ignored = {l.strip() for l in (deploy.repo / ".dockerignore").read_text().splitlines() if l.strip() and not l.startswith("#")}
    for needed in ("pyproject.toml", "README.md", "detectors", "streams"):
        assert needed not in ignored
    assert ".venv" in ignored and ".git" in ignored
