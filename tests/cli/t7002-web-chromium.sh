#!/bin/bash
# t7002-web-chromium.sh - the site of mlops web as a browser renders it:
# headless Chromium (Debian's chromium) screenshots the main pages to
# PNG with no console message, the DOM it built names every feature
# group, run, model version and endpoint, holds no script, and shows
# <script> in a feature value, a card field and a step's command as
# text; the pages of --export open from disk with every link resolved.
#
# Chromium and the server run together in a network namespace of their
# own (unshare --net, loopback only), with a temporary profile and a
# timeout: Chromium reaches nothing but 127.0.0.1 there, even the
# servers it calls on its own, and always stops.
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-web.sh"

if ! command -v chromium >/dev/null || ! command -v ip >/dev/null; then
	test_skip "the site renders in headless Chromium" \
		"chromium or ip is not installed"
	test_done
fi
. "$TEST_DIRECTORY/lib-chromium.sh"
if [ -z "$ISOLATE" ]; then
	test_skip "the site renders in headless Chromium" \
		"cannot give chromium a network namespace (unshare --net)"
	test_done
fi

# shoot_pages N1=PATH1 ...: in a namespace, start mlops web, and for
# each page save a screenshot page-N.png and its DOM dom-N.html.
shoot_pages() {
	$ISOLATE bash -c "ip link set lo up &&
		{ timeout 300 mlops web --listen 127.0.0.1:0 2>web.log & } &&
		pid=\$! &&
		for i in \$(seq 1 400); do
			url=\$(sed -n \"s/.* on \\(http:.*\\)\$/\\1/p\" web.log)
			test -n \"\$url\" && break
			sleep 0.05
		done &&
		for np in $*; do
			n=\${np%%=*} p=\${np#*=}
			chromium_run --screenshot=\"\$PWD/page-\$n.png\" \
				--window-size=1280,1600 \"\$url/\$p\" &&
			chromium_run --dump-dom \"\$url/\$p\" \
				>dom-\$n.html || break
		done
		st=\$?
		kill \$pid; wait \$pid
		exit \$st"
}

# check_dom DOM WORD...: the DOM has no script element and no reference
# to anything outside the site, and its text holds each WORD.
check_dom() {
	$PYTHON - "$@" <<-\PY
	import html.parser, sys
	class Dom(html.parser.HTMLParser):
	    def __init__(self):
	        super().__init__()
	        self.tags, self.text, self.refs = {}, [], []
	    def handle_starttag(self, tag, attrs):
	        self.tags[tag] = self.tags.get(tag, 0) + 1
	        self.refs += [v for k, v in attrs
	                      if k in ("src", "href", "srcset", "data")]
	    def handle_data(self, data):
	        self.text.append(data)
	d = Dom()
	d.feed(open(sys.argv[1]).read())
	assert "script" not in d.tags, d.tags
	assert "img" not in d.tags and "iframe" not in d.tags, d.tags
	bad = [r for r in d.refs if ":" in r or r.startswith("/")]
	assert not bad, bad
	text = "".join(d.text)
	missing = [w for w in sys.argv[2:] if w not in text]
	assert not missing, ("not in the page", missing)
	PY
}

test_expect_success 'the main pages render to PNG with no console message' '
	web_store &&
	shoot_pages home=index.html features=features.html \
		group=features/customers.html pipelines=pipelines.html \
		run=runs/$RUN.html registry=registry.html \
		version=registry/churn/1.html endpoints=endpoints.html \
		endpoint=endpoints/ep-web.html monitoring=monitoring.html &&
	no_console &&
	for n in home features group pipelines run registry version \
		endpoints endpoint monitoring; do
		png_ok page-$n.png 1280 1600 || { echo >&2 "page-$n.png"; exit 1; }
	done &&
	check_dom dom-home.html "Store test" feature_groups model_versions \
		"Recent events" "Recent audit records" &&
	check_dom dom-features.html customers &&
	check_dom dom-group.html customers c1 c2 CREATE &&
	check_dom dom-pipelines.html "$RUN" demo Succeeded &&
	check_dom dom-run.html "$RUN" prepare train check report &&
	check_dom dom-registry.html churn &&
	check_dom dom-version.html churn "version 1" "Model card" &&
	check_dom dom-endpoints.html ep-web churn/1 &&
	check_dom dom-endpoint.html ep-web churn/1 &&
	check_dom dom-monitoring.html churn ep-web hourly &&
	test $(grep -o "<rect" dom-run.html | wc -l) = 4 &&
	test $(grep -o "marker-end" dom-run.html | wc -l) = 4
'

test_expect_success '<script> in a value, a card field and a command shows as text' '
	web_store &&
	shoot_pages group=features/customers.html run=runs/$RUN.html \
		version=registry/churn/1.html &&
	no_console &&
	check_dom dom-group.html "<script>alert(1)</script>" &&
	check_dom dom-version.html "<script>alert(2)</script>" &&
	check_dom dom-run.html "<script>alert(3)</script>"
'

test_expect_success 'the console check sees a page that logs' '
	web_store &&
	mlops web --export site >/dev/null &&
	sed -e "s|default-src .none.;|default-src '\''none'\''; script-src '\''unsafe-inline'\'';|" \
		-e "s|</body>|<script>console.error(\"boom\")</script></body>|" \
		site/index.html >bad.html &&
	chrome --dump-dom "file://$PWD/bad.html" >/dev/null &&
	test_must_fail no_console &&
	grep "CONSOLE.*boom" chrome.log
'

test_expect_success '--export writes pages that open from disk, every link resolved' '
	web_store &&
	mlops web --export site >out &&
	grep "^wrote [0-9]* files to site" out &&
	for f in index features pipelines registry endpoints monitoring \
		features/customers "runs/$RUN" registry/churn \
		registry/churn/1 registry/churn/2 endpoints/ep-web; do
		test -f "site/$f.html" && test -f "site/$f.json" ||
			{ echo >&2 "missing $f"; exit 1; }
	done &&
	test -f "site/runs/$RUN/check.log" &&
	$PYTHON - site <<-\PY &&
	import html.parser, os, sys, urllib.parse
	root = sys.argv[1]
	class Links(html.parser.HTMLParser):
	    def __init__(self):
	        super().__init__()
	        self.hrefs = []
	    def handle_starttag(self, tag, attrs):
	        self.hrefs += [v for k, v in attrs if k == "href"]
	n = 0
	for d, _, files in os.walk(root):
	    for f in files:
	        if not f.endswith(".html"):
	            continue
	        p = Links()
	        p.feed(open(os.path.join(d, f)).read())
	        for h in p.hrefs:
	            assert ":" not in h and not h.startswith("/"), h
	            t = os.path.normpath(os.path.join(d, urllib.parse.unquote(h)))
	            assert t.startswith(root + "/"), (f, h)
	            assert os.path.isfile(t), (os.path.join(d, f), h)
	            n += 1
	assert n > 50, n
	PY
	chrome --screenshot="$PWD/disk.png" --window-size=1280,1600 \
		"file://$PWD/site/runs/$RUN.html" &&
	chrome --dump-dom "file://$PWD/site/registry/churn/1.html" \
		>dom-disk.html &&
	chrome --dump-dom "file://$PWD/site/index.html" >dom-index.html &&
	no_console &&
	png_ok disk.png 1280 1600 &&
	check_dom dom-disk.html "<script>alert(2)</script>" "Model card" &&
	check_dom dom-index.html feature_groups &&
	mlops web --export site >out2 &&
	test_cmp out out2
'

test_done
