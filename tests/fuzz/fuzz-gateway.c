/* fuzz-gateway.c - libFuzzer target for the gateway's request handling
 * end to end: method, path, headers and body through libmicrohttpd,
 * routing, authentication, the body limits and the request parsers.
 *
 * The first input starts deploy_gateway_run on 127.0.0.1 (an ephemeral
 * port) in a thread, over the store named by $MLOPS_FUZZ_STORE (a .mlops
 * directory tests/fuzz/run prepares with endpoints) or else over an
 * empty store made in a temporary directory. Each input is then sent as
 * raw bytes on a new connection, which is half-closed; the answer is read
 * until the gateway closes (bounded: 5 s per input, beyond which the
 * input counts as a hang and aborts). Whatever came back must start as
 * an HTTP/1.x status line, or be nothing; and a /ping on a fresh
 * connection must still answer 200. Crashes, leaks and undefined
 * behaviour inside the gateway are found by the sanitizers. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/store.h"
#include "core/time.h"
#include "deploy/deploy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct deploy_gateway_conf conf;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ready = PTHREAD_COND_INITIALIZER;
static int port;

static void on_ready(void *arg, const char *url)
{
	const char *colon = strrchr(url, ':');

	(void)arg;
	pthread_mutex_lock(&lock);
	port = colon ? atoi(colon + 1) : -1;
	pthread_cond_signal(&ready);
	pthread_mutex_unlock(&lock);
}

static void *serve(void *arg)
{
	struct mlops_err err = MLOPS_ERR_INIT;

	(void)arg;
	if (deploy_gateway_run(&conf, &err) < 0) {
		fprintf(stderr, "fuzz-gateway: %s\n", err.msg);
		abort();
	}
	return NULL;
}

static void start(void)
{
	static char tmpl[] = "/tmp/mlops-fuzz-gw.XXXXXX";
	struct mlops_err err = MLOPS_ERR_INIT;
	const char *dir = getenv("MLOPS_FUZZ_STORE");
	pthread_t t;
	int created;

	if (!dir || !*dir) {
		static char store[sizeof(tmpl) + 8];

		if (!mkdtemp(tmpl) || store_init(tmpl, NULL, &created,
						 &err) < 0) {
			fprintf(stderr, "fuzz-gateway: %s\n", err.msg);
			abort();
		}
		snprintf(store, sizeof(store), "%s/.mlops", tmpl);
		dir = store;
	}
	conf.store_dir = dir;
	conf.listen = "127.0.0.1:0";
	conf.threads = 2;
	conf.header_timeout_us = 2 * TIME_US_PER_SEC;
	conf.body_timeout_us = 2 * TIME_US_PER_SEC;
	conf.max_buffered = 8 << 20;
	conf.on_ready = on_ready;
	if (pthread_create(&t, NULL, serve, NULL) != 0)
		abort();
	pthread_detach(t);
	pthread_mutex_lock(&lock);
	while (!port)
		pthread_cond_wait(&ready, &lock);
	pthread_mutex_unlock(&lock);
	if (port < 0)
		abort();
}

static int connect_gateway(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		abort();
	return fd;
}

/* Send len bytes (as many as the gateway takes: it may answer and close
 * early), half-close, and read into got (at most cap bytes kept) until
 * the gateway closes. Aborts past the deadline. Returns the bytes kept. */
static size_t exchange(const void *data, size_t len, char *got, size_t cap)
{
	int64_t deadline = time_mono_us() + 5 * TIME_US_PER_SEC;
	int fd = connect_gateway();
	size_t off = 0, n = 0;
	char sink[4096];

	while (off < len) {
		struct pollfd p = { fd, POLLOUT, 0 };
		ssize_t w;

		if (poll(&p, 1, 100) < 0 || time_mono_us() > deadline)
			abort();
		if (!(p.revents & POLLOUT))
			continue;
		w = send(fd, (const char *)data + off, len - off,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0)
			break;	/* answered and closed: read what came */
		off += (size_t)w;
	}
	shutdown(fd, SHUT_WR);
	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t r;

		if (time_mono_us() > deadline) {
			fprintf(stderr, "fuzz-gateway: no close within 5 s\n");
			abort();
		}
		if (poll(&p, 1, 100) <= 0)
			continue;
		r = recv(fd, n < cap ? got + n : sink,
			 n < cap ? cap - n : sizeof(sink), 0);
		if (r <= 0)
			break;
		if (n < cap)
			n += (size_t)r;
	}
	close(fd);
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char ping[] = "GET /ping HTTP/1.1\r\nHost: x\r\n"
				   "Connection: close\r\n\r\n";
	char got[64];
	size_t n;

	if (!port)
		start();
	n = exchange(data, size, got, sizeof(got));
	if (n > 0 && (n < 12 || strncmp(got, "HTTP/1.", 7) != 0))
		abort();
	n = exchange(ping, sizeof(ping) - 1, got, sizeof(got));
	if (n < 12 || strncmp(got, "HTTP/1.1 200", 12) != 0)
		abort();
	return 0;
}
