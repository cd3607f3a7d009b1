/*
 * fuzz_http_request.c: cairnd's HTTP front end as a whole.  Each input is
 * the raw bytes a client sends on one connection (one or more HTTP/1.1
 * requests, or anything else), written over loopback to the real server:
 * http.c's handler, routing and token checks, body decoding, /v1/events
 * ingest into a real temporary store, the query and report endpoints.
 *
 * The server runs in this process, started once as cairnd starts it (a
 * store, a key, a token file, the writer thread).  Per input: connect from
 * a fresh loopback address (so that auth_fail_limit throttles only within
 * one input), write the bytes, shut down the write side, read until the
 * server closes.  Invariants, abort() if broken:
 *  - the server closes the connection within WEDGE_SECONDS;
 *  - every response is a well-formed HTTP/1.x status line and headers with
 *    a status cairnd documents (or one libmicrohttpd sends for a request
 *    it cannot parse), and a JSON body where it says application/json;
 *  - without a valid token anywhere in the input, no 2xx other than the
 *    public /healthz and GET /v1/checkpoint, no entry stored and no
 *    checkpoint signed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cairnd.h"

#define ORIGIN		"fuzz.example/cairn"
#define WEDGE_SECONDS	10	/* the server must close by then */
#define IDLE_MS		5	/* no answer for this long: end the stream */
#define FUZZ_MAX_INPUT	(1024 * 1024)
#define FUZZ_MAX_RESPONSE	(4 * 1024 * 1024)

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* The daemon's shared context (cairnd.c's, which holds main()). */
struct cairnd cairnd;
static pthread_mutex_t tokens_lock = PTHREAD_MUTEX_INITIALIZER;

/*
 * Fixed secrets, so that the seed corpus and the dictionary can carry
 * them (43 base64url characters, like `cairn token add` makes).
 */
static const struct {
	const char	*name, *roles, *secret;
} fuzz_tokens[] = {
	{ "platform", "ingest", "ingestTOKEN00000000000000000000000000000000" },
	{ "responder", "query", "queryTOKEN000000000000000000000000000000000" },
	{ "auditor", "report", "reportTOKEN00000000000000000000000000000000" },
	{ "operator", "admin", "adminTOKEN000000000000000000000000000000000" },
	{ "all", "ingest,query,report,admin",
	    "allTOKEN00000000000000000000000000000000000" },
};

static char		 dir[256];
static struct config	 cfg;
static struct http_server *srv;
static int		 port;
static unsigned		 nconn;

/* cairnd.c's token lookup under the reload lock. */
const struct token *
cairnd_auth(const char *secret, size_t len, struct token *copy)
{
	const struct token *t;

	pthread_mutex_lock(&tokens_lock);
	t = cairnd.tokens ? tokens_check(cairnd.tokens, secret, len) : NULL;
	if (t != NULL)
		*copy = *t;
	pthread_mutex_unlock(&tokens_lock);
	return t != NULL ? copy : NULL;
}

/*
 * The daemon's log (log.c's interface), quiet: malformed requests are the
 * normal case here.  Errors still show, since cairnd logs them only when
 * something broke.
 */

/* Takes no settings: nothing is opened. */
void
log_init(const char *prog, int fg, int debug)
{
	(void)prog;
	(void)fg;
	(void)debug;
}

/* Drops an informational message. */
void
log_info(const char *fmt, ...)
{
	(void)fmt;
}

/* Drops a warning: peers' mistakes are warnings. */
void
log_warn(const char *fmt, ...)
{
	(void)fmt;
}

/* Drops a debug message. */
void
log_debug(const char *fmt, ...)
{
	(void)fmt;
}

/* Shows an error on stderr. */
void
log_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "cairnd error: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
}

/* Stops with a message: a broken invariant or a setup failure. */
static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "fuzz_http_request: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	abort();
}

/* Writes a small file. */
static void
put_file(const char *path, const char *text, mode_t mode)
{
	int fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    mode)) < 0 || write(fd, text, strlen(text)) !=
	    (ssize_t)strlen(text) || close(fd) != 0)
		die("%s: %s", path, strerror(errno));
}

/* Removes one file or directory (for nftw). */
static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Removes every export written so far (the fuzzer invents many names). */
static void
clean_reports(void)
{
	char path[512];

	snprintf(path, sizeof path, "%s/reports", dir);
	(void)nftw(path, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

/* Stops the server and the writer and removes the temporary store. */
static void
teardown(void)
{
	if (srv == NULL)
		return;
	cairnd.stopping = 1;
	http_stop(srv);
	srv = NULL;
	writer_stop(cairnd.writer);
	cairn_store_close(cairnd.store);
	cairn_seckey_free(cairnd.sk);
	cairn_catalog_free(cairnd.cat);
	tokens_free(cairnd.tokens);
	config_free(&cfg);
	(void)nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

/* Starts cairnd's HTTP server in this process, as cairnd.c does. */
static void
setup(void)
{
	struct sockaddr_in sa;
	struct cairn_pubkey pk;
	struct cairn_store_opts so;
	struct listener l;
	socklen_t sl = sizeof sa;
	uint8_t h[CAIRN_HASH_LEN];
	char path[512], text[2048], hex[CAIRN_HEX_LEN + 1], e[1024];
	const char *tmp;
	size_t i, o;
	int fd, rc;

	signal(SIGPIPE, SIG_IGN);
	/* tmpfs where there is one: commits are fsynced. */
	tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" :
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";
	snprintf(dir, sizeof dir, "%s/cairn-fuzz-http.XXXXXX", tmp);
	if (mkdtemp(dir) == NULL)
		die("mkdtemp %s: %s", dir, strerror(errno));
	if ((rc = cairn_key_generate(&cairnd.sk)) != 0)
		die("key: %s", cairn_strerror(rc));
	cairn_seckey_public(cairnd.sk, &pk);
	snprintf(path, sizeof path, "%s/store", dir);
	if ((rc = cairn_store_create(path, ORIGIN, pk.pk, NULL)) != 0)
		die("store: %s", cairn_strerror(rc));
	snprintf(path, sizeof path, "%s/cairn.key", dir);
	if ((rc = cairn_seckey_write(path, cairnd.sk, NULL, 0, 0)) != 0)
		die("key file: %s", cairn_strerror(rc));
	for (i = 0, o = 0; i < sizeof fuzz_tokens / sizeof fuzz_tokens[0]; i++) {
		cairn_sha256(fuzz_tokens[i].secret,
		    strlen(fuzz_tokens[i].secret), h);
		cairn_hex(h, CAIRN_HASH_LEN, hex);
		o += (size_t)snprintf(text + o, sizeof text - o, "%s %s %s\n",
		    fuzz_tokens[i].name, fuzz_tokens[i].roles, hex);
	}
	snprintf(path, sizeof path, "%s/tokens", dir);
	put_file(path, text, 0600);
	/*
	 * A small max_body so that both 413 paths (declared and chunked)
	 * are in reach; no batching delay and no timed checkpoints, so that
	 * an input's effects are over when its answers are.
	 */
	snprintf(text, sizeof text, "store = %s/store\nkey = %s/cairn.key\n"
	    "tokens = %s/tokens\nreports = %s/reports\nuser = root\n"
	    "listen http 127.0.0.1:1\nbatch_delay_ms = 0\n"
	    "checkpoint_interval = 86400\nmax_body = 2048\n"
	    "auth_fail_limit = 3\n", dir, dir, dir, dir);
	snprintf(path, sizeof path, "%s/cairn.conf", dir);
	put_file(path, text, 0600);
	if (config_load(path, &cfg, e, sizeof e) != 0)
		die("%s", e);
	if (tokens_load(cfg.tokens, &cairnd.tokens, e, sizeof e) != 0)
		die("%s", e);
	cairnd.cfg = &cfg;
	memset(&so, 0, sizeof so);
	so.map_size = cfg.map_size;
	so.max_size = cfg.max_size;
	if ((rc = cairn_store_open(cfg.store, &so, 0, &cairnd.store)) != 0)
		die("open store: %s", cairn_strerror(rc));
	if ((rc = cairn_catalog_default(&cairnd.cat)) != 0)
		die("catalog: %s", cairn_strerror(rc));
	if ((rc = writer_start(&cairnd.writer, cairnd.store, &cfg,
	    cairnd.sk)) != 0)
		die("writer: %s", cairn_strerror(rc));
	/* The listening socket, bound as cairnd binds it, on any free port. */
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
	    listen(fd, 512) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) != 0)
		die("listen: %s", strerror(errno));
	port = ntohs(sa.sin_port);
	memset(&l, 0, sizeof l);
	l.kind = L_HTTP;
	snprintf(l.host, sizeof l.host, "127.0.0.1");
	snprintf(l.port, sizeof l.port, "%d", port);
	l.fd = fd;
	if ((rc = http_start(&srv, &l, 0)) != 0)
		die("http_start: %d", rc);
	atexit(teardown);
}

/* Starts the server once (libFuzzer calls this; the replay driver not). */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (srv == NULL)
		setup();
	return 0;
}

/* A counter of cairnd's metrics text, or 0. */
static uint64_t
metric(const char *name)
{
	struct cairn_buf b = { 0 };
	const char *p;
	size_t n = strlen(name);
	uint64_t v = 0;

	if (metrics_render(&b) == 0 && b.p != NULL)
		for (p = (const char *)b.p; p != NULL && *p != '\0';
		    p = strchr(p, '\n'), p = p ? p + 1 : NULL)
			if (strncmp(p, name, n) == 0 && p[n] == ' ') {
				v = strtoull(p + n + 1, NULL, 10);
				break;
			}
	cairn_buf_free(&b);
	return v;
}

/* Connects to the server from 127.1.X.Y, a new address each time. */
static int
dial(void)
{
	struct sockaddr_in sa;
	unsigned n = nconn++ % (250 * 250);
	int fd, one = 1;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		die("socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(0x7f010000u | ((n / 250 + 1) << 8) |
	    (n % 250 + 1));
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0)
		die("bind: %s", strerror(errno));
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0)
		die("connect: %s", strerror(errno));
	return fd;
}

/* How many times [p, p + n) holds s. */
static size_t
count(const uint8_t *p, size_t n, const char *s)
{
	const uint8_t *q;
	size_t c = 0, len = strlen(s);

	while ((q = memmem(p, n, s, len)) != NULL) {
		c++;
		n -= (size_t)(q + len - p);
		p = q + len;
	}
	return c;
}

/* The final (not 1xx) responses in [p, p + n), roughly: status lines. */
static size_t
finals(const uint8_t *p, size_t n)
{
	size_t c = 0, i;

	for (i = 0; i + 10 <= n; i++)
		if ((i == 0 || p[i - 1] == '\n') &&
		    memcmp(p + i, "HTTP/1.", 7) == 0 && p[i + 8] == ' ' &&
		    p[i + 9] >= '2' && p[i + 9] <= '5')
			c++;
	return c;
}

/*
 * Sends the input and reads until the server closes; *reset if it reset
 * the connection (what it sent last may then be lost).  libmicrohttpd
 * answers no more requests once it has read the end of the stream, so an
 * input with several request lines keeps the write side open until that
 * many answers came, or none for IDLE_MS, and only then shuts it down.
 */
static uint8_t *
exchange(const uint8_t *data, size_t size, size_t *outlen, int *reset)
{
	struct pollfd pfd;
	struct timespec t0, now;
	uint8_t *buf;
	size_t n = 0, cap = 65536, want;
	ssize_t r;
	int fd, ms, wait, rc, wr = 1;

	*reset = 0;
	want = count(data, size, " HTTP/1.");
	fd = dial();
	while (size > 0) {
		if ((r = send(fd, data, size, MSG_NOSIGNAL)) < 0) {
			if (errno == EINTR)
				continue;
			break;		/* the server closed early: fine */
		}
		data += r;
		size -= (size_t)r;
	}
	if (want <= 1) {
		shutdown(fd, SHUT_WR);
		wr = 0;
	}
	if ((buf = malloc(cap)) == NULL)
		die("out of memory");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		ms = (int)((now.tv_sec - t0.tv_sec) * 1000 +
		    (now.tv_nsec - t0.tv_nsec) / 1000000);
		if (ms >= WEDGE_SECONDS * 1000)
			die("the server did not close the connection within "
			    "%d s", WEDGE_SECONDS);
		wait = WEDGE_SECONDS * 1000 - ms;
		if (wr && wait > IDLE_MS)
			wait = IDLE_MS;
		pfd.fd = fd;
		pfd.events = POLLIN;
		if ((rc = poll(&pfd, 1, wait)) < 0 && errno != EINTR)
			die("poll: %s", strerror(errno));
		if (rc == 0 && wr) {
			/* Idle: the rest is no request it can answer. */
			shutdown(fd, SHUT_WR);
			wr = 0;
			clock_gettime(CLOCK_MONOTONIC, &t0);
		}
		if (rc <= 0)
			continue;
		if (n == cap) {
			if (cap >= FUZZ_MAX_RESPONSE)
				die("more than %d bytes of answers",
				    FUZZ_MAX_RESPONSE);
			cap *= 2;
			if ((buf = realloc(buf, cap)) == NULL)
				die("out of memory");
		}
		if ((r = recv(fd, buf + n, cap - n, 0)) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			if (errno != ECONNRESET)
				die("recv: %s", strerror(errno));
			*reset = 1;
			break;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (wr && finals(buf, n) >= want) {
			shutdown(fd, SHUT_WR);
			wr = 0;
			clock_gettime(CLOCK_MONOTONIC, &t0);
		}
	}
	close(fd);
	*outlen = n;
	return buf;
}

/* 1 if status is one cairnd documents, or libmicrohttpd's own answer to a
 * request it cannot parse (400, 413, 414, 417, 431, 501, 505), or 100. */
static int
status_ok(unsigned s)
{
	switch (s) {
	case 100: case 200: case 201:
	case 400: case 401: case 403: case 404: case 405: case 409: case 413:
	case 414: case 415: case 417: case 422: case 429: case 431:
	case 501: case 503: case 505:
		return 1;
	default:
		return 0;
	}
}

/* A header's value in [h, e) (a response's header block), or NULL. */
static const char *
header(const char *h, const char *e, const char *name, size_t *len)
{
	size_t n = strlen(name);
	const char *p, *eol;

	for (p = h; p < e; p = eol + 2) {
		if ((eol = memmem(p, (size_t)(e - p), "\r\n", 2)) == NULL)
			eol = e;
		if ((size_t)(eol - p) > n && strncasecmp(p, name, n) == 0 &&
		    p[n] == ':') {
			for (p += n + 1; p < eol && *p == ' '; p++)
				;
			*len = (size_t)(eol - p);
			return p;
		}
		if (eol == e)
			break;
	}
	return NULL;
}

/* 1 if [p, p + n) starts a response. */
static int
starts_response(const uint8_t *p, size_t n)
{
	return n >= 7 && memcmp(p, "HTTP/1.", 7) == 0;
}

/* 1 if the body of a 2xx is one that anybody may see: "ok", a signed
 * checkpoint, or none (HEAD). */
static int
public_body(const uint8_t *b, size_t n)
{
	return n == 0 || (n == 3 && memcmp(b, "ok\n", 3) == 0) ||
	    (n > sizeof ORIGIN && memcmp(b, ORIGIN "\n", sizeof ORIGIN) == 0);
}

/* Checks every response on the connection; auth: the input held no
 * valid token, so only public answers may be 2xx. */
static void
check_responses(const uint8_t *buf, size_t n, int reset, int noauth,
    unsigned *created)
{
	const uint8_t *p = buf, *end = buf + n, *body;
	const char *hend, *v;
	unsigned long long clen;
	unsigned status;
	size_t vlen, blen;
	json_t *j;
	char *e;

	while (p < end) {
		if (!starts_response(p, (size_t)(end - p)))
			die("not a status line at byte %zu", (size_t)(p - buf));
		hend = memmem(p, (size_t)(end - p), "\r\n\r\n", 4);
		if (hend == NULL) {
			if (reset)
				return;
			die("response at byte %zu ends in its headers",
			    (size_t)(p - buf));
		}
		if (hend - (const char *)p < 13 || (p[7] != '0' && p[7] != '1') ||
		    p[8] != ' ' || p[9] < '1' || p[9] > '5' || p[10] < '0' ||
		    p[10] > '9' || p[11] < '0' || p[11] > '9' || p[12] != ' ')
			die("bad status line at byte %zu: %.40s",
			    (size_t)(p - buf), (const char *)p);
		status = (unsigned)(p[9] - '0') * 100 +
		    (unsigned)(p[10] - '0') * 10 + (unsigned)(p[11] - '0');
		if (!status_ok(status))
			die("undocumented status %u", status);
		body = (const uint8_t *)hend + 4;
		if (status < 200) {
			p = body;
			continue;
		}
		v = header((const char *)p, hend, "Content-Length", &vlen);
		if (v == NULL)
			die("status %u without Content-Length", status);
		errno = 0;
		clen = strtoull(v, &e, 10);
		if (errno != 0 || e != v + vlen)
			die("bad Content-Length in a %u", status);
		/* The body, or none: a HEAD (its Content-Length is the GET's). */
		if (clen <= (unsigned long long)(end - body) &&
		    (body + clen == end || starts_response(body + clen,
		    (size_t)(end - body - clen))))
			blen = (size_t)clen;
		else if (body == end || starts_response(body,
		    (size_t)(end - body)))
			blen = 0;
		else if (reset)
			return;
		else
			die("a %u whose body is not Content-Length long", status);
		v = header((const char *)p, hend, "Content-Type", &vlen);
		if (blen > 0 && v != NULL && vlen >= 16 &&
		    strncmp(v, "application/json", 16) == 0) {
			if ((j = json_loadb((const char *)body, blen, 0,
			    NULL)) == NULL)
				die("a %u with a body that is not JSON: %.*s",
				    status, (int)blen, (const char *)body);
			json_decref(j);
		}
		if (status == 201)
			(*created)++;
		if (noauth && status / 100 == 2 && (v == NULL ||
		    vlen != 25 || strncmp(v, "text/plain; charset=utf-8", 25) != 0 ||
		    !public_body(body, blen)))
			die("%u without a valid token: %.*s", status,
			    (int)(hend - (const char *)p), (const char *)p);
		p = body + blen;
	}
}

/* Sends one input to the server and checks what comes back. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t size0, size1, cp0 = 0, cp1;
	uint8_t *buf;
	size_t n, i;
	unsigned created = 0;
	int reset, noauth = 1;

	if (size > FUZZ_MAX_INPUT)
		return 0;
	if (srv == NULL)
		setup();
	for (i = 0; i < sizeof fuzz_tokens / sizeof fuzz_tokens[0]; i++)
		if (memmem(data, size, fuzz_tokens[i].secret,
		    strlen(fuzz_tokens[i].secret)) != NULL)
			noauth = 0;
	size0 = writer_tree_size(cairnd.writer);
	if (noauth)
		cp0 = metric("cairn_checkpoints_total");
	buf = exchange(data, size, &n, &reset);
	/* To see what the server answers to a corpus file. */
	if (getenv("FUZZ_HTTP_SHOW") != NULL)
		fprintf(stderr, "%.*s\n----\n", (int)n, (const char *)buf);
	check_responses(buf, n, reset, noauth, &created);
	free(buf);
	if (noauth) {
		size1 = writer_tree_size(cairnd.writer);
		cp1 = metric("cairn_checkpoints_total");
		if (size1 != size0)
			die("stored %llu entries without a valid token",
			    (unsigned long long)(size1 - size0));
		if (cp1 != cp0)
			die("signed a checkpoint without a valid token");
	}
	if (created > 0)
		clean_reports();
	return 0;
}
