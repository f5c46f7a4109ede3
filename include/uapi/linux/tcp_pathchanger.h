/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * User-space ABI of the tcp_pathchanger module (TCP Path Changer).
 *
 * Two interfaces:
 *
 *  1. The control device /dev/tpc (mode 0600, CAP_NET_ADMIN checked at
 *     open). Every message, in both directions, starts with struct
 *     tpc_msg_hdr; tpc_msg_hdr.len counts the whole message. write(2)
 *     takes exactly one message; read(2) returns exactly one whole message
 *     and never splits one (EMSGSIZE if the buffer is too small; the
 *     message stays queued). Integers are little-endian.
 *
 *  2. Socket options at level SOL_IP (IPv4 and IPv6 sockets) or SOL_IPV6
 *     (IPv6 sockets), option numbers TPC_SOCKOPT_BASE ...
 *     TPC_SOCKOPT_BASE + TPC_SOCKOPT_COUNT - 1.
 *
 * The Rust side of the module mirrors these definitions in tpc/proto.rs; a
 * host test compiles this header and checks that both agree.
 */
#ifndef _UAPI_LINUX_TCP_PATHCHANGER_H
#define _UAPI_LINUX_TCP_PATHCHANGER_H

#include <linux/types.h>

#define TPC_CC_NAME		"tpc"
#define TPC_DEV_PATH		"/dev/tpc"
#define TPC_PROTO_VERSION	1
#define TPC_MSG_HDR_LEN		12
#define TPC_MSG_MAX		4096	/* largest message, header included */

struct tpc_msg_hdr {
	__u32 len;	/* whole message in bytes, header included */
	__u16 type;	/* enum tpc_msg_type */
	__u8  version;	/* TPC_PROTO_VERSION (any value in a HELLO) */
	__u8  flags;	/* must be 0 */
	__u32 seq;	/* chosen by the requester, echoed in the reply */
};

enum tpc_msg_type {
	/* Requests (user space -> module). */
	TPC_MSG_HELLO		= 0x0001,	/* body: struct tpc_hello */
	TPC_MSG_GET_COUNTERS	= 0x0002,	/* body: empty */
	TPC_MSG_GET_KNOBS	= 0x0003,	/* body: empty */
	TPC_MSG_PATH_SET	= 0x0004,	/* body: tpc_path_set + paths */
	TPC_MSG_PATH_DEL	= 0x0005,	/* body: struct tpc_prefix */
	TPC_MSG_PATH_GET	= 0x0006,	/* body: __u32 index */
	TPC_MSG_SET_FAILOVER	= 0x0007,	/* body: struct tpc_failover */
	TPC_MSG_SUBSCRIBE	= 0x0008,	/* body: empty */
	TPC_MSG_SET_EXP3	= 0x0009,	/* body: struct tpc_exp3_set */
	TPC_MSG_EXP3_GET	= 0x000A,	/* body: __u32 index */
	TPC_MSG_CCP_GET		= 0x000B,	/* body: empty */
	TPC_MSG_AUG_SET		= 0x000C,	/* body: struct tpc_augment_set */
	TPC_MSG_AUG_GET		= 0x000D,	/* body: struct tpc_augment_get */
	/* Replies (module -> user space). */
	TPC_MSG_HELLO_REPLY	= 0x8001,	/* body: struct tpc_hello_reply */
	TPC_MSG_COUNTERS	= 0x8002,	/* body: tpc_list_hdr + tpc_counter[] */
	TPC_MSG_KNOBS		= 0x8003,	/* body: tpc_list_hdr + tpc_knob[] */
	TPC_MSG_ACK		= 0x8004,	/* body: empty */
	TPC_MSG_PATH_ENTRY	= 0x8006,	/* body: tpc_path_entry + paths */
	TPC_MSG_EXP3_STATE	= 0x800A,	/* body: tpc_exp3_state + paths + history */
	TPC_MSG_CCP_STATUS	= 0x800B,	/* body: tpc_list_hdr + tpc_counter[] */
	TPC_MSG_AUG_STATE	= 0x800D,	/* body: struct tpc_augment_state */
	TPC_MSG_EVENT		= 0x8010,	/* body: struct tpc_event */
	TPC_MSG_EXP3_UPDATE	= 0x8011,	/* body: struct tpc_exp3_update */
};

/* Protocol versions the requester speaks, inclusive range. */
struct tpc_hello {
	__u32 min_version;
	__u32 max_version;
};

struct tpc_hello_reply {
	__u32 version;		/* negotiated protocol version */
	__u32 max_msg;		/* TPC_MSG_MAX */
	__u32 queue_bytes;	/* capacity of this file's reply queue */
	__u32 features;		/* reserved, 0 */
	char  module_version[32];	/* NUL-padded */
};

struct tpc_list_hdr {
	__u32 count;
	__u32 reserved;
};

struct tpc_counter {
	__u64 value;
	char  name[24];		/* NUL-padded */
};

struct tpc_knob {
	__s32 value;
	__s32 min;
	__s32 max;
	__u32 reserved;
	char  name[32];		/* sysctl name under net.tpc, NUL-padded */
};

/* ---- Path table ------------------------------------------------------ */

#define TPC_MAX_PREFIXES	64	/* entries in the path table */
#define TPC_MAX_PATHS		8	/* paths per prefix */
#define TPC_MAX_SEGMENTS	10	/* SRH entries per path, destination included */
#define TPC_MAX_SRH_LEN		(8 + 16 * TPC_MAX_SEGMENTS)

/* An IPv6 prefix; the address's bits beyond len must be zero. */
struct tpc_prefix {
	__u8 addr[16];
	__u8 len;		/* 0 ... 128 */
	__u8 reserved[3];	/* 0 */
};

#define TPC_PATH_SET_EXCL	0x1	/* fail with EEXIST, never replace */

/*
 * TPC_MSG_PATH_SET: install or replace the paths of one prefix. The fixed
 * part is followed by npaths times struct tpc_path_hdr plus srh_len bytes
 * of a type-4 routing header (srh_len 0: no SRH, only for path 0). Paths
 * whose SRH is unchanged keep their counters. Errors (write(2) fails, the
 * table is unchanged): EINVAL bad prefix, SRH, path count or duplicate
 * path; EEXIST with TPC_PATH_SET_EXCL; ENOSPC table full; EBADMSG framing.
 */
struct tpc_path_set {
	__u8 addr[16];
	__u8 len;
	__u8 npaths;		/* 1 ... TPC_MAX_PATHS */
	__u8 flags;		/* TPC_PATH_SET_* */
	__u8 reserved;
};

struct tpc_path_hdr {
	__u16 srh_len;
	__u16 reserved;
};

/* Failover strategies (net.tpc.strategy and per prefix). */
enum tpc_strategy {
	TPC_STRATEGY_OFF	= 0,
	TPC_STRATEGY_NRTO	= 1,	/* NRTOChanger(N, M) */
	TPC_STRATEGY_TIMEOUT	= 2,	/* TimeoutChanger(T, M) */
	TPC_STRATEGY_INHERIT	= 0xff,	/* per prefix: follow the sysctls */
};

#define TPC_SCOPE_GLOBAL	0xff	/* tpc_failover.len: all prefixes */

/*
 * TPC_MSG_SET_FAILOVER. A zero n, m or t_ms keeps the current global value
 * (for a prefix: takes it). Errors: EINVAL value out of the sysctl's range
 * or unknown strategy, ENOENT no entry for the prefix.
 */
struct tpc_failover {
	__u8  addr[16];
	__u8  len;		/* prefix length or TPC_SCOPE_GLOBAL */
	__u8  strategy;		/* enum tpc_strategy */
	__u8  reserved[2];
	__u32 n;		/* RTOs without progress */
	__u32 m;		/* duplicate segments without progress */
	__u32 t_ms;		/* TimeoutChanger's T */
};

/* Reasons of a path change. */
enum tpc_reason {
	TPC_REASON_INIT		= 1,	/* first path of a connection */
	TPC_REASON_RTO		= 2,	/* sender, NRTOChanger */
	TPC_REASON_DUPDATA	= 3,	/* receiver, duplicate data */
	TPC_REASON_TIMEOUT	= 4,	/* sender, TimeoutChanger */
	TPC_REASON_PIN		= 5,	/* TPC_SO_PIN */
	TPC_REASON_REQUEST	= 6,	/* TPC_SO_MOVE */
	TPC_REASON_EXP3		= 7,	/* EXP3 drew another path */
	TPC_REASON_COUNT	= 8,	/* array size (index 0 unused) */
};

/*
 * TPC_MSG_PATH_ENTRY, reply to TPC_MSG_PATH_GET (ENOENT past the last
 * entry), followed by npaths times struct tpc_path_entry_path + srh_len
 * bytes.
 */
struct tpc_path_entry {
	__u32 index;		/* @0 */
	__u32 count;		/* @4: entries in the table */
	__u8  addr[16];		/* @8 */
	__u8  len;		/* @24 */
	__u8  npaths;		/* @25 */
	__u8  strategy;		/* @26: enum tpc_strategy; INHERIT: no override */
	__u8  reserved;		/* @27 */
	__u32 n, m, t_ms;	/* @28: the override's parameters */
	__u32 generation;	/* @40: bumped when the paths are replaced */
	__u32 reserved2;	/* @44 */
	__u64 moves[TPC_REASON_COUNT];	/* @48: by enum tpc_reason */
	__u64 apply_failed;	/* @112: path changes that failed */
};				/* 120 bytes */

struct tpc_path_entry_path {
	__u16 srh_len;
	__u16 reserved[3];
	__u64 starts;		/* connections that started here */
	__u64 moves_in;		/* connections moved here */
	__u64 moves_out;	/* connections moved away */
};

/*
 * TPC_MSG_EVENT: one path change, delivered to files that sent
 * TPC_MSG_SUBSCRIBE. A reader that falls behind the module's event log
 * (1024 events) loses the oldest; lost says how many, just before this one.
 */
struct tpc_event {
	__u64 seq;
	__u64 lost;
	__u64 ktime_ns;		/* CLOCK_MONOTONIC */
	__u8  reason;		/* enum tpc_reason */
	__u8  old_path;
	__u8  new_path;
	__u8  reserved;
	__u16 sport;		/* host order */
	__u16 dport;
	__u8  saddr[16];
	__u8  daddr[16];
};

/* ---- EXP3 path selection -------------------------------------------- */

#define TPC_EXP3_MAX_STATES	128	/* destination keys; LRU recycled */
#define TPC_EXP3_HISTORY	16	/* rewards kept per state */
#define TPC_EXP3_TOKENS		10000	/* the weights of a state sum to this */
#define TPC_EXP3_GAMMA_ONE	1000000	/* gamma_ppm of gamma = 1 */
#define TPC_EXP3_OFF		0	/* tpc_exp3_set.mode */
#define TPC_EXP3_ON		1
#define TPC_EXP3_INHERIT	0xff	/* mode, preset: follow the sysctl */
#define TPC_EXP3_PRESET_TEXTBOOK 0	/* rewards normalised into [0, 1] */
#define TPC_EXP3_PRESET_AS_CODED 1	/* the original program's rule */
#define TPC_EXP3_KEYLEN_INHERIT	0	/* tpc_exp3_set.keylen */
#define TPC_EXP3_INHERIT_U32	0xffffffffU	/* gamma_ppm, hook_bytes */

/*
 * TPC_MSG_SET_EXP3. With len = TPC_SCOPE_GLOBAL it sets the sysctls
 * (net.tpc.exp3 from mode, which must not be INHERIT; exp3_preset,
 * exp3_gamma_ppm, exp3_hook_bytes, exp3_keylen from the others, an inherit
 * value leaving the sysctl unchanged). With a prefix it replaces that path
 * table entry's EXP3 overrides (an inherit value follows the sysctl).
 * Errors: EINVAL a value out of range (mode not 0, 1 or INHERIT, unknown
 * preset, gamma_ppm above TPC_EXP3_GAMMA_ONE, keylen above 128; global:
 * mode INHERIT or hook_bytes outside the sysctl's range) or a bad prefix,
 * ENOENT no entry for the prefix, EBADMSG reserved not 0.
 */
struct tpc_exp3_set {
	__u8  addr[16];		/* @0 */
	__u8  len;		/* @16: prefix length or TPC_SCOPE_GLOBAL */
	__u8  mode;		/* @17: TPC_EXP3_OFF, _ON or _INHERIT */
	__u8  preset;		/* @18: TPC_EXP3_PRESET_* or TPC_EXP3_INHERIT */
	__u8  keylen;		/* @19: 1 ... 128, or TPC_EXP3_KEYLEN_INHERIT */
	__u32 gamma_ppm;	/* @20: 0 ... TPC_EXP3_GAMMA_ONE, or INHERIT_U32 */
	__u32 hook_bytes;	/* @24: redraw every N bytes (0: never), or INHERIT_U32 */
	__u32 reserved;		/* @28: 0 */
};				/* 32 bytes */

/*
 * TPC_MSG_EXP3_STATE, reply to TPC_MSG_EXP3_GET (ENOENT past the last
 * state): one EXP3 state with the settings in force for it, followed by
 * npaths times struct tpc_exp3_path, then nhist times struct
 * tpc_exp3_sample (oldest first).
 */
struct tpc_exp3_state {
	__u32 index;		/* @0 */
	__u32 count;		/* @4: states in the table */
	__u8  key_addr[16];	/* @8: destinations covered */
	__u8  key_len;		/* @24 */
	__u8  npaths;		/* @25: 1 ... TPC_MAX_PATHS */
	__u8  failed;		/* @26: paths left out of draws, bit i = path i */
	__u8  nhist;		/* @27: 0 ... TPC_EXP3_HISTORY */
	__u8  entry_len;	/* @28: the path table entry (prefix) */
	__u8  on;		/* @29: settings in force: 0 or 1 */
	__u8  preset;		/* @30: TPC_EXP3_PRESET_* */
	__u8  keylen;		/* @31 */
	__u8  entry_addr[16];	/* @32 */
	__u32 generation;	/* @48: of the entry's paths the weights belong to */
	__u32 rtt_min_us;	/* @52: reward normalisation range (0: none) */
	__u32 rtt_max_us;	/* @56 */
	__u32 gamma_ppm;	/* @60 */
	__u32 hook_bytes;	/* @64 */
	__u32 reserved;		/* @68: 0 */
	__u64 updates;		/* @72: weight updates */
	__u64 failures;		/* @80: times a path was marked failed */
	__u64 now_ns;		/* @88: CLOCK_MONOTONIC of the reply */
};				/* 96 bytes */

struct tpc_exp3_path {
	__u64 weight_micro;	/* @0: weight, millionths of a token */
	__u64 draws;		/* @8: connections that drew this path */
	__u32 share_ppm;	/* @16: weight / sum of weights, millionths */
	__u32 prob_ppm;		/* @20: draw probability now (0: failed) */
};				/* 24 bytes */

struct tpc_exp3_sample {
	__u64 ktime_ns;		/* @0: CLOCK_MONOTONIC */
	__u8  path;		/* @8 */
	__u8  reserved[3];	/* @9 */
	__u32 srtt_us;		/* @12: RTT measured on the path */
	__s32 reward_ppm;	/* @16: reward, millionths (as-coded: may be < 0) */
	__u32 p_ppm;		/* @20: probability the path was drawn with */
};				/* 24 bytes */

/*
 * TPC_MSG_EXP3_UPDATE: one EXP3 weight update, delivered like
 * TPC_MSG_EVENT to files that sent TPC_MSG_SUBSCRIBE (path changes first).
 * Updates have their own log and sequence numbers; lost counts the
 * updates this reader lost just before this one.
 */
struct tpc_exp3_update {
	__u64 seq;		/* @0 */
	__u64 lost;		/* @8 */
	__u64 ktime_ns;		/* @16: CLOCK_MONOTONIC */
	__u8  key_addr[16];	/* @24: the state's key */
	__u8  key_len;		/* @40 */
	__u8  path;		/* @41: path rewarded */
	__u8  npaths;		/* @42: paths of the state */
	__u8  reserved;		/* @43 */
	__u32 srtt_us;		/* @44 */
	__s32 reward_ppm;	/* @48 */
	__u32 p_ppm;		/* @52 */
	__u32 shares_ppm[TPC_MAX_PATHS];	/* @56: weight shares after the update */
};				/* 88 bytes */

/* ---- Augmenter (initial congestion window) ------------------------- */

#define TPC_AUG_OFF		0	/* the kernel's initial window */
#define TPC_AUG_FIXED		1	/* tpc_augment_set.fixed packets */
#define TPC_AUG_LEARNED		2	/* from the prefix's live flows */
#define TPC_AUG_MAX_WINDOW	65535	/* packets: fixed, floor, ceiling */
#define TPC_AUG_DEFAULT_MSS	1428	/* tpc_augment_get.mss = 0 */
#define TPC_AUG_F_FRESH		0x1	/* tpc_augment_state.flags: averages valid */
#define TPC_AUG_F_CROSSED	0x2	/* eff_floor > eff_ceiling: ceiling wins */

/*
 * TPC_MSG_AUG_SET: set the Augmenter policy of a path table entry. fixed
 * is the window of TPC_AUG_FIXED (1 ... TPC_AUG_MAX_WINDOW; 0 for the
 * other policies); floor and ceiling bound the learned window (0: follow
 * the net.tpc.augment_floor / augment_ceiling sysctls). Errors: EINVAL
 * bad prefix, policy or window, or a ceiling below the floor (after
 * filling in the sysctls); ENOENT no entry for the prefix; EBADMSG
 * reserved not 0.
 */
struct tpc_augment_set {
	__u8  addr[16];		/* @0 */
	__u8  len;		/* @16 */
	__u8  policy;		/* @17: TPC_AUG_* */
	__u8  reserved[2];	/* @18: 0 */
	__u32 fixed;		/* @20 */
	__u32 floor;		/* @24 */
	__u32 ceiling;		/* @28 */
};				/* 32 bytes */

/*
 * TPC_MSG_AUG_GET: the Augmenter state of exactly this prefix, windows
 * computed for mss bytes (0: TPC_AUG_DEFAULT_MSS). Errors: EINVAL bad
 * prefix, ENOENT no entry for it.
 */
struct tpc_augment_get {
	struct tpc_prefix prefix;	/* @0 */
	__u32 mss;			/* @20 */
};					/* 24 bytes */

/*
 * TPC_MSG_AUG_STATE, reply to TPC_MSG_AUG_GET. window is what the policy
 * gives a new connection now, before the per-connection caps (peer's
 * receive window, route cwnd clamp); 0: the kernel's window. learned is
 * the learned estimate whatever the policy (0: no fresh data). The
 * averages are valid with TPC_AUG_F_FRESH. A new flow's share is
 * rate_bps / (flows + starts + 1); bdp_bytes includes the loss reduction
 * min(1/2, 10 x loss_ppm / 10^6).
 */
struct tpc_augment_state {
	__u8  addr[16];		/* @0 */
	__u8  len;		/* @16 */
	__u8  policy;		/* @17: TPC_AUG_* */
	__u8  flags;		/* @18: TPC_AUG_F_* */
	__u8  reserved;		/* @19: 0 */
	__u32 fixed;		/* @20 */
	__u32 floor;		/* @24: configured (0: sysctl) */
	__u32 ceiling;		/* @28: configured (0: sysctl) */
	__u32 eff_floor;	/* @32: in force */
	__u32 eff_ceiling;	/* @36: in force */
	__u32 open;		/* @40: tracked connections open */
	__u32 mss;		/* @44 */
	__u32 window;		/* @48: packets */
	__u32 learned;		/* @52: packets */
	__u32 half_life_ms;	/* @56 */
	__u32 starts;		/* @60: connections started in the last 1-2 bins */
	__u64 rate_bps;		/* @64: delivery rate, bytes per second */
	__u64 flows_milli;	/* @72: active flows, thousandths */
	__u64 min_rtt_us;	/* @80 */
	__u64 loss_ppm;		/* @88 */
	__u64 age_ms;		/* @96: since the last active bin (~0: never) */
	__u64 bins;		/* @104: 100 ms bins folded */
	__u64 share_bps;	/* @112: a new flow's fair share */
	__u64 bdp_bytes;	/* @120: share x min RTT (x loss factor) */
};				/* 128 bytes */

/*
 * Socket options. The block is far above every IP_* / IPV6_* option and
 * every netfilter range (iptables 64.., arptables 96.., ebtables 128..,
 * IPVS 1152..).
 */
#define TPC_SOCKOPT_BASE	0x5450		/* 21584, "TP" */
#define TPC_SOCKOPT_COUNT	16
#define TPC_SO_INFO		(TPC_SOCKOPT_BASE + 0)	/* get: struct tpc_conn_info */
#define TPC_SO_PIN		(TPC_SOCKOPT_BASE + 1)	/* set: __u32 path index */
#define TPC_SO_MOVE		(TPC_SOCKOPT_BASE + 2)	/* set: (no value) */
#define TPC_PIN_NONE		0xffffffffU		/* TPC_SO_PIN: unpin */

/*
 * setsockopt(TPC_SO_PIN, __u32 k): move the connection to path k of its
 * destination's prefix and keep it there (failover strategies leave it
 * alone) until TPC_PIN_NONE. setsockopt(TPC_SO_MOVE): move to the next
 * path now. Errors: ENOENT the socket does not use tpc, or its destination
 * has no paths, or k is not a path index; EINVAL optlen != 4 (TPC_SO_PIN);
 * ENOTCONN not established; ENOBUFS no option memory (path unchanged).
 */

#define TPC_CONN_INFO_VERSION	2
#define TPC_CONN_F_INITIALIZED	0x1	/* tpc's per-socket state exists */
#define TPC_CONN_F_MANAGED	0x2	/* its destination has paths */
#define TPC_CONN_F_PINNED	0x4	/* pinned by TPC_SO_PIN */
#define TPC_CONN_F_CLOSING	0x8	/* closing: no more path changes */
#define TPC_PATH_NONE		0xffffffffU

/*
 * getsockopt(TPC_SO_INFO): the TPC state of a TCP connection whose
 * congestion control is "tpc". Shorter buffers get a prefix.
 * Errors: ENOENT the socket does not use tpc, EOPNOTSUPP not a TCP socket,
 * EINVAL optlen < 8.
 */
struct tpc_conn_info {
	__u32 version;		/* TPC_CONN_INFO_VERSION */
	__u32 flags;		/* TPC_CONN_F_* */
	__u32 ca_state;		/* TCP_CA_Open ... TCP_CA_Loss */
	__u32 snd_cwnd;		/* packets */
	__u32 snd_ssthresh;	/* packets */
	__u32 srtt_us;		/* smoothed RTT, microseconds */
	__u32 loss_events;	/* times this connection entered TCP_CA_Loss */
	__u32 cong_avoid_calls;	/* ACKs that reached congestion avoidance */
	__u64 age_ns;		/* time since tpc initialised this connection */
	__u32 path;		/* current path index or TPC_PATH_NONE */
	__u32 npaths;		/* paths of its prefix (0: none) */
	__u32 moves;		/* path changes (the first path not counted) */
	__u32 retrans;		/* failover signals since progress or move */
};

#endif /* _UAPI_LINUX_TCP_PATHCHANGER_H */
