/* fault.c - an LD_PRELOAD shim that makes the Nth call of one kind fail
 * (or crash), to test that every program of the toolchain reports an I/O
 * or allocation failure and leaves the store in its old state or its new.
 *
 * Build: make build/tests/fault.so. Use (tests/fault/run drives it):
 *
 *   LD_PRELOAD=build/tests/fault.so FAULT_CALL=write FAULT_N=3 \
 *   FAULT_MARK=/tmp/x.fired mlops-registry register -a m.bin g
 *
 * Settings, from the environment:
 *   FAULT_CALL    the kind of call counted and failed: step (sqlite3_step,
 *                 the program's own calls, not SQLite's: see from_sqlite),
 *                 write (write, pwrite, pwrite64, writev), fsync (fsync,
 *                 fdatasync), rename (rename, renameat, renameat2),
 *                 malloc (malloc, calloc, realloc), open (open, open64,
 *                 openat, openat64, fopen, fopen64)
 *   FAULT_N       fail the Nth call of that kind (1 is the first); 0 or
 *                 unset only counts
 *   FAULT_ERRNO   EIO, ENOSPC or ENOMEM (default ENOMEM for malloc, else
 *                 EIO); a failed step returns SQLITE_IOERR, SQLITE_FULL or
 *                 SQLITE_NOMEM to match
 *   FAULT_ACTION  "fail" (default) or "kill": raise SIGKILL instead, a
 *                 crash at exactly that call
 *   FAULT_MARK    a file created when the failure is injected; while it
 *                 exists no other process fails, so one command tree (mlops
 *                 execs mlops-SUB, the gateway forks workers) gets exactly
 *                 one fault, and the driver knows whether N was reached
 *   FAULT_COUNTS  a file to which each process appends, at exit,
 *                 "PROGRAM CALL COUNT": how many calls it saw
 *   FAULT_PATH    count (and fail) only calls on a file whose path holds
 *                 this string (write and fsync: the descriptor's file;
 *                 rename: either name); steps and allocations are then
 *                 not counted. "/capture/" aims at the gateway's data
 *                 capture and spares its network and database
 *
 * Only programs whose name starts with "mlops" count and fail; the
 * commands they run (pipeline steps, python workers) are left alone. The
 * marker and count files are written with raw system calls so that the
 * shim never counts itself. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <sqlite3.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);

enum kind { K_NONE, K_STEP, K_WRITE, K_FSYNC, K_RENAME, K_MALLOC, K_OPEN };
static const char *const kind_names[] = {
	"none", "step", "write", "fsync", "rename", "malloc", "open" };

static enum kind kind;		/* K_NONE until the constructor is done */
static long target, seen;
static const char *path_filter;	/* FAULT_PATH */
static int err_no = EIO, do_kill;

static int (*real_step)(sqlite3_stmt *);
static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_pwrite)(int, const void *, size_t, off_t);
static ssize_t (*real_pwrite64)(int, const void *, size_t, off_t);
static ssize_t (*real_writev)(int, const struct iovec *, int);
static int (*real_fsync)(int);
static int (*real_fdatasync)(int);
static int (*real_rename)(const char *, const char *);
static int (*real_renameat)(int, const char *, int, const char *);
static int (*real_renameat2)(int, const char *, int, const char *,
			     unsigned);
static int (*real_open)(const char *, int, ...);
static int (*real_open64)(const char *, int, ...);
static int (*real_openat)(int, const char *, int, ...);
static int (*real_openat64)(int, const char *, int, ...);
static FILE *(*real_fopen)(const char *, const char *);
static FILE *(*real_fopen64)(const char *, const char *);

#define RESOLVE(p, name) (*(void **)&(p) = dlsym(RTLD_NEXT, name))
/* The real function, resolved on first use: other libraries' constructors
 * (libxgboost reads cgroup files) may call before ours has run. */
#define REAL(p, name) ((p) ? (p) : (RESOLVE(p, name), (p)))

static void raw_append(const char *path, const char *s)
{
	int fd = (int)syscall(SYS_openat, AT_FDCWD, path,
			      O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

	if (fd < 0)
		return;
	syscall(SYS_write, fd, s, strlen(s));
	syscall(SYS_close, fd);
}

__attribute__((constructor)) static void fault_init(void)
{
	const char *call = getenv("FAULT_CALL");
	const char *e = getenv("FAULT_ERRNO");
	const char *n = getenv("FAULT_N");
	const char *a = getenv("FAULT_ACTION");
	enum kind k = K_NONE;

	if (strncmp(program_invocation_short_name, "mlops", 5) != 0 || !call)
		return;
	for (size_t i = 1; i < sizeof(kind_names) / sizeof(*kind_names); i++)
		if (strcmp(call, kind_names[i]) == 0)
			k = (enum kind)i;
	if (k == K_MALLOC)
		err_no = ENOMEM;
	if (e && strcmp(e, "ENOSPC") == 0)
		err_no = ENOSPC;
	else if (e && strcmp(e, "ENOMEM") == 0)
		err_no = ENOMEM;
	else if (e && strcmp(e, "EIO") == 0)
		err_no = EIO;
	target = n ? strtol(n, NULL, 10) : 0;
	do_kill = a && strcmp(a, "kill") == 0;
	path_filter = getenv("FAULT_PATH");
	if (path_filter && !*path_filter)
		path_filter = NULL;
	kind = k;
}

__attribute__((destructor)) static void fault_fini(void)
{
	const char *path = getenv("FAULT_COUNTS");
	char line[256];

	if (kind == K_NONE || !path)
		return;
	snprintf(line, sizeof(line), "%s %s %ld\n",
		 program_invocation_short_name, kind_names[kind], seen);
	raw_append(path, line);
}

/* 1 when FAULT_PATH lets a call on path (NULL: on descriptor fd, -1:
 * on no file) count. */
static int path_counts(const char *path, int fd)
{
	char link[64], buf[4096];
	long n;

	if (!path_filter)
		return 1;
	if (!path && fd >= 0) {
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		n = syscall(SYS_readlinkat, AT_FDCWD, link, buf,
			    sizeof(buf) - 1);
		if (n <= 0)
			return 0;
		buf[n] = '\0';
		path = buf;
	}
	return path && strstr(path, path_filter) != NULL;
}

/* 1 when this call, of kind k on path or fd (see path_counts), is the
 * one to fail. */
static int hit_on(enum kind k, const char *path, int fd)
{
	const char *mark;
	int mfd;

	if (kind != k || !path_counts(path, fd) || ++seen != target)
		return 0;
	mark = getenv("FAULT_MARK");
	if (mark) {
		mfd = (int)syscall(SYS_openat, AT_FDCWD, mark,
				   O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
				   0644);
		if (mfd < 0)
			return 0;	/* another process of the tree failed */
		syscall(SYS_write, mfd, kind_names[k], strlen(kind_names[k]));
		syscall(SYS_close, mfd);
	}
	if (do_kill)
		raise(SIGKILL);
	errno = err_no;
	return 1;
}

#define hit(k) hit_on(k, NULL, -1)

/* Of a rename's two names, the one FAULT_PATH would count. */
static const char *either(const char *from, const char *to)
{
	return path_filter && !strstr(from, path_filter) ? to : from;
}

/* 1 when the caller at address ret is SQLite itself: sqlite3_exec,
 * running its schema load through the exported sqlite3_step. Such a step
 * is not failed: a real error inside it comes from the VFS (the other
 * kinds), and SQLite reports it, whereas a step refused before it runs
 * is lost by sqlite3_exec (its finalize says SQLITE_OK), which would
 * leave the schema half read, a state no real fault makes. */
static int from_sqlite(void *ret)
{
	static void *base;
	Dl_info me, caller;

	if (!base && dladdr((void *)REAL(real_step, "sqlite3_step"), &me))
		base = me.dli_fbase;
	return base && dladdr(ret, &caller) && caller.dli_fbase == base;
}

int sqlite3_step(sqlite3_stmt *q)
{
	if (!from_sqlite(__builtin_return_address(0)) && hit(K_STEP))
		return err_no == ENOSPC ? SQLITE_FULL :
		       err_no == ENOMEM ? SQLITE_NOMEM : SQLITE_IOERR;
	return REAL(real_step, "sqlite3_step")(q);
}

ssize_t write(int fd, const void *p, size_t n)
{
	return hit_on(K_WRITE, NULL, fd) ? -1 : REAL(real_write, "write")(fd, p, n);
}

ssize_t pwrite(int fd, const void *p, size_t n, off_t off)
{
	return hit_on(K_WRITE, NULL, fd) ? -1 :
	       REAL(real_pwrite, "pwrite")(fd, p, n, off);
}

ssize_t pwrite64(int fd, const void *p, size_t n, off_t off)
{
	return hit_on(K_WRITE, NULL, fd) ? -1 :
	       REAL(real_pwrite64, "pwrite64")(fd, p, n, off);
}

ssize_t writev(int fd, const struct iovec *v, int n)
{
	return hit_on(K_WRITE, NULL, fd) ? -1 :
	       REAL(real_writev, "writev")(fd, v, n);
}

int fsync(int fd)
{
	return hit_on(K_FSYNC, NULL, fd) ? -1 : REAL(real_fsync, "fsync")(fd);
}

int fdatasync(int fd)
{
	return hit_on(K_FSYNC, NULL, fd) ? -1 :
	       REAL(real_fdatasync, "fdatasync")(fd);
}

int rename(const char *from, const char *to)
{
	return hit_on(K_RENAME, either(from, to), -1) ? -1 :
	       REAL(real_rename, "rename")(from, to);
}

int renameat(int dfrom, const char *from, int dto, const char *to)
{
	return hit_on(K_RENAME, either(from, to), -1) ? -1 :
	       REAL(real_renameat, "renameat")(dfrom, from, dto, to);
}

int renameat2(int dfrom, const char *from, int dto, const char *to,
	      unsigned flags)
{
	return hit_on(K_RENAME, either(from, to), -1) ? -1 :
	       REAL(real_renameat2, "renameat2")(dfrom, from, dto, to, flags);
}

/* open and openat take a mode only with O_CREAT or O_TMPFILE. */
#define MODE_ARG(flags, mode)						\
	do {								\
		if ((flags) & (O_CREAT | O_TMPFILE)) {			\
			va_list ap;					\
			va_start(ap, flags);				\
			mode = va_arg(ap, int);				\
			va_end(ap);					\
		}							\
	} while (0)

int open(const char *path, int flags, ...)
{
	int mode = 0;

	MODE_ARG(flags, mode);
	return hit_on(K_OPEN, path, -1) ? -1 :
	       REAL(real_open, "open")(path, flags, mode);
}

int open64(const char *path, int flags, ...)
{
	int mode = 0;

	MODE_ARG(flags, mode);
	return hit_on(K_OPEN, path, -1) ? -1 :
	       REAL(real_open64, "open64")(path, flags, mode);
}

int openat(int dir, const char *path, int flags, ...)
{
	int mode = 0;

	MODE_ARG(flags, mode);
	return hit_on(K_OPEN, path, -1) ? -1 :
	       REAL(real_openat, "openat")(dir, path, flags, mode);
}

int openat64(int dir, const char *path, int flags, ...)
{
	int mode = 0;

	MODE_ARG(flags, mode);
	return hit_on(K_OPEN, path, -1) ? -1 :
	       REAL(real_openat64, "openat64")(dir, path, flags, mode);
}

FILE *fopen(const char *path, const char *how)
{
	return hit_on(K_OPEN, path, -1) ? NULL :
	       REAL(real_fopen, "fopen")(path, how);
}

FILE *fopen64(const char *path, const char *how)
{
	return hit_on(K_OPEN, path, -1) ? NULL :
	       REAL(real_fopen64, "fopen64")(path, how);
}

/* Built for sanitized programs (FAULT_NO_MALLOC), the shim leaves
 * allocation to AddressSanitizer, whose allocator must see every block:
 * the malloc kind is then never hit (tests skip it). */
#ifndef FAULT_NO_MALLOC
void *malloc(size_t n)
{
	return hit(K_MALLOC) ? NULL : __libc_malloc(n);
}

void *calloc(size_t n, size_t size)
{
	return hit(K_MALLOC) ? NULL : __libc_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
	if (n > 0 && hit(K_MALLOC))
		return NULL;
	return __libc_realloc(p, n);
}
#endif
