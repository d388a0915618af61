/* utf8.h - checking text for UTF-8, the encoding every JSON string and
 * every stored text value must have. */
#ifndef MLOPS_UTF8_H
#define MLOPS_UTF8_H
#include <stddef.h>

/* 1 when data[0..len) is valid UTF-8 (RFC 3629), else 0. */
int utf8_valid(const void *data, size_t len);

#endif
