"""The simulated worlds: labelled outbound mail of companies, with incidents and hard negatives.

They depend on the detectors (never the reverse): ``shop`` (an online shop) and
``bank`` (a European online bank, written apart from the shop and its thresholds).
"""
