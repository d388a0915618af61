#!/bin/bash
# t0320-completion.sh - contrib/completion/mlops.bash completes, in a
# real bash, every verb (nested ones too) of every program from the
# programs' own --help, a verb's options from VERB --help, and `mlops
# TOOL ...` as mlops-TOOL; `make install` puts it where bash-completion
# finds it, and `make uninstall` removes every file install put.
. "$(dirname "$0")/test-lib.sh"

COMPLETION=$TEST_ROOT/contrib/completion/mlops.bash

# complete WORD...: run the completion function in a fresh bash as if
# the words were typed (the last one being completed, "" after a
# space); prints the candidates, one a line.
complete_words() {
	bash -c '
		. "$1" && shift &&
		spec=$(complete -p "$1") &&
		func=${spec#*-F } && func=${func%% *} &&
		COMP_WORDS=("$@") && COMP_CWORD=$(($# - 1)) && COMPREPLY=() &&
		"$func" && for c in "${COMPREPLY[@]}"; do echo "$c"; done
	' complete "$COMPLETION" "$@"
}

test_expect_success 'every program has a completion' '
	for p in $(cd "$MLOPS_BIN" && ls mlops mlops-*); do
		bash -c ". \"$COMPLETION\" && complete -p $p" >spec &&
		grep -q -- "-F _mlops $p\$" spec || return 1
	done
'

test_expect_success 'mlops-registry ap completes to approve' '
	complete_words mlops-registry ap >out &&
	echo approve >expect &&
	test_cmp expect out
'

test_expect_success 'mlops-deploy key lists its nested verbs' '
	complete_words mlops-deploy key "" >out &&
	printf "%s\n" create delete list >expect &&
	test_cmp expect out
'

test_expect_success 'mlops lists store-wide verbs and the tools' '
	complete_words mlops "" >out &&
	for v in init object fsck config audit event role sync web \
		feature pipeline registry deploy; do
		grep -qx "$v" out || return 1
	done &&
	complete_words mlops --store /tmp/x ev >out &&
	echo event >expect &&
	test_cmp expect out
'

test_expect_success 'mlops TOOL completes as mlops-TOOL' '
	complete_words mlops deploy key c >out &&
	echo create >expect &&
	test_cmp expect out &&
	complete_words mlops registry ap >out &&
	echo approve >expect &&
	test_cmp expect out
'

test_expect_success 'options come from VERB --help; option arguments are files' '
	complete_words mlops-deploy serve --thr >out &&
	echo --threads >expect &&
	test_cmp expect out &&
	complete_words mlops-registry approve -- >out &&
	grep -qx -- --note out &&
	complete_words mlops object put --h >out &&
	echo --help >expect &&
	test_cmp expect out &&
	complete_words mlops --st >out &&
	echo --store >expect &&
	test_cmp expect out &&
	complete_words mlops-deploy serve --listen "" >out &&
	test ! -s out
'

# walk_verbs: read "PROG VERB..." lines; for each, complete the line
# but for the last letter and check the last word is offered. Prints
# what is not, and "N verbs". All in one bash, so each --help runs once
# (the completion caches it).
walk_verbs() {
	bash -c '
		. "$1" || exit 1
		bad=0 n=0
		while read -r -a w; do
			last=${w[${#w[@]} - 1]}
			w[${#w[@]} - 1]=${last%?}
			COMP_WORDS=("${w[@]}") COMP_CWORD=$((${#w[@]} - 1))
			COMPREPLY=()
			_mlops
			printf "%s\n" "${COMPREPLY[@]}" | grep -qx -- "$last" || {
				echo "${w[*]}: no $last in: ${COMPREPLY[*]}"
				bad=1
			}
			n=$((n + 1))
		done
		echo "$n verbs"
		exit $bad
	' walk "$COMPLETION"
}

# Every program and every verb its --help lists: typing the verb path
# but for the last word, and the last word but for its last letter,
# completes to a set holding that word.
test_expect_success 'every verb of every program completes' '
	for p in $(cd "$MLOPS_BIN" && ls mlops mlops-*); do
		"$p" --help | sed -n "/^Verbs:\$/,/^\$/{ /^  /{ s/^  //; s/  .*//; s/^/$p /; p; }; }"
	done >verbs &&
	test_line_count -ge 100 verbs &&
	walk_verbs <verbs >out &&
	cat out &&
	echo "$(wc -l <verbs) verbs" >expect &&
	test_cmp expect out
'

test_expect_success 'make install (programs, pages, examples), then uninstall: no file left' '
	dest=$PWD/dest &&
	build=$(cd "$MLOPS_BIN/.." && pwd) &&
	make -s -C "$TEST_ROOT" O="$build" DESTDIR="$dest" PREFIX=/usr/local \
		install >out 2>&1 &&
	for p in $(cd "$MLOPS_BIN" && ls mlops mlops-*); do
		test -x "$dest/usr/local/bin/$p" &&
		test -f "$dest/usr/local/share/bash-completion/completions/$p" ||
		return 1
	done &&
	test -f "$dest/usr/local/share/man/man1/mlops.1" &&
	test -x "$dest/usr/local/share/doc/mlops/examples/hooks/pipeline-validate" &&
	test -f "$dest/usr/local/share/doc/mlops/examples/systemd/mlops-gateway.service" &&
	test -f "$dest/usr/local/share/man/man7/mlops-workflow.7" &&
	ex=$dest/usr/local/share/doc/mlops/examples/churn &&
	diff -r -x __pycache__ "$TEST_ROOT/examples/churn" "$ex" &&
	for g in "$ex"/features/*.yaml; do
		mlops-feature create "$g" >/dev/null || return 1
	done &&
	mlops-pipeline validate -f "$ex/pipeline.yaml" &&
	make -s -C "$TEST_ROOT" O="$build" DESTDIR="$dest" PREFIX=/usr/local \
		uninstall >out 2>&1 &&
	find "$dest" ! -type d >left &&
	test ! -s left
'

# bash-completion's own loader, as an interactive shell uses it: the
# first completion of a program sources completions/PROGRAM from
# XDG_DATA_DIRS.
test_expect_success 'bash-completion loads the installed completion by name' '
	dest=$PWD/dest &&
	build=$(cd "$MLOPS_BIN/.." && pwd) &&
	make -s -C "$TEST_ROOT" O="$build" DESTDIR="$dest" PREFIX=/usr/local \
		install >out 2>&1 &&
	for p in $(cd "$MLOPS_BIN" && ls mlops mlops-*); do
		XDG_DATA_DIRS=$dest/usr/local/share bash -c "
			. /usr/share/bash-completion/bash_completion &&
			__load_completion $p && complete -p $p" >spec &&
		grep -q -- "-F _mlops $p\$" spec || return 1
	done
'

test_done
