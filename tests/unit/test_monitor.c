/* test_monitor.c - unit tests of lib/monitor: the KLL sketch's rank
 * error and bounded size, HyperLogLog's accuracy, type inference and the
 * checks of a profile against a baseline. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "monitor/monitor.h"

/* A permutation of 0..n-1 (n prime-free of 48271's factors): the items
 * arrive in a scrambled order, so the sketch cannot profit from sorted
 * input. */
static double scrambled(uint64_t i, uint64_t n)
{
	return (double)((i * 48271u) % n);
}

START_TEST(kll_rank_error_within_half_a_percent)
{
	const uint64_t n = 1000000;
	struct monitor_kll s;
	double worst = 0;

	monitor_kll_init(&s, MONITOR_KLL_DEFAULT_K, MONITOR_KLL_DEFAULT_C);
	for (uint64_t i = 0; i < n; i++)
		monitor_kll_add(&s, scrambled(i, n));
	ck_assert_uint_eq(s.count, n);
	/* Bounded memory: about k / (1 - c) items, whatever n is. */
	ck_assert_uint_le(s.size, 2 * MONITOR_KLL_DEFAULT_K /
				      (1 - MONITOR_KLL_DEFAULT_C));
	for (int p = 1; p < 100; p++) {
		double v = (double)n * p / 100;
		double truth = (v + 1) / (double)n;
		double e = fabs(monitor_kll_cdf(&s, v) - truth);
		double q = monitor_kll_quantile(&s, p / 100.0) / (double)n;

		worst = fmax(worst, e);
		ck_assert_double_le(fabs(q - p / 100.0), 0.005);
	}
	ck_assert_double_le(worst, 0.005);
	monitor_kll_release(&s);
}
END_TEST

START_TEST(kll_small_inputs_are_exact)
{
	struct monitor_kll s;

	monitor_kll_init(&s, MONITOR_KLL_DEFAULT_K, MONITOR_KLL_DEFAULT_C);
	ck_assert_double_eq(monitor_kll_cdf(&s, 1), 0);
	for (int i = 1; i <= 100; i++)
		monitor_kll_add(&s, i);
	ck_assert_double_eq(monitor_kll_cdf(&s, 50), 0.5);
	ck_assert_double_eq(monitor_kll_quantile(&s, 0.25), 25);
	ck_assert_double_eq(monitor_kll_quantile(&s, 1), 100);
	monitor_kll_release(&s);
}
END_TEST

START_TEST(kll_json_round_trip_and_distance)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct monitor_kll a, b, c;
	json_t *j;

	monitor_kll_init(&a, 64, MONITOR_KLL_DEFAULT_C);
	monitor_kll_init(&c, 64, MONITOR_KLL_DEFAULT_C);
	for (int i = 0; i < 10000; i++) {
		monitor_kll_add(&a, scrambled((uint64_t)i, 10000));
		monitor_kll_add(&c, scrambled((uint64_t)i, 10000) + 5000);
	}
	j = monitor_kll_to_json(&a);
	ck_assert_int_eq(monitor_kll_from_json(&b, j, "t", &err), 0);
	ck_assert_uint_eq(b.size, a.size);
	ck_assert_double_eq(monitor_kll_cdf(&a, 1234),
			    monitor_kll_cdf(&b, 1234));
	ck_assert_double_eq(monitor_kll_linf(&a, &b), 0);
	/* Half the mass of one lies past all of the other. */
	ck_assert_double_le(fabs(monitor_kll_linf(&a, &c) - 0.5), 0.05);
	json_decref(j);
	j = json_pack("{s:{s:i},s:[]}", "parameters", "k", 64, "data");
	ck_assert_int_eq(monitor_kll_from_json(&b, j, "t", &err), MLOPS_EINPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "t: malformed KLL sketch"));
	json_decref(j);
	monitor_kll_release(&a);
	monitor_kll_release(&b);
	monitor_kll_release(&c);
}
END_TEST

START_TEST(hll_estimates_within_three_percent)
{
	static const unsigned sizes[] = {10, 1000, 50000, 1000000};

	for (size_t k = 0; k < sizeof(sizes) / sizeof(*sizes); k++) {
		struct monitor_hll *h = malloc(sizeof(*h));
		char key[32];

		monitor_hll_init(h);
		for (unsigned i = 0; i < sizes[k]; i++) {
			int n = snprintf(key, sizeof(key), "v%u", i);

			monitor_hll_add_hash(h,
					     monitor_hll_hash(key, (size_t)n));
			/* Repeats change nothing. */
			monitor_hll_add_hash(h,
					     monitor_hll_hash(key, (size_t)n));
		}
		ck_assert_double_le(fabs(monitor_hll_estimate(h) - sizes[k]),
				    0.03 * sizes[k] + 0.5);
		free(h);
	}
}
END_TEST

static void profile_of(struct monitor_profile *p, const char *csv, int want)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	FILE *f = tmpfile();

	fputs(csv, f);
	fflush(f);
	rewind(f);
	ck_assert_int_eq(monitor_profile_read(p, fileno(f), "t.csv",
					      MONITOR_PROFILE_CSV, 1, &err),
			 want);
	fclose(f);
}

START_TEST(types_are_inferred_as_deequ_does)
{
	struct monitor_profile p;

	profile_of(&p, "i,f,s,u,e\n1,1.5,a,,-2\n-3,2,1,,1e3\n+4,,x,,\n", 0);
	ck_assert_uint_eq(p.item_count, 3);
	ck_assert_int_eq(monitor_profile_column_type(&p.cols[0]),
			 MONITOR_PROFILE_INTEGRAL);
	ck_assert_int_eq(monitor_profile_column_type(&p.cols[1]),
			 MONITOR_PROFILE_FRACTIONAL);
	ck_assert_int_eq(monitor_profile_column_type(&p.cols[2]),
			 MONITOR_PROFILE_STRING);
	ck_assert_int_eq(monitor_profile_column_type(&p.cols[3]),
			 MONITOR_PROFILE_UNKNOWN);
	ck_assert_int_eq(monitor_profile_column_type(&p.cols[4]),
			 MONITOR_PROFILE_FRACTIONAL);
	ck_assert_double_eq(p.cols[0].sum, 2);
	ck_assert_double_eq(p.cols[0].min, -3);
	ck_assert_uint_eq(p.cols[1].n_missing, 1);
	ck_assert_uint_eq(monitor_profile_column_distinct(&p.cols[2]), 3);
	monitor_profile_release(&p);
}
END_TEST

START_TEST(distinct_counts_switch_to_hyperloglog_past_the_cap)
{
	struct monitor_profile p;
	char *csv = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&csv, &len);

	fputs("id\n", f);
	for (int i = 0; i < 20000; i++)
		fprintf(f, "k%d\n", i);
	fclose(f);
	profile_of(&p, csv, 0);
	ck_assert_int_eq(p.cols[0].dist_overflow, 1);
	ck_assert_uint_eq(p.cols[0].ndist, MONITOR_PROFILE_DISTINCT_CAP);
	ck_assert_uint_le(
	    llabs((long long)monitor_profile_column_distinct(&p.cols[0]) -
		  20000),
	    600);
	monitor_profile_release(&p);
	free(csv);
}
END_TEST

START_TEST(check_finds_each_violation_type)
{
	static const char *const want[] = {
	    "a:data_type_check",          "a:non_negative_check",
	    "b:completeness_check",       "b:baseline_drift_check",
	    "c:categorical_values_check", "c:baseline_drift_check",
	    "d:missing_column_check",     "e:extra_column_check"};
	struct mlops_err err = MLOPS_ERR_INIT;
	struct monitor_profile base, cur;
	struct monitor_report_baseline b;
	json_t *v, *x;
	size_t i;

	profile_of(&base, "a,b,c,d\n1,1,x,1\n2,2,x,1\n3,3,y,1\n4,4,x,1\n", 0);
	profile_of(&cur, "a,b,c,e\n-1,1,z,1\nq,,z,1\n3,3,x,1\n4,4,x,1\n", 0);
	b.statistics = monitor_report_statistics(&base);
	b.constraints = monitor_report_constraints(&base);
	v = monitor_check(&b, &cur, &err);
	ck_assert_ptr_nonnull(v);
	ck_assert_uint_eq(json_array_size(json_object_get(v, "violations")),
			  sizeof(want) / sizeof(*want));
	json_array_foreach(json_object_get(v, "violations"), i, x)
	{
		char got[128];

		snprintf(got, sizeof(got), "%s:%s",
			 json_string_value(json_object_get(x, "feature_name")),
			 json_string_value(
			     json_object_get(x, "constraint_check_type")));
		ck_assert_str_eq(got, want[i]);
	}
	json_decref(v);
	/* The data of the baseline itself violates nothing. */
	v = monitor_check(&b, &base, &err);
	ck_assert_uint_eq(json_array_size(json_object_get(v, "violations")), 0);
	json_decref(v);
	monitor_report_baseline_release(&b);
	monitor_profile_release(&base);
	monitor_profile_release(&cur);
}
END_TEST

START_TEST(bad_input_is_refused_with_its_line)
{
	struct monitor_profile p;

	profile_of(&p, "", MLOPS_EINPUT);
	profile_of(&p, "a,b\n", MLOPS_EINPUT);
	profile_of(&p, "a,a\n1,2\n", MLOPS_EINPUT);
	profile_of(&p, "a,b\n1,2\n3\n", MLOPS_EINPUT);
	profile_of(&p, "a\nok\n\xff\n", MLOPS_EINPUT);
}
END_TEST

START_TEST(numbers_read_exactly_as_strtod_reads_them)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct monitor_profile p;
	char *csv = NULL, **strs = calloc(100000, sizeof(*strs));
	size_t len = 0;
	FILE *f = open_memstream(&csv, &len);
	uint64_t x = 88172645463325252ull;

	fputs("x\n", f);
	for (int i = 0; i < 100000; i++) {
		char s[64];
		int ip, fd;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		ip = (int)(x % 100000000);
		fd = (int)((x >> 32) % 17);
		/* Up to 8 + 16 digits: both sides of the fast path. */
		snprintf(s, sizeof(s), "%s%d.%0*llu", x & 1 ? "-" : "", ip, fd,
			 fd ? (unsigned long long)((x >> 20) %
			 (uint64_t)pow(10, fd)) : 0ull);
		if (fd == 0)
			strcat(s, "0");
		strs[i] = strdup(s);
		fprintf(f, "%s\n", s);
	}
	fclose(f);
	f = tmpfile();
	fwrite(csv, 1, len, f);
	fflush(f);
	rewind(f);
	ck_assert_int_eq(monitor_profile_read_values(&p, fileno(f), "t.csv",
						     MONITOR_PROFILE_CSV, 1,
						     &err), 0);
	fclose(f);
	ck_assert_uint_eq(p.cols[0].nvalues, 100000);
	for (int i = 0; i < 100000; i++) {
		ck_assert_msg(p.cols[0].values[i] == strtod(strs[i], NULL),
			      "%s", strs[i]);
		free(strs[i]);
	}
	free(strs);
	free(csv);
	monitor_profile_release(&p);
}
END_TEST

/* The kind and value monitor_number_parse gives s, checked against
 * strtod bit for bit (so -0.0 is not 0.0) when s is a number. */
static void parse_like_strtod(const char *s, int kind)
{
	double v = 12345, want;
	int got = monitor_number_parse(s, strlen(s), &v);

	ck_assert_msg(got == kind, "'%.40s': kind %d, not %d", s, got, kind);
	if (kind == MONITOR_NUMBER_TEXT)
		return;
	want = strtod(s, NULL);
	ck_assert_msg(memcmp(&v, &want, sizeof(v)) == 0,
		      "'%.40s': %.17g, strtod %.17g", s, v, want);
}

START_TEST(number_parse_edge_cases)
{
	static const char *const integral[] = {
		"0", "-0", "+0", "7", "+7", "-7", "007", "9007199254740992",
		"9007199254740993", "9007199254740995", "18446744073709551615",
		"9999999999999999999", "123456789012345678901234567890",
		"-99999999999999999999999",
	};
	static const char *const fractional[] = {
		"1.", ".5", "-.5", "+.5", "0.1", "0.30000000000000004",
		"1e5", "1E+5", "1e-5", "-1.5e-300", "1e22", "1e23", "1e-22",
		"1e-23", "4.9e-324", "2.2250738585072011e-308",
		"1.7976931348623157e308", "1e-400", "0e99999999999",
		"-0.0", "123456789.123456789123", "0.000000000000000000001",
		"9007199254740993.0", "1.00000000000000011102230246251565",
		"2.5e-1", "00000000000000000000000001.5",
	};
	static const char *const text[] = {
		"", "nan", "NaN", "inf", "-inf", "Infinity", "0x1p3", "0x10",
		"1e", "1e+", "e5", "+", "-", ".", "1.2.3", " 1", "1 ",
		"1,0", "--1", "1e400", "-1e400", "1e99999999999", "1_000",
		"\xef\xbc\x91", "1d5", "1f",
	};
	char big[1200];

	for (size_t i = 0; i < sizeof(integral) / sizeof(*integral); i++)
		parse_like_strtod(integral[i], MONITOR_NUMBER_INTEGRAL);
	for (size_t i = 0; i < sizeof(fractional) / sizeof(*fractional); i++)
		parse_like_strtod(fractional[i], MONITOR_NUMBER_FRACTIONAL);
	for (size_t i = 0; i < sizeof(text) / sizeof(*text); i++)
		parse_like_strtod(text[i], MONITOR_NUMBER_TEXT);
	/* Huge digit strings: 300 nines with a fraction, 400 (past
	 * DBL_MAX), 800 digits after the point, 1000 digits of an
	 * integer. */
	memset(big, '9', 300);
	strcpy(big + 300, ".5");
	parse_like_strtod(big, MONITOR_NUMBER_FRACTIONAL);
	memset(big, '9', 400);
	strcpy(big + 400, ".5");
	parse_like_strtod(big, MONITOR_NUMBER_TEXT);
	strcpy(big, "0.");
	memset(big + 2, '0', 797);
	strcpy(big + 799, "17");
	parse_like_strtod(big, MONITOR_NUMBER_FRACTIONAL);
	memset(big, '7', 1000);
	big[1000] = '\0';
	parse_like_strtod(big, MONITOR_NUMBER_TEXT);
	/* Not NUL-terminated: only len bytes are read. */
	{
		double v = 0;

		ck_assert_int_eq(monitor_number_parse("12345", 3, &v),
				 MONITOR_NUMBER_INTEGRAL);
		ck_assert_double_eq(v, 123);
	}
}
END_TEST

/* The padded parser gives every string of up to 9 bytes over digits,
 * '.', '-', '+', 'e' and a byte above 0x7f the kind and the value (bit
 * for bit) the plain one gives, whatever follows the string. */
START_TEST(number_parse_padded_is_number_parse)
{
	static const char alphabet[] = "0159.-+e\xc3";
	const size_t na = sizeof(alphabet) - 1;
	char buf[9 + 8];

	for (size_t len = 0; len <= 9; len++) {
		size_t total = 1;

		/* Every string of up to 6 bytes (9^6 = 531,441), as many
		 * of the longer ones. */
		for (size_t i = 0; i < len && i < 6; i++)
			total *= na;
		for (size_t k = 0; k < total; k++) {
			size_t x = len <= 6 ? k : k * 2654435761u;
			double want = 0, got = 0;
			int kw, kg;

			for (size_t i = 0; i < len; i++, x /= na)
				buf[i] = alphabet[x % na];
			/* Past the end: what a next field may hold. */
			memcpy(buf + len, k % 2 ? "7.5,\"x\"\n" : "\0\0\0\0\0\0\0\0", 8);
			kw = monitor_number_parse(buf, len, &want);
			kg = monitor_number_parse_padded(buf, len, &got);
			ck_assert_msg(kw == kg, "'%.*s': kind %d, not %d",
				      (int)len, buf, kg, kw);
			ck_assert_msg(kw == MONITOR_NUMBER_TEXT ||
				      memcmp(&want, &got, sizeof(got)) == 0,
				      "'%.*s': %.17g, not %.17g", (int)len,
				      buf, got, want);
		}
	}
}
END_TEST

START_TEST(number_parse_rounds_as_strtod_on_random_input)
{
	uint64_t x = 0x2545f4914f6cdd1dull;

	for (int i = 0; i < 200000; i++) {
		char s[80], mant[32];
		int nd, point, e;
		size_t n = 0;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		nd = 1 + (int)(x % 21);
		for (int d = 0; d < nd; d++)
			mant[d] = (char)('0' + (x >> (3 * d % 60)) % 10);
		mant[nd] = '\0';
		point = (int)((x >> 40) % (uint64_t)(nd + 2)) - 1;
		e = (int)((x >> 48) % 81) - 40;
		if (x >> 63)
			s[n++] = '-';
		for (int d = 0; d < nd; d++) {
			if (d == point)
				s[n++] = '.';
			s[n++] = mant[d];
		}
		if (point == nd)
			s[n++] = '.';
		s[n] = '\0';
		if ((x >> 56) % 3 == 0)
			snprintf(s + n, sizeof(s) - n, "e%d", e);
		parse_like_strtod(s, point < 0 && (x >> 56) % 3 != 0 ?
					     MONITOR_NUMBER_INTEGRAL :
					     MONITOR_NUMBER_FRACTIONAL);
	}
}
END_TEST

/* Values of the first shape spread evenly over their range (KLL's level
 * 0 of a column: sorted in buckets by value), of the second far apart
 * (crowded buckets, then the radix sort). */
static double sort_sample(uint64_t *x, int shape)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	if (shape == 0)
		return *x % 7 == 0 ? (*x % 2 ? -0.0 : 0.0)
				    : ldexp((double)(*x >> 11), -53) - 0.5;
	switch (*x % 5) {
	case 0: return (double)(*x >> 54) - 512;
	case 1: return -0.0;
	case 2: return 0.0;
	case 3: return ldexp((double)(*x >> 11), -40) - 4096;
	default: return (*x >> 1) % 2 ? 1e300 : -1e-300;
	}
}

START_TEST(sort_doubles_agrees_with_qsort)
{
	static const size_t sizes[] = {0, 1, 17, 63, 64, 300, 5000, 70000};
	uint64_t x = 88172645463325252ull;

	for (int shape = 0; shape < 2; shape++)
	for (size_t k = 0; k < sizeof(sizes) / sizeof(*sizes); k++) {
		size_t n = sizes[k];
		double *a = malloc((n + 1) * sizeof(*a));
		double *b = malloc((n + 1) * sizeof(*b));

		for (size_t i = 0; i < n; i++)
			a[i] = b[i] = sort_sample(&x, shape);
		monitor_sort_doubles(a, n);
		qsort(b, n, sizeof(*b), monitor_sort_cmp_double);
		for (size_t i = 0; i < n; i++) {
			ck_assert_msg(a[i] == b[i], "n %zu, item %zu", n, i);
			/* -0.0 comes before 0.0. */
			ck_assert_msg(i == 0 || a[i] != 0 || !signbit(a[i]) ||
				      signbit(a[i - 1]),
				      "n %zu, item %zu: 0.0 before -0.0", n,
				      i);
		}
		free(a);
		free(b);
	}
}
END_TEST

/* statistics.json and constraints.json of csv read with threads. */
static char *report_with(const char *csv, unsigned threads, int strings_only)
{
	struct monitor_profile_opts o = {MONITOR_PROFILE_CSV, 1, 0, threads,
					 strings_only};
	struct mlops_err err = MLOPS_ERR_INIT;
	struct monitor_profile p;
	FILE *f = tmpfile();
	json_t *j;
	char *out;

	fputs(csv, f);
	fflush(f);
	rewind(f);
	ck_assert_int_eq(monitor_profile_read_opts(&p, fileno(f), "t.csv", &o,
						   &err), 0);
	fclose(f);
	/* Only a String column has value counts with strings_only, unless
	 * a column turned String after numbers and the file was read
	 * again counting every column. */
	for (size_t i = 0; i < p.ncols && p.strings_only; i++)
		if (monitor_profile_column_type(&p.cols[i]) !=
		    MONITOR_PROFILE_STRING)
			ck_assert_uint_eq(p.cols[i].ndist, 0);
	j = json_pack("[o,o]", monitor_report_statistics(&p),
		      monitor_report_constraints(&p));
	out = json_dumps(j, JSON_SORT_KEYS);
	json_decref(j);
	monitor_profile_release(&p);
	return out;
}

/* CSV past several blocks of rows: numbers, text, blanks, a column
 * that turns to String late (late_text, or never for NULL), one that
 * starts with text and goes on with numbers, and with quoted a quoted
 * field that only the general reader reads. */
static char *mixed_csv(const char *late_text, int quoted)
{
	char *csv = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&csv, &len);
	uint64_t x = 7;

	fputs("a,b,c,d,e,f\n", f);
	for (int i = 0; i < 30000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		fprintf(f, "%d,%.4f,k%d,%s,%s,%s\n", (int)(x % 1000),
			(double)(x >> 11) / 9007199254740992.0 * 100,
			(int)(x >> 20) % 3000, x % 7 ? "1.5" : "",
			i == 25000 && late_text ? late_text : "3",
			i == 0 ? (quoted ? "\"first\"" : "first") : "2.25");
	}
	fclose(f);
	return csv;
}

START_TEST(profile_is_the_same_for_any_thread_count)
{
	char *csv = mixed_csv("late", 0), *one, *more;

	one = report_with(csv, 1, 0);
	for (unsigned t = 2; t <= 4; t++) {
		more = report_with(csv, t, 0);
		ck_assert_str_eq(one, more);
		free(more);
	}
	free(one);
	free(csv);
}
END_TEST

/* Counting the values of String columns only changes nothing in the
 * report, whichever reader reads the file, whenever a column turns
 * String (the read after numbers starts again), for any thread count. */
START_TEST(profile_strings_only_gives_the_same_report)
{
	static const char *const late[] = {NULL, "late", "3"};

	for (int q = 0; q < 2; q++)
		for (size_t k = 0; k < sizeof(late) / sizeof(*late); k++) {
			char *csv = mixed_csv(late[k], q);
			char *all = report_with(csv, 1, 0);

			for (unsigned t = 1; t <= 3; t++) {
				char *only = report_with(csv, t, 1);

				ck_assert_str_eq(all, only);
				free(only);
			}
			free(all);
			free(csv);
		}
}
END_TEST

/* statistics.json rendered a feature per thread is the document
 * rendered whole, byte for byte: numbers, strings, a column with only
 * blanks, names that need escaping, one column. */
START_TEST(statistics_text_is_the_document_rendered_whole)
{
	static const char *const csvs[] = {
		"x\n1\n2\n",
		"a,\"b \"\"q\"\"\",c\n1,t\\u,\n2.5,\"line\nend\",\n",
	};
	char *mixed = mixed_csv("late", 1);

	for (size_t k = 0; k <= sizeof(csvs) / sizeof(*csvs); k++) {
		struct monitor_profile p;
		json_t *doc;
		char *whole;

		profile_of(&p, k < sizeof(csvs) / sizeof(*csvs) ? csvs[k]
								: mixed,
			   0);
		doc = monitor_report_statistics(&p);
		whole = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
						JSON_REAL_PRECISION(17));
		for (unsigned t = 1; t <= 3; t++) {
			struct buf text = BUF_INIT;

			monitor_report_statistics_text(&text, &p, t);
			ck_assert_uint_eq(text.len, strlen(whole) + 1);
			ck_assert(memcmp(text.s, whole, strlen(whole)) == 0);
			ck_assert_int_eq(text.s[text.len - 1], '\n');
			buf_release(&text);
		}
		free(whole);
		json_decref(doc);
		monitor_profile_release(&p);
	}
	free(mixed);
}
END_TEST

START_TEST(kll_add_many_is_add_one_by_one)
{
	struct monitor_kll a, b;
	double v[1000];
	char *ja, *jb;
	json_t *j;

	monitor_kll_init(&a, MONITOR_KLL_DEFAULT_K, MONITOR_KLL_DEFAULT_C);
	monitor_kll_init(&b, MONITOR_KLL_DEFAULT_K, MONITOR_KLL_DEFAULT_C);
	for (uint64_t r = 0; r < 300; r++) {
		for (uint64_t i = 0; i < 1000; i++) {
			v[i] = scrambled(r * 1000 + i, 300000);
			monitor_kll_add(&a, v[i]);
		}
		monitor_kll_add_many(&b, v, 1 + r % 1000);
		monitor_kll_add_many(&b, v + 1 + r % 1000, 999 - r % 1000);
	}
	j = monitor_kll_to_json(&a);
	ja = json_dumps(j, 0);
	json_decref(j);
	j = monitor_kll_to_json(&b);
	jb = json_dumps(j, 0);
	json_decref(j);
	ck_assert_str_eq(ja, jb);
	free(ja);
	free(jb);
	monitor_kll_release(&a);
	monitor_kll_release(&b);
}
END_TEST

/* One sort of the sketch for many values gives each value's cdf, in
 * whatever order the values come. */
START_TEST(kll_cdf_many_is_cdf_of_each)
{
	static const double v[] = {-1, 0.1, 0.25, 0.25, 0.5, 0.9, 2, 0.3,
				   NAN, 0.7, -0.5};
	size_t n = sizeof(v) / sizeof(*v);
	struct monitor_kll s;
	double out[sizeof(v) / sizeof(*v)];

	monitor_kll_init(&s, MONITOR_KLL_DEFAULT_K, MONITOR_KLL_DEFAULT_C);
	for (uint64_t i = 0; i < 200000; i++)
		monitor_kll_add(&s, scrambled(i, 200000));
	monitor_kll_cdf_many(&s, v, n, out);
	for (size_t j = 0; j < n; j++)
		ck_assert_msg(out[j] == monitor_kll_cdf(&s, v[j]), "value %zu",
			      j);
	monitor_kll_release(&s);
}
END_TEST

/* The report of csv read from a pipe (the general reader). */
static char *report_of_pipe(const char *csv)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct monitor_profile p;
	int fd[2];
	json_t *j;
	char *out;

	ck_assert_int_eq(pipe(fd), 0);
	ck_assert_int_eq(write(fd[1], csv, strlen(csv)), (ssize_t)strlen(csv));
	close(fd[1]);
	ck_assert_int_eq(monitor_profile_read(&p, fd[0], "t.csv",
					      MONITOR_PROFILE_CSV, 1, &err),
			 0);
	close(fd[0]);
	j = json_pack("[o,o]", monitor_report_statistics(&p),
		      monitor_report_constraints(&p));
	out = json_dumps(j, JSON_SORT_KEYS);
	json_decref(j);
	monitor_profile_release(&p);
	return out;
}

/* The fast reader scans eight bytes at a time for bytes below ','
 * (some of them ordinary: space, tab, !, #, +): fields of every length
 * and such bytes at every offset split as the general reader splits
 * them, with and without a last line end. */
START_TEST(fast_csv_splits_as_the_general_reader)
{
	static const char pick[] = " \t!#$%&'()*+-.0123456789az";
	uint64_t x = 99;

	for (int last_lf = 0; last_lf < 2; last_lf++) {
		char *csv = NULL, *fast, *general;
		size_t len = 0;
		FILE *f = open_memstream(&csv, &len);

		fputs("a,b,c\n", f);
		for (int r = 0; r < 1500; r++) {
			for (int c = 0; c < 3; c++) {
				x ^= x << 13;
				x ^= x >> 7;
				x ^= x << 17;
				for (int i = 0; i < (int)(x % 11); i++)
					fputc(pick[(x >> (8 + 4 * i)) %
						   (sizeof(pick) - 1)],
					      f);
				fputc(c < 2 ? ',' : '\n', f);
			}
		}
		fclose(f);
		if (!last_lf)
			csv[--len] = '\0';
		fast = report_with(csv, 1, 0);
		general = report_of_pipe(csv);
		ck_assert_str_eq(fast, general);
		free(fast);
		free(general);
		free(csv);
	}
}
END_TEST

/* Level 0 is compacted in runs of at least 512 items (k 2048), not of
 * the fewer its geometric capacity gives a deep sketch. */
START_TEST(kll_level0_compacts_in_long_runs)
{
	struct monitor_kll s;
	size_t before = 0, runs = 0;

	monitor_kll_init(&s, MONITOR_KLL_DEFAULT_K, MONITOR_KLL_DEFAULT_C);
	for (uint64_t i = 0; i < 1000000; i++) {
		monitor_kll_add(&s, scrambled(i, 1000000));
		/* The add after before items made the run. */
		if (s.levels[0].n < before) {
			ck_assert_uint_ge(before + 1, 512);
			runs++;
		}
		before = s.levels[0].n;
	}
	ck_assert_uint_gt(runs, 0);
	ck_assert_uint_gt(s.nlevels, 8);
	monitor_kll_release(&s);
}
END_TEST

Suite *suite_monitor(void)
{
	Suite *s = suite_create("monitor");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, kll_rank_error_within_half_a_percent);
	tcase_add_test(tc, kll_small_inputs_are_exact);
	tcase_add_test(tc, kll_json_round_trip_and_distance);
	tcase_add_test(tc, hll_estimates_within_three_percent);
	tcase_add_test(tc, types_are_inferred_as_deequ_does);
	tcase_add_test(tc, distinct_counts_switch_to_hyperloglog_past_the_cap);
	tcase_add_test(tc, check_finds_each_violation_type);
	tcase_add_test(tc, bad_input_is_refused_with_its_line);
	tcase_add_test(tc, numbers_read_exactly_as_strtod_reads_them);
	tcase_add_test(tc, number_parse_edge_cases);
	tcase_add_test(tc, number_parse_rounds_as_strtod_on_random_input);
	tcase_add_test(tc, number_parse_padded_is_number_parse);
	tcase_add_test(tc, sort_doubles_agrees_with_qsort);
	tcase_add_test(tc, profile_is_the_same_for_any_thread_count);
	tcase_add_test(tc, profile_strings_only_gives_the_same_report);
	tcase_add_test(tc, kll_add_many_is_add_one_by_one);
	tcase_add_test(tc, kll_level0_compacts_in_long_runs);
	tcase_add_test(tc, fast_csv_splits_as_the_general_reader);
	tcase_add_test(tc, kll_cdf_many_is_cdf_of_each);
	tcase_add_test(tc, statistics_text_is_the_document_rendered_whole);
	suite_add_tcase(s, tc);
	return s;
}
