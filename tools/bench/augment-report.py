#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Report of scripts/bench-augment.sh: Augmenter vs IW10 vs static initcwnd.

    augment-report.py OUT

Reads OUT/raw/ (written by augment-guest.sh in the guest) and writes
OUT/augment.txt (tables), OUT/augment.png and OUT/augment.json; prints the
tables and, last, the JSON file's path.

Per RTT and configuration:
- flow completion time (FCT: connect() start to EOF at the client) of the
  short flows that completed, per size bucket (10-30 kB, 30-100 kB,
  100-300 kB, 300 kB-1 MB, and 100 kB-1 MB together): count, median, p95;
- retransmitted segments of the server (RetransSegs of its namespace over
  the configuration), of which the long flow's (its tcpi_total_retrans);
  the rest is the short flows'; packets netem dropped at the router
  towards the client (the data direction) and TcpExt timeouts and loss
  probes;
- the initial windows the server read (TCP_INFO after accept): median,
  p95, min, max;
- the long flow's goodput alone (last 3 s before the short flows) and
  during the short flows; the guest's CPU busy share during the load;
- for every configuration, tpcctl augment show before the load and at the
  end (the aggregate is collected whatever the policy).
"Best static" is the static<N> with the lowest median FCT of the 100 kB-1 MB
flows. Speedup = median FCT(iw10) / median FCT(config) of those flows.
Target (issue 6): Augmenter's speedup >= 1.3 with at most 10 % more
retransmitted segments than IW10.
"""

import glob
import json
import os
import re
import statistics
import sys

from benchlib import load_json, pct

BUCKETS = [("10-30kB", 10000, 30000), ("30-100kB", 30000, 100000),
           ("100-300kB", 100000, 300000), ("300kB-1MB", 300000, 1000001)]
TARGET_BUCKET = ("100kB-1MB", 100000, 1000001)
TARGET_SPEEDUP = 1.3
TARGET_RETRANS = 1.10


def kv(path):
    d = {}
    try:
        with open(path) as f:
            for line in f:
                k, sep, v = line.strip().partition("=")
                if sep:
                    d[k] = v
    except OSError:
        pass
    return d


def med(xs):
    return statistics.median(xs) if xs else None


def snmp(path, table):
    """One table of /proc/net/snmp or /proc/net/netstat as a dict."""
    try:
        with open(path) as f:
            lines = [l.split() for l in f]
    except OSError:
        return {}
    for i in range(len(lines) - 1):
        if lines[i] and lines[i][0] == table + ":" and lines[i + 1][0] == table + ":" \
                and not lines[i][1].lstrip("-").isdigit():
            try:
                return dict(zip(lines[i][1:], (int(x) for x in lines[i + 1][1:])))
            except ValueError:
                return {}
    return {}


def qdisc_drops(path):
    """netem's dropped counters, in file order (towards the client, towards the server)."""
    try:
        with open(path) as f:
            return [int(x) for x in re.findall(r"dropped (\d+)", f.read())]
    except OSError:
        return []


def long_retrans(path):
    try:
        with open(path) as f:
            for w in f.read().split():
                if w.startswith("retrans:") and "/" in w:
                    return int(w.split("/")[1])
    except (OSError, ValueError):
        pass
    return None


def flows(path):
    res = []
    try:
        with open(path) as f:
            for line in f:
                w = line.split()
                if len(w) >= 6:
                    res.append({"size": int(w[2]), "start_us": int(w[1]), "fct_us": int(w[3]),
                                "status": w[5]})
    except (OSError, ValueError):
        pass
    return res


def iws(path):
    xs = []
    try:
        with open(path) as f:
            for line in f:
                w = line.split()
                if len(w) >= 3 and w[0] == "iw":
                    xs.append(int(w[2]))
    except (OSError, ValueError):
        pass
    return xs


def rate_mbit(rx, a, b):
    pts = [p for p in rx if a <= p[0] <= b]
    if len(pts) < 2 or pts[-1][0] <= pts[0][0]:
        return None
    return (pts[-1][1] - pts[0][1]) * 8 / (pts[-1][0] - pts[0][0]) / 1000


def long_rates(path, t):
    rx = []
    try:
        with open(path) as f:
            for line in f:
                w = line.split()
                if len(w) >= 3 and w[0] == "rx":
                    rx.append((int(w[1]), int(w[2])))
    except (OSError, ValueError):
        pass
    try:
        ls, le = int(t["load_start_ms"]), int(t["load_end_ms"])
        d = int(t["duration_s"]) * 1000
    except (KeyError, ValueError):
        return None, None
    return rate_mbit(rx, ls - 3500, ls), rate_mbit(rx, ls, min(le, ls + d))


def cpu_share(t, k0="cpu0", k1="cpu1"):
    try:
        b0, t0 = (int(x) for x in t[k0].split(","))
        b1, t1 = (int(x) for x in t[k1].split(","))
        return (b1 - b0) / max(1, t1 - t0)
    except (KeyError, ValueError):
        return None


def bucket_stats(fl, lo, hi):
    xs = [f["fct_us"] / 1000 for f in fl if lo <= f["size"] < hi and f["status"] == "ok"]
    n = sum(1 for f in fl if lo <= f["size"] < hi)
    return {"flows": n, "completed": len(xs), "median_ms": med(xs), "p95_ms": pct(xs, 95),
            "mean_ms": statistics.mean(xs) if xs else None}


def augment_view(j):
    """The interesting fields of tpcctl --json augment show, rate in Mbit/s."""
    if not isinstance(j, dict):
        return None
    v = {k: j.get(k) for k in ["policy", "window", "learned", "mss", "flows", "min_rtt_us",
                               "loss_ppm", "bdp_bytes", "fresh", "bins", "open"]}
    # The module reports bytes per second (rate_bps, share_bps).
    for k in ["rate_bps", "share_bps"]:
        if isinstance(j.get(k), (int, float)):
            v[k.replace("_bps", "_mbit")] = j[k] * 8 / 1e6
    v["raw"] = j
    return v


def one_round(d):
    """The raw figures of one round of one configuration."""
    t = kv(os.path.join(d, "times"))
    r = {"flows": flows(os.path.join(d, "flows.txt")), "iws": iws(os.path.join(d, "iw.log"))}
    s0, s1 = snmp(os.path.join(d, "snmp0"), "Tcp"), snmp(os.path.join(d, "snmp1"), "Tcp")
    x0, x1 = snmp(os.path.join(d, "netstat0"), "TcpExt"), snmp(os.path.join(d, "netstat1"), "TcpExt")
    r["retrans"] = s1.get("RetransSegs", 0) - s0.get("RetransSegs", 0) if s0 and s1 else None
    r["out_segs"] = s1.get("OutSegs", 0) - s0.get("OutSegs", 0) if s0 and s1 else None
    r["long_retrans"] = long_retrans(os.path.join(d, "long.ss"))
    r["tcp_ext"] = {k: x1.get(k, 0) - x0.get(k, 0) for k in
                    ["TCPTimeouts", "TCPLossProbes", "TCPSynRetrans", "TCPLostRetransmit",
                     "TCPSackRecovery"] if k in x1}
    q0, q1 = qdisc_drops(os.path.join(d, "qdisc0")), qdisc_drops(os.path.join(d, "qdisc1"))
    r["drops"] = (q1[0] - q0[0], q1[1] - q0[1]) if len(q0) == len(q1) == 2 else None
    r["long_alone"], r["long_during"] = long_rates(os.path.join(d, "long.log"), t)
    r["cpu"] = cpu_share(t)
    r["cpu_warm"] = cpu_share(t, "cpu_warm0", "cpu_warm1")
    r["times"] = t
    c0 = (load_json(os.path.join(d, "status0.json")) or {}).get("counters", {})
    c1 = (load_json(os.path.join(d, "status1.json")) or {}).get("counters", {})
    r["augment_counters"] = {k: c1[k] - c0.get(k, 0) for k in c1
                             if k.startswith("augment_") and isinstance(c1[k], int)}
    r["augment_before"] = augment_view(load_json(os.path.join(d, "augment0.json")))
    r["augment_end"] = augment_view(load_json(os.path.join(d, "augment1.json")))
    return r


def total(xs):
    xs = list(xs)
    return None if not xs or any(x is None for x in xs) else sum(xs)


def mean(xs):
    xs = [x for x in xs if x is not None]
    return statistics.mean(xs) if xs else None


def percent(x):
    return 100 * x if x is not None else None


def config(d):
    rounds = [one_round(r.rstrip("/")) for r in sorted(glob.glob(os.path.join(d, "r*/")))]
    fl = [f for r in rounds for f in r["flows"]]
    e = {"name": os.path.basename(d), "rounds": len(rounds), "buckets": {}}
    for name, lo, hi in BUCKETS + [TARGET_BUCKET]:
        e["buckets"][name] = bucket_stats(fl, lo, hi)
    e["median_100k_1M_per_round_ms"] = [bucket_stats(r["flows"], TARGET_BUCKET[1], TARGET_BUCKET[2])["median_ms"]
                                        for r in rounds]
    # Overload check: completion times that grow during a run mean the
    # short flows arrive faster than the guest serves them.
    third = []
    for r in rounds:
        try:
            d_us = int(r["times"]["duration_s"]) * 1e6
        except (KeyError, ValueError):
            continue
        third.append(([f["fct_us"] for f in r["flows"] if f["status"] == "ok" and f["start_us"] < d_us / 3],
                      [f["fct_us"] for f in r["flows"] if f["status"] == "ok" and f["start_us"] >= 2 * d_us / 3]))
    early, late = [x for a, _ in third for x in a], [x for _, b in third for x in b]
    e["fct_growth_last_vs_first_third"] = med(late) / med(early) if early and late else None
    e["flows"] = len(fl)
    e["completed"] = sum(1 for f in fl if f["status"] == "ok")
    e["failed"] = {}
    for f in fl:
        if f["status"] != "ok":
            e["failed"][f["status"]] = e["failed"].get(f["status"], 0) + 1
    tot = total(r["retrans"] for r in rounds)
    lr = total(r["long_retrans"] for r in rounds)
    e["retrans_segs"] = tot
    e["retrans_per_round"] = [r["retrans"] for r in rounds]
    e["out_segs"] = total(r["out_segs"] for r in rounds)
    e["retrans_long_flow"] = lr
    e["retrans_short_flows"] = tot - lr if tot is not None and lr is not None else None
    e["tcp_ext"] = {}
    for r in rounds:
        for k, v in r["tcp_ext"].items():
            e["tcp_ext"][k] = e["tcp_ext"].get(k, 0) + v
    if rounds and all(r["drops"] for r in rounds):
        e["netem_drops_to_client"] = sum(r["drops"][0] for r in rounds)
        e["netem_drops_to_server"] = sum(r["drops"][1] for r in rounds)
    w = [x for r in rounds for x in r["iws"]]
    e["initial_windows"] = {"n": len(w), "median": med(w), "p95": pct(w, 95),
                            "min": min(w) if w else None, "max": max(w) if w else None,
                            "mean": statistics.mean(w) if w else None}
    e["long_flow_mbit"] = {"alone": mean(r["long_alone"] for r in rounds),
                           "during_short_flows": mean(r["long_during"] for r in rounds),
                           "per_round": [[r["long_alone"], r["long_during"]] for r in rounds]}
    short_bytes = sum(f["size"] for f in fl if f["status"] == "ok")
    try:
        e["short_flows_goodput_mbit"] = short_bytes * 8 / (int(rounds[0]["times"]["duration_s"]) * len(rounds)) / 1e6
    except (KeyError, ValueError, IndexError):
        pass
    e["guest_cpu_busy"] = mean(r["cpu"] for r in rounds)
    e["guest_cpu_busy_long_flow_alone"] = mean(r["cpu_warm"] for r in rounds)
    e["augment_counters"] = {}
    for r in rounds:
        for k, v in r["augment_counters"].items():
            e["augment_counters"][k] = e["augment_counters"].get(k, 0) + v
    e["augment_pacing"] = rounds[-1]["times"].get("augment_pacing") if rounds else None
    bp = rounds[0]["times"].get("buffer_packets", "") if rounds else ""
    e["buffer_packets"] = int(bp) if bp.isdigit() else None
    e["augment_show"] = [{"round": i + 1, "before_short_flows": r["augment_before"], "end": r["augment_end"]}
                         for i, r in enumerate(rounds)]
    return e


def order(name):
    if name == "iw10":
        return (0, 0)
    if name.startswith("static"):
        return (1, int(name[6:]) if name[6:].isdigit() else 0)
    if name.startswith("fixed"):
        return (2, int(name[5:]) if name[5:].isdigit() else 0)
    return (3, name)


def rtt_report(d):
    cfgs = {}
    for c in sorted(glob.glob(os.path.join(d, "*/")), key=lambda p: order(os.path.basename(p.rstrip("/")))):
        e = config(c.rstrip("/"))
        cfgs[e["name"]] = e
    tb = TARGET_BUCKET[0]
    base = cfgs.get("iw10")
    bm = base["buckets"][tb]["median_ms"] if base else None
    # Retransmissions per round (configurations may have different numbers of rounds).
    def per_round(e, k):
        return e[k] / e["rounds"] if e[k] is not None and e["rounds"] else None
    br = per_round(base, "retrans_segs") if base else None
    bs = per_round(base, "retrans_short_flows") if base else None
    for e in cfgs.values():
        m = e["buckets"][tb]["median_ms"]
        e["speedup_vs_iw10"] = bm / m if bm and m else None
        e["speedup_per_round"] = [a / b if a and b else None for a, b in
                                  zip(base["median_100k_1M_per_round_ms"] if base else [],
                                      e["median_100k_1M_per_round_ms"])]
        e["speedup_per_bucket"] = {}
        for name, _, _ in BUCKETS:
            a = base["buckets"][name]["median_ms"] if base else None
            b = e["buckets"][name]["median_ms"]
            e["speedup_per_bucket"][name] = a / b if a and b else None
        r1, s1 = per_round(e, "retrans_segs"), per_round(e, "retrans_short_flows")
        e["retrans_ratio_vs_iw10"] = r1 / br if br and r1 is not None else None
        e["short_retrans_ratio_vs_iw10"] = s1 / bs if bs and s1 is not None else None
    statics = [e for n, e in cfgs.items() if n.startswith("static") and e["buckets"][tb]["median_ms"]]
    best = min(statics, key=lambda e: e["buckets"][tb]["median_ms"])["name"] if statics else None
    aug = cfgs.get("augmenter")
    target = None
    if aug:
        sp, rr = aug["speedup_vs_iw10"], aug["retrans_ratio_vs_iw10"]
        target = {"speedup": sp, "speedup_target": TARGET_SPEEDUP, "retrans_ratio": rr,
                  "retrans_ratio_target": TARGET_RETRANS,
                  "short_flow_retrans_ratio": aug["short_retrans_ratio_vs_iw10"],
                  "speedup_met": sp is not None and sp >= TARGET_SPEEDUP,
                  "retrans_met": rr is not None and rr <= TARGET_RETRANS}
        target["met"] = target["speedup_met"] and target["retrans_met"]
        if best:
            bm2 = cfgs[best]["buckets"][tb]["median_ms"]
            am = aug["buckets"][tb]["median_ms"]
            target["speedup_vs_best_static"] = bm2 / am if bm2 and am else None
    return {"configs": cfgs, "best_static": best, "target": target}


def fmt(x, spec="%.0f"):
    return "-" if x is None else spec % x


def plots(out, res):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    if not res:
        return []
    names = [b[0] for b in BUCKETS] + [TARGET_BUCKET[0]]
    fig, axes = plt.subplots(1, len(res), figsize=(7 * len(res), 4.8), squeeze=False)
    for ax, (rtt, r) in zip(axes[0], sorted(res.items(), key=lambda kv_: int(kv_[0]))):
        cfgs = list(r["configs"].values())
        width = 0.8 / max(1, len(cfgs))
        for i, e in enumerate(cfgs):
            xs = [j + (i - (len(cfgs) - 1) / 2) * width for j in range(len(names))]
            m = [e["buckets"][n]["median_ms"] or 0 for n in names]
            p = [e["buckets"][n]["p95_ms"] or 0 for n in names]
            label = e["name"] + (" (best static)" if e["name"] == r["best_static"] else "")
            bars = ax.bar(xs, m, width, label=label)
            ax.scatter(xs, p, marker="_", s=120, color=bars.patches[0].get_facecolor(), zorder=3)
        ax.set_xticks(range(len(names)))
        ax.set_xticklabels(names, fontsize=8)
        ax.set_ylim(bottom=0)
        ax.set_ylabel("FCT (ms): bar median, tick p95")
        t = r.get("target") or {}
        ax.set_title("RTT %s ms: Augmenter %s x vs IW10 (100 kB-1 MB median)" % (
            rtt, fmt(t.get("speedup"), "%.2f")))
        ax.legend(fontsize=7)
    fig.tight_layout()
    p = os.path.join(out, "augment.png")
    fig.savefig(p, dpi=90)
    return [p]


def main():
    out = sys.argv[1]
    params = kv(os.path.join(out, "raw", "params"))
    res = {}
    for d in sorted(glob.glob(os.path.join(out, "raw", "rtt*/")), key=lambda p: int(p.rstrip("/")[len(os.path.join(out, "raw", "rtt")):])):
        res[os.path.basename(d.rstrip("/"))[3:]] = rtt_report(d.rstrip("/"))
    lines = ["Augmenter benchmark (QEMU TCG guest): %s Mbit/s link, %s Mbit/s of short flows "
             "(Poisson, log-uniform %s B - %s B, seed %s), %s s x %s rounds per configuration, one long flow"
             % (params.get("rate_mbit", "?"), params.get("load_mbit", "?"), params.get("min_bytes", "?"),
                params.get("max_bytes", "?"), params.get("seed", "?"), params.get("duration_s", "?"),
                params.get("rounds", "1")), ""]
    cols = [b[0] for b in BUCKETS] + [TARGET_BUCKET[0]]
    for rtt, r in sorted(res.items(), key=lambda kv_: int(kv_[0])):
        lines.append("RTT %s ms: FCT median / p95 (ms), completed flows per bucket" % rtt)
        lines.append("%-18s" % "config" + "".join("%-18s" % c for c in cols) + "speedup")
        for e in r["configs"].values():
            name = e["name"] + (" *" if e["name"] == r["best_static"] else "")
            lines.append("%-18s" % name + "".join(
                "%-18s" % ("%s/%s (%d)" % (fmt(e["buckets"][c]["median_ms"]), fmt(e["buckets"][c]["p95_ms"]),
                                          e["buckets"][c]["completed"])) for c in cols)
                + fmt(e["speedup_vs_iw10"], "%.2fx"))
        lines.append("(* best static: lowest median FCT of 100 kB-1 MB flows; speedup = IW10's median / "
                     "the config's, 100 kB-1 MB)")
        lines.append("%-18s %7s %6s %8s %7s %8s %8s %9s %7s  %-18s %s" % (
            "config", "retx", "x iw10", "long", "short", "x iw10", "drops", "timeouts", "failed",
            "IW med/p95 [min-max]", "long Mbit/s alone/loaded, cpu alone/loaded"))
        for e in r["configs"].values():
            iw = e["initial_windows"]
            lf = e["long_flow_mbit"]
            lines.append("%-18s %7s %6s %8s %7s %8s %8s %9s %7s  %-18s %s/%s, %s/%s%%" % (
                e["name"], fmt(e["retrans_segs"]), fmt(e["retrans_ratio_vs_iw10"], "%.2f"),
                fmt(e["retrans_long_flow"]), fmt(e["retrans_short_flows"]),
                fmt(e["short_retrans_ratio_vs_iw10"], "%.2f"), fmt(e.get("netem_drops_to_client")),
                fmt(e["tcp_ext"].get("TCPTimeouts")), sum(e["failed"].values()),
                "%s/%s [%s-%s]" % (fmt(iw["median"]), fmt(iw["p95"]), fmt(iw["min"]), fmt(iw["max"])),
                fmt(lf["alone"], "%.1f"), fmt(lf["during_short_flows"], "%.1f"),
                fmt(percent(e["guest_cpu_busy_long_flow_alone"])), fmt(percent(e["guest_cpu_busy"]))))
        lines.append("(retx: server RetransSegs; long: the long flow's; short: the rest; drops: netem at "
                     "the router towards the client; failed: short flows not completed)")
        lines.append("median FCT of flows started in the last third of a run / the first third (> 1.5: "
                     "the guest falls behind, overload): " + ", ".join(
                         "%s %s" % (e["name"], fmt(e["fct_growth_last_vs_first_third"], "%.2f"))
                         for e in r["configs"].values()))
        lines.append("median FCT 100 kB-1 MB per round (ms) and speedup vs IW10's same round:")
        for e in r["configs"].values():
            lines.append("  %-18s %s" % (e["name"], ", ".join(
                "%s (%s)" % (fmt(m), fmt(sp, "%.2fx"))
                for m, sp in zip(e["median_100k_1M_per_round_ms"], e["speedup_per_round"]))))
        aug = r["configs"].get("augmenter")
        for e in r["configs"].values():
            if e["name"].startswith(("augmenter", "fixed")) and e["augment_counters"]:
                lines.append("%s counters: %s" % (e["name"], ", ".join(
                    "%s %d" % (k[len("augment_"):], v) for k, v in sorted(e["augment_counters"].items()))))
        for show in (aug or {}).get("augment_show", []):
            for when in ["before_short_flows", "end"]:
                a = show[when]
                if a:
                    lines.append("augmenter round %d %s: learned %s packets, aggregate rate %s Mbit/s, "
                                 "flows %s, min RTT %s ms, loss %s ppm" % (
                                     show["round"], when.replace("_", " "),
                                     a.get("learned"), fmt(a.get("rate_mbit"), "%.1f"), a.get("flows"),
                                     fmt(a["min_rtt_us"] / 1000 if a.get("min_rtt_us") else None, "%.1f"),
                                     a.get("loss_ppm")))
        t = r["target"]
        if t:
            lines.append("target at %s ms: median FCT 100 kB-1 MB %s x lower than IW10 (>= %.1f: %s), "
                         "retransmissions %s x IW10's (<= %.2f: %s), short flows only %s x -> %s" % (
                             rtt, fmt(t["speedup"], "%.2f"), TARGET_SPEEDUP, "met" if t["speedup_met"] else "NOT met",
                             fmt(t["retrans_ratio"], "%.2f"), TARGET_RETRANS,
                             "met" if t["retrans_met"] else "NOT met", fmt(t["short_flow_retrans_ratio"], "%.2f"),
                             "TARGET MET" if t["met"] else "TARGET NOT MET"))
            if r["best_static"]:
                lines.append("best static: %s (%s x vs IW10); Augmenter vs best static: %s x" % (
                    r["best_static"], fmt(r["configs"][r["best_static"]]["speedup_vs_iw10"], "%.2f"),
                    fmt(t.get("speedup_vs_best_static"), "%.2f")))
        lines.append("")
    made = plots(out, res)
    lines.extend("plot: " + p for p in made)
    with open(os.path.join(out, "augment.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    doc = {
        "benchmark": "augment",
        "parameters": {
            "link_rate_mbit": int(params.get("rate_mbit", 100)),
            "rtts_ms": [int(x) for x in params.get("rtts_ms", "").split(",") if x.isdigit()],
            "duration_s": int(params.get("duration_s", 0) or 0),
            "short_flow_load_mbit": float(params.get("load_mbit", 0) or 0),
            "size_distribution": "log-uniform [%s, %s] bytes" % (params.get("min_bytes"), params.get("max_bytes")),
            "arrivals": "Poisson, rate = load / mean size",
            "seed": params.get("seed"),
            "initcwnd_sweep": params.get("initcwnds"),
            "configs": params.get("configs"),
            "rounds": int(params.get("rounds", 1) or 1),
            "warm_s": params.get("warm_s"),
            "grace_s": params.get("grace_s"),
            "buffer": "one BDP of 1514-byte packets per end (netem limit)",
            "client_tcp_rmem": params.get("client_tcp_rmem"),
            "server_cc": "tpc",
            "sysctls": {k: params.get(k) for k in ["augment_floor", "augment_ceiling", "augment_half_life_ms",
                                                   "augment_stale_ms", "augment_pacing"]},
            "kernel": params.get("kernel"),
            "guest": "QEMU TCG",
            "target": {"bucket": TARGET_BUCKET[0], "speedup_min": TARGET_SPEEDUP,
                       "retrans_ratio_max": TARGET_RETRANS},
        },
        "rtts": res,
        "plots": made,
    }
    path = os.path.join(out, "augment.json")
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)
    print(path)


if __name__ == "__main__":
    main()
