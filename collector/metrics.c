/*
 * metrics.c: counters and histograms for GET /metrics (Prometheus text
 * format 0.0.4).  Updates are relaxed atomics: cheap on every path.
 */
#include <stdint.h>
#include <string.h>

#include "cairnd.h"

static uint64_t counters[M_NCOUNTERS];
static uint64_t queue_depth;

static const struct {
	const char *name, *help, *label;
} cinfo[M_NCOUNTERS] = {
	[M_RECEIVED] = { "cairn_events_received_total",
	    "Events handed to the writer.", NULL },
	[M_COMMITTED] = { "cairn_events_committed_total",
	    "Events stored by a durable commit.", NULL },
	[M_DUPLICATES] = { "cairn_events_duplicate_total",
	    "Re-sent events answered with their first receipt.", NULL },
	[M_REJECTED_INVALID] = { "cairn_events_rejected_total",
	    "Events refused, by reason.", "invalid" },
	[M_REJECTED_CONFLICT] = { "cairn_events_rejected_total", NULL, "conflict" },
	[M_REJECTED_AUTH] = { "cairn_events_rejected_total", NULL, "auth" },
	[M_REJECTED_FULL] = { "cairn_events_rejected_total", NULL, "store_full" },
	[M_REJECTED_TOOBIG] = { "cairn_events_rejected_total", NULL, "too_big" },
	[M_REJECTED_MALFORMED] = { "cairn_events_rejected_total", NULL,
	    "malformed" },
	[M_UDP_DROPS] = { "cairn_udp_drops_total",
	    "Syslog UDP datagrams dropped because the queue was full.", NULL },
	[M_SYSLOG_UNTRUSTED] = { "cairn_syslog_untrusted_total",
	    "Audit events over syslog from untrusted peers, kept as syslog.message.",
	    NULL },
	[M_SYSLOG_INVALID] = { "cairn_syslog_invalid_total",
	    "Audit events over syslog that failed validation, kept as "
	    "syslog.message.", NULL },
	[M_COMMIT_ERRORS] = { "cairn_commit_errors_total",
	    "Batches or checkpoints that failed to commit.", NULL },
	[M_CHECKPOINTS] = { "cairn_checkpoints_total",
	    "Checkpoints signed.", NULL },
	[M_HTTP_REQUESTS] = { "cairn_http_requests_total",
	    "HTTP requests answered.", NULL },
	[M_AUTH_THROTTLED] = { "cairn_auth_throttled_total",
	    "Requests refused (429) from an address that presented too many "
	    "invalid tokens.", NULL },
	[M_STALE_READERS] = { "cairn_stale_readers_cleared_total",
	    "Store reader slots left by processes that died mid-read, cleared "
	    "(until then they kept freed pages from reuse).", NULL },
};

/* Histogram bucket bounds. */
static const double batch_le[] = { 1, 10, 100, 1000, 10000 };
static const double commit_le[] = { 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025,
    0.05, 0.1, 0.25, 1 };
#define NBATCH (sizeof batch_le / sizeof batch_le[0])
#define NCOMMIT (sizeof commit_le / sizeof commit_le[0])
static uint64_t batch_b[NBATCH + 1], batch_count, batch_sum;
static uint64_t commit_b[NCOMMIT + 1], commit_count, commit_sum_ns;

void
metric_add(enum metric m, uint64_t n)
{
	__atomic_add_fetch(&counters[m], n, __ATOMIC_RELAXED);
}

void
metric_gauge_queue(uint64_t depth)
{
	__atomic_store_n(&queue_depth, depth, __ATOMIC_RELAXED);
}

void
metric_observe_batch(uint64_t events)
{
	size_t i;

	for (i = 0; i < NBATCH && (double)events > batch_le[i]; i++)
		;
	__atomic_add_fetch(&batch_b[i], 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&batch_count, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&batch_sum, events, __ATOMIC_RELAXED);
}

void
metric_observe_commit(double seconds)
{
	size_t i;

	for (i = 0; i < NCOMMIT && seconds > commit_le[i]; i++)
		;
	__atomic_add_fetch(&commit_b[i], 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&commit_count, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&commit_sum_ns, (uint64_t)(seconds * 1e9),
	    __ATOMIC_RELAXED);
}

static int
histogram(struct cairn_buf *b, const char *name, const char *help,
    const double *le, size_t n, const uint64_t *bucket, uint64_t count,
    double sum)
{
	uint64_t cum = 0;
	size_t i;
	int rc = 0;

	rc |= cairn_buf_printf(b, "# HELP %s %s\n# TYPE %s histogram\n", name,
	    help, name);
	for (i = 0; i < n; i++) {
		cum += __atomic_load_n(&bucket[i], __ATOMIC_RELAXED);
		rc |= cairn_buf_printf(b, "%s_bucket{le=\"%g\"} %llu\n", name, le[i],
		    (unsigned long long)cum);
	}
	cum += __atomic_load_n(&bucket[n], __ATOMIC_RELAXED);
	rc |= cairn_buf_printf(b, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %g\n"
	    "%s_count %llu\n", name, (unsigned long long)cum, name, sum, name,
	    (unsigned long long)count);
	return rc;
}

int
metrics_render(struct cairn_buf *b)
{
	const char *last = "";
	int i, rc = 0;

	for (i = 0; i < M_NCOUNTERS; i++) {
		if (cinfo[i].help != NULL && strcmp(last, cinfo[i].name) != 0)
			rc |= cairn_buf_printf(b, "# HELP %s %s\n# TYPE %s counter\n",
			    cinfo[i].name, cinfo[i].help, cinfo[i].name);
		last = cinfo[i].name;
		if (cinfo[i].label != NULL)
			rc |= cairn_buf_printf(b, "%s{reason=\"%s\"} %llu\n",
			    cinfo[i].name, cinfo[i].label, (unsigned long long)
			    __atomic_load_n(&counters[i], __ATOMIC_RELAXED));
		else
			rc |= cairn_buf_printf(b, "%s %llu\n", cinfo[i].name,
			    (unsigned long long)__atomic_load_n(&counters[i],
			    __ATOMIC_RELAXED));
	}
	rc |= cairn_buf_printf(b, "# HELP cairn_queue_depth Events waiting for "
	    "the writer.\n# TYPE cairn_queue_depth gauge\ncairn_queue_depth %llu\n",
	    (unsigned long long)__atomic_load_n(&queue_depth, __ATOMIC_RELAXED));
	if (cairnd.writer != NULL)
		rc |= cairn_buf_printf(b, "# HELP cairn_tree_size Entries in the "
		    "log.\n# TYPE cairn_tree_size gauge\ncairn_tree_size %llu\n",
		    (unsigned long long)writer_tree_size(cairnd.writer));
	rc |= histogram(b, "cairn_batch_events", "Events per committed batch.",
	    batch_le, NBATCH, batch_b, batch_count, (double)batch_sum);
	rc |= histogram(b, "cairn_commit_seconds", "Durable commit latency.",
	    commit_le, NCOMMIT, commit_b, commit_count,
	    (double)commit_sum_ns / 1e9);
	return rc ? CAIRN_ENOMEM : 0;
}
