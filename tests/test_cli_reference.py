"""docs/cli.md, the CLI reference: current with the click commands, complete, the same at any
terminal width; the options several commands share declared once. The README: an overview
whose links resolve and whose commands, like those in docs/, parse."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest

from seatrial import cli_reference
from seatrial.cli import main

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "docs" / "cli.md"
REGENERATE = f"run `make docs` (or `{cli_reference.WRITE}`) to regenerate docs/cli.md"
SHARED = ("--target", "--target-cmd", "--seed", "--seeds", "--json", "--junit", "--html")


def test_committed_reference_is_current():
    assert REFERENCE.exists(), f"docs/cli.md is missing: {REGENERATE}"
    assert REFERENCE.read_text(encoding="utf-8") == cli_reference.render(), (
        f"docs/cli.md differs from the click commands: {REGENERATE}")


def test_every_command_and_option_has_its_place():
    reference = cli_reference.render()
    paths = [ctx.command_path for ctx in cli_reference.contexts()]
    assert {"seatrial run", "seatrial contracts verify-sut", "seatrial contracts "
            "verify-simulators", "seatrial load", "seatrial load-service",
            "seatrial explore"} <= set(paths)
    for ctx in cli_reference.contexts():
        body = reference.split(f"## `{ctx.command_path}`\n", 1)[1].split("\n## ", 1)[0]
        assert f"```text\n{ctx.command_path} " in body, ctx.command_path
        for param in ctx.command.get_params(ctx):
            if isinstance(param, click.Option) and param is not ctx.command.get_help_option(ctx):
                assert f"| `{param.opts[0]}`" in body, (ctx.command_path, param.opts)


def test_every_judging_command_documents_its_exit_codes():
    plain = {"seatrial", "seatrial contracts", "seatrial list", "seatrial show"}
    for ctx in cli_reference.contexts():
        if ctx.command_path not in plain:
            assert "Exit codes:" in (ctx.command.epilog or ""), ctx.command_path


def test_the_same_at_any_terminal_width(monkeypatch):
    wide = cli_reference.render()
    monkeypatch.setenv("COLUMNS", "40")
    assert cli_reference.render() == wide


def test_shared_options_are_declared_once():
    """Each shared option is declared in one place, seatrial/cli_input.py, so every command
    that takes it spells it the same and reads the same type of value."""
    sources = {path: path.read_text() for path in (ROOT / "seatrial").rglob("*.py")}
    for name in SHARED:
        declared = [path.relative_to(ROOT).as_posix() for path, source in sources.items()
                    if re.search(rf'click\.option\(\s*"{re.escape(name)}"', source)]
        assert declared == ["seatrial/cli_input.py"], (name, declared)
        shapes = {(tuple(param.opts), id(param.type)) for ctx in cli_reference.contexts()
                  for param in ctx.command.get_params(ctx) if name in param.opts}
        assert len(shapes) == 1, (name, shapes)


def test_markdown_escaping_keeps_code_spans():
    assert cli_reference.text("a faulty-* name, `faulty-*` | x") == (
        "a faulty-\\* name, `faulty-*` \\| x")
    assert cli_reference.text("see docs/reports.md#limits.") == (
        "see [docs/reports.md#limits](reports.md#limits).")


DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def headings(path: Path) -> set[str]:
    """The anchors of a Markdown file's headings, as GitHub makes them."""
    text = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.S)
    return {cli_reference.anchor(heading) for heading in re.findall(r"^#+ (.*)$", text, re.M)}


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: path.name)
def test_relative_links_resolve(document):
    """Every relative link of the README and docs/ names a file that exists, and a heading in
    it when it names one."""
    broken = []
    for target, fragment in re.findall(r"\]\(([^)#:]*)(?:#([^)]*))?\)",
                                       document.read_text(encoding="utf-8")):
        path = document.parent / target if target else document
        if not path.exists() or (fragment and path.suffix == ".md"
                                 and fragment not in headings(path)):
            broken.append(f"{target}#{fragment}" if fragment else target)
    assert not broken, broken


def shown_commands(document: Path) -> list[list[str]]:
    """The argv of every `seatrial ...` command line in the document's sh and console blocks,
    up to a shell operator (&, >, |, ;)."""
    blocks = re.findall(r"```(?:sh|console)\n(.*?)```", document.read_text(), re.S)
    lines = [line.removeprefix("$ ") for block in blocks for line in block.splitlines()]
    commands = []
    for line in lines:
        if re.match(r"(\.venv/bin/)?seatrial ", line):
            lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
            lexer.whitespace_split = True
            words = list(lexer)
            operator = next((i for i, word in enumerate(words) if set(word) <= set("&>|;")),
                            len(words))
            commands.append(words[1:operator])
    return commands


SHOWN = [pytest.param(argv, id=f"{path.name}: {' '.join(argv)}")
         for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
         for argv in shown_commands(path)]


@pytest.mark.parametrize("argv", SHOWN)
def test_shown_commands_parse(argv):
    """Every seatrial command the README and docs/ show is one, with options and arguments it
    takes (parsed by the command itself, not run)."""
    command, path = main, ["seatrial"]
    while isinstance(command, click.Group):
        name, *argv = argv
        command = command.commands[name]
        path.append(name)
    command.make_context(" ".join(path), argv)


def test_readme_is_an_overview():
    size = len((ROOT / "README.md").read_bytes())
    assert size <= 10_240, (f"README.md is {size} bytes: keep it an overview (at most 10 KB) and "
                            "put reference material in docs/ (docs/cli.md is generated)")
