/*
 * query.c: cairn history, search, tail and verify-proof: entries read back
 * for an incident responder, each re-hashed as it is read, an account's
 * chain checked link by link, with inclusion proofs on request and an
 * offline checker for them.  Reads use read-only transactions, so they
 * run beside a writing cairnd; only the self-audit of `history` writes,
 * through cairnd's local socket while it holds the store.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "catalog.h"
#include "cjson.h"
#include "cli.h"
#include "jarena.h"
#include "merkle.h"
#include "note.h"
#include "query.h"
#include "rfc3339.h"
#include "rows.h"
#include "util.h"

#define MAX_INPUT_LINE	(8 * 1024 * 1024)
#define TAIL_POLL_MS	200
#define MAX_COMMAND	200

enum {
	Q_STORE = 256, Q_SINCE, Q_UNTIL, Q_STREAM, Q_TYPE, Q_FIELD, Q_JSON,
	Q_PROVE, Q_CHECKPOINT, Q_KEY, Q_PUBKEY, Q_HELP
};

static const struct option qlongopts[] = {
	{ "checkpoint", required_argument, NULL, Q_CHECKPOINT },
	{ "field", required_argument, NULL, Q_FIELD },
	{ "help", no_argument, NULL, Q_HELP },
	{ "json", no_argument, NULL, Q_JSON },
	{ "key", required_argument, NULL, Q_KEY },
	{ "prove", no_argument, NULL, Q_PROVE },
	{ "pubkey", required_argument, NULL, Q_PUBKEY },
	{ "since", required_argument, NULL, Q_SINCE },
	{ "store", required_argument, NULL, Q_STORE },
	{ "stream", required_argument, NULL, Q_STREAM },
	{ "type", required_argument, NULL, Q_TYPE },
	{ "until", required_argument, NULL, Q_UNTIL },
	{ NULL, 0, NULL, 0 }
};

struct qopts {
	const char		*store, *checkpoint, *key, *pubkey;
	struct cairn_filter	 f;
	int			 json, prove, follow;
	uint64_t		 n;
	struct cairn_buf	 cmd;	/* the options, for the self-audit */
};

/* Parses the options; allowed lists the option codes this verb takes. */
static int
qparse(int argc, char **argv, const int *allowed, struct qopts *o)
{
	char *eq;
	int ch, i, ok;

	memset(o, 0, sizeof *o);
	cairn_filter_init(&o->f);
	o->n = 10;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "fhn:", qlongopts, NULL)) != -1) {
		if (ch == Q_HELP || ch == 'h')
			verb_usage(0);
		if (ch == '?')
			verb_usage(2);
		for (ok = 0, i = 0; allowed[i] != 0; i++)
			if (allowed[i] == ch)
				ok = 1;
		if (!ok) {
			fprintf(stderr, "%s: option %s is not for this verb\n",
			    cli_cmd, argv[optind - 1]);
			verb_usage(2);
		}
		/* The filters, for the self-audit's command field. */
		for (i = 0; qlongopts[i].name != NULL; i++)
			if (qlongopts[i].val == ch && ch != Q_STORE &&
			    ch != Q_JSON && ch != Q_PROVE &&
			    o->cmd.len < MAX_COMMAND)
				cairn_buf_printf(&o->cmd, " --%s %.64s",
				    qlongopts[i].name, optarg ? optarg : "");
		switch (ch) {
		case Q_STORE: o->store = optarg; break;
		case Q_SINCE:
			if (cairn_query_time(optarg, &o->f.since) != 0)
				cli_die(2, "--since \"%s\": give an RFC 3339 time "
				    "or a date YYYY-MM-DD", optarg);
			break;
		case Q_UNTIL:
			if (cairn_query_time(optarg, &o->f.until) != 0)
				cli_die(2, "--until \"%s\": give an RFC 3339 time "
				    "or a date YYYY-MM-DD", optarg);
			break;
		case Q_STREAM:
			for (i = 0; i < CAIRN_NSTREAMS; i++)
				if (strcmp(cairn_stream_names[i], optarg) == 0)
					break;
			if (i == CAIRN_NSTREAMS)
				cli_die(2, "--stream \"%s\": one of realname, "
				    "takedown, screening, account, labeling, "
				    "system, other", optarg);
			o->f.stream = optarg;
			break;
		case Q_TYPE: o->f.type = optarg; break;
		case Q_FIELD:
			if ((eq = strchr(optarg, '=')) == NULL || eq == optarg)
				cli_die(2, "--field \"%s\": give NAME=VALUE",
				    optarg);
			if (o->f.nfields == CAIRN_ROW_MAX_FIELDS)
				cli_die(2, "at most %d --field options",
				    CAIRN_ROW_MAX_FIELDS);
			/* optarg lives as long as argv: split it in place. */
			*eq = '\0';
			o->f.name[o->f.nfields] = optarg;
			o->f.value[o->f.nfields++] = eq + 1;
			break;
		case Q_JSON: o->json = 1; break;
		case Q_PROVE: o->prove = o->json = 1; break;
		case Q_CHECKPOINT: o->checkpoint = optarg; break;
		case Q_KEY: o->key = optarg; break;
		case Q_PUBKEY: o->pubkey = optarg; break;
		case 'n':
			o->n = cli_u64("-n", optarg);
			if (o->n > 1000000)
				cli_die(2, "-n: at most 1000000");
			break;
		case 'f': o->follow = 1; break;
		default: verb_usage(2);
		}
	}
	if (o->f.since >= o->f.until)
		cli_die(2, "--since must be before --until");
	return optind;
}

/*
 * Output: a table, or NDJSON (query.h has the shape of a line).
 */

struct out {
	cairn_store		*s;
	int			 json, prove;
	struct cairn_checkpoint	 cp;
	int			 has_cp;
	struct cairn_buf	 line, proof;
	uint64_t		 shown, unproven;
};

/* Display width of UTF-8 text: its code points. */
static size_t
width(const char *p, size_t n)
{
	size_t i, w = 0;

	for (i = 0; i < n; i++)
		if (((uint8_t)p[i] & 0xc0) != 0x80)
			w++;
	return w;
}

/* Puts a span into the table, padded to w columns; C0 and C1 controls
 * (never in canonical JSON text, but a damaged entry may hold anything)
 * become '?', so that no entry can drive the terminal. */
static void
cell(struct cairn_buf *b, const struct cairn_span *s, size_t w, int last)
{
	const uint8_t *p = (const uint8_t *)s->p;
	size_t i, n = s->p ? s->n : 1, dw;

	if (s->p == NULL)
		p = (const uint8_t *)"-";
	if (n > 256)
		n = 256;
	for (i = 0; i < n; i++) {
		if (p[i] < 0x20 || p[i] == 0x7f)
			cairn_buf_addc(b, '?');
		else if (p[i] == 0xc2 && i + 1 < n && p[i + 1] >= 0x80 &&
		    p[i + 1] <= 0x9f) {
			cairn_buf_addc(b, '?');
			i++;
		} else
			cairn_buf_addc(b, p[i]);
	}
	if (last)
		return;
	dw = width((const char *)p, n);
	do
		cairn_buf_addc(b, ' ');
	while (++dw < w + 2);
}

static void
out_flush(struct out *o)
{
	if (o->line.len > 0 && fwrite(o->line.p, 1, o->line.len, stdout) !=
	    o->line.len)
		cli_die(1, "writing the output: %s", strerror(errno));
	o->line.len = 0;
}

/* Prepares the output; with --prove, loads the newest checkpoint (checked
 * against the store's own key) and prints it once, as the first line. */
static void
out_begin(struct out *o, cairn_store *s, const struct qopts *q)
{
	struct cairn_store_info in;
	struct cairn_buf note = { 0 };
	const uint8_t *body;
	size_t blen;
	int rc;

	memset(o, 0, sizeof *o);
	o->s = s;
	o->json = q->json;
	o->prove = q->prove;
	if (o->prove) {
		if ((rc = cairn_store_info(s, &in)) != 0)
			cli_die(1, "%s", cairn_strerror(rc));
		if ((rc = cairn_store_checkpoint_latest(s, &note)) != 0)
			cli_die(1, "--prove: no checkpoint to prove against (%s); "
			    "sign one with cairn checkpoint", cairn_strerror(rc));
		if ((rc = cairn_note_verify(note.p, note.len, in.origin,
		    in.pubkey, &body, &blen)) != 0 ||
		    (rc = cairn_checkpoint_parse(body, blen, &o->cp)) != 0)
			cli_die(1, "the newest checkpoint does not verify: %s (run "
			    "cairn verify)", cairn_strerror(rc));
		o->has_cp = 1;
		cairn_buf_adds(&o->line, "{\"checkpoint\":");
		if (cairn_cjson_add_string(&o->line, (char *)note.p,
		    note.len) != 0)
			cli_die(1, "the checkpoint is not text");
		cairn_buf_adds(&o->line, "}\n");
		cairn_buf_free(&note);
	}
	if (!o->json)
		cairn_buf_printf(&o->line, "%-19s  %-9s  %-28s  %-16s  %-8s  %10s"
		    "  %s\n", "TIME", "STREAM", "TYPE", "OUTCOME/ACTION",
		    "CLAUSE", "SEQ", "CHECK");
	out_flush(o);
}

/* One entry, as a table row or a JSON line. */
static void
out_row(struct out *o, const struct cairn_entry *e, const struct cairn_row *r,
    int parsed, int check)
{
	uint8_t path[CAIRN_MAX_PROOF][CAIRN_HASH_LEN];
	struct cairn_span t;
	char seq[24];
	const char *proof = NULL;
	size_t n;
	int rc;

	o->shown++;
	if (o->json) {
		if (o->prove) {
			o->proof.len = 0;
			if (e->seq >= o->cp.size) {
				proof = "null";	/* newer than the checkpoint */
				o->unproven++;
			} else if ((rc = cairn_store_inclusion(o->s, e->seq,
			    o->cp.size, path, &n)) != 0 ||
			    (rc = cairn_proof_inclusion_json(&o->proof, e->seq,
			    o->cp.size, e->leaf,
			    o->cp.root, (const uint8_t (*)[CAIRN_HASH_LEN])path,
			    n)) != 0)
				cli_die(1, "proof of entry %llu: %s",
				    (unsigned long long)e->seq, cairn_strerror(rc));
			else
				proof = (const char *)o->proof.p;
		}
		if (cairn_row_json(&o->line, e, parsed ? r : NULL, check,
		    proof) != 0 || cairn_buf_addc(&o->line, '\n') != 0)
			cli_die(1, "out of memory");
	} else {
		/* The event's time, to the second, in UTC. */
		t = parsed ? r->time : (struct cairn_span){ NULL, 0 };
		if (t.p != NULL && t.n > 19)
			t.n = 19;
		cell(&o->line, &t, 19, 0);
		cell(&o->line, parsed ? &r->stream : &t, 9, 0);
		cell(&o->line, parsed ? &r->type : &t, 28, 0);
		cell(&o->line, parsed ? &r->outcome : &t, 16, 0);
		cell(&o->line, parsed ? &r->clause : &t, 8, 0);
		snprintf(seq, sizeof seq, "%10llu", (unsigned long long)e->seq);
		cairn_buf_adds(&o->line, seq);
		cairn_buf_adds(&o->line, "  ");
		cairn_buf_adds(&o->line, check == CAIRN_ROW_OK ? "ok" :
		    check == CAIRN_ROW_ALTERED ? "ALTERED" :
		    check == CAIRN_ROW_GAP ? "GAP" : check == CAIRN_ROW_FOREIGN ?
		    "FOREIGN" : "UNREADABLE");
		cairn_buf_addc(&o->line, '\n');
	}
	if (o->line.len >= 65536)
		out_flush(o);
}

static void
out_end(struct out *o)
{
	out_flush(o);
	if (fflush(stdout) != 0)
		cli_die(1, "writing the output: %s", strerror(errno));
	cairn_buf_free(&o->line);
	cairn_buf_free(&o->proof);
	if (o->prove && o->unproven > 0)
		fprintf(stderr, "%s: %llu entries are newer than the checkpoint "
		    "(size %llu) and carry no proof; sign a checkpoint and query "
		    "again to prove them\n", cli_cmd,
		    (unsigned long long)o->unproven,
		    (unsigned long long)o->cp.size);
}

/* Text of a check for the explanation lines. */
static const char *
check_why(int check)
{
	switch (check) {
	case CAIRN_ROW_ALTERED:
		return "its bytes do not match the leaf hash in the tree: the "
		    "entry was altered";
	case CAIRN_ROW_GAP:
		return "its account_prev does not link to the account's previous "
		    "entry: an entry is missing before it, or was changed";
	case CAIRN_ROW_FOREIGN:
		return "the account index names an entry about another account";
	default:
		return "the entry cannot be read";
	}
}

/*
 * Self-audit: reading an account's history is itself recorded.
 */

/* Percent-encodes s into b (RFC 3986 unreserved characters kept). */
static void
pct(struct cairn_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		uint8_t c = (uint8_t)*s;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
		    c == '~')
			cairn_buf_addc(b, c);
		else {
			cairn_buf_addc(b, '%');
			cairn_buf_addc(b, (uint8_t)hex[c >> 4]);
			cairn_buf_addc(b, (uint8_t)hex[c & 15]);
		}
	}
}

/*
 * Appends system.account_queried for account before anything is shown:
 * through cairnd's local socket while it holds the store, else directly.
 * If it cannot be recorded, nothing is shown.
 */
static void
audit(const char *dir, const char *account, const char *command)
{
	struct cairn_catalog *cat;
	struct cairn_verr errs[4];
	struct cairn_receipt r;
	struct cairn_buf path = { 0 }, resp = { 0 };
	struct timespec now;
	cairn_event *ev;
	cairn_store *s;
	json_t *j;
	char id[64], ts[32], *txt;
	size_t nerr;
	int rc, status;

	clock_gettime(CLOCK_REALTIME, &now);
	rc = cairn_store_open(dir, NULL, 0, &s);
	if (rc == CAIRN_ELOCKED) {
		cairn_buf_adds(&path, "/v1/accounts/");
		pct(&path, account);
		cairn_buf_adds(&path, "/queried?command=");
		pct(&path, command);
		if (cli_local_post(dir, (char *)path.p, cli_source(),
		    "application/json", "", 0, &status, &resp) != 0)
			cli_die(1, "another process writes the store and cairnd's "
			    "local socket %s/cairnd.sock does not answer: the "
			    "query cannot be recorded, so nothing is shown", dir);
		if (status != 200)
			cli_die(1, "cairnd refused to record the query (%d: %.*s); "
			    "nothing is shown", status, (int)resp.len,
			    resp.p ? (char *)resp.p : "");
		cairn_buf_free(&path);
		cairn_buf_free(&resp);
		return;
	}
	if (rc != 0)
		s = cli_open_store(dir, 0);	/* says why, exits */
	if ((rc = cairn_catalog_default(&cat)) != 0)
		cli_die(1, "catalog: %s", cairn_strerror(rc));
	snprintf(id, sizeof id, "query-%lld-%d", (long long)now.tv_sec *
	    1000000 + now.tv_nsec / 1000, (int)getpid());
	cairn_rfc3339_format((int64_t)now.tv_sec * 1000000 +
	    now.tv_nsec / 1000, ts);
	j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "id", id,
	    "type", "system.account_queried", "time", ts, "account", account,
	    "token", cli_source(), "command", command);
	if (j == NULL || (txt = json_dumps(j, JSON_COMPACT)) == NULL)
		cli_die(1, "out of memory");
	json_decref(j);
	rc = cairn_event_prepare(cat, cli_source(), (uint8_t *)txt, strlen(txt),
	    CAIRN_EVENT_SYSTEM, &ev, errs, 4, &nerr);
	cairn_json_free(txt);
	if (rc != 0)
		cli_die(2, "\"%s\": not an account id (%s%s%s)", account,
		    nerr ? errs[0].field : "", nerr ? ": " : "",
		    nerr ? errs[0].msg : cairn_strerror(rc));
	if ((rc = cairn_store_append(s, &ev, 1, &r, NULL)) != 0)
		cli_die(1, "recording the query failed: %s; nothing is shown",
		    cairn_strerror(rc));
	cairn_event_free(ev);
	cairn_catalog_free(cat);
	cairn_store_close(s);
}

/* What a history ends with: the chain's counts. */
struct hsum {
	uint64_t	n, first, last, bad;
};

/* Shows one entry of a history if it passes the filters. */
static void
hist_show(struct out *o, const struct cairn_filter *f,
    const struct cairn_entry *e, const struct cairn_row *r, int parsed,
    int check)
{
	/* A broken entry is always shown, whatever the filters. */
	if (check == CAIRN_ROW_OK && !cairn_row_match(r, f))
		return;
	out_row(o, e, r, parsed, check);
	if (check != CAIRN_ROW_OK && !o->json) {
		out_flush(o);
		fflush(stdout);
		fprintf(stderr, "%s: seq %llu: %s\n", cli_cmd,
		    (unsigned long long)e->seq, check_why(check));
	}
}

/* The summary line (JSON) or lines (table) after a history. */
static void
hist_end(struct out *o, const char *account, const struct hsum *h)
{
	if (o->json) {
		cairn_buf_adds(&o->line, "{\"summary\":{\"account\":");
		cairn_cjson_add_string(&o->line, account, strlen(account));
		cairn_buf_printf(&o->line, ",\"checked\":%llu,",
		    (unsigned long long)h->n);
		if (h->n > 0)
			cairn_buf_printf(&o->line, "\"first_seq\":%llu,\"last_seq\""
			    ":%llu,", (unsigned long long)h->first,
			    (unsigned long long)h->last);
		cairn_buf_printf(&o->line, "\"note\":\"%s\",\"problems\":%llu,"
		    "\"shown\":%llu}}\n", h->n ? "entries after last_seq are not "
		    "proven absent" : "no entry names this account",
		    (unsigned long long)h->bad, (unsigned long long)o->shown);
	} else if (h->n == 0) {
		cairn_buf_printf(&o->line, "no entry names account %s\n", account);
	} else {
		cairn_buf_printf(&o->line, "%llu entries of the account checked "
		    "(seq %llu to %llu), %llu shown; %s.\n"
		    "Entries newer than seq %llu are not proven absent: nothing "
		    "yet proves that the account has no later entry.\n",
		    (unsigned long long)h->n, (unsigned long long)h->first,
		    (unsigned long long)h->last, (unsigned long long)o->shown,
		    h->bad ? "THE CHAIN IS BROKEN (see CHECK)" :
		    "every entry re-hashed and linked to the one before",
		    (unsigned long long)h->last);
	}
	out_end(o);
}

/*
 * The history read by cairnd, which holds the store (and a warm map of
 * it): it records the query, re-hashes and link-checks every entry as the
 * direct path does, and streams them (rows.h, CAIRN_HIST_*); filters and
 * output stay here.  0 when done; -1 if cairnd's local socket does not
 * answer (nothing was recorded or shown then).
 */
static int
hist_remote(const char *dir, const char *account, const char *command,
    const struct qopts *q, struct hsum *sum)
{
	struct cairn_buf path = { 0 }, b = { 0 };
	struct cairn_entry e;
	struct cairn_row r;
	struct out o;
	size_t off = 0, need, head;
	ssize_t n;
	uint8_t *p;
	int fd, status, ended = 0, parsed;

	cairn_buf_adds(&path, "/v1/accounts/");
	pct(&path, account);
	cairn_buf_adds(&path, "/history?command=");
	pct(&path, command);
	fd = cli_local_stream(dir, (char *)path.p, cli_source(), &status, &b);
	cairn_buf_free(&path);
	if (fd < 0) {
		cairn_buf_free(&b);
		return -1;
	}
	if (status != 200) {
		char tmp[4096];

		while ((n = read(fd, tmp, sizeof tmp)) > 0 && b.len < 65536)
			cairn_buf_add(&b, tmp, (size_t)n);
		close(fd);
		cli_die(1, "cairnd refused the query (%d: %.*s); nothing is shown",
		    status, (int)b.len, b.p ? (char *)b.p : "");
	}
	out_begin(&o, NULL, q);
	for (;;) {
		/* A whole frame from off, else read more. */
		need = 1;
		head = b.len - off >= 1 && b.p[off] == CAIRN_HIST_SROW ?
		    CAIRN_HIST_SROW_HEAD : CAIRN_HIST_ROW_HEAD;
		if (b.len - off >= 1)
			need = b.p[off] == CAIRN_HIST_END ? CAIRN_HIST_END_LEN :
			    head;
		if (b.len - off >= head && (b.p[off] == CAIRN_HIST_ROW ||
		    b.p[off] == CAIRN_HIST_SROW))
			need += cairn_get_be32(b.p + off + 75);
		if (need > 64 * 1024 * 1024)
			break;	/* no entry is that large */
		if (b.len - off >= need) {
			p = b.p + off;
			off += need;
			if (p[0] == CAIRN_HIST_END) {
				sum->n = cairn_get_be64(p + 1);
				sum->first = cairn_get_be64(p + 9);
				sum->last = cairn_get_be64(p + 17);
				sum->bad = cairn_get_be64(p + 25);
				ended = 1;
				break;
			}
			if ((p[0] != CAIRN_HIST_ROW && p[0] != CAIRN_HIST_SROW) ||
			    p[1] > CAIRN_ROW_UNREADABLE)
				break;
			e.seq = cairn_get_be64(p + 3);
			memcpy(e.leaf, p + 11, CAIRN_HASH_LEN);
			memcpy(e.stored, p + 43, CAIRN_HASH_LEN);
			e.intact = p[2];
			e.data = p + head;
			e.len = need - head;
			/* cairnd parsed the row already ('S'), or we do. */
			if (p[0] == CAIRN_HIST_ROW)
				parsed = cairn_row_parse(e.data, e.len, &r) == 0;
			else if (p[CAIRN_HIST_ROW_HEAD] > 1 ||
			    cairn_row_spans_get(p + CAIRN_HIST_ROW_HEAD + 1,
			    e.data, e.len, &r) != 0)
				break;
			else
				parsed = p[CAIRN_HIST_ROW_HEAD];
			hist_show(&o, &q->f, &e, &r, parsed, p[1]);
			continue;
		}
		if (off > 0) {
			memmove(b.p, b.p + off, b.len - off);
			b.len -= off;
			off = 0;
		}
		if (cairn_buf_reserve(&b, need > 65536 ? need : 65536) != 0)
			cli_die(1, "out of memory");
		if ((n = read(fd, b.p + b.len, b.cap - b.len - 1)) < 0 &&
		    errno == EINTR)
			continue;
		if (n <= 0)
			break;
		b.len += (size_t)n;
	}
	close(fd);
	cairn_buf_free(&b);
	if (!ended) {
		out_flush(&o);
		cli_die(1, "cairnd's answer was cut short: the history shown is "
		    "incomplete");
	}
	hist_end(&o, account, sum);
	return 0;
}

int
cmd_history(int argc, char **argv)
{
	static const int allowed[] = { Q_STORE, Q_SINCE, Q_UNTIL, Q_STREAM,
	    Q_TYPE, Q_FIELD, Q_JSON, Q_PROVE, 0 };
	const struct cairn_entry *e;
	const struct cairn_row *r;
	struct cairn_hist h;
	struct hsum sum;
	struct qopts q;
	struct out o;
	struct cairn_buf cmd = { 0 };
	cairn_store *s;
	const char *dir, *account;
	int idx, rc, parsed, check;

	idx = qparse(argc, argv, allowed, &q);
	if (argc - idx != 1)
		verb_usage(2);
	account = argv[idx];
	if (*account == '\0' || strlen(account) > 128 ||
	    !cairn_utf8_valid((const uint8_t *)account, strlen(account)))
		cli_die(2, "ACCOUNT must be 1 to 128 bytes of UTF-8");
	dir = cli_store_dir(q.store);
	cairn_buf_adds(&cmd, "cairn history");
	if (q.cmd.len > 0)
		cairn_buf_add(&cmd, q.cmd.p, q.cmd.len);
	memset(&sum, 0, sizeof sum);
	/* While cairnd runs, it reads (proofs aside: they need the store). */
	if (!q.prove && hist_remote(dir, account, (char *)cmd.p, &q, &sum) == 0)
		goto done;
	audit(dir, account, (char *)cmd.p);

	s = cli_open_store(dir, CAIRN_STORE_RDONLY);
	out_begin(&o, s, &q);
	/* Each entry's bytes are proven by the next one's link, the last
	 * one's by its stored leaf (rows.h, cairn_hist). */
	if ((rc = cairn_hist_open(&h, s, account, NULL)) != 0)
		cli_die(1, "%s", cairn_strerror(rc));
	(void)cairn_iter_direct(h.it);
	(void)cairn_iter_ahead(h.it);
	while ((rc = cairn_hist_next(&h, &e, &r, &parsed, &check)) == 0)
		hist_show(&o, &q.f, e, r, parsed, check);
	cairn_hist_close(&h);
	if (rc != CAIRN_ENOTFOUND)
		cli_die(1, "reading the account index: %s", cairn_strerror(rc));
	sum.n = h.ch.n;
	sum.first = h.first_seq;
	sum.last = h.ch.last_seq;
	sum.bad = h.ch.bad;
	hist_end(&o, account, &sum);
	cairn_store_close(s);
done:
	cairn_buf_free(&cmd);
	cairn_buf_free(&q.cmd);
	if (sum.bad > 0) {
		fprintf(stderr, "%s: %llu of %llu entries fail their checks: the "
		    "store was altered (run cairn verify)\n", cli_cmd,
		    (unsigned long long)sum.bad, (unsigned long long)sum.n);
		return 1;
	}
	return 0;
}

/* Shows one entry of a scan if it matches; 1 if it is broken. */
static int
scan_row(struct out *o, const struct cairn_entry *e, const struct cairn_filter *f)
{
	struct cairn_row r;
	int parsed, check;

	parsed = cairn_row_parse(e->data, e->len, &r) == 0;
	check = !e->intact ? CAIRN_ROW_ALTERED : !parsed ? CAIRN_ROW_UNREADABLE :
	    CAIRN_ROW_OK;
	if (check == CAIRN_ROW_OK && !cairn_row_match(&r, f))
		return 0;
	out_row(o, e, &r, parsed, check);
	if (check != CAIRN_ROW_OK) {
		fprintf(stderr, "%s: seq %llu: %s\n", cli_cmd,
		    (unsigned long long)e->seq, check_why(check));
		return 1;
	}
	return 0;
}

int
cmd_search(int argc, char **argv)
{
	static const int allowed[] = { Q_STORE, Q_SINCE, Q_UNTIL, Q_STREAM,
	    Q_TYPE, Q_FIELD, Q_JSON, Q_PROVE, 0 };
	const struct cairn_entry *e;
	struct cairn_catalog *cat;
	struct cairn_merge m;
	struct qopts q;
	struct out o;
	cairn_store *s;
	const char *only;
	int i, rc, bad = 0;

	if (qparse(argc, argv, allowed, &q) != argc)
		verb_usage(2);
	cairn_buf_free(&q.cmd);
	only = q.f.stream;
	if (only == NULL && q.f.type != NULL) {
		/* A type lives in one stream: read only that one. */
		if ((rc = cairn_catalog_default(&cat)) != 0)
			cli_die(1, "catalog: %s", cairn_strerror(rc));
		if ((only = cairn_catalog_stream(cat, q.f.type)) == NULL)
			cli_die(2, "--type \"%s\": no such event type", q.f.type);
		for (i = 0; i < CAIRN_NSTREAMS; i++)
			if (strcmp(cairn_stream_names[i], only) == 0)
				only = cairn_stream_names[i];
		cairn_catalog_free(cat);
	}
	s = cli_open_store(cli_store_dir(q.store), CAIRN_STORE_RDONLY);
	out_begin(&o, s, &q);
	if ((rc = cairn_merge_open(&m, s, only, q.f.since, q.f.until)) != 0)
		cli_die(1, "%s", cairn_strerror(rc));
	/* This process's map is cold: leaves by pread (cairn_iter_direct). */
	if ((rc = cairn_merge_direct(&m)) != 0)
		cli_die(1, "%s", cairn_strerror(rc));
	while ((rc = cairn_merge_next(&m, &e)) == 0)
		bad |= scan_row(&o, e, &q.f);
	cairn_merge_close(&m);
	if (rc != CAIRN_ENOTFOUND)
		cli_die(1, "%s", cairn_strerror(rc));
	out_end(&o);
	cairn_store_close(s);
	return bad;
}

/* Shows entries [from, to) that match; 1 if one is broken. */
static int
tail_range(struct out *o, uint64_t from, uint64_t to,
    const struct cairn_filter *f)
{
	struct cairn_entry e;
	cairn_iter *it;
	int rc, bad = 0;

	if ((rc = cairn_iter_range(o->s, from, to, &it)) != 0)
		cli_die(1, "%s", cairn_strerror(rc));
	while ((rc = cairn_iter_next(it, &e)) == 0)
		bad |= scan_row(o, &e, f);
	cairn_iter_free(it);
	if (rc != CAIRN_ENOTFOUND)
		cli_die(1, "%s", cairn_strerror(rc));
	out_flush(o);
	if (fflush(stdout) != 0)
		cli_die(1, "writing the output: %s", strerror(errno));
	return bad;
}

int
cmd_tail(int argc, char **argv)
{
	static const int allowed[] = { Q_STORE, Q_STREAM, Q_TYPE, Q_FIELD,
	    Q_JSON, 'n', 'f', 0 };
	struct timespec ts = { 0, TAIL_POLL_MS * 1000000L };
	struct qopts q;
	struct out o;
	cairn_store *s;
	uint64_t size, done;
	int rc, bad;

	if (qparse(argc, argv, allowed, &q) != argc)
		verb_usage(2);
	cairn_buf_free(&q.cmd);
	/* Read-only: a running cairnd holds the writer lock. */
	s = cli_open_store(cli_store_dir(q.store), CAIRN_STORE_RDONLY);
	out_begin(&o, s, &q);
	if ((rc = cairn_store_size(s, &size)) != 0)
		cli_die(1, "%s", cairn_strerror(rc));
	bad = tail_range(&o, size > q.n ? size - q.n : 0, size, &q.f);
	done = size;
	while (q.follow) {
		nanosleep(&ts, NULL);
		if ((rc = cairn_store_size(s, &size)) != 0)
			cli_die(1, "%s", cairn_strerror(rc));
		if (size > done)
			bad |= tail_range(&o, done, size, &q.f);
		done = size;
	}
	out_end(&o);
	cairn_store_close(s);
	return bad;
}

/*
 * verify-proof: query output checked offline, with no store.
 */

struct trust {
	char		 name[CAIRN_NAME_MAX + 1];	/* "" with --pubkey */
	uint8_t		 pk[32];
	int		 has_cp;
	struct cairn_checkpoint cp;
};

/* Verifies a signed checkpoint note against the trusted key. */
static void
trust_note(struct trust *t, const uint8_t *note, size_t len, const char *from)
{
	const uint8_t *body;
	const char *nl;
	char name[CAIRN_NAME_MAX + 1];
	size_t blen, n;
	int rc;

	snprintf(name, sizeof name, "%s", t->name);
	if (name[0] == '\0') {
		/* A bare public key signs for the origin on the first line. */
		nl = memchr(note, '\n', len);
		n = nl ? (size_t)(nl - (const char *)note) : 0;
		if (n == 0 || n > CAIRN_NAME_MAX)
			cli_die(1, "%s: not a checkpoint", from);
		memcpy(name, note, n);
		name[n] = '\0';
	}
	if ((rc = cairn_note_verify(note, len, name, t->pk, &body, &blen)) != 0)
		cli_die(1, "%s: the checkpoint does not verify with the trusted "
		    "key: %s", from, cairn_strerror(rc));
	if ((rc = cairn_checkpoint_parse(body, blen, &t->cp)) != 0)
		cli_die(1, "%s: not a checkpoint: %s", from, cairn_strerror(rc));
	t->has_cp = 1;
}

/* The trusted key: a verifier key (file or string) or a minisign key. */
static void
trust_key(struct trust *t, const struct qopts *q)
{
	struct cairn_pubkey pk;
	uint8_t kh[4], *text = NULL;
	size_t len;
	int rc;

	memset(t, 0, sizeof *t);
	if ((q->key == NULL) == (q->pubkey == NULL))
		cli_die(2, "give the trusted key: --key VKEY (verifier key file or "
		    "string) or --pubkey FILE (minisign public key)");
	if (q->pubkey != NULL) {
		cli_pubkey(q->pubkey, &pk);
		memcpy(t->pk, pk.pk, 32);
		return;
	}
	if (cairn_read_file(q->key, 4096, &text, &len) != 0) {
		text = (uint8_t *)strdup(q->key);
		if (text == NULL)
			cli_die(1, "out of memory");
		len = strlen(q->key);
	}
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		len--;
	rc = cairn_vkey_parse((char *)text, len, t->name, sizeof t->name, t->pk,
	    kh);
	free(text);
	if (rc != 0)
		cli_die(1, "%s: not a verifier key (name+hash+key): %s", q->key,
		    cairn_strerror(rc));
}

int
cmd_verify_proof(int argc, char **argv)
{
	static const int allowed[] = { Q_CHECKPOINT, Q_KEY, Q_PUBKEY, 0 };
	struct trust t;
	struct qopts q;
	FILE *in = stdin;
	json_t *doc;
	uint8_t *cp;
	const char *note;
	char *line = NULL, why[256];
	size_t cap = 0, cplen, notelen;
	ssize_t len;
	unsigned long lineno = 0;
	uint64_t seq, ok = 0, failed = 0, unproven = 0;
	int idx, rc, kind;

	idx = qparse(argc, argv, allowed, &q);
	if (argc - idx > 1)
		verb_usage(2);
	cairn_buf_free(&q.cmd);
	trust_key(&t, &q);
	if (q.checkpoint != NULL) {
		if ((rc = cairn_read_file(q.checkpoint, CAIRN_NOTE_MAX, &cp,
		    &cplen)) != 0)
			cli_die(1, "%s: %s", q.checkpoint, rc > 0 ? strerror(rc) :
			    cairn_strerror(rc));
		trust_note(&t, cp, cplen, q.checkpoint);
		free(cp);
	}
	if (idx < argc && strcmp(argv[idx], "-") != 0 &&
	    (in = fopen(argv[idx], "r")) == NULL)
		cli_die(1, "%s: %s", argv[idx], strerror(errno));
	while ((len = getline(&line, &cap, in)) >= 0) {
		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (len == 0)
			continue;
		if ((size_t)len > MAX_INPUT_LINE)
			cli_die(1, "line %lu: longer than %d bytes", lineno,
			    MAX_INPUT_LINE);
		rc = cairn_proofline_verify((uint8_t *)line, (size_t)len, NULL,
		    &kind, &seq, &doc, &note, &notelen, why, sizeof why);
		if (rc == 0 && kind == CAIRN_LINE_CHECKPOINT) {
			/* --checkpoint, when given, is the one trusted. */
			if (q.checkpoint == NULL)
				trust_note(&t, (const uint8_t *)note, notelen,
				    "the checkpoint line");
			json_decref(doc);
			continue;
		}
		json_decref(doc);
		if (rc == 0 && kind != CAIRN_LINE_OTHER &&
		    kind != CAIRN_LINE_UNPROVEN && !t.has_cp)
			cli_die(1, "line %lu: a proof before any checkpoint: give "
			    "--checkpoint FILE", lineno);
		if (rc == 0)
			rc = cairn_proofline_verify((uint8_t *)line, (size_t)len,
			    &t.cp, &kind, &seq, &doc, &note, &notelen, why,
			    sizeof why);
		else
			doc = NULL;
		json_decref(doc);
		if (rc != 0) {
			failed++;
			printf("FAILED line %lu%s%llu: %s\n", lineno,
			    kind == CAIRN_LINE_ENTRY || kind ==
			    CAIRN_LINE_UNPROVEN ? " seq " : kind ==
			    CAIRN_LINE_INCLUSION ? " index " : "",
			    (unsigned long long)seq, why);
			continue;
		}
		switch (kind) {
		case CAIRN_LINE_UNPROVEN:
			unproven++;
			printf("unproven: seq %llu is not covered by the "
			    "checkpoint\n", (unsigned long long)seq);
			break;
		case CAIRN_LINE_OTHER:
			break;
		default:
			ok++;
		}
	}
	free(line);
	if (ferror(in))
		cli_die(1, "reading the input: %s", strerror(errno));
	if (in != stdin)
		fclose(in);
	if (!t.has_cp)
		cli_die(1, "no checkpoint: the input has none and --checkpoint "
		    "was not given");
	if (failed > 0) {
		printf("FAILED: %llu of %llu proofs do not verify against the "
		    "checkpoint of %s, size %llu\n", (unsigned long long)failed,
		    (unsigned long long)(failed + ok), t.cp.origin,
		    (unsigned long long)t.cp.size);
		return 1;
	}
	if (ok == 0)
		cli_die(1, "nothing was proven: no proof in the input");
	printf("ok: %llu proofs verify against the checkpoint of %s, size %llu\n",
	    (unsigned long long)ok, t.cp.origin, (unsigned long long)t.cp.size);
	if (unproven > 0)
		printf("%llu entries carry no proof (newer than the checkpoint)\n",
		    (unsigned long long)unproven);
	return 0;
}
