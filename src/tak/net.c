/*
 * net.c - CoT over UDP and TCP (tak.h): endpoints, the sender, the
 * listener.
 *
 * TAK practice: on UDP every datagram is one CoT event (the SA mesh uses
 * the multicast group 239.2.3.1 port 6969); on TCP a connection carries
 * events back to back, each usually preceded by its XML declaration, and
 * a receiver cuts the stream after each "</event>" (as TAK Server's
 * streaming input and node-tak's findCoT do). A datagram starting with
 * 0xbf is the TAK protocol (protobuf) framing, which is not read here.
 *
 * Sending over TCP has no acknowledgement in TAK streaming, so delivery is
 * made as good as TCP allows: before each write the connection is checked
 * for the peer's close (a non-blocking peek; bytes the peer sends us are
 * read and dropped), a failed write reopens the connection, and after any
 * reopening the recent messages (a ring of the last 256, at most 1 MiB)
 * are written again: CoT receivers replace an event by its uid, so a
 * repeat costs nothing, while a loss is silent. vg_tak_sender_flush ends a
 * batch with a half-close and waits for the peer's close: a reset instead
 * of a close says the peer dropped what it had not read, and the ring is
 * written again on a new connection (the RFC 1122 4.2.2.13 reset
 * semantics). Reconnects back off from 100 ms, doubling to a maximum.
 *
 * Listening: poll() over the UDP sockets, the TCP listening sockets and up
 * to max_conns connections; each connection buffers at most
 * VG_TAK_MSG_MAX bytes of an unfinished message, after which that message
 * is reported as too long and skipped up to its "</event>".
 */
#include "tak/tak.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define RING_MSGS 256
#define RING_BYTES (1u << 20)
#define UDP_MAX 65507           /* largest UDP payload over IPv4 */
#define END_TAG "</event>"
#define END_LEN 8

/* ---- Addresses ---------------------------------------------------------------- */

vg_status vg_tak_hostport_parse(const char *s, char host[256], char port[8], struct vg_err *err)
{
	const char *colon, *h = s;
	size_t hl;
	if (*s == '[') {
		const char *rb = strchr(s, ']');
		if (!rb || rb[1] != ':')
			return vg_err_set(err, VG_ERR_INVALID_ARG, "\"%.64s\": want [IPV6]:PORT", s);
		h = s + 1;
		hl = (size_t)(rb - h);
		colon = rb + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return vg_err_set(err, VG_ERR_INVALID_ARG, "\"%.64s\": want HOST:PORT", s);
		hl = (size_t)(colon - s);
		if (memchr(s, ':', hl))
			return vg_err_set(err, VG_ERR_INVALID_ARG,
			                  "\"%.64s\": an IPv6 address goes in brackets: [ADDR]:PORT", s);
	}
	const char *p = colon + 1;
	size_t pl = strlen(p);
	if (!hl || hl >= 256)
		return vg_err_set(err, VG_ERR_INVALID_ARG, "\"%.64s\": host: want 1..255 bytes", s);
	if (!pl || pl > 5 || strspn(p, "0123456789") != pl || atol(p) > 65535)
		return vg_err_set(err, VG_ERR_INVALID_ARG, "\"%.64s\": port: want 0..65535", s);
	memcpy(host, h, hl);
	host[hl] = '\0';
	memcpy(port, p, pl + 1);
	return VG_OK;
}

vg_status vg_tak_endpoint_parse(const char *s, struct vg_tak_endpoint *out, struct vg_err *err)
{
	struct vg_tak_endpoint e = {0};
	if (!strncmp(s, "udp://", 6))
		e.proto = VG_TAK_UDP;
	else if (!strncmp(s, "tcp://", 6))
		e.proto = VG_TAK_TCP;
	else
		return vg_err_set(err, VG_ERR_INVALID_ARG, "\"%.64s\": want udp://HOST:PORT or tcp://HOST:PORT",
		                  s);
	vg_status st = vg_tak_hostport_parse(s + 6, e.host, e.port, err);
	if (st)
		return st;
	if (!strcmp(e.port, "0"))
		return vg_err_set(err, VG_ERR_INVALID_ARG, "\"%.64s\": port 0: want a port to send to", s);
	*out = e;
	return VG_OK;
}

static vg_status resolve(const char *host, const char *port, int socktype, bool passive,
                         struct addrinfo **res, struct vg_err *err)
{
	struct addrinfo hints = {.ai_socktype = socktype, .ai_flags = passive ? AI_PASSIVE : 0};
	int rc = getaddrinfo(host, port, &hints, res);
	if (rc)
		return vg_err_set(err, VG_ERR_IO, "%s:%s: %s", host, port, gai_strerror(rc));
	return VG_OK;
}

static void addr_str(const struct sockaddr *sa, char *out, size_t cap)
{
	char h[INET6_ADDRSTRLEN] = "?";
	int port = 0;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &a->sin_addr, h, sizeof h);
		port = ntohs(a->sin_port);
		snprintf(out, cap, "%s:%d", h, port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &a->sin6_addr, h, sizeof h);
		port = ntohs(a->sin6_port);
		snprintf(out, cap, "[%s]:%d", h, port);
	} else {
		snprintf(out, cap, "?");
	}
}

static bool is_multicast(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return IN_MULTICAST(ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr));
	if (sa->sa_family == AF_INET6)
		return IN6_IS_ADDR_MULTICAST(&((const struct sockaddr_in6 *)sa)->sin6_addr);
	return false;
}

static int64_t mono_ms(void)
{
	return vg_time_mono_ns() / 1000000;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* ---- Sender ---------------------------------------------------------------------- */

struct ring {
	char *msg[RING_MSGS];
	size_t len[RING_MSGS];
	size_t head, count, bytes;    /* oldest at head */
};

struct ep {
	struct vg_tak_endpoint e;
	char label[300];              /* "tcp://host:port" */
	int fd;
	struct sockaddr_storage addr; /* UDP: resolved once */
	socklen_t alen;
	bool broken;                  /* a failure since the last good connection: replay the ring */
	int backoff_ms;
	int64_t next_try_ms;          /* no connect attempt before (monotonic) */
	struct ring ring;
	struct vg_tak_sender_stats stats;
};

struct vg_tak_sender {
	struct vg_tak_send_opts o;
	struct ep *ep;
	size_t n;
};

void vg_tak_send_opts_init(struct vg_tak_send_opts *o)
{
	memset(o, 0, sizeof *o);
	o->mcast_ttl = 1;
	o->connect_timeout_ms = 2000;
	o->retries = 0;
	o->backoff_max_ms = 2000;
}

static void ring_drop_oldest(struct ring *r)
{
	free(r->msg[r->head]);
	r->bytes -= r->len[r->head];
	r->msg[r->head] = NULL;
	r->head = (r->head + 1) % RING_MSGS;
	r->count--;
}

static void ring_push(struct ring *r, const char *msg, size_t len)
{
	if (len > RING_BYTES)
		return;
	char *c = malloc(len);
	if (!c)
		return; /* best effort: a repeat we cannot keep */
	memcpy(c, msg, len);
	while (r->count && (r->count == RING_MSGS || r->bytes + len > RING_BYTES))
		ring_drop_oldest(r);
	size_t i = (r->head + r->count) % RING_MSGS;
	r->msg[i] = c;
	r->len[i] = len;
	r->count++;
	r->bytes += len;
}

static void ring_clear(struct ring *r)
{
	while (r->count)
		ring_drop_oldest(r);
	r->head = 0;
}

static void ep_close(struct ep *p)
{
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
}

static void sender_free_eps(struct vg_tak_sender *s)
{
	for (size_t i = 0; i < s->n; i++) {
		ep_close(&s->ep[i]);
		ring_clear(&s->ep[i].ring);
	}
	free(s->ep);
}

static vg_status udp_open(struct vg_tak_sender *s, struct ep *p, struct vg_err *err)
{
	struct addrinfo *res;
	vg_status st = resolve(p->e.host, p->e.port, SOCK_DGRAM, false, &res, err);
	if (st)
		return st;
	memcpy(&p->addr, res->ai_addr, res->ai_addrlen);
	p->alen = res->ai_addrlen;
	p->fd = socket(res->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	freeaddrinfo(res);
	if (p->fd < 0)
		return vg_err_set(err, VG_ERR_IO, "%s: socket: %s", p->label, strerror(errno));
	const struct sockaddr *sa = (const struct sockaddr *)&p->addr;
	if (is_multicast(sa)) {
		int ttl = s->o.mcast_ttl, loop = 1, rc;
		if (sa->sa_family == AF_INET) {
			rc = setsockopt(p->fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof ttl);
			if (!rc)
				rc = setsockopt(p->fd, IPPROTO_IP, IP_MULTICAST_LOOP, &loop, sizeof loop);
			if (!rc && s->o.mcast_iface) {
				struct in_addr ifa;
				if (inet_pton(AF_INET, s->o.mcast_iface, &ifa) != 1)
					return vg_err_set(err, VG_ERR_INVALID_ARG,
					                  "--iface = \"%.64s\": want an IPv4 address", s->o.mcast_iface);
				rc = setsockopt(p->fd, IPPROTO_IP, IP_MULTICAST_IF, &ifa, sizeof ifa);
			}
		} else {
			rc = setsockopt(p->fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &ttl, sizeof ttl);
		}
		if (rc)
			return vg_err_set(err, VG_ERR_IO, "%s: multicast options: %s", p->label, strerror(errno));
	}
	return VG_OK;
}

vg_status vg_tak_sender_new(const struct vg_tak_endpoint *eps, size_t n,
                            const struct vg_tak_send_opts *o, vg_tak_sender **out,
                            struct vg_err *err)
{
	if (!n)
		return vg_err_set(err, VG_ERR_INVALID_ARG, "no endpoint to send to");
	struct vg_tak_sender *s = calloc(1, sizeof *s);
	if (!s || !(s->ep = calloc(n, sizeof *s->ep))) {
		free(s);
		return vg_err_set(err, VG_ERR_NOMEM, "sender");
	}
	s->o = *o;
	if (s->o.connect_timeout_ms <= 0)
		s->o.connect_timeout_ms = 2000;
	if (s->o.backoff_max_ms < 100)
		s->o.backoff_max_ms = 100;
	s->n = n;
	vg_status st = VG_OK;
	for (size_t i = 0; i < n; i++) {
		struct ep *p = &s->ep[i];
		p->e = eps[i];
		p->fd = -1;
		p->backoff_ms = 100;
		bool v6 = strchr(p->e.host, ':') != NULL;
		snprintf(p->label, sizeof p->label, "%s://%s%s%s:%s", p->e.proto == VG_TAK_UDP ? "udp" : "tcp",
		         v6 ? "[" : "", p->e.host, v6 ? "]" : "", p->e.port);
		if (p->e.proto == VG_TAK_UDP && (st = udp_open(s, p, err)))
			break;
	}
	if (st) {
		sender_free_eps(s);
		free(s);
		return st;
	}
	*out = s;
	return VG_OK;
}

void vg_tak_sender_free(vg_tak_sender *s)
{
	if (!s)
		return;
	sender_free_eps(s);
	free(s);
}

void vg_tak_sender_stats(const vg_tak_sender *s, size_t i, struct vg_tak_sender_stats *out)
{
	memset(out, 0, sizeof *out);
	if (s && i < s->n)
		*out = s->ep[i].stats;
}

/* Connect with a timeout; the socket stays blocking with send/receive
 * timeouts. */
static int tcp_connect(const struct ep *p, int timeout_ms, char *why, size_t why_cap)
{
	struct addrinfo *res, *ai;
	struct vg_err e;
	if (resolve(p->e.host, p->e.port, SOCK_STREAM, false, &res, &e)) {
		snprintf(why, why_cap, "%.190s", e.msg);
		return -1;
	}
	int fd = -1;
	snprintf(why, why_cap, "no address");
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0) {
			snprintf(why, why_cap, "socket: %s", strerror(errno));
			continue;
		}
		int rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
		if (rc && errno == EINPROGRESS) {
			struct pollfd pf = {.fd = fd, .events = POLLOUT};
			rc = poll(&pf, 1, timeout_ms);
			if (rc == 1) {
				int soerr = 0;
				socklen_t sl = sizeof soerr;
				getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
				rc = soerr ? -1 : 0;
				errno = soerr;
			} else {
				errno = rc == 0 || !errno ? ETIMEDOUT : errno;
				rc = -1;
			}
		}
		if (!rc) {
			int fl = fcntl(fd, F_GETFL);
			fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
			struct timeval tv = {.tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000};
			setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
			setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
			break;
		}
		snprintf(why, why_cap, "connect: %s", strerror(errno ? errno : ETIMEDOUT));
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

/* Whether the connection still stands: drop what the peer sent us, notice
 * its close or reset. */
static bool tcp_alive(int fd)
{
	char b[4096];
	for (int i = 0; i < 256; i++) {
		ssize_t n = recv(fd, b, sizeof b, MSG_DONTWAIT);
		if (n > 0)
			continue;
		if (n == 0)
			return false;
		return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
	}
	return true;
}

/* Write msg and a newline. */
static bool tcp_write(int fd, const char *msg, size_t len)
{
	struct iovec iov[2] = {{(void *)msg, len}, {(void *)"\n", 1}};
	size_t left = len + 1;
	while (left) {
		struct msghdr mh = {.msg_iov = iov, .msg_iovlen = 2};
		ssize_t n = sendmsg(fd, &mh, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return false;
		}
		left -= (size_t)n;
		for (int k = 0; k < 2 && n > 0; k++) {
			size_t d = (size_t)n < iov[k].iov_len ? (size_t)n : iov[k].iov_len;
			iov[k].iov_base = (char *)iov[k].iov_base + d;
			iov[k].iov_len -= d;
			n -= (ssize_t)d;
		}
	}
	return true;
}

/* Open the connection if it is not, replaying the ring after a failure.
 * false (why set) if it cannot be opened now. */
static bool tcp_ready(struct vg_tak_sender *s, struct ep *p, bool wait, char *why, size_t why_cap)
{
	if (p->fd >= 0 && tcp_alive(p->fd))
		return true;
	if (p->fd >= 0) {
		ep_close(p);
		p->broken = true;
	}
	for (int attempt = 0;; attempt++) {
		int64_t now = mono_ms();
		if (now < p->next_try_ms) {
			if (!wait) {
				snprintf(why, why_cap, "down, next attempt in %lld ms",
				         (long long)(p->next_try_ms - now));
				return false;
			}
			sleep_ms((int)(p->next_try_ms - now));
		}
		p->fd = tcp_connect(p, s->o.connect_timeout_ms, why, why_cap);
		if (p->fd < 0) {
			p->broken = true;
			p->next_try_ms = mono_ms() + p->backoff_ms;
			p->backoff_ms = p->backoff_ms * 2 > s->o.backoff_max_ms ? s->o.backoff_max_ms
			                                                       : p->backoff_ms * 2;
			if (!wait || attempt >= s->o.retries)
				return false;
			continue;
		}
		p->backoff_ms = 100;
		p->next_try_ms = 0;
		if (!p->broken)
			return true;
		/* a new connection after a failure: write the recent messages again */
		p->stats.reconnects++;
		bool ok = true;
		for (size_t k = 0; k < p->ring.count && ok; k++) {
			size_t i = (p->ring.head + k) % RING_MSGS;
			ok = tcp_write(p->fd, p->ring.msg[i], p->ring.len[i]);
			p->stats.resent += ok;
		}
		if (ok) {
			p->broken = false;
			return true;
		}
		snprintf(why, why_cap, "write: %s", strerror(errno));
		ep_close(p);
		if (!wait || attempt >= s->o.retries)
			return false;
	}
}

static bool tcp_send(struct vg_tak_sender *s, struct ep *p, const char *msg, size_t len, char *why,
                     size_t why_cap)
{
	for (int attempt = 0; attempt <= s->o.retries; attempt++) {
		if (!tcp_ready(s, p, s->o.retries > 0, why, why_cap))
			break;
		if (tcp_write(p->fd, msg, len)) {
			ring_push(&p->ring, msg, len);
			return true;
		}
		snprintf(why, why_cap, "write: %s", strerror(errno));
		ep_close(p);
		p->broken = true;
	}
	/* kept for the replay when the endpoint comes back */
	ring_push(&p->ring, msg, len);
	return false;
}

vg_status vg_tak_sender_send(vg_tak_sender *s, const char *msg, size_t len, struct vg_err *err)
{
	char failed[VG_ERR_MSG_MAX] = "";
	size_t fl = 0;
	for (size_t i = 0; i < s->n; i++) {
		struct ep *p = &s->ep[i];
		char why[200] = "";
		bool ok;
		if (p->e.proto == VG_TAK_UDP) {
			if (len > UDP_MAX) {
				snprintf(why, sizeof why, "%zu bytes: over the UDP limit of %d", len, UDP_MAX);
				ok = false;
			} else {
				ssize_t n;
				do
					n = sendto(p->fd, msg, len, MSG_NOSIGNAL, (struct sockaddr *)&p->addr, p->alen);
				while (n < 0 && errno == EINTR);
				ok = n == (ssize_t)len;
				if (!ok)
					snprintf(why, sizeof why, "sendto: %s", strerror(errno));
			}
		} else {
			ok = tcp_send(s, p, msg, len, why, sizeof why);
		}
		if (ok) {
			p->stats.sent++;
		} else {
			p->stats.failed++;
			int k = snprintf(failed + fl, sizeof failed - fl, "%s%s: %s", fl ? "; " : "", p->label, why);
			if (k > 0)
				fl = fl + (size_t)k < sizeof failed ? fl + (size_t)k : sizeof failed - 1;
		}
	}
	if (fl)
		return vg_err_set(err, VG_ERR_IO, "%s", failed);
	return VG_OK;
}

/* Half-close and wait for the peer's close: 1 clean, 0 reset (data lost),
 * -1 no answer in time. */
static int tcp_linger(int fd, int timeout_ms)
{
	if (shutdown(fd, SHUT_WR))
		return 0; /* reset already */
	int64_t end = mono_ms() + timeout_ms;
	char b[4096];
	for (;;) {
		int64_t left = end - mono_ms();
		if (left <= 0)
			return -1;
		struct pollfd pf = {.fd = fd, .events = POLLIN};
		int rc = poll(&pf, 1, (int)left);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0)
			return -1;
		ssize_t n = recv(fd, b, sizeof b, MSG_DONTWAIT);
		if (n > 0)
			continue;
		if (n == 0)
			return 1;
		if (errno == EAGAIN || errno == EINTR)
			continue;
		return 0;
	}
}

vg_status vg_tak_sender_flush(vg_tak_sender *s, struct vg_err *err)
{
	char failed[VG_ERR_MSG_MAX] = "";
	size_t fl = 0;
	for (size_t i = 0; i < s->n; i++) {
		struct ep *p = &s->ep[i];
		if (p->e.proto != VG_TAK_TCP || (p->fd < 0 && !p->broken))
			continue;
		char why[200] = "peer reset the connection";
		bool done = false;
		for (int attempt = 0; attempt <= s->o.retries + 1 && !done; attempt++) {
			if (p->fd < 0) {
				if (!p->ring.count) {
					done = true; /* nothing to deliver */
					break;
				}
				p->broken = true;
				if (!tcp_ready(s, p, true, why, sizeof why))
					break;
			}
			int rc = tcp_linger(p->fd, s->o.connect_timeout_ms);
			ep_close(p);
			if (rc != 0) {
				done = true; /* closed by the peer, or no answer: what TCP can tell */
				ring_clear(&p->ring);
				p->broken = false;
			}
		}
		if (!done) {
			int k = snprintf(failed + fl, sizeof failed - fl, "%s%s: %s", fl ? "; " : "", p->label, why);
			if (k > 0)
				fl = fl + (size_t)k < sizeof failed ? fl + (size_t)k : sizeof failed - 1;
		}
	}
	if (fl)
		return vg_err_set(err, VG_ERR_IO, "%s", failed);
	return VG_OK;
}

/* ---- Listener ------------------------------------------------------------------- */

struct conn {
	int fd;
	char peer[96];
	char *buf;
	size_t len;
	bool skipping;                /* discarding a message that was too long */
};

struct vg_tak_listener {
	int udp[VG_TAK_LISTEN_MAX];
	char udp_name[VG_TAK_LISTEN_MAX][80];
	size_t n_udp;
	int tcp[VG_TAK_LISTEN_MAX];
	size_t n_tcp;
	char desc[1024];
	struct conn *conns;
	int max_conns, n_conns;
	char *dgram;
};

#define CONN_BUF (VG_TAK_MSG_MAX + 8192)

/* The passive socket of a bind spec ("host:port"): resolved (*res, the
 * caller frees it), non-blocking, close-on-exec, SO_REUSEADDR. */
static vg_status listen_socket(const char *spec, int type, const char *lab, struct addrinfo **res,
                               int *fd, struct vg_err *err)
{
	char host[256], port[8];
	vg_status st = vg_tak_hostport_parse(spec, host, port, err);
	if (st)
		return st;
	if ((st = resolve(host, port, type, true, res, err)))
		return st;
	*fd = socket((*res)->ai_family, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (*fd < 0) {
		freeaddrinfo(*res);
		return vg_err_set(err, VG_ERR_IO, "%s %s: socket: %s", lab, spec, strerror(errno));
	}
	int one = 1;
	setsockopt(*fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	return VG_OK;
}

static vg_status udp_bind(const char *spec, const char *iface, int *out, char *desc, size_t desc_cap,
                          struct vg_err *err)
{
	struct addrinfo *res;
	int fd;
	vg_status st = listen_socket(spec, SOCK_DGRAM, "udp", &res, &fd, err);
	if (st)
		return st;
	int rc;
	bool mc = is_multicast(res->ai_addr);
	if (mc && res->ai_family == AF_INET) {
		/* bind the group's port on every address, then join the group */
		struct sockaddr_in any = *(struct sockaddr_in *)res->ai_addr;
		struct ip_mreq mr = {.imr_multiaddr = any.sin_addr};
		any.sin_addr.s_addr = htonl(INADDR_ANY);
		rc = bind(fd, (struct sockaddr *)&any, sizeof any);
		if (!rc) {
			mr.imr_interface.s_addr = htonl(INADDR_ANY);
			if (iface && inet_pton(AF_INET, iface, &mr.imr_interface) != 1) {
				close(fd);
				freeaddrinfo(res);
				return vg_err_set(err, VG_ERR_INVALID_ARG, "--iface = \"%.64s\": want an IPv4 address",
				                  iface);
			}
			rc = setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof mr);
		}
	} else if (mc) {
		close(fd);
		freeaddrinfo(res);
		return vg_err_set(err, VG_ERR_INVALID_ARG, "udp %s: IPv6 multicast is not supported", spec);
	} else {
		rc = bind(fd, res->ai_addr, res->ai_addrlen);
	}
	if (rc) {
		vg_status s2 = vg_err_set(err, VG_ERR_IO, "udp %s: %s", spec, strerror(errno));
		close(fd);
		freeaddrinfo(res);
		return s2;
	}
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	getsockname(fd, (struct sockaddr *)&ss, &sl);
	if (mc)
		((struct sockaddr_in *)&ss)->sin_addr = ((struct sockaddr_in *)res->ai_addr)->sin_addr;
	addr_str((struct sockaddr *)&ss, desc, desc_cap);
	freeaddrinfo(res);
	*out = fd;
	return VG_OK;
}

static vg_status tcp_bind(const char *spec, int *out, char *desc, size_t desc_cap, struct vg_err *err)
{
	struct addrinfo *res;
	int fd;
	vg_status st = listen_socket(spec, SOCK_STREAM, "tcp", &res, &fd, err);
	if (st)
		return st;
	if (bind(fd, res->ai_addr, res->ai_addrlen) || listen(fd, 64)) {
		vg_status s2 = vg_err_set(err, VG_ERR_IO, "tcp %s: %s", spec, strerror(errno));
		close(fd);
		freeaddrinfo(res);
		return s2;
	}
	freeaddrinfo(res);
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	getsockname(fd, (struct sockaddr *)&ss, &sl);
	addr_str((struct sockaddr *)&ss, desc, desc_cap);
	*out = fd;
	return VG_OK;
}

void vg_tak_listener_free(vg_tak_listener *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n_udp; i++)
		close(l->udp[i]);
	for (size_t i = 0; i < l->n_tcp; i++)
		close(l->tcp[i]);
	for (int i = 0; i < l->n_conns; i++) {
		close(l->conns[i].fd);
		free(l->conns[i].buf);
	}
	free(l->conns);
	free(l->dgram);
	free(l);
}

vg_status vg_tak_listener_new(const struct vg_tak_listen_opts *o, vg_tak_listener **out,
                              struct vg_err *err)
{
	if (!o->n_udp && !o->n_tcp)
		return vg_err_set(err, VG_ERR_INVALID_ARG, "nothing to listen on (want --udp or --tcp)");
	if (o->n_udp > VG_TAK_LISTEN_MAX || o->n_tcp > VG_TAK_LISTEN_MAX)
		return vg_err_set(err, VG_ERR_LIMIT, "at most %d UDP and %d TCP addresses", VG_TAK_LISTEN_MAX,
		                  VG_TAK_LISTEN_MAX);
	struct vg_tak_listener *l = calloc(1, sizeof *l);
	if (!l)
		return vg_err_set(err, VG_ERR_NOMEM, "listener");
	l->max_conns = o->max_conns > 0 ? o->max_conns : 64;
	l->conns = calloc((size_t)l->max_conns, sizeof *l->conns);
	l->dgram = malloc(VG_TAK_MSG_MAX + 1);
	if (!l->conns || !l->dgram) {
		vg_tak_listener_free(l);
		return vg_err_set(err, VG_ERR_NOMEM, "listener");
	}
	size_t dl = 0;
	vg_status st = VG_OK;
	for (size_t i = 0; i < o->n_udp && !st; i++) {
		char a[80];
		if (!(st = udp_bind(o->udp[i], o->mcast_iface, &l->udp[l->n_udp], a, sizeof a, err))) {
			snprintf(l->udp_name[l->n_udp], sizeof l->udp_name[0], "%s", a);
			l->n_udp++;
			dl += (size_t)snprintf(l->desc + dl, sizeof l->desc - dl, "%sudp %s", dl ? " " : "", a);
		}
	}
	for (size_t i = 0; i < o->n_tcp && !st; i++) {
		char a[80];
		if (!(st = tcp_bind(o->tcp[i], &l->tcp[l->n_tcp], a, sizeof a, err))) {
			l->n_tcp++;
			if (dl < sizeof l->desc)
				dl += (size_t)snprintf(l->desc + dl, sizeof l->desc - dl, "%stcp %s", dl ? " " : "", a);
		}
	}
	if (st) {
		vg_tak_listener_free(l);
		return st;
	}
	*out = l;
	return VG_OK;
}

void vg_tak_listener_describe(const vg_tak_listener *l, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s", l->desc);
}

static const char *skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++;
	return p;
}

static int deliver(vg_tak_msg_fn fn, void *ctx, const char *peer, const char *msg, size_t len)
{
	const char *s = skip_ws(msg, msg + len);
	return fn(ctx, peer, s, (size_t)(msg + len - s), NULL);
}

static int framing(vg_tak_msg_fn fn, void *ctx, const char *peer, vg_status st, const char *fmt, ...)
	VG_PRINTF(5, 6);
static int framing(vg_tak_msg_fn fn, void *ctx, const char *peer, vg_status st, const char *fmt, ...)
{
	struct vg_err e;
	char m[VG_ERR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(m, sizeof m, fmt, ap);
	va_end(ap);
	vg_err_set(&e, st, "%s", m);
	return fn(ctx, peer, NULL, 0, &e);
}

static void conn_close(struct vg_tak_listener *l, int i)
{
	close(l->conns[i].fd);
	free(l->conns[i].buf);
	l->conns[i] = l->conns[--l->n_conns];
	memset(&l->conns[l->n_conns], 0, sizeof l->conns[0]);
}

static const char *find_end(const char *p, size_t n)
{
	if (n < END_LEN)
		return NULL;
	const char *e = p + n - END_LEN;
	for (const char *q = p; q <= e; q++) {
		q = memchr(q, '<', (size_t)(e - q) + 1);
		if (!q)
			return NULL;
		if (!memcmp(q, END_TAG, END_LEN))
			return q;
	}
	return NULL;
}

/* Cut the complete messages out of a connection's buffer. Returns non-zero
 * if the callback asked to stop. */
static int conn_frames(struct conn *c, vg_tak_msg_fn fn, void *ctx)
{
	size_t off = 0;
	int stop = 0;
	while (!stop) {
		const char *p = c->buf + off;
		size_t n = c->len - off;
		if (c->skipping) {
			const char *e = find_end(p, n);
			if (!e) {
				/* keep the last bytes: the tag may straddle reads */
				size_t keep = n < END_LEN - 1 ? n : END_LEN - 1;
				off = c->len - keep;
				break;
			}
			off += (size_t)(e - p) + END_LEN;
			c->skipping = false;
			continue;
		}
		const char *s = skip_ws(p, p + n);
		off += (size_t)(s - p);
		p = s;
		n = c->len - off;
		if (!n)
			break;
		if ((unsigned char)p[0] == 0xbf) {
			stop = framing(fn, ctx, c->peer, VG_ERR_VERSION,
			               "TAK protocol (protobuf) stream: not supported (send CoT XML)");
			c->len = 0;
			return stop ? stop : -1; /* -1: close the connection */
		}
		const char *e = find_end(p, n);
		size_t mlen = e ? (size_t)(e - p) + END_LEN : n;
		if (mlen > VG_TAK_MSG_MAX) {
			if (e)
				stop = framing(fn, ctx, c->peer, VG_ERR_LINE_TOO_LONG,
				               "message: %zu bytes: over the %d-byte cap", mlen, VG_TAK_MSG_MAX);
			else
				stop = framing(fn, ctx, c->peer, VG_ERR_LINE_TOO_LONG,
				               "message: over the %d-byte cap (%zu bytes without \"</event>\"; "
				               "skipped to its end)",
				               VG_TAK_MSG_MAX, mlen);
			if (e) {
				off += mlen;
			} else {
				c->skipping = true;
			}
			continue;
		}
		if (!e)
			break;
		stop = deliver(fn, ctx, c->peer, p, mlen);
		off += mlen;
	}
	memmove(c->buf, c->buf + off, c->len - off);
	c->len -= off;
	return stop;
}

vg_status vg_tak_listener_run(vg_tak_listener *l, int64_t deadline_ns,
                              const volatile sig_atomic_t *stop, vg_tak_msg_fn fn, void *ctx,
                              bool *timed_out, struct vg_err *err)
{
	*timed_out = false;
	size_t nfix = l->n_udp + l->n_tcp;
	struct pollfd *pf = calloc(nfix + (size_t)l->max_conns, sizeof *pf);
	if (!pf)
		return vg_err_set(err, VG_ERR_NOMEM, "poll set");
	vg_status st = VG_OK;
	for (;;) {
		if (stop && *stop)
			break;
		int timeout = 200;
		if (deadline_ns) {
			int64_t left = (deadline_ns - vg_time_mono_ns()) / 1000000;
			if (left <= 0) {
				*timed_out = true;
				break;
			}
			if (left < timeout)
				timeout = (int)left + 1;
		}
		size_t k = 0;
		for (size_t i = 0; i < l->n_udp; i++)
			pf[k++] = (struct pollfd){.fd = l->udp[i], .events = POLLIN};
		for (size_t i = 0; i < l->n_tcp; i++)
			pf[k++] = (struct pollfd){.fd = l->tcp[i], .events = POLLIN};
		int nconn = l->n_conns;
		for (int i = 0; i < nconn; i++)
			pf[k++] = (struct pollfd){.fd = l->conns[i].fd, .events = POLLIN};
		int rc = poll(pf, k, timeout);
		if (rc < 0) {
			if (errno == EINTR)
				continue;
			st = vg_err_set(err, VG_ERR_IO, "poll: %s", strerror(errno));
			break;
		}
		if (rc == 0)
			continue;
		int want_stop = 0;
		for (size_t i = 0; i < l->n_udp && !want_stop; i++) {
			if (!(pf[i].revents & POLLIN))
				continue;
			for (int burst = 0; burst < 64 && !want_stop; burst++) {
				struct sockaddr_storage ss;
				socklen_t sl = sizeof ss;
				ssize_t n = recvfrom(l->udp[i], l->dgram, VG_TAK_MSG_MAX + 1, MSG_TRUNC,
				                     (struct sockaddr *)&ss, &sl);
				if (n < 0)
					break;
				char a[80], peer[90];
				addr_str((struct sockaddr *)&ss, a, sizeof a);
				snprintf(peer, sizeof peer, "udp:%s", a);
				if (n > VG_TAK_MSG_MAX)
					want_stop = framing(fn, ctx, peer, VG_ERR_LINE_TOO_LONG,
					                    "message: %zd bytes: over the %d-byte cap", n, VG_TAK_MSG_MAX);
				else if (n > 0 && (unsigned char)l->dgram[0] == 0xbf)
					want_stop = framing(fn, ctx, peer, VG_ERR_VERSION,
					                    "TAK protocol (protobuf) message: not supported (send CoT XML)");
				else
					want_stop = deliver(fn, ctx, peer, l->dgram, (size_t)n);
			}
		}
		for (size_t i = 0; i < l->n_tcp && !want_stop; i++) {
			if (!(pf[l->n_udp + i].revents & POLLIN))
				continue;
			for (;;) {
				struct sockaddr_storage ss;
				socklen_t sl = sizeof ss;
				int fd = accept(l->tcp[i], (struct sockaddr *)&ss, &sl);
				if (fd < 0)
					break;
				fcntl(fd, F_SETFD, FD_CLOEXEC);
				fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
				char a[80];
				addr_str((struct sockaddr *)&ss, a, sizeof a);
				if (l->n_conns == l->max_conns) {
					vg_log(VG_LOG_WARN, "tak: tcp:%s: refused, %d connections open", a, l->n_conns);
					close(fd);
					continue;
				}
				struct conn *c = &l->conns[l->n_conns];
				c->buf = malloc(CONN_BUF);
				if (!c->buf) {
					close(fd);
					continue;
				}
				c->fd = fd;
				c->len = 0;
				c->skipping = false;
				snprintf(c->peer, sizeof c->peer, "tcp:%s", a);
				l->n_conns++;
			}
		}
		/* connections, from the last (closing swaps the last one in) */
		for (int i = nconn - 1; i >= 0 && !want_stop; i--) {
			short rev = pf[nfix + (size_t)i].revents;
			if (!rev)
				continue;
			struct conn *c = &l->conns[i];
			ssize_t n = recv(c->fd, c->buf + c->len, CONN_BUF - c->len, 0);
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (n > 0) {
				c->len += (size_t)n;
				int r = conn_frames(c, fn, ctx);
				if (r > 0)
					want_stop = r;
				else if (r < 0)
					conn_close(l, i);
				continue;
			}
			/* end of stream (or reset): what is left is a truncated message */
			if (!c->skipping && skip_ws(c->buf, c->buf + c->len) < c->buf + c->len)
				want_stop = framing(fn, ctx, c->peer, VG_ERR_ENVELOPE,
				                    "truncated message: the stream ended after %zu bytes without "
				                    "\"</event>\"",
				                    c->len);
			conn_close(l, i);
		}
		if (want_stop)
			break;
	}
	free(pf);
	return st;
}
