__version__ = "0.1.0"

# The nats-server release whose client-visible behaviour pynatsd implements; clients gate features on
# the `version` field of INFO, so this is what INFO and /varz report as `version`.
NATS_SERVER_VERSION = "2.15.1"


def _git_commit() -> str:
    """The short commit of a source checkout, read from .git without running git; else ""."""
    import os

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    git = os.path.join(root, ".git")
    try:
        with open(os.path.join(git, "HEAD")) as f:
            head = f.read().strip()
        if head.startswith("ref: "):
            ref = head[5:]
            path = os.path.join(git, ref)
            if os.path.exists(path):
                with open(path) as f:
                    return f.read().strip()[:7]
            with open(os.path.join(git, "packed-refs")) as f:
                for line in f:
                    if line.rstrip().endswith(" " + ref):
                        return line[:7]
            return ""
        return head[:7]
    except OSError:
        return ""


# INFO and /varz carry `git_commit` as nats-server does: the checkout's commit, else the version.
GIT_COMMIT = _git_commit() or __version__


def build_kind() -> str:
    """ "compiled" when the hot path was built with mypyc (scripts/compile), else "pure Python"."""
    from pynatsd.core import client

    return "compiled" if not client.__file__.endswith(".py") else "pure Python"
