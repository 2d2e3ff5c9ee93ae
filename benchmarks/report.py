"""Run the issue 10 benchmarks and write BENCHMARKS.md: the machine, the medians, the ratios.

Usage: python benchmarks/report.py [--out BENCHMARKS.md] [--smoke] [--articles N] [--pairs P]
                                   [--latency-articles N]

Runs, in this order, each with interleaved rounds: crawl_bench.py (lpscrape vs a minimal
pipeline vs bare Scrapy), reparse_bench.py (reparse vs one-core extraction) and
archive_latency.py (lpscrape's Datasette vs plain Datasette, CSV vs `sqlite3 -csv`). The
targets are ratios measured in the same run; no absolute time is a pass mark.
"""

from __future__ import annotations

import argparse
import os
import platform
import sqlite3
import sys
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import archive_latency
import crawl_bench
import reparse_bench

ROOT = Path(__file__).resolve().parent.parent
# (what, how it is read from the figures, the target, True when higher is better)
TARGETS = [
    ("crawl: articles/s vs the minimal pipeline", ("crawl", "pages_per_s_vs_minimal"), 0.9, True),
    ("crawl: peak RSS vs the minimal pipeline", ("crawl", "peak_rss_vs_minimal"), 1.5, False),
    (
        "archive bytes per article vs the minimal pipeline",
        ("crawl", "bytes_per_article_vs_minimal"),
        2.5,
        False,
    ),
    ("no-change re-crawl: share of a full crawl's bytes", ("recrawl", "bytes_share"), 0.05, False),
    ("reparse vs one-core extraction alone", ("reparse", "reparse_vs_extract_alone"), 1.6, True),
    ("table page vs plain Datasette", ("latency", "table page"), 1.5, False),
    ("frequent-word search vs plain Datasette", ("latency", "frequent-word search"), 1.5, False),
    ("CSV export vs sqlite3 -csv", ("latency", "csv"), 1.5, False),
]


def machine() -> dict[str, str]:
    """What the figures were measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{kib / 2**20:.0f} GB"
    except (OSError, ValueError, IndexError):
        pass
    return {
        "cpu": cpu,
        "nproc": str(os.cpu_count()),
        "memory": memory,
        "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "python": platform.python_version(),
        "scrapy": version("scrapy"),
        "datasette": version("datasette"),
        "sqlite": sqlite3.sqlite_version,
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def ratios(crawl: dict[str, Any], reparse: dict[str, Any], latency: dict[str, Any]) -> dict:
    """Every targeted ratio by its key in TARGETS."""
    pages = latency["pages"]
    return {
        "crawl": crawl["ratios"],
        "recrawl": crawl["recrawl"],
        "reparse": reparse["ratios"],
        "latency": {
            **{k: v["lpscrape"] / v["plain"] for k, v in pages.items() if v.get("plain")},
            "csv": latency["csv"]["lpscrape_s"] / latency["csv"]["floor_s"],
        },
    }


def render(
    host: dict[str, str],
    crawl: dict[str, Any],
    reparse: dict[str, Any],
    latency: dict[str, Any],
    command: str,
) -> str:
    """BENCHMARKS.md from the three benchmarks' figures."""
    found = ratios(crawl, reparse, latency)
    lines = [
        "# Benchmarks (issue 10)",
        "",
        f"Written by `{command}` on {host['date']}. Every figure is a median of interleaved",
        "rounds in this one run; read the ratios, not the times (the machine is shared).",
        "",
        f"Machine: {host['cpu']}, `nproc` {host['nproc']}, {host['memory']} memory, load "
        f"average {host['load']} at the start; Python {host['python']}, Scrapy "
        f"{host['scrapy']}, Datasette {host['datasette']}, SQLite {host['sqlite']}. The "
        f"generated site was served by {crawl['server']}.",
        "",
        "## Targets",
        "",
        "| | target | measured | |",
        "|---|---|---|---|",
    ]
    for what, (group, key), target, higher in TARGETS:
        value = found[group].get(key)
        if value is None:
            lines.append(f"| {what} | | not measured | |")
            continue
        met = value >= target if higher else value <= target
        sign = "≥" if higher else "≤"
        shown = f"{value:.1%}" if key == "bytes_share" else f"{value:.2f}×"
        goal = f"{target:.0%}" if key == "bytes_share" else f"{target}×"
        lines.append(f"| {what} | {sign} {goal} | {shown} | {'met' if met else '**missed**'} |")
    figures = crawl["figures"]
    lines += [
        "",
        f"## Crawl of a generated {crawl['articles']:,}-article site "
        f"(`benchmarks/crawl_bench.py`, {crawl['pairs']} rounds)",
        "",
        "| | articles/s | CPU ms/article | CPU% (200% = 2 cores) | peak RSS MB | KB/article |",
        "|---|---|---|---|---|---|",
    ]
    for tool in ("lpscrape", "minimal", "bare"):
        f = figures[tool]
        kb = f"{f['bytes_per_article'] / 1024:.1f}" if f["bytes_per_article"] else "—"
        lines.append(
            f"| {tool} | {f['pages_per_s']:.1f} | {f['cpu_ms_per_article']:.2f} | "
            f"{f['cpu_pct']:.0f}% | {f['peak_rss_mb']:.0f} | {kb} |"
        )
    recrawl = crawl["recrawl"]
    lines += [
        "",
        f"No-change re-crawl: {recrawl['requests']} requests, {recrawl['bytes_share']:.1%} of "
        "the full crawl's bytes.",
        "",
        "Where the bytes go (`dbstat`, KB per article, first round):",
        "",
        "| part | lpscrape | minimal pipeline |",
        "|---|---|---|",
    ]
    ours, minimal = crawl["bytes_breakdown"]["lpscrape"], crawl["bytes_breakdown"]["minimal"]
    for part in dict.fromkeys([*ours, *minimal]):
        a, b = ours.get(part, 0.0), minimal.get(part, 0.0)
        lines.append(f"| {part} | {a / 1024:.2f} | {b / 1024:.2f} |")
    lines += [
        "",
        f"## Reparse of {reparse['pages']:,} stored captures (`benchmarks/reparse_bench.py`)",
        "",
        "| | pages/s (process start-up included) |",
        "|---|---|",
    ]
    names = {
        "reparse": "`lpscrape reparse` (extraction pool on every core)",
        "reparse_1": "`lpscrape reparse --workers 1`",
        "extract_alone": "extraction alone, one process (decompress + extract, nothing written)",
    }
    for tool, rate in reparse["rates"].items():
        lines.append(f"| {names.get(tool, tool)} | {rate:.1f} |")
    lines += [
        "",
        f"## Datasette on {latency['articles']:,} articles ({latency['mib']:,.0f} MiB; "
        f"`benchmarks/archive_latency.py`, {latency['repeat']} rounds)",
        "",
        "Both servers in their own process over the same file, requests interleaved; plain is",
        "`datasette serve FILE --setting suggest_facets off`.",
        "",
        "| page | lpscrape ms | plain Datasette ms | ratio |",
        "|---|---|---|---|",
    ]
    for page, by_server in latency["pages"].items():
        plain = by_server.get("plain")
        ratio = f"{by_server['lpscrape'] / plain:.2f}×" if plain else "—"
        plain_text = f"{plain:.1f}" if plain else "—"
        lines.append(f"| {page} | {by_server['lpscrape']:.1f} | {plain_text} | {ratio} |")
    csv = latency["csv"]
    lines += [
        "",
        f"CSV of every article ({csv['mib']:,.0f} MiB), best of 3: `lpscrape export csv` "
        f"{csv['lpscrape_s']:.2f} s, {csv['floor']} {csv['floor_s']:.2f} s "
        f"({csv['lpscrape_s'] / csv['floor_s']:.2f}×).",
        "",
        "Earlier runs, and what each change did: `git log -p BENCHMARKS.md`. Crawlers on "
        "several machines (`benchmarks/distributed_bench.py`): `BENCHMARKS-distributed.md`.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmarks and write the report; returns its text and every figure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "BENCHMARKS.md")
    parser.add_argument("--smoke", action="store_true", help="a few dozen pages, one round each")
    parser.add_argument("--articles", type=int, default=3000)
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--latency-articles", type=int, default=100_000)
    parser.add_argument("--latency-db", type=Path, help="reuse or keep the large archive here")
    args = parser.parse_args(argv)
    host = machine()
    sizes = ["--articles", str(args.articles), "--pairs", str(args.pairs)]
    crawl = crawl_bench.main(["--smoke"] if args.smoke else sizes)
    reparse = reparse_bench.main(["--smoke"] if args.smoke else sizes)
    latency_args = ["--smoke"] if args.smoke else ["--articles", str(args.latency_articles)]
    if args.latency_db:
        latency_args += ["--db", str(args.latency_db)]
    latency = archive_latency.main(latency_args)
    command = "python benchmarks/report.py" + (" --smoke" if args.smoke else "")
    text = render(host, crawl, reparse, latency, command)
    args.out.write_text(text)
    print(f"wrote {args.out}")
    return {"text": text, "crawl": crawl, "reparse": reparse, "latency": latency}


if __name__ == "__main__":
    main()
