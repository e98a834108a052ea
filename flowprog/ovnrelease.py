"""Which ovn-controller programmed a node's flows, and how that release numbers encaps.

The encap id a VIF's table-0 flow loads into ``reg13[16..31]`` depends on
the ovn-controller release (verified per tag in OVN's source, and on real
daemons for 24.03.9 and 24.09.2; shared/reference/facts.md):

* <= 23.09: no encap id at all (``MFF_LOG_ENCAP_ID`` appears in 24.03.0,
  commit 17b6a12fa; per-local-IP tunnels with it, 41eefcb28);
* 24.03.x: ``ovn-encap-ip`` sorted as strings; ``ovn-encap-ip-default`` is
  unknown to ovn-controller (it arrives in 24.09.0, 6559b442e);
* 24.09.0 - 24.09.2: sorted as strings, no swap; a VIF without ``encap-ip``
  gets the ``is_default`` Encap as its ``Port_Binding.encap`` and so loads
  the default's *sorted* index;
* 24.09.3, 25.03.0 and later: the default is swapped into index 0
  (``parse_encap_ips``, 05e32df9f / 17605c385).

The release is read from two places, best first:

* ovn-controller's own answer to ``version`` on its control socket
  (``"ovn-controller 24.03.9"``, OVS's generic unixctl command);
* what ovn-controller publishes about itself in the southbound DB: the
  feature flags it writes into its own ``Chassis other_config``
  (``chassis_build_other_config`` in controller/chassis.c), which bound the
  release: ``ovn-sample-with-registers`` from 24.09.0, ``ct-state-save``
  from 24.03.6/24.09.3/25.03.1, ``ct-label-flush`` from 25.03.0.  It
  writes no version string there (``northd_internal_version`` in
  ``SB_Global`` is ovn-northd's, which may differ during an upgrade).

When neither answers, the release is unknown and :mod:`flowprog.encapids`
offers every numbering a per-VTEP release could use, for the flows to decide.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["Numbering", "OvnRelease", "UNKNOWN", "numbering_of", "from_version", "from_chassis_features",
           "release_of", "PER_VTEP_MIN"]

PER_VTEP_MIN = (24, 3, 0)  # per-VIF source VTEP selection (17b6a12fa, 41eefcb28: v24.03.0)


class Numbering(enum.Enum):
    """How a release numbers the chassis' encap IPs."""

    NONE = "none"  # <= 23.09: no encap id; reg13 holds the 32-bit CT zone
    SORTED = "sorted"  # 24.03.x: string order, ovn-encap-ip-default ignored
    SORTED_DEFAULT = "sorted-default"  # 24.09.0-24.09.2: string order; no encap-ip -> the default's index
    SWAPPED = "swapped"  # 24.09.3, 25.03.0+: string order, the default swapped into id 0

    @property
    def words(self) -> str:
        return _WORDS[self]


_WORDS = {
    Numbering.NONE: "no encap id (OVN before 24.03)",
    Numbering.SORTED: "string order, ovn-encap-ip-default ignored (OVN 24.03)",
    Numbering.SORTED_DEFAULT: "string order, no swap; a VIF without encap-ip loads the default's index "
                              "(OVN 24.09.0-24.09.2)",
    Numbering.SWAPPED: "string order, ovn-encap-ip-default swapped into id 0 (OVN 24.09.3, 25.03 and later)",
}


@dataclass(frozen=True, slots=True)
class OvnRelease:
    """What the node says about the ovn-controller that programmed its flows."""

    text: str  # "24.03.9", "24.09.0-24.09.2", "unknown"
    numbering: Numbering | None  # None: unknown, the flows decide
    source: str  # "ovn-controller" (its control socket), "southbound" (its Chassis feature flags), "unknown"
    why_unknown: str | None = None  # when unknown: what was asked and did not answer

    @property
    def known(self) -> bool:
        return self.numbering is not None


UNKNOWN = OvnRelease("unknown", None, "unknown")


def numbering_of(version: tuple[int, ...]) -> Numbering:
    """The numbering of an OVN release.

    >>> numbering_of((24, 9, 2)).value, numbering_of((24, 9, 3)).value, numbering_of((23, 9, 6)).value
    ('sorted-default', 'swapped', 'none')
    """
    if version < PER_VTEP_MIN:
        return Numbering.NONE
    if version < (24, 9, 0):
        return Numbering.SORTED
    if version < (24, 9, 3):
        return Numbering.SORTED_DEFAULT
    return Numbering.SWAPPED


_VERSION = re.compile(r"(\d+)\.(\d+)(?:\.(\d+))?")


def from_version(text: str) -> OvnRelease | None:
    """The release ovn-controller reported (``"24.03.9"``, also ``"24.03.9-0ubuntu1"``
    or a whole ``"ovn-controller 24.03.9"`` line); None when it holds no version."""
    found = _VERSION.search(text)
    if found is None:
        return None
    version = tuple(int(g) for g in found.groups(default="0"))
    return OvnRelease(found.group(0), numbering_of(version), "ovn-controller")


def from_chassis_features(other_config: Mapping[str, str]) -> OvnRelease | None:
    """The release range the feature flags of this chassis' own ``Chassis``
    row bound (see the module docstring); None without any flag (no
    ovn-controller has written the row)."""
    if "port-up-notif" not in other_config:  # written by every release since 21.06
        return None
    if "ct-label-flush" in other_config:
        return OvnRelease("25.03.0 or later", Numbering.SWAPPED, "southbound")
    if "ovn-sample-with-registers" in other_config:
        if "ct-state-save" in other_config:
            return OvnRelease("24.09.3", Numbering.SWAPPED, "southbound")
        return OvnRelease("24.09.0-24.09.2", Numbering.SORTED_DEFAULT, "southbound")
    if "ct-commit-to-zone" in other_config:  # 24.03.2 on: no 23.x writes it
        return OvnRelease("24.03.x", Numbering.SORTED, "southbound")
    # 23.09.2-24.03.1 write the same flags: only the flows can tell.
    return None


def release_of(ovn_version: str | None, chassis_features: Mapping[str, str] | None,
               why_not: str | None = None) -> OvnRelease:
    """The release from ovn-controller's own answer, else from the southbound
    DB, else unknown (``why_not`` says what did not answer)."""
    if ovn_version:
        found = from_version(ovn_version)
        if found is not None:
            return found
    if chassis_features is not None:
        found = from_chassis_features(chassis_features)
        if found is not None:
            return found
    return OvnRelease("unknown", None, "unknown", why_not)
