/* bounds.h - the bounds on untrusted input, in one place; mlops(1)
 * LIMITS documents them. Formats that measure the same thing share one
 * bound: a CSV record and a JSON Lines line are both one record. Input
 * past a bound is refused with MLOPS_EINPUT, never truncated, and is
 * never read whole into memory first. */
#ifndef MLOPS_BOUNDS_H
#define MLOPS_BOUNDS_H
#include <stddef.h>

/* One record of data: a CSV record (all its fields, quoted newlines
 * included) or one line of JSON Lines. */
#define MLOPS_MAX_RECORD ((size_t)16 << 20)

/* A human-written YAML spec (pipeline, feature group, model card,
 * config.yaml, a template): the file, and the scalar bytes it expands to
 * once every alias is replaced by what it names. */
#define MLOPS_MAX_SPEC ((size_t)4 << 20)
/* Nodes of a spec after alias expansion, and how deep they nest. */
#define MLOPS_MAX_SPEC_NODES 1000000
#define MLOPS_MAX_SPEC_DEPTH 64

/* A JSON document read whole: metrics, step properties, an event. */
#define MLOPS_MAX_JSON ((size_t)64 << 20)

#endif
