"""The keras kind: Keras 3 on its own, one variant per backend, each installing its backend then Keras."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from pathlib import Path

import nox.virtualenv
import pandas as pd
import pytest
from packaging.version import Version

from conftest import RECORDED, ROOT, SEED_CASE_IDS, load_recorded
from tfmatrix import aggregate, attempt, catalog, index, probes, render, results
from tfmatrix.errors import InputError
from tfmatrix.kinds import report_name
from tfmatrix.variant import Install, Variant

ENTRY = '[[keras]]\nversion = "3.8.0"\npython = "3.11"\nresolved_as_of = 2025-01-14\n'
BASE = '[[release]]\nversion = "2.1.0"\ndistribution = "tensorflow-cpu"\npython = "3.7"\nresolved_as_of = 2020-01-15\n'


def load(tmp_path: Path, text: str) -> list[Variant]:
    path = tmp_path / "catalog.toml"
    path.write_text(BASE + text, encoding="utf-8")
    return [v for v in catalog.load(path) if v.kind == "keras"]


def test_an_entry_makes_a_tensorflow_and_a_jax_variant_and_torch_only_when_named(tmp_path: Path) -> None:
    plain = load(tmp_path, ENTRY)
    assert [v.id for v in plain] == ["keras-3.8.0-tensorflow", "keras-3.8.0-jax"]
    with_torch = load(tmp_path, ENTRY + 'torch = "2.13.0+cpu"\n')
    assert [v.id for v in with_torch] == ["keras-3.8.0-tensorflow", "keras-3.8.0-jax", "keras-3.8.0-torch"]
    day = dt.date(2025, 1, 14)
    keras = Install("keras==3.8.0", day, origin="keras[0].version")
    assert [v.installs for v in with_torch] == [
        (Install("tensorflow-cpu", day), keras),
        (Install("jax[cpu]", day), keras),
        (Install("torch==2.13.0+cpu", day, origin="keras[0].torch"), keras),
    ]
    assert [dict(v.environment) for v in with_torch] == [
        {"KERAS_BACKEND": "tensorflow"},
        {"KERAS_BACKEND": "jax"},
        {"KERAS_BACKEND": "torch"},
    ]
    assert [v.track for v in with_torch] == ["keras-tensorflow", "keras-jax", "keras-torch"]
    assert with_torch[2].entry["torch"] == "2.13.0+cpu"
    assert "torch" not in with_torch[0].entry  # a torch build changes only the torch variant's cache key


def test_install_commands_put_keras_last_as_of_the_entry_day(tmp_path: Path) -> None:
    variant = load(tmp_path, ENTRY)[1]
    commands = [attempt.install_command("uv", Path("py"), install) for install in variant.installs]
    assert [c[-3:] for c in commands] == [
        ["--exclude-newer", "2025-01-14", "jax[cpu]"],
        ["--exclude-newer", "2025-01-14", "keras==3.8.0"],
    ]


def test_the_catalog_has_every_keras_3_minor_line_on_three_backends(variants: list[Variant]) -> None:
    keras = [v for v in variants if v.kind == "keras"]
    lines = sorted({Version(v.version).release[:2] for v in keras})
    assert lines == [(3, minor) for minor in range(lines[-1][1] + 1)]
    assert lines[-1] >= (3, 15)
    for backend in ("tensorflow", "jax"):
        versions = [Version(v.version) for v in keras if v.track == f"keras-{backend}"]
        assert versions == sorted(versions)
        assert len(versions) == len(lines)
    torch_lines = sorted(Version(v.version).release[:2] for v in keras if v.track == "keras-torch")
    assert torch_lines == lines[-4:]  # at least the newest four lines, as the catalog's comment says


def test_keras_results_go_to_a_report_of_their_own() -> None:
    assert report_name("freeze", "tensorflow") == "freeze-matrix.md"
    assert report_name("freeze", "tf-nightly") == "freeze-matrix.md"
    assert report_name("freeze", "keras") == "freeze-keras3-matrix.md"


@pytest.mark.parametrize(
    ("extra", "field", "problem"),
    [
        ("torch = 2\n", "keras[0].torch", "expected a torch version"),
        ('torch = "2.13.0+cpu\\n--index-url=file:///x"\n', "keras[0].torch", "expected a torch version"),
        ('also_install = ["packaging --index-url=file:///x"]\n', "keras[0].also_install", "package names"),
        ('also_install = ["-e."]\n', "keras[0].also_install", "package names"),
        ('backend = "jax"\n', "keras[0].backend", "unknown field"),
    ],
)
def test_bad_keras_entry(tmp_path: Path, extra: str, field: str, problem: str) -> None:
    with pytest.raises(InputError) as caught:
        load(tmp_path, ENTRY + extra)
    assert str(caught.value).startswith(f"{tmp_path / 'catalog.toml'}: {field}: ")
    assert problem in str(caught.value)


def test_one_keras_release_written_two_ways_is_a_duplicate(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"keras\[1\]: duplicates keras\[0\] \(keras-3.8.0-tensorflow\)"):
        load(tmp_path, ENTRY + ENTRY.replace('"3.8.0"', '"3.8.0.0"'))


@pytest.mark.parametrize("version", ["2.15.0", "3.9.0rc1", "three", r"3.8.0\n", "v3.8.0", " 3.8.0"])
def test_a_keras_entry_must_name_a_final_keras_3_release(tmp_path: Path, version: str) -> None:
    with pytest.raises(InputError, match=r"keras\[0\]\.version: expected a"):
        load(tmp_path, ENTRY.replace("3.8.0", version))


def test_two_entries_of_one_release_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"keras\[1\]: duplicates keras\[0\]"):
        load(tmp_path, ENTRY + "\n" + ENTRY)


def test_uv_gets_pips_find_links_unless_it_has_its_own(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The CPU build of torch is offered through pip's find-links only; uv does not read pip's configuration."""
    config = tmp_path / "pip.conf"
    config.write_text(f"[global]\nfind-links = {tmp_path / 'a'}\n    {tmp_path / 'b'}\n", encoding="utf-8")
    monkeypatch.setenv("PIP_CONFIG_FILE", str(config))
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path / "c"))
    monkeypatch.delenv("UV_FIND_LINKS", raising=False)
    # nox's interpreter has pip in the README's commands; the tests' venv has none, so one with pip.
    subprocess.run([nox.virtualenv.UV, "venv", "--quiet", "--seed", str(tmp_path / "pip")], check=True)
    python = str(tmp_path / "pip" / "bin" / "python")
    found = index.pip_find_links(python)
    assert set(found) == {str(tmp_path / name) for name in "abc"}
    # nox in a venv without pip (as the tests run it): asked of the pip on PATH instead
    monkeypatch.setenv("PATH", f"{tmp_path / 'pip' / 'bin'}{os.pathsep}{os.environ['PATH']}")
    index.pip_find_links.cache_clear()
    assert index.pip_find_links(str(tmp_path / "no-python")) == found
    monkeypatch.setenv("UV_FIND_LINKS", str(tmp_path / "uv"))
    index.pip_find_links.cache_clear()
    assert index.pip_find_links(python) == ()
    index.pip_find_links.cache_clear()


def test_uv_options_repeat_find_links_for_each_location(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(index, "pip_find_links", lambda: ("/a", "/b"))
    assert index.uv_options() == ["--find-links", "/a", "--find-links", "/b"]


def test_the_seed_catalog_still_loads_from_the_repository() -> None:
    assert any(v.kind == "keras" for v in catalog.load(ROOT / "catalog.toml"))


def test_import_keras_behaves_as_tf_keras_on_the_same_keras_release(known: dict[str, probes.Probe]) -> None:
    """Keras 3.4.1 through tf.keras (TF 2.16.2 ships it) and through `import keras` on the tensorflow
    backend: every case of every probe, the seed notebook's included, is judged alike."""
    for name, probe in known.items():
        through_tf = results.load_one(RECORDED / name / "tensorflow-cpu-2.16.2.json", known)
        standalone = results.load_one(RECORDED / name / "keras-3.4.1-tensorflow.json", known)
        assert through_tf["environment"]["keras"] == standalone["environment"]["keras"] == "3.4.1"
        assert through_tf["environment"]["keras_flavour"] == "keras3"
        assert [probe.judge(c) for c in through_tf["cases"]] == [probe.judge(c) for c in standalone["cases"]], name
    cases = results.load_one(RECORDED / "freeze" / "keras-3.4.1-tensorflow.json", known)["cases"]
    assert len([c for c in cases if c["group"] == "seed"]) == len(SEED_CASE_IDS)  # the seed notebook's, compared


def test_the_backends_disagree_where_a_layer_is_frozen_after_the_first_step(
    variants: list[Variant], known: dict[str, probes.Probe]
) -> None:
    """The divergence table of the recorded Keras results: tensorflow's traced step ignores the freeze,
    jax's trainer refuses the changed variables, torch honours it."""
    freeze = known["freeze"]
    loaded = load_recorded(variants, known, view="keras3")
    report = render.render(render.views(loaded, freeze)["freeze-keras3-matrix.md"], freeze)
    timing = report.split("## Where the backends disagree")[1].split(freeze.groups["timing"]["question"])[1]
    timing = timing.split("\n*")[0]  # the tables of the timing question: one per question
    rows = [line for line in timing.splitlines() if line.startswith("| train\\_on\\_batch |")]
    tensorflow = "tensorflow: ❌ silently wrong: frozen<br>weights train (❌ trained)"
    assert any(f"{tensorflow}<br>jax: 💥 raises: ValueError<br>torch: ✅ works (✅ held)" in row for row in rows)
    assert any(
        "tensorflow: ✅ works (✅ held)<br>jax: 💥 raises: ValueError<br>torch: ✅ works (✅ held)" in r for r in rows
    )
    gan = known["gan"]
    gan_report = render.render(render.views(loaded, gan)["gan-keras3-matrix.md"], gan)
    assert "The backends agree in every case." in gan_report  # 3.6.0 raises alike on tensorflow and jax


def test_the_divergence_table_leaves_out_failed_attempts_and_versions_on_one_track() -> None:
    frame = pd.DataFrame(
        [
            {"case": "c", "version": "3.1.0", "track": "keras-tensorflow", "status": "ok", "cell": "held"},
            {"case": "c", "version": "3.1.0", "track": "keras-jax", "status": "import-failed", "cell": "x"},
            {"case": "c", "version": "3.2.0", "track": "keras-tensorflow", "status": "ok", "cell": "held"},
            {"case": "c", "version": "3.2.0", "track": "keras-jax", "status": "ok", "cell": "trained"},
            {"case": "c", "version": "3.10.0", "track": "keras-tensorflow", "status": "ok", "cell": "held"},
            {"case": "c", "version": "3.10.0", "track": "keras-jax", "status": "ok", "cell": "trained"},
            {"case": "d", "version": "3.2.0", "track": "keras-tensorflow", "status": "ok", "cell": "held"},
            {"case": "d", "version": "3.2.0", "track": "keras-jax", "status": "ok", "cell": "held"},
            {"case": "c", "version": "3.11.0", "track": "keras-torch", "status": "ok", "cell": "trained"},
        ]
    ).assign(lead=lambda f: f["cell"])
    table = aggregate.disagreements(frame, "cell", "lead")
    assert table.to_dict() == {"3.2.0 – 3.10.0": {"c": "tensorflow: held\njax: trained"}}
