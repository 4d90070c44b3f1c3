"""Run every benchmark, store their JSON in ``bench/results/`` and write ``SUMMARY.md``.

    uv run python -m bench.run            # small sizes (a few minutes)
    uv run python -m bench.run --full     # the sizes the issue names (long)
    uv run python -m bench.run --only bot sweep

Each bench runs in its own process (its own RSS, event loop and clean shutdown) with a
time limit; a bench that fails or times out is reported as such and the others still
run. Everything targets 127.0.0.1 (scratch PostgreSQL databases, Redis key prefixes
removed afterwards).
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True, slots=True)
class Bench:
    name: str
    module: str
    output: str
    small: tuple[str, ...]
    full: tuple[str, ...]
    timeout: float
    summarise: Callable[[dict[str, Any]], list[str]]


def _ms(d: dict[str, Any] | None) -> str:
    if not d:
        return "n/a"
    shown = [f"{k} {d[k]}" for k in ("p50", "p90", "p95", "p99") if k in d]
    return " / ".join(shown) + " ms"


def _bot(r: dict[str, Any]) -> list[str]:
    ours, bare = r.get("ours", {}), r.get("bare_aiogram", {})
    cold = r.get("ours_cold_directory", {})
    ratio = r.get("ratio_to_bare")
    lines = [
        f"- {r.get('customers')} customers x (/start, menu, catalog, tariff), concurrency "
        f"{r.get('concurrency')}, {r.get('cpus')} CPUs, load average at start "
        f"{', '.join(f'{x:.1f}' for x in r.get('load_average', []))}",
        f"- **ours: {ours.get('updates_per_second')} updates/s** ({_ms(ours.get('latency_ms'))}); "
        f"bare aiogram: {bare.get('updates_per_second')} updates/s "
        f"({_ms(bare.get('latency_ms'))})",
        f"- **ratio to bare aiogram: {ratio:.1%}** (target ≥ 50 %: "
        f"{'met' if ratio and ratio >= 0.5 else 'NOT met'}); by CPU time per update: "
        f"{r.get('cpu_ratio_to_bare')} ({ours.get('cpu_us_per_update')} vs "
        f"{bare.get('cpu_us_per_update')} µs); against bare aiogram with an `F.data` "
        f"filter on its callback handler (a thread hop per press, the baseline before "
        f"2026-11-22 11:10): {r.get('ratio_to_bare_magic_filter')} "
        f"({r.get('bare_aiogram_magic_filter', {}).get('updates_per_second')} updates/s)"
        if ratio is not None
        else "- ratio: n/a",
        "- runs (each kind's 1,000 updates through ours and both bare dispatchers back to "
        "back, who goes first alternating; the median run is reported): ratio "
        + ", ".join(f"{p['ratio']:.1%}" for p in r.get("ratio_runs", []) if p.get("ratio"))
        + "; by CPU "
        + ", ".join(f"{p['cpu_ratio']:.1%}" for p in r.get("ratio_runs", []) if p.get("cpu_ratio"))
        + "; bare aiogram's CPU per update "
        + ", ".join(
            f"{p['bare_cpu_us_per_update']} µs"
            for p in r.get("ratio_runs", [])
            if p.get("bare_cpu_us_per_update")
        ),
        f"- per update (all kinds): {ours.get('sql_statements_per_update')} SQL statements, "
        f"{ours.get('redis_commands_per_update')} Redis commands, "
        f"{ours.get('bot_api_calls_per_update')} Bot API calls, "
        f"{ours.get('thread_hops_per_update')} thread-pool hops (sync aiogram filters: "
        f"{r.get('thread_hops_by_function')}); errors logged: {r.get('errors_logged')}",
        "",
        "| kind | updates/s | latency | SQL/update | Redis/update | thread hops/update "
        "| cold-cache updates/s | cold SQL/update |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for kind, k in ours.get("by_kind", {}).items():
        c = cold.get("by_kind", {}).get(kind, {})
        lines.append(
            f"| {kind} | {k.get('updates_per_second')} | {_ms(k.get('latency_ms'))} | "
            f"{k.get('sql_statements_per_update')} | {k.get('redis_commands_per_update')} | "
            f"{k.get('thread_hops_per_update')} | {c.get('updates_per_second')} | "
            f"{c.get('sql_statements_per_update')} |"
        )
    lines += [
        "",
        f"- cold customer cache (every update the customer's first visit since the "
        f"cache was emptied): "
        f"{cold.get('updates_per_second')} updates/s, ratio "
        f"{r.get('ratio_to_bare_cold_directory')}",
        f"- RSS of the bot process: idle {r.get('rss_mb_idle')} MB, after the load "
        f"{r.get('rss_mb_after_load')} MB",
        f"- registration (/start of new customers, not in the ratio): "
        f"{r.get('registration', {}).get('updates_per_second')} updates/s",
    ]
    lines.append(
        f"- log.updates = {r.get('log_updates', 'all (the only behaviour then)')}"
        " (a line per update or only slow ones)"
    )
    every = RESULTS / "bot_log_all.json"
    if every.exists():
        e = json.loads(every.read_text())
        lines.append(
            f"- the same bench with `--log-updates all` (a JSON line per update, run "
            f"{e.get('at')}): ratio {e.get('ratio_to_bare', 0):.1%}, runs "
            + ", ".join(f"{p['ratio']:.1%}" for p in e.get("ratio_runs", []) if p.get("ratio"))
        )
    for name, title in (
        (
            "bot_before_round4.json",
            "Round 4 (this method): the code before it (722e716), measured the same way",
        ),
        ("bot_before.json", "The first run, before any hot-spot fix (an older method)"),
    ):
        before_file = RESULTS / name
        if before_file.exists():
            lines += _bot_before_after(json.loads(before_file.read_text()), r, name, title)
    top = r.get("profile_top_vpnsales_cold") or r.get("profile_top_vpnsales") or []
    if top:
        lines += [
            "",
            f"Profile (cProfile over {r.get('profile_updates')} updates, cold cache; own time "
            "of our frames — the rest is aiogram/pydantic/SQLAlchemy/asyncpg and waiting, "
            "see `bench/results/bot_profile*.txt`):",
            "",
        ]
        lines += [
            f"  - `{t['where']}` {t['function']}: own {t['own_s']} s, {t['calls']} calls"
            for t in top[:8]
        ]
    return lines


def _bot_before_after(
    before: dict[str, Any], after: dict[str, Any], name: str, title: str
) -> list[str]:
    """This run next to an earlier one (see ``bench/bot/HOTSPOTS.md``): ratios are
    comparable across runs of the same method, absolute rates less so."""

    def figures(r: dict[str, Any]) -> dict[str, Any]:
        ours, cold = r.get("ours", {}), r.get("ours_cold_directory", {})
        # runs before the magic-filter variant existed measured only that baseline
        magic = r.get("bare_aiogram_magic_filter") or r.get("bare_aiogram", {})
        magic_ratio = r.get("ratio_to_bare_magic_filter", r.get("ratio_to_bare"))
        strict = "bare_aiogram_magic_filter" in r
        rows: dict[str, Any] = {
            "ours, updates/s": ours.get("updates_per_second"),
            "bare aiogram, no filter, updates/s": (
                r.get("bare_aiogram", {}).get("updates_per_second") if strict else "not measured"
            ),
            "**ratio to bare, no filter**": (
                f"**{r['ratio_to_bare']:.1%}**" if strict and "ratio_to_bare" in r else "—"
            ),
            "bare aiogram with `F.data`, updates/s": magic.get("updates_per_second"),
            "ratio to bare with `F.data`": f"{magic_ratio:.1%}" if magic_ratio else None,
            "CPU per update, µs: ours / bare, no filter": (
                f"{ours.get('cpu_us_per_update')} / "
                f"{r.get('bare_aiogram', {}).get('cpu_us_per_update')}"
                if strict
                else ours.get("cpu_us_per_update")
            ),
            "p50 / p99 per update, ms": " / ".join(
                str(ours.get("latency_ms", {}).get(q)) for q in ("p50", "p99")
            ),
            "cold customer cache: ratio to the headline bare": r.get(
                "ratio_to_bare_cold_directory"
            ),
            "SQL / Redis / Bot API calls / thread hops per update": " / ".join(
                str(ours.get(k))
                for k in (
                    "sql_statements_per_update",
                    "redis_commands_per_update",
                    "bot_api_calls_per_update",
                    "thread_hops_per_update",
                )
            ),
        }
        for kind, k in ours.get("by_kind", {}).items():
            c = cold.get("by_kind", {}).get(kind, {})
            rows[f"{kind}: updates/s, SQL (cold SQL), hops"] = (
                f"{k.get('updates_per_second')}, {k.get('sql_statements_per_update')} "
                f"({c.get('sql_statements_per_update')}), {k.get('thread_hops_per_update')}"
            )
        return rows

    old, new = figures(before), figures(after)
    lines = [
        "",
        f"{title} (before: run of {before.get('at')}, `bench/results/{name}`):",
        "",
        "| | before | after |",
        "|---|---|---|",
    ]
    lines += [f"| {name} | {old.get(name)} | {new.get(name)} |" for name in new]
    return lines


def _sweep(r: dict[str, Any]) -> list[str]:
    return [
        f"- {r.get('total_subscriptions'):,} subscriptions, {r.get('due'):,} due, batch "
        f"{r.get('batch')}, {r.get('sweepers')} sweepers",
        f"- claim of one batch: median {r.get('claim_batch_ms', {}).get('median')} ms",
        f"- ExpireDueSubscriptions: {r.get('interactor_rows_per_second_after')} rows/s "
        f"(before batching: {r.get('interactor_rows_per_second_before')} rows/s)",
    ]


def _memory(r: dict[str, Any]) -> list[str]:
    lines = [
        "",
        "| process | start-up | RSS idle | RSS under bot load |",
        "|---|---|---|---|",
        f"| web | {r.get('web_startup_s')} s | {r.get('web_rss_mb_idle')} MB | |",
        f"| worker | {r.get('worker_startup_s')} s | {r.get('worker_rss_mb_idle')} MB | |",
        f"| all-in-one | {r.get('allinone_startup_s')} s | {r.get('allinone_rss_mb_idle')} MB | "
        f"{r.get('allinone_rss_mb_under_load')} MB |",
        "",
    ]
    for key, label in (
        ("allinone_bot_load_new_customers", "new customers"),
        ("allinone_bot_load_returning", "returning customers"),
    ):
        load = r.get(key) or {}
        lines.append(
            f"- all-in-one over HTTP (/webhooks/telegram, /start, {label}): "
            f"{load.get('updates_per_second')} updates/s, {_ms(load.get('latency_ms'))}, "
            f"statuses {load.get('http_statuses')}"
        )
    return lines


def _broadcast(r: dict[str, Any]) -> list[str]:
    return [
        f"- {r.get('messages')} messages to {r.get('distinct_chats')} chats, Telegram emulator "
        "enforcing 30 msg/s and 1 msg/s per chat",
        f"- **achieved {r.get('achieved_per_second')} msg/s** vs the {r.get('rate_setting')} "
        f"msg/s setting ({r.get('share_of_setting')}; the sender paces at 0.9 × the setting); "
        f"**429s: {r.get('telegram_429s')}**; outcomes {r.get('outcomes')}",
    ]


def _webhooks(r: dict[str, Any]) -> list[str]:
    return [
        f"- {r.get('payments')} YooKassa notifications at {r.get('arrival_rate_per_second')}/s "
        f"→ real web app (source check, re-fetch, ApplyProviderPayment) → {r.get('workers')} "
        f"worker process(es) → Remnawave emulator ({r.get('panel_latency_ms')} ms) → Telegram",
        f"- **{r.get('notifications_per_second')} notifications/s answered** "
        f"(statuses {r.get('webhook_statuses')}); webhook latency {_ms(r.get('webhook_ms'))}",
        f"- **notification → access_ready: {_ms(r.get('access_ready_ms'))}**; "
        f"{r.get('completed')} completed, {r.get('missing')} missing",
    ]


def _generic(r: dict[str, Any]) -> list[str]:
    keys = [k for k, v in r.items() if isinstance(v, int | float | str) and k != "at"][:14]
    lines = [f"- {k}: {r[k]}" for k in keys]
    for k, v in r.items():
        if isinstance(v, dict) and {"p50", "p99"} <= set(v):
            lines.append(f"- {k}: {_ms(v)}")
    return lines


BENCHES = (
    Bench(
        "bot",
        "bench.bot",
        "bot.json",
        ("--customers", "1000", "--concurrency", "16"),
        ("--customers", "1000", "--concurrency", "16", "--profile-customers", "1000"),
        900,
        _bot,
    ),
    Bench(
        "sweep",
        "bench.sweep",
        "sweep_small.json",
        ("--total", "100000", "--skip-per-row"),
        ("--total", "1000000"),
        1800,
        _sweep,
    ),
    Bench(
        "memory",
        "bench.memory",
        "memory.json",
        ("--updates", "1000"),
        ("--updates", "5000"),
        900,
        _memory,
    ),
    Bench(
        "webhooks",
        "bench.webhooks",
        "webhooks.json",
        ("--payments", "200", "--rate", "20"),
        ("--payments", "1000", "--rate", "20", "--workers", "2"),
        900,
        _webhooks,
    ),
    Bench(
        "broadcast",
        "bench.broadcast",
        "broadcast.json",
        ("--recipients", "250"),
        ("--recipients", "2500"),
        300,
        _broadcast,
    ),
    Bench(
        "activation",
        "bench.activation",
        "activation_small.json",
        ("--payments", "100", "--workers", "1", "--rate", "20"),
        ("--payments", "1000", "--workers", "2", "--rate", "20"),
        900,
        _generic,
    ),
)


def run_one(bench: Bench, full: bool) -> dict[str, Any]:
    args = list(bench.full if full else bench.small)
    output = RESULTS / (bench.output.replace("_small", "") if full else bench.output)
    command = [sys.executable, "-m", bench.module, *args, "--output", str(output)]
    started = time.monotonic()
    try:
        done = subprocess.run(
            command, cwd=ROOT, timeout=bench.timeout, capture_output=True, text=True, check=False
        )
    except subprocess.TimeoutExpired:
        return {"status": f"timed out after {bench.timeout:.0f} s", "command": command}
    seconds = round(time.monotonic() - started, 1)
    if done.returncode != 0:
        return {
            "status": f"failed (exit {done.returncode})",
            "seconds": seconds,
            "stderr_tail": done.stderr[-1500:],
            "command": command,
        }
    try:
        result = json.loads(output.read_text())
    except (OSError, ValueError) as exc:
        return {"status": f"no result ({exc})", "seconds": seconds}
    return {"status": "ok", "seconds": seconds, "result": result, "file": output.name}


def summary(outcomes: dict[str, dict[str, Any]], full: bool) -> str:
    lines = [
        "# Benchmarks",
        "",
        f"Run {datetime.now(UTC).isoformat(timespec='seconds')} with "
        f"`uv run python -m bench.run{' --full' if full else ''}` — Python "
        f"{platform.python_version()}, {platform.machine()}. Figures from a shared, loaded "
        "machine: compare ratios measured in the same run, not absolute numbers across runs.",
        "",
    ]
    by_name = {b.name: b for b in BENCHES}
    for name, outcome in outcomes.items():
        lines += [f"## {name}", ""]
        if outcome["status"] != "ok":
            lines += [f"- **{outcome['status']}**"]
            if outcome.get("stderr_tail"):
                lines += ["", "```", outcome["stderr_tail"].strip()[-800:], "```"]
            lines.append("")
            continue
        lines += [f"- `bench/results/{outcome['file']}`, {outcome['seconds']} s"]
        lines += by_name[name].summarise(outcome["result"])
        lines.append("")
    hotspots = Path(__file__).resolve().parent / "bot" / "HOTSPOTS.md"
    if hotspots.exists():
        lines += [hotspots.read_text().strip(), ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="the full sizes (slow)")
    parser.add_argument("--only", nargs="*", choices=[b.name for b in BENCHES])
    parser.add_argument(
        "--summary-only",
        action="store_true",
        help="rewrite SUMMARY.md from the last run's results without running anything",
    )
    args = parser.parse_args(argv)
    RESULTS.mkdir(parents=True, exist_ok=True)
    if args.summary_only:
        last = json.loads((RESULTS / "run.json").read_text())
        for outcome in last.values():
            if outcome.get("status") == "ok":
                outcome["result"] = json.loads((RESULTS / outcome["file"]).read_text())
        (RESULTS / "SUMMARY.md").write_text(summary(last, args.full))
        return
    outcomes: dict[str, dict[str, Any]] = {}
    for bench in BENCHES:
        if args.only and bench.name not in args.only:
            continue
        print(f"== {bench.name} ...", flush=True)
        outcomes[bench.name] = run_one(bench, args.full)
        print(f"   {outcomes[bench.name]['status']}", flush=True)
    if args.only and (RESULTS / "run.json").exists():  # keep the other benches' last run
        earlier = json.loads((RESULTS / "run.json").read_text())
        for name, outcome in earlier.items():
            if name not in outcomes and outcome.get("status") == "ok":
                outcome["result"] = json.loads((RESULTS / outcome["file"]).read_text())
                outcomes[name] = outcome
        outcomes = {b.name: outcomes[b.name] for b in BENCHES if b.name in outcomes}
    (RESULTS / "run.json").write_text(
        json.dumps(
            {name: {k: v for k, v in o.items() if k != "result"} for name, o in outcomes.items()},
            indent=2,
        )
        + "\n"
    )
    text = summary(outcomes, args.full)
    (RESULTS / "SUMMARY.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
