/* fuzz-tar.c - libFuzzer target for the strict tar reader (libarchive
 * with our checks of types, names, the end of the archive and what follows
 * it): any input must be read member by member, or refused with an error,
 * without a crash, a leak or a read past the input. */
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/tar.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct tar_member m;
	struct tar_reader r;
	char chunk[4096];
	int fd = memfd_create("fuzz-tarball", 0);

	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size ||
	    lseek(fd, 0, SEEK_SET) != 0) {
		close(fd);
		return 0;
	}
	if (tar_reader_open(&r, fd, "fuzz", &err) < 0) {
		tar_reader_release(&r);
		close(fd);
		return 0;
	}
	while (tar_next(&r, &m, &err) == 1) {
		int64_t n;

		/* Read the data of every other member, skip the rest. */
		if (m.name[0] % 2)
			continue;
		while ((n = tar_read(&r, chunk, sizeof(chunk), &err)) > 0)
			;
		if (n < 0)
			break;
	}
	tar_reader_release(&r);
	close(fd);
	return 0;
}
