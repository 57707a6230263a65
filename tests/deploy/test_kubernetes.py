"""deploy/kubernetes/: the plain Kubernetes manifests of the worker, validated offline.

* Core resources (Namespace, ConfigMap, StatefulSet, Service, PodDisruptionBudget): the
  official Kubernetes JSON schemas shipped by ``kubernetes-validate`` (the `test` extra), in
  strict mode (an unknown or misspelled field is an error), for Kubernetes ``K8S_VERSION``
  and the newest version the installed package ships.
* Custom resources (ServiceMonitor, PrometheusRule, ScaledObject) and the Kustomization:
  the small JSON Schemas of ``tests/deploy/schemas/`` (``jsonschema``).
* What a user would notice: the ConfigMap mirrors docker-compose.yml's worker, the probes hit
  the worker's real endpoints, the numbers that must agree do (port, data dir, partitions,
  consumer group, Prometheus job), and prometheusrule.yaml is render_rules.py's output.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "deploy" / "kubernetes"
SCHEMAS = Path(__file__).resolve().parent / "schemas"
RULES = REPO / "deploy" / "prometheus" / "rules"

#: The Kubernetes version the core manifests are validated against (the oldest one the
#: manifests are meant for; every field used here is GA there). The newest version the
#: installed kubernetes-validate ships is checked as well.
K8S_VERSION = "1.30"
NAMESPACE = "mailflow"
COMMON_LABELS = {"app.kubernetes.io/name": "mailflow-sentinel", "app.kubernetes.io/component": "worker"}

#: file -> kind, one resource per file
CORE = {
    "namespace.yaml": "Namespace",
    "configmap.yaml": "ConfigMap",
    "statefulset.yaml": "StatefulSet",
    "service.yaml": "Service",
    "pdb.yaml": "PodDisruptionBudget",
}
#: file -> (kind, schema of tests/deploy/schemas)
CUSTOM = {
    "servicemonitor.yaml": ("ServiceMonitor", "servicemonitor.json"),
    "prometheusrule.yaml": ("PrometheusRule", "prometheusrule.json"),
    "scaledobject.yaml": ("ScaledObject", "scaledobject.json"),
}
NOT_RESOURCES = {"README.md", "render_rules.py", "kustomization.yaml"}


# ---------------------------------------------------------------------------- helpers

def load(name: str) -> dict:
    with open(K8S / name, encoding="utf-8") as f:
        docs = [d for d in yaml.safe_load_all(f) if d is not None]
    assert len(docs) == 1, f"{name}: one resource per file, found {len(docs)}"
    return docs[0]


def compose_worker() -> dict:
    with open(REPO / "docker-compose.yml", encoding="utf-8") as f:
        return yaml.safe_load(f)["x-worker"]


def config() -> dict[str, str]:
    return load("configmap.yaml")["data"]


def container() -> dict:
    (c,) = load("statefulset.yaml")["spec"]["template"]["spec"]["containers"]
    return c


def named_port(c: dict, port) -> int:
    """A probe's port (a name or a number) as the container port number."""
    if isinstance(port, int):
        return port
    by_name = {p["name"]: p["containerPort"] for p in c.get("ports", [])}
    assert port in by_name, f"port {port!r} is not a named port of the container {sorted(by_name)}"
    return by_name[port]


def render_rules_module():
    spec = importlib.util.spec_from_file_location("mailflow_render_rules", K8S / "render_rules.py")
    mod = importlib.util.module_from_spec(spec)
    dont_write, sys.dont_write_bytecode = sys.dont_write_bytecode, True  # no __pycache__ in deploy/
    try:
        spec.loader.exec_module(mod)
    finally:
        sys.dont_write_bytecode = dont_write
    return mod


@pytest.fixture(scope="module")
def kv():
    return pytest.importorskip(
        "kubernetes_validate",
        reason="kubernetes-validate is not installed (pip install -e '.[test]'): it ships the Kubernetes schemas")


@pytest.fixture(scope="module")
def jsonschema():
    return pytest.importorskip(
        "jsonschema", reason="jsonschema is not installed (a dependency of kubernetes-validate, the `test` extra)")


def k8s_versions() -> list[str]:
    try:
        import kubernetes_validate
    except ImportError:
        return [K8S_VERSION]  # the tests skip in the kv fixture
    latest = kubernetes_validate.utils.major_minor(kubernetes_validate.latest_version())
    return sorted({K8S_VERSION, latest}, key=lambda v: tuple(map(int, v.split("."))))


def custom_validator(jsonschema, schema_file: str):
    schema = json.loads((SCHEMAS / schema_file).read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def errors(validator, doc) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in validator.iter_errors(doc)]


# ---------------------------------------------------------------------------- structure

def test_directory_holds_exactly_the_known_files():
    found = {p.name for p in K8S.iterdir() if p.is_file() and p.name != "__pycache__"}
    assert found == set(CORE) | set(CUSTOM) | NOT_RESOURCES


@pytest.mark.parametrize("name", sorted(set(CORE) | set(CUSTOM)))
def test_one_resource_per_file_in_the_namespace_with_the_common_labels(name):
    doc = load(name)
    kind = CORE.get(name) or CUSTOM[name][0]
    assert doc["kind"] == kind
    meta = doc["metadata"]
    if kind == "Namespace":
        assert meta["name"] == NAMESPACE
        assert "namespace" not in meta
    else:
        assert meta.get("namespace") == NAMESPACE, f"{name}: metadata.namespace"
    labels = meta.get("labels") or {}
    assert COMMON_LABELS.items() <= labels.items(), f"{name}: labels {labels}"


def test_kustomization_lists_every_manifest_and_nothing_else(jsonschema):
    kust = load("kustomization.yaml")
    assert errors(custom_validator(jsonschema, "kustomization.json"), kust) == []
    assert kust["apiVersion"] == "kustomize.config.k8s.io/v1beta1"
    assert kust.get("namespace") == NAMESPACE
    listed = kust["resources"]
    assert len(listed) == len(set(listed)), "a file is listed twice"
    on_disk = {p.name for p in K8S.iterdir() if p.is_file()} - NOT_RESOURCES
    assert set(listed) == on_disk
    assert listed[0] == "namespace.yaml"


def test_kustomize_builds(tmp_path):
    """``kubectl kustomize`` (offline) renders every resource once, when kubectl is installed."""
    import shutil
    kubectl = shutil.which("kubectl")
    if not kubectl:
        pytest.skip("kubectl is not installed")
    r = subprocess.run([kubectl, "kustomize", str(K8S)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    kinds = sorted(d["kind"] for d in yaml.safe_load_all(r.stdout) if d)
    assert kinds == sorted(list(CORE.values()) + [k for k, _ in CUSTOM.values()])


# ---------------------------------------------------------------------------- schemas

@pytest.mark.parametrize("version", k8s_versions())
@pytest.mark.parametrize("name", sorted(CORE))
def test_core_resource_is_valid_kubernetes(kv, name, version):
    validated = kv.validate(load(name), version, strict=True)
    assert validated == version, f"validated against {validated}, not the requested {version}"


def _misspell(doc: dict, path: str, new_key: str) -> dict:
    """A copy of ``doc`` with the key at dotted ``path`` (``0`` = list index) renamed."""
    doc = copy.deepcopy(doc)
    *parents, key = path.split(".")
    node = doc
    for p in parents:
        node = node[int(p)] if isinstance(node, list) else node[p]
    node[new_key] = node.pop(key)
    return doc


@pytest.mark.parametrize("path,new_key", [
    ("spec.template.spec.terminationGracePeriodSeconds", "terminationGracePeriodSecond"),
    ("spec.template.spec.containers.0.readinessProbe", "readynessProbe"),
    ("spec.volumeClaimTemplates.0.spec.accessModes", "accessMode"),
])
def test_strict_validation_rejects_a_misspelled_field(kv, path, new_key):
    broken = _misspell(load("statefulset.yaml"), path, new_key)
    with pytest.raises(kv.ValidationError) as exc:
        kv.validate(broken, K8S_VERSION, strict=True)
    assert new_key in str(exc.value.message)


def test_strict_validation_rejects_a_wrong_type(kv):
    broken = load("statefulset.yaml")
    broken["spec"]["replicas"] = "2"
    with pytest.raises(kv.ValidationError):
        kv.validate(broken, K8S_VERSION, strict=True)


@pytest.mark.parametrize("name", sorted(CUSTOM))
def test_custom_resource_matches_its_schema(jsonschema, name):
    kind, schema_file = CUSTOM[name]
    doc = load(name)
    assert errors(custom_validator(jsonschema, schema_file), doc) == []


def _set(doc: dict, path: str, value) -> dict:
    doc = copy.deepcopy(doc)
    *parents, key = path.split(".")
    node = doc
    for p in parents:
        node = node[int(p)] if isinstance(node, list) else node[p]
    node[key] = value
    return doc


@pytest.mark.parametrize("name,mutate", [
    ("servicemonitor.yaml", lambda d: _misspell(d, "spec.endpoints.0.interval", "intervall")),
    ("servicemonitor.yaml", lambda d: _set(d, "spec.endpoints.0.interval", "15 seconds")),
    ("prometheusrule.yaml", lambda d: _misspell(d, "spec.groups.1.rules.0.annotations", "anotations")),
    ("prometheusrule.yaml", lambda d: _set(d, "spec.groups.1.rules.0.record", "both_alert_and_record")),
    ("scaledobject.yaml", lambda d: _set(d, "spec.triggers.0.metadata.lagThreshold", 5000)),
    ("scaledobject.yaml", lambda d: _misspell(d, "spec.triggers.0.metadata.consumerGroup", "consumergroup")),
    ("scaledobject.yaml", lambda d: _misspell(d, "spec.maxReplicaCount", "maxReplicas")),
])
def test_custom_schemas_reject_broken_resources(jsonschema, name, mutate):
    kind, schema_file = CUSTOM[name]
    assert errors(custom_validator(jsonschema, schema_file), mutate(load(name))) != []


# ---------------------------------------------------------------------------- ConfigMap

def test_configmap_mirrors_the_compose_worker_environment():
    env = compose_worker()["environment"]
    data = config()
    assert env, "docker-compose.yml's x-worker has no environment"
    for key, value in env.items():
        assert key in data, f"{key} (docker-compose.yml) is missing from configmap.yaml"
        assert data[key] == str(value), f"{key}: compose {value!r}, configmap {data[key]!r}"


def test_configmap_has_the_compose_command_flags():
    """compose passes --broker and --metrics-port as flags: the ConfigMap has the same as MAILFLOW_*."""
    command = compose_worker()["command"]
    command = shlex.split(command) if isinstance(command, str) else list(command)
    assert command[0] == "worker"
    flags = dict(zip(command[1::2], command[2::2]))
    data = config()
    for flag, value in flags.items():
        key = "MAILFLOW_" + flag.lstrip("-").replace("-", "_").upper()
        assert data.get(key) == value, f"{flag} {value} (compose) vs {key}={data.get(key)!r}"


def test_configmap_kubernetes_settings():
    data = config()
    assert data["MAILFLOW_BROKER"] == "kafka://kafka:9092"
    assert data["MAILFLOW_METRICS_PORT"] == "9108"
    assert data["MAILFLOW_STORE"] == "rocksdb://"
    assert data["MAILFLOW_DATA_DIR"] == "/var/lib/mailflow"
    assert data["MAILFLOW_LOG_FORMAT"] == "json"
    assert all(isinstance(v, str) for v in data.values()), "ConfigMap values must be strings"
    for secret in ("MAILFLOW_SASL_PASSWORD", "MAILFLOW_LABEL_HASH_KEY"):
        assert secret not in data, f"{secret} belongs in a Secret"


def test_configmap_is_accepted_by_the_worker():
    """The worker's own settings parser takes the ConfigMap as its environment without a problem."""
    from streams.settings import parse_settings

    s = parse_settings([], env=config())
    data = config()
    assert s.store == "rocksdb://"
    assert s.data_dir == data["MAILFLOW_DATA_DIR"]
    assert s.metrics_port == int(data["MAILFLOW_METRICS_PORT"])
    assert s.partitions == int(data["MAILFLOW_PARTITIONS"])
    assert s.app_id == data["MAILFLOW_APP_ID"]
    assert s.log_format == "json"


def test_image_ships_the_store_the_configmap_selects():
    if config()["MAILFLOW_STORE"] != "rocksdb://":
        return
    dockerfile = (REPO / "Dockerfile").read_text(encoding="utf-8")
    installs = " ".join(re.findall(r"pip install[^\n]*(?:\\\n[^\n]*)*", dockerfile))
    assert "[rocksdb]" in installs or "rocksdict" in installs, installs


# ---------------------------------------------------------------------------- StatefulSet

def test_statefulset_runs_the_image_with_the_configmap():
    sts = load("statefulset.yaml")
    assert sts["metadata"]["name"] == "mailflow-worker"
    assert sts["spec"]["replicas"] == 2
    c = container()
    assert c["image"] == compose_worker()["image"] == "mailflow-sentinel:latest"
    assert c["args"] == ["worker"], "the image's ENTRYPOINT is mailflow: args, not command"
    assert "command" not in c
    dockerfile = (REPO / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r'^ENTRYPOINT \["mailflow"\]', dockerfile, re.M)
    refs = [e["configMapRef"]["name"] for e in c["envFrom"] if "configMapRef" in e]
    assert refs == [load("configmap.yaml")["metadata"]["name"]]
    assert "env" not in c, "all settings come from the ConfigMap"


def test_statefulset_selects_its_own_pods():
    spec = load("statefulset.yaml")["spec"]
    selector = spec["selector"]["matchLabels"]
    pod_labels = spec["template"]["metadata"]["labels"]
    assert selector.items() <= pod_labels.items()
    assert COMMON_LABELS.items() <= pod_labels.items()
    assert spec["serviceName"] == load("service.yaml")["metadata"]["name"]


def test_container_port_is_the_metrics_port():
    c = container()
    (port,) = c["ports"]
    assert port["name"] == "metrics"
    assert port["containerPort"] == int(config()["MAILFLOW_METRICS_PORT"])
    dockerfile = (REPO / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(rf"^EXPOSE {port['containerPort']}\b", dockerfile, re.M)


@pytest.mark.parametrize("probe,path", [
    ("livenessProbe", "/healthz"),
    ("readinessProbe", "/readyz"),
    ("startupProbe", "/healthz"),
])
def test_probes_hit_the_worker_endpoints_on_the_metrics_port(probe, path):
    c = container()
    p = c[probe]
    assert p["httpGet"]["path"] == path
    assert named_port(c, p["httpGet"]["port"]) == int(config()["MAILFLOW_METRICS_PORT"])
    assert p["httpGet"].get("scheme", "HTTP") == "HTTP", "the ConfigMap sets no MAILFLOW_METRICS_CERTFILE"
    assert p.get("timeoutSeconds", 1) < p.get("periodSeconds", 10)


def test_probe_paths_exist_in_the_worker():
    src = (REPO / "streams" / "httpd.py").read_text(encoding="utf-8")
    for path in ("/healthz", "/readyz"):  # anything else is /metrics
        assert f'"{path}"' in src, f"streams/httpd.py serves no {path}"


def test_probe_timing():
    c = container()
    live, ready, start = c["livenessProbe"], c["readinessProbe"], c["startupProbe"]
    # liveness gives up only after the failover time of docs/kafka.md (session timeout ~10 s) at least
    assert live["periodSeconds"] * live["failureThreshold"] >= 30
    # readiness notices a rebalance within about the session timeout
    assert ready["periodSeconds"] * ready["failureThreshold"] <= 15
    # the startup probe allows at least the Dockerfile's HEALTHCHECK start period (60 s)
    assert start["periodSeconds"] * start["failureThreshold"] >= 60


def test_graceful_shutdown_time():
    spec = load("statefulset.yaml")["spec"]["template"]["spec"]
    assert spec["terminationGracePeriodSeconds"] >= 30


def test_resources():
    r = container()["resources"]
    assert set(r) == {"requests", "limits"}
    assert r["limits"]["memory"] == "1Gi"
    assert r["requests"]["memory"] == "512Mi"
    assert {"cpu", "memory"} <= set(r["requests"])


def test_security_context_and_writable_data_volume():
    sts = load("statefulset.yaml")
    pod = sts["spec"]["template"]["spec"]
    c = container()
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert c["securityContext"]["readOnlyRootFilesystem"] is True
    assert c["securityContext"]["allowPrivilegeEscalation"] is False
    # the image's user, so the image's own files stay readable and the volume writable
    uid = re.search(r"useradd [^\n]*--uid (\d+)", (REPO / "Dockerfile").read_text(encoding="utf-8"))
    assert uid and pod["securityContext"]["runAsUser"] == int(uid.group(1))
    assert pod["securityContext"]["fsGroup"] == int(uid.group(1)), "fsGroup makes the claimed volume writable"
    mounts = {m["name"]: m for m in c["volumeMounts"]}
    assert not mounts["data"].get("readOnly", False)
    assert mounts["data"]["mountPath"] == config()["MAILFLOW_DATA_DIR"]
    # every other writable place is an emptyDir
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    for name, m in mounts.items():
        if name != "data":
            assert "emptyDir" in volumes[name], name


def test_volume_claim_template():
    (vct,) = load("statefulset.yaml")["spec"]["volumeClaimTemplates"]
    assert vct["metadata"]["name"] == "data"
    assert vct["spec"]["accessModes"] == ["ReadWriteOnce"]
    assert vct["spec"]["resources"]["requests"]["storage"] == "5Gi"
    assert "data" not in {v["name"] for v in load("statefulset.yaml")["spec"]["template"]["spec"].get("volumes", [])}


def test_no_service_links():
    """Service links would inject <SERVICE>_PORT variables; a Service named mailflow-* gives MAILFLOW_* names."""
    assert load("statefulset.yaml")["spec"]["template"]["spec"]["enableServiceLinks"] is False


# ---------------------------------------------------------------------------- Service, PDB

def test_headless_service_for_the_statefulset():
    svc = load("service.yaml")
    spec = svc["spec"]
    assert spec["clusterIP"] == "None"
    pod_labels = load("statefulset.yaml")["spec"]["template"]["metadata"]["labels"]
    assert spec["selector"].items() <= pod_labels.items()
    (port,) = spec["ports"]
    assert port["name"] == "metrics"
    assert port["port"] == int(config()["MAILFLOW_METRICS_PORT"])
    assert named_port(container(), port["targetPort"]) == port["port"]


def test_pdb():
    pdb = load("pdb.yaml")
    assert pdb["spec"]["maxUnavailable"] == 1
    assert "minAvailable" not in pdb["spec"]
    pod_labels = load("statefulset.yaml")["spec"]["template"]["metadata"]["labels"]
    assert pdb["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()


# ---------------------------------------------------------------------------- ServiceMonitor

def _rule_jobs() -> set[str]:
    jobs = set()
    for f in sorted(RULES.glob("*.yml")):
        jobs |= set(re.findall(r'job\s*=~?\s*"([^"]+)"', f.read_text(encoding="utf-8")))
    return jobs


def _prometheus_job(sm: dict) -> str:
    """The job label Prometheus gives the ServiceMonitor's targets: the Service's name, or
    the value of its ``jobLabel`` label, overridden by a relabeling with ``targetLabel: job``."""
    svc = load("service.yaml")
    job = svc["metadata"]["name"]
    if sm["spec"].get("jobLabel"):
        job = svc["metadata"]["labels"][sm["spec"]["jobLabel"]]
    for r in sm["spec"]["endpoints"][0].get("relabelings", []):
        if r.get("targetLabel") == "job" and r.get("action", "replace").lower() == "replace":
            assert not r.get("sourceLabels"), "keep the job label a constant"
            job = r["replacement"]
    return job


def test_servicemonitor_selects_the_service_and_its_port():
    sm, svc = load("servicemonitor.yaml"), load("service.yaml")
    assert sm["spec"]["selector"]["matchLabels"].items() <= svc["metadata"]["labels"].items()
    assert svc["metadata"]["namespace"] in sm["spec"]["namespaceSelector"]["matchNames"]
    (ep,) = sm["spec"]["endpoints"]
    assert ep["port"] in {p["name"] for p in svc["spec"]["ports"]}
    assert ep["path"] == "/metrics"
    assert ep["interval"] == "15s"


def test_servicemonitor_job_is_the_one_the_rules_expect():
    jobs = _rule_jobs()
    assert jobs == {"mailflow-worker"}, jobs
    assert _prometheus_job(load("servicemonitor.yaml")) == "mailflow-worker"
    with open(REPO / "deploy" / "prometheus" / "prometheus.yml", encoding="utf-8") as f:
        prom = yaml.safe_load(f)
    assert "mailflow-worker" in {s["job_name"] for s in prom["scrape_configs"]}


# ---------------------------------------------------------------------------- PrometheusRule

def test_prometheusrule_is_the_generators_output():
    text = (K8S / "prometheusrule.yaml").read_text(encoding="utf-8")
    assert text == render_rules_module().render(), \
        "prometheusrule.yaml is out of date: run python deploy/kubernetes/render_rules.py"


def test_prometheusrule_groups_are_the_rule_files():
    expected = []
    for name in ("recording.yml", "alerts.yml"):
        with open(RULES / name, encoding="utf-8") as f:
            expected += yaml.safe_load(f)["groups"]
    assert load("prometheusrule.yaml")["spec"]["groups"] == expected


def test_render_rules_script(tmp_path):
    """Runnable as a script; --check passes on the checked-in file and fails on a stale one."""
    script = K8S / "render_rules.py"
    r = subprocess.run([sys.executable, str(script), "--check"], capture_output=True, text=True, timeout=60, cwd=REPO)
    assert r.returncode == 0, r.stderr
    out = tmp_path / "prometheusrule.yaml"
    r = subprocess.run([sys.executable, str(script), "--output", str(out)], capture_output=True, text=True,
                       timeout=60, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert out.read_text(encoding="utf-8") == (K8S / "prometheusrule.yaml").read_text(encoding="utf-8")
    out.write_text(out.read_text(encoding="utf-8").replace("for: 2m", "for: 3m"), encoding="utf-8")
    r = subprocess.run([sys.executable, str(script), "--check", "--output", str(out)], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 1
    assert "out of date" in r.stderr


def test_rendered_deploy_copy_keeps_the_rules_in_step(tmp_path):
    """``mailflow deploy render`` (a company's runbook URL) copies deploy/ with kubernetes/:
    its prometheusrule.yaml still equals what render_rules.py makes of the copy's rule files."""
    from streams.render import render

    wiki = "https://wiki.example.com/mailflow/runbook.md"
    out = tmp_path / "deploy"
    render(out, runbook_url=wiki)
    rule = out / "kubernetes" / "prometheusrule.yaml"
    assert wiki + "#" in rule.read_text(encoding="utf-8")
    r = subprocess.run([sys.executable, str(out / "kubernetes" / "render_rules.py"), "--check"],
                       capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert r.returncode == 0, r.stderr


def test_every_alert_keeps_its_severity():
    alerts = [r for g in load("prometheusrule.yaml")["spec"]["groups"] for r in g["rules"] if "alert" in r]
    assert alerts
    for a in alerts:
        assert a.get("labels", {}).get("severity") in ("critical", "warning"), a["alert"]


# ---------------------------------------------------------------------------- ScaledObject

def test_scaledobject_scales_the_statefulset_on_the_consumer_group_lag():
    from streams.settings import INPUT_TOPIC, parse_broker_url

    so, sts, data = load("scaledobject.yaml"), load("statefulset.yaml"), config()
    ref = so["spec"]["scaleTargetRef"]
    assert (ref["apiVersion"], ref["kind"], ref["name"]) == ("apps/v1", "StatefulSet", sts["metadata"]["name"])
    assert so["spec"]["minReplicaCount"] == 1
    assert so["spec"]["maxReplicaCount"] == int(data["MAILFLOW_PARTITIONS"])
    (trigger,) = so["spec"]["triggers"]
    assert trigger["type"] == "kafka"
    meta = trigger["metadata"]
    assert meta["consumerGroup"] == data["MAILFLOW_APP_ID"]
    assert meta["topic"] == data.get("MAILFLOW_INPUT_TOPIC", INPUT_TOPIC) == "mail.outbound"
    assert meta["bootstrapServers"].split(",") == parse_broker_url(data["MAILFLOW_BROKER"])
    assert int(meta["lagThreshold"]) > 0
    # the replicas of the StatefulSet before KEDA takes over lie in KEDA's range
    assert so["spec"]["minReplicaCount"] <= sts["spec"]["replicas"] <= so["spec"]["maxReplicaCount"]


def test_scaledobject_offset_reset_matches_the_worker():
    src = (REPO / "streams" / "app.py").read_text(encoding="utf-8")
    m = re.search(r'consumer_auto_offset_reset="(\w+)"', src)
    assert m, "streams/app.py no longer sets consumer_auto_offset_reset"
    meta = load("scaledobject.yaml")["spec"]["triggers"][0]["metadata"]
    assert meta.get("offsetResetPolicy", "latest") == m.group(1)


# ---------------------------------------------------------------------------- README

def test_readme_describes_every_file():
    readme = (K8S / "README.md").read_text(encoding="utf-8")
    assert "kubectl apply -k deploy/kubernetes" in readme
    for name in sorted((set(CORE) | set(CUSTOM) | NOT_RESOURCES) - {"README.md"}):
        assert name in readme, name
    for prerequisite in ("Prometheus Operator", "KEDA"):
        assert prerequisite in readme
