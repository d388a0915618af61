# lib-deploy.sh - helpers for the mlops-deploy shell tests: tiny real
# XGBoost models trained with Debian's python3-xgboost, and gateways on
# an ephemeral 127.0.0.1 port that stop by themselves (trap on exit of
# the test's subshell, and a timeout in case the trap never runs).

# train_model FILE [NFEATURES [NTREES [OBJECTIVE]]]: a model, plus rows.csv
# (20 rows) and expect.txt (python-xgboost's predictions for them).
train_model() {
	$PYTHON - "$@" <<-'PY'
	import sys, numpy as np, xgboost as xgb
	path = sys.argv[1]
	nf = int(sys.argv[2]) if len(sys.argv) > 2 else 5
	nt = int(sys.argv[3]) if len(sys.argv) > 3 else 10
	obj = sys.argv[4] if len(sys.argv) > 4 else "binary:logistic"
	rng = np.random.default_rng(nt)
	X = rng.normal(size=(400, nf))
	X[rng.random(X.shape) < 0.05] = np.nan
	if obj.startswith("multi"):
	    y = (np.nan_to_num(X[:, 0]) > 0).astype(int) + (np.nan_to_num(X[:, 1]) > 0.5)
	    params = {"objective": obj, "num_class": 3, "max_depth": 4}
	else:
	    y = (np.nan_to_num(X[:, 0]) + np.nan_to_num(X[:, 1]) > 0).astype(float)
	    params = {"objective": obj, "max_depth": 4}
	b = xgb.train(params, xgb.DMatrix(X, label=y), num_boost_round=nt)
	b.save_model(path)
	R = rng.normal(size=(20, nf)) * 2
	R[3, 1] = np.nan
	with open("rows.csv", "w") as f:
	    for r in R:
	        f.write(",".join("" if np.isnan(v) else "%.6f" % v for v in r) + "\n")
	# Read the rows back as numpy would from the CSV text.
	R = np.genfromtxt("rows.csv", delimiter=",", missing_values="", filling_values=np.nan)
	p = b.inplace_predict(R)
	np.savetxt("expect.txt", p.reshape(len(R), -1), fmt="%.9g", delimiter=",")
	PY
}

# register_model GROUP FILE [FRAMEWORK [ENTRY]]: register and approve;
# prints GROUP/N.
register_model() {
	if [ -n "$4" ]; then
		mlops-registry register "$1" --artifact "$2" --framework "$3" \
			--entry "$4" --status Approved
	else
		mlops-registry register "$1" --artifact "$2" \
			--framework "${3:-xgboost}" --status Approved
	fi
}

# start_gateway [SECONDS]: serve this store on a free port (with the
# serve options in $GW_OPTS, if any) in the
# background; sets $URL and $GW_PID, logs to gw.log. The gateway is
# stopped when the test's shell exits, and after SECONDS (default 90)
# in any case.
start_gateway() {
	GW_PORT=$(test_free_port)
	timeout "${1:-90}" mlops-deploy serve --listen "127.0.0.1:$GW_PORT" \
		--threads 2 $GW_OPTS --log gw.log >gw.out 2>&1 &
	GW_PID=$!
	trap 'kill $GW_PID 2>/dev/null; wait $GW_PID 2>/dev/null' EXIT
	URL=http://127.0.0.1:$GW_PORT
	for i in $(seq 1 100); do
		curl -sf "$URL/ping" >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	echo >&2 "start_gateway: no answer on $URL"
	cat gw.out gw.log >&2
	return 1
}

# process_alive PID: PID runs; a zombie (exited, not yet reaped by
# init) does not.
process_alive() {
	case $(ps -o stat= -p "$1") in
	""|Z*) return 1 ;;
	esac
	return 0
}

# wait_for_model ENDPOINT REF: until GET /endpoints shows REF serving
# ENDPOINT (the gateway polls the store).
wait_for_model() {
	for i in $(seq 1 200); do
		curl -s "$URL/endpoints" | $PYTHON -c '
import json, sys
eps = {e["name"]: e for e in json.load(sys.stdin)}
e = eps.get(sys.argv[1], {})
sys.exit(0 if e.get("model") == sys.argv[2] else 1)' "$1" "$2" && return 0
		sleep 0.05
	done
	echo >&2 "wait_for_model: $1 does not serve $2"
	curl -s "$URL/endpoints" >&2
	return 1
}

# http_code METHOD URL [curl args...]: print the status code only.
http_code() {
	m=$1 u=$2
	shift 2
	curl -s -o body.out -w '%{http_code}' -X "$m" "$u" "$@"
}

# close_to GOT WANT: every value within 1e-6 (CSV of numbers, line by line).
close_to() {
	$PYTHON - "$1" "$2" <<-'PY'
	import sys
	def load(p):
	    return [[float(v) for v in l.strip().split(",")] for l in open(p) if l.strip()]
	a, b = load(sys.argv[1]), load(sys.argv[2])
	assert len(a) == len(b), "%d rows, expected %d" % (len(a), len(b))
	for i, (x, y) in enumerate(zip(a, b)):
	    assert len(x) == len(y), "row %d: %d values, expected %d" % (i, len(x), len(y))
	    for u, v in zip(x, y):
	        assert abs(u - v) <= 1e-6, "row %d: %r vs %r" % (i, u, v)
	PY
}

# load_client SECONDS ENDPOINT BODY [STOPFILE]: 4 threads with
# kept-alive connections posting BODY for SECONDS, or until STOPFILE
# exists; prints "STATUS MODEL" counts at the end.
load_client() {
	$PYTHON - "$URL" "$@" <<-'PY'
	import http.client, os, sys, threading, time, collections, urllib.parse
	url, secs, ep, body = sys.argv[1], float(sys.argv[2]), sys.argv[3], open(sys.argv[4], "rb").read()
	stop = sys.argv[5] if len(sys.argv) > 5 else None
	u = urllib.parse.urlparse(url)
	seen = collections.Counter(); lock = threading.Lock()
	end = time.time() + secs
	def run():
	    c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
	    refused = 0
	    # Until the time is up or told to stop; a gateway gone for good
	    # (refused 50 times in a row) ends it too.
	    while time.time() < end and not (stop and os.path.exists(stop)) and refused < 50:
	        try:
	            c.request("POST", "/endpoints/%s/invocations" % ep, body, {"Content-Type": "text/csv"})
	            r = c.getresponse(); r.read()
	            key = "%d %s" % (r.status, r.getheader("X-Mlops-Model"))
	            refused = 0
	        except Exception as e:
	            key = "error " + type(e).__name__
	            refused = refused + 1 if isinstance(e, ConnectionRefusedError) else 0
	            c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
	        with lock:
	            seen[key] += 1
	ts = [threading.Thread(target=run) for _ in range(4)]
	[t.start() for t in ts]; [t.join() for t in ts]
	for k, v in sorted(seen.items()):
	    print(k, v)
	PY
}

# wait_capture ENDPOINT N: until N records are in completed files.
wait_capture() {
	for i in $(seq 1 200); do
		n=$(cat "$MLOPS_STORE"/capture/"$1"/*/*/*/*/*.jsonl 2>/dev/null | wc -l)
		test "$n" -ge "$2" && return 0
		sleep 0.1
	done
	echo >&2 "wait_capture: $n records of $1, expected $2"
	return 1
}
