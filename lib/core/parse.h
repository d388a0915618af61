/* parse.h - strict number parsing: the whole string must be the number. */
#ifndef MLOPS_PARSE_H
#define MLOPS_PARSE_H
#include <stdint.h>

#include "core/err.h"

/* Parse a decimal integer in [min, max]; MLOPS_EINPUT naming what. */
int parse_int64(const char *s, int64_t min, int64_t max, int64_t *out,
		const char *what, struct mlops_err *err);
/* Parse a finite double; MLOPS_EINPUT naming what. */
int parse_double(const char *s, double *out, const char *what,
		 struct mlops_err *err);
/* Sizes such as "4MB", "512KB", "1GB", "100" (bytes); powers of 1024. */
int parse_size(const char *s, uint64_t *out, const char *what,
	       struct mlops_err *err);

#endif
