/*
 * checkutil.h: what the Check unit tests share: running the suite, and a
 * scratch directory made before and removed after each test.  Included by
 * test programs only (one translation unit each), hence static inline.
 */
#ifndef CAIRN_CHECKUTIL_H
#define CAIRN_CHECKUTIL_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <check.h>

static char scratch_dir[64];

/* Makes a fresh scratch directory named after the test program. */
static inline void
scratch_make(const char *name)
{
	snprintf(scratch_dir, sizeof scratch_dir, "/tmp/cairn-test-%s-XXXXXX",
	    name);
	ck_assert_ptr_nonnull(mkdtemp(scratch_dir));
}

/* nftw callback removing one entry. */
static inline int
scratch_rm(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

/* Removes the scratch directory and everything in it. */
static inline void
scratch_remove(void)
{
	nftw(scratch_dir, scratch_rm, 16, FTW_DEPTH | FTW_PHYS);
}

/* A path inside the scratch directory (32 rotating buffers: ample per test). */
static inline const char *
tpath(const char *name)
{
	static char buf[32][256];
	static int i;

	i = (i + 1) % 32;
	snprintf(buf[i], sizeof buf[i], "%s/%s", scratch_dir, name);
	return buf[i];
}

/* Runs a suite; the test program's exit status. */
static inline int
check_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif
