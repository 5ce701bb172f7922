"""Command line: ``report`` renders the markdown matrix, ``diff`` compares two result sets, ``variants`` lists them.

Exit status: 0 success (diff: nothing changed), 2 bad input, 4 a semantic change (diff, or report
with --previous). See tfmatrix.status.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

from tfmatrix import catalog, diff, explanations, render, results, status
from tfmatrix.errors import InputError
from tfmatrix.record import write_text_atomic


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
    report.add_argument(
        "--previous", type=Path, help="earlier results: print what changed since, exit 4 if the behaviour did"
    )
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
        return status.BAD_INPUT
    write_text_atomic(args.out, render.render(loaded, known))
    failed = [r for r in loaded if r["status"] != "ok"]
    print(f"tfmatrix: wrote {args.out} from {len(loaded)} results, {len(failed)} of them failed attempts")
    if args.previous is None:
        return status.OK
    previous, skipped = results.load_comparable(args.previous, releases, nightly)
    if skipped:
        print(f"tfmatrix: {skipped} earlier results are not comparable (another schema or catalog); left out")
    if not previous:
        print("tfmatrix: no earlier results to compare with")
        return status.OK
    return run_diff(previous, loaded)


def run_diff(old: list[results.Result], new: list[results.Result]) -> int:
    lines = diff.semantic_changes(old, new)
    for line in lines:
        print(line)
    print(f"tfmatrix: {len(lines)} semantic changes" if lines else "tfmatrix: no semantic change")
    return status.CHANGED if lines else status.OK


if __name__ == "__main__":
    sys.exit(main())
