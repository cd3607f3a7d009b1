/*
 * http.c: the HTTP(S) listener on libmicrohttpd: POST /v1/events,
 * GET /v1/checkpoint, /healthz and /metrics.
 *
 * Threads: MHD runs one thread per connection, and the events handler
 * blocks on a condition variable (writer_submit_wait) until the writer has
 * committed.  Suspend/resume would save threads, but it would put parsing
 * and validating a request of up to 100,000 events on a polling thread
 * that every other connection shares; a thread per connection keeps that
 * CPU work parallel and other clients responsive, and the number of threads
 * is bounded by max_connections.  Idle or stalled clients are cut by the
 * connection timeout, so they cannot pin threads forever.
 *
 * TLS reload: MHD cannot swap credentials in a running daemon, so a reload
 * starts a second daemon with the new material on a dup of the same
 * listening socket, then quiesces the old one (it accepts no more) and
 * lets a reaper thread stop it once its connections are gone: requests in
 * progress finish on the old credentials, new connections get the new.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pwd.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <jansson.h>
#include <microhttpd.h>

#include "cairnd.h"
#include "cjson.h"
#include "http.h"
#include "jarena.h"

#define CONN_TIMEOUT	30		/* seconds a connection may stay silent */
#define STOP_GRACE	10		/* seconds requests get to finish at stop */
#define RELOAD_GRACE	(2 * CONN_TIMEOUT)	/* old daemon's connections */
#define MAX_PEM		(1024 * 1024)
#define MAX_VERR	32		/* errors reported per event */
#define MAX_ERRORS	10000		/* errors listed per response */
/* TLS 1.2 and 1.3 only (RFC 8996 deprecates anything older). */
#define TLS_PRIORITIES	"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

struct http_server;

/* One MHD daemon on the shared listening socket (more than one only
 * while a TLS reload drains the old one). */
struct hd {
	struct http_server	*srv;
	struct MHD_Daemon	*d;
	int			 fd;		/* its dup of the listening socket */
	char			*cert, *key, *ca;	/* PEM, alive as long as d */
	size_t			 keylen;
	unsigned		 conns;		/* open connections (atomic) */
	unsigned		 inflight;	/* requests not yet answered (atomic) */
	int			 reaped;	/* the reaper is done (atomic) */
	pthread_t		 reaper;
	struct hd		*next;
};

struct http_server {
	struct listener		 l;
	int			 tls;
	int			 lfd;
	int			 stopping;	/* atomic */
	pthread_mutex_t		 mu;		/* cur, retired */
	struct hd		*cur;
	struct hd		*retired;
};

enum route { R_EVENTS, R_CHECKPOINT, R_CHECKPOINT_NOW, R_HEALTHZ, R_METRICS,
	R_QUERY, R_REPORT_NEW, R_REPORT_GET };

static const struct {
	const char	*path;
	enum route	 route;
	int		 post;		/* else GET (and HEAD) */
	unsigned	 role;		/* token role needed (any of), 0: none */
	int		 prefix;	/* path is a prefix (http_query.c) */
} routes[] = {
	{ "/v1/events", R_EVENTS, 1, ROLE_INGEST, 0 },
	{ "/v1/checkpoint", R_CHECKPOINT, 0, 0, 0 },
	{ "/v1/checkpoint", R_CHECKPOINT_NOW, 1, ROLE_ADMIN, 0 },
	{ "/healthz", R_HEALTHZ, 0, 0, 0 },
	{ "/metrics", R_METRICS, 0, ROLE_ADMIN, 0 },
	{ "/v1/accounts/", R_QUERY, 0, ROLE_QUERY, 1 },
	{ "/v1/accounts/", R_QUERY, 1, ROLE_QUERY, 1 },
	{ "/v1/entries", R_QUERY, 0, ROLE_QUERY | ROLE_INGEST, 1 },
	{ "/v1/consistency", R_QUERY, 0, ROLE_QUERY | ROLE_INGEST, 0 },
	{ "/v1/reports", R_REPORT_NEW, 1, ROLE_REPORT, 0 },
	{ "/v1/reports/", R_REPORT_GET, 0, ROLE_REPORT, 1 },
};

/* One request's state, from its headers to its completion. */
struct hreq {
	struct hd		*hd;
	int			 ctype;
	int			 report;	/* POST /v1/reports */
	struct token		 tok;
	struct cairn_buf	 body;
	uint64_t		 seen;		/* body bytes, kept or not */
	int			 toobig;
	int			 deferred;	/* not a POST: answered at its end */
};

/* Sends MHD's diagnostics to our log. */
static void __attribute__((format(printf, 2, 0)))
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char buf[512];
	size_t n;

	(void)cls;
	vsnprintf(buf, sizeof buf, fmt, ap);
	n = strlen(buf);
	if (n > 0 && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	log_warn("http: %s", buf);
}

/* Appends s as a JSON string, cutting a trailing partial UTF-8 sequence
 * that a fixed-size message buffer may have left. */
static int
add_str(struct cairn_buf *b, const char *s)
{
	size_t n = strlen(s), k;

	for (k = 0; k < 4 && k <= n; k++)
		if (cairn_utf8_valid((const uint8_t *)s, n - k))
			return cairn_cjson_add_string(b, s, n - k);
	return cairn_buf_adds(b, "\"\"");
}

/* Queues response r (MHD_NO if it could not be made) with its media type
 * (may be NULL) and extra header name/value pairs (NULL-terminated, may be
 * NULL), and lets go of it. */
static enum MHD_Result
queue(struct MHD_Connection *c, unsigned status, struct MHD_Response *r,
    const char *ctype, const char *const *hdrs)
{
	enum MHD_Result ret;

	if (r == NULL)
		return MHD_NO;
	if (ctype != NULL)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	for (; hdrs != NULL && hdrs[0] != NULL; hdrs += 2)
		MHD_add_response_header(r, hdrs[0], hdrs[1]);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* Queues a response whose body (b, may be empty) MHD takes over, with
 * extra header name/value pairs (NULL-terminated, may be NULL). */
static enum MHD_Result
reply(struct MHD_Connection *c, unsigned status, const char *ctype,
    struct cairn_buf *b, const char *const *hdrs)
{
	struct MHD_Response *r;

	metric_add(M_HTTP_REQUESTS, 1);
	if (b != NULL && b->p != NULL) {
		r = MHD_create_response_from_buffer_with_free_callback(b->len,
		    b->p, free);
		if (r != NULL)
			memset(b, 0, sizeof *b);
	} else
		r = MHD_create_response_from_buffer(0, NULL,
		    MHD_RESPMEM_PERSISTENT);
	if (b != NULL)
		cairn_buf_free(b);
	return queue(c, status, r, ctype, hdrs);
}

/* Ends a JSON body under construction and sends it; 500 if building it
 * ran out of memory (rc != 0). */
static enum MHD_Result
reply_json(struct MHD_Connection *c, unsigned status, struct cairn_buf *b,
    int rc, const char *const *hdrs)
{
	static const char oom[] =
	    "{\"error\":\"internal\",\"message\":\"out of memory\"}\n";
	struct MHD_Response *r;

	if (rc == 0 && cairn_buf_adds(b, "\n") == 0)
		return reply(c, status, "application/json", b, hdrs);
	cairn_buf_free(b);
	metric_add(M_HTTP_REQUESTS, 1);
	r = MHD_create_response_from_buffer(sizeof oom - 1, (void *)oom,
	    MHD_RESPMEM_PERSISTENT);
	return queue(c, MHD_HTTP_INTERNAL_SERVER_ERROR, r, "application/json",
	    NULL);
}

/* Starts an error body {"error":..., "message":... (left open). */
static int
err_open(struct cairn_buf *b, const char *error, const char *msg)
{
	int rc;

	if ((rc = cairn_buf_adds(b, "{\"error\":")) != 0 ||
	    (rc = add_str(b, error)) != 0 ||
	    (rc = cairn_buf_adds(b, ",\"message\":")) != 0 ||
	    (rc = add_str(b, msg)) != 0)
		return rc;
	return 0;
}

/* Sends {"error":error,"message":msg} with status. */
static enum MHD_Result
reply_error(struct MHD_Connection *c, unsigned status, const char *error,
    const char *msg, const char *const *hdrs)
{
	struct cairn_buf b = { 0 };
	int rc;

	if ((rc = err_open(&b, error, msg)) == 0)
		rc = cairn_buf_adds(&b, "}");
	return reply_json(c, status, &b, rc, hdrs);
}

/* Checks the TLS client certificate where the configuration asks for one. */
static int
client_cert_ok(const struct hd *hd, struct MHD_Connection *c, const char **why)
{
	const union MHD_ConnectionInfo *ci;
	gnutls_session_t s;
	unsigned int n = 0, status = 0;

	if (!hd->srv->tls || hd->ca == NULL)
		return 1;
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (ci == NULL || ci->tls_session == NULL) {
		*why = "no TLS session";
		return 0;
	}
	s = (gnutls_session_t)ci->tls_session;
	if (gnutls_certificate_get_peers(s, &n) == NULL || n == 0) {
		*why = "a client certificate is required";
		return cairnd.cfg->tls_verify != TLS_VERIFY_REQUIRE;
	}
	/* Presented: it must verify against tls_ca, required or not. */
	if (gnutls_certificate_verify_peers2(s, &status) < 0 || status != 0) {
		*why = "the client certificate does not verify";
		return 0;
	}
	return 1;
}

/*
 * The local API: a connection on cairnd's unix socket is authenticated by
 * the kernel (SO_PEERCRED), not by a token.  Root and cairnd's own user may
 * do anything there; this is how cairn's writing commands reach the store
 * while cairnd, its one writer, runs.  1: local and allowed, 0: not a unix
 * socket, -1: local but refused.
 */
static int
local_peer(struct MHD_Connection *c, struct token *tok)
{
	const union MHD_ConnectionInfo *ci;
	struct sockaddr_storage ss;
	struct ucred uc;
	struct passwd *pw;
	socklen_t sl = sizeof ss, ul = sizeof uc;
	const char *src;
	int fd;

	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (ci == NULL)
		return 0;
	fd = ci->connect_fd;
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0 ||
	    ss.ss_family != AF_UNIX)
		return 0;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &ul) != 0 ||
	    (uc.uid != 0 && uc.uid != geteuid()))
		return -1;
	memset(tok, 0, sizeof *tok);
	tok->roles = ROLE_INGEST | ROLE_QUERY | ROLE_REPORT | ROLE_ADMIN;
	/* The CLI names its source (as it would writing directly), so that
	 * re-sent events are recognised either way. */
	src = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Cairn-Source");
	if (src != NULL && *src != '\0' && strlen(src) < sizeof tok->name &&
	    cairn_utf8_valid((const uint8_t *)src, strlen(src)))
		snprintf(tok->name, sizeof tok->name, "%s", src);
	else {
		pw = getpwuid(uc.uid);
		snprintf(tok->name, sizeof tok->name, "local:%s",
		    pw != NULL ? pw->pw_name : "unknown");
	}
	return 1;
}

/*
 * Token guessers: an address that presents auth_fail_limit invalid tokens
 * within GUESS_WINDOW seconds gets 429 for the rest of that window, before any
 * token it sends is looked at; the first refusal of each window is logged
 * and every one is counted.  A fixed table (the oldest slot is reused), so
 * an attacker with many addresses costs memory nothing.
 */
#define GUESS_WINDOW	60
#define GUESS_SLOTS	256

static struct guess {
	uint8_t		addr[16];
	int		used;
	unsigned	fails;
	time_t		since;
	int		logged;
} guesses[GUESS_SLOTS];
static pthread_mutex_t guess_mu = PTHREAD_MUTEX_INITIALIZER;

/* The peer's address as 16 bytes (IPv4 mapped); 0, or -1 if none (unix). */
static int
peer_addr(struct MHD_Connection *c, uint8_t out[16], char *text, size_t tlen)
{
	const union MHD_ConnectionInfo *ci;
	const struct sockaddr *sa;

	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci == NULL || (sa = ci->client_addr) == NULL)
		return -1;
	memset(out, 0, 16);
	if (sa->sa_family == AF_INET) {
		out[10] = out[11] = 0xff;
		memcpy(out + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6)
		memcpy(out, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
	else
		return -1;
	if (getnameinfo(sa, sa->sa_family == AF_INET ?
	    sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6), text,
	    (socklen_t)tlen, NULL, 0, NI_NUMERICHOST) != 0)
		snprintf(text, tlen, "?");
	return 0;
}

/* The slot of an address (a new one, reusing the oldest, if add). */
static struct guess *
guess_slot(const uint8_t addr[16], time_t now, int add)
{
	struct guess *g, *oldest = &guesses[0];
	size_t i;

	for (i = 0; i < GUESS_SLOTS; i++) {
		g = &guesses[i];
		if (g->used && memcmp(g->addr, addr, 16) == 0) {
			if (now - g->since >= GUESS_WINDOW) {
				g->fails = 0;	/* a new window */
				g->since = now;
				g->logged = 0;
			}
			return g;
		}
		if (!g->used || g->since < oldest->since)
			oldest = g;
	}
	if (!add)
		return NULL;
	memset(oldest, 0, sizeof *oldest);
	memcpy(oldest->addr, addr, 16);
	oldest->used = 1;
	oldest->since = now;
	return oldest;
}

/* 1 if the address is throttled now. */
static int
guess_throttled(const uint8_t addr[16], const char *text)
{
	struct guess *g;
	int t = 0, log = 0;

	pthread_mutex_lock(&guess_mu);
	if ((g = guess_slot(addr, time(NULL), 0)) != NULL &&
	    g->fails >= cairnd.cfg->auth_fail_limit) {
		t = 1;
		log = !g->logged;
		g->logged = 1;
	}
	pthread_mutex_unlock(&guess_mu);
	if (log)
		log_warn("http: %s presented %u invalid tokens within %d s: "
		    "refusing its requests (429) for the rest of the window",
		    text, cairnd.cfg->auth_fail_limit, GUESS_WINDOW);
	return t;
}

static void
guess_failed(const uint8_t addr[16])
{
	struct guess *g;

	pthread_mutex_lock(&guess_mu);
	if ((g = guess_slot(addr, time(NULL), 1)) != NULL)
		g->fails++;
	pthread_mutex_unlock(&guess_mu);
}

/* Looks up the bearer token; 0, or an HTTP status (401/403/429) to answer. */
static unsigned
authorize(struct MHD_Connection *c, unsigned role, struct token *tok,
    const char **why)
{
	const char *v, *secret;
	uint8_t addr[16];
	char text[INET6_ADDRSTRLEN + 1];
	size_t len;
	int lp, havepeer;

	if ((lp = local_peer(c, tok)) != 0) {
		if (lp > 0)
			return 0;
		*why = "only root and cairnd's user may use the local socket";
		return MHD_HTTP_FORBIDDEN;
	}

	v = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_AUTHORIZATION);
	if (v == NULL) {
		*why = "a bearer token is required";
		return MHD_HTTP_UNAUTHORIZED;
	}
	havepeer = cairnd.cfg->auth_fail_limit > 0 &&
	    peer_addr(c, addr, text, sizeof text) == 0;
	if (havepeer && guess_throttled(addr, text)) {
		metric_add(M_AUTH_THROTTLED, 1);
		*why = "too many invalid tokens from this address: try later";
		return MHD_HTTP_TOO_MANY_REQUESTS;
	}
	if (http_bearer(v, &secret, &len) != 0 ||
	    cairnd_auth(secret, len, tok) == NULL) {
		if (havepeer)
			guess_failed(addr);
		*why = "invalid bearer token";
		return MHD_HTTP_UNAUTHORIZED;
	}
	if ((tok->roles & role) == 0) {
		*why = role == ROLE_ADMIN ? "the token lacks the admin role" :
		    role == ROLE_INGEST ? "the token lacks the ingest role" :
		    role == ROLE_REPORT ? "the token lacks the report role" :
		    "the token lacks the query role";
		return MHD_HTTP_FORBIDDEN;
	}
	return 0;
}

/* Answers the GET endpoints. */
static enum MHD_Result
get(struct MHD_Connection *c, enum route route)
{
	static const char *const nocache[] = { "Cache-Control", "no-store", NULL };
	struct cairn_buf b = { 0 };
	int rc;

	switch (route) {
	case R_HEALTHZ:
		if (cairnd.stopping) {
			cairn_buf_adds(&b, "stopping\n");
			return reply(c, MHD_HTTP_SERVICE_UNAVAILABLE,
			    "text/plain; charset=utf-8", &b, nocache);
		}
		cairn_buf_adds(&b, "ok\n");
		return reply(c, MHD_HTTP_OK, "text/plain; charset=utf-8", &b,
		    nocache);
	case R_CHECKPOINT:
		if ((rc = writer_checkpoint_note(cairnd.writer, &b)) != 0) {
			cairn_buf_free(&b);
			return reply_error(c, MHD_HTTP_SERVICE_UNAVAILABLE,
			    "no checkpoint", cairn_strerror(rc), NULL);
		}
		return reply(c, MHD_HTTP_OK, "text/plain; charset=utf-8", &b,
		    nocache);
	case R_METRICS:
		if ((rc = metrics_render(&b)) != 0) {
			cairn_buf_free(&b);
			return reply_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
			    "internal", cairn_strerror(rc), NULL);
		}
		return reply(c, MHD_HTTP_OK, "text/plain; version=0.0.4", &b,
		    nocache);
	default:
		return MHD_NO;
	}
}

/* A query-string argument for http_query. */
static const char *
query_arg(void *c, const char *name)
{
	return MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
}

/* MHD's reader of a history stream (http_query.c). */
static ssize_t
hist_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	ssize_t n;

	(void)pos;
	if ((n = http_history_read(cls, (uint8_t *)buf, max)) < 0)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	return n == 0 ? MHD_CONTENT_READER_END_OF_STREAM : n;
}

/* Frees a history stream once its response is done with. */
static void
hist_free(void *cls)
{
	http_history_free(cls);
}

/* POST /v1/accounts/{id}/history: `cairn history` through cairnd, for a
 * local peer only; streamed, its length unknown (the CLI asks in HTTP/1.0,
 * so the end of the body is the end of the connection). */
static enum MHD_Result
history(struct MHD_Connection *c, const char *url,
    const struct http_qctx *q)
{
	struct MHD_Response *r;
	struct http_hist *hh;
	struct cairn_buf b = { 0 };
	struct token peer;
	unsigned status;

	if (local_peer(c, &peer) != 1)
		return reply_error(c, MHD_HTTP_FORBIDDEN, "forbidden", "the "
		    "history stream is for cairn on cairnd's local socket; use "
		    "GET /v1/accounts/{id}/events", NULL);
	if ((status = http_history_open(url, q, &hh, &b)) != MHD_HTTP_OK)
		return reply_json(c, status, &b, status == 0 ? CAIRN_ENOMEM : 0,
		    NULL);
	metric_add(M_HTTP_REQUESTS, 1);
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 65536,
	    hist_reader, hh, hist_free);
	if (r == NULL)
		http_history_free(hh);	/* not handed over */
	return queue(c, MHD_HTTP_OK, r, "application/octet-stream", NULL);
}

/* Answers the query endpoints (http_query.c). */
static enum MHD_Result
query(struct MHD_Connection *c, const char *url, const struct token *tok,
    int post)
{
	static const char *const nocache[] = { "Cache-Control", "no-store", NULL };
	struct http_qctx q = { query_arg, c, tok->roles, tok->name, post };
	struct cairn_buf b = { 0 };
	struct token peer;
	size_t n = strlen(url);
	unsigned status;

	if (post && n > 8 && strcmp(url + n - 8, "/history") == 0 &&
	    strncmp(url, "/v1/accounts/", 13) == 0)
		return history(c, url, &q);
	/* The CLI's self-audit is the CLI's: a remote token could otherwise
	 * write system.account_queried entries for queries never made. */
	if (post && local_peer(c, &peer) != 1)
		return reply_error(c, MHD_HTTP_FORBIDDEN, "forbidden", "POST "
		    "/v1/accounts/{id}/queried is for cairn on cairnd's local "
		    "socket", NULL);
	status = http_query(url, &q, &b);
	return reply_json(c, status, &b, status == 0 ? CAIRN_ENOMEM : 0,
	    nocache);
}

/* GET /v1/reports/NAME: the export file or its signature, from disk. */
static enum MHD_Result
report_get(struct MHD_Connection *c, const char *name)
{
	struct MHD_Response *r;
	struct cairn_buf b = { 0 };
	const char *ctype;
	uint64_t size;
	unsigned status;
	int fd;

	status = http_report_open(name, &fd, &size, &ctype, &b);
	if (status != MHD_HTTP_OK)
		return reply_json(c, status, &b, status == 0 ? CAIRN_ENOMEM : 0,
		    NULL);
	cairn_buf_free(&b);
	metric_add(M_HTTP_REQUESTS, 1);
	if ((r = MHD_create_response_from_fd64(size, fd)) == NULL)
		close(fd);	/* not handed over */
	return queue(c, MHD_HTTP_OK, r, ctype, NULL);
}

/* POST /v1/reports, once its body is in: writes the export. */
static enum MHD_Result
post_report(struct hreq *rq, struct MHD_Connection *c)
{
	struct cairn_buf b = { 0 };
	unsigned status;
	struct token peer;

	if (rq->toobig) {
		metric_add(M_REJECTED_TOOBIG, 1);
		return reply_error(c, MHD_HTTP_CONTENT_TOO_LARGE, "too large",
		    "the body exceeds max_body", NULL);
	}
	status = http_report_create(rq->body.p, rq->body.len, rq->tok.name,
	    local_peer(c, &peer) == 1, &b);
	return reply_json(c, status, &b, status == 0 ? CAIRN_ENOMEM : 0, NULL);
}

/* First call of a request (headers only): routing, auth, and every check
 * that can refuse a POST before its body is read. */
static enum MHD_Result
start(struct hreq *rq, struct MHD_Connection *c, const char *url,
    const char *method)
{
	static const char *const allow_get[] = { "Allow", "GET, HEAD", NULL };
	static const char *const allow_post[] = { "Allow", "POST", NULL };
	static const char *const bearer[] = { "WWW-Authenticate", "Bearer",
	    NULL };
	static const char *const closing[] = { "Connection", "close", NULL };
	const char *v, *why = "";
	unsigned long long clen;
	unsigned status;
	size_t i;
	char *end;

	size_t first = SIZE_MAX;
	int ispost = strcmp(method, "POST") == 0;
	int isget = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;

	for (i = 0; i < sizeof routes / sizeof routes[0]; i++) {
		if (routes[i].prefix ? strncmp(url, routes[i].path,
		    strlen(routes[i].path)) != 0 : strcmp(url, routes[i].path) != 0)
			continue;
		if (first == SIZE_MAX)
			first = i;
		if (routes[i].post ? ispost : isget)
			break;
	}
	if (first == SIZE_MAX)
		return reply_error(c, MHD_HTTP_NOT_FOUND, "not found",
		    "no such endpoint", NULL);
	if (i == sizeof routes / sizeof routes[0]) {
		i = first;
		return reply_error(c, MHD_HTTP_METHOD_NOT_ALLOWED,
		    "method not allowed", routes[i].post ? "use POST" :
		    "use GET", routes[i].post ? allow_post : allow_get);
	}
	if (routes[i].role != 0) {
		if (!client_cert_ok(rq->hd, c, &why)) {
			metric_add(M_REJECTED_AUTH, 1);
			return reply_error(c, MHD_HTTP_FORBIDDEN, "forbidden",
			    why, NULL);
		}
		if ((status = authorize(c, routes[i].role, &rq->tok,
		    &why)) != 0) {
			static const char *const later[] = {
			    "Retry-After", "60", NULL };

			metric_add(M_REJECTED_AUTH, 1);
			return reply_error(c, status, status ==
			    MHD_HTTP_UNAUTHORIZED ? "unauthorized" : status ==
			    MHD_HTTP_TOO_MANY_REQUESTS ? "too many requests" :
			    "forbidden", why, status == MHD_HTTP_UNAUTHORIZED ?
			    bearer : status == MHD_HTTP_TOO_MANY_REQUESTS ? later :
			    NULL);
		}
	}
	if (routes[i].route == R_QUERY)
		return query(c, url, &rq->tok, routes[i].post);
	if (routes[i].route == R_REPORT_GET)
		return report_get(c, url + strlen(routes[i].path));
	rq->report = routes[i].route == R_REPORT_NEW;
	if (!routes[i].post)
		return get(c, routes[i].route);
	if (routes[i].route == R_CHECKPOINT_NOW) {
		struct cairn_buf b = { 0 };
		int rc;

		/* A checkpoint on demand, signed by the writer thread. */
		if ((rc = writer_checkpoint_now(cairnd.writer, &b)) != 0) {
			cairn_buf_free(&b);
			return reply_error(c, MHD_HTTP_SERVICE_UNAVAILABLE,
			    "no checkpoint", cairn_strerror(rc), NULL);
		}
		return reply(c, MHD_HTTP_OK, "text/plain; charset=utf-8", &b,
		    NULL);
	}

	if (cairnd.stopping ||
	    __atomic_load_n(&rq->hd->srv->stopping, __ATOMIC_RELAXED))
		return reply_error(c, MHD_HTTP_SERVICE_UNAVAILABLE,
		    "shutting down", "the collector is stopping", closing);
	/* RFC 9110 section 15.5.16: 415 for a content coding we do not do. */
	v = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_ENCODING);
	if (v != NULL && strcasecmp(v, "identity") != 0) {
		metric_add(M_REJECTED_MALFORMED, 1);
		return reply_error(c, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
		    "unsupported media type", "no content coding is supported",
		    NULL);
	}
	v = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_TYPE);
	if ((rq->ctype = http_content_type(v)) == 0) {
		metric_add(M_REJECTED_MALFORMED, 1);
		return reply_error(c, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
		    "unsupported media type", "Content-Type must be "
		    "application/json or application/x-ndjson", NULL);
	}
	/* Refuse a declared oversize body before reading any of it. */
	v = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (v != NULL) {
		errno = 0;
		clen = strtoull(v, &end, 10);
		if (errno == 0 && end != v && *end == '\0' &&
		    clen > cairnd.cfg->max_body) {
			metric_add(M_REJECTED_TOOBIG, 1);
			return reply_error(c, MHD_HTTP_CONTENT_TOO_LARGE,
			    "too large", "the body exceeds max_body", NULL);
		}
		if (errno == 0 && end != v && *end == '\0' &&
		    cairn_buf_reserve(&rq->body, (size_t)clen + 1) != 0)
			return reply_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
			    "internal", "out of memory", NULL);
	}
	return MHD_YES;		/* now the body (MHD sends 100 Continue) */
}

/* Takes one piece of the body. */
static enum MHD_Result
body_data(struct hreq *rq, const char *data, size_t *len)
{
	size_t max = cairnd.cfg->max_body;

	rq->seen += *len;
	if (!rq->toobig && rq->seen > max) {
		rq->toobig = 1;
		cairn_buf_free(&rq->body);
	}
	if (rq->toobig) {
		/*
		 * MHD 0.9.75 cannot answer in the middle of a body, so a chunked
		 * body that grows past max_body is read and dropped to answer
		 * 413 at its end, but only up to twice the limit: past that
		 * the connection is closed.
		 */
		*len = 0;
		return rq->seen > 2 * (uint64_t)max + 65536 ? MHD_NO : MHD_YES;
	}
	if (cairn_buf_add(&rq->body, data, *len) != 0)
		return MHD_NO;
	*len = 0;
	return MHD_YES;
}

/* Sends the 400 for a body that does not decode. */
static enum MHD_Result
reply_malformed(struct MHD_Connection *c, int rc, const struct http_derr *e)
{
	struct cairn_buf b = { 0 };
	unsigned status = MHD_HTTP_BAD_REQUEST;
	const char *error = "malformed";
	int brc;

	if (rc == CAIRN_ENOMEM)
		return reply_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "internal", "out of memory", NULL);
	if (rc == CAIRN_ETOOBIG) {
		status = MHD_HTTP_CONTENT_TOO_LARGE;
		error = "too large";
		metric_add(M_REJECTED_TOOBIG, 1);
	} else
		metric_add(M_REJECTED_MALFORMED, 1);
	if ((brc = err_open(&b, error, e->msg)) == 0) {
		if (e->pos_kind == HTTP_POS_INDEX)
			brc = cairn_buf_printf(&b, ",\"index\":%zu", e->pos);
		else if (e->pos_kind == HTTP_POS_LINE)
			brc = cairn_buf_printf(&b, ",\"line\":%zu", e->pos);
	}
	if (brc == 0)
		brc = cairn_buf_adds(&b, "}");
	return reply_json(c, status, &b, brc, NULL);
}

/* Appends one validation error to the 422 body. */
static int
add_verr(struct cairn_buf *b, size_t count, size_t idx, const size_t *lines,
    const struct cairn_verr *v)
{
	int rc;

	if ((rc = cairn_buf_printf(b, "%s{\"index\":%zu", count ? "," : "",
	    idx)) != 0)
		return rc;
	if (lines != NULL &&
	    (rc = cairn_buf_printf(b, ",\"line\":%zu", lines[idx])) != 0)
		return rc;
	if ((rc = cairn_buf_adds(b, ",\"field\":")) != 0 ||
	    (rc = add_str(b, v->field)) != 0 ||
	    (rc = cairn_buf_adds(b, ",\"rule\":")) != 0 ||
	    (rc = add_str(b, v->rule)) != 0 ||
	    (rc = cairn_buf_adds(b, ",\"message\":")) != 0 ||
	    (rc = add_str(b, v->msg)) != 0)
		return rc;
	return cairn_buf_adds(b, "}");
}

/* Appends the receipts of a committed request. */
static int
add_receipts(struct cairn_buf *b, cairn_event *const *pe,
    const struct cairn_receipt *r, size_t n)
{
	char hex[CAIRN_HEX_LEN + 1];
	const uint8_t *entry;
	size_t i, len, room = 64, most = 0;
	int rc;

	/* Room for the whole body at once: grown by doubling, a batch's
	 * megabyte or so was copied and its new pages faulted in again and
	 * again.  An entry escapes to about a fifth more than its length; the
	 * string writer reserves its worst case, six times, for each. */
	for (i = 0; i < n; i++) {
		if ((rc = cairn_event_entry(pe[i], &entry, &len)) != 0)
			return rc;
		room += len + len / 4 + 192;
		most = len > most ? len : most;
	}
	if ((rc = cairn_buf_reserve(b, room + 6 * most)) != 0 ||
	    (rc = cairn_buf_adds(b, "{\"receipts\":[")) != 0)
		return rc;
	for (i = 0; i < n; i++) {
		if ((rc = cairn_event_entry(pe[i], &entry, &len)) != 0)
			return rc;
		cairn_hex(r[i].leaf, CAIRN_HASH_LEN, hex);
		/* No printf: a batch of 1000 makes 1000 of these. */
		if ((rc = cairn_buf_adds(b, i ? ",{\"seq\":" : "{\"seq\":")) != 0 ||
		    (rc = cairn_buf_addu64(b, r[i].seq)) != 0 ||
		    (rc = cairn_buf_adds(b, ",\"leaf_hash\":\"")) != 0 ||
		    (rc = cairn_buf_add(b, hex, CAIRN_HEX_LEN)) != 0 ||
		    (rc = cairn_buf_adds(b, "\",\"tree_size\":")) != 0 ||
		    (rc = cairn_buf_addu64(b, r[i].tree_size)) != 0 ||
		    (rc = cairn_buf_adds(b, r[i].duplicate ?
		    ",\"duplicate\":true,\"entry\":" :
		    ",\"duplicate\":false,\"entry\":")) != 0 ||
		    (rc = cairn_cjson_add_string(b, (const char *)entry,
		    len)) != 0 ||
		    (rc = cairn_buf_adds(b, "}")) != 0)
			return rc;
	}
	return cairn_buf_adds(b, "]}");
}

/* Validates every event, then commits them all or none, and answers; frees
 * every JSON value it made before it returns. */
static enum MHD_Result
post_events_in(struct hreq *rq, struct MHD_Connection *c)
{
	static const char *const retry[] = { "Retry-After", "1", NULL };
	struct cairn_verr verr[MAX_VERR];
	struct http_events evs;
	struct http_derr derr;
	struct cairn_buf b = { 0 };
	struct wreq req;
	cairn_event **pe = NULL;
	size_t i, j, nerr, nbad = 0, listed = 0, total = 0;
	enum MHD_Result ret;
	int rc, brc = 0;

	ingest_priority();
	if (rq->toobig) {
		metric_add(M_REJECTED_TOOBIG, 1);
		return reply_error(c, MHD_HTTP_CONTENT_TOO_LARGE, "too large",
		    "the body exceeds max_body", NULL);
	}
	rc = http_decode_events(rq->body.p, rq->body.len, rq->ctype, &evs,
	    &derr);
	cairn_buf_free(&rq->body);
	if (rc != 0)
		return reply_malformed(c, rc, &derr);
	if ((pe = calloc(evs.n, sizeof *pe)) == NULL) {
		http_events_free(&evs);
		return reply_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "internal", "out of memory", NULL);
	}
	/* Every event is checked, so that the 422 lists every error. */
	for (i = 0; i < evs.n; i++) {
		rc = cairn_event_prepare_json(cairnd.cat, rq->tok.name,
		    evs.evs[i], 0, &pe[i], verr, MAX_VERR, &nerr);
		evs.evs[i] = NULL;	/* prepare took it */
		if (rc == 0)
			continue;
		if (rc == CAIRN_ENOMEM) {
			brc = rc;
			break;
		}
		if (nerr == 0) {
			nerr = 1;
			snprintf(verr[0].field, sizeof verr[0].field, "%s", "");
			snprintf(verr[0].rule, sizeof verr[0].rule, "%s",
			    "invalid");
			snprintf(verr[0].msg, sizeof verr[0].msg, "%s",
			    cairn_strerror(rc));
		}
		if (nbad++ == 0)
			brc = cairn_buf_adds(&b, ",\"errors\":[");
		total += nerr;
		for (j = 0; j < nerr && j < MAX_VERR && listed < MAX_ERRORS &&
		    brc == 0; j++)
			brc = add_verr(&b, listed++, i, evs.lines, &verr[j]);
	}
	if (brc != 0 || nbad > 0) {
		struct cairn_buf head = { 0 };
		char msg[128];

		for (i = 0; i < evs.n; i++)
			cairn_event_free(pe[i]);
		free(pe);
		if (brc == 0) {
			metric_add(M_REJECTED_INVALID, evs.n);
			snprintf(msg, sizeof msg, "%zu of %zu events are invalid; "
			    "nothing was stored", nbad, evs.n);
			if ((brc = err_open(&head, "invalid events", msg)) == 0 &&
			    (brc = cairn_buf_printf(&head, ",\"error_count\":%zu",
			    total)) == 0 &&
			    (brc = cairn_buf_add(&head, b.p, b.len)) == 0)
				brc = cairn_buf_adds(&head, "]}");
		}
		http_events_free(&evs);
		cairn_buf_free(&b);
		return reply_json(c, MHD_HTTP_UNPROCESSABLE_CONTENT, &head, brc,
		    NULL);
	}
	memset(&req, 0, sizeof req);
	req.evs = pe;
	req.n = evs.n;
	if ((req.rcpt = calloc(evs.n, sizeof *req.rcpt)) == NULL)
		rc = CAIRN_ENOMEM;
	else
		rc = writer_submit_wait(cairnd.writer, &req, 0);
	switch (rc) {
	case 0:
		brc = add_receipts(&b, pe, req.rcpt, evs.n);
		ret = reply_json(c, MHD_HTTP_OK, &b, brc, NULL);
		break;
	case EAGAIN:
		ret = reply_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "queue full",
		    "the collector is busy; retry", retry);
		break;
	case ESHUTDOWN:
		ret = reply_error(c, MHD_HTTP_SERVICE_UNAVAILABLE,
		    "shutting down", "the collector is stopping", NULL);
		break;
	case CAIRN_ECONFLICT:
		if ((brc = err_open(&b, "conflict", req.detail[0] ? req.detail :
		    "an event id was stored before with other content")) == 0)
			brc = cairn_buf_printf(&b, ",\"index\":%zu}", req.failed);
		ret = reply_json(c, MHD_HTTP_CONFLICT, &b, brc, NULL);
		break;
	case CAIRN_EFULL:
		/* Not transient: no Retry-After until an operator acts. */
		ret = reply_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "store full",
		    "the store reached its size ceiling (max_size); nothing "
		    "was stored", NULL);
		break;
	default:
		log_err("http: commit failed: %s", cairn_strerror(rc));
		ret = reply_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal",
		    cairn_strerror(rc), NULL);
		break;
	}
	for (i = 0; i < evs.n; i++)
		cairn_event_free(pe[i]);
	free(pe);
	free(req.rcpt);
	http_events_free(&evs);
	return ret;
}

/* post_events_in with the request's JSON values in this thread's arena: a
 * batch of 1000 events made some 30,000 small allocations. */
static enum MHD_Result
post_events(struct hreq *rq, struct MHD_Connection *c)
{
	enum MHD_Result ret;

	cairn_jarena_begin();
	ret = post_events_in(rq, c);
	cairn_jarena_end();
	return ret;
}

/* Counts a request's framing header fields. */
static enum MHD_Result
count_framing(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	unsigned *f = cls;

	(void)kind;
	if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0)
		f[0]++;
	else if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0) {
		f[1]++;
		if (value == NULL || strcasecmp(value, "chunked") != 0)
			f[2]++;
	}
	return MHD_YES;
}

/*
 * 1 if the body's framing is ambiguous (RFC 9112 section 6.3): more than
 * one Content-Length, one beside Transfer-Encoding, or a transfer coding
 * other than a lone "chunked".  MHD picks one reading; a proxy in front
 * may pick another, and the rest of the body would pass as a request.
 */
static int
framing_ambiguous(struct MHD_Connection *c)
{
	unsigned f[3] = { 0, 0, 0 };	/* Content-Length, T-E, not chunked */

	(void)MHD_get_connection_values(c, MHD_HEADER_KIND, count_framing, f);
	return f[0] > 1 || (f[0] > 0 && f[1] > 0) || f[1] > 1 || f[2] > 0;
}

/* MHD's access handler: called for the headers, for each piece of the
 * body, and once more at its end. */
static enum MHD_Result
handler(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upsize, void **con_cls)
{
	struct hreq *rq = *con_cls;
	struct hd *hd = cls;

	(void)version;
	if (rq == NULL) {
		if ((rq = calloc(1, sizeof *rq)) == NULL)
			return MHD_NO;
		rq->hd = hd;
		__atomic_add_fetch(&hd->inflight, 1, __ATOMIC_SEQ_CST);
		*con_cls = rq;
		/* Answered on the headers, so MHD closes the connection. */
		if (framing_ambiguous(c)) {
			if (strcmp(method, "POST") == 0)
				metric_add(M_REJECTED_MALFORMED, 1);
			return reply_error(c, MHD_HTTP_BAD_REQUEST, "malformed",
			    "ambiguous body framing: one Content-Length, or "
			    "Transfer-Encoding: chunked alone", NULL);
		}
		/*
		 * A POST is judged on its headers, so that a refused body is
		 * never read.  Anything else is answered once the request is
		 * in: MHD closes the connection after an answer queued on the
		 * headers, and GET clients should keep theirs.
		 */
		if (strcmp(method, "POST") == 0)
			return start(rq, c, url, method);
		rq->deferred = 1;
		return MHD_YES;
	}
	if (rq->deferred) {
		if (*upsize == 0)
			return start(rq, c, url, method);
		/* A body where none belongs: dropped, up to max_body. */
		rq->seen += *upsize;
		*upsize = 0;
		return rq->seen > cairnd.cfg->max_body ? MHD_NO : MHD_YES;
	}
	if (*upsize > 0)
		return body_data(rq, upload, upsize);
	if (rq->report)
		return post_report(rq, c);
	return post_events(rq, c);
}

/* Frees a request's state once MHD is done with it. */
static void
completed(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct hreq *rq = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (rq == NULL)
		return;
	cairn_buf_free(&rq->body);
	__atomic_sub_fetch(&rq->hd->inflight, 1, __ATOMIC_SEQ_CST);
	free(rq);
	*con_cls = NULL;
}

/* Counts a daemon's open connections, so a reload can wait for them. */
static void
conn_notify(void *cls, struct MHD_Connection *c, void **sock_ctx,
    enum MHD_ConnectionNotificationCode toe)
{
	struct hd *hd = cls;

	(void)c;
	(void)sock_ctx;
	if (toe == MHD_CONNECTION_NOTIFY_STARTED)
		__atomic_add_fetch(&hd->conns, 1, __ATOMIC_SEQ_CST);
	else
		__atomic_sub_fetch(&hd->conns, 1, __ATOMIC_SEQ_CST);
}

/* Frees a daemon record and wipes its key. */
static void
hd_free(struct hd *hd)
{
	if (hd == NULL)
		return;
	if (hd->key != NULL) {
		explicit_bzero(hd->key, hd->keylen);
		free(hd->key);
	}
	free(hd->cert);
	free(hd->ca);
	free(hd);
}

/* Reads one PEM file. */
static int
read_pem(const char *path, char **out, size_t *len)
{
	uint8_t *p;
	size_t n;
	int rc;

	if ((rc = cairn_read_file(path, MAX_PEM, &p, &n)) != 0) {
		log_err("http: %s: %s", path, rc > 0 ? strerror(rc) :
		    cairn_strerror(rc));
		return rc;
	}
	*out = (char *)p;
	if (len != NULL)
		*len = n;
	return 0;
}

/* Starts one MHD daemon on a dup of the listening socket, with the TLS
 * material read afresh. */
static int
hd_start(struct http_server *srv, struct hd **out)
{
	const struct config *cfg = cairnd.cfg;
	struct MHD_OptionItem o[16];
	struct hd *hd;
	unsigned flags;
	size_t k = 0;
	int rc;

	if ((hd = calloc(1, sizeof *hd)) == NULL)
		return ENOMEM;
	hd->srv = srv;
	hd->fd = -1;
	if (srv->tls) {
		if (cfg->tls_cert == NULL || cfg->tls_key == NULL) {
			log_err("http: https needs tls_cert and tls_key");
			hd_free(hd);
			return CAIRN_EINVAL;
		}
		if ((rc = read_pem(cfg->tls_cert, &hd->cert, NULL)) != 0 ||
		    (rc = read_pem(cfg->tls_key, &hd->key, &hd->keylen)) != 0 ||
		    (cfg->tls_ca != NULL && cfg->tls_verify != TLS_VERIFY_NONE &&
		    (rc = read_pem(cfg->tls_ca, &hd->ca, NULL)) != 0)) {
			hd_free(hd);
			return rc;
		}
	}
	if ((hd->fd = fcntl(srv->lfd, F_DUPFD_CLOEXEC, 0)) == -1) {
		rc = errno;
		hd_free(hd);
		return rc;
	}
	o[k++] = (struct MHD_OptionItem){ MHD_OPTION_EXTERNAL_LOGGER,
	    (intptr_t)mhd_log, NULL };
	o[k++] = (struct MHD_OptionItem){ MHD_OPTION_LISTEN_SOCKET, hd->fd,
	    NULL };
	o[k++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_LIMIT,
	    cfg->max_connections ? (intptr_t)cfg->max_connections : 256, NULL };
	o[k++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_TIMEOUT,
	    CONN_TIMEOUT, NULL };
	o[k++] = (struct MHD_OptionItem){ MHD_OPTION_NOTIFY_COMPLETED,
	    (intptr_t)completed, hd };
	o[k++] = (struct MHD_OptionItem){ MHD_OPTION_NOTIFY_CONNECTION,
	    (intptr_t)conn_notify, hd };
	if (srv->tls) {
		o[k++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0,
		    hd->cert };
		o[k++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0,
		    hd->key };
		o[k++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_PRIORITIES, 0,
		    (void *)TLS_PRIORITIES };
		/* With a trust list MHD asks for a client certificate; it is
		 * checked per request (client_cert_ok). */
		if (hd->ca != NULL)
			o[k++] = (struct MHD_OptionItem){
			    MHD_OPTION_HTTPS_MEM_TRUST, 0, hd->ca };
	}
	o[k++] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
	flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
	    MHD_USE_POLL | MHD_USE_ITC | MHD_USE_ERROR_LOG;
	if (srv->tls)
		flags |= MHD_USE_TLS;
	hd->d = MHD_start_daemon(flags, 0, NULL, NULL, handler, hd,
	    MHD_OPTION_ARRAY, o, MHD_OPTION_END);
	if (hd->d == NULL) {
		log_err("http: cannot start the HTTP%s server on %s:%s",
		    srv->tls ? "S" : "", srv->l.host[0] ? srv->l.host :
		    "127.0.0.1", srv->l.port);
		close(hd->fd);
		hd_free(hd);
		return CAIRN_EINVAL;
	}
	*out = hd;
	return 0;
}

/* Sleeps a little while waiting for a counter to drop. */
static void
nap(void)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };

	nanosleep(&ts, NULL);
}

/* Stops a daemon: it accepts no more, its requests in progress get up to
 * grace seconds (and, unless the server is stopping, its other
 * connections too), then it is shut down. */
static void
hd_stop(struct hd *hd, int wait_conns, unsigned grace)
{
	struct timespec t0, now;
	MHD_socket fd;

	fd = MHD_quiesce_daemon(hd->d);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		if (__atomic_load_n(&hd->inflight, __ATOMIC_SEQ_CST) == 0 &&
		    (!wait_conns ||
		    __atomic_load_n(&hd->srv->stopping, __ATOMIC_SEQ_CST) ||
		    __atomic_load_n(&hd->conns, __ATOMIC_SEQ_CST) == 0))
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - t0.tv_sec >= (time_t)grace)
			break;
		nap();
	}
	MHD_stop_daemon(hd->d);
	/* A quiesced daemon leaves its socket to us (microhttpd.h). */
	if (fd != MHD_INVALID_SOCKET)
		close(fd);
}

/* A retired daemon's reaper thread. */
static void *
reaper_main(void *arg)
{
	struct hd *hd = arg;

	hd_stop(hd, 1, RELOAD_GRACE);
	__atomic_store_n(&hd->reaped, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/* Joins and frees retired daemons: all of them, or only those whose
 * reaper is done; called with the server's lock held. */
static void
reap(struct http_server *srv, int all)
{
	struct hd **pp = &srv->retired, *hd;

	while ((hd = *pp) != NULL) {
		if (!all && !__atomic_load_n(&hd->reaped, __ATOMIC_SEQ_CST)) {
			pp = &hd->next;
			continue;
		}
		*pp = hd->next;
		pthread_join(hd->reaper, NULL);
		hd_free(hd);
	}
}

/* Opens, binds and listens on the listener's address (loopback if unset),
 * for a listener cairnd has not bound already. */
static int
listen_socket(const struct listener *l, int *out)
{
	struct addrinfo hints, *res, *ai;
	const char *host = l->host[0] ? l->host : "127.0.0.1";
	int fd = -1, one = 1, rc, err = EADDRNOTAVAIL;

	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((rc = getaddrinfo(host, l->port, &hints, &res)) != 0) {
		log_err("http: %s port %s: %s", host, l->port,
		    gai_strerror(rc));
		return CAIRN_EINVAL;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
		    SOCK_NONBLOCK, ai->ai_protocol);
		if (fd == -1) {
			err = errno;
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		/* "::" means IPv6 only; IPv4 needs its own listener. */
		if (ai->ai_family == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
			    sizeof one);
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, SOMAXCONN) == 0)
			break;
		err = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1) {
		log_err("http: %s port %s: %s", host, l->port, strerror(err));
		return err;
	}
	*out = fd;
	return 0;
}

/* Starts serving HTTP(S) on a listener. */
int
http_start(struct http_server **out, const struct listener *l, int tls)
{
	struct http_server *srv;
	int rc, fl;

	*out = NULL;
	if ((srv = calloc(1, sizeof *srv)) == NULL)
		return ENOMEM;
	srv->l = *l;
	srv->tls = tls;
	srv->lfd = -1;
	pthread_mutex_init(&srv->mu, NULL);
	/* cairnd binds before dropping privileges and hands us the socket. */
	if (l->fd >= 0)
		srv->lfd = l->fd;
	else if ((rc = listen_socket(l, &srv->lfd)) != 0)
		goto fail;
	/*
	 * Non-blocking: during a TLS reload two daemons poll this socket, and
	 * the one that loses the race to accept must not block in accept(2).
	 * The flag is on the open file, so every dup shares it.
	 */
	if ((fl = fcntl(srv->lfd, F_GETFL)) == -1 ||
	    fcntl(srv->lfd, F_SETFL, fl | O_NONBLOCK) == -1) {
		rc = errno;
		goto fail;
	}
	if ((rc = hd_start(srv, &srv->cur)) != 0)
		goto fail;
	*out = srv;
	return 0;
fail:
	if (l->fd < 0 && srv->lfd >= 0)
		close(srv->lfd);
	pthread_mutex_destroy(&srv->mu);
	free(srv);
	return rc;
}

/* Swaps in TLS material read afresh, letting old connections finish. */
int
http_reload_tls(struct http_server *srv)
{
	struct hd *nhd, *old;
	int rc;

	if (srv == NULL || !srv->tls)
		return 0;
	/* New material that does not load leaves the running daemon as is. */
	if ((rc = hd_start(srv, &nhd)) != 0)
		return rc;
	pthread_mutex_lock(&srv->mu);
	reap(srv, 0);
	old = srv->cur;
	srv->cur = nhd;
	if (pthread_create(&old->reaper, NULL, reaper_main, old) != 0) {
		pthread_mutex_unlock(&srv->mu);
		hd_stop(old, 0, STOP_GRACE);
		hd_free(old);
		return 0;
	}
	old->next = srv->retired;
	srv->retired = old;
	pthread_mutex_unlock(&srv->mu);
	log_info("https %s:%s: TLS material reloaded",
	    srv->l.host[0] ? srv->l.host : "127.0.0.1", srv->l.port);
	return 0;
}

/* Stops accepting, lets requests in progress finish, and frees. */
void
http_stop(struct http_server *srv)
{
	if (srv == NULL)
		return;
	__atomic_store_n(&srv->stopping, 1, __ATOMIC_SEQ_CST);
	hd_stop(srv->cur, 0, STOP_GRACE);
	hd_free(srv->cur);
	/* The reapers see stopping and wait only for requests in progress. */
	pthread_mutex_lock(&srv->mu);
	reap(srv, 1);
	pthread_mutex_unlock(&srv->mu);
	close(srv->lfd);
	pthread_mutex_destroy(&srv->mu);
	free(srv);
}
