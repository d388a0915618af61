/* test_store.c - the store: creation, migrations, blobs (round trip and
 * corruption), the audit chain, events and config. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "core/audit.h"
#include "core/config.h"
#include "core/event.h"
#include "fixture.h"
#include "core/fs.h"
#include "core/jsonio.h"
#include "core/object.h"
#include "core/xalloc.h"

START_TEST(new_store_is_at_latest_schema_in_wal_mode)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct store *st = fixture_store_new();
	sqlite3_stmt *q = NULL;
	int version;

	ck_assert_int_eq(store_schema_version(st, &version, &err), 0);
	ck_assert_int_eq(version, store_schema_latest());
	ck_assert_int_ge(version, 1);
	ck_assert_int_eq(store_prepare(st, &q, "PRAGMA journal_mode", &err),
			 0);
	ck_assert_int_eq(sqlite3_step(q), SQLITE_ROW);
	ck_assert_str_eq((const char *)sqlite3_column_text(q, 0), "wal");
	sqlite3_finalize(q);
	ck_assert_str_eq(st->env, "unit");
	fixture_store_free(st);
}
END_TEST

START_TEST(an_old_schema_is_migrated_and_a_newer_one_refused)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct store *st = fixture_store_new();
	char *dir = xstrdup(st->dir);
	struct store *again = NULL;
	int version;

	/* Pretend the store predates every migration: drop every table,
	 * whichever migrations made them. */
	{
		sqlite3_stmt *q = NULL;
		struct buf sql = BUF_INIT;

		ck_assert_int_eq(store_prepare(st, &q, "SELECT name FROM "
					       "sqlite_master WHERE type = "
					       "'table' AND name NOT LIKE "
					       "'sqlite_%'", &err), 0);
		while (sqlite3_step(q) == SQLITE_ROW)
			buf_addf(&sql, "DROP TABLE \"%s\";",
				 sqlite3_column_text(q, 0));
		sqlite3_finalize(q);
		buf_addstr(&sql, "PRAGMA user_version = 0");
		ck_assert_int_eq(store_exec(st, "PRAGMA foreign_keys = OFF",
					    &err), 0);
		ck_assert_int_eq(store_exec(st, sql.s, &err), 0);
		buf_release(&sql);
	}
	store_close(st);
	ck_assert_msg(store_open_dir(&again, dir, "t", &err) == 0, "%s",
		      err.msg);
	ck_assert_int_eq(store_schema_version(again, &version, &err), 0);
	ck_assert_int_eq(version, store_schema_latest());
	ck_assert_int_eq(store_exec(again, "SELECT count(*) FROM event", &err),
			 0);
	ck_assert_int_eq(store_exec(again, "PRAGMA user_version = 9999",
				    &err), 0);
	store_close(again);
	again = NULL;
	ck_assert_int_eq(store_open_dir(&again, dir, "t", &err),
			 MLOPS_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(err.msg, "newer than this program"));
	/* Put it back so the fixture can clean up through a store. */
	{
		sqlite3 *db;
		char *path = fs_path_join(dir, "mlops.db");

		char *pragma = xasprintf("PRAGMA user_version = %d",
					 store_schema_latest());

		ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
		sqlite3_exec(db, pragma, NULL, NULL, NULL);
		free(pragma);
		sqlite3_close(db);
		free(path);
	}
	ck_assert_int_eq(store_open_dir(&again, dir, "t", &err), 0);
	fixture_store_free(again);
	free(dir);
}
END_TEST

START_TEST(objects_round_trip_and_dedupe)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct store *st = fixture_store_new();
	char h1[HASH_HEX_LEN + 1], h2[HASH_HEX_LEN + 1];
	struct buf out = BUF_INIT;
	char *big = xmalloc(3 << 20);

	for (size_t i = 0; i < (3u << 20); i++)
		big[i] = (char)(i * 7 + i / 1000);
	ck_assert_int_eq(object_write_mem(st, big, 3 << 20, h1, &err), 0);
	ck_assert_int_eq(object_write_mem(st, big, 3 << 20, h2, &err), 0);
	ck_assert_str_eq(h1, h2);
	ck_assert(object_exists(st, h1));
	ck_assert_int_eq(object_read_mem(st, h1, &out, 0, &err), 0);
	ck_assert_uint_eq(out.len, 3u << 20);
	ck_assert_int_eq(memcmp(out.s, big, out.len), 0);
	buf_reset(&out);
	ck_assert_int_eq(object_read_mem(st, h1, &out, 1000, &err),
			 MLOPS_EINPUT);
	ck_assert_uint_eq(out.len, 0);
	buf_release(&out);
	free(big);
	fixture_store_free(st);
}
END_TEST

START_TEST(a_corrupt_or_truncated_blob_is_an_error)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct store *st = fixture_store_new();
	char hash[HASH_HEX_LEN + 1];
	struct buf out = BUF_INIT;
	char *path;
	int fd;

	ck_assert_int_eq(object_write_mem(st, "hello, world\n", 13, hash, &err),
			 0);
	path = object_path(st, hash);
	/* Replace the blob by a valid zlib stream of other content. */
	{
		struct buf other = BUF_INIT;
		char h2[HASH_HEX_LEN + 1];
		char *p2;

		ck_assert_int_eq(object_write_mem(st, "goodbye\n", 8, h2, &err),
				 0);
		p2 = object_path(st, h2);
		ck_assert_int_eq(buf_read_file(&other, p2, 0, &err), 0);
		ck_assert_int_eq(fs_write_file_atomic(path, other.s, other.len,
						   &err), 0);
		free(p2);
		buf_release(&other);
	}
	ck_assert_int_eq(object_verify(st, hash, NULL, &err), MLOPS_EINTERNAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "does not match its hash"));
	ck_assert_int_eq(object_read_mem(st, hash, &out, 0, &err),
			 MLOPS_EINTERNAL);
	/* Truncate it. */
	fd = open(path, O_WRONLY | O_TRUNC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "x", 1), 1);
	close(fd);
	ck_assert_int_eq(object_verify(st, hash, NULL, &err), MLOPS_EINTERNAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "damaged or truncated"));
	unlink(path);
	ck_assert_int_eq(object_verify(st, hash, NULL, &err), MLOPS_ENOTFOUND);
	free(path);
	buf_release(&out);
	fixture_store_free(st);
}
END_TEST

static void append(struct store *st, const char *action)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct audit_entry e = { action, "res", "success", NULL };

	ck_assert_msg(audit_append(st, &e, &err) == 0, "%s", err.msg);
}

static int verify(struct store *st, struct buf *problem)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	int64_t count;

	buf_reset(problem);
	return audit_verify(st, &count, problem, &err);
}

/* Rewrite audit.log through a shell command, for tampering. */
static void tamper(struct store *st, const char *sh)
{
	char *cmd = xasprintf("cd '%s' && %s", st->dir, sh);

	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
}

START_TEST(the_audit_chain_finds_every_kind_of_tampering)
{
	struct store *st = fixture_store_new();
	struct buf problem = BUF_INIT;

	for (int i = 0; i < 5; i++)
		append(st, "test.act");
	ck_assert_int_eq(verify(st, &problem), 0);
	tamper(st, "cp audit.log saved && cp audit.head saved.head");

	tamper(st, "sed -i '3s/test.act/test.bad/' audit.log");
	ck_assert_int_eq(verify(st, &problem), MLOPS_EXIT_FINDING);
	ck_assert_ptr_nonnull(strstr(problem.s, "audit.log:3: record 3"));
	ck_assert_ptr_nonnull(strstr(problem.s, "edited"));

	tamper(st, "cp saved audit.log && sed -i '2d' audit.log");
	ck_assert_int_eq(verify(st, &problem), MLOPS_EXIT_FINDING);
	ck_assert_ptr_nonnull(strstr(problem.s, "deleted or reordered"));

	tamper(st, "awk 'NR == 2 { held = $0; next } { print } NR == 3 "
	       "{ print held }' saved > audit.log");
	ck_assert_int_eq(verify(st, &problem), MLOPS_EXIT_FINDING);

	tamper(st, "cp saved audit.log && head -n 4 saved > audit.log");
	ck_assert_int_eq(verify(st, &problem), MLOPS_EXIT_FINDING);
	ck_assert_ptr_nonnull(strstr(problem.s, "truncated"));

	/* A torn final line (a crash mid-append) is not tampering, and the
	 * next append repairs it. */
	tamper(st, "cp saved audit.log && printf '{\"seq\":6,' >> audit.log");
	ck_assert_int_eq(verify(st, &problem), 0);
	append(st, "test.after");
	ck_assert_int_eq(verify(st, &problem), 0);
	buf_release(&problem);
	fixture_store_free(st);
}
END_TEST

static int count_events(int64_t seq, json_t *ev, void *arg)
{
	(void)seq;
	ck_assert_str_eq(jsonio_str(ev, "version"), "0");
	ck_assert_str_eq(jsonio_str(ev, "region"), "local");
	ck_assert_str_eq(jsonio_str(ev, "account"), "unit");
	(*(int *)arg)++;
	return 0;
}

START_TEST(events_have_the_eventbridge_envelope)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct store *st = fixture_store_new();
	struct event_filter f = EVENT_FILTER_INIT;
	json_t *detail = json_pack("{s:s}", "k", "v"), *ev = NULL;
	int n = 0;

	ck_assert_int_eq(event_emit(st, "mlops.test", "Thing Happened", NULL,
				    detail, &ev, &err), 0);
	ck_assert_str_eq(jsonio_str(ev, "detail-type"), "Thing Happened");
	ck_assert_uint_eq(strlen(jsonio_str(ev, "id")), 36);
	ck_assert_int_eq(event_emit(st, "mlops.other", "X", NULL, NULL, NULL,
				    &err), 0);
	f.source = "mlops.test";
	ck_assert_int_eq(event_each(st, &f, count_events, &n, &err), 0);
	ck_assert_int_eq(n, 1);
	json_decref(ev);
	json_decref(detail);

	ev = json_pack("{s:s,s:s,s:{}}", "source", "s", "detail-type", "d",
		       "detail");
	ck_assert_int_eq(event_normalise(st, ev, "e", &err), 0);
	ck_assert_int_eq(event_put(st, ev, &err), 0);
	ck_assert_int_eq(event_put(st, ev, &err), MLOPS_ENOTFOUND);
	json_decref(ev);
	ev = json_pack("{s:s,s:s,s:[]}", "source", "s", "detail-type", "d",
		       "detail");
	ck_assert_int_eq(event_normalise(st, ev, "e", &err), MLOPS_EINPUT);
	ck_assert_str_eq(err.msg, "e: \"detail\" must be a JSON object");
	json_decref(ev);
	fixture_store_free(st);
}
END_TEST

START_TEST(config_sets_nested_keys_and_validates_known_ones)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct store *st = fixture_store_new();
	struct spec_doc *cfg = NULL;

	ck_assert_int_eq(config_set(st->dir, "defaults.capture", "20", &err),
			 0);
	ck_assert_int_eq(config_set(st->dir, "environment", "no spaces",
				    &err), MLOPS_EINPUT);
	ck_assert_int_eq(config_set(st->dir, "bad..key", "1", &err),
			 MLOPS_EUSAGE);
	ck_assert_int_eq(config_set(st->dir, "defaults.capture.x", "1", &err),
			 MLOPS_EINPUT);
	ck_assert_int_eq(config_load(&cfg, st->dir, &err), 0);
	ck_assert_str_eq(config_get(cfg, "defaults.capture"), "20");
	ck_assert_str_eq(config_get(cfg, "environment"), "unit");
	spec_free(cfg);
	ck_assert_int_eq(config_unset(st->dir, "defaults.capture", &err), 0);
	ck_assert_int_eq(config_unset(st->dir, "defaults.capture", &err),
			 MLOPS_ENOTFOUND);
	fixture_store_free(st);
}
END_TEST

Suite *suite_store(void)
{
	Suite *s = suite_create("store");
	TCase *tc = tcase_create("store");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, new_store_is_at_latest_schema_in_wal_mode);
	tcase_add_test(tc, an_old_schema_is_migrated_and_a_newer_one_refused);
	tcase_add_test(tc, objects_round_trip_and_dedupe);
	tcase_add_test(tc, a_corrupt_or_truncated_blob_is_an_error);
	tcase_add_test(tc, the_audit_chain_finds_every_kind_of_tampering);
	tcase_add_test(tc, events_have_the_eventbridge_envelope);
	tcase_add_test(tc, config_sets_nested_keys_and_validates_known_ones);
	suite_add_tcase(s, tc);
	return s;
}
