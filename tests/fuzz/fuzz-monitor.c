/* fuzz-monitor.c - libFuzzer target for lib/monitor: what comes from
 * files a user hands over. The first byte chooses: even, the rest is a
 * statistics.json (used as constraints.json too) that, once it passes
 * monitor_report_baseline_check, a fixed profile is checked against;
 * odd, the rest is data read as JSON Lines and then as CSV, whose
 * profile's statistics and constraints are built and checked against
 * themselves, which must find no missing or extra column. Errors are
 * fine; crashes, leaks and undefined behaviour are found by the
 * sanitizers. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/jsonio.h"
#include "monitor/monitor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_against(const struct monitor_report_baseline *b,
			  const struct monitor_profile *p, int self)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	json_t *v = monitor_check(b, p, &err), *x;
	size_t i;

	json_array_foreach(json_object_get(v, "violations"), i, x) {
		const char *t = jsonio_str(x, "constraint_check_type");

		if (self && (strcmp(t, "missing_column_check") == 0 ||
			     strcmp(t, "extra_column_check") == 0))
			abort();
	}
	json_decref(v);
}

static void fixed_profile(struct monitor_profile *p)
{
	static char *names[] = { "a", "b", "c" };
	static char *row1[] = { "1", "x", "2.5" }, *row2[] = { "-3", "", "y" };
	static const size_t len1[] = { 1, 1, 3 }, len2[] = { 2, 0, 1 };

	if (monitor_profile_begin(p, 3, names, "fixed", NULL) < 0 ||
	    monitor_profile_add_row(p, row1, len1, "fixed", 2, NULL) < 0 ||
	    monitor_profile_add_row(p, row2, len2, "fixed", 3, NULL) < 0)
		abort();
}

static void data_case(const uint8_t *data, size_t size, int jsonl)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct monitor_report_baseline b;
	struct monitor_profile p;
	int fd = memfd_create("fuzz", 0);

	if (fd < 0 || write(fd, data, size) != (ssize_t)size ||
	    lseek(fd, 0, SEEK_SET) != 0)
		abort();
	if (monitor_profile_read(&p, fd, "fuzz", jsonl ? MONITOR_PROFILE_JSONL
				 : MONITOR_PROFILE_CSV, 1, &err) == 0) {
		b.statistics = monitor_report_statistics(&p);
		b.constraints = monitor_report_constraints(&p);
		check_against(&b, &p, 1);
		monitor_report_baseline_release(&b);
		monitor_profile_release(&p);
	}
	close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct monitor_report_baseline b;
	struct monitor_profile p;
	json_t *doc;

	if (size < 1)
		return 0;
	if (data[0] & 1) {
		data_case(data + 1, size - 1, 1);
		data_case(data + 1, size - 1, 0);
		return 0;
	}
	if (jsonio_parse(&doc, (const char *)data + 1, size - 1, "fuzz",
			 &err) < 0)
		return 0;
	if (monitor_report_baseline_check(doc, "fuzz", &err) == 0) {
		b.statistics = doc;
		b.constraints = doc;
		fixed_profile(&p);
		check_against(&b, &p, 0);
		monitor_profile_release(&p);
	}
	json_decref(doc);
	return 0;
}
