"""Command line: ``report`` renders the markdown matrix, ``diff`` compares two result sets, ``variants`` lists them.

Exit status: 0 success (diff: nothing changed), 1 diff found a semantic change, 2 bad input.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

from tfmatrix import catalog, diff, explanations, render, results
from tfmatrix.errors import InputError
from tfmatrix.record import write_text_atomic

EXIT_BAD_INPUT = 2


def parser() -> argparse.ArgumentParser:
    cli = argparse.ArgumentParser(prog="tfmatrix", description=__doc__)
    cli.add_argument("--catalog", type=Path, default=Path("catalog.toml"), help="release catalog (TOML)")
    commands = cli.add_subparsers(dest="command", required=True)
    report = commands.add_parser("report", help="aggregate result files into a markdown report")
    report.add_argument("--results", type=Path, default=Path("reports/results"), help="directory of result JSON")
    report.add_argument(
        "--explanations", type=Path, default=Path("explanations.toml"), help="why each change point happened (TOML)"
    )
    report.add_argument("--out", type=Path, default=Path("reports/freeze-matrix.md"), help="markdown file to write")
    listing = commands.add_parser("variants", help="print the catalog's variants as JSON: [{id, python}], for CI")
    listing.add_argument("--nightly", action="store_true", help="include the opt-in nightly variant")
    compare = commands.add_parser("diff", help="what changed between two directories of results")
    compare.add_argument("old", type=Path, help="directory of the earlier results")
    compare.add_argument("new", type=Path, help="directory of the later results")
    return cli


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        releases = catalog.load(args.catalog)
        nightly = catalog.load_nightly(args.catalog, dt.date.today())
        if args.command == "variants":
            chosen = catalog.variants(releases) + ([nightly] if nightly and args.nightly else [])
            print(json.dumps([{"id": v.id, "python": v.release.python} for v in chosen]))
            return 0
        if args.command == "diff":
            return run_diff(
                results.load_all(args.old, releases, nightly), results.load_all(args.new, releases, nightly)
            )
        loaded = results.load_all(args.results, releases, nightly)
        known = explanations.load(args.explanations)
    except InputError as exc:
        print(f"tfmatrix: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    write_text_atomic(args.out, render.render(loaded, known))
    print(f"tfmatrix: wrote {args.out} from {len(loaded)} results")
    return 0


def run_diff(old: list[results.Result], new: list[results.Result]) -> int:
    lines = diff.semantic_changes(old, new)
    for line in lines:
        print(line)
    print(f"tfmatrix: {len(lines)} semantic changes" if lines else "tfmatrix: no semantic change")
    return diff.CHANGED if lines else diff.NO_CHANGE


if __name__ == "__main__":
    sys.exit(main())
