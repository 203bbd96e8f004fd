"""``credscore completion bash`` (issue 12, item 2): the script is valid bash
and completes commands, options and option values as the parser defines them."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from credscore.case.registry import case_models
from credscore.cli.completion import bash_script
from credscore.cli.main import build_parser, main
from credscore.models import available_models

BASH = shutil.which("bash")
pytestmark = pytest.mark.skipif(BASH is None, reason="no bash on this machine")


def complete(words: list[str], tmp_path: Path) -> list[str]:
    """What the script offers for ``words`` (the last one being completed)."""
    script = tmp_path / "credscore.bash"
    script.write_text(bash_script(build_parser()), encoding="utf-8")
    quoted = " ".join("'" + w.replace("'", "'\\''") + "'" for w in ["credscore", *words])
    program = (
        f"source {script}; COMP_WORDS=({quoted}); COMP_CWORD={len(words)}; "
        '_credscore; printf "%s\\n" "${COMPREPLY[@]}"'
    )
    proc = subprocess.run(
        [BASH, "--norc", "--noprofile", "-c", program],  # type: ignore[list-item]
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=True,
    )
    return [w for w in proc.stdout.splitlines() if w]


def test_the_script_is_valid_bash(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["completion", "bash"]) == 0
    printed = capsys.readouterr().out
    assert printed == bash_script(build_parser())
    proc = subprocess.run(
        [BASH, "-n"],  # type: ignore[list-item]
        input=printed,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr


def test_commands(tmp_path: Path) -> None:
    assert complete([""], tmp_path) == [
        "score", "explain", "plot", "export", "learn", "example", "validate", "fuse", "models",
        "completion",
    ]  # fmt: skip
    assert complete(["ex"], tmp_path) == ["explain", "export", "example"]


def test_options_and_their_values(tmp_path: Path) -> None:
    assert complete(["plot", "kursk.json", "nk", "--k"], tmp_path) == ["--kind"]
    assert complete(["plot", "kursk.json", "nk", "--kind", ""], tmp_path) == ["timeline", "graph"]
    assert complete(["export", "k.json", "--format", "s"], tmp_path) == ["stix"]
    assert complete(["score", "k.json", "--model", ""], tmp_path) == sorted(case_models())
    assert complete(["fuse", "t.csv", "--model", ""], tmp_path) == sorted(available_models())
    assert "--set" in complete(["fuse", "t.csv", "--s"], tmp_path)


def test_file_names_elsewhere(tmp_path: Path) -> None:
    (tmp_path / "kursk.json").write_text("{}", encoding="utf-8")
    assert complete(["score", "ku"], tmp_path) == ["kursk.json"]
