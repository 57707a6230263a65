"""Resident memory of the detection pipeline with many senders and recipients.

Plays N events from S senders (a fifth of them automated, each cycling through
more templates than the pipeline keeps per sender) to R distinct recipients
through one ``Sentinel`` (the replay path, which keeps every sender's state in
memory) and prints the resident set size as it goes, and the encoded size of the
sender states (what the changelog holds: :func:`detectors.statecodec.dumps`). The
claim checked: memory is bounded by the number of senders, not by the number of
recipients or events.

    python bench/memory.py                       # 10,000 senders, 1,000,000 recipients
    python bench/memory.py --senders 1000 --recipients 100000 --events 200000
"""

from __future__ import annotations

import argparse
import gc
import random
import resource
import sys
import time

from detectors import statecodec
from detectors.config import SentinelConfig
from detectors.events import MailEvent
from detectors.pipeline import Sentinel


def rss_mib() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--senders", type=int, default=10_000)
    p.add_argument("--recipients", type=int, default=1_000_000)
    p.add_argument("--events", type=int, default=2_000_000)
    p.add_argument("--templates", type=int, default=40,
                   help="distinct templates per automated sender (default 40: more than the 32 kept)")
    p.add_argument("--cap-mib", type=float, default=512.0, help="the stated cap, MiB (default 512)")
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    rng = random.Random(a.seed)
    sentinel = Sentinel(SentinelConfig(internal_domains=("example.com",)))
    senders = [f"{'auto' if i % 5 == 0 else 'user'}{i}@example.com" for i in range(a.senders)]
    t0 = 1_500_000_000.0
    base = rss_mib()
    print(f"start: RSS {base:.0f} MiB; {a.senders:,} senders, {a.recipients:,} recipients, {a.events:,} events")
    start = time.perf_counter()
    peak = base
    step = max(a.events // 10, 1)
    for i in range(a.events):
        s = i % a.senders
        sender = senders[s]
        auto = s % 5 == 0
        # every recipient appears at least once: walk them in order, then at random
        r = i if i < a.recipients else rng.randrange(a.recipients)
        to = (f"customer{r}@gmail.com",)
        if auto:
            ev = MailEvent(f"<{i:024x}@mail.example.com>", t0 + i * 0.05, sender, to, sender_kind="automated",
                           template_id=f"tpl{(i // a.senders) % a.templates}", subject="Your order", body="Thanks for your order.")
        else:
            ev = MailEvent(f"<{i:024x}@mail.example.com>", t0 + i * 0.05, sender, to, sender_kind="human",
                           subject=f"Re: question {i}", body=f"Hello, about your question {i} ...")
        sentinel.process_one(ev)
        if (i + 1) % step == 0:
            gc.collect()
            now = rss_mib()
            peak = max(peak, now)
            print(f"{i + 1:>10,} events: RSS {now:7.0f} MiB ({(time.perf_counter() - start):.0f} s)", flush=True)
    states = list(sentinel._states.values())
    sizes = [len(statecodec.dumps(st)) for st in states[:: max(len(states) // 500, 1)]]
    mean = sum(sizes) / len(sizes)
    print(f"sender states kept: {len(states):,}; encoded (changelog) size mean {mean / 1024:.1f} KiB, max {max(sizes) / 1024:.1f} KiB")
    print(f"peak RSS {peak:.0f} MiB (start {base:.0f} MiB); stated cap {a.cap_mib:.0f} MiB: "
          f"{'within' if peak <= a.cap_mib else 'EXCEEDED'}")
    return 0 if peak <= a.cap_mib else 1


if __name__ == "__main__":
    sys.exit(main())
