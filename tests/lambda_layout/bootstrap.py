"""Lambda's ``/var/runtime/bootstrap.py`` for the managed Python runtimes, the part that sets the paths.

Copied into the test runtime's ``LAMBDA_RUNTIME_DIR`` beside awslambdaric. As in Lambda, the function's
``sys.path`` becomes: the task root, ``/opt/python/lib/pythonX.Y/site-packages``, ``/opt/python``, then
the interpreter's own (the runtime directory, the standard library, the runtime's site-packages). The
``/opt`` entries are added only when the function sets no ``PYTHONPATH``; and ``PYTHONPATH`` is then set
to the runtime directory for child processes, which therefore do *not* see ``/opt/python``.

``--probe CODE`` sets the paths up the same way and runs ``CODE`` instead of the runtime loop (tests).
"""

import os
import site
import sys


def _opt_site_packages() -> str:
    return f"/opt/python/lib/python{sys.version_info.major}.{sys.version_info.minor}/site-packages"


def set_up_paths() -> None:
    pythonpath_set = "PYTHONPATH" in os.environ
    site.addsitedir(os.environ["LAMBDA_TASK_ROOT"])  # its .pth files, as Lambda does
    if not pythonpath_set:
        site.addsitedir(_opt_site_packages())
        site.addsitedir("/opt/python")
        sys.path.insert(0, "/opt/python")
        sys.path.insert(0, _opt_site_packages())
    sys.path.insert(0, os.environ["LAMBDA_TASK_ROOT"])
    if not pythonpath_set:
        os.environ["PYTHONPATH"] = os.environ["LAMBDA_RUNTIME_DIR"]


def main() -> None:
    set_up_paths()
    if len(sys.argv) == 3 and sys.argv[1] == "--probe":
        exec(compile(sys.argv[2], "<probe>", "exec"), {"__name__": "__probe__"})  # noqa: S102 - test code
        return
    from awslambdaric.__main__ import main as runtime_interface_client

    runtime_interface_client([sys.argv[0], os.environ["_HANDLER"]])


if __name__ == "__main__":
    main()
