"""Property tests. Loader: whatever bytes or JSON a result file holds, loading it either succeeds
or gives one InputError naming the file; never another exception. Renderer: whatever text a valid
result carries, every table row keeps its columns and no HTML gets through."""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import FAILED, PROBES, RECORDED
from tfmatrix import probes, render, results
from tfmatrix.errors import InputError

KNOWN = probes.load_all(PROBES)
VALID: dict[str, Any] = json.loads((RECORDED / "freeze" / "tensorflow-cpu-2.1.0.json").read_text(encoding="utf-8"))
# A real failed attempt (recorded under the stand-in probe), as the freeze probe's.
FAILED_ATTEMPT: dict[str, Any] = json.loads(
    (FAILED / "misbehaving" / "tensorflow-2.0.4.json").read_text(encoding="utf-8")
)
FAILED_ATTEMPT["probe"]["name"] = "freeze"
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


def load(content: bytes) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "result.json"
        path.write_bytes(content)
        try:
            document: dict[str, Any] | None = results.load_one(path, KNOWN)
            message = ""
        except InputError as exc:
            document, message = None, str(exc)
        if document is None:
            assert message.startswith(str(path))
            assert "\n" not in message
        else:
            assert document["schema_version"] == VALID["schema_version"]


@given(st.binary(max_size=200))
def test_arbitrary_bytes(content: bytes) -> None:
    load(content)


@given(st.integers(min_value=0, max_value=len(json.dumps(VALID)) - 1))
def test_truncated_result(cut: int) -> None:
    load(json.dumps(VALID).encode()[:cut])


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=60, deadline=None)
@given(st.data())
def test_one_field_replaced_by_any_json(data: st.DataObject) -> None:
    document = json.loads(json.dumps(VALID))
    node: Any = document
    while True:  # walk down to a random container, then replace one of its entries
        keys = list(node.keys()) if isinstance(node, dict) else list(range(len(node)))
        if not keys:
            break
        key = data.draw(st.sampled_from(keys))
        child = node[key]
        if isinstance(child, (dict, list)) and child and data.draw(st.booleans()):
            node = child
            continue
        node[key] = data.draw(JSON_VALUES)
        break
    load(json.dumps(document).encode())


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=40, deadline=None)
@given(st.text(max_size=40), st.text(max_size=40), st.text(max_size=80))
def test_renderer_keeps_tables_whole_whatever_text_results_carry(keras: str, numpy: str, message: str) -> None:
    document = json.loads(json.dumps(VALID))
    document["environment"]["keras"], document["environment"]["numpy"] = keras, numpy
    document["cases"][0]["status"] = "error"
    document["cases"][0]["error"] = {"type": "ValueError", "message": message}
    assert_tables_whole(render.render([document], KNOWN["freeze"]))


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=40, deadline=None)
@given(st.text(max_size=80), st.text(max_size=200))
def test_renderer_keeps_tables_whole_whatever_a_failed_attempt_says(exit: str, message: str) -> None:
    failed = json.loads(json.dumps(FAILED_ATTEMPT))
    failed["failure"]["exit"], failed["failure"]["message"] = exit, message
    assert_tables_whole(render.render([failed, VALID], KNOWN["freeze"]))


def assert_tables_whole(text: str) -> None:
    assert "<" not in "".join(line for line in text.splitlines() if line.startswith("|"))
    for table in text.split("\n\n"):
        rows = [line for line in table.splitlines() if line.startswith("|")]
        widths = {len(re.split(r"(?<!\\)\|", row.strip())) for row in rows}
        assert len(widths) <= 1, table
