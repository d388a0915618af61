/* pool.c - exec and http worker processes (see pool.h).
 *
 * Locking: one mutex per pool guards the job queue and the counters;
 * a worker holds it only to take a job or to change a counter, never
 * while talking to its process. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "core/time.h"
#include "deploy/pool.h"
#include "core/xalloc.h"

extern char **environ;

#define STARTUP_LIMIT_US (240 * TIME_US_PER_SEC)	/* SageMaker's 4 min */
#define STOP_GRACE_US (5 * TIME_US_PER_SEC)

struct deploy_pool {
	struct deploy_pool_conf conf;		/* strings owned */
	pthread_mutex_t lock;
	pthread_cond_t work;		/* a job arrived, or stopping */
	pthread_cond_t changed;		/* a worker became ready or exited */
	struct deploy_pool_job *head, *tail;
	size_t queued;
	int nthreads, nidle, nready, start_failures, stopping;
	struct mlops_err start_error;	/* the last warm start's failure */
};

struct worker {
	struct deploy_pool *p;
	int warm;		/* start the process before any job */
	pid_t pid;		/* 0: no process */
	int to_fd, from_fd;	/* exec: its stdin and stdout */
	struct buf rbuf, wbuf;	/* exec: bytes read, bytes to write */
	int port;		/* http */
	CURL *curl;
	int ready;		/* counted in the pool's nready */
};

static void set_error(struct deploy_pool_job *job, int status, const char *kind,
		      const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Answer job with status and {"error": kind, "message": ...}. The
 * message may quote the worker's output, which need not be UTF-8 (or
 * was cut inside a character): then its non-ASCII bytes become '?', as
 * JSON strings must be UTF-8. */
static void set_error(struct deploy_pool_job *job, int status, const char *kind,
		      const char *fmt, ...)
{
	char msg[768];
	va_list ap;
	json_t *o;
	char *s;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	o = json_pack("{s:s,s:s}", "error", kind, "message", msg);
	if (!o) {
		for (char *p = msg; *p; p++)
			if ((unsigned char)*p >= 0x80)
				*p = '?';
		o = json_pack("{s:s,s:s}", "error", kind, "message", msg);
	}
	s = json_dumps(o, JSON_COMPACT);
	buf_reset(&job->out);
	buf_addstr(&job->out, s);
	buf_addch(&job->out, '\n');
	free(s);
	json_decref(o);
	job->status = status;
	snprintf(job->out_type, sizeof(job->out_type), "application/json");
}

static int free_port(void)
{
	struct sockaddr_in a = { 0 };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port = -1;

	if (fd < 0)
		return -1;
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	close(fd);
	return port;
}

/* environ without our variables, plus ours; the caller frees the
 * array and the strings from index *nkept on. */
static char **worker_env(const struct worker *w, size_t *nkept)
{
	static const char *const ours[] = { "MLOPS_ENDPOINT=", "MLOPS_MODEL=",
		"MLOPS_MODEL_DIR=", "SM_MODEL_DIR=", "SAGEMAKER_BIND_TO_PORT=",
		"PORT=", NULL };
	const struct deploy_pool_conf *c = &w->p->conf;
	size_t n = 0, k = 0;
	char **env;

	while (environ[n])
		n++;
	env = xcalloc(n + 8, sizeof(*env));
	for (size_t i = 0; i < n; i++) {
		int skip = 0;

		for (int j = 0; ours[j]; j++)
			skip |= strncmp(environ[i], ours[j],
					strlen(ours[j])) == 0;
		if (!skip)
			env[k++] = environ[i];
	}
	*nkept = k;
	env[k++] = xasprintf("MLOPS_ENDPOINT=%s", c->endpoint);
	env[k++] = xasprintf("MLOPS_MODEL=%s", c->model);
	env[k++] = xasprintf("MLOPS_MODEL_DIR=%s", c->model_dir);
	env[k++] = xasprintf("SM_MODEL_DIR=%s", c->model_dir);
	if (c->kind == DEPLOY_POOL_HTTP) {
		env[k++] = xasprintf("SAGEMAKER_BIND_TO_PORT=%d", w->port);
		env[k++] = xasprintf("PORT=%d", w->port);
	}
	return env;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* In a child about to exec: close every descriptor from 3 up to (not
 * including) limit. Async-signal-safe. */
static void close_from_3(int limit)
{
	if (close_range(3, ~0U, 0) == 0)
		return;
	for (int fd = 3; fd < limit; fd++)
		close(fd);
}

/* Fork and exec the entry command. Everything the child needs is built
 * before fork: a threaded parent's child may only make async-signal-safe
 * calls. The worker gets descriptors 0, 1 and 2 and nothing else: ours
 * are close-on-exec, but libraries open some that are not (libcurl's
 * wake-up socket pair), and what the gateway inherited is not the
 * worker's either. */
static int worker_spawn(struct worker *w, struct mlops_err *err)
{
	const struct deploy_pool_conf *c = &w->p->conf;
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, devnull;
	char port[16], *script, **env;
	size_t nkept;
	struct rlimit mem, nofile;
	sigset_t none;

	if (c->kind == DEPLOY_POOL_EXEC &&
	    (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0)) {
		int ret = mlops_err_errno(err, MLOPS_EINTERNAL, errno,
					  "pipe");

		close_fd(&in[0]);
		close_fd(&in[1]);
		return ret;
	}
	if (c->kind == DEPLOY_POOL_HTTP && (w->port = free_port()) < 0) {
		return mlops_err_set(err, MLOPS_EINTERNAL,
				     "no free port on 127.0.0.1");
	}
	snprintf(port, sizeof(port), "%d", w->port);
	script = xasprintf(c->kind == DEPLOY_POOL_HTTP ? "exec %s \"$@\"" :
			   "exec %s", c->entry);
	char *argv[] = { "/bin/sh", "-c", script, "mlops-worker", "--port",
			 port, NULL };
	if (c->kind == DEPLOY_POOL_EXEC)
		argv[4] = NULL;
	env = worker_env(w, &nkept);
	devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	mem.rlim_cur = mem.rlim_max = (rlim_t)c->memory_mb << 20;
	if (getrlimit(RLIMIT_NOFILE, &nofile) < 0 ||
	    nofile.rlim_cur > 65536)
		nofile.rlim_cur = 65536;
	sigemptyset(&none);
	w->pid = fork();
	if (w->pid == 0) {
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		if (chdir(c->model_dir) < 0)
			_exit(126);
		setrlimit(RLIMIT_AS, &mem);
		if (c->kind == DEPLOY_POOL_EXEC) {
			dup2(in[0], 0);
			dup2(out[1], 1);
		} else {
			dup2(devnull, 0);
			dup2(2, 1);
		}
		close_from_3((int)nofile.rlim_cur);
		execve("/bin/sh", argv, env);
		_exit(127);
	}
	for (size_t i = nkept; env[i]; i++)
		free(env[i]);
	free(env);
	free(script);
	close_fd(&devnull);
	close_fd(&in[0]);
	close_fd(&out[1]);
	if (w->pid < 0) {
		int ret = mlops_err_errno(err, MLOPS_EINTERNAL, errno,
					  "fork");

		w->pid = 0;
		close_fd(&in[1]);
		close_fd(&out[0]);
		return ret;
	}
	w->to_fd = in[1];
	w->from_fd = out[0];
	if (w->to_fd >= 0) {
		fcntl(w->to_fd, F_SETFL, O_NONBLOCK);
		fcntl(w->from_fd, F_SETFL, O_NONBLOCK);
	}
	buf_reset(&w->rbuf);
	return 0;
}

/* Has the process exited? Reaps it and describes how in err. */
static int worker_exited(struct worker *w, struct mlops_err *err)
{
	int status;

	if (!w->pid || waitpid(w->pid, &status, WNOHANG) != w->pid)
		return 0;
	w->pid = 0;
	if (WIFEXITED(status))
		mlops_err_set(err, MLOPS_EINTERNAL, "worker exited with "
			      "status %d", WEXITSTATUS(status));
	else
		mlops_err_set(err, MLOPS_EINTERNAL, "worker killed by "
			      "signal %d", WTERMSIG(status));
	return 1;
}

/* Stop the process: SIGTERM to its group, SIGKILL after a grace time. */
static void worker_stop(struct worker *w)
{
	int64_t give_up = time_mono_us() + STOP_GRACE_US;

	close_fd(&w->to_fd);
	close_fd(&w->from_fd);
	if (w->curl) {
		curl_easy_cleanup(w->curl);
		w->curl = NULL;
	}
	if (w->pid) {
		kill(-w->pid, SIGTERM);
		while (waitpid(w->pid, NULL, WNOHANG) == 0) {
			if (time_mono_us() > give_up) {
				kill(-w->pid, SIGKILL);
				waitpid(w->pid, NULL, 0);
				break;
			}
			usleep(5000);
		}
		kill(-w->pid, SIGKILL);	/* whatever it left behind */
		w->pid = 0;
	}
	if (w->ready) {
		w->ready = 0;
		pthread_mutex_lock(&w->p->lock);
		w->p->nready--;
		pthread_cond_broadcast(&w->p->changed);
		pthread_mutex_unlock(&w->p->lock);
	}
}

static size_t curl_sink(char *data, size_t size, size_t n, void *arg)
{
	buf_add(arg, data, size * n);
	return size * n;
}

/* GET /ping until it answers 200, the process dies, or the limit. */
static int http_wait_ready(struct worker *w, struct mlops_err *err)
{
	int64_t give_up = time_mono_us() + STARTUP_LIMIT_US;
	char url[64];
	struct buf sink = BUF_INIT;
	CURL *ping = curl_easy_init();
	int ret = MLOPS_EINTERNAL;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/ping", w->port);
	curl_easy_setopt(ping, CURLOPT_URL, url);
	curl_easy_setopt(ping, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(ping, CURLOPT_TIMEOUT_MS, 2000L);
	curl_easy_setopt(ping, CURLOPT_WRITEFUNCTION, curl_sink);
	curl_easy_setopt(ping, CURLOPT_WRITEDATA, &sink);
	for (;;) {
		long code = 0;

		if (curl_easy_perform(ping) == CURLE_OK &&
		    curl_easy_getinfo(ping, CURLINFO_RESPONSE_CODE, &code) ==
		    CURLE_OK && code == 200) {
			ret = 0;
			break;
		}
		buf_reset(&sink);
		if (worker_exited(w, err))
			break;
		if (time_mono_us() > give_up) {
			mlops_err_set(err, MLOPS_EINTERNAL, "worker did not "
				      "answer GET /ping within %d s",
				      (int)(STARTUP_LIMIT_US /
					    TIME_US_PER_SEC));
			break;
		}
		usleep(10000);
	}
	curl_easy_cleanup(ping);
	buf_release(&sink);
	return ret;
}

/* Start the process and, for http, wait until it is healthy. */
static int worker_start(struct worker *w, struct mlops_err *err)
{
	int ret = worker_spawn(w, err);

	if (ret < 0)
		return ret;
	if (w->p->conf.kind == DEPLOY_POOL_HTTP) {
		if ((ret = http_wait_ready(w, err)) < 0) {
			worker_stop(w);
			return ret;
		}
		w->curl = curl_easy_init();
	}
	w->ready = 1;
	pthread_mutex_lock(&w->p->lock);
	w->p->nready++;
	pthread_cond_broadcast(&w->p->changed);
	pthread_mutex_unlock(&w->p->lock);
	return 0;
}

/* Send the job's non-blank lines and read as many response lines,
 * writing and reading at once so that neither pipe can fill up. */
static void exec_run(struct worker *w, struct deploy_pool_job *job)
{
	const char *p = job->body, *end = job->body + job->len;
	size_t nreq = 0, nresp = 0, written = 0, scanned = 0;
	struct mlops_err err = MLOPS_ERR_INIT;

	buf_reset(&w->wbuf);
	buf_reset(&w->rbuf);
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *e = eol ? eol : end;

		if (e > p && !(e - p == 1 && *p == '\r')) {
			buf_add(&w->wbuf, p, (size_t)(e - p));
			buf_addch(&w->wbuf, '\n');
			nreq++;
		}
		p = e + 1;
	}
	if (nreq == 0) {
		set_error(job, 400, "InvalidInput", "empty body");
		return;
	}
	while (nresp < nreq) {
		struct pollfd pfd[2] = { { w->from_fd, POLLIN, 0 },
					 { w->to_fd, POLLOUT, 0 } };
		int64_t left = job->deadline_us - time_mono_us();
		int nfds = written < w->wbuf.len ? 2 : 1;

		if (left <= 0) {
			set_error(job, 504, "Timeout", "the model did not "
				  "answer in time");
			worker_stop(w);
			return;
		}
		if (poll(pfd, (nfds_t)nfds, (int)(left / 1000 + 1)) < 0 &&
		    errno != EINTR)
			break;
		if (nfds == 2 && (pfd[1].revents & (POLLOUT | POLLERR))) {
			ssize_t n = write(w->to_fd, w->wbuf.s + written,
					  w->wbuf.len - written);

			if (n < 0 && errno != EAGAIN && errno != EINTR)
				break;
			if (n > 0)
				written += (size_t)n;
		}
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			char chunk[65536];
			ssize_t n = read(w->from_fd, chunk, sizeof(chunk));

			if (n == 0 || (n < 0 && errno != EAGAIN &&
				       errno != EINTR))
				break;
			if (n > 0)
				buf_add(&w->rbuf, chunk, (size_t)n);
			for (; scanned < w->rbuf.len; scanned++)
				if (w->rbuf.s[scanned] == '\n')
					nresp++;
		}
	}
	if (nresp < nreq) {
		/* EOF or a broken pipe: the process died. */
		usleep(1000);
		if (!worker_exited(w, &err))
			mlops_err_set(&err, MLOPS_EINTERNAL, "worker closed "
				      "its output");
		set_error(job, 502, "WorkerDied", "%s", err.msg);
		worker_stop(w);
		return;
	}
	for (const char *l = w->rbuf.s; l < w->rbuf.s + w->rbuf.len;) {
		const char *eol = memchr(l, '\n', w->rbuf.len -
					 (size_t)(l - w->rbuf.s));

		if (strncmp(l, "ERROR:", 6) == 0) {
			const char *m = l + 6;

			while (*m == ' ')
				m++;
			set_error(job, 424, "ModelError", "%.*s",
				  (int)(eol - m), m);
			return;
		}
		l = eol + 1;
	}
	buf_reset(&job->out);
	buf_add(&job->out, w->rbuf.s, w->rbuf.len);
	job->status = 200;
	snprintf(job->out_type, sizeof(job->out_type), "%s",
		 job->content_type);
}

static void http_run(struct worker *w, struct deploy_pool_job *job)
{
	char url[64], ctype[128];
	struct mlops_err err = MLOPS_ERR_INIT;
	struct curl_slist *hdr = NULL;
	int64_t left = job->deadline_us - time_mono_us();
	const char *rtype = NULL;
	long code = 0;
	CURLcode res;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/invocations",
		 w->port);
	snprintf(ctype, sizeof(ctype), "Content-Type: %s", job->content_type);
	hdr = curl_slist_append(hdr, ctype);
	hdr = curl_slist_append(hdr, "Expect:");
	buf_reset(&job->out);
	curl_easy_setopt(w->curl, CURLOPT_URL, url);
	curl_easy_setopt(w->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(w->curl, CURLOPT_POST, 1L);
	curl_easy_setopt(w->curl, CURLOPT_POSTFIELDS, job->body);
	curl_easy_setopt(w->curl, CURLOPT_POSTFIELDSIZE_LARGE,
			 (curl_off_t)job->len);
	curl_easy_setopt(w->curl, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(w->curl, CURLOPT_TIMEOUT_MS,
			 (long)(left > 1000 ? left / 1000 : 1));
	curl_easy_setopt(w->curl, CURLOPT_WRITEFUNCTION, curl_sink);
	curl_easy_setopt(w->curl, CURLOPT_WRITEDATA, &job->out);
	res = curl_easy_perform(w->curl);
	curl_slist_free_all(hdr);
	curl_easy_setopt(w->curl, CURLOPT_HTTPHEADER, NULL);
	if (res == CURLE_OPERATION_TIMEDOUT) {
		set_error(job, 504, "Timeout", "the model did not answer in "
			  "time");
		worker_stop(w);
		return;
	}
	if (res != CURLE_OK) {
		usleep(1000);
		if (!worker_exited(w, &err))
			mlops_err_set(&err, MLOPS_EINTERNAL, "worker "
				      "unreachable: %s",
				      curl_easy_strerror(res));
		set_error(job, 502, "WorkerDied", "%s", err.msg);
		worker_stop(w);
		return;
	}
	curl_easy_getinfo(w->curl, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_getinfo(w->curl, CURLINFO_CONTENT_TYPE, &rtype);
	if (code < 200 || code > 299) {
		struct buf body = BUF_INIT;

		buf_add(&body, job->out.s, job->out.len > 512 ? 512 :
			job->out.len);
		set_error(job, 424, "ModelError", "the model answered %ld: %s",
			  code, body.s);
		buf_release(&body);
		return;
	}
	job->status = 200;
	snprintf(job->out_type, sizeof(job->out_type), "%s",
		 rtype ? rtype : "application/octet-stream");
}

static void worker_run(struct worker *w, struct deploy_pool_job *job)
{
	const struct deploy_pool_conf *c = &w->p->conf;
	int64_t t0 = time_mono_us();
	int cold = 0;
	struct mlops_err err = MLOPS_ERR_INIT;

	if (!w->pid) {
		if (worker_start(w, &err) < 0) {
			set_error(job, 502, "WorkerStartFailed", "%s",
				  err.msg);
			return;
		}
		cold = 1;
	}
	if (c->kind == DEPLOY_POOL_EXEC)
		exec_run(w, job);
	else
		http_run(w, job);
	if (cold && job->status < 500 && c->on_cold_start)
		c->on_cold_start(c->arg, time_mono_us() - t0);
	/* A worker that died is replaced at once, warm for the next. */
	if (!w->pid && !w->p->stopping)
		worker_start(w, &err);
}

static void deadline_in(struct timespec *ts, int64_t us)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += (time_t)(us / TIME_US_PER_SEC);
	ts->tv_nsec += (long)(us % TIME_US_PER_SEC) * 1000;
	if (ts->tv_nsec >= 1000000000) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000;
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct deploy_pool *p = w->p;
	struct mlops_err err = MLOPS_ERR_INIT;

	if (w->warm && worker_start(w, &err) < 0) {
		pthread_mutex_lock(&p->lock);
		p->start_failures++;
		p->start_error = err;
		pthread_cond_broadcast(&p->changed);
		pthread_mutex_unlock(&p->lock);
	}
	pthread_mutex_lock(&p->lock);
	for (;;) {
		struct deploy_pool_job *job;
		int timed_out = 0;

		while (!p->head && !p->stopping && !timed_out) {
			struct timespec ts;

			deadline_in(&ts, p->conf.idle_timeout_us);
			p->nidle++;
			timed_out = pthread_cond_timedwait(&p->work, &p->lock,
							   &ts) == ETIMEDOUT;
			p->nidle--;
		}
		if (!p->head && (p->stopping ||
				 p->nthreads > p->conf.provisioned))
			break;
		if (!p->head)
			continue;
		job = p->head;
		p->head = job->next;
		if (!p->head)
			p->tail = NULL;
		p->queued--;
		pthread_mutex_unlock(&p->lock);
		worker_run(w, job);
		job->done(job);
		pthread_mutex_lock(&p->lock);
	}
	pthread_mutex_unlock(&p->lock);
	worker_stop(w);
	curl_easy_cleanup(w->curl);
	buf_release(&w->rbuf);
	buf_release(&w->wbuf);
	free(w);
	pthread_mutex_lock(&p->lock);
	p->nthreads--;
	pthread_cond_broadcast(&p->changed);
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

/* Start one worker thread; called with the lock held. */
static int worker_add(struct deploy_pool *p, int warm)
{
	struct worker *w = xcalloc(1, sizeof(*w));
	pthread_attr_t attr;
	pthread_t t;
	int e;

	w->p = p;
	w->warm = warm;
	w->to_fd = w->from_fd = -1;
	buf_init(&w->rbuf);
	buf_init(&w->wbuf);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	e = pthread_create(&t, &attr, worker_main, w);
	pthread_attr_destroy(&attr);
	if (e != 0) {
		free(w);
		return -1;
	}
	p->nthreads++;
	return 0;
}

int deploy_pool_create(struct deploy_pool **out,
		       const struct deploy_pool_conf *conf,
		       struct mlops_err *err)
{
	struct deploy_pool *p = xcalloc(1, sizeof(*p));
	pthread_condattr_t ca;

	(void)err;
	p->conf = *conf;
	p->conf.entry = xstrdup(conf->entry ? conf->entry : "");
	p->conf.model_dir = xstrdup(conf->model_dir);
	p->conf.endpoint = xstrdup(conf->endpoint);
	p->conf.model = xstrdup(conf->model);
	pthread_mutex_init(&p->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->work, &ca);
	pthread_cond_init(&p->changed, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_lock(&p->lock);
	for (int i = 0; i < conf->provisioned; i++)
		worker_add(p, 1);
	pthread_mutex_unlock(&p->lock);
	*out = p;
	return 0;
}

int deploy_pool_warm(struct deploy_pool *p, int n, int64_t timeout_us,
	      struct mlops_err *err)
{
	struct timespec ts;
	int ret = 0;

	deadline_in(&ts, timeout_us);
	pthread_mutex_lock(&p->lock);
	p->start_failures = 0;
	while (p->nthreads < n && p->nthreads < p->conf.max_workers)
		worker_add(p, 1);
	while (p->nready < n && !p->start_failures)
		if (pthread_cond_timedwait(&p->changed, &p->lock, &ts) ==
		    ETIMEDOUT)
			break;
	if (p->start_failures)
		ret = mlops_err_set(err, MLOPS_EINPUT, "%s: %s",
				    p->conf.model, p->start_error.msg);
	else if (p->nready < n)
		ret = mlops_err_set(err, MLOPS_EINPUT, "%s: the worker did "
				    "not become ready in time", p->conf.model);
	pthread_mutex_unlock(&p->lock);
	return ret;
}

void deploy_pool_submit(struct deploy_pool *p, struct deploy_pool_job *job)
{
	job->next = NULL;
	pthread_mutex_lock(&p->lock);
	if (p->tail)
		p->tail->next = job;
	else
		p->head = job;
	p->tail = job;
	p->queued++;
	if (p->queued > (size_t)p->nidle && p->nthreads < p->conf.max_workers)
		worker_add(p, 0);
	pthread_cond_signal(&p->work);
	pthread_mutex_unlock(&p->lock);
}

int deploy_pool_running(struct deploy_pool *p)
{
	int n;

	pthread_mutex_lock(&p->lock);
	n = p->nready;
	pthread_mutex_unlock(&p->lock);
	return n;
}

void deploy_pool_set_scaling(struct deploy_pool *p, int provisioned,
		      int64_t idle_timeout_us)
{
	pthread_mutex_lock(&p->lock);
	p->conf.provisioned = provisioned;
	p->conf.idle_timeout_us = idle_timeout_us;
	while (p->nthreads < provisioned)
		worker_add(p, 1);
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->lock);
}

void deploy_pool_free(struct deploy_pool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->stopping = 1;
	pthread_cond_broadcast(&p->work);
	while (p->nthreads > 0)
		pthread_cond_wait(&p->changed, &p->lock);
	pthread_mutex_unlock(&p->lock);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->changed);
	free((char *)p->conf.entry);
	free((char *)p->conf.model_dir);
	free((char *)p->conf.endpoint);
	free((char *)p->conf.model);
	free(p);
}
