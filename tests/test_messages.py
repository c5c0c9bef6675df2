"""What a user typed, and the message that helps: one test per message of issue 14.

The CLI is called as ``main([...])`` with the arguments a person typed; each error is one line
on stderr and exit 2, each warning a line that lets the run go on."""

from __future__ import annotations

import socket
from dataclasses import replace
from pathlib import Path

import anyio
import pytest

from wyoming_rt.cli import main
from wyoming_rt.emulator import EmulatorConfig, HAEmulator
from wyoming_rt.endpoint import connect, parse_endpoint
from wyoming_rt.records.errors import HostNotFoundError, UsageError
from wyoming_rt.run.config import load_gates
from wyoming_rt.run.gates import Gates
from wyoming_rt.run.preflight import WrongServerRoleError, check_role, describe_servers
from wyoming_rt.servers.null import run_null_server

UNRESOLVABLE = "nosuchhost.invalid"


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """Exit code and stderr of ``wyoming-rt ARGS``, usage errors included (argparse exits)."""
    try:
        code = main(args)
    except SystemExit as exit_info:
        code = exit_info.code if isinstance(exit_info.code, int) else 2
    return code, capsys.readouterr().err


def last_line(err: str) -> str:
    return err.strip().splitlines()[-1]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["validate", "--max-wer", "abc"], "--max-wer: expected a number, got 'abc'"),
        (["validate", "--timeout", "soon"], "--timeout: expected a number, got 'soon'"),
        (["validate", "--concurrency", "two"], "--concurrency: expected a whole number, got 'two'"),
        (["validate", "--voice-probes", "1.5"], "--voice-probes: expected a whole number, got '1.5'"),
        (["validate", "--llm-rate", "fast"], "--llm-rate: expected a number, got 'fast'"),
        (["validate", "--max-p95", "stt=fast"], "--max-p95: expected a number, got 'fast'"),
        (["wait", "127.0.0.1:1", "--timeout", "x"], "--timeout: expected a number, got 'x'"),
        (["serve", "null", "--reply-seconds", "x"], "--reply-seconds: expected a number, got 'x'"),
    ],
)
def test_a_value_that_is_not_a_number_is_named_as_such(args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run_cli(args, capsys)
    assert code == 2
    assert last_line(err) == f"wyoming-rt: error: {message}"
    assert "_float" not in err and "_int" not in err and "invalid" not in err  # no internal names


@pytest.mark.parametrize(
    ("args", "hint"),
    [
        (["validate", "--max-wre", "0.2"], "unrecognized arguments: --max-wre 0.2 (did you mean --max-wer?)"),
        (["validate", "--max-wre=0.2"], "(did you mean --max-wer?)"),
        (["validate", "--timout", "5"], "(did you mean --timeout?)"),
        (["compare", "a.json", "b.json", "--max-regresion", "0.2"], "(did you mean --max-regression?)"),
        (["serve", "stt", "--modle", "tiny.en"], "(did you mean --model?)"),
        (["validate", "--pace", "realtim"], "invalid choice: 'realtim'"),
        (["validate", "--pace", "realtim"], "(did you mean realtime?)"),
        (["validat"], "(did you mean validate?)"),
        (["serve", "nul"], "(did you mean null?)"),
    ],
)
def test_a_misspelt_option_or_choice_gets_the_closest_one(args: list[str], hint: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run_cli(args, capsys)
    assert code == 2 and hint in last_line(err)


def test_no_suggestion_when_nothing_is_close(capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run_cli(["validate", "--xyzzy"], capsys)
    assert code == 2 and last_line(err) == "wyoming-rt: error: unrecognized arguments: --xyzzy"


def test_an_unknown_rule_to_ignore_is_a_usage_error_with_the_closest_rule(capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run_cli(["validate", "--stt", "127.0.0.1:1", "--tts", "127.0.0.1:1", "--ignore", "stt.timout"], capsys)
    assert code == 2
    assert last_line(err) == (
        "wyoming-rt: error: unknown rule 'stt.timout' to ignore (did you mean stt.timeout?); `wyoming-rt rules` lists every rule"
    )


def test_an_unknown_rule_to_ignore_in_toml_names_the_file(tmp_path: Path) -> None:
    config = tmp_path / "gates.toml"
    config.write_text('ignore = ["stt.hallucination", "tts.clsoed"]\n')
    with pytest.raises(UsageError) as error:
        load_gates(config)
    assert str(error.value) == (
        f"{config}: unknown rule 'tts.clsoed' to ignore (did you mean tts.closed?); `wyoming-rt rules` lists every rule"
    )


def test_a_library_user_gets_the_same_check() -> None:
    with pytest.raises(UsageError, match=r"unknown rule 'info\.slo' to ignore"):
        Gates(ignore=("info.slo",))
    assert Gates(ignore=("info.slow",)).ignore == ("info.slow",)


@pytest.mark.parametrize(
    ("args", "warning"),
    [
        (["--max-wer", "15"], "--max-wer 15 looks like a percentage: WER is a fraction (0.15 = 15 %)"),
        (["--max-back-wer", "20"], "--max-back-wer 20 looks like a percentage: back WER is a fraction (0.2 = 20 %)"),
        (
            ["--max-failure-rate", "5"],
            "--max-failure-rate 5 looks like a percentage: the failure rate is a fraction (0.05 = 5 %)",
        ),
    ],
)
@pytest.mark.usefixtures("resolver_says_no_such_host")
def test_a_fraction_that_looks_like_a_percentage_warns_and_the_run_goes_on(
    args: list[str], warning: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = run_cli(["validate", "--stt", f"{UNRESOLVABLE}:10300", "--tts", "127.0.0.1:1", *args], capsys)
    lines = err.strip().splitlines()
    assert lines[0] == f"wyoming-rt: warning: {warning}"
    assert code == 2 and "cannot resolve host" in lines[-1]  # the run went on, to the servers


def test_fractions_up_to_1_do_not_warn() -> None:
    assert Gates(max_wer=1, max_back_wer=0.3, max_failure_rate=0).percent_like() == []


@pytest.fixture
def resolver_says_no_such_host(monkeypatch: pytest.MonkeyPatch) -> None:
    """The name service answers "no such host" for UNRESOLVABLE, as DNS does for ``.invalid``:
    the same answer on every machine, with a name service or without one (offline CI gives
    EAI_AGAIN, a temporary failure, for every name)."""
    real = socket.getaddrinfo

    def getaddrinfo(host: object, *args: object, **kwargs: object) -> object:
        if host == UNRESOLVABLE:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.mark.usefixtures("resolver_says_no_such_host")
def test_a_host_that_does_not_resolve_is_one_clear_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run_cli(["validate", "--quiet", "--stt", f"{UNRESOLVABLE}:10300", "--tts", "127.0.0.1:1"], capsys)
    assert code == 2
    line = last_line(err)
    assert line.startswith(f"wyoming-rt: error: STT server unavailable: cannot resolve host '{UNRESOLVABLE}' (")
    assert "Unknown error" not in line and "attempts" not in line and err.count("\n") == 1


@pytest.mark.anyio
@pytest.mark.usefixtures("resolver_says_no_such_host")
async def test_describe_does_not_retry_a_name_that_does_not_resolve() -> None:
    endpoint = parse_endpoint(f"{UNRESOLVABLE}:10300")
    with anyio.fail_after(60), pytest.raises(HostNotFoundError) as error:
        await connect(endpoint, 30)
    assert str(error.value).startswith(f"cannot resolve host '{UNRESOLVABLE}'")
    # HA's four attempts, 100 s apart: a retry would show as "(after 2 attempts)" or as the watchdog firing
    emulator = HAEmulator(EmulatorConfig(describe_attempts=4, describe_retry_sleep_s=100))
    with anyio.fail_after(60), pytest.raises(HostNotFoundError) as error:
        await emulator.describe(endpoint)
    assert "attempts" not in str(error.value)


@pytest.mark.anyio
async def test_a_server_that_describes_itself_as_the_other_kind_is_a_swap() -> None:
    async with run_null_server() as endpoint:  # a real server: its info has asr and tts programs
        with anyio.fail_after(60):
            described = await describe_servers(HAEmulator(EmulatorConfig()), endpoint, endpoint)
    both = described["stt"]
    assert not isinstance(both, Exception)
    check_role("stt", endpoint, both)  # a server of both kinds may be given for either role
    check_role("tts", endpoint, both)
    tts_only = replace(both, info_data={k: v for k, v in both.info_data.items() if k != "asr"})
    stt_only = replace(both, info_data={k: v for k, v in both.info_data.items() if k != "tts"})
    check_role("tts", endpoint, tts_only)
    with pytest.raises(WrongServerRoleError) as error:
        check_role("stt", endpoint, tts_only)
    assert str(error.value) == (
        f"the server at {endpoint} describes itself as a TTS server (its info has tts programs and no asr):"
        " did you swap --stt and --tts?"
    )
    with pytest.raises(WrongServerRoleError, match=r"describes itself as an STT server .* and no tts"):
        check_role("tts", endpoint, stt_only)
    assert isinstance(error.value, UsageError)  # the CLI prints it as one line, exit 2
