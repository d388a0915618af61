/* time.h - timestamps and durations.
 *
 * Times are int64 microseconds since the Unix epoch, UTC. Text forms are
 * RFC 3339 ("2026-11-25T14:55:18Z", optional fraction, "Z" or "+hh:mm")
 * and Unix seconds ("1764082518" or "1764082518.25"). Durations are a
 * number with a unit: "250ms", "30s", "10m", "2h", "30d", "1w". */
#ifndef MLOPS_TIME_H
#define MLOPS_TIME_H
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define TIME_US_PER_SEC INT64_C(1000000)
#define TIME_RFC3339_MAX 64

/* The current time (CLOCK_REALTIME). */
int64_t time_now_us(void);
/* A monotonic clock, for measuring intervals. */
int64_t time_mono_us(void);

/* Parse RFC 3339 or Unix seconds into *out; 0, or MLOPS_EINPUT with a
 * message naming s. */
int time_parse(const char *s, int64_t *out, struct mlops_err *err);
/* Only ISO 8601's common form "2026-11-25T14:55:18[.25](Z|+hh:mm)", as
 * a string event time must be: 0, or -1. */
int time_parse_iso8601(const char *s, int64_t *out);
/* Only Unix seconds ("1764082518", "1764082518.25"): 0, or -1. */
int time_parse_unix(const char *s, int64_t *out);
/* Format as Unix seconds, with the fraction only when there is one
 * ("1764082518", "1764082518.25"). */
void time_format_unix(int64_t us, char out[TIME_RFC3339_MAX]);
/* Format as RFC 3339 UTC: seconds when the fraction is zero, else
 * microseconds ("2026-11-25T14:55:18.250000Z"). */
void time_format(int64_t us, char out[TIME_RFC3339_MAX]);
/* Always with milliseconds, as logs and events want: "...18.250Z". */
void time_format_ms(int64_t us, char out[TIME_RFC3339_MAX]);

/* Parse a duration into microseconds; a bare number means seconds. */
int time_parse_duration(const char *s, int64_t *out, struct mlops_err *err);

#endif
