/* slurm.c - the Slurm executor: each attempt of a step becomes a
 * batch job (sbatch) running a small script that sets the step's
 * environment and runs `sh -c COMMAND` in the run's workspace, which must
 * sit on storage the compute nodes share. A step submitted while what it
 * needs still runs is chained with --dependency=afterok (and
 * --kill-on-invalid-dep, so a failure upstream cancels it). Jobs are
 * followed with squeue (-t all also lists finished jobs) and their exit
 * codes read from `scontrol show job`; cancel is scancel. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/fs.h"
#include "pipeline/pipeline.h"
#include "pipeline/executor.h"
#include "core/time.h"
#include "core/xalloc.h"

#define POLL_US (250 * 1000)
#define OUTPUT_MAX (1u << 20)

/* Run argv (searched on PATH) and capture its stdout; stderr goes to
 * errout when not NULL. Returns the exit status, or a negative code. */
static int capture(char *const argv[], struct buf *out, struct buf *errout,
		   struct mlops_err *err)
{
	int po[2], pe[2], status;
	struct mlops_err ignored = MLOPS_ERR_INIT;
	pid_t pid;

	if (pipe2(po, O_CLOEXEC) < 0)
		return mlops_err_errno(err, MLOPS_EINTERNAL, errno, "pipe");
	if (pipe2(pe, O_CLOEXEC) < 0) {
		close(po[0]);
		close(po[1]);
		return mlops_err_errno(err, MLOPS_EINTERNAL, errno, "pipe");
	}
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGCHLD, SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
		if (null_fd >= 0)
			dup2(null_fd, STDIN_FILENO);
		dup2(po[1], STDOUT_FILENO);
		dup2(pe[1], STDERR_FILENO);
		execvp(argv[0], argv);
		dprintf(STDERR_FILENO, "cannot run %s: %s\n", argv[0],
			strerror(errno));
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	if (pid < 0) {
		close(po[0]);
		close(pe[0]);
		return mlops_err_errno(err, MLOPS_EINTERNAL, errno, "fork");
	}
	/* Small outputs: read stdout fully, then stderr. */
	buf_read_fd(out, po[0], OUTPUT_MAX, argv[0], &ignored);
	if (errout)
		buf_read_fd(errout, pe[0], OUTPUT_MAX, argv[0], &ignored);
	close(po[0]);
	close(pe[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return mlops_err_errno(err, MLOPS_EINTERNAL, errno,
					       "waitpid");
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* The job script of s: environment, workspace, command. */
static int write_script(struct pipeline_exec *e, struct pipeline_exec_step *s,
			char **out, struct mlops_err *err)
{
	struct buf b = BUF_INIT;
	char *dir = fs_path_join(e->workspace, ".slurm");
	char *path = xasprintf("%s/%s.%d.sh", dir, s->def->name, s->attempt);
	int ret = fs_mkdir_p(dir, err);

	buf_addstr(&b, "#!/bin/sh\n# mlops-pipeline: one attempt of a step, "
		   "run by Slurm\nunset GIT_DIR GIT_INDEX_FILE GIT_WORK_TREE "
		   "GIT_PREFIX\n");
	for (size_t i = 0; i < s->nenv; i++) {
		const char *eq = strchr(s->env[i], '=');

		buf_addf(&b, "export %.*s=", (int)(eq - s->env[i]), s->env[i]);
		pipeline_git_shell_quote(&b, eq + 1);
		buf_addch(&b, '\n');
	}
	buf_addstr(&b, "cd ");
	pipeline_git_shell_quote(&b, e->workspace);
	buf_addstr(&b, " || exit 127\nexec /bin/sh -c ");
	pipeline_git_shell_quote(&b, s->command);
	buf_addch(&b, '\n');
	if (ret == 0)
		ret = fs_write_file_atomic(path, b.s, b.len, err);
	if (ret == 0 && chmod(path, 0755) < 0)
		ret = mlops_err_errno(err, MLOPS_EINTERNAL, errno, "chmod %s",
				      path);
	buf_release(&b);
	free(dir);
	if (ret < 0) {
		free(path);
		return ret;
	}
	*out = path;
	return 0;
}

static int slurm_start(struct pipeline_exec *e, struct pipeline_exec_step *s,
		       struct mlops_err *err)
{
	struct buf out = BUF_INIT, errout = BUF_INIT, deps = BUF_INIT;
	char *script = NULL, *log = pipeline_exec_log_path(e, s);
	char *output = xasprintf("--output=%s", log);
	char *name = xasprintf("--job-name=mlops-%s", s->def->name);
	char *chdir_arg = xasprintf("--chdir=%s", e->workspace);
	char *time_arg = NULL, *dep_arg = NULL;
	char *argv[16];
	int argc = 0, ret;

	for (size_t k = 0; k < s->def->nneeds; k++) {
		const struct pipeline_exec_step *n =
			&e->steps[s->def->need_idx[k]];

		if (n->running && n->job_id)
			buf_addf(&deps, ":%s", n->job_id);
	}
	ret = write_script(e, s, &script, err);
	if (ret < 0)
		goto out;
	argv[argc++] = "sbatch";
	argv[argc++] = "--parsable";
	argv[argc++] = name;
	argv[argc++] = chdir_arg;
	argv[argc++] = output;
	argv[argc++] = "--open-mode=append";
	argv[argc++] = "--ntasks=1";
	argv[argc++] = "--kill-on-invalid-dep=yes";
	if (s->def->timeout_us) {
		int64_t min = (s->def->timeout_us + 60 * TIME_US_PER_SEC - 1) /
			(60 * TIME_US_PER_SEC) + 1;

		time_arg = xasprintf("--time=%lld", (long long)min);
		argv[argc++] = time_arg;
	}
	if (deps.len) {
		dep_arg = xasprintf("--dependency=afterok%s", deps.s);
		argv[argc++] = dep_arg;
	}
	argv[argc++] = script;
	argv[argc] = NULL;
	ret = capture(argv, &out, &errout, err);
	if (ret > 0 || (ret == 0 && out.len == 0)) {
		while (errout.len && errout.s[errout.len - 1] == '\n')
			buf_setlen(&errout, errout.len - 1);
		ret = mlops_err_set(err, MLOPS_EINTERNAL, "sbatch failed: %s",
				    errout.len ? errout.s : "no job id");
		goto out;
	}
	if (ret == 0) {
		out.s[strcspn(out.s, ";\n")] = '\0';
		s->job_id = xstrdup(out.s);
	}
out:
	buf_release(&out);
	buf_release(&errout);
	buf_release(&deps);
	free(script);
	free(log);
	free(output);
	free(name);
	free(chdir_arg);
	free(time_arg);
	free(dep_arg);
	return ret;
}

/* The exit code of a finished job from `scontrol -o show job ID`
 * ("ExitCode=3:0"): the code, or -1 for a signal or when unknown. */
static int job_exit_code(const char *id)
{
	char *argv[] = { "scontrol", "-o", "show", "job", (char *)id, NULL };
	struct buf out = BUF_INIT;
	struct mlops_err err = MLOPS_ERR_INIT;
	int code = -1, sig = 0;
	const char *p;

	if (capture(argv, &out, NULL, &err) == 0 &&
	    (p = strstr(out.s, " ExitCode=")) != NULL &&
	    sscanf(p, " ExitCode=%d:%d", &code, &sig) == 2 && sig != 0)
		code = -1;
	buf_release(&out);
	return code;
}

static int is_transient(const char *state)
{
	static const char *const states[] = {
		"PENDING", "CONFIGURING", "RUNNING", "COMPLETING",
		"SUSPENDED", "REQUEUED", "RESIZING", "SIGNALING", "STAGE_OUT",
		"REQUEUE_HOLD", "REQUEUE_FED", NULL
	};

	for (int i = 0; states[i]; i++)
		if (strcmp(states[i], state) == 0)
			return 1;
	return 0;
}

/* The state of job id in squeue's "ID|STATE|REASON" lines, or NULL. */
static const char *find_state(const char *lines, const char *id,
			      char state[32], char reason[64])
{
	size_t n = strlen(id);

	for (const char *l = lines; l && *l; l = strchr(l, '\n') ?
	     strchr(l, '\n') + 1 : NULL)
		if (strncmp(l, id, n) == 0 && l[n] == '|' &&
		    sscanf(l + n + 1, "%31[^|\n]|%63[^\n]", state, reason)
		    >= 1)
			return state;
	return NULL;
}

static int slurm_wait(struct pipeline_exec *e, int64_t timeout_us,
		      struct mlops_err *err)
{
	struct buf ids = BUF_INIT, out = BUF_INIT;
	char *argv[] = { "squeue", "-h", "-t", "all", "-o", "%i|%T|%r",
			 "-j", NULL, NULL };
	int ret = 0;

	pipeline_exec_sleep(e, timeout_us < POLL_US ? timeout_us : POLL_US);
	for (size_t i = 0; i < e->p->nsteps; i++)
		if (e->steps[i].running && e->steps[i].job_id)
			buf_addf(&ids, "%s%s", ids.len ? "," : "",
				 e->steps[i].job_id);
	if (!ids.len)
		goto out;
	argv[7] = ids.s;
	ret = capture(argv, &out, NULL, err);
	if (ret < 0)
		goto out;
	ret = 0;
	for (size_t i = 0; i < e->p->nsteps; i++) {
		struct pipeline_exec_step *s = &e->steps[i];
		char state[32] = "", reason[64] = "";
		int code;

		if (!s->running || !s->job_id)
			continue;
		if (find_state(out.s, s->job_id, state, reason) &&
		    is_transient(state))
			continue;
		/* Finished, or purged after MinJobAge: read the exit code.
		 * A job cancelled for its dependency never ran. */
		code = strcmp(state, "COMPLETED") == 0 ? 0 :
			job_exit_code(s->job_id);
		if (strcmp(state, "COMPLETED") != 0 && code == 0)
			code = -1;
		if (strcmp(state, "TIMEOUT") == 0)
			s->timed_out = 1;
		pipeline_exec_attempt_done(e, s, code);
	}
out:
	buf_release(&ids);
	buf_release(&out);
	return ret;
}

void pipeline_slurm_cancel_job(const char *job_id)
{
	char *argv[] = { "scancel", (char *)job_id, NULL };
	struct buf out = BUF_INIT;
	struct mlops_err err = MLOPS_ERR_INIT;

	capture(argv, &out, NULL, &err);
	buf_release(&out);
}

static void slurm_kill(struct pipeline_exec *e, struct pipeline_exec_step *s)
{
	(void)e;
	if (s->job_id)
		pipeline_slurm_cancel_job(s->job_id);
}

int pipeline_slurm_init(struct pipeline_exec *e, struct mlops_err *err)
{
	char *argv[] = { "sbatch", "--version", NULL };
	struct buf out = BUF_INIT;
	int ret = capture(argv, &out, NULL, err);

	buf_release(&out);
	if (ret != 0)
		return mlops_err_set(err, MLOPS_ENOTFOUND, "the slurm executor "
				     "needs sbatch, squeue, scontrol and "
				     "scancel on PATH (Debian: slurm-client)");
	e->ex.name = "slurm";
	e->ex.start = slurm_start;
	e->ex.wait = slurm_wait;
	e->ex.kill = slurm_kill;
	e->ex.release = NULL;
	e->ex.state = NULL;
	return 0;
}
