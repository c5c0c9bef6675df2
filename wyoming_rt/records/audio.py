"""Raw PCM audio as a record, its `AudioFormat` (which formats a speaker can play), and Home Assistant's format.

numpy is imported only when samples are asked for, so the records layer stays light."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    import numpy as np

HA_RATE_HZ = 16_000
HA_WIDTH_BYTES = 2
HA_CHANNELS = 1
HA_CHUNK_BYTES = 320
"""10 ms of 16 kHz 16-bit mono: the chunk size of the assist pipeline."""


@dataclass(frozen=True)
class AudioFormat:
    """A PCM format: sample rate, sample width and channels.

    The one definition of a playable format: what a Home Assistant speaker can be expected to
    play. Anything else is refused before any work is done on it (a declared rate of 1 Hz or
    10^15 Hz would make resampling explode or never end). Values from a server or a file are
    untrusted: `playable` takes anything and returns a format only when it is playable."""

    rate_hz: int
    width_bytes: int
    channels: int

    MIN_RATE_HZ: ClassVar[int] = 4000
    MAX_RATE_HZ: ClassVar[int] = 192_000
    WIDTHS_BYTES: ClassVar[tuple[int, ...]] = (1, 2, 3, 4)
    MAX_CHANNELS: ClassVar[int] = 8
    WAV_MAX_CHANNELS: ClassVar[int] = 16
    """Wider than playable on purpose: ``--save-audio`` keeps what a server sent, in any format a
    WAV file holds, for a person to look at (`fits_wav`)."""
    WAV_MAX_BYTES_PER_S: ClassVar[int] = 0xFFFF_FFFF
    """A WAV header holds the rate and the bytes a second in 32-bit fields."""

    @classmethod
    def playable(cls, rate_hz: object, width_bytes: object, channels: object) -> AudioFormat | None:
        """The format of three untrusted values when they make a playable one, else ``None``."""
        fmt = cls(rate_hz, width_bytes, channels)  # type: ignore[arg-type]  # is_playable checks the types
        return fmt if fmt.is_playable else None

    @property
    def is_playable(self) -> bool:
        """True when all three are integers (not bools) inside the playable ranges."""
        values = (self.rate_hz, self.width_bytes, self.channels)
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            return False
        return (
            self.MIN_RATE_HZ <= self.rate_hz <= self.MAX_RATE_HZ
            and self.width_bytes in self.WIDTHS_BYTES
            and 1 <= self.channels <= self.MAX_CHANNELS
        )

    @property
    def fits_wav(self) -> bool:
        """True when a WAV file can hold it as declared, playable or not: a width of 1-4 bytes,
        1-16 channels, a positive rate whose bytes a second fit the header's 32-bit field."""
        return (
            self.width_bytes in self.WIDTHS_BYTES
            and 0 < self.channels <= self.WAV_MAX_CHANNELS
            and 0 < self.rate_hz * self.frame_bytes <= self.WAV_MAX_BYTES_PER_S
        )

    @property
    def frame_bytes(self) -> int:
        """Bytes of one frame: one sample of every channel."""
        return self.width_bytes * self.channels

    @property
    def bytes_per_s(self) -> int:
        return self.rate_hz * self.frame_bytes


HA_FORMAT = AudioFormat(HA_RATE_HZ, HA_WIDTH_BYTES, HA_CHANNELS)
"""What Home Assistant sends to an STT server."""


@dataclass(frozen=True)
class PcmAudio:
    """Interleaved little-endian signed PCM with its format."""

    pcm: bytes
    rate_hz: int
    width_bytes: int
    channels: int

    @property
    def format(self) -> AudioFormat:
        """Its format, as declared (playable or not)."""
        return AudioFormat(self.rate_hz, self.width_bytes, self.channels)

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
