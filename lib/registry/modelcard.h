/* modelcard.h - model card content after SageMaker's model card JSON
 * schema (v0.1.0): the sections model_overview, intended_uses,
 * business_details, training_details, evaluation_details and
 * additional_information, checked field by field against a schema table;
 * dotted-key edits typed by that schema; what the registry can fill in
 * by itself; and rendering as Markdown or self-contained HTML.
 *
 * A card revision, as stored and exported, is the object {revision,
 * status, content, change, user, time}. Storage is registry_card.h's. */
#ifndef MLOPS_REGISTRY_MODELCARD_H
#define MLOPS_REGISTRY_MODELCARD_H
#include <jansson.h>

#include "core/buf.h"
#include "core/err.h"
#include "registry/registry.h"

#define REGISTRY_MODELCARD_DRAFT "Draft"
#define REGISTRY_MODELCARD_ARCHIVED "Archived"

/* 1 for Draft, PendingReview, Approved or Archived. */
int registry_modelcard_valid_status(const char *s);

/* Check content against the schema: only known fields, each of its type
 * (enums such as risk_rating among their values). name is for messages;
 * MLOPS_EINPUT names the first offending field by its dotted path. */
int registry_modelcard_validate(const json_t *content, const char *name,
		       struct mlops_err *err);

/* Set the field at a dotted key ("intended_uses.risk_rating",
 * "evaluation_details.0.name", "additional_information.custom_details.x")
 * to value, converted to the field's type: text for strings, a number,
 * true/false, an enum value, or JSON for objects and arrays. An index
 * equal to an array's length appends. A key not in the schema, or a
 * value of the wrong type, is MLOPS_EINPUT and leaves content alone. */
int registry_modelcard_set(json_t *content, const char *key, const char *value,
		  struct mlops_err *err);

/* What the registry knows about mv, as card content: ids, version,
 * framework, artifacts, params, metrics, lineage and who registered and
 * approved it. report is registry_report_lineage's. A new reference. */
json_t *registry_modelcard_populate(const struct registry_version *mv,
			   const json_t *report);

/* Set the fields of content that follow the version's approval, in
 * additional_information.custom_details: approval_status (status) and
 * approved_by, approved (from approved, {user, time}, or removed when it
 * is null). The registry calls it whenever it hands a card out, so that
 * a card never shows a status the version has left. */
void registry_modelcard_set_approval(json_t *content, const char *status,
			    const json_t *approved);

/* Load card content from a .json file or a YAML file (any other name),
 * YAML scalars typed by the schema; "path:line:col" in errors. */
int registry_modelcard_load_file(json_t **out, const char *path,
			struct mlops_err *err);

/* Merge src into dst: objects recursively, anything else replaced. */
void registry_modelcard_merge(json_t *dst, const json_t *src);

/* Check an array of card revisions (from an import): each well formed
 * (its time a timestamp), numbered 1, 2, 3..., its content valid. */
int registry_modelcard_check_revisions(const json_t *revisions, const char *name,
			      struct mlops_err *err);

/* Render a card revision for people: format "md" or "html" (one
 * self-contained page, no external assets). title names the model. */
int registry_modelcard_render(struct buf *out, const json_t *revision,
		     const char *title, const char *format,
		     struct mlops_err *err);

#endif
