#!/usr/bin/python3
"""pandas-asof.py - what pandas merge_asof gives for a point-in-time join,
the reference that mlops-feature dataset is compared with (tests and
bench).

Usage: pandas-asof.py ENTITIES TTL_SECONDS ID TIME FEATURES... -- BATCH...
                      [--deletes DELETES.csv]

The offline table is the BATCH files in write order (each a CSV with a
header, as ingested), then one row per line of DELETES (ID, time, mode)
with is_deleted and no values. Rows are stably sorted by event time, so
among equal times the latest write comes last, which is the row
merge_asof(direction="backward", allow_exact_matches=True) picks; a
picked delete gives empty values. The output is the entity rows in input
order with TXN__feature columns named by the group name given as
$GROUP (default "txn"), all values as the text they were ingested as.
"""
import os
import sys

import pandas as pd


def to_time(col):
    """RFC 3339 text or Unix seconds, as mlops reads event times."""
    seconds = pd.to_numeric(col, errors="coerce")
    if seconds.notna().all():
        return pd.to_datetime(seconds, unit="s", utc=True)
    return pd.to_datetime(col, utc=True)


def main(argv):
    sep = argv.index("--")
    entities, ttl, id_col, time_col = argv[1:5]
    features = argv[5:sep]
    rest = argv[sep + 1:]
    deletes = None
    if "--deletes" in rest:
        i = rest.index("--deletes")
        deletes = rest[i + 1]
        rest = rest[:i] + rest[i + 2:]
    group = os.environ.get("GROUP", "txn")

    read = dict(dtype=str, keep_default_na=False)
    parts = []
    for batch in rest:
        df = pd.read_csv(batch, **read)
        df["_deleted"] = False
        parts.append(df)
    if deletes:
        d = pd.read_csv(deletes, **read)
        d = d[[id_col, time_col]].copy()
        d["_deleted"] = True
        parts.append(d)
    right = pd.concat(parts, ignore_index=True).fillna("")
    for f in features:
        right.loc[right["_deleted"], f] = ""
    right["_t"] = to_time(right[time_col])
    right = right.sort_values("_t", kind="mergesort")
    right = right[[id_col, "_t", "_deleted"] + features].rename(
        columns={f: f"{group}__{f}" for f in features})

    left = pd.read_csv(entities, **read)
    left["_row"] = range(len(left))
    left["_t"] = to_time(left[time_col])
    left = left.sort_values("_t", kind="mergesort")

    out = pd.merge_asof(left, right, on="_t", by=id_col,
                        direction="backward", allow_exact_matches=True,
                        tolerance=pd.Timedelta(seconds=int(ttl))
                        if int(ttl) > 0 else None)
    names = [f"{group}__{f}" for f in features]
    deleted = out["_deleted"].fillna(False).astype(bool)
    out.loc[deleted, names] = ""
    out = out.sort_values("_row").fillna("")
    cols = [c for c in left.columns if c not in ("_row", "_t")] + names
    out[cols].to_csv(sys.stdout, index=False, lineterminator="\n")


if __name__ == "__main__":
    main(sys.argv)
