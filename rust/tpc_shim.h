/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every crossing between the Rust part of tcp_pathchanger and C.
 *
 * The C shim (tpc_shim.c) owns all kernel struct layouts the 6.12 Rust
 * bindings lack (tcp_congestion_ops, tcp_sock, inet_connection_sock,
 * miscdevice, nf_sockopt_ops, ctl_table construction) and wraps the static
 * inline helpers Rust cannot call. Rust mirrors the structs below by hand in
 * rust/ffi.rs; the static_asserts in tpc_shim.c pin their layout.
 *
 * Rules for callers (the Rust side):
 *  - tpc_shim_tcp_*() and tpc_shim_ca_*() accessors need a full TCP socket
 *    and its lock (socket spinlock in softirq, or lock_sock()).
 *  - the register and unregister functions run in process context.
 */
#ifndef _TPC_SHIM_H
#define _TPC_SHIM_H

#include <linux/types.h>
#include <linux/compiler_types.h>

struct sock;
struct tcp_congestion_ops;

/* Size of icsk_ca_priv the Rust side assumes; checked against the kernel. */
#define TPC_CA_PRIV_SIZE 104

/* ---- Congestion control -------------------------------------------- */

/*
 * Callbacks of one congestion control, all with the C signatures of
 * struct tcp_congestion_ops. NULL means "not implemented"; ssthresh,
 * undo_cwnd and cong_avoid are required.
 */
/* Mirror of struct ack_sample (checked in tpc_shim.c). */
struct tpc_ack_sample {
	u32 pkts_acked;
	s32 rtt_us;	/* -1: no sample */
	u32 in_flight;
};

struct tpc_ca_desc {
	const char *name;	/* at most TCP_CA_NAME_MAX - 1 bytes */
	u32 flags;		/* TCP_CONG_* */
	void (*init)(struct sock *sk);
	void (*release)(struct sock *sk);
	u32 (*ssthresh)(struct sock *sk);
	void (*cong_avoid)(struct sock *sk, u32 ack, u32 acked);
	void (*set_state)(struct sock *sk, u8 new_state);
	u32 (*undo_cwnd)(struct sock *sk);
	void (*pkts_acked)(struct sock *sk, const struct tpc_ack_sample *s);
	/* rs is a struct rate_sample (read with tpc_shim_ccp_sample()). */
	void (*cong_control)(struct sock *sk, u32 ack, int flag, const void *rs);
	/* ev is an enum tcp_ca_event (CA_EVENT_*). */
	void (*cwnd_event)(struct sock *sk, u32 ev);
};

/*
 * Flat copy of what the CCP datapath reads per ACK: the kernel's rate
 * sample and tcp_sock fields (tpc_shim_ccp_sample()).
 */
struct tpc_ccp_sample {
	/* struct rate_sample */
	s64 rs_interval_us;
	s64 rs_rtt_us;		/* -1: none */
	s32 rs_delivered;
	s32 rs_losses;
	u32 rs_snd_interval_us;
	u32 rs_rcv_interval_us;
	u32 rs_acked_sacked;
	u32 min_rtt_us;		/* tcp_min_rtt(); ~0: none */
	/* struct tcp_sock / sock */
	u64 bytes_acked;
	u64 pacing_rate;	/* sk_pacing_rate; ~0: unpaced */
	u32 mss;		/* mss_cache */
	u32 snd_cwnd;
	u32 snd_cwnd_clamp;
	u32 snd_ssthresh;
	u32 sacked_out;
	u32 in_flight;		/* tcp_packets_in_flight() */
	u32 delivered_ce;
	u32 pending;		/* write_seq - snd_una */
	u8 ca_state;
	u8 pad2[7];
};
/* Fills *out from sk and rs (rs may be NULL: its fields are 0, rtt -1). */
void tpc_shim_ccp_sample(const struct sock *sk, const void *rs,
			 struct tpc_ccp_sample *out);
/* What Augmenter reads from a socket (tcp_sock fields). */
struct tpc_aug_sample {
	u64 bytes_acked;
	u32 delivered;
	u32 lost;
	u32 min_rtt_us;		/* tcp_min_rtt(); ~0: none */
	u32 srtt_us;		/* µs; 0: none */
	u32 mss;		/* mss_cache */
	u32 snd_cwnd;
	u32 snd_cwnd_clamp;
	u32 snd_wnd;		/* bytes */
	u32 data_segs_out;
	u32 total_retrans;
	u32 packets_out;
	u32 reserved;
};
/* Fills *out from sk (socket lock held). */
void tpc_shim_aug_sample(const struct sock *sk, struct tpc_aug_sample *out);
/*
 * The locked RTAX_CWND metric of the socket's route (ip route ... cwnd lock
 * N), ~0 if none. Routes the socket first if it has no route (a routing
 * header just set resets it), as tcp_init_transfer() does. Socket lock
 * held.
 */
u32 tpc_shim_route_cwnd_lock(struct sock *sk);
/* tcp_is_cwnd_limited(). */
bool tpc_shim_tcp_is_cwnd_limited(const struct sock *sk);
/* tcp_slow_start(): grows snd_cwnd up to ssthresh; returns the rest of acked. */
u32 tpc_shim_tcp_slow_start(struct sock *sk, u32 acked);
/*
 * Proportional Rate Reduction in CWR and Recovery: the kernel's
 * tcp_cwnd_reduction() (not exported; the kernel skips it for a
 * cong_control algorithm), over tcp_sock's prior_cwnd, prr_delivered and
 * prr_out. flag: cong_control's.
 */
void tpc_shim_tcp_cwnd_reduction(struct sock *sk, u32 newly_acked_sacked,
				 u32 newly_lost, int flag);
/* tcp_cong_avoid_ai(): one packet per w acknowledged. */
void tpc_shim_tcp_cong_avoid_ai(struct sock *sk, u32 w, u32 acked);
/* snd_cwnd := clamp(pkts, 1, snd_cwnd_clamp). Socket lock held. */
void tpc_shim_tcp_set_cwnd(struct sock *sk, u32 pkts);
/* sk_pacing_rate := min(rate, sk_max_pacing_rate) (WRITE_ONCE). */
void tpc_shim_set_pacing_rate(struct sock *sk, u64 rate);
/*
 * sk_pacing_status NONE -> NEEDED (internal pacing unless sch_fq); true if
 * this call made the change.
 */
bool tpc_shim_pacing_init(struct sock *sk);
/*
 * sk_pacing_status NEEDED -> NONE (undoes tpc_shim_pacing_init()), unless
 * the application set SO_MAX_PACING_RATE (internal pacing enforces it).
 */
void tpc_shim_pacing_stop(struct sock *sk);
/*
 * The raw 4-tuple for CCP's CREATE: IPv4 addresses, or the last 4 bytes
 * of IPv6 ones, and ports, all as stored (network order).
 */
void tpc_shim_sk_raw_tuple(const struct sock *sk, u32 *saddr, u32 *sport,
			   u32 *daddr, u32 *dport);

/* Allocates, fills and registers; returns the ops or an ERR_PTR. */
struct tcp_congestion_ops *tpc_shim_ca_register(const struct tpc_ca_desc *d);
/* Unregisters (waits for RCU readers) and frees. */
void tpc_shim_ca_unregister(struct tcp_congestion_ops *ops);

size_t tpc_shim_ca_priv_size(void);
void *tpc_shim_ca_priv(struct sock *sk);
const struct tcp_congestion_ops *tpc_shim_ca_ops(const struct sock *sk);
u8 tpc_shim_ca_state(const struct sock *sk);
u32 tpc_shim_tcp_snd_cwnd(const struct sock *sk);
u32 tpc_shim_tcp_snd_ssthresh(const struct sock *sk);
u32 tpc_shim_tcp_srtt_us(const struct sock *sk);
/* True for a full (not request/timewait) TCP socket. */
bool tpc_shim_sk_is_tcp(const struct sock *sk);
u32 tpc_shim_tcp_snd_una(const struct sock *sk);
u32 tpc_shim_tcp_snd_nxt(const struct sock *sk);
u32 tpc_shim_tcp_rcv_nxt(const struct sock *sk);
u8 tpc_shim_sk_state(const struct sock *sk);
/* In set_state(TCP_CA_Loss): true if this is a retransmission timeout. */
bool tpc_shim_tcp_is_rto(const struct sock *sk);

struct tpc_sk_addrs {
	u8 saddr[16];
	u8 daddr[16];
	u16 sport;	/* host order */
	u16 dport;
};
/* Fills *a for an IPv6 socket (not v4-mapped); false otherwise. */
bool tpc_shim_sk_addrs(const struct sock *sk, struct tpc_sk_addrs *a);

/* Largest routing header tpc_shim_set_rthdr() takes. */
#define TPC_SHIM_RTHDR_MAX 2040
/*
 * Replaces the socket's routing header (len 0: removes it), keeping other
 * extension headers; syncs the MSS and resets the cached route. Socket
 * lock held (any context); never sleeps. -ENOBUFS: no option memory.
 */
int tpc_shim_set_rthdr(struct sock *sk, const void *rthdr, unsigned int len);
/*
 * TCP_PATH_CHANGED: icsk_rto = the RTT-based RTO (if an RTT is known),
 * halved if halve (when the retransmit timer doubles it right after);
 * icsk_backoff = 0. Socket lock held.
 */
void tpc_shim_tcp_path_changed(struct sock *sk, bool halve);
/* Sends an ACK for rcv_nxt now. Socket lock held. */
void tpc_shim_tcp_send_ack(struct sock *sk);

/*
 * Calls cb(sk, false), with sk's lock held, for every data segment that
 * TCP input drops as old or out of window (tcp_validate_incoming()) on a
 * socket whose congestion control is ops, and cb(sk, true) for those
 * dropped as TCP_OLD_DATA (end_seq == rcv_wup, in tcp_data_queue()).
 * Process context; one at a time.
 */
int tpc_shim_dup_probe_register(const struct tcp_congestion_ops *ops,
				void (*cb)(struct sock *sk, bool old_data));
/* Unregisters and waits until no probe runs. */
void tpc_shim_dup_probe_unregister(void);

/*
 * SYN-ACK hook: for every IPv6 SYN-ACK a listener using ops sends (TCP
 * directly after the IPv6 header), in any namespace, cb(net_cookie, a, s)
 * runs with a = the packet's addresses and ports (local -> remote). The
 * listener is not locked; softirq or process context, BH disabled or not.
 * cb may call tpc_shim_synack_insert(s, ...) once.
 */
struct tpc_synack;
typedef void (*tpc_synack_cb_t)(u64 net_cookie, const struct tpc_sk_addrs *a,
				struct tpc_synack *s);
/* Process context; one registration at a time (-EBUSY). */
int tpc_shim_synack_register(const struct tcp_congestion_ops *ops,
			     tpc_synack_cb_t cb);
/* Unregisters in every namespace and waits until no hook runs. */
void tpc_shim_synack_unregister(void);
/*
 * Inserts the SRH rthdr (len bytes) after the IPv6 header, as IPV6_RTHDR
 * would have (segments[0] becomes the final destination, the destination
 * segments[segments_left]), and re-routes the packet. -EINVAL: bad
 * framing; -ENOMEM; or a routing error.
 */
int tpc_shim_synack_insert(struct tpc_synack *s, const void *rthdr,
			   unsigned int len);
/* Cookie of the socket's network namespace (unique while the boot lasts). */
u64 tpc_shim_sk_net_cookie(const struct sock *sk);

/* ---- BH-safe spinlock -------------------------------------------------- */

struct tpc_bh_lock;
struct tpc_bh_lock *tpc_shim_bh_lock_alloc(void);
void tpc_shim_bh_lock_free(struct tpc_bh_lock *l);
void tpc_shim_bh_lock(struct tpc_bh_lock *l);
void tpc_shim_bh_unlock(struct tpc_bh_lock *l);

/* Statically allocated BH locks, by id. */
#define TPC_LOCK_PATHS	0
#define TPC_LOCK_EVENTS	1
#define TPC_LOCK_EXP3	2
#define TPC_LOCK_SYNACK	3
#define TPC_LOCK_CCP	4
void tpc_shim_static_lock(unsigned int id);
void tpc_shim_static_unlock(unsigned int id);

/* ---- Misc character device ----------------------------------------- */

#define TPC_CHR_READABLE 0x1
#define TPC_CHR_WRITABLE 0x2

struct tpc_chr_file;	/* one per open file; owns the wait queue */
struct tpc_chr_dev;	/* one per registered device */

/*
 * Per-file callbacks. priv is what open() stored. read() returns -EAGAIN
 * when nothing is queued: the shim then sleeps (unless O_NONBLOCK) until
 * poll() reports TPC_CHR_READABLE. Calls on one file may run concurrently.
 */
struct tpc_chr_ops {
	int (*open)(struct tpc_chr_file *f, void **priv);
	void (*release)(void *priv);
	ssize_t (*read)(void *priv, char __user *buf, size_t len);
	ssize_t (*write)(void *priv, const char __user *buf, size_t len);
	u32 (*poll)(void *priv);	/* TPC_CHR_* */
};

struct tpc_chr_dev *tpc_shim_chr_register(const char *name, umode_t mode,
					  const struct tpc_chr_ops *ops);
void tpc_shim_chr_unregister(struct tpc_chr_dev *dev);
/* Wakes readers and pollers of one open file; any context. */
void tpc_shim_chr_wake(struct tpc_chr_file *f);
/* Wakes readers and pollers of every open file; any context. */
void tpc_shim_chr_wake_all(void);

/* get_random_u32(): any context. */
u32 tpc_shim_random_u32(void);

bool tpc_shim_capable_net_admin(void);

/* ---- Sysctl ---------------------------------------------------------- */

struct tpc_sysctl_knob {
	const char *name;
	int *data;
	const int *min;
	const int *max;
};

struct tpc_sysctl;
/* Registers integer knobs (mode 0644) under path, e.g. "net/tpc". */
struct tpc_sysctl *tpc_shim_sysctl_register(const char *path,
					    const struct tpc_sysctl_knob *k,
					    unsigned int n);
void tpc_shim_sysctl_unregister(struct tpc_sysctl *s);

/* ---- Private socket options ------------------------------------------ */

/* Largest optval the shim copies for a handler. */
#define TPC_SOCKOPT_BUF 256

/*
 * Handlers for option numbers [base, base + count) at SOL_IP / SOL_IPV6.
 * They run in process context with lock_sock() held; buffers are kernel
 * memory. get() sets *len to the bytes produced.
 */
struct tpc_sockopt_ops {
	int base;
	int count;
	int (*get)(struct sock *sk, int optname, void *buf, int *len);
	int (*set)(struct sock *sk, int optname, const void *buf,
		   unsigned int len);
};

/* Only one registration may exist at a time. */
int tpc_shim_sockopt_register(const struct tpc_sockopt_ops *ops);
void tpc_shim_sockopt_unregister(void);

#endif /* _TPC_SHIM_H */
