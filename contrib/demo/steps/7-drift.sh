# 7-drift.sh - drifted traffic captured; run-due finds the violation; the retrain rule starts the pipeline; a new version appears
export MLOPS_STORE=$PROD MLOPS_USER=$ENG
run $PYTHON "$REPO/generate.py" requests drifted.csv --customers $REQUESTS --drift
run $PYTHON "$REPO/send.py" "$prod_url" drifted.csv
# the gateway writes capture in batches: wait until the drifted rows are in
captured() { [ "$(mlops-deploy capture churn | wc -l)" -ge $((2 * REQUESTS + 3)) ]; }
wait_for 30 captured
served=$(mlops-deploy describe churn | sed -n 's/^model: *//p')
before=$(MLOPS_STORE=$ML mlops-registry list --json churn | jq -s length)
# the schedule runs hourly; --now an hour on makes it due at once
# (it exits 1 when an execution found violations, which is what we want)
rc=0
run mlops-monitor run-due --now "$(date -u -d '+61 min' +%Y-%m-%dT%H:%M:%SZ)" || rc=$?
[ $rc -eq 1 ] || fail "run-due exited $rc, expected 1 (violations)"
run mlops-monitor executions churn-data
mlops-monitor executions --json churn-data | jq -s -e 'map(.violations // 0) | max > 0' >/dev/null ||
	fail "the monitor found no violation in drifted traffic"
# the violation event reaches the rule 'retrain' (dispatch starts by
# itself), which reruns the pipeline in ml at $served's commit
new_version() { [ "$(MLOPS_STORE=$ML mlops-registry list --json churn | jq -s length)" -gt "$before" ]; }
wait_for 120 new_version
run mlops event rule list
MLOPS_STORE=$ML run mlops-registry list churn
new=$(MLOPS_STORE=$ML mlops-registry list --json churn | jq -s -r '.[-1] | "\(.group)/\(.version)"')
echo "(retrained: $new, from the commit that made $served)"
unset MLOPS_STORE MLOPS_USER
