# 3-pipeline.sh - a git repository for the model; a commit runs the pipeline, which registers the model with metrics, lineage and a card
cd "$REPO"
export MLOPS_STORE=$ML MLOPS_USER=$DS
run git init -q -b main .
git config user.email $DS
git config user.name Dana
run mlops-pipeline hook install --wait
git add .
run git commit -q -m "churn model: features, pipeline, card"
echo
run mlops-registry list churn
run mlops-registry lineage churn/1
mlops-registry lineage churn/1 | grep -q "^commit: *$(git rev-parse HEAD)" ||
	fail "churn/1's lineage does not name the commit"
mlops-registry show churn/1 | grep -q '^  auc ' || fail "churn/1 has no AUC"
mlops-registry card show churn/1 | grep -q 'Model card: churn/1' ||
	fail "churn/1 has no model card"
echo "(churn/1 has a model card: mlops-registry card show churn/1)"
unset MLOPS_STORE MLOPS_USER
cd "$work"
