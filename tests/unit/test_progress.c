/* test_progress.c - unit tests of the progress line: its figures, its
 * rate limit and what reaches the terminal, on a fake clock. */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "core/buf.h"
#include "core/progress.h"
#include "core/time.h"

static int64_t fake_now;
static long fake_reads;

static int64_t fake_clock(void)
{
	fake_reads++;
	return fake_now;
}

/* A reporter on the write end of a pipe whose read end is *rd. */
static struct progress *pipe_progress(int *rd)
{
	int fds[2];
	struct progress *p;

	ck_assert_int_eq(pipe2(fds, O_NONBLOCK), 0);
	*rd = fds[0];
	p = progress_new(fds[1], "mlops-x");
	p->clock = fake_clock;
	fake_now = 1000 * TIME_US_PER_SEC;
	fake_reads = 0;
	return p;
}

/* Everything written so far. */
static char *drain(int fd)
{
	static char text[65536];
	ssize_t n = read(fd, text, sizeof(text) - 1);

	text[n > 0 ? n : 0] = '\0';
	return text;
}

static void close_progress(struct progress *p, int rd)
{
	int wr = p->fd;

	progress_free(p);
	close(wr);
	close(rd);
}

static void expect_amount(double n, enum progress_unit unit,
			  const char *want)
{
	struct buf b = BUF_INIT;

	progress_format_amount(&b, n, unit);
	ck_assert_str_eq(b.s, want);
	buf_release(&b);
}

static void expect_duration(int64_t s, const char *want)
{
	struct buf b = BUF_INIT;

	progress_format_duration(&b, s);
	ck_assert_str_eq(b.s, want);
	buf_release(&b);
}

START_TEST(progress_amounts_keep_three_digits)
{
	expect_amount(0, PROGRESS_ROWS, "0");
	expect_amount(999, PROGRESS_ROWS, "999");
	expect_amount(999.7, PROGRESS_ROWS, "1.00k");
	expect_amount(12345, PROGRESS_ROWS, "12.3k");
	expect_amount(123456, PROGRESS_ROWS, "123k");
	expect_amount(1200000, PROGRESS_ROWS, "1.20M");
	expect_amount(3e9, PROGRESS_ROWS, "3.00G");
	expect_amount(512, PROGRESS_BYTES, "512 B");
	expect_amount(1536, PROGRESS_BYTES, "1.50 KiB");
	expect_amount(45.2 * 1048576, PROGRESS_BYTES, "45.2 MiB");
	expect_amount(120.0 * 1048576, PROGRESS_BYTES, "120 MiB");
	expect_amount(2.0 * 1073741824, PROGRESS_BYTES, "2.00 GiB");
	expect_duration(0, "0s");
	expect_duration(59, "59s");
	expect_duration(245, "4m05s");
	expect_duration(7620, "2h07m");
}
END_TEST

START_TEST(progress_line_has_rate_percent_and_time_left)
{
	struct buf b = BUF_INIT;
	int rd;
	struct progress *p = pipe_progress(&rd);

	progress_start(p, PROGRESS_BYTES, 120 * 1048576, "ingest %s",
		       "churn");
	ck_assert_str_eq(drain(rd), "\rmlops-x: ingest churn: 0 B of 120 MiB, "
			 "0%");
	fake_now += 3 * TIME_US_PER_SEC / 2;
	p->done = 45 * 1048576;
	progress_format(&b, p, fake_now, 0);
	/* 30 MiB/s; 75 MiB to go: 2.5 s, rounded */
	ck_assert_str_eq(b.s, "mlops-x: ingest churn: 45.0 MiB of 120 MiB, "
			 "30.0 MiB/s, 37%, 3s left");
	buf_reset(&b);
	progress_start(p, PROGRESS_ROWS, 0, "dataset");
	fake_now += 2 * TIME_US_PER_SEC;
	p->done = 824000;
	progress_format(&b, p, fake_now, 0);
	ck_assert_str_eq(b.s, "mlops-x: dataset: 824k rows, 412k rows/s");
	buf_reset(&b);
	progress_format(&b, p, fake_now, 1);
	ck_assert_str_eq(b.s, "mlops-x: dataset: 824k rows, 412k rows/s, "
			 "done");
	buf_release(&b);
	close_progress(p, rd);
}
END_TEST

START_TEST(progress_line_cuts_the_name_to_79_columns)
{
	struct buf b = BUF_INIT;
	int rd;
	struct progress *p = pipe_progress(&rd);

	progress_start(p, PROGRESS_BYTES, 1 << 30, "import %0100d", 7);
	fake_now += TIME_US_PER_SEC;
	p->done = 1 << 29;
	progress_format(&b, p, fake_now, 0);
	ck_assert_uint_eq(b.len, 79);
	ck_assert_ptr_nonnull(strstr(b.s, ": 512 MiB of 1.00 GiB, 512 MiB/s, "
				     "50%, 1s left"));
	buf_release(&b);
	close_progress(p, rd);
}
END_TEST

START_TEST(progress_redraws_ten_times_a_second_and_reads_the_clock_rarely)
{
	int rd;
	struct progress *p = pipe_progress(&rd);
	long lines = 0;
	char *s;

	progress_start(p, PROGRESS_ROWS, 0, "scan");
	drain(rd);
	fake_reads = 0;
	/* A million rows in one second of fake time, a microsecond a row
	 * whenever the clock is read. */
	for (int i = 0; i < 1000000; i++) {
		progress_add(p, 1);
		if (i % 1000 == 999)
			fake_now += 1000;
		if (i % 20000 == 19999) {
			for (s = drain(rd); (s = strchr(s, '\r')); s++)
				lines++;
		}
	}
	ck_assert_int_ge(lines, 9);
	ck_assert_int_le(lines, 11);
	/* The step grows while looks come faster than 5 ms apart. */
	ck_assert_int_lt(fake_reads, 1000);
	progress_done(p);
	/* One second: the last line stays, with a newline. */
	s = drain(rd);
	ck_assert_ptr_nonnull(strstr(s, "1.00M rows, 1.00M rows/s, done"));
	ck_assert_int_eq(s[strlen(s) - 1], '\n');
	close_progress(p, rd);
}
END_TEST

START_TEST(progress_wipes_a_short_operation_and_null_does_nothing)
{
	int rd;
	struct progress *p = pipe_progress(&rd);
	char *s;

	progress_start(NULL, PROGRESS_ROWS, 0, "nothing");
	progress_add(NULL, 5);
	progress_set(NULL, 5);
	progress_done(NULL);
	progress_clear(NULL);
	progress_start(p, PROGRESS_OBJECTS, 4, "fsck");
	progress_add(p, 4);
	fake_now += TIME_US_PER_SEC / 4;
	progress_done(p);
	s = drain(rd);
	ck_assert_ptr_nonnull(strstr(s, "fsck: 4 objects, 16 objects/s, "
				     "done"));
	/* Wiped with spaces and left at the start of the line. */
	ck_assert_int_eq(s[strlen(s) - 1], '\r');
	ck_assert_ptr_null(strchr(s, '\n'));
	/* Adding after the end draws nothing. */
	progress_add(p, 1000);
	fake_now += TIME_US_PER_SEC;
	progress_add(p, 1);
	ck_assert_str_eq(drain(rd), "");
	close_progress(p, rd);
}
END_TEST

Suite *suite_progress(void)
{
	Suite *s = suite_create("progress");
	TCase *tc = tcase_create("progress");

	tcase_add_test(tc, progress_amounts_keep_three_digits);
	tcase_add_test(tc, progress_line_has_rate_percent_and_time_left);
	tcase_add_test(tc, progress_line_cuts_the_name_to_79_columns);
	tcase_add_test(tc,
		progress_redraws_ten_times_a_second_and_reads_the_clock_rarely);
	tcase_add_test(tc,
		progress_wipes_a_short_operation_and_null_does_nothing);
	suite_add_tcase(s, tc);
	return s;
}
