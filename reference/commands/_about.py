"""The package's version and where its documentation is, in a clone and after ``pip install``.

The documents of ``docs/`` are installed beside the package as data files
(setup.cfg, ``[options.data_files]``: ``<prefix>/share/doc/reference/``), so
``python -m reference docs`` can print them or their path after a plain
``pip install``; in a clone they are read from ``docs/`` itself.
"""

import configparser
import os
import site
import sysconfig
from importlib import metadata

DIST = "reference"
#: Where the documents go below an installation prefix (setup.cfg, [options.data_files]).
DOC_SUBDIR = os.path.join("share", "doc", "reference")
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def version():
    """The installed version (setup.cfg's ``version``); read from setup.cfg when run from an uninstalled clone.

    Returns
    -------
    str
    """
    try:
        return metadata.version(DIST)
    except metadata.PackageNotFoundError:
        cfg = configparser.ConfigParser()
        cfg.read(os.path.join(os.path.dirname(_PACKAGE_DIR), "setup.cfg"), encoding="utf-8")
        return cfg.get("metadata", "version", fallback="unknown (not installed)")


def _candidates():
    """Directories that may hold ``tutorial.md``, most specific first."""
    yield os.path.join(os.path.dirname(_PACKAGE_DIR), "docs")                  # a clone (or an editable install)
    try:
        for f in metadata.distribution(DIST).files or ():                     # what pip recorded
            if f.name == "tutorial.md" and "doc" in f.parts:
                yield os.path.dirname(os.path.abspath(str(f.locate())))
    except metadata.PackageNotFoundError:
        pass
    yield os.path.join(sysconfig.get_path("data"), DOC_SUBDIR, "docs")       # pip install into a prefix/venv
    yield os.path.join(os.path.dirname(_PACKAGE_DIR), DOC_SUBDIR, "docs")     # pip install --target DIR
    yield os.path.join(site.USER_BASE or "", DOC_SUBDIR, "docs")              # pip install --user


def docs_dir():
    """The directory holding the documents (``tutorial.md``, ``paper.md``, ...), or None if none is found.

    Returns
    -------
    str or None
    """
    for d in _candidates():
        if os.path.isfile(os.path.join(d, "tutorial.md")):
            return d
    return None
