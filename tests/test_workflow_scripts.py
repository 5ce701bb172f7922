"""The scripts the matrix workflow runs, run here: a simulated fan-out and aggregate.

Each fan-out job gets its own clone and really probes its variant; the results are laid out as
actions/download-artifact lays them out; the aggregate job's script then rebuilds reports/ in
another clone. Results are deterministic, so the rebuilt report must equal the committed one,
which a local full run produced.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, nox_env
from tfmatrix import probes

VARIANTS = ["tensorflow-cpu-2.1.0", "tensorflow-cpu-2.21.0"]


def clone(tmp_path: Path, name: str) -> Path:
    target = tmp_path / name
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(target)], check=True)
    return target


def script(checkout: Path, name: str, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(checkout / ".github" / "scripts" / name), *args],
        check=False,
        cwd=checkout,
        env=env,
        text=True,
        capture_output=True,
    )


@pytest.mark.slow
def test_fan_out_then_aggregate_equals_the_local_full_run(tmp_path: Path) -> None:
    env = nox_env() | {"PYTHON": sys.executable}
    artifacts = tmp_path / "artifacts"
    for variant in VARIANTS:
        job = clone(tmp_path, f"job-{variant}")
        done = script(job, "probe.sh", variant, "--force-all", env=env)
        assert done.returncode == 0, done.stdout + done.stderr
        assert f"{variant}" in done.stdout
        assert "done" in done.stdout  # really probed, not reused
        shutil.copytree(job / "results", artifacts / f"result-{variant}" / "results")
    aggregate = clone(tmp_path, "aggregate")
    summary = tmp_path / "summary.md"
    done = script(aggregate, "aggregate.sh", str(artifacts), env=env | {"GITHUB_STEP_SUMMARY": str(summary)})
    assert done.returncode == 0, done.stdout + done.stderr
    assert (aggregate / "reports" / "freeze-matrix.md").read_bytes() == (
        ROOT / "reports" / "freeze-matrix.md"
    ).read_bytes()
    for variant in VARIANTS:
        fresh = (artifacts / f"result-{variant}" / "results" / "freeze" / f"{variant}.json").read_bytes()
        assert fresh == (ROOT / "reports" / "results" / "freeze" / f"{variant}.json").read_bytes()
    assert (aggregate / "changes.txt").read_text(encoding="utf-8") == ""
    assert summary.read_text(encoding="utf-8").startswith("## Semantic changes\nNone.\n")


@pytest.mark.slow
def test_a_failed_attempt_fails_its_job_but_reaches_the_report(tmp_path: Path, misbehaving_dir: Path) -> None:
    env = nox_env() | {"PYTHON": sys.executable, "TFMATRIX_MISBEHAVE": '{"2.1.0": "crash"}'}
    job = clone(tmp_path, "job")
    options = ["--force-all", "--probes-dir", str(misbehaving_dir)]
    done = script(job, "probe.sh", "tensorflow-cpu-2.1.0", *options, env=env)
    assert done.returncode == 3, done.stdout + done.stderr  # the job shows red ...
    artifact = tmp_path / "artifacts" / "result-tensorflow-cpu-2.1.0" / "results"
    shutil.copytree(job / "results", artifact)  # ... and still uploads its result (`if: !cancelled()`)
    assert sorted(p.name for p in artifact.iterdir()) == sorted([*probes.names(ROOT / "probes"), "misbehaving"])
    aggregate = clone(tmp_path, "aggregate")
    shutil.copy(misbehaving_dir / "misbehaving.py", aggregate / "probes")  # the report knows the probes that ran
    done = script(aggregate, "aggregate.sh", str(tmp_path / "artifacts"), env=env)
    assert done.returncode == 0, done.stdout + done.stderr  # so the pull request step still runs
    report = (aggregate / "reports" / "misbehaving-matrix.md").read_text(encoding="utf-8")
    assert re.search(r"^\| 2\.1\.0 +\| \*\*crashed\*\* +\| probe +\| killed by SIGSEGV +\|", report, re.MULTILINE)
    assert (aggregate / "changes.txt").read_text(encoding="utf-8") == ""  # a failure is not a semantic change
    freeze = (aggregate / "reports" / "results" / "freeze" / "tensorflow-cpu-2.1.0.json").read_bytes()
    assert freeze == (ROOT / "reports" / "results" / "freeze" / "tensorflow-cpu-2.1.0.json").read_bytes()


@pytest.mark.slow
def test_aggregate_rejects_a_broken_artifact(tmp_path: Path) -> None:
    env = nox_env() | {"PYTHON": sys.executable}
    broken = tmp_path / "artifacts" / "result-tensorflow-cpu-2.1.0" / "results" / "freeze"
    broken.mkdir(parents=True)
    (broken / "tensorflow-cpu-2.1.0.json").write_text('{"schema_version": 3', encoding="utf-8")
    aggregate = clone(tmp_path, "aggregate")
    done = script(aggregate, "aggregate.sh", str(tmp_path / "artifacts"), env=env)
    assert done.returncode != 0
    assert "tensorflow-cpu-2.1.0.json: is not valid JSON" in done.stderr
    assert subprocess.run(["git", "diff", "--quiet"], check=False, cwd=aggregate).returncode == 0  # reports/ untouched


GH_STAND_IN = r"""#!/usr/bin/env python3
# Stands in for gh's pull request commands as cli/cli behaves: pull requests of every state live in
# $GH_PRS (JSON); `pr list --state open` lists only open ones, `pr edit <branch>` finds one in any
# state (findForBranch), `pr create` fails as GitHub does when Actions may not create pull requests.
import json, os, sys
store = os.environ["GH_PRS"]
prs = json.load(open(store)) if os.path.exists(store) else []
args = sys.argv[1:]
with open(os.environ["GH_CALLS"], "a") as calls:
    calls.write(" ".join(args) + "\n")
def option(name):
    return args[args.index(name) + 1]
if args[:2] == ["pr", "list"]:
    found = [p for p in prs if p["head"] == option("--head") and p["state"] == option("--state").upper()]
    print("\n".join(str(p["number"]) for p in found))
elif args[:2] == ["pr", "create"]:
    if os.environ.get("GH_FORBID_CREATE"):
        sys.exit("pull request create failed: GraphQL: GitHub Actions is not permitted to create or approve "
                 "pull requests (createPullRequest)")
    prs.append({"number": len(prs) + 1, "head": option("--head"), "state": "OPEN", "body": option("--body-file")})
    print("https://github.invalid/pull/%d" % len(prs))
elif args[:2] == ["pr", "edit"]:
    mine = [p for p in prs if str(p["number"]) == args[2] or p["head"] == args[2]]
    if not mine:
        sys.exit("no pull requests found for branch %r" % args[2])
    mine[-1]["body"] = option("--body-file")
else:
    sys.exit("the stand-in does not know: gh " + " ".join(args))
json.dump(prs, open(store, "w"))
"""


def pull_request_env(tmp_path: Path) -> dict[str, str]:
    """A bare remote to push to, and the gh stand-in first on PATH with its pull requests in gh-prs.json."""
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "--quiet", "--bare", str(remote)], check=True)
    tools = tmp_path / "bin"
    tools.mkdir()
    (tools / "gh").write_text(GH_STAND_IN, encoding="utf-8")
    (tools / "gh").chmod(0o755)
    return os.environ | {
        "PATH": f"{tools}:{os.environ['PATH']}",
        "PUSH_URL": str(remote),
        "GH_CALLS": str(tmp_path / "gh-calls"),
        "GH_PRS": str(tmp_path / "gh-prs.json"),
    }


def regenerate(checkout: Path, text: str) -> None:
    with (checkout / "reports" / "freeze-matrix.md").open("a", encoding="utf-8") as report:
        report.write(text)


def pull_requests(env: dict[str, str]) -> list[dict[str, object]]:
    return list(json.loads(Path(env["GH_PRS"]).read_text(encoding="utf-8")))


def test_pull_request_step_pushes_the_branch_and_opens_then_updates_one_pull_request(tmp_path: Path) -> None:
    env = pull_request_env(tmp_path)
    calls = Path(env["GH_CALLS"])
    checkout = clone(tmp_path, "aggregate")

    unchanged = script(checkout, "pull_request.sh", env=env)
    assert unchanged.returncode == 0, unchanged.stderr
    assert "no pull request" in unchanged.stdout
    assert not calls.exists()

    regenerate(checkout, "\nregenerated\n")
    (checkout / "changes.txt").write_text("changed: 2.15.1 some/case weights: ignored -> held\n", encoding="utf-8")
    first = script(checkout, "pull_request.sh", env=env)
    assert first.returncode == 0, first.stderr
    assert calls.read_text(encoding="utf-8").splitlines() == [
        "pr list --head matrix/update --state open --json number --jq .[].number",
        "pr create --head matrix/update --title Matrix: regenerated reports --body-file body.md",
    ]
    body = (checkout / "body.md").read_text(encoding="utf-8")
    assert body.startswith("**Semantic changes:**\n```\nchanged: 2.15.1 some/case weights: ignored -> held\n```\n")
    pushed = subprocess.run(
        ["git", "--git-dir", env["PUSH_URL"], "show", "matrix/update:reports/freeze-matrix.md"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert pushed.endswith("\nregenerated\n")

    regenerate(checkout, "again\n")
    second = script(checkout, "pull_request.sh", env=env)
    assert second.returncode == 0, second.stderr
    assert calls.read_text(encoding="utf-8").splitlines()[-1] == "pr edit 1 --body-file body.md"
    assert [p["state"] for p in pull_requests(env)] == ["OPEN"]


def test_after_the_bot_pull_request_is_merged_the_next_run_opens_a_new_one(tmp_path: Path) -> None:
    env = pull_request_env(tmp_path)
    Path(env["GH_PRS"]).write_text(
        json.dumps([{"number": 1, "head": "matrix/update", "state": "MERGED", "body": "last week"}]), encoding="utf-8"
    )
    checkout = clone(tmp_path, "aggregate")
    regenerate(checkout, "\nthis week\n")
    done = script(checkout, "pull_request.sh", env=env)
    assert done.returncode == 0, done.stderr
    assert [(p["number"], p["state"], p["body"]) for p in pull_requests(env)] == [
        (1, "MERGED", "last week"),
        (2, "OPEN", "body.md"),
    ]


def test_a_refused_pull_request_fails_the_step_and_says_why(tmp_path: Path) -> None:
    env = pull_request_env(tmp_path) | {"GH_FORBID_CREATE": "1"}
    checkout = clone(tmp_path, "aggregate")
    regenerate(checkout, "\nregenerated\n")
    done = script(checkout, "pull_request.sh", env=env)
    assert done.returncode != 0
    assert "GitHub Actions is not permitted to create or approve pull requests" in done.stderr
