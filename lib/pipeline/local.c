/* local.c - the local executor: each attempt of a step is
 * `sh -c COMMAND` forked into its own process group in the run's
 * workspace, stdout and stderr appended to logs/STEP.log. A timeout or a
 * cancel signals the whole group (TERM, then KILL after a grace period),
 * so the step's children go too. Ends are found with waitpid, woken by
 * SIGCHLD through the scheduler's self-pipe.
 *
 * Steps die with their runner. A runner killed with SIGKILL runs no
 * handler, so the group leader of each attempt is a small supervisor,
 * not the step: it forks the step into its own group, waits for it, and
 * exits as the step did; when the runner goes (PR_SET_PDEATHSIG wakes it,
 * a once-a-second getppid() check backs that up), it kills the group,
 * itself included. The supervisor ignores SIGTERM and SIGINT, so the
 * runner's TERM to the group stops the step and the supervisor then
 * reports how the step ended. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pipeline/executor.h"
#include "core/time.h"
#include "core/xalloc.h"

#define KILL_GRACE_US (2 * TIME_US_PER_SEC)

extern char **environ;

/* Variables a git hook sets that would point a step's git commands at
 * the user's repository instead of the workspace. */
static const char *const hook_vars[] = {
	"GIT_DIR", "GIT_INDEX_FILE", "GIT_WORK_TREE", "GIT_PREFIX",
	"GIT_OBJECT_DIRECTORY", "GIT_QUARANTINE_PATH", NULL
};

/* The step itself: a shell running the command in the workspace, its
 * standard streams already set up by the supervisor. */
static void exec_step(struct pipeline_exec *e, struct pipeline_exec_step *s)
{
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
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

/* Exit as the step ended: with its status, or by its signal. */
static void exit_like(int status)
{
	sigset_t none;
	int sig;

	if (WIFEXITED(status))
		_exit(WEXITSTATUS(status));
	sig = WTERMSIG(status);
	signal(sig, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	raise(sig);
	_exit(128 + sig);
}

/* The runner is gone: stop the step's group as a timeout would (TERM,
 * then KILL after the grace period), the supervisor going last. */
static void kill_orphaned(pid_t step, const sigset_t *wake)
{
	int64_t until = time_mono_us() + KILL_GRACE_US;
	int status;

	kill(0, SIGTERM);
	kill(0, SIGCONT);
	while (waitpid(step, &status, WNOHANG) == 0 &&
	       time_mono_us() < until) {
		struct timespec ts = { 0, 100 * 1000 * 1000 };

		sigtimedwait(wake, NULL, &ts);
	}
	kill(0, SIGKILL);
	_exit(127);
}

/* The child of the runner: leader of the attempt's process group. */
static void supervise(struct pipeline_exec *e, struct pipeline_exec_step *s,
		      int log_fd, pid_t runner)
{
	int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	sigset_t wake;
	pid_t step;
	int status;

	setpgid(0, 0);
	sigemptyset(&wake);
	sigaddset(&wake, SIGCHLD);
	sigaddset(&wake, SIGHUP);
	sigprocmask(SIG_BLOCK, &wake, NULL);
	signal(SIGCHLD, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	prctl(PR_SET_PDEATHSIG, SIGHUP);
	if (null_fd >= 0)
		dup2(null_fd, STDIN_FILENO);
	dup2(log_fd, STDOUT_FILENO);
	dup2(log_fd, STDERR_FILENO);
	/* Hold nothing of the runner's: the store, other steps' pipes, and
	 * above all the run's lock, which says whether the runner lives. */
	close_range(3, ~0u, 0);
	if (getppid() != runner)	/* it died before prctl */
		_exit(127);
	step = fork();
	if (step < 0) {
		dprintf(STDERR_FILENO, "mlops-pipeline: cannot fork: %s\n",
			strerror(errno));
		_exit(127);
	}
	if (step == 0)
		exec_step(e, s);
	for (;;) {
		struct timespec ts = { 1, 0 };

		if (waitpid(step, &status, WNOHANG) == step)
			exit_like(status);
		if (getppid() != runner)
			kill_orphaned(step, &wake);
		sigtimedwait(&wake, NULL, &ts);
	}
}

static int local_start(struct pipeline_exec *e, struct pipeline_exec_step *s,
		       struct mlops_err *err)
{
	char *log = pipeline_exec_log_path(e, s);
	int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	pid_t pid, runner;

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
	runner = getpid();
	pid = fork();
	if (pid < 0) {
		close(fd);
		return mlops_err_errno(err, MLOPS_EINTERNAL, errno,
				       "cannot fork");
	}
	if (pid == 0)
		supervise(e, s, fd, runner);
	setpgid(pid, pid);	/* also here: no race with kill(-pid) */
	close(fd);
	s->pid = pid;
	return 0;
}

/* Escalate to KILL for groups that ignored TERM past the grace period. */
struct local_state {
	int64_t *kill_at;	/* per step: when to send KILL, or 0 */
};

static void local_kill(struct pipeline_exec *e, struct pipeline_exec_step *s)
{
	struct local_state *ls = e->ex.state;

	if (s->pid <= 0)
		return;
	kill(-s->pid, SIGTERM);
	kill(-s->pid, SIGCONT);
	ls->kill_at[s->idx] = time_mono_us() + KILL_GRACE_US;
}

static int local_wait(struct pipeline_exec *e, int64_t timeout_us,
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
	pipeline_exec_sleep(e, timeout_us);
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (size_t i = 0; i < e->p->nsteps; i++) {
			struct pipeline_exec_step *s = &e->steps[i];

			if (!s->running || s->pid != pid)
				continue;
			/* the leader is gone; make sure its group is too */
			kill(-pid, SIGKILL);
			ls->kill_at[i] = 0;
			pipeline_exec_attempt_done(e, s, WIFEXITED(status) ?
					    WEXITSTATUS(status) : -1);
			break;
		}
	}
	return 0;
}

static void local_release(struct pipeline_exec *e)
{
	struct local_state *ls = e->ex.state;

	if (!ls)
		return;
	/* A run that ends on an error leaves no step behind. */
	for (size_t i = 0; i < e->p->nsteps; i++)
		if (e->steps[i].running && e->steps[i].pid > 0) {
			kill(-e->steps[i].pid, SIGKILL);
			waitpid(e->steps[i].pid, NULL, 0);
		}
	free(ls->kill_at);
	free(ls);
	e->ex.state = NULL;
}

int pipeline_local_init(struct pipeline_exec *e, struct mlops_err *err)
{
	struct local_state *ls = xcalloc(1, sizeof(*ls));
	struct pipeline_executor *ex = &e->ex;

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
