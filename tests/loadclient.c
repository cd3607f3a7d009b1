/*
 * loadclient: a test client that sends audit events one at a time and
 * prints each event id on stdout only once the server acknowledged it
 * (HTTP 200 with a receipt, or RELP "rsp 200").  The durability tests kill
 * cairnd under it and then check that every printed id is stored, once.
 * It reconnects and re-sends the unacknowledged event until told to stop.
 *
 *   loadclient http PORT TOKEN COUNT PREFIX
 *   loadclient relp PORT COUNT PREFIX
 *
 * Two modes for the hostile-client tests:
 *
 *   loadclient malformed PORT TOKEN OTHER COUNT SEED
 *	sends COUNT malformed requests (OTHER: a token without the ingest
 *	role), cycling through kinds of wrongness, each built from a PRNG
 *	seeded with SEED, over keep-alive connections; each must get the
 *	status cairnd(8) documents for its kind.  Prints counts per kind;
 *	exit 1 on any other answer or an unexpected connection error.
 *   loadclient timed PORT TOKEN PREFIX MAX_MS STOPFILE
 *	a well-behaved client: sends events PREFIX-0, PREFIX-1, ... one at a
 *	time until STOPFILE exists; each must be answered 200 within MAX_MS.
 *	Prints "acked N max_ms M late L failed F"; exit 1 if L or F.
 */
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int
dial(int port)
{
	struct sockaddr_in sa;
	int fd, on = 1;

	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

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

/* Reads until the buffer holds pat (and, for HTTP, the whole body). */
static ssize_t
readuntil(int fd, char *buf, size_t cap, const char *pat)
{
	size_t n = 0;
	ssize_t r;
	char *h, *cl;
	size_t need;

	for (;;) {
		if (n + 1 >= cap)
			return -1;
		if ((r = read(fd, buf + n, cap - 1 - n)) <= 0) {
			if (r < 0 && errno == EINTR)
				continue;
			return -1;
		}
		n += (size_t)r;
		buf[n] = 0;
		if ((h = strstr(buf, pat)) == NULL)
			continue;
		if (strcmp(pat, "\r\n\r\n") != 0)
			return (ssize_t)n;
		cl = strcasestr(buf, "Content-Length:");
		need = (size_t)(h + 4 - buf) + (cl ? strtoul(cl + 15, NULL, 10) : 0);
		if (n >= need)
			return (ssize_t)n;
	}
}

/* Reads one RELP frame "TXNR CMD LEN DATA\n" into buf (NUL-terminated). */
static int
relp_frame(int fd, char *buf, size_t cap)
{
	size_t n = 0, spaces = 0, datalen = 0, need = 0;
	ssize_t r;
	char c, *p;

	for (;;) {
		if ((r = read(fd, &c, 1)) <= 0) {
			if (r < 0 && errno == EINTR)
				continue;
			return -1;
		}
		if (n + 1 >= cap)
			return -1;
		buf[n++] = c;
		buf[n] = 0;
		if (need == 0 && (c == ' ' || c == '\n')) {
			spaces++;
			if (spaces == 3 || (spaces == 2 && c == '\n')) {
				/* Third token is the data length. */
				p = strrchr(buf, ' ');
				if (spaces == 3) {
					*p = 0;
					p = strrchr(buf, ' ');
					datalen = strtoul(p + 1, NULL, 10);
					*strchr(p + 1, 0) = ' ';
				}
				need = n + datalen + (spaces == 3 ? 1 : 0);
				if (datalen == 0)
					return 0;
			}
		}
		if (need != 0 && n >= need)
			return 0;
	}
}

static void
backoff(void)
{
	struct timespec ts = { 0, 50 * 1000000L };

	nanosleep(&ts, NULL);
}

static int
run_http(int port, const char *token, long count, const char *prefix)
{
	char body[512], req[1024], resp[8192];
	long i = 0;
	int fd = -1, len, n;

	while (i < count) {
		if (fd < 0 && (fd = dial(port)) < 0) {
			backoff();
			continue;
		}
		len = snprintf(body, sizeof body, "{\"id\":\"%s-%ld\","
		    "\"type\":\"account.created\",\"account_kind\":\"personal\","
		    "\"time\":\"2026-11-29T08:00:00Z\",\"account\":\"u-%ld\"}",
		    prefix, i, i % 100);
		n = snprintf(req, sizeof req, "POST /v1/events HTTP/1.1\r\n"
		    "Host: localhost\r\nAuthorization: Bearer %s\r\n"
		    "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
		    token, len, body);
		if (writeall(fd, req, (size_t)n) != 0 ||
		    readuntil(fd, resp, sizeof resp, "\r\n\r\n") < 0) {
			close(fd);
			fd = -1;
			backoff();
			continue;
		}
		if (strncmp(resp, "HTTP/1.1 200", 12) != 0) {
			/* 503 while starting or stopping: send it again. */
			close(fd);
			fd = -1;
			backoff();
			continue;
		}
		/* Acknowledged with a receipt: it must be stored. */
		printf("%s-%ld\n", prefix, i);
		fflush(stdout);
		i++;
	}
	return 0;
}

static int
run_relp(int port, long count, const char *prefix)
{
	char msg[512], frame[1024], resp[1024], want[64];
	static const char offer[] = "relp_version=0\nrelp_software=loadclient\n"
	    "commands=syslog";
	long i = 0, txnr = 1;
	int fd = -1, n, mlen;

	while (i < count) {
		if (fd < 0) {
			if ((fd = dial(port)) < 0) {
				backoff();
				continue;
			}
			txnr = 1;
			n = snprintf(frame, sizeof frame, "%ld open %zu %s\n", txnr,
			    strlen(offer), offer);
			snprintf(want, sizeof want, "%ld rsp ", txnr);
			if (writeall(fd, frame, (size_t)n) != 0 ||
			    relp_frame(fd, resp, sizeof resp) != 0 ||
			    strncmp(resp, want, strlen(want)) != 0) {
				close(fd);
				fd = -1;
				backoff();
				continue;
			}
			txnr++;
		}
		mlen = snprintf(msg, sizeof msg, "<13>1 2026-11-29T08:00:00Z host app"
		    " - - [cairn@32473 id=\"%s-%ld\" type=\"account.created\" "
		    "account=\"u-%ld\" account_kind=\"personal\"] relp load",
		    prefix, i, i % 100);
		n = snprintf(frame, sizeof frame, "%ld syslog %d %s\n", txnr, mlen,
		    msg);
		snprintf(want, sizeof want, "%ld rsp 6 200 OK", txnr);
		if (writeall(fd, frame, (size_t)n) != 0 ||
		    relp_frame(fd, resp, sizeof resp) != 0) {
			close(fd);
			fd = -1;
			backoff();
			continue;
		}
		if (strncmp(resp, want, strlen(want)) != 0) {
			close(fd);
			fd = -1;
			backoff();
			continue;
		}
		printf("%s-%ld\n", prefix, i);
		fflush(stdout);
		txnr++;
		i++;
	}
	return 0;
}

/* raw PORT: sends standard input over one TCP connection, then waits for
 * the server to close it (at most a second): for hand-made bad frames. */
static int
run_raw(int port)
{
	char buf[65536];
	ssize_t n;
	struct timeval tv = { 1, 0 };
	int fd;

	if ((fd = dial(port)) < 0)
		return 1;
	while ((n = read(0, buf, sizeof buf)) > 0)
		if (writeall(fd, buf, (size_t)n) != 0)
			break;
	shutdown(fd, SHUT_WR);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	while (read(fd, buf, sizeof buf) > 0)
		;
	close(fd);
	return 0;
}

/* --- malformed and timed ------------------------------------------------- */

/* A growable string; the modes below exit on out-of-memory. */
struct sbuf {
	char	*p;
	size_t	 len, cap;
};

/* Appends n bytes, keeping a NUL after them. */
static void
sb_add(struct sbuf *b, const char *p, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		while (b->len + n + 1 > b->cap)
			b->cap = b->cap ? b->cap * 2 : 4096;
		if ((b->p = realloc(b->p, b->cap)) == NULL) {
			perror("loadclient");
			exit(2);
		}
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
}

/* Appends a short formatted string (under 1 kB). */
static void __attribute__((format(printf, 2, 3)))
sb_printf(struct sbuf *b, const char *fmt, ...)
{
	char tmp[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof tmp) {
		fprintf(stderr, "loadclient: sb_printf overflow\n");
		exit(2);
	}
	sb_add(b, tmp, (size_t)n);
}

/* Appends c n times. */
static void
sb_rep(struct sbuf *b, const char *c, size_t n)
{
	while (n-- > 0)
		sb_add(b, c, strlen(c));
}

/* splitmix64: the same requests for the same seed, on any machine. */
static uint64_t
rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A number in [lo, hi]. */
static size_t
between(uint64_t *s, size_t lo, size_t hi)
{
	return lo + (size_t)(rnd(s) % (hi - lo + 1));
}

/* The kinds of malformed request, in the order they cycle. */
enum mkind {
	K_BAD_JSON, K_WRONG_TYPES, K_HUGE_FIELD, K_DEEP, K_UTF8,
	K_UNKNOWN_FIELD, K_CTYPE, K_NO_TOKEN, K_BAD_TOKEN, K_WRONG_ROLE,
	K_TRUNCATED, K_RAW_ID, K_BAD_VALUE, K_TOO_LARGE, K_ROUTE, K_FRAMING,
	K_GARBAGE, K_NKINDS
};
static const char *const kind_names[K_NKINDS] = {
	"bad-json", "wrong-types", "huge-field", "deep-nesting",
	"invalid-utf8", "unknown-field", "wrong-content-type", "no-token",
	"wrong-token", "wrong-role", "truncated-body", "raw-id-number",
	"invalid-value", "too-large", "bad-route", "ambiguous-framing",
	"garbage",
};

/* One request to send and what must come back. */
struct mreq {
	struct sbuf	 head;		/* request line and headers */
	struct sbuf	 body;
	int		 expect;	/* status; 0: no answer, the server closes */
	int		 cut;		/* send head and cut bytes of body, then */
	int		 halfclose;	/* ... shut down writing (else close) */
};

/* Sizes the malformed requests assume of the server (tests set them). */
#define M_MAX_BODY	(256 * 1024)	/* cairn.conf max_body */
#define M_MAX_EVENT	65536		/* one event, http.h */
#define M_MAX_DEPTH	64		/* cjson.h: containers in containers */

/* A valid event's members (without braces), id "mal-SEED-N". */
static void
event_members(struct sbuf *b, const char *id)
{
	sb_printf(b, "\"id\":\"%s\",\"type\":\"account.created\","
	    "\"account_kind\":\"personal\",\"time\":\"2026-11-29T08:00:00Z\","
	    "\"account\":\"u-mal\"", id);
}

/* A valid event as a JSON object. */
static void
event(struct sbuf *b, const char *id)
{
	sb_add(b, "{", 1);
	event_members(b, id);
	sb_add(b, "}", 1);
}

/* A valid event with one more member, name and raw JSON value. */
static void
event_with(struct sbuf *b, const char *id, const char *name, const char *val)
{
	sb_add(b, "{", 1);
	event_members(b, id);
	sb_printf(b, ",\"%s\":", name);
	sb_add(b, val, strlen(val));
	sb_add(b, "}", 1);
}

/* An event with one member replaced by a raw JSON value. */
static void
event_replace(struct sbuf *b, const char *id, const char *name,
    const char *val)
{
	static const char *const names[] = { "id", "type", "account_kind",
	    "time", "account" };
	static const char *const vals[] = { NULL, "\"account.created\"",
	    "\"personal\"", "\"2026-11-29T08:00:00Z\"", "\"u-mal\"" };
	size_t i;

	sb_add(b, "{", 1);
	for (i = 0; i < 5; i++) {
		sb_printf(b, "%s\"%s\":", i ? "," : "", names[i]);
		if (strcmp(names[i], name) == 0)
			sb_add(b, val, strlen(val));
		else if (i == 0)
			sb_printf(b, "\"%s\"", id);
		else
			sb_add(b, vals[i], strlen(vals[i]));
	}
	sb_add(b, "}", 1);
}

/* A GB 11643 ID-card number with a valid check character. */
static void
idcard(uint64_t *s, char out[19])
{
	static const int w[17] = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5,
	    8, 4, 2 };
	int i, sum = 0;

	for (i = 0; i < 17; i++) {
		out[i] = (char)('0' + rnd(s) % 10);
		sum += (out[i] - '0') * w[i];
	}
	out[17] = "10X98765432"[sum % 11];
	out[18] = '\0';
}

/*
 * Builds request n of kind k.  Every event carries an id "mal-SEED-N", so
 * that the test can check that none of them was stored.
 */
static void
make_request(struct mreq *m, enum mkind k, uint64_t *s, uint64_t seed,
    long n, const char *token, const char *other)
{
	static const char *const ctypes[] = { "text/plain", "application/xml",
	    "application/x-www-form-urlencoded", "multipart/form-data",
	    "application/json; charset=iso-8859-1", "application/jsonx",
	    "json", "application/json;charset", NULL };
	static const char *const bad_utf8[] = { "\xff", "\xc0\x80", "\x80",
	    "\xe2\x82", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xfe\xfe",
	    "\xc3\x28" };
	const char *method = "POST", *path = "/v1/events", *ct = "application/json";
	const char *auth = token;
	char id[64], val[128], idn[19];
	size_t i, depth, len, extra = 0;
	unsigned v;
	int ndjson = 0, chunked = 0, sendlen = 1;

	memset(m, 0, sizeof *m);
	snprintf(id, sizeof id, "mal-%" PRIu64 "-%ld", seed, n);
	switch (k) {
	case K_BAD_JSON:
		m->expect = 400;
		switch (v = (unsigned)between(s, 0, 10)) {
		case 0:		/* trailing comma */
			sb_printf(&m->body, "{\"id\":\"%s\",\"type\":"
			    "\"account.created\",}", id);
			break;
		case 1:		/* cut short */
			event(&m->body, id);
			m->body.len = between(s, 1, m->body.len - 1);
			break;
		case 2:
			sb_printf(&m->body, "{id:\"%s\"}", id);
			break;
		case 3:
			sb_add(&m->body, "[", 1);
			event(&m->body, id);
			sb_add(&m->body, ",", 1);
			break;
		case 4:		/* not an object */
			sb_printf(&m->body, "%u", (unsigned)between(s, 0, 99999));
			break;
		case 5:		/* two texts */
			event(&m->body, id);
			event(&m->body, id);
			break;
		case 6:
			event_with(&m->body, id, "note", "01");
			break;
		case 7:		/* a raw NUL */
			event(&m->body, id);
			m->body.p[between(s, 1, m->body.len - 2)] = '\0';
			break;
		case 8:
			sb_rep(&m->body, " ", between(s, 0, 3));
			break;
		case 9:		/* NDJSON, one line broken */
			ndjson = 1;
			event(&m->body, id);
			sb_printf(&m->body, "\n{\"id\":\"%s-2\",\n", id);
			break;
		default:
			event_with(&m->body, id, "note", "'single quotes'");
			break;
		}
		break;
	case K_WRONG_TYPES:
		m->expect = 422;
		switch (v = (unsigned)between(s, 0, 7)) {
		case 0:
			event_replace(&m->body, id, "id", "42");
			break;
		case 1:
			event_replace(&m->body, id, "time", "true");
			break;
		case 2:
			event_replace(&m->body, id, "account", "[\"u-1\"]");
			break;
		case 3:
			event_replace(&m->body, id, "account_kind", "{}");
			break;
		case 4:
			event_with(&m->body, id, "refs", "\"ev-1\"");
			break;
		case 5:
			event_with(&m->body, id, "note", "null");
			break;
		case 6:		/* an element that is not an object */
			sb_add(&m->body, "[", 1);
			event(&m->body, id);
			sb_add(&m->body, ",1]", 3);
			break;
		default:
			ndjson = 1;
			sb_add(&m->body, "\"a string\"\n", 11);
			break;
		}
		break;
	case K_HUGE_FIELD:
		/* Over a field's limit: 422; over one event's: 413. */
		v = (unsigned)between(s, 0, 3);
		len = v == 3 ? between(s, M_MAX_EVENT, M_MAX_BODY - 1024) :
		    between(s, v == 0 ? 1025 : 129, M_MAX_EVENT - 1024);
		m->expect = v == 3 ? 413 : 422;
		{
			struct sbuf big = { 0 };

			sb_add(&big, "\"", 1);
			sb_rep(&big, "n", len);
			sb_add(&big, "\"", 1);
			if (v == 1)
				event_replace(&m->body, id, "id", big.p);
			else if (v == 2)
				event_replace(&m->body, id, "account", big.p);
			else
				event_with(&m->body, id, "note", big.p);
			free(big.p);
		}
		break;
	case K_DEEP:
		/* The event object is one level: deeper than the parser's
		 * bound is malformed (400), else the field's type is wrong. */
		depth = between(s, 1, 400);
		m->expect = depth + 1 > M_MAX_DEPTH ? 400 : 422;
		sb_add(&m->body, "{", 1);
		event_members(&m->body, id);
		sb_add(&m->body, ",\"note\":", 8);
		if (between(s, 0, 1)) {
			sb_rep(&m->body, "[", depth);
			sb_rep(&m->body, "]", depth);
		} else {
			sb_rep(&m->body, "{\"a\":", depth);
			sb_add(&m->body, "1", 1);
			sb_rep(&m->body, "}", depth);
		}
		sb_add(&m->body, "}", 1);
		break;
	case K_UTF8:
		m->expect = 400;
		snprintf(val, sizeof val, "\"bad %s here\"",
		    bad_utf8[between(s, 0, sizeof bad_utf8 / sizeof bad_utf8[0] -
		    1)]);
		v = (unsigned)between(s, 0, 2);
		if (v == 0)
			event_with(&m->body, id, "note", val);
		else if (v == 1) {	/* in a member name */
			sb_add(&m->body, "{", 1);
			event_members(&m->body, id);
			sb_printf(&m->body, ",%s:\"x\"}", val);
		} else {
			ndjson = 1;
			event(&m->body, id);
			sb_add(&m->body, "\n", 1);
			event_replace(&m->body, id, "account", val);
		}
		break;
	case K_UNKNOWN_FIELD:
		m->expect = 422;
		snprintf(val, sizeof val, "colour%u", (unsigned)between(s, 0, 999));
		event_with(&m->body, id, val, between(s, 0, 1) ? "\"blue\"" :
		    "{\"nested\":[1,2,3]}");
		break;
	case K_CTYPE:
		m->expect = 415;
		event(&m->body, id);
		v = (unsigned)between(s, 0, sizeof ctypes / sizeof ctypes[0]);
		if (v == sizeof ctypes / sizeof ctypes[0]) {
			/* A content coding cairnd does not do. */
			sb_add(&m->head, "Content-Encoding: gzip\r\n", 24);
		} else
			ct = ctypes[v];
		break;
	case K_NO_TOKEN:
		m->expect = 401;
		event(&m->body, id);
		v = (unsigned)between(s, 0, 3);
		auth = NULL;
		if (v == 1)
			sb_add(&m->head, "Authorization: Basic dXNlcjpwYXNz\r\n",
			    35);
		else if (v == 2)
			sb_add(&m->head, "Authorization: Bearer\r\n", 23);
		else if (v == 3)
			sb_printf(&m->head, "Authorization: Bearer %s %s\r\n",
			    token, token);
		break;
	case K_BAD_TOKEN:
		m->expect = 401;
		event(&m->body, id);
		auth = NULL;
		sb_add(&m->head, "Authorization: Bearer ", 22);
		len = between(s, 0, 3) == 0 ? between(s, 1, 400) : strlen(token);
		for (i = 0; i < len; i++)
			sb_printf(&m->head, "%c", "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef"
			    "ghijklmnopqrstuvwxyz0123456789-_"[rnd(s) % 64]);
		sb_add(&m->head, "\r\n", 2);
		break;
	case K_WRONG_ROLE:
		m->expect = 403;
		event(&m->body, id);
		auth = other;
		break;
	case K_TRUNCATED:
		/* Content-Length larger than what is sent, then the client
		 * goes away: no answer, nothing stored, nothing wedged. */
		m->expect = 0;
		event(&m->body, id);
		m->cut = (int)between(s, 0, m->body.len - 1);
		m->halfclose = (int)between(s, 0, 1);
		if (between(s, 0, 2) == 0) {
			chunked = 1;
			sendlen = 0;
		}
		extra = between(s, 1, 1000);
		break;
	case K_RAW_ID:
		m->expect = 422;
		idcard(s, idn);
		switch (v = (unsigned)between(s, 0, 3)) {
		case 0:
			snprintf(val, sizeof val, "\"%s\"", idn);
			event_with(&m->body, id, "note", val);
			break;
		case 1:
			snprintf(val, sizeof val, "\"%s\"", idn);
			event_replace(&m->body, id, "account", val);
			break;
		case 2:
			snprintf(val, sizeof val, "\"+86 13%u %04u %04u\"",
			    (unsigned)between(s, 0, 9),
			    (unsigned)between(s, 0, 9999),
			    (unsigned)between(s, 0, 9999));
			event_with(&m->body, id, "actor", val);
			break;
		default:
			snprintf(val, sizeof val, "\"1%u%09u\"",
			    (unsigned)between(s, 3, 9),
			    (unsigned)between(s, 0, 999999999));
			event_with(&m->body, id, "note", val);
			break;
		}
		break;
	case K_BAD_VALUE:
		m->expect = 422;
		switch (v = (unsigned)between(s, 0, 5)) {
		case 0:
			event_replace(&m->body, id, "time",
			    "\"2026-13-45T00:00:00Z\"");
			break;
		case 1:
			event_replace(&m->body, id, "account_kind", "\"alien\"");
			break;
		case 2:
			event_replace(&m->body, id, "type",
			    "\"account.exploded\"");
			break;
		case 3:
			event_replace(&m->body, id, "time",
			    "\"2026-11-29T08:00:00+25:00\"");
			break;
		case 4:
			event_replace(&m->body, id, "account", "\"\"");
			break;
		default:
			event_with(&m->body, id, "refs", "[1,2]");
			break;
		}
		break;
	case K_TOO_LARGE:
		m->expect = 413;
		v = (unsigned)between(s, 0, 2);
		if (v == 0) {
			/* Declared: refused on the headers, body never sent. */
			sb_printf(&m->head, "Content-Length: %zu\r\n",
			    between(s, M_MAX_BODY + 1, 64 * M_MAX_BODY));
			sendlen = 0;
			m->cut = -1;
		} else if (v == 1) {
			/* Chunked, growing past max_body. */
			chunked = 1;
			sendlen = 0;
			sb_add(&m->body, "[", 1);
			event(&m->body, id);
			sb_rep(&m->body, " ", between(s, M_MAX_BODY,
			    M_MAX_BODY + M_MAX_BODY / 2));
			sb_add(&m->body, "]", 1);
		} else {
			/* A length MHD cannot even hold. */
			sb_add(&m->head,
			    "Content-Length: 99999999999999999999\r\n", 38);
			sendlen = 0;
			m->cut = -1;
		}
		break;
	case K_ROUTE:
		event(&m->body, id);
		switch (v = (unsigned)between(s, 0, 4)) {
		case 0:
			method = "GET";
			m->expect = 405;
			break;
		case 1:
			method = "PUT";
			m->expect = 405;
			break;
		case 2:
			path = "/v1/event";
			m->expect = 404;
			break;
		case 3:
			path = "/v1/events/extra";
			m->expect = 404;
			break;
		default:
			method = "DELETE";
			path = "/healthz";
			m->expect = 405;
			break;
		}
		break;
	case K_FRAMING:
		m->expect = 400;
		event(&m->body, id);
		v = (unsigned)between(s, 0, 2);
		if (v == 0)
			sb_printf(&m->head, "Content-Length: %zu\r\n",
			    m->body.len + 1);
		else if (v == 1)
			sb_add(&m->head, "Transfer-Encoding: chunked\r\n", 28);
		else
			sb_add(&m->head, "Transfer-Encoding: gzip\r\n", 25);
		break;
	case K_GARBAGE:
		/* Not HTTP at all: libmicrohttpd answers 400 and closes. */
		m->expect = 400;
		v = (unsigned)between(s, 0, 3);
		if (v == 0)
			sb_printf(&m->head, "POST /v1/events HTTP/1.1 extra\r\n"
			    "Host: localhost\r\n\r\n");
		else if (v == 1)
			sb_printf(&m->head, "POST /v1/events\r\n"
			    "Host: localhost\r\n\r\n");
		else if (v == 2)
			sb_printf(&m->head, "POST /v1/events HTTP/1.1\r\n"
			    "Host: localhost\r\nNo colon here\r\n\r\n");
		else
			sb_printf(&m->head, "POST /v1/events HTTP/1.1\r\n"
			    "Host: localhost\r\nAuthorization: Bearer %s\r\n"
			    "Content-Type: application/json\r\n"
			    "Transfer-Encoding: chunked\r\n\r\n"
			    "zz\r\n{}\r\n0\r\n\r\n", token);
		return;
	default:
		abort();
	}
	/* The request line and the usual headers, before any extra ones. */
	{
		struct sbuf h = { 0 };

		sb_printf(&h, "%s %s HTTP/1.1\r\nHost: localhost\r\n", method,
		    path);
		if (auth != NULL)
			sb_printf(&h, "Authorization: Bearer %s\r\n", auth);
		if (ct != NULL)
			sb_printf(&h, "Content-Type: %s\r\n",
			    ndjson ? "application/x-ndjson" : ct);
		if (m->head.len > 0)
			sb_add(&h, m->head.p, m->head.len);
		if (sendlen)
			sb_printf(&h, "Content-Length: %zu\r\n", m->body.len +
			    extra);
		if (chunked)
			sb_add(&h, "Transfer-Encoding: chunked\r\n", 28);
		sb_add(&h, "\r\n", 2);
		free(m->head.p);
		m->head = h;
	}
	if (chunked) {
		struct sbuf c = { 0 };
		size_t off, step;

		for (off = 0; off < m->body.len; off += step) {
			step = m->body.len - off < 8192 ? m->body.len - off :
			    8192;
			sb_printf(&c, "%zx\r\n", step);
			sb_add(&c, m->body.p + off, step);
			sb_add(&c, "\r\n", 2);
		}
		if (k != K_TRUNCATED)
			sb_add(&c, "0\r\n\r\n", 5);
		free(m->body.p);
		m->body = c;
		if (m->cut > 0 && (size_t)m->cut >= m->body.len)
			m->cut = (int)m->body.len - 1;
	}
	if (m->cut < 0) {
		m->body.len = 0;
		m->cut = 0;
	}
}

/* Milliseconds on a monotonic clock. */
static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/*
 * Reads one response: its status (0 if the connection ended first) and
 * whether the server closes after it.  The body is read by Content-Length
 * and kept in resp (NUL-terminated, cut at cap).
 */
static int
read_response(int fd, struct sbuf *resp, int *closing)
{
	char buf[65536], *h, *cl;
	size_t need = 0, hlen = 0;
	ssize_t r;
	int status = 0;

	resp->len = 0;
	sb_add(resp, "", 0);
	*closing = 1;
	for (;;) {
		if (hlen > 0 && resp->len >= need)
			break;
		if ((r = read(fd, buf, sizeof buf)) <= 0) {
			if (r < 0 && errno == EINTR)
				continue;
			return hlen > 0 ? status : 0;
		}
		sb_add(resp, buf, (size_t)r);
		if (hlen > 0 || (h = strstr(resp->p, "\r\n\r\n")) == NULL)
			continue;
		hlen = (size_t)(h + 4 - resp->p);
		if (sscanf(resp->p, "HTTP/1.%*c %d", &status) != 1)
			return -1;
		*h = '\0';
		cl = strcasestr(resp->p, "\r\nContent-Length:");
		need = hlen + (cl ? strtoul(cl + 17, NULL, 10) : 0);
		*closing = strcasestr(resp->p, "\r\nConnection: close") != NULL;
		*h = '\r';
	}
	return status;
}

/* Sends a truncated request and checks the server lets go of it. */
static int
truncated(int port, const struct mreq *m)
{
	struct timeval tv = { 5, 0 };
	char buf[4096];
	ssize_t r;
	int fd;

	if ((fd = dial(port)) < 0)
		return -1;
	if (writeall(fd, m->head.p, m->head.len) != 0 ||
	    writeall(fd, m->body.p, (size_t)m->cut) != 0) {
		close(fd);
		return -1;
	}
	if (!m->halfclose) {
		close(fd);
		return 0;
	}
	/* The end of the stream in the middle of the body: the server
	 * closes the connection without an answer, promptly. */
	shutdown(fd, SHUT_WR);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	r = read(fd, buf, sizeof buf);
	close(fd);
	return r == 0 || (r < 0 && errno == ECONNRESET) ? 0 : -1;
}

/* Sends the malformed requests and checks every answer. */
static int
run_malformed(int port, const char *token, const char *other, long count,
    uint64_t seed)
{
	struct mreq m;
	struct sbuf resp = { 0 };
	long n, per[K_NKINDS] = { 0 }, bad = 0, reconnects = 0, errors = 0;
	uint64_t s = seed;
	enum mkind k;
	int fd = -1, status, closing, reused, tries;

	for (n = 0; n < count; n++) {
		k = (enum mkind)(n % K_NKINDS);
		make_request(&m, k, &s, seed, n, token, other);
		per[k]++;
		if (k == K_TRUNCATED) {
			if (truncated(port, &m) != 0) {
				fprintf(stderr, "request %ld (%s): the server "
				    "kept a truncated request open\n", n,
				    kind_names[k]);
				errors++;
			}
			goto next;
		}
		for (tries = 0;; tries++) {
			reused = fd >= 0;
			if (fd < 0 && (fd = dial(port)) < 0) {
				fprintf(stderr, "request %ld: cannot connect\n",
				    n);
				errors++;
				goto next;
			}
			if (!reused && n > 0)
				reconnects++;
			/* A failed write is the server closing early: the
			 * answer may be waiting all the same. */
			(void)(writeall(fd, m.head.p, m.head.len) == 0 &&
			    writeall(fd, m.body.p, m.body.len) == 0);
			status = read_response(fd, &resp, &closing);
			if (status == 0 || closing) {
				close(fd);
				fd = -1;
			}
			/* A kept connection the server had just closed. */
			if (status == 0 && reused && tries == 0)
				continue;
			break;
		}
		if (status != m.expect) {
			fprintf(stderr, "request %ld (%s): status %d, want %d: "
			    "%.300s\n", n, kind_names[k], status, m.expect,
			    resp.p ? resp.p : "");
			if (status <= 0)
				errors++;
			else
				bad++;
		}
next:
		free(m.head.p);
		free(m.body.p);
	}
	if (fd >= 0)
		close(fd);
	free(resp.p);
	for (k = 0; k < K_NKINDS; k++)
		printf("%-20s %ld\n", kind_names[k], per[k]);
	printf("malformed: %ld requests, %ld wrong answers, %ld connection "
	    "errors, %ld reconnects\n", count, bad, errors, reconnects);
	return bad == 0 && errors == 0 ? 0 : 1;
}

/* The well-behaved client: one event at a time, each answered in time. */
static int
run_timed(int port, const char *token, const char *prefix, long max_ms,
    const char *stopfile)
{
	struct sbuf req = { 0 }, body = { 0 }, resp = { 0 };
	struct stat st;
	struct timespec pause = { 0, 5 * 1000000L };
	double t0, dt, worst = 0;
	long i, late = 0, failed = 0;
	int fd = -1, status, closing;

	for (i = 0; stat(stopfile, &st) != 0; i++) {
		body.len = req.len = 0;
		sb_printf(&body, "{\"id\":\"%s-%ld\",\"type\":\"account.created\","
		    "\"account_kind\":\"personal\",\"time\":"
		    "\"2026-11-29T08:00:00Z\",\"account\":\"u-%ld\"}", prefix,
		    i, i % 100);
		sb_printf(&req, "POST /v1/events HTTP/1.1\r\nHost: localhost\r\n"
		    "Authorization: Bearer %s\r\nContent-Type: application/json"
		    "\r\nContent-Length: %zu\r\n\r\n", token, body.len);
		sb_add(&req, body.p, body.len);
		t0 = now_ms();
		if (fd < 0)
			fd = dial(port);
		status = fd < 0 || writeall(fd, req.p, req.len) != 0 ? 0 :
		    read_response(fd, &resp, &closing);
		dt = now_ms() - t0;
		if (status != 200 || strstr(resp.p, "\"receipts\"") == NULL) {
			fprintf(stderr, "%s-%ld: status %d: %.200s\n", prefix, i,
			    status, resp.p ? resp.p : "");
			failed++;
		}
		if (dt > worst)
			worst = dt;
		if (dt > max_ms) {
			fprintf(stderr, "%s-%ld: answered after %.0f ms\n",
			    prefix, i, dt);
			late++;
		}
		if (fd >= 0 && (status != 200 || closing)) {
			close(fd);
			fd = -1;
		}
		nanosleep(&pause, NULL);
	}
	if (fd >= 0)
		close(fd);
	free(req.p);
	free(body.p);
	free(resp.p);
	printf("acked %ld max_ms %.0f late %ld failed %ld\n", i - failed,
	    worst, late, failed);
	return late == 0 && failed == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (argc == 3 && strcmp(argv[1], "raw") == 0)
		return run_raw(atoi(argv[2]));
	if (argc == 6 && strcmp(argv[1], "http") == 0)
		return run_http(atoi(argv[2]), argv[3], atol(argv[4]), argv[5]);
	if (argc == 5 && strcmp(argv[1], "relp") == 0)
		return run_relp(atoi(argv[2]), atol(argv[3]), argv[4]);
	if (argc == 7 && strcmp(argv[1], "malformed") == 0)
		return run_malformed(atoi(argv[2]), argv[3], argv[4],
		    atol(argv[5]), strtoull(argv[6], NULL, 10));
	if (argc == 7 && strcmp(argv[1], "timed") == 0)
		return run_timed(atoi(argv[2]), argv[3], argv[4], atol(argv[5]),
		    argv[6]);
	fprintf(stderr, "usage: loadclient http PORT TOKEN COUNT PREFIX | "
	    "relp PORT COUNT PREFIX |\n"
	    "       malformed PORT TOKEN OTHER COUNT SEED | "
	    "timed PORT TOKEN PREFIX MAX_MS STOPFILE\n");
	return 2;
}
