# 40-registry.sh - the model registry: register, diff, approve, card, export to prod
# Each demo script runs in the demo's directory; `run` echoes commands.
run() { echo "\$ $*"; "$@"; }

# Two tiny XGBoost churn models, as a training step would leave them.
$PYTHON - <<'PY'
import json, numpy as np, xgboost as xgb
rng = np.random.default_rng(7)
X = rng.normal(size=(400, 3)); y = (X[:, 0] + X[:, 1] > 0).astype(int)
for name, depth in (("v1", 2), ("v2", 4)):
    m = xgb.XGBClassifier(n_estimators=10, max_depth=depth).fit(X[:300], y[:300])
    acc = float((m.predict(X[300:]) == y[300:]).mean())
    m.save_model(f"model-{name}.json")
    json.dump({"accuracy": acc, "binary_classification_metrics":
               {"auc": {"value": round(0.8 + depth / 100, 4)}}},
              open(f"metrics-{name}.json", "w"))
PY
seq 1 1000 > train.csv
mkdir -p v1 v2 && mv model-v1.json v1/model.json && mv model-v2.json v2/model.json

run mlops-registry create --description "customer churn classifiers" --tag team=growth churn
run mlops-registry register -a v1/model.json --metrics metrics-v1.json --param max_depth=2 --dataset train.csv churn
echo "\$ MLOPS_RUN_ID=run-1 MLOPS_STEP=train MLOPS_GIT_COMMIT=... mlops-registry register ... churn"
MLOPS_RUN_ID=run-1 MLOPS_STEP=train MLOPS_GIT_COMMIT=$(printf demo | sha1sum | cut -c1-40) \
	mlops-registry register -a v2/model.json --metrics metrics-v2.json --param max_depth=4 --dataset train.csv churn
run mlops-registry list churn
echo "\$ mlops-registry diff churn/1 churn/2"
mlops-registry diff churn/1 churn/2 || echo "(exit $?: they differ)"
run mlops-registry approve --note "better auc, same data" churn/2
run mlops-registry reject --note "superseded by churn/2" churn/1
run mlops-registry alias set churn champion 2
run mlops-registry status --history churn@champion
run mlops-registry lineage churn@champion
run mlops event log --source mlops.registry

cat > card.yaml <<'YAML'
intended_uses:
  purpose_of_model: predict which customers will cancel next month
  intended_uses: weekly batch scoring of active customers
  risk_rating: Medium
business_details:
  business_problem: churn costs about 2% of revenue a month
additional_information:
  caveats_and_recommendations: not validated for accounts younger than 30 days
YAML
run mlops-registry card create --from card.yaml churn/2
run mlops-registry card set churn/2 model_overview.model_owner=growth-ml intended_uses.risk_rating=Low
run mlops-registry card status churn/2 PendingReview
run mlops-registry card history churn/2
run mlops-registry card export --format html -o churn-2.html churn/2
echo "(churn-2.html: $(wc -c < churn-2.html) bytes, self-contained)"

# Production is another store: the approved model moves there as a tar stream.
run mlops init --env prod prod
echo "\$ mlops-registry export churn@champion | mlops --store prod registry import"
mlops-registry export churn@champion | mlops --store prod registry import
run mlops --store prod registry lineage churn/2
run mlops --store prod registry get -o served churn/2
run mlops audit verify
