# lib-chromium.sh - headless Chromium (Debian's chromium) for the tests
# that render pages (t6022, t7002), and the network namespace it runs
# in. Chromium calls update, time and other servers on its own, so it
# always runs in a network namespace of its own (unshare --net), with a
# temporary profile and a timeout: it reaches nothing but what shares
# its namespace, and always stops.
#
# Sets ISOLATE to the unshare command that works here, or to nothing
# when none does (the caller skips).

ISOLATE=
for try in "unshare --net" "unshare --net --map-root-user"; do
	if $try true 2>/dev/null; then
		ISOLATE=$try
		break
	fi
done

# chromium_run [ARGS...] URL: headless Chromium with nothing of its own,
# stopped after 120 s at most; its log (with every console message) is
# appended to chrome.log. Not isolated by itself: call it inside
# $ISOLATE (exported, so that "$ISOLATE bash -c" sees it), or use chrome.
chromium_run() {
	rm -rf profile &&
	timeout 120 chromium --headless --no-sandbox --disable-gpu \
		--user-data-dir="$PWD/profile" --no-first-run \
		--disable-background-networking --disable-component-update \
		--disable-sync --disable-default-apps --disable-extensions \
		--disable-breakpad --no-pings --hide-scrollbars \
		--enable-logging=stderr --v=0 "$@" 2>>chrome.log
}
export -f chromium_run

# chrome [ARGS...] URL: chromium_run in a network namespace of its own.
chrome() {
	$ISOLATE bash -c 'chromium_run "$@"' chrome "$@"
}

# no_console: chrome.log has no console message (Chromium logs each as
# "INFO:CONSOLE" at --v=0, errors and uncaught exceptions included) but
# those of Chromium's own chrome:// pages (it logs "slow network" there
# when the machine is loaded).
no_console() {
	if grep ":CONSOLE" chrome.log | grep -v "source: chrome://"; then
		echo >&2 "console messages above"
		return 1
	fi
}

# png_ok FILE WIDTH HEIGHT: a PNG of that size that is not blank.
png_ok() {
	$PYTHON - "$@" <<-\PY
	import struct, sys, zlib
	png = open(sys.argv[1], "rb").read()
	assert png[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
	w, h = struct.unpack(">II", png[16:24])
	assert (w, h) == (int(sys.argv[2]), int(sys.argv[3])), (w, h)
	# Decode enough of the image to see it is not blank.
	data, i = b"", 8
	while i < len(png):
	    n, kind = struct.unpack(">I4s", png[i:i + 8])
	    if kind == b"IDAT":
	        data += png[i + 8:i + 8 + n]
	    i += 12 + n
	pixels = zlib.decompress(data)
	assert len(set(pixels[:len(pixels) // 4])) > 8, "a blank page"
	PY
}
