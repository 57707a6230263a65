"""Metrics: names, labels from fixed or capped sets, active alerts removed at episode end."""

from __future__ import annotations

from types import SimpleNamespace

from prometheus_client import CollectorRegistry, generate_latest

from detectors.alerts import Alert
from detectors.events import REJECT_REASONS
from streams.metrics import OTHER, LabelCap, Metrics

DESIGN_METRICS = {
    "mailflow_events_processed_total", "mailflow_events_rejected_total", "mailflow_alerts_total",
    "mailflow_events_duplicate_total", "mailflow_alert_latency_seconds", "mailflow_event_processing_seconds",
    "mailflow_consumer_lag_messages", "mailflow_last_event_timestamp_seconds", "mailflow_detector_score",
    "mailflow_active_alert", "mailflow_sender_events_total", "mailflow_sender_unrelated_recipients",
    "mailflow_template_bucket_messages", "mailflow_template_baseline_messages",
}


def alert(detector="fanout", severity="warning", sender="a@x.com", template="t1", score=0.7, ts=1000.0):
    return Alert(detector=detector, severity=severity, sender=sender, template=template, score=score,
                 summary=f"{detector} on {template}", ts=ts, event_ids=["e1"])


def test_all_design_metrics_exist_on_the_given_registry():
    reg = CollectorRegistry()
    m = Metrics(reg)
    m.set_lag({0: 3})
    m.sender_batch("a@x.com", 1, 0)
    m.template_volume("a@x.com", "a@x.com", "t1", (3, 1.5))
    m.alert(alert(), now=1001.0)
    text = generate_latest(reg).decode()
    for name in DESIGN_METRICS:
        assert f"# TYPE {name.removesuffix('_total')}" in text, name
    for r in REJECT_REASONS:
        assert reg.get_sample_value("mailflow_events_rejected_total", {"reason": r}) == 0
    assert reg.get_sample_value("mailflow_alerts_total", {"detector": "fanout", "severity": "warning"}) == 1
    assert reg.get_sample_value("mailflow_alert_latency_seconds_count") == 1
    assert reg.get_sample_value("mailflow_consumer_lag_messages", {"partition": "0"}) == 3
    assert reg.get_sample_value("mailflow_template_baseline_messages", {"sender": "a@x.com", "template": "t1"}) == 1.5


def test_unknown_reason_is_not_a_new_label():
    reg = CollectorRegistry()
    m = Metrics(reg)
    m.rejected("something_else")
    assert reg.get_sample_value("mailflow_events_rejected_total", {"reason": "something_else"}) is None
    assert reg.get_sample_value("mailflow_events_rejected_total", {"reason": "bad_value"}) == 1


def test_sender_label_cap():
    reg = CollectorRegistry()
    m = Metrics(reg, top_senders=2)
    for s in ("a@x.com", "b@x.com", "c@x.com", "d@x.com"):
        m.sender_batch(s, 5, 5)
    assert reg.get_sample_value("mailflow_sender_events_total", {"sender": "a@x.com"}) == 5
    assert reg.get_sample_value("mailflow_sender_events_total", {"sender": "c@x.com"}) is None
    assert reg.get_sample_value("mailflow_sender_events_total", {"sender": OTHER}) == 10
    assert reg.get_sample_value("mailflow_sender_unrelated_recipients", {"sender": "a@x.com"}) == 1.0


def test_label_cap_prefers_repeat_senders_and_stays_bounded():
    cap = LabelCap(2, min_count=3)
    for i in range(1000):
        assert cap.label(f"one-off{i}") == OTHER
    assert len(cap._candidates) <= 8
    for _ in range(3):
        got = cap.label("heavy")
    assert got == "heavy"


def test_active_alert_capped_escalated_and_removed():
    reg = CollectorRegistry()
    m = Metrics(reg, max_active_alerts=2)

    def series():
        shown = {(s.labels["detector"], s.labels["severity"], s.labels["template"]): s.value
                 for mf in reg.collect() if mf.name == "mailflow_active_alert" for s in mf.samples}
        # the summary is no label of the series, only of its info series, which follows it one to one
        info = [s.labels for mf in reg.collect() if mf.name == "mailflow_active_alert_info" for s in mf.samples]
        assert "summary" not in {k for mf in reg.collect() if mf.name == "mailflow_active_alert"
                                 for s in mf.samples for k in s.labels}
        assert sorted((i["detector"], i["severity"], i["template"]) for i in info) == sorted(shown)
        assert all(i["summary"] for i in info)
        return shown

    m.alert(alert("fanout", "warning", template="t1", score=0.6), now=1000)
    m.alert(alert("template_spike", "warning", template="t2", score=0.7), now=1000)
    m.alert(alert("sensitive_request", "critical", template="t3", score=0.9), now=1000)
    assert set(series()) == {("template_spike", "warning", "t2"), ("sensitive_request", "critical", "t3")}
    # escalation replaces the series of the same episode
    m.alert(alert("template_spike", "critical", template="t2", score=0.95), now=1000)
    assert set(series()) == {("template_spike", "critical", "t2"), ("sensitive_request", "critical", "t3")}
    # episode end removes it; the waiting episode takes the slot
    m.episode_ended(SimpleNamespace(detector="template_spike", sender="a@x.com", template="t2"))
    assert set(series()) == {("fanout", "warning", "t1"), ("sensitive_request", "critical", "t3")}
    m.active.forget_partitions([None])
    assert series() == {}


def test_lag_series_follow_assignment():
    reg = CollectorRegistry()
    m = Metrics(reg)
    m.set_lag({0: 5, 1: 7})
    m.set_lag({1: 2})
    assert reg.get_sample_value("mailflow_consumer_lag_messages", {"partition": "0"}) is None
    assert reg.get_sample_value("mailflow_consumer_lag_messages", {"partition": "1"}) == 2


def test_batched_histograms_export_what_a_prometheus_histogram_would():
    """The custom collector's samples (names, labels, buckets, count, sum) equal a
    prometheus_client Histogram's fed the same values, but for the ``_created`` sample."""
    from prometheus_client import Histogram

    from streams.metrics import PROCESSING_BUCKETS, SCORE_BUCKETS

    ref = CollectorRegistry()
    h_proc = Histogram("mailflow_event_processing_seconds", "Time spent in the detectors per event",
                       buckets=PROCESSING_BUCKETS, registry=ref)
    h_score = Histogram("mailflow_detector_score", "Detector scores in [0, 1]", ["detector"], buckets=SCORE_BUCKETS,
                        registry=ref)
    reg = CollectorRegistry()
    m = Metrics(reg)
    values = [1e-6, 3e-5, 1e-3, 0.2, 7.0]
    for v in values:
        m.processing_batch.observe(v)
        h_proc.observe(v)
    m.scores_batched({"fanout": 0.42, "mail_loop": 0.91})
    m.scores({"fanout": 0.95})
    for d, s in (("fanout", 0.42), ("mail_loop", 0.91), ("fanout", 0.95)):
        h_score.labels(d).observe(s)
    m.flush_batches()

    def samples(registry, names):
        return sorted((s.name, tuple(sorted(s.labels.items())), round(s.value, 12))
                      for fam in registry.collect() if fam.name in names for s in fam.samples
                      if not s.name.endswith("_created") and (s.labels.get("detector") in (None, "fanout", "mail_loop")))

    names = {"mailflow_event_processing_seconds", "mailflow_detector_score"}
    assert samples(reg, names) == samples(ref, names)
    text = generate_latest(reg).decode()
    assert "# TYPE mailflow_event_processing_seconds histogram" in text
    assert 'mailflow_detector_score_bucket{detector="fanout",le="0.5"} 1.0' in text


def test_process_python_and_build_metrics_are_exported():
    """An SRE's usual exporter series: process_*, python_* and the build, on the worker's own registry."""
    from prometheus_client import CollectorRegistry, generate_latest

    from streams.metrics import Metrics, build_version

    reg = CollectorRegistry()
    Metrics(reg)
    text = generate_latest(reg).decode()
    assert "process_cpu_seconds_total" in text and "process_resident_memory_bytes" in text
    assert 'python_info{' in text and "python_gc_objects_collected_total" in text
    assert reg.get_sample_value("mailflow_build_info", {"version": build_version(), "python": __import__("platform").python_version()}) == 1.0
    assert build_version() != ""


def test_recovery_progress_counts_what_the_table_still_reads():
    from streams.metrics import RecoveryProgress

    state = {"recovering": True, "active": 5000, "standby": 70}

    class Rec:
        def active_remaining_total(self):
            return state["active"]

        def standby_remaining_total(self):
            if state["standby"] is None:
                raise KeyError("a partition between two assignments")
            return state["standby"]

    reg = CollectorRegistry()
    RecoveryProgress(lambda: Rec(), lambda: state["recovering"], registry=reg)

    def get(kind):
        return reg.get_sample_value("mailflow_table_recovery_remaining_messages", {"kind": kind})

    assert (get("active"), get("standby")) == (5000, 70)
    state.update(active=120)
    assert get("active") == 120  # read at each scrape: the progress of the recovery
    state.update(recovering=False)
    assert get("active") == 0  # recovered: the changelog is written, not read
    state.update(standby=None)
    assert (get("active"), get("standby")) == (0, 0)  # a scrape never fails on it
