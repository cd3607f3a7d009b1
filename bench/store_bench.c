/*
 * store_bench: throughput of the Cairn store, measured against its two
 * floors in the same process and run: raw LMDB MDB_APPEND of the same entry
 * bytes (for append) and single-thread nettle SHA-256 over the same bytes
 * (for verify).  A benchmark, never a test: it prints figures and ratios,
 * medians of several runs where runs are cheap, and always exits 0 once it
 * has measured something.
 *
 * Phases: append of prepared events to a fresh store; prepare + append end
 * to end; raw LMDB on the same bytes; verify and SHA-256 over a store of
 * --verify-entries entries; with --large / --prefill N, the same append
 * comparison on a store (and a raw LMDB) already holding N entries.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"	/* _GNU_SOURCE, before any system header */
#endif

#include <sys/stat.h>
#include <sys/statvfs.h>

#include <err.h>
#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <lmdb.h>
#include <nettle/version.h>

#include "cairn.h"
#include "catalog.h"
#include "keys.h"
#include "util.h"

#include "benchutil.h"

#define EVENT_BYTES	300	/* size of each event's JSON as sent */
#define ACCOUNTS	1000	/* distinct accounts */
#define BATCH		1000	/* events per measured commit */
#define PREFILL_BATCH	10000	/* events per prefill commit */
#define LARGE_BATCHES	100	/* measured commits on the large store */
#define MAP_SIZE	(64ULL << 30)	/* no map growth while measuring */
#define LARGE_DEFAULT	10000000ULL
#define DISK_PER_EVENT	2500ULL	/* cairn + raw LMDB, with a margin */
#define MAXRUNS		15

static const char *const source = "bench";

static struct cairn_catalog *cat;
static struct cairn_pubkey pub;
static char basedir[PATH_MAX];
static int keep;

/* The entry bytes of a run, kept for the raw LMDB and SHA-256 peers. */
struct blob {
	struct cairn_buf b;
	size_t		*off;	/* n + 1 offsets into b */
	size_t		 n, cap;
};

/* Seconds of CPU this process has used (user + system). */
static double
cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Bytes this process has passed to write calls (/proc/self/io wchar). */
static double
io_now(void)
{
	unsigned long long v;
	char line[128];
	double out = 0;
	FILE *f;

	if ((f = fopen("/proc/self/io", "r")) == NULL)
		return 0;
	while (fgets(line, sizeof line, f) != NULL)
		if (sscanf(line, "wchar: %llu", &v) == 1)
			out = (double)v;
	fclose(f);
	return out;
}

/* CPU seconds and bytes written inside the timed append calls: CPU against
 * fsync, and the write amplification of the indexes. */
static double cpu_in, io_in;

/* Exits with a libcairn or errno code's text. */
static void __attribute__((noreturn))
die(const char *what, int rc)
{
	errx(1, "%s: %s", what, rc < 0 ? cairn_strerror(rc) : strerror(rc));
}

#define EVENT_FMT "{\"id\":\"b-%llu\",\"type\":\"account.created\"," \
	"\"time\":\"2026-11-29T08:00:00.%06llu+08:00\"," \
	"\"account\":\"u-%llu\",\"account_kind\":\"personal\"," \
	"\"actor\":\"system:signup\",\"clause\":\"1.1.1\"," \
	"\"note\":\"bench event %.*s\"}"

/* Writes event n's JSON, padded with its note to EVENT_BYTES; its length. */
static size_t
make_json(char *buf, size_t cap, uint64_t n)
{
	static char pad[EVENT_BYTES];
	unsigned long long u = (unsigned long long)n;
	size_t i;
	int len, padlen;

	if (pad[0] == '\0')
		for (i = 0; i < sizeof pad; i++)
			pad[i] = (char)('a' + i % 26);
	len = snprintf(buf, cap, EVENT_FMT, u, u % 1000000, u % ACCOUNTS, 0, pad);
	padlen = EVENT_BYTES - len;
	if (padlen < 0)
		padlen = 0;
	len = snprintf(buf, cap, EVENT_FMT, u, u % 1000000, u % ACCOUNTS, padlen,
	    pad);
	if (len < 0 || (size_t)len >= cap)
		errx(1, "event buffer too small");
	return (size_t)len;
}

/* Prepares events first .. first + n - 1 into evs. */
static void
prepare(uint64_t first, size_t n, cairn_event **evs)
{
	struct cairn_verr errs[4];
	char buf[1024];
	size_t i, len, nerr;
	int rc;

	for (i = 0; i < n; i++) {
		len = make_json(buf, sizeof buf, first + i);
		rc = cairn_event_prepare(cat, source, (const uint8_t *)buf, len, 0,
		    &evs[i], errs, 4, &nerr);
		if (rc != 0)
			errx(1, "prepare: %s: %s %s %s", cairn_strerror(rc),
			    nerr ? errs[0].field : "", nerr ? errs[0].rule : "",
			    nerr ? errs[0].msg : "");
	}
}

/* Frees n prepared events. */
static void
release(cairn_event **evs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		cairn_event_free(evs[i]);
		evs[i] = NULL;
	}
}

/* Appends n events in commits of batch; the seconds spent inside append. */
static double
append(cairn_store *s, cairn_event **evs, size_t n, size_t batch,
    struct cairn_receipt *r)
{
	double t, c, w, sum = 0;
	size_t i, k;
	int rc;

	for (i = 0; i < n; i += k) {
		k = n - i < batch ? n - i : batch;
		w = io_now();
		c = cpu_now();
		t = now();
		if ((rc = cairn_store_append(s, evs + i, k, r, NULL)) != 0)
			errx(1, "append: %s: %s", cairn_strerror(rc),
			    cairn_store_errdetail(s));
		sum += now() - t;
		cpu_in += cpu_now() - c;
		io_in += io_now() - w;
		if (r[0].duplicate)
			errx(1, "append: event stored as a duplicate");
	}
	return sum;
}

/* Adds one entry's bytes to a blob. */
static void
blob_add(struct blob *bl, const uint8_t *p, size_t len)
{
	size_t *no;

	if (bl->n + 2 > bl->cap) {
		bl->cap = bl->cap ? bl->cap * 2 : 4096;
		if ((no = realloc(bl->off, bl->cap * sizeof *no)) == NULL)
			err(1, "realloc");
		bl->off = no;
	}
	if (bl->n == 0)
		bl->off[0] = 0;
	if (cairn_buf_add(&bl->b, p, len) != 0)
		errx(1, "out of memory");
	bl->off[++bl->n] = bl->b.len;
}

/* Adds the stored entry bytes of n appended events to a blob. */
static void
blob_events(struct blob *bl, cairn_event **evs, size_t n)
{
	const uint8_t *p;
	size_t i, len;
	int rc;

	for (i = 0; i < n; i++) {
		if ((rc = cairn_event_entry(evs[i], &p, &len)) != 0)
			die("event entry", rc);
		blob_add(bl, p, len);
	}
}

/*
 * Appends events first .. first + n - 1 batch by batch, as the collector
 * does: prepare BATCH events, append them in one commit, free them.  Returns
 * the seconds inside append (the store's cost) and adds the preparing time
 * to *tprep; the entry bytes go to bl when it is not NULL.
 */
static double
run_batches(cairn_store *s, uint64_t first, uint64_t n, cairn_event **evs,
    struct cairn_receipt *r, struct blob *bl, double *tprep)
{
	double t, ta = 0;
	uint64_t i;
	size_t k;

	for (i = 0; i < n; i += k) {
		k = n - i < BATCH ? (size_t)(n - i) : BATCH;
		t = now();
		prepare(first + i, k, evs);
		*tprep += now() - t;
		ta += append(s, evs, k, k, r);
		if (bl != NULL)
			blob_events(bl, evs, k);
		release(evs, k);
	}
	return ta;
}

/* Empties a blob. */
static void
blob_free(struct blob *bl)
{
	cairn_buf_free(&bl->b);
	free(bl->off);
	memset(bl, 0, sizeof *bl);
}

/* Removes one file of a tree walk. */
static int
rmone(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	if (remove(path) != 0)
		warn("remove %s", path);
	return 0;
}

/* Removes a directory tree (a store and its checkpoint file). */
static void
rmtree_now(const char *path)
{
	char cp[PATH_MAX];

	(void)nftw(path, rmone, 16, FTW_DEPTH | FTW_PHYS);
	if ((size_t)snprintf(cp, sizeof cp, "%s.checkpoint", path) < sizeof cp)
		(void)unlink(cp);
}

/* Removes a finished store unless --keep. */
static void
rmtree(const char *path)
{
	if (!keep)
		rmtree_now(path);
}

/* Path of a named store or env under the base directory. */
static void
path_of(char *out, size_t cap, const char *name)
{
	if ((size_t)snprintf(out, cap, "%s/%s", basedir, name) >= cap)
		errx(1, "path too long");
}

/* Creates and opens a fresh store under the base directory. */
static cairn_store *
store_new(const char *name)
{
	struct cairn_store_opts o = { 0 };
	cairn_store *s;
	char dir[PATH_MAX];
	int rc;

	path_of(dir, sizeof dir, name);
	rmtree_now(dir);
	o.map_size = MAP_SIZE;
	o.max_size = MAP_SIZE * 4;
	if ((rc = cairn_store_create(dir, "bench.example/b", pub.pk, &o)) != 0)
		errx(1, "create %s: %s: %s", dir, cairn_strerror(rc),
		    cairn_store_errdetail(NULL));
	if ((rc = cairn_store_open(dir, &o, 0, &s)) != 0)
		errx(1, "open %s: %s: %s", dir, cairn_strerror(rc),
		    cairn_store_errdetail(NULL));
	return s;
}

/* Bytes allocated on disk for a directory's data.mdb. */
static double
disk_bytes(const char *name)
{
	char path[PATH_MAX];
	struct stat sb;

	path_of(path, sizeof path, name);
	if (strlen(path) + 10 > sizeof path)
		errx(1, "path too long");
	strcat(path, "/data.mdb");
	if (stat(path, &sb) != 0)
		err(1, "stat %s", path);
	return (double)sb.st_blocks * 512;
}

/* A raw LMDB environment: one database of u64 big-endian keys. */
struct raw {
	MDB_env	*env;
	MDB_dbi	 dbi;
	uint64_t next;
};

/* Opens a fresh raw LMDB env with LMDB's default (fully synced) flags. */
static void
raw_new(struct raw *rw, const char *name)
{
	char dir[PATH_MAX];
	MDB_txn *txn;
	int rc;

	path_of(dir, sizeof dir, name);
	rmtree_now(dir);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		err(1, "mkdir %s", dir);
	rw->next = 0;
	if ((rc = mdb_env_create(&rw->env)) != 0 ||
	    (rc = mdb_env_set_mapsize(rw->env, MAP_SIZE)) != 0 ||
	    (rc = mdb_env_open(rw->env, dir, 0, 0600)) != 0 ||
	    (rc = mdb_txn_begin(rw->env, NULL, 0, &txn)) != 0 ||
	    (rc = mdb_dbi_open(txn, NULL, 0, &rw->dbi)) != 0 ||
	    (rc = mdb_txn_commit(txn)) != 0)
		errx(1, "raw LMDB %s: %s", dir, mdb_strerror(rc));
}

/* MDB_APPENDs entries [from, to) of a blob in commits of batch; seconds. */
static double
raw_append(struct raw *rw, const struct blob *bl, size_t from, size_t to,
    size_t batch)
{
	MDB_txn *txn;
	MDB_val k, v;
	uint8_t kb[8];
	double t0, c0, w0;
	size_t i;
	int rc;

	w0 = io_now();
	c0 = cpu_now();
	t0 = now();
	while (from < to) {
		if ((rc = mdb_txn_begin(rw->env, NULL, 0, &txn)) != 0)
			errx(1, "raw begin: %s", mdb_strerror(rc));
		for (i = 0; i < batch && from < to; i++, from++) {
			cairn_put_be64(kb, rw->next++);
			k.mv_data = kb;
			k.mv_size = 8;
			v.mv_data = bl->b.p + bl->off[from];
			v.mv_size = bl->off[from + 1] - bl->off[from];
			if ((rc = mdb_put(txn, rw->dbi, &k, &v, MDB_APPEND)) != 0)
				errx(1, "raw put: %s", mdb_strerror(rc));
		}
		if ((rc = mdb_txn_commit(txn)) != 0)
			errx(1, "raw commit: %s", mdb_strerror(rc));
	}
	t0 = now() - t0;
	cpu_in += cpu_now() - c0;
	io_in += io_now() - w0;
	return t0;
}

/* Reads every entry of a store into a blob (not timed). */
static void
read_all(cairn_store *s, struct blob *bl)
{
	struct cairn_entry e;
	cairn_iter *it;
	uint64_t n;
	int rc;

	if ((rc = cairn_store_size(s, &n)) != 0 ||
	    (rc = cairn_iter_range(s, 0, n, &it)) != 0)
		die("iter", rc);
	while ((rc = cairn_iter_next(it, &e)) == 0)
		blob_add(bl, e.data, e.len);
	if (rc != CAIRN_ENOTFOUND)
		die("iter next", rc);
	cairn_iter_free(it);
}

/* Leaf-hashes every entry of a blob on this thread; seconds. */
static double
sha_all(const struct blob *bl)
{
	uint8_t h[CAIRN_HASH_LEN], acc = 0;
	double t0;
	size_t i;

	t0 = now();
	for (i = 0; i < bl->n; i++) {
		cairn_leaf_hash(bl->b.p + bl->off[i], bl->off[i + 1] - bl->off[i], h);
		acc ^= h[0];
	}
	t0 = now() - t0;
	/* Keep the hashes observable so nothing is optimised away. */
	if (acc == 0xff && getenv("BENCH_NEVER") != NULL)
		printf(".\n");
	return t0;
}

/* Runs cairn_store_verify once; seconds, with the report filled. */
static double
verify_once(cairn_store *s, struct cairn_verify_report *rep)
{
	double t0;
	int rc;

	t0 = now();
	if ((rc = cairn_store_verify(s, NULL, rep)) != 0)
		errx(1, "verify: %s: %s", cairn_strerror(rc), rep->what);
	return now() - t0;
}

/* Appends n more events (from first) in big commits, for prefill; seconds
 * spent preparing, appending, and (when rw) writing raw LMDB. */
static void
prefill(cairn_store *s, struct raw *rw, uint64_t first, uint64_t n,
    double *tprep, double *tapp, double *traw)
{
	struct cairn_receipt *r;
	struct blob bl = { 0 };
	cairn_event **evs;
	uint64_t done, step = n / 10 ? n / 10 : n;
	size_t k;
	double t;

	*tprep = *tapp = *traw = 0;
	if ((evs = calloc(PREFILL_BATCH, sizeof *evs)) == NULL ||
	    (r = calloc(PREFILL_BATCH, sizeof *r)) == NULL)
		err(1, "calloc");
	for (done = 0; done < n; done += k) {
		k = n - done < PREFILL_BATCH ? (size_t)(n - done) : PREFILL_BATCH;
		t = now();
		prepare(first + done, k, evs);
		*tprep += now() - t;
		*tapp += append(s, evs, k, k, r);
		if (rw != NULL) {
			bl.n = 0;
			bl.b.len = 0;
			blob_events(&bl, evs, k);
			*traw += raw_append(rw, &bl, 0, bl.n, k);
		}
		release(evs, k);
		if (n >= 1000000 && (done + k) % step < k)
			fprintf(stderr, "  prefill: %s / %s entries\n",
			    commas((double)(done + k)), commas((double)n));
	}
	blob_free(&bl);
	free(evs);
	free(r);
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
	printf("libraries: %s, nettle %d.%d; compiler %s, %s\n",
	    mdb_version(NULL, NULL, NULL), NETTLE_VERSION_MAJOR,
	    NETTLE_VERSION_MINOR, __VERSION__,
#ifdef __OPTIMIZE__
	    "optimised build"
#else
	    "UNOPTIMISED build (-O0): figures understate the store"
#endif
	    );
	printf("directory: %s\n\n", basedir);
}

/* Prints one summary row against a goal. */
static void
goal(const char *what, double got, double want, const char *unit)
{
	char g[64], w[64];

	if (got < 0)
		snprintf(g, sizeof g, "-");
	else if (unit[0])
		snprintf(g, sizeof g, "%s %s", commas(got), unit);
	else
		snprintf(g, sizeof g, "%.3f", got);
	if (unit[0])
		snprintf(w, sizeof w, "%s", commas(want));
	else
		snprintf(w, sizeof w, "%.2f", want);
	printf("  %-40s %16s   goal >= %-12s %s\n", what, g, w,
	    g[0] == '-' ? "not measured" : got >= want ? "goal met" : "below goal");
}

static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status ? stderr : stdout, "usage: store_bench [--keep] "
	    "[--large] [--batches n] [--dir dir] [--prefill n]\n"
	    "                   [--runs n] [--verify-entries n]\n");
	exit(status);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "batches", required_argument, NULL, 'b' },
		{ "dir", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ "keep", no_argument, NULL, 'k' },
		{ "large", no_argument, NULL, 'L' },
		{ "prefill", required_argument, NULL, 'p' },
		{ "runs", required_argument, NULL, 'r' },
		{ "verify-entries", required_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 }
	};
	struct cairn_verify_report rep;
	struct cairn_seckey *sk;
	struct cairn_receipt *r;
	struct statvfs vfs;
	struct blob bl = { 0 }, vb = { 0 };
	struct raw rw;
	cairn_event **evs;
	cairn_store *s;
	const char *dir = NULL, *tmp;
	char name[PATH_MAX], label[96];
	double v[MAXRUNS], v2[MAXRUNS], v3[MAXRUNS];
	double t, tp, ta, tr, c, w, wall, need, avail, rawio = 0;
	double app_empty, e2e_empty, prep_rate, raw_empty, disk_c, disk_r;
	double ver_eps, ver_mbs, sha_mbs, sha_eps, ver_sec, pf_sec;
	double app_large = -1, raw_large = -1, lver_mbs = -1, lver_eps = -1;
	double ratio_large = -1, ver_ratio_large = -1;
	uint64_t nbatches = 100, prefilln = 0, verifyn = 200000, n, first;
	int ch, runs = 3, run, large = 0, rc;

	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'b':
			nbatches = number(optarg, 1, 100000);
			break;
		case 'd':
			dir = optarg;
			break;
		case 'h':
			usage(0);
		case 'k':
			keep = 1;
			break;
		case 'L':
			large = 1;
			break;
		case 'p':
			prefilln = number(optarg, 0, 1000000000);
			break;
		case 'r':
			runs = (int)number(optarg, 1, MAXRUNS);
			break;
		case 'v':
			verifyn = number(optarg, 1000, 100000000);
			break;
		default:
			usage(2);
		}
	}
	if (optind != argc)
		usage(2);
	/* Lines in order with the progress lines on stderr, even in a pipe. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (large && prefilln == 0)
		prefilln = LARGE_DEFAULT;

	/* A fresh directory of our own, so cleaning up removes only ours. */
	if ((tmp = dir) == NULL && ((tmp = getenv("TMPDIR")) == NULL ||
	    *tmp == '\0'))
		tmp = "/var/tmp";
	if ((size_t)snprintf(basedir, sizeof basedir, "%s/cairn-bench.XXXXXX",
	    tmp) >= sizeof basedir)
		errx(1, "directory name too long: %s", tmp);
	if (mkdtemp(basedir) == NULL)
		err(1, "mkdtemp %s", basedir);
	machine();

	/* Refuse early rather than fill the disk halfway through. */
	if (statvfs(basedir, &vfs) != 0)
		err(1, "statvfs %s", basedir);
	avail = (double)vfs.f_bavail * (double)vfs.f_frsize;
	need = (double)(verifyn + nbatches * BATCH * 3 + prefilln) *
	    DISK_PER_EVENT;
	if (need > avail) {
		fprintf(stderr, "store_bench: %s has %s MB free, about %s MB "
		    "needed for %s prefilled entries; use --dir on a larger "
		    "file system or a smaller --prefill\n", basedir,
		    commas(avail / 1e6), commas(need / 1e6), commas((double)prefilln));
		if (!keep)
			(void)rmdir(basedir);
		return 1;
	}

	if ((rc = cairn_catalog_default(&cat)) != 0)
		die("catalog", rc);
	if ((rc = cairn_key_generate(&sk)) != 0)
		die("key", rc);
	cairn_seckey_public(sk, &pub);
	cairn_seckey_free(sk);

	n = nbatches * BATCH;
	if ((evs = calloc(BATCH, sizeof *evs)) == NULL ||
	    (r = calloc(PREFILL_BATCH, sizeof *r)) == NULL)
		err(1, "calloc");

	printf("events: %d-byte account.created JSON, %d accounts, "
	    "%s per fsync'd commit, %s events per run\n\n", EVENT_BYTES,
	    ACCOUNTS, commas(BATCH), commas((double)n));

	/* The append time alone is the store's cost; prepare + append is what
	 * the CLI and the collector pay. */
	disk_c = 0;
	cpu_in = io_in = wall = 0;
	for (run = 0; run < runs; run++) {
		s = store_new("empty");
		tp = 0;
		ta = run_batches(s, 0, n, evs, r, run == 0 ? &bl : NULL, &tp);
		wall += ta;
		v[run] = (double)n / ta;
		v2[run] = (double)n / (tp + ta);
		v3[run] = (double)n / tp;
		cairn_store_close(s);
		disk_c = disk_bytes("empty") / (double)n;
		fprintf(stderr, "  append run %d: %s events/s\n", run + 1,
		    commas(v[run]));
	}
	app_empty = median(v, runs);
	e2e_empty = median(v2, runs);
	prep_rate = median(v3, runs);
	printf("append (prepared), empty store: %s events/s (median of %d); "
	    "CPU busy %.0f%% of the time, %.1f us CPU/event\n", commas(app_empty),
	    runs, 100 * cpu_in / wall, 1e6 * cpu_in / (double)(n * (uint64_t)runs));
	printf("  entry size: %s bytes average; on disk: %s bytes/event "
	    "(data.mdb blocks); written: %s bytes/event\n",
	    commas((double)bl.b.len / (double)bl.n), commas(disk_c),
	    commas(io_in / (double)(n * (uint64_t)runs)));
	printf("prepare + append, empty store: %s events/s (median of %d); "
	    "prepare alone %s events/s\n", commas(e2e_empty), runs,
	    commas(prep_rate));
	path_of(name, sizeof name, "empty");
	rmtree(name);

	/* The floor: raw LMDB MDB_APPEND of the very same entry bytes. */
	disk_r = 0;
	cpu_in = io_in = wall = 0;
	for (run = 0; run < runs; run++) {
		raw_new(&rw, "raw");
		t = raw_append(&rw, &bl, 0, bl.n, BATCH);
		wall += t;
		v[run] = (double)bl.n / t;
		mdb_env_close(rw.env);
		disk_r = disk_bytes("raw") / (double)bl.n;
	}
	raw_empty = median(v, runs);
	printf("raw LMDB MDB_APPEND, empty: %s events/s (median of %d); "
	    "ratio cairn/raw %.2f\n", commas(raw_empty), runs,
	    app_empty / raw_empty);
	printf("  raw LMDB CPU busy %.0f%% of the time, %.1f us CPU/event; "
	    "written: %s bytes/event\n", 100 * cpu_in / wall,
	    1e6 * cpu_in / (double)(bl.n * (size_t)runs),
	    commas(io_in / (double)(bl.n * (size_t)runs)));
	printf("  raw LMDB on disk: %s bytes/event; cairn/raw %.2f\n",
	    commas(disk_r), disk_c / disk_r);
	path_of(name, sizeof name, "raw");
	rmtree(name);
	blob_free(&bl);
	printf("\n");

	/* Verify against single-thread SHA-256 over the same entry bytes. */
	s = store_new("verify");
	t = now();
	prefill(s, NULL, 0, verifyn, &tp, &ta, &tr);
	pf_sec = now() - t;
	printf("verify store: %s entries prefilled in %.1f s (prepare %.1f s, "
	    "append %.1f s, commits of %s)\n", commas((double)verifyn), pf_sec,
	    tp, ta, commas(PREFILL_BATCH));
	cpu_in = cpu_now();
	wall = 0;
	for (run = 0; run < runs; run++) {
		v[run] = verify_once(s, &rep);
		wall += v[run];
		fprintf(stderr, "  verify run %d: %.3f s\n", run + 1, v[run]);
	}
	cpu_in = cpu_now() - cpu_in;
	ver_sec = median(v, runs);
	ver_eps = (double)rep.entries / ver_sec;
	ver_mbs = (double)rep.bytes / ver_sec / 1e6;
	read_all(s, &vb);
	for (run = 0; run < runs; run++)
		v[run] = sha_all(&vb);
	t = median(v, runs);
	sha_mbs = (double)vb.b.len / t / 1e6;
	sha_eps = (double)vb.n / t;
	printf("verify: %s entries/s, %s MB/s (median of %d, %s entries, "
	    "%s MB); CPU busy %.0f%% of the time\n", commas(ver_eps),
	    commas(ver_mbs), runs, commas((double)rep.entries),
	    commas((double)rep.bytes / 1e6), 100 * cpu_in / wall);
	printf("nettle SHA-256 (leaf hash), one thread, same bytes: %s entries/s, "
	    "%s MB/s; ratio verify/sha %.2f\n", commas(sha_eps), commas(sha_mbs),
	    ver_mbs / sha_mbs);
	blob_free(&vb);
	cairn_store_close(s);
	path_of(name, sizeof name, "verify");
	rmtree(name);

	/* The large case: the same comparison at prefilln entries. */
	if (prefilln > 0) {
		printf("\nlarge store: prefilling %s entries (cairn and raw "
		    "LMDB, commits of %s)\n", commas((double)prefilln),
		    commas(PREFILL_BATCH));
		fflush(stdout);
		s = store_new("large");
		raw_new(&rw, "large-raw");
		t = now();
		prefill(s, &rw, 0, prefilln, &tp, &ta, &tr);
		pf_sec = now() - t;
		printf("prefill took %.1f s: cairn prepare %.1f s, cairn append "
		    "%.1f s (%s events/s), raw LMDB %.1f s (%s events/s)\n",
		    pf_sec, tp, ta, commas((double)prefilln / ta), tr,
		    commas((double)prefilln / tr));
		first = prefilln;
		cpu_in = io_in = wall = 0;
		for (run = 0; run < runs; run++) {
			n = LARGE_BATCHES * BATCH;
			bl.n = 0;
			bl.b.len = 0;
			t = run_batches(s, first, n, evs, r, &bl, &tp);
			wall += t;
			v[run] = (double)n / t;
			c = cpu_in;
			w = io_in;
			t = raw_append(&rw, &bl, 0, bl.n, BATCH);
			cpu_in = c;
			rawio += io_in - w;
			io_in = w;
			v2[run] = (double)n / t;
			first += n;
		}
		app_large = median(v, runs);
		raw_large = median(v2, runs);
		ratio_large = app_large / raw_large;
		printf("append (prepared), store at %s: %s events/s (median of "
		    "%d x %d batches); CPU busy %.0f%% of the time, %.1f us "
		    "CPU/event\n", commas((double)prefilln), commas(app_large),
		    runs, LARGE_BATCHES, 100 * cpu_in / wall,
		    1e6 * cpu_in / (double)(first - prefilln));
		printf("  written: cairn %s bytes/event, raw LMDB %s bytes/event\n",
		    commas(io_in / (double)(first - prefilln)),
		    commas(rawio / (double)(first - prefilln)));
		printf("raw LMDB MDB_APPEND at %s: %s events/s; ratio cairn/raw "
		    "%.2f\n", commas((double)prefilln), commas(raw_large),
		    ratio_large);
		mdb_env_close(rw.env);
		blob_free(&bl);
		disk_c = disk_bytes("large") / (double)first;
		disk_r = disk_bytes("large-raw") / (double)first;
		printf("  on disk at %s entries: cairn %s bytes/event, raw LMDB %s "
		    "bytes/event; cairn/raw %.2f\n", commas((double)first),
		    commas(disk_c), commas(disk_r), disk_c / disk_r);
		fflush(stdout);
		t = verify_once(s, &rep);
		lver_eps = (double)rep.entries / t;
		lver_mbs = (double)rep.bytes / t / 1e6;
		ver_ratio_large = lver_mbs / sha_mbs;
		printf("verify at %s entries: %.1f s, %s entries/s, %s MB/s "
		    "(one run); ratio to SHA-256 above %.2f\n",
		    commas((double)rep.entries), t, commas(lver_eps),
		    commas(lver_mbs), ver_ratio_large);
		cairn_store_close(s);
		path_of(name, sizeof name, "large");
		rmtree(name);
		path_of(name, sizeof name, "large-raw");
		rmtree(name);
	}

	printf("\nsummary (informational; the goals are from the issue):\n");
	goal("append (prepared), empty store", app_empty, 150000, "events/s");
	goal("prepare + append, empty store", e2e_empty, 150000, "events/s");
	goal("append (prepared) / raw LMDB, empty", app_empty / raw_empty, 0.25,
	    "");
	snprintf(label, sizeof label, "append (prepared), store at %s",
	    prefilln ? commas((double)prefilln) : "10 M");
	goal(label, app_large, 100000, "events/s");
	snprintf(label, sizeof label, "append (prepared) / raw LMDB, at %s",
	    prefilln ? commas((double)prefilln) : "10 M");
	goal(label, ratio_large, 0.25, "");
	goal("verify / nettle SHA-256", ver_mbs / sha_mbs, 0.60, "");
	if (prefilln > 0)
		goal("verify / nettle SHA-256, large store", ver_ratio_large, 0.60,
		    "");

	free(evs);
	free(r);
	cairn_catalog_free(cat);
	if (!keep)
		(void)rmdir(basedir);
	else
		printf("\nkept: %s\n", basedir);
	return 0;
}
