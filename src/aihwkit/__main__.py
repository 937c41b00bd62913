"""``python -m aihwkit demo [options]``."""

import sys

from aihwkit.demo import main


def _run() -> int:
    args = sys.argv[1:]
    if not args or args[0] != "demo":
        print("usage: python -m aihwkit demo [--config NAME] [--epochs N] ...")
        return 2
    return main(args[1:])


if __name__ == "__main__":
    sys.exit(_run())
