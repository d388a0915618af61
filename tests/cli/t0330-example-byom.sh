#!/bin/bash
# t0330-example-byom.sh - the churn example's bring-your-own models
# (examples/churn/byom): a scikit-learn model trained on the example's
# point-in-time dataset, served by the exec runtime (worker.py) and by the
# http runtime (app.py, a Flask app following the container contract);
# each is registered, deployed as an endpoint and answers requests with
# the predictions the same pickled model gives in Python; the gateway is
# stopped and the endpoints deleted by the test.
. "$(dirname "$0")/test-lib.sh"

EX=$TEST_ROOT/examples/churn
BYOM=$EX/byom

# train: the example's dataset (feature store, point-in-time), split, a
# scikit-learn model.pkl; requests.csv rows to send
train() {
	mlops-feature create "$EX/features/customers.yaml" >/dev/null &&
	$PYTHON "$EX/generate.py" events raw --customers 80 &&
	mlops-feature ingest customers raw/customers.csv >/dev/null &&
	mlops-feature dataset --entities raw/labels.csv \
		--features customers:tenure,support_calls,monthly_spend >dataset.csv &&
	$PYTHON "$EX/split.py" dataset.csv train.csv test.csv &&
	$PYTHON "$BYOM/train.py" train.csv model.pkl >trained &&
	grep "^trained on [0-9]* rows, accuracy 0\.[0-9]*$" trained &&
	$PYTHON "$EX/generate.py" requests requests.csv --customers 20 &&
	# the same model's predictions, computed in Python without the example
	$PYTHON -c "
import csv, pickle
m = pickle.load(open('model.pkl', 'rb'))
X = [[float(v) for v in r] for r in csv.reader(open('requests.csv'))]
for p in m.predict_proba(X)[:, 1]:
    print('%.6f' % p)" >expect &&
	test_line_count = 20 expect
}

# no_workers: within 10 s, no process runs in the store's model
# directories (the workers die with the gateway)
no_workers() {
	for i in $(seq 1 100); do
		for p in /proc/[0-9]*; do
			readlink "$p/cwd" 2>/dev/null
		done | grep -qF "$MLOPS_STORE" || return 0
		sleep 0.1
	done
	echo >&2 "workers still run in $MLOPS_STORE"
	return 1
}

# serve: a daemonised gateway on a free port; sets $URL
serve() {
	port=$(test_free_port) &&
	mlops-deploy serve --daemon --listen 127.0.0.1:$port --log gw.log &&
	URL=http://127.0.0.1:$port
}

test_expect_success 'exec: the scikit-learn worker answers as the model does in Python' '
	train &&
	cp "$BYOM/worker.py" "$BYOM/churn_model.py" . &&
	mlops-registry register churn-sklearn --framework exec \
		--entry "/usr/bin/python3 worker.py" --artifact model.pkl \
		--artifact churn_model.py --artifact worker.py >ref &&
	echo churn-sklearn/1 >want && test_cmp want ref &&
	mlops-registry show churn-sklearn/1 >show &&
	grep "exec" show &&
	mlops-registry approve churn-sklearn/1 &&
	mlops-deploy create churn-sklearn --model churn-sklearn/1 &&
	serve &&
	mlops-deploy invoke churn-sklearn --url "$URL" --lines <requests.csv >got &&
	test_cmp expect got &&
	curl -s -H "Content-Type: text/csv" --data-binary @requests.csv \
		"$URL/endpoints/churn-sklearn/invocations" >got2 &&
	test_cmp expect got2 &&
	# a bad row is a model error (424) naming why
	code=$(echo "1,2" | curl -s -o err -w "%{http_code}" -H "Content-Type: text/csv" \
		--data-binary @- "$URL/endpoints/churn-sklearn/invocations") &&
	test "$code" = 424 &&
	grep "2 values, expected 3" err &&
	# scikit-learn refuses NaN with a message of several lines: the worker
	# answers on one line, so the next request gets its own answer
	code=$(echo "nan,1,2" | curl -s -o err -w "%{http_code}" -H "Content-Type: text/csv" \
		--data-binary @- "$URL/endpoints/churn-sklearn/invocations") &&
	test "$code" = 424 &&
	grep "contains NaN" err &&
	head -n 1 requests.csv | mlops-deploy invoke churn-sklearn --url "$URL" --lines >got3 &&
	head -n 1 expect >expect3 &&
	test_cmp expect3 got3 &&
	mlops-deploy stop &&
	mlops-deploy delete churn-sklearn &&
	test_must_fail mlops-deploy describe churn-sklearn &&
	test_must_fail curl -sf "$URL/ping" &&
	no_workers
'

test_expect_success 'http: the Flask app answers as the model does in Python' '
	train &&
	cp "$BYOM/app.py" "$BYOM/churn_model.py" . &&
	mlops-registry register churn-flask --framework http \
		--entry "/usr/bin/python3 app.py" --artifact model.pkl \
		--artifact churn_model.py --artifact app.py >ref &&
	echo churn-flask/1 >want && test_cmp want ref &&
	mlops-registry approve churn-flask/1 &&
	mlops-deploy create churn-flask --model churn-flask/1 &&
	serve &&
	mlops-deploy invoke churn-flask --url "$URL" --lines <requests.csv >got &&
	test_cmp expect got &&
	head -n 2 expect >expect2 &&
	printf "{\"instances\": [[%s], [%s]]}" "$(sed -n 1p requests.csv)" \
		"$(sed -n 2p requests.csv)" >two.json &&
	curl -s -H "Content-Type: application/json" --data-binary @two.json \
		"$URL/endpoints/churn-flask/invocations" >got2 &&
	test_cmp expect2 got2 &&
	code=$(echo "x,y,z" | curl -s -o err -w "%{http_code}" -H "Content-Type: text/csv" \
		--data-binary @- "$URL/endpoints/churn-flask/invocations") &&
	test "$code" = 424 &&
	mlops-deploy stop &&
	mlops-deploy delete churn-flask &&
	test_must_fail mlops-deploy describe churn-flask &&
	test_must_fail curl -sf "$URL/ping" &&
	no_workers
'

test_done
