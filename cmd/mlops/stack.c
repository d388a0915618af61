/* stack.c - mlops plan, apply and export-stack: a store brought under
 * code from a stack file (lib/iac, man 5 mlops-stack). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/fs.h"
#include "core/jsonio.h"
#include "iac/iac.h"
#include "mlops.h"

const char usage_plan[] =
	"usage: mlops plan [-f STACK] [--env ENV] [--prune] [--json]\n"
	"\n"
	"Show what apply would change to make the store match the stack:\n"
	"resources to create, to update (each changed setting, old -> new)\n"
	"and, with --prune, to delete. Exits 0 when nothing would change,\n"
	"1 when something would.\n"
	"\n"
	"  -f, --file STACK   the stack file (default: stack.yaml)\n"
	"  --env ENV          apply the overlay of ENV (default: the\n"
	"                     stack's environment, else the store's)\n"
	"  --prune            also delete what the stack does not name\n"
	"  --json             print the plan as one JSON object\n";
const char usage_apply[] =
	"usage: mlops apply [-f STACK] [--env ENV] [--prune] [--yes]\n"
	"\n"
	"Make the store match the stack, in dependency order, through each\n"
	"owning program's library. Changes that lose data need --yes, or a\n"
	"'y' when asked on a terminal; otherwise apply refuses (exit 4).\n"
	"On an error it stops and says what was and was not done.\n"
	"\n"
	"  -f, --file STACK   the stack file (default: stack.yaml)\n"
	"  --env ENV          apply the overlay of ENV\n"
	"  --prune            also delete what the stack does not name\n"
	"  -y, --yes          allow changes that lose data\n";
const char usage_export_stack[] =
	"usage: mlops export-stack [-o FILE]\n"
	"\n"
	"Write a stack file describing the store's feature groups,\n"
	"endpoints, monitoring schedules, event rules, grants and remotes\n"
	"(to stdout by default).\n"
	"\n"
	"  -o, --output FILE  write FILE instead (replaced atomically)\n";

enum { OPT_ENV = 1000, OPT_JSON, OPT_PRUNE };

struct stack_opts {
	const char *file, *env;
	int prune, json, yes;
};

/* -1 to go on, else the exit status to stop with (0 after --help). */
static int parse_opts(int argc, char **argv, struct cli *cli,
		      const char *usage, struct stack_opts *o)
{
	static const struct option opts[] = {
		{ "env", required_argument, 0, OPT_ENV },
		{ "file", required_argument, 0, 'f' },
		{ "help", no_argument, 0, 'h' },
		{ "json", no_argument, 0, OPT_JSON },
		{ "prune", no_argument, 0, OPT_PRUNE },
		{ "yes", no_argument, 0, 'y' },
		{ 0, 0, 0, 0 }
	};
	int is_plan = usage == usage_plan;
	int c;

	memset(o, 0, sizeof(*o));
	o->file = "stack.yaml";
	while ((c = cli_getopt(argc, argv, "f:hy", opts, cli, usage)) != -1)
		switch (c) {
		case 'f':
			o->file = optarg;
			break;
		case OPT_ENV:
			o->env = optarg;
			break;
		case OPT_PRUNE:
			o->prune = 1;
			break;
		case OPT_JSON:
			if (!is_plan)
				return cli_usage(cli, usage, "--json is for "
						 "plan");
			o->json = 1;
			break;
		case 'y':
			if (is_plan)
				return cli_usage(cli, usage, "--yes is for "
						 "apply");
			o->yes = 1;
			break;
		default:
			return CLI_STATUS(c);
		}
	if (optind != argc)
		return cli_usage(cli, usage, "unexpected argument '%s'",
				 argv[optind]);
	return -1;
}

/* Load the stack and plan it against the store. */
static int make_plan(struct cli *cli, const struct stack_opts *o,
		     struct store **st, struct iac_stack **stack,
		     struct iac_plan **plan)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	int ret;

	if ((ret = cli_store(cli, st)) != 0)
		return ret;
	if (iac_stack_load(stack, o->file, o->env, (*st)->env, &err) < 0 ||
	    iac_plan(plan, *st, *stack, o->prune, &err) < 0)
		return cli_fail(cli, &err);
	return 0;
}

static void print_value(FILE *f, const json_t *v)
{
	char *s;

	if (json_is_null(v)) {
		fputs("(none)", f);
		return;
	}
	s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
	fputs(s, f);
	free(s);
}

static void print_change(FILE *f, const struct iac_change *c, int marks)
{
	static const char sign[] = "+~-";
	const char *key;
	json_t *v;

	if (marks)
		fprintf(f, "%s ", c->state == IAC_DONE ? "done:" :
			c->state == IAC_FAILED ? "FAILED:" : "not done:");
	fprintf(f, "%c %s %s%s\n", sign[c->action], iac_kind_name(c->kind),
		c->name, c->replace ? " (replaced: dropped and created)" : "");
	json_object_foreach(c->diff, key, v) {
		fprintf(f, "    %s: ", key);
		if (c->action == IAC_UPDATE) {
			print_value(f, json_array_get(v, 0));
			fputs(" -> ", f);
		}
		print_value(f, json_array_get(v, c->action == IAC_DELETE ?
					      0 : 1));
		fputc('\n', f);
	}
	if (c->loss)
		fprintf(f, "    loses data: %s\n", c->loss);
}

static void print_summary(FILE *f, const struct iac_plan *p)
{
	if (p->n == 0)
		fputs("No changes: the store matches the stack.\n", f);
	else
		fprintf(f, "Plan: %zu to create, %zu to update, %zu to "
			"delete.\n", p->ncreate, p->nupdate, p->ndelete);
}

int cmd_plan(int argc, char **argv, struct cli *cli)
{
	struct iac_stack *stack = NULL;
	struct iac_plan *plan = NULL;
	struct stack_opts o;
	struct store *st;
	int ret = parse_opts(argc, argv, cli, usage_plan, &o);

	if (ret >= 0)
		return ret;
	ret = make_plan(cli, &o, &st, &stack, &plan);
	if (ret == 0 && o.json) {
		json_t *j = iac_plan_json(plan);

		jsonio_print(stdout, j);
		json_decref(j);
	} else if (ret == 0) {
		for (size_t i = 0; i < plan->n; i++)
			print_change(stdout, &plan->changes[i], 0);
		print_summary(stdout, plan);
	}
	if (ret == 0 && plan->n)
		ret = MLOPS_EXIT_FINDING;
	iac_plan_free(plan);
	iac_stack_free(stack);
	return ret;
}

/* Ask on the terminal whether changes that lose data may go ahead. */
static int confirm(const struct iac_plan *p)
{
	char line[16];

	if (!isatty(STDIN_FILENO) || !isatty(STDERR_FILENO))
		return 0;
	fprintf(stderr, "%zu change%s above lose%s data. Apply? [y/N] ",
		p->nloss, p->nloss == 1 ? "" : "s", p->nloss == 1 ? "s" : "");
	if (!fgets(line, sizeof(line), stdin))
		return 0;
	return line[0] == 'y' || line[0] == 'Y';
}

int cmd_apply(int argc, char **argv, struct cli *cli)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct iac_stack *stack = NULL;
	struct iac_plan *plan = NULL;
	struct stack_opts o;
	struct store *st;
	int ret = parse_opts(argc, argv, cli, usage_apply, &o);

	if (ret >= 0)
		return ret;
	ret = make_plan(cli, &o, &st, &stack, &plan);
	if (ret == 0 && plan->n == 0)
		print_summary(stdout, plan);
	if (ret == 0 && plan->nloss && !o.yes) {
		for (size_t i = 0; i < plan->n; i++)
			if (plan->changes[i].loss)
				print_change(stderr, &plan->changes[i], 0);
		if (!confirm(plan))
			ret = cli_error(cli, MLOPS_ENOTFOUND, "%zu change%s "
					"would lose data: nothing applied "
					"(rerun with --yes to allow them)",
					plan->nloss, plan->nloss == 1 ? "" :
					"s");
	}
	if (ret == 0 && plan->n) {
		if (iac_apply(st, plan, &err) < 0) {
			ret = cli_fail(cli, &err);
			fputs("Applied up to the error; a new apply "
			      "continues from there:\n", stderr);
			for (size_t i = 0; i < plan->n; i++)
				print_change(stderr, &plan->changes[i], 1);
		} else {
			for (size_t i = 0; i < plan->n; i++)
				print_change(stdout, &plan->changes[i], 0);
			printf("Applied: %zu created, %zu updated, %zu "
			       "deleted.\n", plan->ncreate, plan->nupdate,
			       plan->ndelete);
		}
	}
	iac_plan_free(plan);
	iac_stack_free(stack);
	return ret;
}

int cmd_export_stack(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "help", no_argument, 0, 'h' },
		{ "output", required_argument, 0, 'o' },
		{ 0, 0, 0, 0 }
	};
	struct mlops_err err = MLOPS_ERR_INIT;
	struct buf out = BUF_INIT;
	const char *file = NULL;
	struct store *st;
	int c, ret;

	while ((c = cli_getopt(argc, argv, "ho:", opts, cli,
			       usage_export_stack)) != -1)
		switch (c) {
		case 'o':
			file = optarg;
			break;
		default:
			return CLI_STATUS(c);
		}
	if (optind != argc)
		return cli_usage(cli, usage_export_stack, "unexpected argument "
				 "'%s'", argv[optind]);
	if ((ret = cli_store(cli, &st)) != 0)
		return ret;
	if (iac_export(st, &out, &err) < 0 ||
	    (file && fs_write_file_atomic(file, out.s, out.len, &err) < 0))
		ret = cli_fail(cli, &err);
	else if (!file)
		fwrite(out.s, 1, out.len, stdout);
	buf_release(&out);
	return ret;
}
