from pathlib import Path

import pytest

from wyoming_rt.records.errors import ServerStartError
from wyoming_rt.servers.models import resolve_piper_voice, resolve_whisper_model


def test_packaged_defaults_resolve_to_files() -> None:
    name, path = resolve_whisper_model(None)
    assert name == "tiny.en" and (path / "model.bin").is_file()
    name, voice = resolve_piper_voice("en_US-joe-medium")
    assert name == "en_US-joe-medium" and voice.suffix == ".onnx" and Path(f"{voice}.json").is_file()


@pytest.mark.parametrize("spec", ["base.en", "large-v3", "Systran/faster-whisper-small"])
def test_a_model_name_that_needs_a_download_is_a_clear_error(spec: str) -> None:
    with pytest.raises(ServerStartError, match="never downloads models"):
        resolve_whisper_model(spec)


def test_a_voice_name_that_needs_a_download_is_a_clear_error() -> None:
    with pytest.raises(ServerStartError, match="never downloads voices"):
        resolve_piper_voice("en_GB-alan-low")


def test_local_paths_are_checked(tmp_path: Path) -> None:
    with pytest.raises(ServerStartError, match=r"no model.bin"):
        resolve_whisper_model(str(tmp_path))
    onnx = tmp_path / "v.onnx"
    onnx.write_bytes(b"")
    with pytest.raises(ServerStartError, match=r"v.onnx.json not found"):
        resolve_piper_voice(str(onnx))
    Path(f"{onnx}.json").write_text("{}")
    assert resolve_piper_voice(str(onnx)) == ("v", onnx)
