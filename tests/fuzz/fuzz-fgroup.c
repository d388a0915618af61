/* fuzz-group.c - libFuzzer target for lib/feature/group.c.
 *
 * Loads the input as a feature group definition. A definition that
 * validates must survive the round trip through its stored JSON with the
 * same features, types and roles; and the input's bytes, cut into values
 * at newlines, must come back unchanged through the online record
 * packing. Any difference aborts; rejected definitions are fine. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "feature/feature.h"
#include "core/xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_json_round_trip(const struct feature_group *g)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct feature_group *back = NULL;
	json_t *j = feature_group_to_json(g);

	if (feature_group_from_json(&back, j, &err) < 0 ||
	    back->nfeatures != g->nfeatures ||
	    back->id_index != g->id_index ||
	    back->time_index != g->time_index || back->ttl_us != g->ttl_us ||
	    strcmp(back->name, g->name) != 0)
		abort();
	for (size_t i = 0; i < g->nfeatures; i++)
		if (strcmp(back->features[i].name, g->features[i].name) != 0 ||
		    back->features[i].type != g->features[i].type)
			abort();
	json_decref(j);
	feature_group_free(back);
}

static void check_pack_round_trip(const uint8_t *data, size_t size)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct buf packed = BUF_INIT, scratch = BUF_INIT;
	char *text = xstrndup((const char *)data, size);
	char **values = xcalloc(size + 1, sizeof(*values));
	char **back = xcalloc(size + 1, sizeof(*back));
	size_t n = 0;

	for (char *p = text; p; n++) {
		char *nl = strchr(p, '\n');

		values[n] = p;
		if (nl)
			*nl++ = '\0';
		p = nl;
	}
	feature_group_pack(&packed, n, values);
	if (feature_group_unpack(packed.s, packed.len, n, back, &scratch,
				 &err) < 0)
		abort();
	for (size_t i = 0; i < n; i++)
		if (strcmp(back[i], values[i]) != 0)
			abort();
	buf_release(&packed);
	buf_release(&scratch);
	free(values);
	free(back);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct feature_group *g = NULL;

	if (feature_group_load_yaml_mem(&g, (const char *)data, size,
					"fuzz.yaml", &err) == 0) {
		check_json_round_trip(g);
		feature_group_free(g);
	} else if (err.code != MLOPS_EINPUT) {
		abort();
	}
	check_pack_round_trip(data, size);
	return 0;
}
