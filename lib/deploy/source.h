/* source.h - what to deploy, resolved from the registry: a model
 * version (GROUP/N, GROUP@ALIAS or GROUP) as a deploy_source for
 * deploy_endpoint_create, deploy_endpoint_update and shadow tests. */
#ifndef MLOPS_DEPLOY_SOURCE_H
#define MLOPS_DEPLOY_SOURCE_H
#include "core/err.h"
#include "core/store.h"
#include "deploy/deploy.h"
#include "registry/registry.h"

struct deploy_resolved {
	struct registry_version *mv;
	char *ref;			/* "GROUP/N" */
	struct deploy_endpoint_artifact *arts;
	struct deploy_endpoint_source src;	/* points into the fields above */
};

/* Resolve ref through the registry into *out (released with
 * deploy_resolved_release, also on failure). */
int deploy_resolve(struct store *st, const char *ref,
		   struct deploy_resolved *out, struct mlops_err *err);
/* 1 when the version is Approved (the gate of create and update). */
int deploy_resolved_approved(const struct deploy_resolved *r);
void deploy_resolved_release(struct deploy_resolved *r);

#endif
