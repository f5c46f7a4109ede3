#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Report of scripts/bench-failover.sh: recovery times per configuration.

    failover-report.py OUT RUNS CONFIGS

Reads OUT/raw/<config>/ (written by failover-guest.sh in the guest) and
writes OUT/failover.txt (table, with the paper's figures), OUT/failover_cdf.png
and OUT/failover.json; prints the table and, last, the JSON file's path.

Metric (the paper's): for each data connection and each side, the last path
change after the failure; its time minus the failure time is the reaction
time. A change caused by RTOs (rto, timeout) is a sender recovery, one caused
by duplicate data (dupdata) a receiver recovery. Flow K is the connection
to port 5201 + K (tpc_helper rsource/rsink: no control connections).
"""

import json
import os
import statistics
import sys

CLIENT, SERVER = "fd00:a::2", "fd00:b::2"
FLOW_RATE = "10 Mbit/s"
FAIL_AT_S = 2.5
WINDOW_NS = 9 * 10**9  # the flows run 8.2 s after the failure

# strategy, flows, npaths, paths failed, RTT (ms); mirrors failover-guest.sh.
CONFIGS = {
    "nrto": ("nrto", 1, 2, 1, 6),
    "timeout": ("timeout", 1, 2, 1, 6),
    "flows5": ("nrto", 5, 2, 1, 6),
    "flows10": ("nrto", 10, 2, 1, 6),
    "flows20": ("nrto", 20, 2, 1, 6),
    "two_of_three": ("nrto", 1, 3, 2, 6),
    "rtt24": ("nrto", 1, 2, 1, 24),
    "rtt84": ("nrto", 1, 2, 1, 84),
    "timeout_rtt84": ("timeout", 1, 2, 1, 84),
}
N, T_MS = 3, 700

PAPER = {
    "nrto": {"sender_median_ms": 1600, "receiver_minus_sender_median_ms": 225,
             "analytic_bound_ms": 1442, "note": "7 x RTO with RTO about 206 ms"},
}


def tlp_ms(rtt):
    """Linux's tail-loss probe timeout with one segment in flight (a paced
    10 Mbit/s flow has one when ACKs stop): 2 x SRTT + rto_min (200 ms).
    The probe fires before the first RTO and re-arms the timer, so it
    delays every RTO of the episode (tcp_schedule_loss_probe)."""
    return 2 * rtt + 200


def bound_ms(strategy, moves, rto, first=0.0):
    """Earliest sender move(s) after a failure for RTO rto (ms), backoff 2x,
    when the first RTO of the episode comes `first` ms late (a probe)."""
    if strategy == "nrto":
        return first + moves * (2**N - 1) * rto
    k = 2  # TimeoutChanger: never the episode's first RTO
    while first + (2**k - 1) * rto < T_MS:
        k += 1
    return first + moves * (2**k - 1) * rto


def stats(values):
    if not values:
        return {"n": 0}
    v = sorted(values)
    pick = lambda q: v[min(len(v) - 1, int(q * len(v)))]
    return {"n": len(v), "median": statistics.median(v), "mean": statistics.fmean(v),
            "p10": pick(0.1), "p90": pick(0.9), "min": v[0], "max": v[-1], "values": v}


def read_events(path):
    evs = []
    if not os.path.exists(path):
        return evs
    with open(path) as f:
        for line in f:
            try:
                e = json.loads(line)
            except ValueError:
                continue
            if "reason" in e:
                evs.append(e)
    return evs


def first_packet_ms(d, run, what, decided_ns):
    """ms from the module's decision (event time) to tcpdump's first packet."""
    try:
        line = open(os.path.join(d, f"run{run}.{what}")).readline()
        offset_us = int(open(os.path.join(d, f"run{run}.mono_offset_us")).read())
        ts_us = int(round(float(line.split()[0]) * 1e6))
    except (OSError, ValueError, IndexError):
        return None
    return (ts_us - offset_us) / 1e3 - decided_ns / 1e6


def analyse(out, name, runs):
    strategy, flows, npaths, moves, rtt = CONFIGS[name]
    d = os.path.join(out, "raw", name)
    evs = read_events(os.path.join(d, "events.jsonl"))
    sender, receiver, rtos, unrecovered = [], [], [], 0
    first_data, first_ack = [], []
    for run in range(1, runs + 1):
        try:
            t_fail = int(open(os.path.join(d, f"run{run}.fail")).read())
        except (OSError, ValueError):
            continue
        try:
            rtos.append(float(open(os.path.join(d, f"run{run}.rto")).read()))
        except (OSError, ValueError):
            pass
        for k in range(flows):
            port = 5201 + k
            sides = {
                "client": lambda e: e["saddr"] == CLIENT and e["dport"] == port,
                "server": lambda e: e["saddr"] == SERVER and e["sport"] == port,
            }
            for side, match in sides.items():
                ch = [e for e in evs if match(e) and e["reason"] != "init"
                      and t_fail <= e["ktime_ns"] < t_fail + WINDOW_NS]
                if not ch:
                    if side == "client":
                        unrecovered += 1
                    continue
                last = max(ch, key=lambda e: e["ktime_ns"])
                ms = (last["ktime_ns"] - t_fail) / 1e6
                first = min(ch, key=lambda e: e["ktime_ns"])
                if flows == 1 and first["new"] == 1:
                    lat = first_packet_ms(d, run, "first_data" if side == "client" else "first_ack",
                                          first["ktime_ns"])
                    if lat is not None:
                        (first_data if side == "client" else first_ack).append(lat)
                if last["reason"] in ("rto", "timeout"):
                    sender.append(ms)
                elif last["reason"] == "dupdata":
                    receiver.append(ms)
    rto = statistics.median(rtos) if rtos else None
    b = bound_ms(strategy, moves, rto) if rto else None
    bt = bound_ms(strategy, moves, rto, tlp_ms(rtt)) if rto else None
    s = stats(sender)
    res = {
        "strategy": strategy, "flows": flows, "paths": npaths, "paths_failed": moves,
        "rtt_ms": rtt, "runs": runs, "rto_ms_median": rto,
        "analytic_sender_bound_ms": b,
        "analytic_receiver_bound_ms": b + rto if b else None,
        "analytic_sender_bound_with_tlp_ms": bt,
        "median_sender_over_bound_with_tlp": (s["median"] / bt) if bt and s["n"] else None,
        "sender_recovery_ms": s, "receiver_recovery_ms": stats(receiver),
        "connections_without_sender_move": unrecovered,
        "median_sender_over_bound": (s["median"] / b) if b and s["n"] else None,
        "decision_to_first_data_packet_on_new_path_ms": stats(first_data),
        "decision_to_first_ack_on_new_path_ms": stats(first_ack),
    }
    return res


def fmt(x, spec="{:.0f}"):
    return "-" if x is None else spec.format(x)


def table(results):
    hdr = ("config", "rtt", "rto", "bound", "+tlp", "snd n", "snd med", "snd p90", "rcv n",
           "rcv med", "rcv-snd", "med/bound", "med/(+tlp)")
    rows = [hdr]
    for name, r in results.items():
        s, v = r["sender_recovery_ms"], r["receiver_recovery_ms"]
        rows.append((name, str(r["rtt_ms"]), fmt(r["rto_ms_median"]),
                     fmt(r["analytic_sender_bound_ms"]),
                     fmt(r["analytic_sender_bound_with_tlp_ms"]), str(s["n"]), fmt(s.get("median")),
                     fmt(s.get("p90")), str(v["n"]), fmt(v.get("median")),
                     fmt(v["median"] - s["median"]) if s["n"] and v["n"] else "-",
                     fmt(r["median_sender_over_bound"], "{:.3f}"),
                     fmt(r["median_sender_over_bound_with_tlp"], "{:.3f}")))
    w = [max(len(row[i]) for row in rows) for i in range(len(hdr))]
    lines = ["  ".join(c.rjust(w[i]) for i, c in enumerate(row)) for row in rows]
    lines.insert(1, "  ".join("-" * x for x in w))
    lat = [(n, r["decision_to_first_data_packet_on_new_path_ms"],
            r["decision_to_first_ack_on_new_path_ms"]) for n, r in results.items()]
    lat = [(n, a, b) for n, a, b in lat if a["n"] or b["n"]]
    if lat:
        lines += ["", "decision -> first packet on the new path (ms, median / max, tcpdump at the",
                  "edge router; includes the guest's timestamping noise):"]
        lines += [f"  {n}: data {fmt(a.get('median'), '{:.2f}')} / {fmt(a.get('max'), '{:.2f}')}"
                  f" (n={a['n']}), ack {fmt(b.get('median'), '{:.2f}')} / "
                  f"{fmt(b.get('max'), '{:.2f}')} (n={b['n']})" for n, a, b in lat]
    lines += ["", "times in ms; snd/rcv = sender/receiver recovery (last path change after the",
              "failure); bound = analytic earliest sender move for the measured RTO",
              "(NRTOChanger(3): 7 x RTO per failed path; TimeoutChanger(700 ms): first",
              "(2^k - 1) x RTO >= 700 ms with k >= 2). +tlp adds Linux's tail-loss probe,",
              "which fires first and re-arms the RTO: 2 x RTT + 200 ms with one segment in",
              "flight.",
              "paper (NRTOChanger(3,2), RTT 6 ms): sender median 1600 ms, receiver about",
              "+225 ms, analytic bound 7 x RTO = 1442 ms (RTO about 206 ms)."]
    return "\n".join(lines)


def plot(results, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), sharey=True)
    for ax, key, title in ((axes[0], "sender_recovery_ms", "sender"),
                           (axes[1], "receiver_recovery_ms", "receiver")):
        for name, r in results.items():
            v = r[key].get("values", [])
            if v:
                ax.step(v, [(i + 1) / len(v) for i in range(len(v))], where="post", label=name)
        if "nrto" in results:
            ax.axvline(1600 if title == "sender" else 1825, color="grey", ls=":",
                       label="paper median (NRTO, 6 ms)")
        ax.set_title(f"{title} recovery after the failure")
        ax.set_xlabel("ms")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("CDF")
    axes[1].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    return path


def main():
    out, runs, configs = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(",")
    results = {c: analyse(out, c, runs) for c in configs if c in CONFIGS}
    text = table(results)
    with open(os.path.join(out, "failover.txt"), "w") as f:
        f.write(text + "\n")
    png = plot(results, os.path.join(out, "failover_cdf.png"))
    doc = {
        "benchmark": "failover",
        "parameters": {"runs": runs, "configs": configs, "flow_rate": FLOW_RATE,
                       "fail_at_s": FAIL_AT_S, "n": N, "m": 2, "t_ms": T_MS,
                       "failure": "netem loss 100% on path 0's core link, both directions",
                       "guest": "QEMU TCG, 2 vCPUs"},
        "results": results, "paper": PAPER, "plot": png,
    }
    jpath = os.path.join(out, "failover.json")
    with open(jpath, "w") as f:
        json.dump(doc, f, indent=1)
    print(text)
    print(f"plot: {png}" if png else "plot: not written (python3-matplotlib missing)")
    print(jpath)


if __name__ == "__main__":
    main()
