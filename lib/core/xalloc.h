/* xalloc.h - allocation that cannot fail: on exhaustion the process exits
 * with status 70 after a message, the one place lib/ exits. Other code
 * whose only failure is memory exhaustion (a buffer's size overflowing,
 * a library that cannot allocate its context) ends through xalloc_die(),
 * so that there is one abort path; any other failure is an error returned
 * through struct mlops_err. */
#ifndef MLOPS_XALLOC_H
#define MLOPS_XALLOC_H
#include <stddef.h>

/* Print "mlops: out of memory: WHAT" and exit 70. */
void xalloc_die(const char *what) __attribute__((noreturn));

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
/* n * size with an overflow check, for array growth. */
void *xreallocarray(void *p, size_t count, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* A newly allocated formatted string; the caller frees it. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Grow *arr (of *cap elements of size) so that it holds at least need. */
#define ALLOC_GROW(arr, need, cap) do { \
		if ((need) > (cap)) { \
			size_t new_cap_ = (cap) ? (cap) * 2 : 8; \
			while (new_cap_ < (need)) \
				new_cap_ *= 2; \
			(arr) = xreallocarray((arr), new_cap_, \
						      sizeof(*(arr))); \
			(cap) = new_cap_; \
		} \
	} while (0)

#endif
