"""Sender addresses as metric label values: as they are, or as a keyed hash.

``--hash-sender-labels`` (env ``MAILFLOW_HASH_SENDER_LABELS=true``) replaces every
account address in a metric label (``mailflow_sender_events_total``,
``mailflow_sender_unrelated_recipients``, the template volume gauges and
``mailflow_active_alert``) by ``s-`` and 16 hex digits of a keyed BLAKE2b hash of
the address. The key comes from ``MAILFLOW_LABEL_HASH_KEY`` (at least 16
characters). Keep it secret: without it nobody can tell which address a label
stands for, even by hashing guessed addresses. Prometheus, Grafana and Alertmanager then see stable,
bounded, opaque values; the address itself stays in the alerts topic (the alert's
``sender`` field), and ``mailflow label-hash ADDRESS ...`` prints the label of an
address with the same key, to go from one to the other.

Public API::

    SenderLabels, main (the ``mailflow label-hash`` command)
"""

from __future__ import annotations

import argparse
import os
import sys
from hashlib import blake2b
from typing import Mapping

from detectors.events import address_key

__all__ = ["SenderLabels", "MIN_KEY_CHARS", "main"]

MIN_KEY_CHARS = 16
_CACHE = 4096


class SenderLabels:
    """``labels(sender) -> label``: the address itself without a key, else its keyed hash.

    >>> SenderLabels()("care@example.com")
    'care@example.com'
    >>> h = SenderLabels("0123456789abcdef-test-key")
    >>> h("care@example.com"), h("Care@Example.com") == h("care@example.com")
    ('s-ee33095d26509cea', True)
    >>> h("other"), h("")  # the label caps' own values stay readable
    ('other', '')
    """

    __slots__ = ("key", "_cache")

    def __init__(self, key: str | None = None) -> None:
        if key is not None and len(key) < MIN_KEY_CHARS:
            raise ValueError(f"the label hash key needs at least {MIN_KEY_CHARS} characters")
        self.key = key.encode("utf-8") if key else None
        self._cache: dict[str, str] = {}

    @property
    def hashing(self) -> bool:
        return self.key is not None

    def __call__(self, sender: str) -> str:
        if self.key is None or sender in ("", "other"):
            return sender
        label = self._cache.get(sender)
        if label is None:
            if len(self._cache) >= _CACHE:
                self._cache.clear()
            digest = blake2b(address_key(sender).encode("utf-8", "surrogatepass"), key=self.key, digest_size=8)
            label = self._cache[sender] = "s-" + digest.hexdigest()
        return label


def main(argv: list[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    """``mailflow label-hash ADDRESS ...``: the metric label of each address under the
    worker's key (``--label-hash-key`` or ``MAILFLOW_LABEL_HASH_KEY``, read as the
    worker reads them; one ``address<TAB>label`` line each)."""
    from .settings import env_name  # settings imports this module

    env = os.environ if env is None else env
    variable = env_name("label_hash_key")
    parser = argparse.ArgumentParser(
        prog="mailflow label-hash",
        description="Print the metric label of each sender address as a worker with --hash-sender-labels writes it "
                    f"(key from --label-hash-key or {variable}, as the worker reads it).")
    parser.add_argument("addresses", nargs="+", metavar="ADDRESS")
    parser.add_argument("--label-hash-key", help=f"the workers' key (prefer the environment variable {variable})")
    args = parser.parse_args(argv)
    key = args.label_hash_key or env.get(variable)
    if not key or len(key) < MIN_KEY_CHARS:
        print(f"mailflow label-hash: set {variable} (at least {MIN_KEY_CHARS} characters), "
              "the key the workers use", file=sys.stderr)
        return 2
    labels = SenderLabels(key)
    for a in args.addresses:
        print(f"{a}\t{labels(a)}")
    return 0
