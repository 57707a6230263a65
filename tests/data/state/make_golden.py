"""Builds the golden sender states of tests/data/state/ (run from the repo root).

``python tests/data/state/make_golden.py legacy`` wrote ``*.v0.pickle`` (and
``*.next.jsonl``, ``config.json``) with the release that still pickled states
(the release before issue 10, on 2026-12-01): the exact bytes its
``streams.models.PickleCodec`` put in the changelog. Do not regenerate them
with a later release: they are the record of what real changelogs hold.

``python tests/data/state/make_golden.py v1`` writes ``*.v1.msgpack`` (and the
uncompressed container, ``*.v1.raw.msgpack``) by
restoring each legacy pickle (``detectors.statecodec.loads_legacy``) and encoding
it in the v1 format, so both files hold the same state. They were written by the
first release of v1 (the same day); do not regenerate them either: every later
release must read them as they are.

Each state is a simulated sender (``detectors.sim.shop``, scenario
``id-request-blast``, seed 7, 3 days at scale 0.3) plus a few crafted events
(a mail loop, a fan-out); ``*.next.jsonl`` holds the events that follow, for
the behaviour tests.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SENDERS = {"care": "care@example.com", "human": "baptiste.mercier@example.com"}
CONFIG = {"internal_domains": ["example.com"]}


def streams():
    """sender name -> (events learned into the golden state, the next events)."""
    from detectors.sim.shop import generate

    events, _ = generate("id-request-blast", 7, days=3, scale=0.3)
    out = {}
    for name, sender in SENDERS.items():
        mine = [e for e in events if e["sender"] == sender]
        cut = len(mine) * 3 // 4  # for care@: in the middle of the blast, episodes open
        before, after = mine[:cut], mine[cut:]
        last = before[-1]
        t = float(last["ts"]) if not isinstance(last["ts"], str) else None
        if t is not None:
            # a mail loop: one recipient, the same auto-reply 14 times in 7 minutes
            for i in range(14):
                before.append({"event_id": f"loop-{name}-{i}", "ts": t + 1 + 30 * i, "sender": sender,
                               "to": ["bounce-bot@partner.example.org"], "subject": "Re: Automatic reply",
                               "body": "Thank you for your message, we will get back to you soon."})
            # a fan-out: 9 unrelated customers on one message
            before.append({"event_id": f"fan-{name}", "ts": t + 500, "sender": sender,
                           "to": [f"someone{j}@gmail.com" for j in range(5)],
                           "cc": [f"other{j}@yahoo.com" for j in range(4)],
                           "subject": "Your appointment", "body": "Dear customers, see you on Monday."})
            # re-deliveries of the loop: duplicates in the next events
            after = [dict(before[-5])] + after + [dict(before[-3])]
        out[name] = (before, after)
    return out


def build_states():
    from detectors import Sentinel, SentinelConfig, parse_event

    s = Sentinel(SentinelConfig(internal_domains=tuple(CONFIG["internal_domains"])))
    states = {}
    for name, (before, after) in streams().items():
        st = s.new_state(SENDERS[name])
        for k, e in enumerate(before):
            s.process(parse_event(e), st, (0, k))
        states[name] = (st, after)
    return states


def main(argv):
    mode = argv[1] if len(argv) > 1 else ""
    if mode == "legacy":
        import pickle

        for name, (st, after) in build_states().items():
            # exactly what that release's streams.models.PickleCodec wrote
            (HERE / f"{name}.v0.pickle").write_bytes(pickle.dumps(st, protocol=pickle.HIGHEST_PROTOCOL))
            with open(HERE / f"{name}.next.jsonl", "w", encoding="utf-8") as fh:
                for e in after:
                    fh.write(json.dumps(e, sort_keys=True) + "\n")
        (HERE / "config.json").write_text(json.dumps(CONFIG, indent=2) + "\n")
    elif mode == "v1":
        from detectors.statecodec import dumps, loads_legacy

        for name in SENDERS:
            st = loads_legacy((HERE / f"{name}.v0.pickle").read_bytes())
            (HERE / f"{name}.v1.msgpack").write_bytes(dumps(st))  # as the worker writes (zlib)
            (HERE / f"{name}.v1.raw.msgpack").write_bytes(dumps(st, compress=False))
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
