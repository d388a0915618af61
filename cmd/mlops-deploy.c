/* mlops-deploy.c - serverless inference endpoints: create, update
 * (blue/green), rollback, delete, list, describe, API keys; the gateway
 * and the client are in mlops-deploy/. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/cli.h"
#include "deploy/deploy.h"
#include "core/jsonio.h"
#include "mlops-deploy/deploy.h"
#include "core/parse.h"
#include "registry/registry.h"
#include "core/table.h"
#include "core/time.h"
#include "core/xalloc.h"

static const char usage_create[] =
	"usage: mlops-deploy create ENDPOINT --model GROUP/N|GROUP@ALIAS\n"
	"                           [--max-concurrency N] [--memory MB]\n"
	"                           [--provisioned N] [--idle-timeout D]\n"
	"                           [--capture PERCENT] [--timeout D]\n"
	"                           [--max-payload SIZE] [--allow-unapproved]\n"
	"\n"
	"Deploy a registered model version to a new endpoint. The version\n"
	"must be Approved unless --allow-unapproved is given.\n"
	"\n"
	"  --model REF            GROUP/N, GROUP@ALIAS or GROUP (latest)\n"
	"  --max-concurrency N    workers (exec/http) at most, 1-200 (10)\n"
	"  --memory MB            worker memory limit, 1024-6144 (2048)\n"
	"  --provisioned N        workers kept warm (0: scale to zero)\n"
	"  --idle-timeout D       stop a worker idle this long (60s)\n"
	"  --capture PERCENT      capture this share of requests (0)\n"
	"  --timeout D            answer within this or 504 (60s)\n"
	"  --max-payload SIZE     larger bodies get 413 (4MB)\n"
	"  --allow-unapproved     deploy a version that is not Approved\n";
static const char usage_update[] =
	"usage: mlops-deploy update [--allow-unapproved] ENDPOINT --model REF\n"
	"       mlops-deploy update ENDPOINT --public|--require-key\n"
	"\n"
	"Serve another model version, blue/green: a running gateway starts\n"
	"it, sends new requests to it once it answers and drains the old\n"
	"one, which is kept for rollback.\n"
	"\n"
	"  --public        serve requests without an API key (the endpoint\n"
	"                  must have no key left)\n"
	"  --require-key   refuse requests without a valid API key, even\n"
	"                  while the endpoint has none (then all get 401)\n";
static const char usage_rollback[] =
	"usage: mlops-deploy rollback ENDPOINT\n"
	"\n"
	"Serve the version the last update replaced (blue/green again).\n";
static const char usage_delete[] =
	"usage: mlops-deploy delete ENDPOINT\n"
	"\n"
	"Delete the endpoint and its keys; captured data is kept.\n";
static const char usage_list[] =
	"usage: mlops-deploy list [--json]\n"
	"\n"
	"List endpoints. --json prints one JSON object per line.\n";
static const char usage_describe[] =
	"usage: mlops-deploy describe [--json] ENDPOINT\n"
	"\n"
	"Show an endpoint: model, settings, status and the counters its\n"
	"gateway last wrote back.\n";
static const char usage_key[] =
	"usage: mlops-deploy key create [--persona PERSONA] ENDPOINT\n"
	"       mlops-deploy key list [--json] ENDPOINT\n"
	"       mlops-deploy key delete ENDPOINT ID\n"
	"\n"
	"API keys. Once an endpoint has had a key, requests need\n"
	"'Authorization: Bearer KEY' or 'X-Api-Key: KEY', even after its\n"
	"last key is revoked, until 'mlops-deploy update ENDPOINT --public'.\n";
static const char usage_key_create[] =
	"usage: mlops-deploy key create [--persona PERSONA] ENDPOINT\n"
	"\n"
	"Print a new API key for ENDPOINT (only its SHA-256 is stored).\n"
	"From then on, requests need 'Authorization: Bearer KEY' or\n"
	"'X-Api-Key: KEY'.\n"
	"\n"
	"  --persona PERSONA   bind the key to PERSONA: it is accepted only\n"
	"                      while PERSONA holds deploy.invoke (always\n"
	"                      while the store has no grant)\n";
static const char usage_key_list[] =
	"usage: mlops-deploy key list [--json] ENDPOINT\n"
	"\n"
	"Show each key's ID (its first 8 hex digits), creation time and\n"
	"creator. --json prints one JSON object per line.\n";
static const char usage_key_delete[] =
	"usage: mlops-deploy key delete ENDPOINT ID\n"
	"\n"
	"Revoke a key (the gateway stops accepting it within 0.2 s).\n"
	"Revoking the last key does not make the endpoint public: it\n"
	"refuses every request until 'mlops-deploy update ENDPOINT\n"
	"--public'.\n";

enum {
	OPT_ALLOW = 1000, OPT_CAPTURE, OPT_IDLE, OPT_MAXCONC, OPT_MAXPAY,
	OPT_MEMORY, OPT_MODEL, OPT_PROVISIONED, OPT_TIMEOUT, OPT_JSON,
	OPT_PUBLIC, OPT_REQUIRE_KEY
};

/* Resolve ref in the registry and check the approval gate. */
static int resolve_model(struct cli *cli, struct store *st, const char *ref,
			 int allow_unapproved,
			 struct deploy_source_resolved *out)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	int ret = deploy_source_resolve_gated(st, ref, allow_unapproved, out,
					      &err);

	if (ret < 0)
		return cli_fail(cli, &err);
	if (ret > 0)
		cli_warn(cli, "%s", err.msg);
	return ret;
}

static int deploy_version(struct cli *cli, const char *name,
			  const char *model, int allow_unapproved,
			  const struct deploy_endpoint_settings *set)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct deploy_source_resolved res;
	struct store *st;
	int ret;

	if ((ret = cli_store(cli, &st)) != 0)
		return ret;
	if ((ret = resolve_model(cli, st, model, allow_unapproved, &res)) != 0)
		return ret;
	if (set)
		ret = deploy_endpoint_create(st, name, set, &res.src, &err);
	else
		ret = deploy_endpoint_update(st, name, &res.src, &err);
	if (ret < 0)
		ret = cli_fail(cli, &err);
	else
		printf("%s: serving %s\n", name, res.ref);
	deploy_source_release(&res);
	return ret;
}

static int parse_duration_opt(struct cli *cli, const char *usage,
			      const char *opt, const char *s, int64_t *out)
{
	struct mlops_err err = MLOPS_ERR_INIT;

	if (time_parse_duration(s, out, &err) < 0)
		return cli_usage(cli, usage, "%s: %s", opt, err.msg);
	return 0;
}

static int cmd_create(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "allow-unapproved", no_argument, 0, OPT_ALLOW },
		{ "capture", required_argument, 0, OPT_CAPTURE },
		{ "help", no_argument, 0, 'h' },
		{ "idle-timeout", required_argument, 0, OPT_IDLE },
		{ "max-concurrency", required_argument, 0, OPT_MAXCONC },
		{ "max-payload", required_argument, 0, OPT_MAXPAY },
		{ "memory", required_argument, 0, OPT_MEMORY },
		{ "model", required_argument, 0, OPT_MODEL },
		{ "provisioned", required_argument, 0, OPT_PROVISIONED },
		{ "timeout", required_argument, 0, OPT_TIMEOUT },
		{ 0, 0, 0, 0 }
	};
	struct mlops_err err = MLOPS_ERR_INIT;
	struct deploy_endpoint_settings set;
	const char *model = NULL;
	int64_t v;
	int c, allow = 0, ret;

	deploy_endpoint_settings_default(&set);
	while ((c = cli_getopt(argc, argv, "h", opts, cli, usage_create)) !=
	       -1) {
		ret = 0;
		switch (c) {
		case OPT_ALLOW:
			allow = 1;
			break;
		case OPT_CAPTURE:
			if (parse_double(optarg, &set.capture_pct, "--capture",
					 &err) < 0)
				return cli_usage(cli, usage_create, "%s",
						 err.msg);
			break;
		case OPT_IDLE:
			ret = parse_duration_opt(cli, usage_create,
						 "--idle-timeout", optarg,
						 &set.idle_timeout_us);
			break;
		case OPT_MAXCONC:
		case OPT_MEMORY:
		case OPT_PROVISIONED:
			if (parse_int64(optarg, 0, 1000000, &v, c == OPT_MEMORY
					? "--memory" : c == OPT_MAXCONC ?
					"--max-concurrency" : "--provisioned",
					&err) < 0)
				return cli_usage(cli, usage_create, "%s",
						 err.msg);
			if (c == OPT_MEMORY)
				set.memory_mb = (int)v;
			else if (c == OPT_MAXCONC)
				set.max_concurrency = (int)v;
			else
				set.provisioned = (int)v;
			break;
		case OPT_MAXPAY:
			if (parse_size(optarg, &set.max_payload,
				       "--max-payload", &err) < 0)
				return cli_usage(cli, usage_create, "%s",
						 err.msg);
			break;
		case OPT_MODEL:
			model = optarg;
			break;
		case OPT_TIMEOUT:
			ret = parse_duration_opt(cli, usage_create,
						 "--timeout", optarg,
						 &set.timeout_us);
			break;
		default:
			return CLI_STATUS(c);
		}
		if (ret)
			return ret;
	}
	if (argc - optind != 1)
		return cli_usage(cli, usage_create, "expected one ENDPOINT");
	if (!model)
		return cli_usage(cli, usage_create, "--model is required");
	if (deploy_endpoint_settings_check(&set, &err) < 0)
		return cli_usage(cli, usage_create, "%s", err.msg);
	return deploy_version(cli, argv[optind], model, allow, &set);
}

static int cmd_update(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "allow-unapproved", no_argument, 0, OPT_ALLOW },
		{ "help", no_argument, 0, 'h' },
		{ "model", required_argument, 0, OPT_MODEL },
		{ "public", no_argument, 0, OPT_PUBLIC },
		{ "require-key", no_argument, 0, OPT_REQUIRE_KEY },
		{ 0, 0, 0, 0 }
	};
	struct mlops_err err = MLOPS_ERR_INIT;
	const char *model = NULL;
	struct store *st;
	int c, allow = 0, auth = -1, ret;

	while ((c = cli_getopt(argc, argv, "h", opts, cli, usage_update)) !=
	       -1)
		switch (c) {
		case OPT_ALLOW:
			allow = 1;
			break;
		case OPT_MODEL:
			model = optarg;
			break;
		case OPT_PUBLIC:
		case OPT_REQUIRE_KEY:
			if (auth == (c == OPT_PUBLIC))
				return cli_usage(cli, usage_update, "--public "
						 "and --require-key exclude "
						 "each other");
			auth = c == OPT_REQUIRE_KEY;
			break;
		default:
			return CLI_STATUS(c);
		}
	if (argc - optind != 1)
		return cli_usage(cli, usage_update, "expected one ENDPOINT");
	if (!model && auth < 0)
		return cli_usage(cli, usage_update, "--model, --public or "
				 "--require-key is required");
	if (model && (ret = deploy_version(cli, argv[optind], model, allow,
					   NULL)) != 0)
		return ret;
	if (auth < 0)
		return 0;
	if ((ret = cli_store(cli, &st)) != 0)
		return ret;
	if (deploy_endpoint_set_auth(st, argv[optind], auth, &err) < 0)
		return cli_fail(cli, &err);
	printf("%s: %s\n", argv[optind], auth ? "requires an API key" :
	       "public");
	return 0;
}

static const struct option help_only[] = {
	{ "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 }
};

/* rollback and delete: one ENDPOINT, one library call, then report
 * prints what it did. */
static int simple_verb(int argc, char **argv, struct cli *cli,
		       const char *usage,
		       int (*fn)(struct store *, const char *,
				 struct mlops_err *),
		       int (*report)(struct cli *, struct store *,
				     const char *))
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct store *st;
	int c, ret;

	while ((c = cli_getopt(argc, argv, "h", help_only, cli, usage)) != -1)
		return CLI_STATUS(c);
	if (argc - optind != 1)
		return cli_usage(cli, usage, "expected one ENDPOINT");
	if ((ret = cli_store(cli, &st)) != 0)
		return ret;
	if (fn(st, argv[optind], &err) < 0)
		return cli_fail(cli, &err);
	return report(cli, st, argv[optind]);
}

/* What rollback did: the version the endpoint serves now. */
static int report_serving(struct cli *cli, struct store *st, const char *name)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct deploy_endpoint *e = NULL;

	if (deploy_endpoint_get(st, name, &e, &err) < 0)
		return cli_fail(cli, &err);
	printf("%s: serving %s\n", name, e->cur.ref);
	deploy_endpoint_free(e);
	return 0;
}

static int report_deleted(struct cli *cli, struct store *st, const char *name)
{
	(void)cli;
	(void)st;
	printf("%s: deleted\n", name);
	return 0;
}

static int cmd_rollback(int argc, char **argv, struct cli *cli)
{
	return simple_verb(argc, argv, cli, usage_rollback,
			   deploy_endpoint_rollback, report_serving);
}

static int cmd_delete(int argc, char **argv, struct cli *cli)
{
	return simple_verb(argc, argv, cli, usage_delete,
			   deploy_endpoint_delete, report_deleted);
}

/* The gateways serving the store, for deploy_endpoint_json's status. */
struct gateways {
	struct deploy_gateway_record *recs;
	size_t n;
};

static int gateways_load(struct cli *cli, struct store *st,
			 struct gateways *gws)
{
	struct mlops_err err = MLOPS_ERR_INIT;

	if (deploy_gateway_record_list(st->dir, &gws->recs, &gws->n, &err) < 0)
		return cli_fail(cli, &err);
	return 0;
}

static int cmd_list(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "help", no_argument, 0, 'h' },
		{ "json", no_argument, 0, OPT_JSON }, { 0, 0, 0, 0 }
	};
	static const char *const headers[] = { "endpoint", "model",
		"framework", "max", "provisioned", "capture", "keys" };
	struct mlops_err err = MLOPS_ERR_INIT;
	struct gateways gws = { NULL, 0 };
	struct deploy_endpoint **eps = NULL;
	struct table *t = NULL;
	struct store *st;
	size_t n = 0;
	int c, json = 0, ret;

	while ((c = cli_getopt(argc, argv, "h", opts, cli, usage_list)) != -1)
		switch (c) {
		case OPT_JSON:
			json = 1;
			break;
		default:
			return CLI_STATUS(c);
		}
	if (optind != argc)
		return cli_usage(cli, usage_list, "unexpected argument '%s'",
				 argv[optind]);
	if ((ret = cli_store(cli, &st)) != 0)
		return ret;
	if (deploy_endpoint_list(st, &eps, &n, &err) < 0)
		return cli_fail(cli, &err);
	if (json && (ret = gateways_load(cli, st, &gws)) != 0) {
		deploy_endpoint_list_free(eps, n);
		return ret;
	}
	if (!json)
		t = table_new(7, headers);
	for (size_t i = 0; i < n; i++) {
		char max[16], prov[16], cap[32], keys[16];

		if (json) {
			json_t *o = deploy_endpoint_json(eps[i], gws.recs, gws.n);

			jsonio_print(stdout, o);
			json_decref(o);
			continue;
		}
		snprintf(max, sizeof(max), "%d", eps[i]->set.max_concurrency);
		snprintf(prov, sizeof(prov), "%d", eps[i]->set.provisioned);
		snprintf(cap, sizeof(cap), "%g%%", eps[i]->set.capture_pct);
		snprintf(keys, sizeof(keys), "%zu", eps[i]->nkeys);
		table_add(t, (const char *const[]){ eps[i]->name,
			  eps[i]->cur.ref, eps[i]->cur.framework, max, prov,
			  cap, keys });
	}
	if (t && table_print_free(t, stdout) < 0)
		ret = cli_error(cli, MLOPS_EINTERNAL, "cannot write output");
	deploy_endpoint_list_free(eps, n);
	deploy_gateway_record_list_free(gws.recs, gws.n);
	return ret;
}

/* "key: value" for people: a string bare, any other value as JSON. */
static void print_field(const char *parent, const char *key, const json_t *v)
{
	struct buf s = BUF_INIT;

	if (json_is_string(v))
		buf_addf(&s, "%s", json_string_value(v));
	else
		jsonio_format(&s, v);
	if (parent)
		printf("%s.%s: %s\n", parent, key, s.s);
	else
		printf("%s: %s\n", key, s.s);
	buf_release(&s);
}

static int cmd_describe(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "help", no_argument, 0, 'h' },
		{ "json", no_argument, 0, OPT_JSON }, { 0, 0, 0, 0 }
	};
	struct mlops_err err = MLOPS_ERR_INIT;
	struct gateways gws = { NULL, 0 };
	struct deploy_endpoint *e = NULL;
	struct store *st;
	json_t *o;
	int c, json = 0, ret;

	while ((c = cli_getopt(argc, argv, "h", opts, cli, usage_describe)) !=
	       -1)
		switch (c) {
		case OPT_JSON:
			json = 1;
			break;
		default:
			return CLI_STATUS(c);
		}
	if (argc - optind != 1)
		return cli_usage(cli, usage_describe, "expected one ENDPOINT");
	if ((ret = cli_store(cli, &st)) != 0)
		return ret;
	if (deploy_endpoint_get(st, argv[optind], &e, &err) < 0)
		return cli_fail(cli, &err);
	if ((ret = gateways_load(cli, st, &gws)) != 0) {
		deploy_endpoint_free(e);
		return ret;
	}
	o = deploy_endpoint_json(e, gws.recs, gws.n);
	if (json) {
		jsonio_print(stdout, o);
	} else {
		const char *key;
		json_t *v;

		json_object_foreach(o, key, v) {
			if (json_is_object(v)) {
				const char *k2;
				json_t *v2;

				json_object_foreach(v, k2, v2)
					print_field(key, k2, v2);
			} else if (!json_is_null(v)) {
				print_field(NULL, key, v);
			}
		}
	}
	json_decref(o);
	deploy_endpoint_free(e);
	deploy_gateway_record_list_free(gws.recs, gws.n);
	return 0;
}

struct key_out {
	struct table *table;	/* NULL: JSON Lines */
};

static void print_key(const char *id, int64_t created_us,
		      const char *created_by, const char *persona, void *arg)
{
	struct key_out *ko = arg;
	char when[TIME_RFC3339_MAX];
	json_t *o;

	time_format(created_us, when);
	if (ko->table) {
		table_add(ko->table, (const char *const[]){ id, when,
			  created_by, persona });
		return;
	}
	o = json_pack("{s:s,s:s,s:s,s:s*}", "id", id, "created", when,
		      "created_by", created_by, "persona", persona);
	jsonio_print(stdout, o);
	json_decref(o);
}

static int cmd_key_create(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "help", no_argument, 0, 'h' },
		{ "persona", required_argument, 0, 'p' }, { 0, 0, 0, 0 }
	};
	struct mlops_err err = MLOPS_ERR_INIT;
	char key[DEPLOY_ENDPOINT_KEY_LEN + 1];
	const char *persona = NULL;
	struct store *st;
	int c, ret;

	while ((c = cli_getopt(argc, argv, "h", opts, cli, usage_key_create))
	       != -1)
		switch (c) {
		case 'p':
			persona = optarg;
			break;
		default:
			return CLI_STATUS(c);
		}
	if (argc - optind != 1)
		return cli_usage(cli, usage_key_create, "expected one "
				 "argument");
	if ((ret = cli_store(cli, &st)) != 0)
		return ret;
	if (deploy_endpoint_key_create(st, argv[optind], persona, key,
				       &err) < 0)
		return cli_fail(cli, &err);
	printf("%s\n", key);
	return 0;
}

static int cmd_key_list(int argc, char **argv, struct cli *cli)
{
	static const char *const headers[] = {
		"id", "created", "by", "persona"
	};
	struct mlops_err err = MLOPS_ERR_INIT;
	struct key_out ko = { NULL };
	struct store *st;
	int json = 0, ret;

	ret = cli_plain_args(argc, argv, cli, usage_key_list, 1, &json);
	if (ret >= 0)
		return ret;
	if ((ret = cli_store(cli, &st)) != 0)
		return ret;
	if (!json)
		ko.table = table_new(4, headers);
	ret = deploy_endpoint_key_each(st, argv[optind], print_key, &ko, &err);
	if (ko.table && table_print_free(ko.table, stdout) < 0 && ret == 0)
		return cli_error(cli, MLOPS_EINTERNAL, "cannot write output");
	return ret < 0 ? cli_fail(cli, &err) : 0;
}

static int cmd_key_delete(int argc, char **argv, struct cli *cli)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct store *st;
	int ret;

	ret = cli_plain_args(argc, argv, cli, usage_key_delete, 2, NULL);
	if (ret >= 0)
		return ret;
	if ((ret = cli_store(cli, &st)) != 0)
		return ret;
	if (deploy_endpoint_key_delete(st, argv[optind], argv[optind + 1],
				       &err) < 0)
		return cli_fail(cli, &err);
	printf("%s: key %s revoked\n", argv[optind], argv[optind + 1]);
	return 0;
}

static const struct cli_verb key_verbs[] = {
	{ "create", cmd_key_create, usage_key_create, "make an API key" },
	{ "list", cmd_key_list, usage_key_list, "list an endpoint's keys" },
	{ "delete", cmd_key_delete, usage_key_delete, "revoke a key" },
	{ NULL, NULL, NULL, NULL, NULL }
};

static const struct cli_verb verbs[] = {
	{ "create", cmd_create, usage_create, "deploy a model version to a "
	  "new endpoint" },
	{ "update", cmd_update, usage_update, "serve another version "
	  "(blue/green)" },
	{ "rollback", cmd_rollback, usage_rollback, "serve the previous "
	  "version again" },
	{ "delete", cmd_delete, usage_delete, "delete an endpoint" },
	{ "list", cmd_list, usage_list, "list endpoints" },
	{ "describe", cmd_describe, usage_describe, "show an endpoint" },
	{ "key", NULL, usage_key, "make, list and revoke API keys",
	  key_verbs },
	{ "serve", cmd_serve, usage_serve, "run the HTTP gateway" },
	{ "stop", cmd_stop, usage_stop, "stop a daemonised gateway" },
	{ "invoke", cmd_invoke, usage_invoke, "send requests to an "
	  "endpoint" },
	{ "capture", cmd_capture, usage_capture, "print captured requests" },
	{ NULL, NULL, NULL, NULL }
};

int main(int argc, char **argv)
{
	return cli_main(argc, argv, "mlops-deploy", verbs);
}
