// SPDX-License-Identifier: GPL-2.0
/*
 * C shim of tcp_pathchanger: the struct layouts and static inline helpers
 * that Linux 6.12's Rust bindings do not provide. It holds no policy; every
 * decision is taken by the Rust code that calls it (see rust/mod.rs). The
 * contract of each function is in tpc_shim.h.
 */

#include <linux/build_bug.h>
#include <linux/capability.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/netfilter.h>
#include <linux/poll.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/sockptr.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/sysctl.h>
#include <linux/uaccess.h>
#include <linux/wait.h>
#include <linux/wait_bit.h>
#include <linux/ipv6.h>
#include <linux/tracepoint.h>
#include <net/dropreason-core.h>
#include <net/ip6_route.h>
#include <net/net_namespace.h>
#include <net/seg6.h>
#include <linux/netfilter_ipv6.h>
#include <linux/seg6.h>
#include <net/inet_connection_sock.h>
#include <net/ipv6.h>
#include <net/sock.h>
#include <net/tcp.h>
#include <trace/events/skb.h>

#include "tpc_shim.h"
#include "../include/uapi/linux/tcp_pathchanger.h"

static_assert(TPC_CA_PRIV_SIZE ==
	      sizeof(((struct inet_connection_sock *)0)->icsk_ca_priv));
static_assert(sizeof(struct tpc_conn_info) <= TPC_SOCKOPT_BUF);
static_assert(sizeof(struct tpc_ack_sample) == sizeof(struct ack_sample));
static_assert(sizeof(struct tpc_ccp_sample) == 96);
static_assert(sizeof(struct tpc_aug_sample) == 56);
static_assert(offsetof(struct tpc_ack_sample, rtt_us) ==
	      offsetof(struct ack_sample, rtt_us));
static_assert(offsetof(struct tpc_ack_sample, in_flight) ==
	      offsetof(struct ack_sample, in_flight));

/* ---- Congestion control -------------------------------------------- */

struct tcp_congestion_ops *tpc_shim_ca_register(const struct tpc_ca_desc *d)
{
	struct tcp_congestion_ops *ops;
	int err;

	if (!d->name || strlen(d->name) >= TCP_CA_NAME_MAX)
		return ERR_PTR(-EINVAL);
	/*
	 * The kernel links the ops into its list and writes their key, so
	 * they must live in writable memory.
	 */
	ops = kzalloc(sizeof(*ops), GFP_KERNEL);
	if (!ops)
		return ERR_PTR(-ENOMEM);
	strscpy(ops->name, d->name, sizeof(ops->name));
	ops->owner = THIS_MODULE;
	ops->flags = d->flags;
	ops->init = d->init;
	ops->release = d->release;
	ops->ssthresh = d->ssthresh;
	ops->cong_avoid = d->cong_avoid;
	ops->set_state = d->set_state;
	ops->undo_cwnd = d->undo_cwnd;
	ops->pkts_acked = (void (*)(struct sock *, const struct ack_sample *))
		d->pkts_acked;
	ops->cong_control = (void (*)(struct sock *, u32, int,
				      const struct rate_sample *))d->cong_control;
	ops->cwnd_event = (void (*)(struct sock *, enum tcp_ca_event))
		d->cwnd_event;

	err = tcp_register_congestion_control(ops);
	if (err) {
		kfree(ops);
		return ERR_PTR(err);
	}
	return ops;
}

void tpc_shim_ca_unregister(struct tcp_congestion_ops *ops)
{
	/* Includes synchronize_rcu(): no lookup can still see ops. */
	tcp_unregister_congestion_control(ops);
	kfree(ops);
}

void tpc_shim_ccp_sample(const struct sock *sk, const void *rsv,
			 struct tpc_ccp_sample *out)
{
	const struct rate_sample *rs = rsv;
	const struct tcp_sock *tp = tcp_sk(sk);

	memset(out, 0, sizeof(*out));
	out->rs_rtt_us = -1;
	if (rs) {
		out->rs_interval_us = rs->interval_us;
		out->rs_rtt_us = rs->rtt_us;
		out->rs_delivered = rs->delivered;
		out->rs_losses = rs->losses;
		out->rs_snd_interval_us = rs->snd_interval_us;
		out->rs_rcv_interval_us = rs->rcv_interval_us;
		out->rs_acked_sacked = rs->acked_sacked;
	}
	out->min_rtt_us = tcp_min_rtt(tp);
	out->bytes_acked = tp->bytes_acked;
	out->pacing_rate = READ_ONCE(sk->sk_pacing_rate);
	out->mss = tp->mss_cache;
	out->snd_cwnd = tcp_snd_cwnd(tp);
	out->snd_cwnd_clamp = tp->snd_cwnd_clamp;
	out->snd_ssthresh = tp->snd_ssthresh;
	out->sacked_out = tp->sacked_out;
	out->in_flight = tcp_packets_in_flight(tp);
	out->delivered_ce = tp->delivered_ce;
	out->pending = READ_ONCE(tp->write_seq) - tp->snd_una;
	out->ca_state = inet_csk(sk)->icsk_ca_state;
}

void tpc_shim_aug_sample(const struct sock *sk, struct tpc_aug_sample *out)
{
	const struct tcp_sock *tp = tcp_sk(sk);

	out->bytes_acked = tp->bytes_acked;
	out->delivered = tp->delivered;
	out->lost = tp->lost;
	out->min_rtt_us = tcp_min_rtt(tp);
	out->srtt_us = tp->srtt_us >> 3;
	out->mss = tp->mss_cache;
	out->snd_cwnd = tcp_snd_cwnd(tp);
	out->snd_cwnd_clamp = tp->snd_cwnd_clamp;
	out->snd_wnd = tp->snd_wnd;
	out->data_segs_out = tp->data_segs_out;
	out->total_retrans = tp->total_retrans;
	out->packets_out = tp->packets_out;
	out->reserved = 0;
}

u32 tpc_shim_route_cwnd_lock(struct sock *sk)
{
	const struct dst_entry *dst = __sk_dst_get(sk);

	/*
	 * tcp_init_metrics() copies a locked cwnd metric into snd_cwnd_clamp
	 * only from a tcp_metrics entry, which the first connection to a host
	 * (or any, with tcp_no_metrics_save) lacks: read the route itself.
	 */
	if (!dst) {
		inet_csk(sk)->icsk_af_ops->rebuild_header(sk);
		dst = __sk_dst_get(sk);
	}
	if (dst && dst_metric_locked(dst, RTAX_CWND) && dst_metric(dst, RTAX_CWND))
		return dst_metric(dst, RTAX_CWND);
	return ~0U;
}

bool tpc_shim_tcp_is_cwnd_limited(const struct sock *sk)
{
	return tcp_is_cwnd_limited(sk);
}

u32 tpc_shim_tcp_slow_start(struct sock *sk, u32 acked)
{
	return tcp_slow_start(tcp_sk(sk), acked);
}

/* tcp_input.c's FLAG_SND_UNA_ADVANCED (private to that file). */
#define TPC_FLAG_SND_UNA_ADVANCED 0x400

void tpc_shim_tcp_cwnd_reduction(struct sock *sk, u32 newly_acked_sacked,
				 u32 newly_lost, int flag)
{
	struct tcp_sock *tp = tcp_sk(sk);
	s64 delta = (s64)tp->snd_ssthresh - tcp_packets_in_flight(tp);
	s64 sndcnt;

	if (!newly_acked_sacked || !tp->prior_cwnd)
		return;
	tp->prr_delivered += newly_acked_sacked;
	if (delta < 0) {
		u64 dividend = (u64)tp->snd_ssthresh * tp->prr_delivered +
			       tp->prior_cwnd - 1;

		sndcnt = (s64)div_u64(dividend, tp->prior_cwnd) - tp->prr_out;
	} else {
		sndcnt = max_t(s64, (s64)tp->prr_delivered - tp->prr_out,
			       newly_acked_sacked);
		if ((flag & TPC_FLAG_SND_UNA_ADVANCED) && !newly_lost)
			sndcnt++;
		sndcnt = min(delta, sndcnt);
	}
	/* A fast retransmit upon entering fast recovery. */
	sndcnt = max_t(s64, sndcnt, tp->prr_out ? 0 : 1);
	tcp_snd_cwnd_set(tp, max_t(s64, tcp_packets_in_flight(tp) + sndcnt, 1));
}

void tpc_shim_tcp_cong_avoid_ai(struct sock *sk, u32 w, u32 acked)
{
	tcp_cong_avoid_ai(tcp_sk(sk), w, acked);
}

void tpc_shim_tcp_set_cwnd(struct sock *sk, u32 pkts)
{
	struct tcp_sock *tp = tcp_sk(sk);

	tcp_snd_cwnd_set(tp, clamp_t(u32, pkts, 1, max(tp->snd_cwnd_clamp, 1U)));
}

void tpc_shim_set_pacing_rate(struct sock *sk, u64 rate)
{
	unsigned long r = rate > ULONG_MAX ? ULONG_MAX : (unsigned long)rate;

	WRITE_ONCE(sk->sk_pacing_rate, min(r, READ_ONCE(sk->sk_max_pacing_rate)));
}

bool tpc_shim_pacing_init(struct sock *sk)
{
	return cmpxchg(&sk->sk_pacing_status, SK_PACING_NONE,
		       SK_PACING_NEEDED) == SK_PACING_NONE;
}

void tpc_shim_pacing_stop(struct sock *sk)
{
	if (READ_ONCE(sk->sk_max_pacing_rate) == ~0UL)
		cmpxchg(&sk->sk_pacing_status, SK_PACING_NEEDED, SK_PACING_NONE);
}

void tpc_shim_sk_raw_tuple(const struct sock *sk, u32 *saddr, u32 *sport,
			   u32 *daddr, u32 *dport)
{
	const struct inet_sock *inet = inet_sk(sk);

	*saddr = inet->inet_saddr;
	*daddr = inet->inet_daddr;
#if IS_ENABLED(CONFIG_IPV6)
	if (sk->sk_family == AF_INET6 && !ipv6_addr_v4mapped(&sk->sk_v6_daddr)) {
		*saddr = sk->sk_v6_rcv_saddr.s6_addr32[3];
		*daddr = sk->sk_v6_daddr.s6_addr32[3];
	}
#endif
	*sport = inet->inet_sport;
	*dport = inet->inet_dport;
}

size_t tpc_shim_ca_priv_size(void)
{
	return sizeof(((struct inet_connection_sock *)0)->icsk_ca_priv);
}

void *tpc_shim_ca_priv(struct sock *sk)
{
	return inet_csk_ca(sk);
}

const struct tcp_congestion_ops *tpc_shim_ca_ops(const struct sock *sk)
{
	return READ_ONCE(inet_csk(sk)->icsk_ca_ops);
}

u8 tpc_shim_ca_state(const struct sock *sk)
{
	return inet_csk(sk)->icsk_ca_state;
}

u32 tpc_shim_tcp_snd_cwnd(const struct sock *sk)
{
	return tcp_snd_cwnd(tcp_sk(sk));
}

u32 tpc_shim_tcp_snd_ssthresh(const struct sock *sk)
{
	return tcp_sk(sk)->snd_ssthresh;
}

u32 tpc_shim_tcp_srtt_us(const struct sock *sk)
{
	return tcp_sk(sk)->srtt_us >> 3;
}

u32 tpc_shim_tcp_snd_una(const struct sock *sk)
{
	return READ_ONCE(tcp_sk(sk)->snd_una);
}

u32 tpc_shim_tcp_snd_nxt(const struct sock *sk)
{
	return READ_ONCE(tcp_sk(sk)->snd_nxt);
}

u32 tpc_shim_tcp_rcv_nxt(const struct sock *sk)
{
	return READ_ONCE(tcp_sk(sk)->rcv_nxt);
}

u8 tpc_shim_sk_state(const struct sock *sk)
{
	return READ_ONCE(sk->sk_state);
}

bool tpc_shim_tcp_is_rto(const struct sock *sk)
{
	const struct tcp_sock *tp = tcp_sk(sk);

	/*
	 * tcp_write_timer_handler() clears icsk_pending before calling
	 * tcp_retransmit_timer(); the zero-window probe branch of the latter
	 * runs with snd_wnd == 0; the TFO SYN-ACK timer with fastopen_rsk set.
	 * PMTU's tcp_simple_retransmit() leaves icsk_pending set.
	 */
	return sk->sk_state == TCP_ESTABLISHED &&
	       !inet_csk(sk)->icsk_pending && tp->snd_wnd &&
	       !rcu_access_pointer(tp->fastopen_rsk);
}

bool tpc_shim_sk_addrs(const struct sock *sk, struct tpc_sk_addrs *a)
{
#if IS_ENABLED(CONFIG_IPV6)
	if (sk->sk_family != AF_INET6 ||
	    ipv6_addr_v4mapped(&sk->sk_v6_daddr))
		return false;
	memcpy(a->saddr, &sk->sk_v6_rcv_saddr, 16);
	memcpy(a->daddr, &sk->sk_v6_daddr, 16);
	a->sport = inet_sk(sk)->inet_num;
	a->dport = ntohs(inet_sk(sk)->inet_dport);
	return true;
#else
	return false;
#endif
}

/*
 * Replaces the socket's routing header, as setsockopt(IPV6_RTHDR) does
 * (ipv6_renew_options() + ipv6_update_options(), which are not exported),
 * but without sleeping: option memory comes from sock_kmalloc(GFP_ATOMIC)
 * and the caller holds the socket lock (owner or spinlock). The other
 * extension headers are kept. The Rust caller validated the SRH.
 */
int tpc_shim_set_rthdr(struct sock *sk, const void *rthdr, unsigned int len)
{
#if IS_ENABLED(CONFIG_IPV6)
	struct inet_connection_sock *icsk = inet_csk(sk);
	struct ipv6_pinfo *np = inet6_sk(sk);
	struct ipv6_txoptions *old, *opt = NULL;
	const struct ipv6_opt_hdr *hdrs[3];
	int tot_len = 0, i;
	char *p;

	if (sk->sk_family != AF_INET6 || !np ||
	    ipv6_addr_v4mapped(&sk->sk_v6_daddr))
		return -EAFNOSUPPORT;
	if (len && (len < 8 || len % 8 || len > TPC_SHIM_RTHDR_MAX ||
		    ipv6_optlen((const struct ipv6_opt_hdr *)rthdr) != len))
		return -EINVAL;
	old = rcu_dereference_protected(np->opt, lockdep_sock_is_held(sk));
	hdrs[0] = old ? old->hopopt : NULL;
	hdrs[1] = old ? old->dst0opt : NULL;
	hdrs[2] = old ? old->dst1opt : NULL;
	for (i = 0; i < ARRAY_SIZE(hdrs); i++)
		if (hdrs[i])
			tot_len += CMSG_ALIGN(ipv6_optlen(hdrs[i]));
	tot_len += CMSG_ALIGN(len);
	if (tot_len) {
		tot_len += sizeof(*opt);
		opt = sock_kmalloc(sk, tot_len, GFP_ATOMIC);
		if (!opt)
			return -ENOBUFS;
		memset(opt, 0, tot_len);
		refcount_set(&opt->refcnt, 1);
		opt->tot_len = tot_len;
		p = (char *)(opt + 1);
#define TPC_COPY_HDR(field, src) do {					\
		if (src) {						\
			memcpy(p, src, ipv6_optlen(src));		\
			opt->field = (void *)p;				\
			p += CMSG_ALIGN(ipv6_optlen(src));		\
		}							\
	} while (0)
		TPC_COPY_HDR(hopopt, hdrs[0]);
		TPC_COPY_HDR(dst0opt, hdrs[1]);
		TPC_COPY_HDR(srcrt, (len ? (const struct ipv6_opt_hdr *)rthdr : NULL));
		TPC_COPY_HDR(dst1opt, hdrs[2]);
#undef TPC_COPY_HDR
		opt->opt_nflen =
			(opt->hopopt ? ipv6_optlen(opt->hopopt) : 0) +
			(opt->dst0opt ? ipv6_optlen(opt->dst0opt) : 0) +
			(opt->srcrt ? ipv6_optlen(opt->srcrt) : 0);
		opt->opt_flen = opt->dst1opt ? ipv6_optlen(opt->dst1opt) : 0;
	}

	/*
	 * ipv6_update_options(), except that removing the last header also
	 * resets icsk_ext_hdr_len (upstream leaves it stale).
	 */
	if (!((1 << sk->sk_state) & (TCPF_LISTEN | TCPF_CLOSE))) {
		icsk->icsk_ext_hdr_len = opt ? opt->opt_flen + opt->opt_nflen : 0;
		icsk->icsk_sync_mss(sk, icsk->icsk_pmtu_cookie);
	}
	old = unrcu_pointer(xchg(&np->opt, RCU_INITIALIZER(opt)));
	sk_dst_reset(sk);
	if (old) {
		atomic_sub(old->tot_len, &sk->sk_omem_alloc);
		txopt_put(old);
	}
	return 0;
#else
	return -EAFNOSUPPORT;
#endif
}

void tpc_shim_tcp_path_changed(struct sock *sk, bool halve)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	u32 rto = __tcp_set_rto(tcp_sk(sk));

	/*
	 * From an RTO callback the retransmit timer doubles icsk_rto right
	 * after (halve), so the next timeout is the RTT-based value.
	 */
	if (rto) {
		rto = min_t(u32, rto, TCP_RTO_MAX);
		icsk->icsk_rto = halve ? rto >> 1 : rto;
	}
	icsk->icsk_backoff = 0;
}

void tpc_shim_tcp_send_ack(struct sock *sk)
{
	__tcp_send_ack(sk, tcp_sk(sk)->rcv_nxt, 0);
}

/* ---- Duplicate-data probe (kfree_skb tracepoint) ----------------------- */

static const struct tcp_congestion_ops *tpc_dup_ops;
static void (*tpc_dup_cb)(struct sock *sk, bool old_data);

static void tpc_kfree_skb_probe(void *data, struct sk_buff *skb,
				void *location, enum skb_drop_reason reason,
				struct sock *rx_sk)
{
	const struct tcphdr *th;

	/* Every drop in the system comes here: the cheap test first. */
	if (reason != SKB_DROP_REASON_TCP_OLD_SEQUENCE &&
	    reason != SKB_DROP_REASON_TCP_INVALID_SEQUENCE &&
	    reason != SKB_DROP_REASON_TCP_OLD_DATA)
		return;
	if (!rx_sk || !sk_fullsock(rx_sk) || rx_sk->sk_protocol != IPPROTO_TCP ||
	    rx_sk->sk_type != SOCK_STREAM)
		return;
	if (READ_ONCE(inet_csk(rx_sk)->icsk_ca_ops) != data)
		return;
	/*
	 * Duplicate *data*: not RST or SYN (tcp_validate_incoming() sends no
	 * dup-ACK for them), nor segments without payload or FIN, such as
	 * keepalives and window probes (seq = snd_una - 1).
	 */
	th = tcp_hdr(skb);
	if (th->rst || th->syn ||
	    TCP_SKB_CB(skb)->seq == TCP_SKB_CB(skb)->end_seq)
		return;
	/* TCP input drops these with the socket lock held. */
	tpc_dup_cb(rx_sk, reason == SKB_DROP_REASON_TCP_OLD_DATA);
}

int tpc_shim_dup_probe_register(const struct tcp_congestion_ops *ops,
				void (*cb)(struct sock *sk, bool old_data))
{
	int err;

	if (tpc_dup_ops)
		return -EBUSY;
	tpc_dup_ops = ops;
	tpc_dup_cb = cb;
	err = register_trace_kfree_skb(tpc_kfree_skb_probe, (void *)ops);
	if (err)
		tpc_dup_ops = NULL;
	return err;
}

void tpc_shim_dup_probe_unregister(void)
{
	unregister_trace_kfree_skb(tpc_kfree_skb_probe, (void *)tpc_dup_ops);
	tracepoint_synchronize_unregister();
	tpc_dup_ops = NULL;
}

/* ---- SYN-ACK hook (netfilter, IPv6 LOCAL_OUT) ------------------------- */

struct tpc_synack {
	struct sk_buff *skb;
	const struct nf_hook_state *state;
};

static const struct tcp_congestion_ops *tpc_synack_ops;
static tpc_synack_cb_t tpc_synack_cb;

/*
 * Every locally generated IPv6 packet of a namespace passes here: the cheap
 * tests first. A SYN-ACK (normal, retransmitted or cookie) is sent by
 * ip6_xmit() with the listener as state->sk; a Fast Open child sends its
 * own (not a listener) and already carries its path.
 */
static unsigned int tpc_synack_hook(void *priv, struct sk_buff *skb,
				    const struct nf_hook_state *state)
{
	const struct sock *sk = state->sk;
	const struct ipv6hdr *ip6h;
	const struct tcphdr *th;
	struct tcphdr _th;
	struct tpc_sk_addrs a;
	struct tpc_synack s = { .skb = skb, .state = state };

	if (!sk || !sk_fullsock(sk) || sk->sk_state != TCP_LISTEN ||
	    sk->sk_protocol != IPPROTO_TCP ||
	    READ_ONCE(inet_csk(sk)->icsk_ca_ops) != tpc_synack_ops)
		return NF_ACCEPT;
	ip6h = ipv6_hdr(skb);
	/* Extension headers (the listener's own IPV6_RTHDR): leave it. */
	if (ip6h->nexthdr != IPPROTO_TCP)
		return NF_ACCEPT;
	th = skb_header_pointer(skb, skb_network_offset(skb) + sizeof(*ip6h),
				sizeof(_th), &_th);
	if (!th || !th->syn || !th->ack)
		return NF_ACCEPT;
	memcpy(a.saddr, &ip6h->saddr, 16);
	memcpy(a.daddr, &ip6h->daddr, 16);
	a.sport = ntohs(th->source);
	a.dport = ntohs(th->dest);
	tpc_synack_cb(state->net->net_cookie, &a, &s);
	return NF_ACCEPT;
}

static const struct nf_hook_ops tpc_synack_nf_ops = {
	.hook = tpc_synack_hook,
	.pf = NFPROTO_IPV6,
	.hooknum = NF_INET_LOCAL_OUT,
	/* After any filtering, which sees the final destination. */
	.priority = NF_IP6_PRI_LAST,
};

static int __net_init tpc_synack_net_init(struct net *net)
{
	return nf_register_net_hook(net, &tpc_synack_nf_ops);
}

static void __net_exit tpc_synack_net_exit(struct net *net)
{
	nf_unregister_net_hook(net, &tpc_synack_nf_ops);
}

static struct pernet_operations tpc_synack_net_ops = {
	.init = tpc_synack_net_init,
	.exit = tpc_synack_net_exit,
};

int tpc_shim_synack_register(const struct tcp_congestion_ops *ops,
			     tpc_synack_cb_t cb)
{
	int err;

	if (tpc_synack_ops)
		return -EBUSY;
	tpc_synack_ops = ops;
	tpc_synack_cb = cb;
	err = register_pernet_subsys(&tpc_synack_net_ops);
	if (err)
		tpc_synack_ops = NULL;
	return err;
}

void tpc_shim_synack_unregister(void)
{
	unregister_pernet_subsys(&tpc_synack_net_ops);
	/* Hooks run under rcu_read_lock(): wait for the last one. */
	synchronize_net();
	tpc_synack_ops = NULL;
}

int tpc_shim_synack_insert(struct tpc_synack *s, const void *rthdr,
			   unsigned int len)
{
#if IS_ENABLED(CONFIG_IPV6_SEG6_LWTUNNEL)
	const struct ipv6_sr_hdr *srh = rthdr;
	struct ipv6_sr_hdr *isrh;
	int err;

	if (len < sizeof(*srh) || len > TPC_SHIM_RTHDR_MAX ||
	    ((srh->hdrlen + 1) << 3) != len || srh->type != IPV6_SRCRT_TYPE_4 ||
	    srh->segments_left > srh->first_segment ||
	    (srh->first_segment + 1) * sizeof(struct in6_addr) + sizeof(*srh) > len)
		return -EINVAL;
	/* Does not write *srh; 6.12 declares it without const. */
	err = seg6_do_srh_inline(s->skb, (struct ipv6_sr_hdr *)srh);
	if (err)
		return err;
	/*
	 * seg6 sends to segments[first_segment]; IPV6_RTHDR (ipv6_push_rthdr4)
	 * to segments[segments_left]. The pseudo-header checksum covers the
	 * final destination, which is unchanged.
	 */
	isrh = (struct ipv6_sr_hdr *)(ipv6_hdr(s->skb) + 1);
	ipv6_hdr(s->skb)->daddr = isrh->segments[isrh->segments_left];
	/* The destination is now the first segment: route to it. */
	return ip6_route_me_harder(s->state->net, s->state->sk, s->skb);
#else
	return -EOPNOTSUPP;
#endif
}

u64 tpc_shim_sk_net_cookie(const struct sock *sk)
{
	return sock_net(sk)->net_cookie;
}

bool tpc_shim_sk_is_tcp(const struct sock *sk)
{
	return sk_fullsock(sk) && sk->sk_type == SOCK_STREAM &&
	       sk->sk_protocol == IPPROTO_TCP &&
	       (sk->sk_family == AF_INET || sk->sk_family == AF_INET6);
}

/* ---- BH-safe spinlock -------------------------------------------------- */

/*
 * All these locks share one lockdep class: the module never nests them,
 * and lockdep will say so if that ever changes.
 */
struct tpc_bh_lock {
	spinlock_t lock;
};

struct tpc_bh_lock *tpc_shim_bh_lock_alloc(void)
{
	struct tpc_bh_lock *l = kmalloc(sizeof(*l), GFP_KERNEL);

	if (l)
		spin_lock_init(&l->lock);
	return l;
}

static DEFINE_SPINLOCK(tpc_static_lock_paths);
static DEFINE_SPINLOCK(tpc_static_lock_events);
static DEFINE_SPINLOCK(tpc_static_lock_exp3);
static DEFINE_SPINLOCK(tpc_static_lock_synack);
static DEFINE_SPINLOCK(tpc_static_lock_ccp);

static spinlock_t *tpc_static_lock(unsigned int id)
{
	switch (id) {
	case TPC_LOCK_PATHS:
		return &tpc_static_lock_paths;
	case TPC_LOCK_EVENTS:
		return &tpc_static_lock_events;
	case TPC_LOCK_EXP3:
		return &tpc_static_lock_exp3;
	case TPC_LOCK_SYNACK:
		return &tpc_static_lock_synack;
	case TPC_LOCK_CCP:
		return &tpc_static_lock_ccp;
	}
	BUG();	/* the Rust side only passes the ids above */
}

void tpc_shim_static_lock(unsigned int id)
{
	spin_lock_bh(tpc_static_lock(id));
}

void tpc_shim_static_unlock(unsigned int id)
{
	spin_unlock_bh(tpc_static_lock(id));
}

u32 tpc_shim_random_u32(void)
{
	return get_random_u32();
}

void tpc_shim_bh_lock_free(struct tpc_bh_lock *l)
{
	kfree(l);
}

void tpc_shim_bh_lock(struct tpc_bh_lock *l)
{
	spin_lock_bh(&l->lock);
}

void tpc_shim_bh_unlock(struct tpc_bh_lock *l)
{
	spin_unlock_bh(&l->lock);
}

/* ---- Misc character device ----------------------------------------- */

struct tpc_chr_dev {
	struct miscdevice misc;
	struct file_operations fops;
	const struct tpc_chr_ops *ops;
	char name[32];
};

/*
 * One wait queue for every open file: events (rare) wake all readers,
 * which recheck their own readiness; a queue per file would need a list of
 * files to reach from softirq.
 */
static DECLARE_WAIT_QUEUE_HEAD(tpc_chr_wq);

struct tpc_chr_file {
	struct tpc_chr_dev *dev;
	void *priv;
};

static int tpc_chr_open(struct inode *inode, struct file *file)
{
	/* misc_open() put our miscdevice in private_data. */
	struct tpc_chr_dev *dev = container_of(file->private_data,
					       struct tpc_chr_dev, misc);
	struct tpc_chr_file *tf;
	int err;

	tf = kzalloc(sizeof(*tf), GFP_KERNEL);
	if (!tf)
		return -ENOMEM;
	tf->dev = dev;
	err = dev->ops->open(tf, &tf->priv);
	if (err) {
		kfree(tf);
		return err;
	}
	file->private_data = tf;
	return stream_open(inode, file);
}

static int tpc_chr_release(struct inode *inode, struct file *file)
{
	struct tpc_chr_file *tf = file->private_data;

	tf->dev->ops->release(tf->priv);
	kfree(tf);
	return 0;
}

static ssize_t tpc_chr_read(struct file *file, char __user *buf, size_t len,
			    loff_t *ppos)
{
	struct tpc_chr_file *tf = file->private_data;
	const struct tpc_chr_ops *ops = tf->dev->ops;
	ssize_t r;

	for (;;) {
		r = ops->read(tf->priv, buf, len);
		if (r != -EAGAIN || (file->f_flags & O_NONBLOCK))
			return r;
		/* ops->poll() only takes BH spinlocks: fine while !RUNNING. */
		if (wait_event_interruptible(tpc_chr_wq, ops->poll(tf->priv) &
						     TPC_CHR_READABLE))
			return -ERESTARTSYS;
	}
}

static ssize_t tpc_chr_write(struct file *file, const char __user *buf,
			     size_t len, loff_t *ppos)
{
	struct tpc_chr_file *tf = file->private_data;

	return tf->dev->ops->write(tf->priv, buf, len);
}

static __poll_t tpc_chr_poll(struct file *file, poll_table *pt)
{
	struct tpc_chr_file *tf = file->private_data;
	__poll_t mask = 0;
	u32 r;

	poll_wait(file, &tpc_chr_wq, pt);
	r = tf->dev->ops->poll(tf->priv);
	if (r & TPC_CHR_READABLE)
		mask |= EPOLLIN | EPOLLRDNORM;
	if (r & TPC_CHR_WRITABLE)
		mask |= EPOLLOUT | EPOLLWRNORM;
	return mask;
}

struct tpc_chr_dev *tpc_shim_chr_register(const char *name, umode_t mode,
					  const struct tpc_chr_ops *ops)
{
	struct tpc_chr_dev *dev;
	int err;

	if (strlen(name) >= sizeof(dev->name))
		return ERR_PTR(-EINVAL);
	dev = kzalloc(sizeof(*dev), GFP_KERNEL);
	if (!dev)
		return ERR_PTR(-ENOMEM);
	strscpy(dev->name, name, sizeof(dev->name));
	dev->ops = ops;
	dev->fops.owner = THIS_MODULE;
	dev->fops.open = tpc_chr_open;
	dev->fops.release = tpc_chr_release;
	dev->fops.read = tpc_chr_read;
	dev->fops.write = tpc_chr_write;
	dev->fops.poll = tpc_chr_poll;
	dev->misc.minor = MISC_DYNAMIC_MINOR;
	dev->misc.name = dev->name;
	dev->misc.fops = &dev->fops;
	dev->misc.mode = mode;

	err = misc_register(&dev->misc);
	if (err) {
		kfree(dev);
		return ERR_PTR(err);
	}
	return dev;
}

void tpc_shim_chr_unregister(struct tpc_chr_dev *dev)
{
	misc_deregister(&dev->misc);
	kfree(dev);
}

void tpc_shim_chr_wake_all(void)
{
	wake_up_interruptible(&tpc_chr_wq);
}

/* All files share one wait queue: waking one file wakes them all. */
void tpc_shim_chr_wake(struct tpc_chr_file *f)
{
	tpc_shim_chr_wake_all();
}

bool tpc_shim_capable_net_admin(void)
{
	return capable(CAP_NET_ADMIN);
}

/* ---- Sysctl ---------------------------------------------------------- */

struct tpc_sysctl {
	struct ctl_table_header *hdr;
	struct ctl_table table[];
};

static int tpc_sysctl_handler(const struct ctl_table *t, int write,
			      void *buf, size_t *lenp, loff_t *ppos)
{
	int ret = proc_dointvec_minmax(t, write, buf, lenp, ppos);

	if (write && ret == -EINVAL)
		pr_warn_ratelimited("tcp_pathchanger: sysctl %s: value rejected, allowed range is [%d, %d]\n",
				    t->procname, *(const int *)t->extra1,
				    *(const int *)t->extra2);
	return ret;
}

struct tpc_sysctl *tpc_shim_sysctl_register(const char *path,
					    const struct tpc_sysctl_knob *k,
					    unsigned int n)
{
	struct tpc_sysctl *s;
	unsigned int i;

	s = kzalloc(struct_size(s, table, n), GFP_KERNEL);
	if (!s)
		return ERR_PTR(-ENOMEM);
	for (i = 0; i < n; i++) {
		s->table[i].procname = k[i].name;
		s->table[i].data = k[i].data;
		s->table[i].maxlen = sizeof(int);
		s->table[i].mode = 0644;
		s->table[i].proc_handler = tpc_sysctl_handler;
		s->table[i].extra1 = (void *)k[i].min;
		s->table[i].extra2 = (void *)k[i].max;
	}
	s->hdr = register_sysctl_sz(path, s->table, n);
	if (!s->hdr) {
		kfree(s);
		return ERR_PTR(-ENOMEM);
	}
	return s;
}

void tpc_shim_sysctl_unregister(struct tpc_sysctl *s)
{
	unregister_sysctl_table(s->hdr);
	kfree(s);
}

/* ---- Private socket options ------------------------------------------ */

static const struct tpc_sockopt_ops *tpc_so;
/*
 * Handlers running now. nf_sockopt_find() drops its mutex before calling
 * a handler, so nf_unregister_sockopt() does not wait for them; at module
 * exit none can run (each holds a module reference), but if module init
 * fails after registering, unregistering must wait for them itself.
 */
static atomic_t tpc_so_inflight = ATOMIC_INIT(0);

static void tpc_so_exit(void)
{
	if (atomic_dec_and_test(&tpc_so_inflight))
		wake_up_var(&tpc_so_inflight);
}

static int tpc_nf_set(struct sock *sk, int optval, sockptr_t arg,
		      unsigned int len)
{
	u8 buf[TPC_SOCKOPT_BUF] = {};
	unsigned int klen = min_t(unsigned int, len, sizeof(buf));
	int ret;

	/* Longer values are cut: every option of the range is smaller. */
	if (copy_from_sockptr(buf, arg, klen))
		return -EFAULT;
	atomic_inc(&tpc_so_inflight);
	lock_sock(sk);
	ret = tpc_so->set(sk, optval, buf, klen);
	release_sock(sk);
	tpc_so_exit();
	return ret;
}

static int tpc_nf_get(struct sock *sk, int optval, void __user *user,
		      int *len)
{
	/* Zeroed: the handler sees initialised memory whatever it writes. */
	u8 buf[TPC_SOCKOPT_BUF] = {};
	int max, klen, ret;

	if (*len < 0)
		return -EINVAL;
	max = min_t(int, *len, sizeof(buf));
	klen = max;
	atomic_inc(&tpc_so_inflight);
	lock_sock(sk);
	ret = tpc_so->get(sk, optval, buf, &klen);
	release_sock(sk);
	tpc_so_exit();
	if (ret)
		return ret;
	if (WARN_ON_ONCE(klen < 0 || klen > max))
		return -EINVAL;
	if (copy_to_user(user, buf, klen))
		return -EFAULT;
	*len = klen;
	return 0;
}

static struct nf_sockopt_ops tpc_nf_ops[2];

int tpc_shim_sockopt_register(const struct tpc_sockopt_ops *ops)
{
	static const u8 pfs[2] = { PF_INET, PF_INET6 };
	int i, err;

	if (tpc_so)
		return -EBUSY;
	tpc_so = ops;
	for (i = 0; i < ARRAY_SIZE(tpc_nf_ops); i++) {
		struct nf_sockopt_ops *o = &tpc_nf_ops[i];

		memset(o, 0, sizeof(*o));
		o->pf = pfs[i];
		o->set_optmin = ops->base;
		o->set_optmax = ops->base + ops->count;
		o->set = tpc_nf_set;
		o->get_optmin = ops->base;
		o->get_optmax = ops->base + ops->count;
		o->get = tpc_nf_get;
		o->owner = THIS_MODULE;
		err = nf_register_sockopt(o);
		if (err) {
			while (--i >= 0)
				nf_unregister_sockopt(&tpc_nf_ops[i]);
			tpc_so = NULL;
			return err;
		}
	}
	return 0;
}

void tpc_shim_sockopt_unregister(void)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(tpc_nf_ops); i++)
		nf_unregister_sockopt(&tpc_nf_ops[i]);
	/* No new caller can find the ops; wait for the running ones. */
	wait_var_event(&tpc_so_inflight, !atomic_read(&tpc_so_inflight));
	tpc_so = NULL;
}
