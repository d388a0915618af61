/* fuzz-registry-manifest.c - libFuzzer target for what import makes of a
 * manifest: the input is taken as manifest.json and wrapped in a well
 * formed export stream (artifact members of the sizes it declares,
 * zero-filled, up to 64 KiB each), which is imported into a scratch
 * store. Any manifest must import or be refused with a message naming
 * the stream, never crash or leak. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <jansson.h>

#include "registry/registry.h"
#include "core/tar.h"
#include "core/xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct store *st;
static char dir[] = "/tmp/fuzz-registry.XXXXXX";

static void cleanup(void)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);

	store_close(st);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	free(cmd);
}

static void setup(void)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	int created;

	if (!mkdtemp(dir) || store_init(dir, "fuzz", &created, &err) < 0 ||
	    store_open(&st, dir, "fuzz", &err) < 0) {
		fprintf(stderr, "fuzz setup: %s\n", err.msg);
		abort();
	}
	atexit(cleanup);
}

/* The artifact members the manifest asks for, zero-filled. */
static void write_artifacts(struct tar_writer *w, const uint8_t *data,
			    size_t size)
{
	static const char zeros[65536];
	struct mlops_err err = MLOPS_ERR_INIT;
	json_t *m = json_loadb((const char *)data, size, 0, NULL);
	json_t *a;
	size_t i;

	json_array_foreach(json_object_get(json_object_get(m, "model"),
					   "artifacts"), i, a) {
		const char *name = json_string_value(json_object_get(a,
								     "name"));
		json_int_t n = json_integer_value(json_object_get(a, "size"));
		char *member;

		if (!name || n < 0 || n > (json_int_t)sizeof(zeros))
			break;
		member = xasprintf("mlops-model/artifacts/%s", name);
		if (tar_write_mem(w, member, zeros, (size_t)n, 0, &err) < 0) {
			free(member);
			break;
		}
		free(member);
	}
	json_decref(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	char *group = NULL;
	int64_t version;
	int unchanged, fd, ret;
	struct tar_writer w;

	if (!st)
		setup();
	fd = memfd_create("fuzz-manifest", 0);
	if (fd < 0)
		return 0;
	w.fd = fd;
	w.offset = 0;
	if (tar_write_mem(&w, "mlops-model/manifest.json", data, size, 0,
			  &err) == 0) {
		write_artifacts(&w, data, size);
		tar_write_end(&w, &err);
		lseek(fd, 0, SEEK_SET);
		ret = registry_transfer_import(st, fd, "fuzz.tar", NULL, 0,
					       &group, &version, &unchanged,
					       &err);
		if (ret < 0 && strncmp(err.msg, "fuzz.tar", 8) != 0 &&
		    ret != MLOPS_EINTERNAL)
			abort();	/* refusals name the stream */
		free(group);
	}
	close(fd);
	return 0;
}
