#!/bin/bash
# t0231-wrong-input.sh - input that is wrong in every way (issue 18): each
# program's verbs fed malformed, truncated, huge, non-UTF-8 and hostile
# input (path traversal in names, ".." in artifact names, symlinks in the
# store). Every row of the table must exit with its documented status
# (DESIGN.md: 2 usage, 3 bad input, 4 not found or conflict), say why on
# stderr as "PROGRAM: ..." and leave the store exactly as it was.
. "$(dirname "$0")/test-lib.sh"

# world: a store with a feature group, a model group with an approved
# version and an endpoint serving it, plus the bad inputs below.
world() {
	cat >g.yaml <<-\YAML &&
	name: customers
	record_identifier: id
	event_time: t
	features:
	  - {name: id, type: string}
	  - {name: t,  type: string}
	  - {name: age, type: integral}
	online: true
	YAML
	mlops-feature create g.yaml >/dev/null &&
	echo cat >entry.txt &&
	mlops-registry register m --artifact entry.txt --framework exec \
		--entry cat --status Approved >/dev/null &&
	mlops-deploy create ep --model m/1 >/dev/null &&
	# malformed, truncated, huge, not UTF-8, empty
	printf "name: x\nfeatures: [\n  {name: a\n" >broken.yaml &&
	head -c 40 g.yaml >trunc.yaml &&
	printf "name: \377\376bad\nrecord_identifier: id\n" >latin.yaml &&
	: >empty.yaml &&
	printf "id,t,age\nc1,2024-01-01T00:00:00Z,1\nc2,2024-01-01T00:00:00Z,\"unterminated\n" >trunc.csv &&
	printf "id,t,age\n\377\376,2024-01-01T00:00:00Z,1\n" >latin.csv &&
	printf "{\"id\": \"c1\", \"t\": \"2024-01-01T00:00:00Z\", \"age\": 1}\n{\"id\": \"c2\", \"t\"\n" >trunc.jsonl &&
	printf "[1,2,3]\n" >array.jsonl &&
	{ printf "id,t,age\nc1,2024-01-01T00:00:00Z,"; head -c 20000000 /dev/zero | tr "\\0" 7; echo; } >huge.csv &&
	head -c 4096 /dev/urandom >random.bin &&
	printf "id,t,age\nc9,2024-01-01T00:00:00Z,9\n" >good.csv &&
	printf "{\"a\": [\n" >trunc.json &&
	printf "name: r\nsteps: [\n" >trunc-pipeline.yaml &&
	# hostile names and places
	ln -s /etc/passwd passwd-link &&
	mkdir -p tree/.. 2>/dev/null; mkdir -p art && echo x >art/model.bin &&
	test_snapshot
}

# as_nobody CMD...: run CMD as user nobody, to whom the store (root's)
# is read-only whatever root's permission bits would allow.
as_nobody() {
	setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"
}

# row EXIT CMD...: CMD exits EXIT, says why as "PROGRAM: ..." on stderr,
# and the store is unchanged.
row() {
	want=$1
	shift
	world &&
	{ "$@" </dev/null >out 2>err; got=$?; } &&
	if test "$got" != "$want"; then
		echo "exit $got, expected $want: $*"
		cat err
		return 1
	fi &&
	prog=$1 &&
	if test "$prog" = as_nobody; then prog=$2; fi &&
	head -n 1 err | grep -q "^$prog: ." &&
	test_store_unchanged
}

long=$(printf "%0300d" 0 | tr 0 a)
while IFS='|' read -r want cmd <&3; do
	case $want in ''|'#'*) continue ;; esac
	test_expect_success "$(echo $want) <- $(echo $cmd | cut -c1-70)" "
		row $want $cmd
	"
done 3<<EOF_TABLE
# mlops: the store itself
2|mlops --no-such-flag
2|mlops object get ../../etc/passwd
2|mlops object get ..
4|mlops object get 0000000000000000000000000000000000000000000000000000000000000000
3|mlops object put /etc
2|mlops config set ../x 1
3|mlops event put random.bin
3|mlops event put trunc.json
3|mlops event test --pattern trunc.json --event {}
3|mlops event test --pattern {} --event random.bin
3|mlops event rule add r --pattern trunc.json --target true
# mlops-feature
3|mlops-feature create broken.yaml
3|mlops-feature create trunc.yaml
3|mlops-feature create latin.yaml
3|mlops-feature create empty.yaml
3|mlops-feature create random.bin
4|mlops-feature create no-such.yaml
3|mlops-feature ingest customers trunc.csv
3|mlops-feature ingest customers latin.csv
3|mlops-feature ingest customers huge.csv
3|mlops-feature ingest customers --format jsonl trunc.jsonl
3|mlops-feature ingest customers --format jsonl array.jsonl
3|mlops-feature ingest customers --format jsonl random.bin
3|mlops-feature ingest customers random.bin
4|mlops-feature ingest ../customers good.csv
4|mlops-feature describe ../../etc/passwd
4|mlops-feature describe $long
4|mlops-feature drop ..
4|mlops-feature get customers/../x c1
# mlops-pipeline
3|mlops-pipeline validate -f trunc-pipeline.yaml
3|mlops-pipeline validate -f random.bin
3|mlops-pipeline run -f trunc-pipeline.yaml
4|mlops-pipeline show ../../x
4|mlops-pipeline logs ..
# mlops-registry
2|mlops-registry register ../m --artifact art/model.bin --framework exec --entry cat
2|mlops-registry register .. --artifact art/model.bin --framework exec --entry cat
3|mlops-registry register m --artifact art --framework exec --entry cat
4|mlops-registry register m --artifact no-such-file --framework exec --entry cat
2|mlops-registry register m --artifact art/model.bin --framework ../../bin/sh
3|mlops-registry register m --artifact art/model.bin --metrics random.bin
2|mlops-registry show m/../1
2|mlops-registry show m/99999999999999999999
2|mlops-registry approve ../m/1
3|mlops-registry import random.bin
3|mlops-registry import empty.yaml
# mlops-deploy
2|mlops-deploy create ../ep --model m/1
2|mlops-deploy create $long --model m/1
2|mlops-deploy create ep2 --model ../m/1
2|mlops-deploy create ep2 --model m/1 --max-payload -1
2|mlops-deploy create ep2 --model m/1 --timeout 1y
4|mlops-deploy describe ../../ep
4|mlops-deploy key delete ep ../../x
# mlops-monitor
3|mlops-monitor baseline --data random.bin -o bl
3|mlops-monitor baseline --data trunc.csv -o bl
3|mlops-monitor baseline --format jsonl --data trunc.jsonl -o bl
4|mlops-monitor schedule rm ../x
# mlops-shadow
4|mlops-shadow start ../ep --model m/1
4|mlops-shadow status ..
2|mlops-shadow replay ep --model ../m/1
# a store that is read-only to the caller
5|as_nobody mlops-feature ingest customers good.csv
5|as_nobody mlops-registry register m --artifact art/model.bin --framework exec --entry cat
5|as_nobody mlops-deploy create ep2 --model m/1
5|as_nobody mlops object put good.csv
5|as_nobody mlops gc
EOF_TABLE

test_expect_success 'a symlink planted in place of a blob is no blob' '
	echo hello >a.txt &&
	h=$(mlops object put a.txt) &&
	f=$MLOPS_STORE/objects/$(echo $h | cut -c1-2)/$(echo $h | cut -c3-) &&
	rm "$f" && ln -s /etc/hostname "$f" &&
	test_expect_code 70 mlops object get $h >out 2>err &&
	! test -s out &&
	grep "mlops: object $h is corrupt" err &&
	test_expect_code 1 mlops fsck >out 2>&1 &&
	grep "missing object $h (referenced by pin)" out &&
	mlops object put a.txt &&
	test -f "$f" && ! test -L "$f" &&
	mlops fsck &&
	mlops object get $h >out && test_cmp a.txt out
'

# full_store SIZE: a store on a fresh tmpfs of SIZE (root only); sets
# $MLOPS_STORE to it, unmounted when the test ends.
full_store() {
	mkdir mnt &&
	mount -t tmpfs -o size="$1" tmpfs mnt 2>/dev/null || return 1
	trap "umount \"$PWD/mnt\" 2>/dev/null" EXIT
	(cd mnt && mlops init >/dev/null) &&
	MLOPS_STORE=$PWD/mnt/.mlops
}

tmpfs= probe=$(mktemp -d)
if mount -t tmpfs -o size=64k tmpfs "$probe" 2>/dev/null; then
	umount "$probe"
	tmpfs=yes
fi
rmdir "$probe"

full_disk='a full disk: a clear message, exit 70, the store as it was'
test -n "$tmpfs" || test_skip "$full_disk" "mount -t tmpfs is not allowed here"
test -z "$tmpfs" || test_expect_success "$full_disk" '
	full_store 3m &&
	world &&
	$PYTHON -c "
import sys
with open(\"big.csv\", \"w\") as f:
    f.write(\"id,t,age\\n\")
    for i in range(300000):
        f.write(\"customer-%08d,2024-01-01T00:00:00Z,%d\\n\" % (i, i))
" &&
	head -c 8000000 /dev/urandom >big.bin &&
	test_expect_code 70 mlops-feature ingest customers big.csv 2>err &&
	cat err && grep -iE "disk is full|no space left" err &&
	test_store_unchanged &&
	test_expect_code 70 mlops-registry register m --artifact big.bin --framework exec --entry cat 2>err &&
	cat err && grep -iE "disk is full|no space left" err &&
	test_store_unchanged &&
	test_expect_code 70 mlops object put big.bin 2>err &&
	grep -iE "disk is full|no space left" err &&
	test_store_unchanged &&
	mlops fsck &&
	mlops-feature ingest customers good.csv
'

test_done
