/* fuzz-csv.c - libFuzzer target for lib/core/csv.c.
 *
 * Reads the input as CSV; every record read is written back with
 * csv_write_record and read again, which must give the same fields, one
 * record and nothing after it. Any difference aborts. Reading errors are
 * fine (most random input is not CSV); crashes, leaks and undefined
 * behaviour are found by the sanitizers. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Read out back and check that it is exactly the record n, fields. */
static void check_round_trip(const struct buf *out, size_t n,
			     char *const *fields, const size_t *lens)
{
	struct csv_reader *r = csv_reader_new_mem(out->s, out->len, "rt");
	char **again;
	size_t m, i;

	if (csv_read(r, &m, &again, NULL) != 1 || m != n)
		abort();
	for (i = 0; i < n; i++)
		if (csv_field_len(r, i) != lens[i] ||
		    memcmp(again[i], fields[i], lens[i]) != 0)
			abort();
	if (csv_read(r, &m, &again, NULL) != 0)
		abort();
	csv_reader_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct csv_reader *r;
	struct buf out = BUF_INIT;
	size_t *lens = NULL;
	char **fields;
	size_t n, i;
	int ret;

	r = csv_reader_new_mem((const char *)data, size, "fuzz.csv");
	/* Small enough to reach the limit now and then. */
	csv_reader_set_max_record(r, 4096);
	while ((ret = csv_read(r, &n, &fields, &err)) == 1) {
		if (n == 0 || csv_record_line(r) < 1)
			abort();
		lens = realloc(lens, n * sizeof(*lens));
		if (!lens)
			abort();
		for (i = 0; i < n; i++) {
			lens[i] = csv_field_len(r, i);
			if (strlen(fields[i]) != lens[i])
				abort();
		}
		buf_reset(&out);
		csv_write_record(&out, n, fields);
		check_round_trip(&out, n, fields, lens);
	}
	if (ret < 0 && (err.code != ret || strncmp(err.msg, "fuzz.csv:", 9)))
		abort();
	free(lens);
	buf_release(&out);
	csv_reader_free(r);
	return 0;
}
