/*
 * export.h: signed, compressed regulatory exports (schemas/EXPORT.md) and
 * their offline verification.  The writer streams one read pass over the
 * store, making the XML text itself, and hands it to a second thread that
 * compresses it with zstd into a file, hashing the compressed bytes for the
 * minisign signature as they go out; memory does not grow with the number
 * of entries (only with what the findings must remember: accounts with
 * notices or opt-outs, passing mobile hashes).
 */
#ifndef CAIRN_EXPORT_H
#define CAIRN_EXPORT_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "cairn.h"

struct cairn_seckey;
struct cairn_pubkey;

#define CAIRN_EXPORT_LATE_DEFAULT	86400	/* seconds */

/* Kinds: the six streams a report covers, and one account's history. */
enum cairn_export_kind {
	CAIRN_EXPORT_REALNAME,
	CAIRN_EXPORT_TAKEDOWN,
	CAIRN_EXPORT_SCREENING,
	CAIRN_EXPORT_ACCOUNT,
	CAIRN_EXPORT_LABELING,
	CAIRN_EXPORT_SYSTEM,
	CAIRN_EXPORT_HISTORY,
	CAIRN_EXPORT_NKINDS
};

/* Name of a kind ("account-history" for CAIRN_EXPORT_HISTORY). */
const char *cairn_export_kind_name(int kind);
/* Kind of a name, or -1. */
int	cairn_export_kind_parse(const char *);

struct cairn_export_opts {
	int		 kind;
	const char	*account;	/* CAIRN_EXPORT_HISTORY only */
	int64_t		 from_us, to_us; /* the period [from, to) over received */
	int64_t		 late_after;	/* seconds; 0: the default */
	const char	*dir;		/* output directory (must exist) */
	const char	*name;		/* file base name; NULL: made up */
	/* Called now and then with entries written so far (may be NULL). */
	void		(*progress)(void *, uint64_t done, uint64_t total);
	void		*progress_arg;
};

struct cairn_export_result {
	char		path[PATH_MAX];		/* NAME.xml.zst */
	char		sigpath[PATH_MAX];	/* NAME.xml.zst.minisig */
	char		name[128];
	uint64_t	entries;	/* in the period */
	uint64_t	margin;		/* outside it, between the checkpoints */
	uint64_t	context;
	uint64_t	findings;
	uint64_t	xml_bytes;	/* uncompressed */
	uint64_t	file_bytes;	/* compressed */
	uint64_t	start_size, end_size;
	uint8_t		root[CAIRN_HASH_LEN];	/* end checkpoint's root */
	uint8_t		file_sha256[CAIRN_HASH_LEN];
	char		keyid[17];
	char		err[512];	/* on failure: what went wrong */
};

/*
 * Writes NAME.xml.zst and NAME.xml.zst.minisig into opts->dir.  The end
 * checkpoint (the first made at or after opts->to_us) must already exist:
 * the caller makes one (CAIRN_ENOTFOUND and res->err say so otherwise).
 * Files appear only complete (written to temporaries, fsync'd, renamed).
 */
int	cairn_export_write(cairn_store *, const struct cairn_seckey *,
	    const struct cairn_export_opts *, struct cairn_export_result *);

/*
 * The fields of the system.report_generated entry for an export just
 * written (kind, period, file_sha256, token if who, account for
 * account-history), as compact JSON object text; malloc'd, NULL when out of
 * memory.
 */
char	*cairn_export_generated_fields(const struct cairn_export_opts *,
	    const struct cairn_export_result *, const char *who);

/* One line of the verifier's report. */
typedef void (*cairn_export_say)(void *, int ok, const char *check,
	    const char *detail);

struct cairn_export_check {
	const char	*path;		/* NAME.xml.zst */
	const char	*sigpath;	/* NULL: path + ".minisig" */
	const char	*previous;	/* an older export of the same kind, or NULL */
	const char	*prevsig;	/* NULL: previous + ".minisig" */
	int		 skip_schema;	/* 1: no XSD pass (benchmarks only) */
	cairn_export_say say;
	void		*arg;
	/* Filled in: */
	uint64_t	 entries;	/* entry elements checked */
	double		 schema_secs, check_secs;
	char		 kind[32];
};

/*
 * Verifies an export offline against a trusted public key, reporting each
 * check through say(); 0 if all pass, CAIRN_EBADSIG / CAIRN_EPROOF /
 * CAIRN_ECORRUPT / CAIRN_EFORMAT ... for the first class of failure.
 */
int	cairn_export_verify(const struct cairn_pubkey *,
	    struct cairn_export_check *);
/*
 * The same against several trusted keys, as across a key rotation: the
 * minisign signature must be by the key it names among them, each
 * checkpoint signed by one of them (a checkpoint signed by none is
 * reported with the key hashes it is signed by).  npub >= 1.
 */
int	cairn_export_verify_keys(const struct cairn_pubkey *, size_t npub,
	    struct cairn_export_check *);

/*
 * The whole document of an export (decompressed as it is parsed), for
 * readings that need it at once (the HTML rendering); NULL and err filled
 * if it is not zstd-compressed, well-formed XML.  Free with xmlFreeDoc().
 */
struct _xmlDoc;
struct _xmlDoc *cairn_export_read_doc(const char *path, char *err,
	    size_t errlen);

/* The export schema (schemas/export-1.xsd), embedded. */
extern const unsigned char cairn_export_xsd[];
extern const size_t cairn_export_xsd_len;

#endif
