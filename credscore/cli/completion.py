"""``credscore completion bash``: a bash completion script, made from the parser.

The script completes the commands, each command's options, the values of
options with a fixed set of choices (``--kind``, ``--format``, ``--model``,
...) and file names everywhere else. It is generated from the argument
parser itself, so it lists exactly the options the installed credscore has.

Install it once per shell (zsh reads it after ``autoload -U bashcompinit &&
bashcompinit``)::

    eval "$(credscore completion bash)"
"""

from __future__ import annotations

import argparse
import shlex
import sys
from typing import IO, Any

__all__ = ["add_parser", "bash_script", "run"]


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _choices(sub: argparse.ArgumentParser, command: str) -> dict[str, list[str]]:
    """The options of a command that take one of a fixed set of values."""
    out: dict[str, list[str]] = {}
    for action in sub._actions:
        values: list[str] | None = None
        if action.choices is not None:
            values = [str(c) for c in action.choices]
        elif action.dest == "model":
            values = _model_names(command)
        if values and action.option_strings:
            for opt in action.option_strings:
                out[opt] = values
    return out


def _model_names(command: str) -> list[str]:
    if command == "fuse":
        from credscore.models import available_models

        return sorted(available_models())
    from credscore.case.registry import case_models

    return sorted(case_models())


def bash_script(parser: argparse.ArgumentParser, prog: str = "credscore") -> str:
    """The bash completion script for ``parser`` (the ``credscore`` parser).

    Examples
    --------
    >>> from credscore.cli.main import build_parser
    >>> script = bash_script(build_parser())
    >>> "complete -o default -F _credscore credscore" in script
    True
    """
    commands = _subcommands(parser)
    lines = [
        f'# bash completion for {prog}; load with: eval "$({prog} completion bash)"',
        f"_{prog}() {{",
        '    local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}"',
        '    local cmd="${COMP_WORDS[1]}" opts=""',
        '    if [ "$COMP_CWORD" -eq 1 ]; then',
        f'        COMPREPLY=( $(compgen -W {shlex.quote(" ".join(commands))} -- "$cur") )',
        "        return",
        "    fi",
        '    case "$cmd" in',
    ]
    for name, sub in commands.items():
        options = sorted(o for a in sub._actions for o in a.option_strings)
        lines.append(f"        {name})")
        lines.append(f"            opts={shlex.quote(' '.join(options))}")
        choices = _choices(sub, name)
        if choices:
            lines.append('            case "$prev" in')
            for opt, values in choices.items():
                words = shlex.quote(" ".join(values))
                lines.append(
                    f'                {opt}) COMPREPLY=( $(compgen -W {words} -- "$cur") ); return;;'
                )
            lines.append("            esac")
        lines.append("            ;;")
    lines += [
        "    esac",
        '    if [[ "$cur" == -* ]]; then',
        '        COMPREPLY=( $(compgen -W "$opts" -- "$cur") )',
        "    else",
        '        COMPREPLY=( $(compgen -f -- "$cur") )',
        "    fi",
        "}",
        f"complete -o default -F _{prog} {prog}",
    ]
    return "\n".join(lines) + "\n"


def add_parser(sub: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser(
        "completion",
        help="print a shell completion script",
        description="Print a bash completion script for credscore (commands, options, "
        "the values of --kind, --format, --model, ...). Load it with: "
        'eval "$(credscore completion bash)"; in zsh, run '
        "`autoload -U bashcompinit && bashcompinit` first.",
    )
    p.add_argument("shell", choices=("bash",), help="the shell (bash; zsh through bashcompinit)")
    p.set_defaults(_run=run)
    return p


def run(args: argparse.Namespace, out: IO[str] | None = None) -> int:
    """Print the script of the parser that parsed ``args`` (``args._parser``)."""
    (out or sys.stdout).write(bash_script(args._parser))
    return 0
