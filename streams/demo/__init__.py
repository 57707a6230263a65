"""``mailflow demo``: everything on one machine, no set-up; and the embedded broker.

Starts the embedded Tansu broker (unless ``--broker``), one streaming worker (a
``mailflow worker`` subprocess that serves ``/metrics``), generates the simulator's
``launch-day`` scenario and plays it into the input topic at an accelerated clock:
the warm-up days as fast as the broker takes them, the launch day at one
simulated hour per ten seconds (``--speed`` scales that). Event times stay the
simulated times. Alerts are read back from the alerts topic and printed as they
fire; at the end a short verdict says which incidents were caught, how many of
the blast's messages went out before its first alert, and whether anything
fired on the legitimate launch ramp.

Ctrl-C or SIGTERM stops the worker, then the broker; neither outlives the demo.

One job per module:

=============  ==================================================================
``run``        the command: options, the demo's steps, the accelerated playback
``scenario``   the ``launch-day`` scenario as records to play, and its labels
``verdict``    the verdict, by the incident-matching rule of ``mailflow evaluate``
``console``    terminal styling, alert lines, simulated clock times
``watch``      the thread that reads the alerts topic (kafka-python)
``admin``      topic creation, consumer-group lag, port and ``/metrics`` probes
``process``    child processes that never outlive their parent; the worker
``broker``     the embedded, memory-only Tansu broker (stdlib only)
=============  ==================================================================

Importing the package imports none of them; :func:`main` loads ``run``.
"""

from __future__ import annotations

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """``mailflow demo`` (see :func:`streams.demo.run.main`)."""
    from .run import main as run_main

    return run_main(argv)
