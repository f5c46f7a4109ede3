// SPDX-License-Identifier: GPL-2.0
/*
 * Test helper for the tcp_pathchanger selftests.
 *
 *   tpc_helper dev CASE                 exercise /dev/tpc (see dev_case())
 *   tpc_helper sockopt CASE             exercise the TPC_SO_* options
 *   tpc_helper sink ADDR PORT           accept one connection, verify data
 *   tpc_helper source ADDR PORT CC BYTES
 *                                       send BYTES of pattern with CC and
 *                                       print the connection's TPC state
 *   tpc_helper hold ADDR PORT CC SECS   keep a CC connection busy for SECS
 *   tpc_helper bulk ADDR PORT CC SECS MS
 *                                       send pattern (to rsink) as fast as
 *                                       the connection takes it for SECS;
 *                                       print "cw T CWND SSTHRESH CA_STATE"
 *                                       (TCP_INFO) every MS milliseconds
 *   tpc_helper now                      print CLOCK_MONOTONIC in ms
 *   tpc_helper listen ADDR PORT         accept and close connections forever
 *   tpc_helper probe ADDR PORT MS       connect within MS milliseconds
 *   tpc_helper rsink ADDR PORT          accept one connection, verify data
 *                                       until EOF, log bytes received
 *   tpc_helper rsource ADDR PORT BYTES_PER_S SECS DRAIN_SECS [STOPFILE]
 *                                       send paced pattern for SECS (or
 *                                       until STOPFILE exists), wait
 *                                       DRAIN_SECS for it to be acked;
 *                                       with TPC_HELPER_MOVE set, move to
 *                                       the next path first (TPC_SO_MOVE)
 *   tpc_helper table add|del N          add or delete N prefixes
 *                                       fd00:100::/64... (one direct path)
 *   tpc_helper table bad-prefix         prefixes with host bits or /129
 *                                       must be refused with EINVAL
 *   tpc_helper pin ADDR PORT K...       send to a sink, setting TPC_SO_PIN
 *                                       to each K (none: unpin; move:
 *                                       TPC_SO_MOVE) and printing the result
 *   tpc_helper serve ADDR PORT CC BYTES accept connections forever (on a
 *                                       CC listener); send BYTES to each,
 *                                       then close it (one child each)
 *   tpc_helper serve-iw ADDR PORT CC   accept connections forever (on a
 *                                       CC listener); each sends an 8-byte
 *                                       size (little-endian), gets that
 *                                       many bytes, then EOF; before
 *                                       sending, print "iw MS CWND mss MSS"
 *                                       (TCP_INFO: the initial window); if
 *                                       the size has bit 63 set, also
 *                                       "flight MS CWND" right after the
 *                                       first write (the first flight's
 *                                       window, before any ACK)
 *   tpc_helper get ADDR PORT BYTES [CC [IDLE_MS]]
 *                                       ask serve-iw for BYTES, read them
 *                                       to EOF; print "rx MS BYTES" every
 *                                       500 ms and "done MS BYTES FCT_US";
 *                                       CC "-": the default; IDLE_MS: wait
 *                                       that long after connecting, and
 *                                       ask for the "flight" line
 *   tpc_helper fetch ADDR PORT COUNT BYTES
 *                                       COUNT connections one after the
 *                                       other, each reading BYTES to EOF
 *   tpc_helper ipc-rtt ccp|uds N FILE   N round trips of a 16-byte message:
 *                                       through /dev/ccpkp (the datapath's
 *                                       ECHO; needs no agent attached) or a
 *                                       Unix-domain socket echo process;
 *                                       one RTT in ns per line to FILE
 *   tpc_helper serve-path ADDR PORT     accept connections forever (tpc
 *                                       listener); send each the index of
 *                                       the path it started on (one byte,
 *                                       255: none), then close it
 *   tpc_helper handshake ADDR PORT COUNT
 *                                       COUNT connections one after the
 *                                       other to serve-path; print "path P
 *                                       connect_us T" for each (T: time
 *                                       connect() took, i.e. SYN out and
 *                                       SYN-ACK back)
 *
 * rsink and rsource use the netns default congestion control and print
 * "rx MS BYTES" / "info MS path P npaths N moves M ..." lines with
 * CLOCK_MONOTONIC times in ms, for the failover tests.
 *
 * Exit status 0 on success, 1 on failure (with a "# ..." line saying why),
 * 4 (KSFT_SKIP) if a prerequisite is missing.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/tcp_pathchanger.h>

#define KSFT_SKIP 4

static const char *dev_path = TPC_DEV_PATH;

#define FAIL(...) do { printf("# " __VA_ARGS__); printf("\n"); return 1; } while (0)

/* ---- /dev/tpc -------------------------------------------------------- */

static size_t put_hdr(uint8_t *b, uint32_t len, uint16_t type, uint8_t ver,
		      uint8_t flags, uint32_t seq)
{
	struct tpc_msg_hdr h = { len, type, ver, flags, seq };

	memcpy(b, &h, sizeof(h));
	return sizeof(h);
}

static size_t hello(uint8_t *b, uint32_t seq, uint32_t min, uint32_t max)
{
	struct tpc_hello body = { min, max };
	size_t n = sizeof(struct tpc_msg_hdr) + sizeof(body);

	put_hdr(b, n, TPC_MSG_HELLO, TPC_PROTO_VERSION, 0, seq);
	memcpy(b + sizeof(struct tpc_msg_hdr), &body, sizeof(body));
	return n;
}

static size_t empty_req(uint8_t *b, uint16_t type, uint32_t seq)
{
	return put_hdr(b, TPC_MSG_HDR_LEN, type, TPC_PROTO_VERSION, 0, seq);
}

static int open_dev(int flags)
{
	int fd = open(dev_path, O_RDWR | flags);

	if (fd < 0) {
		printf("# open %s: %s\n", dev_path, strerror(errno));
		exit(errno == ENOENT ? KSFT_SKIP : 1);
	}
	return fd;
}

/* Sends a hello on fd and checks the reply. */
static int check_hello(int fd, uint32_t seq)
{
	uint8_t b[TPC_MSG_MAX];
	struct tpc_msg_hdr h;
	struct tpc_hello_reply r;
	ssize_t n = hello(b, seq, 1, 1);

	if (write(fd, b, n) != n)
		FAIL("hello write: %s", strerror(errno));
	n = read(fd, b, sizeof(b));
	if (n != sizeof(h) + sizeof(r))
		FAIL("hello reply: read %zd (%s)", n, n < 0 ? strerror(errno) : "size");
	memcpy(&h, b, sizeof(h));
	memcpy(&r, b + sizeof(h), sizeof(r));
	if (h.type != TPC_MSG_HELLO_REPLY || h.seq != seq || h.len != n ||
	    h.version != TPC_PROTO_VERSION)
		FAIL("hello reply header: type %#x seq %u len %u", h.type, h.seq, h.len);
	if (r.version != TPC_PROTO_VERSION || r.max_msg != TPC_MSG_MAX ||
	    !r.queue_bytes || !r.module_version[0] || r.module_version[31])
		FAIL("hello reply body: version %u max %u", r.version, r.max_msg);
	printf("# hello: module %.32s, protocol %u, queue %u bytes\n",
	       r.module_version, r.version, r.queue_bytes);
	return 0;
}

/* Writes msg, expects errno err, then checks the device still answers. */
static int expect_reject(const uint8_t *msg, size_t len, int err, const char *what)
{
	int fd = open_dev(0);
	ssize_t n = write(fd, msg, len);
	int e = errno;

	if (n >= 0)
		FAIL("%s: accepted (%zd), expected %s", what, n, strerror(err));
	if (e != err)
		FAIL("%s: got %s, expected %s", what, strerror(e), strerror(err));
	printf("# %s: rejected with %s\n", what, strerror(e));
	if (check_hello(fd, 77))
		FAIL("%s: device unusable after the rejected message", what);
	close(fd);
	return 0;
}

static int dev_bad(const char *name)
{
	uint8_t b[2 * TPC_MSG_MAX];
	size_t n;

	memset(b, 0, sizeof(b));
	if (!strcmp(name, "short"))
		return expect_reject((const uint8_t *)"\x01\x02\x03\x04\x05", 5, EINVAL,
				     "5-byte message");
	if (!strcmp(name, "empty"))
		return expect_reject(b, 0, EINVAL, "empty write");
	if (!strcmp(name, "len-mismatch")) {
		n = hello(b, 1, 1, 1);
		put_hdr(b, n + 4, TPC_MSG_HELLO, 1, 0, 1);
		return expect_reject(b, n, EINVAL, "header length != write size");
	}
	if (!strcmp(name, "flags")) {
		n = put_hdr(b, TPC_MSG_HDR_LEN, TPC_MSG_GET_COUNTERS, 1, 0x80, 1);
		return expect_reject(b, n, EINVAL, "reserved flags set");
	}
	if (!strcmp(name, "version")) {
		n = put_hdr(b, TPC_MSG_HDR_LEN, TPC_MSG_GET_COUNTERS, 9, 0, 1);
		return expect_reject(b, n, EPROTO, "unsupported header version");
	}
	if (!strcmp(name, "hello-range")) {
		n = hello(b, 1, 2, 5);
		return expect_reject(b, n, EPROTONOSUPPORT, "hello without a common version");
	}
	if (!strcmp(name, "unknown-type")) {
		n = put_hdr(b, TPC_MSG_HDR_LEN, 0x7abc, 1, 0, 1);
		return expect_reject(b, n, EOPNOTSUPP, "unknown message type");
	}
	if (!strcmp(name, "reply-type")) {
		n = put_hdr(b, TPC_MSG_HDR_LEN, TPC_MSG_COUNTERS, 1, 0, 1);
		return expect_reject(b, n, EOPNOTSUPP, "reply type sent as request");
	}
	if (!strcmp(name, "body")) {
		n = put_hdr(b, TPC_MSG_HDR_LEN + 3, TPC_MSG_GET_KNOBS, 1, 0, 1);
		return expect_reject(b, n + 3, EBADMSG, "body on a bodiless request");
	}
	if (!strcmp(name, "oversize")) {
		put_hdr(b, sizeof(b), TPC_MSG_HELLO, 1, 0, 1);
		return expect_reject(b, sizeof(b), EMSGSIZE, "8 KiB write");
	}
	printf("# unknown bad case %s\n", name);
	return 1;
}

/* A TPC_MSG_SET_EXP3 for fd00:a::/64 (or global scope) into b. */
static size_t exp3_set(uint8_t *b, int global, uint8_t mode, uint32_t gamma_ppm,
		       uint8_t keylen, uint32_t reserved)
{
	struct tpc_exp3_set e = {
		.addr = { 0xfd, 0x00, 0x00, 0x0a },
		.len = global ? TPC_SCOPE_GLOBAL : 64,
		.mode = mode,
		.preset = TPC_EXP3_INHERIT,
		.keylen = keylen,
		.gamma_ppm = gamma_ppm,
		.hook_bytes = TPC_EXP3_INHERIT_U32,
		.reserved = reserved,
	};
	size_t n = TPC_MSG_HDR_LEN + sizeof(e);

	put_hdr(b, n, TPC_MSG_SET_EXP3, TPC_PROTO_VERSION, 0, 9);
	memcpy(b + TPC_MSG_HDR_LEN, &e, sizeof(e));
	return n;
}

/*
 * EXP3 settings the module must refuse (the controller's own checks
 * bypassed): gamma above 1, an unknown mode, a key length above 128,
 * "inherit" at global scope, a reserved field set.
 */
static int dev_exp3_bad(void)
{
	uint8_t b[TPC_MSG_MAX];
	size_t n;

	n = exp3_set(b, 0, TPC_EXP3_ON, 1500000, 0, 0);
	if (expect_reject(b, n, EINVAL, "EXP3 gamma 1.5 for a prefix"))
		return 1;
	n = exp3_set(b, 1, TPC_EXP3_ON, 1000001, 0, 0);
	if (expect_reject(b, n, EINVAL, "EXP3 gamma 1.000001, global"))
		return 1;
	n = exp3_set(b, 0, 7, TPC_EXP3_INHERIT_U32, 0, 0);
	if (expect_reject(b, n, EINVAL, "EXP3 mode 7"))
		return 1;
	n = exp3_set(b, 0, TPC_EXP3_ON, TPC_EXP3_INHERIT_U32, 129, 0);
	if (expect_reject(b, n, EINVAL, "EXP3 key length 129"))
		return 1;
	n = exp3_set(b, 1, TPC_EXP3_INHERIT, TPC_EXP3_INHERIT_U32, 0, 0);
	if (expect_reject(b, n, EINVAL, "EXP3 inherit at global scope"))
		return 1;
	n = exp3_set(b, 0, TPC_EXP3_ON, TPC_EXP3_INHERIT_U32, 0, 1);
	return expect_reject(b, n, EBADMSG, "EXP3 reserved field set");
}

static int dev_random(void)
{
	uint8_t b[512];
	int fd = open_dev(0), i, accepted = 0;

	srand(12345);
	for (i = 0; i < 2000; i++) {
		size_t len = rand() % sizeof(b), j;

		for (j = 0; j < len; j++)
			b[j] = rand();
		if (write(fd, b, len) >= 0)
			accepted++;
	}
	printf("# 2000 random writes, %d accepted\n", accepted);
	if (accepted)
		FAIL("random garbage was accepted");
	if (check_hello(fd, 5))
		return 1;
	close(fd);
	return 0;
}

static int dev_short_read(void)
{
	uint8_t b[TPC_MSG_MAX];
	int fd = open_dev(0);
	ssize_t n = hello(b, 9, 1, 1);

	if (write(fd, b, n) != n)
		FAIL("write: %s", strerror(errno));
	if (read(fd, b, 8) >= 0 || errno != EMSGSIZE)
		FAIL("8-byte read: expected EMSGSIZE, got %s", strerror(errno));
	n = read(fd, b, sizeof(b));
	if (n != TPC_MSG_HDR_LEN + sizeof(struct tpc_hello_reply))
		FAIL("the message was lost after the short read (%zd)", n);
	printf("# short read: EMSGSIZE, message kept\n");
	close(fd);
	return 0;
}

static int dev_nonblock_poll(void)
{
	uint8_t b[TPC_MSG_MAX];
	int fd = open_dev(O_NONBLOCK);
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLOUT };
	ssize_t n;

	if (read(fd, b, sizeof(b)) >= 0 || errno != EAGAIN)
		FAIL("empty non-blocking read: expected EAGAIN, got %s", strerror(errno));
	if (poll(&p, 1, 0) != 1 || p.revents != POLLOUT)
		FAIL("idle poll: revents %#x, expected POLLOUT", p.revents);
	n = empty_req(b, TPC_MSG_GET_COUNTERS, 3);
	if (write(fd, b, n) != n)
		FAIL("write: %s", strerror(errno));
	if (poll(&p, 1, 1000) != 1 || p.revents != (POLLIN | POLLOUT))
		FAIL("poll after request: revents %#x", p.revents);
	if (read(fd, b, sizeof(b)) <= 0)
		FAIL("read: %s", strerror(errno));
	printf("# EAGAIN when empty; poll POLLOUT, then POLLIN|POLLOUT\n");
	close(fd);
	return 0;
}

static int dev_queue_full(void)
{
	uint8_t b[TPC_MSG_MAX];
	int fd = open_dev(O_NONBLOCK), sent = 0, got = 0, i;
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	ssize_t n;

	for (i = 0; i < 10000; i++) {
		n = empty_req(b, TPC_MSG_GET_COUNTERS, i);
		if (write(fd, b, n) == n) {
			sent++;
			continue;
		}
		if (errno != EAGAIN)
			FAIL("write %d: %s", i, strerror(errno));
		break;
	}
	if (i == 10000)
		FAIL("queue never filled");
	if (poll(&p, 1, 0) != 0)
		FAIL("full queue still reports POLLOUT");
	for (;;) {
		struct tpc_msg_hdr h;

		n = read(fd, b, sizeof(b));
		if (n < 0)
			break;
		memcpy(&h, b, sizeof(h));
		if (h.seq != (uint32_t)got || h.type != TPC_MSG_COUNTERS)
			FAIL("reply %d: seq %u type %#x (lost or reordered)", got, h.seq, h.type);
		got++;
	}
	if (errno != EAGAIN || got != sent)
		FAIL("sent %d, read back %d replies (%s)", sent, got, strerror(errno));
	n = empty_req(b, TPC_MSG_GET_KNOBS, 1);
	if (write(fd, b, n) != n)
		FAIL("write after draining: %s", strerror(errno));
	printf("# %d requests queued before EAGAIN, all %d replies read in order\n",
	       sent, got);
	close(fd);
	return 0;
}

static int dev_blocking_read(void)
{
	uint8_t b[TPC_MSG_MAX];
	int fd = open_dev(0), status;
	struct timespec t0, t1;
	pid_t pid = fork();
	ssize_t n;

	if (pid == 0) {
		usleep(300 * 1000);
		n = empty_req(b, TPC_MSG_GET_KNOBS, 42);
		_exit(write(fd, b, n) == n ? 0 : 1);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	n = read(fd, b, sizeof(b));	/* Sleeps until the child's request. */
	clock_gettime(CLOCK_MONOTONIC, &t1);
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		FAIL("writer failed");
	if (n <= 0 || ((struct tpc_msg_hdr *)b)->seq != 42)
		FAIL("blocking read returned %zd", n);
	printf("# blocking read woke after %ld ms\n",
	       (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000);
	close(fd);
	return 0;
}

static int dev_openers(void)
{
	int fds[32], i, n, fd;

	for (n = 0; n < 32; n++) {
		fds[n] = open(dev_path, O_RDWR);
		if (fds[n] < 0)
			break;
	}
	if (n == 32 || errno != EBUSY)
		FAIL("%d opens succeeded, then %s (expected EBUSY)", n, strerror(errno));
	close(fds[0]);
	fd = open(dev_path, O_RDWR);
	if (fd < 0)
		FAIL("open after a close: %s", strerror(errno));
	if (check_hello(fd, 1))
		return 1;
	close(fd);
	for (i = 1; i < n; i++)
		close(fds[i]);
	printf("# %d files open at most, then EBUSY; a close frees a slot\n", n);
	return 0;
}

static int dev_case(const char *c)
{
	if (!strcmp(c, "hello")) {
		int fd = open_dev(0), r = check_hello(fd, 1234);

		close(fd);
		return r;
	}
	if (!strncmp(c, "bad-", 4))
		return dev_bad(c + 4);
	if (!strcmp(c, "random"))
		return dev_random();
	if (!strcmp(c, "exp3-bad"))
		return dev_exp3_bad();
	if (!strcmp(c, "short-read"))
		return dev_short_read();
	if (!strcmp(c, "nonblock-poll"))
		return dev_nonblock_poll();
	if (!strcmp(c, "queue-full"))
		return dev_queue_full();
	if (!strcmp(c, "blocking-read"))
		return dev_blocking_read();
	if (!strcmp(c, "openers"))
		return dev_openers();
	printf("# unknown dev case %s\n", c);
	return 1;
}

/* ---- Sockets ------------------------------------------------------------- */

static int resolve(const char *addr, const char *port, struct sockaddr_storage *ss,
		   socklen_t *len)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV };
	struct addrinfo *ai;
	int err = getaddrinfo(addr, port, &hints, &ai);

	if (err) {
		printf("# %s: %s\n", addr, gai_strerror(err));
		return -1;
	}
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*len = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

static int set_cc(int fd, const char *cc)
{
	if (setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, cc, strlen(cc))) {
		printf("# setsockopt(TCP_CONGESTION, %s): %s\n", cc, strerror(errno));
		return -1;
	}
	return 0;
}

static int connect_cc(const char *addr, const char *port, const char *cc)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd;

	if (resolve(addr, port, &ss, &len))
		return -1;
	fd = socket(ss.ss_family, SOCK_STREAM, 0);
	if (fd < 0 || (cc && set_cc(fd, cc)))
		return -1;
	if (connect(fd, (struct sockaddr *)&ss, len)) {
		printf("# connect %s:%s: %s\n", addr, port, strerror(errno));
		return -1;
	}
	return fd;
}

/* Level at which fd reaches the module's options. */
static int opt_level(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	getsockname(fd, (struct sockaddr *)&ss, &len);
	return ss.ss_family == AF_INET6 ? IPPROTO_IPV6 : IPPROTO_IP;
}

static int get_info(int fd, int level, struct tpc_conn_info *info)
{
	socklen_t len = sizeof(*info);

	memset(info, 0, sizeof(*info));
	if (getsockopt(fd, level, TPC_SO_INFO, info, &len))
		return -errno;
	return len;
}

static void print_info(const char *who, const struct tpc_conn_info *i)
{
	printf("# %s: version %u flags %#x ca_state %u cwnd %u ssthresh %u srtt %u us loss_events %u cong_avoid_calls %u age %llu ms\n",
	       who, i->version, i->flags, i->ca_state, i->snd_cwnd,
	       i->snd_ssthresh, i->srtt_us, i->loss_events,
	       i->cong_avoid_calls, (unsigned long long)i->age_ns / 1000000);
}

/* A connected pair over loopback; cc set on the listener and the client. */
static int loop_pair(int family, const char *cc, int *cli, int *srv)
{
	struct sockaddr_storage ss = { .ss_family = family };
	socklen_t len = sizeof(ss);
	int l = socket(family, SOCK_STREAM, 0);

	if (family == AF_INET6)
		((struct sockaddr_in6 *)&ss)->sin6_addr = in6addr_loopback;
	else
		((struct sockaddr_in *)&ss)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (l < 0 || set_cc(l, cc) || bind(l, (struct sockaddr *)&ss, len) ||
	    listen(l, 1) || getsockname(l, (struct sockaddr *)&ss, &len))
		return -1;
	*cli = socket(family, SOCK_STREAM, 0);
	if (*cli < 0 || set_cc(*cli, cc) || connect(*cli, (struct sockaddr *)&ss, len))
		return -1;
	*srv = accept(l, NULL, NULL);
	close(l);
	if (*srv < 0)
		return -1;
	/* Data both ways, so that both ends get ACKs for their data. */
	for (int i = 0; i < 100; i++) {
		char b[1000] = { 0 };

		if (write(*cli, b, sizeof(b)) != sizeof(b) ||
		    read(*srv, b, sizeof(b)) != sizeof(b) ||
		    write(*srv, b, sizeof(b)) != sizeof(b) ||
		    read(*cli, b, sizeof(b)) != sizeof(b))
			return -1;
	}
	return 0;
}

static int sockopt_info(int family)
{
	struct tpc_conn_info i;
	int cli, srv, r, level;
	char cc[16] = "";
	socklen_t len = sizeof(cc);

	if (loop_pair(family, "tpc", &cli, &srv))
		FAIL("loopback pair with tpc: %s", strerror(errno));
	if (getsockopt(cli, IPPROTO_TCP, TCP_CONGESTION, cc, &len) || strcmp(cc, "tpc"))
		FAIL("TCP_CONGESTION reads back '%s'", cc);
	level = opt_level(cli);
	r = get_info(cli, level, &i);
	if (r != sizeof(i))
		FAIL("client TPC_SO_INFO: %s", r < 0 ? strerror(-r) : "short");
	print_info("active", &i);
	if (i.version != TPC_CONN_INFO_VERSION || !(i.flags & TPC_CONN_F_INITIALIZED) ||
	    i.snd_cwnd < 2 || i.age_ns == 0 || i.ca_state > 4)
		FAIL("implausible client state");
	r = get_info(srv, level, &i);
	if (r != sizeof(i))
		FAIL("server (passive) TPC_SO_INFO: %s", r < 0 ? strerror(-r) : "short");
	print_info("passive", &i);
	if (!(i.flags & TPC_CONN_F_INITIALIZED) || !i.cong_avoid_calls)
		FAIL("passive side not initialised or no ACK reached cong_avoid");
	if (family == AF_INET6) {
		/* An IPv6 socket also reaches the PF_INET range at SOL_IP. */
		r = get_info(cli, IPPROTO_IP, &i);
		if (r != sizeof(i))
			FAIL("IPv6 socket at SOL_IP: %s", r < 0 ? strerror(-r) : "short");
	}
	close(cli);
	close(srv);
	return 0;
}

static int sockopt_errors(void)
{
	struct tpc_conn_info i;
	socklen_t len;
	int cli, srv, r, u, v = 1;

	if (loop_pair(AF_INET, "reno", &cli, &srv))
		FAIL("loopback pair with reno");
	r = get_info(cli, IPPROTO_IP, &i);
	if (r != -ENOENT)
		FAIL("reno socket: expected ENOENT, got %d", r);
	close(cli);
	close(srv);
	printf("# socket not using tpc: ENOENT\n");

	if (loop_pair(AF_INET, "tpc", &cli, &srv))
		FAIL("loopback pair with tpc");
	len = 8;
	if (getsockopt(cli, IPPROTO_IP, TPC_SO_INFO, &i, &len) || len != 8 ||
	    i.version != TPC_CONN_INFO_VERSION)
		FAIL("8-byte prefix: len %u version %u (%s)", len, i.version, strerror(errno));
	printf("# 8-byte buffer: prefix returned\n");
	len = 4;
	if (getsockopt(cli, IPPROTO_IP, TPC_SO_INFO, &i, &len) >= 0 || errno != EINVAL)
		FAIL("4-byte buffer: expected EINVAL, got %s", strerror(errno));
	printf("# 4-byte buffer: EINVAL\n");
	len = sizeof(i);
	if (getsockopt(cli, IPPROTO_IP, TPC_SOCKOPT_BASE + 5, &i, &len) >= 0 ||
	    errno != ENOPROTOOPT)
		FAIL("unknown get option: expected ENOPROTOOPT, got %s", strerror(errno));
	if (setsockopt(cli, IPPROTO_IP, TPC_SO_INFO, &v, sizeof(v)) >= 0 ||
	    errno != ENOPROTOOPT)
		FAIL("set: expected ENOPROTOOPT, got %s", strerror(errno));
	printf("# unknown options in the range: ENOPROTOOPT\n");
	u = socket(AF_INET, SOCK_DGRAM, 0);
	len = sizeof(i);
	if (getsockopt(u, IPPROTO_IP, TPC_SO_INFO, &i, &len) >= 0 || errno != EOPNOTSUPP)
		FAIL("UDP socket: expected EOPNOTSUPP, got %s", strerror(errno));
	printf("# UDP socket: EOPNOTSUPP\n");
	/* The connection is still fine after all this. */
	if (get_info(cli, IPPROTO_IP, &i) != sizeof(i))
		FAIL("valid query after the errors");
	close(u);
	close(cli);
	close(srv);
	return 0;
}

static int sockopt_case(const char *c)
{
	if (!strcmp(c, "info-v4"))
		return sockopt_info(AF_INET);
	if (!strcmp(c, "info-v6"))
		return sockopt_info(AF_INET6);
	if (!strcmp(c, "errors"))
		return sockopt_errors();
	printf("# unknown sockopt case %s\n", c);
	return 1;
}

static uint8_t pattern(uint64_t i)
{
	return (uint8_t)(i ^ (i >> 8) ^ (i >> 16) ^ (i >> 24));
}

static int sink(const char *addr, const char *port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	uint64_t want, got = 0;
	uint8_t b[65536];
	int l, c, one = 1;
	ssize_t n, i;

	if (resolve(addr, port, &ss, &len))
		return 1;
	l = socket(ss.ss_family, SOCK_STREAM, 0);
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (l < 0 || bind(l, (struct sockaddr *)&ss, len) || listen(l, 1))
		FAIL("listen %s:%s: %s", addr, port, strerror(errno));
	c = accept(l, NULL, NULL);
	if (c < 0)
		FAIL("accept: %s", strerror(errno));
	if (read(c, &want, sizeof(want)) != sizeof(want))
		FAIL("no length header");
	while (got < want) {
		n = read(c, b, sizeof(b));
		if (n <= 0)
			FAIL("connection ended after %llu of %llu bytes",
			     (unsigned long long)got, (unsigned long long)want);
		for (i = 0; i < n; i++)
			if (b[i] != pattern(got + i))
				FAIL("corrupt byte at offset %llu",
				     (unsigned long long)(got + i));
		got += n;
	}
	if (read(c, b, 1) != 0)
		FAIL("extra data after %llu bytes", (unsigned long long)want);
	printf("# sink: %llu bytes received intact\n", (unsigned long long)got);
	return 0;
}

static int source(const char *addr, const char *port, const char *cc,
		  uint64_t bytes)
{
	uint8_t b[65536];
	uint64_t sent = 0;
	struct tpc_conn_info info;
	int fd = connect_cc(addr, port, cc);
	ssize_t i, n;
	int r;

	if (fd < 0)
		return 1;
	if (write(fd, &bytes, sizeof(bytes)) != sizeof(bytes))
		FAIL("write header: %s", strerror(errno));
	while (sent < bytes) {
		n = bytes - sent < sizeof(b) ? bytes - sent : sizeof(b);
		for (i = 0; i < n; i++)
			b[i] = pattern(sent + i);
		n = write(fd, b, n);
		if (n <= 0)
			FAIL("write: %s", strerror(errno));
		sent += n;
	}
	r = get_info(fd, opt_level(fd), &info);
	if (r > 0)
		print_info(cc, &info);
	else
		printf("# %s: TPC_SO_INFO: %s\n", cc, strerror(-r));
	shutdown(fd, SHUT_WR);
	while (read(fd, b, sizeof(b)) > 0)
		;
	close(fd);
	/* With tpc the state must have been there. */
	if (!strcmp(cc, "tpc") && (r != sizeof(info) || !(info.flags & TPC_CONN_F_INITIALIZED)))
		FAIL("tpc connection without TPC state");
	return 0;
}

static int hold(const char *addr, const char *port, const char *cc, int secs)
{
	int fd = connect_cc(addr, port, cc);
	time_t end = time(NULL) + secs;
	uint64_t big = ~0ULL;
	uint8_t b[1000];
	uint64_t sent = 0;

	if (fd < 0)
		return 1;
	if (write(fd, &big, sizeof(big)) != sizeof(big))
		return 1;
	printf("# holding a %s connection for %d s\n", cc, secs);
	fflush(stdout);
	while (time(NULL) < end) {
		for (int i = 0; i < (int)sizeof(b); i++)
			b[i] = pattern(sent + i);
		if (write(fd, b, sizeof(b)) != sizeof(b))
			FAIL("write: %s", strerror(errno));
		sent += sizeof(b);
		usleep(20000);
	}
	close(fd);
	return 0;
}

/* ---- Failover flows ------------------------------------------------------ */

static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000LL + t.tv_nsec / 1000000;
}

/*
 * Sends pattern as fast as the connection takes it for SECS and prints
 * "cw MS CWND SSTHRESH CA_STATE" (TCP_INFO, ssthresh 0 while still
 * infinite) every PERIOD ms: sampled in the sender itself, so the series
 * is dense even on a slow (emulated) machine where an ss loop is not.
 */
static int bulk(const char *addr, const char *port, const char *cc, int secs,
		int period)
{
	int fd = connect_cc(addr, port, cc);
	long long end = now_ms() + secs * 1000LL, next = now_ms(), t;
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	uint8_t b[16384];
	uint64_t sent = 0;
	ssize_t n, i;

	if (fd < 0)
		return 1;
	if (period < 1)
		FAIL("bulk: period must be at least 1 ms");
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	while ((t = now_ms()) < end) {
		if (t >= next) {
			struct tcp_info ti;
			socklen_t len = sizeof(ti);

			memset(&ti, 0, sizeof(ti));
			if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len))
				FAIL("TCP_INFO: %s", strerror(errno));
			printf("cw %lld %u %u %u\n", t, ti.tcpi_snd_cwnd,
			       ti.tcpi_snd_ssthresh >= 0x7fffffff ? 0 : ti.tcpi_snd_ssthresh,
			       ti.tcpi_ca_state);
			next = t + period;
			continue;
		}
		if (poll(&p, 1, (int)(next - t)) <= 0)
			continue;
		for (i = 0; i < (ssize_t)sizeof(b); i++)
			b[i] = pattern(sent + i);
		n = write(fd, b, sizeof(b));
		if (n < 0 && errno != EAGAIN)
			FAIL("write: %s", strerror(errno));
		if (n > 0)
			sent += n;
	}
	printf("# bulk: %llu bytes sent with %s\n", (unsigned long long)sent, cc);
	fflush(stdout);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	shutdown(fd, SHUT_WR);
	while (read(fd, b, sizeof(b)) > 0)
		;
	close(fd);
	return 0;
}

static const char *errname(int e)
{
	const char *n = strerrorname_np(e);

	return n ? n : "E?";
}

/* One "info" line: the connection's TPC state, or why there is none. */
static void print_path_info(int fd, const char *tag)
{
	struct tpc_conn_info i;
	char cc[16] = "";
	socklen_t len = sizeof(cc);
	int r = get_info(fd, opt_level(fd), &i);

	getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, cc, &len);
	if (r < 0) {
		printf("%s %lld error %s cc %.16s\n", tag, now_ms(), errname(-r), cc);
		return;
	}
	printf("%s %lld path %d npaths %u moves %u retrans %u flags %#x loss_events %u cc %.16s\n",
	       tag, now_ms(), i.path == TPC_PATH_NONE ? -1 : (int)i.path, i.npaths,
	       i.moves, i.retrans, i.flags, i.loss_events, cc);
}

static void print_ends(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char a[INET6_ADDRSTRLEN], p[8];

	if (getsockname(fd, (struct sockaddr *)&ss, &len) ||
	    getnameinfo((struct sockaddr *)&ss, len, a, sizeof(a), p, sizeof(p),
			NI_NUMERICHOST | NI_NUMERICSERV))
		return;
	printf("local %s %s\n", a, p);
	len = sizeof(ss);
	if (getpeername(fd, (struct sockaddr *)&ss, &len) ||
	    getnameinfo((struct sockaddr *)&ss, len, a, sizeof(a), p, sizeof(p),
			NI_NUMERICHOST | NI_NUMERICSERV))
		return;
	printf("peer %s %s\n", a, p);
}

static int listen_on(const char *addr, const char *port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int l, one = 1;

	if (resolve(addr, port, &ss, &len))
		return -1;
	l = socket(ss.ss_family, SOCK_STREAM, 0);
	if (l < 0)
		return -1;
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(l, (struct sockaddr *)&ss, len) || listen(l, 16)) {
		printf("# listen %s:%s: %s\n", addr, port, strerror(errno));
		return -1;
	}
	return l;
}

/* Accepts and closes connections until killed (a target for probe). */
static int listen_forever(const char *addr, const char *port)
{
	int l = listen_on(addr, port), c;

	if (l < 0)
		return 1;
	for (;;) {
		c = accept(l, NULL, NULL);
		if (c >= 0)
			close(c);
	}
}

/* Succeeds if a connection to addr:port is established within ms. */
static int probe(const char *addr, const char *port, int ms)
{
	struct sockaddr_storage ss;
	socklen_t len;
	struct pollfd p;
	int fd, err = 0;

	if (resolve(addr, port, &ss, &len))
		return 1;
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return 1;
	if (connect(fd, (struct sockaddr *)&ss, len) && errno != EINPROGRESS)
		FAIL("connect %s:%s: %s", addr, port, strerror(errno));
	p.fd = fd;
	p.events = POLLOUT;
	if (poll(&p, 1, ms) != 1)
		FAIL("connect %s:%s: no answer within %d ms", addr, port, ms);
	len = sizeof(err);
	getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
	if (err)
		FAIL("connect %s:%s: %s", addr, port, strerror(err));
	close(fd);
	return 0;
}

/*
 * Receives one connection's pattern until EOF, printing the cumulative
 * byte count every 100 ms and the connection's TPC state every second.
 */
static int rsink(const char *addr, const char *port)
{
	uint8_t b[65536];
	uint64_t got = 0;
	long long next_rx, next_info, t;
	struct pollfd p;
	int l = listen_on(addr, port), c;
	ssize_t n, i;

	if (l < 0)
		return 1;
	c = accept(l, NULL, NULL);
	if (c < 0)
		FAIL("accept: %s", strerror(errno));
	close(l);
	print_ends(c);
	print_path_info(c, "info");
	next_rx = now_ms() + 100;
	next_info = now_ms() + 1000;
	p.fd = c;
	p.events = POLLIN;
	for (;;) {
		t = now_ms();
		if (t >= next_rx) {
			printf("rx %lld %llu\n", t, (unsigned long long)got);
			next_rx += 100;
		}
		if (t >= next_info) {
			print_path_info(c, "info");
			next_info += 1000;
		}
		if (poll(&p, 1, next_rx > t ? (int)(next_rx - t) : 0) <= 0)
			continue;
		n = read(c, b, sizeof(b));
		if (n == 0)
			break;
		if (n < 0)
			FAIL("read after %llu bytes: %s", (unsigned long long)got,
			     strerror(errno));
		for (i = 0; i < n; i++)
			if (b[i] != pattern(got + i))
				FAIL("corrupt byte at offset %llu",
				     (unsigned long long)(got + i));
		got += n;
	}
	printf("rx %lld %llu\n", now_ms(), (unsigned long long)got);
	print_path_info(c, "info");
	printf("done %lld %llu\n", now_ms(), (unsigned long long)got);
	close(c);
	return 0;
}

/* Unsent plus unacknowledged bytes of fd. */
static int outq(int fd)
{
	int n = -1;

	ioctl(fd, TIOCOUTQ, &n);	/* SIOCOUTQ */
	return n;
}

/*
 * Sends the pattern at rate bytes/s for secs seconds (catching up after a
 * stall, like an application with a backlog), then waits up to drain
 * seconds until everything is acknowledged, shuts down and waits for the
 * peer's EOF. On failure the socket is reset rather than left to linger.
 */
static int rsource(const char *addr, const char *port, uint64_t rate, int secs, int drain,
		   const char *stop)
{
	uint8_t b[16384];
	uint64_t sent = 0, due;
	struct timeval tv = { 0, 200000 };
	struct linger lg = { 1, 0 };
	long long start, t, end, next_info;
	int fd = connect_cc(addr, port, NULL);
	ssize_t i, n;

	if (fd < 0)
		return 1;
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	/* TPC_HELPER_MOVE: start on the next path (TPC_SO_MOVE). */
	if (getenv("TPC_HELPER_MOVE") &&
	    setsockopt(fd, opt_level(fd), TPC_SO_MOVE, NULL, 0))
		FAIL("TPC_SO_MOVE: %s", strerror(errno));
	print_ends(fd);
	print_path_info(fd, "info");
	start = now_ms();
	end = start + secs * 1000LL;
	next_info = start + 1000;
	while ((t = now_ms()) < end) {
		if (t >= next_info) {
			print_path_info(fd, "info");
			printf("tx %lld %llu\n", t, (unsigned long long)sent);
			next_info += 1000;
			if (stop && !access(stop, F_OK))
				break;
		}
		due = rate * (uint64_t)(t - start) / 1000;
		if (sent >= due) {
			usleep(5000);
			continue;
		}
		n = due - sent < sizeof(b) ? due - sent : sizeof(b);
		for (i = 0; i < n; i++)
			b[i] = pattern(sent + i);
		n = write(fd, b, n);
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			FAIL("write after %llu bytes: %s", (unsigned long long)sent,
			     strerror(errno));
		if (n > 0)
			sent += n;
	}
	printf("sent-end %lld %llu\n", now_ms(), (unsigned long long)sent);
	end = now_ms() + drain * 1000LL;
	while (outq(fd) > 0 && now_ms() < end) {
		if (now_ms() >= next_info) {
			print_path_info(fd, "info");
			next_info += 1000;
		}
		usleep(20000);
	}
	print_path_info(fd, "info");
	if (outq(fd) != 0) {
		printf("# %d bytes still unacknowledged after %d s\n", outq(fd), drain);
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(fd);
		return 1;
	}
	printf("drained %lld\n", now_ms());
	shutdown(fd, SHUT_WR);
	end = now_ms() + 10000;
	n = -1;
	while (now_ms() < end) {
		n = read(fd, b, sizeof(b));
		if (n == 0)
			break;
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			break;
	}
	if (n != 0)
		FAIL("no EOF from the sink");
	printf("done %lld %llu\n", now_ms(), (unsigned long long)sent);
	close(fd);
	return 0;
}

static int write_pattern(int fd, uint64_t *sent, uint64_t bytes)
{
	uint8_t b[4096];
	uint64_t end = *sent + bytes;
	ssize_t n, i;

	while (*sent < end) {
		n = end - *sent < sizeof(b) ? end - *sent : sizeof(b);
		for (i = 0; i < n; i++)
			b[i] = pattern(*sent + i);
		n = write(fd, b, n);
		if (n <= 0)
			return -1;
		*sent += n;
	}
	return 0;
}

/*
 * Talks to "sink": 64 KiB, then TPC_SO_PIN (or TPC_SO_MOVE) for each
 * argument with the outcome and TPC_SO_INFO printed, then 64 KiB more,
 * which must still arrive intact.
 */
static int pin(const char *addr, const char *port, char **ks, int nk)
{
	uint64_t bytes = 2 * 65536, sent = 0;
	uint8_t b[256];
	int fd = connect_cc(addr, port, "tpc"), k, r;
	uint32_t v;

	if (fd < 0)
		return 1;
	if (write(fd, &bytes, sizeof(bytes)) != sizeof(bytes) ||
	    write_pattern(fd, &sent, 65536))
		FAIL("write: %s", strerror(errno));
	print_path_info(fd, "info");
	for (k = 0; k < nk; k++) {
		if (!strcmp(ks[k], "move")) {
			r = setsockopt(fd, opt_level(fd), TPC_SO_MOVE, NULL, 0);
		} else {
			v = strcmp(ks[k], "none") ? strtoul(ks[k], NULL, 0) : TPC_PIN_NONE;
			r = setsockopt(fd, opt_level(fd), TPC_SO_PIN, &v, sizeof(v));
		}
		printf("pin %s: %s\n", ks[k], r ? errname(errno) : "ok");
		print_path_info(fd, "info");
	}
	if (write_pattern(fd, &sent, 65536))
		FAIL("write after the pins: %s", strerror(errno));
	shutdown(fd, SHUT_WR);
	while ((r = read(fd, b, sizeof(b))) > 0)
		;
	close(fd);
	if (r < 0)
		FAIL("read: %s", strerror(errno));
	return 0;
}

/* ---- Path table through /dev/tpc (fast bulk operations) ------------------ */

/* Prefix number i of "table": fd00:(0x100 + i)::/64. */
static void table_prefix(uint8_t *addr, int i)
{
	memset(addr, 0, 16);
	addr[0] = 0xfd;
	addr[2] = (0x100 + i) >> 8;
	addr[3] = (0x100 + i) & 0xff;
}

/* Sends one request; returns 0 (the ACK was read) or the write's errno. */
static int table_request(int fd, const uint8_t *msg, size_t len)
{
	uint8_t b[TPC_MSG_MAX];
	struct tpc_msg_hdr h;

	if (write(fd, msg, len) != (ssize_t)len)
		return errno;
	if (read(fd, b, sizeof(b)) < (ssize_t)sizeof(h))
		return EIO;
	memcpy(&h, b, sizeof(h));
	return h.type == TPC_MSG_ACK ? 0 : EPROTO;
}

/* A PATH_SET of one direct path for addr/len. */
static size_t path_set_direct(uint8_t *b, const uint8_t *addr, int len, uint32_t seq)
{
	struct tpc_path_set ps = { .len = len, .npaths = 1, .flags = TPC_PATH_SET_EXCL };
	struct tpc_path_hdr ph = { 0 };
	size_t n = sizeof(struct tpc_msg_hdr);

	memcpy(ps.addr, addr, 16);
	memcpy(b + n, &ps, sizeof(ps));
	n += sizeof(ps);
	memcpy(b + n, &ph, sizeof(ph));
	n += sizeof(ph);
	put_hdr(b, n, TPC_MSG_PATH_SET, TPC_PROTO_VERSION, 0, seq);
	return n;
}

/*
 *   table add N     add fd00:100::/64 ... (N prefixes, one direct path)
 *   table del N     delete them
 *   table bad-prefix  PATH_SETs with host bits set and /129: EINVAL
 */
static int table(const char *op, int count)
{
	uint8_t b[TPC_MSG_MAX], addr[16];
	int fd = open_dev(0), i, e;
	size_t n;

	if (!strcmp(op, "add")) {
		for (i = 0; i < count; i++) {
			table_prefix(addr, i);
			n = path_set_direct(b, addr, 64, i);
			e = table_request(fd, b, n);
			if (e)
				FAIL("add of prefix %d of %d: %s", i + 1, count, errname(e));
		}
		printf("# %d prefixes added\n", count);
		return 0;
	}
	if (!strcmp(op, "del")) {
		struct tpc_prefix p = { .len = 64 };
		int gone = 0;

		for (i = 0; i < count; i++) {
			table_prefix(p.addr, i);
			n = sizeof(struct tpc_msg_hdr);
			memcpy(b + n, &p, sizeof(p));
			n += sizeof(p);
			put_hdr(b, n, TPC_MSG_PATH_DEL, TPC_PROTO_VERSION, 0, i);
			if (!table_request(fd, b, n))
				gone++;
		}
		printf("# %d prefixes deleted\n", gone);
		return gone == count ? 0 : 1;
	}
	if (!strcmp(op, "bad-prefix")) {
		static const struct { int bits; int len; const char *what; } bad[] = {
			{ 1, 64, "host bits set (fd00:100::1/64)" },
			{ 0, 129, "length 129" },
		};

		for (i = 0; i < 2; i++) {
			table_prefix(addr, 0);
			addr[15] = bad[i].bits;
			n = path_set_direct(b, addr, bad[i].len, i);
			e = table_request(fd, b, n);
			if (e != EINVAL)
				FAIL("prefix with %s: %s, expected EINVAL", bad[i].what,
				     e ? errname(e) : "accepted");
			printf("# prefix with %s: EINVAL\n", bad[i].what);
		}
		return 0;
	}
	printf("# unknown table operation %s\n", op);
	return 1;
}

/* Initial window and MSS of a connection, from TCP_INFO. */
static int tcp_iw(int fd, unsigned int *cwnd, unsigned int *mss)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len))
		return -1;
	*cwnd = ti.tcpi_snd_cwnd;
	*mss = ti.tcpi_snd_mss;
	return 0;
}

/*
 * Accepts connections forever on a CC listener (children inherit its
 * congestion control); a child process sends each one BYTES of zeros, then
 * closes it. With ask set (serve-iw, for the Augmenter tests and bench),
 * the child first prints the initial window (before the first byte is
 * sent) and reads the size from the client: 8 bytes, little-endian. Bit 63
 * of the size asks for the window right after the first write too (with a
 * send buffer large enough that the write does not wait for ACKs).
 */
static int serve_children(const char *addr, const char *port, const char *cc,
			  uint64_t bytes, int ask)
{
	static char buf[65536];
	int l = listen_on(addr, port), c;

	if (l < 0 || set_cc(l, cc))
		return 1;
	signal(SIGCHLD, SIG_IGN);
	for (;;) {
		c = accept(l, NULL, NULL);
		if (c < 0)
			continue;
		if (fork() == 0) {
			unsigned int cwnd = 0, mss = 0;
			unsigned char req[8];
			uint64_t left = bytes;
			int flight = 0, sndbuf = 1 << 20;
			ssize_t n;
			int i;

			close(l);
			if (ask) {
				if (tcp_iw(c, &cwnd, &mss) == 0)
					printf("iw %lld %u mss %u\n", now_ms(), cwnd, mss);
				if (read(c, req, sizeof(req)) != sizeof(req))
					_exit(1);
				for (left = 0, i = 7; i >= 0; i--)
					left = left << 8 | req[i];
				flight = left >> 63;
				left &= ~(1ULL << 63);
				if (flight)
					setsockopt(c, SOL_SOCKET, SO_SNDBUF, &sndbuf,
						   sizeof(sndbuf));
			}
			while (left) {
				n = write(c, buf, left < sizeof(buf) ? left : sizeof(buf));
				if (n <= 0)
					_exit(1);
				left -= n;
				if (flight && tcp_iw(c, &cwnd, &mss) == 0)
					printf("flight %lld %u\n", now_ms(), cwnd);
				flight = 0;
			}
			close(c);
			_exit(0);
		}
		close(c);
	}
}

/*
 * One request to serve-iw: progress lines, then the completion time. With
 * idle_ms >= 0, the request goes out idle_ms after the connection is up and
 * asks for the first flight's window.
 */
static int get(const char *addr, const char *port, uint64_t bytes, const char *cc,
	       int idle_ms)
{
	static char buf[65536];
	unsigned char req[8];
	long long t0 = now_ms(), last = t0;
	struct timespec a, b;
	uint64_t got = 0;
	ssize_t n;
	int fd, i;

	clock_gettime(CLOCK_MONOTONIC, &a);
	fd = connect_cc(addr, port, cc);
	if (fd < 0)
		return 1;
	if (idle_ms >= 0) {
		usleep(idle_ms * 1000);
		bytes |= 1ULL << 63;
	}
	for (i = 0; i < 8; i++)
		req[i] = bytes >> (8 * i);
	bytes &= ~(1ULL << 63);
	if (write(fd, req, sizeof(req)) != sizeof(req))
		return 1;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		got += n;
		if (now_ms() - last >= 500) {
			last = now_ms();
			printf("rx %lld %llu\n", last, (unsigned long long)got);
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	close(fd);
	printf("done %lld %llu %lld\n", now_ms(), (unsigned long long)got,
	       (b.tv_sec - a.tv_sec) * 1000000LL + (b.tv_nsec - a.tv_nsec) / 1000);
	if (got != bytes) {
		printf("# got %llu bytes, expected %llu\n", (unsigned long long)got,
		       (unsigned long long)bytes);
		return 1;
	}
	return 0;
}

/*
 * For the SYN-ACK test: every accepted connection (on a tpc listener) is
 * told which path it started on.
 */
static int serve_path(const char *addr, const char *port)
{
	int l = listen_on(addr, port), c, level;
	struct tpc_conn_info i;
	unsigned char b;

	if (l < 0 || set_cc(l, "tpc"))
		return 1;
	level = opt_level(l);
	for (;;) {
		c = accept(l, NULL, NULL);
		if (c < 0)
			continue;
		b = 255;
		if (get_info(c, level, &i) >= (int)sizeof(i) &&
		    (i.flags & TPC_CONN_F_MANAGED) && i.path < 255)
			b = i.path;
		if (write(c, &b, 1) != 1)
			printf("# serve-path: write: %s\n", strerror(errno));
		close(c);
	}
}

/* COUNT connections to serve-path: the path and the handshake time. */
static int handshake(const char *addr, const char *port, int count)
{
	struct timespec t0, t1;
	unsigned char b;
	int i, fd;

	for (i = 0; i < count; i++) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		fd = connect_cc(addr, port, NULL);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (fd < 0)
			return 1;
		if (read(fd, &b, 1) != 1) {
			close(fd);
			FAIL("connection %d: no path byte", i);
		}
		close(fd);
		printf("path %u connect_us %lld\n", b,
		       (t1.tv_sec - t0.tv_sec) * 1000000LL +
		       (t1.tv_nsec - t0.tv_nsec) / 1000);
	}
	return 0;
}

static long long now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* One echo round trip on fd: write msg, wait for it, read it back. */
static int echo_once(int fd, const unsigned char *msg, size_t len)
{
	unsigned char back[64];
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (write(fd, msg, len) != (ssize_t)len)
		return -1;
	if (poll(&p, 1, 1000) != 1)
		return -1;
	if (read(fd, back, sizeof(back)) != (ssize_t)len || memcmp(back, msg, len))
		return -1;
	return 0;
}

/*
 * IPC round trips: through /dev/ccpkp (message type 0xfe, which the
 * datapath queues back) or through a Unix-domain socket to an echo
 * process. Prints the count; one RTT (ns) per line goes to FILE.
 */
static int ipc_rtt(const char *kind, int n, const char *file)
{
	unsigned char msg[16] = { 0xfe, 0, 16, 0 };
	FILE *out = fopen(file, "w");
	int fd, sv[2], i;
	pid_t child = -1;

	if (!out)
		FAIL("%s: %s", file, strerror(errno));
	if (!strcmp(kind, "ccp")) {
		unsigned char ready[64];

		fd = open("/dev/ccpkp", O_RDWR);
		if (fd < 0)
			FAIL("/dev/ccpkp: %s", strerror(errno));
		/* READY first. */
		if (read(fd, ready, sizeof(ready)) != 12)
			FAIL("/dev/ccpkp: no READY");
	} else {
		if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv))
			FAIL("socketpair: %s", strerror(errno));
		child = fork();
		if (child == 0) {
			unsigned char b[64];
			ssize_t k;

			close(sv[0]);
			while ((k = read(sv[1], b, sizeof(b))) > 0)
				if (write(sv[1], b, k) != k)
					_exit(1);
			_exit(0);
		}
		close(sv[1]);
		fd = sv[0];
	}
	for (i = 0; i < n; i++) {
		long long t0 = now_ns();

		memcpy(msg + 8, &i, sizeof(i));
		if (echo_once(fd, msg, sizeof(msg)))
			FAIL("%s: round trip %d failed", kind, i);
		fprintf(out, "%lld\n", now_ns() - t0);
	}
	close(fd);
	if (child > 0)
		waitpid(child, NULL, 0);
	fclose(out);
	printf("# %s: %d round trips\n", kind, n);
	return 0;
}

/* COUNT sequential connections, each reading BYTES until EOF. */
static int fetch(const char *addr, const char *port, int count, uint64_t bytes)
{
	static char buf[65536];
	int i, fd;

	for (i = 0; i < count; i++) {
		uint64_t got = 0;
		ssize_t n;

		fd = connect_cc(addr, port, NULL);
		if (fd < 0)
			return 1;
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			got += n;
		close(fd);
		if (got != bytes) {
			printf("# connection %d: %llu bytes, expected %llu\n", i,
			       (unsigned long long)got, (unsigned long long)bytes);
			return 1;
		}
	}
	printf("# %d connections of %llu bytes\n", count, (unsigned long long)bytes);
	return 0;
}

int main(int argc, char **argv)
{
	if (getenv("TPC_DEVICE"))
		dev_path = getenv("TPC_DEVICE");
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && !strcmp(argv[1], "dev"))
		return dev_case(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "sockopt"))
		return sockopt_case(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "sink"))
		return sink(argv[2], argv[3]);
	if (argc == 6 && !strcmp(argv[1], "source"))
		return source(argv[2], argv[3], argv[4], strtoull(argv[5], NULL, 0));
	if (argc == 6 && !strcmp(argv[1], "hold"))
		return hold(argv[2], argv[3], argv[4], atoi(argv[5]));
	if (argc == 7 && !strcmp(argv[1], "bulk"))
		return bulk(argv[2], argv[3], argv[4], atoi(argv[5]), atoi(argv[6]));
	if (argc == 2 && !strcmp(argv[1], "now")) {
		printf("%lld\n", now_ms());
		return 0;
	}
	if (argc == 4 && !strcmp(argv[1], "listen"))
		return listen_forever(argv[2], argv[3]);
	if (argc == 5 && !strcmp(argv[1], "probe"))
		return probe(argv[2], argv[3], atoi(argv[4]));
	if (argc == 4 && !strcmp(argv[1], "rsink"))
		return rsink(argv[2], argv[3]);
	if ((argc == 7 || argc == 8) && !strcmp(argv[1], "rsource"))
		return rsource(argv[2], argv[3], strtoull(argv[4], NULL, 0),
			       atoi(argv[5]), atoi(argv[6]), argc == 8 ? argv[7] : NULL);
	if ((argc == 3 || argc == 4) && !strcmp(argv[1], "table"))
		return table(argv[2], argc == 4 ? atoi(argv[3]) : 0);
	if (argc >= 5 && !strcmp(argv[1], "pin"))
		return pin(argv[2], argv[3], argv + 4, argc - 4);
	if (argc == 6 && !strcmp(argv[1], "serve"))
		return serve_children(argv[2], argv[3], argv[4], strtoull(argv[5], NULL, 0), 0);
	if (argc == 5 && !strcmp(argv[1], "ipc-rtt"))
		return ipc_rtt(argv[2], atoi(argv[3]), argv[4]);
	if (argc == 4 && !strcmp(argv[1], "serve-path"))
		return serve_path(argv[2], argv[3]);
	if (argc == 5 && !strcmp(argv[1], "handshake"))
		return handshake(argv[2], argv[3], atoi(argv[4]));
	if (argc == 5 && !strcmp(argv[1], "serve-iw"))
		return serve_children(argv[2], argv[3], argv[4], 0, 1);
	if (argc >= 5 && argc <= 7 && !strcmp(argv[1], "get"))
		return get(argv[2], argv[3], strtoull(argv[4], NULL, 0),
			   argc >= 6 && strcmp(argv[5], "-") ? argv[5] : NULL,
			   argc == 7 ? atoi(argv[6]) : -1);
	if (argc == 6 && !strcmp(argv[1], "fetch"))
		return fetch(argv[2], argv[3], atoi(argv[4]), strtoull(argv[5], NULL, 0));
	fprintf(stderr, "usage: see the comment at the top of tpc_helper.c\n");
	return 2;
}
