#!/bin/bash
# t4008-deploy-capture-recover.sh - the capture files a killed gateway
# left in progress (hidden .NAME.jsonl.part, which readers skip) are
# finished by the next gateway: their whole records shown to readers, a
# cut last record dropped; files a live writer holds, or touched lately,
# are left alone, and one without a whole record is removed. A failure to
# write capture files is said in the gateway's log.
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-deploy.sh"

# parts: the part files under capture/, one a line.
parts() {
	find "$MLOPS_STORE/capture" -name '.*.jsonl.part' 2>/dev/null
}

# wait_log TEXT: until the gateway's log holds TEXT.
wait_log() {
	for i in $(seq 1 200); do
		grep -q "$1" gw.log 2>/dev/null && return 0
		sleep 0.05
	done
	echo >&2 "wait_log: no '$1' in the log"
	cat >&2 gw.log
	return 1
}

test_expect_success 'a killed gateway'"'"'s file in progress is finished at the next start' '
	train_model m.json &&
	register_model churn m.json >/dev/null &&
	mlops-deploy create churn --model churn/1 --capture 100 &&
	start_gateway &&
	# Big bodies: the writer writes its buffer out every 64 KB.
	for i in $(seq 1 40); do cat rows.csv; done >big.csv &&
	{ load_client 20 churn big.csv >load.out 2>&1 & } &&
	client=$! &&
	for i in $(seq 1 400); do
		part=$(find "$MLOPS_STORE/capture" -name "*.part" -size +1k) &&
		test -n "$part" && break
		sleep 0.05
	done &&
	test -n "$part" &&
	pkill -KILL -P $GW_PID &&
	{ wait $GW_PID; kill $client; wait $client; true; } 2>/dev/null &&
	part=$(parts) &&
	test_line_count = 1 <(echo "$part") &&
	n=$(wc -l <"$part") &&
	test "$n" -gt 0 &&
	# A record cut short, as a write the kill interrupted leaves.
	printf "{\"captureData\": {\"endpointInput\": {\"da" >>"$part" &&
	touch -d "-2 minutes" "$part" &&
	before=$(mlops-deploy capture churn | wc -l) &&
	start_gateway &&
	wait_log "finished 1 file(s)" &&
	grep "finished 1 file(s) a stopped gateway left in progress: $n record(s)" gw.log &&
	test -z "$(parts)" &&
	final=$(dirname "$part")/$(basename "$part" .part) &&
	final=$(dirname "$final")/$(basename "$final" | cut -c2-) &&
	test_line_count = $n "$final" &&
	after=$(mlops-deploy capture churn | wc -l) &&
	test $after -eq $((before + n))
'

test_expect_success 'files a live writer holds or touched lately stay; one without a record goes' '
	train_model m.json &&
	register_model churn m.json >/dev/null &&
	mlops-deploy create churn --model churn/1 --capture 100 &&
	dir=$MLOPS_STORE/capture/churn/$(date -u +%Y/%m/%d/%H) &&
	mkdir -p "$dir" &&
	printf "\0\0\0\0" >"$dir/.00-00-000-aaaaaaaa.churn-1.jsonl.part" &&
	touch -d "-2 minutes" "$dir/.00-00-000-aaaaaaaa.churn-1.jsonl.part" &&
	echo "{}" >"$dir/.00-00-000-bbbbbbbb.churn-1.jsonl.part" &&
	echo "{}" >"$dir/.00-00-000-cccccccc.churn-1.jsonl.part" &&
	touch -d "-2 minutes" "$dir/.00-00-000-cccccccc.churn-1.jsonl.part" &&
	# A live writer: holds the lock, for a minute at most.
	{ $PYTHON -c "import fcntl, sys, time
f = open(sys.argv[1])
fcntl.flock(f, fcntl.LOCK_EX)
print(\"held\", flush=True)
time.sleep(60)" "$dir/.00-00-000-cccccccc.churn-1.jsonl.part" >held & } &&
	holder=$! &&
	for i in $(seq 1 200); do
		test -s held && break
		sleep 0.05
	done &&
	test -s held &&
	start_gateway &&
	wait_log "removed 1 file(s) a stopped gateway left without a whole record" &&
	! test -e "$dir/.00-00-000-aaaaaaaa.churn-1.jsonl.part" &&
	test -e "$dir/.00-00-000-bbbbbbbb.churn-1.jsonl.part" &&
	test -e "$dir/.00-00-000-cccccccc.churn-1.jsonl.part" &&
	! grep "finished" gw.log &&
	kill $holder &&
	mlops-deploy capture churn >records &&
	test_line_count = 0 records
'

test_expect_success 'a failure to write capture files is logged; answers go on' '
	train_model m.json &&
	register_model churn m.json >/dev/null &&
	mlops-deploy create churn --model churn/1 --capture 100 &&
	# A file where the hour directory should be (the next hour too).
	for when in now "+1 hour"; do
		hour=$MLOPS_STORE/capture/churn/$(date -u -d "$when" +%Y/%m/%d/%H) &&
		mkdir -p "$(dirname "$hour")" &&
		: >"$hour" || return 1
	done &&
	start_gateway &&
	curl -sf -H "Content-Type: text/csv" --data-binary @rows.csv \
		"$URL/endpoints/churn/invocations" >got &&
	test_line_count = 20 got &&
	wait_log "capture: 1 failure(s) to write capture files" &&
	grep "the last: .*/churn/[0-9/]*.* exists and is not a directory; 1 record(s) dropped in all" gw.log &&
	kill $GW_PID && wait $GW_PID
'

test_done
