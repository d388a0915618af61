# 50-deploy.sh - inference serving, side by side on the same XGBoost
# model (100 trees, depth 6, 20 features) and the same one-row CSV
# requests, measured with wrk at 1 and 64 connections:
#   (a) mlops-deploy serve (libmicrohttpd, native tree evaluator)
#   (b) gunicorn + Flask + python3-xgboost, 2 x cores + 1 sync workers
#   (c) nginx serving a static file of the response's size: the ceiling
#       of this machine's HTTP stack
# and the cold start of an exec endpoint (a Python worker that imports
# xgboost and loads the model): the time from a request to its answer
# when the endpoint is scaled to zero (curl's time_total, median of
# BENCH_COLD_RUNS, 5 [2 in the quick mode]), next to its warm latency and
# to the same worker run by hand on the same row. Peak RSS of each server
# is VmHWM summed over its processes. BENCH_SECONDS (5 [2]) is each wrk
# run's length. Without gunicorn or flask, or nginx, that peer is left out.
set -e
. "$BENCH_DIR/lib-report.sh"
DUR=${BENCH_SECONDS:-$(quick 2 5)}
cores=$(nproc)
. "$BENCH_DIR/lib-wrk.sh"
pids=
cleanup() { for p in $pids; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

$PYTHON - <<'PY'
import numpy as np, xgboost as xgb
rng = np.random.default_rng(7)
X = rng.normal(size=(20000, 20))
y = (X[:, 0] + X[:, 1] * X[:, 2] - X[:, 3] > 0).astype(int)
b = xgb.train({"max_depth": 6, "objective": "binary:logistic", "eta": 0.1},
              xgb.DMatrix(X, label=y), num_boost_round=100)
b.save_model("model.json")
np.savetxt("row.csv", X[:1], delimiter=",", fmt="%.6f")
PY
cat > post.lua <<'LUA'
wrk.method = "POST"
wrk.body = io.open("row.csv"):read("a")
wrk.headers["Content-Type"] = "text/csv"
LUA

# (a) the gateway
mlops init >/dev/null
mlops-registry register bench --artifact model.json --framework xgboost \
	--status Approved >/dev/null
mlops-deploy create bench --model bench/1 >/dev/null
pa=$(free_port)
timeout 600 mlops-deploy serve --listen 127.0.0.1:$pa --log gw.log >/dev/null &
pids="$pids $!"
pid_a=$!
url_a=http://127.0.0.1:$pa/endpoints/bench/invocations
servers=a

# (b) gunicorn + Flask + python3-xgboost, configured fairly: one OpenMP
# thread per worker process (the default oversubscribes the cores).
cat > app.py <<'PY'
import numpy as np, xgboost as xgb
from flask import Flask, request, Response
app = Flask(__name__)
booster = xgb.Booster(model_file="model.json")
booster.set_param("nthread", 1)	# one request per worker process
@app.route("/invocations", methods=["POST"])
def invocations():
    rows = np.loadtxt(request.get_data(as_text=True).splitlines(),
                      delimiter=",", ndmin=2)
    pred = booster.inplace_predict(rows)
    return Response("".join("%.9g\n" % p for p in pred), mimetype="text/csv")
PY
if have_peer "gunicorn+flask+xgboost" sh -c \
	'command -v gunicorn && "$PYTHON" -c "import flask"'; then
	pb=$(free_port)
	OMP_NUM_THREADS=1 timeout 600 gunicorn -w $((2 * cores + 1)) \
		-b 127.0.0.1:$pb --log-level error app:app >gunicorn.log 2>&1 &
	pids="$pids $!"
	pid_b=$!
	url_b=http://127.0.0.1:$pb/invocations
	servers="$servers b"
fi

# (c) nginx, a static file of the response's size
pc=$(free_port)
mkdir -p ngx/html ngx/tmp ngx/logs
chmod a+rx . ngx ngx/html	# nginx workers run as an unprivileged user
cat > ngx/nginx.conf <<NGINX
worker_processes $cores;
pid $PWD/ngx/nginx.pid;
error_log $PWD/ngx/logs/error.log;
events { worker_connections 4096; }
http {
	access_log off;
	client_body_temp_path $PWD/ngx/tmp;
	server {
		listen 127.0.0.1:$pc;
		root $PWD/ngx/html;
		location / { error_page 405 =200 \$uri; }
	}
}
NGINX

# answers WHO...: until each server answers the row (up to 60 s).
post() { curl -sf -o "$2" -H "Content-Type: text/csv" --data-binary @row.csv "$1"; }
for i in $(seq 1 300); do
	post "$url_a" a.out && { [ -z "$url_b" ] || post "$url_b" b.out; } &&
	break
	sleep 0.2
done
cp a.out ngx/html/resp.txt
chmod a+r ngx/html/resp.txt
if have_peer "nginx (the ceiling)" command -v nginx; then
	nginx -c "$PWD/ngx/nginx.conf" -p "$PWD/ngx" -g 'daemon on;' 2>/dev/null
	trap 'cleanup; kill $(cat ngx/nginx.pid) 2>/dev/null' EXIT
	url_c=http://127.0.0.1:$pc/resp.txt
	for i in $(seq 1 100); do
		curl -sf -d x -o c.out "$url_c" && break
		sleep 0.1
	done
	pid_c=$(cat ngx/nginx.pid)
	servers="$servers c"
fi
echo "prediction: gateway $(tr -d '\n' <a.out), gunicorn+flask" \
	"$(tr -d '\n' <b.out 2>/dev/null || echo -), nginx file" \
	"$(tr -d '\n' <c.out 2>/dev/null || echo -)"

printf "%-30s %6s %10s %10s %10s\n" server conns req/s p50_us p99_us
for c in 1 64; do
	for who in $servers; do
		eval url=\$url_$who
		wrk_run "$url" "$c" >/dev/null 2>&1 || true	# warm up
		set -- $(wrk_run "$url" "$c")
		eval rps_$who$c=$1 p50_$who$c=$2 p99_$who$c=$3
		case $who in
		a) name="(a) mlops-deploy" ;;
		b) name="(b) gunicorn+flask+xgboost" ;;
		c) name="(c) nginx static" ;;
		esac
		printf "%-30s %6s %10s %10s %10s\n" "$name" "$c" "$1" "$2" "$3"
		[ "${4:-0}" = 0 ] || echo "  ($4 non-2xx responses)"
	done
done
# Peak RSS: the gateway and gunicorn run under timeout(1): their
# processes are its children; nginx's are its master's.
for who in a b c; do
	eval pid=\$pid_$who
	[ "$who" = c ] || pid=$(cat /proc/$pid/task/*/children 2>/dev/null)
	eval kb_$who=$([ -n "$pid" ] && tree_hwm $pid || echo -)
done
printf "%-30s %14s\n" server "peak RSS MB"
for who in $servers; do
	case $who in
	a) name="(a) mlops-deploy" ;;
	b) name="(b) gunicorn+flask+xgboost" ;;
	c) name="(c) nginx static" ;;
	esac
	eval kb=\$kb_$who
	awk -v n="$name" -v kb="$kb" 'BEGIN { printf "%-30s %14.1f\n", n, kb / 1024 }'
done
for c in 1 64; do
	eval a=\$rps_a$c b=\${rps_b$c:--} cc=\${rps_c$c:--} pa99=\$p99_a$c \
		pb99=\${p99_b$c:--}
	awk -v a="$a" -v b="$b" -v c="$cc" -v pa="$pa99" -v pb="$pb99" \
	    -v n="$c" 'BEGIN {
		printf "%2d connections:", n
		if (b != "-") printf " a/b %.1fx req/s, p99 a/b %.3f;", a / b, pa / pb
		if (c != "-") printf " a/c %.2f", a / c
		printf "\n" }'
	report_row serving "req/s, $c connection(s)" "$a" "gunicorn+flask+xgboost" \
		"$b" req/s "$kb_a" "$kb_b"
	report_row serving "p99, $c connection(s)" "$pa99" "gunicorn+flask+xgboost" \
		"$pb99" us
	report_row serving "req/s, $c connection(s)" "$a" "nginx static file (ceiling)" \
		"$cc" req/s "$kb_a" "$kb_c"
done

# Cold start of an exec endpoint: a Python worker importing xgboost,
# scaled to zero after 1 s idle. Each cold request is sent once GET
# /endpoints shows no worker left.
cat > worker.py <<'PY'
import sys, numpy as np, xgboost as xgb
b = xgb.Booster(model_file="model.json")
for line in sys.stdin:
    x = np.array([[float(v) for v in line.split(",")]])
    print("%.9g" % b.inplace_predict(x)[0], flush=True)
PY
mlops-registry register bench-exec --artifact worker.py --artifact model.json \
	--framework exec --entry "$PYTHON worker.py" --status Approved >/dev/null
mlops-deploy create bench-exec --model bench-exec/1 --idle-timeout 1s >/dev/null
url_e=http://127.0.0.1:$pa/endpoints/bench-exec/invocations
# workers: bench-exec's running workers, as the gateway says ("" until
# it knows the endpoint).
workers() {
	curl -sf "http://127.0.0.1:$pa/endpoints" |
		jq -r '.[] | select(.name == "bench-exec") | .workers'
}
# ms_of: curl's time_total of one request, in milliseconds.
ms_of() {
	curl -sf -o /dev/null -w '%{time_total}\n' -H "Content-Type: text/csv" \
		--data-binary @row.csv "$url_e" | awk '{ printf "%.1f\n", $1 * 1000 }'
}
cold_runs=${BENCH_COLD_RUNS:-$(quick 2 5)}
: >cold.ms; : >warm.ms; : >byhand.t
for r in $(seq "$cold_runs"); do
	for i in $(seq 1 600); do
		[ "$(workers)" = 0 ] && break
		sleep 0.05
	done
	ms_of >>cold.ms
	ms_of >>warm.ms
	timed byhand.t "$PYTHON" worker.py <row.csv >/dev/null
done
cold=$(median_of cold.ms) warm=$(median_of warm.ms)
read -r hand_s hand_c hand_kb < <(median_cols byhand.t)
hand=$(awk -v s="$hand_s" 'BEGIN { printf "%.1f", s * 1000 }')
echo "exec endpoint (python3 worker importing xgboost), request to answer"
echo "(curl time_total, median of $cold_runs):"
echo "  scaled to zero (cold start) $cold ms, warm $warm ms;" \
	"the worker run by hand on the row: $hand ms"
report_row "cold start" "scaled to zero: request to answer" "$cold" \
	"python3 worker.py run by hand" "$hand" ms - "$hand_kb"
report_row "cold start" "warm request (same endpoint)" "$warm" - - ms
# The gateway's own share of a cold start: a worker that is only sed.
mlops-registry register bench-sed --artifact row.csv --framework exec \
	--entry "sed -u s/^/ok,/" --status Approved >/dev/null
mlops-deploy create bench-sed --model bench-sed/1 >/dev/null
sleep 0.5
mlops-deploy invoke bench-sed <row.csv >/dev/null
kill -TERM "$pid_a" 2>/dev/null || true
for i in $(seq 1 200); do
	kill -0 "$pid_a" 2>/dev/null || break
	sleep 0.05
done
sqlite3 .mlops/mlops.db "SELECT endpoint, duration_us FROM endpoint_cold_start" |
	awk -F'|' '{ printf "  recorded by the gateway: %s %.1f ms\n", $1, $2 / 1000 }'
