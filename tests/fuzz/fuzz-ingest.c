/* fuzz-ingest.c - libFuzzer target for feature ingest (lib/feature/
 * ingest.c): CSV and JSON Lines records into a group's online store.
 * The first input makes a store in a temporary directory with one group
 * of every feature type; each input's first byte picks the format (even
 * CSV, odd JSON Lines) and the rest is ingested all or nothing. A failure
 * must say why; a success must count no more rows than the input has
 * lines. Crashes, leaks and undefined behaviour are found by the
 * sanitizers. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/store.h"
#include "feature/feature.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char group_yaml[] =
	"name: fuzz\n"
	"record_identifier: id\n"
	"event_time: t\n"
	"features:\n"
	"  - {name: id, type: string}\n"
	"  - {name: t, type: string}\n"
	"  - {name: n, type: integral}\n"
	"  - {name: x, type: fractional}\n"
	"online: true\n"
	"offline: false\n";

static struct store *st;
static struct feature_group *g;

static void setup(void)
{
	static char tmpl[] = "/tmp/mlops-fuzz-ingest.XXXXXX";
	struct mlops_err err = MLOPS_ERR_INIT;
	char store_dir[sizeof(tmpl) + 8];
	int created;

	if (!mkdtemp(tmpl) || store_init(tmpl, NULL, &created, &err) < 0)
		goto fail;
	snprintf(store_dir, sizeof(store_dir), "%s/.mlops", tmpl);
	/* Durability is not what is fuzzed: no fsync per input. */
	if (store_open_dir(&st, store_dir, "fuzz-ingest", &err) < 0 ||
	    store_exec(st, "PRAGMA synchronous = OFF", &err) < 0 ||
	    feature_group_load_yaml_mem(&g, group_yaml, strlen(group_yaml),
					"fuzz.yaml", &err) < 0 ||
	    feature_create(st, g, &err) < 0)
		goto fail;
	return;
fail:
	fprintf(stderr, "fuzz-ingest: %s\n", err.msg);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct feature_ingest_opts opts = { 0 };
	struct feature_ingest_result res;
	int64_t lines = 1;
	int fd;

	if (size < 1)
		return 0;
	if (!st)
		setup();
	fd = memfd_create("input", MFD_CLOEXEC);
	if (fd < 0 || write(fd, data + 1, size - 1) != (ssize_t)(size - 1) ||
	    lseek(fd, 0, SEEK_SET) != 0)
		abort();
	for (size_t i = 1; i < size; i++)
		lines += data[i] == '\n';
	opts.fd = fd;
	opts.name = "input";
	opts.format = data[0] & 1 ? FEATURE_INGEST_JSONL : FEATURE_INGEST_CSV;
	if (feature_ingest_run(st, g, &opts, &res, &err) < 0) {
		if (!err.msg[0])
			abort();
	} else if (res.rows > lines) {
		abort();
	}
	close(fd);
	return 0;
}
