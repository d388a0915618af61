#!/bin/bash
# t4007-deploy-hardening.sh - the gateway against hostile clients: keys
# fail closed, request smuggling, GET with a body, Transfer-Encoding,
# exact content types, slow clients and the memory bound (issue 11).
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-deploy.sh"

# await_code WANT METHOD URL [curl args...]: until the gateway (which
# rereads the store within 0.2 s) answers WANT.
await_code() {
	want=$1
	shift
	for i in $(seq 1 200); do
		test "$(http_code "$@")" = "$want" && return 0
		sleep 0.05
	done
	echo >&2 "await_code: $2 never answered $want"
	return 1
}

test_expect_success 'revoking the last key fails closed until --public' '
	train_model m.json &&
	register_model churn m.json >/dev/null &&
	mlops-deploy create churn --model churn/1 &&
	mlops-deploy describe churn >desc &&
	grep "^auth: public$" desc &&
	start_gateway &&
	inv=$URL/endpoints/churn/invocations C="Content-Type: text/csv" &&
	test "$(http_code POST "$inv" -H "$C" --data-binary @rows.csv)" = 200 &&
	key=$(mlops-deploy key create churn) &&
	await_code 401 POST "$inv" -H "$C" --data-binary @rows.csv &&
	mlops-deploy describe --json churn | jq -e ".auth == \"key\"" &&
	test_expect_code 4 mlops-deploy update churn --public 2>err &&
	grep "has 1 API key: revoke it" err &&
	mlops-deploy key delete churn "$(echo "$key" | cut -c5-12)" &&
	await_code 401 POST "$inv" -H "X-Api-Key: $key" -H "$C" --data-binary @rows.csv &&
	test "$(http_code POST "$inv" -H "$C" --data-binary @rows.csv)" = 401 &&
	mlops-deploy describe churn | grep "^auth: key$" &&
	mlops-deploy update churn --public >out &&
	grep "churn: public" out &&
	await_code 200 POST "$inv" -H "$C" --data-binary @rows.csv &&
	mlops-deploy update churn --require-key &&
	await_code 401 POST "$inv" -H "$C" --data-binary @rows.csv &&
	mlops-deploy list --json | jq -e "select(.name == \"churn\") | .auth == \"key\"" &&
	test_expect_code 2 mlops-deploy update churn --public --require-key &&
	test_expect_code 2 mlops-deploy update churn 2>err &&
	grep "model, --public or --require-key" err
'

# raw_http REQUEST: send REQUEST (printf escapes) to the gateway on one
# connection and print each status line of what comes back before it
# closes (or 10 s pass).
raw_http() {
	$PYTHON - "$GW_PORT" "$1" <<-'PY'
	import re, socket, sys, time
	s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
	s.sendall(sys.argv[2].encode().decode("unicode_escape").encode("latin-1"))
	s.settimeout(10)
	got, end = b"", time.time() + 10
	while time.time() < end:
	    try:
	        b = s.recv(65536)
	    except socket.timeout:
	        break
	    if not b:
	        break
	    got += b
	for line in re.findall(rb"HTTP/1\.[01] [0-9]{3}[^\r\n]*", got):
	    print(line.decode())
	PY
}

test_expect_success 'several Content-Length, or with Transfer-Encoding: 400 and close' '
	train_model m.json &&
	register_model churn m.json >/dev/null &&
	mlops-deploy create churn --model churn/1 &&
	start_gateway &&
	p="POST /endpoints/churn/invocations HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\n" &&
	smuggled="GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n" &&
	raw_http "${p}Content-Length: 5\r\nContent-Length: 40\r\n\r\n1,2,3$smuggled" >got &&
	echo "HTTP/1.1 400 Bad Request" >want &&
	test_cmp want got &&
	raw_http "${p}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n$smuggled" >got &&
	test_cmp want got &&
	raw_http "${p}Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n$smuggled" >got &&
	test_cmp want got &&
	curl -s "$URL/metrics" | grep "code=\"400\"" &&
	raw_http "${p}Content-Length: 9\r\n\r\n1,2,3,4,5GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" >got &&
	printf "HTTP/1.1 200 OK\nHTTP/1.1 200 OK\n" >want &&
	test_cmp want got
'

test_expect_success 'Transfer-Encoding other than chunked: 501 at once' '
	train_model m.json &&
	register_model churn m.json >/dev/null &&
	mlops-deploy create churn --model churn/1 &&
	start_gateway &&
	inv=$URL/endpoints/churn/invocations C="Content-Type: text/csv" &&
	test "$(http_code POST "$inv" -m 5 -H "$C" -H "Transfer-Encoding: gzip" --data-binary @rows.csv)" = 501 &&
	grep "\"NotImplemented\".*Transfer-Encoding .gzip. is not supported" body.out &&
	test "$(http_code POST "$inv" -m 5 -H "$C" -H "Transfer-Encoding: gzip, chunked" --data-binary @rows.csv)" = 501 &&
	test "$(http_code POST "$inv" -m 5 -H "$C" -H "Transfer-Encoding: chunked" --data-binary @rows.csv)" = 200 &&
	close_to body.out expect.txt
'

test_expect_success 'GET with a body is answered, on /ping /metrics /endpoints' '
	train_model m.json &&
	register_model churn m.json >/dev/null &&
	mlops-deploy create churn --model churn/1 &&
	start_gateway &&
	test "$(http_code GET "$URL/ping" -m 5 --data-binary x)" = 200 &&
	test "$(http_code GET "$URL/metrics" -m 5 --data-binary x)" = 200 &&
	grep "^mlops_" body.out &&
	test "$(http_code GET "$URL/endpoints" -m 5 --data-binary x)" = 200 &&
	grep "\"name\":\"churn\"" body.out &&
	test "$(http_code GET "$URL/ping" -m 5 -H "Transfer-Encoding: chunked" --data-binary x)" = 200
'

test_expect_success 'content types are matched exactly, parameters aside' '
	train_model m.json &&
	register_model churn m.json >/dev/null &&
	mlops-deploy create churn --model churn/1 &&
	start_gateway &&
	inv=$URL/endpoints/churn/invocations &&
	test "$(http_code POST "$inv" -H "Content-Type: text/csvx" --data-binary @rows.csv)" = 415 &&
	test "$(http_code POST "$inv" -H "Content-Type: application/jsonp" -d "{\"instances\":[[1,2,3,4,5]]}")" = 415 &&
	test "$(http_code POST "$inv" -H "Content-Type: text/csv; charset=utf-8" --data-binary @rows.csv)" = 200 &&
	test "$(http_code POST "$inv" -H "Content-Type: Text/CSV ;header=absent" --data-binary @rows.csv)" = 200 &&
	test "$(http_code POST "$inv" -H "Content-Type: application/json; charset=utf-8" -d "{\"instances\":[[1,2,3,4,5]]}")" = 200
'

# trickle HOW N: open N connections to the gateway and send one byte
# on each every 0.1 s, of a request's headers (HOW=headers) or of a
# declared 100-byte body (HOW=body); print how many seconds passed until
# the gateway had closed all of them (or "open" after 20 s).
trickle() {
	$PYTHON - "$GW_PORT" "$1" "$2" <<-'PY'
	import socket, sys, time
	port, how, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
	head = b"POST /endpoints/churn/invocations HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\nContent-Length: 100\r\n\r\n"
	socks = []
	for i in range(n):
	    s = socket.create_connection(("127.0.0.1", port))
	    if how == "body":
	        s.sendall(head)
	    s.setblocking(False)
	    socks.append(s)
	start = time.time()
	while socks and time.time() - start < 20:
	    for s in list(socks):
	        try:
	            if s.recv(1024) == b"":
	                raise ConnectionError
	            continue
	        except BlockingIOError:
	            pass
	        except OSError:
	            socks.remove(s)
	            continue
	        try:
	            s.send(b"1" if how == "body" else head[:1])
	        except OSError:
	            socks.remove(s)
	    time.sleep(0.1)
	print("open" if socks else "%.1f" % (time.time() - start))
	PY
}

test_expect_success 'trickled headers or bodies are cut off at their deadline' '
	train_model m.json &&
	register_model churn m.json >/dev/null &&
	mlops-deploy create churn --model churn/1 &&
	GW_OPTS="--header-timeout 1s --body-timeout 2s" start_gateway &&
	t=$(trickle headers 3) &&
	echo "headers closed after $t s" &&
	test "$t" != open && test "${t%.*}" -ge 1 && test "${t%.*}" -lt 5 &&
	t=$(trickle body 3) &&
	echo "bodies closed after $t s" &&
	test "$t" != open && test "${t%.*}" -ge 2 && test "${t%.*}" -lt 6 &&
	curl -s "$URL/metrics" | grep "^mlops_connections_timed_out_total 6$" &&
	test "$(http_code POST "$URL/endpoints/churn/invocations" -H "Content-Type: text/csv" --data-binary @rows.csv)" = 200
'

test_expect_success 'connections per client address are bounded' '
	train_model m.json &&
	register_model churn m.json >/dev/null &&
	mlops-deploy create churn --model churn/1 &&
	GW_OPTS="--max-per-client 4 --header-timeout 2s" start_gateway &&
	{ trickle headers 4 >t & tp=$!; } &&
	for i in $(seq 1 100); do
		test "$(curl -s -o /dev/null -w "%{http_code}" "$URL/ping")" = 000 && break
		sleep 0.05
	done &&
	test "$(curl -s -o /dev/null -w "%{http_code}" "$URL/ping")" = 000 &&
	wait $tp &&
	test "$(cat t)" != open &&
	test "$(http_code GET "$URL/ping")" = 200
'

test_expect_success 'bodies buffered across connections are bounded; small ones still fit' '
	train_model m.json &&
	register_model churn m.json >/dev/null &&
	mlops-deploy create churn --model churn/1 &&
	GW_OPTS="--max-buffered 1MB --body-timeout 3s" start_gateway &&
	inv=$URL/endpoints/churn/invocations C="Content-Type: text/csv" &&
	{ $PYTHON - "$GW_PORT" >held <<-\PY & tp=$!; } &&
	import socket, sys, time
	s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
	s.sendall(b"POST /endpoints/churn/invocations HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\nContent-Length: 917000\r\n\r\n1,2")
	s.settimeout(10)
	print(s.recv(100).decode() or "closed")
	PY
	for i in $(seq 1 100); do
		curl -s "$URL/metrics" | grep "^mlops_buffered_body_bytes 917000$" && break
		sleep 0.05
	done &&
	head -c 100000 /dev/zero | tr "\\0" 1 >big &&
	test "$(http_code POST "$inv" -H "$C" --data-binary @big)" = 503 &&
	grep "\"BodyBufferFull\".*maximum of 1048576 bytes" body.out &&
	test "$(http_code POST "$inv" -H "$C" -H "Transfer-Encoding: chunked" --data-binary @big)" = 503 &&
	test "$(http_code POST "$inv" -H "$C" --data-binary @rows.csv)" = 200 &&
	wait $tp &&
	grep closed held &&
	curl -s "$URL/metrics" | grep "^mlops_buffered_body_bytes 0$"
'

test_done
