/*
 * cairn: the command-line tool for a Cairn store.  One verb per job, as in
 * signify and minisign; each verb has --help and a section in cairn(1).
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "catalog.h"
#include "cairnd.h"
#include "cli.h"
#include "tokens_gen.h"
#include "merkle.h"
#include "note.h"
#include "query.h"
#include "rfc3339.h"
#include "rows.h"
#include "util.h"

#define MAX_LINE	(64 * 1024)
#define MAX_ERRS	16

struct verb {
	const char	*name;
	int		(*fn)(int, char **);
	const char	*usage;
};

static int	cmd_xml(int, char **);

static int cmd_init(int, char **);
static int cmd_keygen(int, char **);
static int cmd_append(int, char **);
static int cmd_verify(int, char **);
static int cmd_show(int, char **);
static int cmd_proof(int, char **);
static int cmd_consistency(int, char **);
static int cmd_checkpoint(int, char **);
static int cmd_stat(int, char **);
static int cmd_dump(int, char **);
static int cmd_token(int, char **);
static int cmd_rotate_key(int, char **);

static const struct verb verbs[] = {
	{ "init", cmd_init,
	  "init [--store DIR] [--origin NAME] [--key FILE] [--encrypt]\n"
	  "     [--passphrase-file FILE | --passphrase-fd N]\n"
	  "  Create a store, and a key pair under DIR/../keys unless --key names\n"
	  "  an existing secret key; sign the first checkpoint." },
	{ "keygen", cmd_keygen,
	  "keygen [-o PREFIX] [--origin NAME] [--encrypt]\n"
	  "       [--passphrase-file FILE | --passphrase-fd N]\n"
	  "  Write PREFIX.key (minisign secret key, mode 0600), PREFIX.pub\n"
	  "  (minisign public key) and, with --origin, PREFIX.vkey (signed-note\n"
	  "  verifier key).  PREFIX defaults to ./cairn." },
	{ "append", cmd_append,
	  "append [--store DIR] [--source NAME] [--batch N] [--receipts]\n"
	  "       [--checkpoint [--key FILE]] [FILE]\n"
	  "  Append NDJSON events (from FILE or standard input), checked against\n"
	  "  the catalog, in durable batches of N (default 1000)." },
	{ "verify", cmd_verify,
	  "verify [--store DIR] [--pubkey FILE]\n"
	  "  Recompute every leaf hash, every chain, the Merkle tree and every\n"
	  "  checkpoint signature; name the first bad seq." },
	{ "show", cmd_show,
	  "show [--store DIR] [--hash] SEQ\n"
	  "  Print the entry SEQ (re-hashed as it is read)." },
	{ "proof", cmd_proof,
	  "proof [--store DIR] [--size N] SEQ\n"
	  "  Print the inclusion proof of entry SEQ in the tree of N entries\n"
	  "  (default: the newest checkpoint's size, else the current size)." },
	{ "consistency", cmd_consistency,
	  "consistency [--store DIR] OLD NEW\n"
	  "  Print the consistency proof between tree sizes OLD and NEW." },
	{ "checkpoint", cmd_checkpoint,
	  "checkpoint [--store DIR] [--key FILE] [--passphrase-file FILE |\n"
	  "           --passphrase-fd N] [--latest]\n"
	  "  Sign and store a checkpoint of the current tree and print it\n"
	  "  (--latest: print the newest stored one instead)." },
	{ "rotate-key", cmd_rotate_key,
	  "rotate-key --new-key FILE [--store DIR] [--key FILE]\n"
	  "           [--passphrase-file FILE | --passphrase-fd N]\n"
	  "           [--new-passphrase-file FILE]\n"
	  "  Replace the signing key (--key, the current one) by --new-key (from\n"
	  "  cairn keygen): append system.key_rotated announcing it, and sign\n"
	  "  that tree's checkpoint with both keys.  cairnd must be stopped." },
	{ "stat", cmd_stat,
	  "stat [--store DIR]\n"
	  "  Entries, streams, size on disk, last checkpoint." },
	{ "dump", cmd_dump,
	  "dump [--store DIR] [--from SEQ] [--to SEQ]\n"
	  "  Print entries [FROM, TO) as NDJSON, each re-hashed as it is read;\n"
	  "  exits 1 if one does not match its stored leaf hash." },
	{ "history", cmd_history,
	  "history [--store DIR] [--since T] [--until T] [--stream S] [--type T]\n"
	  "        [--field NAME=VALUE]... [--json] [--prove] ACCOUNT\n"
	  "  The account's entries, oldest first, each re-hashed and its\n"
	  "  account_prev link checked; exits 1 if one is altered or missing.\n"
	  "  The query is recorded (system.account_queried) before anything\n"
	  "  is shown.  --prove adds inclusion proofs (implies --json)." },
	{ "search", cmd_search,
	  "search [--store DIR] [--stream S] [--type T] [--since T] [--until T]\n"
	  "       [--field NAME=VALUE]... [--json] [--prove]\n"
	  "  Entries by stream, type and time received (all streams by default)." },
	{ "tail", cmd_tail,
	  "tail [--store DIR] [-n N] [-f] [--stream S] [--type T]\n"
	  "     [--field NAME=VALUE]... [--json]\n"
	  "  The newest N entries (default 10); -f follows new commits." },
	{ "verify-proof", cmd_verify_proof,
	  "verify-proof (--key VKEY | --pubkey FILE) [--checkpoint FILE] [FILE]\n"
	  "  Check the proofs in history/search --prove output (or cairn proof,\n"
	  "  cairn consistency output) offline against a signed checkpoint." },
	{ "report", cmd_xml,
	  "report KIND --from T1 --to T2 [--account ID] [--out DIR] [--html]\n"
	  "       [--name NAME] [--late-after SECONDS] [--key FILE]\n"
	  "  Write a signed, compressed export of KIND (realname takedown\n"
	  "  screening account labeling system account-history) for [T1, T2)." },
	{ "verify-export", cmd_xml,
	  "verify-export FILE [--sig FILE.minisig] --pubkey KEY [--pubkey KEY]...\n"
	  "              [--previous OLD]\n"
	  "  Check an export offline, one line per check; exit 1 on a failure." },
	{ "token", cmd_token,
	  "token add NAME --roles ROLES [--file FILE] | token revoke NAME [--file FILE]\n"
	  "  Add a bearer token for cairnd (printed once; only its SHA-256 is\n"
	  "  stored in FILE, default ./var/tokens) with roles from ingest,\n"
	  "  query, report, admin; or revoke one.  cairnd reloads on SIGHUP." },
};

#define NVERBS (sizeof verbs / sizeof verbs[0])

static const struct verb *cur_verb;

static void __attribute__((noreturn))
usage(int rc)
{
	size_t i;
	FILE *f = rc ? stderr : stdout;

	if (cur_verb != NULL) {
		fprintf(f, "usage: cairn %s\n", cur_verb->usage);
		exit(rc);
	}
	fprintf(f, "usage: cairn VERB [OPTIONS]   (cairn VERB --help for details)\n\n");
	for (i = 0; i < NVERBS; i++)
		fprintf(f, "  cairn %s\n\n", verbs[i].usage);
	fprintf(f, "The store is --store DIR, else $CAIRN_STORE, else ./var/store.\n"
	    "See cairn(1).\n");
	exit(rc);
}

void
verb_usage(int rc)
{
	usage(rc);
}

/*
 * report and verify-export: run by cairn-report, the one program that
 * loads libxml2 and libxslt (tools/cairn-report.c says why).  It is looked
 * for beside this program first (a build tree), then where make install
 * put it.
 */
static int
cmd_xml(int argc, char **argv)
{
	char self[PATH_MAX], path[PATH_MAX + 16], **av;
	char *slash;
	ssize_t n;
	int i;

	path[0] = '\0';
	if ((n = readlink("/proc/self/exe", self, sizeof self - 1)) > 0) {
		self[n] = '\0';
		if ((slash = strrchr(self, '/')) != NULL) {
			*slash = '\0';
			snprintf(path, sizeof path, "%s/cairn-report", self);
			if (access(path, X_OK) != 0)
				path[0] = '\0';
		}
	}
	if (path[0] == '\0')
		snprintf(path, sizeof path, "%s/cairn-report", PKGLIBEXECDIR);
	if ((av = calloc((size_t)argc + 2, sizeof *av)) == NULL)
		cli_die(1, "out of memory");
	av[0] = path;
	for (i = 0; i < argc; i++)
		av[i + 1] = argv[i];
	fflush(NULL);
	execv(path, av);
	cli_die(1, "cannot run %s: %s", path, strerror(errno));
}

/* Options every verb shares, plus the verb's own. */
enum {
	O_STORE = 256, O_KEY, O_ORIGIN, O_ENCRYPT, O_PASSFILE, O_PASSFD,
	O_SOURCE, O_BATCH, O_RECEIPTS, O_CHECKPOINT, O_PUBKEY, O_HASH, O_SIZE,
	O_LATEST, O_HELP, O_FROM, O_TO, O_ROLES, O_FILE, O_NEWKEY, O_NEWPASSFILE
};

static const struct option longopts[] = {
	{ "batch", required_argument, NULL, O_BATCH },
	{ "checkpoint", no_argument, NULL, O_CHECKPOINT },
	{ "encrypt", no_argument, NULL, O_ENCRYPT },
	{ "file", required_argument, NULL, O_FILE },
	{ "from", required_argument, NULL, O_FROM },
	{ "hash", no_argument, NULL, O_HASH },
	{ "help", no_argument, NULL, O_HELP },
	{ "key", required_argument, NULL, O_KEY },
	{ "latest", no_argument, NULL, O_LATEST },
	{ "new-key", required_argument, NULL, O_NEWKEY },
	{ "new-passphrase-file", required_argument, NULL, O_NEWPASSFILE },
	{ "origin", required_argument, NULL, O_ORIGIN },
	{ "passphrase-fd", required_argument, NULL, O_PASSFD },
	{ "passphrase-file", required_argument, NULL, O_PASSFILE },
	{ "pubkey", required_argument, NULL, O_PUBKEY },
	{ "receipts", no_argument, NULL, O_RECEIPTS },
	{ "roles", required_argument, NULL, O_ROLES },
	{ "size", required_argument, NULL, O_SIZE },
	{ "source", required_argument, NULL, O_SOURCE },
	{ "store", required_argument, NULL, O_STORE },
	{ "to", required_argument, NULL, O_TO },
	{ NULL, 0, NULL, 0 }
};

struct opts {
	const char	*store, *key, *origin, *passfile, *source, *pubkey;
	const char	*out, *roles, *file, *newkey, *newpassfile;
	int		 has_from, has_to;
	uint64_t	 from, to;
	int		 passfd, encrypt, receipts, checkpoint, hash, latest;
	int		 has_size;
	uint64_t	 batch, size;
};

/* Parses the options; allowed lists the option codes this verb takes. */
static int
parse_opts(int argc, char **argv, const int *allowed, struct opts *o)
{
	int ch, i, ok;

	memset(o, 0, sizeof *o);
	o->passfd = -1;
	o->batch = 1000;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
		if (ch == O_HELP || ch == 'h')
			usage(0);
		if (ch == '?')
			usage(2);
		for (ok = 0, i = 0; allowed[i] != 0; i++)
			if (allowed[i] == ch)
				ok = 1;
		if (!ok) {
			fprintf(stderr, "cairn %s: option %s is not for this verb\n",
			    cur_verb->name, argv[optind - 1]);
			usage(2);
		}
		switch (ch) {
		case 'o': o->out = optarg; break;
		case O_STORE: o->store = optarg; break;
		case O_KEY: o->key = optarg; break;
		case O_ORIGIN: o->origin = optarg; break;
		case O_ENCRYPT: o->encrypt = 1; break;
		case O_PASSFILE: o->passfile = optarg; break;
		case O_PASSFD:
			o->passfd = (int)cli_u64("--passphrase-fd", optarg);
			break;
		case O_SOURCE: o->source = optarg; break;
		case O_BATCH:
			o->batch = cli_u64("--batch", optarg);
			if (o->batch < 1 || o->batch > 100000)
				cli_die(2, "--batch must be 1 to 100000");
			break;
		case O_RECEIPTS: o->receipts = 1; break;
		case O_CHECKPOINT: o->checkpoint = 1; break;
		case O_PUBKEY: o->pubkey = optarg; break;
		case O_HASH: o->hash = 1; break;
		case O_SIZE:
			o->size = cli_u64("--size", optarg);
			o->has_size = 1;
			break;
		case O_LATEST: o->latest = 1; break;
		case O_FROM:
			o->from = cli_u64("--from", optarg);
			o->has_from = 1;
			break;
		case O_TO:
			o->to = cli_u64("--to", optarg);
			o->has_to = 1;
			break;
		case O_ROLES: o->roles = optarg; break;
		case O_FILE: o->file = optarg; break;
		case O_NEWKEY: o->newkey = optarg; break;
		case O_NEWPASSFILE: o->newpassfile = optarg; break;
		default: usage(2);
		}
	}
	return optind;
}

static void
check_origin(const char *origin)
{
	const char *p;

	if (*origin == '\0' || strlen(origin) > 255)
		cli_die(2, "--origin must be 1 to 255 characters");
	for (p = origin; *p; p++)
		if ((unsigned char)*p <= 0x20 || *p == '+' ||
		    (unsigned char)*p >= 0x7f)
			cli_die(2, "--origin \"%s\": no spaces, no '+', printable "
			    "ASCII only (e.g. cairn.example/appliance-1)", origin);
}

/* Writes PREFIX.key, PREFIX.pub and, with an origin, PREFIX.vkey. */
static void
write_keys(const char *prefix, const char *origin, const struct opts *o,
    struct cairn_seckey **out)
{
	struct cairn_seckey *sk;
	struct cairn_pubkey pk;
	struct cairn_buf vk = { 0 };
	char path[PATH_MAX], *pass = NULL;
	uint64_t ops = 0, mem = 0;
	const char *e;
	int rc;

	if (o->encrypt) {
		pass = cli_passphrase(o->passfile, o->passfd,
		    "Passphrase for the new key: ", 1);
		if (pass == NULL)
			cli_die(1, "--encrypt needs a passphrase: --passphrase-file, "
			    "--passphrase-fd, or a terminal");
		/* Tests may ask for cheaper scrypt limits; never the default. */
		if ((e = getenv("CAIRN_SCRYPT_TEST_LIMITS")) != NULL &&
		    strcmp(e, "1") == 0) {
			ops = 1 << 16;
			mem = 1 << 24;
		}
	}
	if ((rc = cairn_key_generate(&sk)) != 0)
		cli_die(1, "key generation failed: %s", cairn_strerror(rc));
	snprintf(path, sizeof path, "%s.key", prefix);
	if ((rc = cairn_seckey_write(path, sk, pass, ops, mem)) != 0)
		cli_die(1, "%s: %s%s", path, rc > 0 ? strerror(rc) :
		    cairn_strerror(rc), rc == EEXIST ?
		    " (refusing to overwrite a key)" : "");
	cli_passphrase_free(pass);
	cairn_seckey_public(sk, &pk);
	snprintf(path, sizeof path, "%s.pub", prefix);
	if ((rc = cairn_pubkey_write(path, &pk)) != 0)
		cli_die(1, "%s: %s", path, rc > 0 ? strerror(rc) :
		    cairn_strerror(rc));
	if (origin != NULL) {
		snprintf(path, sizeof path, "%s.vkey", prefix);
		if ((rc = cairn_vkey_format(origin, pk.pk, &vk)) != 0 ||
		    (rc = cairn_buf_addc(&vk, '\n')) != 0 ||
		    (rc = cairn_write_file_atomic(path, vk.p, vk.len, 0644)) != 0)
			cli_die(1, "%s: %s", path, rc > 0 ? strerror(rc) :
			    cairn_strerror(rc));
		cairn_buf_free(&vk);
	}
	if (out != NULL)
		*out = sk;
	else
		cairn_seckey_free(sk);
}

static int
cmd_keygen(int argc, char **argv)
{
	static const int allowed[] = { 'o', O_ORIGIN, O_ENCRYPT, O_PASSFILE,
	    O_PASSFD, 0 };
	struct opts o;
	const char *prefix;

	if (parse_opts(argc, argv, allowed, &o) != argc)
		usage(2);
	if (o.origin != NULL)
		check_origin(o.origin);
	prefix = o.out ? o.out : "cairn";
	write_keys(prefix, o.origin, &o, NULL);
	printf("wrote %s.key (secret, mode 0600), %s.pub%s%s\n", prefix, prefix,
	    o.origin ? ", " : "", o.origin ? "and the verifier key .vkey" : "");
	return 0;
}

static void
print_note(const struct cairn_buf *b)
{
	fwrite(b->p, 1, b->len, stdout);
}

static int
cmd_init(int argc, char **argv)
{
	static const int allowed[] = { O_STORE, O_ORIGIN, O_KEY, O_ENCRYPT,
	    O_PASSFILE, O_PASSFD, 0 };
	struct opts o;
	struct cairn_seckey *sk;
	struct cairn_pubkey pk;
	struct cairn_buf note = { 0 };
	cairn_store *s;
	const char *dir, *origin;
	char keydir[PATH_MAX], prefix[PATH_MAX], tmp[PATH_MAX];
	struct stat sb;
	int rc;

	if (parse_opts(argc, argv, allowed, &o) != argc)
		usage(2);
	dir = cli_store_dir(o.store);
	origin = o.origin ? o.origin : "cairn.local/appliance";
	check_origin(origin);
	snprintf(tmp, sizeof tmp, "%s/data.mdb", dir);
	if (stat(tmp, &sb) == 0)
		cli_die(1, "%s: a store already exists here; nothing was changed",
		    dir);
	if (o.key != NULL) {
		sk = cli_load_key(o.key, o.passfile, o.passfd);
		snprintf(prefix, sizeof prefix, "%s", o.key);
	} else {
		snprintf(tmp, sizeof tmp, "%s", cli_key_path(NULL, dir));
		snprintf(keydir, sizeof keydir, "%s", tmp);
		if ((rc = cli_mkdirs(dirname(keydir), 0700)) != 0)
			cli_die(1, "%s: %s", keydir, strerror(rc));
		snprintf(prefix, sizeof prefix, "%.*s", (int)strlen(tmp) - 4, tmp);
		write_keys(prefix, origin, &o, &sk);
	}
	cairn_seckey_public(sk, &pk);
	snprintf(tmp, sizeof tmp, "%s", dir);
	if ((rc = cli_mkdirs(dirname(tmp), 0755)) != 0)
		cli_die(1, "%s: %s", tmp, strerror(rc));
	if ((rc = cairn_store_create(dir, origin, pk.pk, NULL)) != 0)
		cli_die(1, "%s: %s%s%s", dir, cairn_strerror(rc),
		    *cairn_store_errdetail(NULL) ? ": " : "",
		    cairn_store_errdetail(NULL));
	s = cli_open_store(dir, 0);
	if ((rc = cairn_store_checkpoint(s, cairn_seckey_ed25519(sk), &note)) != 0)
		cli_die(1, "first checkpoint: %s", cairn_strerror(rc));
	cairn_seckey_free(sk);
	cairn_store_close(s);
	printf("created store %s (origin %s)\n", dir, origin);
	if (o.key == NULL)
		printf("keys: %s.key (secret, 0600), %s.pub, %s.vkey\n", prefix,
		    prefix, prefix);
	printf("first checkpoint:\n");
	print_note(&note);
	cairn_buf_free(&note);
	return 0;
}

/* Prints one validation error line for an input line. */
static void
report_errors(unsigned long line, int rc, const struct cairn_verr *errs,
    size_t nerr)
{
	size_t i;

	if (nerr == 0)
		fprintf(stderr, "line %lu: %s\n", line, cairn_strerror(rc));
	for (i = 0; i < nerr && i < MAX_ERRS; i++)
		fprintf(stderr, "line %lu: %s%s%s: %s\n", line,
		    errs[i].field[0] ? errs[i].field : "(event)",
		    errs[i].rule[0] ? " " : "", errs[i].rule, errs[i].msg);
	if (nerr > MAX_ERRS)
		fprintf(stderr, "line %lu: ... and %zu more errors\n", line,
		    nerr - MAX_ERRS);
}

static int
flush_batch(cairn_store *s, cairn_event **evs, unsigned long *lines, size_t n,
    const struct opts *o, uint64_t *stored, uint64_t *dups)
{
	struct cairn_receipt *r;
	char hex[CAIRN_HEX_LEN + 1];
	size_t i, failed = 0;
	int rc;

	if (n == 0)
		return 0;
	if ((r = calloc(n, sizeof *r)) == NULL)
		cli_die(1, "out of memory");
	if ((rc = cairn_store_append(s, evs, n, r, &failed)) != 0) {
		fprintf(stderr, "%s: line %lu: %s%s%s\n", cli_cmd, lines[failed],
		    cairn_strerror(rc), *cairn_store_errdetail(s) ? ": " : "",
		    cairn_store_errdetail(s));
		free(r);
		return rc;
	}
	for (i = 0; i < n; i++) {
		if (r[i].duplicate)
			(*dups)++;
		else
			(*stored)++;
		if (o->receipts) {
			cairn_hex(r[i].leaf, CAIRN_HASH_LEN, hex);
			printf("{\"duplicate\":%s,\"leaf_hash\":\"%s\",\"line\":%lu,"
			    "\"seq\":%llu,\"tree_size\":%llu}\n",
			    r[i].duplicate ? "true" : "false", hex, lines[i],
			    (unsigned long long)r[i].seq,
			    (unsigned long long)r[i].tree_size);
		}
	}
	free(r);
	return 0;
}

static uint64_t local_size;	/* tree size in the last local receipt */

/* Sends a batch through cairnd's local API; receipts as flush_batch. */
static int
flush_local(const char *dir, const char *source, struct cairn_buf *body,
    unsigned long *lines, size_t n, const struct opts *o, uint64_t *stored,
    uint64_t *dups)
{
	struct cairn_buf resp = { 0 };
	json_t *j, *r, *m;
	size_t i;
	int status, dup;

	if (n == 0)
		return 0;
	if (cli_local_post(dir, "/v1/events", source, "application/x-ndjson",
	    body->p, body->len, &status, &resp) != 0)
		cli_die(1, "cairnd holds the store but its local socket %s/cairnd.sock "
		    "does not answer", dir);
	j = json_loadb((char *)resp.p, resp.len, 0, NULL);
	if (status != 200 || j == NULL) {
		m = j ? json_object_get(j, "message") : NULL;
		fprintf(stderr, "%s: cairnd answered %d: %s\n", cli_cmd, status,
		    m && json_is_string(m) ? json_string_value(m) : (char *)resp.p);
		json_decref(j);
		cairn_buf_free(&resp);
		return 1;
	}
	r = json_object_get(j, "receipts");
	for (i = 0; i < json_array_size(r) && i < n; i++) {
		m = json_array_get(r, i);
		dup = json_is_true(json_object_get(m, "duplicate"));
		if (dup)
			(*dups)++;
		else
			(*stored)++;
		local_size = (uint64_t)json_integer_value(json_object_get(m,
		    "tree_size"));
		if (o->receipts)
			printf("{\"duplicate\":%s,\"leaf_hash\":\"%s\",\"line\":%lu,"
			    "\"seq\":%lld,\"tree_size\":%lld}\n", dup ? "true" :
			    "false", json_string_value(json_object_get(m,
			    "leaf_hash")), lines[i], (long long)json_integer_value(
			    json_object_get(m, "seq")), (long long)json_integer_value(
			    json_object_get(m, "tree_size")));
	}
	json_decref(j);
	cairn_buf_free(&resp);
	return 0;
}

/* The path of cairnd's local socket for a store. */
static const char *
lpath(const char *dir)
{
	static char p[PATH_MAX];

	snprintf(p, sizeof p, "%s/cairnd.sock", dir);
	return p;
}

static int
cmd_append(int argc, char **argv)
{
	static const int allowed[] = { O_STORE, O_SOURCE, O_BATCH, O_RECEIPTS,
	    O_CHECKPOINT, O_KEY, O_PASSFILE, O_PASSFD, 0 };
	struct opts o;
	struct cairn_catalog *cat;
	struct cairn_verr errs[MAX_ERRS];
	struct cairn_seckey *sk = NULL;
	struct cairn_buf note = { 0 };
	cairn_event **evs;
	unsigned long *lines, lineno = 0;
	uint64_t stored = 0, dups = 0, size;
	cairn_store *s;
	const char *dir, *source;
	char *line = NULL;
	size_t cap = 0, n = 0, nerr, i;
	ssize_t len;
	FILE *in = stdin;
	struct cairn_buf body = { 0 };
	int idx, rc, bad = 0, local = 0;

	idx = parse_opts(argc, argv, allowed, &o);
	if (argc - idx > 1)
		usage(2);
	if (idx < argc && strcmp(argv[idx], "-") != 0 &&
	    (in = fopen(argv[idx], "r")) == NULL)
		cli_die(1, "%s: %s", argv[idx], strerror(errno));
	dir = cli_store_dir(o.store);
	source = o.source ? o.source : cli_source();
	if ((rc = cairn_catalog_default(&cat)) != 0)
		cli_die(1, "catalog: %s", cairn_strerror(rc));
	/* While cairnd holds the store, events go through it (one writer). */
	if ((rc = cairn_store_open(dir, NULL, 0, &s)) == CAIRN_ELOCKED &&
	    access(lpath(dir), F_OK) == 0) {
		s = NULL;
		local = 1;
		if (o.checkpoint)
			cli_die(2, "--checkpoint: cairnd signs checkpoints while it "
			    "runs; use cairn checkpoint");
	} else if (rc != 0)
		s = cli_open_store(dir, 0);	/* says what is wrong, exits */
	if (o.checkpoint)	/* load the key first: fail before writing */
		sk = cli_load_key(cli_key_path(o.key, dir), o.passfile, o.passfd);
	evs = calloc(o.batch, sizeof *evs);
	lines = calloc(o.batch, sizeof *lines);
	if (evs == NULL || lines == NULL)
		cli_die(1, "out of memory");
	while ((len = getline(&line, &cap, in)) >= 0) {
		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = 0;
		if (len == 0)
			continue;
		if ((size_t)len > MAX_LINE) {
			fprintf(stderr, "line %lu: longer than %d bytes\n", lineno,
			    MAX_LINE);
			bad = 1;
			continue;
		}
		rc = cairn_event_prepare(cat, source, (uint8_t *)line, (size_t)len,
		    0, &evs[n], errs, MAX_ERRS, &nerr);
		if (rc != 0) {
			report_errors(lineno, rc, errs, nerr);
			bad = 1;
			continue;
		}
		lines[n++] = lineno;
		if (local) {
			cairn_buf_add(&body, line, (size_t)len);
			cairn_buf_addc(&body, '\n');
		}
		if (n == o.batch) {
			/* Past the first invalid line only validate, store nothing. */
			if (!bad && (local ? flush_local(dir, source, &body, lines,
			    n, &o, &stored, &dups) : flush_batch(s, evs, lines, n, &o,
			    &stored, &dups)) != 0)
				bad = 2;
			body.len = 0;
			for (i = 0; i < n; i++)
				cairn_event_free(evs[i]);
			n = 0;
			if (bad == 2)
				break;
		}
	}
	if (!bad && (local ? flush_local(dir, source, &body, lines, n, &o,
	    &stored, &dups) : flush_batch(s, evs, lines, n, &o, &stored,
	    &dups)) != 0)
		bad = 2;
	cairn_buf_free(&body);
	for (i = 0; i < n; i++)
		cairn_event_free(evs[i]);
	free(line);
	if (in != stdin)
		fclose(in);
	if (!bad && sk != NULL &&
	    (rc = cairn_store_checkpoint(s, cairn_seckey_ed25519(sk), &note)) != 0)
		cli_die(1, "checkpoint: %s: %s", cairn_strerror(rc),
		    cairn_store_errdetail(s));
	if (s == NULL)
		size = local_size;
	else if (cairn_store_size(s, &size) != 0)
		size = 0;
	fprintf(stderr, "%s: %llu appended, %llu already stored (duplicates)%s, "
	    "tree size %llu%s\n", cli_cmd, (unsigned long long)stored,
	    (unsigned long long)dups, local ? " through cairnd" : "",
	    (unsigned long long)size,
	    bad ? "; stopped at the first batch with an invalid line: fix it and "
	    "run again (events already stored are recognised by id)" : "");
	if (sk != NULL && !bad)
		print_note(&note);
	cairn_buf_free(&note);
	cairn_seckey_free(sk);
	free(evs);
	free(lines);
	if (s != NULL)
		cairn_store_close(s);
	cairn_catalog_free(cat);
	return bad ? 1 : 0;
}

static int
cmd_verify(int argc, char **argv)
{
	static const int allowed[] = { O_STORE, O_PUBKEY, 0 };
	struct cairn_verify_report r;
	struct cairn_pubkey pk;
	struct timespec t0, t1;
	struct opts o;
	cairn_store *s;
	double secs;
	int rc;

	if (parse_opts(argc, argv, allowed, &o) != argc)
		usage(2);
	if (o.pubkey != NULL)
		cli_pubkey(o.pubkey, &pk);
	s = cli_open_store(cli_store_dir(o.store), CAIRN_STORE_RDONLY);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = cairn_store_verify(s, o.pubkey ? pk.pk : NULL, &r);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	cairn_store_close(s);
	if (rc == CAIRN_ECORRUPT || r.failed) {
		if (r.has_seq)
			printf("FAILED at seq %llu: %s\n",
			    (unsigned long long)r.bad_seq, r.what);
		else
			printf("FAILED: %s\n", r.what);
		return 1;
	}
	if (rc != 0)
		cli_die(1, "verification could not run: %s", cairn_strerror(rc));
	printf("ok: %llu entries, %llu checkpoints, %.1f MB checked in %.3f s "
	    "(%.0f entries/s, %.1f MB/s)\n", (unsigned long long)r.entries,
	    (unsigned long long)r.checkpoints, (double)r.bytes / 1e6, secs,
	    secs > 0 ? (double)r.entries / secs : 0.0,
	    secs > 0 ? (double)r.bytes / 1e6 / secs : 0.0);
	return 0;
}

static int
cmd_show(int argc, char **argv)
{
	static const int allowed[] = { O_STORE, O_HASH, 0 };
	struct cairn_entry e;
	struct cairn_buf b = { 0 };
	struct opts o;
	cairn_store *s;
	char hex[CAIRN_HEX_LEN + 1];
	int idx, rc;

	idx = parse_opts(argc, argv, allowed, &o);
	if (argc - idx != 1)
		usage(2);
	s = cli_open_store(cli_store_dir(o.store), CAIRN_STORE_RDONLY);
	rc = cairn_store_get(s, cli_u64("SEQ", argv[idx]), &b, &e);
	cairn_store_close(s);
	if (rc == CAIRN_ENOTFOUND)
		cli_die(1, "no entry %s", argv[idx]);
	if (rc != 0 && rc != CAIRN_ECORRUPT)
		cli_die(1, "%s", cairn_strerror(rc));
	fwrite(b.p, 1, b.len, stdout);
	putchar('\n');
	if (o.hash) {
		cairn_hex(e.leaf, CAIRN_HASH_LEN, hex);
		printf("leaf_hash %s\n", hex);
	}
	cairn_buf_free(&b);
	if (rc == CAIRN_ECORRUPT) {
		fprintf(stderr, "%s: entry %s does not match its stored leaf hash: "
		    "the store was altered (run cairn verify)\n", cli_cmd,
		    argv[idx]);
		return 1;
	}
	return 0;
}

/* The size of the newest checkpoint, or the store size if none. */
static uint64_t
default_size(cairn_store *s)
{
	uint64_t n;

	if (cairn_checkpoint_size(s, &n) == 0)
		return n;
	if (cairn_store_size(s, &n) != 0)
		cli_die(1, "cannot read the store");
	return n;
}

static int
cmd_proof(int argc, char **argv)
{
	static const int allowed[] = { O_STORE, O_SIZE, 0 };
	uint8_t proof[CAIRN_MAX_PROOF][CAIRN_HASH_LEN], root[CAIRN_HASH_LEN];
	struct cairn_entry e;
	struct cairn_buf b = { 0 };
	struct opts o;
	cairn_store *s;
	uint64_t seq, size;
	size_t n;
	int idx, rc;

	idx = parse_opts(argc, argv, allowed, &o);
	if (argc - idx != 1)
		usage(2);
	seq = cli_u64("SEQ", argv[idx]);
	s = cli_open_store(cli_store_dir(o.store), CAIRN_STORE_RDONLY);
	size = o.has_size ? o.size : default_size(s);
	if (!o.has_size && seq >= size) {
		/* No checkpoint covers it yet: prove against the tree as it is. */
		if (cairn_store_size(s, &size) != 0)
			cli_die(1, "cannot read the store");
		if (seq < size)
			fprintf(stderr, "%s: no checkpoint covers entry %llu yet; "
			    "proving against the current tree of %llu entries "
			    "(sign one with cairn checkpoint)\n", cli_cmd,
			    (unsigned long long)seq, (unsigned long long)size);
	}
	if (seq >= size)
		cli_die(1, "entry %llu is not in a tree of %llu entries%s",
		    (unsigned long long)seq, (unsigned long long)size,
		    "");
	if ((rc = cairn_store_get(s, seq, &b, &e)) != 0)
		cli_die(1, "entry %llu: %s", (unsigned long long)seq,
		    cairn_strerror(rc));
	if ((rc = cairn_store_inclusion(s, seq, size, proof, &n)) != 0 ||
	    (rc = cairn_store_root(s, size, root)) != 0)
		cli_die(1, "%s", cairn_strerror(rc));
	/* Never print a proof we could not verify ourselves. */
	if (cairn_merkle_verify_inclusion(e.leaf, seq, size,
	    (const uint8_t (*)[CAIRN_HASH_LEN])proof, n, root) != 0)
		cli_die(1, "the proof does not verify: run cairn verify");
	b.len = 0;
	if (cairn_proof_inclusion_json(&b, seq, size, e.leaf, root,
	    (const uint8_t (*)[CAIRN_HASH_LEN])proof, n) != 0)
		cli_die(1, "out of memory");
	printf("%s\n", (char *)b.p);
	cairn_buf_free(&b);
	cairn_store_close(s);
	return 0;
}

static int
cmd_consistency(int argc, char **argv)
{
	static const int allowed[] = { O_STORE, 0 };
	uint8_t proof[CAIRN_MAX_PROOF][CAIRN_HASH_LEN];
	uint8_t r1[CAIRN_HASH_LEN], r2[CAIRN_HASH_LEN];
	struct cairn_buf b = { 0 };
	struct opts o;
	cairn_store *s;
	uint64_t old, new, size;
	size_t n;
	int idx, rc;

	idx = parse_opts(argc, argv, allowed, &o);
	if (argc - idx != 2)
		usage(2);
	old = cli_u64("OLD", argv[idx]);
	new = cli_u64("NEW", argv[idx + 1]);
	s = cli_open_store(cli_store_dir(o.store), CAIRN_STORE_RDONLY);
	if (cairn_store_size(s, &size) != 0)
		cli_die(1, "cannot read the store");
	if (old > new || new > size)
		cli_die(1, "need OLD <= NEW <= %llu (the tree size)",
		    (unsigned long long)size);
	if ((rc = cairn_store_consistency(s, old, new, proof, &n)) != 0 ||
	    (rc = cairn_store_root(s, old, r1)) != 0 ||
	    (rc = cairn_store_root(s, new, r2)) != 0)
		cli_die(1, "%s", cairn_strerror(rc));
	if (cairn_merkle_verify_consistency(old, new, r1, r2,
	    (const uint8_t (*)[CAIRN_HASH_LEN])proof, n) != 0)
		cli_die(1, "the proof does not verify: run cairn verify");
	if (cairn_proof_consistency_json(&b, old, new, r1, r2,
	    (const uint8_t (*)[CAIRN_HASH_LEN])proof, n) != 0)
		cli_die(1, "out of memory");
	printf("%s\n", (char *)b.p);
	cairn_buf_free(&b);
	cairn_store_close(s);
	return 0;
}

static int
cmd_checkpoint(int argc, char **argv)
{
	static const int allowed[] = { O_STORE, O_KEY, O_PASSFILE, O_PASSFD,
	    O_LATEST, 0 };
	struct cairn_seckey *sk;
	struct cairn_buf note = { 0 };
	struct opts o;
	cairn_store *s;
	const char *dir;
	int rc;

	if (parse_opts(argc, argv, allowed, &o) != argc)
		usage(2);
	dir = cli_store_dir(o.store);
	if (o.latest) {
		s = cli_open_store(dir, CAIRN_STORE_RDONLY);
		if ((rc = cairn_store_checkpoint_latest(s, &note)) != 0)
			cli_die(1, "no checkpoint: %s", cairn_strerror(rc));
	} else if ((rc = cairn_store_open(dir, NULL, 0, &s)) == CAIRN_ELOCKED &&
	    access(lpath(dir), F_OK) == 0) {
		int status;

		/* cairnd holds the store and the key: it signs. */
		if (cli_local_post(dir, "/v1/checkpoint", "cli", "text/plain", "",
		    0, &status, &note) != 0 || status != 200)
			cli_die(1, "cairnd holds the store but did not sign a "
			    "checkpoint through %s", lpath(dir));
		print_note(&note);
		cairn_buf_free(&note);
		return 0;
	} else {
		if (rc == 0)
			cairn_store_close(s);
		sk = cli_load_key(cli_key_path(o.key, dir), o.passfile, o.passfd);
		s = cli_open_store(dir, 0);
		rc = cairn_store_checkpoint(s, cairn_seckey_ed25519(sk), &note);
		cairn_seckey_free(sk);
		if (rc != 0)
			cli_die(1, "%s: %s", cairn_strerror(rc),
			    cairn_store_errdetail(s));
	}
	print_note(&note);
	cairn_buf_free(&note);
	cairn_store_close(s);
	return 0;
}

/* The system.key_rotated event announcing new, prepared for the store. */
static cairn_event *
rotation_event(const struct cairn_pubkey *old, const struct cairn_pubkey *new)
{
	struct cairn_catalog *cat;
	struct cairn_verr errs[4];
	struct timespec now;
	cairn_event *ev;
	json_t *j;
	char oid[2 * CAIRN_KEYID_LEN + 1], nid[2 * CAIRN_KEYID_LEN + 1];
	char b64[CAIRN_PUBKEY_B64_LEN + 1], id[64], t[CAIRN_RFC3339_LEN + 1];
	size_t nerr = 0;
	int rc;

	cairn_keyid_format(old->keyid, oid);
	cairn_keyid_format(new->keyid, nid);
	cairn_pubkey_b64(new, b64, sizeof b64);
	clock_gettime(CLOCK_REALTIME, &now);
	cairn_rfc3339_format((int64_t)now.tv_sec * 1000000 +
	    now.tv_nsec / 1000, t);
	/* One rotation to a key: its id names the event. */
	snprintf(id, sizeof id, "key-rotated-%s", nid);
	if ((j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "id", id, "type",
	    "system.key_rotated", "time", t, "key_id", nid, "previous_key_id",
	    oid, "public_key", b64)) == NULL)
		cli_die(1, "out of memory");
	if ((rc = cairn_catalog_default(&cat)) != 0)
		cli_die(1, "catalog: %s", cairn_strerror(rc));
	rc = cairn_event_prepare_json(cat, cli_source(), j, CAIRN_EVENT_SYSTEM,
	    &ev, errs, 4, &nerr);
	cairn_catalog_free(cat);
	if (rc != 0)
		cli_die(1, "system.key_rotated: %s%s%s", cairn_strerror(rc),
		    nerr ? ": " : "", nerr ? errs[0].msg : "");
	return ev;
}

static int
cmd_rotate_key(int argc, char **argv)
{
	static const int allowed[] = { O_STORE, O_KEY, O_NEWKEY, O_PASSFILE,
	    O_PASSFD, O_NEWPASSFILE, 0 };
	struct cairn_seckey *osk, *nsk;
	struct cairn_pubkey opk, npk;
	struct cairn_store_info in;
	struct cairn_receipt rcpt;
	struct cairn_buf note = { 0 }, vk = { 0 };
	struct opts o;
	cairn_event *ev;
	cairn_store *s;
	const char *dir, *oldpath;
	char oid[2 * CAIRN_KEYID_LEN + 1], nid[2 * CAIRN_KEYID_LEN + 1];
	int rc;

	if (parse_opts(argc, argv, allowed, &o) != argc || o.newkey == NULL)
		usage(2);
	dir = cli_store_dir(o.store);
	oldpath = cli_key_path(o.key, dir);
	/* The keys first: a bad one fails before the store is touched. */
	osk = cli_load_key(oldpath, o.passfile, o.passfd);
	nsk = cli_load_key(o.newkey, o.newpassfile ? o.newpassfile : o.passfile,
	    o.passfd);
	cairn_seckey_public(osk, &opk);
	cairn_seckey_public(nsk, &npk);
	if (sodium_memcmp(opk.pk, npk.pk, 32) == 0)
		cli_die(1, "%s and %s are the same key: make a new one with "
		    "cairn keygen", oldpath, o.newkey);
	/*
	 * One writer: rotation changes the key cairnd signs with, so it is
	 * not sent through cairnd's socket; cairnd is stopped, and started
	 * again with the new key (cairn(1), KEY ROTATION).
	 */
	if ((rc = cairn_store_open(dir, NULL, 0, &s)) == CAIRN_ELOCKED)
		cli_die(1, "%s: the store is held by another writer (cairnd, or "
		    "another cairn command): stop cairnd, run cairn rotate-key, "
		    "point key = in cairn.conf at %s, then start cairnd", dir,
		    o.newkey);
	if (rc != 0)
		s = cli_open_store(dir, 0);	/* says what is wrong, exits */
	if ((rc = cairn_store_info(s, &in)) != 0)
		cli_die(1, "%s", cairn_strerror(rc));
	cairn_keyid_format(opk.keyid, oid);
	cairn_keyid_format(npk.keyid, nid);
	if (sodium_memcmp(opk.pk, in.pubkey, 32) != 0)
		cli_die(1, "%s (key id %s) is not the current key of %s: give "
		    "the key its checkpoints are signed with now (--key)",
		    oldpath, oid, dir);
	ev = rotation_event(&opk, &npk);
	rc = cairn_store_rotate(s, cairn_seckey_ed25519(osk),
	    cairn_seckey_ed25519(nsk), ev, &rcpt, &note);
	cairn_event_free(ev);
	cairn_seckey_free(osk);
	cairn_seckey_free(nsk);
	if (rc != 0)
		cli_die(1, "%s%s%s", cairn_strerror(rc),
		    *cairn_store_errdetail(s) ? ": " : "",
		    cairn_store_errdetail(s));
	if (cairn_vkey_format(in.origin, npk.pk, &vk) != 0)
		cli_die(1, "out of memory");
	fprintf(stderr, "%s: %s: key %s replaced by key %s at tree size %llu "
	    "(entry %llu, system.key_rotated); the checkpoint below is signed "
	    "by both keys.\n"
	    "  new verifier key: %s\n"
	    "  next: point key = in cairn.conf at %s, start cairnd, and publish "
	    "the new public key (regulators keep the old one for earlier "
	    "exports)\n", cli_cmd, dir, oid, nid,
	    (unsigned long long)rcpt.tree_size, (unsigned long long)rcpt.seq,
	    (char *)vk.p, o.newkey);
	print_note(&note);
	cairn_buf_free(&note);
	cairn_buf_free(&vk);
	cairn_store_close(s);
	return 0;
}

static int
cmd_stat(int argc, char **argv)
{
	static const int allowed[] = { O_STORE, 0 };
	struct cairn_store_info in;
	struct cairn_store_key keys[CAIRN_MAX_KEYS];
	struct cairn_checkpoint cp;
	struct cairn_buf note = { 0 }, vk = { 0 };
	struct opts o;
	cairn_store *s;
	const uint8_t *body;
	char ts[32], hex[CAIRN_HEX_LEN + 1];
	size_t blen, nkeys, k;
	int i, rc;

	if (parse_opts(argc, argv, allowed, &o) != argc)
		usage(2);
	s = cli_open_store(cli_store_dir(o.store), CAIRN_STORE_RDONLY);
	if ((rc = cairn_store_info(s, &in)) != 0)
		cli_die(1, "%s", cairn_strerror(rc));
	printf("store        %s\n", cli_store_dir(o.store));
	printf("origin       %s\n", in.origin);
	if (cairn_vkey_format(in.origin, in.pubkey, &vk) == 0)
		printf("verifier key %s\n", (char *)vk.p);
	if (cairn_store_keys(s, keys, &nkeys) == 0)
		for (k = 0; k + 1 < nkeys; k++) {
			vk.len = 0;
			if (cairn_vkey_format(in.origin, keys[k].pubkey, &vk) != 0)
				continue;
			printf("retired key  %s\n             signed tree sizes "
			    "%llu to %llu\n", (char *)vk.p,
			    (unsigned long long)keys[k].first_size,
			    (unsigned long long)keys[k].last_size);
		}
	printf("entries      %llu\n", (unsigned long long)in.size);
	for (i = 0; i < CAIRN_NSTREAMS; i++)
		printf("  %-10s %llu\n", cairn_stream_names[i],
		    (unsigned long long)in.stream_count[i]);
	if (in.last_received > 0) {
		cairn_time_format_us(in.last_received, ts);
		printf("last entry   %s\n", ts);
	}
	printf("disk         %llu bytes (%.1f bytes per entry), map %llu bytes\n",
	    (unsigned long long)in.disk_bytes,
	    in.size ? (double)in.disk_bytes / (double)in.size : 0.0,
	    (unsigned long long)in.map_size);
	printf("checkpoints  %llu\n", (unsigned long long)in.checkpoints);
	if (cairn_store_checkpoint_latest(s, &note) == 0 &&
	    cairn_note_verify(note.p, note.len, in.origin, in.pubkey, &body,
	    &blen) == 0 && cairn_checkpoint_parse(body, blen, &cp) == 0) {
		cairn_time_format_us(cp.time_us, ts);
		cairn_hex(cp.root, CAIRN_HASH_LEN, hex);
		printf("last checkpoint size %llu at %s, root %s\n",
		    (unsigned long long)cp.size, ts, hex);
	}
	cairn_buf_free(&note);
	cairn_buf_free(&vk);
	cairn_store_close(s);
	return 0;
}

static int
cmd_dump(int argc, char **argv)
{
	static const int allowed[] = { O_STORE, O_FROM, O_TO, 0 };
	struct cairn_entry e;
	struct opts o;
	cairn_store *s;
	cairn_iter *it;
	uint64_t size;
	int rc, bad = 0;

	if (parse_opts(argc, argv, allowed, &o) != argc)
		usage(2);
	s = cli_open_store(cli_store_dir(o.store), CAIRN_STORE_RDONLY);
	if (cairn_store_size(s, &size) != 0)
		cli_die(1, "cannot read the store");
	if (!o.has_to || o.to > size)
		o.to = size;
	if ((rc = cairn_iter_range(s, o.from, o.to, &it)) != 0)
		cli_die(1, "%s", cairn_strerror(rc));
	while ((rc = cairn_iter_next(it, &e)) == 0) {
		fwrite(e.data, 1, e.len, stdout);
		putchar('\n');
		if (!e.intact) {
			fprintf(stderr, "%s: entry %llu does not match its stored leaf "
			    "hash: the store was altered (run cairn verify)\n", cli_cmd,
			    (unsigned long long)e.seq);
			bad = 1;
		}
	}
	cairn_iter_free(it);
	cairn_store_close(s);
	if (rc != CAIRN_ENOTFOUND)
		cli_die(1, "%s", cairn_strerror(rc));
	return bad;
}

/* Rewrites the token file without NAME; 1 if it was there. */
static int
token_remove(const char *file, const char *name, struct cairn_buf *out)
{
	uint8_t *text;
	size_t len, nl = strlen(name);
	char *line, *save = NULL;
	int found = 0, rc;

	if ((rc = cairn_read_file(file, 1 << 22, &text, &len)) != 0) {
		if (rc == ENOENT)
			return 0;
		cli_die(1, "%s: %s", file, cairn_strerror(rc));
	}
	for (line = strtok_r((char *)text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, name, nl) == 0 && (line[nl] == ' ' ||
		    line[nl] == '\t')) {
			found = 1;
			continue;
		}
		cairn_buf_adds(out, line);
		cairn_buf_addc(out, '\n');
	}
	free(text);
	return found;
}

static int
cmd_token(int argc, char **argv)
{
	static const int allowed[] = { O_ROLES, O_FILE, 0 };
	struct cairn_buf b = { 0 };
	struct opts o;
	const char *file, *verb, *name;
	char tok[TOKEN_LEN + 1], hex[CAIRN_HEX_LEN + 1];
	uint8_t hash[CAIRN_HASH_LEN];
	int idx, rc, found;

	idx = parse_opts(argc, argv, allowed, &o);
	if (argc - idx != 2)
		usage(2);
	verb = argv[idx];
	name = argv[idx + 1];
	file = o.file ? o.file : "./var/tokens";
	if (!token_name_valid(name))
		cli_die(2, "token name \"%s\": 1 to 63 of A-Z a-z 0-9 . _ : -", name);
	found = token_remove(file, name, &b);
	if (strcmp(verb, "add") == 0) {
		if (found)
			cli_die(1, "%s: a token named %s exists; revoke it first",
			    file, name);
		if (o.roles == NULL || roles_parse(o.roles) <= 0)
			cli_die(2, "--roles: a comma list of ingest, query, report, "
			    "admin");
		if ((rc = token_generate(tok, hash)) != 0)
			cli_die(1, "%s", cairn_strerror(rc));
		cairn_hex(hash, CAIRN_HASH_LEN, hex);
		cairn_buf_printf(&b, "%s %s %s\n", name, o.roles, hex);
	} else if (strcmp(verb, "revoke") == 0) {
		if (!found)
			cli_die(1, "%s: no token named %s", file, name);
	} else
		usage(2);
	/* Only hashes are stored; the file is the service's, mode 0600. */
	if ((rc = cairn_write_file_atomic(file, b.p ? b.p : (uint8_t *)"",
	    b.len, 0600)) != 0)
		cli_die(1, "%s: %s", file, strerror(rc));
	cairn_buf_free(&b);
	if (strcmp(verb, "add") == 0) {
		printf("%s\n", tok);
		sodium_memzero(tok, sizeof tok);
		fprintf(stderr, "%s: token %s (%s) added to %s; it is shown only "
		    "now. Send SIGHUP to cairnd to load it.\n", cli_cmd, name,
		    o.roles, file);
	} else
		fprintf(stderr, "%s: token %s revoked in %s. Send SIGHUP to cairnd "
		    "to apply.\n", cli_cmd, name, file);
	return 0;
}

int
main(int argc, char **argv)
{
	static char cmdname[64];
	size_t i;

	if (sodium_init() < 0)
		cli_die(1, "libsodium failed to initialise");
	if (argc < 2)
		usage(2);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0)
		usage(0);
	if (strcmp(argv[1], "--version") == 0) {
		printf("cairn %s\n", PACKAGE_VERSION);
		return 0;
	}
	for (i = 0; i < NVERBS; i++) {
		if (strcmp(argv[1], verbs[i].name) != 0)
			continue;
		cur_verb = &verbs[i];
		snprintf(cmdname, sizeof cmdname, "cairn %s", verbs[i].name);
		cli_cmd = cmdname;
		return verbs[i].fn(argc - 1, argv + 1);
	}
	fprintf(stderr, "cairn: unknown verb \"%s\"\n", argv[1]);
	usage(2);
}
