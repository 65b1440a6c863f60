"""Files written whole or not at all (reference.data.files): a failure mid-write leaves the old file."""

import errno
import os
import stat

import pytest

from reference.data.files import atomic_write, describe_os_error, output_dir
from reference.errors import ConfigError


def _leftovers(folder):
    return sorted(p for p in os.listdir(folder) if p.endswith(".tmp"))


def test_a_write_that_completes_replaces_the_file(tmp_path):
    p = tmp_path / "a.txt"
    p.write_text("old\n")
    with atomic_write(p) as f:
        f.write("new\n")
    assert p.read_text() == "new\n"
    assert _leftovers(tmp_path) == []
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(p.stat().st_mode) == 0o666 & ~mask        # as open() would create it


def test_a_full_disk_mid_write_leaves_the_previous_file(tmp_path, monkeypatch):
    p = tmp_path / "cases.json"
    p.write_text('{"complete": true}\n')

    def full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(p))
    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OSError) as info:
        with atomic_write(p) as f:
            f.write('{"compl')
    assert p.read_text() == '{"complete": true}\n'
    assert _leftovers(tmp_path) == []
    assert describe_os_error(info.value) == f"{p}: no space left on device (the disk is full)"


def test_an_exception_in_the_block_leaves_no_file(tmp_path):
    p = tmp_path / "new.bin"
    with pytest.raises(KeyboardInterrupt):
        with atomic_write(p, "wb") as f:
            f.write(b"half")
            raise KeyboardInterrupt
    assert not p.exists() and _leftovers(tmp_path) == []


def test_a_symbolic_link_at_the_target_is_refused_not_followed(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    out = tmp_path / "out"
    out.mkdir()
    (out / "sweep.json").symlink_to(victim)
    with pytest.raises(ConfigError, match="symbolic link"):
        with atomic_write(out / "sweep.json") as f:
            f.write("overwritten")
    assert victim.read_text() == "precious\n"
    assert (out / "sweep.json").is_symlink()


def test_output_dir_is_checked_and_worded_for_a_person(tmp_path):
    assert output_dir(str(tmp_path / "a" / "b")) == str(tmp_path / "a" / "b")
    assert (tmp_path / "a" / "b").is_dir()
    f = tmp_path / "file"
    f.write_text("")
    with pytest.raises(ConfigError, match=r"^--out .*file: exists and is not a folder$"):
        output_dir(str(f))
    with pytest.raises(ConfigError, match=r"^--out /proc/x: cannot create this folder \(no such file or directory\)$"):
        output_dir("/proc/x")
    with pytest.raises(ConfigError, match="no folder given"):
        output_dir("")
