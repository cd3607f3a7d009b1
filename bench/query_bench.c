/*
 * query_bench: latency of the incident-response queries on a large store,
 * against a raw LMDB cursor scan of the same entries in the same run.  A
 * benchmark, never a test: it prints figures (p50/p99 over runs) and
 * always exits 0 once it has measured something.
 *
 *   query_bench build DIR N ACCOUNTS BIG
 *	a store of N entries over ACCOUNTS accounts, one of which
 *	("acct-big") holds BIG of them, received over the 365 days before
 *	now (the clock the store reads is moved for the build only), with a
 *	signed checkpoint at the end; kept if it is already there.
 *   query_bench measure DIR CAIRN PORT TOKEN RUNS
 *	history of acct-big and of typical accounts (cairn history --json,
 *	every row, output discarded), search for one type over one day, the
 *	first page of GET /v1/accounts/acct-big/events from cairnd on PORT,
 *	and the raw LMDB scan of acct-big's entries.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <lmdb.h>

#include "cairn.h"
#include "catalog.h"
#include "keys.h"
#include "note.h"
#include "rfc3339.h"
#include "rows.h"
#include "util.h"

#define BATCH		10000
#define DAY_US		(86400LL * 1000000)
#define SPAN_US		(365 * DAY_US)
#define MAXRUNS		1000

/* The build moves the store's wall clock: received times spread over a
 * year, as a real store's would.  Zero: the real clock. */
static int64_t fake_now_us;

/* Interposes the store's clock (bench binary only). */
int
clock_gettime(clockid_t id, struct timespec *ts)
{
	if (fake_now_us != 0 && id == CLOCK_REALTIME) {
		ts->tv_sec = (time_t)(fake_now_us / 1000000);
		ts->tv_nsec = (long)(fake_now_us % 1000000) * 1000;
		return 0;
	}
	return (int)syscall(SYS_clock_gettime, id, ts);
}

static void __attribute__((noreturn))
die(const char *what, int rc)
{
	fprintf(stderr, "query_bench: %s: %s\n", what, rc < 0 ?
	    cairn_strerror(rc) : strerror(rc));
	exit(1);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
cmpd(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Prints p50 and p99 (ms) of n samples. */
static void
report(const char *what, double *v, int n, double goal_ms)
{
	qsort(v, (size_t)n, sizeof *v, cmpd);
	printf("%-46s p50 %8.2f ms  p99 %8.2f ms  (%d runs)", what,
	    v[n / 2] * 1e3, v[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1] * 1e3,
	    n);
	if (goal_ms > 0)
		printf("  goal < %.0f ms: %s", goal_ms, v[n / 2] * 1e3 < goal_ms ?
		    "met" : "NOT met");
	printf("\n");
}

static const char *const types[] = { "account.suspended", "account.notice",
    "realname.check" };

/* One event's JSON (about 300 bytes, like a real one). */
static int
event_json(char *buf, size_t cap, uint64_t i, uint64_t n, uint64_t accounts,
    uint64_t big)
{
	char acct[32];
	uint64_t every = big ? n / big : 0;

	if (every > 0 && i % every == 0 && i / every < big)
		snprintf(acct, sizeof acct, "acct-big");
	else
		snprintf(acct, sizeof acct, "acct-%llu", (unsigned long long)
		    ((i * 2654435761ULL) % accounts));
	switch (i % 3) {
	case 0:
		return snprintf(buf, cap, "{\"id\":\"q-%llu\",\"type\":\"%s\","
		    "\"time\":\"2026-11-29T10:00:00+08:00\",\"account\":\"%s\","
		    "\"reason\":\"arrears\",\"decided_by\":\"automated\","
		    "\"actor\":\"system:billing\",\"clause\":\"1.4\",\"note\":"
		    "\"bench event %llu, suspended for arrears after notices\"}",
		    (unsigned long long)i, types[0], acct, (unsigned long long)i);
	case 1:
		return snprintf(buf, cap, "{\"id\":\"q-%llu\",\"type\":\"%s\","
		    "\"time\":\"2026-11-29T10:00:00+08:00\",\"account\":\"%s\","
		    "\"channel\":\"email\",\"planned_action\":\"suspend\","
		    "\"actor\":\"system:billing\",\"clause\":\"1.4\",\"note\":"
		    "\"bench event %llu, notice before suspension\"}",
		    (unsigned long long)i, types[1], acct, (unsigned long long)i);
	default:
		return snprintf(buf, cap, "{\"id\":\"q-%llu\",\"type\":\"%s\","
		    "\"time\":\"2026-11-29T10:00:00+08:00\",\"account\":\"%s\","
		    "\"outcome\":\"pass\",\"subject\":\"individual\",\"method\":"
		    "[\"mobile_sms\"],\"trigger\":\"registration\",\"clause\":"
		    "\"1.1.1\",\"note\":\"bench event %llu\"}",
		    (unsigned long long)i, types[2], acct, (unsigned long long)i);
	}
}

static int
do_build(const char *dir, uint64_t n, uint64_t accounts, uint64_t big)
{
	struct cairn_store_opts so = { 64ULL << 30, 0, NULL, 0 };
	struct cairn_catalog *cat;
	struct cairn_seckey *sk;
	struct cairn_pubkey pk;
	struct cairn_receipt *r;
	struct cairn_verr err;
	struct cairn_buf vk = { 0 };
	struct timespec ts;
	cairn_event **evs;
	cairn_store *s;
	char path[PATH_MAX], buf[1024];
	uint64_t i, size = 0, k;
	size_t nerr;
	int len, rc;
	double t0;

	if (cairn_store_open(dir, &so, CAIRN_STORE_RDONLY, &s) == 0) {
		if (cairn_store_size(s, &size) == 0 && size >= n) {
			printf("store %s: %llu entries (kept)\n", dir,
			    (unsigned long long)size);
			cairn_store_close(s);
			return 0;
		}
		cairn_store_close(s);
		fprintf(stderr, "query_bench: %s holds %llu entries, not %llu: "
		    "remove it first\n", dir, (unsigned long long)size,
		    (unsigned long long)n);
		return 1;
	}
	if ((rc = cairn_catalog_default(&cat)) != 0)
		die("catalog", rc);
	if ((rc = cairn_key_generate(&sk)) != 0)
		die("keygen", rc);
	cairn_seckey_public(sk, &pk);
	snprintf(path, sizeof path, "%s.key", dir);
	if ((rc = cairn_seckey_write(path, sk, NULL, 0, 0)) != 0)
		die(path, rc);
	snprintf(path, sizeof path, "%s.vkey", dir);
	if (cairn_vkey_format("bench.example/query", pk.pk, &vk) != 0 ||
	    cairn_write_file_atomic(path, vk.p, vk.len, 0644) != 0)
		die(path, EIO);
	if ((rc = cairn_store_create(dir, "bench.example/query", pk.pk, &so)) != 0)
		die(dir, rc);
	if ((rc = cairn_store_open(dir, &so, 0, &s)) != 0)
		die(dir, rc);
	evs = calloc(BATCH, sizeof *evs);
	r = calloc(BATCH, sizeof *r);
	if (evs == NULL || r == NULL)
		die("calloc", ENOMEM);
	syscall(SYS_clock_gettime, CLOCK_REALTIME, &ts);
	t0 = now_s();
	for (i = 0; i < n; i += k) {
		fake_now_us = (int64_t)ts.tv_sec * 1000000 - SPAN_US +
		    (int64_t)((double)SPAN_US * (double)i / (double)n);
		for (k = 0; k < BATCH && i + k < n; k++) {
			len = event_json(buf, sizeof buf, i + k, n, accounts, big);
			if ((rc = cairn_event_prepare(cat, "bench", (uint8_t *)buf,
			    (size_t)len, 0, &evs[k], &err, 1, &nerr)) != 0)
				die(err.msg, rc);
		}
		if ((rc = cairn_store_append(s, evs, (size_t)k, r, NULL)) != 0)
			die("append", rc);
		while (k-- > 0)
			cairn_event_free(evs[k]);
		k = i + BATCH > n ? n - i : BATCH;
		if ((i / BATCH) % 100 == 99)
			fprintf(stderr, "  %llu entries, %.0f s\n",
			    (unsigned long long)(i + k), now_s() - t0);
	}
	fake_now_us = 0;
	if ((rc = cairn_store_checkpoint(s, cairn_seckey_ed25519(sk), NULL)) != 0)
		die("checkpoint", rc);
	printf("store %s: %llu entries built in %.0f s\n", dir,
	    (unsigned long long)n, now_s() - t0);
	cairn_store_close(s);
	cairn_seckey_free(sk);
	cairn_catalog_free(cat);
	cairn_buf_free(&vk);
	free(evs);
	free(r);
	return 0;
}

/* Runs argv with its output discarded; the wall time in seconds. */
static double
run(const char *const argv[])
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int st;
	double t0;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	t0 = now_s();
	if (posix_spawn(&pid, argv[0], &fa, NULL,
	    (char *const *)(uintptr_t)argv, environ) != 0)
		die(argv[0], errno);
	if (waitpid(pid, &st, 0) < 0)
		die("waitpid", errno);
	posix_spawn_file_actions_destroy(&fa);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "query_bench: %s %s %s failed\n", argv[0],
		    argv[1], argv[2]);
		exit(1);
	}
	return now_s() - t0;
}

/* The raw floor: acct-big's index keys and entry bytes by LMDB cursor. */
static double
raw_scan(const char *dir, uint64_t *count, int warm)
{
	static MDB_env *kept;
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi ba, en, lg;
	MDB_cursor *c;
	MDB_val k, v, ek, ev;
	static const char prefix[] = "acct-big";
	size_t pl = sizeof prefix;	/* with its 0x00 separator */
	uint64_t bytes = 0;
	double t0;
	int rc;

	if (warm && kept != NULL)
		env = kept;
	else if ((rc = mdb_env_create(&env)) != 0 ||
	    (rc = mdb_env_set_maxdbs(env, 8)) != 0 ||
	    (rc = mdb_env_set_mapsize(env, 64ULL << 30)) != 0 ||
	    (rc = mdb_env_open(env, dir, MDB_RDONLY | MDB_NOTLS | MDB_NORDAHEAD,
	    0600)) != 0)
		die("raw open", rc);
	t0 = now_s();
	if ((rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn)) != 0 ||
	    (rc = mdb_dbi_open(txn, "by_account", 0, &ba)) != 0 ||
	    (rc = mdb_dbi_open(txn, "entries", 0, &en)) != 0 ||
	    (rc = mdb_cursor_open(txn, ba, &c)) != 0)
		die("raw txn", rc);
	k.mv_data = (void *)(uintptr_t)prefix;
	k.mv_size = pl;
	*count = 0;
	for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
	    rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (k.mv_size != pl + 8 || memcmp(k.mv_data, prefix, pl) != 0)
			break;
		ek.mv_data = (uint8_t *)k.mv_data + pl;
		ek.mv_size = 8;
		if (mdb_get(txn, en, &ek, &ev) != 0)
			die("raw get", EIO);
		bytes += ev.mv_size;
		(*count)++;
	}
	mdb_cursor_close(c);
	/* The newest entries' accounts are in account_log (seq -> account),
	 * which the library reads after by_account: so does the peer. */
	if (mdb_dbi_open(txn, "account_log", 0, &lg) == 0) {
		if ((rc = mdb_cursor_open(txn, lg, &c)) != 0)
			die("raw log", rc);
		for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
		    rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
			if (v.mv_size != pl || memcmp(v.mv_data, prefix, pl) != 0)
				continue;
			if (mdb_get(txn, en, &k, &ev) != 0)
				die("raw get", EIO);
			bytes += ev.mv_size;
			(*count)++;
		}
		mdb_cursor_close(c);
	}
	mdb_txn_abort(txn);
	t0 = now_s() - t0;
	if (warm)
		kept = env;
	else
		mdb_env_close(env);
	if (bytes == 0)
		die("raw scan found nothing", ENOENT);
	return t0;
}

/*
 * cairn history's own work on acct-big inside one process whose map is
 * already warm (as cairnd's is): the same library calls, every entry
 * re-hashed, linked and turned into its JSON line, without process start,
 * self-audit or output.  Separates the query's cost from the cost of
 * mapping the pages of a large store into a fresh process.
 */
static double
history_inproc(cairn_store *s, uint64_t *n)
{
	struct cairn_buf out = { 0 };
	const struct cairn_entry *e;
	const struct cairn_row *r;
	struct cairn_hist h;
	double t0 = now_s();
	int parsed, check, rc;

	if ((rc = cairn_hist_open(&h, s, "acct-big", NULL)) != 0)
		die("iter", rc);
	(void)cairn_iter_ahead(h.it);	/* as cairnd and cairn history do */
	while ((rc = cairn_hist_next(&h, &e, &r, &parsed, &check)) == 0) {
		if (cairn_row_json(&out, e, r, check, NULL) != 0 ||
		    cairn_buf_addc(&out, '\n') != 0)
			die("json", ENOMEM);
		if (out.len > (1 << 20))
			out.len = 0;
	}
	if (rc != CAIRN_ENOTFOUND)
		die("history", rc);
	*n = h.ch.n;
	if (h.ch.bad != 0)
		die("the chain does not check", EIO);
	cairn_hist_close(&h);
	cairn_buf_free(&out);
	return now_s() - t0;
}

/* One GET over a fresh TCP connection; the time to the whole answer. */
static double
http_get(int port, const char *path, const char *token)
{
	struct sockaddr_in sin;
	char req[1024], buf[65536];
	size_t got = 0, need = 0, hl = 0;
	ssize_t n;
	double t0;
	char *h, *cl;
	int fd, one = 1;

	t0 = now_s();
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&sin, sizeof sin) != 0)
		die("connect", errno);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: localhost\r\n"
	    "Authorization: Bearer %s\r\nConnection: close\r\n\r\n", path, token);
	if (write(fd, req, (size_t)n) != n)
		die("write", errno);
	/* Headers into buf, then count the body: first pages are small. */
	for (;;) {
		n = read(fd, buf + (hl ? 0 : got), hl ? sizeof buf :
		    sizeof buf - 1 - got);
		if (n <= 0)
			break;
		if (hl == 0) {
			got += (size_t)n;
			buf[got] = '\0';
			if ((h = strstr(buf, "\r\n\r\n")) == NULL)
				continue;
			hl = (size_t)(h + 4 - buf);
			if (strncmp(buf, "HTTP/1.1 200", 12) != 0)
				die("HTTP status not 200", EPROTO);
			cl = strcasestr(buf, "Content-Length:");
			need = cl ? strtoull(cl + 15, NULL, 10) : 0;
			got -= hl;
		} else
			got += (size_t)n;
		if (need && got >= need)
			break;
	}
	close(fd);
	if (hl == 0)
		die("no answer", EPROTO);
	return now_s() - t0;
}

static int
do_measure(const char *dir, const char *cairn, int port, const char *token,
    int runs)
{
	static double v[MAXRUNS];
	struct cairn_store_info in;
	cairn_store *s;
	char since[40], until[40], acct[32], path[256];
	const char *argv[12];
	uint64_t count = 0, accounts = 100000;
	double rawt[MAXRUNS], warm[MAXRUNS], raw50, big50;
	int i, rc;

	if (runs < 3 || runs > MAXRUNS)
		runs = 20;
	if ((rc = cairn_store_open(dir, NULL, CAIRN_STORE_RDONLY, &s)) != 0 ||
	    (rc = cairn_store_info(s, &in)) != 0)
		die(dir, rc);
	cairn_store_close(s);
	if (getenv("ACCOUNTS") != NULL)
		accounts = strtoull(getenv("ACCOUNTS"), NULL, 10);
	printf("store: %llu entries, %llu accounts\n",
	    (unsigned long long)in.size, (unsigned long long)accounts);
	setenv("CAIRN_STORE", dir, 1);

	/* Warm the page cache the way a running appliance's would be. */
	(void)raw_scan(dir, &count, 0);
	argv[0] = cairn;
	argv[1] = "history";
	argv[2] = "--json";
	argv[3] = "acct-big";
	argv[4] = NULL;
	(void)run(argv);
	for (i = 0; i < runs; i++) {
		rawt[i] = raw_scan(dir, &count, 0);
		v[i] = run(argv);
	}
	qsort(rawt, (size_t)runs, sizeof *rawt, cmpd);
	raw50 = rawt[runs / 2];
	if ((rc = cairn_store_open(dir, NULL, CAIRN_STORE_RDONLY, &s)) != 0)
		die(dir, rc);
	(void)history_inproc(s, &count);
	for (i = 0; i < runs; i++)
		warm[i] = history_inproc(s, &count);
	cairn_store_close(s);
	printf("raw LMDB cursor scan of acct-big (%llu entries)    p50 %8.2f ms\n",
	    (unsigned long long)count, raw50 * 1e3);
	report("cairn history --json acct-big (all rows)", v, runs, 50);
	qsort(v, (size_t)runs, sizeof *v, cmpd);
	big50 = v[runs / 2];
	printf("  ratio history / raw scan: %.1fx (history re-hashes every "
	    "entry, checks its link, records the query with an fsync'd "
	    "commit, and starts a process)\n", big50 / raw50);
	report("history of acct-big in-process, warm map", warm, runs, 50);
	(void)raw_scan(dir, &count, 1);
	for (i = 0; i < runs; i++)
		rawt[i] = raw_scan(dir, &count, 1);
	report("raw LMDB scan of acct-big, warm map", rawt, runs, 0);
	qsort(warm, (size_t)runs, sizeof *warm, cmpd);
	printf("  ratio (warm): %.1fx\n", warm[runs / 2] / rawt[runs / 2]);
	/* The raw scan maps a fresh environment each run, like the CLI. */

	for (i = 0; i < runs; i++) {
		snprintf(acct, sizeof acct, "acct-%d", (int)((i * 7919) %
		    (int)accounts));
		argv[3] = acct;
		v[i] = run(argv);
	}
	report("cairn history --json, typical account", v, runs, 0);

	for (i = 0; i < runs; i++) {
		int64_t day = in.last_received - (int64_t)(1 + i % 300) * DAY_US;

		day -= day % DAY_US;
		cairn_rfc3339_format(day, since);
		cairn_rfc3339_format(day + DAY_US, until);
		argv[1] = "search";
		argv[2] = "--json";
		argv[3] = "--type";
		argv[4] = "account.notice";
		argv[5] = "--since";
		argv[6] = since;
		argv[7] = "--until";
		argv[8] = until;
		argv[9] = NULL;
		v[i] = run(argv);
	}
	report("cairn search --json, one type, one day", v, runs, 0);

	if (port > 0) {
		snprintf(path, sizeof path, "/v1/accounts/acct-big/events");
		(void)http_get(port, path, token);
		for (i = 0; i < runs * 5 && i < MAXRUNS; i++)
			v[i] = http_get(port, path, token);
		report("GET /v1/accounts/acct-big/events, first page", v, i, 5);
		snprintf(path, sizeof path, "/v1/entries?type=account.notice"
		    "&limit=100");
		for (i = 0; i < runs * 5 && i < MAXRUNS; i++)
			v[i] = http_get(port, path, token);
		report("GET /v1/entries?type=..., first page", v, i, 0);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc == 6 && strcmp(argv[1], "build") == 0)
		return do_build(argv[2], strtoull(argv[3], NULL, 10),
		    strtoull(argv[4], NULL, 10), strtoull(argv[5], NULL, 10));
	if (argc == 7 && strcmp(argv[1], "measure") == 0)
		return do_measure(argv[2], argv[3], atoi(argv[4]), argv[5],
		    atoi(argv[6]));
	fprintf(stderr, "usage: query_bench build DIR N ACCOUNTS BIG\n"
	    "       query_bench measure DIR CAIRN PORT TOKEN RUNS\n");
	return 2;
}
