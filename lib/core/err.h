/* err.h - the error type every library function reports through.
 *
 * A failing function returns a negative code whose magnitude is the exit
 * status documented in DESIGN.md, and fills the caller's struct mlops_err
 * with a message saying what, where and why. lib/ never prints or exits;
 * cmd/ prints the message and exits with -code. */
#ifndef MLOPS_ERR_H
#define MLOPS_ERR_H

enum {
	MLOPS_OK = 0,
	MLOPS_EUSAGE = -2,	/* the command line is wrong */
	MLOPS_EINPUT = -3,	/* input data or a spec is malformed */
	MLOPS_ENOTFOUND = -4,	/* not found, or conflicting state */
	MLOPS_EPERM = -5,	/* the acting persona may not do this */
	MLOPS_EINTERNAL = -70	/* I/O, database, or a bug */
};

/* Exit status 1 is a finding (violations, a diff), not an error. */
#define MLOPS_EXIT_FINDING 1

struct mlops_err {
	int code;		/* 0 or one of the negative codes above */
	char msg[1024];		/* "" when code is 0 */
};

#define MLOPS_ERR_INIT { 0, "" }

/* Set err (which may be NULL) to code and a formatted message; returns code
 * so that "return mlops_err_set(err, ...)" reads naturally. */
int mlops_err_set(struct mlops_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Like mlops_err_set, appending ": strerror(errno_value)". */
int mlops_err_errno(struct mlops_err *err, int code, int errno_value,
		    const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Put context the caller alone knows in front of the message already set:
 * "customers.csv: " + "line 4: ...". Returns err->code. */
int mlops_err_prefix(struct mlops_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Reset err to no error. */
void mlops_err_clear(struct mlops_err *err);

/* The exit status for a code: 0, 2, 3, 4, 5 or 70. */
int mlops_err_exit_status(int code);

#endif
