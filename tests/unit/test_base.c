/* test_base.c - unit tests of the small building blocks: err, buf,
 * fsutil paths, num, timefmt, hash, ids. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "core/buf.h"
#include "core/cli.h"
#include "core/err.h"
#include "core/fs.h"
#include "core/hash.h"
#include "core/id.h"
#include "core/jsonio.h"
#include "core/parse.h"
#include "core/time.h"
#include "core/xalloc.h"

START_TEST(err_set_returns_code_and_prefix_keeps_message)
{
	struct mlops_err err = MLOPS_ERR_INIT;

	ck_assert_int_eq(mlops_err_set(&err, MLOPS_EINPUT, "line %d: bad", 4),
			 MLOPS_EINPUT);
	mlops_err_prefix(&err, "%s:", "f.csv");
	ck_assert_str_eq(err.msg, "f.csv:line 4: bad");
	ck_assert_int_eq(mlops_err_exit_status(MLOPS_EINPUT), 3);
	ck_assert_int_eq(mlops_err_exit_status(MLOPS_EPERM), 5);
	ck_assert_int_eq(mlops_err_exit_status(-99), 70);
}
END_TEST

START_TEST(buf_addf_grows_past_first_allocation)
{
	struct buf b = BUF_INIT;

	for (int i = 0; i < 1000; i++)
		buf_addf(&b, "%d,", i);
	ck_assert_uint_eq(b.len, 3890);
	ck_assert_uint_eq(strlen(b.s), b.len);
	buf_release(&b);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_str_eq(b.s, "");
}
END_TEST

START_TEST(buf_getline_reads_lines_and_stops_at_the_bound)
{
	static const char text[] = "one\ntw\0o\n\nlast";
	struct mlops_err err = MLOPS_ERR_INIT;
	struct buf b = BUF_INIT;
	FILE *f = fmemopen((void *)text, sizeof(text) - 1, "r");

	ck_assert_int_eq(buf_getline(&b, f, 8, &err), 1);
	ck_assert_str_eq(b.s, "one");
	ck_assert_int_eq(buf_getline(&b, f, 8, &err), 1);
	ck_assert_uint_eq(b.len, 4);
	ck_assert_int_eq(memcmp(b.s, "tw\0o", 5), 0);
	ck_assert_int_eq(buf_getline(&b, f, 8, &err), 1);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_int_eq(buf_getline(&b, f, 8, &err), 1);
	ck_assert_str_eq(b.s, "last");
	ck_assert_int_eq(buf_getline(&b, f, 8, &err), 0);
	fclose(f);
	f = fmemopen((void *)text, sizeof(text) - 1, "r");
	ck_assert_int_eq(buf_getline(&b, f, 2, &err), MLOPS_EINPUT);
	ck_assert_str_eq(err.msg, "a line longer than 2 bytes");
	fclose(f);
	buf_release(&b);
}
END_TEST

START_TEST(buf_holds_nul_bytes_and_detaches)
{
	struct buf b = BUF_INIT;
	size_t len;
	char *s;

	buf_add(&b, "a\0b", 3);
	ck_assert_uint_eq(b.len, 3);
	s = buf_detach(&b, &len);
	ck_assert_uint_eq(len, 3);
	ck_assert_int_eq(memcmp(s, "a\0b", 4), 0);
	ck_assert_uint_eq(b.len, 0);
	free(s);
}
END_TEST

START_TEST(path_helpers_normalise)
{
	char *p = fs_path_join("a/", "/b");

	ck_assert_str_eq(p, "a/b");
	free(p);
	p = fs_path_dirname("x/y/z");
	ck_assert_str_eq(p, "x/y");
	free(p);
	p = fs_path_absolute("/a/./b//c/../d/");
	ck_assert_str_eq(p, "/a/b/d");
	free(p);
	p = fs_path_absolute("/..");
	ck_assert_str_eq(p, "/");
	free(p);
}
END_TEST

START_TEST(numbers_are_strict)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	int64_t i;
	double d;
	uint64_t sz;

	ck_assert_int_eq(parse_int64("42", 0, 100, &i, "n", &err), 0);
	ck_assert_int_eq(i, 42);
	ck_assert_int_eq(parse_int64("42x", 0, 100, &i, "n", &err),
			 MLOPS_EINPUT);
	ck_assert_int_eq(parse_int64("101", 0, 100, &i, "n", &err),
			 MLOPS_EINPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "out of range"));
	ck_assert_int_eq(parse_int64(" 1", 0, 100, &i, "n", &err),
			 MLOPS_EINPUT);
	ck_assert_int_eq(parse_double("1e3", &d, "x", &err), 0);
	ck_assert(d == 1000.0);
	ck_assert_int_eq(parse_double("nan", &d, "x", &err), MLOPS_EINPUT);
	ck_assert_int_eq(parse_double("0x1p3", &d, "x", &err), MLOPS_EINPUT);
	ck_assert_int_eq(parse_double("12,5", &d, "balance", &err),
			 MLOPS_EINPUT);
	ck_assert_str_eq(err.msg, "balance: \"12,5\" is not a number");
	ck_assert_int_eq(parse_size("4MB", &sz, "s", &err), 0);
	ck_assert_uint_eq(sz, 4u << 20);
}
END_TEST

START_TEST(time_parses_rfc3339_and_unix_seconds)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	char out[TIME_RFC3339_MAX];
	int64_t t;

	ck_assert_int_eq(time_parse("2026-11-25T14:55:18Z", &t, &err), 0);
	ck_assert_int_eq(t, INT64_C(1795618518) * TIME_US_PER_SEC);
	ck_assert_int_eq(time_parse("1795618518", &t, &err), 0);
	ck_assert_int_eq(t, INT64_C(1795618518) * TIME_US_PER_SEC);
	ck_assert_int_eq(time_parse("2026-11-25T15:55:18.5+01:00", &t, &err),
			 0);
	ck_assert_int_eq(t, INT64_C(1795618518500000));
	time_format(t, out);
	ck_assert_str_eq(out, "2026-11-25T14:55:18.500000Z");
	time_format_ms(t, out);
	ck_assert_str_eq(out, "2026-11-25T14:55:18.500Z");
	time_format(0, out);
	ck_assert_str_eq(out, "1970-01-01T00:00:00Z");
	ck_assert_int_eq(time_parse("2026-02-30T00:00:00Z", &t, &err),
			 MLOPS_EINPUT);
	ck_assert_int_eq(time_parse("yesterday", &t, &err), MLOPS_EINPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "\"yesterday\" is not a "
				     "timestamp"));
}
END_TEST

/* What a string event time may be, and the Unix seconds of the others:
 * each the one form every engine reading the offline store takes. */
START_TEST(time_iso8601_and_unix_forms_are_strict)
{
	char out[TIME_RFC3339_MAX];
	int64_t t;

	ck_assert_int_eq(time_parse_iso8601("2026-11-25T14:55:18Z", &t), 0);
	ck_assert_int_eq(t, INT64_C(1795618518) * TIME_US_PER_SEC);
	ck_assert_int_eq(time_parse_iso8601("2026-11-25T15:55:18.5+01:00",
					    &t), 0);
	ck_assert_int_eq(t, INT64_C(1795618518500000));
	ck_assert_int_eq(time_parse_iso8601("1795618518", &t), -1);
	ck_assert_int_eq(time_parse_iso8601("2026-11-25t14:55:18Z", &t), -1);
	ck_assert_int_eq(time_parse_iso8601("2026-11-25T14:55:18z", &t), -1);
	ck_assert_int_eq(time_parse_iso8601("2026-11-25 14:55:18Z", &t), -1);
	ck_assert_int_eq(time_parse_iso8601("2026-12-31T23:59:60Z", &t), -1);
	ck_assert_int_eq(time_parse_unix("1795618518.25", &t), 0);
	ck_assert_int_eq(t, INT64_C(1795618518250000));
	ck_assert_int_eq(time_parse_unix("2026-11-25T14:55:18Z", &t), -1);
	time_format_unix(INT64_C(1795618518) * TIME_US_PER_SEC, out);
	ck_assert_str_eq(out, "1795618518");
	time_format_unix(INT64_C(1795618518250000), out);
	ck_assert_str_eq(out, "1795618518.25");
	time_format_unix(INT64_C(1795618518000001), out);
	ck_assert_str_eq(out, "1795618518.000001");
	time_format_unix(-250000, out);
	ck_assert_str_eq(out, "-0.25");
	time_format_unix(INT64_C(-1250000), out);
	ck_assert_str_eq(out, "-1.25");
	ck_assert_int_eq(time_parse_unix(out, &t), 0);
	ck_assert_int_eq(t, INT64_C(-1250000));
}
END_TEST

START_TEST(time_round_trips_across_eras)
{
	char out[TIME_RFC3339_MAX];
	int64_t t, back;

	for (t = -INT64_C(5000000000); t < INT64_C(5000000000);
	     t += INT64_C(86399123)) {
		time_format(t * TIME_US_PER_SEC, out);
		ck_assert_int_eq(time_parse(out, &back, NULL), 0);
		ck_assert_int_eq(back, t * TIME_US_PER_SEC);
	}
}
END_TEST

START_TEST(durations_have_units)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	int64_t d;

	ck_assert_int_eq(time_parse_duration("30d", &d, &err), 0);
	ck_assert_int_eq(d, INT64_C(30) * 86400 * TIME_US_PER_SEC);
	ck_assert_int_eq(time_parse_duration("250ms", &d, &err), 0);
	ck_assert_int_eq(d, 250000);
	ck_assert_int_eq(time_parse_duration("2", &d, &err), 0);
	ck_assert_int_eq(d, 2 * TIME_US_PER_SEC);
	ck_assert_int_eq(time_parse_duration("10 parsecs", &d, &err),
			 MLOPS_EINPUT);
	ck_assert_int_eq(time_parse_duration("-1s", &d, &err), MLOPS_EINPUT);
}
END_TEST

START_TEST(sha256_matches_known_vectors)
{
	char hex[HASH_HEX_LEN + 1];

	hash_hex("abc", 3, hex);
	ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a"
			 "9cb410ff61f20015ad");
	ck_assert(hash_is_valid(hex));
	ck_assert(!hash_is_valid("BA7816"));
	ck_assert(hash_equal_ct("abc", "abc", 3));
	ck_assert(!hash_equal_ct("abc", "abd", 3));
}
END_TEST

/* a is "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx" in lowercase hex. */
static void check_uuid4(const char *a)
{
	ck_assert_uint_eq(strlen(a), 36);
	for (int i = 0; i < 36; i++)
		ck_assert_msg(i == 8 || i == 13 || i == 18 || i == 23 ?
			      a[i] == '-' : strchr("0123456789abcdef",
						   a[i]) != NULL, "%s", a);
	ck_assert_int_eq(a[14], '4');
	ck_assert(strchr("89ab", a[19]) != NULL);
}

START_TEST(uuids_are_version_4)
{
	char a[ID_UUID_LEN], b[ID_UUID_LEN], h[17];

	ck_assert_int_eq(id_uuid4(a, NULL), 0);
	ck_assert_int_eq(id_uuid4(b, NULL), 0);
	check_uuid4(a);
	ck_assert_str_ne(a, b);
	id_uuid4_fast(a);
	id_uuid4_fast(b);
	check_uuid4(a);
	check_uuid4(b);
	ck_assert_str_ne(a, b);
	ck_assert_int_eq(id_random_hex(h, 16, NULL), 0);
	ck_assert_uint_eq(strlen(h), 16);
}
END_TEST

/* getopt_long's answer for one option of a verb, as cli_getopt gives it. */
static int one_option(const struct option *opts, const char *arg)
{
	char *argv[] = { "verb", (char *)arg, NULL };
	struct cli cli = { "test", NULL, NULL };

	optind = 0;
	opterr = 0;
	return cli_getopt(2, argv, "h", opts, &cli, "usage: test verb\n");
}

START_TEST(cli_stops_are_never_options)
{
	/* Numbered as mlops-deploy's options once were, from 1000 up. */
	static const struct option opts[] = {
		{ "allow", no_argument, 0, 1000 },
		{ "capture", required_argument, 0, 1001 },
		{ "help", no_argument, 0, 'h' },
		{ "idle", required_argument, 0, 1002 }, { 0, 0, 0, 0 }
	};
	static const struct option negative[] = {
		{ "help", no_argument, 0, 'h' },
		{ "odd", no_argument, 0, -4 }, { 0, 0, 0, 0 }
	};
	int c;

	c = one_option(opts, "--help");
	ck_assert(CLI_EXIT(c));
	ck_assert_int_eq(CLI_STATUS(c), 0);
	c = one_option(opts, "--bogus");
	ck_assert(CLI_EXIT(c));
	ck_assert_int_eq(CLI_STATUS(c), 2);
	ck_assert_int_eq(one_option(opts, "--allow"), 1000);
	ck_assert_int_eq(one_option(opts, "--idle=1s"), 1002);
	/* A table that claims the frame's range is refused outright. */
	c = one_option(negative, "--odd");
	ck_assert(CLI_EXIT(c));
	ck_assert_int_eq(CLI_STATUS(c), 70);
	/* An option the verb forgot to handle is an internal error. */
	ck_assert_int_eq(CLI_STATUS(1001), 70);
}
END_TEST

/* jsonio_format of v, then v freed. */
static char *formatted(json_t *v)
{
	struct buf b = BUF_INIT;

	jsonio_format(&b, v);
	json_decref(v);
	return buf_detach(&b, NULL);
}

START_TEST(json_output_is_one_line_with_shortest_reals)
{
	static const struct { double d; const char *text; } reals[] = {
		{ 9.779, "9.779" }, { 4.203713, "4.203713" }, { 0.1, "0.1" },
		{ 5, "5.0" }, { -0.5, "-0.5" }, { 1e300, "1e+300" },
		{ 1.0 / 3, "0.3333333333333333" }, { 60, "60.0" },
		{ 0.30000000000000004, "0.30000000000000004" },
	};
	char *s;

	for (size_t i = 0; i < sizeof(reals) / sizeof(reals[0]); i++) {
		s = formatted(json_real(reals[i].d));
		ck_assert_str_eq(s, reals[i].text);
		ck_assert(strtod(s, NULL) == reals[i].d);
		free(s);
	}
	s = formatted(json_pack("{s:s,s:[i,f,b,n],s:{s:f}}", "na\"me\n",
				"x\xc3\xa9", "a", 1, 2.5, 1, "o", "d", 9.779));
	ck_assert_str_eq(s, "{\"na\\\"me\\n\":\"x\xc3\xa9\",\"a\":"
			 "[1,2.5,true,null],\"o\":{\"d\":9.779}}");
	free(s);
}
END_TEST

static void *no_memory(size_t n)
{
	(void)n;
	return NULL;
}

/* An object written while jansson cannot allocate (it sorts the keys)
 * ends the process as any allocation failure does, rather than leaving
 * an empty text where the object belonged: event rule add stored an
 * empty pattern so and said nothing. */
START_TEST(json_output_without_memory_exits_70)
{
	json_t *o = json_pack("{s:i,s:i}", "b", 1, "a", 2);
	struct buf b = BUF_INIT;

	json_set_alloc_funcs(no_memory, free);
	jsonio_append(&b, o);
	ck_abort_msg("jsonio_append returned '%s'", b.s);
}
END_TEST

Suite *suite_base(void)
{
	Suite *s = suite_create("base");
	TCase *tc = tcase_create("base");

	tcase_add_test(tc, err_set_returns_code_and_prefix_keeps_message);
	tcase_add_test(tc, buf_addf_grows_past_first_allocation);
	tcase_add_test(tc, buf_holds_nul_bytes_and_detaches);
	tcase_add_test(tc, buf_getline_reads_lines_and_stops_at_the_bound);
	tcase_add_test(tc, path_helpers_normalise);
	tcase_add_test(tc, numbers_are_strict);
	tcase_add_test(tc, time_parses_rfc3339_and_unix_seconds);
	tcase_add_test(tc, time_iso8601_and_unix_forms_are_strict);
	tcase_add_test(tc, time_round_trips_across_eras);
	tcase_add_test(tc, durations_have_units);
	tcase_add_test(tc, sha256_matches_known_vectors);
	tcase_add_test(tc, uuids_are_version_4);
	tcase_add_test(tc, cli_stops_are_never_options);
	tcase_add_test(tc, json_output_is_one_line_with_shortest_reals);
	tcase_add_exit_test(tc, json_output_without_memory_exits_70, 70);
	suite_add_tcase(s, tc);
	return s;
}
