/* cli.c: store and key handling shared by the cairn subcommands. */
#include <errno.h>
#include <pwd.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>

#include "cli.h"

#define MAX_PASS 1024

const char *cli_cmd = "cairn";

void
cli_die(int rc, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", cli_cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(rc);
}

int
cli_mkdirs(const char *path, int mode)
{
	char buf[PATH_MAX], *p;

	if ((size_t)snprintf(buf, sizeof buf, "%s", path) >= sizeof buf)
		return ENAMETOOLONG;
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(buf, 0755) != 0 && errno != EEXIST)
			return errno;
		*p = '/';
	}
	if (mkdir(buf, (mode_t)mode) != 0 && errno != EEXIST)
		return errno;
	return 0;
}

const char *
cli_store_dir(const char *opt)
{
	const char *e;

	if (opt != NULL)
		return opt;
	if ((e = getenv("CAIRN_STORE")) != NULL && *e != '\0')
		return e;
	return "./var/store";
}

const char *
cli_key_path(const char *opt, const char *store)
{
	static char path[PATH_MAX];
	char tmp[PATH_MAX];
	const char *e;
	size_t n;

	if (opt != NULL)
		return opt;
	if ((e = getenv("CAIRN_KEY")) != NULL && *e != '\0')
		return e;
	snprintf(tmp, sizeof tmp, "%s", store);
	n = strlen(tmp);
	while (n > 1 && tmp[n - 1] == '/')
		tmp[--n] = 0;
	snprintf(path, sizeof path, "%s/keys/cairn.key", dirname(tmp));
	return path;
}

/* Reads one line (without its newline) from fd into a locked buffer. */
static char *
read_secret_line(int fd)
{
	char *p;
	size_t n = 0;
	ssize_t r;
	char c;

	if ((p = sodium_malloc(MAX_PASS + 1)) == NULL)
		return NULL;
	for (;;) {
		r = read(fd, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || c == '\n')
			break;
		if (n == MAX_PASS) {
			sodium_free(p);
			errno = E2BIG;
			return NULL;
		}
		p[n++] = c;
	}
	if (n > 0 && p[n - 1] == '\r')
		n--;
	p[n] = 0;
	return p;
}

/* Prompts on the terminal with echo off. */
static char *
tty_secret(const char *prompt)
{
	struct termios t, saved;
	char *p;
	int fd;

	if ((fd = open("/dev/tty", O_RDWR | O_CLOEXEC)) < 0)
		return NULL;
	if (write(fd, prompt, strlen(prompt)) < 0) {
		close(fd);
		return NULL;
	}
	if (tcgetattr(fd, &t) == 0) {
		saved = t;
		t.c_lflag &= ~(tcflag_t)ECHO;
		(void)tcsetattr(fd, TCSAFLUSH, &t);
		p = read_secret_line(fd);
		(void)tcsetattr(fd, TCSAFLUSH, &saved);
		if (write(fd, "\n", 1) < 0) {
			/* the prompt's newline only: nothing to do */
		}
	} else
		p = read_secret_line(fd);
	close(fd);
	return p;
}

char *
cli_passphrase(const char *file, int fd, const char *prompt, int confirm)
{
	char *p, *q;
	int ffd;

	if (file != NULL) {
		if ((ffd = open(file, O_RDONLY | O_CLOEXEC)) < 0)
			cli_die(1, "%s: %s", file, strerror(errno));
		p = read_secret_line(ffd);
		close(ffd);
		return p;
	}
	if (fd >= 0)
		return read_secret_line(fd);
	if ((p = tty_secret(prompt)) == NULL)
		return NULL;
	if (confirm) {
		if ((q = tty_secret("Passphrase (again): ")) == NULL ||
		    strcmp(p, q) != 0) {
			sodium_free(p);
			if (q != NULL)
				sodium_free(q);
			cli_die(1, "the passphrases differ");
		}
		sodium_free(q);
	}
	return p;
}

void
cli_passphrase_free(char *p)
{
	if (p != NULL)
		sodium_free(p);	/* wipes before freeing */
}

struct cairn_seckey *
cli_load_key(const char *path, const char *passfile, int passfd)
{
	struct cairn_seckey *sk = NULL;
	char *pass = NULL, prompt[PATH_MAX + 32];
	int enc, rc;

	enc = cairn_seckey_is_encrypted(path);
	if (enc == ENOENT)
		cli_die(1, "%s: no such secret key; give one with --key or "
		    "CAIRN_KEY", path);
	if (enc == CAIRN_EKEYPERM)
		cli_die(1, "%s: refused: a secret key must be a regular file owned "
		    "by this user and readable by nobody else (chmod 600 %s)",
		    path, path);
	if (enc != 0 && enc != 1)
		cli_die(1, "%s: %s", path, cairn_strerror(enc));
	if (enc) {
		/* Say which key: rotate-key asks for two. */
		snprintf(prompt, sizeof prompt, "Passphrase for %s: ", path);
		pass = cli_passphrase(passfile, passfd, prompt, 0);
		if (pass == NULL)
			cli_die(1, "%s is encrypted: give its passphrase with "
			    "--passphrase-file or --passphrase-fd, or run on a "
			    "terminal", path);
	}
	rc = cairn_seckey_load(path, pass, &sk);
	cli_passphrase_free(pass);
	switch (rc) {
	case 0:
		return sk;
	case CAIRN_EKEYPERM:
		cli_die(1, "%s: refused: a secret key must be a regular file owned "
		    "by this user and readable by nobody else (chmod 600 %s)",
		    path, path);
	case CAIRN_EPASS:
		cli_die(1, "%s: wrong passphrase", path);
	default:
		cli_die(1, "%s: %s", path, rc > 0 ? strerror(rc) :
		    cairn_strerror(rc));
	}
}

cairn_store *
cli_open_store(const char *dir, int flags)
{
	cairn_store *s;
	int rc;

	if ((rc = cairn_store_open(dir, NULL, flags, &s)) == 0)
		return s;
	switch (rc) {
	case CAIRN_ENOTFOUND:
		cli_die(1, "%s: no store here; create one with `cairn init "
		    "--store %s`, or name another with --store or CAIRN_STORE",
		    dir, dir);
	case CAIRN_ELOCKED:
	case CAIRN_EBEHIND:
		cli_die(1, "%s", cairn_store_errdetail(NULL));
	default:
		cli_die(1, "%s: cannot open the store: %s%s%s", dir,
		    cairn_strerror(rc), *cairn_store_errdetail(NULL) ? ": " : "",
		    cairn_store_errdetail(NULL));
	}
}

uint64_t
cli_u64(const char *what, const char *s)
{
	unsigned long long v;
	char *end;

	if (*s < '0' || *s > '9')
		cli_die(2, "%s: \"%s\" is not a non-negative integer", what, s);
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		cli_die(2, "%s: \"%s\" is not an integer in range", what, s);
	return (uint64_t)v;
}

int
cli_pubkey(const char *path, struct cairn_pubkey *pk)
{
	int rc;

	if ((rc = cairn_pubkey_load(path, pk)) != 0)
		cli_die(1, "%s: not a minisign public key (%s)", path,
		    rc > 0 ? strerror(rc) : cairn_strerror(rc));
	return 0;
}

/* Reads an HTTP/1.1 response (Content-Length bodies only: cairnd's). */
static int
read_response(int fd, int *status, struct cairn_buf *body)
{
	struct cairn_buf b = { 0 };
	char buf[8192], *h, *cl;
	size_t need = 0, hlen = 0;
	ssize_t n;

	for (;;) {
		if ((n = read(fd, buf, sizeof buf)) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (n == 0)
			break;
		if (cairn_buf_add(&b, buf, (size_t)n) != 0)
			break;
		if (hlen == 0 && (h = strstr((char *)b.p, "\r\n\r\n")) != NULL) {
			hlen = (size_t)(h + 4 - (char *)b.p);
			cl = strcasestr((char *)b.p, "\r\nContent-Length:");
			need = hlen + (cl != NULL && cl < h ?
			    strtoul(cl + 17, NULL, 10) : 0);
		}
		if (hlen != 0 && b.len >= need)
			break;
	}
	if (hlen == 0 || b.len < need || sscanf((char *)b.p, "HTTP/1.%*d %d",
	    status) != 1) {
		cairn_buf_free(&b);
		return -1;
	}
	body->len = 0;
	cairn_buf_add(body, b.p + hlen, need - hlen);
	cairn_buf_free(&b);
	return 0;
}

/* A connection to cairnd's local socket in the store directory, or -1. */
static int
local_connect(const char *store)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if ((size_t)snprintf(sun.sun_path, sizeof sun.sun_path, "%s/cairnd.sock",
	    store) >= sizeof sun.sun_path)
		return -1;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int
cli_local_post(const char *store, const char *path, const char *source,
    const char *ctype, const void *data, size_t len, int *status,
    struct cairn_buf *resp)
{
	struct cairn_buf req = { 0 };
	const uint8_t *p;
	size_t left;
	ssize_t w;
	int fd, rc = -1;

	if ((fd = local_connect(store)) < 0)
		return -1;
	cairn_buf_printf(&req, "POST %s HTTP/1.1\r\nHost: localhost\r\n"
	    "Connection: close\r\nX-Cairn-Source: %s\r\nContent-Type: %s\r\n"
	    "Content-Length: %zu\r\n\r\n", path, source, ctype, len);
	if (len > 0)
		cairn_buf_add(&req, data, len);
	for (p = req.p, left = req.len; left > 0; p += w, left -= (size_t)w)
		if ((w = write(fd, p, left)) <= 0)
			goto out;
	rc = read_response(fd, status, resp);
out:
	cairn_buf_free(&req);
	close(fd);
	return rc;
}

int
cli_local_stream(const char *store, const char *path, const char *source,
    int *status, struct cairn_buf *first)
{
	struct cairn_buf req = { 0 };
	char buf[8192], *h;
	const uint8_t *p;
	size_t left;
	ssize_t w;
	int fd;

	if ((fd = local_connect(store)) < 0)
		return -1;
	/* HTTP/1.0: a body of unknown length ends with the connection, not
	 * in chunks. */
	cairn_buf_printf(&req, "POST %s HTTP/1.0\r\nHost: localhost\r\n"
	    "X-Cairn-Source: %s\r\nContent-Length: 0\r\n\r\n", path, source);
	for (p = req.p, left = req.len; left > 0; p += w, left -= (size_t)w)
		if ((w = write(fd, p, left)) <= 0)
			goto fail;
	cairn_buf_free(&req);
	first->len = 0;
	for (;;) {
		if ((w = read(fd, buf, sizeof buf)) < 0 && errno == EINTR)
			continue;
		if (w <= 0 || cairn_buf_add(first, buf, (size_t)w) != 0)
			goto fail;
		if ((h = memmem(first->p, first->len, "\r\n\r\n", 4)) != NULL)
			break;
		if (first->len > 65536)
			goto fail;
	}
	first->p[first->len] = '\0';
	if (sscanf((char *)first->p, "HTTP/1.%*d %d", status) != 1)
		goto fail;
	left = (size_t)(h + 4 - (char *)first->p);
	memmove(first->p, first->p + left, first->len - left);
	first->len -= left;
	return fd;
fail:
	cairn_buf_free(&req);
	close(fd);
	return -1;
}

const char *
cli_source(void)
{
	static char buf[300];
	struct passwd *pw;

	pw = getpwuid(geteuid());
	snprintf(buf, sizeof buf, "cli:%s", pw ? pw->pw_name : "unknown");
	return buf;
}
