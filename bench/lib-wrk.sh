# lib-wrk.sh - helpers of the serving benchmarks (sourced; needs $DUR and
# a post.lua that sets the request).

# free_port: a free TCP port on 127.0.0.1.
free_port() {
	$PYTHON -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wrk_run URL CONNS [SCRIPT]: "req/s p50_us p99_us non2xx", the request
# made by SCRIPT (post.lua).
wrk_run() {
	wrk -t$([ "$2" -gt 1 ] && echo 2 || echo 1) -c"$2" -d"${DUR}s" \
		-s "${3:-post.lua}" --latency "$1" | awk '
	function us(s) {
		if (s ~ /us$/) return s + 0
		if (s ~ /ms$/) return s * 1000
		if (s ~ /s$/) return s * 1000000
		return s
	}
	/^ +50%/ { p50 = us($2) } /^ +99%/ { p99 = us($2) }
	/^Requests\/sec/ { rps = $2 }
	/Non-2xx/ { bad = $NF }
	END { printf "%.0f %.0f %.0f %d\n", rps, p50, p99, bad }'
}
