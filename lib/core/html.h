/* html.h - writing HTML safely: every value that comes from a store or a
 * file goes through html_escape, in text and in attribute values alike
 * (double- or single-quoted), and into URLs through html_url. The
 * dashboard, the model card and the web site (lib/web) share these. */
#ifndef MLOPS_HTML_H
#define MLOPS_HTML_H
#include "core/buf.h"

/* Append s with & < > " ' as character references; NULL appends
 * nothing. Safe in element text and in quoted attribute values. */
void html_escape(struct buf *b, const char *s);
/* Append s percent-encoded except for unreserved characters
 * (A-Z a-z 0-9 - . _ ~) and '/', for a path segment of a link; the
 * result needs no further HTML escaping. */
void html_url(struct buf *b, const char *s);

#endif
