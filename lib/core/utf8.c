/* utf8.c - UTF-8 validation (RFC 3629: no overlong forms, no UTF-16
 * surrogates, nothing past U+10FFFF). */
#include <stdint.h>

#include "core/utf8.h"

int utf8_valid(const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t i = 0;

	while (i < len) {
		unsigned char c = p[i];
		size_t n;
		uint32_t cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF)
			n = 1, cp = c & 0x1F;
		else if (c >= 0xE0 && c <= 0xEF)
			n = 2, cp = c & 0x0F;
		else if (c >= 0xF0 && c <= 0xF4)
			n = 3, cp = c & 0x07;
		else
			return 0;
		for (size_t k = 1; k <= n; k++) {
			if (i + k >= len || (p[i + k] & 0xC0) != 0x80)
				return 0;
			cp = (cp << 6) | (p[i + k] & 0x3F);
		}
		if (n == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF)))
			return 0;	/* overlong, or a UTF-16 surrogate */
		if (n == 3 && (cp < 0x10000 || cp > 0x10FFFF))
			return 0;
		i += n + 1;
	}
	return 1;
}
