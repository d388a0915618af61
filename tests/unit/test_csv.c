/* test_csv.c - the CSV reader and writer (lib/core/csv.c).
 *
 * Most reader tests describe what was read as text, one line per record:
 * "LINE:field|field", with LF, CR, '|' and '\' escaped, or "error: MSG".
 * That keeps each case to its input and the expected reading. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "core/buf.h"
#include "core/csv.h"
#include "core/xalloc.h"

static void add_escaped(struct buf *out, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		switch (s[i]) {
		case '\n':
			buf_addstr(out, "\\n");
			break;
		case '\r':
			buf_addstr(out, "\\r");
			break;
		case '|':
		case '\\':
			buf_addch(out, '\\');
			buf_addch(out, s[i]);
			break;
		default:
			buf_addch(out, s[i]);
		}
	}
}

/* Read r to its end and describe what was read; the caller frees. */
static char *render(struct csv_reader *r)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct buf out = BUF_INIT;
	char **fields;
	size_t n, i;
	int ret;

	while ((ret = csv_read(r, &n, &fields, &err)) == 1) {
		ck_assert_uint_ge(n, 1);
		buf_addf(&out, "%ld:", csv_record_line(r));
		for (i = 0; i < n; i++) {
			ck_assert_uint_eq(csv_field_len(r, i),
					  strlen(fields[i]));
			if (i)
				buf_addch(&out, '|');
			add_escaped(&out, fields[i], csv_field_len(r, i));
		}
		buf_addch(&out, '\n');
	}
	if (ret < 0) {
		ck_assert_int_eq(ret, MLOPS_EINPUT);
		ck_assert_int_eq(err.code, MLOPS_EINPUT);
		buf_addf(&out, "error: %s\n", err.msg);
	}
	return buf_detach(&out, NULL);
}

static char *render_mem(const char *data, size_t len)
{
	struct csv_reader *r = csv_reader_new_mem(data, len, "t.csv");
	char *s = render(r);

	csv_reader_free(r);
	return s;
}

/* Check that reading the string literal in gives want. */
#define check_reads(in, want) do { \
		char *got_ = render_mem((in), sizeof(in) - 1); \
		ck_assert_str_eq(got_, (want)); \
		free(got_); \
	} while (0)

START_TEST(read_simple_records)
{
	check_reads("a,b,c\n1,2,3\n", "1:a|b|c\n2:1|2|3\n");
	check_reads("one\n", "1:one\n");
	check_reads("", "");
}
END_TEST

START_TEST(read_quoted_comma)
{
	check_reads("\"a,b\",c\n", "1:a,b|c\n");
	check_reads("x,\"Acme, Inc.\"\n", "1:x|Acme, Inc.\n");
}
END_TEST

START_TEST(read_embedded_newline_advances_line_numbers)
{
	check_reads("id,note\n1,\"two\nlines\"\n2,\"three\n\nlines\"\n3,x\n",
		    "1:id|note\n2:1|two\\nlines\n4:2|three\\n\\nlines\n"
		    "7:3|x\n");
	/* An error after a multi-line field names the physical line. */
	check_reads("h1,h2\n\"x\ny\nz\",2\nbad\"q,3\n",
		    "1:h1|h2\n2:x\\ny\\nz|2\n"
		    "error: t.csv:5: stray quote in unquoted field 1\n");
}
END_TEST

START_TEST(read_doubled_quotes)
{
	check_reads("\"say \"\"hi\"\"\",x\n", "1:say \"hi\"|x\n");
	check_reads("\"\"\"\"\n", "1:\"\n");
	check_reads("\"\",\"\"\"\"\"\"\n", "1:|\"\"\n");
}
END_TEST

START_TEST(read_crlf)
{
	check_reads("a,b\r\nc,d\r\n", "1:a|b\n2:c|d\n");
	check_reads("\"a\",\"b\"\r\n", "1:a|b\n");
	/* Inside quotes CR and LF are data. */
	check_reads("\"x\r\ny\",z\r\nnext\r\n", "1:x\\r\\ny|z\n3:next\n");
	/* A final CR is taken as a line end. */
	check_reads("a,b\r", "1:a|b\n");
}
END_TEST

START_TEST(read_missing_final_newline)
{
	check_reads("a,b\nc,d", "1:a|b\n2:c|d\n");
	check_reads("a,", "1:a|\n");
	check_reads("\"q\"", "1:q\n");
	check_reads("\"\"", "1:\n");
}
END_TEST

START_TEST(read_skips_bom_at_start_only)
{
	check_reads("\xEF\xBB\xBFid,name\n1,x\n", "1:id|name\n2:1|x\n");
	check_reads("\xEF\xBB\xBF", "");
	check_reads("\xEF\xBB", "1:\xEF\xBB\n");
	check_reads("a\n\xEF\xBB\xBF" "b\n", "1:a\n2:\xEF\xBB\xBF" "b\n");
}
END_TEST

START_TEST(read_empty_fields)
{
	check_reads(",,\n", "1:||\n");
	check_reads("a,,c\n", "1:a||c\n");
	check_reads("\"\",x,\n", "1:|x|\n");
	check_reads(" , \n", "1: | \n");
}
END_TEST

START_TEST(read_skips_blank_lines)
{
	check_reads("a\n\n\r\nb\n\n", "1:a\n4:b\n");
	check_reads("\n\n", "");
	check_reads("\r\n", "");
	check_reads("\n\nx", "3:x\n");
	/* A record of one empty field is written "" and is no blank line. */
	check_reads("\"\"\n\"\"\n", "1:\n2:\n");
}
END_TEST

START_TEST(read_unterminated_quote_names_both_lines)
{
	check_reads("a,b\nc,\"d\ne\nf\n",
		    "1:a|b\n"
		    "error: t.csv:4: unterminated quoted field starting at "
		    "line 2\n");
	check_reads("\"abc",
		    "error: t.csv:1: unterminated quoted field starting at "
		    "line 1\n");
	check_reads("x,\"",
		    "error: t.csv:1: unterminated quoted field starting at "
		    "line 1\n");
}
END_TEST

START_TEST(read_stray_quote)
{
	check_reads("a,b\nc,d\"e\n",
		    "1:a|b\nerror: t.csv:2: stray quote in unquoted field 2\n");
	check_reads("a,b,c\"\n",
		    "error: t.csv:1: stray quote in unquoted field 3\n");
	check_reads("\"a\"b,c\n",
		    "error: t.csv:1: text after closing quote in field 1\n");
	check_reads("x,\"a\" \n",
		    "error: t.csv:1: text after closing quote in field 2\n");
}
END_TEST

START_TEST(read_rejects_nul_and_bare_cr)
{
	check_reads("a,b\0c\n", "error: t.csv:1: NUL byte in field 2\n");
	check_reads("x\n\"a\0\"\n",
		    "1:x\nerror: t.csv:2: NUL byte in field 1\n");
	check_reads("a\rb\n",
		    "error: t.csv:1: carriage return not followed by "
		    "line feed\n");
	check_reads("a\n\rb\n",
		    "1:a\nerror: t.csv:2: carriage return not followed by "
		    "line feed\n");
}
END_TEST

START_TEST(read_error_is_final)
{
	static const char in[] = "a\n\"b\n";
	struct mlops_err err = MLOPS_ERR_INIT, again = MLOPS_ERR_INIT;
	struct csv_reader *r = csv_reader_new_mem(in, strlen(in), "t.csv");
	char **fields;
	size_t n;

	ck_assert_int_eq(csv_read(r, &n, &fields, &err), 1);
	ck_assert_int_eq(csv_read(r, &n, &fields, &err), MLOPS_EINPUT);
	ck_assert_int_eq(csv_read(r, &n, &fields, &again), MLOPS_EINPUT);
	ck_assert_str_eq(again.msg, err.msg);
	ck_assert_int_eq(csv_read(r, &n, &fields, NULL), MLOPS_EINPUT);
	csv_reader_free(r);
}
END_TEST

START_TEST(read_header_and_rows)
{
	static const char in[] = "id,name,age\n1,ann,30\n2,\"bo\nb\",41\n";
	struct mlops_err err = MLOPS_ERR_INIT;
	struct csv_reader *r = csv_reader_new_mem(in, strlen(in), "p.csv");
	char **names, **row;
	size_t ncols;

	ck_assert_int_eq(csv_read_header(r, &ncols, &names, &err), 0);
	ck_assert_uint_eq(ncols, 3);
	ck_assert_int_eq(csv_read_row(r, ncols, &row, &err), 1);
	ck_assert_str_eq(row[1], "ann");
	ck_assert_int_eq(csv_read_row(r, ncols, &row, &err), 1);
	ck_assert_str_eq(row[1], "bo\nb");
	ck_assert_int_eq(csv_record_line(r), 3);
	ck_assert_int_eq(csv_read_row(r, ncols, &row, &err), 0);
	/* The header outlives the records read after it. */
	ck_assert_str_eq(names[0], "id");
	ck_assert_str_eq(names[2], "age");
	ck_assert_ptr_null(names[3]);
	csv_reader_free(r);
}
END_TEST

START_TEST(read_row_with_wrong_field_count)
{
	static const char in[] = "a,b,c\n1,2,3\n\n\"x\ny\",5\n7,8,9\n";
	struct mlops_err err = MLOPS_ERR_INIT;
	struct csv_reader *r = csv_reader_new_mem(in, strlen(in), "d.csv");
	char **names, **row;
	size_t ncols;

	ck_assert_int_eq(csv_read_header(r, &ncols, &names, &err), 0);
	ck_assert_int_eq(csv_read_row(r, ncols, &row, &err), 1);
	ck_assert_int_eq(csv_read_row(r, ncols, &row, &err), MLOPS_EINPUT);
	ck_assert_int_eq(err.code, MLOPS_EINPUT);
	ck_assert_str_eq(err.msg, "d.csv:4: expected 3 fields, found 2");
	ck_assert_int_eq(csv_record_line(r), 4);
	/* The reader goes on after a row of the wrong length. */
	ck_assert_int_eq(csv_read_row(r, ncols, &row, &err), 1);
	ck_assert_str_eq(row[2], "9");
	ck_assert_int_eq(csv_record_line(r), 6);
	csv_reader_free(r);
}
END_TEST

START_TEST(read_header_of_empty_input)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct csv_reader *r = csv_reader_new_mem("\n\n", 2, "e.csv");
	char **names;
	size_t ncols;

	ck_assert_int_eq(csv_read_header(r, &ncols, &names, &err),
			 MLOPS_EINPUT);
	ck_assert_str_eq(err.msg, "e.csv: no header row");
	csv_reader_free(r);
}
END_TEST

START_TEST(read_record_limit)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct buf in = BUF_INIT;
	struct csv_reader *r;
	char **fields;
	size_t n;

	/* Fifteen bytes and a NUL fit a limit of 16; one more does not. */
	buf_addstr(&in, "abcdefghijklmno\n\"a\nb\",cdefghijkl\n");
	buf_addstr(&in, "x,\"");
	for (int i = 0; i < 100; i++)
		buf_addstr(&in, "0123456789\n");
	buf_addstr(&in, "\"\n");
	r = csv_reader_new_mem(in.s, in.len, "big.csv");
	csv_reader_set_max_record(r, 16);
	ck_assert_int_eq(csv_read(r, &n, &fields, &err), 1);
	ck_assert_int_eq(csv_read(r, &n, &fields, &err), 1);
	ck_assert_int_eq(csv_read(r, &n, &fields, &err), MLOPS_EINPUT);
	ck_assert_str_eq(err.msg, "big.csv:4: record larger than 16 bytes");
	csv_reader_free(r);

	/* The default limit is 16 MiB. */
	r = csv_reader_new_mem(in.s, in.len, "big.csv");
	ck_assert_int_eq(csv_read(r, &n, &fields, &err), 1);
	ck_assert_int_eq(csv_read(r, &n, &fields, &err), 1);
	ck_assert_int_eq(csv_read(r, &n, &fields, &err), 1);
	ck_assert_uint_eq(csv_field_len(r, 1), 1100);
	csv_reader_free(r);
	buf_release(&in);
}
END_TEST

START_TEST(read_name_of_stdin)
{
	struct csv_reader *r = csv_reader_new_mem("", 0, "-");

	ck_assert_str_eq(csv_reader_name(r), "<stdin>");
	csv_reader_free(r);
	csv_reader_free(NULL);
}
END_TEST

START_TEST(read_many_rows)
{
	struct buf in = BUF_INIT;
	struct csv_reader *r;
	char **fields;
	size_t n, rows = 0;
	char want[32];
	int ret;

	for (int i = 0; i < 100000; i++)
		buf_addf(&in, "%d,2,3\n", i);
	r = csv_reader_new_mem(in.s, in.len, "many.csv");
	while ((ret = csv_read(r, &n, &fields, NULL)) == 1) {
		ck_assert_uint_eq(n, 3);
		snprintf(want, sizeof(want), "%zu", rows);
		ck_assert_str_eq(fields[0], want);
		rows++;
	}
	ck_assert_int_eq(ret, 0);
	ck_assert_uint_eq(rows, 100000);
	ck_assert_int_eq(csv_record_line(r), 100000);
	csv_reader_free(r);
	buf_release(&in);
}
END_TEST

struct feeder {
	int fd;
	const char *data;
	size_t len;
	size_t step;	/* bytes per write(2) */
};

static void *feed(void *arg)
{
	struct feeder *f = arg;
	size_t off, n;

	for (off = 0; off < f->len; off += n) {
		n = f->len - off < f->step ? f->len - off : f->step;
		if (write(f->fd, f->data + off, n) != (ssize_t)n)
			break;
	}
	close(f->fd);
	return NULL;
}

/* Read data through a pipe fed step bytes per write by another thread. */
static char *render_pipe(const char *data, size_t len, size_t step)
{
	struct feeder f;
	struct csv_reader *r;
	char drain[4096];
	pthread_t t;
	int fds[2];
	char *s;

	ck_assert_int_eq(pipe(fds), 0);
	f.fd = fds[1];
	f.data = data;
	f.len = len;
	f.step = step;
	ck_assert_int_eq(pthread_create(&t, NULL, feed, &f), 0);
	r = csv_reader_new(fds[0], "t.csv");
	s = render(r);
	csv_reader_free(r);
	/* Drain what an error left unread, so that the feeder finishes. */
	while (read(fds[0], drain, sizeof(drain)) > 0)
		;
	close(fds[0]);
	pthread_join(t, NULL);
	return s;
}

START_TEST(read_pipe_one_byte_at_a_time)
{
	static const char *const inputs[] = {
		"\xEF\xBB\xBFid,\"na,me\"\r\n\r\n1,\"a\"\"b\r\nc\"\r\n2,,\n\n",
		"\xEF\xBB\xBF",
		"\xEF\xBB",
		"x,\"y\"\r",
		"a,b\nc,\"d\ne",
		"a,\"b\"c\n",
		"a\r\r\n",
	};
	size_t i;

	for (i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		size_t len = strlen(inputs[i]);
		char *want = render_mem(inputs[i], len);
		char *got = render_pipe(inputs[i], len, 1);

		ck_assert_str_eq(got, want);
		free(got);
		free(want);
	}
}
END_TEST

START_TEST(read_pipe_records_across_chunks)
{
	struct buf in = BUF_INIT;
	char *want, *got;

	/* Short rows, then fields far larger than one 64 KiB chunk, with
	 * quotes and line ends falling on odd offsets. */
	for (int i = 0; i < 20000; i++)
		buf_addf(&in, "%d,\"q\"\"%d\",x\r\n", i, i);
	buf_addstr(&in, "big,\"");
	for (int i = 0; i < 30000; i++)
		buf_addstr(&in, "ab\"\"c\n,");
	buf_addstr(&in, "\",");
	for (int i = 0; i < 100000; i++)
		buf_addch(&in, 'a' + i % 26);
	buf_addstr(&in, "\nend\n");
	want = render_mem(in.s, in.len);
	got = render_pipe(in.s, in.len, 4093);
	ck_assert_str_eq(got, want);
	free(got);
	got = render_pipe(in.s, in.len, 1 << 20);
	ck_assert_str_eq(got, want);
	free(got);
	ck_assert_ptr_nonnull(strstr(want, "\n20001:big|ab\"c\\n,"));
	ck_assert_ptr_nonnull(strstr(want, "\n50002:end\n"));
	free(want);
	buf_release(&in);
}
END_TEST

START_TEST(read_regular_file)
{
	struct buf in = BUF_INIT;
	FILE *f = tmpfile();
	struct csv_reader *r;
	char *want, *got;

	ck_assert_ptr_nonnull(f);
	for (int i = 0; i < 50000; i++)
		buf_addf(&in, "%d,\"%d\n\",z\n", i, i * 7);
	ck_assert_uint_eq(fwrite(in.s, 1, in.len, f), in.len);
	ck_assert_int_eq(fflush(f), 0);
	rewind(f);
	r = csv_reader_new(fileno(f), "f.csv");
	got = render(r);
	want = render_mem(in.s, in.len);
	ck_assert_str_eq(got, want);
	csv_reader_free(r);
	fclose(f);
	free(got);
	free(want);
	buf_release(&in);
}
END_TEST

static char *write_record(size_t n, char *const *fields)
{
	struct buf out = BUF_INIT;

	csv_write_record(&out, n, fields);
	return buf_detach(&out, NULL);
}

#define check_writes(want, ...) do { \
		char *const fields_[] = { __VA_ARGS__ }; \
		char *got_ = write_record(sizeof(fields_) / \
					  sizeof(fields_[0]), fields_); \
		ck_assert_str_eq(got_, (want)); \
		free(got_); \
	} while (0)

START_TEST(write_quotes_only_when_needed)
{
	check_writes("a,b,c\n", "a", "b", "c");
	check_writes("\"a,b\",c\n", "a,b", "c");
	check_writes("\"say \"\"hi\"\"\"\n", "say \"hi\"");
	check_writes("\"\"\"\"\n", "\"");
	check_writes("\"x\ny\",\"r\r\"\n", "x\ny", "r\r");
	check_writes("\" lead\",\"trail\t\",in side\n", " lead", "trail\t",
		     "in side");
	check_writes(",\n", "", "");
	check_writes("\"\"\n", "");
	check_writes("\"\xEF\xBB\xBFx\",\"\xEF\xBB\xBFy\"\n", "\xEF\xBB\xBFx",
		     "\xEF\xBB\xBFy");
	check_writes("caf\xC3\xA9\n", "caf\xC3\xA9");
}
END_TEST

START_TEST(write_field_by_length)
{
	struct buf out = BUF_INIT;

	csv_write_field(&out, "abcdef", 3, 1);
	csv_write_field(&out, "x,y", 3, 0);
	csv_write_field(&out, "", 0, 0);
	ck_assert_str_eq(out.s, "abc,\"x,y\",");
	buf_release(&out);
}
END_TEST

static unsigned long rng_state = 12345;

static unsigned rng(unsigned below)
{
	rng_state = rng_state * 6364136223846793005UL + 1442695040888963407UL;
	return (unsigned)((rng_state >> 33) % below);
}

/* A field of awkward pieces; the caller frees. */
static char *random_field(void)
{
	static const char *const pieces[] = {
		"a", "Z", "0", ",", "\"", "\"\"", "\n", "\r", "\r\n", " ",
		"\t", "\xEF\xBB\xBF", "\xC3\xA9", "|", "\\"
	};
	struct buf b = BUF_INIT;
	unsigned n = rng(4) == 0 ? 0 : rng(8);

	while (n--)
		buf_addstr(&b, pieces[rng(sizeof(pieces) /
					  sizeof(pieces[0]))]);
	return buf_detach(&b, NULL);
}

START_TEST(write_then_read_round_trip)
{
	enum { RECORDS = 2000, MAXF = 6 };
	static char *rec[RECORDS][MAXF];
	static size_t nf[RECORDS];
	struct mlops_err err = MLOPS_ERR_INIT;
	struct buf out = BUF_INIT;
	struct csv_reader *r;
	char **fields;
	size_t i, j, n;
	char *mem;
	size_t memlen;
	FILE *f;

	for (i = 0; i < RECORDS; i++) {
		nf[i] = 1 + rng(MAXF);
		for (j = 0; j < nf[i]; j++)
			rec[i][j] = random_field();
		csv_write_record(&out, nf[i], rec[i]);
	}

	/* The FILE writer writes the same bytes. */
	f = open_memstream(&mem, &memlen);
	ck_assert_ptr_nonnull(f);
	for (i = 0; i < RECORDS; i++)
		ck_assert_int_eq(csv_fwrite_record(f, nf[i], rec[i]), 0);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_uint_eq(memlen, out.len);
	ck_assert_int_eq(memcmp(mem, out.s, out.len), 0);
	free(mem);

	r = csv_reader_new_mem(out.s, out.len, "rt.csv");
	for (i = 0; i < RECORDS; i++) {
		ck_assert_int_eq(csv_read(r, &n, &fields, &err), 1);
		ck_assert_uint_eq(n, nf[i]);
		for (j = 0; j < n; j++) {
			ck_assert_uint_eq(csv_field_len(r, j),
					  strlen(rec[i][j]));
			ck_assert_str_eq(fields[j], rec[i][j]);
		}
	}
	ck_assert_int_eq(csv_read(r, &n, &fields, &err), 0);
	csv_reader_free(r);

	for (i = 0; i < RECORDS; i++)
		for (j = 0; j < nf[i]; j++)
			free(rec[i][j]);
	buf_release(&out);
}
END_TEST

START_TEST(fwrite_reports_write_error)
{
	char *const fields[] = { "a", "b" };
	FILE *f = fopen("/dev/full", "w");

	if (!f)
		return;		/* no /dev/full here; nothing to learn */
	setvbuf(f, NULL, _IONBF, 0);
	ck_assert_int_eq(csv_fwrite_record(f, 2, fields), -1);
	fclose(f);
}
END_TEST

Suite *suite_csv(void);	/* called from main.c */

Suite *suite_csv(void)
{
	Suite *s = suite_create("csv");
	TCase *tc = tcase_create("read");

	tcase_add_test(tc, read_simple_records);
	tcase_add_test(tc, read_quoted_comma);
	tcase_add_test(tc, read_embedded_newline_advances_line_numbers);
	tcase_add_test(tc, read_doubled_quotes);
	tcase_add_test(tc, read_crlf);
	tcase_add_test(tc, read_missing_final_newline);
	tcase_add_test(tc, read_skips_bom_at_start_only);
	tcase_add_test(tc, read_empty_fields);
	tcase_add_test(tc, read_skips_blank_lines);
	tcase_add_test(tc, read_unterminated_quote_names_both_lines);
	tcase_add_test(tc, read_stray_quote);
	tcase_add_test(tc, read_rejects_nul_and_bare_cr);
	tcase_add_test(tc, read_error_is_final);
	tcase_add_test(tc, read_header_and_rows);
	tcase_add_test(tc, read_row_with_wrong_field_count);
	tcase_add_test(tc, read_header_of_empty_input);
	tcase_add_test(tc, read_record_limit);
	tcase_add_test(tc, read_name_of_stdin);
	tcase_add_test(tc, read_many_rows);
	tcase_add_test(tc, read_pipe_one_byte_at_a_time);
	tcase_add_test(tc, read_pipe_records_across_chunks);
	tcase_add_test(tc, read_regular_file);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);

	tc = tcase_create("write");
	tcase_add_test(tc, write_quotes_only_when_needed);
	tcase_add_test(tc, write_field_by_length);
	tcase_add_test(tc, write_then_read_round_trip);
	tcase_add_test(tc, fwrite_reports_write_error);
	suite_add_tcase(s, tc);
	return s;
}
