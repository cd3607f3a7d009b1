/*
 * sandbox.h: the seccomp filter cairnd installs after dropping privileges
 * (sandbox.c says what it denies and why it is a deny-list).
 */
#ifndef CAIRND_SANDBOX_H
#define CAIRND_SANDBOX_H

#include <stddef.h>

/*
 * Installs the filter on the calling process, every thread included, for
 * good: the denied system calls fail with EPERM from then on.  Sets
 * no_new_privs.  Returns 0, or an errno value with err saying what failed.
 */
int	sandbox_install(char *err, size_t errlen);

/* How many system calls the filter denies outright (for the log). */
size_t	sandbox_denied(void);

/*
 * 1 in a build with AddressSanitizer: LeakSanitizer's exit-time scan runs
 * in a process clone()d without CLONE_THREAD that ptrace()s the threads, so
 * those two stay allowed there.
 */
int	sandbox_sanitized(void);

#endif
