#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Report of scripts/bench-exp3.sh: EXP3 lowest-delay path selection.

    exp3-report.py OUT RUNS CONFIGS DURATION

Reads OUT/raw/<config>/ (written by exp3-guest.sh in the guest) and writes
OUT/exp3.txt (tables, with the paper's figures), OUT/exp3_completion_cdf.png,
OUT/exp3_convergence_cdf.png and OUT/exp3.json; prints the tables and, last,
the JSON file's path.

Metrics (tpc.md §9.5):
- completion time: ab's ttime (ms) of every request, pooled over the runs;
  percentiles per configuration, and whether an EXP3 configuration beats
  random (gamma 1, same delay factor and hook) at every percentile from p25
  up;
- convergence, per run, from the module's EXP3 weight updates (tpcctl
  monitor's exp3_update events for the server's key fd00:a::/64; shares are
  w_i / sum(w), without the gamma mix): 1st = from the run's first event to
  the first update with shares[0] > 0.9 (before the swap); 2nd = from the
  swap to the first update after it with shares[1] > 0.9; "never" when not
  reached;
- the share of new connections (path events "init" of the server's
  connections) on the low-delay path before and after the swap;
- the module's cost: counters exp3_update_ns / exp3_updates (mean ns per
  update) and exp3_update_max_ns, draws, EXP3 moves, lost events/updates.
"""

import json
import math
import os
import re
import statistics
import sys

SERVER = "fd00:b::2"
PORT = 80
KEY = "fd00:a::/64"
CONVERGED = 0.9
PAPER_CONV_S = 1.25
PERCENTILES = (10, 25, 50, 75, 90, 99)
BEAT_FROM = (25, 50, 75, 90, 99)
PAPER = {
    "exp3_gamma_0.1": "90 % of convergence times below 1.25 s",
    "exp3_gamma_0.01": "convergence in about 5 s",
    "source": "tpc.md §9.3 (quoted from the project brief; not verified against the paper)",
    "setting": "paper: as-coded EXP3 (GAMMA_REV = 1/gamma, divisor K+1, rewards 23 ms - srtt, "
               "not normalised), one update per connection at close; RTT 10 ms vs "
               "factor x 10 ms, swapped at 10 s; lighttpd + ab, 50 s",
}
NAME_RE = re.compile(r"^(random|exp3_g([0-9.]+)|ascoded_g([0-9.]+))_f([0-9]+)_h([0-9]+)([kM]?)$")


def parse_config(name):
    m = NAME_RE.match(name)
    if not m:
        return None
    kind = m.group(1).split("_")[0]
    gamma = 1.0 if kind == "random" else float(m.group(2) or m.group(3))
    hook = int(m.group(5)) * {"": 1, "k": 1024, "M": 1048576}[m.group(6)]
    return {"kind": kind, "gamma": gamma,
            "preset": "as-coded" if kind == "ascoded" else "textbook",
            "factor": int(m.group(4)), "rtt_ms": [10, 10 * int(m.group(4))],
            "hook_bytes": hook, "hook": m.group(5) + m.group(6)}


def combo(c):
    return (c["factor"], c["hook"])


# ---- small statistics --------------------------------------------------------

def percentile(sorted_v, q):
    """Linear interpolation between closest ranks (numpy's default)."""
    if not sorted_v:
        return None
    pos = (len(sorted_v) - 1) * q / 100.0
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_v) - 1)
    return sorted_v[lo] + (sorted_v[hi] - sorted_v[lo]) * (pos - lo)


def rank(sorted_v, q):
    """Nearest-rank percentile (for few values, some of them infinite)."""
    if not sorted_v:
        return None
    return sorted_v[max(0, math.ceil(q * len(sorted_v) / 100.0) - 1)]


def inf_none(x):
    return None if x is None or math.isinf(x) else x


def conv_stats(values):
    """values: seconds, or None for "never"."""
    v = sorted(math.inf if x is None else x for x in values)
    n = len(v)
    if not n:
        return {"n": 0}
    med, p90 = rank(v, 50), rank(v, 90)
    return {
        "n": n, "never": sum(1 for x in v if math.isinf(x)),
        "median_s": inf_none(med), "median_never": med is not None and math.isinf(med),
        "p90_s": inf_none(p90), "p90_never": p90 is not None and math.isinf(p90),
        f"fraction_below_{PAPER_CONV_S}s": sum(1 for x in v if x < PAPER_CONV_S) / n,
        "values_s": [inf_none(x) for x in v],
    }


# ---- raw files -----------------------------------------------------------------

def read_times(path):
    t = {}
    try:
        with open(path) as f:
            for line in f:
                k, _, v = line.strip().partition("=")
                if not k:
                    continue
                try:
                    t[k] = int(v)
                except ValueError:
                    try:
                        t[k] = float(v)
                    except ValueError:
                        t[k] = v
    except OSError:
        return None
    return t


def read_tsv(path):
    """ab -g: starttime (text), seconds (epoch s), ctime, dtime, ttime, wait."""
    rows = []
    try:
        with open(path) as f:
            next(f, None)
            for line in f:
                c = line.rstrip("\n").split("\t")
                if len(c) < 6:
                    continue
                try:
                    rows.append((int(c[1]), float(c[4])))
                except ValueError:
                    continue
    except OSError:
        pass
    return rows


def read_events(path):
    """tpcctl monitor --json: events (sorted by time) and the losses it
    reported per type ({"type": T, "lost": N} lines, before the event that
    also carries "lost": N)."""
    evs, lost = [], {"path": 0, "exp3_update": 0}
    try:
        with open(path) as f:
            for line in f:
                try:
                    e = json.loads(line)
                except ValueError:
                    continue
                if not isinstance(e, dict):
                    continue
                if "ktime_ns" in e:
                    evs.append(e)
                elif e.get("lost"):
                    t = e.get("type", "path")
                    lost[t] = lost.get(t, 0) + int(e["lost"])
    except OSError:
        pass
    evs.sort(key=lambda e: e["ktime_ns"])
    return evs, lost


def read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def counters(stats):
    if not isinstance(stats, dict):
        return {}
    c = stats.get("counters", stats)
    return c if isinstance(c, dict) else {}


def ab_summary(path):
    s = {}
    try:
        text = open(path).read()
    except OSError:
        return s
    for key, pat in (("complete", r"Complete requests:\s+(\d+)"),
                     ("failed", r"Failed requests:\s+(\d+)"),
                     ("time_taken_s", r"Time taken for tests:\s+([\d.]+)"),
                     ("requests_per_s", r"Requests per second:\s+([\d.]+)")):
        m = re.search(pat, text)
        if m:
            s[key] = float(m.group(1)) if "." in m.group(1) else int(m.group(1))
    return s


def is_update(e):
    return e.get("type") == "exp3_update" or ("shares" in e and "reason" not in e)


def is_server_init(e):
    return (e.get("reason") == "init" and e.get("saddr") == SERVER
            and int(e.get("sport", PORT)) == PORT)


# ---- one run ---------------------------------------------------------------------

def analyse_run(d, run):
    t = read_times(os.path.join(d, f"run{run}.times"))
    if t is None or "swap_ns" not in t:
        return None
    evs, monitor_lost = read_events(os.path.join(d, f"run{run}.events.jsonl"))
    evs = [e for e in evs if e["ktime_ns"] >= t["begin_ns"]]
    ups = [e for e in evs if is_update(e) and e.get("key", KEY) == KEY]
    swap = t["swap_ns"]
    r = {"times": t, "events": len(evs), "updates": len(ups), "monitor_lost": monitor_lost,
         "ab": ab_summary(os.path.join(d, f"run{run}.ab"))}
    first = evs[0]["ktime_ns"] if evs else None
    r["first_event_after_ab_start_s"] = (first - t["ab_start_ns"]) / 1e9 if first else None
    r["swap_after_first_event_s"] = (swap - first) / 1e9 if first else None

    def share(e, i):
        s = e.get("shares") or []
        return s[i] if i < len(s) else 0.0

    c1 = next((u for u in ups if u["ktime_ns"] < swap and share(u, 0) > CONVERGED), None)
    c2 = next((u for u in ups if u["ktime_ns"] >= swap and share(u, 1) > CONVERGED), None)
    r["conv1_s"] = (c1["ktime_ns"] - first) / 1e9 if c1 and first else None
    r["conv2_s"] = (c2["ktime_ns"] - swap) / 1e9 if c2 else None
    # The same in weight updates (comparable across machines: a TCG guest
    # completes far fewer connections per second than the paper's testbed).
    r["conv1_updates"] = ups.index(c1) + 1 if c1 else None
    r["conv2_updates"] = (ups.index(c2) + 1 - sum(1 for u in ups if u["ktime_ns"] < swap)
                          if c2 else None)
    span = (ups[-1]["ktime_ns"] - ups[0]["ktime_ns"]) / 1e9 if len(ups) > 1 else 0
    r["updates_per_s"] = (len(ups) - 1) / span if span > 0 else None
    before = [u for u in ups if u["ktime_ns"] < swap]
    r["shares_at_swap"] = before[-1].get("shares") if before else None
    r["shares_at_end"] = ups[-1].get("shares") if ups else None
    # How often the leading path changed (share of path 0 crossing 0.5):
    # one crossing per swap is learning, many are oscillation.
    lead = [share(u, 0) > 0.5 for u in ups]
    r["share_crossings"] = sum(1 for a, b in zip(lead, lead[1:]) if a != b)
    # RTT seen by the updates, per path, before and after the swap (checks
    # the topology: path 0 ~10 ms then slow, path 1 slow then ~10 ms).
    srtt = {}
    for label, sel in (("before_swap", lambda u: u["ktime_ns"] < swap),
                       ("after_swap", lambda u: u["ktime_ns"] >= swap + 10**9)):
        for p in (0, 1):
            v = sorted(u["srtt_us"] / 1e3 for u in ups if sel(u) and u.get("path") == p
                       and "srtt_us" in u)
            srtt[f"{label}_path{p}"] = {"n": len(v), "median_ms": percentile(v, 50)}
    r["update_srtt_ms"] = srtt
    # New connections per path.
    inits = [e for e in evs if is_server_init(e)]
    end = t.get("ab_end_ns", inits[-1]["ktime_ns"] + 1 if inits else swap)
    win = {"before_swap": (lambda e: e["ktime_ns"] < swap, 0),
           "after_swap": (lambda e: e["ktime_ns"] >= swap, 1),
           "last_10s": (lambda e: e["ktime_ns"] >= end - 10 * 10**9, 1)}
    r["new_connections"] = {}
    for label, (sel, low) in win.items():
        sub = [e for e in inits if sel(e)]
        r["new_connections"][label] = {"n": len(sub), "low_delay_path": low,
                                      "on_low_delay": sum(1 for e in sub if e.get("new") == low)}
    r["moves_exp3_events"] = sum(1 for e in evs if e.get("reason") == "exp3")
    # Requests (ab): seconds resolution; the swap's second is left out of
    # before/after.
    rows = read_tsv(os.path.join(d, f"run{run}.tsv"))
    swap_sec = int(float(t.get("swap_start_realtime", 0)))
    r["ttime_ms"] = [x for _, x in rows]
    r["ttime_ms_before_swap"] = [x for s, x in rows if s < swap_sec]
    r["ttime_ms_after_swap"] = [x for s, x in rows if s > swap_sec]
    # Counters.
    c0 = counters(read_json(os.path.join(d, f"run{run}.stats0.json")))
    c1_ = counters(read_json(os.path.join(d, f"run{run}.stats1.json")))
    delta = {}
    for k in ("exp3_draws", "exp3_updates", "exp3_update_ns", "moves_exp3", "events_lost",
              "updates_lost", "exp3_paths_failed", "exp3_paths_probed", "path_starts",
              "move_apply_ns", "conns_initialized"):
        if k in c0 and k in c1_:
            delta[k] = c1_[k] - c0[k]
    r["counters_delta"] = delta
    mx0, mx1 = c0.get("exp3_update_max_ns"), c1_.get("exp3_update_max_ns")
    r["update_max_ns"] = mx1
    a0, a1 = c0.get("move_apply_max_ns"), c1_.get("move_apply_max_ns")
    r["move_apply_max_ns"] = a1 if a0 is not None and a1 is not None and a1 > a0 else None
    r["update_max_ns_raised_in_run"] = mx0 is not None and mx1 is not None and mx1 > mx0
    r["exp3_state_at_end"] = read_json(os.path.join(d, f"run{run}.exp3.json"))
    r["exp3_state_at_start"] = read_json(os.path.join(d, f"run{run}.exp3_start.json"))
    return r


# ---- one configuration -----------------------------------------------------------

def pct_table(values):
    v = sorted(values)
    return {f"p{q}": percentile(v, q) for q in PERCENTILES} | {"n": len(v)}


def analyse(out, name, runs):
    cfg = parse_config(name)
    d = os.path.join(out, "raw", name)
    per_run = []
    for run in range(1, runs + 1):
        r = analyse_run(d, run)
        if r is not None:
            r["run"] = run
            per_run.append(r)
    res = dict(cfg)
    res["runs_analysed"] = len(per_run)
    allt = [x for r in per_run for x in r["ttime_ms"]]
    res["completion_ms"] = pct_table(allt)
    res["completion_ms"]["mean"] = statistics.fmean(allt) if allt else None
    res["completion_ms_before_swap"] = pct_table([x for r in per_run for x in r["ttime_ms_before_swap"]])
    res["completion_ms_after_swap"] = pct_table([x for r in per_run for x in r["ttime_ms_after_swap"]])
    res["requests"] = sum(r["ab"].get("complete", 0) for r in per_run)
    res["failed_requests"] = sum(r["ab"].get("failed", 0) for r in per_run)
    res["convergence_1st"] = conv_stats([r["conv1_s"] for r in per_run])
    res["convergence_2nd"] = conv_stats([r["conv2_s"] for r in per_run])
    both = [r["conv1_s"] for r in per_run] + [r["conv2_s"] for r in per_run]
    res["convergence_all"] = conv_stats(both)
    for k in ("1st", "2nd"):
        v = sorted(math.inf if r[f"conv{k[0]}_updates"] is None else r[f"conv{k[0]}_updates"]
                   for r in per_run)
        res[f"convergence_{k}_updates"] = {
            "median": inf_none(rank(v, 50)), "p90": inf_none(rank(v, 90)),
            "values": [inf_none(x) for x in v]}
    ups_s = [r["updates_per_s"] for r in per_run if r["updates_per_s"]]
    res["updates_per_s_median"] = statistics.median(ups_s) if ups_s else None
    nc = {}
    for label in ("before_swap", "after_swap", "last_10s"):
        n = sum(r["new_connections"][label]["n"] for r in per_run)
        k = sum(r["new_connections"][label]["on_low_delay"] for r in per_run)
        nc[label] = {"connections": n, "on_low_delay_path": k,
                     "share_on_low_delay_path": k / n if n else None,
                     "low_delay_path": per_run[0]["new_connections"][label]["low_delay_path"]
                     if per_run else None}
    res["new_connections"] = nc

    def med_share(key, i):
        v = [r[key][i] for r in per_run if r[key] and len(r[key]) > i]
        return statistics.median(v) if v else None
    res["weight_share"] = {
        "path0_at_swap_median": med_share("shares_at_swap", 0),
        "path1_at_end_median": med_share("shares_at_end", 1),
        "note": "w_i / sum(w) of the last update before the swap (path 0, fast then) and "
                "of the run's last update (path 1, fast then); medians over the runs",
    }
    flips = []
    for r in per_run:
        flips.append(r.get("share_crossings", 0))
    res["weight_share"]["crossings_of_0.5_median"] = statistics.median(flips) if flips else None
    tot = {}
    for r in per_run:
        for k, v in r["counters_delta"].items():
            tot[k] = tot.get(k, 0) + v
    maxes = [r["update_max_ns"] for r in per_run if r["update_max_ns_raised_in_run"]]
    upd = tot.get("exp3_updates", 0)
    res["kernel"] = {
        "counters_delta": tot,
        "update_mean_ns": tot["exp3_update_ns"] / upd if upd and "exp3_update_ns" in tot else None,
        "update_max_ns": max(maxes) if maxes else None,
        "update_max_ns_note": "maximum of exp3_update_max_ns in the runs where it rose "
                              "(the counter is a maximum since the module was loaded); "
                              "null: it did not rise in this configuration",
        "move_apply_max_ns": max([r["move_apply_max_ns"] for r in per_run
                                  if r["move_apply_max_ns"] is not None], default=None),
        "move_apply_note": "move_apply_ns (in counters_delta) is the time spent swapping "
                           "routing headers (starts on path 1 and EXP3 moves); the max only "
                           "where it rose in this configuration",
        "monitor_lost_path_events": sum(r["monitor_lost"].get("path", 0) for r in per_run),
        "monitor_lost_updates": sum(r["monitor_lost"].get("exp3_update", 0) for r in per_run),
        "update_events_seen": sum(r["updates"] for r in per_run),
    }
    res["runs"] = [{k: v for k, v in r.items() if not k.startswith("ttime_ms")}
                   for r in per_run]
    return res


def beats(results):
    """An EXP3 configuration beats random if it is strictly faster at every
    percentile from p25 up than random of the same factor and hook."""
    rnd = {combo(r): r for r in results.values() if r["kind"] == "random"}
    for r in results.values():
        if r["kind"] == "random":
            continue
        base = rnd.get(combo(r))
        if base is None or not r["completion_ms"]["n"] or not base["completion_ms"]["n"]:
            r["beats_random_from_p25"] = None
            continue
        r["beats_random_from_p25"] = all(
            r["completion_ms"][f"p{q}"] < base["completion_ms"][f"p{q}"] for q in BEAT_FROM)
        r["completion_vs_random_ratio"] = {
            f"p{q}": r["completion_ms"][f"p{q}"] / base["completion_ms"][f"p{q}"]
            for q in PERCENTILES if base["completion_ms"][f"p{q}"]}


# ---- text ------------------------------------------------------------------------

def fmt(x, spec="{:.0f}"):
    return "-" if x is None else spec.format(x)


def grid(rows):
    w = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.rjust(w[i]) if i else c.ljust(w[i]) for i, c in enumerate(row))
             for row in rows]
    lines.insert(1, "  ".join("-" * x for x in w))
    return lines


def conv_cell(s, key):
    if not s.get("n"):
        return "-"
    if s.get(f"{key}_never"):
        return "never"
    return fmt(s.get(f"{key}_s"), "{:.2f}")


def table(results, runs, duration):
    lines = [f"EXP3 lowest-delay benchmark: {runs} run(s) x {duration} s per configuration, "
             "ab -c 4, 100 kB objects, delays swapped at 10 s (QEMU TCG guest)", "",
             "completion time per request (ms, ab ttime, all runs pooled):"]
    rows = [("config", "requests", "failed") + tuple(f"p{q}" for q in PERCENTILES)
            + ("p50 after swap", "p90 after swap", "beats random p25+")]
    for name, r in results.items():
        c, a = r["completion_ms"], r["completion_ms_after_swap"]
        b = r.get("beats_random_from_p25")
        rows.append((name, str(r["requests"]), str(r["failed_requests"]))
                    + tuple(fmt(c.get(f"p{q}")) for q in PERCENTILES)
                    + (fmt(a.get("p50")), fmt(a.get("p90")),
                       "" if r["kind"] == "random" else {True: "yes", False: "no", None: "-"}[b]))
    lines += grid(rows)
    lines += ["", "convergence per run (s): 1st = run start -> shares[0] > 0.9; 2nd = swap -> "
              "shares[1] > 0.9",
              f"(median / p90 by nearest rank, \"never\" counts as infinite; <{PAPER_CONV_S}s = "
              "fraction of runs, 1st and 2nd pooled):"]
    rows = [("config", "runs", "1st med", "1st p90", "1st never", "2nd med", "2nd p90",
             "2nd never", f"<{PAPER_CONV_S}s", "upd 1st/2nd", "upd/s", "w0 @swap", "w1 @end",
             "leader changes",
             "new conns on fast path before / after / last 10 s")]
    for name, r in results.items():
        c1, c2, ca, nc = (r["convergence_1st"], r["convergence_2nd"], r["convergence_all"],
                          r["new_connections"])
        sh = " / ".join(fmt(nc[k]["share_on_low_delay_path"], "{:.2f}")
                        for k in ("before_swap", "after_swap", "last_10s"))
        rows.append((name, str(r["runs_analysed"]), conv_cell(c1, "median"), conv_cell(c1, "p90"),
                     str(c1.get("never", "-")), conv_cell(c2, "median"), conv_cell(c2, "p90"),
                     str(c2.get("never", "-")),
                     fmt(ca.get(f"fraction_below_{PAPER_CONV_S}s"), "{:.2f}"),
                     "/".join(fmt(r[f"convergence_{k}_updates"]["median"], "{:g}")
                              if r["runs_analysed"] else "-" for k in ("1st", "2nd")),
                     fmt(r["updates_per_s_median"], "{:.1f}"),
                     fmt(r["weight_share"]["path0_at_swap_median"], "{:.3f}"),
                     fmt(r["weight_share"]["path1_at_end_median"], "{:.3f}"),
                     fmt(r["weight_share"]["crossings_of_0.5_median"], "{:g}"), sh))
    lines += grid(rows)
    lines += ["", "module cost and loss (sums over the runs; ns per update = exp3_update_ns / "
              "exp3_updates):"]
    rows = [("config", "draws", "updates", "mean ns/update", "max ns", "moves_exp3", "apply max ns",
             "events_lost", "updates_lost", "monitor lost ev/upd", "srtt ms p0/p1 before", "after")]
    for name, r in results.items():
        k, cd = r["kernel"], r["kernel"]["counters_delta"]
        srtt = {}
        for lab in ("before_swap", "after_swap"):
            srtt[lab] = "/".join(
                fmt(statistics.median(v) if v else None, "{:.1f}") for v in
                ([x["update_srtt_ms"][f"{lab}_path{p}"]["median_ms"] for x in r["runs"]
                  if x["update_srtt_ms"][f"{lab}_path{p}"]["median_ms"] is not None]
                 for p in (0, 1)))
        rows.append((name, fmt(cd.get("exp3_draws"), "{}"), fmt(cd.get("exp3_updates"), "{}"),
                     fmt(k["update_mean_ns"]), fmt(k["update_max_ns"], "{}"),
                     fmt(cd.get("moves_exp3"), "{}"), fmt(k["move_apply_max_ns"], "{}"),
                     fmt(cd.get("events_lost"), "{}"),
                     fmt(cd.get("updates_lost"), "{}"),
                     f"{k['monitor_lost_path_events']}/{k['monitor_lost_updates']}",
                     srtt["before_swap"], srtt["after_swap"]))
    lines += grid(rows)
    lines += ["", "random = EXP3 with gamma 1 (uniform draws); beats random p25+ = faster than",
              "random of the same factor and hook at p25, p50, p75, p90 and p99.",
              "upd 1st/2nd: median number of weight updates until convergence ('-':",
              "never in the median run); upd/s: weight updates per second (a TCG guest",
              "completes about ten times fewer connections per second than real hardware,",
              "so convergence in seconds is correspondingly longer).",
              "w0 @swap / w1 @end: weight share of the fast path at the swap / at the",
              "end (medians over runs); leader changes: how often the path with the",
              "larger weight changed in a run (1 = learned the swap; many = oscillation).",
              "fast path: path 0 before the swap, path 1 after it. srtt: median RTT the",
              "updates reported per path (the second after the swap left out).",
              "ns/update: the module times its EXP3 step (state lock, reward, redraw) per",
              "report; max ns: exp3_update_max_ns where it rose in that configuration (a",
              "maximum since the module was loaded; '-' = not raised). Under TCG both",
              "include emulation overhead and host preemption of the vCPU.",
              "paper: gamma 0.1 -> 90 % of convergence times below 1.25 s; gamma 0.01 ->",
              "about 5 s (as-coded EXP3, one update per connection)."]
    return "\n".join(lines)


# ---- plots -----------------------------------------------------------------------

STYLE = {"random": ("grey", "-"), 0.01: ("tab:blue", "-"), 0.1: ("tab:orange", "-"),
         0.2: ("tab:green", "-"), "ascoded": ("tab:red", "--")}


def style(r):
    if r["kind"] in ("random", "ascoded"):
        return STYLE[r["kind"]]
    return STYLE.get(r["gamma"], (None, "-"))


def plot_completion(results, raw, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    combos = sorted({combo(r) for r in results.values()},
                    key=lambda c: (c[0], parse_config(f"random_f1_h{c[1]}")["hook_bytes"]))
    factors = sorted({c[0] for c in combos})
    hooks = sorted({c[1] for c in combos}, key=lambda h: parse_config(f"random_f1_h{h}")["hook_bytes"])
    fig, axes = plt.subplots(len(factors), len(hooks), figsize=(5.5 * len(hooks), 3.6 * len(factors)),
                             squeeze=False)
    for i, f in enumerate(factors):
        for j, h in enumerate(hooks):
            ax = axes[i][j]
            if (f, h) not in combos:
                ax.set_axis_off()
                continue
            for name, r in results.items():
                if combo(r) != (f, h) or not raw.get(name):
                    continue
                v = sorted(raw[name])
                n = len(v)
                color, ls = style(r)
                ax.step(v, [(k + 1) / n for k in range(n)], where="post", color=color, ls=ls,
                        label=name.split(f"_f{f}")[0])
            ax.set_xscale("log")
            ax.set_title(f"RTT 10 / {10 * f} ms, hook {h}")
            ax.set_xlabel("completion time (ms)")
            ax.set_ylabel("CDF")
            ax.grid(alpha=0.3, which="both")
            if ax.get_legend_handles_labels()[0]:
                ax.legend(fontsize=7, loc="lower right")
    fig.suptitle("100 kB object completion time (ab -c 4), all requests")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_convergence(results, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    hooks = sorted({r["hook"] for r in results.values()},
                   key=lambda h: parse_config(f"random_f1_h{h}")["hook_bytes"])
    fig, axes = plt.subplots(len(hooks), 2, figsize=(12, 3.8 * len(hooks)), squeeze=False)
    dashes = {2: ":", 5: "--", 10: "-"}
    xmax = max([x for r in results.values() for key in ("convergence_1st", "convergence_2nd")
                for x in r[key].get("values_s", []) if x is not None] + [2 * PAPER_CONV_S])
    xmax *= 1.05
    for i, h in enumerate(hooks):
        for j, key in enumerate(("convergence_1st", "convergence_2nd")):
            ax = axes[i][j]
            ax.set_xlim(0, xmax)
            for name, r in results.items():
                if r["hook"] != h or r["kind"] == "random":
                    continue
                s = r[key]
                if not s.get("n"):
                    continue
                v = [x for x in s["values_s"] if x is not None]
                n = s["n"]
                if not v:
                    continue
                color, _ = style(r)
                ax.step([0] + v + [xmax], [0] + [(k + 1) / n for k in range(len(v))]
                        + [len(v) / n], where="post",
                        color=color, ls=dashes.get(r["factor"], "-.") if r["kind"] != "ascoded"
                        else (0, (1, 1)), label=name)
            ax.axvline(PAPER_CONV_S, color="black", ls=":", lw=0.8)
            ax.axhline(0.9, color="black", ls=":", lw=0.8)
            ax.set_title(f"{'1st' if j == 0 else '2nd (after the swap)'} convergence, hook {h}")
            ax.set_xlabel("s (paper: gamma 0.1 -> 90 % below 1.25 s)")
            ax.set_ylabel("fraction of runs")
            ax.set_ylim(0, 1.02)
            ax.grid(alpha=0.3)
            if ax.get_legend_handles_labels()[0]:
                ax.legend(fontsize=6)
            else:
                ax.text(0.5, 0.5, "no run converged", ha="center", transform=ax.transAxes)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


# ---- main ------------------------------------------------------------------------

def main():
    out, runs, configs, duration = (sys.argv[1], int(sys.argv[2]), sys.argv[3].split(","),
                                    int(sys.argv[4]) if len(sys.argv) > 4 else 50)
    out = os.path.abspath(out)
    configs = [c for c in configs if c]
    results, raw = {}, {}
    for c in configs:
        if parse_config(c) is None:
            continue
        results[c] = analyse(out, c, runs)
        raw[c] = []
        d = os.path.join(out, "raw", c)
        for run in range(1, runs + 1):
            raw[c] += [x for _, x in read_tsv(os.path.join(d, f"run{run}.tsv"))]
    beats(results)
    text = table(results, runs, duration)
    with open(os.path.join(out, "exp3.txt"), "w") as f:
        f.write(text + "\n")
    png1 = plot_completion(results, raw, os.path.join(out, "exp3_completion_cdf.png"))
    png2 = plot_convergence(results, os.path.join(out, "exp3_convergence_cdf.png"))
    cfgs = [parse_config(c) for c in results]
    doc = {
        "benchmark": "exp3_lowest_delay",
        "parameters": {
            "runs": runs, "duration_s": duration, "configs": list(results),
            "factors": sorted({c["factor"] for c in cfgs}),
            "hooks": sorted({c["hook"] for c in cfgs}),
            "hook_bytes": sorted({c["hook_bytes"] for c in cfgs}),
            "gammas": sorted({c["gamma"] for c in cfgs if c["kind"] != "random"}),
            "presets": sorted({c["preset"] for c in cfgs}),
            "random_baseline": "EXP3 with gamma 1: a uniform random path per draw",
            "object_bytes": 102400, "concurrency": 4, "swap_at_s": 10,
            "client": "ab -r -c 4 -t DURATION -n 10000000 (a new connection per request), "
                      "default congestion control, unmanaged",
            "server": "lighttpd 1.4 on hB, congestion control tpc, EXP3 on for fd00:a::/64",
            "paths": "2: path 0 direct (branch 0), path 1 via branch 1's SID; server RTT "
                     "10 ms and factor x 10 ms (B->A core delay 3 ms / factor x 10 - 7 ms), "
                     "swapped at 10 s",
            "convergence_threshold": CONVERGED, "guest": "QEMU TCG, 2 vCPUs",
        },
        "metrics": {
            "completion_ms": "ab ttime per request, pooled over runs, percentiles by linear "
                             "interpolation",
            "convergence_1st": "per run, s from the run's first module event to the first "
                               "exp3_update with shares[0] > 0.9 before the swap",
            "convergence_2nd": "per run, s from the swap (end of the tc commands) to the "
                               "first exp3_update with shares[1] > 0.9",
            "new_connections": "path events 'init' of the server's connections, share on the "
                               "low-delay path (0 before the swap, 1 after)",
            "kernel": "tpcctl stats counter deltas per run, summed",
        },
        "results": results, "paper": PAPER,
        "plots": {"completion_cdf": png1, "convergence_cdf": png2},
    }
    jpath = os.path.join(out, "exp3.json")
    with open(jpath, "w") as f:
        json.dump(doc, f, indent=1)
    print(text)
    for what, p in (("completion CDF", png1), ("convergence CDF", png2)):
        print(f"plot ({what}): {p}" if p else f"plot ({what}): not written (python3-matplotlib missing)")
    print(jpath)


if __name__ == "__main__":
    main()
