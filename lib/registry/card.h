/* registry_card.h - the model card of each registered version, kept as
 * immutable revisions: every change (create, a field edit, a status
 * change) is a new revision numbered 1, 2, 3...; older ones stay
 * readable. An Archived card is read-only. The content's schema and
 * rendering are modelcard.h's job. */
#ifndef MLOPS_REGISTRY_CARD_H
#define MLOPS_REGISTRY_CARD_H
#include <stdint.h>

#include <jansson.h>

#include "core/err.h"
#include "registry/registry.h"
#include "core/store.h"

/* Make the card of mv, status Draft: what the registry knows, with from
 * (card content, borrowed, may be NULL) merged over it. A card that
 * exists already is MLOPS_ENOTFOUND (a conflict). *revision gets 1. */
int registry_card_create(struct store *st, const struct registry_version *mv,
			 const json_t *from, int64_t *revision,
			 struct mlops_err *err);

/* The card revision (0: the latest) of GROUP/version as {revision,
 * status, content, change, user, time}; MLOPS_ENOTFOUND when there is
 * no card, or no such revision. A new reference. */
int registry_card_get(struct store *st, const char *group, int64_t version,
		      int64_t revision, json_t **out, struct mlops_err *err);

/* Apply n "KEY=VALUE" edits (see registry_modelcard_set) as one new revision. */
int registry_card_set(struct store *st, const char *group, int64_t version,
		      const char *const *assignments, size_t n,
		      int64_t *revision, struct mlops_err *err);

/* Move the card to status as a new revision; 1 (nothing written) when it
 * has that status already. Archived cards accept no change at all. */
int registry_card_set_status(struct store *st, const char *group,
			     int64_t version, const char *status,
			     int64_t *revision, struct mlops_err *err);

/* Every revision, oldest first (an empty array when there is no card). */
int registry_card_revisions(struct store *st, const char *group,
			    int64_t version, json_t **out,
			    struct mlops_err *err);

/* Inside the caller's transaction: store revisions (checked with
 * registry_modelcard_check_revisions) as the card of GROUP/version. */
int registry_card_insert_revisions(struct store *st, const char *group,
				   int64_t version, const json_t *revisions,
				   struct mlops_err *err);

#endif
