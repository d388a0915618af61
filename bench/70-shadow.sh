# 70-shadow.sh - what a shadow test costs production: requests/s and
# latency of one endpoint (XGBoost, 100 trees, depth 6, 20 features,
# one-row CSV requests, wrk at 64 connections) without a shadow, with
# 100% of requests mirrored to a second XGBoost model of the same size,
# and without again, in one gateway run. The goal is production within
# 10% of its throughput while shadowing everything; what the shadow
# cannot keep up with is shed and counted, never queued.
# BENCH_MAX_PAIRS (100000) bounds the paired records the gateway keeps.
set -e
DUR=${BENCH_SECONDS:-5}
CONNS=${BENCH_CONNS:-64}
pids=
cleanup() { for p in $pids; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
. "$BENCH_DIR/lib-wrk.sh"

$PYTHON - <<'PY'
import numpy as np, xgboost as xgb
rng = np.random.default_rng(7)
X = rng.normal(size=(20000, 20))
y = (X[:, 0] + X[:, 1] * X[:, 2] - X[:, 3] > 0).astype(int)
for name, seed in (("a.json", 1), ("b.json", 2)):
    b = xgb.train({"max_depth": 6, "objective": "binary:logistic",
                   "eta": 0.1, "seed": seed, "subsample": 0.8},
                  xgb.DMatrix(X, label=y), num_boost_round=100)
    b.save_model(name)
np.savetxt("row.csv", X[:1], delimiter=",", fmt="%.6f")
PY
cat > post.lua <<'LUA'
wrk.method = "POST"
wrk.body = io.open("row.csv"):read("a")
wrk.headers["Content-Type"] = "text/csv"
LUA

mlops init >/dev/null
mlops-registry register bench --artifact a.json --status Approved >/dev/null
mlops-registry register bench --artifact b.json --status Approved >/dev/null
mlops-deploy create bench --model bench/1 >/dev/null
port=$(free_port)
timeout 600 mlops-deploy serve --listen 127.0.0.1:$port --log gw.log \
	>/dev/null &
pids="$pids $!"
url=http://127.0.0.1:$port
for i in $(seq 1 100); do
	curl -sf "$url/ping" >/dev/null && break
	sleep 0.1
done
# wait_shadow yes|no: until GET /endpoints shows a shadow test or none.
wait_shadow() {
	for i in $(seq 1 200); do
		if curl -s "$url/endpoints" | grep -q '"shadow"'; then
			[ "$1" = yes ] && return 0
		else
			[ "$1" = no ] && return 0
		fi
		sleep 0.05
	done
	echo "70-shadow: the gateway did not pick up the change" >&2
	return 1
}

inv=$url/endpoints/bench/invocations
wrk_run "$inv" "$CONNS" >/dev/null	# warm up
printf "%-28s %6s %10s %10s %10s %8s\n" production conns req/s p50_us \
	p99_us non2xx
# run LABEL: one wrk run; sets rps_ and p99_.
run() {
	set -- "$1" $(wrk_run "$inv" "$CONNS")
	printf "%-28s %6s %10s %10s %10s %8s\n" "$1" "$CONNS" "$2" "$3" "$4" \
		"$5"
	rps_=$2 p99_=$4
}
run "no shadow" && rps_1=$rps_ p99_1=$p99_
mlops-shadow start bench --model bench/2 --sample 100 --name b \
	--max-pairs "${BENCH_MAX_PAIRS:-100000}" >/dev/null
wait_shadow yes
run "100% shadow to bench/2" && rps_2=$rps_ p99_2=$p99_
mlops-shadow stop b >/dev/null
wait_shadow no
run "no shadow again" && rps_3=$rps_ p99_3=$p99_
mlops-shadow status --json b | $PYTHON -c '
import json, sys; s = json.load(sys.stdin)
print("shadow: %d mirrored, %d shed (%.1f%% of sampled requests)" % (
    s["mirrored"], s["shed"],
    100.0 * s["shed"] / max(1, s["mirrored"] + s["shed"])))'
awk -v a="$rps_1" -v b="$rps_2" -v c="$rps_3" -v pa="$p99_1" \
	-v pb="$p99_2" -v pc="$p99_3" 'BEGIN {
	base = (a + c) / 2; pbase = (pa + pc) / 2
	printf "with shadow / without: %.3f req/s (goal >= 0.90), p99 %.2fx\n",
		b / base, pb / pbase }'
