#!/bin/bash
# t5042-sync-capture.sh - `mlops sync ... capture`: production's captured
# inference data goes back to the ML store, where mlops-deploy capture
# and mlops-monitor read it, once however often it runs; --since limits
# it to recent hours; a sync killed half way is finished by the next.
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-deploy.sh"

# fake_capture STORE ENDPOINT HOUR N: N capture files of 3 records each
# in STORE's hour folder HOUR (YYYY/MM/DD/HH), as the gateway writes them.
fake_capture() {
	$PYTHON - "$@" <<-'PY'
	import json, os, sys, uuid
	store, ep, hour, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
	d = os.path.join(store, "capture", ep, hour)
	os.makedirs(d, exist_ok=True)
	y, mo, da, h = hour.split("/")
	for i in range(n):
	    with open(os.path.join(d, "%02d-%02d-000-%08x.churn-1.jsonl" % (i // 60, i % 60, i)), "w") as f:
	        for j in range(3):
	            f.write(json.dumps({"captureData": {
	                "endpointInput": {"observedContentType": "text/csv", "mode": "INPUT", "data": "1,2,%d\n" % j, "encoding": "CSV"},
	                "endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT", "data": "0.5\n", "encoding": "CSV"}},
	                "eventMetadata": {"eventId": str(uuid.uuid4()), "inferenceTime": "%s-%s-%sT%s:%02d:%02d.000Z" % (y, mo, da, h, i // 60 % 60, i % 60), "variant": "churn/1"},
	                "eventVersion": "0"}) + "\n")
	PY
}

test_expect_success 'production capture syncs back to the ML store once' '
	mlops init --env prod prod >/dev/null &&
	mlops remote add prod prod &&
	(export MLOPS_STORE=$PWD/prod/.mlops &&
	 train_model m.json &&
	 register_model churn m.json >/dev/null &&
	 mlops-deploy create churn --model churn/1 --capture 100 &&
	 start_gateway &&
	 for i in 1 2 3; do
		curl -sf -H "Content-Type: text/csv" --data-binary @rows.csv \
			"$URL/endpoints/churn/invocations" >/dev/null || exit 1
	 done &&
	 wait_capture churn 3 &&
	 mlops-deploy capture churn >prod-records) &&
	test_line_count = 3 prod-records &&
	mlops sync --from prod capture churn >out &&
	grep "churn prod -> test: [1-9][0-9]* copied, 0 present (files), [1-9][0-9]* bytes" out &&
	mlops sync --from prod capture churn >again &&
	grep "churn prod -> test: 0 copied, [1-9][0-9]* present (files), 0 bytes" again &&
	mlops-deploy capture churn >ml-records &&
	test_cmp prod-records ml-records &&
	(cd prod/.mlops && find capture -name "*.jsonl" | sort |
		xargs sha256sum) >prod.sums &&
	sqlite3 "$MLOPS_STORE/mlops.db" \
		"SELECT hash || \"  \" || path FROM sync_file ORDER BY path" \
		>ml.sums &&
	test_cmp prod.sums ml.sums &&
	mlops audit log --json >audit &&
	jq -s "[.[] | select(.action == \"capture.import\")] | length" audit >n &&
	echo 1 >one &&
	test_cmp one n &&
	jq -se "any(.action == \"capture.import\" and .resource == \"churn\" and
		.user == \"tester@example.com\" and
		any(.detail.sender_audit[]; .action == \"deploy.create\" and
		    .env == \"prod\"))" audit &&
	mlops event log --json --source mlops.sync >events &&
	test_line_count = 1 events &&
	jq -e ".\"detail-type\" == \"Captured Data Imported\" and
		.account == \"test\" and .resources == [\"churn\"] and
		.detail.SourceAccount == \"prod\" and .detail.files >= 1" events &&
	mlops audit verify &&
	mlops fsck
'

test_expect_success 'capture --since takes only the hours that end after it' '
	mlops init --env prod prod >/dev/null &&
	fake_capture prod/.mlops churn 2026/01/01/00 2 &&
	fake_capture prod/.mlops churn 2026/01/01/05 3 &&
	mlops sync --from ./prod --since 2026-01-01T03:00:00Z capture churn >out &&
	grep "3 copied, 0 present" out &&
	test_expect_code 2 ls "$MLOPS_STORE/capture/churn/2026/01/01/00" &&
	mlops sync --from ./prod capture churn >out &&
	grep "2 copied, 3 present" out &&
	mlops-deploy capture churn --since 2026-01-01T00:00:00Z >records &&
	test_line_count = 15 records
'

test_expect_success 'a capture sync killed half way is finished by the next' '
	mlops init --env prod prod >/dev/null &&
	fake_capture prod/.mlops churn 2026/01/01/00 20 &&
	test_expect_code 137 sqlite_fault "SELECT bytes FROM sync_file" \
		env SQLITE_FAULT_KILL=1 SQLITE_FAULT_AFTER=7 \
		mlops sync --from ./prod capture churn &&
	ls "$MLOPS_STORE/capture/churn/2026/01/01/00" >half &&
	test_line_count = 7 half &&
	test_expect_code 137 sqlite_fault "INTO sync_file" \
		env SQLITE_FAULT_KILL=1 SQLITE_FAULT_AFTER=2 \
		mlops sync --from ./prod capture churn &&
	sqlite3 "$MLOPS_STORE/mlops.db" "SELECT count(*) FROM sync_file" >rows &&
	echo 0 >zero &&
	test_cmp zero rows &&
	mlops sync --from ./prod capture churn >out &&
	grep "0 copied, 20 present" out &&
	sqlite3 "$MLOPS_STORE/mlops.db" "SELECT count(*) FROM sync_file" >rows &&
	echo 20 >twenty &&
	test_cmp twenty rows &&
	mlops sync --from ./prod capture churn >out &&
	grep "0 copied, 20 present" out &&
	diff -r prod/.mlops/capture "$MLOPS_STORE/capture" &&
	mlops audit log --json >audit &&
	jq -s "[.[] | select(.action == \"capture.import\")] | length" audit >n &&
	echo 1 >one &&
	test_cmp one n &&
	jq -se "any(.action == \"capture.import\" and .detail.files == 20 and
		.detail.copied == 0)" audit &&
	mlops event log --json --source mlops.sync >events &&
	jq -se "length == 1 and .[0].detail.files == 20" events &&
	mlops gc --grace 0 >/dev/null &&
	mlops fsck
'

test_expect_success 'links in the sender'"'"'s capture folder are not followed' '
	mlops init --env prod prod >/dev/null &&
	fake_capture prod/.mlops churn 2026/01/01/00 1 &&
	d=prod/.mlops/capture/churn/2026/01/01 &&
	echo secret >secret.jsonl &&
	ln -s "$PWD/secret.jsonl" "$d/00/99-99-999-x.churn-1.jsonl" &&
	mkdir -p elsewhere/x && cp secret.jsonl elsewhere/x/a.jsonl &&
	ln -s "$PWD/elsewhere" "$d/01" &&
	mlops sync --from ./prod capture churn >out &&
	grep "1 copied" out &&
	! grep -r secret "$MLOPS_STORE/capture"
'

test_expect_success 'a capture file there with other content is a conflict' '
	mlops init --env prod prod >/dev/null &&
	fake_capture prod/.mlops churn 2026/01/01/00 2 &&
	mkdir -p "$MLOPS_STORE/capture/churn/2026/01/01/00" &&
	f=$(cd prod/.mlops/capture/churn/2026/01/01/00 && ls | head -1) &&
	echo "{}" >"$MLOPS_STORE/capture/churn/2026/01/01/00/$f" &&
	test_snapshot &&
	test_expect_code 4 mlops sync --from ./prod capture churn 2>err &&
	grep "exists in .* with other content" err &&
	test_store_unchanged
'

test_done
