/* predictions.c - the predictions an endpoint's capture holds, for
 * model quality: each record's inference id (inferenceId, else eventId),
 * the variant that answered, and its one prediction read from
 * endpointOutput (CSV text, or the JSON the gateway answers). A record
 * whose output is not one prediction (a batch of rows, base64) is
 * counted, not joined. */
#include <stdlib.h>
#include <string.h>

#include "core/jsonio.h"
#include "core/xalloc.h"
#include "deploy/deploy.h"
#include "monitor/monitor.h"

/* The index of the largest of n values, as a string (a class). */
static char *argmax(const double *v, size_t n)
{
	size_t best = 0;

	for (size_t i = 1; i < n; i++)
		if (v[i] > v[best])
			best = i;
	return xasprintf("%zu", best);
}

/* The prediction of CSV output data: one line; one field is the value,
 * several are class probabilities (argmax, when allowed). */
static char *csv_prediction(const char *data, int vectors)
{
	size_t n = strlen(data), nf = 1;
	double *v;
	char *out = NULL, *end;
	const char *p;

	while (n && (data[n - 1] == '\n' || data[n - 1] == '\r'))
		n--;
	if (!n || memchr(data, '\n', n))
		return NULL;
	for (size_t i = 0; i < n; i++)
		nf += data[i] == ',';
	if (nf == 1)
		return xstrndup(data, n);
	if (!vectors)
		return NULL;
	v = xcalloc(nf, sizeof(*v));
	p = data;
	for (size_t i = 0; i < nf; i++) {
		v[i] = strtod(p, &end);
		if (end == p || (*end != ',' && end != data + n))
			goto out;
		p = end + 1;
	}
	out = argmax(v, nf);
out:
	free(v);
	return out;
}

static char *number_text(const json_t *x)
{
	if (json_is_integer(x))
		return xasprintf("%" JSON_INTEGER_FORMAT,
				 json_integer_value(x));
	if (json_is_real(x))
		return xasprintf("%.17g", json_real_value(x));
	if (json_is_string(x))
		return xstrdup(json_string_value(x));
	return NULL;
}

/* The prediction of JSON output: a number, or {"predictions": [p]} with
 * p a number or {"score": number or [probabilities]}. */
static char *json_prediction(const char *data, int vectors)
{
	json_t *j = json_loads(data, JSON_DECODE_ANY, NULL), *p, *score;
	char *out = NULL;

	p = json_object_get(j, "predictions");
	if (!p) {
		out = json_is_number(j) ? number_text(j) : NULL;
		goto out;
	}
	if (json_array_size(p) != 1)
		goto out;
	p = json_array_get(p, 0);
	score = json_is_object(p) ? json_object_get(p, "score") : p;
	if (json_is_number(score)) {
		out = number_text(score);
	} else if (json_is_array(score) && json_array_size(score) > 1 &&
		   vectors) {
		size_t n = json_array_size(score);
		double *v = xcalloc(n, sizeof(*v));
		int ok = 1;

		for (size_t i = 0; i < n; i++) {
			ok &= json_is_number(json_array_get(score, i));
			v[i] = json_number_value(json_array_get(score, i));
		}
		out = ok ? argmax(v, n) : NULL;
		free(v);
	}
out:
	json_decref(j);
	return out;
}

struct walk {
	int vectors;
	int (*fn)(const struct monitor_predictions_item *p, void *arg,
		  struct mlops_err *err);
	void *arg;
	uint64_t skipped;
	struct mlops_err *err;
	int ret;
};

static int on_record(json_t *rec, void *arg)
{
	struct walk *w = arg;
	json_t *meta = json_object_get(rec, "eventMetadata");
	json_t *outp = json_object_get(json_object_get(rec, "captureData"),
				       "endpointOutput");
	const char *enc = jsonio_str(outp, "encoding");
	const char *data = jsonio_str(outp, "data");
	struct monitor_predictions_item p = { 0 };
	char *value = NULL;

	p.id = jsonio_str(meta, "inferenceId");
	if (!p.id)
		p.id = jsonio_str(meta, "eventId");
	p.variant = jsonio_str(meta, "variant");
	if (!p.variant)
		p.variant = "";
	p.shadow = json_is_true(json_object_get(meta, "shadow"));
	if (data && enc && strcmp(enc, "CSV") == 0)
		value = csv_prediction(data, w->vectors);
	else if (data && enc && strcmp(enc, "JSON") == 0)
		value = json_prediction(data, w->vectors);
	if (!p.id || !value) {
		w->skipped++;
		free(value);
		return 0;
	}
	p.value = value;
	w->ret = w->fn(&p, w->arg, w->err);
	free(value);
	return w->ret < 0;
}

int monitor_predictions_capture(const char *capdir, const char *endpoint,
		int which, int64_t since_us, int64_t until_us, int vectors,
		int (*fn)(const struct monitor_predictions_item *p,
			  void *arg, struct mlops_err *err),
		void *arg, uint64_t *skipped, struct mlops_err *err)
{
	struct walk w = { vectors, fn, arg, 0, err, 0 };
	int ret = deploy_capture_each_of(capdir, endpoint, which, since_us,
					 until_us, on_record, &w, err);

	if (ret == 0 && w.ret < 0)
		ret = w.ret;
	if (ret == 0)
		*skipped = w.skipped;
	return ret;
}
