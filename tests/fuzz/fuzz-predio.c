/* fuzz-predio.c - libFuzzer target for the gateway's request parsers:
 * whatever the body, deploy_predio_parse_csv and deploy_predio_parse_json
 * must return 0 or MLOPS_EINPUT, never crash, and a success must fill
 * exactly nrows x ncols floats. The first byte picks the feature count. */
#include <stddef.h>
#include <stdint.h>

#include "deploy/predio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct deploy_predio_rows rows = DEPLOY_PREDIO_ROWS_INIT;
	size_t ncols;
	int ret;

	if (size < 1)
		return 0;
	ncols = data[0] % 8;
	ret = deploy_predio_parse_csv(&rows, (const char *)data + 1, size - 1,
			       ncols, &err);
	if (ret != 0 && ret != MLOPS_EINPUT)
		__builtin_trap();
	if (ret == 0 && rows.nrows * rows.ncols > rows.cap)
		__builtin_trap();
	ret = deploy_predio_parse_json(&rows, (const char *)data + 1, size - 1,
				ncols, &err);
	if (ret != 0 && ret != MLOPS_EINPUT)
		__builtin_trap();
	deploy_predio_rows_release(&rows);
	return 0;
}
