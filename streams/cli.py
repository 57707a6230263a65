"""The ``mailflow`` console script.

Each sub-command lives in its own module with a ``main(argv) -> int``; broker-free
commands (``replay``, ``score-series``, ``simulate``, ``evaluate``) never import
Faust or Kafka.
"""

from __future__ import annotations

import importlib
import sys

__all__ = ["main", "COMMANDS"]

#: sub-command -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "replay": ("detectors.cli.replay", "replay a JSON Lines event file through the detectors; alerts to stdout"),
    "score-series": ("detectors.cli.series", "score a CSV timestamp,value series with the template spike detector"),
    "simulate": ("detectors.sim.shop", "write a labelled traffic scenario (events.jsonl, labels.json, truth.csv)"),
    "evaluate": ("detectors.evaluation.evaluate", "replay scenarios for several seeds and print detection figures"),
    "worker": ("streams.worker", "run the streaming worker against Kafka"),
    "produce": ("streams.produce", "publish a JSON Lines event file to the input topic"),
    "demo": ("streams.demo", "everything on one machine: embedded broker, worker, launch-day scenario"),
    "tap": ("streams.taps", "connect a real mail flow: `mailflow tap smtp|milter|http` (journal, milter, ESP webhooks)"),
    "deploy": ("streams.render", "`mailflow deploy render --out DIR`: deploy/ with your runbook URL and business hours"),
    "label-hash": ("streams.labels", "print the metric label of sender addresses under --hash-sender-labels' key"),
    "guard": ("streams.guard", "hold an alerted account's next mail at Postfix (policy service, milter); list, release, drop"),
}


def _usage() -> str:
    lines = ["usage: mailflow COMMAND [ARGS...]", "", "commands:"]
    for name, (_, text) in COMMANDS.items():
        lines.append(f"  {name:<13} {text}")
    lines.append("")
    lines.append("`mailflow COMMAND --help` shows a command's options.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(_usage())
        return 0 if argv else 2
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        print(f"mailflow: unknown command {name!r}\n\n{_usage()}", file=sys.stderr)
        return 2
    module = importlib.import_module(COMMANDS[name][0])
    return int(module.main(rest) or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
