"""``python -m aihwkit COMMAND [options]``: the package's command line."""

import argparse
import sys
from typing import Optional, Sequence

from aihwkit.demo import DemoError, build_parser, main as demo_main

COMMANDS = {"demo": "train a small analog network on embedded data, compare it with a "
                    "floating-point baseline and plot learning curves and device response"}


def _top_parser() -> argparse.ArgumentParser:
    demo_help = build_parser().format_help()
    epilog = "commands:\n" + "".join(f"  {name:8s}{text}\n" for name, text in COMMANDS.items())
    epilog += "\n" + demo_help
    parser = argparse.ArgumentParser(
        prog="python -m aihwkit", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="aihwkit: a simulator of analog in-memory computing in PyTorch.",
        epilog=epilog)
    parser.add_argument("command", choices=sorted(COMMANDS), help="command to run")
    return parser


def run(argv: Optional[Sequence[str]] = None) -> int:
    """Dispatch to a command; returns the exit status (2 for bad usage, one line)."""
    args = list(sys.argv[1:] if argv is None else argv)
    parser = _top_parser()
    if not args or args[0] in ("-h", "--help"):
        if args:
            parser.print_help()
            return 0
        print("python -m aihwkit: error: missing command (choose from "
              f"{', '.join(sorted(COMMANDS))}; see python -m aihwkit --help)", file=sys.stderr)
        return 2
    if args[0] not in COMMANDS:
        print(f"python -m aihwkit: error: unknown command {args[0]!r} (choose from "
              f"{', '.join(sorted(COMMANDS))}; see python -m aihwkit --help)", file=sys.stderr)
        return 2
    return demo_main(args[1:])


__all__ = ["run", "DemoError"]

if __name__ == "__main__":
    sys.exit(run())
