/* test_feature.c - unit tests of the feature store's library parts:
 * group definitions (group.c) and the external sort (extsort.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "core/extsort.h"
#include "feature/feature.h"
#include "core/xalloc.h"

static const char good_yaml[] =
	"name: customers\n"
	"record_identifier: customer_id\n"
	"event_time: event_time\n"
	"features:\n"
	"  - {name: customer_id, type: string}\n"
	"  - {name: event_time, type: string}\n"
	"  - {name: age, type: integral}\n"
	"  - {name: balance, type: fractional}\n"
	"ttl: 30d\n";

static int load(const char *yaml, struct feature_group **g,
		struct mlops_err *err)
{
	return feature_group_load_yaml_mem(g, yaml, strlen(yaml), "g.yaml",
					   err);
}

START_TEST(fgroup_loads_and_round_trips_through_json)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct feature_group *g = NULL, *back = NULL;
	json_t *j;

	ck_assert_int_eq(load(good_yaml, &g, &err), 0);
	ck_assert_str_eq(g->name, "customers");
	ck_assert_uint_eq(g->nfeatures, 4);
	ck_assert_uint_eq(g->id_index, 0);
	ck_assert_uint_eq(g->time_index, 1);
	ck_assert(g->ttl_us == INT64_C(30) * 86400 * 1000000);
	ck_assert(g->online && g->offline);
	j = feature_group_to_json(g);
	ck_assert_int_eq(feature_group_from_json(&back, j, &err), 0);
	ck_assert_str_eq(back->features[3].name, "balance");
	ck_assert_int_eq(back->features[3].type, FEATURE_GROUP_FRACTIONAL);
	ck_assert(back->ttl_us == g->ttl_us);
	json_decref(j);
	feature_group_free(g);
	feature_group_free(back);
}
END_TEST

static void expect_error(const char *yaml, const char *msg)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct feature_group *g = NULL;

	ck_assert_int_eq(load(yaml, &g, &err), MLOPS_EINPUT);
	ck_assert_msg(strstr(err.msg, msg), "'%s' lacks '%s'", err.msg, msg);
	ck_assert_ptr_null(g);
}

START_TEST(fgroup_errors_name_line_and_column)
{
	expect_error("name: x\nrecord_identifier: id\nevent_time: t\n"
		     "features:\n  - {name: id, type: string}\n"
		     "  - {name: t, type: timestamp}\n",
		     "g.yaml:6:21: unknown type 'timestamp'");
	expect_error("name: x\nrecord_identifier: id\nevent_time: t\n"
		     "features:\n  - {name: id, type: string}\n"
		     "  - {name: id, type: string}\n",
		     "g.yaml:6:12: duplicate feature name 'id'");
	expect_error("name: x\nrecord_identifier: nope\nevent_time: t\n"
		     "features:\n  - {name: id, type: string}\n"
		     "  - {name: t, type: string}\n",
		     "g.yaml:2:20: record_identifier 'nope' is not among");
	expect_error("name: x\nrecord_identifier: id\nevent_time: t\n"
		     "features:\n  - {name: id, type: string}\n"
		     "  - {name: t, type: string}\n"
		     "  - {name: is_deleted, type: string}\n",
		     "'is_deleted' is reserved");
	expect_error("name: x\nfeatures: [\n", "g.yaml:");
}
END_TEST

START_TEST(fgroup_checks_values_against_types)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct feature_group *g = NULL;

	ck_assert_int_eq(load(good_yaml, &g, &err), 0);
	ck_assert_int_eq(feature_group_check_value(g, 2, "42", &err), 0);
	ck_assert_int_eq(feature_group_check_value(g, 2, "", &err), 0);
	ck_assert_int_eq(feature_group_check_value(g, 2, "4.5", &err),
			 MLOPS_EINPUT);
	ck_assert_str_eq(err.msg, "age: \"4.5\" is not an integral");
	ck_assert_int_eq(feature_group_check_value(g, 3, "12,5", &err),
			 MLOPS_EINPUT);
	ck_assert_str_eq(err.msg, "balance: \"12,5\" is not a fractional");
	ck_assert_int_eq(feature_group_check_value(g, 3, "1.5e-3", &err), 0);
	ck_assert_int_eq(feature_group_check_value(g, 3, "0x1p3", &err),
			 MLOPS_EINPUT);
	ck_assert_str_eq(err.msg, "balance: \"0x1p3\" is not a fractional");
	ck_assert_int_eq(feature_group_check_value(g, 1, "2026-13-01T00:00:00Z",
					    &err), MLOPS_EINPUT);
	ck_assert_int_eq(feature_group_check_value(g, 0, "", &err),
			 MLOPS_EINPUT);
	/* A string event time must be ISO 8601, not Unix seconds. */
	ck_assert_int_eq(feature_group_check_value(g, 1, "2026-01-01T00:00:00Z",
					    &err), 0);
	ck_assert_int_eq(feature_group_check_value(g, 1, "1767225600", &err),
			 MLOPS_EINPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "is not an ISO 8601 time"));
	/* An integral event time must be Unix seconds, not RFC 3339. */
	g->features[1].type = FEATURE_GROUP_INTEGRAL;
	ck_assert_int_eq(feature_group_check_value(g, 1, "1767225600", &err),
			 0);
	ck_assert_int_eq(feature_group_check_value(g, 1, "2026-01-01T00:00:00Z",
					    &err), MLOPS_EINPUT);
	ck_assert_int_eq(feature_group_check_value(g, 1, "1767225600.5", &err),
			 MLOPS_EINPUT);
	g->features[1].type = FEATURE_GROUP_FRACTIONAL;
	ck_assert_int_eq(feature_group_check_value(g, 1, "1767225600.5",
						   &err), 0);
	ck_assert_int_eq(feature_group_check_value(g, 1, "1.7e9", &err),
			 MLOPS_EINPUT);
	feature_group_free(g);
}
END_TEST

START_TEST(fgroup_pack_round_trips_values)
{
	char *in[] = { "a", NULL, "", "a longer value with, commas and \"q\"" };
	char *out[4];
	struct buf packed = BUF_INIT, scratch = BUF_INIT;
	struct mlops_err err = MLOPS_ERR_INIT;
	char big[300];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	in[2] = big;
	feature_group_pack(&packed, 4, in);
	ck_assert_int_eq(feature_group_unpack(packed.s, packed.len, 4, out,
					      &scratch, &err), 0);
	ck_assert_str_eq(out[0], "a");
	ck_assert_str_eq(out[1], "");
	ck_assert_str_eq(out[2], big);
	ck_assert_str_eq(out[3], in[3]);
	ck_assert_int_eq(feature_group_unpack(packed.s, packed.len - 1, 4, out,
				       &scratch, &err), MLOPS_EINTERNAL);
	buf_release(&packed);
	buf_release(&scratch);
}
END_TEST

/* Sort the same records with a 1 MiB budget (many runs on disk) and
 * check the order against the comparison itself. */
START_TEST(extsort_merges_spilled_runs_in_order)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct extsort *s = extsort_new("/tmp", 1);
	const struct extsort_rec *r;
	struct extsort_rec *prev = NULL;
	size_t n = 0, total = 100000;
	char key[32], data[64];
	int ret;

	srand(7);
	for (size_t i = 0; i < total; i++) {
		int kl = snprintf(key, sizeof(key), "id%d", rand() % 5000);

		memset(data, 'a' + (int)(i % 26), sizeof(data));
		ck_assert_int_eq(extsort_add(s, (uint64_t)(rand() % 7), key,
					     (size_t)kl, (uint64_t)rand(), i,
					     data, i % 64, &err), 0);
	}
	ck_assert_int_eq(extsort_finish(s, &err), 0);
	ck_assert_uint_gt(extsort_runs(s), 1);
	while ((ret = extsort_next(s, &r, &err)) == 1) {
		size_t len = sizeof(*r) + r->keylen + r->datalen;

		if (prev)
			ck_assert_int_le(extsort_rec_cmp(prev, r), 0);
		ck_assert_uint_eq(r->datalen, r->k2 % 64);
		free(prev);
		prev = xmalloc(len);
		memcpy(prev, r, len);
		n++;
	}
	ck_assert_int_eq(ret, 0);
	ck_assert_uint_eq(n, total);
	free(prev);
	extsort_free(s);
}
END_TEST

/* A run written earlier (after a 16-byte header of the caller's) is
 * merged with records in memory; a truncated one is an error. */
START_TEST(extsort_merges_an_adopted_run)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct extsort *a = extsort_new("/tmp", 1u << 20), *b;
	const struct extsort_rec *r;
	char key[32], path[] = "/tmp/extsort-run-XXXXXX";
	int fd = mkstemp(path), ret;
	FILE *f;
	uint64_t last = 0;
	size_t n = 0;

	ck_assert_int_ge(fd, 0);
	unlink(path);
	f = fdopen(dup(fd), "w");
	fputs("0123456789abcdef", f);
	for (int i = 0; i < 3000; i++) {
		int kl = snprintf(key, sizeof(key), "k%d", i % 97);

		ck_assert_int_eq(extsort_add(a, (uint64_t)(i % 97), key,
					     (size_t)kl, (uint64_t)i, 0, "x", 1,
					     &err), 0);
	}
	ck_assert_int_eq(extsort_finish(a, &err), 0);
	while (extsort_next(a, &r, &err) == 1)
		ck_assert_int_eq(extsort_write_rec(f, r), 0);
	ck_assert_int_eq(fclose(f), 0);
	extsort_free(a);

	b = extsort_new("/tmp", 1u << 20);
	for (int i = 0; i < 1000; i++) {
		int kl = snprintf(key, sizeof(key), "k%d", i % 97);

		ck_assert_int_eq(extsort_add(b, (uint64_t)(i % 97), key,
					     (size_t)kl, (uint64_t)i, 1, NULL,
					     0, &err), 0);
	}
	ck_assert_int_eq(extsort_add_run(b, dup(fd), 16, -1, &err), 0);
	ck_assert_int_eq(extsort_finish(b, &err), 0);
	while ((ret = extsort_next(b, &r, &err)) == 1) {
		ck_assert_uint_ge(r->k0, last);
		ck_assert_uint_eq(r->datalen, r->k2 ? 0 : 1);
		last = r->k0;
		n++;
	}
	ck_assert_int_eq(ret, 0);
	ck_assert_uint_eq(n, 4000);
	extsort_free(b);

	/* Cut in the middle of a record. */
	ck_assert_int_eq(ftruncate(fd, 16 + 40), 0);
	b = extsort_new("/tmp", 1u << 20);
	ck_assert_int_eq(extsort_add_run(b, fd, 16, -1, &err), 0);
	ck_assert_int_eq(extsort_finish(b, &err), 0);
	while ((ret = extsort_next(b, &r, &err)) == 1)
		;
	ck_assert_int_eq(ret, MLOPS_EINTERNAL);
	ck_assert(strstr(err.msg, "damaged sort run") != NULL);
	extsort_free(b);
}
END_TEST

/* With at most 3 runs at a time, the runs are merged again and again;
 * every record still comes out once, in order. */
START_TEST(extsort_compacts_many_runs)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct extsort *s = extsort_new("/tmp", 1);
	const struct extsort_rec *r;
	uint64_t prev = 0, sum = 0, n = 0, total = 60000;
	char pad[100] = { 0 };
	int ret;

	extsort_set_max_runs(s, 3);
	for (uint64_t i = 0; i < total; i++)
		ck_assert_int_eq(extsort_add(s, (i * 7919) % total, NULL, 0,
					     0, 0, pad, sizeof(pad), &err), 0);
	ck_assert_int_eq(extsort_finish(s, &err), 0);
	ck_assert_uint_gt(extsort_runs(s), 5);
	while ((ret = extsort_next(s, &r, &err)) == 1) {
		if (n)
			ck_assert(r->k0 > prev);
		prev = r->k0;
		sum += r->k0;
		n++;
	}
	ck_assert_int_eq(ret, 0);
	ck_assert(n == total);
	ck_assert(sum == total * (total - 1) / 2);
	extsort_free(s);
}
END_TEST

START_TEST(extsort_sorts_in_memory_by_all_keys)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct extsort *s = extsort_new("/tmp", 64u << 20);
	const struct extsort_rec *r;
	uint64_t expect_k2[] = { 3, 1, 2, 0 };
	size_t i = 0;

	ck_assert_int_eq(extsort_add(s, 5, "b", 1, 0, 0, NULL, 0, &err), 0);
	ck_assert_int_eq(extsort_add(s, 1, "z", 1, 9, 1, NULL, 0, &err), 0);
	ck_assert_int_eq(extsort_add(s, 1, "z", 1, 9, 2, "d", 1, &err), 0);
	ck_assert_int_eq(extsort_add(s, 1, "a", 1, 99, 3, NULL, 0, &err), 0);
	ck_assert_int_eq(extsort_finish(s, &err), 0);
	ck_assert_uint_eq(extsort_runs(s), 0);
	while (extsort_next(s, &r, &err) == 1)
		ck_assert(r->k2 == expect_k2[i++]);
	ck_assert_uint_eq(i, 4);
	extsort_free(s);
}
END_TEST

Suite *suite_feature(void);
Suite *suite_feature(void)
{
	Suite *s = suite_create("feature");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, fgroup_loads_and_round_trips_through_json);
	tcase_add_test(tc, fgroup_errors_name_line_and_column);
	tcase_add_test(tc, fgroup_checks_values_against_types);
	tcase_add_test(tc, fgroup_pack_round_trips_values);
	tcase_add_test(tc, extsort_merges_spilled_runs_in_order);
	tcase_add_test(tc, extsort_merges_an_adopted_run);
	tcase_add_test(tc, extsort_compacts_many_runs);
	tcase_add_test(tc, extsort_sorts_in_memory_by_all_keys);
	suite_add_tcase(s, tc);
	return s;
}
