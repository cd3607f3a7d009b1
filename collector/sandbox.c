/*
 * sandbox.c: the seccomp filter cairnd installs once it has dropped its
 * privileges, before it serves anyone.
 *
 * It is a deny-list: everything is allowed except the system calls below,
 * which cairnd never makes and which an attacker who took over the process
 * would want (run a program, read or steer another process, leave the
 * namespaces and mounts the service runs in, load code into the kernel,
 * set the clock the log's timestamps come from, regain an identity).  They
 * fail with EPERM.  Not an allow-list, on purpose: cairnd links GnuTLS,
 * libmicrohttpd, librelp, LMDB, zstd, libxml2 (and the sanitizers in test
 * builds), and the exact set of system calls those make changes from one
 * version to the next; an allow-list that killed the audit daemon, or
 * failed its writes, after a library update would cost users the very
 * records it exists to keep.  README.md and cairn.conf(5) say the same.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <seccomp.h>

#include "sandbox.h"

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED	1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED	0
#endif

static const char *const denied[] = {
	/* Running a program: cairnd never does, an attacker's first wish.
	 * Plain fork/vfork too (clone is below). */
	"execve", "execveat", "fork", "vfork",
	/* Reading or steering another process. */
	"process_vm_readv", "process_vm_writev", "pidfd_getfd",
	"process_madvise", "kcmp",
	/* Namespaces and mounts: ways out of the confinement the service
	 * manager set up (cairnd.service). */
	"mount", "umount2", "pivot_root", "chroot", "setns", "unshare",
	"fsopen", "fsconfig", "fsmount", "fspick", "move_mount", "open_tree",
	"mount_setattr",
	/* The kernel's larger attack surfaces and ways to load code into it. */
	"kexec_load", "kexec_file_load", "init_module", "finit_module",
	"delete_module", "bpf", "perf_event_open", "userfaultfd", "keyctl",
	"add_key", "request_key", "io_uring_setup", "io_uring_enter",
	"io_uring_register", "personality", "uselib", "lookup_dcookie",
	/* The machine: clocks (the log's "received" time), power, swap,
	 * ports, accounting, the kernel log, names. */
	"settimeofday", "clock_settime", "clock_adjtime", "adjtimex", "reboot",
	"swapon", "swapoff", "iopl", "ioperm", "acct", "syslog", "quotactl",
	"vhangup", "sethostname", "setdomainname",
	/* Files by handle, past the directories' permissions. */
	"open_by_handle_at", "name_to_handle_at",
	/* Identity: given up for good before the filter goes in (cairnd.c). */
	"setuid", "setgid", "setreuid", "setregid", "setresuid", "setresgid",
	"setfsuid", "setfsgid", "setgroups", "capset",
};

static size_t ndenied;

/* Formats an error for the caller; returns the errno value. */
static int
fail(char *err, size_t errlen, int rc, const char *what)
{
	if (rc < 0)
		rc = -rc;
	if (rc == 0)
		rc = EINVAL;
	snprintf(err, errlen, "%s: %s", what, strerror(rc));
	return rc;
}

/* Adds one rule by system call name; a call this architecture does not
 * have is skipped.  Returns 1 if added, 0 if skipped, or -errno. */
static int
deny(scmp_filter_ctx ctx, uint32_t action, const char *name,
    unsigned nargs, const struct scmp_arg_cmp *args)
{
	int nr, rc;

	if ((nr = seccomp_syscall_resolve_name(name)) == __NR_SCMP_ERROR)
		return 0;
	rc = seccomp_rule_add_array(ctx, action, nr, nargs, args);
	/* A negative number is a call of other architectures only. */
	if (rc != 0 && nr < 0)
		return 0;
	return rc == 0 ? 1 : rc;
}

/* The argument rules: new processes and socket families. */
static int
deny_args(scmp_filter_ctx ctx)
{
	struct scmp_arg_cmp a;
	uint32_t arch = seccomp_arch_native();
	unsigned flags_arg, af;
	int rc;

	/*
	 * clone without CLONE_THREAD makes a process, with it a thread
	 * (pthread_create).  s390 passes the flags second.  clone3 keeps its
	 * flags in memory, where a filter cannot look: answering ENOSYS makes
	 * the C library fall back to clone, which the rule above can check.
	 * LeakSanitizer's exit-time scan clones a process, so not there.
	 */
	flags_arg = arch == SCMP_ARCH_S390 || arch == SCMP_ARCH_S390X ? 1 : 0;
	if (!SANITIZED) {
		a = SCMP_CMP(flags_arg, SCMP_CMP_MASKED_EQ, CLONE_THREAD, 0);
		if ((rc = deny(ctx, SCMP_ACT_ERRNO(EPERM), "clone", 1, &a)) < 0)
			return rc;
		ndenied += (size_t)rc;
	}
	if ((rc = deny(ctx, SCMP_ACT_ERRNO(ENOSYS), "clone3", 0, NULL)) < 0)
		return rc;
	/*
	 * socket(): AF_UNIX (the local API, syslog(3)), AF_INET and AF_INET6
	 * only; not netlink, packet, vsock, bluetooth, alg...  Every other
	 * value up to AF_INET6 is denied one by one and everything above in
	 * one rule, which also catches a family with stray upper bits.
	 */
	for (af = 0; af < AF_INET6; af++) {
		if (af == AF_UNIX || af == AF_INET)
			continue;
		a = SCMP_A0(SCMP_CMP_EQ, af, 0);
		if ((rc = deny(ctx, SCMP_ACT_ERRNO(EPERM), "socket", 1, &a)) < 0)
			return rc;
	}
	a = SCMP_A0(SCMP_CMP_GT, AF_INET6, 0);
	if ((rc = deny(ctx, SCMP_ACT_ERRNO(EPERM), "socket", 1, &a)) < 0)
		return rc;
	return 0;
}

int
sandbox_install(char *err, size_t errlen)
{
	scmp_filter_ctx ctx;
	size_t i;
	int rc;

	ndenied = 0;
	if ((ctx = seccomp_init(SCMP_ACT_ALLOW)) == NULL)
		return fail(err, errlen, ENOMEM, "seccomp_init");
	/*
	 * Calls of another ABI (32-bit int 0x80, x32) would walk around a
	 * deny-list written for the native one: all are denied.  Every
	 * thread gets the filter (TSYNC), and no_new_privs is set (NNP).
	 */
	if ((rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
	    SCMP_ACT_ERRNO(EPERM))) != 0 ||
	    (rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 1)) != 0 ||
	    (rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1)) != 0) {
		seccomp_release(ctx);
		return fail(err, errlen, rc, "seccomp_attr_set");
	}
	for (i = 0; i < sizeof denied / sizeof denied[0]; i++) {
		if ((rc = deny(ctx, SCMP_ACT_ERRNO(EPERM), denied[i], 0,
		    NULL)) < 0) {
			seccomp_release(ctx);
			return fail(err, errlen, rc, denied[i]);
		}
		ndenied += (size_t)rc;
	}
	if (!SANITIZED) {
		if ((rc = deny(ctx, SCMP_ACT_ERRNO(EPERM), "ptrace", 0,
		    NULL)) < 0) {
			seccomp_release(ctx);
			return fail(err, errlen, rc, "ptrace");
		}
		ndenied += (size_t)rc;
	}
	if ((rc = deny_args(ctx)) < 0) {
		seccomp_release(ctx);
		return fail(err, errlen, rc, "argument rules");
	}
	rc = seccomp_load(ctx);
	seccomp_release(ctx);
	if (rc != 0)
		return fail(err, errlen, rc, "seccomp_load (does the kernel "
		    "have CONFIG_SECCOMP_FILTER?)");
	return 0;
}

size_t
sandbox_denied(void)
{
	return ndenied;
}

int
sandbox_sanitized(void)
{
	return SANITIZED;
}
