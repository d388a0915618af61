#!/bin/bash
# t6022-monitor-dashboard-chromium.sh - the HTML dashboard as a browser
# renders it: headless Chromium (Debian's chromium) prints it to PDF and
# PNG with no console message, the DOM it built has no script and every
# chart, and pdftotext finds every model group's and endpoint's name,
# and a feature named <script> as text.
#
# Chromium runs in a network namespace of its own (unshare --net), with
# a temporary profile and a timeout: it reaches nothing, even the update
# and time servers it calls on its own, and always stops.
. "$(dirname "$0")/test-lib.sh"

if ! command -v chromium >/dev/null || ! command -v pdftotext >/dev/null
then
	say "# skipping: chromium or pdftotext is not installed" \
		"(apt-get install chromium poppler-utils)"
	test_skip "the dashboard renders in headless Chromium" \
		"no chromium or pdftotext"
	test_done
fi
. "$TEST_DIRECTORY/lib-chromium.sh"
if [ -z "$ISOLATE" ]; then
	test_skip "the dashboard renders in headless Chromium" \
		"cannot give chromium a network namespace (unshare --net)"
	test_done
fi

# Three model groups on two endpoints, one monitored with three
# executions (one feature named <script>...), one with gateway counters.
setup() {
	echo cat >worker.sh &&
	for m in grp-alpha grp-beta grp-gamma; do
		mlops-registry register $m --artifact worker.sh \
			--framework exec --entry "sh worker.sh" \
			--status Approved >/dev/null || return 1
	done &&
	mlops-deploy create ep-north --model grp-alpha/1 >/dev/null &&
	mlops-deploy create ep-south --model grp-beta/1 >/dev/null &&
	printf "age,\"<script>alert(1)</script>\"\n1,a\n2,b\n3,a\n" \
		>train.csv &&
	mlops-monitor baseline --data train.csv -o base >/dev/null &&
	mlops-monitor schedule create sched-one --endpoint ep-north \
		--baseline base >/dev/null &&
	$PYTHON - "$MLOPS_STORE" <<-\PY &&
	import json, os, sys, time
	for hour in range(3):
	    t = (int(time.time()) // 3600 + hour) * 3600 + 60
	    d = os.path.join(sys.argv[1], "capture", "ep-north",
	                     time.strftime("%Y/%m/%d/%H", time.gmtime(t)))
	    os.makedirs(d)
	    with open(os.path.join(d, "t.jsonl"), "w") as f:
	        for i in range(5):
	            f.write(json.dumps({"captureData": {"endpointInput": {
	                "observedContentType": "text/csv", "mode": "INPUT",
	                "data": "%d,%s\n" % (i + hour, "ab"[i % 2]),
	                "encoding": "CSV"}}, "eventMetadata": {
	                "eventId": "e%d-%d" % (hour, i), "inferenceTime":
	                time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(t))},
	                "eventVersion": "0"}) + "\n")
	PY
	later=$(( ($(date +%s) / 3600 + 3) * 3600 + 1 )) &&
	test_expect_code 1 mlops-monitor run-due \
		--now "$(date -u -d @$later +%Y-%m-%dT%H:%M:%SZ)" >/dev/null &&
	sqlite3 .mlops/mlops.db "INSERT INTO endpoint_stats (endpoint,
		requests, errors, cold_starts, captured, capture_dropped,
		updated_us, latency) VALUES ('ep-south', 10, 1, 0, 0, 0, 1,
		 '{\"bounds_us\": [100, 1000], \"counts\": [5, 5, 0],
		   \"sum_us\": 3000}')" &&
	mlops-monitor dashboard --html dash.html
}

test_expect_success 'the dashboard prints to PDF and PNG with no console message' '
	setup &&
	chrome --print-to-pdf="$PWD/dash.pdf" --no-pdf-header-footer \
		"file://$PWD/dash.html" &&
	chrome --screenshot="$PWD/dash.png" --window-size=1280,2000 \
		"file://$PWD/dash.html" &&
	chrome --dump-dom "file://$PWD/dash.html" >dom.html &&
	no_console &&
	test "$(head -c 5 dash.pdf)" = "%PDF-" &&
	png_ok dash.png 1280 2000
'

test_expect_success 'the rendered text names every group and endpoint' '
	setup &&
	chrome --print-to-pdf="$PWD/dash.pdf" --no-pdf-header-footer \
		"file://$PWD/dash.html" &&
	no_console &&
	pdftotext -layout dash.pdf dash.txt &&
	tr -d " \n\t" <dash.txt >flat.txt &&
	# 0.982: the p99 in ms of the histogram of ep-south (982 us).
	for name in grp-alpha grp-beta grp-gamma ep-north ep-south \
		sched-one "<script>alert(1)</script>" "version1onep-north" \
		"Alerts(" "0.982" "ShadowtestsNoshadowtest."; do
		grep -F -- "$name" flat.txt >/dev/null ||
		{ echo >&2 "not in the PDF: $name"; exit 1; }
	done &&
	grep -F "serves grp-beta/1 with no monitoring schedule" dash.txt
'

test_expect_success 'the DOM Chromium built has no script and every chart' '
	setup &&
	chrome --dump-dom "file://$PWD/dash.html" >dom.html &&
	no_console &&
	$PYTHON - <<-\PY
	import html.parser
	class Dom(html.parser.HTMLParser):
	    def __init__(self):
	        super().__init__()
	        self.tags, self.text, self.refs = {}, [], []
	    def handle_starttag(self, tag, attrs):
	        self.tags[tag] = self.tags.get(tag, 0) + 1
	        self.refs += [(tag, k, v) for k, v in attrs
	                      if k in ("src", "href", "srcset", "data")]
	    def handle_data(self, data):
	        self.text.append(data)
	d = Dom()
	d.feed(open("dom.html").read())
	assert "script" not in d.tags, d.tags
	assert not d.refs, d.refs
	# One bar chart per schedule, one line chart per feature of it.
	assert d.tags.get("svg") == 3, d.tags
	assert d.tags.get("polyline") == 2 and d.tags.get("circle") == 6, d.tags
	assert "<script>alert(1)</script>" in "".join(d.text)
	PY
'

test_expect_success 'the console check sees a page that logs' '
	setup &&
	sed "s|</body>|<script>console.error(\"boom\")</script></body>|" \
		dash.html >bad.html &&
	chrome --dump-dom "file://$PWD/bad.html" >/dev/null &&
	test_must_fail no_console &&
	grep "CONSOLE.*boom" chrome.log
'

test_done
