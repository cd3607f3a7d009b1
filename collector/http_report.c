/*
 * http_report.c: exports over HTTP (role `report`).
 *
 *   POST /v1/reports            {"kind", "from", "to", "account"?,
 *                                "late_after"?} -> 201 and the export's
 *                                description; the files are written into
 *                                the report directory
 *   GET  /v1/reports/NAME.xml.zst          the export
 *   GET  /v1/reports/NAME.xml.zst.minisig  its signature
 *
 * Writing an export reads the store (read transactions, next to the
 * writer), has the writer sign the end checkpoint when none exists yet,
 * signs with cairnd's key and records system.report_generated.
 */
#include <sys/resource.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cairnd.h"
#include "cjson.h"
#include "export.h"
#include "http.h"
#include "rfc3339.h"

/*
 * An export runs on a thread of its own at a lower priority (nice +10; its
 * compression thread inherits it), so that on a busy appliance ingestion
 * goes first: with the export at the same priority, the writer fell behind
 * for half a second per export under load (bench/soak), receipts waited,
 * and the batches that caught up were the largest, each leaving LMDB's
 * pool of dirty-page buffers at a new high (it keeps them for reuse).
 */
struct export_job {
	const struct cairn_export_opts *o;
	struct cairn_export_result *r;
	int rc;
};

static void *
export_main(void *arg)
{
	struct export_job *j = arg;

	/* Per thread on Linux; a failure only leaves the priority as it is. */
	(void)setpriority(PRIO_PROCESS, (id_t)gettid(), 10);
	j->rc = cairn_export_write(cairnd.store, cairnd.sk, j->o, j->r);
	return NULL;
}

static int
export_low(const struct cairn_export_opts *o, struct cairn_export_result *r)
{
	struct export_job j = { o, r, 0 };
	pthread_t th;

	if (pthread_create(&th, NULL, export_main, &j) != 0)
		return cairn_export_write(cairnd.store, cairnd.sk, o, r);
	pthread_join(th, NULL);
	return j.rc;
}

#define MAX_LATE	(10 * 365 * 86400LL)

/* Appends "k":"v" (v JSON-escaped). */
static int
add_json_str(struct cairn_buf *b, const char *k, const char *v)
{
	if (cairn_buf_printf(b, "\"%s\":", k) < 0)
		return CAIRN_ENOMEM;
	return cairn_cjson_add_string(b, v, strlen(v));
}

static unsigned
bad(struct cairn_buf *b, unsigned status, const char *error, const char *msg)
{
	b->len = 0;
	if (cairn_buf_adds(b, "{") != 0 || add_json_str(b, "error", error) ||
	    cairn_buf_adds(b, ",") != 0 || add_json_str(b, "message", msg) ||
	    cairn_buf_adds(b, "}") != 0)
		return 0;
	return status;
}

static int
parse_time(json_t *v, int64_t *us)
{
	const char *s = json_string_value(v);

	return s == NULL || cairn_rfc3339_parse(s, strlen(s), us, NULL) != 0 ?
	    -1 : 0;
}

const char *
http_report_dir(void)
{
	static char dir[PATH_MAX];
	const char *s = cairnd.cfg->store;
	const char *slash;

	if (cairnd.cfg->reports != NULL)
		return cairnd.cfg->reports;
	if (dir[0] == '\0') {
		/* Beside the store: <parent of store>/reports. */
		slash = strrchr(s, '/');
		if (slash == NULL)
			snprintf(dir, sizeof dir, "reports");
		else if (slash == s)
			snprintf(dir, sizeof dir, "/reports");
		else
			snprintf(dir, sizeof dir, "%.*s/reports",
			    (int)(slash - s), s);
	}
	return dir;
}

/* A report file name: what the writer makes, nothing that climbs out. */
static int
name_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 160 || s[0] == '.')
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')
		    || (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
		    s[i] == '_' || s[i] == '.'))
			return 0;
	return strstr(s, "..") == NULL;
}

unsigned
http_report_create(const uint8_t *body, size_t len, const char *who,
    int local, struct cairn_buf *out)
{
	struct cairn_export_opts o;
	struct cairn_export_result *r;
	struct cairn_buf note = { 0 };
	json_t *j, *v;
	json_error_t jerr;
	char hex[CAIRN_HEX_LEN + 1], root[CAIRN_HEX_LEN + 1], *ftext;
	struct timespec now;
	unsigned status;
	int rc;

	memset(&o, 0, sizeof o);
	if ((j = json_loadb((const char *)body, len, JSON_REJECT_DUPLICATES,
	    &jerr)) == NULL || !json_is_object(j)) {
		json_decref(j);
		return bad(out, 400, "malformed", "the body must be a JSON "
		    "object: {\"kind\", \"from\", \"to\"[, \"account\"]}");
	}
	{
		const char *k;

		json_object_foreach(j, k, v)
			if (strcmp(k, "kind") != 0 && strcmp(k, "from") != 0 &&
			    strcmp(k, "to") != 0 && strcmp(k, "account") != 0 &&
			    strcmp(k, "late_after") != 0 &&
			    strcmp(k, "name") != 0) {
				json_decref(j);
				return bad(out, 400, "malformed", "unknown member "
				    "(kind, from, to, account, late_after, name)");
			}
	}
	v = json_object_get(j, "kind");
	if (!json_is_string(v) ||
	    (o.kind = cairn_export_kind_parse(json_string_value(v))) < 0) {
		json_decref(j);
		return bad(out, 400, "bad kind", "kind: realname, takedown, "
		    "screening, account, labeling, system or account-history");
	}
	if (parse_time(json_object_get(j, "from"), &o.from_us) != 0 ||
	    parse_time(json_object_get(j, "to"), &o.to_us) != 0 ||
	    o.from_us >= o.to_us) {
		json_decref(j);
		return bad(out, 400, "bad period", "from and to: RFC 3339 "
		    "date-times with from < to");
	}
	v = json_object_get(j, "account");
	if (v != NULL && (!json_is_string(v) || json_string_length(v) == 0 ||
	    json_string_length(v) > 128)) {
		json_decref(j);
		return bad(out, 400, "bad account", "account: 1 to 128 "
		    "characters");
	}
	o.account = json_string_value(v);
	if ((o.kind == CAIRN_EXPORT_HISTORY) != (o.account != NULL)) {
		json_decref(j);
		return bad(out, 400, "bad account", "account goes with "
		    "account-history, and only with it");
	}
	v = json_object_get(j, "late_after");
	if (v != NULL && (!json_is_integer(v) || json_integer_value(v) < 1 ||
	    json_integer_value(v) > MAX_LATE)) {
		json_decref(j);
		return bad(out, 400, "bad late_after", "late_after: seconds, "
		    "1 to ten years");
	}
	o.late_after = v ? json_integer_value(v) : 0;
	v = json_object_get(j, "name");
	if (v != NULL && (!json_is_string(v) || !name_ok(json_string_value(v)) ||
	    strlen(json_string_value(v)) > 100)) {
		json_decref(j);
		return bad(out, 400, "bad name", "name: up to 100 of A-Z a-z 0-9 "
		    "- _ . (not first)");
	}
	o.name = json_string_value(v);
	clock_gettime(CLOCK_REALTIME, &now);
	if (o.to_us > (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000) {
		json_decref(j);
		return bad(out, 400, "bad period", "the period has not ended "
		    "yet: its end checkpoint cannot exist");
	}
	o.dir = http_report_dir();
	if (mkdir(o.dir, 0750) != 0 && errno != EEXIST) {
		json_decref(j);
		return bad(out, 500, "internal", "cannot create the report "
		    "directory");
	}
	/* The end checkpoint: the first made at or after to, or one now. */
	if (cairn_store_checkpoint_at(cairnd.store, o.to_us, 1, &note) ==
	    CAIRN_ENOTFOUND && (rc = writer_checkpoint_now(cairnd.writer,
	    &note)) != 0) {
		cairn_buf_free(&note);
		json_decref(j);
		return bad(out, 503, "no checkpoint", cairn_strerror(rc));
	}
	cairn_buf_free(&note);
	if ((r = calloc(1, sizeof *r)) == NULL) {
		json_decref(j);
		return 0;
	}
	rc = export_low(&o, r);
	/*
	 * An export is rare and its transient memory large; each runs in a
	 * connection thread whose malloc arena would otherwise keep what it
	 * freed, so the heap stepped up with each of the first exports
	 * (bench/soak).  Give it back.
	 */
	(void)malloc_trim(0);
	if (rc != 0) {
		log_warn("report %s by %s failed: %s",
		    cairn_export_kind_name(o.kind), who, r->err);
		status = rc == CAIRN_EINVAL && strstr(r->err, "exists") ?
		    bad(out, 409, "exists", r->err) :
		    bad(out, 500, "report failed", r->err);
		free(r);
		json_decref(j);
		return status;
	}
	log_info("report %s written by %s: %" PRIu64 " entries, %" PRIu64
	    " findings", r->name, who, r->entries, r->findings);

	/* Self-audit: the report was generated, by whom. */
	if ((ftext = cairn_export_generated_fields(&o, r, who)) == NULL ||
	    writer_system_event(cairnd.writer, "system.report_generated",
	    ftext) != 0)
		log_err("report %s: system.report_generated not recorded",
		    r->name);
	free(ftext);
	json_decref(j);

	cairn_hex(r->root, CAIRN_HASH_LEN, root);
	cairn_hex(r->file_sha256, CAIRN_HASH_LEN, hex);
	out->len = 0;
	rc = cairn_buf_adds(out, "{") || add_json_str(out, "id", r->name) ||
	    cairn_buf_adds(out, ",") || add_json_str(out, "name", r->name) ||
	    cairn_buf_printf(out, ",\"url\":\"/v1/reports/%s.xml.zst\","
	    "\"sig_url\":\"/v1/reports/%s.xml.zst.minisig\"", r->name,
	    r->name) < 0 ||
	    cairn_buf_printf(out, ",\"kind\":\"%s\",\"entries\":%" PRIu64
	    ",\"margin\":%" PRIu64 ",\"context\":%" PRIu64 ",\"findings\":%"
	    PRIu64 ",\"file_bytes\":%" PRIu64 ",\"xml_bytes\":%" PRIu64
	    ",\"start_size\":%" PRIu64 ",\"tree_size\":%" PRIu64
	    ",\"root\":\"%s\",\"key_id\":\"%s\",\"file_sha256\":\"%s\"",
	    cairn_export_kind_name(o.kind), r->entries, r->margin, r->context,
	    r->findings, r->file_bytes, r->xml_bytes, r->start_size,
	    r->end_size, root, r->keyid, hex) < 0;
	/* Server paths only for the local CLI, which copies the files. */
	if (rc == 0 && local)
		rc = cairn_buf_adds(out, ",") || add_json_str(out, "path",
		    r->path) || cairn_buf_adds(out, ",") ||
		    add_json_str(out, "sigpath", r->sigpath);
	if (rc == 0)
		rc = cairn_buf_adds(out, "}");
	free(r);
	return rc == 0 ? 201 : 0;
}

unsigned
http_report_open(const char *name, int *fd, uint64_t *size,
    const char **ctype, struct cairn_buf *err)
{
	char path[PATH_MAX];
	struct stat st;
	size_t n = strlen(name);

	*fd = -1;
	if (!name_ok(name) || !((n > 8 && strcmp(name + n - 8, ".xml.zst") == 0)
	    || (n > 16 && strcmp(name + n - 16, ".xml.zst.minisig") == 0)))
		return bad(err, 404, "not found", "no such report file");
	if (snprintf(path, sizeof path, "%s/%s", http_report_dir(), name) >=
	    (int)sizeof path)
		return bad(err, 404, "not found", "no such report file");
	if ((*fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return bad(err, 404, "not found", "no such report file");
	if (fstat(*fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(*fd);
		*fd = -1;
		return bad(err, 404, "not found", "no such report file");
	}
	*size = (uint64_t)st.st_size;
	*ctype = name[n - 1] == 'g' ? "text/plain; charset=utf-8" :
	    "application/zstd";
	return 200;
}
