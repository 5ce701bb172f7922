"""Stand-in probe for the failure tests: imports TensorFlow as the real probe does, then misbehaves.

TFMATRIX_MISBEHAVE is a JSON object from TensorFlow version to what to do after the import:
"crash" (a real SIGSEGV), "hang" (sleep until killed) or "quiet" (exit 0 without writing output).
Python 3.7 syntax: it runs inside the oldest environments.
"""

import json
import os
import signal
import sys
import time

import tensorflow as tf

sys.stderr.write("tfmatrix-imported tensorflow %s\n" % tf.__version__)
sys.stderr.flush()
plan = json.loads(os.environ["TFMATRIX_MISBEHAVE"]).get(tf.__version__)
if plan == "crash":
    os.kill(os.getpid(), signal.SIGSEGV)
elif plan == "hang":
    print("hanging", flush=True)
    time.sleep(3600)
elif plan == "quiet":
    sys.exit(0)
sys.exit("no plan for TensorFlow %s in TFMATRIX_MISBEHAVE" % tf.__version__)
