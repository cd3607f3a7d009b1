/*
 * tokens.c: bearer tokens for the HTTP API (DESIGN.md "Roles and access").
 *
 * The token file holds one token a line, "NAME ROLES SHA256HEX", with "#"
 * comments and blank lines; only the SHA-256 of each token is stored, so the
 * file is not a secret in itself, but whoever can write it can mint access:
 * a file that others can read or anyone but the owner (and group, for
 * reading) can write is refused.  A presented token is hashed and compared
 * with every stored hash in constant time.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "cairnd.h"
#include "tokens_gen.h"

#define TOKENS_MAXFILE	(4 * 1024 * 1024)
#define TOKENS_MAXLINE	1024

struct tokens {
	struct token	*v;
	size_t		 n, cap;
	int		*line;	/* where each was defined, while loading */
};

static const struct {
	const char	*name;
	unsigned	 bit;
} role_names[] = {
	{ "ingest", ROLE_INGEST }, { "query", ROLE_QUERY },
	{ "report", ROLE_REPORT }, { "admin", ROLE_ADMIN },
};

/* Writes "path:line: message" into err; returns CAIRN_EFORMAT. */
static int __attribute__((format(printf, 5, 6)))
terr(char *err, size_t errlen, const char *path, int line, const char *fmt,
    ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (errlen == 0)
		return CAIRN_EFORMAT;
	if (line > 0)
		snprintf(err, errlen, "%s:%d: %s", path, line, msg);
	else
		snprintf(err, errlen, "%s: %s", path, msg);
	return CAIRN_EFORMAT;
}

/* Parses a comma list of role names into ROLE_* bits; -1 if any is unknown. */
int
roles_parse(const char *s)
{
	unsigned bits = 0;
	size_t n, i;

	if (s == NULL)
		return -1;
	for (;;) {
		n = strcspn(s, ",");
		for (i = 0; i < sizeof role_names / sizeof role_names[0]; i++)
			if (strlen(role_names[i].name) == n &&
			    strncmp(s, role_names[i].name, n) == 0)
				break;
		if (i == sizeof role_names / sizeof role_names[0])
			return -1;	/* unknown, or empty between commas */
		bits |= role_names[i].bit;
		if (s[n] == '\0')
			break;
		s += n + 1;
	}
	return (int)bits;
}

/* 1 if name is 1 to 63 of [A-Za-z0-9._:-]. */
int
token_name_valid(const char *name)
{
	size_t n = strlen(name);

	return n >= 1 && n <= TOKEN_NAME_MAX && strspn(name,
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	    "._:-") == n;
}

/* Parses one non-comment line into t (the token at index t->n). */
static int
parse_line(struct tokens *t, char *s, const char *path, int line, char *err,
    size_t errlen)
{
	struct token *tk = &t->v[t->n];
	char *f[4], *w, *save = NULL;
	size_t nf = 0, i;
	int roles;

	for (w = strtok_r(s, " \t", &save); w != NULL;
	    w = strtok_r(NULL, " \t", &save)) {
		if (nf == 3)
			return terr(err, errlen, path, line, "too many fields "
			    "(NAME ROLES SHA256HEX)");
		f[nf++] = w;
	}
	if (nf != 3)
		return terr(err, errlen, path, line, "expected NAME ROLES "
		    "SHA256HEX");
	if (!token_name_valid(f[0]))
		return terr(err, errlen, path, line, "bad token name '%.64s' "
		    "(1 to 63 of A-Z a-z 0-9 . _ : -)", f[0]);
	if ((roles = roles_parse(f[1])) <= 0)
		return terr(err, errlen, path, line, "bad roles '%.64s' (a "
		    "comma list of ingest, query, report, admin)", f[1]);
	if (strlen(f[2]) != CAIRN_HEX_LEN ||
	    cairn_unhex(f[2], CAIRN_HEX_LEN, tk->hash, CAIRN_HASH_LEN) != 0)
		return terr(err, errlen, path, line, "bad hash (64 hex digits: "
		    "the SHA-256 of the token)");
	for (i = 0; i < t->n; i++) {
		if (strcmp(t->v[i].name, f[0]) == 0)
			return terr(err, errlen, path, line, "duplicate token "
			    "name '%s' (first at line %d)", f[0], t->line[i]);
		/* Two names for one secret would make "source" ambiguous. */
		if (memcmp(t->v[i].hash, tk->hash, CAIRN_HASH_LEN) == 0)
			return terr(err, errlen, path, line, "same token hash "
			    "as '%s' at line %d", t->v[i].name, t->line[i]);
	}
	snprintf(tk->name, sizeof tk->name, "%s", f[0]);
	tk->roles = (unsigned)roles;
	t->line[t->n++] = line;
	return 0;
}

/* Makes room for more tokens. */
static int
grow(struct tokens *t)
{
	size_t cap = t->cap == 0 ? 16 : t->cap * 2;
	struct token *v;
	int *line;

	if (cap > TOKENS_MAX)
		cap = TOKENS_MAX;
	if ((v = realloc(t->v, cap * sizeof *v)) == NULL)
		return CAIRN_ENOMEM;
	t->v = v;
	if ((line = realloc(t->line, cap * sizeof *line)) == NULL)
		return CAIRN_ENOMEM;
	t->line = line;
	t->cap = cap;
	return 0;
}

/* Parses the whole token file text. */
static int
parse_text(struct tokens *t, char *text, size_t len, const char *path,
    char *err, size_t errlen)
{
	char *p = text, *end = text + len, *nl, *s;
	int line = 0, rc;

	if (memchr(text, '\0', len) != NULL)
		return terr(err, errlen, path, 0, "NUL byte in file");
	while (p < end) {
		line++;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		*nl = '\0';
		if ((size_t)(nl - p) > TOKENS_MAXLINE)
			return terr(err, errlen, path, line, "line longer than "
			    "%d bytes", TOKENS_MAXLINE);
		if (nl > p && nl[-1] == '\r')
			nl[-1] = '\0';
		s = p;
		p = nl + 1;
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0' || *s == '#')
			continue;
		if (t->n == TOKENS_MAX)
			return terr(err, errlen, path, line, "too many tokens "
			    "(at most %d)", TOKENS_MAX);
		if (t->n == t->cap && (rc = grow(t)) != 0) {
			terr(err, errlen, path, line, "out of memory");
			return rc;
		}
		if ((rc = parse_line(t, s, path, line, err, errlen)) != 0)
			return rc;
	}
	return 0;
}

/* Loads a token file, refusing unsafe permissions and any bad line. */
int
tokens_load(const char *path, struct tokens **out, char *err, size_t errlen)
{
	struct tokens *t = NULL;
	struct stat st;
	uint8_t *text = NULL;
	ssize_t r;
	size_t len = 0;
	int fd, rc;

	*out = NULL;
	if (errlen > 0)
		err[0] = '\0';
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0) {
		rc = errno;
		terr(err, errlen, path, 0, "%s", strerror(rc));
		return rc;
	}
	/* fstat of the open file, so a swapped path cannot slip past. */
	if (fstat(fd, &st) != 0) {
		rc = errno;
		terr(err, errlen, path, 0, "%s", strerror(rc));
		goto done;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = terr(err, errlen, path, 0, "not a regular file");
		goto done;
	}
	if ((st.st_mode & (S_IRWXO | S_IWGRP)) != 0) {
		terr(err, errlen, path, 0, "mode %04o: readable or writable "
		    "by others, or writable by the group (chmod 640)",
		    (unsigned)(st.st_mode & 07777));
		rc = CAIRN_EKEYPERM;
		goto done;
	}
	if (st.st_size > TOKENS_MAXFILE) {
		rc = terr(err, errlen, path, 0, "file larger than %d bytes",
		    TOKENS_MAXFILE);
		rc = CAIRN_ETOOBIG;
		goto done;
	}
	if ((text = malloc((size_t)st.st_size + 1)) == NULL)
		goto nomem;
	/* Read at most the size we saw; a file growing meanwhile is cut. */
	while (len < (size_t)st.st_size) {
		r = read(fd, text + len, (size_t)st.st_size - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = errno;
			terr(err, errlen, path, 0, "%s", strerror(rc));
			goto done;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	text[len] = '\0';
	if ((t = calloc(1, sizeof *t)) == NULL)
		goto nomem;
	if ((rc = parse_text(t, (char *)text, len, path, err, errlen)) != 0)
		goto done;
	free(t->line);
	t->line = NULL;
	*out = t;
	t = NULL;
	rc = 0;
	goto done;
nomem:
	rc = CAIRN_ENOMEM;
	terr(err, errlen, path, 0, "out of memory");
done:
	close(fd);
	free(text);
	tokens_free(t);
	return rc;
}

/* Wipes and frees a token set; NULL is allowed. */
void
tokens_free(struct tokens *t)
{
	if (t == NULL)
		return;
	if (t->v != NULL)
		sodium_memzero(t->v, t->n * sizeof *t->v);
	free(t->v);
	free(t->line);
	free(t);
}

/* The token whose stored hash is SHA-256 of secret, comparing with all of them. */
const struct token *
tokens_check(const struct tokens *t, const char *secret, size_t len)
{
	const struct token *hit = NULL;
	uint8_t h[CAIRN_HASH_LEN];
	size_t i;

	if (t == NULL || secret == NULL || len == 0 || len > TOKEN_SECRET_MAX)
		return NULL;
	cairn_sha256(secret, len, h);
	/* No early exit: the time taken does not say which token matched. */
	for (i = 0; i < t->n; i++)
		if (sodium_memcmp(t->v[i].hash, h, CAIRN_HASH_LEN) == 0 &&
		    hit == NULL)
			hit = &t->v[i];
	sodium_memzero(h, sizeof h);
	return hit;
}

/* How many tokens a set holds. */
size_t
tokens_count(const struct tokens *t)
{
	return t != NULL ? t->n : 0;
}

const struct token *
tokens_at(const struct tokens *t, size_t i)
{
	return t != NULL && i < t->n ? &t->v[i] : NULL;
}

/* Makes a new random token and its SHA-256. */
int
token_generate(char out[TOKEN_LEN + 1], uint8_t hash[CAIRN_HASH_LEN])
{
	uint8_t raw[32];

	if (sodium_init() < 0)
		return CAIRN_ENOMEM;
	randombytes_buf(raw, sizeof raw);
	/* RFC 4648 section 5, unpadded: 43 characters for 32 bytes. */
	sodium_bin2base64(out, TOKEN_LEN + 1, raw, sizeof raw,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof raw);
	cairn_sha256(out, TOKEN_LEN, hash);
	return 0;
}
