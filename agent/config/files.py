"""The files and directories a person names (stack.yaml, spec files, ``--manifests``, the state
directory), read and made without hanging, without unbounded memory and without a traceback.

Errors here are :class:`FileRefused`, which carries only the reason; each caller turns it into its
own project error (``ConfigError`` for stack.yaml, ``SpecInvalid`` for a spec), naming the file or
the field that chose the path and the fix::

    read_text(path, limit=..., limit_name=...)   -> str   | FileRefused (not a regular file, too
                                                            large, unreadable, not UTF-8)
    check_manifests([path, ...])                 -> None  | ConfigError naming --manifests
    yaml_problem(error)                          -> " line 3: not valid YAML (...)", one line
    make_dirs([(path, "paths.state_dir"), ...])  -> made  | ConfigError (and nothing left made)
"""

from __future__ import annotations

import os
import stat
from contextlib import suppress
from pathlib import Path

import yaml

from agent.errors import ConfigError

MAX_MANIFEST_BYTES = 64 * 1024 * 1024  # upstream Sock Shop is 20 KB; a twin of 2,000 Services, 5 MB
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the twin's own loader

_KINDS = {stat.S_IFDIR: "a directory", stat.S_IFIFO: "a FIFO (named pipe)", stat.S_IFCHR: "a character device",
          stat.S_IFBLK: "a block device", stat.S_IFSOCK: "a socket"}


class FileRefused(Exception):  # noqa: N818 (a reason, mapped by every caller; never reaches the CLI)
    """A file that cannot be read as text; ``reason`` says why (without the path)."""

    def __init__(self, reason: str, *, missing: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.missing = missing


def _refuse_special(mode: int) -> None:
    if not stat.S_ISREG(mode):
        kind = _KINDS.get(stat.S_IFMT(mode), "not a regular file")
        raise FileRefused(f"{kind}, not a regular file")


def read_text(path: Path, *, limit: int, limit_name: str) -> str:
    """The UTF-8 text of the regular file ``path``, at most ``limit`` bytes.

    FIFOs, devices and directories are refused before they are opened (a FIFO without a writer
    would block, ``/dev/zero`` never ends); a file over ``limit`` is refused by its size, and one
    that grows while read stops at ``limit + 1`` bytes. ``limit_name`` is the setting to raise.
    """
    try:
        info = os.stat(path)
        _refuse_special(info.st_mode)
        if info.st_size > limit:  # refused unread
            raise FileRefused(f"{info.st_size:,} bytes, over the limit of {limit:,} ({limit_name})")
        # O_NONBLOCK: should the path become a FIFO after the stat, opening it still returns.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except FileNotFoundError:
        raise FileRefused("no such file", missing=True) from None
    except (OSError, ValueError) as e:  # ValueError: a NUL in the path
        raise FileRefused(f"cannot read it ({getattr(e, 'strerror', None) or e})") from None
    with os.fdopen(fd, "rb") as handle:
        _refuse_special(os.fstat(fd).st_mode)
        try:
            data = handle.read(limit + 1)
        except OSError as e:
            raise FileRefused(f"cannot read it ({e.strerror})") from None
    if len(data) > limit:
        raise FileRefused(f"over the limit of {limit:,} bytes ({limit_name})")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise FileRefused(f"not UTF-8 text (byte {e.start})") from None


def check_manifests(paths: list[Path]) -> None:
    """Refuse ``--manifests`` files that are not readable UTF-8 YAML, before the twin (which reads
    them again, and knows nothing of the agent's errors) is started on them."""
    for path in paths:
        try:
            text = read_text(path, limit=MAX_MANIFEST_BYTES, limit_name="the limit for --manifests")
            for _ in yaml.load_all(text, Loader=_LOADER):
                pass
        except FileRefused as e:
            raise ConfigError(f"--manifests {path}: {e.reason}; pass Kubernetes manifests (UTF-8 YAML)") from None
        except yaml.YAMLError as e:
            raise ConfigError(f"--manifests {path}{yaml_problem(e)}; fix the YAML or pass another file") from None
        except RecursionError:
            raise ConfigError(f"--manifests {path}: not valid YAML (nested too deeply)") from None


def yaml_problem(error: yaml.YAMLError) -> str:
    """A YAML error on one line, to follow a file name: `` line 3: not valid YAML (found ...)``."""
    mark = getattr(error, "problem_mark", None)
    what = getattr(error, "problem", None) or getattr(error, "reason", None) or str(error).splitlines()[0]
    return f"{f' line {mark.line + 1}' if mark else ''}: not valid YAML ({what})"


def make_dirs(wanted: list[tuple[Path, str]]) -> list[Path]:
    """Make each directory (with its parents), or raise a ConfigError naming the field that chose
    it (e.g. ``paths.state_dir``); on failure, the directories this call made are removed again.
    Returns the directories it made, for :func:`remove_dirs` should the caller fail next."""
    made: list[Path] = []
    try:
        for path, field in wanted:
            try:
                made += [p for p in (path, *path.parents) if not os.path.lexists(p)]
                path.mkdir(parents=True, exist_ok=True)
            except (OSError, ValueError) as e:  # ValueError: a NUL in the path
                why = "it is a file" if isinstance(e, FileExistsError) else getattr(e, "strerror", None) or str(e)
                raise ConfigError(f"{field}: cannot make the directory {str(path)!r} ({why}); "
                                  "set it to a directory this user can write") from None
    except ConfigError:
        remove_dirs(made)
        raise
    return made


def remove_dirs(made: list[Path]) -> None:
    """Remove directories :func:`make_dirs` made, deepest first, each only while still empty."""
    for directory in sorted(made, key=lambda p: len(p.parts), reverse=True):
        with suppress(OSError):
            directory.rmdir()
