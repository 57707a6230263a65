"""Evaluation of the detectors over the simulated worlds (``mailflow evaluate``)."""
