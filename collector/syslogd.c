/*
 * syslogd.c: syslog over UDP, TCP and TLS (RFC 5426, RFC 6587, RFC 5425).
 *
 * UDP and plain TCP are best-effort by nature: nothing is acknowledged to
 * the sender.  UDP datagrams that find the queue full are dropped and
 * counted; TCP connections simply stop being read (backpressure) until the
 * writer catches up.  One thread per TCP/TLS connection, capped by
 * max_connections, keeps each connection's framing and TLS state simple.
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <jansson.h>

#include "cairnd.h"
#include "framing.h"
#include "jarena.h"
#include "rfc3339.h"
#include "ingest.h"
#include "syslogmsg.h"
#include "sysevent.h"

struct retired {
	gnutls_certificate_credentials_t cred;
	struct retired			*next;
};

struct syslog_server {
	struct listener			*l;
	pthread_t			 thr;
	volatile int			 stop;
	pthread_mutex_t			 credmu;
	gnutls_certificate_credentials_t cred;	/* for new sessions */
	struct retired			*old;	/* kept for sessions under way */
	gnutls_priority_t		 prio;
	volatile unsigned		 conns;
};

struct conn {
	struct syslog_server	*srv;
	int			 fd;
	char			 peer[INET6_ADDRSTRLEN + 8];
	struct sockaddr_storage	 sa;
	gnutls_session_t	 tls;
	int			 trusted;
	char			 source[320];
};

static int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* A request that owns its events and frees itself once committed. */
struct owned {
	struct wreq		r;
	cairn_event		*ev;
	struct cairn_receipt	 rcpt;
};

static void
owned_done(struct wreq *r)
{
	struct owned *o = (struct owned *)r;

	if (r->rc != 0 && r->rc != CAIRN_ECONFLICT)
		log_warn("syslog message not stored: %s", cairn_strerror(r->rc));
	cairn_event_free(o->ev);
	free(o);
}

/* A syslog.message for input that does not parse, so nothing is lost. */
static json_t *
unparsed_event(const uint8_t *m, size_t n, const char *peer, const char *why)
{
	char ts[32], *b64;
	json_t *ev;

	cairn_rfc3339_format(now_us(), ts);
	/* PRI 13 (user.notice) as RFC 3164 4.3.3 says for a message without one. */
	ev = json_pack("{s:s, s:s, s:s, s:i, s:i, s:s, s:s}", "type",
	    "syslog.message", "time", ts, "format", "rfc3164", "facility", 1,
	    "severity", 5, "peer", peer, "invalid_reason", why);
	if (ev == NULL)
		return NULL;
	if (n > 8192)
		n = 8192;	/* the catalog's cap on msg_b64's source */
	if ((b64 = malloc(cairn_b64_len(n) + 1)) == NULL) {
		json_decref(ev);
		return NULL;
	}
	cairn_b64(m, n, b64);
	json_object_set_new(ev, "msg_b64", json_string(b64));
	free(b64);
	return ev;
}

/* Prepares one syslog message as an event: an audit event from a trusted
 * source, else (or when it fails validation) a syslog.message.  Every JSON
 * value made here is freed before it returns. */
static cairn_event *
prepare_in(const uint8_t *m, size_t n, const char *peer, const char *source,
    int trusted)
{
	struct syslog_msg msg;
	struct cairn_verr errs[4];
	cairn_event *e = NULL;
	const char *why = NULL;
	char reason[400];
	json_t *ev = NULL;
	size_t nerr;
	int rc, audit;

	if (syslog_parse(m, n, &msg, now_us(), &why) != 0) {
		/* Not valid RFC 5424: keep it as BSD syslog, marked, so that
		 * nothing is lost; it can never carry an audit event. */
		metric_add(M_REJECTED_MALFORMED, 1);
		snprintf(reason, sizeof reason, "malformed: %s", why ? why : "?");
		if (syslog_parse_3164(m, n, &msg, now_us(), &why) != 0 ||
		    sysevent_build(&msg, cairnd.cat, cairnd.cfg->sd_id, 0, 1,
		    reason, peer, now_us(), &ev, &why) != 0)
			ev = unparsed_event(m, n, peer, reason);
		audit = 0;
	} else {
		if (sysevent_build(&msg, cairnd.cat, cairnd.cfg->sd_id, trusted, 0,
		    NULL, peer, now_us(), &ev, &why) != 0)
			ev = NULL;
		audit = ev != NULL && strcmp(json_string_value(json_object_get(ev,
		    "type")) ? json_string_value(json_object_get(ev, "type")) : "",
		    "syslog.message") != 0;
		if (why != NULL && strcmp(why, "untrusted_source") == 0)
			metric_add(M_SYSLOG_UNTRUSTED, 1);
		else if (why != NULL)
			metric_add(M_SYSLOG_INVALID, 1);
	}
	if (ev == NULL) {
		metric_add(M_REJECTED_MALFORMED, 1);
		return NULL;
	}
	rc = cairn_event_prepare_json(cairnd.cat, source, ev, 0, &e, errs, 4,
	    &nerr);
	if (rc == 0)
		return e;
	if (audit) {
		/* An audit event that fails validation is kept, marked, never
		 * silently re-typed (DESIGN.md). */
		snprintf(reason, sizeof reason, "%s: %s %s", nerr ? errs[0].field :
		    "", nerr ? errs[0].rule : "", nerr ? errs[0].msg : "");
		log_warn("audit event from %s failed validation (%s): kept as "
		    "syslog.message", peer, reason);
		metric_add(M_SYSLOG_INVALID, 1);
		if (sysevent_build(&msg, cairnd.cat, cairnd.cfg->sd_id, trusted, 1,
		    reason, peer, now_us(), &ev, &why) == 0 &&
		    cairn_event_prepare_json(cairnd.cat, source, ev, 0, &e, errs, 4,
		    &nerr) == 0)
			return e;
	}
	log_warn("syslog message from %s refused: %s %s", peer,
	    nerr ? errs[0].field : "", nerr ? errs[0].msg : cairn_strerror(rc));
	metric_add(M_REJECTED_INVALID, 1);
	return NULL;
}

/* prepare_in with its JSON values in this thread's arena. */
static cairn_event *
prepare(const uint8_t *m, size_t n, const char *peer, const char *source,
    int trusted)
{
	cairn_event *e;

	cairn_jarena_begin();
	e = prepare_in(m, n, peer, source, trusted);
	cairn_jarena_end();
	return e;
}

int
syslog_ingest(const uint8_t *m, size_t n, const char *peer,
    const char *source, int trusted, int mode)
{
	struct owned *o;
	cairn_event *e;
	int rc;

	if ((e = prepare(m, n, peer, source, trusted)) == NULL)
		return mode == INGEST_WAIT ? CAIRN_EVALIDATE : 0;
	if (mode == INGEST_WAIT) {
		struct owned w;

		memset(&w, 0, sizeof w);
		w.ev = e;
		w.r.evs = &w.ev;
		w.r.n = 1;
		w.r.rcpt = &w.rcpt;
		/* The sender's next message waits for this one's commit (RELP,
		 * whose library calls us once per message and answers when we
		 * return): no other event of this sender can join the group, so
		 * the group-commit delay would only be added to every message. */
		w.r.alone = 1;
		rc = writer_submit_wait(cairnd.writer, &w.r, 1);
		cairn_event_free(e);
		return rc;
	}
	if ((o = calloc(1, sizeof *o)) == NULL) {
		cairn_event_free(e);
		return CAIRN_ENOMEM;
	}
	o->ev = e;
	o->r.evs = &o->ev;
	o->r.n = 1;
	o->r.rcpt = &o->rcpt;
	o->r.done = owned_done;
	rc = writer_submit(cairnd.writer, &o->r, mode == INGEST_BLOCK);
	if (rc != 0) {
		if (rc == EAGAIN)
			metric_add(M_UDP_DROPS, 1);
		cairn_event_free(e);
		free(o);
	}
	return rc;
}

static void
peer_name(const struct sockaddr_storage *sa, socklen_t len, char *out,
    size_t outlen)
{
	char host[INET6_ADDRSTRLEN];

	if (getnameinfo((const struct sockaddr *)sa, len, host, sizeof host, NULL,
	    0, NI_NUMERICHOST) != 0)
		snprintf(host, sizeof host, "unknown");
	snprintf(out, outlen, "%s", host);
}

static void *
udp_main(void *arg)
{
	struct syslog_server *s = arg;
	struct sockaddr_storage sa;
	struct pollfd pfd;
	socklen_t salen;
	uint8_t *buf;
	char peer[INET6_ADDRSTRLEN + 8], source[INET6_ADDRSTRLEN + 16];
	ssize_t n;

	if ((buf = malloc(cairnd.cfg->max_message + 1)) == NULL)
		return NULL;
	pfd.fd = s->l->fd;
	pfd.events = POLLIN;
	while (!s->stop) {
		if (poll(&pfd, 1, 200) <= 0)
			continue;
		salen = sizeof sa;
		n = recvfrom(s->l->fd, buf, cairnd.cfg->max_message + 1, MSG_TRUNC,
		    (struct sockaddr *)&sa, &salen);
		if (n <= 0)
			continue;
		if ((size_t)n > cairnd.cfg->max_message) {
			metric_add(M_REJECTED_TOOBIG, 1);
			continue;
		}
		/* A trailing LF or NUL is framing, not message. */
		while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == 0))
			n--;
		peer_name(&sa, salen, peer, sizeof peer);
		snprintf(source, sizeof source, "syslog:%s", peer);
		(void)syslog_ingest(buf, (size_t)n, peer, source,
		    cidr_match(cairnd.cfg->trusted, cairnd.cfg->ntrusted,
		    (struct sockaddr *)&sa), INGEST_NOWAIT);
	}
	free(buf);
	return NULL;
}

/* Reads from a plain or TLS connection; <= 0 at the end or on error. */
static ssize_t
conn_read(struct conn *c, uint8_t *buf, size_t len)
{
	struct pollfd pfd;
	ssize_t n;
	int r;

	for (;;) {
		if (c->srv->stop)
			return 0;
		if (c->tls != NULL && gnutls_record_check_pending(c->tls) > 0)
			r = 1;
		else {
			pfd.fd = c->fd;
			pfd.events = POLLIN;
			r = poll(&pfd, 1, 500);
		}
		if (r < 0 && errno != EINTR)
			return -1;
		if (r <= 0)
			continue;
		if (c->tls == NULL) {
			n = read(c->fd, buf, len);
			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			return n;
		}
		n = gnutls_record_recv(c->tls, buf, len);
		if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
			continue;
		return n < 0 ? -1 : n;
	}
}

/* TLS: handshake, and trust a client whose certificate verified. */
static int
tls_accept(struct conn *c)
{
	struct syslog_server *s = c->srv;
	unsigned status = 0;
	const gnutls_datum_t *certs;
	unsigned ncerts;
	gnutls_x509_crt_t crt;
	gnutls_datum_t dn;
	int r;

	if (gnutls_init(&c->tls, GNUTLS_SERVER) != 0)
		return -1;
	gnutls_priority_set(c->tls, s->prio);
	pthread_mutex_lock(&s->credmu);
	gnutls_credentials_set(c->tls, GNUTLS_CRD_CERTIFICATE, s->cred);
	pthread_mutex_unlock(&s->credmu);
	gnutls_certificate_server_set_request(c->tls,
	    cairnd.cfg->tls_verify == TLS_VERIFY_REQUIRE ? GNUTLS_CERT_REQUIRE :
	    cairnd.cfg->tls_verify == TLS_VERIFY_OPTIONAL ? GNUTLS_CERT_REQUEST :
	    GNUTLS_CERT_IGNORE);
	gnutls_transport_set_int(c->tls, c->fd);
	gnutls_handshake_set_timeout(c->tls, 10000);
	do {
		r = gnutls_handshake(c->tls);
	} while (r < 0 && !gnutls_error_is_fatal(r));
	if (r < 0) {
		log_info("TLS handshake with %s failed: %s", c->peer,
		    gnutls_strerror(r));
		return -1;
	}
	certs = gnutls_certificate_get_peers(c->tls, &ncerts);
	if (certs == NULL || ncerts == 0) {
		if (cairnd.cfg->tls_verify == TLS_VERIFY_REQUIRE)
			return -1;
		return 0;
	}
	if (gnutls_certificate_verify_peers2(c->tls, &status) != 0 || status != 0) {
		log_warn("TLS client %s: certificate does not verify", c->peer);
		return cairnd.cfg->tls_verify == TLS_VERIFY_REQUIRE ? -1 : 0;
	}
	/* A verified client certificate makes the sender trusted, and its
	 * subject becomes the source. */
	c->trusted = 1;
	if (gnutls_x509_crt_init(&crt) == 0) {
		if (gnutls_x509_crt_import(crt, &certs[0], GNUTLS_X509_FMT_DER) == 0 &&
		    gnutls_x509_crt_get_dn3(crt, &dn, 0) == 0) {
			snprintf(c->source, sizeof c->source, "tls:%.*s",
			    (int)dn.size, (const char *)dn.data);
			gnutls_free(dn.data);
		}
		gnutls_x509_crt_deinit(crt);
	}
	return 0;
}

static void *
conn_main(void *arg)
{
	struct conn *c = arg;
	struct framer fr;
	uint8_t buf[16384];
	const uint8_t *frame, *p;
	size_t used, flen, left;
	ssize_t n;
	int r;

	ingest_priority();
	framer_init(&fr, cairnd.cfg->max_message);
	if (c->tls == NULL && c->srv->l->kind == L_SYSLOG_TLS &&
	    tls_accept(c) != 0)
		goto out;
	while ((n = conn_read(c, buf, sizeof buf)) > 0) {
		p = buf;
		left = (size_t)n;
		for (;;) {
			r = framer_next(&fr, p, left, &used, &frame, &flen);
			p += used;
			left -= used;
			if (r == 1) {
				/* Blocking submit: a full queue stops our reads. */
				(void)syslog_ingest(frame, flen, c->peer, c->source,
				    c->trusted, INGEST_BLOCK);
				continue;
			}
			if (r == -1) {
				metric_add(M_REJECTED_MALFORMED, 1);
				continue;
			}
			if (r == -2) {
				metric_add(M_REJECTED_MALFORMED, 1);
				log_info("closing %s: unusable octet count", c->peer);
				goto out;
			}
			break;	/* need more bytes */
		}
	}
	/* A last LF-framed line without its LF is still a message. */
	if (framer_eof(&fr, &frame, &flen) == 1)
		(void)syslog_ingest(frame, flen, c->peer, c->source, c->trusted,
		    INGEST_BLOCK);
out:
	framer_free(&fr);
	if (c->tls != NULL) {
		gnutls_bye(c->tls, GNUTLS_SHUT_WR);
		gnutls_deinit(c->tls);
	}
	close(c->fd);
	__atomic_sub_fetch(&c->srv->conns, 1, __ATOMIC_RELAXED);
	free(c);
	return NULL;
}

static void *
accept_main(void *arg)
{
	struct syslog_server *s = arg;
	struct pollfd pfd;
	pthread_attr_t attr;
	pthread_t t;
	struct conn *c;
	socklen_t salen;
	int fd;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	pfd.fd = s->l->fd;
	pfd.events = POLLIN;
	while (!s->stop) {
		if (poll(&pfd, 1, 200) <= 0)
			continue;
		if ((c = calloc(1, sizeof *c)) == NULL)
			continue;
		salen = sizeof c->sa;
		fd = accept4(s->l->fd, (struct sockaddr *)&c->sa, &salen,
		    SOCK_CLOEXEC);
		if (fd < 0) {
			free(c);
			continue;
		}
		if (__atomic_load_n(&s->conns, __ATOMIC_RELAXED) >=
		    cairnd.cfg->max_connections) {
			log_warn("connection limit (%u) reached: refusing a client",
			    cairnd.cfg->max_connections);
			close(fd);
			free(c);
			continue;
		}
		c->srv = s;
		c->fd = fd;
		peer_name(&c->sa, salen, c->peer, sizeof c->peer);
		snprintf(c->source, sizeof c->source, "syslog:%s", c->peer);
		/* Plain TCP: trusted only by address.  TLS: by certificate, or
		 * by address as well. */
		c->trusted = cidr_match(cairnd.cfg->trusted, cairnd.cfg->ntrusted,
		    (struct sockaddr *)&c->sa);
		__atomic_add_fetch(&s->conns, 1, __ATOMIC_RELAXED);
		if (pthread_create(&t, &attr, conn_main, c) != 0) {
			__atomic_sub_fetch(&s->conns, 1, __ATOMIC_RELAXED);
			close(fd);
			free(c);
		}
	}
	pthread_attr_destroy(&attr);
	return NULL;
}

/* Loads the certificate, key and CA into new credentials. */
static int
load_cred(gnutls_certificate_credentials_t *out)
{
	gnutls_certificate_credentials_t cred;
	int r;

	if ((r = gnutls_certificate_allocate_credentials(&cred)) != 0)
		return -1;
	if ((r = gnutls_certificate_set_x509_key_file(cred,
	    cairnd.cfg->tls_cert, cairnd.cfg->tls_key, GNUTLS_X509_FMT_PEM)) != 0) {
		log_err("TLS: %s / %s: %s", cairnd.cfg->tls_cert,
		    cairnd.cfg->tls_key, gnutls_strerror(r));
		gnutls_certificate_free_credentials(cred);
		return -1;
	}
	if (cairnd.cfg->tls_ca != NULL &&
	    gnutls_certificate_set_x509_trust_file(cred, cairnd.cfg->tls_ca,
	    GNUTLS_X509_FMT_PEM) < 0) {
		log_err("TLS: %s: cannot load the CA", cairnd.cfg->tls_ca);
		gnutls_certificate_free_credentials(cred);
		return -1;
	}
	*out = cred;
	return 0;
}

/* SIGHUP: new sessions get freshly read material; sessions under way keep
 * theirs, so no connection is dropped.  Bad new material changes nothing. */
int
syslog_reload_tls(struct syslog_server *s)
{
	gnutls_certificate_credentials_t cred;
	struct retired *r;

	if (s == NULL || s->l->kind != L_SYSLOG_TLS)
		return 0;
	if (load_cred(&cred) != 0)
		return -1;
	if ((r = calloc(1, sizeof *r)) == NULL) {
		gnutls_certificate_free_credentials(cred);
		return -1;
	}
	pthread_mutex_lock(&s->credmu);
	r->cred = s->cred;
	r->next = s->old;
	s->old = r;
	s->cred = cred;
	pthread_mutex_unlock(&s->credmu);
	log_info("syslog-tls %s:%s: TLS material reloaded",
	    s->l->host[0] ? s->l->host : "127.0.0.1", s->l->port);
	return 0;
}

/* Loads the certificate, key and CA for TLS listeners. */
static int
tls_setup(struct syslog_server *s)
{
	if (load_cred(&s->cred) != 0)
		return -1;
	/* TLS 1.2 and later only, GnuTLS's secure defaults otherwise. */
	if (gnutls_priority_init(&s->prio,
	    "SECURE256:+SECURE128:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:%SERVER_PRECEDENCE",
	    NULL) != 0)
		return -1;
	return 0;
}

int
syslog_start(struct syslog_server **out, const struct listener *l)
{
	struct syslog_server *s;

	if ((s = calloc(1, sizeof *s)) == NULL)
		return ENOMEM;
	s->l = (struct listener *)(uintptr_t)l;
	pthread_mutex_init(&s->credmu, NULL);
	if (l->kind == L_SYSLOG_TLS && tls_setup(s) != 0) {
		free(s);
		return -1;
	}
	if (pthread_create(&s->thr, NULL, l->kind == L_SYSLOG_UDP ? udp_main :
	    accept_main, s) != 0) {
		free(s);
		return -1;
	}
	*out = s;
	return 0;
}

void
syslog_stop(struct syslog_server *s)
{
	int i;

	if (s == NULL)
		return;
	s->stop = 1;
	pthread_join(s->thr, NULL);
	close(s->l->fd);
	/* Connection threads see stop within half a second and finish the
	 * frame they are on; wait for them so nothing accepted is left out. */
	for (i = 0; i < 100 && __atomic_load_n(&s->conns, __ATOMIC_RELAXED); i++)
		usleep(20000);
	if (s->cred != NULL)
		gnutls_certificate_free_credentials(s->cred);
	while (s->old != NULL) {
		struct retired *r = s->old;

		s->old = r->next;
		gnutls_certificate_free_credentials(r->cred);
		free(r);
	}
	pthread_mutex_destroy(&s->credmu);
	if (s->prio != NULL)
		gnutls_priority_deinit(s->prio);
	free(s);
}
