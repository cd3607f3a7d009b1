/*
 * relp.c: RELP (librelp), the syslog transport on which nothing
 * acknowledged is lost: librelp sends "rsp 200" only when our callback
 * returns, and the callback returns only after the commit holding the
 * message has returned.  A failed commit answers an error, and the sender
 * (rsyslog's omrelp) keeps the message and retries.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <librelp.h>

#include "cairnd.h"
#include "ingest.h"

struct relp_server {
	relpEngine_t	*eng;
	pthread_t	 thr;
	int		 tls;
	int		 started;
};

/* 1 if the textual address is in the trusted ranges. */
static int
trusted_ip(const char *ip)
{
	struct sockaddr_in6 s6;
	struct sockaddr_in s4;

	memset(&s4, 0, sizeof s4);
	memset(&s6, 0, sizeof s6);
	if (inet_pton(AF_INET, ip, &s4.sin_addr) == 1) {
		s4.sin_family = AF_INET;
		return cidr_match(cairnd.cfg->trusted, cairnd.cfg->ntrusted,
		    (struct sockaddr *)&s4);
	}
	if (inet_pton(AF_INET6, ip, &s6.sin6_addr) == 1) {
		s6.sin6_family = AF_INET6;
		return cidr_match(cairnd.cfg->trusted, cairnd.cfg->ntrusted,
		    (struct sockaddr *)&s6);
	}
	return 0;
}

static relpRetVal
on_syslog(void *usr, unsigned char *host, unsigned char *ip,
    unsigned char *msg, size_t len)
{
	struct relp_server *s = usr;
	char source[300];
	int trusted, rc;

	(void)host;
	/* Over TLS the sender presented a certificate that verified against
	 * tls_ca (tls_auth), so it is authenticated; otherwise trust goes by
	 * address. */
	trusted = s->tls || trusted_ip((const char *)ip);
	snprintf(source, sizeof source, "%s:%s", s->tls ? "relp-tls" : "relp",
	    (const char *)ip);
	rc = syslog_ingest(msg, len, (const char *)ip, source, trusted,
	    INGEST_WAIT);
	/* A message we refused for its content is stored as nothing and must
	 * not be retried forever: acknowledge it (it was logged and counted).
	 * Only a failed commit is a failure the sender must retry. */
	if (rc == 0 || rc == CAIRN_EVALIDATE || rc == CAIRN_ECONFLICT)
		return RELP_RET_OK;
	return RELP_RET_IO_ERR;
}

static void
on_err(void *usr, char *obj, char *msg, relpRetVal code)
{
	(void)usr;
	log_warn("relp: %s: %s (%d)", obj ? obj : "", msg ? msg : "", (int)code);
}

/* Interrupts relpEngineRun's epoll_wait so it sees the stop flag (librelp
 * waits without a timeout; rsyslog's imrelp stops it the same way). */
static void
on_wake(int sig)
{
	(void)sig;
}

/* librelp calls its debug hook unconditionally: it must be set. */
static void
relp_dbg(char *fmt, ...)
{
	(void)fmt;
}

static void *
relp_main(void *arg)
{
	struct relp_server *s = arg;

	relpEngineRun(s->eng);
	return NULL;
}

/*
 * Makes librelp accept only clients whose certificate verifies against
 * tls_ca.  Its GnuTLS code checks the chain only in "name" mode ("certvalid"
 * takes any certificate at all, and the default, "fingerprint", refuses all
 * but listed fingerprints), so use "name" with permitted peers that match
 * any name of up to MAXLABELS dot-separated labels: the chain is what counts.
 * librelp refuses a client without a certificate in every x509 mode.
 */
#define MAXLABELS	16
static int
tls_auth(relpSrv_t *srv)
{
	static char name[] = "name";
	char peer[2 * MAXLABELS];
	size_t i;

	if (relpSrvSetAuthMode(srv, name) != RELP_RET_OK)
		return -1;
	for (i = 0; i < MAXLABELS; i++) {
		/* "*", "*.*", "*.*.*", ... */
		peer[2 * i] = '*';
		peer[2 * i + 1] = '\0';
		if (relpSrvAddPermittedPeer(srv, peer) != RELP_RET_OK)
			return -1;
		peer[2 * i + 1] = '.';
	}
	return 0;
}

int
relp_start(struct relp_server **out, const struct listener *l, int tls)
{
	static char pri[] =
	    "SECURE256:+SECURE128:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2";
	struct relp_server *s;
	relpSrv_t *srv;
	char port[16], host[256];

	if ((s = calloc(1, sizeof *s)) == NULL)
		return ENOMEM;
	s->tls = tls;
	snprintf(port, sizeof port, "%s", l->port);
	snprintf(host, sizeof host, "%s", l->host[0] ? l->host : "127.0.0.1");
	if (relpEngineConstruct(&s->eng) != RELP_RET_OK ||
	    relpEngineSetDbgprint(s->eng, relp_dbg) != RELP_RET_OK ||
	    relpEngineSetEnableCmd(s->eng, (unsigned char *)"syslog",
	    eRelpCmdState_Required) != RELP_RET_OK ||
	    relpEngineSetSyslogRcv2(s->eng, on_syslog) != RELP_RET_OK ||
	    relpEngineSetOnErr(s->eng, on_err) != RELP_RET_OK ||
	    relpEngineSetDnsLookupMode(s->eng, 0) != RELP_RET_OK ||
	    relpEngineListnerConstruct(s->eng, &srv) != RELP_RET_OK)
		goto fail;
	if (relpSrvSetLstnPort(srv, (unsigned char *)port) != RELP_RET_OK ||
	    relpSrvSetLstnAddr(srv, (unsigned char *)host) != RELP_RET_OK ||
	    relpSrvSetUsrPtr(srv, s) != RELP_RET_OK ||
	    relpSrvSetMaxDataSize(srv, cairnd.cfg->max_message) != RELP_RET_OK)
		goto fail;
	if (tls) {
		if (relpSrvEnableTLS2(srv) != RELP_RET_OK ||
		    relpSrvSetOwnCert(srv, cairnd.cfg->tls_cert) != RELP_RET_OK ||
		    relpSrvSetPrivKey(srv, cairnd.cfg->tls_key) != RELP_RET_OK ||
		    relpSrvSetGnuTLSPriString(srv, pri) != RELP_RET_OK)
			goto fail;
		if (cairnd.cfg->tls_ca != NULL &&
		    relpSrvSetCACert(srv, cairnd.cfg->tls_ca) != RELP_RET_OK)
			goto fail;
		if (tls_auth(srv) != 0)
			goto fail;
	}
	if (relpEngineListnerConstructFinalize(s->eng, srv) != RELP_RET_OK) {
		log_err("relp: cannot listen on %s:%s", host, port);
		goto fail;
	}
	{
		struct sigaction sa;

		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_wake;	/* no SA_RESTART: EINTR wakes it */
		sigemptyset(&sa.sa_mask);
		sigaction(SIGUSR1, &sa, NULL);
	}
	if (pthread_create(&s->thr, NULL, relp_main, s) != 0)
		goto fail;
	s->started = 1;
	*out = s;
	return 0;
fail:
	if (s->eng != NULL)
		relpEngineDestruct(&s->eng);
	free(s);
	return -1;
}

void
relp_stop(struct relp_server *s)
{
	if (s == NULL)
		return;
	/* relpEngineRun returns after the message in hand, if any, was
	 * committed and acknowledged. */
	relpEngineSetStop(s->eng);
	if (s->started) {
		int i;

		for (i = 0; i < 500 && pthread_tryjoin_np(s->thr, NULL) != 0; i++) {
			pthread_kill(s->thr, SIGUSR1);
			usleep(10000);
		}
		if (i == 500) {
			log_err("relp: listener did not stop");
			return;
		}
	}
	relpEngineDestruct(&s->eng);
	free(s);
}
