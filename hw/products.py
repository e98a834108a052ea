"""Mellanox/NVIDIA PCI device ids: product names and what mvtep supports.

Ids from the mlx5 PCI table (kernel
``drivers/net/ethernet/mellanox/mlx5/core/main.c``, ``mlx5_core_pci_table``)
and pci.ids; see hw-reference.md section 1.  The product is decided by the
*PF's* id: VFs of most families share 0x101e, so a VF says nothing about its
card (follow ``physfn``).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["MELLANOX", "Product", "product"]

MELLANOX = 0x15B3


@dataclass(frozen=True, slots=True)
class Product:
    name: str
    bluefield: bool = False
    supported: bool = False  # what multi-VTEP is documented for: ConnectX-6 family, BlueField-2


_PRODUCTS: dict[int, Product] = {
    0x1013: Product("ConnectX-4"),
    0x1015: Product("ConnectX-4 Lx"),
    0x1017: Product("ConnectX-5"),
    0x1019: Product("ConnectX-5 Ex"),
    0x101B: Product("ConnectX-6", supported=True),
    0x101D: Product("ConnectX-6 Dx", supported=True),
    0x101F: Product("ConnectX-6 Lx", supported=True),
    0x1021: Product("ConnectX-7"),
    0x1023: Product("ConnectX-8"),
    0x1025: Product("ConnectX-9"),
    0xA2D2: Product("BlueField", bluefield=True),
    # The same id in NIC and DPU mode: the mode is not in the PCI ids
    # (hw-reference.md section 5); the netlink checks tell them apart.
    0xA2D6: Product("BlueField-2", bluefield=True, supported=True),
    0xA2DC: Product("BlueField-3", bluefield=True),
    0xA2D9: Product("BlueField-3 Lx", bluefield=True),
    0xA2DF: Product("BlueField-4", bluefield=True),
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


def product(device_id: int | None) -> Product:
    """The product a PF's device id names; never fails.

    >>> product(0x101d)
    Product(name='ConnectX-6 Dx', bluefield=False, supported=True)
    >>> product(0x1234).name
    'Mellanox device 0x1234'
    """
    if device_id is None:
        return Product("Mellanox device (id unreadable)")
    return _PRODUCTS.get(device_id, Product(f"Mellanox device 0x{device_id:04x}"))
