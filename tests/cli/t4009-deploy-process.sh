#!/bin/bash
# t4009-deploy-process.sh - the gateway as a process: serve --daemon
# returns once listening even when workers start with it, describe tells
# the truth as soon as serve or stop returns, and stop finds a gateway
# through the store whatever its pidfile.
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-deploy.sh"

# Two endpoints that start workers with the gateway: "ex" (exec runtime,
# echoes each line) and "hw" (http runtime, a tiny container answering
# /ping and /invocations). With $1, each worker first writes the
# descriptors it inherited to $1.ENDPOINT.PID (see list-fds.py).
provisioned_endpoints() {
	lister=
	if [ -n "$1" ]; then
		lister="$PYTHON $TEST_DIRECTORY/list-fds.py $1.\$MLOPS_ENDPOINT.\$\$"
	fi
	cat >hw.py <<-'PY' &&
	import sys
	from http.server import BaseHTTPRequestHandler, HTTPServer
	class H(BaseHTTPRequestHandler):
	    def reply(self, body):
	        self.send_response(200)
	        self.send_header("Content-Length", str(len(body)))
	        self.end_headers()
	        self.wfile.write(body)
	    def do_GET(self):
	        self.reply(b"")
	    def do_POST(self):
	        n = int(self.headers.get("Content-Length", 0))
	        self.reply(self.rfile.read(n))
	    def log_message(self, *args):
	        pass
	port = int(sys.argv[sys.argv.index("--port") + 1])
	HTTPServer(("127.0.0.1", port), H).serve_forever()
	PY
	echo "an echo worker" >ex.txt &&
	register_model ex ex.txt exec "$lister sed -u s/^/echo:/" >/dev/null &&
	register_model hw hw.py http "$lister $PYTHON hw.py" >/dev/null &&
	mlops-deploy create ex --model ex/1 --provisioned 1 &&
	mlops-deploy create hw --model hw/1 --provisioned 1
}

# Kill the daemons of the pidfiles named when the test's shell exits.
stop_on_exit() {
	trap "for f in $*; do test -s \$f && kill \$(cat \$f); done 2>/dev/null" EXIT
}

test_expect_success 'serve --daemon returns at once with provisioned exec and http workers' '
	provisioned_endpoints &&
	port=$(test_free_port) &&
	stop_on_exit "$MLOPS_STORE/gateway.pid" &&
	timeout 60 mlops-deploy serve --daemon --listen 127.0.0.1:$port \
		--log gw.log >out &&
	grep "^listening on http://127.0.0.1:$port$" out &&
	echo 1,2 | mlops-deploy invoke ex >got &&
	echo echo:1,2 >want && test_cmp want got &&
	echo 3,4 | mlops-deploy invoke hw >got &&
	echo 3,4 >want && test_cmp want got &&
	timeout 60 mlops-deploy stop
'
# wait_for_file GLOB: until a file matches (a worker wrote its list).
wait_for_file() {
	for i in $(seq 1 600); do
		ls $1 >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo >&2 "wait_for_file: no $1"
	return 1
}

# no_fds FILE...: every worker inherited nothing but 0, 1 and 2.
no_fds() {
	for f in "$@"; do
		test -f "$f" || return 1
		test ! -s "$f" || { echo >&2 "$f:"; cat >&2 "$f"; return 1; }
	done
}

test_expect_success 'workers inherit no descriptor but their standard ones' '
	provisioned_endpoints "$PWD/fds" &&
	start_gateway &&
	wait_for_file "fds.ex.*" && wait_for_file "fds.hw.*" &&
	echo 1,2 | mlops-deploy invoke ex --url "$URL" >/dev/null &&
	echo 1,2 | mlops-deploy invoke hw --url "$URL" >/dev/null &&
	mlops-deploy create hw2 --model hw/1 --provisioned 1 &&
	mlops-deploy create ex2 --model ex/1 --provisioned 1 &&
	wait_for_file "fds.hw2.*" && wait_for_file "fds.ex2.*" &&
	no_fds fds.*
'

test_expect_success 'workers of a daemon inherit no descriptor either' '
	provisioned_endpoints "$PWD/fds" &&
	port=$(test_free_port) &&
	stop_on_exit "$MLOPS_STORE/gateway.pid" &&
	timeout 60 mlops-deploy serve --daemon --listen 127.0.0.1:$port \
		--log gw.log >out &&
	wait_for_file "fds.ex.*" && wait_for_file "fds.hw.*" &&
	no_fds fds.* &&
	timeout 60 mlops-deploy stop
'
# fd_flags PID: each descriptor above 2 of PID, one "FD TARGET cloexec"
# or "FD TARGET inherit" a line.
fd_flags() {
	for f in /proc/$1/fdinfo/*; do
		fd=${f##*/}
		test "$fd" -gt 2 || continue
		flags=$(sed -n "s/^flags:[[:space:]]*//p" "$f") &&
		target=$(readlink /proc/$1/fd/$fd) || continue
		if test $((0$flags & 02000000)) = 0; then
			echo "$fd $target inherit"
		else
			echo "$fd $target cloexec"
		fi
	done
	return 0
}

# Without the http runtime: libcurl keeps a socket pair that is not
# close-on-exec (which is why workers get only 0, 1 and 2). A capture
# file stays open for a second after its last record: look while it is.
test_expect_success 'the gateway opens every descriptor close-on-exec' '
	provisioned_endpoints &&
	mlops-deploy delete hw &&
	mlops-deploy create cap --model ex/1 --capture 100 &&
	$PYTHON "$TEST_DIRECTORY/list-fds.py" inherited &&
	port=$(test_free_port) &&
	stop_on_exit "$MLOPS_STORE/gateway.pid" &&
	timeout 60 mlops-deploy serve --daemon --listen 127.0.0.1:$port \
		--log gw.log >out &&
	pid=$(cat "$MLOPS_STORE/gateway.pid") &&
	for i in $(seq 1 100); do
		echo 1,2 | mlops-deploy invoke cap >got &&
		fd_flags $pid >fds &&
		grep -q "\.part " fds && break
	done &&
	echo echo:1,2 >want && test_cmp want got &&
	grep "gw.log cloexec$" fds &&
	grep "mlops.db cloexec$" fds &&
	grep "\.part cloexec$" fds &&
	sed -n "s/ inherit$//p" fds | sort >got &&
	sort inherited >want && test_cmp want got &&
	timeout 60 mlops-deploy stop
'

# status ENDPOINT: the status describe shows.
status() {
	mlops-deploy describe "$1" | sed -n "s/^status: //p"
}

# An exec endpoint "ex" that echoes each line.
echo_endpoint() {
	echo "an echo worker" >ex.txt &&
	register_model ex ex.txt exec "sed -u s/^/echo:/" >/dev/null &&
	mlops-deploy create ex --model ex/1
}

test_expect_success 'describe is true as soon as serve --daemon or stop returns' '
	echo_endpoint &&
	test "$(status ex)" = OutOfService &&
	port=$(test_free_port) &&
	stop_on_exit "$MLOPS_STORE/gateway.pid" &&
	mlops-deploy serve --daemon --listen 127.0.0.1:$port >out &&
	test "$(status ex)" = InService &&
	mlops-deploy list --json | jq -e "select(.name == \"ex\") | .status == \"InService\"" &&
	mlops-deploy stop &&
	test "$(status ex)" = OutOfService &&
	! ls "$MLOPS_STORE/gateways/"*.json 2>/dev/null
'

test_expect_success 'describe is true once /ping answers and once the gateway exited' '
	echo_endpoint &&
	start_gateway &&
	test "$(status ex)" = InService &&
	kill -TERM $GW_PID && wait $GW_PID &&
	test "$(status ex)" = OutOfService
'

test_expect_success 'describe: a change is Creating or Updating until the gateway applies it' '
	echo_endpoint &&
	start_gateway &&
	register_model ex ex.txt exec "sed -u s/^/echo2:/" >/dev/null &&
	mlops-deploy create ex2 --model ex/1 &&
	case $(status ex2) in Creating|InService) ;; *) false ;; esac &&
	mlops-deploy update ex --model ex/2 &&
	case $(status ex) in Updating|InService) ;; *) false ;; esac &&
	for i in $(seq 1 600); do
		test "$(status ex)" = InService &&
		test "$(status ex2)" = InService && break
		sleep 0.1
	done &&
	test "$(status ex)" = InService && test "$(status ex2)" = InService
'

test_expect_success 'describe: a version that cannot load is Failed' '
	echo "not a model" >bad.json &&
	register_model bad bad.json >/dev/null &&
	mlops-deploy create bad --model bad/1 &&
	echo_endpoint &&
	start_gateway &&
	test "$(http_code POST "$URL/endpoints/bad/invocations" -d 1)" = 503 &&
	test "$(status bad)" = Failed &&
	test "$(status ex)" = InService
'

test_expect_success 'describe: a killed gateway is OutOfService at once' '
	echo_endpoint &&
	port=$(test_free_port) &&
	stop_on_exit "$MLOPS_STORE/gateway.pid" &&
	mlops-deploy serve --daemon --listen 127.0.0.1:$port >out &&
	test "$(status ex)" = InService &&
	pid=$(cat "$MLOPS_STORE/gateway.pid") &&
	kill -KILL $pid && rm "$MLOPS_STORE/gateway.pid" &&
	while process_alive $pid; do sleep 0.05; done &&
	test "$(status ex)" = OutOfService &&
	test_expect_code 4 mlops-deploy stop 2>err &&
	grep "no gateway running" err
'

test_expect_success 'stop finds a gateway started with a custom pidfile' '
	echo_endpoint &&
	port=$(test_free_port) &&
	stop_on_exit "$PWD/custom.pid" &&
	mlops-deploy serve --daemon --pidfile custom.pid \
		--listen 127.0.0.1:$port >out &&
	pid=$(cat custom.pid) &&
	! test -e "$MLOPS_STORE/gateway.pid" &&
	timeout 60 mlops-deploy stop &&
	! process_alive $pid &&
	! test -e custom.pid &&
	test "$(status ex)" = OutOfService &&
	test_expect_code 4 mlops-deploy stop 2>err &&
	grep "no gateway running" err
'

test_expect_success 'stop stops every gateway of the store, --pidfile only its own' '
	echo_endpoint &&
	p1=$(test_free_port) && p2=$(test_free_port) && p3=$(test_free_port) &&
	stop_on_exit one.pid two.pid three.pid &&
	mlops-deploy serve --daemon --pidfile one.pid --listen 127.0.0.1:$p1 &&
	mlops-deploy serve --daemon --pidfile two.pid --listen 127.0.0.1:$p2 &&
	mlops-deploy serve --daemon --pidfile three.pid --listen 127.0.0.1:$p3 &&
	pids=$(cat one.pid two.pid three.pid) &&
	timeout 60 mlops-deploy stop --pidfile one.pid &&
	! test -e one.pid && test -e two.pid && test -e three.pid &&
	test "$(status ex)" = InService &&
	timeout 60 mlops-deploy stop &&
	for p in $pids; do ! process_alive $p || exit 1; done &&
	test "$(status ex)" = OutOfService
'
test_done
