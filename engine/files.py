"""Files in and out: what perfrules reads (only regular files, with a bounded read) and how an output is
written (atomically, never over an input). Which files a folder holds is engine/collect.py.

Every operating-system error here becomes the user's error with the file's name and what to do: a missing
file, a dangling or looping symlink, a FIFO or a device, a name too long, a permission denied, a full disk.
"""

from __future__ import annotations

import errno
import os
import stat
from contextlib import contextmanager
from pathlib import Path as FsPath
from typing import Callable, Iterable, Iterator

from .errors import Location, PerfrulesError, error


_NONBLOCK = getattr(os, "O_NONBLOCK", 0)   # a FIFO opens at once instead of waiting for a writer
_BINARY = getattr(os, "O_BINARY", 0)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def inert(text: str) -> str:
    """A text cell that no spreadsheet will run as a formula (the OWASP CSV-injection rule): a leading
    = + - @ tab or carriage return gets a ' in front."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def display_path(path: str | FsPath) -> str:
    """A path as text that can always be printed and written: a file name that is not valid UTF-8 shows
    the undecodable bytes as U+FFFD instead of raising UnicodeEncodeError in every writer."""
    text = os.fspath(path)
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def os_error(exc: OSError, name: str, action: str = "读取") -> PerfrulesError:
    """An OSError said as the user's problem, in Chinese, with the file it concerns."""
    code = exc.errno
    messages = {
        errno.ENOENT: ("文件不存在", "请检查路径拼写"),
        errno.ELOOP: ("符号链接形成循环", "删除或修正这个符号链接"),
        errno.ENAMETOOLONG: ("文件名或路径过长", "换一个短一些的名字或目录"),
        errno.EACCES: (f"没有{action}该文件的权限", "检查文件和所在目录的权限"),
        errno.EPERM: (f"操作系统不允许{action}该文件", "检查文件和所在目录的权限"),
        errno.EISDIR: ("这是一个目录，不是文件", "请给出文件路径"),
        errno.ENOTDIR: ("路径中有一段不是目录", "请检查路径"),
        errno.ENOSPC: ("磁盘空间已满", "清理磁盘空间后重试"),
        errno.EROFS: ("文件系统是只读的", "换一个可写的位置"),
        errno.EMFILE: ("打开的文件过多", "减少 --jobs 后重试"),
    }
    message, hint = messages.get(code or -1, (f"无法{action}：{exc.strerror or type(exc).__name__}",
                                              "检查该文件是否可用"))
    if code == errno.ENOENT and os.path.islink(name):
        message, hint = "符号链接指向的文件不存在", "修正或删除这个符号链接"
    return error(message, Location(display_path(name)), hint, code="E-IO")


@contextmanager
def _regular(path: FsPath, name: str, what: str) -> Iterator[tuple[int, os.stat_result]]:
    """A regular file opened for reading without blocking, and its stat: a FIFO, a device or a directory is
    refused before anything is read from it. Every OSError is the user's, said with the file's name."""
    try:
        fd = os.open(path, os.O_RDONLY | _NONBLOCK | _BINARY)
    except OSError as exc:
        raise os_error(exc, name) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise error(f"这不是普通文件（{_kind(info.st_mode)}），不能读取", Location(display_path(name)),
                        f"请给出{what}本身", code="E-IO")
        yield fd, info
    except OSError as exc:
        raise os_error(exc, name) from None
    finally:
        os.close(fd)


def read_head(path: FsPath, name: str, count: int = 8) -> tuple[bytes, int]:
    """The first `count` bytes of a regular file and its size, refusing what `read_input` refuses, before
    reading: how a file's format is told by its content."""
    with _regular(path, name, "自评数据文件") as (fd, info):
        return os.read(fd, count), info.st_size


def read_input(path: FsPath, name: str, limit: int,
               too_large: Callable[[str, int], PerfrulesError]) -> bytes:
    """The bytes of a regular file, at most `limit` of them. A FIFO, a device or a directory is refused
    before anything is read from it (`/dev/zero` never fills memory; a FIFO never hangs)."""
    with _regular(path, name, "自评数据或规则集文件") as (fd, info):
        if info.st_size > limit:
            raise too_large(display_path(name), info.st_size)
        chunks, size = [], 0
        while True:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:   # the file grew while being read
                raise too_large(display_path(name), size)
        return b"".join(chunks)


def require_regular(path: FsPath, name: str) -> None:
    """Refuse, without opening it, a path that is not a regular file (a FIFO would hang a library's open)."""
    try:
        info = os.stat(path)
    except OSError as exc:
        raise os_error(exc, name) from None
    if not stat.S_ISREG(info.st_mode):
        raise error(f"这不是普通文件（{_kind(info.st_mode)}），不能读取", Location(display_path(name)),
                    "请给出自评数据文件本身", code="E-IO")


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "目录"
    if stat.S_ISFIFO(mode):
        return "命名管道"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "设备文件"
    if stat.S_ISSOCK(mode):
        return "套接字"
    return "特殊文件"


def _identity(path: str | FsPath) -> tuple[int, int] | None:
    try:
        info = os.stat(path)
    except (OSError, ValueError):
        return None
    return info.st_dev, info.st_ino


def _resolved(path: FsPath) -> FsPath | None:
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return None


def same_file(a: FsPath, b: FsPath) -> bool:
    """Whether two paths name the same file (resolved path or device and inode, not the argument text)."""
    ida, idb = _identity(a), _identity(b)
    if ida is not None and ida == idb:
        return True
    try:
        return a.resolve() == b.resolve()
    except (OSError, RuntimeError):
        return False


def check_output(out: FsPath, inputs: Iterable[str | FsPath] = (), force: bool = False) -> None:
    """Refuse, before any work is done, an output that would lose something. One rule for every command
    that writes:

    - never onto anything it reads: an input file, every file it reads from a folder included (by device
      and inode, so hard links, symlinks and `u/./b.json` are caught);
    - never over an existing file of the user's without --force. A file that perfrules itself wrote at that
      path and that nobody has changed since (its bytes are the ones perfrules wrote: see
      `remember_output`) is replaced, so running the same command again just works; a form the unit has
      filled in, a report someone edited or a file of any other origin is refused;
    - never through a read-only file, or onto something that is not a regular file."""
    out_id = _identity(out)
    out_real: FsPath | None = None
    for source in inputs:   # the files read, each file of an input folder included (the caller lists them)
        source_path = FsPath(source)
        source_id = _identity(source)
        if out_id is not None and source_id is not None:
            same = out_id == source_id
        else:
            if out_real is None:
                out_real = _resolved(out)
            same = out_real is not None and _resolved(source_path) == out_real
        if same:
            raise error(f"输出文件就是输入文件 {display_path(source)}，不能覆盖输入", Location(display_path(out)),
                        "换一个输出文件名（或放到输入目录之外）", code="E-IO")
    try:
        info = os.stat(out)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise os_error(exc, str(out), "写入") from None
    if info is not None:
        if not stat.S_ISREG(info.st_mode):
            raise error(f"输出路径已存在且不是普通文件（{_kind(info.st_mode)}）", Location(display_path(out)),
                        "换一个输出文件名", code="E-IO")
        if not info.st_mode & 0o222 and not force:
            raise error("输出文件是只读的，不会覆盖", Location(display_path(out)),
                        "确认要覆盖时加 --force，或换一个输出文件名", code="E-IO")
        if not force and not _written_by_us(out, info):
            raise error("输出文件已存在，且不是 perfrules 写出后未经改动的文件，不会覆盖", Location(display_path(out)),
                        "确认要覆盖时加 --force，或换一个输出文件名（perfrules 只替换它自己写出、此后没人改过的文件）",
                        code="E-EXISTS")
    parent = out.parent if str(out.parent) else FsPath(".")
    if not parent.is_dir():
        raise error("输出目录不存在", Location(display_path(out)), f"先创建目录 {display_path(parent)}", code="E-IO")


# The outputs perfrules wrote, by real path: the sha256 and size of the bytes written, kept in the on-disk
# cache (engine/diskcache.py). It only ever allows replacing a file whose bytes are still exactly those:
# a lost or cleared record means --force is needed, never that a user's file is replaced.
_LEDGER = "output"


def _ledger_key(path: FsPath) -> str:
    return os.path.realpath(path)


def remember_output(path: FsPath, digest: str, size: int) -> None:
    from . import diskcache
    diskcache.put(_LEDGER, _ledger_key(path), [digest, size])


def _written_by_us(path: FsPath, info: os.stat_result) -> bool:
    import hashlib

    from . import diskcache
    record = diskcache.get(_LEDGER, _ledger_key(path))
    if not isinstance(record, list) or len(record) != 2 or record[1] != info.st_size:
        return False
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    except OSError:
        return False
    return digest.hexdigest() == record[0]


def atomic_write(out: FsPath, data: bytes | str | Iterable[bytes], inputs: Iterable[str | FsPath] = (),
                 force: bool = False, remember: bool = True) -> None:
    """Write via a temporary file in the same folder, fsync'd, then renamed over the target: a failed run
    leaves no partial file and no temporary file; a replaced file keeps its permissions. `data` may come as
    chunks (a county's summary is written from its spool without being held in memory whole)."""
    check_output(out, inputs, force)
    chunks: Iterable[bytes] = (data.encode("utf-8"),) if isinstance(data, str) else \
        (data,) if isinstance(data, bytes) else data
    target = FsPath(os.path.abspath(out))
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        mask = os.umask(0)
        os.umask(mask)
        mode = 0o666 & ~mask    # mkstemp makes 0600; a report is an ordinary file
    try:
        import tempfile   # (here, not at import: the commands that only print never write a file)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name[:100]}.", suffix=".part", dir=target.parent)
    except OSError as exc:
        raise os_error(exc, str(out), "写入") from None
    import hashlib
    digest, size = hashlib.sha256(), 0
    try:
        with os.fdopen(fd, "wb") as handle:
            for chunk in chunks:
                handle.write(chunk)
                digest.update(chunk)
                size += len(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except OSError as exc:
        _remove(tmp)
        raise os_error(exc, str(out), "写入") from None
    except BaseException:
        _remove(tmp)
        raise
    _sync_folder(target.parent)
    if remember:
        remember_output(target, digest.hexdigest(), size)


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _sync_folder(folder: FsPath) -> None:
    # The rename is durable once the folder is synced (POSIX); elsewhere this is a no-op.
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def relative_to_roots(file: str, roots: list[FsPath]) -> str:
    """A file's path relative to the folder of the batch it was found in (the batch root)."""
    path = FsPath(file)
    for root in roots:
        try:
            return path.relative_to(root).as_posix()
        except ValueError:
            continue
    return file
