#!/bin/bash
# t4030-deploy-threads.sh - the gateway's HTTP threads share the load:
# its acceptor hands each new connection to the thread with the fewest,
# where threads sharing one listening socket let the first that woke
# take a whole burst; the caps on connections stay the gateway's,
# whichever thread a connection lands on.
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-deploy.sh"

# gateway_pid: the pid of the gateway start_gateway runs under timeout.
gateway_pid() {
	ps -o pid= --ppid "$GW_PID" | tr -d " "
}

test_expect_success '--threads N runs N HTTP threads' '
	GW_OPTS="--threads 3" start_gateway &&
	pid=$(gateway_pid) &&
	test -n "$pid" &&
	cat /proc/$pid/task/*/comm >comms &&
	test "$(grep -c "^MHD-" comms)" = 3
'

# burst PID PORT CONNS: keep one HTTP thread of the gateway PID (those
# of libmicrohttpd, named MHD-*) busy with a large prediction, open CONNS
# keep-alive connections at once meanwhile, and once the large answer is
# back send requests on all of them until the HTTP threads used 1.5 s of
# CPU between them (or 90 s pass); print the CPU ticks each HTTP thread
# used on them, one a line.
burst() {
	PYTHONPATH=$TEST_DIRECTORY $PYTHON - "$@" <<-'PY'
	import os, selectors, socket, sys, time
	from lib_gateway import answer, http_thread_ticks, request
	pid, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
	hz = os.sysconf("SC_CLK_TCK")
	def ticks():
	    return http_thread_ticks(pid)
	# The large request: the thread that reads it is busy predicting.
	big = socket.create_connection(("127.0.0.1", port))
	start = ticks()
	big.sendall(request("1.5,-0.5,0.25,2,-1\n" * 400000))
	end = time.time() + 60
	while time.time() < end and max(ticks()[t] - start.get(t, 0)
	                                for t in start) < hz // 10:
	    time.sleep(0.01)
	socks = []
	for i in range(n):
	    s = socket.socket()
	    s.setblocking(False)
	    s.connect_ex(("127.0.0.1", port))
	    socks.append(s)
	big.settimeout(60)
	if not answer(big).startswith(b"HTTP/1.1 200"):
	    sys.exit("the large request failed")
	req = request("1,2,3,4,5\n")
	sel = selectors.DefaultSelector()
	for s in socks:
	    sel.register(s, selectors.EVENT_WRITE)
	start = ticks()
	end = time.time() + 90
	while time.time() < end:
	    for key, ev in sel.select(1):
	        s = key.fileobj
	        if ev & selectors.EVENT_WRITE:
	            s.sendall(req)
	            sel.modify(s, selectors.EVENT_READ)
	            continue
	        got = s.recv(65536)
	        if not got:
	            sys.exit("a connection was closed")
	        if b"\r\n\r\n" in got:
	            s.sendall(req)
	    now = ticks()
	    used = [now[t] - start.get(t, 0) for t in now]
	    if sum(used) >= 1.5 * hz:
	        break
	for u in used:
	    print(u)
	PY
}

test_expect_success 'a burst of connections is served by every HTTP thread' '
	train_model m.json 5 300 &&
	register_model churn m.json >/dev/null &&
	mlops-deploy create churn --model churn/1 --max-payload 16MB &&
	start_gateway &&
	pid=$(gateway_pid) &&
	burst "$pid" "$GW_PORT" 64 >ticks &&
	cat ticks &&
	test_line_count = 2 ticks &&
	total=$(awk "{ s += \$1 } END { print s }" ticks) &&
	least=$(sort -n ticks | head -1) &&
	test $((least * 8)) -ge "$total"
'

# hold PORT N STOP: open N connections, get an answer to one request on
# each, then print "open N" and keep them until the file STOP exists
# (60 s at most, should the test fail before it makes STOP).
hold() {
	$PYTHON - "$@" <<-'PY'
	import os, socket, sys, time
	port, n = int(sys.argv[1]), int(sys.argv[2])
	socks = []
	for i in range(n):
	    s = socket.create_connection(("127.0.0.1", port))
	    s.settimeout(10)
	    s.sendall(b"GET /ping HTTP/1.1\r\nHost: x\r\n\r\n")
	    got = b""
	    while b"\r\n\r\n" not in got:
	        part = s.recv(4096)
	        if not part:
	            sys.exit("connection %d closed" % (i + 1))
	        got += part
	    socks.append(s)
	print("open", n, flush=True)
	end = time.time() + 60
	while not os.path.exists(sys.argv[3]) and time.time() < end:
	    time.sleep(0.02)
	PY
}

# At the cap, new connections wait in the listen queue (curl times
# out, exit 28, rather than seeing its connection closed) until one
# closes.
test_expect_success 'the connection cap is a total across HTTP threads' '
	GW_OPTS="--max-connections 6" start_gateway &&
	{ hold "$GW_PORT" 6 stop >held & hp=$!; } &&
	for i in $(seq 1 200); do
		grep -q "^open 6$" held && break
		kill -0 $hp 2>/dev/null || break
		sleep 0.05
	done &&
	grep "^open 6$" held &&
	test_expect_code 28 curl -s -m 1 -o /dev/null "$URL/ping" &&
	{ curl -s -m 60 -o /dev/null -w "%{http_code}" "$URL/ping" >queued &
	  cp=$!; } &&
	>stop &&
	wait $hp &&
	wait $cp &&
	test "$(cat queued)" = 200
'

test_done
