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

# Kill the daemon of pidfile $1 when the test's shell exits.
stop_on_exit() {
	trap "test -s $1 && kill \$(cat $1) 2>/dev/null" EXIT
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
# not_cloexec PID: the descriptors above 2 of PID without close-on-exec,
# as list-fds.py prints them.
not_cloexec() {
	for f in /proc/$1/fdinfo/*; do
		fd=${f##*/}
		test "$fd" -gt 2 || continue
		flags=$(sed -n "s/^flags:[[:space:]]*//p" "$f") || continue
		test $((0$flags & 02000000)) = 0 &&
			echo "$fd $(readlink /proc/$1/fd/$fd)"
	done
	return 0
}

# Without the http runtime: libcurl keeps a socket pair that is not
# close-on-exec (which is why workers get only 0, 1 and 2).
test_expect_success 'the gateway opens every descriptor close-on-exec' '
	provisioned_endpoints &&
	mlops-deploy delete hw &&
	mlops-deploy create cap --model ex/1 --capture 100 &&
	$PYTHON "$TEST_DIRECTORY/list-fds.py" inherited &&
	port=$(test_free_port) &&
	stop_on_exit "$MLOPS_STORE/gateway.pid" &&
	timeout 60 mlops-deploy serve --daemon --listen 127.0.0.1:$port \
		--log gw.log >out &&
	echo 1,2 | mlops-deploy invoke cap >got &&
	echo echo:1,2 >want && test_cmp want got &&
	ls "$MLOPS_STORE"/capture/cap/*/*/*/*/.*.part &&
	not_cloexec $(cat "$MLOPS_STORE/gateway.pid") >open &&
	sort inherited >want && sort open >got && test_cmp want got &&
	timeout 60 mlops-deploy stop
'
test_done
