# 5-deploy.sh - the MLOps engineer approves; the event rule deploys to staging; requests; bring-your-own scikit-learn models (exec, http); sync to prod, deployed with capture on
export MLOPS_USER=$ENG
$PYTHON "$REPO/generate.py" requests requests.csv --customers $REQUESTS
head -n 3 requests.csv >three.csv
MLOPS_STORE=$ML run mlops-registry approve --note "AUC above the bar on held-out customers" churn/2
run mlops --store $ML sync --to staging model churn/2
# the import into staging records an Approved event: its rule 'staging'
# deploys churn-staging (dispatch starts by itself; this waits for it)
export MLOPS_STORE=$STAGING
wait_for 60 mlops-deploy describe churn-staging
run mlops event rule list
run mlops-deploy describe churn-staging
mlops-deploy describe churn-staging | grep -q '^model: *churn/2$' ||
	fail "churn-staging does not serve churn/2"
port=$(free_port)
run mlops-deploy serve --daemon --listen 127.0.0.1:$port --log "$work/staging-gateway.log"
url=http://127.0.0.1:$port/endpoints/churn-staging/invocations
echo "\$ mlops-deploy invoke churn-staging --lines <three.csv" >&2
mlops-deploy invoke churn-staging --lines <three.csv | tee out.txt
echo "\$ curl -s -H 'Content-Type: text/csv' --data-binary @three.csv $url" >&2
curl -s -H 'Content-Type: text/csv' --data-binary @three.csv "$url" | tee out2.txt
[ "$(grep -c '^0\.[0-9]' out.txt)" -eq 3 ] || fail "invoke did not give 3 probabilities"
grep -q '0\.[0-9]' out2.txt || fail "curl did not get predictions"
# bring your own model (examples/churn/byom): a scikit-learn model on the
# same features, served by the exec runtime (worker.py) and by a Flask app
# following the container contract (http runtime); the same rule deploys
# them to staging, and they answer as the model does in Python
byom=$REPO/byom
$PYTHON "$REPO/split.py" dataset.csv byom-train.csv byom-test.csv
as $DS $PYTHON "$byom/train.py" byom-train.csv model.pkl
as $DS mlops-registry --store $ML register churn-sklearn --framework exec \
	--entry "/usr/bin/python3 worker.py" --artifact model.pkl \
	--artifact "$byom/churn_model.py" --artifact "$byom/worker.py"
as $DS mlops-registry --store $ML register churn-flask --framework http \
	--entry "/usr/bin/python3 app.py" --artifact model.pkl \
	--artifact "$byom/churn_model.py" --artifact "$byom/app.py"
for g in churn-sklearn churn-flask; do
	MLOPS_STORE=$ML mlops-registry approve $g/1 >/dev/null
	mlops --store $ML sync --to staging model $g/1 >/dev/null
done
PYTHONDONTWRITEBYTECODE=1 MLOPS_MODEL_DIR=$work PYTHONPATH=$byom $PYTHON -c 'import sys, churn_model as m
rows = [m.parse(l) for l in sys.stdin]
print("\n".join(m.score(m.load(), rows)))' <three.csv >byom-expect.txt
# routed: the staging gateway routes $1 (it reloads when the store changes)
routed() {
	curl -sf "http://127.0.0.1:$port/endpoints" |
		jq -e --arg n "$1" 'any(.[]; .name == $n)'
}
for g in churn-sklearn churn-flask; do
	wait_for 60 routed $g-staging
	echo "\$ mlops-deploy invoke $g-staging --lines <three.csv" >&2
	mlops-deploy invoke $g-staging --lines <three.csv | tee byom-out.txt
	cmp -s byom-expect.txt byom-out.txt ||
		fail "$g-staging does not answer as the model does in Python"
done
run mlops-deploy stop
export MLOPS_STORE=$ML
run mlops sync --to prod model churn/2
export MLOPS_STORE=$PROD
cd "$REPO"
# the monitoring schedule's baseline: the training data's features
tail -n +2 "$work/dataset.csv" | cut -d, -f4- >"$work/train-features.csv"
run mlops-monitor baseline --no-header --data "$work/train-features.csv" -o baselines/churn
run mlops apply -f ops.yaml --yes
cd "$work"
mlops-deploy describe churn | grep -q '^model: *churn/2$' || fail "prod's churn does not serve churn/2"
mlops-deploy describe churn | grep -q '^settings.capture_percent: *100' || fail "prod's churn does not capture"
prod_port=$(free_port)
run mlops-deploy serve --daemon --listen 127.0.0.1:$prod_port --log "$work/prod-gateway.log"
prod_url=http://127.0.0.1:$prod_port/endpoints/churn/invocations
run mlops-deploy invoke churn --lines <three.csv
unset MLOPS_STORE MLOPS_USER
