# 4-retrain.sh - a commit changing only training parameters re-runs only train, evaluate and register
cd "$REPO"
export MLOPS_STORE=$ML MLOPS_USER=$DS
run sed -i 's/^\(  rounds: *{type: int, default: \)20}/\140}/' pipeline.yaml
git diff --stat
run git commit -q -am "train 40 rounds"
last=$(mlops-pipeline list --json | jq -s -r '.[-1].id')
echo
run mlops-pipeline show "$last"
cache=$(mlops-pipeline show --json "$last" |
	jq -r '.steps[] | "\(.name)=\(.cacheHit)"' | tr '\n' ' ')
case $cache in
"dataset=true split=true train=false evaluate=false register=false ") ;;
*) fail "expected dataset and split from the cache, train and evaluate run: $cache" ;;
esac
mlops-registry show churn/2 | grep -q '^  rounds *40' || fail "churn/2 was not trained with 40 rounds"
unset MLOPS_STORE MLOPS_USER
cd "$work"
