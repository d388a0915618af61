# 10-store.sh - blob store throughput: put and get of a 100 MB file (10
# MB in the quick mode), next to sha256sum + gzip -1 doing the same
# hashing and compression; peak RSS from /usr/bin/time.
set -e
. "$BENCH_DIR/lib-report.sh"
mb=${BENCH_STORE_MB:-$(quick 10 100)}
mlops init >/dev/null
head -c $((mb * 1000000)) /dev/urandom > blob
timed put.t mlops object put blob >hash.txt
timed get.t mlops object get "$(cat hash.txt)" >/dev/null
timed sha.t sha256sum blob >/dev/null
timed gzip.t gzip -1 -c blob >/dev/null
read -r put _ put_kb <put.t
read -r get _ get_kb <get.t
read -r sha _ sha_kb <sha.t
read -r gz _ gz_kb <gzip.t
peer=$(awk -v a="$sha" -v b="$gz" 'BEGIN { print a + b }')
peer_kb=$((sha_kb > gz_kb ? sha_kb : gz_kb))
awk -v put="$put" -v get="$get" -v peer="$peer" -v mb="$mb" 'BEGIN {
	printf "%-28s %8s %10s\n", "operation (" mb " MB)", "seconds", "MB/s"
	printf "%-28s %8.2f %10.0f\n", "mlops object put", put, mb / put
	printf "%-28s %8.2f %10.0f\n", "mlops object get (verified)", get, mb / get
	printf "%-28s %8.2f %10.0f\n", "sha256sum + gzip -1", peer, mb / peer
	printf "ratio put / (sha256sum + gzip -1): %.2f\n", put / peer
}'
report_row store "object put, $mb MB" "$put" "sha256sum + gzip -1" "$peer" s \
	"$put_kb" "$peer_kb"
report_row store "object get (verified), $mb MB" "$get" "sha256sum" "$sha" s \
	"$get_kb" "$sha_kb"
