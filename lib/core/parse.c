/* parse.c - strict integer, double and size parsing. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/parse.h"

int parse_int64(const char *s, int64_t min, int64_t max, int64_t *out,
		const char *what, struct mlops_err *err)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (end == s || *end || errno == ERANGE || isspace((unsigned char)*s))
		return mlops_err_set(err, MLOPS_EINPUT,
				     "%s: \"%s\" is not an integer", what, s);
	if (v < min || v > max)
		return mlops_err_set(err, MLOPS_EINPUT,
				     "%s: %lld is out of range (%lld to %lld)",
				     what, v, (long long)min, (long long)max);
	*out = v;
	return 0;
}

int parse_double(const char *s, double *out, const char *what,
		 struct mlops_err *err)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	/* strtod also reads C's hex floats ("0x1p3"), which no CSV or JSON
	 * reader downstream does: decimal only. */
	if (end == s || *end || errno == ERANGE || !isfinite(v) ||
	    isspace((unsigned char)*s) || strpbrk(s, "xX"))
		return mlops_err_set(err, MLOPS_EINPUT,
				     "%s: \"%s\" is not a number", what, s);
	*out = v;
	return 0;
}

int parse_size(const char *s, uint64_t *out, const char *what,
	       struct mlops_err *err)
{
	static const struct {
		const char *unit;
		uint64_t mult;
	} units[] = {
		{ "", 1 }, { "B", 1 }, { "K", 1024 }, { "KB", 1024 },
		{ "M", 1024 * 1024 }, { "MB", 1024 * 1024 },
		{ "G", 1024 * 1024 * 1024 }, { "GB", 1024 * 1024 * 1024 },
	};
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno || v < 0 || !isdigit((unsigned char)*s))
		goto bad;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcasecmp(end, units[i].unit) == 0) {
			if (v * (double)units[i].mult > 1.8e19)
				goto bad;
			*out = (uint64_t)(v * (double)units[i].mult);
			return 0;
		}
bad:
	return mlops_err_set(err, MLOPS_EINPUT,
			     "%s: \"%s\" is not a size (such as 512KB or 4MB)",
			     what, s);
}
