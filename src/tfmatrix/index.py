"""What the package index is, as pip is configured: the find-links uv does not read from pip's configuration.

uv reads its own settings (UV_INDEX_URL, UV_FIND_LINKS, uv.toml) but not pip's. A machine that offers
a build through pip's ``find-links`` only (the CPU build of torch, say) would not have it installed
by uv, so every uv command that installs or asks the index gets pip's find-links too, unless uv has
its own. Standard library only: nox's interpreter runs it.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys


@functools.cache
def pip_find_links(python: str = sys.executable) -> tuple[str, ...]:
    """pip's configured find-links (config files, environment), as pip reads them; none when uv has its own.

    Asked of ``python``'s pip, or, where it has none (nox in a venv made by uv), of the ``pip`` on
    PATH: both read the same user and global configuration and the same environment.
    """
    if os.environ.get("UV_FIND_LINKS"):
        return ()
    listed = ""
    pip_on_path = shutil.which("pip")
    for command in [[python, "-m", "pip"], *([[pip_on_path]] if pip_on_path else [])]:
        try:
            done = subprocess.run([*command, "config", "list"], capture_output=True, text=True, check=False)
        except OSError:  # no such interpreter
            continue
        if done.returncode == 0:
            listed = done.stdout
            break
    found: list[str] = []
    for match in re.finditer(r"^\S*\.find-links='(.*)'$", listed, re.MULTILINE):
        found += [link for link in re.split(r"\s+|\\n", match.group(1)) if link]  # pip lists a newline as \n
    return tuple(dict.fromkeys(found))


def uv_options() -> list[str]:
    """The options every uv command that resolves gets: ``--find-links`` for each of pip's."""
    return [option for location in pip_find_links() for option in ("--find-links", location)]
