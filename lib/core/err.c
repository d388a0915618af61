/* err.c - filling struct mlops_err; see err.h for the contract. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"

static void format_into(char *dst, size_t size, const char *fmt, va_list ap)
{
	int n = vsnprintf(dst, size, fmt, ap);

	if (n < 0)
		snprintf(dst, size, "(unprintable message)");
}

int mlops_err_set(struct mlops_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;
	err->code = code;
	va_start(ap, fmt);
	format_into(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}

int mlops_err_errno(struct mlops_err *err, int code, int errno_value,
		    const char *fmt, ...)
{
	va_list ap;
	size_t len;

	if (!err)
		return code;
	err->code = code;
	va_start(ap, fmt);
	format_into(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	len = strlen(err->msg);
	snprintf(err->msg + len, sizeof(err->msg) - len, ": %s",
		 strerror(errno_value));
	return code;
}

int mlops_err_prefix(struct mlops_err *err, const char *fmt, ...)
{
	char old[sizeof(err->msg)];
	size_t plen, olen;
	va_list ap;

	memcpy(old, err->msg, sizeof(old));
	va_start(ap, fmt);
	format_into(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	plen = strlen(err->msg);
	olen = strlen(old);
	if (olen > sizeof(err->msg) - 1 - plen)
		olen = sizeof(err->msg) - 1 - plen;
	memcpy(err->msg + plen, old, olen);
	err->msg[plen + olen] = '\0';
	return err->code;
}

void mlops_err_clear(struct mlops_err *err)
{
	err->code = 0;
	err->msg[0] = '\0';
}

int mlops_err_exit_status(int code)
{
	switch (code) {
	case MLOPS_OK:
		return 0;
	case MLOPS_EUSAGE:
	case MLOPS_EINPUT:
	case MLOPS_ENOTFOUND:
	case MLOPS_EPERM:
		return -code;
	default:
		return 70;
	}
}
