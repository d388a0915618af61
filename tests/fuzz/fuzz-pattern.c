/* fuzz-pattern.c - libFuzzer target for event patterns and target
 * substitution: the input is a pattern, a NUL byte, then an event. Any
 * pattern must be accepted or refused with a message naming it, never
 * crash or leak; an accepted one must match any event without either;
 * and the pattern's text as a target must expand or be refused. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "governance/governance.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	const char *text = (const char *)data;
	const char *nul = memchr(data, '\0', size);
	size_t plen = nul ? (size_t)(nul - text) : size;
	json_t *pattern = NULL, *event = NULL;
	char *target, *out = NULL;

	if (nul)
		event = json_loadb(nul + 1, size - plen - 1, 0, NULL);
	if (governance_pattern_parse(&pattern, text, plen, "fuzz", &err) < 0) {
		if (strncmp(err.msg, "fuzz", 4) != 0 || pattern)
			abort();	/* every error names the input */
	} else {
		json_t *empty = json_object();

		governance_pattern_match(pattern, event ? event : empty);
		governance_pattern_match(pattern, pattern);
		json_decref(empty);
	}
	target = strndup(text, plen);
	if (target && governance_dispatch_expand(&out, target,
						 event ? event : pattern,
						 &err) == 0)
		free(out);
	free(target);
	json_decref(pattern);
	json_decref(event);
	return 0;
}
