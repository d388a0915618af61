/* server.c - the site over HTTP with libmicrohttpd, as the deploy
 * gateway serves endpoints: a socket bound by us (127.0.0.1 unless
 * told), a limit on connections in all and per client, a timeout on
 * idle ones. One thread answers, so the store's connection is never
 * shared; pages take milliseconds. GET and HEAD only: nothing here
 * changes the store. A non-loopback address needs an access key, and
 * a key once given is required of every request, compared as SHA-256
 * in constant time. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <microhttpd.h>
#include <openssl/evp.h>

#include "core/hash.h"
#include "core/net.h"
#include "core/xalloc.h"
#include "web/internal.h"

#define MAX_CONNECTIONS 64
#define MAX_PER_CLIENT 16
#define IDLE_TIMEOUT_S 30

struct server {
	struct store *st;
	int keyed;
	unsigned char key[32];	/* SHA-256 of the access key */
	FILE *log;
};

static int sha256(const char *s, unsigned char md[32])
{
	unsigned char out[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (EVP_Digest(s, strlen(s), out, &n, EVP_sha256(), NULL) != 1 ||
	    n != 32)
		return -1;
	memcpy(md, out, 32);
	return 0;
}

static int key_ok(struct MHD_Connection *c, const struct server *sv)
{
	const char *key = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						      "X-Api-Key");
	const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						       "Authorization");
	unsigned char md[32];

	if (!sv->keyed)
		return 1;
	if (!key && auth && strncasecmp(auth, "Bearer ", 7) == 0)
		key = auth + 7;
	return key && sha256(key, md) == 0 && hash_equal_ct(md, sv->key, 32);
}

static enum MHD_Result answer(struct MHD_Connection *c, unsigned status,
			      const char *type, const char *body,
			      size_t len, int copy)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, (void *)body, copy ?
		MHD_RESPMEM_MUST_COPY : MHD_RESPMEM_MUST_FREE);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", type);
	MHD_add_response_header(r, "Content-Security-Policy",
				"default-src 'none'; style-src "
				"'unsafe-inline'; frame-ancestors 'none'");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, "Allow", "GET, HEAD");
	if (status == MHD_HTTP_UNAUTHORIZED)
		MHD_add_response_header(r, "WWW-Authenticate", "Bearer");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result fail(struct MHD_Connection *c, unsigned status,
			    const char *msg)
{
	char *text = xasprintf("mlops web: %s\n", msg);

	return answer(c, status, "text/plain; charset=utf-8", text,
		      strlen(text), 0);
}

/* JSON when asked by ?format=json or an Accept header naming it. */
static int wants_json(struct MHD_Connection *c)
{
	const char *f = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
						    "format");
	const char *accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
							 "Accept");

	if (f)
		return strcmp(f, "json") == 0;
	return accept && strstr(accept, "application/json") &&
	       !strstr(accept, "text/html");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
				  const char *url, const char *method,
				  const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	struct server *sv = cls;
	struct web_page page = WEB_PAGE_INIT;
	struct mlops_err err = MLOPS_ERR_INIT;
	size_t len;
	char *body;
	int ret;

	(void)version;
	(void)upload;
	/* The first call is for the headers alone; answer on it, and
	 * refuse a body: no page takes one. */
	if (*con_cls == NULL) {
		*con_cls = sv;
	} else if (*upload_size) {
		*upload_size = 0;
		return MHD_YES;
	}
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return fail(c, MHD_HTTP_METHOD_NOT_ALLOWED, "the site is "
			    "read-only: GET and HEAD only");
	if (!key_ok(c, sv))
		return fail(c, MHD_HTTP_UNAUTHORIZED, "a valid access key is "
			    "required (X-Api-Key or Authorization: Bearer)");
	ret = web_render(&page, sv->st, url, wants_json(c), &err);
	if (ret == MLOPS_ENOTFOUND)
		return fail(c, MHD_HTTP_NOT_FOUND, err.msg);
	if (ret < 0) {
		if (sv->log)
			fprintf(sv->log, "mlops web: %s: %s\n", url, err.msg);
		return fail(c, MHD_HTTP_INTERNAL_SERVER_ERROR, err.msg);
	}
	body = buf_detach(&page.body, &len);
	return answer(c, MHD_HTTP_OK, page.type, body, len, 0);
}

int web_server_run(const struct web_server_conf *conf, struct mlops_err *err)
{
	struct server sv = { NULL, 0, { 0 }, conf->log };
	struct MHD_Daemon *d = NULL;
	char *url = NULL;
	sigset_t sigs;
	int fd = -1, ret, sig;

	if (conf->key) {
		if (!*conf->key || sha256(conf->key, sv.key) < 0)
			return mlops_err_set(err, MLOPS_EUSAGE, "the access "
					     "key is empty");
		sv.keyed = 1;
	}
	if ((fd = net_listen(conf->listen, &url, err)) < 0)
		return fd;
	if (!net_is_loopback(fd) && !sv.keyed) {
		ret = mlops_err_set(err, MLOPS_EUSAGE, "--listen '%s' is not "
				    "a loopback address: give an access key "
				    "(--key-file or MLOPS_WEB_KEY)",
				    conf->listen);
		goto out;
	}
	if ((ret = store_open_dir(&sv.st, conf->store_dir, "mlops",
				  err)) < 0)
		goto out;
	/* Block the stop signals before the server's thread starts, so
	 * that it inherits the mask and only sigwait below sees them. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO,
			     0, NULL, NULL, on_request, &sv,
			     MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
			     MHD_OPTION_CONNECTION_TIMEOUT,
			     (unsigned)IDLE_TIMEOUT_S,
			     MHD_OPTION_CONNECTION_LIMIT,
			     (unsigned)MAX_CONNECTIONS,
			     MHD_OPTION_PER_IP_CONNECTION_LIMIT,
			     (unsigned)MAX_PER_CLIENT, MHD_OPTION_END);
	if (!d) {
		ret = mlops_err_set(err, MLOPS_EINTERNAL, "cannot start the "
				    "HTTP server on %s", conf->listen);
		goto out;
	}
	fd = -1;	/* the daemon's now */
	if (conf->log)
		fprintf(conf->log, "mlops web: serving %s on %s\n",
			sv.st->dir, url);
	if (conf->on_ready)
		conf->on_ready(conf->arg, url);
	while (sigwait(&sigs, &sig) == 0 && sig != SIGTERM && sig != SIGINT)
		;
	if (conf->log)
		fprintf(conf->log, "mlops web: stopped\n");
	ret = 0;
out:
	if (d)
		MHD_stop_daemon(d);
	if (fd >= 0)
		close(fd);
	store_close(sv.st);
	free(url);
	return ret;
}
