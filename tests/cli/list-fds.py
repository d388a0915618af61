#!/usr/bin/python3
# list-fds.py OUT [COMMAND [ARG...]]: write the descriptors above 2 that
# this process inherited, one "FD TARGET" a line, to OUT (- for standard
# output), then exec COMMAND if one is given. Tests run it where a
# program starts a child (a worker, a pipeline step) to see what leaked.
import os
import sys

lines = []
for fd in range(3, 1024):
    try:
        os.fstat(fd)
    except OSError:
        continue
    try:
        target = os.readlink("/proc/self/fd/%d" % fd)
    except OSError:
        target = "?"
    lines.append("%d %s\n" % (fd, target))
if sys.argv[1] == "-":
    sys.stdout.write("".join(lines))
    sys.stdout.flush()
else:
    with open(sys.argv[1] + ".tmp", "w") as f:
        f.write("".join(lines))
    os.rename(sys.argv[1] + ".tmp", sys.argv[1])
if len(sys.argv) > 2:
    os.execvp(sys.argv[2], sys.argv[2:])
