/* test_html.c - HTML escaping and link paths (lib/core/html.c), which
 * the dashboard, the model card and the web site all write through. */
#include <check.h>

#include "core/buf.h"
#include "core/html.h"

START_TEST(escape_makes_markup_text)
{
	struct buf b = BUF_INIT;

	html_escape(&b, "<script>alert('x & \"y\"')</script>");
	ck_assert_str_eq(b.s, "&lt;script&gt;alert(&#39;x &amp; &quot;y"
			 "&quot;&#39;)&lt;/script&gt;");
	buf_release(&b);
}
END_TEST

START_TEST(escape_keeps_other_bytes_and_null)
{
	struct buf b = BUF_INIT;

	html_escape(&b, NULL);
	ck_assert_uint_eq(b.len, 0);
	html_escape(&b, "caf\xc3\xa9 = 1/2\n");
	ck_assert_str_eq(b.s, "caf\xc3\xa9 = 1/2\n");
	buf_release(&b);
}
END_TEST

START_TEST(url_encodes_all_but_unreserved_and_slash)
{
	struct buf b = BUF_INIT;

	html_url(&b, "runs/a b/\"x\"<'>?#%.log");
	ck_assert_str_eq(b.s, "runs/a%20b/%22x%22%3C%27%3E%3F%23%25.log");
	buf_reset(&b);
	html_url(&b, "registry/churn-2_x~/1.html");
	ck_assert_str_eq(b.s, "registry/churn-2_x~/1.html");
	buf_release(&b);
}
END_TEST

Suite *suite_html(void);	/* called from main.c */

Suite *suite_html(void)
{
	Suite *s = suite_create("html");
	TCase *tc = tcase_create("escape");

	tcase_add_test(tc, escape_makes_markup_text);
	tcase_add_test(tc, escape_keeps_other_bytes_and_null);
	tcase_add_test(tc, url_encodes_all_but_unreserved_and_slash);
	suite_add_tcase(s, tc);
	return s;
}
