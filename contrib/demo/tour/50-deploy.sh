# 50-deploy.sh - serverless endpoints: deploy an approved XGBoost model, call it, capture, blue/green
# Trains two tiny models with python3-xgboost, registers and approves
# them, serves them on a free port, and shows predictions, metrics, an
# update under the same URL, data capture and the audit trail.
run() { echo "\$ $*"; "$@"; }

$PYTHON - <<'PY'
import numpy as np, xgboost as xgb
rng = np.random.default_rng(5)
X = rng.normal(size=(1000, 4)); y = (X[:, 0] - X[:, 2] > 0).astype(int)
for name, rounds in (("churn-v1.json", 10), ("churn-v2.json", 40)):
    b = xgb.train({"max_depth": 3, "objective": "binary:logistic"},
                  xgb.DMatrix(X, label=y), num_boost_round=rounds)
    b.save_model(name)
np.savetxt("customers.csv", X[:3], delimiter=",", fmt="%.3f")
PY
run mlops-registry register churn-demo --artifact churn-v1.json --framework xgboost
run mlops-deploy create churn-web --model churn-demo/1 || true
run mlops-registry approve churn-demo/1
run mlops-deploy create churn-web --model churn-demo/1 --capture 100
run mlops-deploy list
port=$($PYTHON -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
run mlops-deploy serve --daemon --listen 127.0.0.1:$port --log gateway.log
trap 'mlops-deploy stop 2>/dev/null' EXIT
run cat customers.csv
echo "\$ curl -H 'Content-Type: text/csv' --data-binary @customers.csv http://127.0.0.1:$port/endpoints/churn-web/invocations"
curl -s -H 'Content-Type: text/csv' --data-binary @customers.csv \
	http://127.0.0.1:$port/endpoints/churn-web/invocations
echo "\$ mlops-deploy invoke churn-web --lines < customers.csv"
mlops-deploy invoke churn-web --lines < customers.csv
echo "\$ curl -d '1,2' .../invocations   # a row with 2 of 4 features"
curl -s -H 'Content-Type: text/csv' -d '1,2' \
	http://127.0.0.1:$port/endpoints/churn-web/invocations
run mlops-registry register churn-demo --artifact churn-v2.json --framework xgboost --status Approved
run mlops-deploy update churn-web --model churn-demo/2
sleep 1
echo "\$ curl -i ... (the X-Mlops-Model header names the version that answered)"
curl -s -i -H 'Content-Type: text/csv' --data-binary @customers.csv \
	http://127.0.0.1:$port/endpoints/churn-web/invocations | grep -E 'X-Mlops-Model|^0'
echo "\$ curl -s http://127.0.0.1:$port/metrics | grep churn-web | head -4"
curl -s http://127.0.0.1:$port/metrics | grep 'churn-web' | head -4
sleep 1.5
echo "\$ mlops-deploy capture churn-web | head -1"
mlops-deploy capture churn-web | head -1
run mlops-deploy stop
trap - EXIT
run mlops-deploy describe churn-web
run mlops event log --source mlops.deploy
