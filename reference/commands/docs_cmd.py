"""``python -m reference docs [NAME]``: the documentation, in a clone or after a plain ``pip install``.

Without NAME: every document with its title and where it is. With NAME
(``tutorial``, ``paper``, ``theory``, ...): the document's text, or with
``--path`` only its path (to open it in an editor, or the notebook in Jupyter).
"""

import os

from ..errors import ConfigError
from ._about import docs_dir

HELP = "list the documentation (tutorial, the paper's mathematics, ...) or print one document or its path"

EPILOG = ("Examples: 'python -m reference docs' lists the documents; 'python -m reference docs tutorial' "
          "prints the tutorial; 'python -m reference docs tutorial.ipynb --path' gives the path of the "
          "tutorial's notebook. The documents are installed with the package (share/doc/reference).")


def add_arguments(parser):
    """Add ``NAME`` (optional) and ``--path`` to the sub-parser of ``docs``.

    Parameters
    ----------
    parser : argparse.ArgumentParser
    """
    parser.epilog = EPILOG
    parser.add_argument("name", nargs="?", metavar="NAME",
                        help="a document: tutorial, paper, theory, ... (a name of the list; '.md' may be left out)")
    parser.add_argument("--path", action="store_true", help="print the document's path (or the folder's) instead")


def _title(path):
    if not path.endswith(".md"):
        return "the tutorial as a Jupyter notebook" if path.endswith("tutorial.ipynb") else ""
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("# "):
                return line[2:].strip()
    return ""


def _documents(folder):
    return sorted(f for f in os.listdir(folder) if f.endswith((".md", ".ipynb")))


def run(args):
    """Print the list of documents, a document, or a path; return 0.

    Raises
    ------
    ConfigError
        The documents cannot be found (an incomplete installation), or NAME is not one of them.
    """
    folder = docs_dir()
    if folder is None:
        raise ConfigError("the documentation is not installed beside the package (expected "
                          "share/doc/reference/docs under the installation prefix); it is also in the "
                          "source repository's docs/ folder")
    docs = _documents(folder)
    if args.name is None:
        if args.path:
            print(folder)
            return 0
        print(f"Documentation in {folder}:")
        for f in docs:
            print(f"  {f[:-3] if f.endswith('.md') else f:<16} {_title(os.path.join(folder, f))}")
        print(f"'{args._parser.prog} NAME' prints one; add --path for its path. Start with 'tutorial'.")
        return 0
    name = args.name if args.name in docs else f"{args.name}.md"
    if name not in docs:
        raise ConfigError(f"no document {args.name!r}; the documents are: "
                          + ", ".join(f[:-3] if f.endswith(".md") else f for f in docs))
    path = os.path.join(folder, name)
    if args.path:
        print(path)
        return 0
    with open(path, encoding="utf-8") as f:
        print(f.read(), end="")
    return 0
