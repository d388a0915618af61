/* test_deploy.c - unit tests of the inference hot path and its helpers:
 * predio.c (CSV/JSON to floats, the float printer), xgbtrees.c (against
 * a hand-written model), capture.c (queue, files, reader), the
 * endpoint settings checks and gateway records (gateway_record.c). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <check.h>

#include "deploy/deploy.h"
#include "fixture.h"
#include "deploy/predio.h"
#include "core/time.h"
#include "core/xalloc.h"
#include "deploy/xgbtrees.h"

START_TEST(csv_rows_become_floats_with_missing_values)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct deploy_predio_rows r = DEPLOY_PREDIO_ROWS_INIT;
	const char body[] = "1,2.5,-3e2\r\n\n 0.1 ,,7\n";

	ck_assert_int_eq(deploy_predio_parse_csv(&r, body, strlen(body), 3,
						 &err), 0);
	ck_assert_uint_eq(r.nrows, 2);
	ck_assert_uint_eq(r.ncols, 3);
	ck_assert(r.x[0] == 1.0f && r.x[1] == 2.5f && r.x[2] == -300.0f);
	ck_assert(r.x[3] == 0.1f && isnan(r.x[4]) && r.x[5] == 7.0f);
	deploy_predio_rows_release(&r);
}
END_TEST

START_TEST(csv_numbers_round_like_numpy)
{
	/* Long mantissas and big exponents take strtod; all must equal
	 * (float)strtod, which is what numpy's float64 -> float32 gives. */
	static const char *const nums[] = { "0.1", "123456789012345678901",
		"1e-30", "3.4028234e38", "-0.000000123456789",
		"9007199254740993",
		"1.00000005960464477539", NULL };
	struct mlops_err err = MLOPS_ERR_INIT;
	struct deploy_predio_rows r = DEPLOY_PREDIO_ROWS_INIT;

	for (int i = 0; nums[i]; i++) {
		ck_assert_int_eq(deploy_predio_parse_csv(&r, nums[i],
							 strlen(nums[i]), 1,
							 &err), 0);
		ck_assert_msg(r.x[0] == (float)strtod(nums[i], NULL), "%s",
			      nums[i]);
	}
	deploy_predio_rows_release(&r);
}
END_TEST

START_TEST(csv_errors_name_line_and_column)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct deploy_predio_rows r = DEPLOY_PREDIO_ROWS_INIT;

	ck_assert_int_eq(deploy_predio_parse_csv(&r, "1,2\n3,x\n", 8, 2, &err),
			 MLOPS_EINPUT);
	ck_assert_str_eq(err.msg, "line 2, column 2: 'x' is not a number");
	ck_assert_int_eq(deploy_predio_parse_csv(&r, "1,2\n3\n", 6, 0, &err),
			 MLOPS_EINPUT);
	ck_assert_str_eq(err.msg, "line 2: 1 values, the model expects 2");
	ck_assert_int_eq(deploy_predio_parse_csv(&r, "\n\n", 2, 2, &err),
			 MLOPS_EINPUT);
	ck_assert_int_eq(deploy_predio_parse_csv(&r, "1e", 2, 1, &err),
			 MLOPS_EINPUT);
	ck_assert_int_eq(deploy_predio_parse_csv(&r, "nan", 3, 1, &err),
			 MLOPS_EINPUT);
	deploy_predio_rows_release(&r);
}
END_TEST

START_TEST(json_instances_in_three_shapes)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct deploy_predio_rows r = DEPLOY_PREDIO_ROWS_INIT;
	const char *a = "{\"instances\": [[1, 2], [3, null]]}";
	const char *b = "{\"instances\": [{\"features\": [5, 6]}]}";
	const char *c = "[7, 8]";

	ck_assert_int_eq(deploy_predio_parse_json(&r, a, strlen(a), 2, &err),
			 0);
	ck_assert_uint_eq(r.nrows, 2);
	ck_assert(r.x[2] == 3.0f && isnan(r.x[3]));
	ck_assert_int_eq(deploy_predio_parse_json(&r, b, strlen(b), 2, &err),
			 0);
	ck_assert(r.nrows == 1 && r.x[1] == 6.0f);
	ck_assert_int_eq(deploy_predio_parse_json(&r, c, strlen(c), 2, &err),
			 0);
	ck_assert(r.nrows == 1 && r.x[0] == 7.0f);
	ck_assert_int_eq(deploy_predio_parse_json(&r, "[[1]]", 5, 2, &err),
			 MLOPS_EINPUT);
	ck_assert_str_eq(err.msg, "instance 1: 1 values, the model expects 2");
	deploy_predio_rows_release(&r);
}
END_TEST

START_TEST(float_printer_reads_back_the_same_float)
{
	char out[DEPLOY_PREDIO_FLOAT_MAX + 1];
	uint32_t s = 12345;

	for (int i = 0; i < 200000; i++) {
		float v, back;
		uint32_t bits;
		size_t n;

		s = s * 1664525u + 1013904223u;
		bits = s;
		memcpy(&v, &bits, sizeof(v));
		if (isnan(v) || isinf(v))
			continue;
		n = deploy_predio_format_float(out, v);
		out[n] = '\0';
		back = strtof(out, NULL);
		ck_assert_msg(back == v, "%.9g printed as %s", v, out);
	}
	ck_assert_uint_eq(deploy_predio_format_float(out, 0.5f), 3);
	ck_assert(memcmp(out, "0.5", 3) == 0);
	ck_assert_uint_eq(deploy_predio_format_float(out, -120.0f), 4);
	ck_assert(memcmp(out, "-120", 4) == 0);
	ck_assert_uint_eq(deploy_predio_format_float(out, 0.001953125f), 11);
	ck_assert(memcmp(out, "0.001953125", 11) == 0);
}
END_TEST

START_TEST(csv_and_json_answers)
{
	struct buf b = BUF_INIT;
	const float p[] = { 0.25f, 1.0f, NAN, 2.0f };

	deploy_predio_format_csv(&b, p, 2, 2);
	ck_assert_str_eq(b.s, "0.25,1\nnan,2\n");
	buf_reset(&b);
	deploy_predio_format_json(&b, p, 2, 1);
	ck_assert_str_eq(b.s, "{\"predictions\":[{\"score\":0.25},"
			 "{\"score\":1}]}\n");
	buf_release(&b);
}
END_TEST

/* Two stumps on feature 1 (missing goes left in the first, right in the
 * second) and a logistic objective with base_score 0.5. */
static const char two_stumps[] =
	"{\"learner\":{\"learner_model_param\":{\"base_score\":\"5E-1\","
	"\"num_class\":\"0\",\"num_feature\":\"2\",\"num_target\":\"1\"},"
	"\"objective\":{\"name\":\"binary:logistic\"},"
	"\"gradient_booster\":{\"name\":\"gbtree\",\"model\":{\"trees\":["
	"{\"left_children\":[1,-1,-1],\"right_children\":[2,-1,-1],"
	"\"split_conditions\":[0.5,-1.0,1.0],\"split_indices\":[1,0,0],"
	"\"default_left\":[1,0,0],\"split_type\":[0,0,0]},"
	"{\"left_children\":[1,-1,-1],\"right_children\":[2,-1,-1],"
	"\"split_conditions\":[0.5,0.25,0.5],\"split_indices\":[1,0,0],"
	"\"default_left\":[0,0,0],\"split_type\":[0,0,0]}]}}}}";

START_TEST(trees_walk_splits_ties_and_missing_values)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct deploy_xgbtrees *t = NULL;
	const float x[] = { 9, 0.4f, 9, 0.5f, 9, NAN };
	float out[3];

	ck_assert_int_eq(deploy_xgbtrees_build(&t, two_stumps,
					       strlen(two_stumps), &err), 0);
	ck_assert_uint_eq(deploy_xgbtrees_nfeatures(t), 2);
	deploy_xgbtrees_predict(t, x, 3, out);
	/* below: -1 + 0.25; at the threshold: 1 + 0.5 (not < 0.5);
	 * missing: left in tree 1 (-1), right in tree 2 (0.5). */
	ck_assert(out[0] == 1.0f / (1.0f + expf(0.75f)));
	ck_assert(out[1] == 1.0f / (1.0f + expf(-1.5f)));
	ck_assert(out[2] == 1.0f / (1.0f + expf(0.5f)));
	deploy_xgbtrees_free(t);
}
END_TEST

/* The two stumps' trees and a deeper one, "deep": x1 < 0.5 ? (x0 < 0.25 ?
 * 3 : 4) : 2, missing going right everywhere. */
#define STUMP_LEFT "{\"left_children\":[1,-1,-1],\"right_children\":" \
	"[2,-1,-1],\"split_conditions\":[0.5,-1.0,1.0],\"split_indices\":" \
	"[1,0,0],\"default_left\":[1,0,0],\"split_type\":[0,0,0]}"
#define DEEP "{\"left_children\":[1,3,-1,-1,-1],\"right_children\":" \
	"[2,4,-1,-1,-1],\"split_conditions\":[0.5,0.25,2.0,3.0,4.0]," \
	"\"split_indices\":[1,0,0,0,0],\"default_left\":[0,0,0,0,0]," \
	"\"split_type\":[0,0,0,0,0]}"

/* A model of n trees, stump and deep alternating, with the two stumps'
 * header and the identity objective. */
static char *ensemble(size_t n, const char *first)
{
	struct buf b = BUF_INIT;

	buf_addstr(&b, "{\"learner\":{\"learner_model_param\":{"
		   "\"base_score\":\"0\",\"num_feature\":\"2\"},"
		   "\"objective\":{\"name\":\"reg:squarederror\"},"
		   "\"gradient_booster\":{\"name\":\"gbtree\",\"model\":"
		   "{\"trees\":[");
	for (size_t k = 0; k < n; k++)
		buf_addf(&b, "%s%s", k ? "," : "",
			 k == 0 && first ? first : k % 2 ? DEEP : STUMP_LEFT);
	buf_addstr(&b, "]}}}}");
	return buf_detach(&b, NULL);
}

START_TEST(trees_of_every_depth_sum_in_tree_order)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	const float x[] = { 0.1f, 0.4f, 9, 0.4f, 9, 0.7f, 0, NAN };
	/* Leaves of each row in a stump and in deep. */
	const float stump[] = { -1, -1, 1, -1 }, deep[] = { 3, 4, 2, 2 };

	/* 1 to 19 trees: groups of walks side by side, full and not. */
	for (size_t n = 1; n <= 19; n++) {
		struct deploy_xgbtrees *t = NULL;
		char *json = ensemble(n, NULL);
		float out[4];

		ck_assert_int_eq(deploy_xgbtrees_build(&t, json, strlen(json),
						       &err), 0);
		deploy_xgbtrees_predict(t, x, 4, out);
		for (size_t r = 0; r < 4; r++) {
			float want = 0;

			for (size_t k = 0; k < n; k++)
				want += k % 2 ? deep[r] : stump[r];
			ck_assert_msg(out[r] == want, "%zu trees, row %zu: "
				      "%g, not %g", n, r, out[r], want);
		}
		deploy_xgbtrees_free(t);
		free(json);
	}
}
END_TEST

START_TEST(trees_with_a_node_reached_twice_are_refused)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct deploy_xgbtrees *t = NULL;
	/* A child pointing back at the root would make the walk endless;
	 * two parents sharing a child is no tree either. */
	const char *bad[] = {
		"{\"left_children\":[1,0,-1],\"right_children\":[2,2,-1],"
		"\"split_conditions\":[0.5,0.5,1],\"split_indices\":[1,0,0],"
		"\"default_left\":[0,0,0],\"split_type\":[0,0,0]}",
		"{\"left_children\":[1,2,-1],\"right_children\":[2,2,-1],"
		"\"split_conditions\":[0.5,0.5,1],\"split_indices\":[1,0,0],"
		"\"default_left\":[0,0,0],\"split_type\":[0,0,0]}",
	};

	for (size_t i = 0; i < 2; i++) {
		char *json = ensemble(3, bad[i]);

		ck_assert_int_eq(deploy_xgbtrees_build(&t, json, strlen(json),
						       &err), MLOPS_EINPUT);
		ck_assert_str_eq(err.msg, "malformed tree 0: a node reached "
				 "twice");
		free(json);
	}
}
END_TEST

START_TEST(trees_refuse_what_they_cannot_evaluate)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct deploy_xgbtrees *t = NULL;
	char *dart = xstrdup(two_stumps), *multi = xstrdup(two_stumps);

	memcpy(strstr(dart, "\"gbtree\""), "\"dart\"  ", 8);
	ck_assert_int_eq(deploy_xgbtrees_build(&t, dart, strlen(dart), &err),
			 MLOPS_EINPUT);
	ck_assert_str_eq(err.msg, "booster 'dart'");
	memcpy(strstr(multi, "\"num_class\":\"0\""), "\"num_class\":\"3\"",
	       15);
	ck_assert_int_eq(deploy_xgbtrees_build(&t, multi, strlen(multi), &err),
			 MLOPS_EINPUT);
	ck_assert_int_eq(deploy_xgbtrees_build(&t, "{}", 2, &err),
			 MLOPS_EINPUT);
	free(dart);
	free(multi);
}
END_TEST

static int count_record(json_t *rec, void *arg)
{
	const char *data = NULL;

	json_unpack(rec, "{s:{s:{s:s}}}", "captureData", "endpointInput",
		    "data", &data);
	ck_assert_str_eq(data, "1,2\n");
	(*(int *)arg)++;
	return 0;
}

/* The records of endpoint "ep" written under dir around now, once the
 * writer stopped (no file left in progress); removes dir. */
static int count_and_remove(const char *dir, int64_t now)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	int n = 0;
	char *cmd;

	ck_assert_int_eq(deploy_capture_each(dir, "ep", now - TIME_US_PER_SEC,
				      now + TIME_US_PER_SEC,
				      count_record, &n, &err), 0);
	cmd = xasprintf("test $(find %s -name '.*part' | wc -l) = 0", dir);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	cmd = xasprintf("rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	return n;
}

START_TEST(capture_writes_complete_files_and_reads_them_back)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	char dir[] = "/tmp/mlops-test-capture.XXXXXX";
	struct deploy_capture *c = NULL;
	int64_t now = time_now_us();
	const struct deploy_capture_meta m = {
		.endpoint = "ep", .variant = "g/1", .time_us = now,
	};
	int n, dropped = 0;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(deploy_capture_start(&c, dir, 4, &err), 0);
	/* A queue of 4: some of 1000 quick submits must be dropped, and
	 * every one is either written or counted as dropped. */
	for (int i = 0; i < 1000; i++)
		dropped -= deploy_capture_submit(c, &m,
						 "text/csv", "1,2\n", 4,
						 "text/csv", "0.5\n", 4);
	ck_assert_int_eq(deploy_capture_dropped(c), dropped);
	deploy_capture_stop(c);
	n = count_and_remove(dir, now);
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(n + dropped, 1000);
}
END_TEST

START_TEST(capture_drops_what_exceeds_its_byte_bound)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	char dir[] = "/tmp/mlops-test-capture.XXXXXX";
	static char big[4096];
	struct deploy_capture *c = NULL;
	int64_t now = time_now_us();
	const struct deploy_capture_meta m = {
		.endpoint = "ep", .variant = "g/1", .time_us = now,
	};

	ck_assert_ptr_nonnull(mkdtemp(dir));
	memset(big, '1', sizeof(big));
	ck_assert_int_eq(deploy_capture_start(&c, dir, 1024, &err), 0);
	deploy_capture_limit_bytes(c, 2048);
	/* The queue has room for 1024 records, but not for 4 KB of body. */
	ck_assert_int_eq(deploy_capture_submit(c, &m,
					       "text/csv", big, sizeof(big),
					       "text/csv", "0.5\n", 4), -1);
	ck_assert_int_eq(deploy_capture_dropped(c), 1);
	ck_assert_int_eq(deploy_capture_submit(c, &m,
					       "text/csv", "1,2\n", 4,
					       "text/csv", "0.5\n", 4), 0);
	deploy_capture_stop(c);
	ck_assert_int_eq(count_and_remove(dir, now), 1);
}
END_TEST

struct side_check {
	const char *want_encoding, *want_data;
	int seen;
};

static int check_side(json_t *rec, void *arg)
{
	struct side_check *sc = arg;
	const char *enc = NULL, *data = NULL, *id = NULL;

	ck_assert_int_eq(json_unpack(rec, "{s:{s:{s:s,s:s}},s:{s:s}}",
				     "captureData", "endpointInput", "encoding",
				     &enc, "data", &data, "eventMetadata",
				     "eventId", &id), 0);
	ck_assert_str_eq(enc, sc->want_encoding);
	ck_assert_str_eq(data, sc->want_data);
	ck_assert_uint_eq(strlen(id), 36);
	ck_assert_int_eq(id[14], '4');
	sc->seen++;
	return 0;
}

START_TEST(capture_escapes_text_and_base64s_the_rest)
{
	static const struct { const char *type, *in, *enc, *data; } cases[] = {
		{ "text/csv", "a\"b\\c\n\x01\t", "CSV", "a\"b\\c\n\x01\t" },
		{ "application/json", "{\"k\": \"\xc3\xa9\"}", "JSON",
		  "{\"k\": \"\xc3\xa9\"}" },
		{ "text/csv", "\xff\xfe", "BASE64", "//4=" },
		{ "text/csv", "\xed\xa0\x80", "BASE64", "7aCA" },
		{ "image/png", "abc", "BASE64", "YWJj" },
	};
	struct mlops_err err = MLOPS_ERR_INIT;
	int64_t now = time_now_us();
	const struct deploy_capture_meta m = {
		.endpoint = "ep", .variant = "g/1", .time_us = now,
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char dir[] = "/tmp/mlops-test-capture.XXXXXX";
		struct side_check sc = { cases[i].enc, cases[i].data, 0 };
		struct deploy_capture *c = NULL;
		char *cmd;

		ck_assert_ptr_nonnull(mkdtemp(dir));
		ck_assert_int_eq(deploy_capture_start(&c, dir, 8, &err), 0);
		ck_assert_int_eq(deploy_capture_submit(c, &m,
			cases[i].type, cases[i].in, strlen(cases[i].in),
			"text/csv", "1\n", 2), 0);
		deploy_capture_stop(c);
		ck_assert_int_eq(deploy_capture_each(dir, "ep", 0, INT64_MAX,
					      check_side, &sc, &err), 0);
		ck_assert_int_eq(sc.seen, 1);
		cmd = xasprintf("rm -rf '%s'", dir);
		ck_assert_int_eq(system(cmd), 0);
		free(cmd);
	}
}
END_TEST

static int collect_ids(json_t *rec, void *arg)
{
	json_t *ids = arg;
	json_t *meta = json_object_get(rec, "eventMetadata");

	json_array_append_new(ids, json_pack("[ss]",
		json_string_value(json_object_get(meta, "eventId")),
		json_string_value(json_object_get(meta, "inferenceId"))));
	return 0;
}

START_TEST(capture_keeps_inference_ids_else_the_event_id)
{
	static const char named[] = "a \"quoted\" \\ id";
	static const char given[] = "0b9c6a3e-6a4f-4d7e-9c1f-3f2a9d8e7b10";
	struct mlops_err err = MLOPS_ERR_INIT;
	char dir[] = "/tmp/mlops-test-capture.XXXXXX";
	struct deploy_capture *c = NULL;
	json_t *ids = json_array(), *shadow_ids = json_array(), *a, *b;
	int64_t now = time_now_us();
	struct deploy_capture_meta m = {
		.endpoint = "ep", .variant = "g/1", .time_us = now,
		.inference_id = named,
	};
	char *cmd;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(deploy_capture_start(&c, dir, 8, &err), 0);

	ck_assert_int_eq(deploy_capture_submit(c, &m, "text/csv", "1", 1,
					       "text/csv", "1\n", 2), 0);
	m.inference_id = NULL;
	m.time_us = now + 1;
	ck_assert_int_eq(deploy_capture_submit(c, &m, "text/csv", "2", 1,
					       "text/csv", "1\n", 2), 0);
	/* The gateway names a request once: its record and its shadow's. */
	m.event_id = given;
	m.time_us = now + 2;
	ck_assert_int_eq(deploy_capture_submit(c, &m, "text/csv", "3", 1,
					       "text/csv", "1\n", 2), 0);
	m.event_id = NULL;
	m.inference_id = given;
	m.shadow = 1;
	m.time_us = now + 3;
	ck_assert_int_eq(deploy_capture_submit(c, &m, "text/csv", "4", 1,
					       "text/csv", "1\n", 2), 0);
	deploy_capture_stop(c);
	ck_assert_int_eq(deploy_capture_each(dir, "ep", 0, INT64_MAX,
					     collect_ids, ids, &err), 0);
	ck_assert_int_eq(deploy_capture_each_of(dir, "ep",
		DEPLOY_CAPTURE_SHADOW, 0, INT64_MAX, collect_ids, shadow_ids,
		&err), 0);
	ck_assert_uint_eq(json_array_size(ids), 3);
	ck_assert_uint_eq(json_array_size(shadow_ids), 1);
	a = json_array_get(ids, 0);
	b = json_array_get(ids, 1);
	ck_assert_str_eq(json_string_value(json_array_get(a, 1)), named);
	ck_assert_str_ne(json_string_value(json_array_get(a, 0)), named);
	ck_assert_str_eq(json_string_value(json_array_get(b, 1)),
			 json_string_value(json_array_get(b, 0)));
	a = json_array_get(ids, 2);
	b = json_array_get(shadow_ids, 0);
	ck_assert_str_eq(json_string_value(json_array_get(a, 0)), given);
	ck_assert_str_eq(json_string_value(json_array_get(a, 1)), given);
	ck_assert_str_ne(json_string_value(json_array_get(b, 0)), given);
	ck_assert_str_eq(json_string_value(json_array_get(b, 1)), given);
	json_decref(ids);
	json_decref(shadow_ids);
	cmd = xasprintf("rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
}
END_TEST

START_TEST(inference_ids_are_short_printable_ascii)
{
	char longest[DEPLOY_INFERENCE_ID_MAX + 2];

	memset(longest, 'x', sizeof(longest));
	longest[DEPLOY_INFERENCE_ID_MAX] = '\0';
	ck_assert(deploy_capture_inference_id_valid(longest));
	ck_assert(deploy_capture_inference_id_valid("a b~!"));
	longest[DEPLOY_INFERENCE_ID_MAX] = 'x';
	longest[DEPLOY_INFERENCE_ID_MAX + 1] = '\0';
	ck_assert(!deploy_capture_inference_id_valid(longest));
	ck_assert(!deploy_capture_inference_id_valid(""));
	ck_assert(!deploy_capture_inference_id_valid(" a"));
	ck_assert(!deploy_capture_inference_id_valid("a\tb"));
	ck_assert(!deploy_capture_inference_id_valid("a\x7f"));
	ck_assert(!deploy_capture_inference_id_valid("caf\xc3\xa9"));
}
END_TEST

START_TEST(settings_follow_sagemaker_limits)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct deploy_endpoint_settings s;

	deploy_endpoint_settings_default(&s);
	ck_assert_int_eq(deploy_endpoint_settings_check(&s, &err), 0);
	s.memory_mb = 3000;
	ck_assert_int_eq(deploy_endpoint_settings_check(&s, &err),
			 MLOPS_EUSAGE);
	deploy_endpoint_settings_default(&s);
	s.provisioned = 11;
	ck_assert_int_eq(deploy_endpoint_settings_check(&s, &err),
			 MLOPS_EUSAGE);
	ck_assert(deploy_endpoint_valid_name("churn-web-2"));
	ck_assert(!deploy_endpoint_valid_name("-churn"));
	ck_assert(!deploy_endpoint_valid_name("churn/1"));
	ck_assert(!deploy_endpoint_valid_name(""));
}
END_TEST

START_TEST(gateway_status_is_the_best_any_gateway_gives)
{
	struct deploy_gateway_record_endpoint a[] = { { "web", "m/1", 3, 0 },
				      { "bad", "m/1", 1, 1 } };
	struct deploy_gateway_record_endpoint b[] = { { "web", "m/1", 2, 0 } };
	struct deploy_gateway_record recs[] = { { 1, 1, "h", "u", 2, a },
				{ 2, 1, "h", "u", 1, b } };

	ck_assert_str_eq(deploy_gateway_record_status(recs, 0, "web", 3),
			 "OutOfService");
	ck_assert_str_eq(deploy_gateway_record_status(recs, 2, "web", 3),
			 "InService");
	ck_assert_str_eq(deploy_gateway_record_status(recs + 1, 1, "web", 3),
			 "Updating");
	ck_assert_str_eq(deploy_gateway_record_status(recs, 2, "web", 4),
			 "Updating");
	ck_assert_str_eq(deploy_gateway_record_status(recs, 2, "new", 1),
			 "Creating");
	ck_assert_str_eq(deploy_gateway_record_status(recs, 1, "bad", 1),
			 "Failed");
	ck_assert_str_eq(deploy_gateway_record_status(recs, 2, "bad", 1),
			 "Creating");
}
END_TEST

/* Write a record as another gateway would; returns its path. */
static char *record_put(const char *dir, const char *host, long pid,
			long start)
{
	char *path = xasprintf("%s/%s/%s-%ld.json", dir,
			       DEPLOY_GATEWAY_RECORD_DIR, host, pid);
	char *body = xasprintf("{\"pid\":%ld,\"host\":\"%s\",\"start\":%ld,"
			       "\"url\":\"http://x\",\"endpoints\":[]}",
			       pid, host, start);

	fixture_write(path, body);
	free(body);
	return path;
}

START_TEST(gateway_records_of_dead_or_silent_gateways_do_not_count)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct store *st = fixture_store_new();
	struct deploy_gateway_record_endpoint ep = { "web", "m/1", 7, 0 };
	struct buf last = BUF_INIT;
	struct deploy_gateway_record *recs = NULL;
	struct timeval old[2] = { { 1000000000, 0 }, { 1000000000, 0 } };
	char *own = deploy_gateway_record_own_path(st->dir), *host, *dead,
	     *reused, *far;
	size_t n = 0;
	pid_t child;

	ck_assert_int_eq(deploy_gateway_record_list(st->dir, &recs, &n, &err),
			 0);
	ck_assert_uint_eq(n, 0);
	deploy_gateway_record_list_free(recs, n);
	ck_assert_int_eq(deploy_gateway_record_write(own, &last, "http://me",
						     &ep, 1, &err), 0);
	ck_assert_int_eq(deploy_gateway_record_list(st->dir, &recs, &n, &err),
			 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(recs[0].pid, getpid());
	ck_assert(recs[0].local);
	ck_assert_str_eq(recs[0].url, "http://me");
	ck_assert_uint_eq(recs[0].n, 1);
	ck_assert_int_eq(recs[0].eps[0].generation, 7);
	host = xstrdup(recs[0].host);
	deploy_gateway_record_list_free(recs, n);

	/* A gateway that exited without removing its record. */
	child = fork();
	if (child == 0)
		_exit(0);
	ck_assert_int_eq(waitpid(child, NULL, 0), child);
	dead = record_put(st->dir, host, (long)child, -1);
	/* Our pid with another start time: a process that reused the pid
	 * of a dead gateway (this replaces our own record). */
	reused = record_put(st->dir, host, (long)getpid(), 1);
	/* Pids kill() would take for a group or for every process. */
	free(record_put(st->dir, host, -1, -1));
	free(record_put(st->dir, host, 4294967295L, -1));
	/* Another host's gateway: alive while its record is fresh. */
	far = record_put(st->dir, "elsewhere", 42, 5);
	ck_assert_int_eq(deploy_gateway_record_list(st->dir, &recs, &n, &err),
			 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(recs[0].host, "elsewhere");
	ck_assert(!recs[0].local);
	deploy_gateway_record_list_free(recs, n);
	ck_assert_int_eq(utimes(far, old), 0);
	ck_assert_int_eq(deploy_gateway_record_list(st->dir, &recs, &n, &err),
			 0);
	ck_assert_uint_eq(n, 0);
	deploy_gateway_record_list_free(recs, n);

	/* prune removes this host's dead records only. */
	deploy_gateway_record_prune(st->dir);
	ck_assert(access(dead, F_OK) != 0);
	ck_assert(access(reused, F_OK) != 0);
	ck_assert(access(far, F_OK) == 0);
	free(dead);
	free(reused);
	free(far);
	free(host);
	free(own);
	buf_release(&last);
	fixture_store_free(st);
}
END_TEST

/* Bounds 100, 250, 500 us and +Inf: ranks inside a bucket interpolate
 * linearly from its lower bound, as Prometheus's histogram_quantile. */
START_TEST(latency_quantiles_interpolate_inside_buckets)
{
	json_t *h = json_pack("{s:[i,i,i],s:[i,i,i,i],s:i}", "bounds_us",
			      100, 250, 500, "counts", 0, 10, 10, 0,
			      "sum_us", 6000);
	json_t *inf = json_pack("{s:[i],s:[i,i],s:i}", "bounds_us", 100,
				"counts", 1, 99, "sum_us", 0);
	json_t *bad = json_pack("{s:[i],s:[i],s:i}", "bounds_us", 100,
				"counts", 1, "sum_us", 0);
	json_t *none = json_pack("{s:[i],s:[i,i],s:i}", "bounds_us", 100,
				 "counts", 0, 0, "sum_us", 0);

	/* Rank 10 of 20 ends the second bucket: its upper bound. */
	ck_assert_double_eq_tol(deploy_endpoint_latency_quantile(h, 0.5),
				0.25, 1e-12);
	/* Rank 5: halfway through (100, 250]. */
	ck_assert_double_eq_tol(deploy_endpoint_latency_quantile(h, 0.25),
				0.175, 1e-12);
	/* Rank 19.8: 98% through (250, 500]. */
	ck_assert_double_eq_tol(deploy_endpoint_latency_quantile(h, 0.99),
				0.495, 1e-12);
	/* A rank in +Inf gives the largest finite bound. */
	ck_assert_double_eq_tol(deploy_endpoint_latency_quantile(inf, 0.99),
				0.1, 1e-12);
	ck_assert(isnan(deploy_endpoint_latency_quantile(bad, 0.5)));
	ck_assert(isnan(deploy_endpoint_latency_quantile(none, 0.5)));
	ck_assert(isnan(deploy_endpoint_latency_quantile(NULL, 0.5)));
	json_decref(h);
	json_decref(inf);
	json_decref(bad);
	json_decref(none);
}
END_TEST

Suite *suite_deploy(void);
Suite *suite_deploy(void)
{
	Suite *s = suite_create("deploy");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, csv_rows_become_floats_with_missing_values);
	tcase_add_test(tc, csv_numbers_round_like_numpy);
	tcase_add_test(tc, csv_errors_name_line_and_column);
	tcase_add_test(tc, json_instances_in_three_shapes);
	tcase_add_test(tc, float_printer_reads_back_the_same_float);
	tcase_add_test(tc, csv_and_json_answers);
	tcase_add_test(tc, trees_walk_splits_ties_and_missing_values);
	tcase_add_test(tc, trees_refuse_what_they_cannot_evaluate);
	tcase_add_test(tc, trees_of_every_depth_sum_in_tree_order);
	tcase_add_test(tc, trees_with_a_node_reached_twice_are_refused);
	tcase_add_test(tc, capture_writes_complete_files_and_reads_them_back);
	tcase_add_test(tc, capture_drops_what_exceeds_its_byte_bound);
	tcase_add_test(tc, capture_escapes_text_and_base64s_the_rest);
	tcase_add_test(tc, capture_keeps_inference_ids_else_the_event_id);
	tcase_add_test(tc, inference_ids_are_short_printable_ascii);
	tcase_add_test(tc, settings_follow_sagemaker_limits);
	tcase_add_test(tc, latency_quantiles_interpolate_inside_buckets);
	tcase_add_test(tc, gateway_status_is_the_best_any_gateway_gives);
	tcase_add_test(tc,
		       gateway_records_of_dead_or_silent_gateways_do_not_count);
	suite_add_tcase(s, tc);
	return s;
}
