/* main.c - runs every Check suite in tests/unit and prints the closing
 * line "unit: N passed, N failed" that tests/run-all sums. */
#include <stdio.h>
#include <stdlib.h>

#include <check.h>

#define SUITE(name) Suite *name(void);
#include "unit-suites.h"
#undef SUITE

int main(void)
{
	SRunner *sr = srunner_create(NULL);
	int run, failed;

#define SUITE(name) srunner_add_suite(sr, name());
#include "unit-suites.h"
#undef SUITE
	srunner_run_all(sr, CK_NORMAL);
	run = srunner_ntests_run(sr);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	printf("unit: %d passed, %d failed\n", run - failed, failed);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
