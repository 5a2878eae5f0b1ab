"""Targets: which sync implementation a run judges. Built-in names or `package.module:attribute`."""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass

from seatrial.sdk import SyncImplementation
from sync_implementations import SHIPPED as BUILTIN  # name -> "module:attribute"


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


def resolve(spec: str) -> Target:
    if spec in BUILTIN:
        return _load(spec, BUILTIN[spec])
    if spec.startswith(("http://", "https://")):
        raise TargetError(f"--target {spec}: a live target runs with `seatrial run`; here use "
                          f"{', '.join(BUILTIN)} or package.module:attribute")
    if ":" not in spec:
        raise TargetError(f"--target {spec!r}: unknown target; use one of "
                          f"{', '.join(BUILTIN)}, or package.module:attribute for your own "
                          "SyncImplementation")
    return _load(spec, spec)


def _load(label: str, path: str) -> Target:
    module_name, _, attribute = path.partition(":")
    if os.getcwd() not in sys.path:  # like uvicorn: the user's modules live where they run us
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except Exception as error:  # any import-time failure is the user's module, not ours
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
    except Exception as error:
        raise TargetError(f"--target {label}: constructing {attribute}() failed "
                          f"({type(error).__name__}: {error}); it must build with no "
                          "arguments") from None
    if not isinstance(probe, SyncImplementation):
        raise TargetError(f"--target {label}: {attribute}() gave {type(probe).__name__}, not a "
                          "seatrial.sdk.SyncImplementation")
    return Target(label, factory)
