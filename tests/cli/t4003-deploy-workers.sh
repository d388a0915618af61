#!/bin/bash
# t4003-deploy-workers.sh - exec and http runtimes with serverless
# semantics: cold start measured and recorded, scale to zero, provisioned
# workers, 429 beyond max concurrency, 502 when a worker dies (and its
# restart), 504 past the timeout, a Flask app as bring-your-own container.
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-deploy.sh"

# An exec worker: sums each CSV line; "sleep" sleeps 1 s first, a
# negative first value exits 3, an empty line is a model error.
write_exec_worker() {
	cat >worker.py <<-'PY'
	import sys, time
	for line in sys.stdin:
	    line = line.strip()
	    if line == "sleep":
	        time.sleep(1); print("slept", flush=True); continue
	    v = [float(x) for x in line.split(",") if x]
	    if not v:
	        print("ERROR: no values", flush=True); continue
	    if v[0] < 0:
	        sys.exit(3)
	    print(sum(v), flush=True)
	PY
}

# A SageMaker-style container: GET /ping, POST /invocations, --port.
write_flask_app() {
	cat >app.py <<-'PY'
	import sys
	from flask import Flask, request
	app = Flask(__name__)
	@app.route("/ping")
	def ping():
	    return ""
	@app.route("/invocations", methods=["POST"])
	def invocations():
	    rows = [l for l in request.get_data(as_text=True).splitlines() if l]
	    if rows and rows[0] == "fail":
	        return "cannot score that", 400
	    out = "\n".join(str(sum(float(x) for x in r.split(","))) for r in rows)
	    return out + "\n", 200, {"Content-Type": "text/csv"}
	app.run(host="127.0.0.1", port=int(sys.argv[sys.argv.index("--port") + 1]))
	PY
}

metric() {
	curl -s "$URL/metrics" | sed -n "s/^$1{endpoint=\"$2\"} //p"
}

test_expect_success 'exec: no worker until the first request, which is a cold start' '
	write_exec_worker &&
	register_model sum worker.py exec "$PYTHON worker.py" >/dev/null &&
	mlops-deploy create sum --model sum/1 &&
	start_gateway &&
	test "$(metric mlops_workers sum)" = 0 &&
	printf "1,2\n3,4.5\n" | mlops-deploy invoke sum --url "$URL" >got &&
	printf "3.0\n7.5\n" >want &&
	test_cmp want got &&
	test "$(metric mlops_workers sum)" = 1 &&
	test "$(metric mlops_cold_starts_total sum)" = 1 &&
	printf "5,5\n" | mlops-deploy invoke sum --url "$URL" >got &&
	echo 10.0 >want && test_cmp want got &&
	test "$(metric mlops_cold_starts_total sum)" = 1 &&
	kill -TERM $GW_PID && wait $GW_PID &&
	sqlite3 "$MLOPS_STORE/mlops.db" "SELECT endpoint, model, duration_us > 0 FROM endpoint_cold_start" >cs &&
	echo "sum|sum/1|1" >want && test_cmp want cs &&
	mlops-deploy describe sum >d &&
	grep "^counters.cold_starts: 1$" d &&
	grep "^counters.last_cold_start_s: 0\.[0-9]" d
'

test_expect_success 'exec: idle workers stop (scale to zero), the next request cold-starts' '
	write_exec_worker &&
	register_model sum worker.py exec "$PYTHON worker.py" >/dev/null &&
	mlops-deploy create sum --model sum/1 --idle-timeout 500ms &&
	start_gateway &&
	echo 1,1 | mlops-deploy invoke sum --url "$URL" >/dev/null &&
	test "$(metric mlops_workers sum)" = 1 &&
	for i in $(seq 1 60); do
		test "$(metric mlops_workers sum)" = 0 && break
		sleep 0.1
	done &&
	test "$(metric mlops_workers sum)" = 0 &&
	echo 2,2 | mlops-deploy invoke sum --url "$URL" >got &&
	echo 4.0 >want && test_cmp want got &&
	test "$(metric mlops_cold_starts_total sum)" = 2
'

test_expect_success 'exec: --provisioned keeps workers warm past the idle timeout' '
	write_exec_worker &&
	register_model sum worker.py exec "$PYTHON worker.py" >/dev/null &&
	mlops-deploy create sum --model sum/1 --idle-timeout 300ms --provisioned 2 &&
	start_gateway &&
	for i in $(seq 1 50); do
		test "$(metric mlops_workers sum)" = 2 && break
		sleep 0.1
	done &&
	sleep 1 &&
	test "$(metric mlops_workers sum)" = 2 &&
	echo 1,2 | mlops-deploy invoke sum --url "$URL" >/dev/null &&
	test "$(metric mlops_cold_starts_total sum)" = 0
'

test_expect_success 'exec: beyond max concurrency the gateway answers 429 at once' '
	write_exec_worker &&
	register_model sum worker.py exec "$PYTHON worker.py" >/dev/null &&
	mlops-deploy create sum --model sum/1 --max-concurrency 2 &&
	start_gateway &&
	for i in 1 2 3 4 5 6; do
		curl -s -o /dev/null -w "%{http_code} %{time_total}\n" \
			-H "Content-Type: text/csv" -d sleep \
			"$URL/endpoints/sum/invocations" >>codes &
	done &&
	wait_jobs=$(jobs -p | grep -v "^$GW_PID$") &&
	for j in $wait_jobs; do wait $j; done &&
	test "$(grep -c "^200 " codes)" = 2 &&
	test "$(grep -c "^429 " codes)" = 4 &&
	grep "^429 0\.[0-4]" codes &&
	curl -s "$URL/metrics" | grep "mlops_requests_total{endpoint=\"sum\",code=\"429\"} 4"
'

test_expect_success 'exec: a worker that dies fails its request (502) and is restarted' '
	write_exec_worker &&
	register_model sum worker.py exec "$PYTHON worker.py" >/dev/null &&
	mlops-deploy create sum --model sum/1 &&
	start_gateway &&
	test "$(http_code POST "$URL/endpoints/sum/invocations" -H "Content-Type: text/csv" -d "-1,2")" = 502 &&
	grep "worker exited with status 3" body.out &&
	test "$(http_code POST "$URL/endpoints/sum/invocations" -H "Content-Type: text/csv" -d ",")" = 424 &&
	grep "ModelError.*no values" body.out &&
	echo 1,2 | mlops-deploy invoke sum --url "$URL" >got &&
	echo 3.0 >want && test_cmp want got
'

test_expect_success 'exec: a model error quoting bytes that are not UTF-8 is a 424' '
	echo "an echo worker" >echo.txt &&
	register_model echo echo.txt exec "sed -u \"s/^/ERROR: bad value /\"" >/dev/null &&
	mlops-deploy create echo --model echo/1 &&
	start_gateway &&
	printf "caf\\303" >bad.csv &&
	test "$(http_code POST "$URL/endpoints/echo/invocations" -H "Content-Type: text/csv" --data-binary @bad.csv)" = 424 &&
	grep "{\"error\":\"ModelError\",\"message\":\"bad value caf?\"}" body.out &&
	test "$(http_code POST "$URL/endpoints/echo/invocations" -d abc)" = 424 &&
	grep "bad value abc" body.out
'

test_expect_success 'exec: past --timeout the request gets 504' '
	write_exec_worker &&
	register_model sum worker.py exec "$PYTHON worker.py" >/dev/null &&
	mlops-deploy create sum --model sum/1 --timeout 300ms &&
	start_gateway &&
	echo 1 | mlops-deploy invoke sum --url "$URL" >/dev/null &&
	test "$(http_code POST "$URL/endpoints/sum/invocations" -H "Content-Type: text/csv" -d sleep)" = 504 &&
	grep "Timeout" body.out &&
	echo 1,2 | mlops-deploy invoke sum --url "$URL" >got &&
	echo 3.0 >want && test_cmp want got
'

test_expect_success 'SIGTERM lets an in-flight request finish, then exits 0' '
	write_exec_worker &&
	register_model sum worker.py exec "$PYTHON worker.py" >/dev/null &&
	mlops-deploy create sum --model sum/1 &&
	start_gateway || exit 1
	echo 1 | mlops-deploy invoke sum --url "$URL" >/dev/null &&
	{ curl -s -o slow.out -w "%{http_code}" -H "Content-Type: text/csv" \
		-d sleep "$URL/endpoints/sum/invocations" >slow.code & } &&
	sleep 0.3 &&
	kill -TERM $GW_PID &&
	wait $GW_PID &&
	wait &&
	test "$(cat slow.code)" = 200 &&
	echo slept >want && test_cmp want slow.out &&
	grep "stopped" gw.log
'

test_expect_success 'exec: an entry command that cannot start is a 502 naming why' '
	write_exec_worker &&
	register_model sum worker.py exec "/nonexistent/serve" >/dev/null &&
	mlops-deploy create sum --model sum/1 &&
	start_gateway &&
	test "$(http_code POST "$URL/endpoints/sum/invocations" -H "Content-Type: text/csv" -d 1)" = 502 &&
	grep "worker exited with status 127" body.out
'

test_expect_success 'http: a Flask app gets traffic once /ping answers' '
	write_flask_app &&
	register_model byoc app.py http "$PYTHON app.py" >/dev/null &&
	mlops-deploy create byoc --model byoc/1 --idle-timeout 1s &&
	start_gateway &&
	test "$(metric mlops_workers byoc)" = 0 &&
	printf "1,2\n3,4\n" | mlops-deploy invoke byoc --url "$URL" >got &&
	printf "3.0\n7.0\n" >want && test_cmp want got &&
	test "$(metric mlops_cold_starts_total byoc)" = 1 &&
	test "$(http_code POST "$URL/endpoints/byoc/invocations" -H "Content-Type: text/csv" -d fail)" = 424 &&
	grep "the model answered 400: cannot score that" body.out &&
	for i in $(seq 1 60); do
		test "$(metric mlops_workers byoc)" = 0 && break
		sleep 0.1
	done &&
	test "$(metric mlops_workers byoc)" = 0
'
test_done
