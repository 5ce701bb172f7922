"""matrix.json (the summary and its schema), `tfmatrix lookup`, `tfmatrix repro` and the release dates."""

from __future__ import annotations

import copy
import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from packaging.version import Version

from conftest import DATA, RECORDED, ROOT, every_python, nox_env, unfolded
from tfmatrix import (
    catalog,
    check,
    cli,
    explanations,
    lookup,
    probes,
    publish,
    release_dates,
    repro,
    results,
    status,
    summary,
    vocabulary,
)

GOLDEN_MATRIX = DATA / "golden" / "matrix.json"  # made of the recorded results (test_render keeps it in sync)
TF_215_PAGE = DATA / "index" / "tensorflow-cpu.json"  # the index's JSON project page, cut to a few files


@pytest.fixture(scope="module")
def matrix() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(GOLDEN_MATRIX.read_text(encoding="utf-8"))
    return document


def test_the_summary_validates_against_the_published_schema(matrix: dict[str, Any]) -> None:
    schema = json.loads((ROOT / "reports" / "matrix.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(matrix)
    jsonschema.Draft202012Validator(schema).validate(json.loads((ROOT / "reports" / "matrix.json").read_text("utf-8")))


def test_the_summary_holds_every_question_environment_and_change_point(matrix: dict[str, Any]) -> None:
    ids = [env["id"] for env in matrix["environments"]]
    assert sorted(ids) == sorted({path.stem for path in RECORDED.glob("*/*.json")})  # each once
    seed = next(q for q in matrix["questions"] if q["id"] == "freeze/seed")
    assert seed["outcomes"]["tensorflow-cpu-2.1.0"] == {"✅ works": 4, "❌ silently wrong": 4}
    found = seed["cases"]["sequential/model/compile_then_freeze/train_on_batch"]["tensorflow-cpu-2.1.0"]
    assert (found["verdict"], found["why"]) == ("❌ silently wrong", "frozen weights train")
    assert found["aspects"]["weights"] == "❌ trained"
    assert found["aspects"]["printed"] == "130 / 65 / 65"  # the seed notebook's misprint, every aspect kept
    assert seed["means"] == "The frozen weights do not train; every other weight does."
    [fix, *_] = seed["fixes"]["tensorflow-cpu-2.1.0"]
    assert (fix["do"], fix["status"]) == ("Set `trainable` before `compile()`.", "verified")
    assert seed["reports"]["tensorflow"] == "freeze-matrix.md#the-seed-notebooks-cases"
    change = next(c for c in matrix["change_points"] if c["id"] == "freeze/2.16.2/weights")
    assert change["first_seen"] == [
        {"environment": "tensorflow-cpu-2.16.2", "after": "tensorflow-cpu-2.15.1", "pinpointed": None}  # not pinpointed
    ]
    assert change["advice"].startswith("Call compile() again")
    assert "freeze/seed" in change["questions"]
    released = {env["id"]: env["released_on"] for env in matrix["environments"]}
    assert released["tensorflow-cpu-2.1.0"] == "2020-01-08"  # what the index said (tests/data/release-dates.json)


def test_a_summary_that_breaks_its_schema_is_one_line_naming_the_field(tmp_path: Path, matrix: dict[str, Any]) -> None:
    broken = copy.deepcopy(matrix)
    broken["environments"][2]["released_on"] = "yesterday"
    path = tmp_path / "matrix.json"
    path.write_text(json.dumps(broken), encoding="utf-8")
    with pytest.raises(lookup.InputError) as raised:
        lookup.load(path)
    assert str(raised.value).startswith(f"{path}: environments[2].released_on: ")
    assert "\n" not in str(raised.value)


def test_a_summary_of_schema_2_has_no_verdicts_and_says_what_to_do(tmp_path: Path, matrix: dict[str, Any]) -> None:
    path = tmp_path / "matrix.json"
    path.write_text(json.dumps({**matrix, "schema_version": 2}), encoding="utf-8")
    with pytest.raises(lookup.InputError) as raised:
        lookup.load(path)
    assert str(raised.value) == (
        f"{path}: schema_version: expected 3, got 2: it has no verdicts; `nox -s report` writes it anew from the results"
    )
    assert publish.previous_summary(path) is None  # the report starts the feed's comparison afresh: no false flips


def ask(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(["lookup", "--matrix", str(GOLDEN_MATRIX), *args])
    out, err = capsys.readouterr()
    return code, out, err


def answered(capsys: pytest.CaptureFixture[str], path: Path, *args: str) -> dict[str, Any]:
    """``tfmatrix lookup --json``'s answer."""
    assert cli.main(["lookup", "--matrix", str(path), *args, "--json"]) == status.OK
    found: dict[str, Any] = json.loads(capsys.readouterr().out)
    return found


def recipe(found: dict[str, Any], question: str) -> dict[str, Any]:
    return next(r for r in found["recipes"] if r["question"] == question)


SEED = "The seed notebook's cases"
TIMING = "Does freezing take effect, whenever you freeze and however you train?"
SAVING = "Does the loaded model keep the flag, honour it in training, and come back compiled?"
MOMENTUM = "Does momentum from an earlier step keep moving a frozen weight?"
GAN = "Does the discriminator hold in the gan step, and train in its own?"


def test_lookup_of_a_probed_release_gives_a_verdict_per_recipe_and_its_fix(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = ask(capsys, "--tensorflow", "2.1.0")
    assert code == status.OK
    assert out.startswith("TensorFlow 2.1.0: probed as 2.1.0 (released 2020-01-08).\n")
    blocks = out.split("\n\n")
    assert blocks[1].startswith("❌ silently wrong — Phase 2 of the guide")  # fine-tuning first: people meet it first
    seed = next(b for b in blocks if "— The seed notebook's cases" in b)
    assert seed.startswith("❌ silently wrong — The seed notebook's cases (4 of 8 ✅ works, 4 of 8 ❌ silently")
    fix = (
        "→ For sequential/model/compile_then_freeze/train_on_batch, functional/model/compile_then_freeze/train_on_batch"
    )
    assert f"{fix} and 1 more: Set `trainable` before `compile()`. Verified:" in " ".join(seed.split())
    upgrade = out.split("Changes if you upgrade:\n", 1)[1]
    assert "- in 2.16.2 (released 2024-06-28): Keras 3" in upgrade
    assert all(len(line) <= 80 for line in out.splitlines())  # wrapped to a terminal's width


def test_lookup_says_each_fix_once(capsys: pytest.CaptureFixture[str]) -> None:
    found = answered(capsys, GOLDEN_MATRIX, "--keras", "3.4.1", "--backend", "jax")
    gan = recipe(found, GAN)
    found["recipes"].append({**gan, "question": "The same recipe asked again?"})  # two recipes, one fix
    text = "\n".join(lookup.lines(found))
    fixes: list[str] = []
    for line in text.splitlines():  # a fix is its "→" line and the lines wrapped under it
        if line.startswith("   → "):
            fixes.append(line.strip())
        elif line.startswith("     ") and fixes:
            fixes[-1] += " " + line.strip()
    said = [fix for fix in fixes if not fix.startswith(("→ The same fix as for: ", "→ No fix is known"))]
    assert len(said) == len(set(said))
    assert fixes[-1] == f"→ The same fix as for: {GAN}"  # the later recipe points back to the first


def test_lookup_answers_one_recipe_and_as_data(capsys: pytest.CaptureFixture[str]) -> None:
    found = answered(capsys, GOLDEN_MATRIX, "--keras", "3.4.1", "--backend", "jax", "--recipe", "gan")
    [gan] = found["recipes"]
    assert (gan["question"], gan["verdict"], gan["guess"]) == (GAN, "❌ silently wrong", False)
    assert gan["counts"] == {"✅ works": 2, "❌ silently wrong": 4}
    [fix] = gan["fixes"]
    assert fix["status"] == "verified"
    assert fix["cases"] == ["toggle/false", "toggle/true"]
    assert fix["do"].startswith("Set `discriminator.trainable = True` before its own step")


def test_lookup_between_two_probed_releases_names_both_and_labels_a_guess(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = ask(capsys, "--tensorflow", "2.16.0")
    assert code == status.OK
    assert out.startswith("TensorFlow 2.16.0: not probed; between 2.15.1 (released 2024-03-08) and 2.16.2")
    found = answered(capsys, GOLDEN_MATRIX, "--tensorflow", "2.16.0")
    seed = recipe(found, SEED)
    assert seed["guess"]
    assert seed["note"].startswith("not probed: a guess from 2.15.1; 2.16.2 differs in 4 of 8 cases")
    momentum = recipe(found, MOMENTUM)
    assert (momentum["guess"], momentum["note"]) == (False, "not probed: answered from 2.15.1 and 2.16.2, which agree")
    assert "❌ silently wrong (a guess) — The seed notebook's cases" in out


def test_lookup_outside_the_probed_releases_is_a_guess_from_the_nearest(capsys: pytest.CaptureFixture[str]) -> None:
    _, newer, _ = ask(capsys, "--tensorflow", "2.99")
    newest = max(
        (p.stem for p in RECORDED.glob("*/tensorflow-cpu-*[0-9].json")), key=lambda s: Version(s.split("-")[-1])
    )
    assert " ".join(newer.split()).startswith(
        f"TensorFlow 2.99: not probed, and newer than every probed release: answers are a guess from "
        f"{newest.split('-')[-1]} (released"
    )
    assert all(r["guess"] for r in answered(capsys, GOLDEN_MATRIX, "--tensorflow", "1.14.0")["recipes"])


def test_lookup_of_keras_on_a_backend_and_of_tf_keras(capsys: pytest.CaptureFixture[str]) -> None:
    _, keras, _ = ask(capsys, "--keras", "3.6.0", "--backend", "jax")
    assert keras.startswith("Keras 3.6.0 on jax: probed as 3.6.0 jax")
    _, legacy, _ = ask(capsys, "--tensorflow", "2.16.2", "--tf-keras")
    assert legacy.startswith("TensorFlow 2.16.2 with tf-keras: probed as 2.16.2 tf-keras")
    legacy_seed = recipe(answered(capsys, GOLDEN_MATRIX, "--tensorflow", "2.16.2", "--tf-keras"), SEED)
    assert legacy_seed["counts"] == {"✅ works": 4, "❌ silently wrong": 4}


def test_lookup_of_tf_1_in_graph_mode_and_of_standalone_keras_2(capsys: pytest.CaptureFixture[str]) -> None:
    """Asked as the threads of 2016-2019 ran it, answered from the committed matrix (a real run)."""
    matrix = ROOT / "reports" / "matrix.json"
    graph = answered(capsys, matrix, "--tensorflow", "1.14.0", "--graph")
    assert (graph["asked"], graph["track"]) == ("TensorFlow 1.14.0 in graph mode", "graph")
    assert graph["probed"] == "probed as 1.14.0 graph (released 2019-06-19)"
    standalone = answered(capsys, matrix, "--keras", "2.2.4")
    assert (standalone["asked"], standalone["track"]) == ("standalone Keras 2.2.4", "keras2")
    assert standalone["probed"] == "probed as 2.2.4 keras2 (released 2018-10-03)"
    assert recipe(standalone, GAN)["counts"]  # the FAQ's GAN recipe, as its readers ran it
    eagerly = answered(capsys, matrix, "--tensorflow", "1.15.5")  # without --graph: run eagerly, and it says so
    assert eagerly["track"] == "bundled"
    assert eagerly["probed"].startswith("probed as 1.15.5 (released 2021-01-06); run eagerly: the probe turned")
    assert "run eagerly" not in answered(capsys, matrix, "--tensorflow", "2.0.4")["probed"]


def test_a_guess_names_the_same_release_probed_on_another_backend(capsys: pytest.CaptureFixture[str]) -> None:
    """Keras 3.6 on torch is not probed (torch from 3.12): its answer is a guess, and says where 3.6.0 itself ran."""
    found = answered(capsys, ROOT / "reports" / "matrix.json", "--keras", "3.6.0", "--backend", "torch")
    assert found["probed"].startswith("not probed, and older than every probed release: answers are a guess")
    assert found["probed"].endswith(
        "3.6.0 itself was probed as Keras 3.6.0 on tensorflow and Keras 3.6.0 on jax, which may tell more"
    )
    assert (
        "itself was probed" not in answered(capsys, ROOT / "reports" / "matrix.json", "--tensorflow", "2.1.0")["probed"]
    )


def test_each_fix_lookup_gives_says_which_ways_it_is_for(capsys: pytest.CaptureFixture[str]) -> None:
    """On 2.21.0 compiling again fixes unfreezing the top, not the guide's whole base with its BatchNormalization."""
    found = answered(capsys, ROOT / "reports" / "matrix.json", "--tensorflow", "2.21.0", "--question", "finetune")
    fixes = recipe(found, "Phase 2 of the guide: does unfreezing the base after training the head take effect?")[
        "fixes"
    ]
    for_whole_base = next(fix for fix in fixes if "unfreeze/all/new_optimizer/fit" in fix["for"])
    assert "BatchNormalization" in for_whole_base["do"]
    assert all(fix_text.startswith("For ") for fix_text in map(lookup.fix_text, fixes))


def test_lookup_piped_into_head_ends_cleanly(tmp_path: Path) -> None:
    """`tfmatrix lookup ... | head -1`: the pipe closes early; no traceback, no error status."""
    shutil.copy(GOLDEN_MATRIX, tmp_path / "matrix.json")
    done = subprocess.run(
        "tfmatrix lookup --matrix matrix.json --tensorflow 2.15.1 | head -1",
        shell=True,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONWARNINGS": "error"},
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith("TensorFlow 2.15.1: probed as 2.15.1")


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--tensorflow", "two"], "--tensorflow: expected a version such as 2.15.0, got 'two'"),
        (["--keras", "3.8.0"], "--keras needs --backend"),  # not standalone Keras 2: that ends before 3
        (["--tensorflow", "2.15.0", "--backend", "jax"], "--backend goes with --keras"),
        # never a guess across another library or execution model: Keras 2.6 on its own is tf.keras's code
        (["--keras", "2.6.0"], "Keras 2 on its own is answered for versions <2.4 only, not 2.6.0"),
        (["--tensorflow", "2.5.0", "--graph"], "TensorFlow 1.x in graph mode is answered for versions <2 only"),
        (["--keras", "2.2.4", "--backend", "jax"], "Keras on jax is answered for versions >=3 only, not 2.2.4"),
    ],
)
def test_lookup_refuses_what_it_cannot_answer_in_one_line(
    capsys: pytest.CaptureFixture[str], args: list[str], said: str
) -> None:
    code, _, err = ask(capsys, *args)
    assert code == status.BAD_INPUT
    assert said in err
    assert err.count("\n") == 1


def test_lookup_runs_without_the_report_extra(tmp_path: Path) -> None:
    """`pip install .` without [report]: no pandas, matplotlib or tabulate, and lookup still answers."""
    shutil.copy(GOLDEN_MATRIX, tmp_path / "matrix.json")
    blocked = tmp_path / "blocked"
    blocked.mkdir()
    for name in ("pandas", "matplotlib", "tabulate"):  # a module that fails to import, as a missing one does
        (blocked / f"{name}.py").write_text(f"raise ModuleNotFoundError('no', name='{name}')\n", encoding="utf-8")
    code = "import sys; from tfmatrix import cli; sys.exit(cli.main(sys.argv[1:]))"
    done = subprocess.run(
        [sys.executable, "-c", code, "lookup", "--matrix", "matrix.json", "--keras", "3.4.1", "--backend", "jax"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(blocked)},
    )
    assert done.returncode == 0, done.stderr
    assert "❌ silently wrong — Does the discriminator hold in the gan step" in done.stdout
    report = [
        f"--catalog={ROOT / 'catalog.toml'}",
        f"--probes={ROOT / 'probes'}",
        "report",
        f"--results={RECORDED}",
        f"--explanations={ROOT / 'explanations.toml'}",
    ]
    done = subprocess.run(
        [sys.executable, "-c", code, *report],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(blocked)},
    )
    assert (done.returncode, done.stderr) == (
        status.BAD_INPUT,
        "tfmatrix: error: this command needs pandas: pip install 'tfmatrix[report]'\n",
    )


def test_lookup_needs_nothing_but_the_summary(tmp_path: Path) -> None:
    """Offline, outside a checkout: no catalog, no probes, no results."""
    shutil.copy(GOLDEN_MATRIX, tmp_path / "matrix.json")
    done = subprocess.run(
        ["tfmatrix", "lookup", "--matrix", "matrix.json", "--tensorflow", "2.15.1"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "NO_NETWORK": "1"},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("TensorFlow 2.15.1: probed as 2.15.1")


def test_repro_prints_the_recorded_outcome_and_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    case = "sequential/layer/compile_then_freeze/train_on_batch"
    args = ["--catalog", str(ROOT / "catalog.toml"), "--probes", str(ROOT / "probes"), "repro", case]
    assert cli.main([*args, "--variant", "tensorflow-cpu-2.1.0", "--results", str(RECORDED)]) == status.OK
    out = capsys.readouterr().out.splitlines()
    assert "#   weights: ❌ trained" in out
    assert "#   printed: 97 / 65 / 32" in out
    commands = [line for line in out if not line.startswith("#")]
    assert commands[0] == "uv venv --clear --python 3.7 .repro/tensorflow-cpu-2.1.0"
    assert commands[1].startswith("uv pip install --python .repro/tensorflow-cpu-2.1.0/bin/python")
    assert commands[1].endswith("--exclude-newer 2020-01-15 tensorflow-cpu==2.1.0")
    assert commands[2] == (
        "env PYTHONHASHSEED=0 TFMATRIX_FRAMEWORK=tf_keras .repro/tensorflow-cpu-2.1.0/bin/python repro/run_case.py "
        f"freeze {case}"
    )


def test_repro_of_a_tf_keras_variant_installs_both_and_sets_its_variable() -> None:
    variant = next(v for v in catalog.load(ROOT / "catalog.toml") if v.id == "tensorflow-cpu-2.16.2-tf-keras")
    lines = repro.commands(variant, "freeze", "a/case")
    assert lines[-2].endswith("tf-keras==2.16.0")
    assert "TF_USE_LEGACY_KERAS=1" in lines[-1]


def test_repro_of_an_unknown_case_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--catalog", str(ROOT / "catalog.toml"), "--probes", str(ROOT / "probes"), "repro", "no/such/case"]
    assert cli.main([*args, "--variant", "tensorflow-cpu-2.1.0", "--results", str(RECORDED)]) == status.BAD_INPUT
    err = capsys.readouterr().err
    assert "case: no result of tensorflow-cpu-2.1.0 has a case 'no/such/case'" in err
    assert err.count("\n") == 1


@pytest.mark.slow
def test_a_repro_command_run_for_real_prints_the_committed_outcome(tmp_path: Path) -> None:
    """The report's one command, in a clone, with uv: TF 2.1.0, the seed notebook's misprint (Total params: 130)."""
    case = "sequential/model/compile_then_freeze/train_on_batch"
    checkout = tmp_path / "checkout"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(checkout)], check=True)
    command = vocabulary.repro_command(case, "tensorflow-cpu-2.1.0", "freeze")
    env = every_python(nox_env())
    for session_venv in ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT", "UV_PYTHON"):  # nox points them at the
        env.pop(session_venv, None)  # tests' venv: uv run would sync the clone into it, not into its own
    installed = importlib.metadata.distribution("tfmatrix").read_text("direct_url.json")
    done = subprocess.run(command, shell=True, cwd=checkout, capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert importlib.metadata.distribution("tfmatrix").read_text("direct_url.json") == installed  # ours untouched
    committed = json.loads((ROOT / "reports" / "results" / "freeze" / "tensorflow-cpu-2.1.0.json").read_text("utf-8"))
    freeze = probes.load_all(ROOT / "probes")["freeze"]
    recorded = repro.recorded(freeze, next(c for c in committed["cases"] if c["id"] == case))
    assert done.stdout.splitlines()[-len(recorded) :] == recorded  # as the matrix recorded it
    assert "printed: 130 / 65 / 65" in recorded  # the seed notebook's Total params: 130
    assert (checkout / ".venv").is_dir()  # the clone's own, as in a user's shell


def test_every_change_point_of_every_report_has_its_repro_commands() -> None:
    """One per track a change point is seen on, in the report; in matrix.json, the new way then the old."""
    document = json.loads((ROOT / "reports" / "matrix.json").read_text(encoding="utf-8"))
    for report in sorted((ROOT / "reports").glob("*-matrix.md")):
        seen = sum(len(c["first_seen"]) for c in document["change_points"] if c["report"].startswith(f"{report.name}#"))
        text = unfolded(report.read_text(encoding="utf-8"))
        assert text.count("**Reproduce** (in a checkout, with uv): `uv run tfmatrix repro ") == seen, report.name
    for change in document["change_points"]:
        ends = [env for seen in change["first_seen"] for env in (seen["environment"], seen["after"])]
        assert len(change["repro"]) == len(ends)
        for command, env in zip(change["repro"], ends, strict=True):
            assert command.endswith(f"--variant {env} --probe {change['probe']} | bash")


def test_upload_days_are_the_first_upload_of_each_version() -> None:
    page = json.loads(TF_215_PAGE.read_text(encoding="utf-8"))
    days = release_dates.upload_days(page)
    assert days["2.15.1"] == "2024-03-08"
    assert days["2.16.1"] == "2024-03-09"
    assert "not-a-dist" not in days


def test_dates_are_only_added_and_a_bad_file_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "release-dates.json"
    path.write_text(json.dumps({"keras": {"3.0.5": "2024-02-14"}}), encoding="utf-8")
    undated = release_dates.learn(path, {"keras": {"3.0.5"}}, indexes=[])  # known: the index is not asked
    assert undated == []
    undated = release_dates.learn(path, {"keras": {"3.0.5", "9.9.9"}}, indexes=[])  # no index answers
    assert undated == ["keras 9.9.9"]
    assert json.loads(path.read_text(encoding="utf-8")) == {"keras": {"3.0.5": "2024-02-14"}}  # nothing lost
    path.write_text(json.dumps({"keras": {"3.0.5": "Feb 14"}}), encoding="utf-8")
    with pytest.raises(release_dates.InputError) as raised:
        release_dates.load(path)
    assert str(raised.value) == f"{path}: keras.3.0.5: expected a real day as YYYY-MM-DD, got 'Feb 14'"


@pytest.mark.slow
def test_the_configured_index_gives_the_upload_day_of_a_real_release() -> None:
    days = release_dates.ask("tensorflow-cpu", release_dates.configured_indexes())
    assert days["2.1.0"] == "2020-01-08"


def test_probes_are_untouched_by_repro() -> None:
    """repro/run_case.py lies outside probes/: adding it changed no probe's hash, so no result went stale."""
    assert "run_case" not in probes.names(ROOT / "probes")


def failed_without_findings(result: dict[str, Any]) -> dict[str, Any]:
    failed = copy.deepcopy(result)
    failed.update(status="timeout", last_good=None, failure={"phase": "probe", "exit": "killed", "message": "..."})
    return failed


@pytest.fixture(scope="module")
def recorded_inputs() -> tuple[list[dict[str, Any]], dict[str, probes.Probe], list[Any]]:
    known = probes.load_all(ROOT / "probes")
    loaded = results.load_all(RECORDED, catalog.load(ROOT / "catalog.toml"), known)
    return loaded, known, explanations.load(ROOT / "explanations.toml", known)


def test_an_environment_is_failed_when_any_of_its_probes_failed(
    recorded_inputs: tuple[list[dict[str, Any]], dict[str, probes.Probe], list[Any]],
) -> None:
    loaded, known, known_explanations = recorded_inputs
    changed = [
        failed_without_findings(r) if (r["probe"]["name"], r["variant"]) == ("freeze", "tensorflow-cpu-2.15.1") else r
        for r in loaded
    ]
    document = summary.build(changed, known, known_explanations, {})
    env = next(e for e in document["environments"] if e["id"] == "tensorflow-cpu-2.15.1")
    assert env["status"] == "timeout"
    seed = next(q for q in document["questions"] if q["id"] == "freeze/seed")
    assert seed["outcomes"]["tensorflow-cpu-2.15.1"] == {"⛔ timeout": 8}


def test_a_report_whose_every_attempt_failed_has_no_picture_and_renders(
    tmp_path: Path, recorded_inputs: tuple[list[dict[str, Any]], dict[str, probes.Probe], list[Any]]
) -> None:
    loaded, known, known_explanations = recorded_inputs
    changed = [failed_without_findings(r) if r["probe"]["name"] == "gan" else r for r in loaded]
    made = {
        path.name: text
        for path, text in publish.files(tmp_path, changed, known, known_explanations, {}, "2026-11-26")[0].items()
    }
    assert "gan-matrix.md" in made
    assert "gan-matrix.svg" not in made
    assert "](gan-matrix.svg)" not in made["gan-matrix.md"]
    assert "freeze-matrix.svg" in made


def test_lookup_between_the_releases_around_a_change_says_it_lies_between(capsys: pytest.CaptureFixture[str]) -> None:
    upgrade = answered(capsys, GOLDEN_MATRIX, "--tensorflow", "2.16.0rc1", "--recipe", "seed")["upgrade"]
    keras3 = next(u for u in upgrade if u["change"] == "freeze/2.16.2/weights")
    assert keras3["where"] == "after 2.15.1, by 2.16.2 (released 2024-06-28)"


Bounds = tuple[str, str]  # pinpoint's verdict: the first release of the new way, the last of the old


def pinpointed(matrix: dict[str, Any], tmp_path: Path, verdicts: dict[str, Bounds | None] | Bounds) -> Path:
    """The golden summary as if pinpoint had settled the changes from 2.15.1 to 2.16.2: each with the
    bounds ``verdicts`` gives its id (None or absent: not pinpointed), or all with the same bounds."""
    changed = copy.deepcopy(matrix)
    for change in changed["change_points"]:
        found = verdicts if isinstance(verdicts, tuple) else verdicts.get(change["id"])
        for seen in change["first_seen"]:
            if found and (seen["after"], seen["environment"]) == ("tensorflow-cpu-2.15.1", "tensorflow-cpu-2.16.2"):
                seen["pinpointed"] = {
                    "distribution": "tensorflow-cpu",
                    "first": {"version": found[0], "released_on": None, "frameworks": {}},
                    "last_old": {"version": found[1], "released_on": None, "frameworks": {}},
                    "between": {},
                    "probed": {},
                    "unresolved": [],
                }
    path = tmp_path / "matrix.json"
    path.write_text(json.dumps(changed), encoding="utf-8")
    lookup.load(path)  # still valid
    return path


def noted(capsys: pytest.CaptureFixture[str], path: Path, version: str, question: str) -> str:
    """How ``tfmatrix lookup --tensorflow version`` says it reached its answer to ``question``."""
    return str(recipe(answered(capsys, path, "--tensorflow", version), question)["note"])


@pytest.mark.parametrize(
    ("bounds", "asked", "like"),
    [
        (("2.16.0rc0", "2.15.1"), "2.16.0", "2.16.2"),
        (("2.16.0rc0", "2.15.1"), "2.16.0rc0", "2.16.2"),
        (("2.16.2", "2.16.1"), "2.16.1", "2.15.1"),
        (("2.16.2", "2.16.1"), "2.16.0rc0", "2.15.1"),
    ],
)
def test_lookup_between_says_which_side_pinpoint_found_it_on(
    capsys: pytest.CaptureFixture[str], matrix: dict[str, Any], tmp_path: Path, bounds: Bounds, asked: str, like: str
) -> None:
    found = answered(capsys, pinpointed(matrix, tmp_path, bounds), "--tensorflow", asked)
    seed = recipe(found, SEED)
    why = f"the change came in {bounds[0]}" if like == "2.16.2" else f"{bounds[1]} still behaved the old way"
    assert seed["note"] == f"not probed: behaves like {like}, as pinpointed ({why})"
    assert not seed["guess"]
    assert seed["counts"] == {"2.16.2": {"✅ works": 8}, "2.15.1": {"✅ works": 4, "❌ silently wrong": 4}}[like]


LIES_BETWEEN = "and the change lies between them"


def test_lookup_in_a_gap_pinpoint_left_still_says_it_lies_between(
    capsys: pytest.CaptureFixture[str], matrix: dict[str, Any], tmp_path: Path
) -> None:
    path = pinpointed(matrix, tmp_path, ("2.16.1", "2.15.1"))  # as if 2.16.0 had failed to install
    assert LIES_BETWEEN in noted(capsys, path, "2.16.0", SEED)


def test_lookup_settles_a_question_only_when_every_change_in_its_differing_cases_is_pinpointed(
    capsys: pytest.CaptureFixture[str], matrix: dict[str, Any], tmp_path: Path
) -> None:
    """The verdicts of the timing question changed with two change points (weights, printed's); the seed's with one."""
    path = pinpointed(matrix, tmp_path, {"freeze/2.16.2/weights": ("2.16.0rc0", "2.15.1")})
    assert noted(capsys, path, "2.16.0", SEED).startswith("not probed: behaves like 2.16.2, as pinpointed")
    assert "differs in 10 of 30 cases" in noted(capsys, path, "2.16.0", TIMING)
    both = {"freeze/2.16.2/weights": ("2.16.0rc0", "2.15.1"), "freeze/2.16.2/printed": ("2.16.0rc0", "2.15.1")}
    timing = noted(capsys, pinpointed(matrix, tmp_path, both), "2.16.0", TIMING)
    assert timing.startswith("not probed: behaves like 2.16.2, as pinpointed")


def test_lookup_does_not_settle_when_the_changes_put_the_version_on_different_sides(
    capsys: pytest.CaptureFixture[str], matrix: dict[str, Any], tmp_path: Path
) -> None:
    apart = {"freeze/2.16.2/weights": ("2.16.0rc0", "2.15.1"), "freeze/2.16.2/printed": ("2.16.1", "2.16.0")}
    path = pinpointed(matrix, tmp_path, apart)
    assert LIES_BETWEEN in noted(capsys, path, "2.16.0", TIMING)
    assert noted(capsys, path, "2.16.0", SEED).startswith("not probed: behaves like 2.16.2, as pinpointed")


def test_lookup_does_not_settle_cases_no_change_point_holds(
    capsys: pytest.CaptureFixture[str], matrix: dict[str, Any], tmp_path: Path
) -> None:
    """Saving cases turn n/a on Keras 3: no change point holds them, so pinpoint never looked at them."""
    path = pinpointed(matrix, tmp_path, ("2.16.0rc0", "2.15.1"))
    assert LIES_BETWEEN in noted(capsys, path, "2.16.0", SAVING)


def harness_output(result: dict[str, Any]) -> dict[str, Any]:
    """What the harness wrote in the run a recorded result came from."""
    return {"probe": result["probe"]["name"], "environment": result["environment"], "cases": result["cases"]}


def test_check_names_the_environments_that_behave_alike_and_where_the_others_differ(
    recorded_inputs: tuple[list[dict[str, Any]], dict[str, probes.Probe], list[Any]],
) -> None:
    loaded, known, _ = recorded_inputs
    matrix = lookup.load(GOLDEN_MATRIX)
    mine = next(r for r in loaded if (r["probe"]["name"], r["variant"]) == ("freeze", "tensorflow-cpu-2.15.1"))
    documents = [harness_output(mine)]
    outcomes = check.outcomes(documents, known)
    assert len(outcomes) == 62
    said = list(check.report(documents, outcomes, matrix))
    assert said[0].startswith("Your environment (python 3.11")
    assert "2.15.1 (TensorFlow)" in said[1]
    assert said[1].startswith("It behaves exactly like ")
    changed = dict(outcomes)
    key = ("freeze", "sequential/model/compile_then_freeze/train_on_batch")
    changed[key] = {**changed[key], "verdict": "✅ works", "why": ""}  # as if Keras 3
    said = list(check.report(documents, changed, matrix))
    assert said[1].startswith("Closest: ")
    assert "which differ in 1 of 62 cases" in said[1]
    theirs = "theirs ❌ silently wrong (frozen weights train)"
    assert any(f"compile_then_freeze/train_on_batch: yours ✅ works, {theirs}" in line for line in said)
    printed = outcomes[key]["aspects"]["printed"]  # 2.15.1's, as the run recorded it
    changed[key] = {**outcomes[key], "aspects": {**outcomes[key]["aspects"], "printed": "1 / 2 / 3"}}
    said = list(check.report(documents, changed, matrix))  # the same verdict, another aspect: a difference too
    assert any(f"printed: yours 1 / 2 / 3, theirs {printed}" in line for line in said)


@pytest.mark.slow
def test_check_in_an_environment_of_ones_own(tmp_path: Path) -> None:
    """A venv as a user makes it, newest dependencies and all: TF 2.16.1 (never in the catalog), gan probe."""
    env = every_python(nox_env())
    venv = tmp_path / "mine"
    subprocess.run(["uv", "venv", "--quiet", "--python", "3.12", str(venv)], check=True, env=env)
    python = str(venv / "bin" / "python")
    # As a user resolves it, but on a fixed day, so that the test sees the same Keras (3.15.1) every time.
    install = ["uv", "pip", "install", "--quiet", "--python", python, "--exclude-newer", "2026-11-26"]
    subprocess.run([*install, "tensorflow-cpu==2.16.1"], check=True, env=env)
    command = ["tfmatrix", "--probes", str(ROOT / "probes"), "check", "--python", python, "--only", "gan"]
    done = subprocess.run(
        [*command, "--matrix", str(ROOT / "reports" / "matrix.json")],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("Your environment (python 3.12")
    assert "tensorflow 2.16.1" in lines[0]
    assert "keras 3.15.1" in lines[0]
    assert "12 cases of gan" in lines[0]
    assert lines[1].startswith("It behaves exactly like")  # TF 2.16.1 with today's Keras 3: as Keras 3.15.1 on TF
    assert "3.8.0 tensorflow – 3.15.1 tensorflow (Keras on tensorflow)" in lines[1]
    # The nearest others are Keras 2's: there the FAQ's recipe works, here its discriminator does not learn.
    wrong = "yours ❌ silently wrong (the discriminator does not learn in its own step), theirs ✅ works"
    assert f"    gan faq/false/fit: {wrong}" in lines
