/* fixture.c - temporary stores for the unit tests; see fixture.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "fixture.h"
#include "core/fs.h"
#include "core/xalloc.h"

struct store *fixture_store_new(void)
{
	char tmpl[] = "/tmp/mlops-unit.XXXXXX";
	struct mlops_err err = MLOPS_ERR_INIT;
	struct store *st = NULL;
	int created;

	ck_assert_ptr_nonnull(mkdtemp(tmpl));
	setenv("MLOPS_USER", "unit@example.com", 1);
	ck_assert_msg(store_init(tmpl, "unit", &created, &err) == 0, "%s",
		      err.msg);
	ck_assert_int_eq(created, 1);
	ck_assert_msg(store_open(&st, tmpl, "mlops-test", &err) == 0, "%s",
		      err.msg);
	return st;
}

void fixture_store_free(struct store *st)
{
	char *cmd;

	if (!st)
		return;
	cmd = xasprintf("rm -rf '%s'", st->root);
	store_close(st);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
}

void fixture_write(const char *path, const char *data)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(data, f);
	ck_assert_int_eq(fclose(f), 0);
}
