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
	/* Replies (module -> user space). */
	TPC_MSG_HELLO_REPLY	= 0x8001,	/* body: struct tpc_hello_reply */
	TPC_MSG_COUNTERS	= 0x8002,	/* body: tpc_list_hdr + tpc_counter[] */
	TPC_MSG_KNOBS		= 0x8003,	/* body: tpc_list_hdr + tpc_knob[] */
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

/*
 * Socket options. The block is far above every IP_* / IPV6_* option and
 * every netfilter range (iptables 64.., arptables 96.., ebtables 128..,
 * IPVS 1152..).
 */
#define TPC_SOCKOPT_BASE	0x5450		/* 21584, "TP" */
#define TPC_SOCKOPT_COUNT	16
#define TPC_SO_INFO		(TPC_SOCKOPT_BASE + 0)	/* get: struct tpc_conn_info */

#define TPC_CONN_INFO_VERSION	1
#define TPC_CONN_F_INITIALIZED	0x1	/* tpc's per-socket state exists */

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
};

#endif /* _UAPI_LINUX_TCP_PATHCHANGER_H */
