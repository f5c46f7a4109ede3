#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Report of scripts/bench-ccp.sh: the CCP datapath against the kernel.

    ccp-report.py OUT SECS PARTS MBIT

Reads OUT/raw/ (written by ccp-guest.sh in the guest) and writes OUT/ccp.txt
(tables, with the CCP thesis' figures and the issue's targets),
OUT/ccp_fidelity.png, OUT/ccp_ipc.png, OUT/ccp_flows.png and OUT/ccp.json;
prints the tables and, last, the JSON file's path.

Metrics:
- fidelity: per 0.1 s interval of iperf3, throughput (Mbit/s) and queueing
  delay (the sender's smoothed RTT in that interval minus the run's lowest);
  p10/p50/p90 per link and algorithm, and the gap of CCP's median to the
  kernel's (same algorithm) relative to the kernel's;
- loopback: iperf3 goodput; CCP as a share of the kernel's reno (target:
  10 ms reports >= 98 %; thesis: 29 and 41 vs 43 Gbit/s);
- ipc: round-trip p50/p95/p99 in µs (target: /dev/ccpkp no worse than the
  Unix-domain socket echo; thesis: p95 < 30 µs);
- flows: aggregate goodput, system CPU (busy share of all CPUs) and the
  agent's CPU per number of parallel flows.
"""

import glob
import json
import os
import statistics
import sys

from benchlib import load_json as load, pct

ALGS = ["reno", "cubic", "ccp-reno", "ccp-cubic"]
LINKS = ["fixed", "lossy", "variable"]


def goodput_mbit(j):
    try:
        return j["end"]["sum_received"]["bits_per_second"] / 1e6
    except (KeyError, TypeError):
        return None


def fidelity(out):
    res = {}
    for link in LINKS:
        for alg in ALGS:
            j = load(os.path.join(out, "raw", "fidelity", "%s_%s.json" % (link, alg)))
            if not j or "intervals" not in j:
                continue
            tput, rtt = [], []
            for iv in j["intervals"]:
                tput.append(iv["sum"]["bits_per_second"] / 1e6)
                r = [s.get("rtt") for s in iv["streams"] if s.get("rtt")]
                if r:
                    rtt.append(r[0] / 1000.0)
            base = min(rtt) if rtt else 0
            qd = [r - base for r in rtt]
            res["%s/%s" % (link, alg)] = {
                "link": link,
                "alg": alg,
                "goodput_mbit": goodput_mbit(j),
                "throughput_mbit": {"p10": pct(tput, 10), "p50": pct(tput, 50), "p90": pct(tput, 90)},
                "queueing_delay_ms": {"p10": pct(qd, 10), "p50": pct(qd, 50), "p90": pct(qd, 90)},
                "min_rtt_ms": base,
                "samples": {"throughput_mbit": tput, "queueing_delay_ms": qd},
                "retransmits": j["end"].get("sum_sent", {}).get("retransmits"),
            }
    gaps = {}
    for link in LINKS:
        for a in ["reno", "cubic"]:
            k, c = res.get("%s/%s" % (link, a)), res.get("%s/ccp-%s" % (link, a))
            if k and c and k["throughput_mbit"]["p50"]:
                gaps["%s/%s" % (link, a)] = {
                    "throughput_median_gap": (c["throughput_mbit"]["p50"] - k["throughput_mbit"]["p50"])
                    / k["throughput_mbit"]["p50"],
                    "queueing_median_ms_kernel": k["queueing_delay_ms"]["p50"],
                    "queueing_median_ms_ccp": c["queueing_delay_ms"]["p50"],
                }
    return res, gaps


def loopback(out):
    r = {}
    for name in ["reno", "ccp-ack", "ccp-10ms"]:
        g = goodput_mbit(load(os.path.join(out, "raw", "loopback", name + ".json")))
        if g is not None:
            r[name] = g / 1000.0
    share = {}
    if r.get("reno"):
        for k in ["ccp-ack", "ccp-10ms"]:
            if k in r:
                share[k] = r[k] / r["reno"]
    return {"gbit": r, "share_of_native": share, "target_10ms_share": 0.98,
            "thesis_gbit": {"ccp-ack": 29, "ccp-10ms": 41, "native": 43}}


def ipc(out):
    r = {}
    for kind in ["ccp", "uds"]:
        try:
            with open(os.path.join(out, "raw", "ipc", kind + ".ns")) as f:
                xs = [int(x) / 1000.0 for x in f if x.strip()]
        except OSError:
            continue
        r[kind] = {"n": len(xs), "p50_us": pct(xs, 50), "p95_us": pct(xs, 95), "p99_us": pct(xs, 99),
                   "mean_us": statistics.mean(xs) if xs else None, "samples_us": xs}
    ok = None
    if "ccp" in r and "uds" in r:
        ok = r["ccp"]["p95_us"] <= r["uds"]["p95_us"]
    return {"rtt": r, "ccp_no_worse_than_uds_p95": ok, "thesis_p95_us_below": 30}


def kv(path):
    d = {}
    try:
        with open(path) as f:
            for line in f:
                k, _, v = line.strip().partition("=")
                d[k] = v
    except OSError:
        pass
    return d


def flows(out):
    r = {}
    for path in sorted(glob.glob(os.path.join(out, "raw", "flows", "*.json"))):
        name = os.path.basename(path)[:-5]
        cc, n = name.rsplit("_", 1)
        c = kv(path[:-5] + ".cpu")
        e = {"cc": cc, "flows": int(n), "goodput_mbit": goodput_mbit(load(path))}
        try:
            b0, t0 = (int(x) for x in c["cpu0"].split(","))
            b1, t1 = (int(x) for x in c["cpu1"].split(","))
            e["system_cpu"] = (b1 - b0) / max(1, t1 - t0)
            hz = int(c.get("hz", "100"))
            e["agent_cpu_s"] = (int(c["agent1"]) - int(c["agent0"])) / hz
        except (KeyError, ValueError):
            pass
        r[name] = e
    return r


def plots(out, fid, ip, fl):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    made = []
    if fid:
        fig, axes = plt.subplots(2, len(LINKS), figsize=(5 * len(LINKS), 8))
        for col, link in enumerate(LINKS):
            for alg in ALGS:
                e = fid.get("%s/%s" % (link, alg))
                if not e:
                    continue
                for row, key in enumerate(["throughput_mbit", "queueing_delay_ms"]):
                    xs = sorted(e["samples"][key])
                    ys = [(i + 1) / len(xs) for i in range(len(xs))]
                    axes[row][col].step(xs, ys, where="post", label=alg,
                                        linestyle="--" if alg.startswith("ccp") else "-")
            axes[0][col].set_title("%s link" % link)
            axes[0][col].set_xlabel("throughput per 0.1 s (Mbit/s)")
            axes[1][col].set_xlabel("queueing delay (ms)")
            for row in range(2):
                axes[row][col].set_ylabel("CDF")
                axes[row][col].legend(fontsize=8)
        fig.tight_layout()
        p = os.path.join(out, "ccp_fidelity.png")
        fig.savefig(p, dpi=90)
        made.append(p)
    if ip.get("rtt"):
        fig, ax = plt.subplots(figsize=(6, 4))
        for kind, e in ip["rtt"].items():
            xs = sorted(e["samples_us"])
            ax.step(xs, [(i + 1) / len(xs) for i in range(len(xs))], where="post",
                    label={"ccp": "/dev/ccpkp", "uds": "Unix socket echo"}[kind])
        ax.set_xscale("log")
        ax.set_xlabel("round trip (µs)")
        ax.set_ylabel("CDF")
        ax.legend()
        fig.tight_layout()
        p = os.path.join(out, "ccp_ipc.png")
        fig.savefig(p, dpi=90)
        made.append(p)
    if fl:
        fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 4))
        for cc in ["reno", "ccp"]:
            es = sorted((e for e in fl.values() if e["cc"] == cc), key=lambda e: e["flows"])
            a1.plot([e["flows"] for e in es], [e.get("goodput_mbit") or 0 for e in es], marker="o", label=cc)
            a2.plot([e["flows"] for e in es], [100 * e.get("system_cpu", 0) for e in es], marker="o", label=cc)
        a1.set_xscale("log", base=2)
        a2.set_xscale("log", base=2)
        a1.set_xlabel("parallel flows")
        a2.set_xlabel("parallel flows")
        a1.set_ylabel("goodput (Mbit/s)")
        a2.set_ylabel("system CPU (%)")
        a1.legend()
        a2.legend()
        fig.tight_layout()
        p = os.path.join(out, "ccp_flows.png")
        fig.savefig(p, dpi=90)
        made.append(p)
    return made


def fmt(x, spec="%.1f"):
    return "-" if x is None else spec % x


def main():
    out, secs, parts, mbit = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(","), int(sys.argv[4])
    fid, gaps = fidelity(out) if "fidelity" in parts else ({}, {})
    lb = loopback(out) if "loopback" in parts else {}
    ip = ipc(out) if "ipc" in parts else {}
    fl = flows(out) if "flows" in parts else {}
    lines = ["CCP datapath benchmark (TCG guest; %d s per transfer; fidelity link %d Mbit/s, 20 ms)"
             % (secs, mbit), ""]
    if fid:
        lines.append("Fidelity: per-0.1 s throughput (Mbit/s) and queueing delay (ms), p10/p50/p90")
        lines.append("%-9s %-10s %8s  %-20s %-20s %s" % ("link", "alg", "goodput", "throughput", "queueing", "retx"))
        for k, e in fid.items():
            t, q = e["throughput_mbit"], e["queueing_delay_ms"]
            lines.append("%-9s %-10s %8s  %-20s %-20s %s" % (
                e["link"], e["alg"], fmt(e["goodput_mbit"]),
                "/".join(fmt(t[p]) for p in ["p10", "p50", "p90"]),
                "/".join(fmt(q[p]) for p in ["p10", "p50", "p90"]), e["retransmits"]))
        for k, g in gaps.items():
            lines.append("gap %-15s median throughput %+.1f %%, median queueing %s ms (kernel) vs %s ms (ccp)" % (
                k, 100 * g["throughput_median_gap"], fmt(g["queueing_median_ms_kernel"]),
                fmt(g["queueing_median_ms_ccp"])))
        lines.append("")
    if lb:
        lines.append("Loopback goodput (Gbit/s): " + ", ".join("%s %.2f" % kv_ for kv_ in lb["gbit"].items()))
        for k, v in lb["share_of_native"].items():
            lines.append("  %s: %.1f %% of native reno" % (k, 100 * v))
        lines.append("  target: 10 ms reports >= 98 % of native; thesis: 29 / 41 vs 43 Gbit/s")
        lines.append("")
    if ip.get("rtt"):
        lines.append("IPC round trip (µs): p50 / p95 / p99")
        for kind, e in ip["rtt"].items():
            lines.append("  %-4s %s / %s / %s (n=%d)" % (kind, fmt(e["p50_us"]), fmt(e["p95_us"]), fmt(e["p99_us"]), e["n"]))
        lines.append("  /dev/ccpkp no worse than the Unix socket at p95: %s (thesis: p95 < 30 µs)" % ip["ccp_no_worse_than_uds_p95"])
        lines.append("")
    if fl:
        lines.append("Parallel flows: goodput (Mbit/s), system CPU, agent CPU (s)")
        for e in sorted(fl.values(), key=lambda e: (e["flows"], e["cc"])):
            lines.append("  %-4s x %-3d %8s  %5s %%  %s" % (
                e["cc"], e["flows"], fmt(e.get("goodput_mbit")),
                fmt(100 * e["system_cpu"]) if "system_cpu" in e else "-",
                fmt(e.get("agent_cpu_s"), "%.2f") if e["cc"] == "ccp" else "-"))
        lines.append("")
    made = plots(out, fid, ip, fl)
    lines.extend("plot: " + p for p in made)
    with open(os.path.join(out, "ccp.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    # Samples stay in the raw files; the JSON keeps the figures.
    for e in fid.values():
        e.pop("samples", None)
    for e in ip.get("rtt", {}).values():
        e.pop("samples_us", None)
    doc = {
        "benchmark": "ccp",
        "parameters": {"secs_per_transfer": secs, "parts": parts, "link_rate_mbit": mbit,
                       "link_rtt_ms": 20, "buffer_packets": mbit * 1000000 // 8 * 20 // 1000 // 1514,
                       "lossy_loss": "0.01% each way",
                       "variable": "%d/%d Mbit/s every 2 s" % (mbit, mbit // 2), "report_interval_ms": 10,
                       "guest": "QEMU TCG"},
        "fidelity": fid,
        "fidelity_gaps": gaps,
        "loopback": lb,
        "ipc": ip,
        "flows": fl,
        "plots": made,
    }
    path = os.path.join(out, "ccp.json")
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)
    print(path)


if __name__ == "__main__":
    main()
