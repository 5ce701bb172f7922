"""The scripts the matrix workflow runs, run here: a simulated fan-out and aggregate.

Each fan-out job gets its own clone and really probes its variant; the results are laid out as
actions/download-artifact lays them out; the aggregate job's script then rebuilds reports/ in
another clone. Results are deterministic, so the rebuilt report must equal the committed one,
which a local full run produced.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, judged_outcomes, nox_env
from tfmatrix import catalog, discover, probes, results

VARIANTS = ["tensorflow-cpu-2.1.0", "tensorflow-cpu-2.21.0"]
# The one probe the patch-release test probes for real (--probes, as if only it were stale): one carries
# a result through the jobs, and each further one adds most of a minute. The fan-out runs every probe:
# a result is made again as committed only after the probes that ran before it in the same process,
# since some warnings come once per process (TF 2.1's lazy import of collections ABCs) or after
# repeated calls (TF 2.21's tf.function retracing).
PROBED = "freeze"


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


def upload_and_download(job: Path, artifacts: Path) -> None:
    """What the workflow does with a job's upload/ folder: upload-artifact stores the folder's content
    (its path is the artifact's root), and download-artifact with merge-multiple extracts every
    artifact into the same folder."""
    shutil.copytree(job / "upload", artifacts, dirs_exist_ok=True)


def expected(*variants: str, only: dict[str, str] | None = None) -> str:
    """The discover job's variants output, which the aggregate job gets in VARIANTS: the probes to run in
    each variant, every probe or the one ``only`` names for it (as when only that probe changed)."""
    every, only = probes.names(ROOT / "probes"), only or {}
    return json.dumps([{"id": v, "python": "3.x", "probes": [only[v]] if v in only else every} for v in variants])


def tools_python(job: Path, tmp_path: Path) -> Path:
    """What a Python 3.7 job does in the python:3.7 image before probing: tools_python.sh, then the
    pinned tools into the Python 3.11 it put on PATH. That Python's path."""
    github_path = tmp_path / "github_path"
    done = script(job, "tools_python.sh", str(tmp_path / "temp"), env=nox_env() | {"GITHUB_PATH": str(github_path)})
    assert done.returncode == 0, done.stdout + done.stderr
    python = Path(github_path.read_text(encoding="utf-8").splitlines()[0], "python3.11")
    requirements = job / ".github" / "ci-requirements.txt"
    subprocess.run([python, "-m", "pip", "install", "--quiet", "-r", requirements], check=True)
    return python


def test_the_python_37_jobs_get_a_python_311_for_the_tools(tmp_path: Path) -> None:
    job = clone(tmp_path, "job")
    python = tools_python(job, tmp_path)
    assert python.parent == tmp_path / "temp" / "python3.11" / "bin"
    assert subprocess.run([python, "--version"], capture_output=True, text=True, check=True).stdout.startswith(
        "Python 3.11."
    )
    versions = subprocess.run([python, "-m", "pip", "freeze"], capture_output=True, text=True, check=True).stdout
    pins = (job / ".github" / "ci-requirements.txt").read_text(encoding="utf-8").split()
    assert {line for line in pins if "==" in line} <= set(versions.splitlines())


def test_the_python_37_jobs_trust_a_checkout_that_another_user_owns(tmp_path: Path) -> None:
    """In the python:3.7 image the job runs as root on a workspace the runner's user owns (uid 1001): git
    refuses it ("dubious ownership") until tools_python.sh, the jobs' first step after checkout, trusts it."""
    job = clone(tmp_path, "job")
    subprocess.run(["chown", "-R", "1001:1001", job], check=True)
    env = nox_env() | {"HOME": str(tmp_path / "home"), "GITHUB_PATH": str(tmp_path / "github_path")}
    (tmp_path / "home").mkdir()
    git_env = env | {"GIT_CONFIG_NOSYSTEM": "1"}
    refused = subprocess.run(["git", "ls-files"], cwd=job, env=git_env, capture_output=True, text=True, check=False)
    assert refused.returncode != 0
    assert "dubious ownership" in refused.stderr
    done = script(job, "tools_python.sh", str(tmp_path / "temp"), env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    listed = subprocess.run(["git", "ls-files"], cwd=job, env=git_env, capture_output=True, text=True, check=True)
    assert ".github/scripts/tools_python.sh" in listed.stdout.split()


def test_the_tests_job_gets_each_python_it_asks_for_on_path(tmp_path: Path) -> None:
    """tests.yml asks for 3.13 too (the end-to-end test of TF 2.21.0): python3.13 on PATH, with pip."""
    job = clone(tmp_path, "job")
    github_path = tmp_path / "github_path"
    done = script(job, "tools_python.sh", str(tmp_path), "3.13", env=nox_env() | {"GITHUB_PATH": str(github_path)})
    assert done.returncode == 0, done.stdout + done.stderr
    added = github_path.read_text(encoding="utf-8").splitlines()
    assert added == [str(tmp_path / "python3.11" / "bin"), str(tmp_path / "python3.13" / "bin")]
    pip = subprocess.run(
        [Path(added[1], "python3.13"), "-m", "pip", "--version"], capture_output=True, text=True, check=True
    )
    assert "(python 3.13)" in pip.stdout


def assert_made_again(fresh: Path) -> None:
    """``fresh`` answers as the committed result of its probe and variant did: made today, in the same
    packages, each case judged the same (not the raw values: another CPU rounds them differently)."""
    known = probes.load_all(ROOT / "probes")
    made = results.load_one(fresh, known)
    committed = results.load_one(ROOT / "reports" / "results" / fresh.parent.name / fresh.name, known)
    assert made["probed_on"] == dt.date.today().isoformat()
    assert (made["status"], made["environment"]) == (committed["status"], committed["environment"])
    probe = known[fresh.parent.name]
    assert judged_outcomes(made, probe) == judged_outcomes(committed, probe)


@pytest.mark.slow
def test_fan_out_then_aggregate_equals_the_local_full_run(tmp_path: Path) -> None:
    env = nox_env() | {"PYTHON": sys.executable}
    artifacts = tmp_path / "artifacts"
    for variant in VARIANTS:
        job = clone(tmp_path, f"job-{variant}")
        job_env = env
        if variant == "tensorflow-cpu-2.1.0":  # Python 3.7: in the workflow, a job in the python:3.7 image
            job_env = env | {"PYTHON": str(tools_python(job, tmp_path / variant))}
        done = script(job, "probe.sh", variant, "--force-all", env=job_env)
        assert done.returncode == 0, done.stdout + done.stderr
        assert f"{variant}" in done.stdout
        assert "done" in done.stdout  # really probed, not reused
        upload_and_download(job, artifacts)
    assert sorted(p.name for p in (artifacts / "logs").iterdir()) == sorted(
        f"{variant}{suffix}" for variant in VARIANTS for suffix in (".log", ".report.json")
    )
    aggregate = clone(tmp_path, "aggregate")
    summary = tmp_path / "summary.md"
    never_probed = "tensorflow-1.15.5"  # its job timed out, say: no artifact
    variants_env = {"GITHUB_STEP_SUMMARY": str(summary), "VARIANTS": expected(*VARIANTS, never_probed)}
    done = script(aggregate, "aggregate.sh", str(artifacts), env=env | variants_env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (aggregate / "reports" / "freeze-matrix.md").read_bytes() == (
        ROOT / "reports" / "freeze-matrix.md"
    ).read_bytes()
    for variant in VARIANTS:
        assert_made_again(artifacts / "results" / "freeze" / f"{variant}.json")
    assert (aggregate / "changes.txt").read_text(encoding="utf-8") == ""
    not_probed = [f"{never_probed} ({name})" for name in probes.names(ROOT / "probes")]
    assert (aggregate / "not_probed.txt").read_text(encoding="utf-8").splitlines() == not_probed
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("**Semantic changes:** 0\n\n**Failed attempts that replaced an ok result:** 0\n\n")
    listed = "".join(f"    {line}\n" for line in not_probed)
    assert f"**Not probed in this run (the committed result is kept):** {len(not_probed)}\n\n{listed}" in text


def discovered_a_patch(tmp_path: Path) -> Path:
    """The discover job's artifact the week TensorFlow 2.20.1 replaces 2.20.0 in the catalog: discover
    moved the entry and retired 2.20.0's results (with its own code), and uploaded both."""
    checkout = clone(tmp_path, "discover")
    path = checkout / "catalog.toml"
    before = {v.id for v in catalog.load(path, dt.date.today())}
    path.write_text(
        path.read_text(encoding="utf-8").replace('version = "2.20.0"', 'version = "2.20.1"'), encoding="utf-8"
    )
    after = {v.id for v in catalog.load(path, dt.date.today())}
    assert before - after == {"tensorflow-cpu-2.20.0", "tensorflow-cpu-2.20.0-tf-keras"}
    assert discover.retire(checkout / "reports" / "results", before, after)
    return checkout


@pytest.mark.slow
def test_a_new_patch_release_goes_through_the_probe_and_aggregate_jobs(tmp_path: Path) -> None:
    """Each job starts from discover's catalog and results, so no report meets a retired release."""
    env = nox_env() | {"PYTHON": sys.executable}
    discovered = discovered_a_patch(tmp_path)
    job = clone(tmp_path, "job")
    assert script(job, "start_from_discover.sh", str(discovered), env=env).returncode == 0
    done = script(job, "probe.sh", "tensorflow-cpu-2.1.0", "--force-all", "--probes", PROBED, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    artifacts = tmp_path / "artifacts"
    upload_and_download(job, artifacts)
    aggregate = clone(tmp_path, "aggregate")
    assert script(aggregate, "start_from_discover.sh", str(discovered), env=env).returncode == 0
    variants = expected("tensorflow-cpu-2.1.0", "tensorflow-cpu-2.20.1", only={"tensorflow-cpu-2.1.0": PROBED})
    done = script(aggregate, "aggregate.sh", str(artifacts), env=env | {"VARIANTS": variants})
    assert done.returncode == 0, done.stdout + done.stderr
    assert not list((aggregate / "reports" / "results").glob("*/tensorflow-cpu-2.20.0*.json"))
    assert "| 2.20.0 " not in (aggregate / "reports" / "freeze-matrix.md").read_text(encoding="utf-8")
    not_probed = (aggregate / "not_probed.txt").read_text(encoding="utf-8").splitlines()
    assert not_probed == [f"tensorflow-cpu-2.20.1 ({name})" for name in probes.names(ROOT / "probes")]


def test_jobs_refuse_a_discover_artifact_without_catalog_or_results(tmp_path: Path) -> None:
    job = clone(tmp_path, "job")
    (tmp_path / "discovered").mkdir()
    done = script(job, "start_from_discover.sh", str(tmp_path / "discovered"), env=dict(os.environ))
    assert done.returncode == 2
    assert "lacks catalog.toml or reports/results/" in done.stderr
    assert (job / "reports" / "results").is_dir()  # nothing removed


@pytest.mark.slow
def test_a_failed_attempt_fails_its_job_but_reaches_the_report(tmp_path: Path, misbehaving_dir: Path) -> None:
    env = nox_env() | {"PYTHON": sys.executable, "TFMATRIX_MISBEHAVE": '{"2.1.0": "crash"}'}
    job = clone(tmp_path, "job")
    options = ["--force-all", "--probes-dir", str(misbehaving_dir)]
    done = script(job, "probe.sh", "tensorflow-cpu-2.1.0", *options, env=env)
    assert done.returncode == 3, done.stdout + done.stderr  # the job shows red ...
    artifacts = tmp_path / "artifacts"
    upload_and_download(job, artifacts)  # ... and still uploads its result (`if: !cancelled()`)
    found = sorted(p.name for p in (artifacts / "results").iterdir())
    assert found == sorted([*probes.names(ROOT / "probes"), "misbehaving"])
    aggregate = clone(tmp_path, "aggregate")
    shutil.copy(misbehaving_dir / "misbehaving.py", aggregate / "probes")  # the report knows the probes that ran
    done = script(aggregate, "aggregate.sh", str(artifacts), env=env | {"VARIANTS": expected("tensorflow-cpu-2.1.0")})
    assert done.returncode == 0, done.stdout + done.stderr  # so the pull request step still runs
    report = (aggregate / "reports" / "misbehaving-matrix.md").read_text(encoding="utf-8")
    day = re.escape(dt.date.today().isoformat())
    crashed = rf"^\| 2\.1\.0 +\| 2020-01-08 +\| \*\*crashed\*\* +\| {day} +\| probe +\| killed by SIGSEGV +\|"
    assert re.search(crashed, report, re.MULTILINE)
    assert (aggregate / "changes.txt").read_text(encoding="utf-8") == ""  # a failure is not a semantic change
    assert_made_again(aggregate / "reports" / "results" / "freeze" / "tensorflow-cpu-2.1.0.json")


@pytest.mark.slow
def test_aggregate_rejects_a_broken_artifact(tmp_path: Path) -> None:
    env = nox_env() | {"PYTHON": sys.executable}
    broken = tmp_path / "artifacts" / "results" / "freeze"
    broken.mkdir(parents=True)
    (broken / "tensorflow-cpu-2.1.0.json").write_text('{"schema_version": 3', encoding="utf-8")
    aggregate = clone(tmp_path, "aggregate")
    done = script(aggregate, "aggregate.sh", str(tmp_path / "artifacts"), env=env | {"VARIANTS": expected()})
    assert done.returncode != 0
    assert "tensorflow-cpu-2.1.0.json: is not valid JSON" in done.stderr
    assert subprocess.run(["git", "diff", "--quiet"], check=False, cwd=aggregate).returncode == 0  # reports/ untouched


NOX_STAND_IN = f"""#!/usr/bin/env bash
# Stands in for `python -m nox -s matrix -- --only VARIANT --no-report ...`: writes $FAKE_CONTENT (else
# "fresh") to what FAKE_WRITES names (paths under the checkout), then exits with FAKE_STATUS. Any other
# use of the Python is the real one's.
if [ "$1" != -m ]; then exec {sys.executable} "$@"; fi
variant=$7
[ "$8" = --no-report ] || {{ echo "probe.sh must leave the reports to the report job" >&2; exit 9; }}
mkdir -p .nox/logs
echo "probed $variant" > ".nox/logs/$variant.log"
echo '{{"unwritten": []}}' > ".nox/logs/$variant.report.json"
for path in $FAKE_WRITES; do mkdir -p "$(dirname "$path")"; echo "${{FAKE_CONTENT:-fresh}}" > "$path"; done
exit "${{FAKE_STATUS:-0}}"
"""


def probe_job(tmp_path: Path, variant: str, writes: str, exit_status: int, content: str = "") -> tuple[Path, int]:
    """probe.sh in a fresh clone, nox replaced by the stand-in: the job's checkout and exit status."""
    job = clone(tmp_path, "job")
    stand_in = tmp_path / "python"
    stand_in.write_text(NOX_STAND_IN, encoding="utf-8")
    stand_in.chmod(0o755)
    env = os.environ | {"PYTHON": str(stand_in), "FAKE_WRITES": writes, "FAKE_STATUS": str(exit_status)}
    done = script(job, "probe.sh", variant, env=env | ({"FAKE_CONTENT": content} if content else {}))
    assert done.returncode != 9, done.stderr
    return job, done.returncode


@pytest.mark.parametrize(
    ("failure", "job_status"),
    [
        ({"phase": "install", "exit": "exit status 1", "message": "", "failing_since": "2026-10-05"}, 0),
        ({"phase": "install", "exit": "exit status 1", "message": ""}, 3),
    ],
    ids=["the-same-failure-again", "a-new-failure"],
)
def test_a_probe_job_is_red_for_a_new_failure_only(tmp_path: Path, failure: dict[str, str], job_status: int) -> None:
    """A failure that repeats one already reported is listed as persistent (aggregate.sh), not a red job
    every week: a new failure stands out."""
    failed = json.dumps({"status": "install-failed", "failure": failure})
    written = "reports/results/freeze/tensorflow-cpu-2.1.0.json"
    _, status = probe_job(tmp_path, "tensorflow-cpu-2.1.0", written, 3, content=failed)
    assert status == job_status


def test_probe_job_uploads_only_what_this_run_wrote(tmp_path: Path) -> None:
    """A result reused because it is current is already committed: uploading it would pass it off as fresh."""
    job, status = probe_job(tmp_path, "tensorflow-cpu-2.1.0", "", 0)
    assert status == 0
    assert list((job / "upload" / "results").iterdir()) == []
    assert (job / "upload" / "logs" / "tensorflow-cpu-2.1.0.log").read_text(
        encoding="utf-8"
    ) == "probed tensorflow-cpu-2.1.0\n"


def test_probe_job_uploads_its_results_even_when_a_later_step_failed(tmp_path: Path) -> None:
    """The nested report fails (exit 2) after the result was written: the job fails, the result is laid out."""
    written = "reports/results/freeze/tensorflow-cpu-2.1.0.json reports/results/gan/tensorflow-cpu-2.1.0.json"
    job, status = probe_job(tmp_path, "tensorflow-cpu-2.1.0", written, 2)
    assert status == 2
    laid_out = sorted(str(p.relative_to(job / "upload")) for p in (job / "upload" / "results").rglob("*.json"))
    assert laid_out == ["results/freeze/tensorflow-cpu-2.1.0.json", "results/gan/tensorflow-cpu-2.1.0.json"]


def test_aggregate_refuses_an_empty_set_of_artifacts(tmp_path: Path) -> None:
    aggregate = clone(tmp_path, "aggregate")
    (tmp_path / "artifacts").mkdir()
    done = script(aggregate, "aggregate.sh", str(tmp_path / "artifacts"), env=os.environ | {"VARIANTS": expected()})
    assert done.returncode == 2
    assert "holds no result files: no fan-out job uploaded any" in done.stderr


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
def jq(values, program):
    # The filters pull_request.sh uses, as gh's built-in jq runs them; anything else is refused.
    for stage in (part.strip() for part in program.split("|")):
        if stage == ".[]":
            continue
        elif stage == "select(.isCrossRepository":
            values = [v for v in values if not v["isCrossRepository"]]
        elif stage in ("not)", ".number"):
            values = values if stage == "not)" else [v["number"] for v in values]
        else:
            sys.exit("the stand-in's jq does not know: " + program)
    return values
if args[:2] == ["pr", "list"]:
    # --head is a branch name: forks' pull requests with the same branch name match too.
    found = [p for p in prs if p["head"] == option("--head") and p["state"] == option("--state").upper()]
    fields = option("--json").split(",")
    rows = [{field: p.get(field, False) for field in fields} for p in found]
    print("\n".join(str(v) for v in jq(rows, option("--jq"))))
elif args[:2] == ["pr", "create"]:
    if os.environ.get("GH_FORBID_CREATE"):
        sys.exit("pull request create failed: GraphQL: GitHub Actions is not permitted to create or approve "
                 "pull requests (createPullRequest)")
    prs.append({"number": len(prs) + 1, "head": option("--head"), "state": "OPEN", "body": option("--body-file")})
    print("https://github.invalid/pull/%d" % len(prs))
elif args[:2] == ["workflow", "run"]:
    pass  # recorded above; GitHub starts the workflow on the branch
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
        "pr list --head matrix/update --state open --json number,isCrossRepository "
        "--jq .[] | select(.isCrossRepository | not) | .number",
        "pr create --head matrix/update --title Matrix: regenerated reports --body-file body.md",
        "workflow run tests.yml --ref matrix/update",  # the tests run on the bot's branch
    ]
    body = (checkout / "body.md").read_text(encoding="utf-8")
    assert body.startswith("**Semantic changes:** 1\n\n    changed: 2.15.1 some/case weights: ignored -> held\n\n")
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
    assert calls.read_text(encoding="utf-8").splitlines()[-2:] == [
        "pr edit 1 --body-file body.md",
        "workflow run tests.yml --ref matrix/update",
    ]
    assert [p["state"] for p in pull_requests(env)] == ["OPEN"]


def test_the_pull_request_body_stays_under_githubs_limit_however_many_cells_flip(tmp_path: Path) -> None:
    """GitHub refuses a body above 65,536 characters, and would refuse it again every week."""
    env = pull_request_env(tmp_path)
    checkout = clone(tmp_path, "aggregate")
    regenerate(checkout, "\nregenerated\n")
    lines = "".join(f"changed: 2.{n}.0 some/case_{n} weights: {'x' * 900}\n" for n in range(20_000))
    for name in ("changes.txt", "failures.txt", "not_probed.txt"):
        (checkout / name).write_text(lines, encoding="utf-8")
    done = script(checkout, "pull_request.sh", env=env)
    assert done.returncode == 0, done.stderr
    body = (checkout / "body.md").read_text(encoding="utf-8")
    assert len(body) < 65_536
    assert body.count("... and 19960 more lines") == 3


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


def test_a_forks_pull_request_from_a_branch_of_the_same_name_is_left_alone(tmp_path: Path) -> None:
    env = pull_request_env(tmp_path)
    fork = {"number": 1, "head": "matrix/update", "state": "OPEN", "body": "a fork's", "isCrossRepository": True}
    Path(env["GH_PRS"]).write_text(json.dumps([fork]), encoding="utf-8")
    checkout = clone(tmp_path, "aggregate")
    regenerate(checkout, "\nthis week\n")
    done = script(checkout, "pull_request.sh", env=env)
    assert done.returncode == 0, done.stderr
    assert [(p["number"], p["body"]) for p in pull_requests(env)] == [(1, "a fork's"), (2, "body.md")]


def test_a_refused_pull_request_fails_the_step_and_says_why(tmp_path: Path) -> None:
    env = pull_request_env(tmp_path) | {"GH_FORBID_CREATE": "1"}
    checkout = clone(tmp_path, "aggregate")
    regenerate(checkout, "\nregenerated\n")
    done = script(checkout, "pull_request.sh", env=env)
    assert done.returncode != 0
    assert "GitHub Actions is not permitted to create or approve pull requests" in done.stderr


def test_the_publish_job_takes_only_what_the_pull_request_carries_from_the_artifact(tmp_path: Path) -> None:
    """The report job ran third-party code: a script in its artifact must not replace the checkout's."""
    job = clone(tmp_path, "publish")
    artifact = tmp_path / "report"
    shutil.copytree(job / "reports", artifact / "reports")
    (artifact / "reports" / "freeze-matrix.md").write_text("regenerated\n", encoding="utf-8")
    (artifact / "reports" / "results" / "freeze" / "tensorflow-cpu-2.1.0.json").unlink()  # retired
    shutil.copy(job / "catalog.toml", artifact / "catalog.toml")
    shutil.copy(job / "README.md", artifact / "README.md")
    (artifact / "changes.txt").write_text("changed: 2.15.1 some/case weights: ignored -> held\n", encoding="utf-8")
    planted = artifact / ".github" / "scripts" / "pull_request.sh"
    planted.parent.mkdir(parents=True)
    planted.write_text("#!/bin/sh\necho planted\n", encoding="utf-8")
    done = script(job, "take_report.sh", str(artifact), env=dict(os.environ))
    assert done.returncode == 0, done.stderr
    assert (job / "reports" / "freeze-matrix.md").read_text(encoding="utf-8") == "regenerated\n"
    assert not (job / "reports" / "results" / "freeze" / "tensorflow-cpu-2.1.0.json").exists()
    assert (job / "changes.txt").read_text(encoding="utf-8").startswith("changed: 2.15.1")
    assert (job / "failures.txt").read_text(encoding="utf-8") == ""  # a list the artifact lacks is empty
    pushed_by = job / ".github" / "scripts" / "pull_request.sh"
    assert pushed_by.read_bytes() == (ROOT / ".github" / "scripts" / "pull_request.sh").read_bytes()


@pytest.mark.parametrize("planted", ["link", "list-link", ".gitattributes"])
def test_the_publish_job_refuses_a_link_or_a_git_file_in_the_artifact(tmp_path: Path, planted: str) -> None:
    job = clone(tmp_path, "publish")
    artifact = tmp_path / "report"
    shutil.copytree(job / "reports", artifact / "reports")
    shutil.copy(job / "catalog.toml", artifact / "catalog.toml")
    shutil.copy(job / "README.md", artifact / "README.md")
    if planted == "link":
        (artifact / "reports" / "page" / "elsewhere.html").symlink_to("/etc/passwd")
    elif planted == "list-link":  # the pull request would quote the file it points to
        (artifact / "changes.txt").symlink_to("/etc/passwd")
    else:
        (artifact / "reports" / ".gitattributes").write_text("* filter=run\n", encoding="utf-8")
    done = script(job, "take_report.sh", str(artifact), env=dict(os.environ))
    assert done.returncode == 2
    assert "take_report.sh: refusing links and git files in the report artifact" in done.stderr
    assert subprocess.run(["git", "status", "--porcelain"], cwd=job, capture_output=True, check=True).stdout == b""


def bot_branch(tmp_path: Path) -> Path:
    """A remote whose main is this checkout's and whose matrix/update holds the bot's results: one newer than
    main's, one older, one of a variant the catalog no longer has."""
    remote = clone(tmp_path, "remote")
    main = subprocess.run(["git", "branch", "--show-current"], cwd=remote, capture_output=True, text=True, check=True)
    subprocess.run(["git", "switch", "--quiet", "-c", "matrix/update"], cwd=remote, check=True)
    results = remote / "reports" / "results"
    for path, day in [
        (results / "freeze" / "tensorflow-cpu-2.1.0.json", "2999-01-01"),
        (results / "gan" / "tensorflow-cpu-2.1.0.json", "2000-01-01"),
        (results / "freeze" / "tensorflow-cpu-2.0.0.json", "2999-01-01"),
    ]:
        source = results / "freeze" / "tensorflow-cpu-2.1.0.json"
        document = json.loads(source.read_text(encoding="utf-8"))
        path.write_text(json.dumps({**document, "probed_on": day}), encoding="utf-8")
    pinpoint = remote / "reports" / "pinpoint"
    shutil.copy(results / "freeze" / "tensorflow-cpu-2.1.0.json", pinpoint / "freeze" / "tensorflow-cpu-2.0.9.json")
    verdicts = json.loads((pinpoint / "pinpoint.json").read_text(encoding="utf-8"))
    some = next(iter(verdicts.values()))
    (pinpoint / "pinpoint.json").write_text(json.dumps({**verdicts, "freeze/bot@found": some}), encoding="utf-8")
    subprocess.run(["git", "add", "-A"], cwd=remote, check=True)
    who = ["-c", "user.name=bot", "-c", "user.email=bot@example.invalid"]
    subprocess.run(["git", *who, "commit", "--quiet", "-m", "bot"], cwd=remote, check=True)
    subprocess.run(["git", "switch", "--quiet", main.stdout.strip()], cwd=remote, check=True)
    return remote


def test_the_discover_job_starts_from_the_newer_results_of_the_bots_open_pull_request(tmp_path: Path) -> None:
    """While the bot's pull request waits, a week does not probe again what the week before probed."""
    remote = bot_branch(tmp_path)
    job = tmp_path / "discover"
    subprocess.run(["git", "clone", "--quiet", str(remote), str(job)], check=True)
    env = pull_request_env(tmp_path) | {"PYTHON": sys.executable}
    Path(env["GH_PRS"]).write_text(json.dumps([{"number": 1, "head": "matrix/update", "state": "OPEN"}]))
    done = script(job, "start_from_bot_branch.sh", env=env)
    assert done.returncode == 0, done.stderr
    assert "3 taken from matrix/update" in done.stdout  # a result, a release probed between, a verdict
    pinpoint = job / "reports" / "pinpoint"
    assert (pinpoint / "freeze" / "tensorflow-cpu-2.0.9.json").exists()
    verdicts = json.loads((pinpoint / "pinpoint.json").read_text(encoding="utf-8"))
    assert "freeze/bot@found" in verdicts
    assert {k: v for k, v in verdicts.items() if k != "freeze/bot@found"} == json.loads(
        (ROOT / "reports" / "pinpoint" / "pinpoint.json").read_text(encoding="utf-8")
    )  # main's own verdicts as they were
    results = job / "reports" / "results"
    assert (
        json.loads((results / "freeze" / "tensorflow-cpu-2.1.0.json").read_text(encoding="utf-8"))["probed_on"]
        == "2999-01-01"
    )
    assert (results / "gan" / "tensorflow-cpu-2.1.0.json").read_bytes() == (
        ROOT / "reports" / "results" / "gan" / "tensorflow-cpu-2.1.0.json"
    ).read_bytes()  # main's is newer
    assert not (results / "freeze" / "tensorflow-cpu-2.0.0.json").exists()  # not in the catalog


@pytest.mark.parametrize("pull_request", ["CLOSED", "MERGED", "none"])
def test_without_an_open_bot_pull_request_the_discover_job_starts_from_the_checkout(
    tmp_path: Path, pull_request: str
) -> None:
    """A pull request closed unmerged was rejected: its results are not proposed again."""
    remote = bot_branch(tmp_path)
    job = tmp_path / "discover"
    subprocess.run(["git", "clone", "--quiet", str(remote), str(job)], check=True)
    env = pull_request_env(tmp_path) | {"PYTHON": sys.executable}
    if pull_request != "none":
        Path(env["GH_PRS"]).write_text(json.dumps([{"number": 1, "head": "matrix/update", "state": pull_request}]))
    done = script(job, "start_from_bot_branch.sh", env=env)
    assert done.returncode == 0, done.stderr
    assert "no open pull request from matrix/update" in done.stdout
    assert subprocess.run(["git", "status", "--porcelain"], cwd=job, capture_output=True, check=True).stdout == b""


def test_the_pages_build_lays_out_the_page_and_everything_it_links_to(tmp_path: Path) -> None:
    """What the pages workflow's build job uploads: the page, what it links to, and no result file."""
    job = clone(tmp_path, "pages")
    done = script(job, "pages.sh", "site", env=nox_env())
    assert done.returncode == 0, done.stdout + done.stderr
    site = job / "site"
    assert not list(site.rglob("results"))
    assert not list(site.rglob("pinpoint"))
    page = site / "page" / "index.html"
    links = re.findall(r'(?:href|src)="([^"]+)"', page.read_text(encoding="utf-8"))
    data = json.loads(
        (site / "page" / "data.js").read_text(encoding="utf-8").removeprefix("window.TFMATRIX = ").rstrip(";\n")
    )
    reports = {link.split("#")[0] for q in data["questions"] for link in q["reports"].values()}
    for link in [*links, *(f"../{report}" for report in reports)]:
        assert (page.parent / link).resolve().is_file(), link
    assert "page/" in (site / "index.html").read_text(encoding="utf-8")
    (job / "reports" / "page" / "secrets").symlink_to("/etc/hostname")  # a link a pull request could merge
    done = script(job, "pages.sh", "site", env=nox_env())
    assert done.returncode == 1
    assert "pages: refusing links in reports/: reports/page/secrets" in done.stderr
    (job / "reports" / "page" / "secrets").unlink()
    (job / "reports" / "page" / "data.js").unlink()
    done = script(job, "pages.sh", "site", env=nox_env())
    assert done.returncode == 1
    assert "reports/page/data.js is missing: `nox -s report` writes it" in done.stderr


def test_a_matrix_run_queued_behind_another_waits_and_never_cancels_it() -> None:
    """A running run is never cancelled, its probes never wasted. GitHub's own rule that one waiting run per
    group survives (a later one cancels it) is in docs/scheduled-runs.md, with what to do about it."""
    workflow = (ROOT / ".github" / "workflows" / "matrix.yml").read_text(encoding="utf-8")
    assert "\nconcurrency:\n  group: matrix\n  cancel-in-progress: false\n" in workflow
    documented = (ROOT / "docs" / "scheduled-runs.md").read_text(encoding="utf-8")
    assert (
        "a forced dispatch queued behind a running run is lost if a push or the schedule queues after it" in documented
    )
