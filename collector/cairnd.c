/*
 * cairnd: the Cairn collector.  Binds its listeners, drops privileges,
 * opens the store, and runs one writer thread that group-commits what the
 * listeners accept; every acknowledgement follows a durable commit.
 */
#include "config.h"

#include <err.h>
#include <errno.h>
#include <grp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <sodium.h>

#include "cairnd.h"
#include "jarena.h"
#include "sandbox.h"

struct cairnd cairnd;
static pthread_mutex_t tokens_lock = PTHREAD_MUTEX_INITIALIZER;

#define MAXL 64
static struct http_server *http[MAXL];
static struct syslog_server *sysl[MAXL];
static struct relp_server *relp[MAXL];
static size_t nhttp, nsysl, nrelp;
static struct listener local_l;
static char local_path[108];
static char config_sha[CAIRN_HEX_LEN + 1];

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: cairnd [-dnv] [-f config]\n");
	exit(2);
}

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

/* Binds one listener's socket (as root if need be, before dropping). */
static int
bind_listener(struct listener *l)
{
	struct addrinfo hints, *res, *ai;
	const char *host = l->host[0] ? l->host : "127.0.0.1";
	int fd = -1, on = 1, rc, stream;

	stream = l->kind != L_SYSLOG_UDP;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = stream ? SOCK_STREAM : SOCK_DGRAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((rc = getaddrinfo(host, l->port, &hints, &res)) != 0) {
		log_err("listen %s %s:%s: %s", lkind_names[l->kind], host, l->port,
		    gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd < 0)
			continue;
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
		if (ai->ai_family == AF_INET6)
			(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    (!stream || listen(fd, 512) == 0))
			break;
		close(fd);
		fd = -1;
	}
	rc = errno;
	freeaddrinfo(res);
	if (fd < 0) {
		log_err("listen %s %s:%s: %s", lkind_names[l->kind], host, l->port,
		    strerror(rc));
		return -1;
	}
	l->fd = fd;
	return 0;
}

/* Started as root: become cfg->user, for good (no way back). */
static void
drop_privileges(const struct config *cfg)
{
	struct passwd *pw;
	const char *user = cfg->user ? cfg->user : "cairn";

	if (geteuid() != 0)
		return;
	if (strcmp(user, "root") == 0) {
		log_warn("running as root (user = root in %s): set user to an "
		    "unprivileged account", cfg->path);
		return;
	}
	if ((pw = getpwnam(user)) == NULL)
		errx(1, "user \"%s\" does not exist: create it (useradd --system "
		    "%s) or set user in %s", user, user, cfg->path);
	if (setgroups(1, &pw->pw_gid) != 0 || setresgid(pw->pw_gid, pw->pw_gid,
	    pw->pw_gid) != 0 || setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) != 0)
		err(1, "dropping privileges to %s", user);
	if (setuid(0) == 0)
		errx(1, "privileges could be regained after dropping them");
	log_info("running as %s (uid %d)", user, (int)pw->pw_uid);
}

static char *
read_passphrase(const char *path)
{
	uint8_t *p;
	size_t n;
	char *out;

	if (cairn_read_file(path, 1024, &p, &n) != 0)
		return NULL;
	while (n > 0 && (p[n - 1] == '\n' || p[n - 1] == '\r'))
		n--;
	if ((out = sodium_malloc(n + 1)) != NULL) {
		memcpy(out, p, n);
		out[n] = 0;
	}
	sodium_memzero(p, n);
	free(p);
	return out;
}

static struct cairn_seckey *
load_key(const struct config *cfg)
{
	struct cairn_seckey *sk = NULL;
	char *pass = NULL;
	int enc, rc;

	enc = cairn_seckey_is_encrypted(cfg->key);
	if (enc != 0 && enc != 1)
		errx(1, "%s: %s", cfg->key, enc > 0 ? strerror(enc) :
		    cairn_strerror(enc));
	if (enc) {
		/* From a file (or systemd's LoadCredential=), never argv. */
		if (cfg->passphrase_file == NULL)
			errx(1, "%s is encrypted: set passphrase_file in %s",
			    cfg->key, cfg->path);
		if ((pass = read_passphrase(cfg->passphrase_file)) == NULL)
			errx(1, "%s: cannot read the passphrase",
			    cfg->passphrase_file);
	}
	rc = cairn_seckey_load(cfg->key, pass, &sk);
	if (pass != NULL)
		sodium_free(pass);
	if (rc == CAIRN_EKEYPERM)
		errx(1, "%s: refused: a secret key must be owned by the user "
		    "cairnd starts as and readable by nobody else (chmod 600)",
		    cfg->key);
	if (rc != 0)
		errx(1, "%s: %s", cfg->key, rc > 0 ? strerror(rc) :
		    cairn_strerror(rc));
	return sk;
}

/* 1 (and says so) if the key is not the store's current key: it would
 * sign nothing, as after cairn rotate-key with key = still the old one. */
static int
key_mismatch(const struct config *cfg, const struct cairn_seckey *sk,
    const char *conf)
{
	struct cairn_store_info in;
	struct cairn_pubkey pk;
	int rc;

	if ((rc = cairn_store_info(cairnd.store, &in)) != 0) {
		log_err("%s: %s", cfg->store, cairn_strerror(rc));
		return 1;
	}
	cairn_seckey_public(sk, &pk);
	if (sodium_memcmp(pk.pk, in.pubkey, 32) == 0)
		return 0;
	log_err("%s is not the current signing key of %s (was the key "
	    "rotated? set key = in %s to the new key)", cfg->key, cfg->store,
	    conf);
	return 1;
}

/* Names the role bits as a JSON array. */
static void
roles_json(unsigned roles, char *out, size_t len)
{
	static const char *const names[] = { "ingest", "query", "report", "admin" };
	size_t i, o = 0;

	o += (size_t)snprintf(out + o, len - o, "[");
	for (i = 0; i < 4; i++)
		if (roles & (1u << i))
			o += (size_t)snprintf(out + o, len - o, "%s\"%s\"",
			    o > 1 ? "," : "", names[i]);
	snprintf(out + o, len - o, "]");
}

/* Records every token added, revoked or given other roles (self-audit). */
static void
audit_tokens(const struct tokens *old, const struct tokens *nt)
{
	const struct token *a, *b;
	char fields[256], roles[64];
	size_t i, j;

	for (i = 0; (a = tokens_at(nt, i)) != NULL; i++) {
		for (j = 0; (b = tokens_at(old, j)) != NULL; j++)
			if (strcmp(a->name, b->name) == 0)
				break;
		if (b != NULL && b->roles == a->roles &&
		    memcmp(a->hash, b->hash, CAIRN_HASH_LEN) == 0)
			continue;
		roles_json(a->roles, roles, sizeof roles);
		snprintf(fields, sizeof fields, "{\"token\":\"%s\",\"change\":"
		    "\"%s\",\"roles\":%s}", a->name, b == NULL ? "created" :
		    "roles_changed", roles);
		(void)writer_system_event(cairnd.writer, "system.token_changed",
		    fields);
	}
	for (j = 0; (b = tokens_at(old, j)) != NULL; j++) {
		for (i = 0; (a = tokens_at(nt, i)) != NULL; i++)
			if (strcmp(a->name, b->name) == 0)
				break;
		if (a != NULL)
			continue;
		snprintf(fields, sizeof fields, "{\"token\":\"%s\",\"change\":"
		    "\"revoked\"}", b->name);
		(void)writer_system_event(cairnd.writer, "system.token_changed",
		    fields);
	}
}

static void
reload(const char *why)
{
	struct tokens *nt = NULL, *old;
	char e[512], fields[128];
	size_t i;

	if (cairnd.cfg->tokens != NULL) {
		if (tokens_load(cairnd.cfg->tokens, &nt, e, sizeof e) != 0) {
			log_err("reload: %s; keeping the old tokens", e);
		} else {
			pthread_mutex_lock(&tokens_lock);
			old = cairnd.tokens;
			cairnd.tokens = nt;
			pthread_mutex_unlock(&tokens_lock);
			audit_tokens(old, nt);
			tokens_free(old);
			log_info("reloaded %zu tokens", tokens_count(nt));
		}
	}
	for (i = 0; i < nhttp; i++)
		if (http[i] != NULL && http_reload_tls(http[i]) != 0)
			log_err("reload: TLS material for HTTPS not reloaded");
	for (i = 0; i < nsysl; i++)
		if (syslog_reload_tls(sysl[i]) != 0)
			log_err("reload: TLS material for syslog-tls not reloaded");
	/* RELP-TLS listeners keep what librelp loaded at start (cairnd(8)). */
	snprintf(fields, sizeof fields, "{\"trigger\":\"%s\",\"config_sha256\":"
	    "\"%s\"}", why, config_sha);
	(void)writer_system_event(cairnd.writer, "system.config_reloaded", fields);
}

/* The config file's hash, recorded with start and reload events. */
static void
hash_config(const char *path)
{
	uint8_t *p, h[CAIRN_HASH_LEN];
	size_t n;

	if (cairn_read_file(path, 1 << 20, &p, &n) != 0) {
		memset(config_sha, '0', CAIRN_HEX_LEN);
		config_sha[CAIRN_HEX_LEN] = 0;
		return;
	}
	cairn_sha256(p, n, h);
	cairn_hex(h, CAIRN_HASH_LEN, config_sha);
	free(p);
}

static void
start_listeners(struct config *cfg)
{
	struct listener *l;
	size_t i;
	int rc = 0;

	for (i = 0; i < cfg->nlisteners; i++) {
		l = &cfg->listeners[i];
		switch (l->kind) {
		case L_HTTP:
		case L_HTTPS:
			rc = http_start(&http[nhttp++], l, l->kind == L_HTTPS);
			break;
		case L_SYSLOG_UDP:
		case L_SYSLOG_TCP:
		case L_SYSLOG_TLS:
			rc = syslog_start(&sysl[nsysl++], l);
			break;
		case L_RELP:
		case L_RELP_TLS:
			rc = relp_start(&relp[nrelp++], l, l->kind == L_RELP_TLS);
			break;
		}
		if (rc != 0)
			errx(1, "listen %s %s:%s: cannot start", lkind_names[l->kind],
			    l->host[0] ? l->host : "127.0.0.1", l->port);
		log_info("listening: %s %s:%s", lkind_names[l->kind],
		    l->host[0] ? l->host : "127.0.0.1", l->port);
	}
}

/*
 * The local API: HTTP on a unix socket in the store directory, mode 0600,
 * authenticated by peer credentials (http.c).  cairn's writing commands use
 * it while cairnd holds the store, since one process writes a store.
 */
static void
start_local(const struct config *cfg)
{
	struct sockaddr_un sun;
	mode_t old;
	int fd;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if ((size_t)snprintf(local_path, sizeof local_path, "%s/cairnd.sock",
	    cfg->store) >= sizeof local_path ||
	    strlen(local_path) >= sizeof sun.sun_path) {
		log_warn("store path too long for the local socket: cairn's "
		    "writing commands cannot reach cairnd");
		local_path[0] = 0;
		return;
	}
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", local_path);
	(void)unlink(local_path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		goto fail;
	old = umask(077);
	if (bind(fd, (struct sockaddr *)&sun, sizeof sun) != 0) {
		umask(old);
		close(fd);
		goto fail;
	}
	umask(old);
	if (listen(fd, 64) != 0) {
		close(fd);
		goto fail;
	}
	memset(&local_l, 0, sizeof local_l);
	local_l.kind = L_HTTP;
	snprintf(local_l.host, sizeof local_l.host, "unix");
	snprintf(local_l.port, sizeof local_l.port, "-");
	local_l.fd = fd;
	if (http_start(&http[nhttp], &local_l, 0) == 0) {
		nhttp++;
		log_info("local API on %s", local_path);
		return;
	}
fail:
	log_warn("%s: %s: cairn's writing commands cannot reach cairnd",
	    local_path, strerror(errno));
	local_path[0] = 0;
}

static void
stop_listeners(void)
{
	size_t i;

	for (i = 0; i < nhttp; i++)
		http_stop(http[i]);
	for (i = 0; i < nsysl; i++)
		syslog_stop(sysl[i]);
	for (i = 0; i < nrelp; i++)
		relp_stop(relp[i]);
	if (local_path[0] != 0)
		(void)unlink(local_path);
}

int
main(int argc, char **argv)
{
	struct config cfg;
	struct cairn_store_opts so;
	struct cairn_seckey *sk;
	const char *path = "/etc/cairn/cairn.conf";
	char e[1024], fields[256];
	sigset_t set;
	size_t i;
	int ch, fg = 0, check = 0, verbose = 0, sig, rc;

	while ((ch = getopt(argc, argv, "df:nv")) != -1) {
		switch (ch) {
		case 'd': fg = 1; break;
		case 'f': path = optarg; break;
		case 'n': check = 1; break;
		case 'v': verbose = 1; break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
	/* Before any jansson value exists: the listeners parse events in
	 * per-thread arenas (jarena.h). */
	cairn_jarena_install();
	if (sodium_init() < 0)
		errx(1, "libsodium failed to initialise");
	memset(&cfg, 0, sizeof cfg);
	if (config_load(path, &cfg, e, sizeof e) != 0)
		errx(1, "%s", e);
	if (cfg.tokens != NULL &&
	    tokens_load(cfg.tokens, &cairnd.tokens, e, sizeof e) != 0)
		errx(1, "%s", e);
	if (check) {
		printf("%s: configuration ok (%zu listeners, %zu tokens)\n", path,
		    cfg.nlisteners, cairnd.tokens ? tokens_count(cairnd.tokens) : 0);
		tokens_free(cairnd.tokens);
		config_free(&cfg);
		return 0;
	}
	log_init("cairnd", fg, verbose);
	hash_config(path);
	cairnd.cfg = &cfg;
	sk = load_key(&cfg);
	for (i = 0; i < cfg.nlisteners; i++) {
		cfg.listeners[i].fd = -1;
		/* librelp binds its own listeners (after the drop: use a port
		 * above 1023 for RELP). */
		if (cfg.listeners[i].kind == L_RELP ||
		    cfg.listeners[i].kind == L_RELP_TLS)
			continue;
		if (bind_listener(&cfg.listeners[i]) != 0)
			errx(1, "cannot listen on %s %s:%s (see the log above)",
			    lkind_names[cfg.listeners[i].kind],
			    cfg.listeners[i].host[0] ? cfg.listeners[i].host :
			    "127.0.0.1", cfg.listeners[i].port);
	}
	drop_privileges(&cfg);
	(void)prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	if (!fg && daemon(0, 0) != 0)
		err(1, "daemon");
	/* Privileges dropped, forked for good: from here on the deny-list
	 * holds (sandbox.c), before the store opens or anyone is served. */
	if (cfg.seccomp) {
		if (sandbox_install(e, sizeof e) != 0) {
			log_err("seccomp: %s (seccomp = no in %s runs without "
			    "the filter)", e, path);
			return 1;
		}
		log_info("seccomp filter installed: %zu system calls denied",
		    sandbox_denied());
	} else
		log_warn("seccomp = no in %s: running without the system call "
		    "filter", path);
	/* LMDB after forking and after dropping privileges (DESIGN.md). */
	memset(&so, 0, sizeof so);
	so.map_size = cfg.map_size;
	so.max_size = cfg.max_size;
	so.checkpoint_file = cfg.checkpoint_file;
	if ((rc = cairn_store_open(cfg.store, &so, 0, &cairnd.store)) != 0) {
		log_err("%s: %s%s%s", cfg.store, cairn_strerror(rc),
		    *cairn_store_errdetail(NULL) ? ": " : "",
		    cairn_store_errdetail(NULL));
		return 1;
	}
	if (key_mismatch(&cfg, sk, path))
		return 1;
	if ((rc = cairn_catalog_default(&cairnd.cat)) != 0)
		errx(1, "catalog: %s", cairn_strerror(rc));
	/* Signals go to the main thread only, which waits for them. */
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	cairnd.sk = sk;
	if ((rc = writer_start(&cairnd.writer, cairnd.store, &cfg, sk)) != 0) {
		log_err("writer: %s", cairn_strerror(rc));
		return 1;
	}
	snprintf(fields, sizeof fields, "{\"version\":\"%s\",\"config_sha256\":"
	    "\"%s\"}", PACKAGE_VERSION, config_sha);
	(void)writer_system_event(cairnd.writer, "system.start", fields);
	start_listeners(&cfg);
	start_local(&cfg);
	log_info("cairnd %s ready: store %s, %llu entries", PACKAGE_VERSION,
	    cfg.store, (unsigned long long)writer_tree_size(cairnd.writer));
	for (;;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			log_info("SIGHUP: reloading tokens and TLS material");
			hash_config(path);
			reload("sighup");
			continue;
		}
		break;
	}
	log_info("%s: stopping; committing everything accepted",
	    sig == SIGTERM ? "SIGTERM" : "SIGINT");
	cairnd.stopping = 1;
	stop_listeners();
	snprintf(fields, sizeof fields, "{\"reason\":\"%s\"}",
	    sig == SIGTERM ? "SIGTERM" : "SIGINT");
	(void)writer_system_event(cairnd.writer, "system.stop", fields);
	writer_stop(cairnd.writer);
	cairn_store_close(cairnd.store);
	cairn_seckey_free(sk);
	cairn_catalog_free(cairnd.cat);
	tokens_free(cairnd.tokens);
	config_free(&cfg);
	log_info("stopped");
	return 0;
}
