/* test_governance.c - event patterns: a table of (pattern, event,
 * expected) for every operator, with the examples of EventBridge's user
 * guide (event patterns, arrays, null values, content filtering), and
 * the errors of bad patterns, which name the position. */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "governance/governance.h"

/* EventBridge's EC2 example event (eb-event-patterns). */
#define EC2 "{\"version\":\"0\"," \
	"\"id\":\"6a7e8feb-b491-4cf7-a9f1-bf3703467718\"," \
	"\"detail-type\":\"EC2 Instance State-change Notification\"," \
	"\"source\":\"aws.ec2\",\"account\":\"111122223333\"," \
	"\"time\":\"2017-12-22T18:43:48Z\",\"region\":\"us-west-1\"," \
	"\"resources\":[\"arn:aws:ec2:us-west-1:123456789012:instance/" \
	"i-1234567890abcdef0\"],\"detail\":{\"instance-id\":" \
	"\"i-1234567890abcdef0\",\"state\":\"terminated\"}}"
/* The Auto Scaling example (eb-event-patterns-null-values). */
#define ASG "{\"version\":\"0\"," \
	"\"id\":\"3e3c153a-8339-4e30-8c35-687ebef853fe\"," \
	"\"detail-type\":\"EC2 Instance Launch Successful\"," \
	"\"source\":\"aws.autoscaling\",\"account\":\"123456789012\"," \
	"\"time\":\"2015-11-11T21:31:47Z\",\"region\":\"us-east-1\"," \
	"\"resources\":[],\"detail\":{\"eventVersion\":\"\"," \
	"\"responseElements\":null}}"
/* The exists example (content filtering). */
#define PENDING "{\"version\":\"0\"," \
	"\"id\":\"7bf73129-1428-4cd3-a780-95db273d1602\"," \
	"\"detail-type\":\"EC2 Instance State-change Notification\"," \
	"\"source\":\"aws.ec2\",\"account\":\"123456789012\"," \
	"\"time\":\"2015-11-11T21:29:54Z\",\"region\":\"us-east-1\"," \
	"\"resources\":[\"arn:aws:ec2:us-east-1:123456789012:instance/" \
	"i-abcd1111\"],\"detail\":{\"instance-id\":\"i-abcd1111\"," \
	"\"state\":\"pending\"}}"
#define CCOUNT "{\"detail-type\":" \
	"[\"EC2 Instance State-change Notification\"]," \
	"\"resources\":[\"arn:aws:ec2:us-east-1:123456789012:instance/" \
	"i-02ebd4584a2ebd341\"],\"detail\":{\"c-count\":{\"c1\":100}}}"
#define COMPLEX "{\"time\":[{\"prefix\":\"2017-10-02\"}],\"detail\":{" \
	"\"state\":[{\"anything-but\":\"initializing\"}]," \
	"\"c-count\":[{\"numeric\":[\">\",0,\"<=\",5]}]," \
	"\"d-count\":[{\"numeric\":[\"<\",10]}]," \
	"\"x-limit\":[{\"anything-but\":[100,200,300]}]}}"
#define OR "{\"detail\":{\"$or\":[" \
	"{\"c-count\":[{\"numeric\":[\">\",0,\"<=\",5]}]}," \
	"{\"d-count\":[{\"numeric\":[\"<\",10]}]}," \
	"{\"x-limit\":[{\"numeric\":[\"=\",3.018e2]}]}]}}"

static const struct {
	const char *pattern, *event;
	int match;
} cases[] = {
	/* eb-event-patterns: fields ANDed, nested, extra fields ignored */
	{ "{\"source\":[\"aws.ec2\"],\"detail-type\":[\"EC2 Instance "
	  "State-change Notification\"],\"detail\":{\"state\":"
	  "[\"terminated\"]}}", EC2, 1 },
	{ "{\"source\":[\"aws.ec2\"],\"detail\":{\"state\":[\"running\"]}}",
	  EC2, 0 },
	{ "{\"source\":[\"aws.ec2\",\"aws.fargate\"]}", EC2, 1 },
	{ "{\"source\":[\"aws.fargate\",\"aws.lambda\"]}", EC2, 0 },
	{ "{}", EC2, 1 },
	/* exact matching is case-sensitive; a missing field never matches */
	{ "{\"source\":[\"AWS.EC2\"]}", EC2, 0 },
	{ "{\"detail\":{\"color\":[\"red\"]}}", EC2, 0 },
	/* null and the empty string (eb-event-patterns-null-values) */
	{ "{\"source\":[\"aws.autoscaling\"],\"detail-type\":[\"EC2 Instance "
	  "Launch Successful\"],\"detail\":{\"responseElements\":[null]}}",
	  ASG, 1 },
	{ "{\"detail\":{\"eventVersion\":[\"\"]}}", ASG, 1 },
	{ "{\"detail\":{\"eventVersion\":[null]}}", ASG, 0 },
	{ "{\"detail\":{\"responseElements\":[\"\"]}}", ASG, 0 },
	/* arrays in the event: a non-empty intersection (arrays page) */
	{ "{\"resources\":[\"arn:aws:ec2:us-east-1:123456789012:instance/"
	  "i-b188560f\",\"arn:aws:ec2:us-east-1:111122223333:instance/"
	  "i-b188560f\",\"arn:aws:ec2:us-east-1:444455556666:instance/"
	  "i-b188560f\"]}",
	  "{\"resources\":[\"arn:aws:autoscaling:us-east-1:123456789012:"
	  "autoScalingGroup:eb56d16b-bbf0-401d-b893-d5978ed4a025:"
	  "autoScalingGroupName/ASGTerminate\",\"arn:aws:ec2:us-east-1:"
	  "123456789012:instance/i-b188560f\"]}", 1 },
	{ "{\"resources\":[\"arn:x\"]}", "{\"resources\":[]}", 0 },
	/* numbers, booleans: by JSON type and value */
	{ "{\"detail\":{\"n\":[300]}}", "{\"detail\":{\"n\":300}}", 1 },
	{ "{\"detail\":{\"n\":[300]}}", "{\"detail\":{\"n\":300.0}}", 0 },
	{ "{\"detail\":{\"n\":[\"300\"]}}", "{\"detail\":{\"n\":300}}", 0 },
	{ "{\"detail\":{\"b\":[true]}}", "{\"detail\":{\"b\":true}}", 1 },
	{ "{\"detail\":{\"b\":[true]}}", "{\"detail\":{\"b\":\"true\"}}", 0 },
	/* prefix, suffix */
	{ "{\"time\":[{\"prefix\":\"2017-10-02\"}]}",
	  "{\"time\":\"2017-10-02T18:43:48Z\"}", 1 },
	{ "{\"time\":[{\"prefix\":\"2017-10-02\"}]}",
	  "{\"time\":\"2017-10-03T18:43:48Z\"}", 0 },
	{ "{\"FileName\":[{\"suffix\":\".png\"}]}",
	  "{\"FileName\":\"a/b.png\"}", 1 },
	{ "{\"FileName\":[{\"suffix\":\".png\"}]}",
	  "{\"FileName\":\"a/b.PNG\"}", 0 },
	{ "{\"FileName\":[{\"suffix\":\".png\"}]}", "{\"FileName\":7}", 0 },
	/* anything-but: a string, a number, lists, a prefix */
	{ "{\"detail\":{\"state\":[{\"anything-but\":\"initializing\"}]}}",
	  PENDING, 1 },
	{ "{\"detail\":{\"state\":[{\"anything-but\":\"initializing\"}]}}",
	  "{\"detail\":{\"state\":\"initializing\"}}", 0 },
	{ "{\"detail\":{\"state\":[{\"anything-but\":\"initializing\"}]}}",
	  "{\"detail\":{}}", 0 },
	{ "{\"detail\":{\"x-limit\":[{\"anything-but\":123}]}}",
	  "{\"detail\":{\"x-limit\":124}}", 1 },
	{ "{\"detail\":{\"x-limit\":[{\"anything-but\":123}]}}",
	  "{\"detail\":{\"x-limit\":123}}", 0 },
	{ "{\"detail\":{\"state\":[{\"anything-but\":[\"stopped\","
	  "\"overloaded\"]}]}}", PENDING, 1 },
	{ "{\"detail\":{\"state\":[{\"anything-but\":[\"stopped\","
	  "\"overloaded\"]}]}}", "{\"detail\":{\"state\":\"stopped\"}}", 0 },
	{ "{\"detail\":{\"x-limit\":[{\"anything-but\":[100,200,300]}]}}",
	  "{\"detail\":{\"x-limit\":200}}", 0 },
	{ "{\"detail\":{\"x-limit\":[{\"anything-but\":[100,200,300]}]}}",
	  "{\"detail\":{\"x-limit\":201}}", 1 },
	{ "{\"detail\":{\"state\":[{\"anything-but\":{\"prefix\":"
	  "\"init\"}}]}}", PENDING, 1 },
	{ "{\"detail\":{\"state\":[{\"anything-but\":{\"prefix\":"
	  "\"init\"}}]}}", "{\"detail\":{\"state\":\"initializing\"}}", 0 },
	{ "{\"detail\":{\"f\":[{\"anything-but\":{\"suffix\":\".tmp\"}}]}}",
	  "{\"detail\":{\"f\":\"x.csv\"}}", 1 },
	/* numeric ranges (the user guide's example, field by field) */
	{ "{\"detail\":{\"c-count\":[{\"numeric\":[\">\",0,\"<=\",5]}],"
	  "\"d-count\":[{\"numeric\":[\"<\",10]}],\"x-limit\":[{\"numeric\":"
	  "[\"=\",3.018e2]}]}}",
	  "{\"detail\":{\"c-count\":5,\"d-count\":9.5,\"x-limit\":301.8}}",
	  1 },
	{ "{\"detail\":{\"c-count\":[{\"numeric\":[\">\",0,\"<=\",5]}]}}",
	  "{\"detail\":{\"c-count\":0}}", 0 },
	{ "{\"detail\":{\"c-count\":[{\"numeric\":[\">\",0,\"<=\",5]}]}}",
	  "{\"detail\":{\"c-count\":5.5}}", 0 },
	{ "{\"detail\":{\"c-count\":[{\"numeric\":[\">=\",1]}]}}",
	  "{\"detail\":{\"c-count\":\"3\"}}", 0 },
	{ "{\"detail\":{\"v\":[{\"numeric\":[\">\",0]}]}}",
	  "{\"detail\":{\"v\":[0,-1,2]}}", 1 },
	/* exists, on leaves (the user guide's two events) */
	{ "{\"detail\":{\"state\":[{\"exists\":true}]}}", PENDING, 1 },
	{ "{\"detail\":{\"state\":[{\"exists\":true}]}}", CCOUNT, 0 },
	{ "{\"detail\":{\"state\":[{\"exists\":false}]}}", CCOUNT, 1 },
	{ "{\"detail\":{\"state\":[{\"exists\":false}]}}", PENDING, 0 },
	{ "{\"detail\":{\"c-count\":[{\"exists\":true}]}}", CCOUNT, 0 },
	{ "{\"detail\":{\"state\":[{\"exists\":false}]}}", "{}", 1 },
	{ "{\"detail\":{\"responseElements\":[{\"exists\":true}]}}", ASG, 1 },
	/* equals-ignore-case (the user guide's example) */
	{ "{\"detail-type\":[{\"equals-ignore-case\":\"ec2 instance "
	  "state-change notification\"}]}", CCOUNT, 1 },
	{ "{\"detail-type\":[{\"equals-ignore-case\":\"ec2 instance "
	  "state-change\"}]}", CCOUNT, 0 },
	/* wildcard */
	{ "{\"detail\":{\"path\":[{\"wildcard\":\"dir/*.png\"}]}}",
	  "{\"detail\":{\"path\":\"dir/sub/a.png\"}}", 1 },
	{ "{\"detail\":{\"path\":[{\"wildcard\":\"dir/*.png\"}]}}",
	  "{\"detail\":{\"path\":\"dir/a.png.txt\"}}", 0 },
	{ "{\"detail\":{\"path\":[{\"wildcard\":\"*/a*b*\"}]}}",
	  "{\"detail\":{\"path\":\"x/aab-b\"}}", 1 },
	{ "{\"detail\":{\"path\":[{\"wildcard\":\"a\\\\*b\"}]}}",
	  "{\"detail\":{\"path\":\"a*b\"}}", 1 },
	{ "{\"detail\":{\"path\":[{\"wildcard\":\"a\\\\*b\"}]}}",
	  "{\"detail\":{\"path\":\"axb\"}}", 0 },
	/* the complex example with multiple matching */
	{ COMPLEX, "{\"time\":\"2017-10-02T18:43:48Z\",\"detail\":{\"state\":"
	  "\"running\",\"c-count\":3,\"d-count\":1,\"x-limit\":150}}", 1 },
	{ COMPLEX, "{\"time\":\"2017-10-02T18:43:48Z\",\"detail\":{\"state\":"
	  "\"running\",\"c-count\":3,\"d-count\":1,\"x-limit\":200}}", 0 },
	{ COMPLEX, "{\"time\":\"2017-10-02T18:43:48Z\",\"detail\":{\"state\":"
	  "\"initializing\",\"c-count\":3,\"d-count\":1,\"x-limit\":150}}",
	  0 },
	/* $or (the user guide's example): any branch */
	{ OR, "{\"detail\":{\"c-count\":9,\"d-count\":5}}", 1 },
	{ OR, "{\"detail\":{\"c-count\":9,\"d-count\":50,\"x-limit\":"
	  "301.8}}", 1 },
	{ OR, "{\"detail\":{\"c-count\":9,\"d-count\":50,\"x-limit\":300}}",
	  0 },
	{ "{\"source\":[\"mlops.registry\"],\"$or\":[{\"detail\":{\"status\":"
	  "[\"Approved\"]}},{\"detail-type\":[\"Deploy\"]}]}",
	  "{\"source\":\"mlops.registry\",\"detail-type\":\"X\",\"detail\":"
	  "{\"status\":\"Rejected\"}}", 0 },
	/* nested objects inside arrays of objects */
	{ "{\"detail\":{\"items\":{\"name\":[\"b\"]}}}",
	  "{\"detail\":{\"items\":[{\"name\":\"a\"},{\"name\":\"b\"}]}}", 1 },
	/* a value, not an object, where the pattern nests */
	{ "{\"detail\":{\"state\":[\"x\"]}}", "{\"detail\":\"x\"}", 0 },
};

START_TEST(pattern_table_matches_as_eventbridge_does)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mlops_err err = MLOPS_ERR_INIT;
		json_t *p = NULL, *ev;
		json_error_t jerr;

		ck_assert_msg(governance_pattern_parse(&p, cases[i].pattern,
			strlen(cases[i].pattern), "p", &err) == 0,
			"case %zu: %s", i, err.msg);
		ev = json_loads(cases[i].event, 0, &jerr);
		ck_assert_msg(ev != NULL, "case %zu: event: %s", i, jerr.text);
		ck_assert_msg(governance_pattern_match(p, ev) ==
			      cases[i].match, "case %zu: %s against %s: "
			      "expected %s", i, cases[i].pattern,
			      cases[i].event, cases[i].match ? "a match" :
			      "no match");
		json_decref(p);
		json_decref(ev);
	}
}
END_TEST

static const struct {
	const char *pattern, *message;
} bad[] = {
	{ "{\"source\": [\"a\",}", "p:1:" },
	{ "{\n  \"source\": \"aws.ec2\"\n}",
	  "p: source: a field's value is an array" },
	{ "{\"detail\":{\"state\":[{\"prefx\":\"a\"}]}}",
	  "p: detail.state[0]: unknown operator \"prefx\"" },
	{ "{\"detail\":{\"state\":[]}}",
	  "p: detail.state: an empty array matches nothing" },
	{ "{\"detail\":{\"n\":[{\"numeric\":[\">\",\"1\"]}]}}",
	  "p: detail.n[0]: numeric \">\" needs a number" },
	{ "{\"detail\":{\"n\":[{\"numeric\":[\"<\",5,\">\",1]}]}}",
	  "p: detail.n[0]: a numeric range is a lower bound" },
	{ "{\"detail\":{\"n\":[{\"numeric\":[\"~\",5]}]}}",
	  "p: detail.n[0]: unknown numeric operator ~" },
	{ "{\"detail\":{\"n\":[{\"exists\":\"yes\"}]}}",
	  "p: detail.n[0]: \"exists\" takes true or false" },
	{ "{\"detail\":{\"n\":[{\"prefix\":\"a\",\"suffix\":\"b\"}]}}",
	  "p: detail.n[0]: an operator object has exactly one key" },
	{ "{\"detail\":{\"n\":[{\"anything-but\":[1,\"a\"]}]}}",
	  "p: detail.n[0]: \"anything-but\" takes a non-empty list" },
	{ "{\"$or\":[{\"a\":[\"x\"]},{}]}",
	  "p: $or[1]: an empty pattern here matches nothing" },
	{ "{\"$or\":{\"a\":[\"x\"]}}", "p: $or: \"$or\" takes an array" },
	{ "{\"a\":[[\"x\"]]}", "p: a[0]: a value to match is" },
	{ "{\"a\":[{\"wildcard\":\"a**b\"}]}", "consecutive '*'" },
	{ "{\"a\":[{\"cidr\":\"10.0.0.0/24\"}]}", "\"cidr\" operator is not" },
	{ "[\"a\"]", "p: (the pattern): a pattern is a JSON object" },
};

START_TEST(bad_patterns_are_refused_naming_the_position)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct mlops_err err = MLOPS_ERR_INIT;
		json_t *p = NULL;

		ck_assert_msg(governance_pattern_parse(&p, bad[i].pattern,
			strlen(bad[i].pattern), "p", &err) == MLOPS_EINPUT,
			"case %zu: %s accepted", i, bad[i].pattern);
		ck_assert_msg(strstr(err.msg, bad[i].message) != NULL,
			      "case %zu: \"%s\" lacks \"%s\"", i, err.msg,
			      bad[i].message);
		ck_assert_ptr_null(p);
	}
}
END_TEST

START_TEST(targets_get_event_fields_quoted_for_the_shell)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	json_t *ev = json_loads("{\"source\":\"s\",\"detail\":{\"a\":\"x'y\","
				"\"n\":3,\"m\":{\"k\":[\"p\",\"q\"]}}}", 0,
				NULL);
	char *out = NULL;

	ck_assert_int_eq(governance_dispatch_expand(&out, "echo ${detail.a} "
		"${detail.n} ${detail.m.k.1} ${source} $${x} $HOME ${HOME:-h}",
		ev, &err), 0);
	ck_assert_str_eq(out, "echo 'x'\\''y' '3' 'q' 's' ${x} $HOME "
			 "${HOME:-h}");
	free(out);
	out = NULL;
	ck_assert_int_eq(governance_dispatch_expand(&out, "echo ${detail.b}",
		ev, &err), MLOPS_EINPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "detail.b"));
	ck_assert_int_eq(governance_dispatch_expand(&out, "echo ${detail.a",
		ev, &err), MLOPS_EINPUT);
	json_decref(ev);
}
END_TEST

Suite *suite_governance(void)
{
	Suite *s = suite_create("governance");
	TCase *tc = tcase_create("patterns");

	tcase_add_test(tc, pattern_table_matches_as_eventbridge_does);
	tcase_add_test(tc, bad_patterns_are_refused_naming_the_position);
	tcase_add_test(tc, targets_get_event_fields_quoted_for_the_shell);
	suite_add_tcase(s, tc);
	return s;
}
