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
	/* Replies (module -> user space). */
	TPC_MSG_HELLO_REPLY	= 0x8001,	/* body: struct tpc_hello_reply */
	TPC_MSG_COUNTERS	= 0x8002,	/* body: tpc_list_hdr + tpc_counter[] */
	TPC_MSG_KNOBS		= 0x8003,	/* body: tpc_list_hdr + tpc_knob[] */
	TPC_MSG_ACK		= 0x8004,	/* body: empty */
	TPC_MSG_PATH_ENTRY	= 0x8006,	/* body: tpc_path_entry + paths */
	TPC_MSG_EVENT		= 0x8010,	/* body: struct tpc_event */
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
	TPC_REASON_COUNT	= 7,	/* array size (index 0 unused) */
};

/*
 * TPC_MSG_PATH_ENTRY, reply to TPC_MSG_PATH_GET (ENOENT past the last
 * entry), followed by npaths times struct tpc_path_entry_path + srh_len
 * bytes.
 */
struct tpc_path_entry {
	__u32 index;
	__u32 count;		/* entries in the table */
	__u8  addr[16];
	__u8  len;
	__u8  npaths;
	__u8  strategy;		/* enum tpc_strategy; INHERIT: no override */
	__u8  reserved;
	__u32 n, m, t_ms;	/* the override's parameters */
	__u32 generation;	/* bumped when the paths are replaced */
	__u32 reserved2;
	__u64 moves[TPC_REASON_COUNT];	/* by enum tpc_reason */
	__u64 apply_failed;	/* path changes that failed */
};

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
