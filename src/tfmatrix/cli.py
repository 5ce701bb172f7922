"""Command line: ``report`` renders one markdown matrix per probe, ``diff`` compares two result sets,
``variants`` lists the catalog's, ``migrate`` upgrades old result files in place, ``discover`` adds
the releases the package index has and the catalog lacks.

Exit status: 0 success (diff: nothing changed), 2 bad input, 4 a semantic change (diff, or report
with --previous). See tfmatrix.status.
"""

from __future__ import annotations

import argparse
import datetime as dt
import errno
import json
import math
import os
import shutil
import sys
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from tfmatrix import (
    catalog,
    discover,
    escape,
    explanations,
    lookup,
    migrations,
    probes,
    release_dates,
    rendered,
    repro,
    results,
    runner,
    status,
)
from tfmatrix.errors import InputError
from tfmatrix.kinds import KINDS, OPTIONS, TRACKS
from tfmatrix.record import write_text_atomic
from tfmatrix.variant import Variant
from tfmatrix.vocabulary import State


def parser() -> argparse.ArgumentParser:
    cli = argparse.ArgumentParser(prog="tfmatrix", description=__doc__)
    cli.add_argument("--catalog", type=Path, default=Path("catalog.toml"), help="the catalog of environments (TOML)")
    cli.add_argument("--probes", type=Path, default=Path("probes"), help="the directory of probes and their harness")
    commands = cli.add_subparsers(dest="command", required=True)
    report = commands.add_parser("report", help="aggregate result files into one markdown report per probe")
    report.add_argument("--results", type=Path, default=Path("reports/results"), help="directory of result JSON")
    report.add_argument(
        "--explanations", type=Path, default=Path("explanations.toml"), help="why each change point happened (TOML)"
    )
    report.add_argument("--out-dir", type=Path, default=Path("reports"), help="where <probe>-matrix.md files go")
    report.add_argument(
        "--previous", type=Path, help="earlier results: print what changed since, exit 4 if the behaviour did"
    )
    report.add_argument("--readme", type=Path, help="a README whose generated sections (the grid) to write anew")
    report.add_argument(
        "--validation-cache",
        type=Path,
        help="a file remembering which results passed validation, by content: those are not validated again",
    )
    report.add_argument(
        "--render-cache",
        type=Path,
        help="a file remembering what the last report was rendered from: with nothing new, nothing is written",
    )
    listing = commands.add_parser(
        "variants",
        help="print the catalog's variants as JSON, for CI: "
        "[{id, python, probes (to run), timeout_minutes (for the job), find_links (it installs a local build)}]",
    )
    listing.add_argument("--nightly", action="store_true", help="include the opt-in variants (the nightly)")
    listing.add_argument(
        "--stale",
        action="store_true",
        help="only those with a probe whose result is missing, not current, or a failure due to be tried again "
        "(a week after it, or after as long as it has been failing, up to eight weeks), and only those probes",
    )
    listing.add_argument("--results", type=Path, default=Path("reports/results"), help="for --stale: the results")
    compare = commands.add_parser("diff", help="what changed between two directories of results")
    compare.add_argument("old", type=Path, help="directory of the earlier results")
    compare.add_argument("new", type=Path, help="directory of the later results")
    upgrade = commands.add_parser("migrate", help="upgrade result files of older schemas in place")
    upgrade.add_argument("results", type=Path, help="directory of result JSON")
    asking = commands.add_parser(
        "lookup", help="what happens on your versions, and what to do, from matrix.json alone (offline)"
    )
    asking.add_argument("--matrix", type=Path, default=Path("reports/matrix.json"), help="the matrix summary")
    lookup_options(asking)
    asking.add_argument(
        "--question",
        "--recipe",
        nargs="+",
        metavar="WORD",
        help="only the recipes whose id or question has one of these (e.g. gan, finetune, BatchNormalization)",
    )
    asking.add_argument("--json", action="store_true", help="print the same answer as JSON")
    again = commands.add_parser("repro", help="print the commands that reproduce one cell from a checkout and uv")
    again.add_argument("case", help="the case id, as the report names it")
    again.add_argument("--variant", required=True, metavar="ID", help="the environment (a session id of `nox -l`)")
    again.add_argument("--probe", help="the probe, where more than one has a case of that id")
    again.add_argument("--results", type=Path, default=Path("reports/results"), help="directory of result JSON")
    bisecting = commands.add_parser(
        "pinpoint", help="probe the releases between the two around each change point: its first release"
    )
    bisecting.add_argument("changes", nargs="*", metavar="CHANGE", help="change point ids (matrix.json); default: all")
    bisecting.add_argument("--results", type=Path, default=Path("reports/results"), help="directory of result JSON")
    bisecting.add_argument(
        "--explanations", type=Path, default=Path("explanations.toml"), help="why each change point happened (TOML)"
    )
    bisecting.add_argument(
        "--out", type=Path, help="for the results probed and the verdicts (default: beside --results)"
    )
    bisecting.add_argument("--uv", default="uv", help="the uv to make venvs and install with")
    checking = commands.add_parser(
        "check", help="run the probes in your own environment: which probed environment it behaves like"
    )
    checking.add_argument("--python", default=sys.executable, help="your environment's Python (default: this one)")
    checking.add_argument("--only", nargs="+", metavar="PROBE", help="run only these probes (default: all)")
    checking.add_argument("--matrix", type=Path, default=Path("reports/matrix.json"), help="the matrix summary")
    checking.add_argument("--timeout", type=seconds, default=1800, help="seconds the probes may take")
    checking.add_argument(
        "--framework",
        choices=sorted({kind.FRAMEWORK for kind in KINDS.values()}),
        default="keras3" if os.environ.get("KERAS_BACKEND") else "tf_keras",
        help="what your code runs: tf_keras (tf.keras, eagerly), tf_graph (tf.keras in TF 1.x graph mode), "
        "keras3 (Keras 3 on its own), keras2 (standalone Keras 2); default: keras3 where KERAS_BACKEND is set, "
        "else tf_keras",
    )
    finder = commands.add_parser("discover", help="add the releases the configured package index has to the catalog")
    finder.add_argument("--results", type=Path, default=Path("reports/results"), help="where retired results are")
    finder.add_argument("--dry-run", action="store_true", help="print what would change, write nothing")
    return cli


def seconds(text: str) -> float:
    """A time limit: a positive, finite number of seconds."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value < math.inf:
        message = f"expected a positive number of seconds, got {text!r}"
        raise argparse.ArgumentTypeError(message)
    return value


REPORT_EXTRA = ("pandas", "matplotlib", "tabulate")  # pyproject.toml's [report] extra
# A probe job's own steps around the tool's: checkout, Pythons (an image to pull), tools, venv, upload.
CI_SETUP_MINUTES = 20


def main(argv: list[str] | None = None) -> int:
    try:
        return run(argv)
    except ModuleNotFoundError as exc:
        if exc.name not in REPORT_EXTRA:
            raise
        print(f"tfmatrix: error: this command needs {exc.name}: pip install 'tfmatrix[report]'", file=sys.stderr)
        return status.BAD_INPUT


def run(argv: list[str] | None) -> int:
    args = parser().parse_args(argv)
    if args.command == "lookup":  # needs nothing but matrix.json: no catalog, no probes
        return run_lookup(args)
    # Taken before anything is read: an input that changes while the report reads it renders it once more.
    inputs = report_inputs(args) if args.command == "report" and args.render_cache else None
    try:
        variants = catalog.load(args.catalog, dt.date.today())
        if args.command == "variants":
            chosen = variants if args.nightly else catalog.regular(variants)
            sources = probes.sources(args.probes.resolve())
            backoff_on = dt.date.today() if args.stale else None  # a failure that keeps failing: not every week
            todo = {
                v.id: runner.stale(v, sources, args.results, repeat=1, forced=not args.stale, backoff_on=backoff_on)
                for v in chosen
            }
            print(json.dumps([ci_job(v, todo[v.id]) for v in chosen if todo[v.id]]))
            return status.OK
        if args.command == "discover":
            return run_discover(args.catalog, args.results, variants, dry_run=args.dry_run)
        if args.command == "migrate":
            for old, new in migrations.migrate(args.results):
                print(escape.visible(f"tfmatrix: upgraded {old} -> {new}"))
            return status.OK
        known_probes = probes.load_all(args.probes.resolve())
        if args.command == "check":
            return run_check(args, known_probes)
        if args.command == "pinpoint":
            return run_pinpoint(args, variants, known_probes)
        if args.command == "repro":
            print(run_repro(args, variants, known_probes), end="")
            return status.OK
        if args.command == "diff":
            earlier = results.load_all(args.old, variants, known_probes)
            return run_diff(earlier, results.load_all(args.new, variants, known_probes), known_probes)
        if args.previous is not None and not args.previous.is_dir():  # a typo must not turn the check off
            raise InputError(args.previous, "", "is not a directory of earlier results (--previous)")
        validated = results.Validated(args.validation_cache) if args.validation_cache else None
        loaded = results.load_all(args.results, variants, known_probes, validated)
        known = explanations.load(args.explanations, known_probes)
        dates = release_dates.load(release_dates.beside(args.results))
        from tfmatrix import pinpoint  # noqa: PLC0415 - pandas takes about 1 s to import; variants and migrate need none

        verdicts = pinpoint.load(pinpoint.verdicts_beside(args.results))
        if validated is not None:  # what it holds now; earlier results (--previous) are no later run's
            try:
                validated.save()
            except OSError as exc:  # a cache: the report goes on without it
                print(f"tfmatrix: warning: validation cache not saved: {exc}", file=sys.stderr)
    except InputError as exc:
        print(f"tfmatrix: error: {exc}", file=sys.stderr)
        return status.BAD_INPUT
    unchanged = rendered.up_to_date(args.render_cache, inputs) if inputs else None
    if unchanged is not None:
        print(f"tfmatrix: the {unchanged} files of the last report are as it wrote them from these same inputs")
    else:
        code = write_report(args, loaded, known_probes, known, dates, verdicts, inputs)
        if code:
            return code
    if args.previous is None:
        return status.OK
    previous, skipped = results.load_comparable(args.previous, variants, known_probes, validated)
    if skipped:
        print(f"tfmatrix: {skipped} earlier results are not comparable (another schema, catalog or probe); left out")
    if not previous:
        print("tfmatrix: no earlier results to compare with")
        return status.OK
    return run_diff(previous, loaded, known_probes)


def write_report(
    args: argparse.Namespace,
    loaded: list[results.Result],
    known_probes: dict[str, probes.Probe],
    known: list[explanations.Explanation],
    dates: release_dates.Dates,
    verdicts: Mapping[str, dict[str, Any]],
    inputs: str | None,
) -> int:
    """Render and write every file of the report, and remember from what (``inputs``); 0, or the exit status."""
    from tfmatrix import publish  # noqa: PLC0415 - matplotlib too: only where something is drawn

    try:
        made, problems = publish.files(
            args.out_dir, loaded, known_probes, known, dates, dt.date.today().isoformat(), verdicts, args.readme
        )
    except InputError as exc:
        print(f"tfmatrix: error: {exc}", file=sys.stderr)
        return status.BAD_INPUT
    for problem in problems:
        print(escape.visible(f"tfmatrix: warning: {problem}"), file=sys.stderr)
    for out, text in made.items():
        try:
            write_text_atomic(out, text)
        except OSError as exc:  # the file before it stays whole
            print(f"tfmatrix: error: {out}: cannot be written ({exc.strerror or exc})", file=sys.stderr)
            return status.INFRASTRUCTURE if exc.errno in (errno.ENOSPC, errno.EDQUOT) else status.BAD_INPUT
    failed = sum(1 for result in loaded if result["status"] != State.OK)
    print(f"tfmatrix: wrote {len(made)} files to {args.out_dir} from {len(loaded)} results, {failed} failed attempts")
    if inputs:  # given with --render-cache only
        try:
            rendered.save(args.render_cache, inputs, made)
        except OSError as exc:  # a cache: the next run renders again
            print(f"tfmatrix: warning: render cache not saved: {exc}", file=sys.stderr)
    return status.OK


def report_inputs(args: argparse.Namespace) -> str | None:
    """The digest of everything ``report`` reads and of where it writes; None if a file went away meanwhile."""
    from tfmatrix import pinpoint  # noqa: PLC0415 - as in run

    read = [args.catalog, args.probes, args.results, args.explanations, release_dates.beside(args.results)]
    read.append(pinpoint.verdicts_beside(args.results))
    readme = args.readme.resolve() if args.readme else None
    settings = {
        "out_dir": str(args.out_dir.resolve()),
        "readme": str(readme),
        "readme_is_a_file": bool(readme and readme.is_file()),
    }
    return rendered.inputs_digest(read, settings)


def lookup_options(parser: argparse.ArgumentParser) -> None:
    """The options of ``lookup``, as the kinds name them: one version (required), and the switches and choices
    that go with it (``--tf-keras``, ``--backend``)."""
    values: dict[str, list[str]] = {}
    for track in TRACKS.values():
        for name, value in track.asks:
            taken = values.setdefault(name, [])
            taken += [value] if value not in taken else []
    version = parser.add_mutually_exclusive_group(required=True)
    for name, taken in values.items():
        option = OPTIONS[name]
        if taken == [""]:
            version.add_argument(option.flag, dest=f"ask_{name}", metavar="VERSION", help=option.help)
        elif taken == ["1"]:
            parser.add_argument(option.flag, dest=f"ask_{name}", action="store_const", const="1", help=option.help)
        else:
            parser.add_argument(option.flag, dest=f"ask_{name}", choices=taken, help=option.help)


def run_lookup(args: argparse.Namespace) -> int:
    given = {name: value for name in OPTIONS if (value := getattr(args, f"ask_{name}", None)) is not None}
    try:
        track, version = lookup.asked(given)
        wanted = lookup.parsed(version, OPTIONS[track.version_option].flag)
    except ValueError as exc:
        return lookup_error(str(exc))
    asked = track.named.format(version)
    try:
        summary = lookup.load(args.matrix)
    except InputError as exc:
        print(f"tfmatrix: error: {exc}", file=sys.stderr)
        return status.BAD_INPUT
    found = lookup.answer(summary, track.name, wanted, asked, args.question)
    if args.json:
        shown = json.dumps(found, indent=2, ensure_ascii=False).splitlines()
    else:
        shown = list(lookup.lines(found, min(shutil.get_terminal_size((80, 24)).columns, 100)))
    printed(shown)
    return status.OK if "problem" not in found else status.BAD_INPUT


def printed(lines: Iterable[str]) -> None:
    """Print ``lines`` to a terminal or a pipe: no control character of theirs reaches it, and a reader that
    stops early (``| head``) is no error."""
    try:
        for line in lines:
            print(escape.visible(line))
        sys.stdout.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit


def run_check(args: argparse.Namespace, known_probes: dict[str, probes.Probe]) -> int:
    from tfmatrix import check  # noqa: PLC0415 - as render: pandas only where it is used

    names = list(probes.selected(args.probes, args.only))
    summary = lookup.load(args.matrix)
    try:
        documents = check.run(args.python, args.probes.resolve(), known_probes, names, args.timeout, args.framework)
    except RuntimeError as exc:  # its message quotes the environment's own output
        print(escape.visible(f"tfmatrix: error: {exc}"), file=sys.stderr)
        return status.ERROR
    printed(check.report(documents, check.outcomes(documents, known_probes), summary))
    return status.OK


def run_pinpoint(args: argparse.Namespace, variants: list[Variant], known_probes: dict[str, probes.Probe]) -> int:
    from tfmatrix import pinpoint, summary  # noqa: PLC0415 - as render: pandas only where it is used

    loaded = results.load_all(args.results, variants, known_probes)
    known = explanations.load(args.explanations, known_probes)
    document = summary.build(loaded, known_probes, known, release_dates.load(release_dates.beside(args.results)))
    every = pinpoint.targets(document, variants)
    unknown = sorted(set(args.changes) - {target.change for target in every})
    if unknown:  # one line, whatever the number of change points: those it can bisect are in matrix.json
        named = {change["id"] for change in document["change_points"]}
        why = "is on a track whose releases between cannot be installed alone" if unknown[0] in named else "no such id"
        raise InputError(args.results, "change", f"{unknown[0]!r} cannot be pinpointed: {why} (see matrix.json)")
    chosen = [target for target in every if not args.changes or target.change in args.changes]
    _, skipped = pinpoint.run(
        chosen,
        every,
        known_probes,
        sources=probes.sources(args.probes.resolve()),
        probes_dir=args.probes.resolve(),
        results_dir=args.results,
        out_dir=args.out or pinpoint.beside(args.results),
        uv=args.uv,
        today=dt.date.today(),
        log=sys.stdout,
    )
    for why in skipped:
        print(f"tfmatrix: warning: not pinpointed: {why}", file=sys.stderr)
    print(f"tfmatrix: {len(chosen) - len(skipped)} of {len(chosen)} first-seen releases pinpointed")
    return status.INFRASTRUCTURE if skipped else status.OK


def run_repro(args: argparse.Namespace, variants: list[Variant], known_probes: dict[str, probes.Probe]) -> str:
    """The repro script of one cell; an unknown variant, probe or case is an InputError naming it."""
    variant = next((v for v in variants if v.id == args.variant), None)
    if variant is None:
        raise InputError(args.catalog, "variant", f"no variant {args.variant!r} (`nox -l` lists them)")
    named = [args.probe] if args.probe else list(known_probes)
    found = []
    for name in named:
        if name not in known_probes:
            raise InputError(args.probes, "probe", f"expected one of {', '.join(known_probes)}, got {name!r}")
        path = args.results / name / f"{variant.id}.json"
        if not path.is_file():
            continue
        result = results.load_one(path, known_probes)
        good = results.findings(result)
        if good is None:
            raise InputError(path, "status", f"{result['status']}: this attempt failed and kept no findings to repro")
        found += [(name, case, good) for case in good["cases"] if case["id"] == args.case]
    if not found:
        raise InputError(args.results, "case", f"no result of {variant.id} has a case {args.case!r}")
    if len(found) > 1:
        raise InputError(args.results, "case", f"{args.case!r} is a case of {len(found)} probes: name one with --probe")
    name, case, good = found[0]
    return repro.script(variant, known_probes[name], case, good, results.day(good))


def lookup_error(message: str) -> int:
    print(f"tfmatrix lookup: error: {message}", file=sys.stderr)
    return status.BAD_INPUT


def run_discover(path: Path, results_dir: Path, variants: list[Variant], *, dry_run: bool) -> int:
    """Add what the index has to the catalog; a release moved to a newer patch takes its old results with it."""
    today = dt.date.today()
    try:
        index = discover.ask_index()
    except RuntimeError as exc:  # the index could not be asked: not bad input, and nothing was changed
        print(f"tfmatrix: error: {exc}", file=sys.stderr)
        return status.ERROR
    text = path.read_text(encoding="utf-8")  # catalog.load has read it: it exists and is UTF-8
    try:
        updated, changes = discover.update(text, index, today)
    except TypeError as exc:  # a catalog it cannot edit without rewriting it
        raise InputError(path, "release", str(exc)) from None
    for change in changes:
        print(f"tfmatrix: {change}")
    if not changes:
        print(f"tfmatrix: {path} is up to date with the index")
    if dry_run or updated == text:
        return status.OK
    with tempfile.TemporaryDirectory(prefix="tfmatrix-") as scratch:
        candidate = Path(scratch) / path.name
        candidate.write_text(updated, encoding="utf-8")
        try:  # only a valid catalog replaces the old one
            kept = {variant.id for variant in catalog.load(candidate, today)}
        except InputError as exc:
            raise InputError(path, exc.field, f"discover would make it invalid: {exc.problem}") from None
    write_text_atomic(path, updated)
    for retired in discover.retire(results_dir, {variant.id for variant in variants}, kept):
        print(f"tfmatrix: retired {retired}: its release left the catalog")
    return status.OK


def ci_job(variant: Variant, stale: list[str]) -> dict[str, object]:
    """What the workflow's probe job of ``variant`` needs: its Python, its probes, a time limit that holds the
    tool's own limits and the job's setup (so a step that runs out is recorded as a timeout, not cut off
    unrecorded), and whether to give uv the find-links that hold its local builds."""
    minutes = math.ceil(variant.budget_seconds / 60) + CI_SETUP_MINUTES
    return {
        "id": variant.id,
        "python": variant.python,
        "probes": stale,
        "timeout_minutes": minutes,
        "find_links": variant.local_builds,
    }


def run_diff(old: list[results.Result], new: list[results.Result], known_probes: dict[str, probes.Probe]) -> int:
    from tfmatrix import diff  # noqa: PLC0415 - as render: pandas only where it is used

    lines = diff.semantic_changes(old, new, known_probes)
    printed([*lines, *diff.replaced_ok(old, new), *diff.persisting(old, new)])
    print(f"tfmatrix: {len(lines)} semantic changes" if lines else "tfmatrix: no semantic change")
    return status.CHANGED if lines else status.OK


if __name__ == "__main__":
    sys.exit(main())
