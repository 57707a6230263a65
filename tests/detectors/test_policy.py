"""The one severity policy: pages need a harm signature; volume alone is a warning at most."""

from __future__ import annotations

import pytest

from detectors.alerts import DETECTORS
from detectors.policy import HARMS, Facts, SeverityPolicy

P = SeverityPolicy()
ID = frozenset({"passport"})
PW = frozenset({"password"})


def test_every_detector_has_a_rule_and_unknown_ones_only_warn():
    for d in DETECTORS:
        sev, harm = P.decide(d, 0.99, Facts())
        assert sev in (None, "warning", "critical")
        assert set(harm) <= set(HARMS)
    assert P.decide("something_new", 0.99, Facts()) == ("warning", ())


def test_below_the_warning_score_nothing_alerts():
    for d in DETECTORS:
        assert P.decide(d, 0.59, Facts(unrelated=20, categories=ID, request="new", automated=True)) == (None, ())


@pytest.mark.parametrize("detector", ["template_spike", "template_novelty"])
def test_volume_alone_never_pages(detector):
    sev, harm = P.decide(detector, 1.0, Facts(automated=True))
    assert (sev, harm) == ("warning", ())


@pytest.mark.parametrize("detector", ["template_spike", "template_novelty"])
def test_volume_with_a_harm_signature_pages(detector):
    sev, harm = P.decide(detector, 0.9, Facts(automated=True, categories=ID, request="new"))
    assert sev == "critical" and "new_sensitive_request" in harm
    sev, harm = P.decide(detector, 0.9, Facts(automated=True, unrelated=5))
    assert sev == "critical" and harm == ("exposed_customers",)


def test_new_and_changed_requests_page_at_once_from_automated_accounts():
    assert P.decide("sensitive_request", 0.6, Facts(automated=True, categories=ID, request="new")) == \
        ("critical", ("new_sensitive_request",))
    assert P.decide("sensitive_request", 0.6, Facts(automated=True, categories=ID | {"bank_account"},
                                                    request="changed")) == ("critical", ("changed_template",))


def test_an_established_request_one_customer_per_message_is_normal():
    assert P.decide("sensitive_request", 1.0, Facts(automated=True, categories=ID, request="established",
                                                    unrelated=1)) == (None, ())


def test_an_established_request_shown_to_unrelated_customers_still_pages():
    sev, harm = P.decide("sensitive_request", 0.9, Facts(automated=True, categories=ID, request="established",
                                                         unrelated=4))
    assert sev == "critical" and harm == ("exposed_customers",)


def test_a_person_asking_for_a_document_in_a_reply_to_the_customer_is_the_job():
    assert P.decide("sensitive_request", 0.95, Facts(categories=ID, request="new", reply=True)) == (None, ())
    # ... but credentials asked, or a link to an outside site, is the phishing shape
    assert P.decide("sensitive_request", 0.95, Facts(categories=PW, request="new", reply=True))[0] == "warning"
    assert P.decide("sensitive_request", 0.95, Facts(categories=ID, request="new", reply=True,
                                                     link=True))[0] == "warning"


def test_a_person_asking_one_customer_is_at_most_a_warning():
    sev, harm = P.decide("sensitive_request", 0.95, Facts(categories=ID, request="new", fresh=0))
    assert sev == "warning"
    # ... even with a link, while few never-mailed recipients are involved
    assert P.decide("sensitive_request", 0.95, Facts(categories=PW, request="new", link=True, fresh=3))[0] == "warning"


def test_a_person_asking_many_never_mailed_recipients_for_credentials_pages():
    sev, harm = P.decide("sensitive_request", 0.7, Facts(categories=PW, request="new", link=True, fresh=10))
    assert sev == "critical"
    assert set(harm) == {"credential_request", "never_mailed_recipients"}


def test_recipient_novelty_pages_only_with_a_link_or_a_request():
    assert P.decide("recipient_novelty", 0.99, Facts(fresh=80)) == ("warning", ())
    assert P.decide("recipient_novelty", 0.7, Facts(fresh=80, link=True))[0] == "critical"


def test_loops_page_from_the_configured_repeats():
    p = SeverityPolicy(loop_page_repeats=30)
    assert p.decide("mail_loop", 0.7, Facts(loop_repeats=12)) == ("warning", ("loop",))
    assert p.decide("mail_loop", 0.9, Facts(loop_repeats=30)) == ("critical", ("loop",))


def test_fanout_and_relays_are_harm():
    assert P.decide("fanout", 0.7, Facts(unrelated=4)) == ("warning", ("exposed_customers",))
    assert P.decide("fanout", 0.7, Facts(unrelated=12, fanout_critical=True))[0] == "critical"
    sev, harm = P.decide("fanout", 0.7, Facts(unrelated=4, automated=True, categories=ID, request="new"))
    assert sev == "critical" and set(harm) == {"exposed_customers", "new_sensitive_request"}
    assert P.decide("reply_relay", 0.9, Facts(unrelated=3)) == ("critical", ("relayed_attachments",))


def test_one_rule_per_detector_and_no_rule_for_an_unknown_one():
    from detectors.policy import _RULES

    assert set(_RULES) == set(DETECTORS)
