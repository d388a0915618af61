# 85-stack.sh - mlops plan and mlops apply over a stack of 100 feature
# groups (files of 12 features each) and 20 endpoints: apply into an
# empty store, plan of the store that matches (no changes), plan with one
# setting changed on each endpoint, and the apply of those changes;
# RUNS times each (median). A run of mlops-feature create and
# mlops-deploy create doing the same creates by hand is the peer. The
# quick mode runs once.
. "$BENCH_DIR/lib-report.sh"
RUNS=${RUNS:-$(quick 1 5)}
echo cat >worker.sh
mkdir -p features
for g in $(seq 1 100); do
	{
		echo "name: g$g"
		echo "record_identifier: id"
		echo "event_time: t"
		echo "features:"
		echo "  - {name: id, type: string}"
		echo "  - {name: t, type: integral}"
		for f in $(seq 1 10); do
			echo "  - {name: f$f, type: fractional}"
		done
	} >features/g$g.yaml
done
{
	echo "feature_groups:"
	for g in $(seq 1 100); do echo "  - features/g$g.yaml"; done
	echo "endpoints:"
	for e in $(seq 1 20); do
		echo "  e$e: {model: churn/1, max_concurrency: 20, idle_timeout: 120s, capture: 5}"
	done
} >stack.yaml
sed 's/max_concurrency: 20/max_concurrency: 30/' stack.yaml >changed.yaml

# secs CMD...: wall seconds of CMD (whatever its exit status).
secs() {
	t0=$(date +%s.%N); "$@" >/dev/null; t1=$(date +%s.%N)
	echo "$t1 - $t0" | bc
}
fresh() {
	rm -rf s && mlops init s >/dev/null &&
	MLOPS_STORE=$PWD/s/.mlops mlops-registry register churn -a worker.sh \
		--framework exec --entry "sh worker.sh" --status Approved \
		>/dev/null
}
by_hand() {
	for g in $(seq 1 100); do
		mlops-feature create features/g$g.yaml || return 1
	done
	for e in $(seq 1 20); do
		mlops-deploy create e$e --model churn/1 --max-concurrency 20 \
			--idle-timeout 120s --capture 5 || return 1
	done
}

export MLOPS_STORE=$PWD/s/.mlops
for i in $(seq 1 "$RUNS"); do
	fresh
	secs mlops apply >>apply.t
	secs mlops plan >>plan.t
	secs mlops plan -f changed.yaml >>plan-changed.t
	secs mlops apply -f changed.yaml >>apply-changed.t
	fresh
	secs by_hand >>hand.t
done
mlops plan >/dev/null && echo "plan after apply: no changes (exit 0)"
awk -v a="$(median_of <apply.t)" -v p="$(median_of <plan.t)" \
    -v pc="$(median_of <plan-changed.t)" -v ac="$(median_of <apply-changed.t)" \
    -v h="$(median_of <hand.t)" -v n="$RUNS" 'BEGIN {
	printf "%-48s %8s\n", "median of " n " runs (100 groups, 20 endpoints)", "seconds"
	printf "%-48s %8.2f\n", "apply into an empty store (120 creates)", a
	printf "%-48s %8.2f\n", "plan, nothing to change", p
	printf "%-48s %8.2f\n", "plan, 20 endpoints changed", pc
	printf "%-48s %8.2f\n", "apply of the 20 changes", ac
	printf "%-48s %8.2f\n", "120 creates by hand (mlops-feature, mlops-deploy)", h
	printf "ratio apply / by hand: %.2f\n", a / h
}'
report_row stack "apply, 100 groups + 20 endpoints" "$(median_of <apply.t)" \
	"120 mlops-feature/deploy creates" "$(median_of <hand.t)" s
report_row stack "plan, no changes" "$(median_of <plan.t)" - - s
