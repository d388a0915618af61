#!/bin/bash
# t0361-progress-replay.sh - the progress line of the verbs that read
# captured data: mlops-shadow replay counts records, mlops sync of
# capture counts bytes; neither changes standard output.
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-deploy.sh"

# fake_capture STORE ENDPOINT N: N records of five features in one
# capture file of STORE, as the gateway writes them.
fake_capture() {
	$PYTHON - "$@" <<-'PY'
	import json, os, sys
	store, ep, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
	d = os.path.join(store, "capture", ep, "2026/12/01/10")
	os.makedirs(d, exist_ok=True)
	with open(os.path.join(d, "00-00-000-00000001.churn-1.jsonl"), "w") as f:
	    for i in range(n):
	        f.write(json.dumps({"captureData": {
	            "endpointInput": {"observedContentType": "text/csv", "mode": "INPUT", "data": "1,2,%d,0.5,-1\n" % (i % 7), "encoding": "CSV"},
	            "endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT", "data": "0.5\n", "encoding": "CSV"}},
	            "eventMetadata": {"eventId": "e%d" % i, "inferenceTime": "2026-12-01T10:%02d:%02d.000Z" % (i // 60 % 60, i % 60), "variant": "churn/1"},
	            "eventVersion": "0"}) + "\n")
	PY
}

test_expect_success 'replay: records on stderr, its report unchanged' '
	train_model m1.json 5 10 &&
	train_model m2.json 5 12 &&
	register_model churn m1.json >/dev/null &&
	register_model churn m2.json >/dev/null &&
	mlops-deploy create web --model churn/1 >/dev/null &&
	fake_capture "$MLOPS_STORE" web 500 &&
	MLOPS_PROGRESS=1 mlops-shadow replay web --model churn/2 --name r1 \
		>out1 2>err1 &&
	MLOPS_PROGRESS=0 mlops-shadow replay web --model churn/2 --name r1b \
		>out0 2>err0 &&
	sed s/r1b:/r1:/ out0 >out0.cut &&
	test_cmp out0.cut out1 &&
	grep "r1: replayed 500 captured requests" out1 &&
	test ! -s err0 &&
	tr "\r" "\n" <err1 | grep "^mlops-shadow: replay web: 500 records, .* records/s, done"
'

test_expect_success 'sync of capture: bytes on stderr' '
	mlops init --env prod prod >/dev/null &&
	fake_capture prod/.mlops web 300 &&
	MLOPS_PROGRESS=1 mlops sync --from ./prod capture web >out 2>err &&
	grep "web prod -> test: 1 copied" out &&
	tr "\r" "\n" <err | grep "^mlops: sync capture web: .*B, .*B/s, done"
'

test_done
