/* test_tarball.c - unit tests of lib/core/tarball.c: what the writer makes
 * the reader (libarchive) takes back, and the reader refuses what it
 * must. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "core/tar.h"
#include "core/xalloc.h"

/* Write members into a memory file; returns its fd, rewound. */
static int archive(const char *const *names, const char *const *data,
		   size_t n)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	FILE *f = tmpfile();
	struct tar_writer w = { fileno(f), 0 };
	int fd;

	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(tar_write_mem(&w, names[i], data[i],
					       strlen(data[i]), 1700000000,
					       &err), 0);
	ck_assert_int_eq(tar_write_end(&w, &err), 0);
	ck_assert_uint_eq(w.offset % TAR_BLOCK, 0);
	fd = dup(fileno(f));
	fclose(f);
	lseek(fd, 0, SEEK_SET);
	return fd;
}

/* Overwrite len bytes at off of the archive behind fd. */
static void poke(int fd, off_t off, const void *bytes, size_t len)
{
	ck_assert_int_eq(pwrite(fd, bytes, len, off), (ssize_t)len);
}

/* Fix the header checksum at block offset off after a poke. */
static void fix_checksum(int fd, off_t off)
{
	unsigned char h[TAR_BLOCK];
	unsigned sum = 0;
	char field[8];

	ck_assert_int_eq(pread(fd, h, sizeof(h), off), TAR_BLOCK);
	memset(h + 148, ' ', 8);
	for (int i = 0; i < TAR_BLOCK; i++)
		sum += h[i];
	snprintf(field, sizeof(field), "%06o", sum);
	poke(fd, off + 148, field, 7);
}

START_TEST(written_members_read_back)
{
	const char *names[] = { "a/manifest.json", "a/b/data.bin" };
	const char *data[] = { "{}", "0123456789" };
	struct mlops_err err = MLOPS_ERR_INIT;
	struct tar_member m;
	struct tar_reader r;
	char buf[64];
	int fd = archive(names, data, 2);

	ck_assert_int_eq(tar_reader_open(&r, fd, "t.tar", &err), 0);
	ck_assert_int_eq(tar_next(&r, &m, &err), 1);
	ck_assert_str_eq(m.name, "a/manifest.json");
	ck_assert_int_eq(m.dir, 0);
	ck_assert_uint_eq(m.size, 2);
	ck_assert_int_eq(m.mtime, 1700000000);
	/* Skipping the unread data of a member is allowed. */
	ck_assert_int_eq(tar_next(&r, &m, &err), 1);
	ck_assert_str_eq(m.name, "a/b/data.bin");
	ck_assert_int_eq(tar_read(&r, buf, 4, &err), 4);
	ck_assert_int_eq(tar_read(&r, buf + 4, sizeof(buf), &err), 6);
	ck_assert_int_eq(tar_read(&r, buf, sizeof(buf), &err), 0);
	ck_assert_int_eq(memcmp(buf, "0123456789", 10), 0);
	ck_assert_int_eq(tar_next(&r, &m, &err), 0);
	tar_reader_release(&r);
	close(fd);
}
END_TEST

START_TEST(long_names_use_the_prefix_field)
{
	char name[201];
	const char *names[] = { name };
	const char *data[] = { "x" };
	struct mlops_err err = MLOPS_ERR_INIT;
	struct tar_member m;
	struct tar_reader r;
	int fd;

	memset(name, 'p', 120);
	name[120] = '/';
	memset(name + 121, 'n', 79);
	name[200] = '\0';
	fd = archive(names, data, 1);
	ck_assert_int_eq(tar_reader_open(&r, fd, "t.tar", &err), 0);
	ck_assert_int_eq(tar_next(&r, &m, &err), 1);
	ck_assert_str_eq(m.name, name);
	tar_reader_release(&r);
	close(fd);
}
END_TEST

START_TEST(names_that_do_not_fit_are_refused)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct tar_writer w = { -1, 0 };
	char name[160];

	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	ck_assert_int_eq(tar_write_header(&w, name, 1, 0, &err), MLOPS_EUSAGE);
	ck_assert_int_eq(tar_write_header(&w, "x", TAR_SIZE_MAX + 1, 0, &err),
			 MLOPS_EUSAGE);
}
END_TEST

static int read_first(int fd, struct tar_member *m, struct mlops_err *err)
{
	struct tar_reader r;
	int ret = tar_reader_open(&r, fd, "t.tar", err);

	if (ret == 0)
		ret = tar_next(&r, m, err);
	tar_reader_release(&r);
	return ret;
}

START_TEST(unsafe_names_and_types_are_refused)
{
	static const struct {
		const char *name;
		char type;
		const char *why;
	} cases[] = {
		{ "/etc/passwd", '0', "absolute path" },
		{ "a/../../x", '0', "'.' or '..'" },
		{ "a//b", '0', "empty path component" },
		{ "./a", '0', "'.' or '..'" },
		{ "link", '2', "symbolic link" },
		{ "hard", '1', "hard link" },
		{ "dev", '3', "character device" },
		{ "blk", '4', "block device" },
		{ "fifo", '6', "FIFO" },
		{ "/etc/", '5', "absolute path" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *names[] = { "placeholder" };
		const char *data[] = { "" };
		struct mlops_err err = MLOPS_ERR_INIT;
		struct tar_member m;
		char field[100] = { 0 };
		int fd = archive(names, data, 1);

		memcpy(field, cases[i].name, strlen(cases[i].name));
		poke(fd, 0, field, sizeof(field));
		poke(fd, 156, &cases[i].type, 1);
		poke(fd, 157, "target", 6);	/* what links point at */
		fix_checksum(fd, 0);
		ck_assert_int_eq(read_first(fd, &m, &err), MLOPS_EINPUT);
		ck_assert_msg(strstr(err.msg, cases[i].why) != NULL,
			      "%s: %s", cases[i].name, err.msg);
		close(fd);
	}
}
END_TEST

START_TEST(directories_are_members_without_data)
{
	const char *names[] = { "placeholder" };
	const char *data[] = { "" };
	struct mlops_err err = MLOPS_ERR_INIT;
	char field[100] = "a/dir/";
	struct tar_member m;
	int fd = archive(names, data, 1);

	poke(fd, 0, field, sizeof(field));
	poke(fd, 156, "5", 1);
	fix_checksum(fd, 0);
	ck_assert_int_eq(read_first(fd, &m, &err), 1);
	ck_assert_str_eq(m.name, "a/dir");
	ck_assert_int_eq(m.dir, 1);
	ck_assert_uint_eq(m.size, 0);
	close(fd);
}
END_TEST

START_TEST(corruption_and_truncation_are_found)
{
	const char *names[] = { "m", "n" };
	const char *data[] = { "hello", "world" };
	struct mlops_err err = MLOPS_ERR_INIT;
	struct tar_member m;
	struct tar_reader r;
	char buf[16];
	int fd = archive(names, data, 1);

	poke(fd, 0, "M", 1);
	ck_assert_int_eq(read_first(fd, &m, &err), MLOPS_EINPUT);
	ck_assert_msg(strstr(err.msg, "byte 0: not a tar archive") != NULL,
		      "%s", err.msg);
	close(fd);

	/* A bad checksum past the first header. */
	fd = archive(names, data, 2);
	poke(fd, 2 * TAR_BLOCK, "N", 1);
	ck_assert_int_eq(tar_reader_open(&r, fd, "t.tar", &err), 0);
	ck_assert_int_eq(tar_next(&r, &m, &err), 1);
	ck_assert_int_eq(tar_next(&r, &m, &err), MLOPS_EINPUT);
	ck_assert_msg(strstr(err.msg, "byte 1024: damaged tar stream") != NULL,
		      "%s", err.msg);
	tar_reader_release(&r);
	close(fd);

	fd = archive(names, data, 1);
	ck_assert_int_eq(ftruncate(fd, TAR_BLOCK + 3), 0);
	ck_assert_int_eq(tar_reader_open(&r, fd, "t.tar", &err), 0);
	ck_assert_int_eq(tar_next(&r, &m, &err), 1);
	ck_assert_int_eq(tar_read(&r, buf, sizeof(buf), &err), MLOPS_EINPUT);
	ck_assert_msg(strstr(err.msg, "byte 515: truncated tar stream") !=
		      NULL, "%s", err.msg);
	tar_reader_release(&r);
	close(fd);

	/* One zero block is an end for libarchive, not for us. */
	fd = archive(names, data, 1);
	ck_assert_int_eq(ftruncate(fd, 3 * TAR_BLOCK + 100), 0);
	ck_assert_int_eq(tar_reader_open(&r, fd, "t.tar", &err), 0);
	ck_assert_int_eq(tar_next(&r, &m, &err), 1);
	ck_assert_int_eq(tar_next(&r, &m, &err), MLOPS_EINPUT);
	ck_assert(strstr(err.msg, "byte 1024: the archive does not end with "
			 "two zero blocks") != NULL);
	tar_reader_release(&r);
	close(fd);

	/* Zeros after the end are padding; anything else is not. */
	fd = archive(names, data, 1);
	poke(fd, 4 * TAR_BLOCK, "\0\0\0", 3);
	ck_assert_int_eq(tar_reader_open(&r, fd, "t.tar", &err), 0);
	ck_assert_int_eq(tar_next(&r, &m, &err), 1);
	ck_assert_int_eq(tar_next(&r, &m, &err), 0);
	tar_reader_release(&r);
	poke(fd, 4 * TAR_BLOCK + 70000, "x", 1);
	lseek(fd, 0, SEEK_SET);
	ck_assert_int_eq(tar_reader_open(&r, fd, "t.tar", &err), 0);
	ck_assert_int_eq(tar_next(&r, &m, &err), 1);
	ck_assert_int_eq(tar_next(&r, &m, &err), MLOPS_EINPUT);
	ck_assert_msg(strstr(err.msg, "byte 72048: data after the end") !=
		      NULL, "%s", err.msg);
	tar_reader_release(&r);
	close(fd);

	fd = archive(names, data, 0);
	ck_assert_int_eq(ftruncate(fd, 0), 0);
	ck_assert_int_eq(read_first(fd, &m, &err), MLOPS_EINPUT);
	ck_assert(strstr(err.msg, "byte 0: empty stream") != NULL);
	close(fd);
}
END_TEST

Suite *suite_tarball(void)
{
	Suite *s = suite_create("tarball");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, written_members_read_back);
	tcase_add_test(tc, long_names_use_the_prefix_field);
	tcase_add_test(tc, names_that_do_not_fit_are_refused);
	tcase_add_test(tc, unsafe_names_and_types_are_refused);
	tcase_add_test(tc, directories_are_members_without_data);
	tcase_add_test(tc, corruption_and_truncation_are_found);
	suite_add_tcase(s, tc);
	return s;
}
