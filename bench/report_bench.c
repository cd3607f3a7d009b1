/*
 * report_bench: throughput and memory of signed exports (reports/export.h),
 * measured against zstd's own command-line compressor on the same XML in the
 * same run.  A benchmark, never a test: it prints figures, medians of
 * several runs and ratios, and exits 0 once it has measured something.
 *
 * It builds (or reuses) two stores of content.takedown events, N and N/10
 * entries, under one directory, each with a checkpoint part-way so that the
 * export has margin entries on both sides of its period.  Every export and
 * every verification runs in a child process: its wall time from fork to
 * reaping and its peak RSS (wait4's ru_maxrss) are the figures, so that the
 * parent's own memory never counts.  The goal for memory is flat: under
 * 64 MiB whatever N, which the N/10 store shows or refutes.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"	/* _GNU_SOURCE, before any system header */
#endif

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cairn.h"
#include "catalog.h"
#include "export.h"
#include "keys.h"
#include "util.h"

#include "benchutil.h"

#define BATCH		1000	/* events per commit */
#define ACCOUNTS	50000	/* distinct accounts */
#define MAP_SIZE	(16ULL << 30)
#define DISK_PER_EVENT	4000ULL	/* store + export + XML copy, with a margin */
#define MAXRUNS		15
#define GOAL_EXPORT	100000.0	/* entries/s */
#define GOAL_VERIFY	100000.0	/* entries/s */
#define GOAL_RSS_MIB	64.0

static const char *const source = "bench";

static const char *const kinds[] = {
	"output", "prompt", "image", "file", "video", "audio"
};
static const char *const detections[] = {
	"automated", "automated", "automated", "user_report",
	"regulator_order", "own_initiative"
};
static const char *const actions[] = {
	"block_transmission", "delete", "restrict_output", "label",
	"cease_use_order"
};

static char basedir[PATH_MAX];

/* What a child reports back through a pipe. */
struct childres {
	int		rc;
	double		secs;		/* the library call alone */
	double		check_secs, schema_secs;
	uint64_t	entries, margin, findings, xml_bytes, file_bytes;
	char		err[256];
};

/* One child's figures. */
struct run {
	struct childres	r;
	double		wall;		/* fork to reaping */
	double		cpu;		/* user + system of the child */
	double		rss_mib;	/* peak RSS (wait4's ru_maxrss) */
	double		anon_mib;	/* peak RssAnon, sampled every 5 ms */
	int		status;
};

/* Microseconds on the real-time clock (what the store stamps). */
static int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* A path under the base directory: PREFIX, n (unless 0), SUFFIX. */
static void
path_of(char *out, size_t cap, const char *prefix, uint64_t n,
    const char *suffix)
{
	char num[24] = "";

	if (n > 0)
		snprintf(num, sizeof num, "%llu", (unsigned long long)n);
	if ((size_t)snprintf(out, cap, "%s/%s%s%s", basedir, prefix, num,
	    suffix) >= cap)
		errx(1, "path too long");
}

/* An RFC 3339 UTC time with microseconds. */
static void
fmt_time(int64_t us, char *out, size_t cap)
{
	time_t t = (time_t)(us / 1000000);
	struct tm tm;
	char d[32];

	gmtime_r(&t, &tm);
	if (strftime(d, sizeof d, "%Y-%m-%dT%H:%M:%S", &tm) == 0 ||
	    (size_t)snprintf(out, cap, "%.31s.%06dZ", d,
	    (int)(us % 1000000)) >= cap)
		errx(1, "time buffer too small");
}

/*
 * Event i: a content.takedown of about 300 bytes, its time t (shortly before
 * it is received).  A few break a rule on purpose, so that the findings have
 * something to say without growing with N: about one in 5,000 names no
 * category, one in 10,000 was applied before it was detected, one in 20,000
 * arrives two days late.
 */
static size_t
make_json(char *buf, size_t cap, uint64_t i, int64_t t)
{
	char tm[64], det[64], app[64], cat[32];
	unsigned long long u = (unsigned long long)i;
	int64_t d, a;
	int len;

	if (i % 20000 == 7)
		t -= 2 * 86400 * 1000000LL;
	d = t - 3000000 - (int64_t)(i % 997) * 1000;
	a = t - 1000000;
	if (i % 10000 == 3)
		a = d - 500000;
	fmt_time(t, tm, sizeof tm);
	fmt_time(d, det, sizeof det);
	fmt_time(a, app, sizeof app);
	if (i % 5000 == 1)
		cat[0] = '\0';
	else
		snprintf(cat, sizeof cat, "\"category\":\"2.2.5(%c)\",",
		    (char)('a' + i % 20));
	len = snprintf(buf, cap, "{\"id\":\"td-%010llu\","
	    "\"type\":\"content.takedown\",\"time\":\"%s\","
	    "\"account\":\"u-%llu\",\"actor\":\"system:moderation\","
	    "\"clause\":\"2.2.5\",\"content_id\":\"out-%llu\","
	    "\"content_kind\":\"%s\",%s\"detection\":\"%s\","
	    "\"action\":\"%s\",\"detected_at\":\"%s\",\"applied_at\":\"%s\"}",
	    u, tm, (u * 7919) % ACCOUNTS, u * 31 + 100000,
	    kinds[i % (sizeof kinds / sizeof kinds[0])], cat,
	    detections[i % (sizeof detections / sizeof detections[0])],
	    actions[(i / 3) % (sizeof actions / sizeof actions[0])], det, app);
	if (len < 0 || (size_t)len >= cap)
		errx(1, "event buffer too small");
	return (size_t)len;
}

/* The period file of a finished store: "from_us to_us n keyid". */
static int
read_period(const char *path, uint64_t n, const struct cairn_pubkey *pub,
    int64_t *from, int64_t *to)
{
	long long f, t;
	unsigned long long m;
	char kid[40], want[40];
	FILE *fp;
	int ok;

	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	ok = fscanf(fp, "%lld %lld %llu %39s", &f, &t, &m, kid) == 4;
	fclose(fp);
	cairn_hex(pub->keyid, CAIRN_KEYID_LEN, want);
	if (!ok || m != n || strcmp(kid, want) != 0 || f <= 0 || t <= f)
		return -1;
	*from = f;
	*to = t;
	return 0;
}

/* Removes a store directory (data.mdb, lock.mdb, anything else) and its
 * checkpoint file. */
static void
remove_store(const char *dir)
{
	char cmd[PATH_MAX * 2 + 64];

	if (access(dir, F_OK) != 0)
		return;
	snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s.checkpoint'", dir, dir);
	if (system(cmd) != 0)
		errx(1, "cannot remove %s", dir);
}

/*
 * Builds a store of n events (run in a child: its memory stays its own).
 * 2% of the events, a checkpoint, 1% more (margin before the period), the
 * period's bulk, 1% (margin after), then the end checkpoint.
 */
static void
build_store(const char *dir, const char *period, uint64_t n,
    const struct cairn_seckey *sk, const struct cairn_pubkey *pub)
{
	struct cairn_store_opts o = { 0 };
	struct cairn_receipt *r;
	struct cairn_verr errs[4];
	struct cairn_catalog *cat;
	struct cairn_buf note = { 0 };
	cairn_event **evs;
	cairn_store *s;
	char buf[1024], kid[40], tmp[PATH_MAX + 8];
	uint64_t i, ck = n / 50, from_at = n / 50 + n / 100, to_at = n - n / 100;
	int64_t from = 0, to = 0, t;
	size_t k, j, len, nerr;
	double t0 = now();
	FILE *fp;
	int rc;

	remove_store(dir);
	o.map_size = MAP_SIZE;
	o.max_size = MAP_SIZE * 4;
	if ((rc = cairn_catalog_default(&cat)) != 0)
		errx(1, "catalog: %s", cairn_strerror(rc));
	if ((rc = cairn_store_create(dir, "bench.example/report", pub->pk,
	    &o)) != 0 || (rc = cairn_store_open(dir, &o, 0, &s)) != 0)
		errx(1, "store %s: %s: %s", dir, cairn_strerror(rc),
		    cairn_store_errdetail(NULL));
	if ((evs = calloc(BATCH, sizeof *evs)) == NULL ||
	    (r = calloc(BATCH, sizeof *r)) == NULL)
		err(1, "calloc");
	for (i = 0; i < n; i += k) {
		/* Batches end exactly at the checkpoint and period marks. */
		k = n - i < BATCH ? (size_t)(n - i) : BATCH;
		if (i < ck && i + k > ck)
			k = (size_t)(ck - i);
		if (i < from_at && i + k > from_at)
			k = (size_t)(from_at - i);
		if (i < to_at && i + k > to_at)
			k = (size_t)(to_at - i);
		if (i == ck && ck > 0 && (rc = cairn_store_checkpoint(s,
		    cairn_seckey_ed25519(sk), &note)) != 0)
			errx(1, "checkpoint: %s", cairn_strerror(rc));
		if (i == from_at) {
			usleep(2000);
			from = now_us();
			usleep(2000);
		}
		if (i == to_at) {
			usleep(2000);
			to = now_us();
			usleep(2000);
		}
		t = now_us() - 2000000;
		for (j = 0; j < k; j++) {
			len = make_json(buf, sizeof buf, i + j, t);
			if ((rc = cairn_event_prepare(cat, source,
			    (const uint8_t *)buf, len, 0, &evs[j], errs, 4,
			    &nerr)) != 0)
				errx(1, "prepare: %s: %s %s %s\n%s",
				    cairn_strerror(rc), nerr ? errs[0].field : "",
				    nerr ? errs[0].rule : "", nerr ? errs[0].msg :
				    "", buf);
		}
		if ((rc = cairn_store_append(s, evs, k, r, NULL)) != 0)
			errx(1, "append: %s: %s", cairn_strerror(rc),
			    cairn_store_errdetail(s));
		for (j = 0; j < k; j++)
			cairn_event_free(evs[j]);
		if (n >= 100000 && (i + k) % (n / 10) < k)
			fprintf(stderr, "  building %s: %s / %s entries, %.0f s\n",
			    dir, commas((double)(i + k)), commas((double)n),
			    now() - t0);
	}
	if ((rc = cairn_store_checkpoint(s, cairn_seckey_ed25519(sk),
	    &note)) != 0)
		errx(1, "checkpoint: %s", cairn_strerror(rc));
	cairn_buf_free(&note);
	cairn_store_close(s);
	cairn_catalog_free(cat);
	free(evs);
	free(r);
	/* The period file last: its presence says the store is complete. */
	cairn_hex(pub->keyid, CAIRN_KEYID_LEN, kid);
	snprintf(tmp, sizeof tmp, "%s.tmp", period);
	if ((fp = fopen(tmp, "w")) == NULL)
		err(1, "%s", tmp);
	fprintf(fp, "%lld %lld %llu %s\n", (long long)from, (long long)to,
	    (unsigned long long)n, kid);
	if (fclose(fp) != 0 || rename(tmp, period) != 0)
		err(1, "%s", period);
	fprintf(stderr, "  built %s: %s entries in %.0f s\n", dir,
	    commas((double)n), now() - t0);
}

/* RssAnon of a process in KiB (its heap and stacks, without the pages of
 * mapped files such as the store's data.mdb); -1 if unknown. */
static double
rss_anon_kib(pid_t pid)
{
	char path[64], line[256];
	double v = -1;
	long kib;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%ld/status", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL)
		if (sscanf(line, "RssAnon: %ld kB", &kib) == 1) {
			v = (double)kib;
			break;
		}
	fclose(f);
	return v;
}

/* Reaps a child, sampling its RssAnon meanwhile; wall time from t0. */
static void
reap(pid_t pid, double t0, struct run *out)
{
	struct rusage ru;
	double kib, peak = 0;
	pid_t w;

	for (;;) {
		if ((w = wait4(pid, &out->status, WNOHANG, &ru)) == pid)
			break;
		if (w != 0)
			err(1, "wait4");
		if ((kib = rss_anon_kib(pid)) > peak)
			peak = kib;
		usleep(5000);
	}
	out->wall = now() - t0;
	out->cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	out->rss_mib = (double)ru.ru_maxrss / 1024.0;	/* KiB on Linux */
	out->anon_mib = peak / 1024.0;
}

/* Runs fn(arg) in a child; its figures, and what it wrote to the pipe. */
static void
in_child(void (*fn)(void *, struct childres *), void *arg, struct run *out)
{
	struct childres cr;
	ssize_t got;
	double t0;
	pid_t pid;
	int p[2];

	memset(out, 0, sizeof *out);
	if (pipe(p) != 0)
		err(1, "pipe");
	fflush(stdout);
	fflush(stderr);
	t0 = now();
	if ((pid = fork()) < 0)
		err(1, "fork");
	if (pid == 0) {
		close(p[0]);
		memset(&cr, 0, sizeof cr);
		fn(arg, &cr);
		if (write(p[1], &cr, sizeof cr) != (ssize_t)sizeof cr)
			_exit(3);
		_exit(0);
	}
	close(p[1]);
	/* The record is far smaller than a pipe's buffer: reap, then read. */
	reap(pid, t0, out);
	got = read(p[0], &out->r, sizeof out->r);
	close(p[0]);
	if (got != (ssize_t)sizeof out->r || !WIFEXITED(out->status) ||
	    WEXITSTATUS(out->status) != 0) {
		out->r.rc = -1;
		if (got != (ssize_t)sizeof out->r)
			snprintf(out->r.err, sizeof out->r.err, "child failed "
			    "(status 0x%x)", out->status);
	}
}

/* A program in a child (for zstd); its figures. */
static void
run_cmd(const char *const argv[], struct run *out)
{
	double t0;
	pid_t pid;

	memset(out, 0, sizeof *out);
	fflush(stdout);
	fflush(stderr);
	t0 = now();
	if ((pid = fork()) < 0)
		err(1, "fork");
	if (pid == 0) {
		execvp(argv[0], (char *const *)(uintptr_t)argv);
		_exit(127);
	}
	reap(pid, t0, out);
	if (!WIFEXITED(out->status) || WEXITSTATUS(out->status) != 0)
		out->r.rc = -1;
}

struct exportjob {
	const char	*store, *key, *outdir;
	char		 name[64];
	int64_t		 from, to;
};

/* Child: one export. */
static void
do_export(void *a, struct childres *cr)
{
	struct exportjob *j = a;
	struct cairn_export_opts o;
	struct cairn_export_result res;
	struct cairn_seckey *sk;
	cairn_store *s;
	double t0;
	int rc;

	if ((rc = cairn_seckey_load(j->key, NULL, &sk)) != 0 ||
	    (rc = cairn_store_open(j->store, NULL, CAIRN_STORE_RDONLY,
	    &s)) != 0) {
		cr->rc = rc;
		snprintf(cr->err, sizeof cr->err, "open: %s",
		    cairn_strerror(rc));
		return;
	}
	memset(&o, 0, sizeof o);
	o.kind = CAIRN_EXPORT_TAKEDOWN;
	o.from_us = j->from;
	o.to_us = j->to;
	o.dir = j->outdir;
	o.name = j->name;
	t0 = now();
	cr->rc = cairn_export_write(s, sk, &o, &res);
	cr->secs = now() - t0;
	if (cr->rc != 0)
		snprintf(cr->err, sizeof cr->err, "%.200s", res.err[0] ? res.err :
		    cairn_strerror(cr->rc));
	cr->entries = res.entries;
	cr->margin = res.margin;
	cr->findings = res.findings;
	cr->xml_bytes = res.xml_bytes;
	cr->file_bytes = res.file_bytes;
	cairn_store_close(s);
	cairn_seckey_free(sk);
}

struct verifyjob {
	const char	*path;
	const struct cairn_pubkey *pub;
	int		 skip_schema;
};

/* Verifier lines that fail go to stderr; the rest are not printed. */
static void
say_fail(void *arg, int ok, const char *check, const char *detail)
{
	(void)arg;
	if (!ok)
		fprintf(stderr, "  verify: FAIL %s: %s\n", check, detail);
}

/* Child: one verification. */
static void
do_verify(void *a, struct childres *cr)
{
	struct verifyjob *j = a;
	struct cairn_export_check chk;
	double t0;

	memset(&chk, 0, sizeof chk);
	chk.path = j->path;
	chk.skip_schema = j->skip_schema;
	chk.say = say_fail;
	t0 = now();
	cr->rc = cairn_export_verify(j->pub, &chk);
	cr->secs = now() - t0;
	cr->check_secs = chk.check_secs;
	cr->schema_secs = chk.schema_secs;
	cr->entries = chk.entries;
	if (cr->rc != 0)
		snprintf(cr->err, sizeof cr->err, "%s", cairn_strerror(cr->rc));
}

/* The figures of one store size. */
struct size_figs {
	uint64_t	 n, entries, margin, findings;
	int		 runs;
	double		 exp_eps, exp_mbs, exp_rss, exp_anon, exp_cpu, exp_call;
	double		 exp_cpueps, ver_cpueps;
	double		 xml_per, file_per;
	double		 zstd_mbs, zstd_ratio, ratio;
	double		 ver_eps, ver_rss, ver_anon, ver_all_eps;
	double		 sch_eps, sch_secs, sch_rss, sch_anon, chk_secs;
};

/* Removes an export and its signature. */
static void
remove_export(const char *outdir, const char *name)
{
	char p[PATH_MAX];

	if ((size_t)snprintf(p, sizeof p, "%s/%s.xml.zst", outdir, name) <
	    sizeof p)
		(void)unlink(p);
	if ((size_t)snprintf(p, sizeof p, "%s/%s.xml.zst.minisig", outdir,
	    name) < sizeof p)
		(void)unlink(p);
}

/* Stats a file's size; 0 if it is missing. */
static double
file_size(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 ? (double)sb.st_size : 0;
}

/* Exports, zstd baseline and verification over one store. */
static void
measure(uint64_t n, int runs, const char *key, const struct cairn_pubkey *pub,
    struct size_figs *f)
{
	struct exportjob ej;
	struct verifyjob vj;
	struct run r;
	char store[PATH_MAX], period[PATH_MAX], outdir[PATH_MAX];
	char zst[PATH_MAX], xml[PATH_MAX], xzst[PATH_MAX];
	double a[MAXRUNS], b[MAXRUNS], c[MAXRUNS], d[MAXRUNS], e[MAXRUNS];
	double g[MAXRUNS], h[MAXRUNS], k[MAXRUNS], l[MAXRUNS], m[MAXRUNS];
	double q[MAXRUNS];
	double xmlb = 0, fileb = 0, rows;
	int i;

	memset(f, 0, sizeof *f);
	f->n = n;
	f->runs = runs;
	path_of(store, sizeof store, "store-", n, "");
	path_of(period, sizeof period, "store-", n, ".period");
	path_of(outdir, sizeof outdir, "out-", n, "");
	if (mkdir(outdir, 0755) != 0 && errno != EEXIST)
		err(1, "mkdir %s", outdir);
	memset(&ej, 0, sizeof ej);
	ej.store = store;
	ej.key = key;
	ej.outdir = outdir;
	if (read_period(period, n, pub, &ej.from, &ej.to) != 0)
		errx(1, "%s: no period file", period);

	printf("store of %s entries (%s)\n", commas((double)n), store);
	/* Exports: the last one stays for zstd and the verifier. */
	for (i = 0; i < runs; i++) {
		snprintf(ej.name, sizeof ej.name, "takedown-%d", i);
		remove_export(outdir, ej.name);
		in_child(do_export, &ej, &r);
		if (r.r.rc != 0)
			errx(1, "export failed: %s", r.r.err);
		rows = (double)(r.r.entries + r.r.margin);
		a[i] = rows / r.wall;
		b[i] = (double)r.r.xml_bytes / 1e6 / r.wall;
		c[i] = r.rss_mib;
		k[i] = r.anon_mib;
		d[i] = r.cpu / r.wall;
		e[i] = r.r.secs;
		g[i] = rows / r.cpu;
		xmlb = (double)r.r.xml_bytes;
		fileb = (double)r.r.file_bytes;
		f->entries = r.r.entries;
		f->margin = r.r.margin;
		f->findings = r.r.findings;
		fprintf(stderr, "  export run %d: %.2f s, %s entries/s, peak RSS "
		    "%.1f MiB (anonymous %.1f MiB)\n", i + 1, r.wall,
		    commas(a[i]), r.rss_mib, r.anon_mib);
		if (i + 1 < runs)
			remove_export(outdir, ej.name);
	}
	rows = (double)(f->entries + f->margin);
	f->exp_eps = median(a, runs);
	f->exp_mbs = median(b, runs);
	f->exp_rss = median(c, runs);
	f->exp_anon = median(k, runs);
	f->exp_cpu = median(d, runs);
	f->exp_call = median(e, runs);
	f->exp_cpueps = median(g, runs);
	f->xml_per = xmlb / rows;
	f->file_per = fileb / rows;

	/* zstd -3 on one thread over the very XML the export compressed. */
	if ((size_t)snprintf(zst, sizeof zst, "%s/%s.xml.zst", outdir,
	    ej.name) >= sizeof zst || (size_t)snprintf(xml, sizeof xml, "%s/plain.xml", outdir) >=
	    sizeof xml || (size_t)snprintf(xzst, sizeof xzst,
	    "%s/plain.xml.zst", outdir) >= sizeof xzst)
		errx(1, "path too long");
	{
		const char *dz[] = { "zstd", "-d", "-q", "-f", zst, "-o", xml,
		    NULL };
		const char *cz[] = { "zstd", "-3", "-T1", "-q", "-f", xml, "-o",
		    xzst, NULL };

		run_cmd(dz, &r);
		if (r.r.rc != 0 || file_size(xml) != xmlb)
			errx(1, "zstd -d %s failed", zst);
		for (i = 0; i < runs; i++) {
			run_cmd(cz, &r);
			if (r.r.rc != 0)
				errx(1, "zstd -3 failed");
			a[i] = xmlb / 1e6 / r.wall;
			fprintf(stderr, "  zstd -3 -T1 run %d: %.2f s, %.0f MB/s\n",
			    i + 1, r.wall, a[i]);
		}
		f->zstd_mbs = median(a, runs);
		f->zstd_ratio = xmlb / file_size(xzst);
		f->ratio = f->exp_mbs / f->zstd_mbs;
		(void)unlink(xml);
		(void)unlink(xzst);
	}

	/* The verifier without the schema pass, then with it. */
	vj.path = zst;
	vj.pub = pub;
	for (i = 0; i < runs; i++) {
		vj.skip_schema = 1;
		in_child(do_verify, &vj, &r);
		if (r.r.rc != 0)
			errx(1, "verify failed: %s", r.r.err);
		if (r.r.entries != f->entries + f->margin)
			errx(1, "verify checked %" PRIu64 " entries, the export "
			    "wrote %s", r.r.entries, commas(rows));
		a[i] = rows / r.r.check_secs;
		b[i] = rows / r.wall;
		c[i] = r.rss_mib;
		l[i] = r.anon_mib;
		h[i] = rows / r.cpu;
		fprintf(stderr, "  verify (no schema) run %d: %.2f s (checks "
		    "%.2f s), peak RSS %.1f MiB (anonymous %.1f MiB)\n", i + 1,
		    r.wall, r.r.check_secs, r.rss_mib, r.anon_mib);
		vj.skip_schema = 0;
		in_child(do_verify, &vj, &r);
		if (r.r.rc != 0)
			errx(1, "verify with the schema failed: %s", r.r.err);
		d[i] = rows / r.r.schema_secs;
		e[i] = r.r.schema_secs;
		g[i] = r.rss_mib;
		m[i] = r.anon_mib;
		q[i] = r.r.check_secs;
		fprintf(stderr, "  verify (schema) run %d: %.2f s (schema %.2f s, "
		    "checks %.2f s), peak RSS %.1f MiB\n", i + 1, r.wall,
		    r.r.schema_secs, r.r.check_secs, r.rss_mib);
	}
	f->ver_eps = median(a, runs);
	f->ver_all_eps = median(b, runs);
	f->ver_rss = median(c, runs);
	f->ver_cpueps = median(h, runs);
	f->ver_anon = median(l, runs);
	f->sch_eps = median(d, runs);
	f->sch_secs = median(e, runs);
	f->sch_rss = median(g, runs);
	f->sch_anon = median(m, runs);
	f->chk_secs = median(q, runs);

	printf("  export: %s entries in the period + %s margin, %s findings; "
	    "%s bytes of XML\n", commas((double)f->entries),
	    commas((double)f->margin), commas((double)f->findings),
	    commas(xmlb));
	printf("  export: %s entries/s, %.1f MB/s of XML (median of %d; the "
	    "call alone %.2f s)\n  export: CPU busy %.0f%% of the wall time; "
	    "%s entries per CPU-second\n", commas(f->exp_eps), f->exp_mbs,
	    runs, f->exp_call, 100 * f->exp_cpu, commas(f->exp_cpueps));
	printf("  export: peak RSS %.1f MiB, of which anonymous (heap) %.1f "
	    "MiB; the rest is\n  pages of the store's memory map\n",
	    f->exp_rss, f->exp_anon);
	printf("  file: %s bytes, %.1f bytes/entry (XML %.0f bytes/entry, "
	    "ratio %.1f)\n", commas(fileb), f->file_per, f->xml_per,
	    xmlb / fileb);
	printf("  zstd -3 -T1 on the same XML: %.1f MB/s (ratio %.1f); export "
	    "/ zstd = %.3f\n", f->zstd_mbs, f->zstd_ratio, f->ratio);
	printf("  verify, no schema: checks %s entries/s (whole call with "
	    "signature and zstd passes %s entries/s); peak RSS %.1f MiB "
	    "(anonymous %.1f)\n  verify, no schema: %s entries per CPU-second "
	    "(whole call)\n", commas(f->ver_eps), commas(f->ver_all_eps),
	    f->ver_rss, f->ver_anon, commas(f->ver_cpueps));
	printf("  verify, schema pass: %.2f s, %s entries/s (checks %.2f s); "
	    "peak RSS %.1f MiB (anonymous %.1f)\n\n", f->sch_secs,
	    commas(f->sch_eps), f->chk_secs, f->sch_rss, f->sch_anon);
	remove_export(outdir, ej.name);
	(void)rmdir(outdir);
}

struct buildjob {
	const char	*dir, *period;
	uint64_t	 n;
	const struct cairn_seckey *sk;
	const struct cairn_pubkey *pub;
};

/* Child: builds a store. */
static void
do_build(void *a, struct childres *cr)
{
	struct buildjob *j = a;

	build_store(j->dir, j->period, j->n, j->sk, j->pub);
	cr->rc = 0;
}

/* Makes sure a finished store of n entries exists. */
static void
ensure_store(uint64_t n, int rebuild, const struct cairn_seckey *sk,
    const struct cairn_pubkey *pub)
{
	struct buildjob bj;
	struct run r;
	char dir[PATH_MAX], period[PATH_MAX];
	int64_t f, t;

	path_of(dir, sizeof dir, "store-", n, "");
	path_of(period, sizeof period, "store-", n, ".period");
	if (!rebuild && read_period(period, n, pub, &f, &t) == 0) {
		printf("reusing %s (%s entries)\n", dir, commas((double)n));
		return;
	}
	(void)unlink(period);
	bj.dir = dir;
	bj.period = period;
	bj.n = n;
	bj.sk = sk;
	bj.pub = pub;
	in_child(do_build, &bj, &r);
	if (r.r.rc != 0)
		errx(1, "building %s failed: %s", dir, r.r.err);
	printf("built %s: %s entries in %.0f s (%s events/s, prepare + "
	    "append, commits of %d)\n", dir, commas((double)n), r.wall,
	    commas((double)n / r.wall), BATCH);
}

/* Loads the benchmark's key, or makes one (and forgets stale stores). */
static struct cairn_seckey *
ensure_key(const char *key, const char *pubpath, struct cairn_pubkey *pub)
{
	struct cairn_seckey *sk;
	int rc;

	if (cairn_seckey_load(key, NULL, &sk) == 0) {
		cairn_seckey_public(sk, pub);
		return sk;
	}
	(void)unlink(key);
	(void)unlink(pubpath);
	if ((rc = cairn_key_generate(&sk)) != 0 ||
	    (rc = cairn_seckey_write(key, sk, NULL, 0, 0)) != 0)
		errx(1, "key %s: %s", key, rc > 0 ? strerror(rc) :
		    cairn_strerror(rc));
	cairn_seckey_public(sk, pub);
	if ((rc = cairn_pubkey_write(pubpath, pub)) != 0)
		errx(1, "key %s: %s", pubpath, rc > 0 ? strerror(rc) :
		    cairn_strerror(rc));
	return sk;
}

/* Prints the machine and build the figures come from. */
static void
machine(void)
{
	char line[512], *p, model[256] = "unknown";
	FILE *f;

	if ((f = fopen("/proc/cpuinfo", "r")) != NULL) {
		while (fgets(line, sizeof line, f) != NULL)
			if (strncmp(line, "model name", 10) == 0 &&
			    (p = strchr(line, ':')) != NULL) {
				p += strspn(p + 1, " \t") + 1;
				p[strcspn(p, "\n")] = '\0';
				snprintf(model, sizeof model, "%s", p);
				break;
			}
		fclose(f);
	}
	printf("machine: %ld CPUs online, %s\n", sysconf(_SC_NPROCESSORS_ONLN),
	    model);
	printf("compiler %s, %s\n", __VERSION__,
#ifdef __OPTIMIZE__
	    "optimised build"
#else
	    "UNOPTIMISED build (-O0): figures understate the export"
#endif
	    );
	printf("directory: %s\n\n", basedir);
}

/* One summary row against a goal. */
static void
goal(const char *what, double got, double want, int below)
{
	char g[64], w[64];

	snprintf(g, sizeof g, "%s", got < 10000 ? "" : commas(got));
	if (got < 10000)
		snprintf(g, sizeof g, "%.1f", got);
	snprintf(w, sizeof w, "%s %s", below ? "<" : ">=", want < 10000 ?
	    "" : commas(want));
	if (want < 10000)
		snprintf(w, sizeof w, "%s %.0f", below ? "<" : ">=", want);
	printf("  %-44s %14s   goal %-10s %s\n", what, g, w,
	    (below ? got < want : got >= want) ? "goal met" : "below goal");
}

static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status ? stderr : stdout, "usage: report_bench [--dir dir] "
	    "[--entries n] [--runs n] [--small-runs n]\n"
	    "                    [--no-small] [--rebuild]\n"
	    "  dir: $BENCH_REPORT_DIR or /tmp/cairn-bench-report (stores are "
	    "kept there\n  and reused); n: $BENCH_REPORT_N or 1000000; also "
	    "measures n/10.\n");
	exit(status);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "entries", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ "no-small", no_argument, NULL, 'S' },
		{ "rebuild", no_argument, NULL, 'R' },
		{ "runs", required_argument, NULL, 'r' },
		{ "small-runs", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 }
	};
	struct size_figs big, small;
	struct cairn_pubkey pub;
	struct cairn_seckey *sk;
	struct statvfs vfs;
	const char *dir, *env;
	char key[PATH_MAX], pubpath[PATH_MAX];
	uint64_t n = 1000000;
	double need, avail;
	int ch, runs = 3, sruns = 3, nosmall = 0, rebuild = 0;

	if ((dir = getenv("BENCH_REPORT_DIR")) == NULL || *dir == '\0')
		dir = "/tmp/cairn-bench-report";
	if ((env = getenv("BENCH_REPORT_N")) != NULL && *env != '\0')
		n = number(env, 1000, 100000000);
	while ((ch = getopt_long(argc, argv, "d:n:r:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			dir = optarg;
			break;
		case 'n':
			n = number(optarg, 1000, 100000000);
			break;
		case 'h':
			usage(0);
		case 'S':
			nosmall = 1;
			break;
		case 'R':
			rebuild = 1;
			break;
		case 'r':
			runs = (int)number(optarg, 1, MAXRUNS);
			break;
		case 's':
			sruns = (int)number(optarg, 1, MAXRUNS);
			break;
		default:
			usage(2);
		}
	}
	if (optind != argc)
		usage(2);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if ((size_t)snprintf(basedir, sizeof basedir, "%s", dir) >=
	    sizeof basedir)
		errx(1, "directory name too long");
	if (mkdir(basedir, 0700) != 0 && errno != EEXIST)
		err(1, "mkdir %s", basedir);
	machine();

	if (statvfs(basedir, &vfs) != 0)
		err(1, "statvfs %s", basedir);
	avail = (double)vfs.f_bavail * (double)vfs.f_frsize;
	need = (double)(n + n / 10) * DISK_PER_EVENT;
	if (need > avail)
		errx(1, "%s has %s MB free, about %s MB may be needed; use "
		    "--dir elsewhere or a smaller --entries", basedir,
		    commas(avail / 1e6), commas(need / 1e6));

	path_of(key, sizeof key, "bench.key", 0, "");
	path_of(pubpath, sizeof pubpath, "bench.pub", 0, "");
	sk = ensure_key(key, pubpath, &pub);
	if (!nosmall)
		ensure_store(n / 10, rebuild, sk, &pub);
	ensure_store(n, rebuild, sk, &pub);
	cairn_seckey_free(sk);
	printf("events: ~300-byte content.takedown JSON, %d accounts; kind "
	    "takedown, margin before and after the period\n\n", ACCOUNTS);

	if (!nosmall)
		measure(n / 10, sruns, key, &pub, &small);
	measure(n, runs, key, &pub, &big);

	printf("summary (medians; goals are informational):\n");
	goal("export entries/s", big.exp_eps, GOAL_EXPORT, 0);
	goal("export peak RSS, MiB", big.exp_rss, GOAL_RSS_MIB, 1);
	goal("export peak anonymous RSS (heap), MiB", big.exp_anon,
	    GOAL_RSS_MIB, 1);
	if (!nosmall)
		printf("  %-44s %6.1f / %5.1f   (at %s entries: flat if the "
		    "same)\n", "export peak RSS / anonymous at n/10, MiB",
		    small.exp_rss, small.exp_anon, commas((double)small.n));
	goal("verify entries/s (checks, no schema)", big.ver_eps, GOAL_VERIFY,
	    0);
	goal("verify peak RSS, MiB", big.ver_rss, GOAL_RSS_MIB, 1);
	goal("verify (schema pass) peak RSS, MiB", big.sch_rss, GOAL_RSS_MIB,
	    1);
	if (!nosmall)
		printf("  %-44s %6.1f / %5.1f   (at %s entries)\n",
		    "verify peak RSS, no schema / schema, at n/10", small.ver_rss,
		    small.sch_rss, commas((double)small.n));
	printf("  %-44s %14.3f   (XML MB/s, same XML, same run)\n",
	    "export / zstd -3 -T1", big.ratio);
	return 0;
}
