"""Every command is documented: a page in docs/, a line in the README, every option named."""

from __future__ import annotations

from pathlib import Path

import pytest

from procmine.cli import cli

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = cli.list_commands(None)


def options_of(command) -> list[str]:
    names = []
    for param in command.params:
        names += [o for o in getattr(param, "opts", []) if o.startswith("--")]
        names += [o for o in getattr(param, "secondary_opts", []) if o.startswith("--")]
    return [n for n in names if n != "--help"]


@pytest.mark.parametrize("name", COMMANDS)
def test_command_has_a_page_naming_every_option(name):
    page = ROOT / "docs" / f"{name}.md"
    assert page.exists(), f"docs/{name}.md is missing"
    text = page.read_text(encoding="utf-8")
    for shared in ("reading.md", "filters.md", "language.md"):  # options every command has
        if (ROOT / "docs" / shared).exists():
            text += (ROOT / "docs" / shared).read_text(encoding="utf-8")
    if name == "anonymize":
        text += (ROOT / "docs" / "security.md").read_text(encoding="utf-8")
    command = cli.get_command(None, name)
    subcommands = getattr(command, "commands", {})
    for sub in subcommands.values() or [command]:
        missing = [o for o in options_of(sub) if o not in text]
        assert not missing, f"docs/{name}.md does not mention {missing}"


@pytest.mark.parametrize("name", COMMANDS)
def test_command_is_in_the_readme_and_the_index(name):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    index = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert f"procmine {name}" in readme
    assert f"({name}.md)" in index


@pytest.mark.parametrize("name", COMMANDS)
def test_help_has_an_example(name):
    from click.testing import CliRunner

    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0
    assert "procmine " + name in result.output
