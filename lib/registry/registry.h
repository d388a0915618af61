/* registry.h - the model registry: model groups, numbered immutable
 * versions with their artifacts, metrics, params and lineage, the
 * approval status with its history, and aliases (champion, staging).
 *
 * A version is named "GROUP/N"; "GROUP@ALIAS" and "GROUP" (its latest
 * version) are accepted wherever one is. Artifacts are blobs in the
 * object store, owned by "registry:GROUP/N" in object_ref. Every status
 * change, including the one a registration makes, is recorded in the
 * history and emits a "Model Package State Change" event from source
 * "mlops.registry" in the same transaction. Audit records are the
 * caller's (cmd/) job, after commit.
 *
 * The public header of lib/registry: cmd/, tests and other domains include
 * this one; the other headers of lib/registry are private to it. */
#ifndef MLOPS_REGISTRY_H
#define MLOPS_REGISTRY_H
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/hash.h"
#include "core/store.h"

#define REGISTRY_EVENT_SOURCE "mlops.registry"
#define REGISTRY_EVENT_TYPE "Model Package State Change"

#define REGISTRY_PENDING "PendingManualApproval"
#define REGISTRY_APPROVED "Approved"
#define REGISTRY_REJECTED "Rejected"

struct registry_artifact {
	char *name;			/* file name as registered, basename */
	char hash[HASH_HEX_LEN + 1];
	uint64_t size;
};

struct registry_version {
	char *group;
	int64_t version;
	char *status;		/* "PendingManualApproval" | "Approved" |
				 * "Rejected" */
	char *framework;	/* "xgboost" | "exec" | "http" */
	char *entry;		/* the --entry command, or NULL */
	size_t nartifacts;
	struct registry_artifact *artifacts;
	json_t *metrics, *params, *meta;	/* objects, never NULL */
	json_t *lineage;	/* object, never NULL: commit, run, step,
				 * inputs, datasets */
	json_t *origin;		/* where an import came from, or NULL */
	char *description;	/* or NULL */
	char *created_by;
	int64_t created_us;
};

struct registry_group {
	char *name;
	char *description;	/* or NULL */
	json_t *tags;		/* object of strings, never NULL */
	char *created_by;
	int64_t created_us;
	int64_t versions;	/* how many */
	int64_t latest;		/* 0 when there is none */
	int64_t latest_approved;	/* 0 when there is none */
};

/* 1 when name is a valid group name, as SageMaker's:
 * [a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}. */
int registry_valid_group(const char *name);
/* 1 when name may be an alias: a letter, then letters, digits, '_' or
 * '-', at most 63 in all. */
int registry_valid_alias(const char *name);
/* 1 when name may name an artifact: a plain file name of 1-100 bytes
 * (it becomes a tar member name in exports), not "." or "..", without
 * '/', '\\' or control characters. */
int registry_valid_artifact_name(const char *name);
/* 1 when s is one of the three approval statuses. */
int registry_valid_status(const char *s);

/* Make a group; tags (an object of strings, borrowed) may be NULL.
 * MLOPS_ENOTFOUND (a conflict) when it exists. */
int registry_group_create(struct store *st, const char *name,
			  const char *description, json_t *tags,
			  struct mlops_err *err);
/* Read one group with its version counts; free with registry_group_free. */
int registry_group_get(struct store *st, const char *name,
		       struct registry_group **out, struct mlops_err *err);
/* Every group, by name: *out is an array of *n groups; free it with
 * registry_group_list_free. */
int registry_group_list(struct store *st, struct registry_group **out,
			size_t *n, struct mlops_err *err);
void registry_group_release(struct registry_group *g);
void registry_group_free(struct registry_group *g);
void registry_group_list_free(struct registry_group *gs, size_t n);

/* What registry_register needs. Everything is borrowed. */
struct registry_new_version {
	const char *group;
	const char *const *artifact_paths;	/* at least one */
	size_t nartifacts;
	/* Import only: the names to register the files under (instead of
	 * their basenames) and the hashes they must have. */
	const char *const *artifact_names;
	const char *const *artifact_hashes;
	const char *framework;	/* NULL: "xgboost" */
	const char *entry;	/* or NULL */
	json_t *metrics;	/* object of numbers (may nest), or NULL */
	json_t *params;		/* object of strings, or NULL */
	json_t *meta;		/* object of strings, or NULL */
	json_t *lineage;	/* object, or NULL */
	json_t *origin;		/* import only: where it came from */
	const char *status;	/* NULL: PendingManualApproval */
	const char *description;	/* or NULL */
	const char *created_by;	/* NULL: the acting user */
	int64_t created_us;	/* 0: now */
	int64_t version;	/* 0: the group's next number; import only:
				 * this exact number */
	int no_create;		/* refuse a missing group */
	const char *note;	/* for the first history row, or NULL */
	/* Called inside the transaction, before commit, to add rows that
	 * belong to the new version (an import's card revisions). */
	int (*in_transaction)(struct store *st, const char *group,
			      int64_t version, void *arg,
			      struct mlops_err *err);
	void *in_transaction_arg;
};

/* Register a new version: store the artifacts as blobs (verified), then
 * in one transaction number the version (the group's next number, taken
 * inside BEGIN IMMEDIATE so that concurrent registrations get distinct,
 * consecutive numbers), write its rows and emit the event. *version gets
 * its number. Bad input is MLOPS_EINPUT/MLOPS_EUSAGE, a missing artifact
 * or group (with no_create) MLOPS_ENOTFOUND; nothing is changed then.
 * When the lineage names a pipeline run and step that already registered
 * the same artifacts (names and hashes) in the group, nothing is added:
 * *version gets that version and the result is REGISTRY_ALREADY. */
#define REGISTRY_ALREADY 1
int registry_register(struct store *st, const struct registry_new_version *nv,
		      int64_t *version, struct mlops_err *err);

/* Check that metrics is a JSON object whose leaves are all numbers
 * (objects may nest); name is for messages. MLOPS_EINPUT otherwise. */
int registry_register_check_metrics(const json_t *metrics, const char *name,
			   struct mlops_err *err);

/* The lineage of a step of a pipeline run, from the environment:
 * MLOPS_RUN_ID, MLOPS_STEP, MLOPS_GIT_COMMIT and MLOPS_STEP_INPUTS (a JSON
 * object of input path -> hash). *out is a new object (empty outside a
 * pipeline); a malformed MLOPS_STEP_INPUTS is MLOPS_EINPUT. */
int registry_register_lineage_from_env(json_t **out, struct mlops_err *err);
/* Add {"path": path, "hash": sha256 of the file} to lineage.datasets. */
int registry_register_lineage_add_dataset(json_t *lineage, const char *path,
				 struct mlops_err *err);

/* Parse a reference without looking it up: GROUP/N sets *version, GROUP@A
 * sets *alias (pointing into ref), GROUP alone leaves both 0/NULL. *group
 * is a new string. MLOPS_EUSAGE for a malformed reference. */
int registry_parse_ref(const char *ref, char **group, int64_t *version,
		       const char **alias, struct mlops_err *err);

/* Resolve "GROUP/N", "GROUP@ALIAS" or "GROUP" (latest version) to a
 * version; MLOPS_ENOTFOUND naming what is missing, MLOPS_EUSAGE for a
 * malformed reference. The caller frees with registry_version_free. */
int registry_resolve(struct store *st, const char *ref,
		     struct registry_version **out, struct mlops_err *err);
/* Load GROUP/N exactly. */
int registry_version_get(struct store *st, const char *group,
			 int64_t version, struct registry_version **out,
			 struct mlops_err *err);
void registry_version_free(struct registry_version *mv);
/* 1 when a and b are the same version: group, number, framework,
 * metrics, params and artifacts (names and hashes, in order), as an
 * import judges a version it finds already there; else 0. */
int registry_version_same(const struct registry_version *a,
			  const struct registry_version *b);

/* The versions of group, oldest first, only those with status when it is
 * not NULL; *out is an array of *n pointers, freed with
 * registry_version_list_free. MLOPS_ENOTFOUND for a missing group. */
int registry_version_list(struct store *st, const char *group,
			  const char *status, struct registry_version ***out,
			  size_t *n, struct mlops_err *err);
void registry_version_list_free(struct registry_version **mvs, size_t n);

/* The newest version of group, with status when it is not NULL; 0 in
 * *version when there is none (not an error: the group exists). */
int registry_latest(struct store *st, const char *group, const char *status,
		    int64_t *version, struct mlops_err *err);

/* The version as JSON (the shape of `show --json` and of exports): group,
 * version, arn, status, framework, entry, artifacts, metrics, params,
 * meta, lineage, origin, description, created_by, created (RFC 3339).
 * A new reference. */
/* Group g as `mlops-registry list --json` prints it. The caller owns
 * the result. */
json_t *registry_group_json(const struct registry_group *g);
json_t *registry_version_json(const struct registry_version *mv);

/* Move a version to status (Approved or Rejected, or back to
 * PendingManualApproval), recording who (the acting user), when and note,
 * and emitting the event. *previous (may be NULL) gets the old status,
 * a new string. Returns 0 when changed, 1 when the version already had
 * that status (nothing recorded). */
int registry_status_set(struct store *st, const char *group, int64_t version,
			const char *status, const char *note,
			char **previous, struct mlops_err *err);
/* The status history of a version, oldest first: an array of objects
 * {previous, status, user, time, note}. A new reference in *out. */
int registry_status_history(struct store *st, const char *group,
			    int64_t version, json_t **out,
			    struct mlops_err *err);

/* The approval record of a version across environments, oldest first:
 * what its origin carried from the stores before this one, then this
 * store's own changes. Each record is {environment, action, status (the
 * version's after it), user, time, comment}; action is registered,
 * approved, rejected, pending (set back) or imported, and an import adds
 * from (the environment it came from). A new reference in *out. */
int registry_approvals(struct store *st, const struct registry_version *mv,
		       json_t **out, struct mlops_err *err);

/* Point alias at GROUP/version (moving it when set); aliases are names
 * like champion or staging. */
int registry_status_alias_set(struct store *st, const char *group,
		       const char *alias, int64_t version,
		       struct mlops_err *err);
/* Remove an alias; MLOPS_ENOTFOUND when it is not set. */
int registry_status_alias_rm(struct store *st, const char *group,
			     const char *alias, struct mlops_err *err);
/* The aliases of group: an array of {alias, version, set_by, set}. */
int registry_status_alias_list(struct store *st, const char *group,
			       json_t **out, struct mlops_err *err);

/* Write the artifacts of mv into dir (made if missing), each verified
 * before it appears under its name. */
int registry_get_artifacts(struct store *st, const struct registry_version *mv,
			   const char *dir, struct mlops_err *err);

/* The lineage report of a version: {group, version, status, lineage
 * (commit, run, step, inputs, datasets), registered {user, time},
 * approved {environment, user, time, note} (the latest approval in any
 * environment) or null, history (this store's), approvals (the record
 * of registry_approvals), training, origin}. training is the step that
 * made the version's artifacts, {run_id, step, inputs}, or null when
 * unknown: the step of the run that wrote one of them (as the run
 * recorded it), else the registering step, unless an artifact was among
 * that step's inputs. */
int registry_report_lineage(struct store *st, const struct registry_version *mv,
			    json_t **out, struct mlops_err *err);

/* Version mv as `mlops-registry show --json` prints it: its fields
 * (registry_version_json) with its status history, approvals and the
 * baseline registered with it (or null). The caller owns *out. */
int registry_report_show(struct store *st, const struct registry_version *mv,
			 json_t **out, struct mlops_err *err);

/* Compare two versions: {a, b, metrics, params, artifacts, differ}, each
 * section an array of {key, a, b} sorted by key (nested metrics as dotted
 * keys; metrics add "delta" = b - a when both are numbers). *differ is 1
 * when anything differs. A new reference. */
json_t *registry_report_diff(const struct registry_version *a,
		      const struct registry_version *b, int *differ);

/* Write GROUP/N as an export tar stream to fd (mlops-registry-export(5)):
 * manifest.json, the artifacts, card.json. Streams blobs without holding
 * them in memory; the same version always gives the same bytes. */
int registry_transfer_export(struct store *st,
			     const struct registry_version *mv, int fd,
			     struct mlops_err *err);

/* Read an export stream from fd (stream names it in messages) and
 * register its version under the same GROUP/N, keeping its lineage,
 * recording where it came from (origin) and taking its status, or
 * status when that is not NULL. An artifact larger than max_size bytes
 * (0: no limit) is refused. The whole stream is read and checked
 * (names, sizes, hashes, an exact member list) before anything is
 * written; a refused stream changes nothing (MLOPS_EINPUT). The
 * version's monitoring baseline, when the stream has one, is attached
 * with it. Importing a version that is already here with the same
 * content sets *unchanged to REGISTRY_IMPORT_SAME, or to
 * REGISTRY_IMPORT_BASELINE when the stream's baseline was attached to
 * it, having none here; with other content it is MLOPS_ENOTFOUND (a
 * conflict). *group (new string) and *version name the version. */
#define REGISTRY_IMPORT_SAME 1
#define REGISTRY_IMPORT_BASELINE 2
int registry_transfer_import(struct store *st, int fd, const char *stream,
		    const char *status, uint64_t max_size, char **group,
		    int64_t *version, int *unchanged, struct mlops_err *err);
/* registry_transfer_import, with detail (borrowed, may be NULL) added to
 * the detail of its audit record: what a sync knows of the version's
 * past in the store it came from. */
int registry_transfer_import_with(struct store *st, int fd,
		    const char *stream, const char *status, uint64_t max_size,
		    const json_t *detail, char **group, int64_t *version,
		    int *unchanged, struct mlops_err *err);

/* card.c: the model card of each registered version, kept as
 * immutable revisions: every change (create, a field edit, a status
 * change) is a new revision numbered 1, 2, 3...; older ones stay
 * readable. An Archived card is read-only. The content's schema and
 * rendering are registry.h's job. */

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

/* Apply n "KEY=VALUE" edits (see registry_modelcard_set) as one new
 * revision. */
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

/* Bring the card of GROUP/version up to theirs, the revisions of the same
 * version's card in another store (registry_card_revisions' array, from
 * a sync): when this store's revisions are the first of theirs, append
 * the rest in one transaction, audited as "registry.card.import". *added
 * gets how many (0: nothing to do, nothing recorded). When this store's
 * card has revisions of its own, nothing changes and the result is
 * REGISTRY_CARD_DIVERGED. */
#define REGISTRY_CARD_DIVERGED 1
int registry_card_catch_up(struct store *st, const char *group,
			   int64_t version, const json_t *theirs,
			   int64_t *added, struct mlops_err *err);

/* baseline.c: the monitoring baseline attached to a version by
 * mlops-monitor baseline --register (lib/monitor keeps it). */
/* *out gets {baseline: "GROUP/N", statistics, constraints (the files'
 * SHA-256), registered (RFC 3339), registered_by}, a new reference, or
 * NULL when the version has none. */
int registry_baseline_get(struct store *st, const char *group,
			  int64_t version, json_t **out,
			  struct mlops_err *err);
/* Attach the baseline whose files are the blobs statistics and
 * constraints (written already) to group/version, replacing any, held
 * by the blob owner "monitor-baseline:GROUP/N". Inside the caller's
 * transaction: mlops-monitor baseline --register and an import. */
int registry_baseline_insert(struct store *st, const char *group,
			     int64_t version, const char *statistics,
			     const char *constraints, int64_t created_us,
			     const char *created_by, struct mlops_err *err);
/* Link baseline (registry_baseline_get's, or NULL) from the card
 * content's evaluation_details as the entry named "monitoring
 * baseline", replacing an earlier one in place, or removing it when
 * baseline is NULL. Like the approval fields, the registry applies it
 * whenever it hands a card out. */
void registry_baseline_card(json_t *content, const json_t *baseline);

/* modelcard.c: model card content after SageMaker's model card JSON
 * schema (v0.1.0): the sections model_overview, intended_uses,
 * business_details, training_details, evaluation_details and
 * additional_information, checked field by field against a schema table;
 * dotted-key edits typed by that schema; what the registry can fill in
 * by itself; and rendering as Markdown or self-contained HTML.
 *
 * A card revision, as stored and exported, is the object {revision,
 * status, content, change, user, time}. Storage is registry.h's. */

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
int registry_modelcard_check_revisions(const json_t *revisions,
				       const char *name, struct mlops_err *err);

/* Render a card revision for people: format "md", "html" (one
 * self-contained page, no external assets) or "fragment" (the same
 * HTML without its page, to embed). title names the model. */
int registry_modelcard_render(struct buf *out, const json_t *revision,
		     const char *title, const char *format,
		     struct mlops_err *err);

#endif
