/* invoke.c - `mlops-deploy invoke`: send a body to an endpoint through
 * the gateway with libcurl and print the answer; with --lines, one
 * request per input line, answers in order, over one kept-alive
 * connection, so that it fits in a pipe. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "core/buf.h"
#include "deploy.h"
#include "deploy/deploy.h"
#include "core/fs.h"
#include "core/store.h"
#include "core/xalloc.h"

const char usage_invoke[] =
	"usage: mlops-deploy invoke [--body FILE|-] [--content-type T]\n"
	"                           [--url URL] [--api-key KEY] [--lines]\n"
	"                           [--inference-id ID] ENDPOINT\n"
	"\n"
	"POST the body to ENDPOINT and print the response body. The gateway\n"
	"is --url, else $MLOPS_DEPLOY_URL, else the one serving this store,\n"
	"else http://127.0.0.1:8080. Exits 3 for 400/413/415, 4 for 404,\n"
	"5 for 401, 70 for other errors.\n"
	"\n"
	"  --body FILE|-        the body (default: standard input)\n"
	"  --content-type T     its type (default text/csv)\n"
	"  --api-key KEY        send 'Authorization: Bearer KEY' (also\n"
	"                       $MLOPS_API_KEY)\n"
	"  --inference-id ID    name the request ID (X-Amzn-SageMaker-"
	"Inference-Id);\n"
	"                       with --lines, line N is ID-N\n"
	"  --lines              one request per line of standard input\n";

enum { OPT_APIKEY = 1000, OPT_BODY, OPT_CTYPE, OPT_ID, OPT_LINES, OPT_URL };

static size_t sink(char *data, size_t size, size_t n, void *arg)
{
	buf_add(arg, data, size * n);
	return size * n;
}

static char *gateway_url(struct cli *cli)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct buf b = BUF_INIT;
	const char *env = getenv("MLOPS_DEPLOY_URL");
	char *dir = NULL, *path;

	if (env && *env)
		return xstrdup(env);
	if (store_discover(&dir, cli->store_dir, &err) == 0) {
		path = fs_path_join(dir, "gateway.url");
		if (buf_read_file(&b, path, 1024, &err) == 0 && b.len) {
			free(path);
			free(dir);
			b.s[strcspn(b.s, "\n")] = '\0';
			return buf_detach(&b, NULL);
		}
		free(path);
		free(dir);
	}
	buf_release(&b);
	return xstrdup("http://127.0.0.1:8080");
}

static int status_exit(long code)
{
	if (code >= 200 && code < 300)
		return 0;
	if (code == 400 || code == 413 || code == 415)
		return 3;
	if (code == 404)
		return 4;
	if (code == 401 || code == 403)
		return 5;
	return 70;
}

/* POST body, named id when not NULL (hdr are the other headers); the
 * response goes to stdout on success, stderr otherwise. Returns the exit
 * status. */
static int post_one(struct cli *cli, CURL *h, struct curl_slist *hdr,
		    const char *id, const char *body, size_t len,
		    struct buf *resp)
{
	struct curl_slist *id_hdr = NULL;
	long code = 0;
	CURLcode res;

	if (id) {
		char *line;

		if (!deploy_capture_inference_id_valid(id))
			return cli_error(cli, MLOPS_EUSAGE, "inference id "
					 "'%.80s' is not 1 to %d printable "
					 "characters", id,
					 DEPLOY_INFERENCE_ID_MAX);
		line = xasprintf("%s: %s", DEPLOY_INFERENCE_ID_HEADER, id);
		id_hdr = curl_slist_append(NULL, line);
		free(line);
		id_hdr->next = hdr;
	}
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, id_hdr ? id_hdr : hdr);
	buf_reset(resp);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	res = curl_easy_perform(h);
	if (id_hdr) {
		id_hdr->next = NULL;
		curl_slist_free_all(id_hdr);
	}
	if (res != CURLE_OK) {
		const char *url = NULL;

		curl_easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &url);
		return cli_error(cli, MLOPS_EINTERNAL, "%s: %s",
				 url ? url : "the gateway",
				 curl_easy_strerror(res));
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	if (code < 200 || code > 299) {
		fprintf(stderr, "%s: HTTP %ld: %.*s", cli->prog, code,
			(int)resp->len, resp->s);
		if (!resp->len || resp->s[resp->len - 1] != '\n')
			fputc('\n', stderr);
		return status_exit(code);
	}
	fwrite(resp->s, 1, resp->len, stdout);
	return 0;
}

int cmd_invoke(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "api-key", required_argument, 0, OPT_APIKEY },
		{ "body", required_argument, 0, OPT_BODY },
		{ "content-type", required_argument, 0, OPT_CTYPE },
		{ "help", no_argument, 0, 'h' },
		{ "inference-id", required_argument, 0, OPT_ID },
		{ "lines", no_argument, 0, OPT_LINES },
		{ "url", required_argument, 0, OPT_URL },
		{ 0, 0, 0, 0 }
	};
	struct mlops_err err = MLOPS_ERR_INIT;
	struct buf body = BUF_INIT, resp = BUF_INIT;
	const char *body_path = "-", *ctype = "text/csv", *url_opt = NULL;
	const char *id = NULL;
	const char *key = getenv("MLOPS_API_KEY");
	struct curl_slist *hdr = NULL;
	char *url = NULL, *full, *h1, *h2 = NULL;
	int c, lines = 0, ret = 0;
	CURL *h;

	while ((c = cli_getopt(argc, argv, "h", opts, cli, usage_invoke)) !=
	       -1)
		switch (c) {
		case OPT_APIKEY:
			key = optarg;
			break;
		case OPT_BODY:
			body_path = optarg;
			break;
		case OPT_CTYPE:
			ctype = optarg;
			break;
		case OPT_ID:
			id = optarg;
			break;
		case OPT_LINES:
			lines = 1;
			break;
		case OPT_URL:
			url_opt = optarg;
			break;
		default:
			return CLI_STATUS(c);
		}
	if (argc - optind != 1)
		return cli_usage(cli, usage_invoke, "expected one ENDPOINT");
	url = url_opt ? xstrdup(url_opt) : gateway_url(cli);
	url[strcspn(url, "\n")] = '\0';
	if (strlen(url) && url[strlen(url) - 1] == '/')
		url[strlen(url) - 1] = '\0';
	full = xasprintf("%s/endpoints/%s/invocations", url, argv[optind]);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	h = curl_easy_init();
	h1 = xasprintf("Content-Type: %s", ctype);
	hdr = curl_slist_append(hdr, h1);
	hdr = curl_slist_append(hdr, "Expect:");
	if (key && *key) {
		h2 = xasprintf("Authorization: Bearer %s", key);
		hdr = curl_slist_append(hdr, h2);
	}
	curl_easy_setopt(h, CURLOPT_URL, full);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &resp);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	if (lines) {
		char *line = NULL;
		size_t cap = 0;
		ssize_t n;
		long lineno = 0;

		while (ret == 0 && (n = getline(&line, &cap, stdin)) > 0) {
			char *lid = id ? xasprintf("%s-%ld", id, ++lineno) :
				    NULL;

			ret = post_one(cli, h, hdr, lid, line, (size_t)n,
				       &resp);
			free(lid);
			if (ret == 0 && resp.len &&
			    resp.s[resp.len - 1] != '\n')
				putchar('\n');
		}
		free(line);
	} else {
		int fd = strcmp(body_path, "-") == 0 ? STDIN_FILENO : -1;

		if (fd == STDIN_FILENO)
			ret = buf_read_fd(&body, fd, 0, "<stdin>", &err);
		else
			ret = buf_read_file(&body, body_path, 0, &err);
		if (ret < 0)
			ret = cli_fail(cli, &err);
		else
			ret = post_one(cli, h, hdr, id, body.s, body.len,
				       &resp);
	}
	if (fflush(stdout) != 0 && ret == 0)
		ret = cli_error(cli, MLOPS_EINTERNAL, "cannot write output");
	curl_slist_free_all(hdr);
	curl_easy_cleanup(h);
	curl_global_cleanup();
	buf_release(&body);
	buf_release(&resp);
	free(h1);
	free(h2);
	free(full);
	free(url);
	return ret;
}
