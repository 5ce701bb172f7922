"""Run one case of one probe in this Python, and print its outcome as the matrix records it.

    python repro/run_case.py PROBE CASE_ID

What `tfmatrix repro` prints to reproduce a cell runs this in the environment it installs. It runs
the case as the harness does (fresh seeds, exceptions recorded), then prints its status and each aspect of the report as
``aspect: outcome`` lines, the same lines `tfmatrix repro` gives as the recorded outcome. Standard
library only, and Python 3.7: it runs in every release's environment, beside the probes.
"""

import json
import os
import sys

PROBES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "probes")


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: python repro/run_case.py PROBE CASE_ID\n")
        return 2
    name, wanted = argv
    sys.path.insert(0, PROBES)
    import _harness

    try:
        module = _harness.load(name)
    except _harness.ProbeError as exc:
        sys.stderr.write("repro: %s\n" % exc)
        return 2
    specs = [spec for spec in module.cases() if _harness.case_id(module, spec["axes"]) == wanted]
    if not specs:
        sys.stderr.write("repro: probes/%s.py has no case %r\n" % (name, wanted))
        return 2
    module.setup()
    case = _harness.run_case(module, specs[0])
    print(json.dumps({"case": wanted, "status": case["status"], "error": case["error"]}))
    judged = _harness.judged(module, case)
    for aspect, spec in _harness.aspects(module).items():  # the report's aspects, as its cells show them
        print("%s: %s" % (aspect, spec.get("symbols", {}).get(judged[aspect], judged[aspect])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
