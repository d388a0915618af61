# 6-shadow.sh - a new version shadow-tested in prod on live requests; the report; promote
cd "$REPO"
export MLOPS_STORE=$ML
as $DS sed -i 's/^\(  max_depth: *{type: int, default: \)3}/\14}/' pipeline.yaml
MLOPS_USER=$DS run git commit -q -am "deeper trees"
mlops-registry show churn/3 | grep -q '^  max_depth *4' || fail "the commit did not register churn/3"
export MLOPS_USER=$ENG
run mlops-registry approve --note "candidate: deeper trees" churn/3
run mlops sync --to prod model churn/3
cd "$work"
export MLOPS_STORE=$PROD
run mlops-shadow start churn --model churn/3 --sample 100 --name churn-3
# the running gateway picks the test up without a restart
shadow_seen() { curl -s "http://127.0.0.1:$prod_port/endpoints" | grep -q '"test":"churn-3"'; }
wait_for 30 shadow_seen
run $PYTHON "$REPO/send.py" "$prod_url" requests.csv
mirrored() {
	[ "$(mlops-shadow status --json churn-3 | jq -r '.mirrored // .pairs // 0')" -ge "$1" ]
}
wait_for 30 mirrored $REQUESTS
# the candidate may differ from production a little (deeper trees): it
# passes if 95% of its classes agree and it does not fail. A few hundred
# requests on a busy 2-core machine time noise more than the models, so
# latency gates only at twice production's p90 here (the default is 1.2).
run mlops-shadow report --min-agreement 0.95 --max-latency-ratio 2 churn-3
run mlops-shadow promote churn-3
mlops-deploy describe churn | grep -q '^model: *churn/3$' || fail "churn-3 promoted, yet prod's churn does not serve churn/3"
unset MLOPS_STORE MLOPS_USER
