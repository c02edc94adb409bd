"""What the Python benchmarks share with bench/lib/measure.mjs: the summary of a figure over
rounds, and the result file bench/report.mjs reads (bench name, date, the machine's load)."""

from __future__ import annotations

import json
import os
import statistics
import time


def stats(values: list[float]) -> dict:
    """Median, min, max and count, as measure.mjs's `stats` gives them."""
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}


def write_result(out_path: str, bench: str, load_start: float, fields: dict) -> None:
    """Write `fields` as the result `bench`, with the date and the load average at start and end."""
    result = {
        "bench": bench,
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "load": {"start": load_start, "end": os.getloadavg()[0]},
        **fields,
    }
    with open(out_path, "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")
    print(f"wrote {out_path}")
