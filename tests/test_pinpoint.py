"""Pinpointing a change point's first release: bisection, judged on recorded results; one real pair (slow)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from conftest import RECORDED, ROOT, every_python, nox_env, unfolded
from tfmatrix import catalog, explanations, pinpoint, probes, publish, results, summary
from tfmatrix.kinds import KINDS

TODAY = dt.date(2026, 11, 26)


@pytest.fixture(scope="module")
def recorded() -> tuple[list[dict[str, Any]], dict[str, probes.Probe], list[Any], list[Any]]:
    known = probes.load_all(ROOT / "probes")
    variants = catalog.load(ROOT / "catalog.toml", TODAY)
    loaded = results.load_all(RECORDED, variants, known)
    return loaded, known, explanations.load(ROOT / "explanations.toml", known), variants


@pytest.fixture(scope="module")
def target(recorded: tuple[list[dict[str, Any]], dict[str, probes.Probe], list[Any], list[Any]]) -> pinpoint.Target:
    loaded, known, known_explanations, variants = recorded
    document = summary.build(loaded, known, known_explanations, {})
    return next(t for t in pinpoint.targets(document, variants) if t.change == "freeze/2.16.2/weights")


def by_variant(loaded: list[dict[str, Any]], variant: str) -> dict[str, Any]:
    return next(r for r in loaded if r["probe"]["name"] == "freeze" and r["variant"] == variant)


def test_a_change_point_becomes_a_target_with_its_two_releases_and_cases(target: pinpoint.Target) -> None:
    assert (target.older.id, target.newer.id) == ("tensorflow-cpu-2.15.1", "tensorflow-cpu-2.16.2")
    assert len(target.cases) == 44  # 22 cases: their weights, and their verdict that changed with them
    assert {aspect for _, aspect, *_ in target.cases} == {"weights", "verdict"}
    assert ("sequential/layer/compile_then_freeze/train_on_batch", "weights", "❌ trained", "✅ held") in target.cases


def test_recorded_results_are_judged_old_new_or_their_failure(
    recorded: tuple[list[dict[str, Any]], dict[str, probes.Probe], list[Any], list[Any]], target: pinpoint.Target
) -> None:
    loaded, known, _, _ = recorded
    freeze = known["freeze"]
    assert pinpoint.judge(by_variant(loaded, "tensorflow-cpu-2.15.1"), freeze, target) == pinpoint.OLD
    assert pinpoint.judge(by_variant(loaded, "tensorflow-cpu-2.1.0"), freeze, target) == pinpoint.NEITHER  # 2.2.3 too
    assert pinpoint.judge(by_variant(loaded, "tensorflow-cpu-2.16.2"), freeze, target) == pinpoint.NEW
    assert pinpoint.judge(by_variant(loaded, "tensorflow-cpu-2.16.2-tf-keras"), freeze, target) == pinpoint.OLD
    failed = {**by_variant(loaded, "tensorflow-cpu-2.16.2"), "status": "install-failed"}
    assert pinpoint.judge(failed, freeze, target) == "install-failed"


@pytest.mark.parametrize(
    ("behaves", "first", "last_old", "probed"),
    [
        # Stand-in releases between 2.15.1 and 2.16.2, each behaving as a recorded release did.
        ({"a": "old", "b": "old", "c": "new", "d": "new", "e": "new"}, "c", "b", ["b", "c"]),
        ({"a": "new", "b": "new", "c": "new"}, "a", None, ["a", "b"]),
        ({"a": "old", "b": "old", "c": "old"}, None, "c", ["b", "c"]),
        ({"a": "old", "b": "install-failed", "c": "new"}, "c", "a", ["a", "b", "c"]),
    ],
)
def test_bisection_finds_the_first_release_that_behaves_the_new_way(
    behaves: dict[str, str], first: str | None, last_old: str | None, probed: list[str]
) -> None:
    asked: list[str] = []

    def behaviour(version: str) -> str:
        asked.append(version)
        return behaves[version]

    found = pinpoint.bisect(sorted(behaves), behaviour)
    assert sorted(asked) == probed  # no release asked twice, and no more than the bisection needs
    assert found == {v: behaves[v] for v in asked}
    new = [v for v, said in found.items() if said == "new"]
    old = [v for v, said in found.items() if said == "old"]
    assert (min(new, default=None), max(old, default=None)) == (first, last_old)


def test_bisection_on_recorded_results_stops_at_a_third_behaviour(
    recorded: tuple[list[dict[str, Any]], dict[str, probes.Probe], list[Any], list[Any]], target: pinpoint.Target
) -> None:
    loaded, known, _, _ = recorded
    stand_in = {  # recorded results standing in for releases between: a bisection on real findings
        "2.15.2": by_variant(loaded, "tensorflow-cpu-2.15.1"),
        "2.16.0": by_variant(loaded, "tensorflow-cpu-2.16.2"),
        "2.16.1": by_variant(loaded, "tensorflow-cpu-2.16.2"),
    }
    probed = pinpoint.bisect(list(stand_in), lambda v: pinpoint.judge(stand_in[v], known["freeze"], target))
    verdict = pinpoint.verdict(target, list(stand_in), probed)
    assert (verdict["last_old"], verdict["first_new"], verdict["unresolved"]) == ("2.15.2", "2.16.0", [])
    cut = by_variant(loaded, "tensorflow-cpu-2.16.2")
    stand_in["2.16.0"] = {**cut, "cases": cut["cases"][:1]}  # the changed cases are not there: neither way
    probed = pinpoint.bisect(list(stand_in), lambda v: pinpoint.judge(stand_in[v], known["freeze"], target))
    assert probed == {"2.16.0": pinpoint.NEITHER}
    assert pinpoint.verdict(target, list(stand_in), probed)["unresolved"] == ["2.15.2", "2.16.0", "2.16.1"]


def test_a_release_between_is_the_newer_one_at_another_version_resolved_a_week_after_its_upload(
    target: pinpoint.Target,
) -> None:
    day = pinpoint.resolution_day("2024-02-16", TODAY)
    between = KINDS[target.newer.kind].between(target.newer, "2.16.0rc0", day, {})
    assert between.id == "tensorflow-cpu-2.16.0rc0"
    (install,) = between.installs
    assert install.requirement == "tensorflow-cpu==2.16.0rc0"
    assert install.prerelease
    assert install.resolved_as_of == dt.date(2024, 2, 23)
    assert between.python == target.newer.python


def test_candidates_are_the_index_versions_strictly_between(target: pinpoint.Target) -> None:
    days = {"2.15.0": "", "2.15.1": "", "2.16.0rc0": "", "2.16.1": "", "2.16.2": "", "2.17.0": "", "x": ""}
    assert pinpoint.between(target, days) == ["2.16.0rc0", "2.16.1"]


def test_the_report_names_the_first_release_and_the_last_old_one_with_their_days(
    recorded: tuple[list[dict[str, Any]], dict[str, probes.Probe], list[Any], list[Any]], target: pinpoint.Target
) -> None:
    loaded, known, known_explanations, _ = recorded
    packages = {"2.15.1": {"keras": "2.15.0"}, "2.16.0rc0": {"keras": "3.0.5", "tensorflow-cpu": "2.16.0rc0"}}
    verdict = pinpoint.verdict(target, ["2.16.0rc0", "2.16.1"], {"2.16.0rc0": "new", "2.16.1": "new"}, packages)
    dates = {"tensorflow-cpu": {"2.15.1": "2024-03-08", "2.16.0rc0": "2024-02-23", "2.16.1": "2024-03-09"}}
    mine = [r for r in loaded if r["kind"] == "tensorflow"]

    def first_seen(found: dict[str, Any]) -> str:
        files, _ = publish.files(Path("out"), mine, {"freeze": known["freeze"]}, known_explanations, dates, "", found)
        text = unfolded(files[Path("out") / "freeze-matrix.md"])
        section = text.split("### 2.16.2: Keras 3 (tf.keras from TF 2.16) uses trainable", 1)[1].split("###")[0]
        return next(line for line in section.splitlines() if line.startswith("**First seen**"))

    assert first_seen({target.key: verdict}) == (
        "**First seen** in **2.16.0rc0** (2024-02-23); **2.15.1** (2024-03-08), the version before it, still behaves "
        "the old way (probed: 2.16.0rc0 (2024-02-23) new, 2.16.1 (2024-03-09) new); it came with keras 2.15.0 → 3.0.5."
    )
    document = summary.build(loaded, known, known_explanations, dates, {target.key: verdict})
    change = next(c for c in document["change_points"] if c["id"] == target.change)
    assert change["first_seen"][0]["pinpointed"]["first"]["version"] == "2.16.0rc0"
    failed = pinpoint.verdict(target, ["2.16.0rc0", "2.16.1"], {"2.16.1": "new", "2.16.0rc0": "install-failed"})
    assert "by **2.16.1** (2024-03-09), after **2.15.1** (2024-03-08); between them 2.16.0rc0 (install-failed)" in (
        first_seen({target.key: failed})
    )
    third = pinpoint.verdict(target, ["2.16.0rc0", "2.16.1"], {"2.16.1": "neither"})
    assert "2.16.0rc0 (not probed), 2.16.1 (behaves neither way) could not tell" in first_seen({target.key: third})
    undated = {**dates, "tensorflow-cpu": {"2.15.1": "2024-03-08"}}  # an index that gave no days for those between
    files, _ = publish.files(
        Path("out"), mine, {"freeze": known["freeze"]}, known_explanations, undated, "", {target.key: third}
    )
    assert "(probed: 2.16.1 behaves neither way)" in unfolded(files[Path("out") / "freeze-matrix.md"])  # dated or not
    nothing = pinpoint.verdict(target, [], {})
    assert "in **2.16.2**, right after **2.15.1** (2024-03-08): the index has no release between them" in (
        first_seen({target.key: nothing})
    )
    stale = {**verdict, "older": "tensorflow-cpu-2.14.1"}  # judged between other releases: not shown
    assert first_seen({target.key: stale}).endswith("not yet pinpointed.")


def test_committed_verdicts_match_the_committed_report() -> None:
    """Every verdict in reports/pinpoint names a change point of matrix.json, and the report says it."""
    verdicts = pinpoint.load(ROOT / "reports" / "pinpoint" / pinpoint.VERDICTS)
    document = json.loads((ROOT / "reports" / publish.MATRIX).read_text(encoding="utf-8"))
    pinpointed = {
        f"{c['id']}@{seen['environment']}": seen["pinpointed"]
        for c in document["change_points"]
        for seen in c["first_seen"]
    }
    assert verdicts
    for key, verdict in verdicts.items():
        assert pinpointed[key] is not None, key
        assert pinpointed[key]["first"]["version"] == verdict["first_new"]


@pytest.mark.slow
def test_pinpoint_for_real_between_two_releases(tmp_path: Path) -> None:
    """TF 2.15.1 -> 2.16.2, freeze probe: 2.16.1 probed before (its committed result is reused), 2.16.0rc0
    installed and probed now; both behave as 2.16.2."""
    checkout = tmp_path / "checkout"
    for part in ("probes", "reports/results/freeze"):
        shutil.copytree(ROOT / part, checkout / part)
    shutil.copy(ROOT / "reports" / "release-dates.json", checkout / "reports" / "release-dates.json")
    reused = checkout / "reports" / "pinpoint" / "freeze" / "tensorflow-cpu-2.16.1.json"
    reused.parent.mkdir(parents=True)
    shutil.copy(ROOT / "reports" / "pinpoint" / "freeze" / reused.name, reused)
    before = reused.read_bytes()
    command = ["tfmatrix", "--catalog", str(ROOT / "catalog.toml"), "--probes", str(checkout / "probes"), "pinpoint"]
    command += ["--results", str(checkout / "reports" / "results"), "--explanations", str(ROOT / "explanations.toml")]
    done = subprocess.run(
        [*command, "freeze/2.16.2/weights"],
        capture_output=True,
        text=True,
        check=False,
        env=every_python(nox_env()),
        cwd=checkout,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    verdicts = pinpoint.load(checkout / "reports" / "pinpoint" / pinpoint.VERDICTS)
    verdict = verdicts["freeze/2.16.2/weights@tensorflow-cpu-2.16.2"]
    assert verdict["candidates"] == ["2.16.0rc0", "2.16.1"]
    assert verdict["probed"] == {"2.16.1": "new", "2.16.0rc0": "new"}
    assert (verdict["last_old"], verdict["first_new"], verdict["unresolved"]) == ("2.15.1", "2.16.0rc0", [])
    assert reused.read_bytes() == before  # current: not probed again
    made = json.loads((reused.parent / "tensorflow-cpu-2.16.0rc0.json").read_text(encoding="utf-8"))
    assert made["status"] == "ok"
    assert made["probed_on"] == dt.date.today().isoformat()  # probed by this test
    assert made["environment"]["packages"]["tensorflow-cpu"] == "2.16.0rc0"


def test_a_tf_keras_release_between_gets_the_tf_keras_of_its_line_by_its_day() -> None:
    newer = next(v for v in catalog.load(ROOT / "catalog.toml", TODAY) if v.id == "tensorflow-cpu-2.17.1-tf-keras")
    days = {"tf-keras": {"2.16.0": "2024-03-09", "2.17.0rc0": "2024-06-04", "2.17.0": "2024-07-15"}}
    day = pinpoint.resolution_day("2024-06-18", TODAY)  # tensorflow-cpu 2.17.0rc0's upload
    assert pinpoint.companions(newer, "2.17.0rc0", day, days) == {"tf-keras": "2.17.0rc0"}  # 2.17.0 came later
    between = KINDS[newer.kind].between(newer, "2.17.0rc0", day, {"tf-keras": "2.17.0rc0"})
    assert between.id == "tensorflow-cpu-2.17.0rc0-tf-keras"
    assert [i.requirement for i in between.installs] == ["tensorflow-cpu==2.17.0rc0", "tf-keras==2.17.0rc0"]
    assert between.environment == (("TF_USE_LEGACY_KERAS", "1"),)
    assert pinpoint.companions(newer, "2.18.0rc0", day, days) == {}  # none of its line yet: not made
