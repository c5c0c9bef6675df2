"""Raw PCM audio as a record, Home Assistant's audio format, and the formats a speaker can play.

numpy is imported only when samples are asked for, so the records layer stays light."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

HA_RATE_HZ = 16_000
HA_WIDTH_BYTES = 2
HA_CHANNELS = 1
HA_CHUNK_BYTES = 320
"""10 ms of 16 kHz 16-bit mono: the chunk size of the assist pipeline."""


PLAYABLE_RATES_HZ = range(4000, 192_001)
PLAYABLE_WIDTHS_BYTES = (1, 2, 3, 4)
PLAYABLE_CHANNELS = range(1, 9)
"""The audio formats a Home Assistant speaker can be expected to play; anything else is refused
before any work is done on it (a declared rate of 1 Hz or 10^15 Hz would make resampling
explode or never end)."""


def is_playable_format(rate_hz: object, width_bytes: object, channels: object) -> bool:
    """True when all three are integers inside the playable ranges."""
    values = (rate_hz, width_bytes, channels)
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return False
    return rate_hz in PLAYABLE_RATES_HZ and width_bytes in PLAYABLE_WIDTHS_BYTES and channels in PLAYABLE_CHANNELS


@dataclass(frozen=True)
class PcmAudio:
    """Interleaved little-endian signed PCM with its format."""

    pcm: bytes
    rate_hz: int
    width_bytes: int
    channels: int

    @property
    def frame_bytes(self) -> int:
        return self.width_bytes * self.channels

    @property
    def frames(self) -> int:
        return len(self.pcm) // self.frame_bytes if self.frame_bytes else 0

    @property
    def duration_s(self) -> float:
        return self.frames / self.rate_hz if self.rate_hz > 0 else 0.0

    def samples(self) -> np.ndarray:
        """Float samples in [-1, 1], shape (frames, channels). Supports 8/16/24/32-bit integer PCM."""
        import numpy as np

        usable = self.frames * self.frame_bytes
        raw = self.pcm[:usable]
        if self.width_bytes == 1:  # 8-bit WAV PCM is unsigned
            values = (np.frombuffer(raw, dtype=np.uint8).astype(np.float32) - 128.0) / 128.0
        elif self.width_bytes == 2:
            values = np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0
        elif self.width_bytes == 3:
            as_bytes = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3)
            ints = (
                as_bytes[:, 0].astype(np.int32) | (as_bytes[:, 1].astype(np.int32) << 8) | (as_bytes[:, 2].astype(np.int32) << 16)
            )
            ints = np.where(ints >= 1 << 23, ints - (1 << 24), ints)
            values = ints.astype(np.float32) / float(1 << 23)
        elif self.width_bytes == 4:
            values = np.frombuffer(raw, dtype="<i4").astype(np.float32) / float(1 << 31)
        else:
            raise ValueError(f"unsupported sample width: {self.width_bytes} bytes")
        return values.reshape(-1, self.channels)
