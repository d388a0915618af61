/* table.h - list output for people and for pipes. On a terminal the
 * columns are aligned under an upper-case header; into a pipe the header
 * and rows are tab-separated, one row per line, for cut(1) and awk(1).
 * (Machines that want structure use the commands' --json.) */
#ifndef MLOPS_TABLE_H
#define MLOPS_TABLE_H
#include <stdio.h>

struct table;

/* A table of ncols columns with the given header names (copied). */
struct table *table_new(size_t ncols, const char *const *headers);
/* Add a row of ncols cells (copied; NULL prints as "-"). */
void table_add(struct table *t, const char *const *cells);
/* Print to f, aligned when f is a terminal, then free.
 * Returns 0, or -1 on a write error. */
int table_print_free(struct table *t, FILE *f);

#endif
