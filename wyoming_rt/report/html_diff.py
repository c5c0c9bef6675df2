"""A word diff for the HTML page: a transcript against its reference, after the normalisation
the WER is computed on (jiwer's alignment), wrong, missing and extra words marked."""

from __future__ import annotations

import jiwer

from wyoming_rt.checks.scoring import MAX_SCORED_CHARS, cap_text, normalize
from wyoming_rt.report.html_parts import esc


def _words(text: str) -> list[str]:
    return normalize(cap_text(text)).split()


def word_diff(reference: str, hypothesis: str) -> str:
    """HTML of ``hypothesis``'s normalised words: ``<del>`` a reference word it missed or got
    wrong, ``<ins>`` a word it has instead or in excess; the text as written in the title."""
    ref, hyp = _words(reference), _words(hypothesis)
    parts: list[str] = []
    if not ref or not hyp:
        parts += [f"<del>{esc(w)}</del>" for w in ref] + [f"<ins>{esc(w)}</ins>" for w in hyp]
    else:
        out = jiwer.process_words(" ".join(ref), " ".join(hyp))
        for chunk in out.alignments[0]:
            said, heard = ref[chunk.ref_start_idx : chunk.ref_end_idx], hyp[chunk.hyp_start_idx : chunk.hyp_end_idx]
            if chunk.type == "equal":
                parts += [esc(w) for w in heard]
            elif chunk.type == "substitute":
                parts += [f"<del>{esc(r)}</del><ins>{esc(h)}</ins>" for r, h in zip(said, heard, strict=False)]
            else:
                parts += [f"<del>{esc(w)}</del>" for w in said] + [f"<ins>{esc(w)}</ins>" for w in heard]
    more = (
        f' <span class="muted">(diff of the first {MAX_SCORED_CHARS} characters)</span>'
        if len(hypothesis) > MAX_SCORED_CHARS
        else ""
    )
    body = " ".join(parts) if parts else '<span class="muted">(no words)</span>'
    return f'<span class="diff" title="{esc(hypothesis.strip(), 500)}">{body}{more}</span>'
