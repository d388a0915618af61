/* source.c - resolve a registry reference into a deploy_source (see
 * source.h). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "deploy/deploy.h"
#include "registry/registry.h"

int deploy_source_resolve(struct store *st, const char *ref,
		   struct deploy_source_resolved *out, struct mlops_err *err)
{
	struct registry_version *mv;
	int ret;

	memset(out, 0, sizeof(*out));
	if ((ret = registry_resolve(st, ref, &out->mv, err)) < 0)
		return ret;
	mv = out->mv;
	out->ref = xasprintf("%s/%" PRId64, mv->group, mv->version);
	out->arts = xcalloc(mv->nartifacts + 1, sizeof(*out->arts));
	for (size_t i = 0; i < mv->nartifacts; i++) {
		out->arts[i].name = mv->artifacts[i].name;
		out->arts[i].hash = mv->artifacts[i].hash;
	}
	out->src.ref = out->ref;
	out->src.framework = mv->framework;
	out->src.entry = mv->entry;
	out->src.nartifacts = mv->nartifacts;
	out->src.artifacts = out->arts;
	return 0;
}

int deploy_source_resolve_gated(struct store *st, const char *ref,
				int allow_unapproved,
				struct deploy_source_resolved *out,
				struct mlops_err *err)
{
	int ret = deploy_source_resolve(st, ref, out, err);

	if (ret == 0 && !allow_unapproved &&
	    strcmp(out->mv->status, REGISTRY_APPROVED) != 0) {
		/* A finding, not an error: the message, and exit 1. */
		ret = mlops_err_set(err, MLOPS_EXIT_FINDING, "%s is %s, not "
				    "Approved (approve it, or use "
				    "--allow-unapproved)", out->ref,
				    out->mv->status);
	}
	if (ret != 0)
		deploy_source_release(out);
	return ret;
}

void deploy_source_release(struct deploy_source_resolved *r)
{
	registry_version_free(r->mv);
	free(r->ref);
	free(r->arts);
	memset(r, 0, sizeof(*r));
}
