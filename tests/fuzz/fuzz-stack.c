/* fuzz-stack.c - libFuzzer target for the stack file loader (lib/iac,
 * man 5 mlops-stack): the input is written as stack.yaml in a temporary
 * directory and loaded with the "dev" environment; every error must name
 * a file, and a stack that loads must describe each resource as a JSON
 * object, and each feature group's settings must dump too. Includes
 * resolve beside it (the seed corpus's includes do not exist, so they
 * are errors). Crashes, leaks and undefined behaviour are found by the
 * sanitizers. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "iac/iac.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[] = "/tmp/mlops-fuzz-stack.XXXXXX";
static char path[64];

static void clean(void)
{
	unlink(path);
	rmdir(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct iac_stack *s = NULL;
	FILE *f;

	if (!path[0]) {
		if (!mkdtemp(dir))
			abort();
		snprintf(path, sizeof(path), "%s/stack.yaml", dir);
		atexit(clean);
	}
	if (!(f = fopen(path, "w")) || fwrite(data, 1, size, f) != size ||
	    fclose(f) != 0)
		abort();
	if (iac_stack_load(&s, path, NULL, "dev", &err) < 0) {
		if (!err.msg[0])
			abort();	/* every error says why */
		return 0;
	}
	for (size_t i = 0; i < s->n; i++) {
		const struct iac_resource *r = &s->res[i];
		char *text = json_dumps(r->settings, JSON_SORT_KEYS);

		if (!r->name || !json_is_object(r->settings) || !text)
			abort();
		free(text);
		if (r->kind == IAC_FEATURE_GROUP) {
			json_t *g = iac_stack_group_settings(r->group);

			if (!json_is_object(g))
				abort();
			json_decref(g);
		}
	}
	iac_stack_free(s);
	return 0;
}
