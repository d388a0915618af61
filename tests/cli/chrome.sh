chrome() {
rm -rf profile &&
timeout 120 chromium --headless --no-sandbox --disable-gpu \
--user-data-dir="$PWD/profile" --no-first-run \
--disable-background-networking --disable-component-update \
--disable-sync --disable-default-apps --disable-extensions \
--disable-breakpad --no-pings --hide-scrollbars \
--enable-logging=stderr --v=0 "$@" 2>>chrome.log
}
