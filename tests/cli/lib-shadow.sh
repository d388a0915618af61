# lib-shadow.sh - helpers of the mlops-shadow shell tests (sourced after
# lib-deploy.sh).

# shadow_models: endpoint web serving churn/1; churn/2, another xgboost
# model, registered and approved; rows.csv and expect.txt are churn/2's.
shadow_models() {
	train_model m1.json 5 10 &&
	train_model m2.json 5 12 &&
	register_model churn m1.json >/dev/null &&
	register_model churn m2.json >/dev/null &&
	mlops-deploy create web --model churn/1 >/dev/null
}

# wait_log TEXT: until the gateway's log has a line with TEXT.
wait_log() {
	for i in $(seq 1 400); do
		grep -q "$1" gw.log && return 0
		sleep 0.05
	done
	echo >&2 "wait_log: no '$1' in gw.log" && cat gw.log >&2
	return 1
}

# wait_status TEST FIELD N: until status --json TEST has FIELD >= N.
wait_status() {
	for i in $(seq 1 400); do
		mlops-shadow status --json "$1" | $PYTHON -c "
import json, sys
sys.exit(0 if json.load(sys.stdin)[sys.argv[1]] >= int(sys.argv[2]) else 1)
" "$2" "$3" && return 0
		sleep 0.05
	done
	mlops-shadow status "$1" >&2
	return 1
}

# shadow_gateway: shadow_models, and a gateway serving web.
shadow_gateway() {
	shadow_models &&
	start_gateway &&
	wait_for_model web churn/1
}

# register_slow SECONDS: register and approve an exec version of churn
# that answers each request "1" after sleeping SECONDS; prints its ref.
register_slow() {
	printf 'while read l; do sleep %s; echo 1; done\n' "$1" >slow.sh &&
	register_model churn slow.sh exec "sh slow.sh"
}
