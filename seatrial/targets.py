"""Targets: which sync implementation a run judges. Built-in names or `package.module:attribute`."""

from __future__ import annotations

import importlib
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass

from seatrial.sdk import SyncImplementation
from seatrial.sync_implementations import SHIPPED as BUILTIN  # name -> "module:attribute"


class TargetError(ValueError):
    """A target that cannot be used; the message says what to fix."""


@dataclass(frozen=True)
class Target:
    label: str
    factory: Callable[[], SyncImplementation]

    @property
    def defect(self) -> str | None:
        """The one-line defect a shipped faulty implementation documents (None: none)."""
        return getattr(self.factory, "defect", None)

    @property
    def exists_for(self) -> str | None:
        """The invariant that exists to catch a shipped faulty implementation's defect."""
        return getattr(self.factory, "exists_for", None)

    @property
    def needs(self) -> tuple[str, str] | None:
        """(system, dialect) a shipped faulty implementation's defect lives in (its connector
        for that vendor's wire, or what only that wire carries), so that only a scenario where
        that system speaks that dialect can meet it; None: any scenario can."""
        return getattr(self.factory, "needs", None)


URL = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


def resolve(spec: str) -> Target:
    """The target `spec` names: a built-in name or `package.module:attribute` (imported and
    built once, so a typo fails before anything runs). Anything else, a URL included, is a
    TargetError saying what to write."""
    if spec in BUILTIN:
        return _load(spec, BUILTIN[spec])
    _check_spelling(spec)
    return _load(spec, spec)


def _check_spelling(spec: str) -> None:
    """Refuse what cannot be a target, saying what was probably meant."""
    choices = (f"use one of {', '.join(BUILTIN)}, or package.module:attribute for your own "
               "SyncImplementation")
    if not spec.strip():
        raise TargetError(f"--target {spec!r} is {'blank' if spec else 'empty'}; {choices}")
    if spec != spec.strip():
        raise TargetError(f"--target {spec!r}: remove the spaces around it, e.g. "
                          f"--target {spec.strip()}")
    url = URL.match(spec)
    if url:
        scheme = url.group(1)
        if scheme.lower() in ("http", "https"):
            if scheme not in ("http", "https"):
                raise TargetError(f"--target {spec}: write the scheme in lower case, "
                                  f"{scheme.lower()}://...")
            raise TargetError(f"--target {spec}: a live target runs with `seatrial run` or "
                              f"`seatrial replay`; here {choices}")
        raise TargetError(f"--target {spec}: only http:// and https:// targets are live "
                          f"targets (a SUT serving HTTP: --target http://HOST:PORT, with "
                          f"`seatrial run` or `seatrial replay`), not {scheme}://; in-process, "
                          f"{choices}")
    module, colon, attribute = spec.partition(":")
    if module.endswith(".py") or "/" in module or "\\" in module:
        dotted = re.sub(r"[/\\]+", ".", module.removesuffix(".py")).strip(".")
        raise TargetError(f"--target {spec}: a target names a module, not a file; write "
                          f"{dotted or 'module'}:{attribute or 'ClassName'} (run from the "
                          "directory the module's package is in, or put it on PYTHONPATH)")
    if not colon:
        raise TargetError(f"--target {spec!r}: unknown target; {choices}")
    if not module:
        raise TargetError(f"--target {spec}: name the module before the colon, e.g. "
                          f"my_sync{spec}")
    if not attribute:
        raise TargetError(f"--target {spec}: name the class or factory after the colon, e.g. "
                          f"{spec}Implementation")
    if ":" in attribute:
        raise TargetError(f"--target {spec}: write package.module:attribute, with one colon")
    if not all(part.isidentifier() for part in module.split(".")):
        raise TargetError(f"--target {spec}: {module!r} is not a module path; write "
                          "package.module:attribute, e.g. my_sync:Implementation")


def _load(label: str, path: str) -> Target:
    module_name, _, attribute = path.partition(":")
    if os.getcwd() not in sys.path:  # like uvicorn: the user's modules live where they run us
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except KeyboardInterrupt:
        raise
    except BaseException as error:  # the user's module, not ours: SystemExit(0) too, which
        # would otherwise end `seatrial` with 0 before anything was judged
        raise TargetError(f"--target {label}: cannot import module {module_name!r} "
                          f"({type(error).__name__}: {error}); check the module path and "
                          "that it is importable from here") from None
    factory = getattr(module, attribute, None)
    if factory is None:
        raise TargetError(f"--target {label}: module {module_name!r} has no attribute "
                          f"{attribute!r}")
    if not callable(factory):
        raise TargetError(f"--target {label}: {attribute!r} is not a class or factory")
    try:
        probe = factory()
    except KeyboardInterrupt:
        raise
    except BaseException as error:
        raise TargetError(f"--target {label}: constructing {attribute}() failed "
                          f"({type(error).__name__}: {error}); it must build with no "
                          "arguments") from None
    if not isinstance(probe, SyncImplementation):
        raise TargetError(f"--target {label}: {attribute}() gave {type(probe).__name__}, not a "
                          "seatrial.sdk.SyncImplementation")
    return Target(label, factory)
