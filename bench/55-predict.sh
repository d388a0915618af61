# 55-predict.sh - one prediction as the gateway makes it: the native
# evaluator of lib/deploy (xgbtrees.c) on one row per call, for a model
# of 100 trees of depth 6 over 20 features, on random rows (as traffic
# is) and on one repeated row (the serving benches' request, whose path
# the branch predictor learns). The peer is XGBoost's own Python
# in-place prediction, one row per call, as a Flask server calls it.
# Medians of 5 passes over BENCH_PREDICT_ROWS (100000) rows.
set -e
. "$BENCH_DIR/lib-report.sh"
rows=${BENCH_PREDICT_ROWS:-$(quick 20000 100000)}
src=$(cd "$BENCH_DIR/.." && pwd)
bin=$(dirname "$(command -v mlops)")
$PYTHON - <<'PY'
import numpy as np, xgboost as xgb
rng = np.random.default_rng(7)
X = rng.normal(size=(20000, 20))
y = (X[:, 0] + X[:, 1] * X[:, 2] - X[:, 3] > 0).astype(int)
b = xgb.train({"max_depth": 6, "objective": "binary:logistic", "eta": 0.1,
               "seed": 1, "subsample": 0.8}, xgb.DMatrix(X, label=y),
              num_boost_round=100)
b.save_model("model.json")
PY
cc -O2 -std=c11 -D_GNU_SOURCE -I"$src/lib" -o predict \
	"$BENCH_DIR/predict.c" "$bin/../lib/libmlops.a" \
	$(pkg-config --libs jansson) -lm
read -r random _ < <(./predict model.json 20 "$rows" random)
read -r same _ < <(./predict model.json 20 "$rows" same)
peer=-
if py_has xgboost; then
	peer=$($PYTHON - "$(quick 2000 10000)" <<'PY'
import sys, time, numpy as np, xgboost as xgb
n = int(sys.argv[1])
b = xgb.Booster(model_file="model.json")
X = np.random.default_rng(7).uniform(-3, 3, size=(n, 20)).astype(np.float32)
passes = []
for _ in range(5):
    t0 = time.perf_counter()
    for r in range(n):
        b.inplace_predict(X[r:r + 1])
    passes.append((time.perf_counter() - t0) / n * 1e6)
print("%.3f" % sorted(passes)[2])
PY
)
fi
printf "%-44s %10s\n" "one row, 100 trees of depth 6" "us/row"
printf "%-44s %10s\n" "native evaluator, random rows" "$random"
printf "%-44s %10s\n" "native evaluator, one repeated row" "$same"
printf "%-44s %10s\n" "xgboost inplace_predict (Python), random" "$peer"
report_row predict "one row, 100 trees depth 6, random rows" "$random" \
	"python3-xgboost inplace_predict" "$peer" us
