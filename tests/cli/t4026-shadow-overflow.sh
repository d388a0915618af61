#!/bin/bash
# t4026-shadow-overflow.sh - a shadow far slower than the offered load:
# its queue stays bounded, what does not fit is shed and counted in
# status, and production's answers stay correct and prompt meanwhile.
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-deploy.sh"
. "$TEST_DIRECTORY/lib-shadow.sh"

# burst N OUT: N requests over 4 kept-alive connections, cycling through
# rows.csv; OUT gets one line per request: row, status, seconds, body.
burst() {
	$PYTHON - "$URL" "$1" "$2" <<-'PY'
	import http.client, sys, threading, time, urllib.parse
	url, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
	u = urllib.parse.urlparse(url)
	rows = [l for l in open("rows.csv")]
	lines, lock = [], threading.Lock()
	def run(k):
	    c = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
	    for i in range(k, n, 4):
	        r = i % len(rows)
	        t = time.monotonic()
	        c.request("POST", "/endpoints/web/invocations", rows[r],
	                  {"Content-Type": "text/csv"})
	        resp = c.getresponse()
	        body = resp.read().decode()
	        with lock:
	            lines.append("%d %d %.6f %s" % (r, resp.status,
	                         time.monotonic() - t, body.strip()))
	ts = [threading.Thread(target=run, args=(k,)) for k in range(4)]
	[t.start() for t in ts]; [t.join() for t in ts]
	open(out, "w").write("\n".join(lines) + "\n")
	PY
}

# check_answers OUT: every request answered 200 with production's answer
# to its row (in before), none slower than half the shadow's 5 s.
check_answers() {
	$PYTHON - "$1" <<-'PY'
	import sys
	want = open("before").read().split("\n")
	slow = 0
	for l in open(sys.argv[1]):
	    r, status, secs, body = l.split(" ", 3)
	    assert status == "200", l
	    assert body.strip() == want[int(r)].strip(), (l, want[int(r)])
	    assert float(secs) < 2.5, l
	PY
}

# shed_count TEST: the test's shed count as status shows it.
shed_count() {
	mlops-shadow status --json "$1" |
		$PYTHON -c "import json, sys; print(json.load(sys.stdin)['shed'])"
}

test_expect_success 'a shadow slower than the load sheds; production is unhurt' '
	shadow_gateway &&
	mlops-deploy invoke web --lines <rows.csv >before &&
	register_slow 5 >/dev/null &&
	mlops-shadow start web --model churn/3 --name slow &&
	wait_log "shadow test slow: mirroring" &&
	burst 2500 one &&
	test_line_count = 2500 one &&
	check_answers one &&
	wait_status slow shed 1000 &&
	s1=$(shed_count slow) &&
	burst 1500 two &&
	check_answers two &&
	wait_status slow shed $((s1 + 1000)) &&
	mlops-shadow status slow >s.txt &&
	grep "^shed: [0-9]" s.txt &&
	mlops-shadow stop slow &&
	for i in $(seq 1 600); do
		mlops-shadow status --json slow >s.json &&
		$PYTHON -c "
import json, sys; s = json.load(open(\"s.json\"))
sys.exit(s[\"mirrored\"] + s[\"shed\"] != 4000)" && break
		sleep 0.05
	done &&
	# Nothing is lost: each sampled request was answered or shed once
	# the gateway let the test go; the queue held at most 1024, plus one
	# in the hands of each of the (at most 8) shadow threads.
	$PYTHON -c "
import json; s = json.load(open(\"s.json\"))
assert s[\"mirrored\"] + s[\"shed\"] == 4000, s
assert s[\"mirrored\"] <= 1024 + 8, s"
'

test_done
