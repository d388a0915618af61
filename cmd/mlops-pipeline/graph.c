/* graph.c - `mlops-pipeline validate` (load and check a pipeline file)
 * and `graph` (the DAG as Graphviz DOT, colored by status for a run). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "pipeline/pipeline.h"
#include "verbs.h"

const char usage_validate[] =
	"usage: mlops-pipeline validate [-f FILE] [-p NAME=VALUE]...\n"
	"\n"
	"Load FILE (default pipeline.yaml) and check it: keys, types,\n"
	"parameters, needs, cycles, templates, references and conditions.\n"
	"Prints a summary; exits 3 with file:line:column on the first error.\n"
	"\n"
	"  -f, --file FILE     the pipeline file\n"
	"  -p, --param N=V     check with parameter N set to V\n";
const char usage_graph[] =
	"usage: mlops-pipeline graph [-f FILE] [--run RUN]\n"
	"\n"
	"Print the pipeline's steps and dependencies as Graphviz DOT (for\n"
	"dot -Tsvg). With --run, the pipeline of that run, each step colored\n"
	"by its status (cache hits marked).\n"
	"\n"
	"  -f, --file FILE   the pipeline file (default pipeline.yaml)\n"
	"  --run RUN         draw this run\n";

int cmd_validate(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "file", required_argument, 0, 'f' },
		{ "help", no_argument, 0, 'h' },
		{ "param", required_argument, 0, 'p' }, { 0, 0, 0, 0 }
	};
	struct mlops_err err = MLOPS_ERR_INIT;
	const char *file = "pipeline.yaml";
	char **params = calloc((size_t)argc + 1, sizeof(*params));
	struct pipeline *p;
	size_t n = 0;
	int c;

	while ((c = cli_getopt(argc, argv, "f:hp:", opts, cli, usage_validate))
	       != -1)
		switch (c) {
		case 'f':
			file = optarg;
			break;
		case 'p':
			params[n++] = optarg;
			break;
		default:
			free(params);
			return CLI_STATUS(c);
		}
	if (optind != argc) {
		free(params);
		return cli_usage(cli, usage_validate, "unexpected argument");
	}
	c = pipeline_load_file(&p, file, params, n, &err);
	free(params);
	if (c < 0)
		return cli_fail(cli, &err);
	/* Feature groups live in the store: a pipeline that reads them is
	 * valid only against one. */
	for (size_t i = 0; i < p->nsteps && c == 0; i++)
		if (p->steps[i].nfeatures) {
			struct store *st;

			c = cli_store(cli, &st);
			if (c == 0 &&
			    pipeline_exec_check_features(p, st, &err) < 0)
				c = cli_fail(cli, &err);
			break;
		}
	if (c != 0) {
		pipeline_free(p);
		return c;
	}
	printf("%s: pipeline '%s' is valid: %zu step%s, %zu parameter%s\n",
	       file, p->name, p->nsteps, p->nsteps == 1 ? "" : "s",
	       p->nparams, p->nparams == 1 ? "" : "s");
	pipeline_free(p);
	return 0;
}

/* Append s as the inside of a DOT double-quoted string. */
static void dot_escape(struct buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			buf_addch(b, '\\');
		if (*s == '\n')
			buf_addstr(b, "\\n");
		else
			buf_addch(b, *s);
	}
}

static const json_t *run_step(const json_t *run, const char *name)
{
	size_t i;
	json_t *s;

	json_array_foreach(json_object_get(run, "steps"), i, s)
		if (strcmp(json_string_value(json_object_get(s, "name")),
			   name) == 0)
			return s;
	return NULL;
}

static void print_dot(const struct pipeline *p, const json_t *run)
{
	struct buf b = BUF_INIT;

	buf_addstr(&b, "digraph \"");
	dot_escape(&b, p->name);
	buf_addstr(&b, "\" {\n\trankdir=LR;\n\tnode [shape=box, "
		   "style=\"rounded,filled\", fontname=\"Helvetica\"];\n");
	if (run) {
		buf_addstr(&b, "\tlabel=\"");
		dot_escape(&b, json_string_value(json_object_get(run, "id")));
		buf_addstr(&b, ": ");
		dot_escape(&b, json_string_value(json_object_get(run,
								 "status")));
		buf_addstr(&b, "\";\n");
	}
	for (size_t i = 0; i < p->nsteps; i++) {
		const struct pipeline_step *s = &p->steps[i];
		const json_t *rs = run ? run_step(run, s->name) : NULL;
		const char *status = rs ? json_string_value(
			json_object_get(rs, "status")) : NULL;
		int hit = rs && json_is_true(json_object_get(rs, "cacheHit"));

		buf_addstr(&b, "\t\"");
		dot_escape(&b, s->name);
		buf_addstr(&b, "\" [label=\"");
		dot_escape(&b, s->name);
		if (s->when) {
			buf_addstr(&b, "\\nwhen ");
			dot_escape(&b, s->when);
		}
		if (status) {
			buf_addstr(&b, "\\n");
			buf_addstr(&b, status);
			if (hit)
				buf_addstr(&b, " (cached)");
		}
		buf_addf(&b, "\", fillcolor=\"%s\"];\n", pipeline_runs_status_color(status,
								      hit));
	}
	for (size_t i = 0; i < p->nsteps; i++)
		for (size_t k = 0; k < p->steps[i].nneeds; k++) {
			buf_addstr(&b, "\t\"");
			dot_escape(&b, p->steps[i].needs[k]);
			buf_addstr(&b, "\" -> \"");
			dot_escape(&b, p->steps[i].name);
			buf_addstr(&b, "\";\n");
		}
	buf_addstr(&b, "}\n");
	fwrite(b.s, 1, b.len, stdout);
	buf_release(&b);
}

int cmd_graph(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "file", required_argument, 0, 'f' },
		{ "help", no_argument, 0, 'h' },
		{ "run", required_argument, 0, 'r' }, { 0, 0, 0, 0 }
	};
	struct mlops_err err = MLOPS_ERR_INIT;
	const char *file = "pipeline.yaml", *run_id = NULL;
	struct pipeline *p = NULL;
	json_t *run = NULL;
	struct store *st;
	int c, ret;

	while ((c = cli_getopt(argc, argv, "f:h", opts, cli, usage_graph))
	       != -1)
		switch (c) {
		case 'f':
			file = optarg;
			break;
		case 'r':
			run_id = optarg;
			break;
		default:
			return CLI_STATUS(c);
		}
	if (optind != argc)
		return cli_usage(cli, usage_graph, "unexpected argument");
	if (run_id) {
		if ((ret = cli_store(cli, &st)) != 0)
			return ret;
		ret = pipeline_runs_get(st, run_id, &run, &err);
		if (ret == 0)
			ret = pipeline_runs_definition(st, run, &p, &err);
	} else {
		ret = pipeline_load_file(&p, file, NULL, 0, &err);
	}
	if (ret == 0)
		print_dot(p, run);
	pipeline_free(p);
	json_decref(run);
	return ret < 0 ? cli_fail(cli, &err) : 0;
}
