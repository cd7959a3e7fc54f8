"""``tf.gfile`` (TF1's file API) over ``open``/``os``/``pathlib``/``glob``/``shutil`` for local
paths: ``GFile``/``Open`` (text or binary by mode, as TF), ``Exists``, ``MakeDirs``, ``MkDir``,
``Glob``, ``ListDirectory``, ``Remove``, ``DeleteRecursively``, ``IsDirectory``, ``Copy``,
``Rename``, ``Stat`` and ``Walk``. Missing files raise ``errors.NotFoundError`` and existing
targets ``errors.AlreadyExistsError``, as TF's ``gfile`` does. Remote file systems (``gs://``,
``hdfs://``) are not supported: such a path is an ``UnimplementedError`` naming it."""

from __future__ import annotations

import glob as _glob
import os
import shutil
from collections.abc import Iterator
from typing import IO, Any

from graphflow.framework.errors import AlreadyExistsError, NotFoundError, UnimplementedError


def _local(path: Any) -> str:
    text = os.fspath(path)
    text = text.decode() if isinstance(text, bytes) else text
    if "://" in text and not text.startswith("file://"):
        raise UnimplementedError(f"gfile: '{text}' is on a remote file system, which graphflow "
                                 "does not support; copy the file to a local path first")
    return text.removeprefix("file://")


def GFile(name: Any, mode: str = "r") -> IO[Any]:  # noqa: N802 - TF's name
    """``tf.gfile.GFile(name, mode)``: a file object (binary when ``"b"`` is in ``mode``)."""
    path = _local(name)
    if "r" in mode and not os.path.exists(path):
        raise NotFoundError(f"gfile: {path}: No such file or directory")
    return open(path, mode) if "b" in mode else open(path, mode, encoding="utf-8")


Open = GFile
FastGFile = GFile


def Exists(filename: Any) -> bool:  # noqa: N802
    return os.path.exists(_local(filename))


def IsDirectory(dirname: Any) -> bool:  # noqa: N802
    return os.path.isdir(_local(dirname))


def MakeDirs(dirname: Any) -> None:  # noqa: N802
    """Create ``dirname`` and its parents (no error if it exists)."""
    os.makedirs(_local(dirname), exist_ok=True)


def MkDir(dirname: Any) -> None:  # noqa: N802
    path = _local(dirname)
    if os.path.exists(path):
        raise AlreadyExistsError(f"gfile: {path} already exists")
    os.mkdir(path)


def Glob(filename: Any) -> list[str]:  # noqa: N802
    return sorted(_glob.glob(_local(filename)))


def ListDirectory(dirname: Any) -> list[str]:  # noqa: N802
    """Entry names in ``dirname`` (not paths, as TF)."""
    path = _local(dirname)
    if not os.path.isdir(path):
        raise NotFoundError(f"gfile: {path}: not a directory")
    return sorted(os.listdir(path))


def Remove(filename: Any) -> None:  # noqa: N802
    path = _local(filename)
    if not os.path.exists(path):
        raise NotFoundError(f"gfile: {path}: No such file or directory")
    os.remove(path)


def DeleteRecursively(dirname: Any) -> None:  # noqa: N802
    path = _local(dirname)
    if not os.path.exists(path):
        raise NotFoundError(f"gfile: {path}: No such file or directory")
    shutil.rmtree(path) if os.path.isdir(path) else os.remove(path)


def Copy(oldpath: Any, newpath: Any, overwrite: bool = False) -> None:  # noqa: N802
    src, dst = _local(oldpath), _local(newpath)
    if not os.path.exists(src):
        raise NotFoundError(f"gfile: {src}: No such file or directory")
    if os.path.exists(dst) and not overwrite:
        raise AlreadyExistsError(f"gfile: {dst} already exists (pass overwrite=True)")
    shutil.copyfile(src, dst)


def Rename(oldname: Any, newname: Any, overwrite: bool = False) -> None:  # noqa: N802
    src, dst = _local(oldname), _local(newname)
    if not os.path.exists(src):
        raise NotFoundError(f"gfile: {src}: No such file or directory")
    if os.path.exists(dst) and not overwrite:
        raise AlreadyExistsError(f"gfile: {dst} already exists (pass overwrite=True)")
    os.replace(src, dst)


def Stat(filename: Any) -> os.stat_result:  # noqa: N802
    path = _local(filename)
    if not os.path.exists(path):
        raise NotFoundError(f"gfile: {path}: No such file or directory")
    return os.stat(path)


def Walk(top: Any, in_order: bool = True) -> Iterator[tuple[str, list[str], list[str]]]:  # noqa: N802
    """``(dirname, subdirs, files)`` for ``top`` and every directory below it (``in_order``:
    parents before children, as TF; else children first)."""
    yield from os.walk(_local(top), topdown=in_order)
