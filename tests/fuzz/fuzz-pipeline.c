/* fuzz-pipeline.c - libFuzzer target for lib/pipeline/spec.c and
 * lib/pipeline/expr.c.
 *
 * Loads the input as a pipeline.yaml (validation included: needs, cycles,
 * references, conditions), and evaluates it as a condition and as a text
 * to substitute over a few fixed values. Errors are fine (most input is
 * not a valid pipeline); crashes, leaks and undefined behaviour are found
 * by the sanitizers. A loaded pipeline must order every step after what
 * it needs, or the target aborts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "pipeline/pipeline.h"
#include "core/xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fixed(const char *ref, struct pipeline_expr_value *out, void *arg,
		 struct mlops_err *err)
{
	(void)arg;
	if (strcmp(ref, "n") == 0) {
		out->kind = PIPELINE_EXPR_NUM;
		out->num = 1.5;
	} else if (strcmp(ref, "s") == 0) {
		out->kind = PIPELINE_EXPR_STR;
		out->str = xstrdup("abc");
	} else if (strcmp(ref, "b") == 0) {
		out->kind = PIPELINE_EXPR_BOOL;
		out->boolean = 1;
	} else {
		return mlops_err_set(err, MLOPS_EINPUT, "no '%s'", ref);
	}
	return 0;
}

static void check_order(const struct pipeline *p)
{
	size_t *pos = calloc(p->nsteps + 1, sizeof(*pos));

	for (size_t i = 0; i < p->nsteps; i++)
		pos[p->order[i]] = i;
	for (size_t i = 0; i < p->nsteps; i++)
		for (size_t k = 0; k < p->steps[i].nneeds; k++)
			if (pos[p->steps[i].need_idx[k]] >= pos[i])
				abort();
	free(pos);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct pipeline *p = NULL;
	struct buf text = BUF_INIT;
	struct buf out = BUF_INIT;
	int value;

	if (pipeline_load_mem(&p, (const char *)data, size, "fuzz.yaml",
			      "/nonexistent", NULL, 0, &err) == 0) {
		check_order(p);
		pipeline_free(p);
	}
	buf_add(&text, data, size);	/* NUL-terminated copy */
	if (pipeline_expr_eval(&value, text.s, fixed, NULL, &err) == 0 &&
	    value != 0 && value != 1)
		abort();
	pipeline_expr_subst(&out, text.s, fixed, NULL, &err);
	buf_release(&out);
	buf_release(&text);
	return 0;
}
