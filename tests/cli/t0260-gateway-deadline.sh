#!/bin/bash
# t0260-gateway-deadline.sh - the gateway's header deadline measures the
# client, not the gateway: a connection whose request waits unread while
# its HTTP thread is busy (a loaded machine, a long prediction) is
# answered, however long it waited; one whose client is slow is still
# cut off (t0230 and t4007 attack with many of them).
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-deploy.sh"

# stall PID PORT: on the gateway PID with one HTTP thread and a header
# timeout of 2 s, open a connection and see the thread take it in (a
# /ping after it is answered, so its header deadline runs), keep the
# thread busy with a large prediction (once it has used 0.1 s of CPU on
# it, more than reading the body takes), and send a small request whole
# on the first connection meanwhile, within 1 s of opening it. The rows
# of the large one double until the small request's headers waited
# unread until 1.5 s past their deadline; a try whose small request
# could not be sent within 1 s (a loaded machine) is repeated. Prints
# the small request's status line ("closed" if the gateway closed it
# unanswered).
stall() {
	PYTHONPATH=$TEST_DIRECTORY $PYTHON - "$@" <<-'PY'
	import os, select, socket, sys, time
	from lib_gateway import answer as answer_head, http_thread_ticks, request
	pid, port = sys.argv[1], int(sys.argv[2])
	hz = os.sysconf("SC_CLK_TCK")
	def ticks():
	    return sum(http_thread_ticks(pid).values())
	def answer(s):
	    return answer_head(s).split(b"\r\n")[0]
	rows, tries = 50000, 0
	while True:
	    tries += 1
	    # Built before the connection opens: a client that takes longer
	    # than the header timeout to send its headers is closed.
	    body = request("1.5,-0.5,0.25,2,-1\n" * rows)
	    small = socket.create_connection(("127.0.0.1", port))
	    small.settimeout(120)
	    ping = socket.create_connection(("127.0.0.1", port))
	    ping.settimeout(60)
	    ping.sendall(b"GET /ping HTTP/1.1\r\nHost: x\r\n\r\n")
	    answer(ping)
	    ping.close()
	    taken = time.time()
	    start = ticks()
	    big = socket.create_connection(("127.0.0.1", port))
	    big.settimeout(120)
	    big.sendall(body)
	    end = time.time() + 60
	    while (ticks() - start < hz // 10 and time.time() < end and
	           not select.select([big], [], [], 0.01)[0]):
	        pass
	    sent = time.time()
	    small.sendall(request("1,2,3,4,5\n"))
	    status = answer(big)
	    waited = time.time() - taken
	    big.close()
	    if status != b"HTTP/1.1 200 OK":
	        sys.exit("the large request: %s" % status)
	    got = answer(small)
	    small.close()
	    print("%d rows: %s, sent after %.1f s, read after %.1f s" %
	          (rows, got.decode(), sent - taken, waited), file=sys.stderr)
	    if tries > 20:
	        sys.exit("too loaded to tell")
	    if sent - taken >= 1:
	        continue
	    if got != b"HTTP/1.1 200 OK" or waited >= 3.5 or rows >= 1600000:
	        break
	    rows *= 2
	print(got.decode())
	PY
}

test_expect_success 'a request queued behind a busy thread is answered' '
	train_model m.json 5 1000 &&
	register_model churn m.json >/dev/null &&
	mlops-deploy create churn --model churn/1 --max-payload 64MB &&
	GW_OPTS="--threads 1 --header-timeout 2s" start_gateway 300 &&
	stall "$(pgrep -P "$GW_PID" -x mlops-deploy)" "$GW_PORT" >got &&
	echo "HTTP/1.1 200 OK" >want &&
	test_cmp want got &&
	curl -s "$URL/metrics" >metrics &&
	grep "^mlops_connections_timed_out_total 0$" metrics
'

test_expect_success 'a client slower than the header timeout is cut off' '
	GW_OPTS="--threads 1 --header-timeout 1s" start_gateway &&
	$PYTHON - "$GW_PORT" >got <<-\PY &&
	import socket, sys, time
	s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
	s.settimeout(1)
	start = time.time()
	head = b"GET /ping HTTP/1.1\r\nHost: x\r\n"
	for i in range(len(head)):
	    if time.time() - start > 20:
	        break
	    try:
	        s.send(head[i:i + 1])
	        if s.recv(1024) == b"":
	            break
	    except socket.timeout:
	        continue
	    except OSError:
	        break
	print("closed after %d bytes" % i)
	PY
	cat got &&
	grep "^closed after" got &&
	test "$(sed "s/closed after \([0-9]*\).*/\1/" got)" -lt 10 &&
	curl -s "$URL/metrics" >metrics &&
	grep "^mlops_connections_timed_out_total 1$" metrics
'

test_done
