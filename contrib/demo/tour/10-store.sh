# 10-store.sh - a store: init, put and get an object, the audit trail
# Each demo script runs in the demo's directory; `run` echoes commands.
run() { echo "\$ $*"; "$@"; }

run mlops init --env demo
echo 'churn model v1' > model.txt
hash=$(mlops object put model.txt)
echo "\$ mlops object put model.txt"
echo "$hash"
run mlops object get "$hash"
run mlops object ls
run mlops audit log
run mlops audit verify
run mlops fsck
