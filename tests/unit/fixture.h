/* fixture.h - shared set-up for unit tests: a fresh store in a temporary
 * directory, removed afterwards. */
#ifndef MLOPS_TEST_FIXTURE_H
#define MLOPS_TEST_FIXTURE_H
#include "core/store.h"

/* Make and open a new store under a mkdtemp(3) directory; never NULL (the
 * test fails instead). */
struct store *fixture_store_new(void);
/* Close st and remove its whole directory. */
void fixture_store_free(struct store *st);
/* Write data to path (for corrupting files in tests). */
void fixture_write(const char *path, const char *data);

#endif
