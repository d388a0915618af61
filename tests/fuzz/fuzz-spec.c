/* fuzz-spec.c - libFuzzer target for the YAML spec loader: any input must
 * load or fail with a positioned message, never crash or leak; whatever
 * loads must emit and load again to the same tree. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int same(const struct spec_node *a, const struct spec_node *b)
{
	if (a->kind != b->kind || a->n != b->n)
		return 0;
	if (a->kind == SPEC_SCALAR)
		return strcmp(a->value, b->value) == 0;
	for (size_t i = 0; i < a->n; i++) {
		if (a->kind == SPEC_MAP && !same(a->keys[i], b->keys[i]))
			return 0;
		if (!same(a->items[i], b->items[i]))
			return 0;
	}
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct spec_doc *doc = NULL, *again = NULL;
	struct buf out = BUF_INIT;

	if (spec_load_mem(&doc, (const char *)data, size, "fuzz.yaml",
			  &err) < 0) {
		if (strncmp(err.msg, "fuzz.yaml", 9) != 0)
			abort();	/* every error names the file */
		return 0;
	}
	if (spec_emit(doc->root, &out, &err) == 0) {
		if (spec_load_mem(&again, out.s, out.len, "again.yaml",
				  &err) < 0 || !same(doc->root, again->root))
			abort();
		spec_free(again);
	}
	buf_release(&out);
	spec_free(doc);
	return 0;
}
