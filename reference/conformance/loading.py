"""Finding the implementation to check: a module, a file, or an object in one (``MODULE[:NAME]``, ``FILE.py[:NAME]``).

Used by ``python -m reference golden --check --impl SPEC`` and by the pytest
plugin (:mod:`reference.conformance.pytest_plugin`). Whatever the foreign code
raises while it is imported (``SystemExit`` included) is reported as a
:class:`reference.errors.ConfigError` naming the spec and the exception, never
as a pass.
"""

import importlib
import importlib.util
import os
import sys

from ..errors import ConfigError

__all__ = ["load_impl"]


def _import_file(path, spec, option):
    folder = os.path.dirname(os.path.abspath(path))
    if folder not in sys.path:
        sys.path.insert(0, folder)                 # so that the file's own sibling imports work
    name = "_reference_impl_" + os.path.splitext(os.path.basename(path))[0].replace("-", "_")
    mod_spec = importlib.util.spec_from_file_location(name, path)
    if mod_spec is None or mod_spec.loader is None:
        raise ConfigError(f"{option} {spec!r}: cannot load {path} as a Python module")
    mod = importlib.util.module_from_spec(mod_spec)
    sys.modules[name] = mod
    try:
        mod_spec.loader.exec_module(mod)
    except KeyboardInterrupt:
        raise
    except BaseException as e:                     # noqa: BLE001 - the user's file failed: say how
        sys.modules.pop(name, None)
        raise ConfigError(f"{option} {spec!r}: running {path} raised {type(e).__name__}: {e}") from None
    return mod


def _import_module(mod_name, spec, option):
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())            # let a module in the current directory be found
    try:
        return importlib.import_module(mod_name)
    except ModuleNotFoundError as e:
        if e.name is not None and (mod_name == e.name or mod_name.startswith(e.name + ".")):
            raise ConfigError(f"{option} {spec!r}: no module named {e.name!r} (looked in the current "
                              "directory and on sys.path; give a file as path/to/file.py)") from None
        raise ConfigError(f"{option} {spec!r}: importing {mod_name!r} failed: {e}") from None
    except KeyboardInterrupt:
        raise
    except BaseException as e:                     # noqa: BLE001 - the user's module failed to import: say how
        raise ConfigError(f"{option} {spec!r}: importing {mod_name!r} raised {type(e).__name__}: {e}") from None


def load_impl(spec, option="--impl"):
    """The implementation named by ``spec``: ``MODULE``, ``MODULE:NAME``, ``path/file.py`` or ``path/file.py:NAME``.

    Parameters
    ----------
    spec : str or None
        None gives this library's literal face (:func:`reference.conformance.library_impl`).
    option : str
        How to call the spec in a message.

    Returns
    -------
    module, mapping or object
        What :func:`reference.conformance.check` takes as ``impl``.

    Raises
    ------
    ConfigError
        A malformed spec, a missing file or module, a module that raises while it is imported
        (the exception named, ``SystemExit`` included), or a missing attribute.
    """
    from .literal_impl import library_impl
    if spec is None:
        return library_impl()
    if not isinstance(spec, str) or not spec.strip():
        raise ConfigError(f"{option} must be MODULE, MODULE:NAME, FILE.py or FILE.py:NAME, got {spec!r}")
    target, attr = spec, ""
    head, sep, tail = spec.rpartition(":")
    if sep and head and os.sep not in tail and "/" not in tail and not tail.endswith(".py"):
        target, attr = head, tail                  # a drive letter "C:\\..." leaves tail with a separator
    is_file = target.endswith(".py") or os.sep in target or "/" in target
    if is_file:
        if not os.path.isfile(target):
            raise ConfigError(f"{option} {spec!r}: no such file {target}")
        mod = _import_file(target, spec, option)
    else:
        if not all(part.isidentifier() for part in target.split(".")):
            raise ConfigError(f"{option} {spec!r}: expected MODULE, MODULE:NAME, FILE.py or FILE.py:NAME")
        mod = _import_module(target, spec, option)
    if not attr:
        return mod
    if not hasattr(mod, attr):
        raise ConfigError(f"{option} {spec!r}: {target} has no attribute {attr!r}")
    obj = getattr(mod, attr)
    if callable(obj) and not isinstance(obj, type) and not hasattr(obj, "attention") and \
            getattr(obj, "__code__", None) is not None and obj.__code__.co_argcount == 0:
        try:
            return obj()                           # a factory such as library_impl
        except KeyboardInterrupt:
            raise
        except BaseException as e:                 # noqa: BLE001
            raise ConfigError(f"{option} {spec!r}: calling {attr}() raised {type(e).__name__}: {e}") from None
    return obj
