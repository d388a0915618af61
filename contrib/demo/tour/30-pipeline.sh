# 30-pipeline.sh - pipelines: a model repository whose commits run a DAG
# with cached steps, a condition and the shipped step templates
run() { echo "\$ $*"; "$@"; }

# A model repository: data, a pipeline made of shipped templates.
git init -q -b main churn-repo
cd churn-repo
git config user.email demo@example.com
git config user.name Demo
$PYTHON - <<'PY'
import random
random.seed(3)
rows = []
for i in range(600):
    tenure, calls = random.random(), random.random()
    churn = int(0.7 * calls - 0.5 * tenure + 0.3 * random.random() > 0.1)
    rows.append("%d,%.4f,%.4f" % (churn, tenure, calls))
open("raw.csv", "w").write("churn,tenure,calls\n" + "\n".join(rows) + "\n")
PY
cat >pipeline.yaml <<EOF
name: churn
parameters:
  min_auc: {type: float, default: 0.80}
  rounds:  {type: int, default: 30}
steps:
  - name: prepare
    run: head -n 451 raw.csv >train.csv && (head -n 1 raw.csv; tail -n 150 raw.csv) >test.csv
    inputs: [raw.csv]
    outputs: [train.csv, test.csv]
  - name: train
    needs: [prepare]
    template: train-xgboost
    with: {rounds: "\${rounds}", python: $PYTHON}
    retry: {attempts: 2, backoff: 1s}
    timeout: 10m
  - name: evaluate
    needs: [train]
    template: evaluate-binary-classifier
    with: {python: $PYTHON}
  - name: register
    needs: [evaluate]
    when: \${steps.evaluate.properties.auc} >= \${min_auc}
    template: register-model
    with: {group: churn-pipeline}
EOF
git add . && git commit -q -m "churn pipeline"

run mlops-pipeline validate
run mlops-pipeline run
echo "# an unchanged pipeline: every step comes from the cache"
run mlops-pipeline run
echo "# a stricter threshold: the register step is skipped"
run mlops-pipeline run -p min_auc=0.999
run mlops-pipeline graph

echo "# every commit on main runs the pipeline (here in the foreground)"
run mlops-pipeline hook install --wait
sed -i 's/rounds:  {type: int, default: 30}/rounds:  {type: int, default: 40}/' pipeline.yaml
run git commit -q -am "train 40 rounds"
last=$(mlops-pipeline list --json | jq -s -r '.[-1].id')
run mlops-pipeline show "$last"
run mlops-pipeline logs "$last" evaluate
run mlops-pipeline list
run mlops-pipeline hook uninstall
run mlops event log --source mlops.pipeline --limit 3
cd ..
