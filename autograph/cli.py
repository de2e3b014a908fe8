"""The `autograph` command line: `autograph demo`, and the commands other modules add."""

from __future__ import annotations

import argparse
import sys


def _demo(args) -> int:
    from autograph.demo import run
    return 0 if run() else 1


def _verify(args) -> int:
    from autograph.verify.tutorial import run
    return 0 if run(steps=args.steps, diagrams=args.diagrams, format=args.format) else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="autograph", description="Reverse-mode automatic differentiation on numpy.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = commands.add_parser("demo", help="the tutorial's network: cost, gradients, checks")
    demo.set_defaults(run=_demo)
    verify = commands.add_parser(
        "verify", help="the tutorial's hand-derived gradients against reverse mode")
    verify.add_argument("--steps", type=int, default=100,
                        help="epoch of the tutorial's training loop to check (default 100)")
    verify.add_argument("--diagrams", metavar="DIR",
                        help="draw each network with its disagreeing weights in red into DIR")
    verify.add_argument("--format", choices=("dot", "svg", "png"), default="dot",
                        help="file format of --diagrams (svg and png need Graphviz)")
    verify.set_defaults(run=_verify)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 2
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
