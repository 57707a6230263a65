"""The pipeline on crafted streams: pages only on harm (issue 9's classes of traffic).

Each test plays a small stream through one ``Sentinel`` and asserts what an
on-call engineer would see: which alerts, how loud, after how many messages.
"""

from __future__ import annotations

import random

from detectors import Sentinel, SentinelConfig, parse_event

DAY = 86_400
T0 = 1_740_787_200  # 2025-03-01 00:00 UTC (a Saturday)
BANK = "nordbank.eu"


def ev(i, ts, sender, to, body, subject="Your account", template_id=None, kind="automated", **kw):
    raw = {"event_id": f"<{sender}-{i}>", "ts": ts, "sender": sender, "to": to if isinstance(to, list) else [to],
           "subject": subject, "body": body, "sender_kind": kind}
    if template_id:
        raw["template_id"] = template_id
    raw.update(kw)
    return parse_event(raw)


def customer(rng, i=None):
    n = rng.getrandbits(40) if i is None else i
    return f"c{n}@{rng.choice(['gmail.com', 'gmx.de', 'web.de', 'yahoo.es'])}"


def run(sentinel, events):
    out = []
    for e in events:
        out.append(sentinel.process_one(e))
    return out


def alerts_of(outcomes, detector=None):
    return [a for o in outcomes for a in o.alerts if detector is None or a.detector == detector]


def daily(sender, template_id, body_fn, days, per_day, rng, start=T0, subject="Your account"):
    """``per_day`` messages a day between 07:00 and 19:00 UTC, one customer each."""
    out = []
    i = 0
    for d in range(days):
        for k in range(per_day):
            ts = start + d * DAY + 7 * 3600 + (k + rng.random()) * (12 * 3600 / per_day)
            out.append(ev(i, ts, sender, customer(rng), body_fn(rng), subject=subject, template_id=template_id))
            i += 1
    return out


def normal_body(rng):
    return (f"Dear customer,\n\nthe details of your account were updated on {rng.randint(1, 28)}.03.2025. "
            "No action is needed.\n\nKind regards,\nNordBank")


CHANGED = ("Dear customer,\n\nthe details of your account were updated on 12.03.2025. To keep your account "
           "open, please reply to this email with a photo of your passport and your IBAN.\n\n"
           "Kind regards,\nNordBank")


def test_a_changed_template_pages_at_its_first_changed_message():
    rng = random.Random(1)
    s = Sentinel(SentinelConfig(internal_domains=(BANK,)))
    history = daily("alerts@nordbank.eu", "account_update", normal_body, 10, 150, rng)
    assert not [a for a in alerts_of(run(s, history)) if a.severity == "critical"]
    t = history[-1].ts + 3600
    changed = [ev(10_000 + i, t + 30 * i, "alerts@nordbank.eu", customer(rng), CHANGED,
                  template_id="account_update") for i in range(20)]
    outs = run(s, changed)
    first = outs[0].alerts
    assert [(a.detector, a.severity) for a in first] == [("sensitive_request", "critical")]
    ev0 = first[0].evidence
    assert ev0["request"] == "changed"
    assert "changed_template" in ev0["harm"]
    assert set(ev0["categories"]) == {"passport", "bank_account"}


def test_a_changed_template_without_template_id_pages_too():
    rng = random.Random(2)
    s = Sentinel(SentinelConfig(internal_domains=(BANK,)))
    history = daily("alerts@nordbank.eu", None, normal_body, 10, 150, rng)
    run(s, history)
    t = history[-1].ts + 3600
    outs = run(s, [ev(20_000 + i, t + 30 * i, "alerts@nordbank.eu", customer(rng), CHANGED) for i in range(10)])
    pages = [a for a in alerts_of(outs) if a.severity == "critical"]
    assert pages and pages[0].event_ids[0] == "<alerts@nordbank.eu-20000>"


IDENTITY = ("Dear customer,\n\nas part of our regular review, please reply to this email with a copy of your "
            "passport.\n\nKind regards,\nNordBank")


def test_a_long_established_sensitive_request_never_pages():
    rng = random.Random(3)
    s = Sentinel(SentinelConfig(internal_domains=(BANK,)))
    outs = run(s, daily("kyc@nordbank.eu", "identity_review", lambda r: IDENTITY, 21, 60, rng))
    assert alerts_of(outs, "sensitive_request") == []


def test_the_same_request_new_after_the_warm_up_pages():
    rng = random.Random(4)
    s = Sentinel(SentinelConfig(internal_domains=(BANK,)))
    run(s, daily("kyc@nordbank.eu", "welcome", normal_body, 10, 60, rng))
    t = T0 + 10 * DAY + 8 * 3600
    outs = run(s, [ev(50_000 + i, t + 60 * i, "kyc@nordbank.eu", customer(rng), IDENTITY,
                      subject="Identity check", template_id="identity_check") for i in range(5)])
    a = outs[0].alerts
    assert a and a[0].severity == "critical" and "new_sensitive_request" in a[0].evidence["harm"]


def test_a_new_request_becomes_normal_once_established():
    rng = random.Random(5)
    cfg = SentinelConfig(internal_domains=(BANK,), stream_warm_up_seconds=DAY, sensitive_established_seconds=3 * DAY)
    s = Sentinel(cfg)
    run(s, daily("kyc@nordbank.eu", "welcome", normal_body, 2, 40, rng))
    outs = run(s, daily("kyc@nordbank.eu", "identity_review", lambda r: IDENTITY, 8, 40, rng, start=T0 + 2 * DAY,
                        subject="Identity review"))
    pages = [a for a in alerts_of(outs, "sensitive_request") if a.severity == "critical"]
    assert pages, "a new sensitive request must page"
    assert max(a.ts for a in pages) < T0 + 2 * DAY + 3 * DAY + DAY  # quiet once established (3 days)


def test_a_mail_loop_pages_within_its_first_thirty_messages():
    rng = random.Random(6)
    s = Sentinel(SentinelConfig(internal_domains=(BANK,)))
    run(s, daily("notify@nordbank.eu", "login_notice", normal_body, 9, 200, rng, subject="New login"))
    t = T0 + 9 * DAY + 10 * 3600
    victim = "anna.schmidt@gmx.de"
    loop = [ev(90_000 + i, t + 3 * i, "notify@nordbank.eu", victim, normal_body(rng), subject="New login",
               template_id="login_notice") for i in range(400)]
    outs = run(s, loop)
    alerts = [(i, a) for i, o in enumerate(outs) for a in o.alerts if a.detector == "mail_loop"]
    assert alerts, "the loop raised nothing"
    pages = [i for i, a in alerts if a.severity == "critical"]
    assert alerts[0][0] < 10 and pages and pages[0] < 30
    crit = next(a for _, a in alerts if a.severity == "critical")
    assert crit.evidence["harm"] == ["loop"] and crit.evidence["repeats"] >= 20
    assert victim not in crit.summary  # no recipient address in the alert text


def test_normal_repeat_customers_are_not_a_loop():
    rng = random.Random(7)
    s = Sentinel(SentinelConfig(internal_domains=(BANK,)))
    regulars = [f"r{i}@gmail.com" for i in range(30)]
    events = []
    for i in range(3000):  # 30 regular customers, a message every 2 minutes to one of them
        events.append(ev(i, T0 + 120 * i, "notify@nordbank.eu", rng.choice(regulars), normal_body(rng),
                         template_id="login_notice"))
    assert alerts_of(run(s, events), "mail_loop") == []


def test_a_redelivery_after_ten_thousand_later_events_is_not_learned_twice():
    rng = random.Random(8)
    s = Sentinel(SentinelConfig(internal_domains=(BANK,)))
    events = [ev(i, T0 + 2 * i, "cards@nordbank.eu", customer(rng), normal_body(rng), template_id="card_payment")
              for i in range(10_001)]
    outs = run(s, events)
    assert not any(o.duplicate for o in outs)
    again = run(s, events[:50])
    assert all(o.duplicate for o in again)
    assert s.state_for("cards@nordbank.eu").templates["card_payment"].total == 10_001


def test_late_events_count_now_and_are_never_dropped():
    rng = random.Random(9)
    s = Sentinel(SentinelConfig(internal_domains=(BANK,)))
    run(s, [ev(i, T0 + 20 * i, "cards@nordbank.eu", customer(rng), normal_body(rng), template_id="card_payment")
            for i in range(100)])
    st = s.state_for("cards@nordbank.eu")
    before = st.templates["card_payment"].count
    late = s.process_one(ev(500, T0 + 20 * 100 - 600, "cards@nordbank.eu", customer(rng), normal_body(rng),
                            template_id="card_payment"))
    assert late.late and not late.duplicate
    assert st.templates["card_payment"].count == before + 1  # in the open (current) bucket
    assert st.templates["card_payment"].total == 101


def test_seasons_follow_local_time_through_a_summer_time_change():
    """A 07:00-08:00 local run every day, 2025-03-10 .. 2025-04-04, over a trickle at every hour.

    Berlin moves from UTC+1 to UTC+2 on 30 March. With the zone configured, the
    first run after the change is expected at its usual level; a UTC baseline
    expects the trickle of that UTC hour instead.
    """
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    zone = ZoneInfo("Europe/Berlin")
    rng = random.Random(10)
    es, i = [], 0
    start = datetime(2025, 3, 10, tzinfo=zone).timestamp()
    for b in range(26 * 288):  # 3 messages in every 5-minute bucket
        for k in range(3):
            es.append((start + b * 300 + k * 90, None))
    for d in range(26):
        t = (datetime(2025, 3, 10, 7, 0, tzinfo=zone) + timedelta(days=d)).timestamp()
        es += [(t + k * 6 + 1, None) for k in range(600)]  # 07:00-08:00, 50 a bucket
    es.sort()
    events = [ev(n, ts, "statements@nordbank.eu", customer(rng), normal_body(rng), template_id="statement")
              for n, (ts, _) in enumerate(es)]
    first_run_after = datetime(2025, 3, 30, 7, 5, tzinfo=zone).timestamp()

    def expected(zone_name):
        s = Sentinel(SentinelConfig(internal_domains=(BANK,), timezone=zone_name))
        for e in events:
            o = s.process_one(e)
            if e.ts >= first_run_after:
                return o.volume[1]

    local, utc = expected("Europe/Berlin"), expected("UTC")
    assert local > 40 and utc < 10, (local, utc)


PHISH = ("Dear customer,\n\nwe detected unusual activity. Please confirm your online banking password at "
         "https://nordbank-secure-login.example/verify within 24 hours.\n\nYour NordBank team")


def test_a_compromised_agent_phishing_never_mailed_customers_pages_within_thirty():
    rng = random.Random(11)
    s = Sentinel(SentinelConfig(internal_domains=(BANK,)))
    agent = "lena.weber@nordbank.eu"
    hist = []
    for d in range(20):
        for k in range(15):
            ts = T0 + d * DAY + 9 * 3600 + k * 1200
            hist.append(ev(d * 100 + k, ts, agent, customer(rng, d * 100 + k % 5), "Hallo, danke fuer Ihre Nachricht. "
                           "Ihre Karte ist unterwegs. Viele Gruesse", subject=f"Re: Anfrage {d}-{k}", kind="human"))
    run(s, hist)
    t = T0 + 20 * DAY + 14 * 3600
    outs = run(s, [ev(70_000 + i, t + 12 * i, agent, customer(rng), PHISH, subject="Security check", kind="human")
                   for i in range(200)])
    idx = [(i, a) for i, o in enumerate(outs) for a in o.alerts]
    assert idx and idx[0][0] < 10
    pages = [i for i, a in idx if a.severity == "critical"]
    assert pages and pages[0] < 30
    page = next(a for _, a in idx if a.severity == "critical")
    assert "never_mailed_recipients" in page.evidence["harm"]


def test_a_person_asking_one_customer_to_reply_with_data_is_only_a_warning():
    rng = random.Random(12)
    s = Sentinel(SentinelConfig(internal_domains=(BANK,)))
    agent = "max.mustermann@nordbank.eu"
    cust = [customer(rng, i) for i in range(10)]
    hist = [ev(i, T0 + i * 3600, agent, cust[i % 10], "Thanks, noted.", subject=f"Re: question {i}", kind="human")
            for i in range(300)]
    run(s, hist)
    o = s.process_one(ev(999, T0 + 301 * 3600, agent, cust[3], "Could you please reply with a copy of your "
                         "passport so that we can finish your application?", subject="Re: application",
                         kind="human"))
    assert o.scores["sensitive_request"] > 0  # recognised as a request ...
    assert all(a.severity == "warning" for a in o.alerts)  # ... and never a page


def test_a_support_reply_asking_the_customer_for_a_document_raises_nothing():
    rng = random.Random(13)
    s = Sentinel(SentinelConfig(internal_domains=(BANK,)))
    agent = "paul.schroeder@nordbank.eu"
    hist = [ev(i, T0 + i * 1800, agent, customer(rng), "Danke, erledigt.", subject=f"Re: Frage {i}", kind="human")
            for i in range(400)]
    run(s, hist)
    body = ("Hallo Klaus,\n\nfür die Namensänderung benötigen wir Ihren neuen Ausweis und die Heiratsurkunde.\n\n"
            "Beste Grüße\nPaul Schröder\nKundenservice | NordBank AG | www.nordbank.eu | https://nordbank.eu/hilfe")
    o = s.process_one(ev(999, T0 + 401 * 1800, agent, "lange.klaus1@web.de", body, subject="Re: Namensänderung",
                         kind="human", in_reply_to="<customer-mail-1>"))
    assert o.alerts == [] and "sensitive_request" not in o.scores  # a one-to-one reply is not even scanned
    # a fresh mail to one customer asking for an ID by mail is scanned, and is at most a warning
    o = s.process_one(ev(1000, T0 + 402 * 1800, agent, "lange.klaus1@web.de",
                         "Bitte senden Sie uns eine Kopie Ihres neuen Personalausweises per E-Mail.",
                         subject="Namensänderung", kind="human"))
    assert o.scores["sensitive_request"] > 0
    assert all(a.severity == "warning" for a in o.alerts)


SECURE = [
    "Please upload a copy of your ID in the Documents section of the NordBank app. Do not send it by email.",
    "Bitte laden Sie eine Kopie Ihres Ausweises im Postfach des Online-Bankings hoch, nicht per E-Mail.",
    "Por favor, suba una copia de su DNI en el área privada de la app; no nos lo envíe por correo.",
]


def test_people_pointing_to_the_secure_channel_raise_nothing():
    rng = random.Random(14)
    s = Sentinel(SentinelConfig(internal_domains=(BANK,)))
    agents = [f"agent{i}@nordbank.eu" for i in range(3)]
    events = []
    for i in range(3000):  # 10 days of support mail, every tenth message a secure-channel pointer
        body = SECURE[i % 3] if i % 10 == 0 else "Thanks for your message, your card is on its way."
        events.append(ev(i, T0 + 300 * i, agents[i % 3], customer(rng), body, subject=f"Your request {i}",
                         kind="human"))
    assert alerts_of(run(s, events), "sensitive_request") == []


def test_a_per_sender_time_zone_overrides_the_deployment_one():
    s = Sentinel(SentinelConfig(timezone="Europe/Berlin", sender_timezones=("Care@Example.com=America/New_York",)))
    assert s.local_time("care@example.com").name == "America/New_York"
    assert s.local_time("orders@example.com").name == "Europe/Berlin"
    assert Sentinel(SentinelConfig()).local_time("care@example.com") is None  # UTC: nothing to convert
