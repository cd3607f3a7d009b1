/* fuzz_config.c: cairn.conf(5) text and token files over arbitrary bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cairnd.h"
#include "confparse.h"
#include "tokens_gen.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* What every accepted config promises its users; abort() if broken. */
static void
check_config(const struct config *c)
{
	size_t i;
	long port;

	if (c->store == NULL || c->key == NULL || c->sd_id == NULL ||
	    c->nlisteners < 1 || c->nlisteners > CONFIG_MAXLISTENERS)
		abort();
	if (c->store[0] != '/' || c->key[0] != '/')
		abort();
	if (c->batch_size < 1 || c->batch_size > 100000 ||
	    c->batch_delay_ms > 1000 || c->checkpoint_interval < 1 ||
	    c->checkpoint_interval > 86400 || c->queue_limit < 1 ||
	    c->queue_limit > 10000000 || c->max_message < 480 ||
	    c->max_message > 1048576 || c->max_body < 1024 ||
	    c->max_body > 268435456 || c->max_connections < 1 ||
	    c->max_connections > 65536 || c->map_size > c->max_size)
		abort();
	if (c->tls_verify != TLS_VERIFY_NONE && c->tls_ca == NULL)
		abort();
	for (i = 0; i < c->nlisteners; i++) {
		const struct listener *l = &c->listeners[i];

		if ((unsigned)l->kind > L_HTTPS || l->line < 1)
			abort();
		port = strtol(l->port, NULL, 10);
		if (port < 1 || port > 65535)
			abort();
		if (memchr(l->host, '\0', sizeof l->host) == NULL)
			abort();
		/* Loopback unless TLS or explicitly allowed. */
		if ((l->kind == L_SYSLOG_UDP || l->kind == L_SYSLOG_TCP ||
		    l->kind == L_RELP || l->kind == L_HTTP) &&
		    !listener_is_loopback(l) && !c->allow_plaintext_remote)
			abort();
		if ((l->kind == L_SYSLOG_TLS || l->kind == L_RELP_TLS ||
		    l->kind == L_HTTPS) && (c->tls_cert == NULL ||
		    c->tls_key == NULL))
			abort();
	}
	for (i = 0; i < c->ntrusted; i++)
		if ((c->trusted[i].family == AF_INET && (c->trusted[i].bits < 0
		    || c->trusted[i].bits > 32)) || c->trusted[i].bits > 128)
			abort();
}

/* Runs the token file parser over the input, through a 0600 memfd. */
static void
fuzz_tokens(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	struct tokens *t;
	const struct token *tk;
	char err[512];

	if (fd < 0) {
		if ((fd = memfd_create("tokens", MFD_CLOEXEC)) < 0 ||
		    fchmod(fd, 0600) != 0)
			abort();
		snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) != 0 ||
	    (size > 0 && pwrite(fd, data, size, 0) != (ssize_t)size))
		abort();
	if (tokens_load(path, &t, err, sizeof err) != 0) {
		if (err[0] == '\0' || t != NULL)
			abort();
		return;
	}
	if (tokens_count(t) > TOKENS_MAX)
		abort();
	tk = tokens_check(t, (const char *)data, size < 256 ? size : 256);
	if (tk != NULL && (tk->roles == 0 || tk->roles > 0xf))
		abort();
	tokens_free(t);
}

/* Runs the config parser (no file system checks) and the token parser. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config cfg;
	char err[1024];

	if (config_parse((const char *)data, size, "/etc/cairn/fuzz.conf",
	    CONFIG_NOFILES, &cfg, err, sizeof err) == 0) {
		check_config(&cfg);
		config_free(&cfg);
	} else if (strncmp(err, "/etc/cairn/fuzz.conf", 20) != 0 ||
	    cfg.path != NULL || cfg.listeners != NULL)
		abort();
	fuzz_tokens(data, size);
	return 0;
}
