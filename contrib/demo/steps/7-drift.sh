# 7-drift.sh - drifted traffic captured, its outcomes ingested; run-due finds the violation; the retrain rule trains a new version on the drift
export MLOPS_STORE=$PROD MLOPS_USER=$ENG
run $PYTHON "$REPO/generate.py" requests drifted.csv --customers $REQUESTS --drift
run $PYTHON "$REPO/send.py" "$prod_url" drifted.csv
sent=$(date -u +%s)
# meanwhile the outcomes of customers like these become known: the data
# scientist ingests their records and churn labels in ml, the ground truth
# the pipeline's dataset step reads (its inputs are the feature groups)
run $PYTHON "$REPO/generate.py" events drifted-raw --customers $REQUESTS --drift
MLOPS_STORE=$ML as $DS mlops-feature ingest customers drifted-raw/customers.csv
MLOPS_STORE=$ML as $DS mlops-feature ingest churn_labels drifted-raw/labels.csv
# the gateway writes capture in batches: wait until the drifted rows are in
captured() { [ "$(mlops-deploy capture churn | wc -l)" -ge $((2 * REQUESTS + 3)) ]; }
wait_for 30 captured
served=$(mlops-deploy describe churn | sed -n 's/^model: *//p')
before=$(MLOPS_STORE=$ML mlops-registry list --json churn | jq -s length)
# the schedule runs hourly; --now just after the end of the hour the
# drifted traffic came in makes its window due at once, and no later
# window, which would be empty (it exits 1 when an execution found
# violations, which is what we want)
rc=0
run mlops-monitor run-due --now "$(date -u -d "@$(( (sent / 3600 + 1) * 3600 + 30 ))" +%Y-%m-%dT%H:%M:%SZ)" || rc=$?
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
# the new dataset, not the cache: the rerun's dataset step ran again
retrain=$(MLOPS_STORE=$ML mlops-pipeline list --json | jq -s -r '.[-1].id')
MLOPS_STORE=$ML run mlops-pipeline show "$retrain"
MLOPS_STORE=$ML mlops-pipeline show --json "$retrain" |
	jq -e '.steps[] | select(.name == "dataset") | .cacheHit == false' >/dev/null ||
	fail "the retraining run took its dataset from the cache"
# held-out rows: a fifth of the customers, so they grow with the training rows
held_out() { MLOPS_STORE=$ML mlops-registry show --json "$1" | jq -r .metrics.rows; }
was=$(held_out "$served") now=$(held_out "$new")
[ "$now" -gt "$was" ] || fail "$new was evaluated on $now rows, $served on $was"
echo "(trained on the drifted customers too: $new held out $now rows, $served $was)"
summary_note="$new trained with the drifted customers' outcomes ($now held-out rows, $served $was)"
unset MLOPS_STORE MLOPS_USER
