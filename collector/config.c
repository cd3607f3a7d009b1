/*
 * config.c: cairnd's configuration file, cairn.conf(5).
 *
 * A line is blank, a comment ("#" first), "key = value" (the value may be
 * double-quoted; unquoted, a " #" starts a trailing comment) or
 * "listen KIND ADDRESS".  Every mistake is reported as "file:line: what is
 * wrong (what is allowed)" and nothing is guessed: unknown keys, duplicate
 * keys, out-of-range numbers and unsafe listeners are errors.  The parser is
 * a pure function over (text, length) so that it can be fuzzed; the checks
 * that look at the file system come last and can be skipped.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cairnd.h"
#include "confparse.h"

/* In enum lkind order. */
const char *const lkind_names[] = {
	"syslog-udp", "syslog-tcp", "syslog-tls", "relp", "relp-tls", "http",
	"https", NULL
};
#define NKINDS	7

#define KB	1024ULL
#define MB	(1024ULL * KB)
#define GB	(1024ULL * MB)
#define TB	(1024ULL * GB)

#define CRED_VAR	"$CREDENTIALS_DIRECTORY"

enum ktype { K_PATH, K_USER, K_SDID, K_VERIFY, K_PEERS, K_BOOL, K_NUM, K_SIZE };

enum kid {
	K_STORE, K_CHECKPOINT_FILE, K_KEY, K_PASSPHRASE_FILE, K_TOKENS, K_USERNAME,
	K_TLS_CERT, K_TLS_KEY, K_TLS_CA, K_TLS_VERIFY, K_SD_ID, K_TRUSTED,
	K_ALLOW_PLAIN, K_BATCH_SIZE, K_BATCH_DELAY, K_CP_INTERVAL, K_QUEUE_LIMIT,
	K_MAX_MESSAGE, K_MAX_BODY, K_MAX_CONN, K_MAP_SIZE, K_MAX_SIZE, K_REPORTS,
	K_AUTH_FAIL_LIMIT, K_SECCOMP, K_INGEST_NICE, NKEYS
};

struct kdef {
	const char	*name;
	enum ktype	 type;
	size_t		 off;		/* of the char * field, for strings */
	uint64_t	 min, max;
};

#define STR(f)	offsetof(struct config, f)

/* In enum kid order. */
static const struct kdef keys[NKEYS] = {
	{ "store",		K_PATH,	STR(store), 0, 0 },
	{ "checkpoint_file",	K_PATH,	STR(checkpoint_file), 0, 0 },
	{ "key",		K_PATH,	STR(key), 0, 0 },
	{ "passphrase_file",	K_PATH,	STR(passphrase_file), 0, 0 },
	{ "tokens",		K_PATH,	STR(tokens), 0, 0 },
	{ "user",		K_USER,	STR(user), 0, 0 },
	{ "tls_cert",		K_PATH,	STR(tls_cert), 0, 0 },
	{ "tls_key",		K_PATH,	STR(tls_key), 0, 0 },
	{ "tls_ca",		K_PATH,	STR(tls_ca), 0, 0 },
	{ "tls_verify_client",	K_VERIFY, 0, 0, 0 },
	{ "sd_id",		K_SDID,	STR(sd_id), 0, 0 },
	{ "trusted_peers",	K_PEERS, 0, 0, 0 },
	{ "allow_plaintext_remote", K_BOOL, 0, 0, 0 },
	{ "batch_size",		K_NUM,	0, 1, 100000 },
	{ "batch_delay_ms",	K_NUM,	0, 0, 1000 },
	{ "checkpoint_interval", K_NUM,	0, 1, 86400 },
	{ "queue_limit",	K_NUM,	0, 1, 10000000 },
	{ "max_message",	K_SIZE,	0, 480, 1 * MB },
	{ "max_body",		K_SIZE,	0, 1 * KB, 256 * MB },
	{ "max_connections",	K_NUM,	0, 1, 65536 },
	{ "map_size",		K_SIZE,	0, 1 * MB, 64 * TB },
	{ "max_size",		K_SIZE,	0, 1 * MB, 64 * TB },
	{ "reports",		K_PATH,	STR(reports), 0, 0 },
	{ "auth_fail_limit",	K_NUM,	0, 0, 100000 },
	{ "seccomp",		K_BOOL,	0, 0, 0 },
	{ "ingest_nice",	K_NUM,	0, 0, 19 },
};

/* Names people reach for, and the key they mean. */
static const struct {
	const char	*alias, *key;
} aliases[] = {
	{ "token_file", "tokens" }, { "tokens_file", "tokens" },
	{ "token", "tokens" }, { "passphrase", "passphrase_file" },
	{ "store_dir", "store" }, { "datadir", "store" },
	{ "secret_key", "key" }, { "key_file", "key" }, { "keyfile", "key" },
	{ "listener", "listen" }, { "bind", "listen" },
	{ "ca", "tls_ca" }, { "cert", "tls_cert" },
};

struct pstate {
	const char	*path;
	char		*base;		/* directory of the config file */
	int		 flags;
	int		 line;
	int		 seen[NKEYS];	/* line where each key was set */
	char		*err;
	size_t		 errlen;
	struct config	*cfg;
};

/* Writes "path:line: message" into the error buffer; returns CAIRN_EINVAL. */
static int __attribute__((format(printf, 3, 4)))
perr(struct pstate *ps, int line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (ps->errlen == 0)
		return CAIRN_EINVAL;
	if (line > 0)
		snprintf(ps->err, ps->errlen, "%s:%d: %s", ps->path, line, msg);
	else
		snprintf(ps->err, ps->errlen, "%s: %s", ps->path, msg);
	return CAIRN_EINVAL;
}

/* Levenshtein distance of two short strings, case-folded. */
static size_t
edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, prev, cur, t;
	size_t row[64];

	if (la >= sizeof row / sizeof row[0] || lb >= sizeof row / sizeof row[0])
		return SIZE_MAX;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			cur = row[j];
			t = prev + (tolower((unsigned char)a[i - 1]) !=
			    tolower((unsigned char)b[j - 1]));
			if (row[j] + 1 < t)
				t = row[j] + 1;
			if (row[j - 1] + 1 < t)
				t = row[j - 1] + 1;
			row[j] = t;
			prev = cur;
		}
	}
	return row[lb];
}

/* The known key an unknown one most likely means, or NULL. */
static const char *
suggest_key(const char *k)
{
	const char *best = NULL;
	size_t i, d, bestd = SIZE_MAX, kl = strlen(k);

	for (i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
		if (strcasecmp(k, aliases[i].alias) == 0)
			return aliases[i].key;
	for (i = 0; i <= NKEYS; i++) {
		const char *n = i < NKEYS ? keys[i].name : "listen";

		/* "tls_verify" for "tls_verify_client", "allow_plaintext". */
		if (kl >= 4 && strncasecmp(n, k, kl) == 0)
			return n;
		d = edit_distance(k, n);
		if (d < bestd) {
			bestd = d;
			best = n;
		}
	}
	/* Only an obvious typo: a third of the letters at most. */
	if (bestd <= 1 || (bestd <= 3 && bestd * 3 <= kl))
		return best;
	return NULL;
}

/* Parses a decimal number without sign or spaces; 0 or -1. */
static int
parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return 0;
}

/* Parses a byte count with an optional K, M, G or T suffix (powers of 1024). */
static int
parse_size(const char *s, uint64_t *out)
{
	char num[32];
	size_t n = strlen(s);
	unsigned shift = 0;
	uint64_t v;

	if (n == 0 || n >= sizeof num)
		return -1;
	memcpy(num, s, n + 1);
	switch (num[n - 1]) {
	case 'K': case 'k': shift = 10; break;
	case 'M': case 'm': shift = 20; break;
	case 'G': case 'g': shift = 30; break;
	case 'T': case 't': shift = 40; break;
	default: break;
	}
	if (shift != 0)
		num[n - 1] = '\0';
	if (parse_u64(num, &v) != 0 || v > (UINT64_MAX >> shift))
		return -1;
	*out = v << shift;
	return 0;
}

/* Prints a byte count the way a user would write it (1M rather than 1048576). */
static void
fmt_size(uint64_t v, char *out, size_t outlen)
{
	static const char suf[] = "TGMK";
	int i;

	for (i = 0; i < 4; i++) {
		unsigned shift = (unsigned)(40 - 10 * i);

		if (v != 0 && (v & ((1ULL << shift) - 1)) == 0) {
			snprintf(out, outlen, "%llu%c",
			    (unsigned long long)(v >> shift), suf[i]);
			return;
		}
	}
	snprintf(out, outlen, "%llu", (unsigned long long)v);
}

/* Makes a configured path absolute: $CREDENTIALS_DIRECTORY, or the config's directory. */
static int
resolve_path(struct pstate *ps, const char *k, const char *v, char **out)
{
	const char *cred;
	int n;

	*out = NULL;
	if (strncmp(v, CRED_VAR, sizeof CRED_VAR - 1) == 0 &&
	    (v[sizeof CRED_VAR - 1] == '/' || v[sizeof CRED_VAR - 1] == '\0')) {
		/* systemd's LoadCredential= puts secrets here (systemd.exec(5)). */
		if ((cred = getenv("CREDENTIALS_DIRECTORY")) == NULL ||
		    *cred == '\0')
			return perr(ps, ps->line, "%s: %s is not set (systemd sets "
			    "it for LoadCredential=)", k, CRED_VAR);
		n = asprintf(out, "%s%s", cred, v + sizeof CRED_VAR - 1);
	} else if (v[0] == '/' || ps->base == NULL)
		n = asprintf(out, "%s", v);
	else
		n = asprintf(out, "%s%s%s", ps->base,
		    ps->base[strlen(ps->base) - 1] == '/' ? "" : "/", v);
	if (n < 0) {
		*out = NULL;
		return CAIRN_ENOMEM;
	}
	return 0;
}

/* Parses one address of trusted_peers ("10.0.0.0/8", "::1") into c. */
static int
parse_cidr(struct pstate *ps, const char *s, struct cidr *c)
{
	char a[INET6_ADDRSTRLEN + 8], net[INET6_ADDRSTRLEN];
	const char *slash;
	uint64_t bits;
	size_t alen;
	int maxbits, i;

	memset(c, 0, sizeof *c);
	slash = strchr(s, '/');
	alen = slash != NULL ? (size_t)(slash - s) : strlen(s);
	if (alen == 0 || alen >= sizeof a)
		return perr(ps, ps->line, "trusted_peers: bad address '%s' "
		    "(an IPv4 or IPv6 address, optionally /prefix)", s);
	memcpy(a, s, alen);
	a[alen] = '\0';
	if (inet_pton(AF_INET, a, c->addr) == 1) {
		c->family = AF_INET;
		maxbits = 32;
	} else if (inet_pton(AF_INET6, a, c->addr) == 1) {
		c->family = AF_INET6;
		maxbits = 128;
	} else
		return perr(ps, ps->line, "trusted_peers: bad address '%s' "
		    "(an IPv4 or IPv6 address, optionally /prefix; no names)", s);
	bits = (uint64_t)maxbits;
	if (slash != NULL && (parse_u64(slash + 1, &bits) != 0 ||
	    bits > (uint64_t)maxbits))
		return perr(ps, ps->line, "trusted_peers: bad prefix length in "
		    "'%s' (0..%d)", s, maxbits);
	c->bits = (int)bits;
	/* 10.1.2.3/8 is a typo for 10.0.0.0/8 or 10.1.2.3: say which. */
	for (i = 0; i < maxbits / 8; i++) {
		int keep = c->bits - i * 8;
		uint8_t mask = keep >= 8 ? 0xff : keep <= 0 ? 0 :
		    (uint8_t)(0xff << (8 - keep));

		if ((c->addr[i] & ~mask) != 0) {
			uint8_t m[16];
			int j;

			memcpy(m, c->addr, sizeof m);
			for (j = i; j < maxbits / 8; j++) {
				keep = c->bits - j * 8;
				m[j] &= keep >= 8 ? 0xff : keep <= 0 ? 0 :
				    (uint8_t)(0xff << (8 - keep));
			}
			inet_ntop(c->family, m, net, sizeof net);
			return perr(ps, ps->line, "trusted_peers: '%s' has "
			    "host bits set (did you mean %s/%d?)", s, net,
			    c->bits);
		}
	}
	return 0;
}

/* Parses the space-separated trusted_peers list ("none" for no peers). */
static int
parse_peers(struct pstate *ps, const char *v)
{
	struct config *cfg = ps->cfg;
	struct cidr *list;
	char word[128];
	size_t n = 0, wl;
	int rc;

	if (strcmp(v, "none") == 0) {
		free(cfg->trusted);
		cfg->trusted = NULL;
		cfg->ntrusted = 0;
		return 0;
	}
	if ((list = calloc(CONFIG_MAXPEERS, sizeof *list)) == NULL)
		return CAIRN_ENOMEM;
	while (*v != '\0') {
		while (*v == ' ' || *v == '\t')
			v++;
		if (*v == '\0')
			break;
		wl = strcspn(v, " \t");
		if (n == CONFIG_MAXPEERS) {
			free(list);
			return perr(ps, ps->line, "trusted_peers: too many "
			    "entries (at most %d)", CONFIG_MAXPEERS);
		}
		if (wl >= sizeof word) {
			free(list);
			return perr(ps, ps->line, "trusted_peers: entry too "
			    "long");
		}
		memcpy(word, v, wl);
		word[wl] = '\0';
		if ((rc = parse_cidr(ps, word, &list[n])) != 0) {
			free(list);
			return rc;
		}
		n++;
		v += wl;
	}
	free(cfg->trusted);
	cfg->trusted = list;
	cfg->ntrusted = n;
	return 0;
}

/* 1 if s is a plausible host name (RFC 1123 section 2.1 letters). */
static int
hostname_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 253 || s[0] == '-' || s[0] == '.')
		return 0;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '.')
			return 0;
	return 1;
}

/* Parses a TCP/UDP port 1..65535 into out; 0 or -1. */
static int
parse_port(const char *s, char out[16])
{
	uint64_t p;

	if (strlen(s) > 5 || parse_u64(s, &p) != 0 || p < 1 || p > 65535)
		return -1;
	snprintf(out, 16, "%u", (unsigned)p);
	return 0;
}

/* Parses "host:port", "[v6]:port", ":port" or "port" into l. */
static int
parse_address(struct pstate *ps, const char *a, struct listener *l)
{
	const char *colon, *port;
	struct in6_addr a6;
	struct in_addr a4;
	size_t hl;

	if (a[0] == '[') {
		const char *close = strchr(a, ']');

		if (close == NULL || close[1] != ':')
			return perr(ps, ps->line, "listen: bad address '%s' "
			    "(IPv6 is written [address]:port)", a);
		hl = (size_t)(close - a - 1);
		if (hl == 0 || hl >= sizeof l->host)
			return perr(ps, ps->line, "listen: bad IPv6 address in "
			    "'%s'", a);
		memcpy(l->host, a + 1, hl);
		l->host[hl] = '\0';
		if (inet_pton(AF_INET6, l->host, &a6) != 1)
			return perr(ps, ps->line, "listen: bad IPv6 address "
			    "'%s'", l->host);
		port = close + 2;
	} else if ((colon = strchr(a, ':')) != NULL) {
		if (strchr(colon + 1, ':') != NULL)
			return perr(ps, ps->line, "listen: bad address '%s' "
			    "(IPv6 addresses need brackets, e.g. [::1]:514)", a);
		hl = (size_t)(colon - a);
		if (hl >= sizeof l->host)
			return perr(ps, ps->line, "listen: host name too long");
		memcpy(l->host, a, hl);
		l->host[hl] = '\0';
		if (hl > 0 && strspn(l->host, "0123456789.") == hl &&
		    inet_pton(AF_INET, l->host, &a4) != 1)
			return perr(ps, ps->line, "listen: bad IPv4 address "
			    "'%s'", l->host);
		if (hl > 0 && !hostname_ok(l->host))
			return perr(ps, ps->line, "listen: bad host '%s' (an "
			    "IPv4 address, [IPv6 address] or host name)",
			    l->host);
		port = colon + 1;
	} else {
		l->host[0] = '\0';
		port = a;
	}
	if (parse_port(port, l->port) != 0)
		return perr(ps, ps->line, "listen: bad port '%s' in '%s' "
		    "(1..65535; address is host:port, [v6]:port or :port)",
		    port, a);
	return 0;
}

/* 1 if the kind sends in the clear. */
static int
kind_plaintext(enum lkind k)
{
	return k == L_SYSLOG_UDP || k == L_SYSLOG_TCP || k == L_RELP ||
	    k == L_HTTP;
}

/* Parses "listen KIND ADDRESS" (the words after "listen"). */
static int
parse_listen(struct pstate *ps, const char *kind, const char *addr)
{
	struct config *cfg = ps->cfg;
	struct listener l, *o;
	size_t i;
	int k, rc;

	memset(&l, 0, sizeof l);
	for (k = 0; k < NKINDS; k++)
		if (strcmp(kind, lkind_names[k]) == 0)
			break;
	if (k == NKINDS)
		return perr(ps, ps->line, "listen: unknown kind '%s' (one of "
		    "syslog-udp, syslog-tcp, syslog-tls, relp, relp-tls, "
		    "http, https)", kind);
	l.kind = (enum lkind)k;
	l.line = ps->line;
	l.fd = -1;
	if ((rc = parse_address(ps, addr, &l)) != 0)
		return rc;
	if (cfg->nlisteners == CONFIG_MAXLISTENERS)
		return perr(ps, ps->line, "too many listeners (at most %d)",
		    CONFIG_MAXLISTENERS);
	for (i = 0; i < cfg->nlisteners; i++) {
		o = &cfg->listeners[i];
		/* UDP and TCP may share a port number; two TCP listeners not. */
		if ((o->kind == L_SYSLOG_UDP) == (l.kind == L_SYSLOG_UDP) &&
		    strcmp(o->host, l.host) == 0 &&
		    strcmp(o->port, l.port) == 0)
			return perr(ps, ps->line, "listen: address '%s' is "
			    "already used by line %d", addr, o->line);
	}
	if (cfg->listeners == NULL && (cfg->listeners = calloc(
	    CONFIG_MAXLISTENERS, sizeof *cfg->listeners)) == NULL)
		return CAIRN_ENOMEM;
	cfg->listeners[cfg->nlisteners++] = l;
	return 0;
}

/* Checks an RFC 5424 section 6.3.2 SD-ID of the private "name@PEN" form. */
static int
sdid_ok(const char *s)
{
	const char *at = strchr(s, '@');
	size_t n = strlen(s);

	if (n == 0 || n > 32 || at == NULL || at == s || at[1] == '\0')
		return 0;
	for (; *s != '\0'; s++) {
		/* SD-NAME: PRINTUSASCII except '=', SP, ']', '"'. */
		if (*s < 33 || *s > 126 || *s == '=' || *s == ']' || *s == '"')
			return 0;
		if (s > at && !isdigit((unsigned char)*s))
			return 0;
	}
	return strchr(at + 1, '@') == NULL;
}

/* Replaces the string field of a key with a copy of v. */
static int
set_str(struct config *cfg, const struct kdef *kd, const char *v)
{
	char **sp = (char **)(void *)((char *)cfg + kd->off);

	free(*sp);
	if ((*sp = strdup(v)) == NULL)
		return CAIRN_ENOMEM;
	return 0;
}

/* Sets one "key = value". */
static int
set_key(struct pstate *ps, int id, const char *v)
{
	const struct kdef *kd = &keys[id];
	struct config *cfg = ps->cfg;
	char **sp, lo[32], hi[32];
	uint64_t n = 0;
	int rc;

	if (ps->seen[id] != 0)
		return perr(ps, ps->line, "duplicate key %s (first set at line "
		    "%d)", kd->name, ps->seen[id]);
	ps->seen[id] = ps->line;
	switch (kd->type) {
	case K_PATH:
		sp = (char **)(void *)((char *)cfg + kd->off);
		free(*sp);
		return resolve_path(ps, kd->name, v, sp);
	case K_USER:
		if (strlen(v) > 32 || strspn(v, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != strlen(v) ||
		    v[0] == '-')
			return perr(ps, ps->line, "user: bad user name '%s'", v);
		return set_str(cfg, kd, v);
	case K_SDID:
		if (!sdid_ok(v))
			return perr(ps, ps->line, "sd_id: '%s' is not an SD-ID "
			    "of the form name@enterprise-number (RFC 5424 "
			    "section 7.2.2; at most 32 characters)", v);
		return set_str(cfg, kd, v);
	case K_VERIFY:
		if (strcmp(v, "none") == 0)
			cfg->tls_verify = TLS_VERIFY_NONE;
		else if (strcmp(v, "optional") == 0)
			cfg->tls_verify = TLS_VERIFY_OPTIONAL;
		else if (strcmp(v, "require") == 0)
			cfg->tls_verify = TLS_VERIFY_REQUIRE;
		else
			return perr(ps, ps->line, "tls_verify_client: '%s' "
			    "(none, optional or require)", v);
		return 0;
	case K_PEERS:
		return parse_peers(ps, v);
	case K_BOOL:
		if (strcmp(v, "yes") != 0 && strcmp(v, "no") != 0)
			return perr(ps, ps->line, "%s: '%s' (yes or no)",
			    kd->name, v);
		*(id == K_SECCOMP ? &cfg->seccomp :
		    &cfg->allow_plaintext_remote) = strcmp(v, "yes") == 0;
		return 0;
	case K_NUM:
	case K_SIZE:
		if (kd->type == K_SIZE) {
			fmt_size(kd->min, lo, sizeof lo);
			fmt_size(kd->max, hi, sizeof hi);
			rc = parse_size(v, &n);
		} else {
			snprintf(lo, sizeof lo, "%llu",
			    (unsigned long long)kd->min);
			snprintf(hi, sizeof hi, "%llu",
			    (unsigned long long)kd->max);
			rc = parse_u64(v, &n);
		}
		if (rc != 0)
			return perr(ps, ps->line, "%s: '%s' is not a %s (%s..%s)",
			    kd->name, v, kd->type == K_SIZE ? "size (a number, "
			    "optionally with K, M, G or T)" : "number", lo, hi);
		if (n < kd->min || n > kd->max)
			return perr(ps, ps->line, "%s: %s is out of range "
			    "(%s..%s)", kd->name, v, lo, hi);
		break;
	}
	switch (id) {
	case K_BATCH_SIZE:	cfg->batch_size = (size_t)n; break;
	case K_BATCH_DELAY:	cfg->batch_delay_ms = (unsigned)n; break;
	case K_CP_INTERVAL:	cfg->checkpoint_interval = (unsigned)n; break;
	case K_QUEUE_LIMIT:	cfg->queue_limit = (size_t)n; break;
	case K_INGEST_NICE:	cfg->ingest_nice = (int)n; break;
	case K_AUTH_FAIL_LIMIT:	cfg->auth_fail_limit = (unsigned)n; break;
	case K_MAX_MESSAGE:	cfg->max_message = (size_t)n; break;
	case K_MAX_BODY:	cfg->max_body = (size_t)n; break;
	case K_MAX_CONN:	cfg->max_connections = (unsigned)n; break;
	case K_MAP_SIZE:	cfg->map_size = n; break;
	case K_MAX_SIZE:	cfg->max_size = n; break;
	default:		break;
	}
	return 0;
}

/* Reads the quoted value at s ("..." with \" and \\) into out. */
static int
parse_quoted(struct pstate *ps, const char *s, char *out, const char **end)
{
	size_t n = 0;

	for (s++; *s != '"'; s++) {
		if (*s == '\0')
			return perr(ps, ps->line, "unterminated quoted value");
		if (*s == '\\') {
			s++;
			if (*s != '"' && *s != '\\')
				return perr(ps, ps->line, "bad escape in quoted "
				    "value (only \\\" and \\\\)");
		}
		out[n++] = *s;
	}
	out[n] = '\0';
	*end = s + 1;
	return 0;
}

/* Parses one line (NUL-terminated, without its newline). */
static int
parse_line(struct pstate *ps, char *s)
{
	char key[64], kind[32], val[CONFIG_MAXLINE + 1];
	const char *sug, *p, *end = NULL;
	size_t kl, n;
	int id;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '\0' || *s == '#')
		return 0;
	kl = strcspn(s, " \t=");
	if (kl == 0)
		return perr(ps, ps->line, "expected 'key = value' or 'listen "
		    "KIND ADDRESS'");
	if (kl >= sizeof key)
		return perr(ps, ps->line, "key too long");
	memcpy(key, s, kl);
	key[kl] = '\0';
	p = s + kl;
	while (*p == ' ' || *p == '\t')
		p++;

	if (strcmp(key, "listen") == 0) {
		if (*p == '=')
			return perr(ps, ps->line, "listen takes no '=' "
			    "(listen KIND ADDRESS)");
		n = strcspn(p, " \t");
		if (n == 0 || n >= sizeof kind)
			return perr(ps, ps->line, "listen needs a kind and an "
			    "address (listen KIND ADDRESS)");
		memcpy(kind, p, n);
		kind[n] = '\0';
		p += n;
		while (*p == ' ' || *p == '\t')
			p++;
		n = strcspn(p, " \t");
		if (n == 0)
			return perr(ps, ps->line, "listen needs an address "
			    "(listen KIND ADDRESS, e.g. listen %s 127.0.0.1:%s)",
			    kind, "8080");
		memcpy(val, p, n);
		val[n] = '\0';
		p += n;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != '\0' && *p != '#')
			return perr(ps, ps->line, "listen: unexpected '%s' "
			    "after the address (listen KIND ADDRESS)", p);
		return parse_listen(ps, kind, val);
	}

	for (id = 0; id < NKEYS; id++)
		if (strcmp(key, keys[id].name) == 0)
			break;
	if (id == NKEYS) {
		if ((sug = suggest_key(key)) != NULL)
			return perr(ps, ps->line, "unknown key '%s' (did you "
			    "mean %s?)", key, sug);
		return perr(ps, ps->line, "unknown key '%s' (see cairn.conf(5))",
		    key);
	}
	if (*p != '=')
		return perr(ps, ps->line, "expected '=' after %s (%s = value)",
		    key, key);
	p++;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '"') {
		int rc;

		if ((rc = parse_quoted(ps, p, val, &end)) != 0)
			return rc;
		while (*end == ' ' || *end == '\t')
			end++;
		if (*end != '\0' && *end != '#')
			return perr(ps, ps->line, "unexpected text after the "
			    "closing quote");
	} else {
		/* An unquoted value ends at a '#' that starts it or
		 * follows a blank: "a#b" is a value, "a #b" a comment. */
		for (n = 0; p[n] != '\0'; n++)
			if (p[n] == '#' && (n == 0 ||
			    p[n - 1] == ' ' || p[n - 1] == '\t'))
				break;
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		memcpy(val, p, n);
		val[n] = '\0';
	}
	if (val[0] == '\0')
		return perr(ps, ps->line, "%s needs a value", key);
	return set_key(ps, id, val);
}

/* Checks that path names an existing file of the wanted kind and access. */
static int
check_file(struct pstate *ps, int id, int dir, mode_t forbid)
{
	const char *path = *(char **)(void *)((char *)ps->cfg + keys[id].off);
	struct stat st;

	if (path == NULL)
		return 0;
	if (stat(path, &st) != 0)
		return perr(ps, ps->seen[id], "%s %s: %s", keys[id].name, path,
		    strerror(errno));
	if (dir && !S_ISDIR(st.st_mode))
		return perr(ps, ps->seen[id], "%s %s: not a directory",
		    keys[id].name, path);
	if (!dir && !S_ISREG(st.st_mode))
		return perr(ps, ps->seen[id], "%s %s: not a regular file",
		    keys[id].name, path);
	if ((st.st_mode & forbid) != 0)
		return perr(ps, ps->seen[id], "%s %s: mode %04o gives access to "
		    "%s (chmod %s)", keys[id].name, path,
		    (unsigned)(st.st_mode & 07777),
		    (forbid & 070) ? "group or others" : "others",
		    (forbid & 070) ? "600" : "o-rwx");
	return 0;
}

/* The checks that look at the file system and the user database. */
static int
check_files(struct pstate *ps)
{
	struct config *cfg = ps->cfg;
	struct stat st;
	char *dir, *slash;
	int rc;

	if ((rc = check_file(ps, K_STORE, 1, 0)) != 0 ||
	    (rc = check_file(ps, K_KEY, 0, 077)) != 0 ||
	    (rc = check_file(ps, K_PASSPHRASE_FILE, 0, 077)) != 0 ||
	    (rc = check_file(ps, K_TOKENS, 0, 0)) != 0 ||
	    (rc = check_file(ps, K_TLS_CERT, 0, 0)) != 0 ||
	    (rc = check_file(ps, K_TLS_KEY, 0, 007)) != 0 ||
	    (rc = check_file(ps, K_TLS_CA, 0, 0)) != 0)
		return rc;
	if (cfg->checkpoint_file != NULL) {
		if ((dir = strdup(cfg->checkpoint_file)) == NULL)
			return CAIRN_ENOMEM;
		if ((slash = strrchr(dir, '/')) != NULL)
			slash[slash == dir ? 1 : 0] = '\0';
		if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
			rc = perr(ps, ps->seen[K_CHECKPOINT_FILE], "checkpoint_file "
			    "%s: directory %s does not exist",
			    cfg->checkpoint_file, dir);
			free(dir);
			return rc;
		}
		free(dir);
	}
	if (cfg->user != NULL && getpwnam(cfg->user) == NULL)
		return perr(ps, ps->seen[K_USERNAME], "user: no such user '%s'",
		    cfg->user);
	return 0;
}

/* The checks that need the whole file: required keys and listener safety. */
static int
check_config(struct pstate *ps)
{
	struct config *cfg = ps->cfg;
	const struct listener *l;
	size_t i;

	if (cfg->store == NULL)
		return perr(ps, 0, "store is required (the directory made by "
		    "cairn init)");
	if (cfg->key == NULL)
		return perr(ps, 0, "key is required (the secret key that signs "
		    "checkpoints)");
	if (cfg->nlisteners == 0)
		return perr(ps, 0, "no listen lines (add one, e.g. listen http "
		    "127.0.0.1:8080)");
	if ((cfg->tls_cert == NULL) != (cfg->tls_key == NULL))
		return perr(ps, ps->seen[cfg->tls_cert != NULL ? K_TLS_CERT :
		    K_TLS_KEY], "tls_cert and tls_key go together (set both)");
	if (cfg->tls_verify != TLS_VERIFY_NONE && cfg->tls_ca == NULL)
		return perr(ps, ps->seen[K_TLS_VERIFY], "tls_verify_client %s "
		    "needs tls_ca (the CA that signs client certificates)",
		    cfg->tls_verify == TLS_VERIFY_REQUIRE ? "require" :
		    "optional");
	if (cfg->map_size > cfg->max_size)
		return perr(ps, ps->seen[K_MAP_SIZE] ? ps->seen[K_MAP_SIZE] :
		    ps->seen[K_MAX_SIZE], "map_size is larger than max_size");
	for (i = 0; i < cfg->nlisteners; i++) {
		l = &cfg->listeners[i];
		if (!kind_plaintext(l->kind) && cfg->tls_cert == NULL)
			return perr(ps, l->line, "%s needs tls_cert and tls_key",
			    lkind_names[l->kind]);
		if ((l->kind == L_HTTP || l->kind == L_HTTPS) &&
		    cfg->tokens == NULL)
			return perr(ps, l->line, "%s needs a token file (tokens "
			    "= FILE)", lkind_names[l->kind]);
		/* Security by default: clear text stays on this machine. */
		if (kind_plaintext(l->kind) && !listener_is_loopback(l) &&
		    !cfg->allow_plaintext_remote)
			return perr(ps, l->line, "%s on %s%s%s:%s is not loopback "
			    "and not encrypted (bind to 127.0.0.1, use a TLS "
			    "kind, or set allow_plaintext_remote = yes)",
			    lkind_names[l->kind],
			    strchr(l->host, ':') ? "[" : "", l->host,
			    strchr(l->host, ':') ? "]" : "", l->port);
	}
	return 0;
}

/* Sets the defaults of cairn.conf(5). */
static int
config_defaults(struct config *cfg, const char *path)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->tls_verify = TLS_VERIFY_NONE;
	cfg->batch_size = 1000;
	cfg->batch_delay_ms = 2;
	cfg->checkpoint_interval = 60;
	cfg->queue_limit = 20000;
	cfg->ingest_nice = 10;
	cfg->auth_fail_limit = 10;
	cfg->max_message = 65536;
	cfg->max_body = 16 * MB;
	cfg->max_connections = 1024;
	cfg->map_size = 1 * GB;
	cfg->max_size = 1 * TB;
	cfg->seccomp = 1;
	if ((cfg->path = strdup(path)) == NULL ||
	    (cfg->sd_id = strdup("cairn@32473")) == NULL ||
	    (cfg->trusted = calloc(2, sizeof *cfg->trusted)) == NULL)
		return CAIRN_ENOMEM;
	cfg->ntrusted = 2;
	cfg->trusted[0].family = AF_INET;
	cfg->trusted[0].addr[0] = 127;
	cfg->trusted[0].bits = 8;
	cfg->trusted[1].family = AF_INET6;
	cfg->trusted[1].addr[15] = 1;
	cfg->trusted[1].bits = 128;
	return 0;
}

/* The absolute directory holding the config file, for relative paths. */
static char *
config_dir(const char *path)
{
	char cwd[PATH_MAX], *dir, *slash, *abs;

	if ((dir = strdup(path)) == NULL)
		return NULL;
	if ((slash = strrchr(dir, '/')) != NULL)
		slash[slash == dir ? 1 : 0] = '\0';
	else
		strcpy(dir, ".");
	if (dir[0] == '/')
		return dir;
	/* Absolute, because the daemon may chdir("/") after reading it. */
	if (getcwd(cwd, sizeof cwd) == NULL)
		return dir;
	if (asprintf(&abs, "%s%s%s", cwd, strcmp(dir, ".") == 0 ? "" : "/",
	    strcmp(dir, ".") == 0 ? "" : dir) < 0)
		abs = NULL;
	free(dir);
	return abs;
}

/* Parses and checks configuration text (see confparse.h). */
int
config_parse(const char *text, size_t len, const char *path, int flags,
    struct config *cfg, char *err, size_t errlen)
{
	struct pstate ps;
	char *line = NULL;
	size_t off = 0, n, i;
	int rc;

	memset(&ps, 0, sizeof ps);
	ps.path = path;
	ps.flags = flags;
	ps.err = err;
	ps.errlen = errlen;
	ps.cfg = cfg;
	if (errlen > 0)
		err[0] = '\0';
	if ((rc = config_defaults(cfg, path)) != 0)
		goto fail;
	if (len > CONFIG_MAXFILE) {
		rc = perr(&ps, 0, "file is larger than %d bytes",
		    CONFIG_MAXFILE);
		rc = CAIRN_ETOOBIG;
		goto fail;
	}
	if ((ps.base = config_dir(path)) == NULL ||
	    (line = malloc(CONFIG_MAXLINE + 2)) == NULL) {
		rc = CAIRN_ENOMEM;
		goto fail;
	}
	while (off < len) {
		ps.line++;
		for (n = 0; off + n < len && text[off + n] != '\n'; n++)
			if (n == CONFIG_MAXLINE + 1)
				break;
		if (n > CONFIG_MAXLINE) {
			rc = perr(&ps, ps.line, "line longer than %d bytes",
			    CONFIG_MAXLINE);
			goto fail;
		}
		memcpy(line, text + off, n);
		line[n] = '\0';
		off += n + 1;
		/* Tolerate CRLF files; other control characters are errors. */
		if (n > 0 && line[n - 1] == '\r')
			line[--n] = '\0';
		if (memchr(line, '\0', n) != NULL) {
			rc = perr(&ps, ps.line, "NUL byte in line");
			goto fail;
		}
		for (i = 0; i < n; i++)
			if (((unsigned char)line[i] < 0x20 && line[i] != '\t') ||
			    line[i] == 0x7f) {
				rc = perr(&ps, ps.line, "control character "
				    "0x%02x in line", (unsigned char)line[i]);
				goto fail;
			}
		if ((rc = parse_line(&ps, line)) != 0)
			goto fail;
	}
	ps.line = 0;
	if ((rc = check_config(&ps)) != 0)
		goto fail;
	if ((flags & CONFIG_NOFILES) == 0 && (rc = check_files(&ps)) != 0)
		goto fail;
	free(line);
	free(ps.base);
	return 0;
fail:
	if (rc == CAIRN_ENOMEM && errlen > 0)
		snprintf(err, errlen, "%s: out of memory", path);
	free(line);
	free(ps.base);
	config_free(cfg);
	return rc;
}

/* Reads, parses and checks a configuration file. */
int
config_load(const char *path, struct config *cfg, char *err, size_t errlen)
{
	uint8_t *text;
	size_t len;
	int rc;

	memset(cfg, 0, sizeof *cfg);
	if ((rc = cairn_read_file(path, CONFIG_MAXFILE, &text, &len)) != 0) {
		if (errlen > 0)
			snprintf(err, errlen, "%s: %s", path,
			    rc == CAIRN_ETOOBIG ? "file is larger than 1 MiB" :
			    rc > 0 ? strerror(rc) : "out of memory");
		return rc;
	}
	rc = config_parse((const char *)text, len, path, 0, cfg, err, errlen);
	free(text);
	return rc;
}

/* Frees everything a config holds and empties it; safe to repeat. */
void
config_free(struct config *cfg)
{
	if (cfg == NULL)
		return;
	free(cfg->path);
	free(cfg->store);
	free(cfg->checkpoint_file);
	free(cfg->key);
	free(cfg->passphrase_file);
	free(cfg->tokens);
	free(cfg->reports);
	free(cfg->user);
	free(cfg->tls_cert);
	free(cfg->tls_key);
	free(cfg->tls_ca);
	free(cfg->sd_id);
	free(cfg->listeners);
	free(cfg->trusted);
	memset(cfg, 0, sizeof *cfg);
}

/* 1 if the first bits of a and b agree. */
static int
prefix_eq(const uint8_t *a, const uint8_t *b, int bits)
{
	int whole = bits / 8, rest = bits % 8;
	uint8_t mask;

	if (memcmp(a, b, (size_t)whole) != 0)
		return 0;
	if (rest == 0)
		return 1;
	mask = (uint8_t)(0xff << (8 - rest));
	return (a[whole] & mask) == (b[whole] & mask);
}

/* 1 if the peer address is inside one of the n ranges. */
int
cidr_match(const struct cidr *c, size_t n, const struct sockaddr *sa)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };
	const uint8_t *v4 = NULL, *v6 = NULL;
	size_t i;

	if (c == NULL || sa == NULL)
		return 0;
	if (sa->sa_family == AF_INET)
		v4 = (const uint8_t *)&((const struct sockaddr_in *)
		    (const void *)sa)->sin_addr;
	else if (sa->sa_family == AF_INET6) {
		v6 = ((const struct sockaddr_in6 *)(const void *)sa)->
		    sin6_addr.s6_addr;
		/* A dual-stack socket shows IPv4 peers as ::ffff:a.b.c.d
		 * (RFC 4291 section 2.5.5.2). */
		if (memcmp(v6, mapped, sizeof mapped) == 0)
			v4 = v6 + 12;
	} else
		return 0;
	for (i = 0; i < n; i++) {
		if (c[i].family == AF_INET && v4 != NULL &&
		    prefix_eq(c[i].addr, v4, c[i].bits))
			return 1;
		if (c[i].family == AF_INET6 && v6 != NULL &&
		    prefix_eq(c[i].addr, v6, c[i].bits))
			return 1;
	}
	return 0;
}

/* 1 if the listener is on a loopback address, judged numerically. */
int
listener_is_loopback(const struct listener *l)
{
	struct in6_addr a6;
	struct in_addr a4;

	if (l->host[0] == '\0' || strcasecmp(l->host, "localhost") == 0)
		return 1;
	if (inet_pton(AF_INET, l->host, &a4) == 1)
		return ((const uint8_t *)&a4)[0] == 127;
	if (inet_pton(AF_INET6, l->host, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6) || (IN6_IS_ADDR_V4MAPPED(&a6) &&
		    a6.s6_addr[12] == 127);
	/* Other names could resolve anywhere: not loopback. */
	return 0;
}
