#!/bin/bash
# t4004-deploy-bluegreen.sh - update and rollback under load: a client
# keeps several connections busy while the model changes under it; no
# request may fail, and traffic moves to the new version.
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-deploy.sh"

test_expect_success 'xgboost: update and rollback under load, no failed request' '
	train_model a.json 5 10 &&
	cp rows.csv body.csv &&
	train_model b.json 5 20 &&
	register_model churn a.json >/dev/null &&
	register_model churn b.json >/dev/null &&
	mlops-deploy create churn --model churn/1 &&
	start_gateway || exit 1
	load_client 60 churn body.csv stop >seen &
	client=$!
	sleep 1 &&
	mlops-deploy update churn --model churn/2 &&
	wait_for_model churn churn/2 &&
	sleep 1 &&
	mlops-deploy rollback churn &&
	wait_for_model churn churn/1 &&
	touch stop &&
	wait $client &&
	cat seen &&
	! grep -v "^200 " seen &&
	grep "^200 churn/1 [0-9]" seen &&
	grep "^200 churn/2 [0-9]" seen &&
	grep "switched to churn/2; draining churn/1" gw.log
'

test_expect_success 'exec: the new version answers before it gets traffic' '
	printf "import sys\nfor l in sys.stdin: print(\"v1\", flush=True)\n" >v1.py &&
	printf "import sys, time\ntime.sleep(0.5)\nfor l in sys.stdin: print(\"v2\", flush=True)\n" >v2.py &&
	echo 1,2 >body.csv &&
	register_model echo v1.py exec "$PYTHON v1.py" >/dev/null &&
	register_model echo v2.py exec "$PYTHON v2.py" >/dev/null &&
	mlops-deploy create echo --model echo/1 &&
	start_gateway || exit 1
	load_client 60 echo body.csv stop >seen &
	client=$!
	sleep 1 &&
	mlops-deploy update echo --model echo/2 &&
	wait_for_model echo echo/2 &&
	sleep 1 &&
	touch stop &&
	wait $client &&
	cat seen &&
	! grep -v "^200 " seen &&
	grep "^200 echo/1 [0-9]" seen &&
	grep "^200 echo/2 [0-9]" seen
'

test_expect_success 'an update to a model that cannot load keeps the old one' '
	train_model a.json &&
	echo "{ broken" >broken.json &&
	register_model churn a.json >/dev/null &&
	register_model churn broken.json >/dev/null &&
	mlops-deploy create churn --model churn/1 &&
	start_gateway &&
	mlops-deploy update churn --model churn/2 &&
	for i in $(seq 1 100); do
		curl -s "$URL/endpoints" | grep -q "update to churn/2 failed" && break
		sleep 0.05
	done &&
	curl -s "$URL/endpoints" | grep "\"model\":\"churn/1\"" &&
	curl -sf -H "Content-Type: text/csv" --data-binary @rows.csv \
		"$URL/endpoints/churn/invocations" >got &&
	close_to got expect.txt
'

test_expect_success 'creates and deletes are picked up without a restart' '
	train_model a.json &&
	register_model churn a.json >/dev/null &&
	start_gateway &&
	test "$(http_code POST "$URL/endpoints/late/invocations" -d 1)" = 404 &&
	mlops-deploy create late --model churn/1 &&
	kill -HUP $GW_PID &&
	wait_for_model late churn/1 &&
	curl -sf -H "Content-Type: text/csv" --data-binary @rows.csv \
		"$URL/endpoints/late/invocations" >got &&
	close_to got expect.txt &&
	mlops-deploy delete late &&
	for i in $(seq 1 100); do
		test "$(http_code POST "$URL/endpoints/late/invocations" -d 1)" = 404 && break
		sleep 0.05
	done &&
	test "$(http_code POST "$URL/endpoints/late/invocations" -d 1)" = 404
'
test_done
