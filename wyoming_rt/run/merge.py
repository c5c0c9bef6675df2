"""`merge_reports`: the shards of one corpus (``validate --shard I/N``) pooled into the report of one run.

Nothing is averaged: WER and CER come from the utterances' summed edit counts, percentiles from
every latency sample, the concurrency phases' figures from their pooled samples, and the gates
are applied again to the pooled figures. Before that, the shards are checked: all N present once,
cut from the same corpus, run with the same settings by the same version, complete, and together
holding every utterance of the corpus exactly once. Pure: no I/O.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import fields, replace
from datetime import datetime, timezone
from typing import Any

from wyoming_rt.checks.load_stats import pool_levels
from wyoming_rt.checks.transcript_language import wrong_language_findings
from wyoming_rt.records.errors import UsageError
from wyoming_rt.records.findings import Finding
from wyoming_rt.records.resources import PhaseResources, ServerResources
from wyoming_rt.records.rules import STT_WRONG_LANGUAGE
from wyoming_rt.records.shard import ids_digest, shard_number
from wyoming_rt.report.model import ConcurrencyReport, Report
from wyoming_rt.run.build_report import summary_of
from wyoming_rt.run.gates import Gates, apply_gates

GATE_PREFIX = "gate."
"""The gates' findings are made again from the pooled figures: the shards' own are dropped."""
SHOWN = 5
"""How many ids or keys a message names before "..."."""


class MergeError(UsageError):
    """The shards cannot be merged into one exact report: one line saying why."""


def _names(items: Sequence[str]) -> str:
    return ", ".join(items[:SHOWN]) + (f", ... ({len(items)} in all)" if len(items) > SHOWN else "")


def check_shards(shards: Sequence[tuple[str, Report]]) -> None:
    """Raise `MergeError` unless ``shards`` (name, report) are every shard of one corpus, once
    each, complete, with the same settings, tool version and servers."""
    if not shards:
        raise MergeError("no reports to merge")
    for name, report in shards:
        if not report.settings.get("shard"):
            raise MergeError(f"{name}: not a shard's report (write them with validate --shard I/N --json ...)")
        if report.incomplete is not None:
            raise MergeError(f"{name}: shard {_label(report)} is incomplete ({report.incomplete}): run it again")
    first_name, first = shards[0]
    count = first.settings["shard"]["count"]
    for name, report in shards[1:]:
        _same_run(first_name, first, name, report)
    seen: dict[int, str] = {}
    for name, report in shards:
        index = report.settings["shard"]["index"]
        if index in seen:
            raise MergeError(f"shard {index}/{count} is given twice: {seen[index]} and {name}")
        seen[index] = name
    missing = [f"{i}/{count}" for i in range(1, count + 1) if i not in seen]
    if missing:
        raise MergeError(f"shard(s) {_names(missing)} missing: merge needs all {count}")
    for name, report in shards:
        _holds_its_share(name, report)
    _covers_corpus_once(shards)


def _label(report: Report) -> str:
    shard = report.settings["shard"]
    return f"{shard['index']}/{shard['count']}"


def _same_run(first_name: str, first: Report, name: str, report: Report) -> None:
    a, b = first.settings, report.settings
    version_a, version_b = a.get("wyoming_rt_version"), b.get("wyoming_rt_version")
    if version_a != version_b:
        raise MergeError(f"{first_name} and {name} were written by different versions of wyoming-rt ({version_a} vs {version_b})")
    corpus_keys = ("count", "corpus_utterances", "corpus_negatives", "corpus_ids_sha256")
    if any(a["shard"].get(k) != b["shard"].get(k) for k in corpus_keys):
        sa, sb = a["shard"], b["shard"]
        raise MergeError(
            f"{first_name} and {name} are shards of different splits or corpora ({sa.get('count')} shards of "
            f"{sa.get('corpus_utterances')} utterances vs {sb.get('count')} of {sb.get('corpus_utterances')}, "
            f"corpus ids {str(sa.get('corpus_ids_sha256'))[:12]} vs {str(sb.get('corpus_ids_sha256'))[:12]})"
        )
    differ = sorted(k for k in {*a, *b} if k != "shard" and a.get(k) != b.get(k))
    if differ:
        shown = "; ".join(f"{k}: {a.get(k)!r} vs {b.get(k)!r}" for k in differ[:3])
        raise MergeError(f"{first_name} and {name} were run with different settings ({shown})")
    for role in sorted({*first.servers, *report.servers}):
        info_a = first.servers[role].info if role in first.servers else None
        info_b = report.servers[role].info if role in report.servers else None
        if info_a != info_b:
            raise MergeError(f"{first_name} and {name} validated different {role.upper()} servers (their info differs)")


def _holds_its_share(name: str, report: Report) -> None:
    shard = report.settings["shard"]
    index, count = shard["index"], shard["count"]
    ids = [u.id for u in report.utterances] + [n.id for n in report.negatives]
    strays = [uid for uid in ids if shard_number(uid, count) != index]
    if strays:
        more = f" and {len(strays) - 1} more of other shards" if len(strays) > 1 else ""
        owner = shard_number(strays[0], count)
        raise MergeError(f"{name}: shard {index}/{count} holds {strays[0]}, of shard {owner}/{count}{more}")
    if (len(report.utterances), len(report.negatives)) != (shard["utterances"], shard["negatives"]):
        raise MergeError(
            f"{name}: shard {index}/{count} holds {len(report.utterances)} utterances and {len(report.negatives)} "
            f"speech-free clips, but ran {shard['utterances']} and {shard['negatives']}"
        )
    unscored = [u.id for u in report.utterances if u.score is not None and u.score.counts is None]
    unscored += [u.id for u in report.utterances if u.back_score is not None and u.back_score.counts is None]
    if unscored:
        raise MergeError(f"{name}: no edit counts for {_names(unscored)} (a report written before they were kept)")


def _covers_corpus_once(shards: Sequence[tuple[str, Report]]) -> None:
    where = Counter(uid for _, r in shards for uid in [*(u.id for u in r.utterances), *(n.id for n in r.negatives)])
    twice = sorted(uid for uid, n in where.items() if n > 1)
    if twice:
        raise MergeError(f"utterance(s) {_names(twice)} appear in more than one shard")
    corpus = shards[0][1].settings["shard"]
    total = corpus["corpus_utterances"] + corpus["corpus_negatives"]
    if len(where) != total or ids_digest(where) != corpus["corpus_ids_sha256"]:
        raise MergeError(f"the shards hold {len(where)} clips, not the corpus's {total} (or other ids than its own)")


def _restored(report: Report) -> Report:
    """A shard's findings as they were before its gates: gate findings dropped, ignored ones back
    with their utterance (or clip, or the run)."""

    def kept(found: list[Finding]) -> list[Finding]:
        return [f for f in found if not f.rule.startswith(GATE_PREFIX)]

    ignored: dict[str | None, list[Finding]] = {}
    for f in report.ignored_findings:
        ignored.setdefault(f.utterance, []).append(f)
    owners = {u.id for u in report.utterances} | {n.id for n in report.negatives}
    run = kept(report.run_findings) + [f for uid, found in ignored.items() if uid not in owners for f in found]
    return replace(
        report,
        run_findings=run,
        ignored_findings=[],
        utterances=[replace(u, findings=kept(u.findings) + ignored.get(u.id, [])) for u in report.utterances],
        negatives=[replace(n, findings=n.findings + ignored.get(n.id, [])) for n in report.negatives],
    )


def gates_of(settings: dict[str, Any]) -> Gates:
    """The gates a report was run with (``settings.gates``)."""
    written = settings.get("gates") or {}
    known = {f.name for f in fields(Gates)}
    values: dict[str, Any] = {k: (tuple(v) if k == "ignore" else v) for k, v in written.items() if k in known}
    return Gates(**values)


def merge_reports(shards: Sequence[tuple[str, Report]], gates: Gates | None = None) -> Report:
    """One report of the whole corpus from every shard's (name, report), checked by `check_shards`
    (`MergeError` otherwise); ``gates``: the shards' own unless given."""
    check_shards(shards)
    ordered = sorted((_restored(r) for _, r in shards), key=lambda r: r.settings["shard"]["index"])
    first = ordered[0]
    utterances = sorted((u for r in ordered for u in r.utterances), key=lambda u: u.id)
    # the same finding once; the transcripts' language is judged again over every shard's utterances
    run_findings = list(dict.fromkeys(f for r in ordered for f in r.run_findings if f.rule != STT_WRONG_LANGUAGE.id))
    heard = [(u.id, u.transcript or "", u.transcript_language) for u in utterances]
    run_findings += wrong_language_findings(heard, first.settings.get("language"))
    settings = {**first.settings, "shard": None, "merged": _merged_settings(shards, first)}
    report = Report(
        summary=summary_of(utterances),
        utterances=utterances,
        servers=first.servers,
        run_findings=run_findings,
        settings=settings,
        negatives=sorted((n for r in ordered for n in r.negatives), key=lambda n: n.id),
        phases=[replace(p, notes={**p.notes, "shard": _label(r)}) for r in ordered for p in r.phases],
        concurrency=_pooled_concurrency([r.concurrency for r in ordered]),
        health_checks=[c for r in ordered for c in r.health_checks],
        created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        resources=_pooled_resources(ordered),
    )
    return apply_gates(report, gates if gates is not None else gates_of(first.settings))


def _merged_settings(shards: Sequence[tuple[str, Report]], first: Report) -> dict[str, Any]:
    corpus = first.settings["shard"]
    return {
        "shards": corpus["count"],
        "reports": [name for name, _ in sorted(shards, key=lambda s: s[1].settings["shard"]["index"])],
        "corpus_utterances": corpus["corpus_utterances"],
        "corpus_negatives": corpus["corpus_negatives"],
        "corpus_ids_sha256": corpus["corpus_ids_sha256"],
    }


def _pooled_concurrency(phases: Sequence[ConcurrencyReport | None]) -> ConcurrencyReport | None:
    """Every shard's concurrency phase as one: the same sessions (the shards ran them one after
    another, not at once), their round trips and samples pooled, the throughput over their summed time."""
    present = [p for p in phases if p is not None]
    if not present:
        return None
    try:
        pooled = pool_levels(present[0].level.label, [p.level for p in present])
    except ValueError as exc:
        raise MergeError(f"the concurrency phases cannot be pooled: {exc}") from exc
    return ConcurrencyReport(
        replace(pooled, concurrency=present[0].level.concurrency),  # each shard ran these sessions, one after another
        sessions_started=sum(p.sessions_started for p in present),
        sessions_ended=sum(p.sessions_ended for p in present),
        timeouts=sum(p.timeouts for p in present),
    )


def _pooled_resources(reports: Sequence[Report]) -> dict[str, ServerResources]:
    """Each server's cost over every shard: per phase, CPU and work summed, peaks the highest,
    means weighted by time. A server not measured in some shard is not measured in the merge."""
    pooled = {}
    for role in sorted({role for r in reports for role in r.resources}):
        each = [r.resources.get(role) for r in reports]
        present = [s for s in each if s is not None and s.phases]
        if len(present) < len(each):
            why = next((s.unavailable for s in each if s is not None and s.unavailable), "not measured in every shard")
            pooled[role] = ServerResources(role, unavailable=why)
            continue
        names = list(dict.fromkeys(p.phase for s in present for p in s.phases))
        phases = [_pooled_phase(name, [p for s in present if (p := s.phase(name)) is not None]) for name in names]
        idle = [s.idle_rss_mb for s in present if s.idle_rss_mb is not None]
        pooled[role] = ServerResources(role, present[0].source, idle_rss_mb=max(idle) if idle else None, phases=phases)
    return pooled


def _pooled_phase(name: str, phases: Sequence[PhaseResources]) -> PhaseResources:
    wall = sum(p.wall_s for p in phases)

    def total(values: Sequence[float | int | None]) -> Any:
        return None if any(v is None for v in values) else sum(v for v in values if v is not None)

    def highest(values: Sequence[int | None]) -> int | None:
        present = [v for v in values if v is not None]
        return max(present) if present else None

    return PhaseResources(
        name, wall, sum(p.cpu_s for p in phases), max(p.rss_peak_mb for p in phases),
        sum(p.rss_mean_mb * p.wall_s for p in phases) / wall if wall else max(p.rss_mean_mb for p in phases),
        highest([p.threads_max for p in phases]), highest([p.connections_max for p in phases]),
        total([p.requests for p in phases]), total([p.work_s for p in phases]),
    )  # fmt: skip
