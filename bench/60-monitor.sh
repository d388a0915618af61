# 60-monitor.sh - mlops-monitor next to pandas and scipy: a baseline of
# 1M rows x 20 columns (16 numeric, 4 categorical) against pandas
# describe + quantiles + value_counts on the same file, and drift of 16
# columns, 500k vs 500k rows, against scipy.stats.ks_2samp per column
# (wall and CPU seconds and peak RSS from /usr/bin/time, each the median
# of BENCH_RUNS runs, the two sides taking turns; the machine's load is
# printed with them). What each side does:
#   baseline, ours:   read the CSV, infer types, count, mean, sum,
#                     std_dev, min, max, a KLL sketch per number column,
#                     exact value counts up to 1024 then HyperLogLog for
#                     every column, and write statistics.json and
#                     constraints.json;
#   baseline, pandas: pd.read_csv, describe() of the numbers, eleven
#                     quantiles, value_counts() of each other column;
#   KS, ours:         read both CSVs, per column sort both samples and
#                     compute ks_2samp's statistic and p-value;
#   KS, scipy:        pd.read_csv of both, stats.ks_2samp per column.
# Ours runs with one thread per processor (the default) and again with
# --threads 1; the ratios x (CPU) compare CPU seconds, which other work
# on a shared machine disturbs less, x (wall) compare wall seconds.
#
# Last, run-due over an hour of capture of 16 columns.
#
# Sizes (defaults are the issue's figures, the quick mode's in brackets):
#   BENCH_MONITOR_ROWS  rows of the baseline file (1000000 [100000])
#   BENCH_DRIFT_ROWS    rows of each drift sample (500000 [50000])
#   BENCH_CAPTURE_RATE  captured requests a second (1000 [100])
#   BENCH_RUNS          runs of each side to take the median of (5 [1])
# Without pandas and scipy, their side is left out ("-").
set -e
. "$BENCH_DIR/lib-report.sh"
rows=${BENCH_MONITOR_ROWS:-$(quick 100000 1000000)}
drift_rows=${BENCH_DRIFT_ROWS:-$(quick 50000 500000)}
runs=${BENCH_RUNS:-$(quick 1 5)}
py=1
have_peer "pandas and scipy" py_has pandas scipy || py=

measure() {
	out=$1
	shift
	/usr/bin/time -f "%e %U %S %M" -o "$out" "$@"
}

# median FILE: the medians of wall, user + sys and peak RSS over the
# lines of FILE ("wall user sys kb").
median() {
	awk '{ w[NR] = $1; c[NR] = $2 + $3; k[NR] = $4 }
	function med(a, n,    i, j, t) {
		for (i = 1; i <= n; i++)
			for (j = i + 1; j <= n; j++)
				if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	END { printf "%s %s %s\n", med(w, NR), med(c, NR), med(k, NR) }' "$1"
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
cat >scipy-drift.py <<'PY'
import sys
import pandas as pd
from scipy import stats
a, b = pd.read_csv(sys.argv[1]), pd.read_csv(sys.argv[2])
for c in a.columns:
    r = stats.ks_2samp(a[c], b[c])
    print(f"{c}\tks\t{r.statistic!r}\t{r.pvalue!r}")
PY

gen "$rows" 1 0 >base.csv
gen "$drift_rows" 2 0 | cut -d, -f1-16 >ref.csv
gen "$drift_rows" 3 1 | cut -d, -f1-16 >cur.csv
load0=$(cut -d" " -f1-3 /proc/loadavg)
: >mon.runs; : >mon1.runs; : >pd.runs; : >drift.runs; : >drift1.runs
: >scipy.runs
for r in $(seq "$runs"); do
	measure t mlops-monitor baseline --data base.csv -o out
	cat t >>mon.runs
	measure t mlops-monitor baseline --threads 1 --data base.csv -o out1
	cat t >>mon1.runs
	[ -z "$py" ] || { measure t "$PYTHON" pandas-baseline.py base.csv &&
		cat t >>pd.runs; }
	measure t mlops-monitor drift --reference ref.csv --data cur.csv \
		>drift.out
	cat t >>drift.runs
	measure t mlops-monitor drift --threads 1 --reference ref.csv \
		--data cur.csv >drift1.out
	cat t >>drift1.runs
	[ -z "$py" ] || { measure t "$PYTHON" scipy-drift.py ref.csv cur.csv \
		>scipy.out && cat t >>scipy.runs; }
done
load1=$(cut -d" " -f1-3 /proc/loadavg)
cmp -s out/statistics.json out1/statistics.json &&
	cmp -s drift.out drift1.out && threads_same=yes || threads_same=NO
same=-
[ -z "$py" ] || same=$("$PYTHON" - <<'PY'
ours = [l.split("\t") for l in open("drift.out").read().splitlines()]
theirs = [l.split("\t") for l in open("scipy.out").read().splitlines()]
ok = len(ours) == len(theirs) == 16 and all(
    o[0] == t[0] and float(o[2]) == float(t[2]) and
    abs(float(o[3]) - float(t[3])) <= 1e-12 + 1e-7 * float(t[3])
    for o, t in zip(ours, theirs))
print("yes" if ok else "NO")
PY
)

{
	echo "mon $(median mon.runs)"
	echo "mon1 $(median mon1.runs)"
	[ -z "$py" ] || echo "pd $(median pd.runs)"
	echo "drift $(median drift.runs)"
	echo "drift1 $(median drift1.runs)"
	[ -z "$py" ] || echo "scipy $(median scipy.runs)"
} >medians
awk -v r="$rows" -v dr="$drift_rows" -v runs="$runs" -v same="$same" \
    -v ts="$threads_same" -v l0="$load0" -v l1="$load1" '
{ w[$1] = $2; c[$1] = $3; k[$1] = $4 }
function row(label, key, peer) {
	if (!(key in w)) {
		printf "%-36s %7s %7s %8s\n", label, "-", "-", "-"
		return
	}
	printf "%-36s %7.2f %7.2f %8.1f", label, w[key], c[key], k[key] / 1024
	if (peer in w)
		printf " %8.1f %8.1f", w[peer] / (w[key] > 0 ? w[key] : 0.01),
		       c[peer] / (c[key] > 0 ? c[key] : 0.01)
	printf "\n"
}
END {
	printf "medians of %d runs; load average %s before, %s after\n",
	       runs, l0, l1
	printf "%-36s %7s %7s %8s %8s %8s\n", "", "wall s", "CPU s",
	       "peak MB", "x (wall)", "x (CPU)"
	row("baseline " r " x 20, ours", "mon", "pd")
	row("baseline, ours, --threads 1", "mon1", "pd")
	row("baseline, pandas", "pd", "")
	row("KS 16 cols " dr " x 2, ours", "drift", "scipy")
	row("KS, ours, --threads 1", "drift1", "scipy")
	row("KS, scipy ks_2samp", "scipy", "")
	printf "same KS statistics and p-values as scipy: %s\n", same
	printf "same output with one thread and with several: %s\n", ts
}' medians
# The summary's rows: wall and CPU seconds, ours against the peer.
# kv KEY FIELD: a column of medians (2 wall, 3 CPU, 4 peak KiB) or "-".
kv() { awk -v k="$1" -v f="$2" '$1 == k { v = $f } END { print v == "" ? "-" : v }' medians; }
report_row baseline "$rows x 20, wall" "$(kv mon 2)" "pandas" "$(kv pd 2)" s \
	"$(kv mon 4)" "$(kv pd 4)"
report_row baseline "$rows x 20, CPU, --threads 1" "$(kv mon1 3)" "pandas" \
	"$(kv pd 3)" "CPU s" "$(kv mon1 4)" "$(kv pd 4)"
report_row drift "KS 16 cols, $drift_rows x 2, wall" "$(kv drift 2)" \
	"scipy ks_2samp" "$(kv scipy 2)" s "$(kv drift 4)" "$(kv scipy 4)"
report_row drift "KS, CPU, --threads 1" "$(kv drift1 3)" "scipy ks_2samp" \
	"$(kv scipy 3)" "CPU s" "$(kv drift1 4)" "$(kv scipy 4)"

# run-due over one hour of capture at BENCH_CAPTURE_RATE requests a
# second (1000): one schedule, one window.
rate=${BENCH_CAPTURE_RATE:-$(quick 100 1000)}
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
report_row monitor "run-due, 1 hour of capture ($((rate * 3600)) requests)" \
	"$due_s" - - s "$due_kb"
