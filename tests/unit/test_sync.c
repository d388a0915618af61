/* test_sync.c - environments and replication: copy.c's hashed copies,
 * remotes (governance/remote.c) and a capture sync that finds a file a
 * killed sync left behind (governance/sync.c). */
#include <dirent.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "fixture.h"
#include "core/copy.h"
#include "core/fs.h"
#include "core/xalloc.h"
#include "governance/governance.h"

/* The number of entries of dir, but for . and .. */
static int entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return n;
}

START_TEST(copy_file_hashes_and_leaves_nothing_on_failure)
{
	struct store *st = fixture_store_new();
	struct mlops_err err = MLOPS_ERR_INIT;
	char *tmp = store_path(st, "tmp"), *src = store_path(st, "src.txt");
	char *dst = store_path(st, "a/b/dst.txt"), *none = store_path(st, "x");
	char hash[HASH_HEX_LEN + 1], again[HASH_HEX_LEN + 1];
	uint64_t bytes = 0, n = 0;

	fixture_write(src, "abc");
	ck_assert_msg(copy_file(src, dst, tmp, hash, &bytes, &err) == 0, "%s",
		      err.msg);
	ck_assert_uint_eq(bytes, 3);
	ck_assert_str_eq(hash, "ba7816bf8f01cfea414140de5dae2223"
			 "b00361a396177a9cb410ff61f20015ad");
	ck_assert_int_eq(copy_hash(dst, again, &n, &err), 0);
	ck_assert_str_eq(again, hash);
	ck_assert_int_eq(copy_file(none, dst, tmp, hash, &bytes, &err),
			 MLOPS_ENOTFOUND);
	ck_assert_int_eq(entries(tmp), 0);
	ck_assert_int_eq(copy_hash(dst, again, &n, &err), 0);
	ck_assert_uint_eq(n, 3);
	free(tmp);
	free(src);
	free(dst);
	free(none);
	fixture_store_free(st);
}
END_TEST

START_TEST(remotes_are_other_stores)
{
	struct store *st = fixture_store_new(), *other = fixture_store_new();
	struct mlops_err err = MLOPS_ERR_INIT;
	struct governance_remote *rs = NULL;
	struct store *opened = NULL;
	size_t n = 0;

	ck_assert_int_eq(governance_remote_add(st, "self", st->root, &err),
			 MLOPS_EUSAGE);
	ck_assert_int_eq(governance_remote_add(st, "none", "/nonexistent",
					       &err), MLOPS_ENOTFOUND);
	ck_assert_int_eq(governance_remote_add(st, "a/b", other->root, &err),
			 MLOPS_EUSAGE);
	ck_assert_msg(governance_remote_add(st, "prod", other->root, &err)
		      == 0, "%s", err.msg);
	ck_assert_int_eq(governance_remote_add(st, "prod", other->root, &err),
			 MLOPS_ENOTFOUND);
	ck_assert_int_eq(governance_remote_list(st, &rs, &n, &err), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(rs[0].path, other->dir);
	governance_remote_list_free(rs, n);
	ck_assert_int_eq(governance_remote_open(st, "prod", &opened, &err), 0);
	ck_assert_str_eq(opened->dir, other->dir);
	store_close(opened);
	ck_assert_int_eq(governance_remote_open(st, "nope", &opened, &err),
			 MLOPS_ENOTFOUND);
	ck_assert_int_eq(governance_remote_open(st, st->dir, &opened, &err),
			 MLOPS_EUSAGE);
	ck_assert_int_eq(governance_remote_rm(st, "prod", &err), 0);
	ck_assert_int_eq(governance_remote_rm(st, "prod", &err),
			 MLOPS_ENOTFOUND);
	fixture_store_free(st);
	fixture_store_free(other);
}
END_TEST

START_TEST(capture_sync_records_a_file_a_killed_sync_copied)
{
	struct store *from = fixture_store_new(), *to = fixture_store_new();
	struct mlops_err err = MLOPS_ERR_INIT;
	struct governance_sync_result res;
	const char *rel = "capture/ep/2026/01/01/00/00-00-000-a.v-1.jsonl";
	char *dir = store_path(from, "capture/ep/2026/01/01/00");
	char *src = store_path(from, rel), *dst = store_path(to, rel);
	char *dstdir = fs_path_dirname(dst);
	char *src2 = xasprintf("%s/00-00-000-b.v-1.jsonl", dir);
	char *other = xasprintf("%s/00-00-000-b.v-1.jsonl", dstdir);

	ck_assert_int_eq(fs_mkdir_p(dir, &err), 0);
	ck_assert_int_eq(fs_mkdir_p(dstdir, &err), 0);
	fixture_write(src, "{}\n");
	fixture_write(dst, "{}\n");	/* renamed in place, not recorded */
	ck_assert_msg(governance_sync_run(from, to, GOVERNANCE_SYNC_CAPTURE,
					  "ep", INT64_MIN, &res, &err) == 0,
		      "%s", err.msg);
	ck_assert_int_eq(res.copied, 0);
	ck_assert_int_eq(res.present, 1);
	governance_sync_result_release(&res);
	/* A file there that is not what the sender has is not ours. */
	ck_assert_int_eq(rename(dst, other), 0);
	fixture_write(src2, "{}\n");
	fixture_write(other, "{\"x\":1}\n");
	ck_assert_int_eq(governance_sync_run(from, to, GOVERNANCE_SYNC_CAPTURE,
					     "ep", INT64_MIN, &res, &err),
			 MLOPS_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(err.msg, "with other content"));
	governance_sync_result_release(&res);
	free(dir);
	free(src);
	free(dst);
	free(dstdir);
	free(src2);
	free(other);
	fixture_store_free(from);
	fixture_store_free(to);
}
END_TEST

Suite *suite_sync(void)
{
	Suite *s = suite_create("sync");
	TCase *tc = tcase_create("sync");

	tcase_add_test(tc, copy_file_hashes_and_leaves_nothing_on_failure);
	tcase_add_test(tc, remotes_are_other_stores);
	tcase_add_test(tc, capture_sync_records_a_file_a_killed_sync_copied);
	suite_add_tcase(s, tc);
	return s;
}
