/* pipeline_local.c - the local executor: each attempt of a step is
 * `sh -c COMMAND` forked into its own process group in the run's
 * workspace, stdout and stderr appended to logs/STEP.log. A timeout or a
 * cancel signals the whole group (TERM, then KILL after a grace period),
 * so the step's children go too. Ends are found with waitpid, woken by
 * SIGCHLD through the scheduler's self-pipe. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pipeline_executor.h"
#include "timefmt.h"
#include "xalloc.h"

#define KILL_GRACE_US (2 * TIME_US_PER_SEC)

extern char **environ;

/* Variables a git hook sets that would point a step's git commands at
 * the user's repository instead of the workspace. */
static const char *const hook_vars[] = {
	"GIT_DIR", "GIT_INDEX_FILE", "GIT_WORK_TREE", "GIT_PREFIX",
	"GIT_OBJECT_DIRECTORY", "GIT_QUARANTINE_PATH", NULL
};

static void child(struct engine *e, struct step_run *s, int log_fd)
{
	int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	sigset_t none;

	setpgid(0, 0);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	if (null_fd >= 0)
		dup2(null_fd, STDIN_FILENO);
	dup2(log_fd, STDOUT_FILENO);
	dup2(log_fd, STDERR_FILENO);
	if (chdir(e->workspace) < 0) {
		dprintf(STDERR_FILENO, "mlops-pipeline: cannot enter %s: %s\n",
			e->workspace, strerror(errno));
		_exit(127);
	}
	for (int i = 0; hook_vars[i]; i++)
		unsetenv(hook_vars[i]);
	for (size_t i = 0; i < s->nenv; i++)
		putenv(s->env[i]);
	execl("/bin/sh", "sh", "-c", s->command, (char *)NULL);
	dprintf(STDERR_FILENO, "mlops-pipeline: cannot run /bin/sh: %s\n",
		strerror(errno));
	_exit(127);
}

static int local_start(struct engine *e, struct step_run *s,
		       struct mlops_err *err)
{
	char *log = engine_log_path(e, s);
	int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	pid_t pid;

	if (fd < 0) {
		int ret = mlops_err_errno(err, MLOPS_EINTERNAL, errno,
					  "cannot open '%s'", log);

		free(log);
		return ret;
	}
	free(log);
	if (s->attempt > 1)
		dprintf(fd, "--- mlops-pipeline: attempt %d of %d ---\n",
			s->attempt, s->def->attempts);
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		close(fd);
		return mlops_err_errno(err, MLOPS_EINTERNAL, errno,
				       "cannot fork");
	}
	if (pid == 0)
		child(e, s, fd);
	setpgid(pid, pid);	/* also here: no race with kill(-pid) */
	close(fd);
	s->pid = pid;
	return 0;
}

/* Escalate to KILL for groups that ignored TERM past the grace period. */
struct local_state {
	int64_t *kill_at;	/* per step: when to send KILL, or 0 */
};

static void local_kill(struct engine *e, struct step_run *s)
{
	struct local_state *ls = e->ex.state;

	if (s->pid <= 0)
		return;
	kill(-s->pid, SIGTERM);
	kill(-s->pid, SIGCONT);
	ls->kill_at[s->idx] = time_mono_us() + KILL_GRACE_US;
}

static int local_wait(struct engine *e, int64_t timeout_us,
		      struct mlops_err *err)
{
	struct local_state *ls = e->ex.state;
	int64_t now = time_mono_us();
	int status;
	pid_t pid;

	(void)err;
	for (size_t i = 0; i < e->p->nsteps; i++)
		if (ls->kill_at[i] && e->steps[i].running) {
			if (now >= ls->kill_at[i]) {
				kill(-e->steps[i].pid, SIGKILL);
				ls->kill_at[i] = 0;
			} else if (ls->kill_at[i] - now < timeout_us) {
				timeout_us = ls->kill_at[i] - now;
			}
		}
	engine_sleep(e, timeout_us);
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (size_t i = 0; i < e->p->nsteps; i++) {
			struct step_run *s = &e->steps[i];

			if (!s->running || s->pid != pid)
				continue;
			/* the leader is gone; make sure its group is too */
			kill(-pid, SIGKILL);
			ls->kill_at[i] = 0;
			engine_attempt_done(e, s, WIFEXITED(status) ?
					    WEXITSTATUS(status) : -1);
			break;
		}
	}
	return 0;
}

static void local_release(struct engine *e)
{
	struct local_state *ls = e->ex.state;

	if (!ls)
		return;
	free(ls->kill_at);
	free(ls);
	e->ex.state = NULL;
}

int executor_local_init(struct engine *e, struct mlops_err *err)
{
	struct local_state *ls = xcalloc(1, sizeof(*ls));
	struct executor *ex = &e->ex;

	(void)err;
	ls->kill_at = xcalloc(e->p->nsteps + 1, sizeof(*ls->kill_at));
	ex->name = "local";
	ex->start = local_start;
	ex->wait = local_wait;
	ex->kill = local_kill;
	ex->release = local_release;
	ex->state = ls;
	return 0;
}
