# SPDX-License-Identifier: GPL-2.0
"""Helpers shared by the benchmark reports (tools/bench/*-report.py)."""

import json


def load_json(path):
    """The JSON document at path, or None if it is missing or malformed."""
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def pct(xs, p):
    """The p-th percentile of xs (nearest rank), or None for no data."""
    if not xs:
        return None
    xs = sorted(xs)
    k = min(len(xs) - 1, max(0, int(round(p / 100 * (len(xs) - 1)))))
    return xs[k]
