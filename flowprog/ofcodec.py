"""The one import seam for ryu's OpenFlow codec.

os-ken (ryu's maintained fork) is the dependency; the original ``ryu``
package works too (``MVTEP_OFP_CODEC=ryu`` picks it when both are installed).
Nothing else in multivtep imports either package: they are untyped and
register parsers at import time, so they stay behind this module.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from types import ModuleType

from mvcore.errors import Unavailable

__all__ = ["Codec", "load"]

_PACKAGES = ("os_ken", "ryu")


@dataclass(frozen=True, slots=True)
class Codec:
    """The codec modules multivtep uses, from whichever package provided them."""

    package: str  # "os_ken" or "ryu"
    protocol: ModuleType  # ofproto.ofproto_protocol (ProtocolDesc: a datapath for offline parsing)
    parser: ModuleType  # ofproto.ofproto_parser (header and msg())
    v13: ModuleType
    v13_parser: ModuleType
    v15: ModuleType
    v15_parser: ModuleType
    nicira_ext: ModuleType


def load(env: Mapping[str, str]) -> Codec:
    """Import the codec; ``env['MVTEP_OFP_CODEC']`` may name the package."""
    wanted = env.get("MVTEP_OFP_CODEC")
    candidates = (wanted,) if wanted else _PACKAGES
    errors = []
    for package in candidates:
        if package not in _PACKAGES:
            raise Unavailable(f"MVTEP_OFP_CODEC={package!r} is not one of {', '.join(_PACKAGES)}")
        try:
            mods = {name: importlib.import_module(f"{package}.ofproto.{name}") for name in (
                "ofproto_protocol", "ofproto_parser", "ofproto_v1_3", "ofproto_v1_3_parser",
                "ofproto_v1_5", "ofproto_v1_5_parser", "nicira_ext")}
        except ImportError as e:
            errors.append(f"{package}: {e}")
            continue
        return Codec(package, mods["ofproto_protocol"], mods["ofproto_parser"], mods["ofproto_v1_3"],
                     mods["ofproto_v1_3_parser"], mods["ofproto_v1_5"], mods["ofproto_v1_5_parser"],
                     mods["nicira_ext"])
    raise Unavailable("no OpenFlow codec: " + "; ".join(errors), hint="pip install os-ken (or ryu)")
