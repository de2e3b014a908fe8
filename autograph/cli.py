"""The `autograph` command line: `autograph demo`, and the commands other modules add."""

from __future__ import annotations

import argparse
import sys


FORMAT = "svg"      # the default --format of every command that draws


def _demo(args) -> int:
    from autograph.tutorial.demo import run
    return 0 if run(args.out, quick=args.quick, open_browser=args.open) else 1


def _verify(args) -> int:
    from autograph.tutorial.derivations import run
    return 0 if run(steps=args.steps, diagrams=args.diagrams, format=args.format) else 1


def _draw(args) -> int:
    from autograph.commands.draw_model import draw_model
    from autograph.tutorial.draw import draw_tutorial
    if args.model:
        # The heading goes out with draw_model's first line, which comes once the file has
        # been read: a file that cannot be read gets its error alone, not "the model saved in".
        heading = [f"autograph draw: the model saved in {args.model}"]

        def out(line: str) -> None:
            if heading:
                print(heading.pop())
            print(line)
        draw_model(args.model, args.out, args.format, args.hidden, args.output, out=out)
    else:
        print("autograph draw: the tutorial's networks, as operation graphs and network "
              "diagrams")
        draw_tutorial(args.out, args.format)
    return 0


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    from autograph import __version__
    parser = argparse.ArgumentParser(
        prog="autograph", description="Reverse-mode automatic differentiation on numpy.")
    parser.add_argument("--version", action="version", version=f"autograph {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = commands.add_parser(
        "demo", help="the tutorial, end to end, as an HTML report",
        description="Walk through the tutorial 'Building a Multilayer Perceptron' section by "
                    "section and write DIR/index.html with its figures beside it: every number "
                    "the tutorial prints, recomputed, with a mark saying whether it agrees; "
                    "every mistake the tutorial makes, caught by autograph's gradient verifier "
                    "or explained where it occurs; diagrams of each network; its training loop "
                    "as it ran and corrected. Prints a short summary; exit code 0 when every "
                    "printed number is reproduced and every check is as expected.")
    demo.add_argument("--out", metavar="DIR", default="autograph-demo",
                      help="folder to write the report to (default ./autograph-demo/)")
    demo.add_argument("--open", action="store_true",
                      help="open the report in a web browser when it is written")
    demo.add_argument("--quick", action="store_true",
                      help="fewer timing repetitions and training epochs (for tests)")
    demo.set_defaults(run=_demo)
    verify = commands.add_parser(
        "verify", help="the tutorial's hand-derived gradients against reverse mode",
        description="Check every gradient formula of the tutorial 'Building a Multilayer "
                    "Perceptron' (sections 2.2-2.3 and its training loop), as printed and as "
                    "corrected, against autograph's reverse mode, entry by entry "
                    "(autograph.verify.check_gradients). Prints each check with the "
                    "disagreeing entries and a diagnosis (a sign flip, a transpose, a missing "
                    "sum, ...); with --diagrams, draws each failing network with its "
                    "disagreeing weights in red. Exit code 0 when every right formula passes "
                    "and every wrong one fails.")
    verify.add_argument("--steps", type=_count, default=100,
                        help="epoch of the tutorial's training loop to check (default 100)")
    verify.add_argument("--diagrams", metavar="DIR",
                        help="draw each network with its disagreeing weights in red into DIR")
    verify.add_argument("--format", choices=("svg", "png", "dot"), default=FORMAT,
                        help=f"file format of --diagrams (default {FORMAT})")
    verify.set_defaults(run=_verify)
    draw = commands.add_parser(
        "draw", help="the tutorial's networks as operation graphs and network diagrams",
        description="Draw the networks of the tutorial 'Building a Multilayer Perceptron' "
                    "into DIR (--out), each twice: as a network diagram (one circle per unit, "
                    "one edge per weight) and as the operation graph autograph records. With "
                    "--model FILE.npz, draw a model saved by autograph.nn.save instead, as it "
                    "was trained (its file states the architecture). svg and png need a "
                    "Graphviz renderer (graphviz-pure or dot); --format dot writes the DOT "
                    "source only.")
    draw.add_argument("--out", metavar="DIR", default="diagrams",
                      help="folder to write to (default ./diagrams/)")
    draw.add_argument("--format", choices=("svg", "png", "dot"), default=FORMAT,
                      help=f"file format (default {FORMAT})")
    draw.add_argument("--model", metavar="FILE.npz",
                      help="draw this MLP, saved by autograph.nn.save, instead")
    draw.add_argument("--hidden",
                      help="for files that do not state their architecture (older ones): "
                           "the hidden activation (default relu)")
    draw.add_argument("--output",
                      help="for files that do not state their architecture: the output "
                           "units (default linear)")
    draw.set_defaults(run=_draw)
    return parser


def _reported_errors() -> tuple:
    """Errors shown as one line: a missing or unreadable file, no renderer, a failed one."""
    try:
        from autograph.diagrams import RenderError, RendererNotFound
    except ImportError:
        return OSError, ValueError
    return OSError, ValueError, RenderError, RendererNotFound


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 2
    try:
        return args.run(args)
    except KeyboardInterrupt:                    # Ctrl-C: one line, the shell's status for it
        print(f"\nautograph {args.command}: interrupted", file=sys.stderr)
        return 130
    except _reported_errors() as error:
        print(f"autograph {args.command}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
