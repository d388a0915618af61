#!/bin/bash
# t0006-verb-contract.sh - every verb of every program keeps the frame's
# contract: VERB --help prints its usage on stdout and exits 0, VERB
# --no-such-flag exits 2 with a message, and neither touches the store.
# The verbs are read from each program's --help (the frame lists them
# from the program's own verb table, nested ones too), so a new verb is
# walked without editing this script.
. "$(dirname "$0")/test-lib.sh"

# Every program the build made, so a new program is walked too.
PROGRAMS=$(cd "$MLOPS_BIN" && ls mlops mlops-*)

# A store with something in every part, so that a verb that ignored
# --help would have something to change: a pinned blob, a setting, a
# feature group with records, a model group with an Approved version
# (churn/1) and a pending one (churn/2), an endpoint with a key, events.
populate() {
	echo blob >blob && mlops object put blob >/dev/null &&
	mlops config set defaults.capture 0 &&
	test_customers_group 2>/dev/null &&
	echo "cat" >worker.sh &&
	mlops-registry register churn --artifact worker.sh --framework exec \
		--entry "sh worker.sh" --status Approved >/dev/null &&
	mlops-registry register churn --artifact worker.sh --framework exec \
		--entry "sh worker.sh" >/dev/null &&
	mlops-deploy create web --model churn/1 >/dev/null &&
	mlops-deploy key create web >/dev/null &&
	echo "{\"detail-type\": \"Test\", \"source\": \"t0006\", \"detail\": {}}" |
		mlops event put >/dev/null
}

# verbs_of PROG: every verb PROG lists in its --help, one a line
# ("object put" for a nested one).
verbs_of() {
	"$1" --help | sed -n '/^Verbs:$/,/^$/{ /^  /{ s/^  //; s/  .*//; p; }; }'
}

# walk PROG ARG WANT: run "PROG VERB ARG" for every verb; each must exit
# WANT and leave the store as it was. Prints every verb that does not,
# and fails if one does not. check_out and check_err judge the output.
walk() {
	prog=$1 arg=$2 want=$3 bad=0
	verbs_of "$prog" >verbs &&
	test_line_count -ge 3 verbs || return 1
	while read -r verb; do
		# $verb unquoted: a nested verb is two words.
		timeout 60 "$prog" $verb "$arg" </dev/null >out 2>err
		status=$?
		if [ $status -ne "$want" ]; then
			echo "$prog $verb $arg: exit $status, not $want"
			cat err
			bad=1
		elif ! check_out "$verb" || ! check_err; then
			echo "$prog $verb $arg: wrong output"
			cat out err
			bad=1
		fi
		if ! test_store_unchanged >diff; then
			echo "$prog $verb $arg: changed the store"
			cat diff
			bad=1
			test_snapshot
		fi
	done <verbs
	return $bad
}

test_expect_success 'every program lists nested verbs in its --help' '
	mlops --help >out &&
	grep "^  object put  *store files" out &&
	grep "^  config list " out &&
	mlops-deploy --help | grep "^  key create  *make an API key" &&
	mlops-registry --help | grep "^  card create " &&
	mlops-registry --help | grep "^  alias set " &&
	mlops-pipeline --help | grep "^  hook install " &&
	verbs_of mlops >verbs &&
	grep -x "audit verify" verbs &&
	grep -x "init" verbs
'

test_expect_success 'VERB --help: usage on stdout, exit 0, store unchanged' '
	populate &&
	test_snapshot &&
	check_out() {
		head -n 1 out | grep -q "^usage: .*${1##* }"
	} &&
	check_err() {
		! test -s err
	} &&
	for p in $PROGRAMS; do
		walk $p --help 0 || return 1
	done
'

test_expect_success 'VERB --no-such-flag: exit 2 with a message, store unchanged' '
	populate &&
	test_snapshot &&
	check_out() {
		! test -s out
	} &&
	check_err() {
		grep -q -- "no-such-flag" err
	} &&
	for p in $PROGRAMS; do
		walk $p --no-such-flag 2 || return 1
	done
'

test_expect_success '--help after arguments still only helps (approval gate)' '
	populate &&
	test_snapshot &&
	mlops-deploy create ep --model churn/2 --help >out &&
	grep "^usage: mlops-deploy create" out &&
	mlops-deploy update web --model churn/2 --help >out &&
	grep "^usage: mlops-deploy update" out &&
	mlops-deploy update web --model churn/2 --allow-unapproved --help \
		>out &&
	mlops-registry approve churn/2 --help >out &&
	grep "^usage: mlops-registry approve" out &&
	mlops-deploy delete web --help >out &&
	mlops-deploy key create web --help >out &&
	mlops-feature drop --force customers --help >out &&
	mlops config set a.b 1 --help >out &&
	grep "^usage: mlops config set" out &&
	test_store_unchanged &&
	test_expect_code 2 mlops-deploy create ep --model churn/2 --bogus \
		2>err &&
	grep "bogus" err &&
	test_store_unchanged
'

test_expect_success 'serve --help and serve --bogus start no gateway' '
	port=$(test_free_port) &&
	timeout 20 mlops-deploy serve --listen 127.0.0.1:$port --pidfile gw.pid \
		--daemon --help >out &&
	grep "^usage: mlops-deploy serve" out &&
	test_expect_code 2 timeout 20 mlops-deploy serve \
		--listen 127.0.0.1:$port --pidfile gw.pid --daemon --bogus \
		2>err &&
	grep "bogus" err &&
	! test -e gw.pid &&
	! curl -s "http://127.0.0.1:$port/ping"
'

test_expect_success '-o - is standard output, never a file named -' '
	populate &&
	h=$(echo hello | mlops object put) &&
	mlops object get -o - "$h" >out &&
	echo hello >expect &&
	test_cmp expect out &&
	printf "customer_id,event_time\nc1,2026-02-01T00:00:00Z\n" >e.csv &&
	mlops-feature dataset --entities e.csv --features customers -o - >out &&
	grep "^c1,2026-02-01T00:00:00Z,30$" out &&
	! test -e ./- &&
	test_snapshot &&
	test_expect_code 2 mlops-registry get -o - churn/1 2>err &&
	grep -- "-o -" err &&
	! test -e ./- &&
	test_store_unchanged
'

test_expect_success 'dataset -o into a missing directory exits 4, leaves nothing' '
	populate &&
	printf "customer_id,event_time\nc1,2026-02-01T00:00:00Z\n" >e.csv &&
	test_expect_code 4 mlops-feature dataset --entities e.csv \
		--features customers -o no/such/dir/x.csv 2>err &&
	grep "no/such/dir" err &&
	mkdir d &&
	mlops-feature dataset --entities e.csv --features customers \
		-o d/x.csv &&
	grep "^c1,2026-02-01T00:00:00Z,30$" d/x.csv &&
	ls -A d >files &&
	echo x.csv >expect &&
	test_cmp expect files
'

test_expect_success 'event put names file:line:column in every error' '
	ok="{\"source\": \"a\", \"detail-type\": \"T\", \"detail\": {}}" &&
	printf "%s\n{\"sou\n" "$ok" >ev2.jsonl &&
	test_snapshot &&
	test_expect_code 3 mlops event put ev2.jsonl 2>err &&
	grep "^mlops: ev2.jsonl:2:5: " err &&
	printf "%s\n  {\"source\": \"a\", \"detail-type\": 7, \"detail\": {}}\n" \
		"$ok" >ev3.jsonl &&
	test_expect_code 3 mlops event put ev3.jsonl 2>err &&
	grep "^mlops: ev3.jsonl:2:3: \"detail-type\" must be" err &&
	printf "\n {\"source\": \"a\",\n  \"detail\": {}}\n" >ev4.json &&
	test_expect_code 3 mlops event put ev4.json 2>err &&
	grep "^mlops: ev4.json:2:2: \"detail-type\" must be" err &&
	test_store_unchanged
'

# says LINE CMD...: CMD succeeds, prints exactly LINE on stdout and
# nothing on stderr.
says() {
	want=$1 &&
	shift &&
	"$@" >out 2>err &&
	echo "$want" >expect &&
	test_cmp expect out &&
	test_line_count = 0 err
}

test_expect_success 'a change verb says what it did on stdout, tallies on stderr' '
	populate &&
	says "a.b: set to 1" mlops config set a.b 1 &&
	says "a.b: unset" mlops config unset a.b &&
	says "customers/c1: deleted (soft)" mlops-feature delete \
		--event-time 2026-01-02T00:00:00Z customers c1 &&
	says "created model group '"'"'other'"'"'" mlops-registry create other &&
	says "churn@champion -> churn/1" mlops-registry alias set churn \
		champion 1 &&
	says "churn@champion: removed" mlops-registry alias rm churn champion &&
	says "web: serving churn/2" mlops-deploy update web --model churn/2 \
		--allow-unapproved &&
	says "web: serving churn/1" mlops-deploy rollback web &&
	id=$(mlops-deploy key list --json web | jq -r .id) &&
	says "web: key $id revoked" mlops-deploy key delete web "$id" &&
	says "web: deleted" mlops-deploy delete web &&
	mlops audit verify >out 2>err &&
	test_line_count = 0 out &&
	grep "^mlops: audit trail intact: [0-9]* records$" err &&
	mlops fsck >out 2>err &&
	test_line_count = 0 out &&
	grep "^mlops: checked .* 0 problems$" err &&
	mlops gc >out 2>err &&
	test_line_count = 0 out &&
	grep "^mlops: removed 0 files" err
'

# json_lines CMD...: CMD prints JSON Lines: one or more lines, each one
# JSON object, and no number longer than it needs to be (a time in
# seconds has at most 6 decimals, a double at most 17 digits).
json_lines() {
	"$@" >out &&
	test -s out &&
	jq -c . out >compact &&
	test "$(wc -l <out)" = "$(wc -l <compact)" &&
	jq -e -s "all(.[]; type == \"object\")" out >/dev/null &&
	! grep -E "[0-9]\.[0-9]{7,}" out
}

test_expect_success '--json on list and show verbs is JSON Lines' '
	populate &&
	printf "name: tiny\nsteps:\n  - name: a\n    run: \"true\"\n" \
		>pipeline.yaml &&
	mlops-pipeline run 2>/dev/null &&
	mlops-pipeline run --no-cache 2>/dev/null &&
	json_lines mlops-pipeline list --json &&
	test_line_count = 2 out &&
	json_lines mlops-pipeline show --json "$(jq -r .id <out | head -n 1)" &&
	json_lines mlops-deploy describe --json web &&
	grep "\"idle_timeout_s\":60.0," out &&
	json_lines mlops-deploy list --json &&
	json_lines mlops-deploy key list --json web &&
	jq -e ".id and .created and .created_by" out &&
	json_lines mlops config list --json &&
	grep -x "{\"key\":\"defaults.capture\",\"value\":\"0\"}" out &&
	json_lines mlops object ls --json &&
	json_lines mlops audit log --json &&
	json_lines mlops event log --json &&
	json_lines mlops-feature list --json &&
	json_lines mlops-feature describe --json customers &&
	json_lines mlops-registry list --json &&
	json_lines mlops-registry describe --json churn &&
	json_lines mlops-registry show --json churn/1 &&
	json_lines mlops-registry lineage --json churn/1 &&
	json_lines mlops-registry diff --json churn/1 churn/2
'

test_done
