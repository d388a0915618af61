#!/usr/bin/python3
"""send.py URL FILE - post each line of FILE (a CSV row of features) to
URL as one text/csv request, as live traffic would; print how many got
200 and the mean prediction; exit 1 if any request failed."""
import sys, urllib.request
url, path = sys.argv[1:3]
ok, total = 0, 0.0
lines = [l for l in open(path) if l.strip()]
for line in lines:
    req = urllib.request.Request(url, data=line.encode(),
                                 headers={"Content-Type": "text/csv"})
    with urllib.request.urlopen(req, timeout=30) as r:
        if r.status == 200:
            ok += 1
            total += float(r.read().decode().split()[0])
print("%d/%d requests answered, mean prediction %.4f" % (ok, len(lines), total / max(ok, 1)))
sys.exit(0 if ok == len(lines) else 1)
