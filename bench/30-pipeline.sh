# 30-pipeline.sh - a 200-step pipeline whose steps are all cached (the
# re-run of an unchanged pipeline), next to the same 200 steps run with
# `true` and no cache, and to GNU make deciding that 200 targets are up to
# date (the classic no-op build). Times by hyperfine (20 runs, 5 in the
# quick mode), peak RSS from one run under /usr/bin/time. DVC's repro
# would be the closest peer, but Debian 12 does not package DVC.
set -e
. "$BENCH_DIR/lib-report.sh"
runs=${BENCH_RUNS:-$(quick 5 20)}
mlops init >/dev/null
mkdir -p in out
for i in $(seq 0 9); do echo "$i" >in/$i.txt; done
# 10 chains of 20 steps; each step reads one input and writes one output.
{
	echo "name: bench200"
	echo "steps:"
	for i in $(seq 0 199); do
		echo "  - name: s$i"
		[ $((i % 20)) -ne 0 ] && echo "    needs: [s$((i - 1))]"
		echo "    run: echo $i >out/s$i.txt"
		echo "    inputs: [in/$((i % 10)).txt]"
		echo "    outputs: [out/s$i.txt]"
	done
} >cached.yaml
{
	echo "name: true200"
	echo "steps:"
	for i in $(seq 0 199); do
		printf '  - {name: s%d, run: "true"}\n' "$i"
	done
} >true.yaml
{
	printf 'all:'
	for i in $(seq 0 199); do printf ' out/s%d.txt' "$i"; done
	echo
	for i in $(seq 0 199); do
		dep=in/$((i % 10)).txt
		[ $((i % 20)) -ne 0 ] && dep="$dep out/s$((i - 1)).txt"
		printf 'out/s%d.txt: %s\n\techo %d >$@\n' "$i" "$dep" "$i"
	done
} >Makefile
mlops-pipeline run -f cached.yaml >/dev/null 2>&1	# fills the cache
make -s -j2 >/dev/null
mlops-pipeline run -f cached.yaml 2>hits.txt >/dev/null
echo "cache hits on the re-run: $(grep -c 'cache hit' hits.txt) of 200"
hyperfine -N --warmup "$(quick 1 3)" --runs "$runs" --export-json times.json \
	'mlops-pipeline run -f cached.yaml' \
	'mlops-pipeline run -f true.yaml --no-cache' \
	'make -s -j2' >/dev/null 2>&1
timed cached.t mlops-pipeline run -f cached.yaml >/dev/null 2>&1
timed make.t make -s -j2 >/dev/null
jq -r '.results[] | [.command, .mean, .stddev] | @tsv' times.json |
awk -F'\t' 'NR == 1 { base = $2 }
	{ name[NR] = $1; mean[NR] = $2; sd[NR] = $3 }
	END {
		printf "%-45s %10s %10s %8s\n", "200-step pipeline", "mean ms", "+- ms", "ratio"
		for (i = 1; i <= NR; i++)
			printf "%-45s %10.1f %10.1f %8.2f\n", name[i], mean[i] * 1000, sd[i] * 1000, mean[i] / base
		printf "ratio = time / the all-cached run\n"
	}'
ms() { jq -r ".results[$1].mean * 1000" times.json; }
report_row "pipeline no-op" "200 cached steps re-run" "$(ms 0)" \
	"make -s -j2 (200 up to date)" "$(ms 2)" ms \
	"$(cut -d' ' -f3 cached.t)" "$(cut -d' ' -f3 make.t)"
report_row "pipeline no-op" "200 cached steps re-run" "$(ms 0)" \
	"dvc repro (not in Debian 12)" - ms
