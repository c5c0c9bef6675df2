import pytest

from wyoming_rt.endpoint import Endpoint, parse_endpoint
from wyoming_rt.records.errors import UsageError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.1:10300", Endpoint("127.0.0.1", 10300)),
        ("tcp://localhost:10200", Endpoint("localhost", 10200)),
        ("tcp://[::1]:10300", Endpoint("::1", 10300)),
        ("unix:///run/whisper.sock", Endpoint(path="/run/whisper.sock")),
    ],
)
def test_parses_the_three_uri_forms(text: str, expected: Endpoint) -> None:
    assert parse_endpoint(text) == expected


def test_uri_round_trips() -> None:
    assert parse_endpoint("localhost:1").uri == "tcp://localhost:1"
    assert parse_endpoint("tcp://[::1]:5").uri == "tcp://[::1]:5"
    assert parse_endpoint("unix:///a/b").uri == "unix:///a/b"


@pytest.mark.parametrize("text", ["localhost", "http://x:1", "tcp://x:99999", "unix://", ":10300", "host:port"])
def test_rejects_bad_uris_with_a_usage_error(text: str) -> None:
    with pytest.raises(UsageError, match="invalid URI"):
        parse_endpoint(text)
