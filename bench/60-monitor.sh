# 60-monitor.sh - mlops-monitor next to pandas and scipy: a baseline of
# 1M rows x 20 columns (16 numeric, 4 categorical) against pandas
# describe + quantiles + value_counts on the same file, and drift of 16
# columns, 500k vs 500k rows, against scipy.stats.ks_2samp per column
# (wall and CPU seconds and peak RSS from /usr/bin/time; the ratios are
# of CPU seconds, which a machine shared with other work disturbs less).
#
# Last, run-due over an hour of capture of 16 columns.
#
# Sizes (defaults are the issue's figures; set smaller ones to try it):
#   BENCH_MONITOR_ROWS  rows of the baseline file (1000000)
#   BENCH_DRIFT_ROWS    rows of each drift sample (500000)
#   BENCH_CAPTURE_RATE  captured requests a second (1000)
set -e
rows=${BENCH_MONITOR_ROWS:-1000000}
drift_rows=${BENCH_DRIFT_ROWS:-500000}

measure() {
	out=$1
	shift
	/usr/bin/time -f "%e %U %S %M" -o "$out" "$@"
}

# gen N SEED SHIFT: N rows of 16 numeric and 4 categorical columns.
gen() {
	awk -v n="$1" -v seed="$2" -v shift="$3" 'BEGIN {
		srand(seed)
		for (j = 0; j < 16; j++)
			printf "n%d,", j
		print "c0,c1,c2,c3"
		for (i = 0; i < n; i++) {
			for (j = 0; j < 16; j++)
				if (j % 2)
					printf "%.4f,", rand() * 100 + shift
				else
					printf "%d,", int(rand() * 1000 + shift)
			printf "cat%d,plan%d,s%d,r%d\n", int(rand() * 5),
			       int(rand() * 50), int(rand() * 500),
			       int(rand() * 5000)
		}
	}'
}

gen "$rows" 1 0 >base.csv
measure mon.time mlops-monitor baseline --data base.csv -o out
read -r mon_s mon_u mon_k mon_kb <mon.time
mon_c=$(awk -v u="$mon_u" -v k="$mon_k" "BEGIN { print u + k }")
cat >pandas-baseline.py <<'PY'
import sys
import pandas as pd
df = pd.read_csv(sys.argv[1])
num = df.select_dtypes("number")
num.describe()
num.quantile([i / 10 for i in range(11)])
for c in df.select_dtypes(exclude="number"):
    df[c].value_counts()
PY
measure pd.time "$PYTHON" pandas-baseline.py base.csv
read -r pd_s pd_u pd_k pd_kb <pd.time
pd_c=$(awk -v u="$pd_u" -v k="$pd_k" "BEGIN { print u + k }")

gen "$drift_rows" 2 0 | cut -d, -f1-16 >ref.csv
gen "$drift_rows" 3 1 | cut -d, -f1-16 >cur.csv
measure drift.time mlops-monitor drift --reference ref.csv --data cur.csv \
	>drift.out
read -r drift_s drift_u drift_k drift_kb <drift.time
drift_c=$(awk -v u="$drift_u" -v k="$drift_k" "BEGIN { print u + k }")
cat >scipy-drift.py <<'PY'
import sys
import pandas as pd
from scipy import stats
a, b = pd.read_csv(sys.argv[1]), pd.read_csv(sys.argv[2])
for c in a.columns:
    r = stats.ks_2samp(a[c], b[c])
    print(f"{c}\tks\t{r.statistic!r}\t{r.pvalue!r}")
PY
measure scipy.time "$PYTHON" scipy-drift.py ref.csv cur.csv >scipy.out
read -r sp_s sp_u sp_k sp_kb <scipy.time
sp_c=$(awk -v u="$sp_u" -v k="$sp_k" "BEGIN { print u + k }")
same=$("$PYTHON" - <<'PY'
ours = [l.split("\t") for l in open("drift.out").read().splitlines()]
theirs = [l.split("\t") for l in open("scipy.out").read().splitlines()]
ok = len(ours) == len(theirs) == 16 and all(
    o[0] == t[0] and float(o[2]) == float(t[2]) and
    abs(float(o[3]) - float(t[3])) <= 1e-12 + 1e-7 * float(t[3])
    for o, t in zip(ours, theirs))
print("yes" if ok else "NO")
PY
)

awk -v r="$rows" -v ms="$mon_s" -v mc="$mon_c" -v mk="$mon_kb" \
    -v ps="$pd_s" -v pc="$pd_c" -v pk="$pd_kb" -v dr="$drift_rows" \
    -v ds="$drift_s" -v dc="$drift_c" -v dk="$drift_kb" -v ss="$sp_s" \
    -v sc="$sp_c" -v sk="$sp_kb" -v same="$same" 'BEGIN {
	printf "%-36s %8s %8s %8s %9s\n", "", "wall s", "CPU s", "peak MB",
	       "x (CPU)"
	printf "%-36s %8.2f %8.2f %8.1f\n", "baseline " r " x 20, ours",
	       ms, mc, mk / 1024
	printf "%-36s %8.2f %8.2f %8.1f %9.1f\n", "baseline, pandas", ps, pc,
	       pk / 1024, pc / (mc > 0 ? mc : 0.01)
	printf "%-36s %8.2f %8.2f %8.1f\n", "KS 16 cols " dr " x 2, ours",
	       ds, dc, dk / 1024
	printf "%-36s %8.2f %8.2f %8.1f %9.1f\n", "KS, scipy ks_2samp", ss, sc,
	       sk / 1024, sc / (dc > 0 ? dc : 0.01)
	printf "same KS statistics and p-values as scipy: %s\n", same
}'

# run-due over one hour of capture at BENCH_CAPTURE_RATE requests a
# second (1000): one schedule, one window.
rate=${BENCH_CAPTURE_RATE:-1000}
mlops init store >/dev/null
export MLOPS_STORE=$PWD/store/.mlops
echo cat >worker.sh
mlops-registry register churn --artifact worker.sh --framework exec \
	--entry "sh worker.sh" --status Approved >/dev/null
mlops-deploy create web --model churn/1 >/dev/null
cut -d, -f1-16 base.csv | head -n 100001 >train16.csv
mlops-monitor baseline --data train16.csv -o capbase
mlops-monitor schedule create hourly --endpoint web --baseline capbase \
	>/dev/null
start=$(( $(date +%s) / 3600 * 3600 ))
gen $((rate * 3600)) 4 0 | cut -d, -f1-16 | tail -n +2 |
awk -v start="$start" -v rate="$rate" -v dir="$MLOPS_STORE/capture/web" '
{
	t = start + int((NR - 1) / rate)
	ms = (NR - 1) % rate
	if (NR == 1) {
		path = dir "/" strftime("%Y/%m/%d/%H", t, 1)
		system("mkdir -p " path)
		file = path "/00-00-000-bench.jsonl"
	}
	printf "{\"captureData\":{\"endpointInput\":{\"observedContentType\":" \
	       "\"text/csv\",\"mode\":\"INPUT\",\"data\":\"%s\\n\",\"encoding\":" \
	       "\"CSV\"}},\"eventMetadata\":{\"eventId\":\"e%d\",\"inferenceTime\":" \
	       "\"%s.%03dZ\"},\"eventVersion\":\"0\"}\n", $0, NR,
	       strftime("%Y-%m-%dT%H:%M:%S", t, 1), ms % 1000 >file
}'
measure due.time mlops-monitor run-due \
	--now "$(date -u -d @$((start + 3600)) +%Y-%m-%dT%H:%M:%SZ)" \
	>due.out || true
read -r due_s due_u due_k due_kb <due.time
awk -v n="$((rate * 3600))" -v s="$due_s" -v k="$due_kb" -v out="$(cat due.out)" 'BEGIN {
	printf "run-due, one hour of capture (%d requests): %.2f s, %.1f MB peak\n",
	       n, s, k / 1024
	printf "  %s\n", out
}'
