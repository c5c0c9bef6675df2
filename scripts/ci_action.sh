#!/usr/bin/env bash
# The steps of wyoming-rt's GitHub composite action (action.yml at the repository root), one
# subcommand each, so that the action's steps stay one line and a test can run them as the
# runner does (tests/integration/test_action.py). The action's inputs arrive as WYOMING_RT_*
# environment variables; GITHUB_ACTION_PATH, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY are the runner's.
#
#   install    pip install wyoming-rt: the action's own checkout by default (it is not on PyPI yet)
#   wait       wait until the given servers answer describe (the reference servers need no wait)
#   validate   run validate with the inputs; write the outputs; never fails the step itself
#   verdict    fail the step on a FAIL verdict (unless fail: false) or when validate could not run
set -euo pipefail

PY=$(command -v python || command -v python3 || true)
if [[ -z "$PY" ]]; then
    echo "::error title=wyoming-rt::no python on PATH: set the action's python-version input, or run actions/setup-python first"
    exit 2
fi

install() {
    local package=${WYOMING_RT_PACKAGE:-}
    if [[ "$package" == none ]]; then
        echo "wyoming-rt: not installing (package: none); using the one already installed"
    else
        if [[ -z "$package" ]]; then
            # The action's own checkout, at the ref given in `uses: OWNER/wyoming-rt@REF`.
            package="${GITHUB_ACTION_PATH:?GITHUB_ACTION_PATH is not set}[reference]"
        fi
        "$PY" -m pip install --disable-pip-version-check --progress-bar off "$package"
    fi
    "$PY" -m wyoming_rt --version
}

wait_for_servers() {
    local uris=()
    if [[ -n "${WYOMING_RT_STT:-}" ]]; then uris+=("$WYOMING_RT_STT"); fi
    if [[ -n "${WYOMING_RT_TTS:-}" && "${WYOMING_RT_TTS}" != "${WYOMING_RT_STT:-}" ]]; then uris+=("$WYOMING_RT_TTS"); fi
    if ((${#uris[@]} == 0)); then
        echo "wyoming-rt: no server given: validate starts the reference servers itself"
        return 0
    fi
    "$PY" -m wyoming_rt wait "${uris[@]}" --timeout "${WYOMING_RT_WAIT_TIMEOUT:-300}"
}

# `--flag value` for each input that is set, and the report files' directories.
add_option() {
    if [[ -n "$2" ]]; then args+=("$1" "$2"); fi
}

# The extra arguments, split as a shell would (quotes group words; nothing is expanded).
split_args() {
    local split
    split=$(mktemp)
    "$PY" - "${WYOMING_RT_ARGS:-}" "$split" <<'PYTHON'
import shlex
import sys

try:
    words = shlex.split(sys.argv[1])
except ValueError as exc:
    print(f"::error title=wyoming-rt::the args input cannot be split into arguments: {exc}")
    sys.exit(2)
with open(sys.argv[2], "wb") as out:
    out.write(b"".join(word.encode() + b"\0" for word in words))
PYTHON
    mapfile -d '' -t extra <"$split"
    rm -f "$split"
}

validate() {
    local args=() extra=() code=0 verdict path errors reason
    add_option --stt "${WYOMING_RT_STT:-}"
    add_option --tts "${WYOMING_RT_TTS:-}"
    add_option --corpus "${WYOMING_RT_CORPUS:-}"
    add_option --config "${WYOMING_RT_CONFIG:-}"
    add_option --json "${WYOMING_RT_JSON:-}"
    add_option --junit "${WYOMING_RT_JUNIT:-}"
    add_option --html "${WYOMING_RT_HTML:-}"
    add_option --markdown "${WYOMING_RT_MARKDOWN:-}"
    split_args
    for path in "${WYOMING_RT_JSON:-}" "${WYOMING_RT_JUNIT:-}" "${WYOMING_RT_HTML:-}" "${WYOMING_RT_MARKDOWN:-}"; do
        if [[ -n "$path" && "$path" != - ]]; then mkdir -p "$(dirname "$path")"; fi
    done
    echo "wyoming-rt validate ${args[*]} ${extra[*]}"
    errors=$(mktemp)
    # stderr to the log as it comes, and kept: its last line is the reason when validate cannot run
    { "$PY" -m wyoming_rt validate "${args[@]}" "${extra[@]}" 2>&1 1>&3 3>&- | tee "$errors" >&2 3>&-; } 3>&1 || code=$?
    case "$code" in
        0) verdict=pass ;;
        1) verdict=fail ;;
        *) verdict=error ;;
    esac
    {
        echo "verdict=$verdict"
        echo "exit-code=$code"
        # a report's path only when validate wrote it (nothing is written when it could not run)
        echo "report=$(written "${WYOMING_RT_JSON:-}")"
        echo "junit=$(written "${WYOMING_RT_JUNIT:-}")"
        echo "html=$(written "${WYOMING_RT_HTML:-}")"
        echo "markdown=$(written "${WYOMING_RT_MARKDOWN:-}")"
    } >>"${GITHUB_OUTPUT:?GITHUB_OUTPUT is not set}"
    if [[ "$verdict" == error ]]; then
        # validate wrote no summary: say why on the run's page
        reason=$(tail -n 1 "$errors" | cut -c 1-500)
        echo "::error title=wyoming-rt::validate could not run (exit $code): ${reason//%/%25}"
        if [[ -n "${GITHUB_STEP_SUMMARY:-}" ]]; then
            printf '## wyoming-rt: ⚠️ could not run (exit %s)\n\n```\n%s\n```\n' "$code" "$reason" >>"$GITHUB_STEP_SUMMARY"
        fi
    fi
    rm -f "$errors"
    echo "wyoming-rt: verdict $verdict (exit $code)"
}

written() {
    if [[ -n "$1" && -f "$1" ]]; then echo "$1"; fi
}

verdict() {
    local code=${WYOMING_RT_EXIT_CODE:-} fail=${WYOMING_RT_FAIL:-true}
    if [[ "$fail" != true && "$fail" != false ]]; then
        echo "::error title=wyoming-rt::the fail input must be true or false, not '$fail'"
        exit 2
    fi
    case "$code" in
        0) ;;
        1)
            if [[ "$fail" == true ]]; then
                echo "::error title=wyoming-rt::FAIL: the job summary and the reports say which checks and gates failed"
                exit 1
            fi
            echo "wyoming-rt: verdict FAIL; the step passes because fail is false"
            ;;
        *) exit "${code:-2}" ;;
    esac
}

case "${1:-}" in
    install) install ;;
    wait) wait_for_servers ;;
    validate) validate ;;
    verdict) verdict ;;
    *)
        echo "usage: $0 install|wait|validate|verdict" >&2
        exit 2
        ;;
esac
