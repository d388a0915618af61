# 40-registry.sh - model registry: register, export | import and get of a
# 100 MB artifact (10 MB in the quick mode), next to the hand-made equivalent (sha256sum + gzip -1
# for register, tar | tar + sha256sum for moving it to another store),
# and the rate of small registrations and lookups. The store keeps blobs
# zlib-compressed (level 1) and verified, so the fair peer for a transfer
# into a store is a tar pipe that also hashes and gzips on the far side.
# Peak RSS of register and get and of their peers from /usr/bin/time.
set -e
. "$BENCH_DIR/lib-report.sh"
mb=${BENCH_STORE_MB:-$(quick 10 100)}
now() { date +%s.%N; }
mlops init --env ml >/dev/null
mlops init --env prod prod >/dev/null
head -c $((mb * 1000000)) /dev/urandom > model.bin
echo '{"auc": 0.9}' > metrics.json
sync

t0=$(now); timed reg.t mlops-registry register -a model.bin --metrics metrics.json churn >/dev/null; t1=$(now)
mlops-registry export -o churn.tar churn/1; t2=$(now)
mlops --store prod registry import churn.tar >/dev/null; t3=$(now)
mlops-registry export churn/1 | mlops --store prod registry import >/dev/null 2>&1; t4=$(now)
rm -rf prod2 && mlops init --env prod2 prod2 >/dev/null && t5=$(now)
mlops-registry export churn/1 | mlops --store prod2 registry import >/dev/null; t6=$(now)
timed get.t mlops --store prod registry get -o got churn/1 >/dev/null; t7=$(now)

# The peers: the same hashing and compression by hand, and a plain
# tar pipe with a hash check on the far side.
sha256sum model.bin >/dev/null; timed gz.t gzip -1 -c model.bin >model.bin.gz; t8=$(now)
mkdir -p far && tar cf - model.bin |
	(cd far && tar xf - && sha256sum model.bin >/dev/null && gzip -1 model.bin); t9=$(now)
cp model.bin copy.bin && timed sha.t sha256sum copy.bin >/dev/null; t10=$(now)

d() { echo "$2 - $1" | bc; }
awk -v reg="$(d $t0 $t1)" -v expo="$(d $t1 $t2)" -v imp="$(d $t2 $t3)" \
    -v again="$(d $t3 $t4)" -v pipe="$(d $t5 $t6)" -v get="$(d $t6 $t7)" \
    -v peer_reg="$(d $t7 $t8)" -v peer_pipe="$(d $t8 $t9)" \
    -v peer_get="$(d $t9 $t10)" -v mb="$mb" 'BEGIN {
	printf "%-44s %8s %8s\n", "operation (" mb " MB artifact)", "seconds", "MB/s"
	printf "%-44s %8.2f %8.0f\n", "mlops-registry register", reg, mb / reg
	printf "%-44s %8.2f %8.0f\n", "  peer: sha256sum + gzip -1", peer_reg, mb / peer_reg
	printf "%-44s %8.2f %8.0f\n", "mlops-registry export -o FILE", expo, mb / expo
	printf "%-44s %8.2f %8.0f\n", "mlops-registry import FILE", imp, mb / imp
	printf "%-44s %8.2f %8.0f\n", "export | import (new store)", pipe, mb / pipe
	printf "%-44s %8.2f %8.0f\n", "  peer: tar | tar + sha256sum + gzip -1", peer_pipe, mb / peer_pipe
	printf "%-44s %8.2f %8s\n", "export | import again (unchanged)", again, "-"
	printf "%-44s %8.2f %8.0f\n", "mlops-registry get (verified)", get, mb / get
	printf "%-44s %8.2f %8.0f\n", "  peer: cp + sha256sum", peer_get, mb / peer_get
	printf "ratio register / (sha256sum + gzip -1):      %.2f\n", reg / peer_reg
	printf "ratio export|import / (tar|tar + sha256sum + gzip -1): %.2f\n", pipe / peer_pipe
}'
kb() { cut -d" " -f3 "$1"; }
report_row registry "register, $mb MB artifact" "$(d $t0 $t1)" \
	"sha256sum + gzip -1" "$(d $t7 $t8)" s "$(kb reg.t)" "$(kb gz.t)"
report_row registry "export | import, $mb MB" "$(d $t5 $t6)" \
	"tar | tar + sha256sum + gzip -1" "$(d $t8 $t9)" s
report_row registry "get (verified), $mb MB" "$(d $t6 $t7)" \
	"cp + sha256sum" "$(d $t9 $t10)" s "$(kb get.t)" "$(kb sha.t)"

# Small models: the cost of the registry itself.
echo '{"learner":{}}' > small.json
n=$(quick 40 200)
t0=$(now)
for i in $(seq $n); do mlops-registry register -a small.json --param i=$i small >/dev/null; done
t1=$(now)
for i in $(seq $n); do mlops-registry show --json small/$i >/dev/null; done
t2=$(now)
for i in $(seq 8); do
	(for j in $(seq $((n / 8))); do mlops-registry register -a small.json par >/dev/null; done) &
done
wait
t3=$(now)
test "$(mlops-registry latest par)" = par/$((n / 8 * 8)) ||
	echo "concurrent numbering: WRONG"
awk -v n=$n -v reg="$(d $t0 $t1)" -v show="$(d $t1 $t2)" -v par="$(d $t2 $t3)" 'BEGIN {
	printf "%-44s %8s %10s\n", "small model (one process each)", "seconds", "per op ms"
	printf "%-44s %8.2f %10.1f\n", n " registers, sequential", reg, 1000 * reg / n
	printf "%-44s %8.2f %10.1f\n", n " show --json", show, 1000 * show / n
	printf "%-44s %8.2f %10.1f\n", n " registers, 8 processes into one group", par, 1000 * par / n
}'
report_row registry "small model register (one process)" \
	"$(awk -v s="$(d $t0 $t1)" -v n=$n 'BEGIN { print 1000 * s / n }')" - - ms
