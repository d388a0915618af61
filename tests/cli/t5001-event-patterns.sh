#!/bin/bash
# t5001-event-patterns.sh - `mlops event test`: EventBridge patterns from
# the command line (the operator table is tests/unit/test_governance.c),
# and bad patterns refused with their position.
. "$(dirname "$0")/test-lib.sh"

cat >"$TRASH_ROOT/ec2.json" <<'JSON'
{
  "version": "0",
  "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
  "detail-type": "EC2 Instance State-change Notification",
  "source": "aws.ec2",
  "account": "111122223333",
  "time": "2017-12-22T18:43:48Z",
  "region": "us-west-1",
  "resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
  "detail": {"instance-id": "i-1234567890abcdef0", "state": "terminated"}
}
JSON
EC2=$TRASH_ROOT/ec2.json

test_expect_success 'a matching pattern exits 0, another 1 (EventBridge example)' '
	mlops event test --event "$EC2" --pattern "{\"source\": [\"aws.ec2\"],
		\"detail-type\": [\"EC2 Instance State-change Notification\"],
		\"detail\": {\"state\": [\"terminated\"]}}" &&
	test_expect_code 1 mlops event test --event "$EC2" \
		--pattern "{\"detail\": {\"state\": [\"running\"]}}"
'

test_expect_success 'every operator from the command line' '
	for p in "{\"time\":[{\"prefix\":\"2017-12-22\"}]}" \
		"{\"resources\":[{\"suffix\":\"abcdef0\"}]}" \
		"{\"detail\":{\"state\":[{\"anything-but\":[\"stopped\",\"x\"]}]}}" \
		"{\"detail\":{\"state\":[{\"anything-but\":{\"prefix\":\"run\"}}]}}" \
		"{\"detail\":{\"state\":[{\"exists\":true}],\"color\":[{\"exists\":false}]}}" \
		"{\"detail-type\":[{\"equals-ignore-case\":\"ec2 instance state-change notification\"}]}" \
		"{\"detail\":{\"instance-id\":[{\"wildcard\":\"i-*0\"}]}}" \
		"{\"\$or\":[{\"source\":[\"x\"]},{\"region\":[\"us-west-1\"]}]}" \
		"{\"account\":[\"111122223333\"],\"version\":[\"0\"]}"
	do
		mlops event test --event "$EC2" --pattern "$p" ||
		{ echo "no match: $p"; return 1; }
	done &&
	echo "{\"detail\":{\"n\":4.5}}" >ev.json &&
	mlops event test --event ev.json --pattern "{\"detail\":{\"n\":[{\"numeric\":[\">\",0,\"<=\",5]}]}}" &&
	test_expect_code 1 mlops event test --event ev.json \
		--pattern "{\"detail\":{\"n\":[{\"numeric\":[\">=\",5]}]}}"
'

test_expect_success 'patterns and events may come from files and stdin' '
	echo "{\"source\": [\"aws.ec2\"]}" >p.json &&
	mlops event test --pattern p.json --event - <"$EC2"
'

test_expect_success 'invalid JSON is refused with its line and column (exit 3)' '
	printf "{\n  \"source\": [\"aws.ec2\",]\n}\n" >bad.json &&
	test_expect_code 3 mlops event test --pattern bad.json --event "$EC2" 2>err &&
	grep "bad.json:2:" err
'

test_expect_success 'an unknown operator is refused naming its JSON path' '
	test_expect_code 3 mlops event test --event "$EC2" \
		--pattern "{\"detail\":{\"state\":[{\"prefx\":\"t\"}]}}" 2>err &&
	grep "detail.state\[0\]: unknown operator \"prefx\"" err &&
	test_expect_code 3 mlops event test --event "$EC2" \
		--pattern "{\"source\":\"aws.ec2\"}" 2>err &&
	grep "source: a field.s value is an array" err &&
	test_expect_code 3 mlops event test --event "$EC2" \
		--pattern "{\"n\":[{\"numeric\":[\"<\",1,\">\",0]}]}" 2>err &&
	grep "n\[0\]: a numeric range is a lower bound" err
'

test_expect_success 'usage errors exit 2; --help exits 0' '
	test_expect_code 2 mlops event test --pattern "{}" 2>err &&
	grep "usage: mlops event test" err &&
	test_expect_code 2 mlops event test --bogus 2>err &&
	mlops event test --help >out &&
	grep "Exit 0 when the pattern matches" out &&
	test_expect_code 4 mlops event test --pattern missing.json --event "$EC2"
'

test_done
