"""Command line: ``tfmatrix report`` builds the markdown matrix from result files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tfmatrix import catalog, explanations, render, results
from tfmatrix.errors import InputError
from tfmatrix.record import write_text_atomic

EXIT_BAD_INPUT = 2


def parser() -> argparse.ArgumentParser:
    cli = argparse.ArgumentParser(prog="tfmatrix", description=__doc__)
    commands = cli.add_subparsers(dest="command", required=True)
    report = commands.add_parser("report", help="aggregate result files into a markdown report")
    report.add_argument("--catalog", type=Path, default=Path("catalog.toml"), help="release catalog (TOML)")
    report.add_argument("--results", type=Path, default=Path("reports/results"), help="directory of result JSON")
    report.add_argument(
        "--explanations", type=Path, default=Path("explanations.toml"), help="why each change point happened (TOML)"
    )
    report.add_argument("--out", type=Path, default=Path("reports/freeze-matrix.md"), help="markdown file to write")
    return cli


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        releases = catalog.load(args.catalog)
        loaded = results.load_all(args.results, releases)
        known = explanations.load(args.explanations)
    except InputError as exc:
        print(f"tfmatrix: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    write_text_atomic(args.out, render.render(loaded, known))
    print(f"tfmatrix: wrote {args.out} from {len(loaded)} results")
    return 0


if __name__ == "__main__":
    sys.exit(main())
