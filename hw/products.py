"""Mellanox/NVIDIA PCI device ids: product names, and which are mlx5 NICs.

Ids from the mlx5 PCI table (kernel
``drivers/net/ethernet/mellanox/mlx5/core/main.c``, ``mlx5_core_pci_table``)
and pci.ids; see hw-reference.md section 1.  The product is decided by the
*PF's* id: VFs of most families share 0x101e, so a VF says nothing about its
card (follow ``physfn``).

What gets checked is not a product list: every PF of an mlx5 NIC (``mlx5``
here, or bound to ``mlx5_core`` when this table does not know its id yet)
is, and whether it manages its e-switch is the host's answer
(:mod:`hw.roles`).  The name is for display.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["MELLANOX", "KNOWN", "Product", "product"]

MELLANOX = 0x15B3


@dataclass(frozen=True, slots=True)
class Product:
    name: str
    bluefield: bool = False
    mlx5: bool = False  # a NIC function of mlx5_core_pci_table: e-switch, switchdev, TC offload


_PRODUCTS: dict[int, Product] = {
    0x1013: Product("ConnectX-4", mlx5=True),
    0x1015: Product("ConnectX-4 Lx", mlx5=True),
    0x1017: Product("ConnectX-5", mlx5=True),
    0x1019: Product("ConnectX-5 Ex", mlx5=True),
    0x101B: Product("ConnectX-6", mlx5=True),
    0x101D: Product("ConnectX-6 Dx", mlx5=True),
    0x101F: Product("ConnectX-6 Lx", mlx5=True),
    0x1021: Product("ConnectX-7", mlx5=True),
    0x1023: Product("ConnectX-8", mlx5=True),
    0x1025: Product("ConnectX-9", mlx5=True),
    0x1027: Product("ConnectX-10", mlx5=True),
    0x2101: Product("ConnectX-10 NVLink-C2C", mlx5=True),
    0xA2D2: Product("BlueField", bluefield=True, mlx5=True),
    # The same id in NIC and DPU mode: the mode is not in the PCI ids
    # (hw-reference.md section 5); the netlink checks tell them apart.
    0xA2D6: Product("BlueField-2", bluefield=True, mlx5=True),
    0xA2DC: Product("BlueField-3", bluefield=True, mlx5=True),
    0xA2D9: Product("BlueField-3 Lx", bluefield=True),
    0xA2DF: Product("BlueField-4", bluefield=True, mlx5=True),
    # A card showing one of these is in a recovery/boot state, not a usable NIC.
    0xA2D4: Product("BlueField-2 SoC (crypto enabled)", bluefield=True),
    0xA2D5: Product("BlueField-2 SoC (crypto disabled)", bluefield=True),
    0x0212: Product("ConnectX-6 Dx Flash Recovery"),
    0x0213: Product("ConnectX-6 Dx Secure Flash Recovery"),
    0x0214: Product("BlueField-2 SoC Flash Recovery", bluefield=True),
    # BlueField functions that are not NICs (a DMA controller, class 0x0801,
    # next to the PFs): discovery skips them by PCI class, the names say why.
    0xC2D1: Product("BlueField DPU Auxiliary Communication Channel", bluefield=True),
    0xC2D2: Product("BlueField SoC Management Interface", bluefield=True),
    0xC2D3: Product("BlueField-2 SoC Management Interface", bluefield=True),
    0xC2D5: Product("BlueField-3 SoC Management Interface", bluefield=True),
}

KNOWN = frozenset(_PRODUCTS)  # ids named here (mlx5 or not)


def product(device_id: int | None) -> Product:
    """The product a PF's device id names; never fails.

    >>> product(0x1021)
    Product(name='ConnectX-7', bluefield=False, mlx5=True)
    >>> product(0x1234).name
    'Mellanox device 0x1234'
    """
    if device_id is None:
        return Product("Mellanox device (id unreadable)")
    return _PRODUCTS.get(device_id, Product(f"Mellanox device 0x{device_id:04x}"))
