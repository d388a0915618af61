# 10-store.sh - blob store throughput: put and get of a 100 MB file, next
# to sha256sum + gzip -1 doing the same hashing and compression.
mlops init >/dev/null
head -c 100000000 /dev/urandom > blob
t0=$(date +%s.%N); h=$(mlops object put blob); t1=$(date +%s.%N)
mlops object get "$h" > /dev/null; t2=$(date +%s.%N)
sha256sum blob > /dev/null; gzip -1 -c blob > /dev/null; t3=$(date +%s.%N)
awk -v put="$(echo "$t1 - $t0" | bc)" -v get="$(echo "$t2 - $t1" | bc)" \
    -v peer="$(echo "$t3 - $t2" | bc)" 'BEGIN {
	printf "%-28s %8s %10s\n", "operation (100 MB)", "seconds", "MB/s"
	printf "%-28s %8.2f %10.0f\n", "mlops object put", put, 100 / put
	printf "%-28s %8.2f %10.0f\n", "mlops object get (verified)", get, 100 / get
	printf "%-28s %8.2f %10.0f\n", "sha256sum + gzip -1", peer, 100 / peer
	printf "ratio put / (sha256sum + gzip -1): %.2f\n", put / peer
}'
