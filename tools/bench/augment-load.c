// SPDX-License-Identifier: GPL-2.0
/*
 * Short-flow load generator of scripts/bench-augment.sh (runs in the guest).
 *
 *   augment-load ADDR PORT LOAD_MBIT DURATION_S SEED MIN_B MAX_B GRACE_S OUT
 *   augment-load serve ADDR PORT CC
 *
 * The first form opens connections to a server at Poisson
 * arrival times for DURATION_S seconds. Each flow asks for SIZE bytes (the
 * 8-byte little-endian request of serve-iw) and reads them to EOF. Sizes
 * are log-uniform between MIN_B and MAX_B (every factor of ten equally
 * likely by count, most bytes in the large flows: a crude model of web
 * object sizes); the arrival rate is LOAD_MBIT / (8 x mean size), so the
 * short flows alone offer LOAD_MBIT on average. The sequence of sizes and
 * inter-arrival times depends only on SEED (its own xorshift generator):
 * every configuration sees the same flows at the same offsets.
 *
 * One thread, non-blocking sockets and epoll; the client's congestion
 * control is left alone (it only receives). After DURATION_S no new flow
 * starts; flows still open GRACE_S later are given up.
 *
 * OUT gets one line per flow, in start order:
 *   idx start_us size fct_us got status
 * start_us: offset of connect() from the first arrival; fct_us: connect()
 * start to EOF (-1 if not finished); status: ok, short (EOF before SIZE),
 * error (connect/read failure, errno name follows) or timeout. A summary
 * goes to stderr.
 *
 * The second form is that server: it speaks the protocol of `tpc_helper
 * serve-iw ADDR PORT CC` (listener with congestion control CC; each client
 * sends an 8-byte little-endian size and gets that many bytes, then EOF;
 * "iw MS CWND mss MSS" from TCP_INFO right after accept(), before the
 * first byte) but serves every connection from one epoll loop instead of
 * forking a process per connection, which costs the TCG guest dearly at
 * 30 connections a second.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum state { PENDING, CONNECTING, READING, DONE };

struct flow {
	int64_t at_us;		/* scheduled start, from the first arrival */
	int64_t start_us;	/* actual connect() time */
	int64_t fct_us;
	uint64_t size, got;
	int fd, err;
	enum state st;
	const char *status;
};

static uint64_t rng;

/* xorshift64*: fixed, portable, seedable. */
static uint64_t next_u64(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 2685821657736338717ULL;
}

/* Uniform in (0, 1). */
static double next_unit(void)
{
	return ((next_u64() >> 11) + 0.5) / 9007199254740992.0;
}

static int64_t now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000LL + t.tv_nsec / 1000;
}

static void finish(int ep, struct flow *f, int64_t t, const char *status, int err)
{
	if (f->fd >= 0) {
		epoll_ctl(ep, EPOLL_CTL_DEL, f->fd, NULL);
		close(f->fd);
		f->fd = -1;
	}
	f->st = DONE;
	f->status = status;
	f->err = err;
	f->fct_us = strcmp(status, "ok") ? -1 : t - f->start_us;
}

struct conn {
	int fd;
	int have;		/* request bytes read */
	unsigned char req[8];
	uint64_t left;
};

static int serve(const char *addr, const char *port, const char *cc)
{
	static char buf[1 << 16];
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6 };
	struct epoll_event ev, evs[256];
	int l, ep, one = 1;

	if (inet_pton(AF_INET6, addr, &sa.sin6_addr) != 1) {
		fprintf(stderr, "augment-load: bad IPv6 address %s\n", addr);
		return 2;
	}
	sa.sin6_port = htons(atoi(port));
	setvbuf(stdout, NULL, _IOLBF, 0);
	l = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (l < 0 || setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    setsockopt(l, IPPROTO_TCP, TCP_CONGESTION, cc, strlen(cc)) ||
	    bind(l, (struct sockaddr *)&sa, sizeof(sa)) || listen(l, 1024)) {
		perror("augment-load serve");
		return 1;
	}
	ep = epoll_create1(0);
	ev.events = EPOLLIN;
	ev.data.ptr = NULL;
	epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev);
	for (;;) {
		int k = epoll_wait(ep, evs, 256, -1), e;

		for (e = 0; e < k; e++) {
			struct conn *c = evs[e].data.ptr;
			ssize_t r;

			if (!c) {
				int fd;

				while ((fd = accept4(l, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
					struct tcp_info ti;
					socklen_t len = sizeof(ti);

					memset(&ti, 0, sizeof(ti));
					if (!getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len))
						printf("iw %lld %u mss %u\n", (long long)(now_us() / 1000),
						       ti.tcpi_snd_cwnd, ti.tcpi_snd_mss);
					c = calloc(1, sizeof(*c));
					c->fd = fd;
					ev.events = EPOLLIN;
					ev.data.ptr = c;
					epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
				}
				continue;
			}
			if (c->have < 8) {
				r = read(c->fd, c->req + c->have, 8 - c->have);
				if (r < 0 && errno == EAGAIN)
					continue;
				if (r <= 0)
					goto drop;
				c->have += r;
				if (c->have < 8)
					continue;
				for (int i = 7; i >= 0; i--)
					c->left = c->left << 8 | c->req[i];
				ev.events = EPOLLOUT;
				ev.data.ptr = c;
				epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
			}
			while (c->left) {
				r = send(c->fd, buf, c->left < sizeof(buf) ? c->left : sizeof(buf),
					 MSG_NOSIGNAL);
				if (r < 0 && errno == EAGAIN)
					break;
				if (r <= 0)
					goto drop;
				c->left -= r;
			}
			if (c->left)
				continue;
drop:
			epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
			close(c->fd);
			free(c);
		}
	}
}

int main(int argc, char **argv)
{
	static char buf[1 << 16];
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6 };
	double load_mbit, dur, lo, hi, mean, lambda, t = 0;
	int64_t t0, grace_us, end_us;
	struct epoll_event evs[256];
	struct rlimit rl;
	size_t n = 0, cap = 1024, next = 0, open_ = 0, i;
	struct flow *fl;
	FILE *out;
	int ep;

	if (argc == 5 && !strcmp(argv[1], "serve"))
		return serve(argv[2], argv[3], argv[4]);
	if (argc != 10) {
		fprintf(stderr, "usage: %s ADDR PORT LOAD_MBIT DURATION_S SEED MIN_B MAX_B GRACE_S OUT\n"
			"       %s serve ADDR PORT CC\n", argv[0], argv[0]);
		return 2;
	}
	if (inet_pton(AF_INET6, argv[1], &sa.sin6_addr) != 1) {
		fprintf(stderr, "augment-load: bad IPv6 address %s\n", argv[1]);
		return 2;
	}
	sa.sin6_port = htons(atoi(argv[2]));
	load_mbit = atof(argv[3]);
	dur = atof(argv[4]);
	rng = strtoull(argv[5], NULL, 0) * 0x9E3779B97F4A7C15ULL + 1;
	lo = atof(argv[6]);
	hi = atof(argv[7]);
	grace_us = (int64_t)(atof(argv[8]) * 1e6);
	if (load_mbit <= 0 || dur <= 0 || lo <= 0 || hi <= lo) {
		fprintf(stderr, "augment-load: bad load, duration or size range\n");
		return 2;
	}
	/* Mean of the log-uniform distribution on [lo, hi]. */
	mean = (hi - lo) / log(hi / lo);
	lambda = load_mbit * 1e6 / 8 / mean;

	/* The whole schedule first: it depends on the seed only. */
	fl = calloc(cap, sizeof(*fl));
	for (;;) {
		t += -log(next_unit()) / lambda;
		if (t >= dur)
			break;
		if (n == cap) {
			cap *= 2;
			fl = realloc(fl, cap * sizeof(*fl));
		}
		memset(&fl[n], 0, sizeof(fl[n]));
		fl[n].at_us = (int64_t)(t * 1e6);
		fl[n].size = (uint64_t)llround(lo * exp(next_unit() * log(hi / lo)));
		fl[n].fd = -1;
		fl[n].fct_us = -1;
		n++;
	}
	fprintf(stderr, "augment-load: %zu flows in %.0f s (%.2f/s, mean size %.0f B, %.1f Mbit/s offered)\n",
		n, dur, lambda, mean, load_mbit);

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	ep = epoll_create1(0);
	if (ep < 0) {
		perror("epoll_create1");
		return 1;
	}
	t0 = now_us();
	end_us = (int64_t)(dur * 1e6) + grace_us;
	while (next < n || open_) {
		int64_t now = now_us() - t0, wait_ms = 100;
		int k, e;

		/* Start every flow that is due. */
		while (next < n && fl[next].at_us <= now) {
			struct flow *f = &fl[next++];
			struct epoll_event ev = { .events = EPOLLOUT, .data.u64 = f - fl };

			f->start_us = now_us() - t0;
			f->fd = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
			if (f->fd < 0) {
				finish(ep, f, f->start_us, "error", errno);
				continue;
			}
			if (connect(f->fd, (struct sockaddr *)&sa, sizeof(sa)) && errno != EINPROGRESS) {
				finish(ep, f, f->start_us, "error", errno);
				continue;
			}
			f->st = CONNECTING;
			epoll_ctl(ep, EPOLL_CTL_ADD, f->fd, &ev);
			open_++;
		}
		if (next < n) {
			wait_ms = (fl[next].at_us - (now_us() - t0)) / 1000;
			if (wait_ms < 0)
				wait_ms = 0;
		}
		k = epoll_wait(ep, evs, 256, (int)wait_ms);
		for (e = 0; e < k; e++) {
			struct flow *f = &fl[evs[e].data.u64];
			int64_t tn;
			ssize_t r;

			if (f->st == CONNECTING) {
				unsigned char req[8];
				int err = 0, j;
				socklen_t len = sizeof(err);
				struct epoll_event ev = { .events = EPOLLIN, .data.u64 = f - fl };

				getsockopt(f->fd, SOL_SOCKET, SO_ERROR, &err, &len);
				if (err) {
					finish(ep, f, now_us() - t0, "error", err);
					open_--;
					continue;
				}
				for (j = 0; j < 8; j++)
					req[j] = f->size >> (8 * j);
				if (send(f->fd, req, sizeof(req), MSG_NOSIGNAL) != sizeof(req)) {
					finish(ep, f, now_us() - t0, "error", errno);
					open_--;
					continue;
				}
				f->st = READING;
				epoll_ctl(ep, EPOLL_CTL_MOD, f->fd, &ev);
				continue;
			}
			if (f->st != READING)
				continue;
			for (;;) {
				r = read(f->fd, buf, sizeof(buf));
				if (r > 0) {
					f->got += r;
					continue;
				}
				if (r < 0 && (errno == EAGAIN || errno == EINTR))
					break;
				tn = now_us() - t0;
				if (r == 0)
					finish(ep, f, tn, f->got == f->size ? "ok" : "short", 0);
				else
					finish(ep, f, tn, "error", errno);
				open_--;
				break;
			}
		}
		if (now_us() - t0 > end_us) {
			for (i = 0; i < next; i++)
				if (fl[i].st != DONE && fl[i].st != PENDING) {
					finish(ep, &fl[i], now_us() - t0, "timeout", 0);
					open_--;
				}
			break;
		}
	}

	out = fopen(argv[9], "w");
	if (!out) {
		perror(argv[9]);
		return 1;
	}
	{
		size_t ok = 0, bad = 0;

		for (i = 0; i < n; i++) {
			struct flow *f = &fl[i];

			if (f->st == PENDING)
				f->status = "notstarted";
			fprintf(out, "%zu %lld %llu %lld %llu %s", i, (long long)f->start_us,
				(unsigned long long)f->size, (long long)f->fct_us,
				(unsigned long long)f->got, f->status);
			if (f->err)
				fprintf(out, " %s", strerrorname_np(f->err) ?: "?");
			fputc('\n', out);
			if (!strcmp(f->status, "ok"))
				ok++;
			else
				bad++;
		}
		fclose(out);
		fprintf(stderr, "augment-load: %zu completed, %zu failed or unfinished\n", ok, bad);
	}
	return 0;
}
