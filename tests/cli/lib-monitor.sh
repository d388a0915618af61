# lib-monitor.sh - helpers for the mlops-monitor tests that run a real
# gateway (source lib-deploy.sh first: it has wait_capture).

# wait_shadow ENDPOINT: until GET /endpoints shows ENDPOINT mirroring
# to a shadow test.
wait_shadow() {
	for i in $(seq 1 200); do
		curl -s "$URL/endpoints" | jq -e --arg e "$1" \
			'.[] | select(.name == $e) | .shadow != null' \
			>/dev/null && return 0
		sleep 0.05
	done
	echo >&2 "wait_shadow: $1 mirrors nothing"
	return 1
}

# two_variants: endpoint churn served by churn/1 for requests a-1 ...
# a-120 (answers in answers1), then by churn/2 for b-1 ... b-100
# (answers2, in which f0 is always 0) while a shadow test mirrors them
# to churn/1; the gateway
# is then stopped, so that every capture file is complete. Requests
# are 5 normal features, in req1.csv and req2.csv; base.csv is
# baseline data of the same features with a header (f0 ... f4).
two_variants() {
	train_model m1.json 5 10 &&
	train_model m2.json 5 12 &&
	register_model churn m1.json >/dev/null &&
	register_model churn m2.json >/dev/null &&
	mlops-deploy create churn --model churn/1 --capture 100 >/dev/null &&
	$PYTHON - <<-\PY &&
	import numpy as np
	rng = np.random.default_rng(5)
	np.savetxt("req1.csv", rng.normal(size=(120, 5)), fmt="%.6f", delimiter=",")
	X = rng.normal(size=(100, 5))
	X[:, 0] = 0.0			# f0 loses its influence
	np.savetxt("req2.csv", X, fmt="%.6f", delimiter=",")
	np.savetxt("base.csv", rng.normal(size=(300, 5)), fmt="%.6f",
	           delimiter=",", header="f0,f1,f2,f3,f4", comments="")
	PY
	start_gateway 300 &&
	wait_for_model churn churn/1 &&
	mlops-deploy invoke --url "$URL" --inference-id a --lines churn \
		<req1.csv >answers1 &&
	mlops-deploy update churn --model churn/2 >/dev/null &&
	wait_for_model churn churn/2 &&
	mlops-shadow start churn --model churn/1 --name sh >/dev/null &&
	wait_shadow churn &&
	mlops-deploy invoke --url "$URL" --inference-id b --lines churn \
		<req2.csv >answers2 &&
	wait_capture churn 220 &&
	kill $GW_PID && wait $GW_PID
	find .mlops/capture -name "*.jsonl" >files &&
	test "$(cat $(grep -v shadow files) | wc -l)" = 220
}

# ground_truth: labels for a-* (JSON Lines records, gt/2026/12/07/00/)
# and b-* (CSV, gt/b.csv), and two ids no request has; truth1 and
# truth2 hold the labels of each half.
ground_truth() {
	$PYTHON - <<-\PY
	import json, os, numpy as np
	rng = np.random.default_rng(13)
	os.makedirs("gt/2026/12/07/00", exist_ok=True)
	for half, name in ((1, "a"), (2, "b")):
	    X = np.loadtxt("req%d.csv" % half, delimiter=",")
	    y = ((X[:, 0] + X[:, 1] > 0) ^ (rng.random(len(X)) < 0.2)).astype(int)
	    np.savetxt("truth%d" % half, y, fmt="%d")
	    ids = ["%s-%d" % (name, i + 1) for i in range(len(y))]
	    if half == 1:
	        with open("gt/2026/12/07/00/a.jsonl", "w") as f:
	            for i, v in zip(ids, y):
	                f.write(json.dumps({"groundTruthData": {"data": str(v),
	                        "encoding": "CSV"}, "eventMetadata": {"eventId": i},
	                        "eventVersion": "0"}) + "\n")
	    else:
	        with open("gt/b.csv", "w") as f:
	            f.write("inference_id,label\n")
	            for i, v in zip(ids, y):
	                f.write("%s,%d\n" % (i, v))
	            f.write("nobody-1,1\nnobody-2,0\n")
	PY
}

# capture_rows ENDPOINT VARIANT ROW...: capture records of those CSV
# rows at time $now (Unix seconds), served by VARIANT ("" for none).
capture_rows() {
	e=$1 v=$2 &&
	shift 2 &&
	d=.mlops/capture/$e/$(date -u -d @$now +%Y/%m/%d/%H) &&
	mkdir -p "$d" &&
	t=$(date -u -d @$now +%Y-%m-%dT%H:%M:%S.000Z) &&
	for row in "$@"; do
		printf "{\"captureData\": {\"endpointInput\": {\"observedContentType\": \"text/csv\", \"mode\": \"INPUT\", \"data\": \"%s\\\\n\", \"encoding\": \"CSV\"}}, \"eventMetadata\": {\"eventId\": \"e\", \"inferenceTime\": \"%s\"%s}, \"eventVersion\": \"0\"}\n" \
			"$row" "$t" "${v:+, \"variant\": \"$v\"}" || return 1
	done >>"$d/00-00-000-test.jsonl"
}
