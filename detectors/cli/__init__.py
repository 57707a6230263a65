"""Command-line front ends over the detectors (``mailflow replay``, ``mailflow series``)."""
