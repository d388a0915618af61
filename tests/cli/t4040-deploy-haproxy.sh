#!/bin/bash
# t4040-deploy-haproxy.sh - scaling out the gateway: two `mlops-deploy
# serve` over one store behind Debian's haproxy (roundrobin, health
# checks on GET /ping). Both gateways answer through haproxy, and an
# `mlops-deploy update` reaches both within a second, measured under a
# client load through haproxy (the README's "Scaling out" figures).
#
# haproxy runs in the foreground (-db) as a child of the test, with a
# generated config bound to 127.0.0.1 on a free port; the trap of the
# test's subshell stops it and the gateways, and a timeout stops them in
# any case.
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-deploy.sh"

if ! command -v haproxy >/dev/null; then
	say "# haproxy is missing: apt-get install -y haproxy"
	apt-get install -y haproxy >"$TRASH_ROOT/apt.log" 2>&1
fi
if ! command -v haproxy >/dev/null; then
	say "# skipping: haproxy is not installed and could not be" \
		"(apt-get install -y haproxy: $(tail -n 1 "$TRASH_ROOT/apt.log"))"
	test_skip "two gateways behind haproxy" "no haproxy"
	test_done
fi

# stop_all: the trap of a test: haproxy and both gateways.
stop_all() {
	kill $HA_PID $G1_PID $G2_PID 2>/dev/null
	wait $HA_PID $G1_PID $G2_PID 2>/dev/null
}

# start_pair: two gateways on this store, each in a directory of its
# own (gw1/, gw2/: logs); sets $G1 $G2 (URLs) and $G1_PID $G2_PID.
start_pair() {
	mkdir gw1 gw2 &&
	cd gw1 && start_gateway 120 && G1=$URL G1_PID=$GW_PID && cd .. &&
	trap stop_all EXIT &&
	cd gw2 && start_gateway 120 && G2=$URL G2_PID=$GW_PID && cd .. &&
	trap stop_all EXIT
}

# start_haproxy: haproxy over both gateways (roundrobin, GET /ping
# checks every 100 ms) on a free port, with its statistics as CSV on
# another; waits until it sees both gateways UP. Sets $HA, $HA_STATS
# and $HA_PID.
start_haproxy() {
	ha_port=$(test_free_port) &&
	stats_port=$(test_free_port) &&
	cat >haproxy.cfg <<-EOF &&
	global
	    maxconn 512
	defaults
	    mode http
	    timeout connect 2s
	    timeout client 30s
	    timeout server 30s
	frontend gateways
	    bind 127.0.0.1:$ha_port
	    default_backend mlops
	backend mlops
	    balance roundrobin
	    option httpchk GET /ping
	    default-server check inter 100ms fall 3 rise 1
	    server gw1 ${G1#http://}
	    server gw2 ${G2#http://}
	listen stats
	    bind 127.0.0.1:$stats_port
	    stats enable
	    stats uri /stats
	EOF
	haproxy -c -q -f haproxy.cfg &&
	{ timeout 120 haproxy -f haproxy.cfg -db >haproxy.log 2>&1 & } &&
	HA_PID=$! &&
	HA=http://127.0.0.1:$ha_port HA_STATS=http://127.0.0.1:$stats_port &&
	for i in $(seq 1 200); do
		test "$(curl -s "$HA_STATS/stats;csv" |
			awk -F, '$1 == "mlops" && $2 ~ /^gw/ && $18 == "UP" { n++ } END { print n + 0 }')" = 2 &&
			return 0
		sleep 0.05
	done
	echo >&2 "start_haproxy: haproxy does not see both gateways UP"
	cat haproxy.log >&2
	curl -s "$HA_STATS/stats;csv" >&2
	return 1
}

# answered GATEWAY_URL: invocations of churn it answered with 200.
answered() {
	curl -sf "$1/metrics" |
		sed -n 's/^mlops_requests_total{endpoint="churn",code="200"} //p'
}

test_expect_success 'two gateways behind haproxy both answer' '
	train_model a.json 5 10 &&
	register_model churn a.json >/dev/null &&
	mlops-deploy create churn --model churn/1 &&
	start_pair &&
	start_haproxy &&
	for i in $(seq 1 20); do
		curl -sf -H "Content-Type: text/csv" --data-binary @rows.csv \
			"$HA/endpoints/churn/invocations" >got &&
		close_to got expect.txt || exit 1
	done &&
	n1=$(answered $G1) && n2=$(answered $G2) &&
	echo "gw1 answered $n1, gw2 answered $n2" &&
	test "$n1" -ge 5 && test "$n2" -ge 5 &&
	test $((n1 + n2)) = 20 &&
	curl -s "$HA_STATS/stats;csv" >stats.csv &&
	awk -F, '\''$1 == "mlops" && $2 ~ /^gw/ { print $2, $18, $8 }'\'' stats.csv >ha &&
	cat ha &&
	grep "^gw1 UP [1-9]" ha &&
	grep "^gw2 UP [1-9]" ha
'

# Updates back and forth under a load through haproxy; each time the
# clock runs from just before `mlops-deploy update` until both gateways,
# asked directly, answer with the new version. The median must be under
# a second; a single update may take up to 3 s on a loaded machine (more
# means the gateways no longer follow the store on their own).
test_expect_success 'an update reaches both gateways within a second' '
	train_model a.json 5 10 &&
	cp rows.csv body.csv &&
	train_model b.json 5 20 &&
	register_model churn a.json >/dev/null &&
	register_model churn b.json >/dev/null &&
	mlops-deploy create churn --model churn/1 &&
	start_pair &&
	start_haproxy &&
	URL=$HA &&
	{ load_client 12 churn body.csv >seen & } &&
	client=$! &&
	$PYTHON - "$G1" "$G2" >times <<-\PY &&
	import http.client, subprocess, sys, time, urllib.parse
	gws = [urllib.parse.urlparse(u) for u in sys.argv[1:]]
	body = open("body.csv", "rb").read()
	def model(u):
	    c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
	    c.request("POST", "/endpoints/churn/invocations", body, {"Content-Type": "text/csv"})
	    r = c.getresponse(); r.read(); c.close()
	    return r.getheader("X-Mlops-Model")
	time.sleep(1)
	for n in range(5):
	    want = "churn/2" if n % 2 == 0 else "churn/1"
	    t0 = time.monotonic()
	    subprocess.run(["mlops-deploy", "update", "churn", "--model", want],
		               check=True, stdout=subprocess.DEVNULL)
	    took = [None, None]
	    while None in took and time.monotonic() - t0 < 10:
	        for i, u in enumerate(gws):
	            if took[i] is None and model(u) == want:
	                took[i] = time.monotonic() - t0
	        time.sleep(0.005)
	    if None in took:
	        sys.exit("update %d to %s: not served by both after 10 s: %r" % (n, want, took))
	    print("%s %.3f %.3f" % (want, took[0], took[1]), flush=True)
	    time.sleep(0.5)
	PY
	wait $client &&
	cat seen times &&
	cat /proc/loadavg &&
	! grep -v "^200 " seen &&
	grep "^200 churn/1 [0-9]" seen &&
	grep "^200 churn/2 [0-9]" seen &&
	test $(wc -l <times) = 5 &&
	awk "{ print (\$2 > \$3 ? \$2 : \$3) }" times | sort -n >both &&
	median=$(sed -n 3p both) && worst=$(tail -n 1 both) &&
	rate=$(awk "{ n += \$3 } END { printf \"%d\", n / 12 }" seen) &&
	echo "update reaches both gateways: median $median s, worst $worst s" \
		"(5 updates, $rate requests/s through haproxy meanwhile," \
		"load $(cut -d" " -f1-3 /proc/loadavg))" >"$TRASH_ROOT/measured" &&
	awk -v m="$median" -v w="$worst" "BEGIN { exit !(m < 1 && w < 3) }"
'

test -f "$TRASH_ROOT/measured" && say "# $(cat "$TRASH_ROOT/measured")"
test_done
