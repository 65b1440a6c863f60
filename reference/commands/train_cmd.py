"""``python -m reference train --corpus FILE --out DIR``: Algorithm 1 on your data, with Figure 2's outputs."""

import json
import sys

from ..experiments import figure2, train, user_data
from ..experiments.plotting import jsonable
from . import _options as opt

HELP = ("train on your data (--corpus or --samples FILE) with Algorithm 1: the assumption report, "
        "then Figure 2's six panels, CSV, JSON and trajectory in --out DIR")
INITS = ("zero", "random")


def add_arguments(parser):
    """Add the options of ``train`` to its sub-parser.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        Gets ``--corpus``/``--samples`` (one required), ``--out``, ``--eta0``, ``--eta``, ``--T``,
        ``--T1``, ``--init``, ``--init-norm``, ``--seed``, ``--json`` and an epilog.
    """
    d = train.TRAIN
    parser.epilog = ("The assumption report comes first: it says which statements are n/a on your data "
                     "because an assumption they need fails. Algorithm 1 needs a one-to-one collocation "
                     "(Assumption 1(i)) and at least one sentence where an optimal and a non-optimal token "
                     "meet. Exit status: 0 when the run is written, 2 on bad input (a malformed file, data "
                     "Algorithm 1 cannot run on). Runs longer than a few seconds print a progress line on "
                     "stderr. File formats: python -m reference docs tutorial (section 'Your own data').")
    user_data.add_data_options(parser, required=True)
    parser.add_argument("--out", required=True, metavar="DIR",
                        help="directory for train.{png,csv,json} and train_trajectory.{npz,json}")
    parser.add_argument("--eta0", default=None, metavar="ETA0",
                        help="stage-1 step, number > 0 (default 0.2/sqrt(d), the paper's recipe)")
    parser.add_argument("--eta", default=None, metavar="ETA",
                        help="stage-2 step, number > 0 (default 0.05/sqrt(d), the paper's recipe)")
    opt.add_iterations(parser, d["T"], d["T1"])
    parser.add_argument("--init", default=d["init"], metavar="{zero,random}",
                        help="zero (default): Algorithm 1 exactly; random: Gaussian start of norm --init-norm")
    parser.add_argument("--init-norm", default=d["init_norm"], metavar="R",
                        help=f"number > 0: Frobenius norm of each random initial matrix (default {d['init_norm']})")
    parser.add_argument("--seed", default=0, metavar="S", help="integer >= 0: seeds the random init (default 0)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def run(args):
    """Read the data, print the assumption report, train, write the files; return the exit status.

    Returns
    -------
    int
        0 once the run is written.

    Raises
    ------
    CorpusError
        A missing or malformed data file (file and line named).
    AssumptionError
        No one-to-one collocation: Algorithm 1 cannot run (printed after the assumption report).
    ConfigError
        A bad option, or a zero gradient (no ordered pair: ``W*_kq = 0``).
    """
    eta0 = None if args.eta0 is None else opt.positive("--eta0", args.eta0)
    eta = None if args.eta is None else opt.positive("--eta", args.eta)
    T, T1 = opt.iterations(args)
    init = opt.choice("--init", args.init, INITS)
    init_norm, seed = opt.positive("--init-norm", args.init_norm), opt.integer("--seed", args.seed)
    data = user_data.from_args(args)
    if not args.json:
        print("\n".join(data.lines()))
        print()
        sys.stdout.flush()
    data.require_trainable()
    result = train.run(data.ds, eta0=eta0, eta=eta, T=T, T1=T1, init=init, init_norm=init_norm, seed=seed)
    files = train.write(result, args.out, data=data)
    rep = result["report"]
    if args.json:
        json.dump(jsonable(rep), sys.stdout, indent=1)
        print()
        return 0
    c, f = rep["config"], rep["final"]
    print(f"Algorithm 1 on {data.name}: eta0 = {c['eta0']:.6g}, eta = {c['eta']:.6g}, init {c['init']}")
    print("\n".join(figure2.summary_lines(f, T, T1, files, accuracy="training accuracy")))
    return 0
