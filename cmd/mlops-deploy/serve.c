/* serve.c - `mlops-deploy serve` runs the gateway, in the foreground or
 * as a daemon with a pidfile; `mlops-deploy stop` stops a daemon and
 * waits until it has drained and exited. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "deploy.h"
#include "core/fs.h"
#include "deploy/deploy.h"
#include "core/parse.h"
#include "shadow/shadow.h"
#include "core/store.h"
#include "core/time.h"
#include "core/xalloc.h"

const char usage_serve[] =
	"usage: mlops-deploy serve [--listen HOST:PORT] [--threads N]\n"
	"                          [--daemon [--pidfile FILE]] [--log FILE]\n"
	"                          [--max-connections N] [--max-per-client N]\n"
	"                          [--header-timeout D] [--body-timeout D]\n"
	"                          [--max-buffered SIZE]\n"
	"\n"
	"Serve every endpoint of the store over HTTP until SIGTERM, which\n"
	"drains in-flight requests. Endpoint changes are picked up without\n"
	"a restart (at once on SIGHUP).\n"
	"\n"
	"  --listen HOST:PORT   where to listen (127.0.0.1:8080; port 0 picks\n"
	"                       a free one)\n"
	"  --threads N          HTTP threads (one per core)\n"
	"  --daemon             run in the background once listening\n"
	"  --pidfile FILE       with --daemon (default .mlops/gateway.pid)\n"
	"  --log FILE           append the log here (default: stderr, or\n"
	"                       nowhere with --daemon)\n"
	"  --max-connections N  open connections at most (10000)\n"
	"  --max-per-client N   open connections per client address (256)\n"
	"  --header-timeout D   close a connection that has not sent a\n"
	"                       request's headers within D of opening or of\n"
	"                       its last answer (30s)\n"
	"  --body-timeout D     close one that has not sent the body within\n"
	"                       D of its headers (60s)\n"
	"  --max-buffered SIZE  request bodies held at once, across all\n"
	"                       connections; past it, 503 (256MB)\n";
const char usage_stop[] =
	"usage: mlops-deploy stop [--pidfile FILE]\n"
	"\n"
	"Stop the gateway whose pid is in FILE, or without --pidfile every\n"
	"gateway of the store on this host, and wait until they have exited.\n";

enum {
	OPT_DAEMON = 1000, OPT_LISTEN, OPT_LOG, OPT_PIDFILE, OPT_THREADS,
	OPT_MAXCONN, OPT_PERCLIENT, OPT_HEADERTO, OPT_BODYTO, OPT_MAXBUF
};

struct serve_state {
	const char *pidfile;
	int notify_fd;		/* daemon: tells the parent we listen */
};

/* The gateway, which mirrors a shadow test only until its end time,
 * also marks it Completed then (with its event and audit record), so
 * that the store says so without waiting for an mlops-shadow command. */
static int on_tick(void *arg, struct store *st, struct mlops_err *err)
{
	(void)arg;
	return shadow_expire(st, err);
}

static void on_ready(void *arg, const char *url)
{
	struct serve_state *s = arg;
	char line[512];
	int n;

	if (s->pidfile) {
		char pid[32];

		n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
		fs_write_file_atomic(s->pidfile, pid, (size_t)n, NULL);
	}
	if (s->notify_fd >= 0) {
		n = snprintf(line, sizeof(line), "0 %s\n", url);
		fs_write_all(s->notify_fd, line, (size_t)n);
		close(s->notify_fd);
		s->notify_fd = -1;
	} else {
		printf("listening on %s\n", url);
		fflush(stdout);
	}
}

/* Remove the pidfile if it still names this process: a gateway that
 * failed to start, or one whose pidfile another gateway took over, must
 * not remove the running gateway's (then 'stop' could not find it). */
static void pidfile_remove_own(const char *path)
{
	struct buf b = BUF_INIT;

	if (buf_read_file(&b, path, 64, NULL) == 0 &&
	    strtol(b.s, NULL, 10) == (long)getpid())
		unlink(path);
	buf_release(&b);
}

static char *default_pidfile(struct cli *cli)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	char *dir = NULL, *path;

	if (store_discover(&dir, cli->store_dir, &err) < 0)
		return NULL;
	path = fs_path_join(dir, "gateway.pid");
	free(dir);
	return path;
}

/* The parent of a daemon: wait for the line "0 URL" or "CODE message",
 * or for the end of the pipe (the child died). The line is enough: a
 * descriptor that leaked to a grandchild must not keep us waiting. */
static int await_daemon(struct cli *cli, int fd, pid_t child)
{
	char line[1200];
	ssize_t n, got = 0;

	while (got < (ssize_t)sizeof(line) - 1 &&
	       !memchr(line, '\n', (size_t)got)) {
		n = read(fd, line + got, sizeof(line) - 1 - (size_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += n;
	}
	line[got] = '\0';
	close(fd);
	if (got > 2 && line[0] == '0' && line[1] == ' ') {
		printf("listening on %s", line + 2);
		return 0;
	}
	waitpid(child, NULL, 0);
	if (got > 0) {
		char *sp = strchr(line, ' ');
		int code = atoi(line);

		if (sp) {
			sp[strcspn(sp, "\n")] = '\0';
			return cli_error(cli, -code, "%s", sp + 1);
		}
	}
	return cli_error(cli, MLOPS_EINTERNAL, "the gateway exited before "
			 "listening");
}

int cmd_serve(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "daemon", no_argument, 0, OPT_DAEMON },
		{ "help", no_argument, 0, 'h' },
		{ "listen", required_argument, 0, OPT_LISTEN },
		{ "log", required_argument, 0, OPT_LOG },
		{ "pidfile", required_argument, 0, OPT_PIDFILE },
		{ "threads", required_argument, 0, OPT_THREADS },
		{ "max-connections", required_argument, 0, OPT_MAXCONN },
		{ "max-per-client", required_argument, 0, OPT_PERCLIENT },
		{ "header-timeout", required_argument, 0, OPT_HEADERTO },
		{ "body-timeout", required_argument, 0, OPT_BODYTO },
		{ "max-buffered", required_argument, 0, OPT_MAXBUF },
		{ 0, 0, 0, 0 }
	};
	struct mlops_err err = MLOPS_ERR_INIT;
	struct deploy_gateway_conf conf = { .listen = "127.0.0.1:8080" };
	int64_t lim;
	struct serve_state state = { NULL, -1 };
	const char *log_path = NULL, *pidfile = NULL;
	char *store_dir = NULL, *pid_default = NULL;
	FILE *log = NULL;
	int64_t threads = 0;
	int c, daemonize = 0, ret;

	while ((c = cli_getopt(argc, argv, "h", opts, cli, usage_serve)) != -1)
		switch (c) {
		case OPT_DAEMON:
			daemonize = 1;
			break;
		case OPT_LISTEN:
			conf.listen = optarg;
			break;
		case OPT_LOG:
			log_path = optarg;
			break;
		case OPT_PIDFILE:
			pidfile = optarg;
			break;
		case OPT_THREADS:
			if (parse_int64(optarg, 1, 1024, &threads, "--threads",
					&err) < 0)
				return cli_usage(cli, usage_serve, "%s",
						 err.msg);
			break;
		case OPT_MAXCONN:
		case OPT_PERCLIENT:
			if (parse_int64(optarg, 1, 1000000, &lim,
					c == OPT_MAXCONN ?
					"--max-connections" :
					"--max-per-client", &err) < 0)
				return cli_usage(cli, usage_serve, "%s",
						 err.msg);
			*(c == OPT_MAXCONN ? &conf.max_connections :
			  &conf.max_per_client) = (unsigned)lim;
			break;
		case OPT_HEADERTO:
		case OPT_BODYTO: {
			const char *name = c == OPT_HEADERTO ?
				"--header-timeout" : "--body-timeout";

			if (time_parse_duration(optarg, &lim, &err) < 0)
				return cli_usage(cli, usage_serve, "%s: %s",
						 name, err.msg);
			if (lim <= 0)
				return cli_usage(cli, usage_serve,
						 "%s: must be more than 0",
						 name);
			*(c == OPT_HEADERTO ? &conf.header_timeout_us :
			  &conf.body_timeout_us) = lim;
			break;
		}
		case OPT_MAXBUF:
			if (parse_size(optarg, &conf.max_buffered,
				       "--max-buffered", &err) < 0)
				return cli_usage(cli, usage_serve, "%s",
						 err.msg);
			if (!conf.max_buffered)
				return cli_usage(cli, usage_serve,
						 "--max-buffered: must be more "
						 "than 0");
			break;
		default:
			return CLI_STATUS(c);
		}
	if (optind != argc)
		return cli_usage(cli, usage_serve, "unexpected argument '%s'",
				 argv[optind]);
	if (store_discover(&store_dir, cli->store_dir, &err) < 0)
		return cli_fail(cli, &err);
	if (daemonize && !pidfile)
		pidfile = pid_default = default_pidfile(cli);
	if (log_path && !(log = fopen(log_path, "ae"))) {
		ret = cli_error(cli, MLOPS_EUSAGE, "cannot open '%s': %s",
				log_path, strerror(errno));
		goto out;
	}
	conf.store_dir = store_dir;
	conf.threads = (int)threads;
	conf.log = log ? log : daemonize ? NULL : stderr;
	conf.on_ready = on_ready;
	conf.on_tick = on_tick;
	conf.arg = &state;
	state.pidfile = pidfile;
	if (daemonize) {
		int fds[2];
		pid_t pid;

		if (pipe2(fds, O_CLOEXEC) < 0) {
			ret = cli_error(cli, MLOPS_EINTERNAL, "pipe: %s",
					strerror(errno));
			goto out;
		}
		fflush(stdout);
		pid = fork();
		if (pid > 0) {
			close(fds[1]);
			ret = await_daemon(cli, fds[0], pid);
			goto out;
		}
		close(fds[0]);
		state.notify_fd = fds[1];
		setsid();
		int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
		dup2(devnull, 0);
		dup2(devnull, 1);
		if (!log)
			dup2(devnull, 2);
		else
			dup2(fileno(log), 2);
		close(devnull);
	}
	ret = deploy_gateway_run(&conf, &err);
	if (ret < 0) {
		if (state.notify_fd >= 0) {
			char line[1200];
			int n = snprintf(line, sizeof(line), "%d %s\n",
					 -ret, err.msg);

			fs_write_all(state.notify_fd, line, (size_t)n);
		}
		ret = cli_fail(cli, &err);
	}
	if (pidfile)
		pidfile_remove_own(pidfile);
out:
	if (log)
		fclose(log);
	free(store_dir);
	free(pid_default);
	return ret;
}

/* The pid in pidfile into *pid: 0, or exit status 4 (no such file, or
 * no such process: the file is stale and removed) or 3. */
static int pid_from_file(struct cli *cli, const char *pidfile, long *pid)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct buf b = BUF_INIT;
	int64_t v;
	int ret = 0;

	if (buf_read_file(&b, pidfile, 64, &err) < 0) {
		ret = cli_error(cli, MLOPS_ENOTFOUND, "no gateway running "
				"(cannot read '%s')", pidfile);
		goto out;
	}
	b.s[strcspn(b.s, "\n")] = '\0';
	if (parse_int64(b.s, 2, INT32_MAX, &v, pidfile, &err) < 0) {
		ret = cli_fail(cli, &err);
		goto out;
	}
	if (!deploy_gateway_record_alive((long)v)) {
		ret = cli_error(cli, MLOPS_ENOTFOUND, "no gateway with pid "
				"%lld (stale '%s')", (long long)v, pidfile);
		unlink(pidfile);
		goto out;
	}
	*pid = (long)v;
out:
	buf_release(&b);
	return ret;
}

/* The pids of the gateways of the store that run on this host, found
 * through their records: 0, or an exit status when there is none. */
static int pids_from_store(struct cli *cli, long **pids, size_t *n)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct deploy_gateway_record *recs = NULL;
	char *dir = NULL;
	size_t nrecs = 0, remote = 0;
	int ret;

	if (store_discover(&dir, cli->store_dir, &err) < 0)
		return cli_fail(cli, &err);
	ret = deploy_gateway_record_list(dir, &recs, &nrecs, &err);
	free(dir);
	if (ret < 0)
		return cli_fail(cli, &err);
	*pids = xcalloc(nrecs + 1, sizeof(**pids));
	*n = 0;
	for (size_t i = 0; i < nrecs; i++) {
		if (recs[i].local)
			(*pids)[(*n)++] = recs[i].pid;
		else
			remote++;
	}
	deploy_gateway_record_list_free(recs, nrecs);
	if (*n)
		return 0;
	if (remote)
		return cli_error(cli, MLOPS_ENOTFOUND, "no gateway running on "
				 "this host (%zu on others: stop them "
				 "there)", remote);
	return cli_error(cli, MLOPS_ENOTFOUND, "no gateway running");
}

int cmd_stop(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "help", no_argument, 0, 'h' },
		{ "pidfile", required_argument, 0, OPT_PIDFILE },
		{ 0, 0, 0, 0 }
	};
	const char *pidfile = NULL;
	long *pids = NULL;
	size_t n = 0;
	int64_t give_up;
	int c, ret, left;

	while ((c = cli_getopt(argc, argv, "h", opts, cli, usage_stop)) != -1)
		switch (c) {
		case OPT_PIDFILE:
			pidfile = optarg;
			break;
		default:
			return CLI_STATUS(c);
		}
	if (optind != argc)
		return cli_usage(cli, usage_stop, "unexpected argument '%s'",
				 argv[optind]);
	if (pidfile) {
		pids = xcalloc(1, sizeof(*pids));
		ret = pid_from_file(cli, pidfile, &pids[0]);
		n = 1;
	} else {
		ret = pids_from_store(cli, &pids, &n);
	}
	if (ret)
		goto out;
	for (size_t i = 0; i < n; i++)
		kill((pid_t)pids[i], SIGTERM);
	/* Each drains its in-flight requests (up to the longest endpoint
	 * timeout) and removes its record before it exits. */
	give_up = time_mono_us() + 120 * TIME_US_PER_SEC;
	do {
		left = 0;
		for (size_t i = 0; i < n; i++)
			left += deploy_gateway_record_alive(pids[i]);
		if (left)
			usleep(20000);
	} while (left && time_mono_us() < give_up);
	for (size_t i = 0; i < n; i++)
		if (deploy_gateway_record_alive(pids[i]))
			ret = cli_error(cli, MLOPS_EINTERNAL, "gateway %ld did "
					"not exit", pids[i]);
out:
	free(pids);
	return ret;
}
