"""Shared helpers of the deployment tests (deploy/, docker-compose.yml, Dockerfile).

The test modules run under ``--import-mode=importlib``, so they cannot import each
other: the helpers are exposed as fixtures (``deploy``) instead.
"""

from __future__ import annotations

import copy
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml  # PyYAML: the `test` extra of pyproject.toml

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
PROM_DIR = DEPLOY / "prometheus"
AM_DIR = DEPLOY / "alertmanager"
GRAFANA_DIR = DEPLOY / "grafana"
RULE_FILES = (PROM_DIR / "rules" / "recording.yml", PROM_DIR / "rules" / "alerts.yml")
DASHBOARD = GRAFANA_DIR / "dashboards" / "launch-monitoring.json"
RUNBOOK = REPO / "docs" / "runbook.md"
DESIGN = REPO / "docs" / "design.md"


def which(*names: str) -> str | None:
    for n in names:
        p = shutil.which(n)
        if p:
            return p
    return None


def run(cmd: list[str], timeout: float = 60.0) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=REPO)


def load_yaml(path: Path) -> Any:
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def github_anchors(markdown: str) -> set[str]:
    """The anchors GitHub generates for the headings of a Markdown text."""
    anchors: set[str] = set()
    seen: dict[str, int] = {}
    in_code = False
    for line in markdown.splitlines():
        if line.lstrip().startswith("```"):
            in_code = not in_code
            continue
        m = None if in_code else re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if not m:
            continue
        text = re.sub(r"`([^`]*)`", r"\1", m.group(1)).strip().lower()
        slug = re.sub(r"[^\w\- ]", "", text).replace(" ", "-")
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        anchors.add(slug if n == 0 else f"{slug}-{n}")
    return anchors


def design_metrics() -> dict[str, str]:
    """metric name -> type, from the metrics table of docs/design.md."""
    out: dict[str, str] = {}
    for line in DESIGN.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^\|\s*`(mailflow_[a-z0-9_]+)`\s*\|\s*(\w+)\s*\|", line)
        if m:
            out[m.group(1)] = m.group(2)
    return out


_PROMQL_WORDS = {
    # functions and keywords that look like identifiers
    "sum", "min", "max", "avg", "count", "topk", "bottomk", "quantile", "stddev", "stdvar", "group",
    "by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "offset", "bool",
}


def metric_names(expr: str) -> set[str]:
    """Metric names (``mailflow_*``, recorded ``a:b:c``, ``up``, ``ALERTS``) used in a PromQL expression."""
    # drop label matchers and strings, so label values are not mistaken for metrics
    body = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    body = re.sub(r"\{[^}]*\}", "{}", body)
    body = re.sub(r"\[[^\]]*\]", "[]", body)
    body = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", body)
    names = set()
    for tok in re.findall(r"[A-Za-z_:][A-Za-z0-9_:]*", body):
        if tok.startswith("mailflow") or ":" in tok or tok in ("up", "ALERTS"):
            if tok not in _PROMQL_WORDS:
                names.add(tok)
    return names


def known_metric(name: str, recorded: set[str]) -> bool:
    """Is ``name`` exported by the worker (design.md), recorded by our rules, or built in?"""
    if name in recorded or name in ("up", "ALERTS"):
        return True
    exported = design_metrics()
    if name in exported:
        return True
    for suffix in ("_bucket", "_sum", "_count"):
        if name.endswith(suffix) and exported.get(name[: -len(suffix)]) == "histogram":
            return True
    return False


def recorded_names() -> set[str]:
    doc = load_yaml(PROM_DIR / "rules" / "recording.yml")
    return {r["record"] for g in doc["groups"] for r in g["rules"] if "record" in r}


def alert_rules() -> list[dict]:
    doc = load_yaml(PROM_DIR / "rules" / "alerts.yml")
    return [r for g in doc["groups"] for r in g["rules"] if "alert" in r]


def dashboard_exprs(dashboard: dict) -> list[tuple[str, str]]:
    """``(where, expr)`` for every PromQL expression of a Grafana dashboard (panels, nested rows, annotations)."""
    out: list[tuple[str, str]] = []

    def panels(ps):
        for p in ps:
            yield p
            yield from panels(p.get("panels") or [])

    for p in panels(dashboard.get("panels", [])):
        for t in p.get("targets") or []:
            if t.get("expr"):
                out.append((f"panel {p.get('title')!r} target {t.get('refId')}", t["expr"]))
    for a in dashboard.get("annotations", {}).get("list", []):
        if a.get("expr"):
            out.append((f"annotation {a.get('name')!r}", a["expr"]))
    return out


def concrete_expr(expr: str, rate_interval: str = "1m") -> str:
    """A dashboard expression with Grafana's variables replaced by values Prometheus accepts."""
    expr = expr.replace("$__rate_interval", rate_interval).replace("$__interval", rate_interval)
    expr = expr.replace("$__range", "1h")
    expr = re.sub(r"\$\{?sender(?::\w+)?\}?", ".*", expr)
    assert "$" not in expr, f"unhandled Grafana variable in {expr!r}"
    return expr


def alertmanager_test_config(base_url: str, group_wait: str = "1s", group_interval: str = "2s") -> dict:
    """The real alertmanager.yml with every receiver URL pointed at ``base_url/<receiver>/<kind>``
    and the grouping timers shortened; routing and inhibition are left as they are."""
    cfg = copy.deepcopy(load_yaml(AM_DIR / "alertmanager.yml"))
    for rcv in cfg.get("receivers", []):
        for key, value in list(rcv.items()):
            if not key.endswith("_configs"):
                continue
            kind = key[: -len("_configs")]
            for i, c in enumerate(value):
                for url_key in ("url", "api_url"):
                    if url_key in c:
                        c[url_key] = f"{base_url.rstrip('/')}/{rcv['name']}/{kind}/{i}"

    def shorten(route: dict) -> None:
        if "group_wait" in route:
            route["group_wait"] = group_wait
        if "group_interval" in route:
            route["group_interval"] = group_interval
        for r in route.get("routes", []) or []:
            shorten(r)

    shorten(cfg["route"])
    cfg["templates"] = [str((AM_DIR / t).resolve()) if not Path(t).is_absolute() else t for t in cfg.get("templates", [])]
    return cfg


@dataclass
class Deploy:
    repo: Path = REPO
    prom_dir: Path = PROM_DIR
    am_dir: Path = AM_DIR
    grafana_dir: Path = GRAFANA_DIR
    rule_files: tuple = RULE_FILES
    dashboard: Path = DASHBOARD
    runbook: Path = RUNBOOK
    which: Callable = staticmethod(which)
    run: Callable = staticmethod(run)
    load_yaml: Callable = staticmethod(load_yaml)
    github_anchors: Callable = staticmethod(github_anchors)
    design_metrics: Callable = staticmethod(design_metrics)
    metric_names: Callable = staticmethod(metric_names)
    known_metric: Callable = staticmethod(known_metric)
    recorded_names: Callable = staticmethod(recorded_names)
    alert_rules: Callable = staticmethod(alert_rules)
    dashboard_exprs: Callable = staticmethod(dashboard_exprs)
    concrete_expr: Callable = staticmethod(concrete_expr)
    alertmanager_test_config: Callable = staticmethod(alertmanager_test_config)


@pytest.fixture(scope="session")
def deploy() -> Deploy:
    return Deploy()


@pytest.fixture(scope="session")
def promtool() -> str:
    p = which("promtool")
    if not p:
        pytest.skip("promtool is not installed (run `make servers` or scripts/install-servers.sh)")
    return p


@pytest.fixture(scope="session")
def amtool() -> str:
    p = which("amtool")
    if not p:
        pytest.skip("amtool is not installed (run `make servers` or scripts/install-servers.sh)")
    return p
