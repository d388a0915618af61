/* time.c - RFC 3339 and Unix-seconds timestamps, durations. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/time.h"

int64_t time_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * TIME_US_PER_SEC + ts.tv_nsec / 1000;
}

int64_t time_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * TIME_US_PER_SEC + ts.tv_nsec / 1000;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil), so that no time zone or timegm() is involved. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (unsigned)((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1);
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int days_in_month(int64_t y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
				    30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : days[m - 1];
}

/* Read exactly n digits at *p into *out. */
static int digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

static int parse_unix(const char *s, int64_t *out)
{
	char *end;
	double v;
	long long whole;

	if (!*s)
		return -1;
	for (const char *p = s; *p; p++)
		if (!isdigit((unsigned char)*p) && *p != '.' && *p != '-')
			return -1;
	errno = 0;
	if (!strchr(s, '.')) {
		whole = strtoll(s, &end, 10);
		if (errno || *end || whole > INT64_MAX / TIME_US_PER_SEC ||
		    whole < INT64_MIN / TIME_US_PER_SEC)
			return -1;
		*out = (int64_t)whole * TIME_US_PER_SEC;
		return 0;
	}
	v = strtod(s, &end);
	if (errno || *end || v > 9.2e12 || v < -9.2e12)
		return -1;
	*out = (int64_t)(v * 1e6 + (v >= 0 ? 0.5 : -0.5));
	return 0;
}

/* RFC 3339; strict: only ISO 8601's common form, with an upper-case
 * 'T' and 'Z' and no leap second, which every reader of the offline
 * store takes (DuckDB reads "t", "z" or ":60" as NULL). */
static int parse_rfc3339(const char *s, int64_t *out, int strict)
{
	const char *p = s;
	int y, mo, d, h, mi, sec, oh = 0, om = 0;
	int64_t frac = 0, t;

	if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) ||
	    *p++ != '-' || digits(&p, 2, &d))
		return -1;
	if (*p != 'T' && (strict || (*p != 't' && *p != ' ')))
		return -1;
	p++;
	if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi) ||
	    *p++ != ':' || digits(&p, 2, &sec))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) ||
	    h > 23 || mi > 59 || sec > (strict ? 59 : 60))
		return -1;
	if (*p == '.') {
		int64_t scale = 100000;

		p++;
		if (!isdigit((unsigned char)*p))
			return -1;
		while (isdigit((unsigned char)*p)) {
			frac += (*p - '0') * scale;
			scale /= 10;
			p++;
		}
	}
	if (*p == 'Z' || (*p == 'z' && !strict)) {
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p++ == '-' ? -1 : 1;

		if (digits(&p, 2, &oh) || *p++ != ':' || digits(&p, 2, &om) ||
		    oh > 23 || om > 59)
			return -1;
		oh *= sign;
		om *= sign;
	} else {
		return -1;
	}
	if (*p)
		return -1;
	t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
	t -= oh * 3600 + om * 60;
	*out = t * TIME_US_PER_SEC + frac;
	return 0;
}

int time_parse(const char *s, int64_t *out, struct mlops_err *err)
{
	if (parse_rfc3339(s, out, 0) == 0 || parse_unix(s, out) == 0)
		return 0;
	return mlops_err_set(err, MLOPS_EINPUT,
			     "\"%s\" is not a timestamp (RFC 3339 such as "
			     "2026-01-31T12:00:00Z, or Unix seconds)", s);
}

int time_parse_iso8601(const char *s, int64_t *out)
{
	return parse_rfc3339(s, out, 1);
}

int time_parse_unix(const char *s, int64_t *out)
{
	return parse_unix(s, out);
}

void time_format_unix(int64_t us, char out[TIME_RFC3339_MAX])
{
	int64_t secs = us / TIME_US_PER_SEC, frac = us % TIME_US_PER_SEC;
	const char *sign = "";
	int digits = 6;

	if (frac == 0) {
		snprintf(out, TIME_RFC3339_MAX, "%lld", (long long)secs);
		return;
	}
	if (us < 0) {
		/* -0.25 has no whole seconds to carry the sign. */
		sign = "-";
		secs = -secs;
		frac = -frac;
	}
	while (frac % 10 == 0) {
		frac /= 10;
		digits--;
	}
	snprintf(out, TIME_RFC3339_MAX, "%s%lld.%0*lld", sign,
		 (long long)secs, digits, (long long)frac);
}

static void format(int64_t us, char out[TIME_RFC3339_MAX], int style)
{
	int64_t secs = us / TIME_US_PER_SEC, frac = us % TIME_US_PER_SEC;
	int64_t days, y, rem;
	int m, d;

	if (frac < 0) {
		frac += TIME_US_PER_SEC;
		secs--;
	}
	days = secs / 86400;
	rem = secs % 86400;
	if (rem < 0) {
		rem += 86400;
		days--;
	}
	civil_from_days(days, &y, &m, &d);
	if (style == 1)
		snprintf(out, TIME_RFC3339_MAX,
			 "%04lld-%02d-%02dT%02d:%02d:%02d.%03dZ", (long long)y,
			 m, d, (int)(rem / 3600), (int)(rem / 60 % 60),
			 (int)(rem % 60), (int)(frac / 1000));
	else if (frac)
		snprintf(out, TIME_RFC3339_MAX,
			 "%04lld-%02d-%02dT%02d:%02d:%02d.%06dZ", (long long)y,
			 m, d, (int)(rem / 3600), (int)(rem / 60 % 60),
			 (int)(rem % 60), (int)frac);
	else
		snprintf(out, TIME_RFC3339_MAX,
			 "%04lld-%02d-%02dT%02d:%02d:%02dZ", (long long)y, m, d,
			 (int)(rem / 3600), (int)(rem / 60 % 60),
			 (int)(rem % 60));
}

void time_format(int64_t us, char out[TIME_RFC3339_MAX])
{
	format(us, out, 0);
}

void time_format_ms(int64_t us, char out[TIME_RFC3339_MAX])
{
	format(us, out, 1);
}

int time_parse_duration(const char *s, int64_t *out, struct mlops_err *err)
{
	static const struct {
		const char *unit;
		int64_t us;
	} units[] = {
		{ "us", 1 }, { "ms", 1000 }, { "s", TIME_US_PER_SEC },
		{ "", TIME_US_PER_SEC }, { "m", 60 * TIME_US_PER_SEC },
		{ "h", 3600 * TIME_US_PER_SEC },
		{ "d", 86400 * TIME_US_PER_SEC },
		{ "w", 7 * 86400 * TIME_US_PER_SEC },
	};
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno || v < 0 || !isdigit((unsigned char)*s))
		goto bad;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].unit) != 0)
			continue;
		if (v > 9.2e18 / (double)units[i].us)
			goto bad;
		*out = (int64_t)(v * (double)units[i].us + 0.5);
		return 0;
	}
bad:
	return mlops_err_set(err, MLOPS_EINPUT,
			     "\"%s\" is not a duration (a number and a unit "
			     "among ms, s, m, h, d, w, such as 30s or 7d)", s);
}
