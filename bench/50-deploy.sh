# 50-deploy.sh - inference serving, side by side on the same XGBoost
# model (100 trees, depth 6, 20 features) and the same one-row CSV
# requests, measured with wrk at 1 and 64 connections:
#   (a) mlops-deploy serve (libmicrohttpd, native tree evaluator)
#   (b) gunicorn + Flask + python3-xgboost, 2 x cores + 1 sync workers
#   (c) nginx serving a static file of the response's size: the ceiling
#       of this machine's HTTP stack
# and the cold start of an exec endpoint (a Python worker that imports
# xgboost and loads the model) against its warm latency.
set -e
DUR=${BENCH_SECONDS:-5}
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
url_a=http://127.0.0.1:$pa/endpoints/bench/invocations

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
pb=$(free_port)
OMP_NUM_THREADS=1 timeout 600 gunicorn -w $((2 * cores + 1)) -b 127.0.0.1:$pb --log-level error \
	app:app >gunicorn.log 2>&1 &
pids="$pids $!"
url_b=http://127.0.0.1:$pb/invocations

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

for i in $(seq 1 100); do
	curl -sf -o a.out -H "Content-Type: text/csv" --data-binary @row.csv "$url_a" &&
	curl -sf -o b.out -H "Content-Type: text/csv" --data-binary @row.csv "$url_b" &&
	break
	sleep 0.2
done
cp a.out ngx/html/resp.txt
chmod a+r ngx/html/resp.txt
nginx -c "$PWD/ngx/nginx.conf" -p "$PWD/ngx" -g 'daemon on;' 2>/dev/null
trap 'cleanup; kill $(cat ngx/nginx.pid) 2>/dev/null' EXIT
url_c=http://127.0.0.1:$pc/resp.txt
sleep 0.3
echo "prediction: gateway $(tr -d '\n' <a.out), gunicorn+flask" \
	"$(tr -d '\n' <b.out), nginx file $(curl -s -d x $url_c | tr -d '\n')"

printf "%-30s %6s %10s %10s %10s\n" server conns req/s p50_us p99_us
for c in 1 64; do
	for who in a b c; do
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
for c in 1 64; do
	eval a=\$rps_a$c b=\$rps_b$c cc=\$rps_c$c pa99=\$p99_a$c pb99=\$p99_b$c
	awk -v a="$a" -v b="$b" -v c="$cc" -v pa="$pa99" -v pb="$pb99" \
	    -v n="$c" 'BEGIN {
		printf "%2d connections: a/b %.1fx req/s, a/c %.2f, p99 a/b %.3f\n",
			n, a / b, a / c, pa / pb }'
done

# Cold start of an exec endpoint: a Python worker importing xgboost.
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
sleep 0.5
ms() { echo $(( ($2 - $1) / 1000 )); }
t0=$(date +%s%N); mlops-deploy invoke bench-exec <row.csv >/dev/null
t1=$(date +%s%N); mlops-deploy invoke bench-exec <row.csv >/dev/null
t2=$(date +%s%N)
sleep 2.5	# past the idle timeout: scaled to zero
t3=$(date +%s%N); mlops-deploy invoke bench-exec <row.csv >/dev/null
t4=$(date +%s%N)
awk -v c1="$(ms $t0 $t1)" -v w="$(ms $t1 $t2)" -v c2="$(ms $t3 $t4)" 'BEGIN {
	printf "exec endpoint (python3 worker importing xgboost), as seen by invoke:\n"
	printf "  cold start %.1f ms, warm %.1f ms, after scale to zero %.1f ms\n",
		c1 / 1000, w / 1000, c2 / 1000 }'
# The gateway's own share of a cold start: a worker that is only sed.
mlops-registry register bench-sed --artifact row.csv --framework exec \
	--entry "sed -u s/^/ok,/" --status Approved >/dev/null
mlops-deploy create bench-sed --model bench-sed/1 >/dev/null
sleep 0.5
mlops-deploy invoke bench-sed <row.csv >/dev/null
kill -TERM $(echo $pids | cut -d" " -f1) 2>/dev/null || true
sleep 1
sqlite3 .mlops/mlops.db "SELECT endpoint, duration_us FROM endpoint_cold_start" |
	awk -F'|' '{ printf "  recorded by the gateway: %s %.1f ms\n", $1, $2 / 1000 }'
