/*
 * report.c: `cairn report` (write a signed export) and `cairn verify-export`
 * (check one offline).  The formats are schemas/EXPORT.md's.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <libxslt/transform.h>
#include <libxslt/xsltutils.h>

#include "catalog.h"
#include "cli.h"
#include "export.h"
#include "jarena.h"
#include "note.h"
#include "report.h"
#include "rows.h"
#include "rfc3339.h"

#define MAX_PUBKEYS	16	/* --pubkey given to verify-export */

extern const unsigned char cairn_export_xsl[];
extern const size_t cairn_export_xsl_len;

static void
report_usage(int rc)
{
	fprintf(rc ? stderr : stdout,
"usage: cairn report KIND --from T1 --to T2 [--account ID] [--out DIR]\n"
"     [--name NAME] [--html] [--late-after SECONDS] [--store DIR]\n"
"     [--key FILE] [--passphrase-file FILE | --passphrase-fd N]\n"
"  Write NAME.xml.zst and NAME.xml.zst.minisig into DIR (default .): a\n"
"  signed export of KIND over the period [T1, T2) of received time.\n"
"  KIND: realname takedown screening account labeling system, or\n"
"  account-history (with --account).  T1, T2: RFC 3339 date-times, or\n"
"  dates (YYYY-MM-DD, midnight UTC).  --html also writes NAME.html.\n"
"  When cairnd holds the store, it writes the export (it holds the key)\n"
"  and the files are copied to DIR.\n");
	exit(rc);
}

static void
verify_usage(int rc)
{
	fprintf(rc ? stderr : stdout,
"usage: cairn verify-export FILE [--sig FILE.minisig] --pubkey KEY\n"
"     [--pubkey KEY]... [--previous OLD_EXPORT] [--quiet]\n"
"  Check an export offline: signature, zstd, schema, checkpoints,\n"
"  consistency, every entry's hash and fields, completeness, inclusion\n"
"  proofs, summary and findings.  One line per check; exit status 1 if\n"
"  any fails.  Needs no store: it trusts only the keys given (several\n"
"  when the export spans a key rotation: each signature by one of them).\n");
	exit(rc);
}

/* RFC 3339 date-time, or a date meaning its midnight UTC (as the query
 * verbs take them). */
static int64_t
parse_time(const char *what, const char *s)
{
	int64_t us;

	if (cairn_query_time(s, &us) != 0)
		cli_die(2, "%s: not an RFC 3339 date-time or a date: %s", what,
		    s);
	return us;
}

static int64_t
now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

static int last_pct = -1;

static void
progress(void *arg, uint64_t done, uint64_t total)
{
	int pct = total ? (int)(done * 100 / total) : 0;

	(void)arg;
	if (pct > 100)
		pct = 100;
	if (pct != last_pct) {
		fprintf(stderr, "\rcairn report: %" PRIu64 " entries (%d%%)",
		    done, pct);
		last_pct = pct;
	}
}

/* Applies the stylesheet to the export, writing an HTML page. */
int
report_html(const char *export_path, const char *html_path, char *err,
    size_t errlen)
{
	xmlDocPtr sdoc = NULL, doc = NULL, out = NULL;
	xsltStylesheetPtr ss = NULL;
	int rc = -1;

	if ((doc = cairn_export_read_doc(export_path, err, errlen)) == NULL)
		return -1;
	if ((sdoc = xmlReadMemory((const char *)cairn_export_xsl,
	    (int)cairn_export_xsl_len, "export-1.xsl", NULL, XML_PARSE_NONET))
	    == NULL || (ss = xsltParseStylesheetDoc(sdoc)) == NULL) {
		snprintf(err, errlen, "the embedded stylesheet does not load");
		if (ss == NULL)
			xmlFreeDoc(sdoc);
		goto out;
	}
	if ((out = xsltApplyStylesheet(ss, doc, NULL)) == NULL) {
		snprintf(err, errlen, "the stylesheet failed on the export");
		goto out;
	}
	if (xsltSaveResultToFilename(html_path, out, ss, 0) < 0) {
		snprintf(err, errlen, "%s: cannot write", html_path);
		goto out;
	}
	rc = 0;
out:
	xmlFreeDoc(out);
	xmlFreeDoc(doc);
	xsltFreeStylesheet(ss);
	return rc;
}

/* Copies a file in pieces (exports can be large): to a temporary beside
 * to, fsync'd, then renamed. */
static int
copy_file(const char *from, const char *to)
{
	char tmp[PATH_MAX + 8], buf[1 << 16];
	ssize_t n;
	int in, out, rc = 0;

	if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", to) >= sizeof tmp)
		return ENAMETOOLONG;
	if ((in = open(from, O_RDONLY | O_CLOEXEC)) < 0)
		return errno;
	if ((out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) < 0) {
		rc = errno;
		close(in);
		return rc;
	}
	while (rc == 0 && (n = read(in, buf, sizeof buf)) != 0) {
		if (n < 0)
			rc = errno == EINTR ? 0 : errno;
		else if (write(out, buf, (size_t)n) != n)
			rc = errno ? errno : EIO;
	}
	if (rc == 0 && fsync(out) != 0)
		rc = errno;
	close(in);
	if (close(out) != 0 && rc == 0)
		rc = errno;
	if (rc == 0 && rename(tmp, to) != 0)
		rc = errno;
	if (rc != 0)
		unlink(tmp);
	return rc;
}

static void
summary_screen(const struct cairn_export_result *r, const char *html)
{
	char root[CAIRN_HEX_LEN + 1];

	cairn_hex(r->root, CAIRN_HASH_LEN, root);
	printf("export      %s\n", r->path);
	printf("signature   %s (key id %s)\n", r->sigpath, r->keyid);
	if (html != NULL)
		printf("html        %s\n", html);
	printf("entries     %" PRIu64 " in the period, %" PRIu64 " margin, %"
	    PRIu64 " context\n", r->entries, r->margin, r->context);
	printf("findings    %" PRIu64 "\n", r->findings);
	printf("checkpoints tree size %" PRIu64 " -> %" PRIu64 ", root %s\n",
	    r->start_size, r->end_size, root);
	printf("size        %" PRIu64 " bytes (%" PRIu64 " bytes of XML)\n",
	    r->file_bytes, r->xml_bytes);
}

/* Appends system.report_generated to a store we hold as writer. */
static int
append_generated(cairn_store *s, const struct cairn_export_opts *o,
    const struct cairn_export_result *r, const char *who)
{
	struct cairn_catalog *cat;
	struct cairn_receipt rcpt;
	cairn_event *ev;
	json_t *j;
	char *fields, id[80], hex[CAIRN_HEX_LEN + 1], t[CAIRN_RFC3339_LEN + 1];
	int rc;

	if ((fields = cairn_export_generated_fields(o, r, who)) == NULL)
		return CAIRN_ENOMEM;
	j = json_loads(fields, 0, NULL);
	free(fields);
	if (j == NULL)
		return CAIRN_ENOMEM;
	cairn_hex(r->file_sha256, CAIRN_HASH_LEN, hex);
	snprintf(id, sizeof id, "report-%.32s", hex);
	cairn_rfc3339_format(now_us(), t);
	json_object_set_new(j, "type", json_string("system.report_generated"));
	json_object_set_new(j, "id", json_string(id));
	json_object_set_new(j, "time", json_string(t));
	if ((rc = cairn_catalog_default(&cat)) != 0) {
		json_decref(j);
		return rc;
	}
	rc = cairn_event_prepare_json(cat, "cairn-report", j,
	    CAIRN_EVENT_SYSTEM, &ev, NULL, 0, NULL);
	if (rc == 0) {
		rc = cairn_store_append(s, &ev, 1, &rcpt, NULL);
		cairn_event_free(ev);
	}
	cairn_catalog_free(cat);
	return rc;
}

/* Through cairnd's local socket: it writes the export into its report
 * directory; we copy the two files into --out. */
static int
report_via_cairnd(const char *dir, const struct cairn_export_opts *o,
    const char *outdir, struct cairn_export_result *r)
{
	char f[CAIRN_RFC3339_LEN + 1], t[CAIRN_RFC3339_LEN + 1];
	char dst[PATH_MAX], dsts[PATH_MAX + 16];
	struct cairn_buf resp = { 0 };
	json_t *req, *j;
	char *body;
	const char *path, *sig, *name;
	int status, rc;

	cairn_rfc3339_format(o->from_us, f);
	cairn_rfc3339_format(o->to_us, t);
	req = json_pack("{s:s, s:s, s:s}", "kind",
	    cairn_export_kind_name(o->kind), "from", f, "to", t);
	if (req != NULL && o->late_after > 0)
		json_object_set_new(req, "late_after",
		    json_integer((json_int_t)o->late_after));
	if (req != NULL && o->account != NULL)
		json_object_set_new(req, "account", json_string(o->account));
	if (req != NULL && o->name != NULL)
		json_object_set_new(req, "name", json_string(o->name));
	if (req == NULL || (body = json_dumps(req, JSON_COMPACT)) == NULL)
		cli_die(1, "out of memory");
	json_decref(req);
	rc = cli_local_post(dir, "/v1/reports", cli_source(), "application/json",
	    body, strlen(body), &status, &resp);
	cairn_json_free(body);
	if (rc != 0)
		cli_die(1, "cairnd holds the store but cannot be reached");
	cairn_buf_addc(&resp, 0);
	if ((j = json_loads((char *)resp.p, 0, NULL)) == NULL || status != 201)
		cli_die(1, "cairnd did not write the export (HTTP %d): %s",
		    status, (char *)resp.p);
	path = json_string_value(json_object_get(j, "path"));
	sig = json_string_value(json_object_get(j, "sigpath"));
	name = json_string_value(json_object_get(j, "name"));
	if (path == NULL || sig == NULL || name == NULL)
		cli_die(1, "cairnd's answer lacks the file names");
	snprintf(dst, sizeof dst, "%s/%s.xml.zst", outdir, name);
	snprintf(dsts, sizeof dsts, "%s.minisig", dst);
	if (strcmp(path, dst) != 0 && (copy_file(path, dst) != 0 ||
	    copy_file(sig, dsts) != 0))
		cli_die(1, "cannot copy %s into %s", path, outdir);
	memset(r, 0, sizeof *r);
	snprintf(r->path, sizeof r->path, "%s", dst);
	if (strlen(dsts) >= sizeof r->sigpath)
		cli_die(1, "%s: path too long", outdir);
	memcpy(r->sigpath, dsts, strlen(dsts) + 1);
	snprintf(r->name, sizeof r->name, "%s", name);
	snprintf(r->keyid, sizeof r->keyid, "%s",
	    json_string_value(json_object_get(j, "key_id")) ?
	    json_string_value(json_object_get(j, "key_id")) : "");
	r->entries = (uint64_t)json_integer_value(json_object_get(j, "entries"));
	r->margin = (uint64_t)json_integer_value(json_object_get(j, "margin"));
	r->context = (uint64_t)json_integer_value(json_object_get(j, "context"));
	r->findings = (uint64_t)json_integer_value(json_object_get(j,
	    "findings"));
	r->file_bytes = (uint64_t)json_integer_value(json_object_get(j,
	    "file_bytes"));
	r->xml_bytes = (uint64_t)json_integer_value(json_object_get(j,
	    "xml_bytes"));
	r->start_size = (uint64_t)json_integer_value(json_object_get(j,
	    "start_size"));
	r->end_size = (uint64_t)json_integer_value(json_object_get(j,
	    "tree_size"));
	if (json_string_value(json_object_get(j, "root")) != NULL)
		(void)cairn_unhex(json_string_value(json_object_get(j, "root")),
		    CAIRN_HEX_LEN, r->root, CAIRN_HASH_LEN);
	json_decref(j);
	cairn_buf_free(&resp);
	return 0;
}

int
cmd_report(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "account", required_argument, NULL, 'a' },
		{ "out", required_argument, NULL, 'o' },
		{ "name", required_argument, NULL, 'n' },
		{ "html", no_argument, NULL, 'h' },
		{ "late-after", required_argument, NULL, 'l' },
		{ "store", required_argument, NULL, 's' },
		{ "key", required_argument, NULL, 'k' },
		{ "passphrase-file", required_argument, NULL, 'p' },
		{ "passphrase-fd", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'H' },
		{ NULL, 0, NULL, 0 }
	};
	struct cairn_export_opts o;
	struct cairn_export_result r;
	struct cairn_seckey *sk;
	struct cairn_buf note = { 0 };
	const char *store = NULL, *key = NULL, *passfile = NULL, *outdir = ".";
	const char *from = NULL, *to = NULL, *dir;
	char html[PATH_MAX + 8], err[512];
	cairn_store *s;
	int c, passfd = -1, want_html = 0, rc;

	memset(&o, 0, sizeof o);
	o.kind = -1;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'f': from = optarg; break;
		case 't': to = optarg; break;
		case 'a': o.account = optarg; break;
		case 'o': outdir = optarg; break;
		case 'n': o.name = optarg; break;
		case 'h': want_html = 1; break;
		case 'l': o.late_after = (int64_t)cli_u64("--late-after",
		    optarg); break;
		case 's': store = optarg; break;
		case 'k': key = optarg; break;
		case 'p': passfile = optarg; break;
		case 'P': passfd = (int)cli_u64("--passphrase-fd", optarg);
			break;
		case 'H': report_usage(0); break;
		default: report_usage(2);
		}
	}
	if (optind != argc - 1 || from == NULL || to == NULL)
		report_usage(2);
	if ((o.kind = cairn_export_kind_parse(argv[optind])) < 0)
		cli_die(2, "unknown kind %s (realname takedown screening account "
		    "labeling system account-history)", argv[optind]);
	if ((o.kind == CAIRN_EXPORT_HISTORY) != (o.account != NULL))
		cli_die(2, "--account goes with account-history, and only "
		    "with it");
	if (o.late_after > 10 * 365 * 86400LL)
		cli_die(2, "--late-after: at most ten years");
	o.from_us = parse_time("--from", from);
	o.to_us = parse_time("--to", to);
	if (o.from_us >= o.to_us)
		cli_die(2, "the period is empty: --from must be before --to");
	if (o.to_us > now_us())
		cli_die(2, "the period has not ended yet (--to is in the "
		    "future): its end checkpoint cannot exist");
	o.dir = outdir;
	if (isatty(STDERR_FILENO))
		o.progress = progress;
	dir = cli_store_dir(store);

	if ((rc = cairn_store_open(dir, NULL, 0, &s)) == CAIRN_ELOCKED) {
		char sock[PATH_MAX];

		snprintf(sock, sizeof sock, "%s/cairnd.sock", dir);
		if (access(sock, F_OK) != 0)
			cli_die(1, "another process writes to %s and it is not "
			    "cairnd", dir);
		report_via_cairnd(dir, &o, outdir, &r);
	} else {
		if (rc == 0)
			cairn_store_close(s);
		sk = cli_load_key(cli_key_path(key, dir), passfile, passfd);
		s = cli_open_store(dir, 0);
		/* The end checkpoint: the first at or after --to, or a new one. */
		if (cairn_store_checkpoint_at(s, o.to_us, 1, &note) ==
		    CAIRN_ENOTFOUND &&
		    (rc = cairn_store_checkpoint(s, cairn_seckey_ed25519(sk),
		    &note)) != 0)
			cli_die(1, "cannot sign the end checkpoint: %s: %s",
			    cairn_strerror(rc), cairn_store_errdetail(s));
		cairn_buf_free(&note);
		rc = cairn_export_write(s, sk, &o, &r);
		if (last_pct >= 0)
			fputc('\n', stderr);
		if (rc != 0) {
			cairn_seckey_free(sk);
			cli_die(1, "%s", r.err[0] ? r.err : cairn_strerror(rc));
		}
		if ((rc = append_generated(s, &o, &r, cli_source())) != 0)
			fprintf(stderr, "cairn report: warning: the export is "
			    "written but system.report_generated was not "
			    "recorded: %s\n", cairn_strerror(rc));
		cairn_seckey_free(sk);
		cairn_store_close(s);
	}
	if (want_html) {
		snprintf(html, sizeof html, "%s/%s.html", outdir, r.name);
		if (report_html(r.path, html, err, sizeof err) != 0)
			cli_die(1, "--html: %s", err);
	}
	summary_screen(&r, want_html ? html : NULL);
	return 0;
}

static void
print_check(void *arg, int ok, const char *check, const char *detail)
{
	int quiet = *(int *)arg;

	if (quiet && ok)
		return;
	printf("%-4s %-22s %s\n", ok ? "ok" : "FAIL", check, detail);
}

int
cmd_verify_export(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "sig", required_argument, NULL, 's' },
		{ "pubkey", required_argument, NULL, 'p' },
		{ "previous", required_argument, NULL, 'P' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "no-schema", no_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'H' },
		{ NULL, 0, NULL, 0 }
	};
	struct cairn_export_check chk;
	struct cairn_pubkey pub[MAX_PUBKEYS];
	const char *pubpath[MAX_PUBKEYS];
	size_t npub = 0, i;
	int c, rc, quiet = 0;

	memset(&chk, 0, sizeof chk);
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 's': chk.sigpath = optarg; break;
		case 'p':
			if (npub == MAX_PUBKEYS)
				cli_die(2, "--pubkey: at most %d keys",
				    MAX_PUBKEYS);
			pubpath[npub++] = optarg;
			break;
		case 'P': chk.previous = optarg; break;
		case 'q': quiet = 1; break;
		case 'N': chk.skip_schema = 1; break;
		case 'H': verify_usage(0); break;
		default: verify_usage(2);
		}
	}
	if (optind != argc - 1 || npub == 0)
		verify_usage(2);
	for (i = 0; i < npub; i++)
		if ((rc = cairn_pubkey_load(pubpath[i], &pub[i])) != 0)
			cli_die(2, "%s: not a minisign public key: %s",
			    pubpath[i], cairn_strerror(rc));
	chk.path = argv[optind];
	chk.say = print_check;
	chk.arg = &quiet;
	rc = cairn_export_verify_keys(pub, npub, &chk);
	if (!quiet)
		printf("%s: %s (%" PRIu64 " entries; schema %.2f s, checks "
		    "%.2f s)\n", chk.path, rc == 0 ? "verified" : "FAILED",
		    chk.entries, chk.schema_secs, chk.check_secs);
	return rc == 0 ? 0 : 1;
}
