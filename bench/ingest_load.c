/*
 * ingest_load: the load generator of bench/ingest.  It sends ~300-byte
 * account.created audit events to a collector (cairnd or rsyslog) as fast
 * as it can, or at a fixed rate, and prints what it measured on one line of
 * key=value pairs for the script to read.  A benchmark tool, never a test.
 *
 *   ingest_load [options] tcp HOST PORT N CONNS
 *	N octet-counted RFC 5424 messages (RFC 6587 section 3.4.1) over CONNS
 *	parallel connections; syslog has no acknowledgement, so completion is
 *	observed with -m (cairnd's tree size) or -f (rsyslog's output lines).
 *   ingest_load [options] http PORT TOKEN N BATCH CONNS
 *	POST /v1/events, application/x-ndjson batches of BATCH events over
 *	CONNS keep-alive connections, each waiting for its 200 (the receipts,
 *	sent after the durable commit).
 *   ingest_load [options] http-latency PORT TOKEN RATE SECONDS [CONNS]
 *	single-event POSTs at RATE requests/s (open loop: a request is sent on
 *	its schedule by whichever of CONNS connections is idle); send-to-
 *	receipt latency p50/p99/max.
 *   ingest_load [options] relp PORT N [WINDOW]
 *	a minimal RELP client (one session) keeping up to WINDOW (default 128)
 *	syslog frames unacknowledged; counts "rsp 200" answers.
 *   ingest_load [options] tcp-rate HOST PORT RATE SECONDS CONNS
 *	like tcp, but paced: RATE events/s spread over CONNS connections for
 *	SECONDS (open loop: a sender held back by the receiver catches up),
 *	RATE 0 as fast as the receiver reads; events carry the current time.
 *	No completion check: the caller watches the receiver.
 *   ingest_load [options] http-rate PORT TOKEN RATE BATCH SECONDS CONNS
 *	like http, but paced: batches of BATCH sent on the schedule of RATE
 *	events/s by whichever of CONNS connections is idle (RATE 0: back to
 *	back); send-to-receipt latency of each batch.
 *	Both paced modes print a line every -i seconds ("interval=K t_s=..
 *	events=.. events_per_s=.." and, for http-rate, p50_ms, p99_ms,
 *	max_ms and p99_sched_ms, the latter from the request's scheduled
 *	time, so that a send delayed by busy connections counts) before the
 *	usual result line.
 *
 * Options (before the mode):
 *   -p PREFIX	event ids are PREFIX-i (default "b"): runs that must not be
 *		taken for duplicates use distinct prefixes
 *   -c PID	the receiver: its CPU time (utime + stime, /proc/PID/stat) is
 *		measured from the first byte sent to completion
 *   -m PORT:TOKEN  completion: cairnd's cairn_tree_size (GET /metrics with an
 *		admin token) has grown by N
 *   -f FILE	completion: FILE has N more lines
 *   -t SECONDS	give up waiting for completion after this long (default 600)
 *   -a N	events name N distinct accounts u-0 ... (default 1000)
 *   -k N	one JSON event in N is a content.takedown (default none)
 *   -i SECONDS	paced modes: the interval of their progress lines (default 60)
 *
 * Output: "events=N wall_s=.. events_per_s=.. cpu_s=.. events_per_cpu_s=..",
 * plus mode-specific fields.  Exit status 0 if every event was delivered
 * (acknowledged, or seen by the completion check), 1 otherwise.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"	/* _GNU_SOURCE, before any system header */
#endif

#include <sys/socket.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define EVENT_BYTES	300	/* syslog message or JSON object, bytes */
#define ACCOUNTS	1000	/* distinct accounts (default of -a) */
#define FIXED_STAMP	"2026-11-29T08:00:00"	/* events' time, unpaced modes */
#define POLL_NS		5000000LL	/* completion polling interval */
#define RESP_MAX	(64 * 1024)	/* HTTP response headers, bytes */

static const char *prefix = "b";
static long receiver_pid = -1;
static int metrics_port = -1;
static const char *metrics_token;
static const char *watch_file;
static double timeout_s = 600;
static long accounts = ACCOUNTS;
static long takedown_every;
static double interval_s = 60;

/* Prints a message and exits 2 (usage and setup errors). */
static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("ingest_load: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(2);
}

/* Nanoseconds on the monotonic clock. */
static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Sleeps until the monotonic instant t (ns). */
static void
sleep_until(int64_t t)
{
	struct timespec ts;

	ts.tv_sec = (time_t)(t / 1000000000LL);
	ts.tv_nsec = (long)(t % 1000000000LL);
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
	    EINTR)
		;
}

/* The receiver's CPU seconds so far (user + system, all threads); -1 if
 * unknown.  Fields 14 and 15 of proc(5) stat, after the comm field. */
static double
receiver_cpu(void)
{
	char path[64], buf[1024], *p;
	unsigned long long ut, st;
	ssize_t n;
	int fd, i;

	if (receiver_pid <= 0)
		return -1;
	snprintf(path, sizeof path, "/proc/%ld/stat", receiver_pid);
	if ((fd = open(path, O_RDONLY)) < 0)
		return -1;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	/* comm may hold blanks and parentheses: skip to the last ')'. */
	if ((p = strrchr(buf, ')')) == NULL)
		return -1;
	p++;
	/* After ')': state is field 3; utime is field 14. */
	for (i = 3; i < 14 && p != NULL; i++)
		p = strchr(p + 1, ' ');
	if (p == NULL || sscanf(p, " %llu %llu", &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* A connected TCP socket to host:port, with Nagle off; -1 on failure. */
static int
dial(const char *host, int port)
{
	struct addrinfo hints, *res, *ai;
	char ps[16];
	int fd = -1, on = 1;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(ps, sizeof ps, "%d", port);
	if (getaddrinfo(host, ps, &hints, &res) != 0)
		return -1;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol)) < 0)
			continue;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

/* Writes all n bytes; 0 or -1. */
static int
writeall(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, p, n)) <= 0) {
			if (w < 0 && errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* A growable byte buffer (the bench has no use for the store's). */
struct buf {
	char	*p;
	size_t	 len, cap;
};

/* Makes room for n more bytes; exits when memory runs out. */
static void
buf_grow(struct buf *b, size_t n)
{
	size_t cap;

	if (b->len + n <= b->cap)
		return;
	cap = b->cap ? b->cap : 4096;
	while (cap < b->len + n)
		cap *= 2;
	if ((b->p = realloc(b->p, cap)) == NULL)
		die("out of memory (%zu bytes)", cap);
	b->cap = cap;
}

/* Appends printf output. */
static void __attribute__((format(printf, 2, 3)))
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		die("vsnprintf failed");
	buf_grow(b, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/* "abcd...": padding text for a note. */
static const char *
pad_text(void)
{
	static char pad[EVENT_BYTES + 1];
	size_t i;

	if (pad[0] == '\0')
		for (i = 0; i < EVENT_BYTES; i++)
			pad[i] = (char)('a' + i % 26);
	return pad;
}

/* The current time at +08:00, the events' zone, as "YYYY-MM-DDTHH:MM:SS". */
static void
stamp_now(char *out, size_t cap)
{
	struct timespec ts;
	struct tm tm;
	time_t t;

	clock_gettime(CLOCK_REALTIME, &ts);
	t = ts.tv_sec + 8 * 3600;
	gmtime_r(&t, &tm);
	strftime(out, cap, "%Y-%m-%dT%H:%M:%S", &tm);
}

/*
 * The RFC 5424 message of event i, padded with its note to EVENT_BYTES:
 * facility 13 (log audit), severity 6, the event in the cairn@32473 SD
 * element (RFC 5424 section 6.3), the MSG a short text.  stamp is the
 * second of its time (FIXED_STAMP, or stamp_now() for the paced modes).
 */
static int
make_syslog(char *out, size_t cap, long i, const char *stamp)
{
#define SYSLOG_FMT "<110>1 %s.%06ld+08:00 platform.example.com" \
	" platform - audit [cairn@32473 id=\"%s-%ld\" type=\"account.created\"" \
	" account=\"u-%ld\" account_kind=\"personal\" via=\"direct\"" \
	" actor=\"system:signup\" clause=\"1.1.1\" note=\"bench %.*s\"]" \
	" account created"
	int len, padlen;

	len = snprintf(out, cap, SYSLOG_FMT, stamp, i % 1000000, prefix, i,
	    i % accounts, 0, "");
	padlen = len < EVENT_BYTES ? EVENT_BYTES - len : 0;
	len = snprintf(out, cap, SYSLOG_FMT, stamp, i % 1000000, prefix, i,
	    i % accounts, padlen, pad_text());
	if (len < 0 || (size_t)len >= cap)
		die("message buffer too small");
	return len;
#undef SYSLOG_FMT
}

/*
 * The JSON object of event i, the same fields as the syslog message's; with
 * -k N, one event in N is a content.takedown instead (stream takedown, so
 * that a takedown export has entries to carry).
 */
static int
make_json(char *out, size_t cap, long i, const char *stamp)
{
#define JSON_FMT "{\"id\":\"%s-%ld\",\"type\":\"account.created\"," \
	"\"time\":\"%s.%06ld+08:00\",\"account\":\"u-%ld\"," \
	"\"account_kind\":\"personal\",\"via\":\"direct\"," \
	"\"actor\":\"system:signup\",\"clause\":\"1.1.1\",\"note\":\"bench %.*s\"}"
#define TAKEDOWN_FMT "{\"id\":\"%s-%ld\",\"type\":\"content.takedown\"," \
	"\"time\":\"%s.%06ld+08:00\",\"account\":\"u-%ld\"," \
	"\"clause\":\"2.2.5\",\"actor\":\"system:moderation\"," \
	"\"content_id\":\"out-%ld\",\"content_kind\":\"output\"," \
	"\"category\":\"2.2.5(h)\",\"detection\":\"automated\"," \
	"\"automated_decision\":\"fully\",\"action\":\"block_transmission\"," \
	"\"detected_at\":\"%s+08:00\",\"decided_at\":\"%s+08:00\"," \
	"\"applied_at\":\"%s+08:00\"}"
	int len, padlen;

	if (takedown_every > 0 && i % takedown_every == takedown_every - 1) {
		len = snprintf(out, cap, TAKEDOWN_FMT, prefix, i, stamp,
		    i % 1000000, i % accounts, i, stamp, stamp, stamp);
		if (len < 0 || (size_t)len >= cap)
			die("event buffer too small");
		return len;
	}
	len = snprintf(out, cap, JSON_FMT, prefix, i, stamp, i % 1000000,
	    i % accounts, 0, "");
	padlen = len < EVENT_BYTES ? EVENT_BYTES - len : 0;
	len = snprintf(out, cap, JSON_FMT, prefix, i, stamp, i % 1000000,
	    i % accounts, padlen, pad_text());
	if (len < 0 || (size_t)len >= cap)
		die("event buffer too small");
	return len;
#undef TAKEDOWN_FMT
#undef JSON_FMT
}

/* --- HTTP/1.1 client ----------------------------------------------------- */

/*
 * Reads one HTTP response (headers and a Content-Length body, which is
 * discarded) from fd: its status, or -1 on error or end of stream; *closing
 * is set when the server will close the connection.  MHD answers with
 * Content-Length; a response without one is refused.
 */
static int
http_response(int fd, char *hdr, size_t cap, int *closing)
{
	size_t n = 0, clen = 0, have;
	ssize_t r;
	char *end, *cl, skip[65536];
	int status;

	for (;;) {
		if (n + 1 >= cap)
			return -1;
		if ((r = read(fd, hdr + n, cap - 1 - n)) <= 0) {
			if (r < 0 && errno == EINTR)
				continue;
			return -1;
		}
		n += (size_t)r;
		hdr[n] = 0;
		if ((end = strstr(hdr, "\r\n\r\n")) != NULL)
			break;
	}
	if (sscanf(hdr, "HTTP/1.%*d %d", &status) != 1)
		return -1;
	*end = 0;
	*closing = strcasestr(hdr, "\r\nConnection: close") != NULL;
	if ((cl = strcasestr(hdr, "\r\nContent-Length:")) == NULL)
		return -1;
	clen = strtoul(cl + 17, NULL, 10);
	have = n - (size_t)(end + 4 - hdr);
	/* No pipelining: nothing may follow the body. */
	if (have > clen)
		return -1;
	while (have < clen) {
		size_t want = clen - have < sizeof skip ? clen - have : sizeof skip;

		if ((r = read(fd, skip, want)) <= 0) {
			if (r < 0 && errno == EINTR)
				continue;
			return -1;
		}
		have += (size_t)r;
	}
	return status;
}

/* Sends a request (headers for body, then body) and reads the answer;
 * closes *fd when the server closes the connection. */
static int
http_post(int *fd, const char *token, const char *ctype, const char *body,
    size_t blen, char *resp, size_t rcap)
{
	char head[512];
	int n, st, closing = 0;

	n = snprintf(head, sizeof head, "POST /v1/events HTTP/1.1\r\n"
	    "Host: localhost\r\nAuthorization: Bearer %s\r\n"
	    "Content-Type: %s\r\nContent-Length: %zu\r\n\r\n", token, ctype, blen);
	if (n < 0 || (size_t)n >= sizeof head)
		return -1;
	if (writeall(*fd, head, (size_t)n) != 0 ||
	    writeall(*fd, body, blen) != 0 ||
	    (st = http_response(*fd, resp, rcap, &closing)) < 0) {
		close(*fd);
		*fd = -1;
		return -1;
	}
	if (closing) {
		close(*fd);
		*fd = -1;
	}
	return st;
}

/* --- completion: cairnd's tree size, rsyslog's output lines -------------- */

static int metrics_fd = -1;

/* cairn_tree_size from GET /metrics; -1 on failure (reconnects next time). */
static long long
tree_size(void)
{
	char req[512], *resp, *p;
	size_t clen = 0;
	long long v = -1;
	int n, st;

	if ((resp = malloc(RESP_MAX + 1)) == NULL)
		return -1;
	if (metrics_fd < 0 && (metrics_fd = dial("127.0.0.1", metrics_port)) < 0)
		goto out;
	n = snprintf(req, sizeof req, "GET /metrics HTTP/1.1\r\nHost: localhost\r\n"
	    "Authorization: Bearer %s\r\n\r\n", metrics_token);
	if (n < 0 || (size_t)n >= sizeof req ||
	    writeall(metrics_fd, req, (size_t)n) != 0)
		goto fail;
	/* Read headers and body into resp: the exposition is a few kB. */
	{
		size_t got = 0, hlen;
		ssize_t r;
		char *end;

		for (;;) {
			if (got >= RESP_MAX)
				goto fail;
			if ((r = read(metrics_fd, resp + got, RESP_MAX - got)) <= 0)
				goto fail;
			got += (size_t)r;
			resp[got] = 0;
			if ((end = strstr(resp, "\r\n\r\n")) == NULL)
				continue;
			if (sscanf(resp, "HTTP/1.%*d %d", &st) != 1 || st != 200)
				goto fail;
			if ((p = strcasestr(resp, "\r\nContent-Length:")) == NULL)
				goto fail;
			clen = strtoul(p + 17, NULL, 10);
			hlen = (size_t)(end + 4 - resp);
			if (got >= hlen + clen)
				break;
		}
	}
	/* cairnd closes after /metrics: reconnect for the next poll. */
	if ((p = strstr(resp, "\r\n\r\n")) != NULL) {
		*p = 0;
		if (strcasestr(resp, "\r\nConnection: close") != NULL) {
			close(metrics_fd);
			metrics_fd = -1;
		}
		*p = '\r';
	}
	for (p = resp; (p = strstr(p, "cairn_tree_size")) != NULL; p++)
		if ((p == resp || p[-1] == '\n') && (p[15] == ' ' || p[15] == '{')) {
			p = strchr(p, ' ');
			if (p != NULL)
				v = (long long)strtod(p + 1, NULL);
			break;
		}
	goto out;
fail:
	close(metrics_fd);
	metrics_fd = -1;
out:
	free(resp);
	return v;
}

static int watch_fd = -1;
static long long watch_lines;

/* Counts the newlines added to the watched file since the last call; the
 * running total in watch_lines.  A missing file has no lines yet. */
static long long
file_lines(void)
{
	char buf[1 << 16];
	ssize_t n, i;

	if (watch_fd < 0 && (watch_fd = open(watch_file, O_RDONLY)) < 0)
		return watch_lines;
	while ((n = read(watch_fd, buf, sizeof buf)) > 0)
		for (i = 0; i < n; i++)
			if (buf[i] == '\n')
				watch_lines++;
	return watch_lines;
}

/* The completion counter: tree size or file lines; -1 if neither is set
 * or it cannot be read. */
static long long
progress(void)
{
	if (metrics_port > 0)
		return tree_size();
	if (watch_file != NULL)
		return file_lines();
	return -1;
}

/* Waits until progress() reaches target; the instant (ns) it was seen, or
 * -1 on timeout. */
static int64_t
wait_progress(long long target, int64_t t0, long long *last)
{
	long long v;
	int64_t t;

	for (;;) {
		v = progress();
		t = now_ns();
		if (v >= 0)
			*last = v;
		if (v >= target)
			return t;
		if ((double)(t - t0) / 1e9 > timeout_s)
			return -1;
		sleep_until(t + POLL_NS);
	}
}

/* --- the result line ----------------------------------------------------- */

/* Prints the common fields: events, wall time, rate, receiver CPU. */
static void
report(const char *mode, long events, int64_t t0, int64_t t1, double cpu0,
    double cpu1)
{
	double wall = (double)(t1 - t0) / 1e9, cpu = -1;

	if (cpu0 >= 0 && cpu1 >= 0)
		cpu = cpu1 - cpu0;
	printf("mode=%s events=%ld wall_s=%.4f events_per_s=%.0f", mode, events,
	    wall, wall > 0 ? (double)events / wall : 0);
	if (cpu >= 0)
		printf(" cpu_s=%.2f events_per_cpu_s=%.0f", cpu,
		    cpu > 0 ? (double)events / cpu : 0);
	else
		printf(" cpu_s=- events_per_cpu_s=-");
}

/* --- tcp ------------------------------------------------------------------ */

struct sender {
	pthread_t	 thr;
	int		 fd;
	const char	*p;
	size_t		 n;
	int		 rc;
	pthread_barrier_t *start;
};

static void *
tcp_sender(void *arg)
{
	struct sender *s = arg;
	size_t chunk;

	pthread_barrier_wait(s->start);
	/* Large writes: the receiver's framing is what is being measured. */
	while (s->n > 0) {
		chunk = s->n < (1 << 20) ? s->n : (1 << 20);
		if (writeall(s->fd, s->p, chunk) != 0) {
			s->rc = -1;
			break;
		}
		s->p += chunk;
		s->n -= chunk;
	}
	shutdown(s->fd, SHUT_WR);
	return NULL;
}

static int
run_tcp(const char *host, int port, long n, int conns)
{
	struct buf all = { 0 };
	struct sender *s;
	pthread_barrier_t start;
	size_t *off;
	char msg[1024];
	long i, per, from, to;
	long long base = -1, last = -1;
	int64_t t0, tsent, t1;
	double cpu0, cpu1;
	int k, len, failed = 0;

	if (metrics_port <= 0 && watch_file == NULL)
		die("tcp needs -m or -f to know when the receiver has everything");
	if ((off = calloc((size_t)n + 1, sizeof *off)) == NULL ||
	    (s = calloc((size_t)conns, sizeof *s)) == NULL)
		die("out of memory");
	/* Octet counting: "MSG-LEN SP SYSLOG-MSG" (RFC 6587 section 3.4.1). */
	for (i = 0; i < n; i++) {
		off[i] = all.len;
		len = make_syslog(msg, sizeof msg, i, FIXED_STAMP);
		buf_printf(&all, "%d %s", len, msg);
	}
	off[n] = all.len;
	if ((base = progress()) < 0)
		die("cannot read the receiver's progress");
	pthread_barrier_init(&start, NULL, (unsigned)conns + 1);
	per = (n + conns - 1) / conns;
	for (k = 0; k < conns; k++) {
		from = k * per < n ? k * per : n;
		to = (k + 1) * per < n ? (k + 1) * per : n;
		s[k].p = all.p + off[from];
		s[k].n = off[to] - off[from];
		s[k].start = &start;
		if ((s[k].fd = dial(host, port)) < 0)
			die("cannot connect to %s:%d: %s", host, port,
			    strerror(errno));
	}
	for (k = 0; k < conns; k++)
		if (pthread_create(&s[k].thr, NULL, tcp_sender, &s[k]) != 0)
			die("pthread_create failed");
	cpu0 = receiver_cpu();
	t0 = now_ns();
	pthread_barrier_wait(&start);
	for (k = 0; k < conns; k++) {
		pthread_join(s[k].thr, NULL);
		failed |= s[k].rc;
	}
	tsent = now_ns();
	t1 = wait_progress(base + n, t0, &last);
	cpu1 = receiver_cpu();
	for (k = 0; k < conns; k++)
		close(s[k].fd);
	if (t1 < 0) {
		fprintf(stderr, "ingest_load: timed out: %lld of %ld events "
		    "arrived\n", last - base, n);
		t1 = now_ns();
		failed = -1;
	}
	report("tcp", n, t0, t1, cpu0, cpu1);
	printf(" send_s=%.4f arrived=%lld\n", (double)(tsent - t0) / 1e9,
	    last - base);
	pthread_barrier_destroy(&start);
	free(all.p);
	free(off);
	free(s);
	return failed ? 1 : 0;
}

/* --- http batches --------------------------------------------------------- */

struct hbatch {
	pthread_t	 thr;
	int		 port;
	const char	*token;
	struct buf	*bodies;	/* one NDJSON body per batch */
	long		 nbatches;
	long		*next;		/* shared batch counter */
	long		 ok, bad;	/* batches */
	int		 status;	/* the first non-200 */
	pthread_barrier_t *start;
};

static void *
http_worker(void *arg)
{
	struct hbatch *h = arg;
	char *resp;
	long b;
	int fd, st;

	if ((resp = malloc(RESP_MAX)) == NULL)
		return NULL;
	fd = dial("127.0.0.1", h->port);
	pthread_barrier_wait(h->start);
	while ((b = __atomic_fetch_add(h->next, 1, __ATOMIC_RELAXED)) <
	    h->nbatches) {
		if (fd < 0 && (fd = dial("127.0.0.1", h->port)) < 0)
			st = -1;
		else
			st = http_post(&fd, h->token, "application/x-ndjson",
			    h->bodies[b].p, h->bodies[b].len, resp, RESP_MAX);
		if (st == 200) {
			h->ok++;
			continue;
		}
		h->bad++;
		if (h->status == 0)
			h->status = st;
	}
	if (fd >= 0)
		close(fd);
	free(resp);
	return NULL;
}

static int
run_http(int port, const char *token, long n, long batch, int conns)
{
	struct buf *bodies;
	struct hbatch *h;
	pthread_barrier_t start;
	char ev[1024];
	long i, nb, next = 0, ok = 0, bad = 0, evok;
	int64_t t0, t1;
	double cpu0, cpu1;
	int k, st = 0;

	nb = (n + batch - 1) / batch;
	if ((bodies = calloc((size_t)nb, sizeof *bodies)) == NULL ||
	    (h = calloc((size_t)conns, sizeof *h)) == NULL)
		die("out of memory");
	for (i = 0; i < n; i++) {
		make_json(ev, sizeof ev, i, FIXED_STAMP);
		buf_printf(&bodies[i / batch], "%s\n", ev);
	}
	pthread_barrier_init(&start, NULL, (unsigned)conns + 1);
	for (k = 0; k < conns; k++) {
		h[k].port = port;
		h[k].token = token;
		h[k].bodies = bodies;
		h[k].nbatches = nb;
		h[k].next = &next;
		h[k].start = &start;
		if (pthread_create(&h[k].thr, NULL, http_worker, &h[k]) != 0)
			die("pthread_create failed");
	}
	cpu0 = receiver_cpu();
	t0 = now_ns();
	pthread_barrier_wait(&start);
	for (k = 0; k < conns; k++) {
		pthread_join(h[k].thr, NULL);
		ok += h[k].ok;
		bad += h[k].bad;
		if (st == 0)
			st = h[k].status;
	}
	t1 = now_ns();
	cpu1 = receiver_cpu();
	/* Batches are whole except perhaps the last. */
	evok = ok * batch;
	if (evok > n)
		evok = n;
	if (bad > 0) {
		fprintf(stderr, "ingest_load: %ld of %ld batches failed (first "
		    "status %d)\n", bad, nb, st);
		evok = n - bad * batch;
	}
	report("http", evok < 0 ? 0 : evok, t0, t1, cpu0, cpu1);
	printf(" batch=%ld conns=%d failed_batches=%ld\n", batch, conns, bad);
	pthread_barrier_destroy(&start);
	for (i = 0; i < nb; i++)
		free(bodies[i].p);
	free(bodies);
	free(h);
	return bad ? 1 : 0;
}

/* --- http latency --------------------------------------------------------- */

struct lat {
	pthread_t	 thr;
	int		 port;
	const char	*token;
	long		 total;
	long		*next;
	int64_t		 t0;
	double		 rate;
	double		*lat_ms;	/* per request, send -> receipt */
	double		*late_ms;	/* per request, schedule -> send */
	long		 bad;
};

static void *
lat_worker(void *arg)
{
	struct lat *l = arg;
	char ev[1024], *resp;
	int64_t due, ts, te;
	long i;
	int fd, len, st;

	if ((resp = malloc(RESP_MAX)) == NULL)
		return NULL;
	fd = dial("127.0.0.1", l->port);
	/* An idle connection takes the next request and sends it on time:
	 * open loop, so a slow answer does not slow the offered rate. */
	while ((i = __atomic_fetch_add(l->next, 1, __ATOMIC_RELAXED)) < l->total) {
		len = make_json(ev, sizeof ev, i, FIXED_STAMP);
		due = l->t0 + (int64_t)((double)i * 1e9 / l->rate);
		sleep_until(due);
		if (fd < 0 && (fd = dial("127.0.0.1", l->port)) < 0) {
			l->lat_ms[i] = -1;
			l->bad++;
			continue;
		}
		ts = now_ns();
		st = http_post(&fd, l->token, "application/json", ev,
		    (size_t)len, resp, RESP_MAX);
		te = now_ns();
		l->late_ms[i] = (double)(ts - due) / 1e6;
		if (st != 200) {
			l->lat_ms[i] = -1;
			l->bad++;
			continue;
		}
		l->lat_ms[i] = (double)(te - ts) / 1e6;
	}
	if (fd >= 0)
		close(fd);
	free(resp);
	return NULL;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The q-quantile of sorted v[0..n-1] (nearest rank). */
static double
quantile(const double *v, long n, double q)
{
	long k;

	if (n == 0)
		return 0;
	k = (long)(q * (double)n + 0.999999) - 1;
	if (k < 0)
		k = 0;
	if (k >= n)
		k = n - 1;
	return v[k];
}

static int
run_latency(int port, const char *token, double rate, double secs, int conns)
{
	struct lat *l;
	double *lat, *late, *v, cpu0, cpu1, maxlate = 0;
	long total, next = 0, i, m = 0, bad = 0, nlate = 0;
	int64_t t0, t1;
	int k;

	total = (long)(rate * secs);
	if (total <= 0)
		die("nothing to send");
	if ((l = calloc((size_t)conns, sizeof *l)) == NULL ||
	    (lat = calloc((size_t)total, sizeof *lat)) == NULL ||
	    (late = calloc((size_t)total, sizeof *late)) == NULL ||
	    (v = calloc((size_t)total, sizeof *v)) == NULL)
		die("out of memory");
	cpu0 = receiver_cpu();
	/* A little ahead, so every connection is up by the first request. */
	t0 = now_ns() + 100000000LL;
	for (k = 0; k < conns; k++) {
		l[k].port = port;
		l[k].token = token;
		l[k].total = total;
		l[k].next = &next;
		l[k].t0 = t0;
		l[k].rate = rate;
		l[k].lat_ms = lat;
		l[k].late_ms = late;
		if (pthread_create(&l[k].thr, NULL, lat_worker, &l[k]) != 0)
			die("pthread_create failed");
	}
	for (k = 0; k < conns; k++) {
		pthread_join(l[k].thr, NULL);
		bad += l[k].bad;
	}
	t1 = now_ns();
	cpu1 = receiver_cpu();
	for (i = 0; i < total; i++) {
		if (lat[i] >= 0)
			v[m++] = lat[i];
		/* Sent more than a millisecond after its time: the client
		 * had no idle connection (or no CPU). */
		if (late[i] > 1.0)
			nlate++;
		if (late[i] > maxlate)
			maxlate = late[i];
	}
	qsort(v, (size_t)m, sizeof *v, cmp_double);
	report("http-latency", m, t0, t1, cpu0, cpu1);
	printf(" rate=%.0f conns=%d p50_ms=%.2f p99_ms=%.2f p999_ms=%.2f "
	    "max_ms=%.2f failed=%ld sent_late=%ld max_late_ms=%.1f\n", rate,
	    conns, quantile(v, m, 0.50), quantile(v, m, 0.99),
	    quantile(v, m, 0.999), m ? v[m - 1] : 0, bad, nlate, maxlate);
	free(l);
	free(lat);
	free(late);
	free(v);
	return bad ? 1 : 0;
}

/* --- paced modes: tcp-rate, http-rate ------------------------------------ */

/*
 * Both run for SECONDS at RATE events/s (0: as fast as the receiver takes
 * them) and print a line every -i seconds (default 60) so that a long run
 * can be followed and sampled while it goes; events carry the current time
 * and, with -a, a wider set of accounts.
 */

#define TICK_NS		2000000LL	/* paced TCP: shortest sleep */

/* The end of interval k (ns), capped at the end of the run. */
static int64_t
interval_end(int64_t t0, double secs, long k)
{
	double e = (double)(k + 1) * interval_s;

	if (e > secs)
		e = secs;
	return t0 + (int64_t)(e * 1e9);
}

/* The number of intervals in a run of secs. */
static long
interval_count(double secs)
{
	long n = (long)(secs / interval_s);

	if ((double)n * interval_s < secs)
		n++;
	return n > 0 ? n : 1;
}

struct tpace {
	pthread_t	 thr;
	const char	*host;
	int		 port;
	int		 k, conns;
	double		 rate;		/* events/s on this connection; 0: flat out */
	int64_t		 t0, t_end;
	long		 sent;		/* events written (atomic) */
	int		 rc;
};

/* Writes connection k's share of the events (k, k + conns, ...) on its
 * schedule, a few at a time, until the end of the run. */
static void *
tcp_pacer(void *arg)
{
	struct tpace *s = arg;
	struct buf out = { 0 };
	char msg[1024], stamp[32];
	int64_t now, next;
	long due, n, j;
	int fd, len;

	if ((fd = dial(s->host, s->port)) < 0) {
		s->rc = -1;
		return NULL;
	}
	sleep_until(s->t0);
	for (;;) {
		now = now_ns();
		if (now >= s->t_end)
			break;
		if (s->rate > 0)
			due = (long)((double)(now - s->t0) * s->rate / 1e9) + 1;
		else
			due = s->sent + 256;
		if ((n = due - s->sent) <= 0) {
			/* Ahead of schedule: wait for the next event's time,
			 * or a tick, so that a write carries a few events. */
			next = s->t0 + (int64_t)((double)s->sent * 1e9 / s->rate);
			sleep_until(next > now + TICK_NS ? next : now + TICK_NS);
			continue;
		}
		/* A sender that fell behind catches up 1,000 at a time. */
		if (n > 1000)
			n = 1000;
		stamp_now(stamp, sizeof stamp);
		out.len = 0;
		for (j = 0; j < n; j++) {
			len = make_syslog(msg, sizeof msg,
			    (s->sent + j) * s->conns + s->k, stamp);
			buf_printf(&out, "%d %s", len, msg);
		}
		if (writeall(fd, out.p, out.len) != 0) {
			s->rc = -1;
			break;
		}
		__atomic_store_n(&s->sent, s->sent + n, __ATOMIC_RELAXED);
	}
	shutdown(fd, SHUT_WR);
	close(fd);
	free(out.p);
	return NULL;
}

/* The events written so far over all connections. */
static long
tcp_sent(struct tpace *s, int conns)
{
	long sum = 0;
	int k;

	for (k = 0; k < conns; k++)
		sum += __atomic_load_n(&s[k].sent, __ATOMIC_RELAXED);
	return sum;
}

/* tcp-rate: paced syslog over TCP, a line per interval, then the result. */
static int
run_tcp_rate(const char *host, int port, double rate, double secs, int conns)
{
	struct tpace *s;
	long k, nint, sent, prev = 0;
	int64_t t0, t1, te;
	double cpu0, cpu1, due;
	int c, failed = 0;

	if ((s = calloc((size_t)conns, sizeof *s)) == NULL)
		die("out of memory");
	nint = interval_count(secs);
	t0 = now_ns() + 100000000LL;
	for (c = 0; c < conns; c++) {
		s[c].host = host;
		s[c].port = port;
		s[c].k = c;
		s[c].conns = conns;
		s[c].rate = rate / conns;
		s[c].t0 = t0;
		s[c].t_end = t0 + (int64_t)(secs * 1e9);
		if (pthread_create(&s[c].thr, NULL, tcp_pacer, &s[c]) != 0)
			die("pthread_create failed");
	}
	cpu0 = receiver_cpu();
	for (k = 0; k < nint; k++) {
		te = interval_end(t0, secs, k);
		sleep_until(te);
		sent = tcp_sent(s, conns);
		due = rate * (double)(te - t0) / 1e9;
		printf("interval=%ld t_s=%.0f sent=%ld events_per_s=%.0f "
		    "total=%ld behind=%.0f\n", k + 1, (double)(te - t0) / 1e9,
		    sent - prev, (double)(sent - prev) * 1e9 /
		    (double)(te - (k ? interval_end(t0, secs, k - 1) : t0)),
		    sent, rate > 0 && due > (double)sent ? due - (double)sent : 0);
		prev = sent;
	}
	for (c = 0; c < conns; c++) {
		pthread_join(s[c].thr, NULL);
		failed |= s[c].rc;
	}
	t1 = now_ns();
	cpu1 = receiver_cpu();
	sent = tcp_sent(s, conns);
	report("tcp-rate", sent, t0, t1, cpu0, cpu1);
	printf(" rate=%.0f conns=%d sent=%ld failed=%d\n", rate, conns, sent,
	    failed ? 1 : 0);
	free(s);
	return failed ? 1 : 0;
}

/* One interval of http-rate: its requests and their latencies (ms). */
struct ival {
	long	 issued, done, ok, bad, late;
	double	*lat, *dlat;	/* send -> receipt; schedule -> receipt */
	size_t	 n, cap;
};

struct hpace {
	int		 port;
	const char	*token;
	double		 reqrate;	/* requests/s; 0: flat out */
	long		 batch;
	long		 total;		/* requests, when paced */
	int64_t		 t0, t_end;
	long		 next;		/* the next request to claim */
	long		 nint;
	struct ival	*iv;
	pthread_mutex_t	 mu;
};

/* Appends a latency pair to an interval (under the mutex). */
static void
ival_add(struct ival *v, double lat, double dlat)
{
	if (v->n == v->cap) {
		v->cap = v->cap ? v->cap * 2 : 1024;
		if ((v->lat = realloc(v->lat, v->cap * sizeof *v->lat)) == NULL ||
		    (v->dlat = realloc(v->dlat, v->cap * sizeof *v->dlat)) == NULL)
			die("out of memory");
	}
	v->lat[v->n] = lat;
	v->dlat[v->n] = dlat;
	v->n++;
}

/* Sends batches on their schedule (or back to back) on one keep-alive
 * connection, each counted in the interval it was due (or sent) in. */
static void *
http_pacer(void *arg)
{
	struct hpace *h = arg;
	struct buf body = { 0 };
	char ev[1024], stamp[32], *resp;
	int64_t due, ts, te;
	long r, j, b;
	int fd, st;

	if ((resp = malloc(RESP_MAX)) == NULL)
		return NULL;
	fd = dial("127.0.0.1", h->port);
	for (;;) {
		/* Claiming and counting under the lock: an interval is
		 * complete once its last request is claimed and done. */
		pthread_mutex_lock(&h->mu);
		if (h->reqrate > 0) {
			if ((r = h->next) >= h->total) {
				pthread_mutex_unlock(&h->mu);
				break;
			}
			due = h->t0 + (int64_t)((double)r * 1e9 / h->reqrate);
		} else {
			r = h->next;
			if ((due = now_ns()) >= h->t_end) {
				pthread_mutex_unlock(&h->mu);
				break;
			}
		}
		h->next++;
		b = (long)((double)(due - h->t0) / 1e9 / interval_s);
		if (b >= h->nint)
			b = h->nint - 1;
		h->iv[b].issued++;
		pthread_mutex_unlock(&h->mu);

		/* The body is made before its time, so that making it does
		 * not count as lateness. */
		stamp_now(stamp, sizeof stamp);
		body.len = 0;
		for (j = 0; j < h->batch; j++) {
			make_json(ev, sizeof ev, r * h->batch + j, stamp);
			buf_printf(&body, "%s\n", ev);
		}
		sleep_until(due);
		ts = now_ns();
		if (fd < 0 && (fd = dial("127.0.0.1", h->port)) < 0)
			st = -1;
		else
			st = http_post(&fd, h->token, "application/x-ndjson",
			    body.p, body.len, resp, RESP_MAX);
		te = now_ns();
		pthread_mutex_lock(&h->mu);
		if (st == 200) {
			h->iv[b].ok++;
			ival_add(&h->iv[b], (double)(te - ts) / 1e6,
			    (double)(te - due) / 1e6);
		} else
			h->iv[b].bad++;
		/* Sent more than a millisecond after its time: no idle
		 * connection (or no CPU) in the client. */
		if (h->reqrate > 0 && ts - due > 1000000)
			h->iv[b].late++;
		h->iv[b].done++;
		pthread_mutex_unlock(&h->mu);
	}
	if (fd >= 0)
		close(fd);
	free(body.p);
	free(resp);
	return NULL;
}

/* Prints the latency fields of n pairs, sorting them: p50/p99/max after
 * the send, p99 after the schedule (which counts a late send's wait). */
static void
print_latency(double *lat, double *dlat, size_t n)
{
	qsort(lat, n, sizeof *lat, cmp_double);
	qsort(dlat, n, sizeof *dlat, cmp_double);
	printf(" p50_ms=%.2f p99_ms=%.2f max_ms=%.2f p99_sched_ms=%.2f",
	    quantile(lat, (long)n, 0.50), quantile(lat, (long)n, 0.99),
	    n ? lat[n - 1] : 0, quantile(dlat, (long)n, 0.99));
}

/* http-rate: paced NDJSON batches, a line per interval with the latencies
 * of the requests due in it, then the result. */
static int
run_http_rate(int port, const char *token, double rate, long batch,
    double secs, int conns)
{
	struct hpace h;
	pthread_t *thr;
	struct ival *v, all = { 0 };
	int64_t t0, t1, te, start;
	double cpu0, cpu1;
	long k, want, waited;
	size_t i;
	int c;

	memset(&h, 0, sizeof h);
	h.port = port;
	h.token = token;
	h.batch = batch;
	h.reqrate = rate / (double)batch;
	h.total = (long)(h.reqrate * secs);
	h.nint = interval_count(secs);
	if (rate > 0 && h.total <= 0)
		die("nothing to send");
	if ((h.iv = calloc((size_t)h.nint, sizeof *h.iv)) == NULL ||
	    (thr = calloc((size_t)conns, sizeof *thr)) == NULL)
		die("out of memory");
	pthread_mutex_init(&h.mu, NULL);
	/* A little ahead, so every connection is up by the first request. */
	t0 = h.t0 = now_ns() + 100000000LL;
	h.t_end = t0 + (int64_t)(secs * 1e9);
	for (c = 0; c < conns; c++)
		if (pthread_create(&thr[c], NULL, http_pacer, &h) != 0)
			die("pthread_create failed");
	cpu0 = receiver_cpu();
	for (k = 0; k < h.nint; k++) {
		te = interval_end(t0, secs, k);
		start = k ? interval_end(t0, secs, k - 1) : t0;
		sleep_until(te);
		/* Paced: requests due up to te must be claimed; then every
		 * claimed request of the interval answered (a minute at most:
		 * the line then says how many are pending). */
		want = (long)((double)(te - t0) / 1e9 * h.reqrate);
		if (want > h.total)
			want = h.total;
		for (waited = 0; waited < 60000; waited += 5) {
			pthread_mutex_lock(&h.mu);
			c = (h.reqrate <= 0 || h.next >= want) &&
			    h.iv[k].done == h.iv[k].issued;
			pthread_mutex_unlock(&h.mu);
			if (c)
				break;
			sleep_until(now_ns() + 5000000LL);
		}
		pthread_mutex_lock(&h.mu);
		v = &h.iv[k];
		printf("interval=%ld t_s=%.0f requests=%ld ok=%ld failed=%ld "
		    "pending=%ld late=%ld events=%ld events_per_s=%.0f", k + 1,
		    (double)(te - t0) / 1e9, v->issued, v->ok, v->bad,
		    v->issued - v->done, v->late, v->ok * batch,
		    (double)(v->ok * batch) * 1e9 / (double)(te - start));
		/* Sorted copies: a late answer may still add to v. */
		all.n = 0;
		for (i = 0; i < v->n; i++)
			ival_add(&all, v->lat[i], v->dlat[i]);
		pthread_mutex_unlock(&h.mu);
		print_latency(all.lat, all.dlat, all.n);
		putchar('\n');
	}
	for (c = 0; c < conns; c++)
		pthread_join(thr[c], NULL);
	t1 = now_ns();
	cpu1 = receiver_cpu();
	all.n = 0;
	for (k = 0; k < h.nint; k++) {
		v = &h.iv[k];
		all.issued += v->issued;
		all.ok += v->ok;
		all.bad += v->bad;
		all.late += v->late;
		for (i = 0; i < v->n; i++)
			ival_add(&all, v->lat[i], v->dlat[i]);
		free(v->lat);
		free(v->dlat);
	}
	report("http-rate", all.ok * batch, t0, t1, cpu0, cpu1);
	printf(" rate=%.0f batch=%ld conns=%d requests=%ld failed=%ld late=%ld",
	    rate, batch, conns, all.issued, all.bad, all.late);
	print_latency(all.lat, all.dlat, all.n);
	putchar('\n');
	pthread_mutex_destroy(&h.mu);
	free(all.lat);
	free(all.dlat);
	free(h.iv);
	free(thr);
	return all.bad ? 1 : 0;
}

/* --- relp ----------------------------------------------------------------- */

/*
 * Parses complete RELP frames "TXNR SP COMMAND SP DATALEN [SP DATA] LF"
 * (the RELP specification, section "frame") at the start of b; for each
 * "rsp" frame counts an acknowledgement (ok when its data starts "200").
 * Returns the bytes consumed, or -1 on a malformed frame.
 */
static ssize_t
relp_parse(const char *b, size_t n, long *acks, long *nacks)
{
	size_t pos = 0, i, datalen, hdr;
	const char *p, *sp1, *sp2, *end;
	char cmd[32];

	for (;;) {
		p = b + pos;
		end = b + n;
		/* Header: three blank-separated tokens. */
		if ((sp1 = memchr(p, ' ', (size_t)(end - p))) == NULL)
			break;
		if ((sp2 = memchr(sp1 + 1, ' ', (size_t)(end - sp1 - 1))) == NULL)
			break;
		if ((size_t)(sp2 - sp1 - 1) >= sizeof cmd)
			return -1;
		memcpy(cmd, sp1 + 1, (size_t)(sp2 - sp1 - 1));
		cmd[sp2 - sp1 - 1] = 0;
		datalen = 0;
		for (i = 1; sp2 + i < end && sp2[i] >= '0' && sp2[i] <= '9'; i++)
			datalen = datalen * 10 + (size_t)(sp2[i] - '0');
		if (sp2 + i >= end)
			break;
		if (i == 1)
			return -1;
		hdr = (size_t)(sp2 + i - p);
		/* DATALEN 0: the LF follows at once; else SP DATA LF. */
		if (datalen == 0) {
			if (p[hdr] != '\n')
				return -1;
			hdr++;
		} else {
			if (p[hdr] != ' ')
				return -1;
			hdr++;
			if ((size_t)(end - p) < hdr + datalen + 1)
				break;
			if (p[hdr + datalen] != '\n')
				return -1;
		}
		if (strcmp(cmd, "rsp") == 0) {
			if (datalen >= 3 && memcmp(p + hdr, "200", 3) == 0)
				(*acks)++;
			else
				(*nacks)++;
		}
		pos += hdr + (datalen ? datalen + 1 : 0);
	}
	return (ssize_t)pos;
}

static int
run_relp(int port, long n, long window)
{
	static const char offer[] = "relp_version=0\nrelp_software=ingest_load\n"
	    "commands=syslog";
	struct buf out = { 0 };
	struct pollfd pfd;
	char msg[1024], in[65536];
	size_t inlen = 0, outoff = 0;
	ssize_t r;
	long sent = 0, acks = 0, nacks = 0, txnr = 1, want;
	long long base, last = -1;
	int64_t t0, tacked, t1;
	double cpu0, cpu1;
	int fd, len, failed = 0;

	if ((fd = dial("127.0.0.1", port)) < 0)
		die("cannot connect to port %d: %s", port, strerror(errno));
	/* The open handshake is not timed; its rsp counts as one ack. */
	buf_printf(&out, "%ld open %zu %s\n", txnr++, strlen(offer), offer);
	if (writeall(fd, out.p, out.len) != 0)
		die("relp: cannot send open");
	out.len = 0;
	while (acks + nacks == 0) {
		if ((r = read(fd, in + inlen, sizeof in - inlen)) <= 0)
			die("relp: no answer to open");
		inlen += (size_t)r;
		if ((r = relp_parse(in, inlen, &acks, &nacks)) < 0)
			die("relp: malformed answer to open");
		memmove(in, in + r, inlen - (size_t)r);
		inlen -= (size_t)r;
	}
	if (nacks != 0)
		die("relp: open refused");
	acks = 0;
	base = progress();
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	cpu0 = receiver_cpu();
	t0 = now_ns();
	while (acks + nacks < n) {
		/* Keep the window full: frames go out as acks come back. */
		while (sent < n && sent - (acks + nacks) < window) {
			len = make_syslog(msg, sizeof msg, sent, FIXED_STAMP);
			buf_printf(&out, "%ld syslog %d %s\n", txnr++, len, msg);
			sent++;
		}
		pfd.fd = fd;
		pfd.events = POLLIN | (outoff < out.len ? POLLOUT : 0);
		if (poll(&pfd, 1, 1000) < 0 && errno != EINTR)
			die("poll: %s", strerror(errno));
		if ((double)(now_ns() - t0) / 1e9 > timeout_s) {
			fprintf(stderr, "ingest_load: relp timed out\n");
			failed = 1;
			break;
		}
		if (pfd.revents & POLLOUT) {
			r = write(fd, out.p + outoff, out.len - outoff);
			if (r > 0)
				outoff += (size_t)r;
			else if (r < 0 && errno != EAGAIN && errno != EINTR)
				die("relp: write: %s", strerror(errno));
			if (outoff == out.len)
				outoff = out.len = 0;
		}
		if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
			r = read(fd, in + inlen, sizeof in - inlen);
			if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
				fprintf(stderr, "ingest_load: relp: connection "
				    "closed after %ld acks\n", acks);
				failed = 1;
				break;
			}
			if (r > 0) {
				inlen += (size_t)r;
				if ((r = relp_parse(in, inlen, &acks, &nacks)) < 0)
					die("relp: malformed rsp frame");
				memmove(in, in + r, inlen - (size_t)r);
				inlen -= (size_t)r;
			}
		}
	}
	tacked = now_ns();
	t1 = tacked;
	/* rsyslog acknowledges on enqueue: also wait for the output file. */
	if (!failed && base >= 0) {
		want = acks;
		if ((t1 = wait_progress(base + want, t0, &last)) < 0) {
			fprintf(stderr, "ingest_load: timed out waiting for "
			    "the output\n");
			failed = 1;
			t1 = now_ns();
		}
	}
	cpu1 = receiver_cpu();
	/* A polite close; its answer is not waited for long. */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	out.len = 0;
	buf_printf(&out, "%ld close 0\n", txnr);
	(void)writeall(fd, out.p, out.len);
	close(fd);
	report("relp", acks, t0, t1, cpu0, cpu1);
	printf(" window=%ld acked_s=%.4f acked_per_s=%.0f refused=%ld\n",
	    window, (double)(tacked - t0) / 1e9,
	    tacked > t0 ? (double)acks * 1e9 / (double)(tacked - t0) : 0, nacks);
	free(out.p);
	return failed || nacks || acks < n ? 1 : 0;
}

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr,
	    "usage: ingest_load [-p prefix] [-c pid] [-m port:token] [-f file] "
	    "[-t secs] [-a n] [-k n] [-i secs] mode ...\n"
	    "  tcp HOST PORT N CONNS\n"
	    "  http PORT TOKEN N BATCH CONNS\n"
	    "  http-latency PORT TOKEN RATE SECONDS [CONNS]\n"
	    "  relp PORT N [WINDOW]\n"
	    "  tcp-rate HOST PORT RATE SECONDS CONNS\n"
	    "  http-rate PORT TOKEN RATE BATCH SECONDS CONNS\n"
	    "options: -a accounts, -k takedown_every, -i interval_secs\n");
	exit(2);
}

/* A positive number argument, or usage. */
static long
num(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v <= 0)
		usage();
	return v;
}

int
main(int argc, char **argv)
{
	char *colon;
	int c;

	signal(SIGPIPE, SIG_IGN);
	while ((c = getopt(argc, argv, "+p:c:m:f:t:a:k:i:")) != -1) {
		switch (c) {
		case 'p':
			prefix = optarg;
			break;
		case 'c':
			receiver_pid = num(optarg);
			break;
		case 'm':
			if ((colon = strchr(optarg, ':')) == NULL)
				usage();
			*colon = 0;
			metrics_port = (int)num(optarg);
			metrics_token = colon + 1;
			break;
		case 'f':
			watch_file = optarg;
			break;
		case 't':
			timeout_s = (double)num(optarg);
			break;
		case 'a':
			accounts = num(optarg);
			break;
		case 'k':
			takedown_every = num(optarg);
			break;
		case 'i':
			interval_s = (double)num(optarg);
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(argv[0], "tcp") == 0 && argc == 5)
		return run_tcp(argv[1], (int)num(argv[2]), num(argv[3]),
		    (int)num(argv[4]));
	if (strcmp(argv[0], "http") == 0 && argc == 6)
		return run_http((int)num(argv[1]), argv[2], num(argv[3]),
		    num(argv[4]), (int)num(argv[5]));
	if (strcmp(argv[0], "http-latency") == 0 && (argc == 5 || argc == 6))
		return run_latency((int)num(argv[1]), argv[2],
		    (double)num(argv[3]), (double)num(argv[4]),
		    argc == 6 ? (int)num(argv[5]) : 32);
	if (strcmp(argv[0], "relp") == 0 && (argc == 3 || argc == 4))
		return run_relp((int)num(argv[1]), num(argv[2]),
		    argc == 4 ? num(argv[3]) : 128);
	/* RATE 0: as fast as the receiver takes the events. */
	if (strcmp(argv[0], "tcp-rate") == 0 && argc == 6)
		return run_tcp_rate(argv[1], (int)num(argv[2]),
		    strcmp(argv[3], "0") == 0 ? 0 : (double)num(argv[3]),
		    (double)num(argv[4]), (int)num(argv[5]));
	if (strcmp(argv[0], "http-rate") == 0 && argc == 7)
		return run_http_rate((int)num(argv[1]), argv[2],
		    strcmp(argv[3], "0") == 0 ? 0 : (double)num(argv[3]),
		    num(argv[4]), (double)num(argv[5]), (int)num(argv[6]));
	usage();
}
