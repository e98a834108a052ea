"""The one import seam for ryu's OpenFlow codec.

os-ken (ryu's maintained fork) is the dependency; the original ``ryu``
package works too (``MVTEP_OFP_CODEC=ryu`` picks it when both are installed).
Nothing else in multivtep imports either package: they are untyped and
register parsers at import time, so they stay behind this module.

Only the OpenFlow 1.3 and 1.5 modules are imported, and of what they import
only what decoding needs (:func:`_lean_imports`): the rest of the codec,
its packet library above all, costs more than these modules together
(``python -X importtime`` shows the difference).
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import ModuleType, SimpleNamespace
from typing import Any, TypeVar

from mvcore.errors import DecodeError, Unavailable

__all__ = ["Codec", "load", "call"]

T = TypeVar("T")

_PACKAGES = ("os_ken", "ryu")


@dataclass(frozen=True, slots=True)
class Codec:
    """The codec modules multivtep uses, from whichever package provided them."""

    package: str  # "os_ken" or "ryu"
    parser: ModuleType  # ofproto.ofproto_parser (header and msg())
    v13: ModuleType
    v13_parser: ModuleType
    v15: ModuleType
    v15_parser: ModuleType
    nicira_ext: ModuleType

    def datapath(self, version: int) -> Any:
        """What the codec's messages take as their datapath, for building
        and parsing messages offline: its protocol and parser modules (the
        codec's own ``ProtocolDesc`` imports every OpenFlow version)."""
        if version == self.v13.OFP_VERSION:
            return SimpleNamespace(ofproto=self.v13, ofproto_parser=self.v13_parser)
        if version == self.v15.OFP_VERSION:
            return SimpleNamespace(ofproto=self.v15, ofproto_parser=self.v15_parser)
        raise Unavailable(f"OpenFlow wire version {version} is not 1.3 or 1.5")


def _unexecuted(name: str) -> ModuleType | None:
    """Register package ``name`` without running its ``__init__`` (its
    submodules still import through its path); None if there is none."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        return None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    parent, _, child = name.rpartition(".")
    if parent:
        setattr(sys.modules[parent], child, module)
    return module


def _lean_imports(package: str) -> None:
    """Import no more of the codec than decoding needs.

    * ``{package}/__init__`` only works out the package's version (through
      pbr and importlib.metadata), ``{package}/ofproto/__init__`` imports
      the parsers of every OpenFlow version: both are registered unexecuted.
    * The parser modules import ``lib.packet.packet`` (for packet-in data)
      and with it the ``lib.packet`` package, which imports every protocol
      module, BGP and zebra included, and oslo.config with them: the
      package is registered unexecuted and ``packet`` loads on first use
      (importlib's LazyLoader).
    """
    if _unexecuted(package) is None or _unexecuted(f"{package}.ofproto") is None:
        return
    packets = _unexecuted(f"{package}.lib.packet")
    name = f"{package}.lib.packet.packet"
    if packets is None or name in sys.modules:
        return
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        return
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    packets.packet = module  # type: ignore[attr-defined]


def load(env: Mapping[str, str]) -> Codec:
    """Import the codec; ``env['MVTEP_OFP_CODEC']`` may name the package."""
    wanted = env.get("MVTEP_OFP_CODEC")
    candidates = (wanted,) if wanted else _PACKAGES
    errors = []
    for package in candidates:
        if package not in _PACKAGES:
            raise Unavailable(f"MVTEP_OFP_CODEC={package!r} is not one of {', '.join(_PACKAGES)}")
        try:
            if importlib.util.find_spec(package) is None:
                raise ImportError(f"No module named {package!r}")
            _lean_imports(package)
            mods = {name: importlib.import_module(f"{package}.ofproto.{name}") for name in (
                "ofproto_parser", "ofproto_v1_3", "ofproto_v1_3_parser", "ofproto_v1_5", "ofproto_v1_5_parser",
                "nicira_ext")}
        except ImportError as e:
            errors.append(f"{package}: {e}")
            continue
        return Codec(package, mods["ofproto_parser"], mods["ofproto_v1_3"], mods["ofproto_v1_3_parser"],
                     mods["ofproto_v1_5"], mods["ofproto_v1_5_parser"], mods["nicira_ext"])
    raise Unavailable("no OpenFlow codec: " + "; ".join(errors), hint="pip install os-ken (or ryu)")


def call(fn: Callable[..., T], *args: Any) -> T:
    """Call into the codec: whatever it raises on bad bytes (it asserts,
    overruns and mis-sizes in many ways, with no common exception type)
    becomes a :class:`~mvcore.errors.DecodeError`.  Only codec calls go
    through here, so a bug in multivtep's own code is never mistaken for
    bytes that could not be decoded."""
    try:
        return fn(*args)
    except Exception as e:
        raise DecodeError(f"{type(e).__name__}: {e}"[:200]) from e
