from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import tomllib
import types
from pathlib import Path

import pytest
from packaging.version import Version

from conftest import ROOT
from tfmatrix import catalog, cli, probes, runner
from tfmatrix.errors import InputError
from tfmatrix.kinds import KINDS, TRACKS
from tfmatrix.variant import Install, Variant

GOOD_ENTRY = 'version = "2.1.0"\ndistribution = "tensorflow-cpu"\npython = "3.7"\nresolved_as_of = 2020-01-15\n'


def bundled(variants: list[Variant]) -> list[Variant]:
    return [v for v in variants if v.track == "bundled"]


def test_catalog_covers_every_minor_line_from_1_15(variants: list[Variant]) -> None:
    lines = {(Version(v.version).major, Version(v.version).minor) for v in bundled(variants)}
    newest = max(lines)
    assert {(1, 15)} | {(2, minor) for minor in range(newest[1] + 1)} == lines
    assert newest >= (2, 21)


def test_catalog_is_oldest_first_and_keeps_the_seed_release(variants: list[Variant]) -> None:
    versions = [Version(v.version) for v in bundled(variants)]
    assert versions == sorted(versions)
    assert "tensorflow-cpu-2.1.0" in [v.id for v in variants]


def test_distribution_and_python_follow_what_each_release_shipped(variants: list[Variant]) -> None:
    for variant in bundled(variants):
        version = Version(variant.version)
        cpu_exists = version >= Version("2.1")
        assert variant.distribution == ("tensorflow-cpu" if cpu_exists else "tensorflow"), variant.id
        if version < Version("2.2"):
            assert variant.python == "3.7", variant.id  # TF 1.15-2.1 ship no wheels past 3.7


def test_tf_keras_variant_from_2_16_on(variants: list[Variant]) -> None:
    legacy = {v.version: v for v in variants if v.track == "tf-keras"}
    for variant in bundled(variants):
        assert (variant.version in legacy) == (Version(variant.version) >= Version("2.16")), variant.id
    for version, variant in legacy.items():
        release, tf_keras = variant.installs
        assert release.requirement.endswith(f"=={version}")
        pinned = Version(tf_keras.requirement.removeprefix("tf-keras=="))
        assert pinned.release[:2] == Version(version).release[:2]
        assert tf_keras.no_deps  # the release already provides TensorFlow
        assert tf_keras.resolved_as_of is not None
        assert tf_keras.resolved_as_of >= release.resolved_as_of  # type: ignore[operator]


def test_variants_come_by_track_then_oldest_first(variants: list[Variant]) -> None:
    tracks = [v.track for v in variants]
    assert tracks == sorted(tracks, key=list(TRACKS).index)
    views = [KINDS[v.kind].VIEW for v in variants]
    assert views == sorted(views, key=views.index)  # a view's columns are together: the registry orders them
    legacy = [v for v in variants if v.track == "tf-keras"]
    assert legacy[0].id == "tensorflow-cpu-2.16.2-tf-keras"
    assert dict(legacy[0].environment) == {"TF_USE_LEGACY_KERAS": "1"}
    assert dict(variants[0].environment) == {}


def test_variant_ids_and_installs() -> None:
    path = ROOT / "catalog.toml"
    seed = next(v for v in catalog.load(path) if v.id == "tensorflow-cpu-2.1.0")
    assert (seed.kind, seed.track, seed.python) == ("tensorflow", "bundled", "3.7")
    assert seed.installs == (Install("tensorflow-cpu==2.1.0", dt.date(2020, 1, 15), origin="release[2].version"),)
    assert seed.entry == {
        "version": "2.1.0",
        "distribution": "tensorflow-cpu",
        "python": "3.7",
        "resolved_as_of": "2020-01-15",
        "track": "bundled",
        "tf_keras": None,
    }


def test_every_track_belongs_to_one_kind() -> None:
    names = [track.name for kind in KINDS.values() for track in kind.TRACKS]
    assert len(names) == len(set(names)) == len(TRACKS)
    assert [t.suffix for t in TRACKS.values()].count("") == 1  # one main track: columns without a suffix


@pytest.mark.parametrize(
    ("text", "field", "problem"),
    [
        ("[[release]\n", "", "is not valid TOML"),
        ("# no releases\n", "", "declares nothing to probe: expected a [["),
        ("title = 'x'\n[[release]]\n" + GOOD_ENTRY, "title", "unknown field"),
        ("[[release]]\n" + GOOD_ENTRY.replace("2020-01-15", "2020-13-45"), "line 5: resolved_as_of", "not valid TOML"),
        ("[[release]]\n" + GOOD_ENTRY.replace("2020-01-15", "2999-01-15"), "release[0].resolved_as_of", "future"),
        ("[[release]]\n" + GOOD_ENTRY + "timeout_seconds = 0\n", "release[0].timeout_seconds", "positive number"),
        ("timeout_seconds = '1h'\n[[release]]\n" + GOOD_ENTRY, "timeout_seconds", "positive number"),
        ("[[release]]\n" + GOOD_ENTRY.replace('"2.1.0"', '"two"'), "release[0].version", "expected a release version"),
        ("[[release]]\n" + GOOD_ENTRY.replace('"2.1.0"', '"2.16.0rc1"'), "release[0].version", "a final release"),
        ("[[release]]\n" + GOOD_ENTRY.replace('"tensorflow-cpu"', '"tf"'), "release[0].distribution", "one of"),
        ("[[release]]\n" + GOOD_ENTRY.replace('"3.7"', '"3"'), "release[0].python", "like 3.7"),
        ("[[release]]\n" + GOOD_ENTRY.replace('"3.7"', '"3.7\\n"'), "release[0].python", "like 3.7"),
        ("[[release]]\n" + GOOD_ENTRY.replace('"2.1.0"', '"2.1.0\\n"'), "release[0].version", "a release version"),
        ("[[release]]\n" + GOOD_ENTRY.replace('"2.1.0"', '"V2.1.0"'), "release[0].version", "a release version"),
        ("[[release]]\n" + GOOD_ENTRY + "timeout_seconds = nan\n", "release[0].timeout_seconds", "positive number"),
        ("timeout_seconds = inf\n[[release]]\n" + GOOD_ENTRY, "timeout_seconds", "positive number"),
        (
            "[[release]]\n" + GOOD_ENTRY + "[[release]]\n" + GOOD_ENTRY.replace('"2.1.0"', '"2.1.0.0"'),
            "release[1]",
            "duplicates release[0] (tensorflow-cpu-2.1.0)",
        ),
        (
            "[[release]]\n"
            + GOOD_ENTRY.replace("2.1.0", "2.16.2")
            + 'tf_keras = { version = "2.16.0\\n--index-url file:///x", resolved_as_of = 2020-01-15 }\n',
            "release[0].tf_keras.version",
            "expected a tf-keras version like 2.16.0",
        ),
        ("[[release]]\n" + GOOD_ENTRY.replace("2020-01-15", '"2020-01-15"'), "release[0].resolved_as_of", "TOML date"),
        (
            "[[release]]\n" + GOOD_ENTRY.replace("2020-01-15", "2020-01-15T10:00:00"),
            "release[0].resolved_as_of",
            "date-time",
        ),
        ("[[release]]\n" + GOOD_ENTRY.replace('python = "3.7"\n', ""), "release[0].python", "missing"),
        ("[[release]]\n" + GOOD_ENTRY + "gpu = true\n", "release[0].gpu", "unknown field"),
        ("[[release]]\n" + GOOD_ENTRY + "[[release]]\n" + GOOD_ENTRY, "release[1]", "duplicates release[0]"),
        (
            "[[release]]\n" + GOOD_ENTRY + 'tf_keras = { version = "2.1.0", resolved_as_of = 2020-01-15 }\n',
            "release[0].tf_keras",
            "only from TensorFlow 2.16",
        ),
        (
            "[[release]]\n" + GOOD_ENTRY.replace("2.1.0", "2.16.2") + 'tf_keras = { version = "2.16.0" }\n',
            "release[0].tf_keras",
            "expected { version",
        ),
    ],
)
def test_bad_catalog_is_one_line_naming_file_and_field(tmp_path: Path, text: str, field: str, problem: str) -> None:
    path = tmp_path / "catalog.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        catalog.load(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: {field}: " if field else f"{path}: ")
    assert problem in message
    assert "\n" not in message


def test_time_limit_per_release_or_for_all(tmp_path: Path) -> None:
    path = tmp_path / "catalog.toml"
    second = GOOD_ENTRY.replace("2.1.0", "2.2.0") + "timeout_seconds = 30\n"
    path.write_text("timeout_seconds = 120\n[[release]]\n" + GOOD_ENTRY + "[[release]]\n" + second, encoding="utf-8")
    assert [(v.timeout_seconds, v.origin) for v in catalog.load(path)] == [(120, "release[0]"), (30, "release[1]")]
    path.write_text("[[release]]\n" + GOOD_ENTRY, encoding="utf-8")
    assert catalog.load(path)[0].timeout_seconds == catalog.TIMEOUT_SECONDS


def test_missing_catalog_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot be read"):
        catalog.load(tmp_path / "nope.toml")


def test_nightly_is_an_opt_in_variant_resolved_on_the_day() -> None:
    variant = next(v for v in catalog.load(ROOT / "catalog.toml", dt.date(2026, 12, 1)) if v.kind == "tf-nightly")
    assert (variant.id, variant.track, variant.opt_in, variant.floating) == ("tf-nightly", "nightly", True, True)
    assert variant.installs == (Install("tf-nightly", None, prerelease=True),)  # the newest build, as of today
    assert variant.facts["resolved_as_of"] == "2026-12-01"
    assert "tf-nightly" in [v.id for v in catalog.load(ROOT / "catalog.toml")]
    assert "tf-nightly" not in [v.id for v in catalog.regular(catalog.load(ROOT / "catalog.toml"))]  # opt-in only


def test_no_nightly_table_means_no_nightly(tmp_path: Path) -> None:
    path = tmp_path / "catalog.toml"
    path.write_text("[[release]]\n" + GOOD_ENTRY, encoding="utf-8")
    assert [v.track for v in catalog.load(path, dt.date(2026, 12, 1))] == ["bundled"]


@pytest.mark.parametrize(
    ("table", "field"),
    [
        ('[nightly]\ndistribution = "tensorflow"\npython = "3.13"\n', "nightly.distribution"),
        ('[nightly]\ndistribution = "tf-nightly"\npython = "three"\n', "nightly.python"),
        ('[nightly]\ndistribution = "tf-nightly"\n', "nightly"),
    ],
)
def test_bad_nightly_table(tmp_path: Path, table: str, field: str) -> None:
    path = tmp_path / "catalog.toml"
    path.write_text("[[release]]\n" + GOOD_ENTRY + "\n" + table, encoding="utf-8")
    with pytest.raises(InputError, match=f"^{path}: {field}: "):
        catalog.load(path, dt.date(2026, 12, 1))


def run_on(monkeypatch: pytest.MonkeyPatch, day: dt.date) -> None:
    """Make the command line's today ``day``: the nightly is resolved as of the day it runs."""

    class OnThatDay(dt.date):
        @classmethod
        def today(cls) -> OnThatDay:
            return cls(day.year, day.month, day.day)

    monkeypatch.setattr(cli, "dt", types.SimpleNamespace(**{**vars(dt), "date": OnThatDay}))


def test_variants_lists_only_stale_ones_on_request(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The workflow fans out only what needs probing: the committed results are all current on the day
    the nightly was recorded, and the nightly is stale on any other day."""
    results = Path(shutil.copytree(ROOT / "reports" / "results", tmp_path / "results"))
    nightly = json.loads((results / "freeze" / "tf-nightly.json").read_text(encoding="utf-8"))
    recorded_on = dt.date.fromisoformat(nightly["environment"]["resolved_as_of"])
    command = ["--catalog", str(ROOT / "catalog.toml"), "--probes", str(ROOT / "probes"), "variants"]

    def listed(*options: str) -> dict[str, list[str]]:
        assert cli.main([*command, *options, "--results", str(results)]) == 0
        return {v["id"]: v["probes"] for v in json.loads(capsys.readouterr().out)}

    every = probes.names(ROOT / "probes")
    run_on(monkeypatch, recorded_on + dt.timedelta(days=1))
    assert listed("--stale", "--nightly") == {"tf-nightly": every}
    run_on(monkeypatch, recorded_on)
    assert listed() == {v.id: every for v in catalog.regular(catalog.load(ROOT / "catalog.toml", recorded_on))}
    assert listed("--stale", "--nightly") == {}
    (results / "gan" / "tensorflow-cpu-2.5.3.json").unlink()  # one probe's result missing
    failed = results / "saving" / "tf-nightly.json"
    crashed = {**json.loads(failed.read_text(encoding="utf-8")), "status": "crashed"}
    failed.write_text(json.dumps({**crashed, "probed_on": recorded_on.isoformat()}), encoding="utf-8")
    assert listed("--stale", "--nightly") == {"tensorflow-cpu-2.5.3": ["gan"]}  # failed today: tried in a week
    a_week_ago = (recorded_on - dt.timedelta(days=7)).isoformat()
    failed.write_text(json.dumps({**crashed, "probed_on": a_week_ago}), encoding="utf-8")
    assert listed("--stale") == {"tensorflow-cpu-2.5.3": ["gan"]}
    assert listed("--stale", "--nightly") == {"tensorflow-cpu-2.5.3": ["gan"], "tf-nightly": ["saving"]}


def test_a_result_that_only_needs_upgrading_is_not_probed_again(tmp_path: Path) -> None:
    """A schema bump alone fans out no job: the report job upgrades the files (aggregate.sh migrates)."""
    results = Path(shutil.copytree(ROOT / "reports" / "results", tmp_path / "results"))
    variants = {variant.id: variant for variant in catalog.load(ROOT / "catalog.toml")}
    variant, sources = variants["tensorflow-cpu-2.1.0"], probes.sources(ROOT / "probes")
    assert runner.stale(variant, sources, results, repeat=1, forced=False) == []
    path = results / "freeze" / "tensorflow-cpu-2.1.0.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    del document["last_good"], document["probed_on"]  # as schema 5 had it (migrations.update_to_6)
    path.write_text(json.dumps({**document, "schema_version": 5}), encoding="utf-8")
    assert runner.stale(variant, sources, results, repeat=1, forced=False) == []
    path.write_text(json.dumps({**document, "schema_version": 99}), encoding="utf-8")  # no known schema
    assert runner.stale(variant, sources, results, repeat=1, forced=False) == ["freeze"]


def test_each_probe_job_gets_a_time_limit_above_the_tools_own_and_find_links_only_for_local_builds(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """When the job's limit fired first, the upload step was skipped and no timeout was recorded."""
    command = ["--catalog", str(ROOT / "catalog.toml"), "--probes", str(ROOT / "probes"), "variants", "--nightly"]
    assert cli.main(command) == 0
    jobs = {job["id"]: job for job in json.loads(capsys.readouterr().out)}
    for variant in catalog.load(ROOT / "catalog.toml"):
        job = jobs[variant.id]
        assert job["timeout_minutes"] * 60 >= variant.timeout_seconds * (len(variant.installs) + 1) + 15 * 60
        assert job["find_links"] == any("+cpu" in install.requirement for install in variant.installs)
    assert any(job["find_links"] for job in jobs.values())
    assert not all(job["find_links"] for job in jobs.values())
    workflow = (ROOT / ".github" / "workflows" / "matrix.yml").read_text(encoding="utf-8")
    assert "timeout-minutes: ${{ matrix.variant.timeout_minutes }}" in workflow
    assert "matrix.variant.find_links && secrets.UV_FIND_LINKS" in workflow


@pytest.mark.parametrize(
    "requirement", ["tf-keras==2.16.0\n--index-url=file:///x", "--index-url=file:///x", "keras==3.8.0 -e .", ""]
)
def test_an_install_is_one_requirement_and_never_an_option(requirement: str) -> None:
    with pytest.raises(ValueError, match="not a single requirement"):
        Install(requirement, None)


def test_a_standalone_keras_2_between_is_resolved_no_earlier_than_its_tensorflow() -> None:
    """Keras 2.1.3 (January 2018) between 2.0.9 and 2.1.6, which run on TF 1.13.1 (February 2019): as of its own
    day TF 1.13.1 did not exist, so it is resolved as of 2.1.6's day, as the catalog's entries are."""
    variants = {variant.id: variant for variant in catalog.load(ROOT / "catalog.toml")}
    newer = variants["keras-2.1.6-tensorflow-1.13.1"]
    made = KINDS[newer.kind].between(newer, "2.1.3", dt.date(2018, 1, 18), {})
    assert made.id == "keras-2.1.3-tensorflow-1.13.1"
    assert [install.requirement for install in made.installs] == ["tensorflow==1.13.1", "keras==2.1.3"]
    assert {install.resolved_as_of for install in made.installs} == {newer.installs[0].resolved_as_of}
    later = KINDS[newer.kind].between(newer, "2.1.3", dt.date(2019, 6, 1), {})
    assert {install.resolved_as_of for install in later.installs} == {dt.date(2019, 6, 1)}


def pinned(path: Path) -> dict[str, str]:
    """{name: version} of a requirements file's ``name==version`` lines (names normalised)."""
    pins = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        name, sep, version = line.partition("==")
        if sep and not line.startswith("#"):
            pins[re.sub(r"[-_.]+", "-", name.split("[")[0].strip()).lower()] = version.split(";")[0].strip()
    return pins


def test_every_dependency_of_the_project_is_locked_and_every_session_installs_within_the_lock() -> None:
    locked = pinned(ROOT / ".github" / "locked-requirements.txt")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    wanted = [
        *project["project"]["dependencies"],
        *(r for extra in project["project"]["optional-dependencies"].values() for r in extra),
        *(r for group in project["dependency-groups"].values() for r in group),
    ]
    names = {re.sub(r"[-_.]+", "-", re.split(r"[<>=!~\[ ;]", r, maxsplit=1)[0]).lower() for r in wanted}
    assert names <= set(locked), names - set(locked)
    tools = pinned(ROOT / ".github" / "ci-requirements.txt")
    assert {name: locked[name] for name in tools} == tools  # nox and uv: one version everywhere
    noxfile = (ROOT / "noxfile.py").read_text(encoding="utf-8")
    installs = re.findall(r"session\.install\((.*)\)", noxfile)
    assert installs
    assert all("*LOCKED" in found for found in installs if '"."' in found or '".[' in found)
