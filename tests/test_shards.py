"""Sharded runs: ``validate --shard I/N`` takes a stable share of the corpus, and ``merge`` pools
the shards' reports into exactly the figures of one run, or says why it cannot."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import anyio
import numpy as np
import pytest

from wyoming_rt.checks.stats import latency_stats
from wyoming_rt.cli import main
from wyoming_rt.corpus import load_bundled_corpus
from wyoming_rt.records.corpus import Corpus
from wyoming_rt.records.shard import Shard, shard_corpus, shard_number
from wyoming_rt.report.model import STAGES, Report
from wyoming_rt.run.gates import Gates
from wyoming_rt.run.merge import MergeError, merge_reports
from wyoming_rt.run.validate import ValidateOptions, validate
from wyoming_rt.servers.null import run_null_server

OPTIONS = ValidateOptions(timeout_s=20, back_transcribe=True, concurrency=2, resources=False)
SHARDS = 3


def _run_all() -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The bundled corpus against the null server as 3 shards, then as one run (JSON documents)."""
    corpus = load_bundled_corpus()

    async def runs() -> tuple[list[dict[str, Any]], dict[str, Any]]:
        async with run_null_server(reply_seconds=1.0) as endpoint:
            with anyio.fail_after(600):
                shards = [
                    (await validate(endpoint, endpoint, corpus, replace(OPTIONS, shard=Shard(i, SHARDS)))).to_dict()
                    for i in range(1, SHARDS + 1)
                ]
                whole = (await validate(endpoint, endpoint, corpus, OPTIONS)).to_dict()
        return shards, whole

    shards, whole = anyio.run(runs)
    return [json.loads(json.dumps(s)) for s in shards], json.loads(json.dumps(whole))  # as the files hold them


@pytest.fixture(scope="module")
def runs() -> tuple[list[dict[str, Any]], dict[str, Any]]:
    return _run_all()


def _named(documents: list[dict[str, Any]]) -> list[tuple[str, Report]]:
    return [(f"shard-{d['settings']['shard']['index']}.json", Report.from_dict(d)) for d in documents]


def _samples(documents: list[dict[str, Any]], stage: str) -> list[float]:
    return sorted(v for d in documents for u in d["utterances"] if (v := u["latency_ms"].get(stage)) is not None)


def test_shard_numbers_are_stable_and_cover_every_id() -> None:
    ids = [f"clip_{i:04d}" for i in range(300)]
    shares = {i: [uid for uid in ids if Shard(i, 4).holds(uid)] for i in range(1, 5)}
    assert sorted(uid for share in shares.values() for uid in share) == sorted(ids)
    assert all(share for share in shares.values())  # 300 ids: every shard gets some
    # a share depends on the id alone: more files elsewhere move nothing
    assert [shard_number(uid, 4) for uid in ids] == [shard_number(uid, 4) for uid in [*ids, "new_a", "new_b"]][:300]


def test_shard_parse_rejects_what_is_not_i_of_n() -> None:
    assert Shard.parse("2/3") == Shard(2, 3) and str(Shard(2, 3)) == "2/3"
    for text in ("0/3", "4/3", "3", "a/b", "1/0", "-1/2"):
        with pytest.raises(Exception, match="I/N"):
            Shard.parse(text)


def test_a_shard_takes_its_share_of_the_utterances_and_the_clips() -> None:
    corpus = load_bundled_corpus()
    parts = [shard_corpus(corpus, Shard(i, SHARDS)) for i in range(1, SHARDS + 1)]
    assert sorted(u.id for p in parts for u in p.corpus) == sorted(u.id for u in corpus)
    assert sorted(n.id for p in parts for n in p.corpus.negatives) == sorted(n.id for n in corpus.negatives)
    assert len({p.corpus_ids_sha256 for p in parts}) == 1
    assert all(p.corpus.name == corpus.name for p in parts)


def test_merged_shards_give_the_single_runs_scores_and_every_sample(runs: tuple[list[dict[str, Any]], dict[str, Any]]) -> None:
    shards, whole = runs
    merged = merge_reports(_named(shards)).to_dict()
    # the null server answers each clip with a digest of it: the same transcripts in every run
    for key in ("wer", "cer", "wer_raw", "cer_raw", "back_wer", "errors", "utterances", "failed"):
        assert merged["summary"][key] == whole["summary"][key], key
    assert [u["id"] for u in merged["utterances"]] == sorted(u["id"] for u in whole["utterances"])
    assert sorted(n["id"] for n in merged["negatives"]) == sorted(n["id"] for n in whole["negatives"])
    for stage in STAGES:
        pooled = _samples(shards, stage)
        assert _samples([merged], stage) == pooled  # every shard's sample, no other
        assert len(pooled) == len(_samples([whole], stage))
        stats = latency_stats([v / 1000 for v in pooled])
        written = merged["summary"]["latency_ms"][stage]
        assert (written is None) == (stats is None)
        if stats is not None:
            assert written == stats.to_dict()  # percentiles of the pooled samples, not averages
    gaps = [g for d in shards for u in d["utterances"] for g in u["chunk_gap_samples_ms"]]
    assert merged["summary"]["chunk_gap_ms"]["count"] == len(gaps) > 0
    assert merged["summary"]["chunk_gap_ms"]["max"] == pytest.approx(max(gaps), abs=1e-3)


def test_merged_findings_and_gates_are_the_single_runs(runs: tuple[list[dict[str, Any]], dict[str, Any]]) -> None:
    shards, whole = runs

    def rules(document: dict[str, Any]) -> list[tuple[str, str]]:
        return sorted((f["rule"], f["utterance"] or "") for f in document["findings"])

    merged = merge_reports(_named(shards)).to_dict()
    # each utterance keeps its shard's findings, and the gates' are made again from the pooled figures
    assert [(r, u) for r, u in rules(merged) if u and not r.startswith("gate.")] == sorted(
        (r, u) for d in shards for r, u in rules(d) if u and not r.startswith("gate.")
    )
    over_gate = [(r, u) for r, u in rules(whole) if r == "gate.max-wer"]
    assert [(r, u) for r, u in rules(merged) if r == "gate.max-wer"] == over_gate
    assert ("gate.max-wer", "") in over_gate  # the null server's digests are not the references
    assert [g["gate"] for g in merged["gates"]] == [g["gate"] for g in whole["gates"]] == ["max_wer"]
    assert merged["gates"][0]["measured"] == whole["gates"][0]["measured"]
    probes = [p for p in merged["phases"] if p["name"] == "probes"]
    assert [p["shard"] for p in probes] == ["1/3"]  # the probes ran once, in shard 1
    # the concurrency phases pooled: every round trip and sample of each
    concurrency = merged["concurrency"]
    assert concurrency["round_trips"] == sum(d["concurrency"]["round_trips"] for d in shards)
    assert concurrency["concurrency"] == OPTIONS.concurrency  # each shard ran these sessions, not all at once
    for stage, samples in concurrency["latency_samples_ms"].items():
        assert sorted(samples) == sorted(v for d in shards for v in d["concurrency"]["latency_samples_ms"][stage])
        stats = latency_stats([v / 1000 for v in samples])
        # the same samples, summed in another order for the mean: equal up to the last rounded digit
        assert concurrency["latency_ms"][stage] == (pytest.approx(stats.to_dict(), abs=0.0015) if stats else None)
    # gates given to merge replace the shards' own
    loose = merge_reports(_named(shards), Gates(max_wer=None)).to_dict()
    assert "gate.max-wer" not in {f["rule"] for f in loose["findings"]}


def test_merge_refuses_missing_duplicated_or_foreign_shards(runs: tuple[list[dict[str, Any]], dict[str, Any]]) -> None:
    shards, whole = runs
    with pytest.raises(MergeError, match=r"shard\(s\) 2/3 missing"):
        merge_reports(_named([shards[0], shards[2]]))
    with pytest.raises(MergeError, match="shard 1/3 is given twice"):
        merge_reports(_named([shards[0], shards[0], shards[1], shards[2]]))
    with pytest.raises(MergeError, match="not a shard's report"):
        merge_reports([("whole.json", Report.from_dict(whole)), *_named(shards)])
    other = copy.deepcopy(shards[1])
    other["settings"]["timeout_s"] = 99
    with pytest.raises(MergeError, match=r"different settings.*timeout_s"):
        merge_reports(_named([shards[0], other, shards[2]]))
    older = copy.deepcopy(shards[2])
    older["settings"]["wyoming_rt_version"] = "0.0.1"
    with pytest.raises(MergeError, match="different versions of wyoming-rt"):
        merge_reports(_named([shards[0], shards[1], older]))
    cut = copy.deepcopy(shards[1])
    cut["incomplete"] = "interrupted during phase latency"
    with pytest.raises(MergeError, match="2/3 is incomplete"):
        merge_reports(_named([shards[0], cut, shards[2]]))
    moved = copy.deepcopy(shards[1])
    moved["utterances"].append({**copy.deepcopy(shards[0]["utterances"][0]), "findings": []})
    moved["settings"]["shard"]["utterances"] += 1
    with pytest.raises(MergeError, match=r"shard 2/3 holds \S+, of shard 1/3"):
        merge_reports(_named([shards[0], moved, shards[2]]))


@pytest.mark.anyio
async def test_a_shard_run_with_other_settings_cannot_be_merged() -> None:
    """Not an edited file: a real shard run with another timeout."""
    corpus = Corpus("six", load_bundled_corpus().utterances[:6])
    async with run_null_server(reply_seconds=0.2) as endpoint:
        with anyio.fail_after(300):
            quick = replace(OPTIONS, probes=False, concurrency=0)
            one = await validate(endpoint, endpoint, corpus, replace(quick, shard=Shard(1, 2)))
            two = await validate(endpoint, endpoint, corpus, replace(quick, shard=Shard(2, 2), timeout_s=7))
    with pytest.raises(MergeError, match=r"different settings \(timeout_s: 20 vs 7\)"):
        merge_reports([("a.json", Report.from_dict(one.to_dict())), ("b.json", Report.from_dict(two.to_dict()))])


@pytest.fixture
def shard_files(runs: tuple[list[dict[str, Any]], dict[str, Any]], tmp_path: Path) -> Iterator[list[Path]]:
    paths = []
    for document in runs[0]:
        path = tmp_path / f"shard-{document['settings']['shard']['index']}.json"
        path.write_text(json.dumps(document), encoding="utf-8")
        paths.append(path)
    yield paths


def test_merge_command_writes_the_outputs_and_gives_the_verdict(
    shard_files: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "all.json"
    outputs = ["--json", str(out), "--junit", str(tmp_path / "j.xml"), "--markdown", str(tmp_path / "s.md")]
    code = main(["merge", *map(str, shard_files), *outputs, "--quiet"])
    assert code == 1  # the null server fails the WER gate
    assert f"({SHARDS} shards merged)" in (tmp_path / "s.md").read_text(encoding="utf-8")
    merged = json.loads(out.read_text(encoding="utf-8"))
    assert merged["settings"]["merged"]["shards"] == SHARDS and merged["passed"] is False
    assert "<testsuite" in (tmp_path / "j.xml").read_text(encoding="utf-8")
    loose = tmp_path / "loose.json"
    main(["merge", *map(str, shard_files), "--max-wer", "10", "--json", str(loose), "--quiet"])
    gate = json.loads(loose.read_text(encoding="utf-8"))["gates"][0]
    assert gate["gate"] == "max_wer" and gate["threshold"] == 10 and gate["passed"] is True
    capsys.readouterr()
    assert main(["merge", str(shard_files[0]), str(shard_files[2])]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["wyoming-rt: error: shard(s) 2/3 missing: merge needs all 3"]


def test_merged_report_reads_back_the_same(runs: tuple[list[dict[str, Any]], dict[str, Any]]) -> None:
    merged = merge_reports(_named(runs[0])).to_dict()
    again = json.loads(json.dumps(merged))
    assert Report.from_dict(again).to_dict() == {**again, "created": Report.from_dict(again).created}
    assert np.isfinite(merged["summary"]["wer"])


def test_a_report_over_the_size_limit_is_refused_before_it_is_read(
    shard_files: list[Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from wyoming_rt.report import compare

    monkeypatch.setattr(compare, "MAX_REPORT_BYTES", 1000)
    assert main(["merge", *map(str, shard_files)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "shard-1.json" in err[0] and "over the 0 MB a report may have" in err[0]
