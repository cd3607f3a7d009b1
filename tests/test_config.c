/* test_config.c: cairn.conf(5) parsing and checks, token files, logging. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>
#include <sodium.h>

#include "cairnd.h"
#include "confparse.h"
#include "tokens_gen.h"
#include "checkutil.h"

static char err[1024];

/* Creates the per-test scratch directory. */
static void
setup(void)
{
	scratch_make("config");
	err[0] = '\0';
}

/* Removes the scratch directory. */
static void
teardown(void)
{
	scratch_remove();
}

/* Writes a file in the scratch directory with the given mode. */
static const char * __attribute__((format(printf, 3, 4)))
put(const char *name, int mode, const char *fmt, ...)
{
	const char *p = tpath(name);
	va_list ap;
	FILE *f;

	unlink(p);
	ck_assert_ptr_nonnull(f = fopen(p, "w"));
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(chmod(p, (mode_t)mode), 0);
	return p;
}

/* Parses text without file checks, as "t.conf". */
static int
parse(struct config *cfg, const char *text)
{
	return config_parse(text, strlen(text), "t.conf", CONFIG_NOFILES, cfg,
	    err, sizeof err);
}

/* The lines every valid config needs, for the error cases below. */
#define BASE	"store = /s\nkey = /k\ntokens = /t\n"

/* A config that must be refused with exactly this message. */
static void
expect_err(const char *text, const char *msg)
{
	struct config cfg;

	ck_assert_int_ne(parse(&cfg, text), 0);
	ck_assert_msg(strcmp(err, msg) == 0, "for:\n%s\ngot:  %s\nwant: %s",
	    text, err, msg);
	/* A failed parse leaves nothing behind to free. */
	ck_assert_ptr_null(cfg.path);
	ck_assert_ptr_null(cfg.listeners);
}

/* A config that must be refused with a message starting with this prefix. */
static void
expect_prefix(const char *text, const char *prefix)
{
	struct config cfg;

	ck_assert_int_ne(parse(&cfg, text), 0);
	ck_assert_msg(strncmp(err, prefix, strlen(prefix)) == 0,
	    "for:\n%s\ngot:  %s\nwant: %s...", text, err, prefix);
}

/* A config that must be accepted. */
static void
expect_ok(const char *text)
{
	struct config cfg;

	ck_assert_msg(parse(&cfg, text) == 0, "for:\n%s\ngot: %s", text, err);
	config_free(&cfg);
}

START_TEST(test_example_loads)
{
	struct config cfg;
	char path[PATH_MAX];
	uint8_t *text;
	size_t len;
	const char *sd = getenv("srcdir");

	snprintf(path, sizeof path, "%s/collector/cairn.conf.example",
	    sd ? sd : ".");
	ck_assert_int_eq(cairn_read_file(path, 1 << 20, &text, &len), 0);
	ck_assert_msg(config_parse((char *)text, len, path, CONFIG_NOFILES,
	    &cfg, err, sizeof err) == 0, "%s", err);
	free(text);
	ck_assert_str_eq(cfg.store, "/var/lib/cairn/store");
	ck_assert_str_eq(cfg.key, "/etc/cairn/cairn.key");
	ck_assert_str_eq(cfg.tokens, "/etc/cairn/tokens");
	ck_assert_ptr_null(cfg.passphrase_file);
	ck_assert_uint_eq(cfg.nlisteners, 4);
	ck_assert_int_eq(cfg.listeners[0].kind, L_SYSLOG_UDP);
	ck_assert_int_eq(cfg.listeners[1].kind, L_SYSLOG_TCP);
	ck_assert_int_eq(cfg.listeners[2].kind, L_RELP);
	ck_assert_int_eq(cfg.listeners[3].kind, L_HTTP);
	ck_assert_str_eq(cfg.listeners[0].host, "127.0.0.1");
	ck_assert_str_eq(cfg.listeners[0].port, "5514");
	ck_assert_str_eq(cfg.listeners[2].port, "2514");
	ck_assert_str_eq(cfg.listeners[3].port, "8080");
	ck_assert_int_eq(cfg.listeners[3].line, 60);
	ck_assert_int_eq(cfg.listeners[3].fd, -1);
	ck_assert_uint_eq(cfg.ntrusted, 2);
	config_free(&cfg);
	config_free(&cfg);	/* idempotent */
}
END_TEST

START_TEST(test_example_commented_tls)
{
	struct config cfg;
	char path[PATH_MAX], *text, *p;
	uint8_t *raw;
	size_t len;
	const char *sd = getenv("srcdir");

	/* Uncommenting the TLS examples gives a valid config too. */
	snprintf(path, sizeof path, "%s/collector/cairn.conf.example",
	    sd ? sd : ".");
	ck_assert_int_eq(cairn_read_file(path, 1 << 20, &raw, &len), 0);
	text = (char *)raw;
	for (p = text; (p = strstr(p, "\n#")) != NULL; p++)
		if (strncmp(p + 2, "listen ", 7) == 0 ||
		    strncmp(p + 2, "tls_", 4) == 0)
			p[1] = ' ';
	ck_assert_msg(config_parse(text, len, path, CONFIG_NOFILES, &cfg, err,
	    sizeof err) == 0, "%s", err);
	ck_assert_uint_eq(cfg.nlisteners, 7);
	ck_assert_int_eq(cfg.listeners[6].kind, L_HTTPS);
	ck_assert_str_eq(cfg.listeners[6].host, "::");
	ck_assert_int_eq(cfg.tls_verify, TLS_VERIFY_OPTIONAL);
	ck_assert_str_eq(cfg.tls_key, "/etc/cairn/tls/key.pem");
	config_free(&cfg);
	free(raw);
}
END_TEST

START_TEST(test_manpage_examples)
{
	struct config cfg;
	struct tokens *t;
	char path[PATH_MAX], *p, *end, *block;
	uint8_t *text;
	size_t len;
	int nconf = 0, ntok = 0;
	const char *sd = getenv("srcdir"), *tp;

	/* The examples of cairn.conf(5) must be what the parser accepts. */
	snprintf(path, sizeof path, "%s/man/cairn.conf.5", sd ? sd : ".");
	ck_assert_int_eq(cairn_read_file(path, 1 << 20, &text, &len), 0);
	setenv("CREDENTIALS_DIRECTORY", "/run/credentials/cairnd.service", 1);
	for (p = (char *)text; (p = strstr(p, ".Bd -literal")) != NULL;
	    p = end) {
		p = strchr(p, '\n') + 1;
		ck_assert_ptr_nonnull(end = strstr(p, ".Ed\n"));
		ck_assert_ptr_nonnull(block = strndup(p, (size_t)(end - p)));
		if (strstr(block, "store = ") != NULL) {
			ck_assert_msg(config_parse(block, strlen(block), path,
			    CONFIG_NOFILES, &cfg, err, sizeof err) == 0, "%s",
			    err);
			config_free(&cfg);
			nconf++;
		} else if (strstr(block, " ingest ") != NULL) {
			tp = put("tokens", 0600, "%s", block);
			ck_assert_msg(tokens_load(tp, &t, err, sizeof err) == 0,
			    "%s", err);
			ck_assert_uint_eq(tokens_count(t), 2);
			ck_assert_ptr_nonnull(tokens_check(t, "test", 4));
			tokens_free(t);
			ntok++;
		}
		free(block);
	}
	ck_assert_int_eq(nconf, 2);
	ck_assert_int_eq(ntok, 1);
	free(text);
}
END_TEST

START_TEST(test_defaults)
{
	struct config cfg;
	char text[1024];
	const char *conf;

	mkdir(tpath("store"), 0700);
	put("cairn.key", 0600, "k\n");
	put("tokens", 0600, "%s", "");
	snprintf(text, sizeof text, "store = %s\nkey = %s\ntokens = %s\n"
	    "listen http :8080\n", tpath("store"), tpath("cairn.key"),
	    tpath("tokens"));
	conf = put("c.conf", 0644, "%s", text);
	ck_assert_msg(config_load(conf, &cfg, err, sizeof err) == 0, "%s", err);
	ck_assert_str_eq(cfg.path, conf);
	ck_assert_str_eq(cfg.store, tpath("store"));
	ck_assert_ptr_null(cfg.checkpoint_file);
	ck_assert_ptr_null(cfg.passphrase_file);
	ck_assert_ptr_null(cfg.user);
	ck_assert_ptr_null(cfg.tls_cert);
	ck_assert_int_eq(cfg.tls_verify, TLS_VERIFY_NONE);
	ck_assert_str_eq(cfg.sd_id, "cairn@32473");
	ck_assert_int_eq(cfg.allow_plaintext_remote, 0);
	ck_assert_uint_eq(cfg.batch_size, 1000);
	ck_assert_uint_eq(cfg.batch_delay_ms, 2);
	ck_assert_uint_eq(cfg.checkpoint_interval, 60);
	ck_assert_uint_eq(cfg.queue_limit, 20000);
	ck_assert_int_eq(cfg.ingest_nice, 10);
	ck_assert_uint_eq(cfg.max_message, 65536);
	ck_assert_uint_eq(cfg.max_body, 16 * 1024 * 1024);
	ck_assert_uint_eq(cfg.max_connections, 1024);
	ck_assert_uint_eq(cfg.map_size, 1ULL << 30);
	ck_assert_uint_eq(cfg.max_size, 1ULL << 40);
	ck_assert_uint_eq(cfg.nlisteners, 1);
	ck_assert_str_eq(cfg.listeners[0].host, "");
	ck_assert_str_eq(cfg.listeners[0].port, "8080");
	ck_assert_int_eq(cfg.listeners[0].line, 4);
	ck_assert_int_eq(listener_is_loopback(&cfg.listeners[0]), 1);
	/* Default trusted peers: 127.0.0.0/8 and ::1. */
	ck_assert_uint_eq(cfg.ntrusted, 2);
	ck_assert_int_eq(cfg.trusted[0].family, AF_INET);
	ck_assert_int_eq(cfg.trusted[0].bits, 8);
	ck_assert_int_eq(cfg.trusted[1].family, AF_INET6);
	ck_assert_int_eq(cfg.trusted[1].bits, 128);
	config_free(&cfg);
}
END_TEST

START_TEST(test_every_key)
{
	struct config cfg;

	ck_assert_msg(parse(&cfg,
	    "# every key\n"
	    "\n"
	    "store = \"/data/my store\"\n"
	    "checkpoint_file = /data/cp\n"
	    "key = /etc/k\n"
	    "passphrase_file = /etc/pass\n"
	    "tokens = /etc/tokens   # trailing comment\n"
	    "user = _cairn\n"
	    "tls_cert = /c.pem\n"
	    "tls_key = /k.pem\n"
	    "tls_ca = /ca.pem\n"
	    "tls_verify_client = require\n"
	    "sd_id = audit@99999\n"
	    "trusted_peers = 10.0.0.0/8  192.168.1.7 2001:db8::/32\n"
	    "allow_plaintext_remote = yes\n"
	    "batch_size = 100000\n"
	    "batch_delay_ms = 0\n"
	    "checkpoint_interval = 86400\n"
	    "queue_limit = 10000000\n"
	    "max_message = 480\n"
	    "max_body = 256M\n"
	    "max_connections = 65536\n"
	    "map_size = 2G\n"
	    "max_size = 64T\n"
	    "\tlisten syslog-tls [::]:6514 # all of v6\n"
	    "listen relp-tls 10.1.2.3:2515\r\n"
	    "listen syslog-udp 0.0.0.0:514\n"
	    "listen syslog-tcp 0.0.0.0:514\n"
	    "listen https 514\n"
	    "key_trailing_space_ok = \"x\"\n") != 0, "unknown key accepted");
	ck_assert_str_eq(err, "t.conf:30: unknown key 'key_trailing_space_ok' "
	    "(see cairn.conf(5))");
	ck_assert_msg(parse(&cfg,
	    "store = \"/data/my store\"\n"
	    "checkpoint_file = /data/cp\n"
	    "key = /etc/k\n"
	    "passphrase_file = /etc/pass\n"
	    "tokens = /etc/tokens   # trailing comment\n"
	    "user = _cairn\n"
	    "tls_cert = /c.pem\n"
	    "tls_key = /k.pem\n"
	    "tls_ca = \"/ca \\\"quoted\\\" #.pem\"  # comment\n"
	    "tls_verify_client = require\n"
	    "sd_id = audit@99999\n"
	    "trusted_peers = 10.0.0.0/8  192.168.1.7 2001:db8::/32\n"
	    "allow_plaintext_remote = yes\n"
	    "batch_size = 100000\n"
	    "batch_delay_ms = 0\n"
	    "checkpoint_interval = 86400\n"
	    "queue_limit = 10000000\n"
	    "max_message = 480\n"
	    "max_body = 256M\n"
	    "max_connections = 65536\n"
	    "map_size = 2g\n"
	    "max_size = 64T\n"
	    "\tlisten syslog-tls [::]:6514 # all of v6\n"
	    "listen relp-tls 10.1.2.3:2515\r\n"
	    "listen syslog-udp 0.0.0.0:514\n"
	    "listen syslog-tcp 0.0.0.0:514\n"
	    "listen https 514\n") == 0, "%s", err);
	ck_assert_str_eq(cfg.store, "/data/my store");
	ck_assert_str_eq(cfg.checkpoint_file, "/data/cp");
	ck_assert_str_eq(cfg.passphrase_file, "/etc/pass");
	ck_assert_str_eq(cfg.tokens, "/etc/tokens");
	ck_assert_str_eq(cfg.user, "_cairn");
	ck_assert_str_eq(cfg.tls_ca, "/ca \"quoted\" #.pem");
	ck_assert_int_eq(cfg.tls_verify, TLS_VERIFY_REQUIRE);
	ck_assert_str_eq(cfg.sd_id, "audit@99999");
	ck_assert_uint_eq(cfg.ntrusted, 3);
	ck_assert_int_eq(cfg.trusted[2].family, AF_INET6);
	ck_assert_int_eq(cfg.trusted[2].bits, 32);
	ck_assert_int_eq(cfg.trusted[1].bits, 32);
	ck_assert_int_eq(cfg.allow_plaintext_remote, 1);
	ck_assert_uint_eq(cfg.batch_size, 100000);
	ck_assert_uint_eq(cfg.batch_delay_ms, 0);
	ck_assert_uint_eq(cfg.checkpoint_interval, 86400);
	ck_assert_uint_eq(cfg.queue_limit, 10000000);
	ck_assert_uint_eq(cfg.max_message, 480);
	ck_assert_uint_eq(cfg.max_body, 256 << 20);
	ck_assert_uint_eq(cfg.max_connections, 65536);
	ck_assert_uint_eq(cfg.map_size, 2ULL << 30);
	ck_assert_uint_eq(cfg.max_size, 64ULL << 40);
	ck_assert_uint_eq(cfg.nlisteners, 5);
	ck_assert_str_eq(cfg.listeners[0].host, "::");
	ck_assert_str_eq(cfg.listeners[0].port, "6514");
	ck_assert_int_eq(cfg.listeners[0].line, 23);
	ck_assert_str_eq(cfg.listeners[1].host, "10.1.2.3");
	ck_assert_str_eq(cfg.listeners[4].host, "");
	ck_assert_str_eq(cfg.listeners[4].port, "514");
	config_free(&cfg);
}
END_TEST

START_TEST(test_relative_paths)
{
	struct config cfg;
	char cwd[PATH_MAX], want[PATH_MAX + 64];
	const char *text = "store = store\nkey = ../keys/k\ntokens = /abs/t\n"
	    "listen http :80\n";

	ck_assert_int_eq(config_parse(text, strlen(text), "/etc/cairn/c.conf",
	    CONFIG_NOFILES, &cfg, err, sizeof err), 0);
	ck_assert_str_eq(cfg.store, "/etc/cairn/store");
	ck_assert_str_eq(cfg.key, "/etc/cairn/../keys/k");
	ck_assert_str_eq(cfg.tokens, "/abs/t");
	config_free(&cfg);
	/* A relative config path is made absolute: the daemon may chdir. */
	ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
	ck_assert_int_eq(config_parse(text, strlen(text), "sub/c.conf",
	    CONFIG_NOFILES, &cfg, err, sizeof err), 0);
	snprintf(want, sizeof want, "%s/sub/store", cwd);
	ck_assert_str_eq(cfg.store, want);
	config_free(&cfg);
	ck_assert_int_eq(config_parse(text, strlen(text), "c.conf",
	    CONFIG_NOFILES, &cfg, err, sizeof err), 0);
	snprintf(want, sizeof want, "%s/store", cwd);
	ck_assert_str_eq(cfg.store, want);
	config_free(&cfg);
	ck_assert_int_eq(config_parse(text, strlen(text), "/c.conf",
	    CONFIG_NOFILES, &cfg, err, sizeof err), 0);
	ck_assert_str_eq(cfg.store, "/store");
	config_free(&cfg);
}
END_TEST

START_TEST(test_credentials_directory)
{
	struct config cfg;
	const char *text = BASE "passphrase_file = $CREDENTIALS_DIRECTORY/pass\n"
	    "listen http :80\n";

	setenv("CREDENTIALS_DIRECTORY", "/run/credentials/cairnd.service", 1);
	ck_assert_int_eq(parse(&cfg, text), 0);
	ck_assert_str_eq(cfg.passphrase_file,
	    "/run/credentials/cairnd.service/pass");
	config_free(&cfg);
	unsetenv("CREDENTIALS_DIRECTORY");
	expect_err(text, "t.conf:4: passphrase_file: $CREDENTIALS_DIRECTORY is "
	    "not set (systemd sets it for LoadCredential=)");
}
END_TEST

START_TEST(test_syntax_errors)
{
	expect_err("stor = /x\n", "t.conf:1: unknown key 'stor' (did you mean "
	    "store?)");
	expect_err("# c\n\ntls_verify = none\n", "t.conf:3: unknown key "
	    "'tls_verify' (did you mean tls_verify_client?)");
	expect_err("Batch_Size = 3\n", "t.conf:1: unknown key 'Batch_Size' "
	    "(did you mean batch_size?)");
	expect_err("token_file = /t\n", "t.conf:1: unknown key 'token_file' "
	    "(did you mean tokens?)");
	expect_err("frobnicate = 1\n", "t.conf:1: unknown key 'frobnicate' "
	    "(see cairn.conf(5))");
	expect_err("store /x\n", "t.conf:1: expected '=' after store "
	    "(store = value)");
	expect_err("= x\n", "t.conf:1: expected 'key = value' or 'listen KIND "
	    "ADDRESS'");
	expect_err("store =\n", "t.conf:1: store needs a value");
	expect_err("store =    # nothing\n", "t.conf:1: store needs a value");
	expect_err("store = \"/x\n", "t.conf:1: unterminated quoted value");
	expect_err("store = \"/x\\n\"\n", "t.conf:1: bad escape in quoted value "
	    "(only \\\" and \\\\)");
	expect_err("store = \"/x\" y\n", "t.conf:1: unexpected text after the "
	    "closing quote");
	expect_err(BASE "store = /y\n", "t.conf:4: duplicate key store (first "
	    "set at line 1)");
	expect_err("store = /a\x01\n", "t.conf:1: control character 0x01 in "
	    "line");
	expect_err("sd_id = cairn\n", "t.conf:1: sd_id: 'cairn' is not an SD-ID "
	    "of the form name@enterprise-number (RFC 5424 section 7.2.2; at "
	    "most 32 characters)");
	expect_prefix("sd_id = a b@1\n", "t.conf:1: sd_id: 'a b@1' is not");
	expect_prefix("sd_id = cairn@x1\n", "t.conf:1: sd_id:");
	expect_prefix("sd_id = cairn@32473@1\n", "t.conf:1: sd_id:");
	expect_err("user = -x\n", "t.conf:1: user: bad user name '-x'");
	expect_err("allow_plaintext_remote = true\n", "t.conf:1: "
	    "allow_plaintext_remote: 'true' (yes or no)");
	expect_err("tls_verify_client = sometimes\n", "t.conf:1: "
	    "tls_verify_client: 'sometimes' (none, optional or require)");
}
END_TEST

START_TEST(test_nul_and_long_lines)
{
	struct config cfg;
	static char big[CONFIG_MAXFILE + 2];
	char line[CONFIG_MAXLINE + 64];
	const char nul[] = "store = /a\0b\nkey = /k\n";

	ck_assert_int_eq(config_parse(nul, sizeof nul - 1, "t.conf",
	    CONFIG_NOFILES, &cfg, err, sizeof err), CAIRN_EINVAL);
	ck_assert_str_eq(err, "t.conf:1: NUL byte in line");
	/* A line of exactly CONFIG_MAXLINE bytes is fine; one more is not. */
	memset(line, '#', CONFIG_MAXLINE);
	strcpy(line + CONFIG_MAXLINE, "\n" BASE "listen http :1\n");
	expect_ok(line);
	memset(line, '#', CONFIG_MAXLINE + 1);
	strcpy(line + CONFIG_MAXLINE + 1, "\n" BASE "listen http :1\n");
	expect_err(line, "t.conf:1: line longer than 4096 bytes");
	memset(big, '\n', sizeof big);
	ck_assert_int_eq(config_parse(big, CONFIG_MAXFILE + 1, "t.conf",
	    CONFIG_NOFILES, &cfg, err, sizeof err), CAIRN_ETOOBIG);
	ck_assert_str_eq(err, "t.conf: file is larger than 1048576 bytes");
	ck_assert_int_eq(config_parse(big, CONFIG_MAXFILE, "t.conf",
	    CONFIG_NOFILES, &cfg, err, sizeof err), CAIRN_EINVAL);
	ck_assert_str_eq(err, "t.conf: store is required (the directory made "
	    "by cairn init)");
	/* A tiny error buffer is never overrun. */
	ck_assert_int_ne(config_parse("x", 1, "t.conf", CONFIG_NOFILES, &cfg,
	    err, 4), 0);
	ck_assert_int_eq(strlen(err), 3);
	ck_assert_int_ne(config_parse("x", 1, "t.conf", CONFIG_NOFILES, &cfg,
	    NULL, 0), 0);
}
END_TEST

START_TEST(test_numbers)
{
	expect_err("batch_size = abc\n", "t.conf:1: batch_size: 'abc' is not a "
	    "number (1..100000)");
	expect_err("batch_size = -1\n", "t.conf:1: batch_size: '-1' is not a "
	    "number (1..100000)");
	expect_err("batch_size = 0\n", "t.conf:1: batch_size: 0 is out of range "
	    "(1..100000)");
	expect_err("batch_size = 100001\n", "t.conf:1: batch_size: 100001 is out "
	    "of range (1..100000)");
	expect_err("batch_size = 99999999999999999999999\n", "t.conf:1: "
	    "batch_size: '99999999999999999999999' is not a number (1..100000)");
	expect_err("batch_size = 1K\n", "t.conf:1: batch_size: '1K' is not a "
	    "number (1..100000)");
	expect_err("batch_delay_ms = 1001\n", "t.conf:1: batch_delay_ms: 1001 is "
	    "out of range (0..1000)");
	expect_err("checkpoint_interval = 86401\n", "t.conf:1: "
	    "checkpoint_interval: 86401 is out of range (1..86400)");
	expect_err("checkpoint_interval = 0\n", "t.conf:1: "
	    "checkpoint_interval: 0 is out of range (1..86400)");
	expect_err("queue_limit = 10000001\n", "t.conf:1: queue_limit: 10000001 "
	    "is out of range (1..10000000)");
	expect_err("ingest_nice = 20\n", "t.conf:1: ingest_nice: 20 is out of "
	    "range (0..19)");
	expect_err("ingest_nice = -1\n", "t.conf:1: ingest_nice: '-1' is not a "
	    "number (0..19)");
	expect_err("max_message = 479\n", "t.conf:1: max_message: 479 is out of "
	    "range (480..1M)");
	expect_err("max_message = 2M\n", "t.conf:1: max_message: 2M is out of "
	    "range (480..1M)");
	expect_err("max_body = 1023\n", "t.conf:1: max_body: 1023 is out of "
	    "range (1K..256M)");
	expect_err("max_body = 1X\n", "t.conf:1: max_body: '1X' is not a size "
	    "(a number, optionally with K, M, G or T) (1K..256M)");
	expect_err("max_body = K\n", "t.conf:1: max_body: 'K' is not a size (a "
	    "number, optionally with K, M, G or T) (1K..256M)");
	expect_err("map_size = 99999999999T\n", "t.conf:1: map_size: "
	    "'99999999999T' is not a size (a number, optionally with K, M, G or "
	    "T) (1M..64T)");
	expect_err("max_connections = 65537\n", "t.conf:1: max_connections: "
	    "65537 is out of range (1..65536)");
	expect_err("max_size = 65T\n", "t.conf:1: max_size: 65T is out of "
	    "range (1M..64T)");
	expect_err(BASE "listen http :1\nmap_size = 2T\n", "t.conf:5: map_size "
	    "is larger than max_size");
	expect_err(BASE "listen http :1\nmax_size = 512M\n", "t.conf:5: "
	    "map_size is larger than max_size");
	expect_ok(BASE "listen http :1\nmax_size = 512M\nmap_size = 512M\n");
	expect_ok(BASE "listen http :1\nmax_message = 1M\nmax_body = 1k\n");
	expect_ok(BASE "listen http :1\ningest_nice = 0\n");
	expect_ok(BASE "listen http :1\ningest_nice = 19\n");
}
END_TEST

START_TEST(test_listen_syntax)
{
	struct config cfg;
	char text[8192];
	size_t i, n;

	expect_err(BASE "listen tcp :514\n", "t.conf:4: listen: unknown kind "
	    "'tcp' (one of syslog-udp, syslog-tcp, syslog-tls, relp, relp-tls, "
	    "http, https)");
	expect_err(BASE "listen http\n", "t.conf:4: listen needs an address "
	    "(listen KIND ADDRESS, e.g. listen http 127.0.0.1:8080)");
	expect_err(BASE "listen\n", "t.conf:4: listen needs a kind and an "
	    "address (listen KIND ADDRESS)");
	expect_err(BASE "listen = http :80\n", "t.conf:4: listen takes no '=' "
	    "(listen KIND ADDRESS)");
	expect_err(BASE "listen http :80 :81\n", "t.conf:4: listen: unexpected "
	    "':81' after the address (listen KIND ADDRESS)");
	expect_err(BASE "listen http ::1:80\n", "t.conf:4: listen: bad address "
	    "'::1:80' (IPv6 addresses need brackets, e.g. [::1]:514)");
	expect_err(BASE "listen http [::1]\n", "t.conf:4: listen: bad address "
	    "'[::1]' (IPv6 is written [address]:port)");
	expect_err(BASE "listen http [::g]:80\n", "t.conf:4: listen: bad IPv6 "
	    "address '::g'");
	expect_err(BASE "listen http []:80\n", "t.conf:4: listen: bad IPv6 "
	    "address in '[]:80'");
	expect_err(BASE "listen http 300.1.1.1:80\n", "t.conf:4: listen: bad "
	    "IPv4 address '300.1.1.1'");
	expect_err(BASE "listen http a_b:80\n", "t.conf:4: listen: bad host "
	    "'a_b' (an IPv4 address, [IPv6 address] or host name)");
	expect_err(BASE "listen http 127.0.0.1:0\n", "t.conf:4: listen: bad port "
	    "'0' in '127.0.0.1:0' (1..65535; address is host:port, [v6]:port or "
	    ":port)");
	expect_err(BASE "listen http 127.0.0.1:65536\n", "t.conf:4: listen: bad "
	    "port '65536' in '127.0.0.1:65536' (1..65535; address is host:port, "
	    "[v6]:port or :port)");
	expect_err(BASE "listen http 127.0.0.1\n", "t.conf:4: listen: bad port "
	    "'127.0.0.1' in '127.0.0.1' (1..65535; address is host:port, "
	    "[v6]:port or :port)");
	expect_err(BASE "listen http 127.0.0.1:\n", "t.conf:4: listen: bad port "
	    "'' in '127.0.0.1:' (1..65535; address is host:port, [v6]:port or "
	    ":port)");
	expect_err(BASE "listen http :http\n", "t.conf:4: listen: bad port "
	    "'http' in ':http' (1..65535; address is host:port, [v6]:port or "
	    ":port)");
	/* Two TCP listeners cannot share an address; UDP and TCP can. */
	expect_err(BASE "listen http :80\nlisten relp :80\n", "t.conf:5: "
	    "listen: address ':80' is already used by line 4");
	expect_ok(BASE "listen syslog-udp :514\nlisten syslog-tcp :514\n");
	expect_ok(BASE "listen http 0080\n");
	/* At most CONFIG_MAXLISTENERS. */
	n = (size_t)snprintf(text, sizeof text, BASE);
	for (i = 0; i < CONFIG_MAXLISTENERS; i++)
		n += (size_t)snprintf(text + n, sizeof text - n,
		    "listen syslog-tcp :%zu\n", 1000 + i);
	ck_assert_int_eq(parse(&cfg, text), 0);
	ck_assert_uint_eq(cfg.nlisteners, CONFIG_MAXLISTENERS);
	config_free(&cfg);
	snprintf(text + n, sizeof text - n, "listen syslog-tcp :999\n");
	expect_err(text, "t.conf:68: too many listeners (at most 64)");
}
END_TEST

START_TEST(test_required_and_tls)
{
	expect_err("key = /k\nlisten http :1\n", "t.conf: store is required "
	    "(the directory made by cairn init)");
	expect_err("store = /s\nlisten http :1\n", "t.conf: key is required "
	    "(the secret key that signs checkpoints)");
	expect_err(BASE, "t.conf: no listen lines (add one, e.g. listen http "
	    "127.0.0.1:8080)");
	expect_err("store = /s\nkey = /k\nlisten http :1\n", "t.conf:3: http "
	    "needs a token file (tokens = FILE)");
	expect_err("store = /s\nkey = /k\nlisten https :1\ntls_cert = /c\n"
	    "tls_key = /k\n", "t.conf:3: https needs a token file (tokens = "
	    "FILE)");
	expect_ok("store = /s\nkey = /k\nlisten relp :1\n");
	expect_err(BASE "listen https :443\n", "t.conf:4: https needs tls_cert "
	    "and tls_key");
	expect_err(BASE "listen syslog-tls :6514\n", "t.conf:4: syslog-tls needs "
	    "tls_cert and tls_key");
	expect_err(BASE "listen relp-tls :2515\n", "t.conf:4: relp-tls needs "
	    "tls_cert and tls_key");
	expect_err(BASE "listen relp-tls :2515\ntls_cert = /c\n", "t.conf:5: "
	    "tls_cert and tls_key go together (set both)");
	expect_err(BASE "listen relp-tls :2515\ntls_key = /c\n", "t.conf:5: "
	    "tls_cert and tls_key go together (set both)");
	expect_ok(BASE "listen relp-tls :2515\ntls_key = /c\ntls_cert = /d\n");
	expect_err(BASE "listen http :1\ntls_verify_client = require\n",
	    "t.conf:5: tls_verify_client require needs tls_ca (the CA that "
	    "signs client certificates)");
	expect_err(BASE "listen http :1\ntls_verify_client = optional\n",
	    "t.conf:5: tls_verify_client optional needs tls_ca (the CA that "
	    "signs client certificates)");
	expect_ok(BASE "listen http :1\ntls_verify_client = none\n");
	expect_ok(BASE "listen http :1\ntls_verify_client = require\n"
	    "tls_ca = /ca\n");
}
END_TEST

START_TEST(test_loopback_rules)
{
	expect_err(BASE "listen http 0.0.0.0:8080\n", "t.conf:4: http on "
	    "0.0.0.0:8080 is not loopback and not encrypted (bind to 127.0.0.1, "
	    "use a TLS kind, or set allow_plaintext_remote = yes)");
	expect_ok(BASE "listen http 0.0.0.0:8080\nallow_plaintext_remote = yes\n");
	expect_err(BASE "listen http 0.0.0.0:8080\nallow_plaintext_remote = no\n",
	    "t.conf:4: http on 0.0.0.0:8080 is not loopback and not encrypted "
	    "(bind to 127.0.0.1, use a TLS kind, or set allow_plaintext_remote "
	    "= yes)");
	expect_err(BASE "listen syslog-udp [::]:514\n", "t.conf:4: syslog-udp on "
	    "[::]:514 is not loopback and not encrypted (bind to 127.0.0.1, use "
	    "a TLS kind, or set allow_plaintext_remote = yes)");
	expect_prefix(BASE "listen syslog-tcp 192.168.1.1:514\n", "t.conf:4: "
	    "syslog-tcp on 192.168.1.1:514 is not loopback");
	expect_prefix(BASE "listen relp log.example.com:2514\n", "t.conf:4: "
	    "relp on log.example.com:2514 is not loopback");
	expect_ok(BASE "listen syslog-udp [::1]:514\n");
	expect_ok(BASE "listen syslog-udp 127.1.2.3:514\n");
	expect_ok(BASE "listen syslog-udp localhost:514\n");
	expect_ok(BASE "listen syslog-udp [::ffff:127.0.0.1]:514\n");
	/* TLS kinds may listen anywhere, given a certificate. */
	expect_err(BASE "listen https 0.0.0.0:8443\n", "t.conf:4: https needs "
	    "tls_cert and tls_key");
	expect_ok(BASE "listen https 0.0.0.0:8443\ntls_cert = /c\ntls_key = /k\n");
}
END_TEST

START_TEST(test_is_loopback)
{
	struct listener l;

	memset(&l, 0, sizeof l);
	ck_assert_int_eq(listener_is_loopback(&l), 1);
	strcpy(l.host, "localhost");
	ck_assert_int_eq(listener_is_loopback(&l), 1);
	strcpy(l.host, "127.255.0.1");
	ck_assert_int_eq(listener_is_loopback(&l), 1);
	strcpy(l.host, "::1");
	ck_assert_int_eq(listener_is_loopback(&l), 1);
	strcpy(l.host, "128.0.0.1");
	ck_assert_int_eq(listener_is_loopback(&l), 0);
	strcpy(l.host, "0.0.0.0");
	ck_assert_int_eq(listener_is_loopback(&l), 0);
	strcpy(l.host, "::");
	ck_assert_int_eq(listener_is_loopback(&l), 0);
	strcpy(l.host, "::2");
	ck_assert_int_eq(listener_is_loopback(&l), 0);
	strcpy(l.host, "localhost.example.com");
	ck_assert_int_eq(listener_is_loopback(&l), 0);
}
END_TEST

/* A sockaddr for a numeric address. */
static const struct sockaddr *
sa(const char *addr)
{
	static struct sockaddr_storage ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof ss);
	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1)
		s4->sin_family = AF_INET;
	else {
		ck_assert_int_eq(inet_pton(AF_INET6, addr, &s6->sin6_addr), 1);
		s6->sin6_family = AF_INET6;
	}
	return (const struct sockaddr *)&ss;
}

START_TEST(test_cidr)
{
	struct config cfg;
	struct fake_un { sa_family_t f; char p[8]; } un = { AF_UNIX, "" };

	ck_assert_int_eq(parse(&cfg, BASE "listen http :1\ntrusted_peers = "
	    "10.0.0.0/8 192.168.1.7 172.16.0.0/12 2001:db8::/32 fe80::1 "
	    "0.0.0.0/0\n"), 0);
	ck_assert_uint_eq(cfg.ntrusted, 6);
	ck_assert_int_eq(cidr_match(cfg.trusted, 5, sa("10.255.1.2")), 1);
	ck_assert_int_eq(cidr_match(cfg.trusted, 5, sa("11.0.0.0")), 0);
	ck_assert_int_eq(cidr_match(cfg.trusted, 5, sa("192.168.1.7")), 1);
	ck_assert_int_eq(cidr_match(cfg.trusted, 5, sa("192.168.1.8")), 0);
	ck_assert_int_eq(cidr_match(cfg.trusted, 5, sa("172.31.255.255")), 1);
	ck_assert_int_eq(cidr_match(cfg.trusted, 5, sa("172.32.0.0")), 0);
	ck_assert_int_eq(cidr_match(cfg.trusted, 5, sa("2001:db8:ffff::1")), 1);
	ck_assert_int_eq(cidr_match(cfg.trusted, 5, sa("2001:db9::1")), 0);
	ck_assert_int_eq(cidr_match(cfg.trusted, 5, sa("fe80::1")), 1);
	ck_assert_int_eq(cidr_match(cfg.trusted, 5, sa("fe80::2")), 0);
	/* An IPv4 peer on a dual-stack socket (RFC 4291 section 2.5.5.2). */
	ck_assert_int_eq(cidr_match(cfg.trusted, 5, sa("::ffff:10.0.0.1")), 1);
	ck_assert_int_eq(cidr_match(cfg.trusted, 5, sa("::ffff:11.0.0.1")), 0);
	ck_assert_int_eq(cidr_match(cfg.trusted, 5, sa("::10.0.0.1")), 0);
	/* /0 matches every IPv4 address, and no IPv6 one. */
	ck_assert_int_eq(cidr_match(cfg.trusted, 6, sa("8.8.8.8")), 1);
	ck_assert_int_eq(cidr_match(cfg.trusted, 6, sa("2001:4860::8888")), 0);
	ck_assert_int_eq(cidr_match(cfg.trusted, 6,
	    (const struct sockaddr *)(void *)&un), 0);
	ck_assert_int_eq(cidr_match(cfg.trusted, 6, NULL), 0);
	ck_assert_int_eq(cidr_match(cfg.trusted, 0, sa("10.0.0.1")), 0);
	config_free(&cfg);
	/* The defaults: loopback only. */
	ck_assert_int_eq(parse(&cfg, BASE "listen http :1\n"), 0);
	ck_assert_int_eq(cidr_match(cfg.trusted, cfg.ntrusted, sa("127.0.0.1")),
	    1);
	ck_assert_int_eq(cidr_match(cfg.trusted, cfg.ntrusted, sa("::1")), 1);
	ck_assert_int_eq(cidr_match(cfg.trusted, cfg.ntrusted,
	    sa("::ffff:127.9.9.9")), 1);
	ck_assert_int_eq(cidr_match(cfg.trusted, cfg.ntrusted, sa("10.0.0.1")),
	    0);
	config_free(&cfg);
	ck_assert_int_eq(parse(&cfg, BASE "listen http :1\ntrusted_peers = "
	    "none\n"), 0);
	ck_assert_uint_eq(cfg.ntrusted, 0);
	ck_assert_int_eq(cidr_match(cfg.trusted, cfg.ntrusted, sa("127.0.0.1")),
	    0);
	config_free(&cfg);
	expect_err("trusted_peers = 10.1.2.3/8\n", "t.conf:1: trusted_peers: "
	    "'10.1.2.3/8' has host bits set (did you mean 10.0.0.0/8?)");
	expect_err("trusted_peers = 2001:db8::1/32\n", "t.conf:1: trusted_peers: "
	    "'2001:db8::1/32' has host bits set (did you mean 2001:db8::/32?)");
	expect_err("trusted_peers = 10.0.0.0/33\n", "t.conf:1: trusted_peers: "
	    "bad prefix length in '10.0.0.0/33' (0..32)");
	expect_err("trusted_peers = ::/129\n", "t.conf:1: trusted_peers: bad "
	    "prefix length in '::/129' (0..128)");
	expect_err("trusted_peers = 10.0.0.0/\n", "t.conf:1: trusted_peers: bad "
	    "prefix length in '10.0.0.0/' (0..32)");
	expect_err("trusted_peers = ::1 localhost\n", "t.conf:1: trusted_peers: "
	    "bad address 'localhost' (an IPv4 or IPv6 address, optionally "
	    "/prefix; no names)");
	expect_err("trusted_peers = /8\n", "t.conf:1: trusted_peers: bad address "
	    "'/8' (an IPv4 or IPv6 address, optionally /prefix)");
}
END_TEST

START_TEST(test_file_checks)
{
	struct config cfg;
	const char *conf;

	mkdir(tpath("store"), 0700);
	put("key", 0600, "k");
	put("tokens", 0600, "%s", "");
	put("notdir", 0600, "%s", "");

	/* The config file itself. */
	ck_assert_int_eq(config_load(tpath("nope.conf"), &cfg, err, sizeof err),
	    ENOENT);
	ck_assert_str_eq(err, tpath("nope.conf: No such file or directory"));

	conf = put("c.conf", 0644, "store = nostore\nkey = key\ntokens = tokens\n"
	    "listen http :1\n");
	ck_assert_int_eq(config_load(conf, &cfg, err, sizeof err), CAIRN_EINVAL);
	/* The message names the line and the resolved path. */
	ck_assert_ptr_nonnull(strstr(err, "c.conf:1: store "));
	ck_assert_ptr_nonnull(strstr(err, "/nostore: No such file or directory"));

	conf = put("c.conf", 0644, "store = notdir\nkey = key\ntokens = tokens\n"
	    "listen http :1\n");
	ck_assert_int_eq(config_load(conf, &cfg, err, sizeof err), CAIRN_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "c.conf:1: store "));
	ck_assert_ptr_nonnull(strstr(err, "/notdir: not a directory"));

	conf = put("c.conf", 0644, "store = store\nkey = nokey\ntokens = tokens\n"
	    "listen http :1\n");
	ck_assert_int_ne(config_load(conf, &cfg, err, sizeof err), 0);
	ck_assert_ptr_nonnull(strstr(err, "c.conf:2: key "));
	ck_assert_ptr_nonnull(strstr(err, "/nokey: No such file or directory"));

	conf = put("c.conf", 0644, "store = store\nkey = store\ntokens = tokens\n"
	    "listen http :1\n");
	ck_assert_int_ne(config_load(conf, &cfg, err, sizeof err), 0);
	ck_assert_ptr_nonnull(strstr(err, "/store: not a regular file"));

	/* Secret key readable by the group: refused. */
	chmod(tpath("key"), 0640);
	conf = put("c.conf", 0644, "store = store\nkey = key\ntokens = tokens\n"
	    "listen http :1\n");
	ck_assert_int_ne(config_load(conf, &cfg, err, sizeof err), 0);
	ck_assert_ptr_nonnull(strstr(err, "c.conf:2: key "));
	ck_assert_ptr_nonnull(strstr(err, "/key: mode 0640 gives access to "
	    "group or others (chmod 600)"));
	chmod(tpath("key"), 0600);
	ck_assert_msg(config_load(conf, &cfg, err, sizeof err) == 0, "%s", err);
	config_free(&cfg);

	put("pass", 0604, "pw");
	conf = put("c.conf", 0644, "store = store\nkey = key\ntokens = tokens\n"
	    "listen http :1\npassphrase_file = pass\n");
	ck_assert_int_ne(config_load(conf, &cfg, err, sizeof err), 0);
	ck_assert_ptr_nonnull(strstr(err, "c.conf:5: passphrase_file "));
	chmod(tpath("pass"), 0400);
	ck_assert_msg(config_load(conf, &cfg, err, sizeof err) == 0, "%s", err);
	config_free(&cfg);

	conf = put("c.conf", 0644, "store = store\nkey = key\ntokens = notokens\n"
	    "listen http :1\n");
	ck_assert_int_ne(config_load(conf, &cfg, err, sizeof err), 0);
	ck_assert_ptr_nonnull(strstr(err, "c.conf:3: tokens "));

	/* TLS key: group-readable is fine (ssl-cert), world-readable not. */
	put("cert.pem", 0644, "c");
	put("tlskey.pem", 0644, "k");
	conf = put("c.conf", 0644, "store = store\nkey = key\ntokens = tokens\n"
	    "listen https [::]:8443\ntls_cert = cert.pem\ntls_key = tlskey.pem\n");
	ck_assert_int_ne(config_load(conf, &cfg, err, sizeof err), 0);
	ck_assert_ptr_nonnull(strstr(err, "c.conf:6: tls_key "));
	ck_assert_ptr_nonnull(strstr(err, "gives access to others (chmod "
	    "o-rwx)"));
	chmod(tpath("tlskey.pem"), 0640);
	ck_assert_msg(config_load(conf, &cfg, err, sizeof err) == 0, "%s", err);
	config_free(&cfg);
	conf = put("c.conf", 0644, "store = store\nkey = key\ntokens = tokens\n"
	    "listen https [::]:8443\ntls_cert = cert.pem\ntls_key = tlskey.pem\n"
	    "tls_ca = ca.pem\ntls_verify_client = require\n");
	ck_assert_int_ne(config_load(conf, &cfg, err, sizeof err), 0);
	ck_assert_ptr_nonnull(strstr(err, "c.conf:7: tls_ca "));

	conf = put("c.conf", 0644, "store = store\nkey = key\ntokens = tokens\n"
	    "listen http :1\ncheckpoint_file = nodir/cp\n");
	ck_assert_int_ne(config_load(conf, &cfg, err, sizeof err), 0);
	ck_assert_ptr_nonnull(strstr(err, "c.conf:5: checkpoint_file "));
	ck_assert_ptr_nonnull(strstr(err, "/nodir does not exist"));
	conf = put("c.conf", 0644, "store = store\nkey = key\ntokens = tokens\n"
	    "listen http :1\ncheckpoint_file = cp\n");
	ck_assert_msg(config_load(conf, &cfg, err, sizeof err) == 0, "%s", err);
	ck_assert_str_eq(cfg.checkpoint_file, tpath("cp"));
	config_free(&cfg);

	conf = put("c.conf", 0644, "store = store\nkey = key\ntokens = tokens\n"
	    "listen http :1\nuser = no-such-user-cairn\n");
	ck_assert_int_ne(config_load(conf, &cfg, err, sizeof err), 0);
	ck_assert_str_eq(err, tpath("c.conf:5: user: no such user "
	    "'no-such-user-cairn'"));
	conf = put("c.conf", 0644, "store = store\nkey = key\ntokens = tokens\n"
	    "listen http :1\nuser = root\n");
	ck_assert_msg(config_load(conf, &cfg, err, sizeof err) == 0, "%s", err);
	config_free(&cfg);
}
END_TEST

#define HASH_TEST "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

START_TEST(test_tokens_load_check)
{
	struct tokens *t;
	const struct token *tk;
	char longsecret[300];
	uint8_t h[CAIRN_HASH_LEN];
	char hex[CAIRN_HEX_LEN + 1];
	const char *p;

	/* SHA-256("test") is the well-known 9f86d081... */
	cairn_sha256("other", 5, h);
	cairn_hex(h, sizeof h, hex);
	p = put("tokens", 0600, "# tokens\n\n"
	    "platform-1 ingest,query " HASH_TEST "\n"
	    "  ops.admin:2\tadmin,report,query,ingest\t%s  \r\n"
	    "# end\n", hex);
	ck_assert_msg(tokens_load(p, &t, err, sizeof err) == 0, "%s", err);
	ck_assert_uint_eq(tokens_count(t), 2);
	tk = tokens_check(t, "test", 4);
	ck_assert_ptr_nonnull(tk);
	ck_assert_str_eq(tk->name, "platform-1");
	ck_assert_uint_eq(tk->roles, ROLE_INGEST | ROLE_QUERY);
	tk = tokens_check(t, "other", 5);
	ck_assert_ptr_nonnull(tk);
	ck_assert_str_eq(tk->name, "ops.admin:2");
	ck_assert_uint_eq(tk->roles, ROLE_INGEST | ROLE_QUERY | ROLE_REPORT |
	    ROLE_ADMIN);
	ck_assert_ptr_null(tokens_check(t, "tesT", 4));
	ck_assert_ptr_null(tokens_check(t, "test ", 5));
	ck_assert_ptr_null(tokens_check(t, "tes", 3));
	ck_assert_ptr_null(tokens_check(t, "", 0));
	ck_assert_ptr_null(tokens_check(t, NULL, 0));
	ck_assert_ptr_null(tokens_check(NULL, "test", 4));
	memset(longsecret, 'a', sizeof longsecret);
	ck_assert_ptr_null(tokens_check(t, longsecret, sizeof longsecret));
	ck_assert_uint_eq(tokens_count(NULL), 0);
	tokens_free(t);
	tokens_free(NULL);
	/* An empty file is an empty set. */
	p = put("tokens", 0600, "# none yet\n");
	ck_assert_int_eq(tokens_load(p, &t, err, sizeof err), 0);
	ck_assert_uint_eq(tokens_count(t), 0);
	ck_assert_ptr_null(tokens_check(t, "test", 4));
	tokens_free(t);
}
END_TEST

/* A token file that must be refused with this message after "path:". */
static void
tokens_bad(const char *content, const char *msg)
{
	struct tokens *t = (struct tokens *)1;
	char want[1024];
	const char *p = put("tokens", 0600, "%s", content);

	ck_assert_int_eq(tokens_load(p, &t, err, sizeof err), CAIRN_EFORMAT);
	ck_assert_ptr_null(t);
	snprintf(want, sizeof want, "%s:%s", p, msg);
	ck_assert_str_eq(err, want);
}

START_TEST(test_tokens_errors)
{
	struct tokens *t;
	const char *p;

	tokens_bad("a ingest " HASH_TEST "\na query " HASH_TEST "x\n",
	    "2: bad hash (64 hex digits: the SHA-256 of the token)");
	tokens_bad("a ingest " HASH_TEST "\nb query 0" HASH_TEST "\n",
	    "2: bad hash (64 hex digits: the SHA-256 of the token)");
	tokens_bad("a ingest zz" HASH_TEST "\n",
	    "1: bad hash (64 hex digits: the SHA-256 of the token)");
	tokens_bad("a ingest 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d"
	    "6c15b0f00a0g\n", "1: bad hash (64 hex digits: the SHA-256 of the "
	    "token)");
	tokens_bad("a ingest " HASH_TEST "\n#\na query " HASH_TEST "\n",
	    "3: duplicate token name 'a' (first at line 1)");
	tokens_bad("a ingest " HASH_TEST "\nb query " HASH_TEST "\n",
	    "2: same token hash as 'a' at line 1");
	tokens_bad("a ingest,write " HASH_TEST "\n", "1: bad roles "
	    "'ingest,write' (a comma list of ingest, query, report, admin)");
	tokens_bad("a ingest, " HASH_TEST "\n", "1: bad roles 'ingest,' (a "
	    "comma list of ingest, query, report, admin)");
	tokens_bad("a " HASH_TEST "\n", "1: expected NAME ROLES SHA256HEX");
	tokens_bad("a/b ingest " HASH_TEST "\n", "1: bad token name 'a/b' (1 to "
	    "63 of A-Z a-z 0-9 . _ : -)");
	tokens_bad("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    " ingest " HASH_TEST "\n", "1: bad token name 'aaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' (1 to 63 of A-Z a-z 0-9 . "
	    "_ : -)");
	tokens_bad("a ingest " HASH_TEST " extra\n", "1: too many fields (NAME "
	    "ROLES SHA256HEX)");

	/* Permissions: others may not read, the group may not write. */
	p = put("tokens", 0644, "a ingest " HASH_TEST "\n");
	ck_assert_int_eq(tokens_load(p, &t, err, sizeof err), CAIRN_EKEYPERM);
	ck_assert_ptr_null(t);
	ck_assert_ptr_nonnull(strstr(err, "tokens: mode 0644: readable or "
	    "writable by others, or writable by the group (chmod 640)"));
	chmod(p, 0602);
	ck_assert_int_eq(tokens_load(p, &t, err, sizeof err), CAIRN_EKEYPERM);
	chmod(p, 0620);
	ck_assert_int_eq(tokens_load(p, &t, err, sizeof err), CAIRN_EKEYPERM);
	chmod(p, 0640);
	ck_assert_int_eq(tokens_load(p, &t, err, sizeof err), 0);
	tokens_free(t);
	ck_assert_int_eq(tokens_load(tpath("none"), &t, err, sizeof err),
	    ENOENT);
	ck_assert_str_eq(err, tpath("none: No such file or directory"));
	ck_assert_int_eq(tokens_load(scratch_dir, &t, err, sizeof err),
	    CAIRN_EFORMAT);
	ck_assert_ptr_nonnull(strstr(err, ": not a regular file"));
	p = put("tokens", 0600, "%s", "a ingest " HASH_TEST "\n");
	ck_assert_int_eq(truncate(p, 76), 0);
	ck_assert_int_eq(tokens_load(p, &t, err, sizeof err), CAIRN_EFORMAT);
}
END_TEST

/* Writes n distinct valid token lines; the last is named "last". */
static const char *
many_tokens(int n)
{
	const char *p = tpath("tokens");
	uint8_t h[CAIRN_HASH_LEN];
	char hex[CAIRN_HEX_LEN + 1];
	FILE *f;
	int i;

	ck_assert_ptr_nonnull(f = fopen(p, "w"));
	for (i = 0; i < n; i++) {
		cairn_sha256(&i, sizeof i, h);
		cairn_hex(h, sizeof h, hex);
		if (i == n - 1)
			fprintf(f, "last ingest %s\n", hex);
		else
			fprintf(f, "t%d ingest %s\n", i, hex);
	}
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(chmod(p, 0600), 0);
	return p;
}

START_TEST(test_tokens_cap)
{
	struct tokens *t;
	const struct token *tk;
	const char *p;
	char want[512];
	int last = TOKENS_MAX - 1;

	p = many_tokens(TOKENS_MAX + 1);
	ck_assert_int_eq(tokens_load(p, &t, err, sizeof err), CAIRN_EFORMAT);
	snprintf(want, sizeof want, "%s:%d: too many tokens (at most %d)", p,
	    TOKENS_MAX + 1, TOKENS_MAX);
	ck_assert_str_eq(err, want);
	/* Exactly the cap loads, and every stored hash is compared. */
	p = many_tokens(TOKENS_MAX);
	ck_assert_msg(tokens_load(p, &t, err, sizeof err) == 0, "%s", err);
	ck_assert_uint_eq(tokens_count(t), TOKENS_MAX);
	tk = tokens_check(t, (const char *)&last, sizeof last);
	ck_assert_ptr_nonnull(tk);
	ck_assert_str_eq(tk->name, "last");
	tokens_free(t);
}
END_TEST

START_TEST(test_roles_parse)
{
	ck_assert_int_eq(roles_parse("ingest"), ROLE_INGEST);
	ck_assert_int_eq(roles_parse("query,report"), ROLE_QUERY | ROLE_REPORT);
	ck_assert_int_eq(roles_parse("admin,ingest,admin"),
	    ROLE_ADMIN | ROLE_INGEST);
	ck_assert_int_eq(roles_parse("ingest,query,report,admin"), 0xf);
	ck_assert_int_eq(roles_parse(""), -1);
	ck_assert_int_eq(roles_parse(","), -1);
	ck_assert_int_eq(roles_parse("ingest,"), -1);
	ck_assert_int_eq(roles_parse(",ingest"), -1);
	ck_assert_int_eq(roles_parse("Ingest"), -1);
	ck_assert_int_eq(roles_parse("ingest query"), -1);
	ck_assert_int_eq(roles_parse("ingestx"), -1);
	ck_assert_int_eq(roles_parse("inges"), -1);
	ck_assert_int_eq(roles_parse(NULL), -1);
}
END_TEST

START_TEST(test_token_generate)
{
	char tok[TOKEN_LEN + 1], tok2[TOKEN_LEN + 1];
	char hex[CAIRN_HEX_LEN + 1];
	uint8_t h[CAIRN_HASH_LEN], h2[CAIRN_HASH_LEN], c[CAIRN_HASH_LEN];
	struct tokens *t;
	const struct token *tk;
	const char *p;

	ck_assert_int_eq(token_generate(tok, h), 0);
	ck_assert_int_eq(token_generate(tok2, h2), 0);
	ck_assert_uint_eq(strlen(tok), 43);
	/* base64url without padding (RFC 4648 section 5). */
	ck_assert_uint_eq(strspn(tok, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn"
	    "opqrstuvwxyz0123456789-_"), 43);
	ck_assert_str_ne(tok, tok2);
	cairn_sha256(tok, strlen(tok), c);
	ck_assert_mem_eq(c, h, sizeof c);
	cairn_hex(h, sizeof h, hex);
	p = put("tokens", 0600, "new ingest %s\n", hex);
	ck_assert_int_eq(tokens_load(p, &t, err, sizeof err), 0);
	tk = tokens_check(t, tok, strlen(tok));
	ck_assert_ptr_nonnull(tk);
	ck_assert_str_eq(tk->name, "new");
	ck_assert_ptr_null(tokens_check(t, tok2, strlen(tok2)));
	tokens_free(t);
	ck_assert_int_eq(token_name_valid("a"), 1);
	ck_assert_int_eq(token_name_valid("A.b_c:d-9"), 1);
	ck_assert_int_eq(token_name_valid(""), 0);
	ck_assert_int_eq(token_name_valid("a b"), 0);
	ck_assert_int_eq(token_name_valid("é"), 0);
}
END_TEST

START_TEST(test_log_stderr)
{
	char buf[4096];
	const char *p = tpath("log");
	int fd, saved;
	ssize_t n;

	ck_assert_int_ge(fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0600), 0);
	ck_assert_int_ge(saved = dup(STDERR_FILENO), 0);
	ck_assert_int_eq(dup2(fd, STDERR_FILENO), STDERR_FILENO);
	log_init("testd", 1, 0);
	errno = EPIPE;
	log_info("one %d\nforged: line\x1b[0m", 1);
	ck_assert_int_eq(errno, EPIPE);	/* callers may log, then use errno */
	log_debug("hidden");
	log_warn("two");
	log_err("three");
	log_init("testd", 1, 1);
	log_debug("shown");
	dup2(saved, STDERR_FILENO);
	close(saved);
	ck_assert_int_ge(n = pread(fd, buf, sizeof buf - 1, 0), 0);
	buf[n] = '\0';
	close(fd);
	ck_assert_ptr_nonnull(strstr(buf, "testd["));
	ck_assert_ptr_nonnull(strstr(buf, "]: info: one 1\\x0aforged: "
	    "line\\x1b[0m\n"));
	ck_assert_ptr_null(strstr(buf, "hidden"));
	ck_assert_ptr_nonnull(strstr(buf, "]: warning: two\n"));
	ck_assert_ptr_nonnull(strstr(buf, "]: error: three\n"));
	ck_assert_ptr_nonnull(strstr(buf, "]: debug: shown\n"));
	/* Four lines, each starting with a UTC timestamp. */
	ck_assert_int_eq(buf[4], '-');
	ck_assert_int_eq(buf[10], 'T');
	ck_assert_int_eq(buf[23], 'Z');
	ck_assert_ptr_nonnull(strchr(buf, '\n'));
	ck_assert_int_eq(buf[n - 1], '\n');
}
END_TEST

/* The suite of config, token and log tests. */
static Suite *
config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_example_loads);
	tcase_add_test(tc, test_example_commented_tls);
	tcase_add_test(tc, test_manpage_examples);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_every_key);
	tcase_add_test(tc, test_relative_paths);
	tcase_add_test(tc, test_credentials_directory);
	tcase_add_test(tc, test_syntax_errors);
	tcase_add_test(tc, test_nul_and_long_lines);
	tcase_add_test(tc, test_numbers);
	tcase_add_test(tc, test_listen_syntax);
	tcase_add_test(tc, test_required_and_tls);
	tcase_add_test(tc, test_loopback_rules);
	tcase_add_test(tc, test_is_loopback);
	tcase_add_test(tc, test_cidr);
	tcase_add_test(tc, test_file_checks);
	tcase_add_test(tc, test_tokens_load_check);
	tcase_add_test(tc, test_tokens_errors);
	tcase_add_test(tc, test_tokens_cap);
	tcase_add_test(tc, test_roles_parse);
	tcase_add_test(tc, test_token_generate);
	tcase_add_test(tc, test_log_stderr);
	suite_add_tcase(s, tc);
	return s;
}

/* Runs the suite; fails if any test does. */
int
main(void)
{
	if (sodium_init() < 0)
		return EXIT_FAILURE;
	umask(022);
	return check_run(config_suite());
}
