"""docs/cli.md, the CLI reference, generated from the click commands themselves: a section per
command and subcommand with its usage, its help, its options and its epilog (exit codes).

    python -m seatrial.cli_reference docs/cli.md    # or: make docs

Nothing here depends on the terminal: no help formatter, no width; tests/test_cli_reference.py
fails while the committed file differs from what this writes.
"""

from __future__ import annotations

import inspect
import re
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import click

from seatrial.cli import main as seatrial

WRITE = "python -m seatrial.cli_reference docs/cli.md"
NO_REWRAP = "\b"  # click's mark for a paragraph it prints as written
DOC = re.compile(r"\bdocs/([\w-]+\.md(?:#[\w-]+)?)")


def contexts() -> list[click.Context]:
    """A context for `seatrial` and, depth first in click's own order, for every command and
    subcommand under it, each with its parents' settings as when it runs."""
    def walk(ctx: click.Context) -> Iterator[click.Context]:
        yield ctx
        if isinstance(ctx.command, click.Group):
            for name in ctx.command.list_commands(ctx):
                sub = ctx.command.get_command(ctx, name)
                if sub is not None and not sub.hidden:
                    yield from walk(click.Context(sub, info_name=name, parent=ctx))

    return list(walk(click.Context(seatrial, info_name="seatrial", **seatrial.context_settings)))


def render() -> str:
    """The whole reference as Markdown."""
    sections = contexts()
    index = [f"- [`{ctx.command_path}`](#{anchor(ctx.command_path)}): "
             f"{text(ctx.command.get_short_help_str(limit=80))}" for ctx in sections]
    header = [
        "# CLI reference",
        f"Generated from the click commands by `make docs` (`{WRITE}`); do not edit it by hand: "
        "`tests/test_cli_reference.py` fails while it differs from the code. "
        "`seatrial COMMAND --help` prints the same; every command also takes `-h`/`--help`.",
        "\n".join(index),
    ]
    return "\n\n".join(header + [section(ctx) for ctx in sections]) + "\n"


def section(ctx: click.Context) -> str:
    command = ctx.command
    usage = " ".join([ctx.command_path, *command.collect_usage_pieces(ctx)])
    parts = [f"## `{ctx.command_path}`", f"```text\n{usage}\n```"]
    if command.help:
        parts += paragraphs(inspect.cleandoc(command.help).partition("\f")[0])
    rows = [option_row(param, ctx) for param in command.get_params(ctx)
            if isinstance(param, click.Option) and not param.hidden
            and param is not command.get_help_option(ctx)]
    if rows:
        parts.append("\n".join(["| option | value | default | description |",
                                "|---|---|---|---|", *rows]))
    if command.epilog:
        parts += paragraphs(inspect.cleandoc(command.epilog))
    return "\n\n".join(parts)


def option_row(option: click.Option, ctx: click.Context) -> str:
    """One table row from click's own view of the option, as --help shows it: its spellings,
    its value (metavar and range), its default, and its help."""
    extra = option.get_help_extra(ctx)
    names = ", ".join(f"`{name}`" for name in [*option.opts, *option.secondary_opts])
    value = "" if option.is_flag else code(option.make_metavar(ctx))
    if "range" in extra:
        value += f" ({code(extra['range'])})"
    defaults = [code(extra["default"])] if "default" in extra else []
    if option.envvar:
        defaults.append(code(f"${option.envvar}"))
    if option.required:
        defaults.append("required")
    return (f"| {names} | {value} | {', '.join(defaults)} | "
            f"{text(option.help or '')} |")


def paragraphs(help_text: str) -> list[str]:
    """Click's paragraphs as Markdown: one it prints as written (\\b) as a text block, the
    others as text."""
    blocks = []
    for paragraph in help_text.split("\n\n"):
        if paragraph.startswith(NO_REWRAP):
            blocks.append(f"```text\n{paragraph.removeprefix(NO_REWRAP).strip(chr(10))}\n```")
        else:
            blocks.append(text(paragraph))
    return blocks


def text(value: str) -> str:
    """Plain help text as Markdown that shows it as written: code spans kept; outside them the
    characters Markdown would read as markup escaped, and docs/*.md made links (this file is
    in docs/); | escaped everywhere (table cells)."""
    pieces = value.split("`")
    for i in range(0, len(pieces), 2):  # outside code spans
        for char in "\\*<[":
            pieces[i] = pieces[i].replace(char, f"\\{char}")
        pieces[i] = DOC.sub(r"[docs/\1](\1)", pieces[i])
    return "`".join(pieces).replace("|", "\\|")


def code(value: str) -> str:
    return f"`{value}`".replace("|", "\\|")


def anchor(heading: str) -> str:
    """GitHub's anchor of a heading made of `heading` in a code span."""
    return "".join(c for c in heading.lower() if c.isalnum() or c in " -_").replace(" ", "-")


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) > 1:
        print("usage: python -m seatrial.cli_reference [FILE]  (FILE: docs/cli.md; none: "
              "stdout)", file=sys.stderr)
        return 2
    reference = render()
    if args:
        Path(args[0]).write_text(reference, encoding="utf-8")
        print(f"wrote {args[0]}")
    else:
        sys.stdout.write(reference)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
