/* table.c - aligned tables on a terminal, tab-separated into pipes. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/table.h"
#include "core/xalloc.h"

struct table {
	size_t ncols, nrows, cap;
	char **cells;		/* (nrows + 1) * ncols: header first */
};

static void add_row(struct table *t, const char *const *cells)
{
	size_t need = (t->nrows + 1) * t->ncols;

	ALLOC_GROW(t->cells, need, t->cap);
	for (size_t i = 0; i < t->ncols; i++)
		t->cells[t->nrows * t->ncols + i] =
			xstrdup(cells[i] ? cells[i] : "-");
	t->nrows++;
}

struct table *table_new(size_t ncols, const char *const *headers)
{
	struct table *t = xcalloc(1, sizeof(*t));

	t->ncols = ncols;
	add_row(t, headers);
	return t;
}

void table_add(struct table *t, const char *const *cells)
{
	add_row(t, cells);
}

/* Display width of UTF-8 text: count the bytes that start a character. */
static size_t width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

int table_print_free(struct table *t, FILE *f)
{
	int aligned = isatty(fileno(f));
	size_t *w = xcalloc(t->ncols, sizeof(*w));
	int ret = 0;

	for (size_t r = 0; r < t->nrows; r++)
		for (size_t c = 0; c < t->ncols; c++) {
			size_t cw = width(t->cells[r * t->ncols + c]);

			if (cw > w[c])
				w[c] = cw;
		}
	for (size_t r = 0; r < t->nrows; r++) {
		for (size_t c = 0; c < t->ncols; c++) {
			const char *cell = t->cells[r * t->ncols + c];
			int last = c + 1 == t->ncols;

			if (r == 0 && aligned) {
				for (const char *p = cell; *p; p++)
					fputc(*p >= 'a' && *p <= 'z' ?
					      *p - 32 : *p, f);
			} else {
				fputs(cell, f);
			}
			if (last)
				fputc('\n', f);
			else if (aligned)
				fprintf(f, "%*s", (int)(w[c] - width(cell) + 2),
					"");
			else
				fputc('\t', f);
		}
	}
	if (ferror(f))
		ret = -1;
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
	free(w);
	return ret;
}
