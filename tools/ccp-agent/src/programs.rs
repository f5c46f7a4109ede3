// SPDX-License-Identifier: GPL-2.0

//! The datapath programs the agent installs (portus language). Also
//! compiled by `tpc-host-tests`, which runs them through the module's
//! verifier and interpreter.

/// The datapath program reporting on every ACK.
pub(crate) const PER_ACK: &str = "
(def (Report (volatile acked 0) (volatile sacked 0) (volatile loss 0)
             (volatile timeout false) (volatile rtt 0) (volatile inflight 0)
             (volatile cwnd 0)))
(when true
    (:= Report.acked (+ Report.acked Ack.bytes_acked))
    (:= Report.sacked (+ Report.sacked Ack.packets_misordered))
    (:= Report.loss (+ Report.loss Ack.lost_pkts_sample))
    (:= Report.timeout Flow.was_timeout)
    (:= Report.rtt Flow.rtt_sample_us)
    (:= Report.inflight Flow.packets_in_flight)
    (:= Report.cwnd Cwnd)
    (report))
";

/// The datapath program reporting every `interval` µs (set with the
/// program), and at once on loss or timeout. Micros restarts from 0 after
/// each report.
pub(crate) const INTERVAL: &str = "
(def (Report (volatile acked 0) (volatile sacked 0) (volatile loss 0)
             (volatile timeout false) (volatile rtt 0) (volatile inflight 0)
             (volatile cwnd 0))
     (interval 10000))
(when true
    (:= Report.acked (+ Report.acked Ack.bytes_acked))
    (:= Report.sacked (+ Report.sacked Ack.packets_misordered))
    (:= Report.loss (+ Report.loss Ack.lost_pkts_sample))
    (:= Report.timeout Flow.was_timeout)
    (:= Report.rtt Flow.rtt_sample_us)
    (:= Report.inflight Flow.packets_in_flight)
    (:= Report.cwnd Cwnd)
    (fallthrough))
(when (|| Report.timeout (> Report.loss 0))
    (report)
    (:= Micros 0))
(when (> Micros interval)
    (report)
    (:= Micros 0))
";
