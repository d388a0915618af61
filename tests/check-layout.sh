#!/bin/bash
# check-layout.sh - the layout rules of docs/HACKING.md, checked over the
# source tree (and, given a build directory, over the library's symbols):
#   1. lib/core includes no domain;
#   2. a domain includes core, its own files, and the public header
#      DOMAIN/DOMAIN.h of the domains ALLOWED below, nothing else;
#   3. outside lib/ only core headers and public domain headers are
#      included; the one exception: tests/unit, tests/fuzz and bench/
#      may include the private headers of the domain whose internals they
#      test or time;
#   4. every private header says so in its first comment, and the public
#      header includes none of them;
#   5. every global symbol of lib/D/F.o starts with the prefix of F (core:
#      F_, domain: D_F_, the domain's main file: D_) and with no longer
#      prefix of another file; err.c (mlops_err_) and xalloc.c (x*) are
#      the documented exceptions.
# Prints one "ok"/"not ok" line per rule, the offending lines below a
# failed one, and "layout: N passed, N failed". Exits 1 when one failed.
# Usage: tests/check-layout.sh [ROOT [BUILD]]
#   ROOT   the tree to check (default: this repository)
#   BUILD  a build directory holding lib/*/*.o (rule 5 is skipped without)

# Which domain may include which other domain's public header ("A:B": A
# uses B). Nothing uses deploy; core uses nothing.
ALLOWED="pipeline:feature registry:pipeline deploy:registry
shadow:deploy shadow:registry monitor:deploy monitor:registry
monitor:feature monitor:shadow governance:registry governance:feature
governance:deploy governance:monitor registry:feature web:feature
web:pipeline web:registry web:deploy web:shadow web:monitor iac:feature
iac:deploy iac:monitor iac:governance"

root=${1:-$(dirname "$0")/..}
build=$2
cd "$root" || exit 70
passed=0 failed=0 n=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT

report() {
	n=$((n + 1))
	if [ -s "$out" ]; then
		echo "not ok $n - $1"
		sed 's/^/#   /' "$out"
		failed=$((failed + 1))
	else
		echo "ok $n - $1"
		passed=$((passed + 1))
	fi
	: >"$out"
}

domains=$(for d in lib/*/; do d=${d%/}; d=${d#lib/}; [ "$d" = core ] ||
	echo "$d"; done)

# FILE:LINE:FOLDER/NAME.h for every quoted include naming a lib folder.
includes() {
	grep -HnoE '^#[[:space:]]*include[[:space:]]+"[a-z0-9_]+/[^"]+"' \
		"$@" 2>/dev/null |
		sed -E 's/:#[[:space:]]*include[[:space:]]+"/:/; s/"$//'
}

lib_files=$(find lib -name '*.[ch]' | sort)
other_files=$(find cmd tests bench -name '*.[ch]' 2>/dev/null | sort)

# 1. core includes no domain.
includes $(echo "$lib_files" | grep '^lib/core/') |
	awk -F: '$3 !~ /^core\// {
		printf "%s:%s: lib/core may not include \"%s\"\n", $1, $2, $3 }' \
	>"$out"
report "lib/core includes no domain"

# 2. a domain includes core, itself, and allowed public headers.
for d in $domains; do
	includes $(echo "$lib_files" | grep "^lib/$d/") |
	while IFS=: read -r file line inc; do
		to=${inc%%/*}
		case $to in
		core|"$d") continue ;;
		esac
		if ! echo " $ALLOWED " | tr '\n' ' ' | grep -q " $d:$to "; then
			echo "$file:$line: $d may not use $to (\"$inc\")"
		elif [ "$inc" != "$to/$to.h" ]; then
			echo "$file:$line: \"$inc\" is private to lib/$to;" \
				"include \"$to/$to.h\""
		fi
	done
done >"$out"
report "a domain includes core and allowed public headers only"

# 3. outside lib/, public headers only (unit tests, fuzz targets and
# benchmarks may reach internals: they test or time them).
includes $other_files |
while IFS=: read -r file line inc; do
	to=${inc%%/*}
	[ -d "lib/$to" ] || continue
	case $to in
	core) continue ;;
	esac
	[ "$inc" = "$to/$to.h" ] && continue
	case $file in
	tests/unit/*|tests/fuzz/*|bench/*) continue ;;
	esac
	echo "$file:$line: \"$inc\" is private to lib/$to;" \
		"include \"$to/$to.h\""
done >"$out"
report "outside lib/, only public headers are included"

# 4. private headers say so.
for d in $domains; do
	for h in lib/$d/*.h; do
		[ -e "$h" ] || continue
		[ "$h" = "lib/$d/$d.h" ] && continue
		sed -n '1,/\*\//p' "$h" | tr '\n' ' ' |
			grep -qi "private to lib/$d" ||
			echo "$h: the first comment does not say" \
				"\"private to lib/$d\""
	done
	# A public header that included a private one would publish it.
	[ -f "lib/$d/$d.h" ] && includes "lib/$d/$d.h" |
	while IFS=: read -r file line inc; do
		[ "${inc%%/*}" = "$d" ] && echo "$file:$line: the public" \
			"header includes the private \"$inc\""
	done
done >"$out"
report "private headers say so and stay out of the public one"

# 5. names predict places.
if [ -n "$build" ]; then
	# prefix<TAB>file, for every file of the library.
	prefixes=$(for c in lib/*/*.c; do
		d=${c#lib/}; d=${d%%/*}; f=${c##*/}; f=${f%.c}
		if [ "$d" = core ]; then p=$f
		elif [ "$d" = "$f" ]; then p=$d
		else p=${d}_$f
		fi
		printf '%s\t%s\n' "$p" "$d/$f"
	done)
	for c in lib/*/*.c; do
		o=$build/${c%.c}.o
		# wherever the Makefile puts the normal flavour's objects
		[ -f "$o" ] || o=$(find "$build" -path "*/${c%.c}.o" \
			! -path '*san*' ! -path '*fuzz*' 2>/dev/null | head -n 1)
		[ -n "$o" ] || o=$build/${c%.c}.o
		s=${c#lib/}; s=${s%.c}
		case $s in
		core/err|core/xalloc) continue ;;
		esac
		if [ ! -f "$o" ]; then
			echo "$o: missing (build first)"
			continue
		fi
		# Symbols the compiler makes (AddressSanitizer's __odr_asan.X,
		# a static's X.0) are nobody's name.
		nm --defined-only "$o" |
		awk '$2 ~ /^[TDBRVW]$/ && $3 !~ /^__|\./ { print $3 }' |
		awk -v file="$s" -v table="$prefixes" '
		BEGIN {
			n = split(table, rows, "\n")
			for (i = 1; i <= n; i++) {
				split(rows[i], kv, "\t")
				pre[i] = kv[1]; owner[i] = kv[2]
			}
		}
		{
			best = ""; len = 0
			for (i = 1; i <= n; i++) {
				p = pre[i]
				if (($0 == p || index($0, p "_") == 1) &&
				    length(p) > len) {
					best = owner[i]; len = length(p)
				}
			}
			if (best != file)
				printf "lib/%s.c: %s belongs in %s\n", file, $0,
				    best == "" ? "no file" : "lib/" best ".c"
		}'
	done >"$out"
	report "every library symbol starts with its file's prefix"
fi

echo "layout: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
