"""Every probe on one real Keras 2 release (TF 2.1.0) and one real Keras 3 release (TF 2.21.0).

The expected outcomes are what those releases did in the recorded full run; the point is that a
fresh environment, built the way users build it, still answers the same; TF 2.1.0 runs every case
twice (`--repeat 2`), and every case must agree with its repeat.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import DATA, PROBES, ROOT, judged_outcomes, probes_with, run_probe_session
from tfmatrix import catalog, preflight, probes, results

KNOWN = probes.load_all(PROBES)
FREEZE = KNOWN["freeze"]


def outcome(result: results.Result, case_id: str) -> str:
    return FREEZE.judge(next(c for c in result["cases"] if c["id"] == case_id))["weights"]


def judged(found: dict[str, results.Result], probe: str, case_id: str) -> dict[str, str]:
    return KNOWN[probe].judge(next(c for c in found[probe]["cases"] if c["id"] == case_id))


def assert_same_as_committed(result: results.Result, variant: str) -> None:
    """Fixed seeds everywhere: a fresh environment answers as the committed run did, case for case, in the
    same packages (resolved as of the same day)."""
    committed = results.load_one(ROOT / "reports" / "results" / "freeze" / f"{variant}.json", {"freeze": FREEZE})
    assert judged_outcomes(result, FREEZE) == judged_outcomes(committed, FREEZE)
    assert result["environment"] == committed["environment"]


def assert_judged_as_committed(found: dict[str, results.Result], variant: str) -> None:
    """Every other probe: each case judged as in the committed run (messages may name other counters)."""
    for name, probe in KNOWN.items():
        committed = results.load_one(ROOT / "reports" / "results" / name / f"{variant}.json", KNOWN)
        assert found[name]["status"] == committed["status"] == "ok", name
        assert judged_outcomes(found[name], probe) == judged_outcomes(committed, probe), name


def assert_whole_grid(result: results.Result) -> None:
    cases = result["cases"]
    assert [c["status"] for c in cases] == ["ok"] * len(cases), [c["error"] for c in cases if c["error"]]
    for axis, spec in FREEZE.axes.items():  # every value of every axis is reached
        assert {c["axes"][axis] for c in cases if axis in c["axes"]} == set(spec["values"]), axis
    assert {c["group"] for c in cases} == set(FREEZE.groups)


def timing(order: str, train_api: str, run_eagerly: str = "false") -> str:
    return f"sequential/layer/{order}/{train_api}/dense/adam/{run_eagerly}"


@pytest.mark.slow
def test_keras_2_release_end_to_end_with_a_second_probe_in_the_same_process(tmp_path: Path) -> None:
    """Every probe of the directory runs in one process: the framework is imported once."""
    two = probes_with(tmp_path / "probes", DATA / "probes" / "promotion.py")
    found, output = run_probe_session("tensorflow-cpu-2.1.0", tmp_path, "--repeat", "2", probes_dir=two)
    assert output.count("tfmatrix-imported ") == 1
    assert_judged_as_committed(found, "tensorflow-cpu-2.1.0")
    result, promotion = found["freeze"], found["promotion"]
    assert promotion["status"] == "ok"
    assert promotion["environment"]["numpy"] == result["environment"]["numpy"] == "1.18.1"
    # NumPy 1.18 promotes a float32 scalar plus a Python float by value, to float64.
    assert {c["id"]: c["dtype"] for c in promotion["cases"]}["float32/float"] == "float64"
    for name in KNOWN:  # every case of every probe agrees with its repeat
        assert found[name]["repeat"] == 2, name
        assert [c["id"] for c in found[name]["cases"] if c["flaky"]] == [], name
    assert_same_as_committed(result, "tensorflow-cpu-2.1.0")
    assert result["environment"]["keras_flavour"] == "keras2"
    assert_whole_grid(result)
    assert outcome(result, timing("compile_then_freeze", "train_on_batch")) == "ignored"
    assert outcome(result, timing("compile_then_freeze", "fit", "true")) == "ignored"
    assert outcome(result, timing("compile_then_freeze", "custom_loop")) == "held"
    assert outcome(result, timing("compile_freeze_recompile", "fit")) == "held"
    assert outcome(result, timing("unfreeze_without_recompile", "train_on_batch")) == "stalled"
    # The workflows: Keras 2 restores the compile-time flags, and its optimizer takes new variables.
    assert judged(found, "finetune", "unfreeze/all/none/fit")["switched"] == "no_effect"
    assert judged(found, "finetune", "unfreeze/all/same_optimizer/train_on_batch")["switched"] == "took_effect"
    assert judged(found, "gan", "faq/false") == {
        "verdict": "works",  # Keras 2: the FAQ's recipe does what it means
        "why": "",
        "discriminator_in_gan": "held",
        "discriminator_step": "",
        "generator": "",
    }
    assert judged(found, "saving", "savedmodel/compile_then_freeze")["flags"] == "kept"


@pytest.mark.slow
def test_keras_3_release_end_to_end(tmp_path: Path) -> None:
    found = run_probe_session("tensorflow-cpu-2.21.0", tmp_path)[0]
    assert_judged_as_committed(found, "tensorflow-cpu-2.21.0")
    result = found["freeze"]
    assert_same_as_committed(result, "tensorflow-cpu-2.21.0")
    assert result["environment"]["keras_flavour"] == "keras3"
    assert result["environment"]["python"].startswith("3.13.")
    assert_whole_grid(result)
    assert outcome(result, timing("compile_then_freeze", "train_on_batch")) == "held"
    assert outcome(result, timing("freeze_after_first_step", "train_on_batch")) == "ignored"
    assert outcome(result, timing("freeze_after_first_step", "train_on_batch", "true")) == "held"
    assert outcome(result, timing("unfreeze_without_recompile", "fit")) == "held"
    # The workflows on Keras 3: a built optimizer refuses new variables, the FAQ's GAN never trains
    # its discriminator, a compiled .h5 does not load, and the witness sees AdamW's decay step exactly.
    assert judged(found, "finetune", "unfreeze/all/same_optimizer/fit")["switched"] == "💥 ValueError"
    assert judged(found, "finetune", "unfreeze/all/new_optimizer/fit")["batchnorm"] == "BN statistics updated"
    assert judged(found, "gan", "faq/false")["discriminator_step"] == "discriminator held in its own step"
    assert judged(found, "gan", "faq/false")["verdict"] == "silently wrong"
    assert judged(found, "gan", "toggle/false")["verdict"] == "works"  # the fix the report gives
    assert judged(found, "saving", "h5/freeze_then_compile")["flags"] == "💥 ValueError at load"
    adamw = {"verdict": "works", "why": "", "frozen": "held", "size": "", "witness": ""}
    assert judged(found, "optimizer_state", "adamw/fit") == adamw


def cpu_torch_unreachable(variant_id: str) -> str | None:
    """Why the variant's CPU build of torch cannot be installed here, or None. No public index has a local
    build (``+cpu``): only find-links do, as pip's configuration gives them on the project's machines and as
    a GitHub runner has none (the workflow's secret UV_FIND_LINKS is for the matrix, not the tests)."""
    (variant,) = [v for v in catalog.load(ROOT / "catalog.toml") if v.id == variant_id]
    (torch,) = [i for i in variant.installs if i.requirement.startswith("torch==")]
    uv = shutil.which("uv")
    assert uv is not None  # the tests' session installs it
    missing = preflight.uv_finds(uv, torch.requirement, variant.python, torch.resolved_as_of)
    if missing is None:
        return None
    return f"{torch.requirement} is on no index or find-links uv is configured with here ({missing}): set UV_FIND_LINKS"


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_keras_3_on_its_own_end_to_end(tmp_path: Path, backend: str) -> None:
    """`import keras` on jax, and on torch (its CPU build, through the find-links uv or pip are configured with)."""
    variant = f"keras-3.15.1-{backend}"
    if backend == "torch" and (why := cpu_torch_unreachable(variant)):
        pytest.skip(why)
    found = run_probe_session(variant, tmp_path)[0]
    assert_judged_as_committed(found, variant)
    result = found["freeze"]
    assert_same_as_committed(result, variant)
    environment = result["environment"]
    assert (environment["backend"], environment["keras"], environment["tensorflow"]) == (backend, "3.15.1", None)
    assert "tensorflow" not in environment["packages"]
    if backend == "torch":
        assert environment["backend_version"].endswith("+cpu")
        assert not [name for name in environment["packages"] if name.startswith("nvidia-")]
    # The backends part ways where a layer is frozen after the first training step: jax's trainer
    # refuses the changed variable list, torch honours the freeze (tensorflow's traced step ignores it).
    expected = {"jax": "error", "torch": "held"}[backend]
    assert outcome(result, timing("freeze_after_first_step", "train_on_batch")) == expected
    assert outcome(result, timing("freeze_after_first_step", "custom_loop")) == "held"  # the backend's own loop
    assert outcome(result, timing("compile_then_freeze", "fit")) == "held"
