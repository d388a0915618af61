# mlops.bash - bash completion for mlops and every mlops-* program.
#
# Nothing here lists verbs or options: they are read from the programs
# themselves, from PROG --help ("Verbs:" lists every verb, nested ones
# as "object put") and PROG VERB... --help (its options), once per
# shell and cached, so a new verb or option completes without editing
# this file. `mlops TOOL ...` (mlops feature, mlops deploy, ...)
# completes as mlops-TOOL does. Where no verb or option fits, bash's
# default (file names) applies.
#
# `make install` puts it in $(PREFIX)/share/bash-completion/completions
# under every program's name, where bash-completion loads it on first
# use; or source it from ~/.bashrc.

declare -gA _mlops_help_cache

# _mlops_help PROG [VERB...]: PROG VERB... --help, cached.
_mlops_help() {
	local key="$*"
	if [[ -z ${_mlops_help_cache[$key]+set} ]]; then
		_mlops_help_cache[$key]=$("$@" --help 2>/dev/null </dev/null)
	fi
	printf '%s\n' "${_mlops_help_cache[$key]}"
}

# _mlops_verbs PROG: the verbs PROG's --help lists, one a line, each
# followed by a tab and its description.
_mlops_verbs() {
	_mlops_help "$1" | sed -n '/^Verbs:$/,/^$/{
		/^  [a-z]/{ s/^  //; s/   */\t/; p; }
	}'
}

# _mlops_run PROG CUR PREV WORD...: complete CUR for PROG given the
# words typed between PROG and CUR.
_mlops_run() {
	local prog=$1 cur=$2 prev=$3 verbs path="" w i found=""
	shift 3
	verbs=$(_mlops_verbs "$prog")
	# The verb path: the longest run of leading words (past global
	# options and their arguments) that names a verb.
	local -a words=()
	for w in "$@"; do
		words+=("$w")
	done
	i=0
	while [[ $i -lt ${#words[@]} && ${words[$i]} == -* ]]; do
		[[ ${words[$i]} == --store ]] && i=$((i + 1))
		i=$((i + 1))
	done
	local cand=""
	while [[ $i -lt ${#words[@]} && ${words[$i]} != -* ]]; do
		cand=${cand:+$cand }${words[$i]}
		if printf '%s\n' "$verbs" | cut -f1 | grep -qxF -- "$cand"; then
			path=$cand
			found=$((i + 1))
		else
			break
		fi
		i=$((i + 1))
	done
	[[ -n $found ]] || found=$i
	# A verb that is another program (mlops feature -> mlops-feature):
	# complete the rest as that program.
	local desc tool
	if [[ -n $path && $path != *" "* ]]; then
		desc=$(printf '%s\n' "$verbs" | awk -F'\t' -v v="$path" '$1 == v { print $2 }')
		if [[ $desc =~ \((mlops-[a-z]+)\)$ ]]; then
			tool=${BASH_REMATCH[1]}
			[[ $prog == */* ]] && tool=${prog%/*}/$tool
			_mlops_run "$tool" "$cur" "$prev" "${words[@]:$found}"
			return
		fi
	fi
	local help
	# shellcheck disable=SC2086 # a verb path is several words
	help=$(_mlops_help "$prog" $path)
	# The argument of an option that takes one: bash's default.
	if [[ $prev == -* && $found -lt ${#words[@]} ]] &&
		printf '%s\n' "$help" | grep -qE -- "(^|[ ,\[])${prev}[ =][A-Z]"; then
		return
	fi
	if [[ $cur == -* ]]; then
		# every verb takes --help, even one whose usage shows no option
		mapfile -t COMPREPLY < <(compgen -W "--help $(printf '%s\n' "$help" |
			grep -oE -- '(^|[ ,\[|])--?[a-zA-Z][a-zA-Z0-9-]*' |
			sed 's/^[ ,[|]//' | sort -u)" -- "$cur")
		return
	fi
	# Only words past the verb path: they are arguments.
	[[ $found -eq ${#words[@]} ]] || return
	local next
	next=$(printf '%s\n' "$verbs" | cut -f1 | awk -v p="$path" '
		p == "" { print $1; next }
		index($0, p " ") == 1 {
			rest = substr($0, length(p) + 2); split(rest, a, " "); print a[1]
		}' | sort -u)
	mapfile -t COMPREPLY < <(compgen -W "$next" -- "$cur")
}

_mlops() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev=""
	[[ $COMP_CWORD -gt 0 ]] && prev=${COMP_WORDS[COMP_CWORD - 1]}
	COMPREPLY=()
	_mlops_run "${COMP_WORDS[0]}" "$cur" "$prev" \
		"${COMP_WORDS[@]:1:COMP_CWORD-1}"
}

# Every mlops program on PATH, and the one this file was loaded for.
mapfile -t _mlops_progs < <(compgen -c -- mlops- | sort -u)
_mlops_progs+=(mlops)
[[ ${BASH_SOURCE[0]##*/} == mlops* && ${BASH_SOURCE[0]##*/} != *.* ]] &&
	_mlops_progs+=("${BASH_SOURCE[0]##*/}")
complete -o default -F _mlops "${_mlops_progs[@]}"
unset _mlops_progs
