"""Who manages each PF's e-switch, and which PFs share one: pure decisions over
what sysfs showed (:mod:`hw.inventory`) and what devlink answered (:mod:`hw.host`).

A PF gets every check when it is an mlx5 NIC function that manages its
e-switch; nothing about the product matters (ConnectX-4 Lx to -9, BlueField-2
to -4 in NIC mode all offload the same way).  The evidence, strongest first:

* devlink answered ``ESWITCH_GET`` (or MLNX_OFED's ``compat/devlink/mode``
  did, which calls the same getter): only the manager can
  (``mlx5_eswitch_check``: EOPNOTSUPP, EPERM on older mlx5, for others);
* the uplink has a ``phys_switch_id``: recent kernels set it only on the
  manager (``en/devlink.c``, ``MLX5_ESWITCH_MANAGER``), older ones never on
  a legacy PF, so its absence proves nothing;
* a BlueField host PF whose ``ESWITCH_GET`` was refused with EOPNOTSUPP or
  EPERM by a privileged caller is in DPU mode: the Arm (the ECPF) owns the
  e-switch and the representors (hw-reference.md 5).

Representors of another host's functions (``pf0hpf``, ``c1pf0vf3``) exist
only on the e-switch manager of a BlueField in DPU mode, i.e. on its Arm,
where ovnkube-node runs with ``--ovnkube-node-mode dpu``, plugs the host
VFs' representors into br-int and resolves the Arm's own uplinks ``p0``/``p1``
for ``ovn-pf-encap-ip-mapping`` (ovn-kubernetes
``base_node_network_controller_dpu.go``, ``util/sriovnet_linux.go``).
"""

from __future__ import annotations

from dataclasses import dataclass

from hw.host import HostView, eswitch_of
from hw.model import Adapter, Inventory, PhysicalFunction

__all__ = ["Role", "role_of", "card_of", "shares_eswitch", "eswitch_peers", "NOT_MANAGER_ERRORS"]

NOT_MANAGER_ERRORS = ("EOPNOTSUPP", "EPERM")


@dataclass(frozen=True, slots=True)
class Role:
    """What a PF is to its e-switch."""

    kind: str  # "manager", "arm" (a BlueField's Arm, managing for its host), "dpu-host", "unknown"
    why: str  # the evidence, in words


def role_of(adapter: Adapter, pf: PhysicalFunction, view: HostView, privileged: bool) -> Role:
    """The PF's role (see the module docstring for the evidence)."""
    state = eswitch_of(pf, view)
    arm = bool(pf.host_representors)
    if state.mode != "unknown":
        how = "devlink answered ESWITCH_GET" if state.source == "devlink" else "compat/devlink/mode answered"
        return Role("arm" if arm else "manager", how)
    if arm:
        names = ", ".join(r.netdev for r in pf.host_representors[:3])
        return Role("arm", f"it has representors of the host's functions ({names})")
    refused = state.source == "devlink" and state.error in NOT_MANAGER_ERRORS
    if adapter.bluefield and refused and privileged:
        return Role("dpu-host", f"devlink refused ESWITCH_GET with {state.error}: the Arm manages the e-switch")
    if pf.switch_id:
        return Role("manager", "its uplink has a switch id, which mlx5 gives only the e-switch manager")
    return Role("unknown", state.error or "devlink did not answer")


def card_of(pf: PhysicalFunction) -> str:
    """The card (PCI slot) a PF belongs to: ``0000:03:00``."""
    return pf.pci.rsplit(".", 1)[0]



def shares_eswitch(a: PhysicalFunction, b: PhysicalFunction, view: HostView) -> bool:
    """Whether a VF of PF ``a`` can leave through PF ``b``'s uplink in hardware.

    The same PF; or both uplinks enslaved to one bond (VF-LAG: mlx5 joins the
    two e-switches and OVS sees only the bond); or two PFs of one card with
    ``esw_multiport`` on (MultiPort E-Switch: one FDB for both ports,
    devlink param, mlx5 ``mlx5_lag_is_mpesw``).  Otherwise the two
    e-switches are separate and mlx5 cannot forward between them.
    """
    if a.pci == b.pci:
        return True
    if a.lag is not None and b.lag is not None and a.lag.master == b.lag.master:
        return True
    return card_of(a) == card_of(b) and view.param(a.pci, "esw_multiport") is True


def eswitch_peers(inv: Inventory, pf: PhysicalFunction, view: HostView) -> tuple[PhysicalFunction, ...]:
    """The PFs (``pf`` included) whose uplinks ``pf``'s VFs can use."""
    return tuple(other for a in inv.adapters for other in a.pfs if shares_eswitch(pf, other, view))
