# 8-report.sh - the dashboard as HTML, a static export of prod, audit verify and fsck on every store
export MLOPS_USER=$ADMIN
# let the dispatchers finish what the events started
idle() {
	local s
	for s in $ML $STAGING $PROD; do
		MLOPS_STORE=$s mlops event rule list --json |
			jq -s -e 'map(.pending // 0) | add // 0 | . == 0' >/dev/null || return 1
	done
}
wait_for 120 idle
MLOPS_STORE=$PROD run mlops-monitor dashboard --html dashboard.html
grep -q 'churn' dashboard.html || fail "the dashboard does not show the endpoint churn"
run mlops --store $PROD web --export site
[ -s site/index.html ] || fail "mlops web --export wrote no site/index.html"
echo "(dashboard.html: $(wc -c <dashboard.html) bytes; site/: $(find site -type f | wc -l) files)"
for s in $ML $STAGING $PROD; do
	run mlops --store $s audit verify
	run mlops --store $s fsck
done
unset MLOPS_USER
