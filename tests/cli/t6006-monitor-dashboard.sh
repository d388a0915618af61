#!/bin/bash
# t6006-monitor-dashboard.sh - mlops-monitor dashboard: every model,
# endpoint and schedule of the store in the table, the JSON and one
# self-contained HTML page, and the alerts it must raise.
. "$(dirname "$0")/test-lib.sh"

# Two models on two endpoints; "web" monitored hourly with one execution
# that found a violation; "api" with 100 requests, 20 of them errors.
setup() {
	echo cat >worker.sh &&
	for m in churn fraud-v2; do
		mlops-registry register $m --artifact worker.sh --framework exec \
			--entry "sh worker.sh" --status Approved >/dev/null || return 1
	done &&
	mlops-registry register churn --artifact worker.sh --framework exec \
		--entry "sh worker.sh" >/dev/null &&
	mlops-deploy create web --model churn/1 >/dev/null &&
	mlops-deploy create api --model fraud-v2/1 >/dev/null &&
	printf "age\n30\n40\n" >train.csv &&
	mlops-monitor baseline --data train.csv -o base &&
	mlops-monitor schedule create hourly --endpoint web --baseline base &&
	now=$(date +%s) &&
	d=.mlops/capture/web/$(date -u -d @$now +%Y/%m/%d/%H) &&
	mkdir -p "$d" &&
	printf "{\"captureData\": {\"endpointInput\": {\"data\": \"-5\\\\n\", \"encoding\": \"CSV\"}}, \"eventMetadata\": {\"eventId\": \"e1\", \"inferenceTime\": \"%s\"}, \"eventVersion\": \"0\"}\n" \
		"$(date -u -d @$now +%Y-%m-%dT%H:%M:%S.000Z)" >"$d/x.jsonl" &&
	test_expect_code 1 mlops-monitor run-due \
		--now "$(date -u -d @$((now + 3600)) +%Y-%m-%dT%H:%M:%SZ)" \
		>/dev/null &&
	sqlite3 .mlops/mlops.db "INSERT INTO endpoint_stats (endpoint,
		requests, errors, cold_starts, captured, capture_dropped,
		updated_us) VALUES ('api', 100, 20, 0, 0, 0, 1)"
}

test_expect_success 'the table and the JSON show everything, with alerts' '
	setup &&
	mlops-monitor dashboard >out &&
	grep "^churn	2	2	1	web=1$" out &&
	grep "^fraud-v2	1	1	1	api=1$" out &&
	grep "^churn	1	Approved	-	-	web$" out &&
	grep "^churn	2	PendingManualApproval	-	-	$" out &&
	grep "^fraud-v2	1	Approved	-	-	api$" out &&
	grep "^api	fraud-v2/1	100	20	-	-	-	-	-	-$" out &&
	grep "^web	churn/1	-	-	-	-	hourly	20[-0-9T:]*Z	CompletedWithViolations	2$" out &&
	grep "^hourly	web	1	CompletedWithViolations	2$" out &&
	grep "^hourly	age	1	1	0.1	1$" out &&
	mlops-monitor dashboard --json >d.json &&
	jq -r ".alerts[] | .kind + \" \" + .subject" d.json | sort >alerts &&
	printf "%s\n" "error_rate api" "no_baseline churn/1" \
		"no_baseline fraud-v2/1" "unmonitored api" "violations hourly" \
		>expect &&
	test_cmp expect alerts &&
	mlops-monitor dashboard --json --max-error-rate 0.5 |
		jq -e "[.alerts[].kind] | index(\"error_rate\") == null" &&
	test_expect_code 2 mlops-monitor dashboard --max-error-rate x
'

test_expect_success 'the HTML page stands alone and names every model' '
	setup &&
	mlops-monitor dashboard --html dash.html >out &&
	test_line_count = 0 out &&
	$PYTHON - <<-"PY"
	import html.parser
	page = open("dash.html").read()
	class Check(html.parser.HTMLParser):
	    void = {"meta", "br", "img", "link", "input", "hr"}
	    def __init__(self):
	        super().__init__()
	        self.stack, self.text, self.rects = [], [], 0
	    def handle_starttag(self, tag, attrs):
	        assert tag != "script", "a script"
	        for k, v in attrs:
	            assert k not in ("src", "href"), (tag, k, v)
	        if tag == "rect":
	            self.rects += 1
	        if tag not in self.void:
	            self.stack.append(tag)
	    def handle_endtag(self, tag):
	        assert self.stack and self.stack[-1] == tag, (tag, self.stack)
	        self.stack.pop()
	    def handle_data(self, data):
	        self.text.append(data)
	c = Check()
	c.feed(page)
	c.close()
	assert c.stack == [], c.stack
	text = " ".join(c.text)
	for name in ("churn", "fraud-v2", "web", "api", "hourly"):
	    assert name in text, name
	assert c.rects == 1
	assert "serves fraud-v2/1 with no monitoring schedule" in text
	PY
'

test_done
