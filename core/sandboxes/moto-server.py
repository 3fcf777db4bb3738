"""moto's server under a memory limit of its own, logging warnings only: run by core/sandboxes/moto.ts.

usage: python -I -B -u moto-server.py <memory limit, bytes> <moto_server script> [moto_server's arguments]
"""

import logging
import resource
import runpy
import sys
import threading

limit = int(sys.argv[1])
# Python has no heap limit of its own (as Node's --max-old-space-size is): RLIMIT_DATA at the sandbox's memory,
# set by the process itself, makes an allocation past it a MemoryError. The sandbox's own RLIMIT_DATA is that
# plus the reserve of the Node forwarder beside it.
resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
# werkzeug serves each connection on a thread of its own, and a thread's stack counts against RLIMIT_DATA: at
# glibc's default (RLIMIT_STACK, 8 MiB) 50 parallel requests would take 400 MiB, and past the limit a new
# connection is left unanswered ("can't start new thread", seen at 128 MiB with 20 parallel puts). 2 MiB is
# ample for moto's handlers (since Python 3.11 a call between Python functions takes no C stack).
threading.stack_size(2 * 1024 * 1024)
# werkzeug logs every request at INFO; the worker's log gets warnings and errors.
logging.getLogger("werkzeug").setLevel(logging.WARNING)
sys.argv = sys.argv[2:]
runpy.run_path(sys.argv[0], run_name="__main__")
