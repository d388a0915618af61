# 70-shadow.sh - what a shadow test costs production: requests/s and
# latency of one endpoint (XGBoost, 100 trees, depth 6, 20 features,
# one-row CSV requests, wrk at 64 connections) without a shadow and with
# 100% of requests mirrored to a second XGBoost model of the same size,
# alternated BENCH_ROUNDS (3) times in one gateway run and ending without
# a shadow. Each round's ratio divides its shadowed req/s by the mean of
# the unshadowed runs around it; the summary is the median ratio (and
# the same for p99). The
# goal is production within 10% of its throughput while shadowing
# everything; what the shadow cannot keep up with is shed and counted,
# never queued. The CPU columns are the gateway's request threads and
# its shadow thread, in microseconds of CPU per production request (from
# /proc, so the split between production and shadow is measured, not
# guessed).
# BENCH_MAX_PAIRS (100000) bounds the paired records the gateway keeps.
#
# Saturating the machine is the worst case: a shadow thread runs below
# the request threads (nice 10), so there it gets what production leaves
# and sheds the rest. A last pair of runs is paced as production traffic
# is, below what the machine can take (each of 32 connections waits
# BENCH_PACE_MS, 1 ms, before each request): there every request should
# be mirrored, none shed, and production's latency should not move.
# The quick mode runs one round of 2 s runs.
set -e
. "$BENCH_DIR/lib-report.sh"
DUR=${BENCH_SECONDS:-$(quick 2 5)}
ROUNDS=${BENCH_ROUNDS:-$(quick 1 3)}
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
{ cat post.lua; echo "function delay() return ${BENCH_PACE_MS:-1} end"; } \
	>paced.lua

mlops init >/dev/null
mlops-registry register bench --artifact a.json --status Approved >/dev/null
mlops-registry register bench --artifact b.json --status Approved >/dev/null
mlops-deploy create bench --model bench/1 >/dev/null
port=$(free_port)
timeout 600 mlops-deploy serve --listen 127.0.0.1:$port --log gw.log \
	>/dev/null &
pids="$pids $!"
tpid=$!
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
gw=$(pgrep -P "$tpid")
# cpu_snap FILE: "tid kind ticks" of each gateway thread, kind w (request
# threads), s (shadow threads) or o (others).
cpu_snap() {
	for t in /proc/$gw/task/*; do
		echo "${t##*/} $(cat $t/comm 2>/dev/null) $(cut -d")" -f2 \
			$t/stat 2>/dev/null)"
	done | awk '$2 == "" { next }
		{ k = $2 ~ /^MHD-(worker|single)$/ ? "w" : \
		      $2 == "mlops-shadow" ? "s" : "o"
		  print $1, k, $14 + $15 }' | sort >"$1"
}
wrk_run "$inv" "$CONNS" >/dev/null	# warm up
hz=$(getconf CLK_TCK)
printf "%-24s %6s %10s %10s %10s %8s %11s %10s\n" production conns req/s \
	p50_us p99_us non2xx cpu_us/req shadow_us
# run LABEL [CONNS SCRIPT]: one wrk run; sets rps_ and p99_.
run() {
	local conns=${2:-$CONNS}

	cpu_snap cpu0
	set -- "$1" $(wrk_run "$inv" "$conns" "${3:-post.lua}")
	cpu_snap cpu1
	# Threads present at both ends only: a shadow thread that ended
	# took its ticks with it.
	set -- "$@" $(join cpu0 cpu1 | awk -v n="$2" -v d="$DUR" -v hz="$hz" '
		{ t[$2] += $5 - $3 } END { r = n * d
		  printf "%.2f %.2f", t["w"] * 1e6 / hz / r,
		  t["s"] * 1e6 / hz / r }')
	printf "%-24s %6s %10s %10s %10s %8s %11s %10s\n" "$1" "$conns" "$2" \
		"$3" "$4" "$5" "$6" "$7"
	rps_=$2 p99_=$4
	case $1 in
	"no shadow") echo "$2" >>without.rps ;;
	"100% shadow"*) echo "$2" >>with.rps ;;
	esac
}
run "no shadow"
base=$rps_ pbase=$p99_ ratios= pratios= mirrored=0 shed=0
for r in $(seq 1 "$ROUNDS"); do
	mlops-shadow start bench --model bench/2 --sample 100 --name b$r \
		--max-pairs "${BENCH_MAX_PAIRS:-100000}" >/dev/null
	wait_shadow yes
	run "100% shadow (b$r)"
	with=$rps_ pwith=$p99_
	mlops-shadow stop b$r >/dev/null
	wait_shadow no
	run "no shadow"
	ratios="$ratios $(awk -v w="$with" -v a="$base" -v b="$rps_" \
		'BEGIN { printf "%.3f", 2 * w / (a + b) }')"
	pratios="$pratios $(awk -v w="$pwith" -v a="$pbase" -v b="$p99_" \
		'BEGIN { printf "%.2f", 2 * w / (a + b) }')"
	base=$rps_ pbase=$p99_
	set -- $(mlops-shadow status --json b$r | $PYTHON -c '
import json, sys; s = json.load(sys.stdin); print(s["mirrored"], s["shed"])')
	mirrored=$((mirrored + $1)) shed=$((shed + $2))
done
echo "shadow: $mirrored mirrored, $shed shed" \
	"($(awk -v m=$mirrored -v s=$shed 'BEGIN {
		printf "%.1f", 100 * s / (m + s > 0 ? m + s : 1) }')% of" \
	"sampled requests)"
echo $ratios | tr ' ' '\n' | sort -n | awk '{ r[NR] = $1 } END {
	printf "with shadow / without, by round:"
	for (i = 1; i <= NR; i++) printf " %s", r[i]
	printf "; median %s (goal >= 0.90)\n", r[int((NR + 1) / 2)] }'
echo $pratios | tr ' ' '\n' | sort -n | awk '{ r[NR] = $1 } END {
	printf "p99 with shadow / without, by round:"
	for (i = 1; i <= NR; i++) printf " %s", r[i]
	printf "; median %s\n", r[int((NR + 1) / 2)] }'

# The paced pair.
run "paced, no shadow" 32 paced.lua
pbase=$p99_
mlops-shadow start bench --model bench/2 --sample 100 --name paced \
	--max-pairs "${BENCH_MAX_PAIRS:-100000}" >/dev/null
wait_shadow yes
run "paced, 100% shadow" 32 paced.lua
mlops-shadow stop paced >/dev/null
wait_shadow no
set -- $(mlops-shadow status --json paced | $PYTHON -c '
import json, sys; s = json.load(sys.stdin); print(s["mirrored"], s["shed"])')
echo "paced: $1 mirrored, $2 shed; p99 with shadow / without:" \
	"$(awk -v w="$p99_" -v b="$pbase" 'BEGIN { printf "%.2f", w / b }')"
report_row shadow "req/s, 100% mirrored to a 2nd model" "$(median_of with.rps)" \
	"the same gateway, no shadow" "$(median_of without.rps)" req/s \
	"$(tree_hwm "$gw")"
report_row shadow "p99, paced, 100% mirrored" "$p99_" \
	"the same, no shadow" "$pbase" us
