/* fuzz-predio.c - libFuzzer target for the gateway's request parsers:
 * whatever the body, predio_parse_csv and predio_parse_json must return
 * 0 or MLOPS_EINPUT, never crash, and a success must fill exactly
 * nrows x ncols floats. The first byte picks the feature count. */
#include <stddef.h>
#include <stdint.h>

#include "deploy/predio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct predio_rows rows = PREDIO_ROWS_INIT;
	size_t ncols;
	int ret;

	if (size < 1)
		return 0;
	ncols = data[0] % 8;
	ret = predio_parse_csv(&rows, (const char *)data + 1, size - 1,
			       ncols, &err);
	if (ret != 0 && ret != MLOPS_EINPUT)
		__builtin_trap();
	if (ret == 0 && rows.nrows * rows.ncols > rows.cap)
		__builtin_trap();
	ret = predio_parse_json(&rows, (const char *)data + 1, size - 1,
				ncols, &err);
	if (ret != 0 && ret != MLOPS_EINPUT)
		__builtin_trap();
	predio_rows_release(&rows);
	return 0;
}
