"""Netlink replies from their bytes, every length checked before pyroute2 parses them.

A :class:`~mvcore.snapshot.NetlinkAnswer` keeps the kernel's reply messages
as they arrived, so the decoders run on a live answer and on one read back
from a support bundle alike, and the bytes may be cut short or damaged.
pyroute2's message classes trust every length they meet (an attribute
running past its message is clipped and decoded anyway), so the layout is
checked here first (uapi ``linux/netlink.h``):

* ``struct nlmsghdr``: u32 ``nlmsg_len`` (header included), u16
  ``nlmsg_type``, u16 flags, u32 seq, u32 pid; messages are ``NLMSG_ALIGN``-ed
  to 4 bytes;
* ``NLMSG_NOOP`` (1), ``NLMSG_ERROR`` (2: ``struct nlmsgerr``, an s32
  negative errno, 0 for an acknowledgement, then the request's header),
  ``NLMSG_DONE`` (3: the end of a dump); family messages start at
  ``NLMSG_MIN_TYPE`` (16);
* after the family's fixed header (``NLMSG_ALIGN``-ed), ``struct nlattr``: u16
  ``nla_len`` (header included), u16 ``nla_type`` whose top bits are
  ``NLA_F_NESTED`` (1<<15) and ``NLA_F_NET_BYTEORDER`` (1<<14), the payload,
  padding to 4 bytes.

Only then is a message handed to a pyroute2 class (:func:`parse`), narrowed
(:func:`narrow`) to the attributes mvtep reads, so nests it does not read are
never walked.  Nothing here raises for what the bytes hold: a problem is a
string saying what is wrong.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from hw.netns import errno_name

__all__ = ["NLMSG_HDRLEN", "NLA_HDRLEN", "NLA_TYPE_MASK", "Message", "split", "nla_chain", "attrs", "parse", "narrow",
           "raw", "concat", "u32"]

NLMSG_HDRLEN = 16
NLA_HDRLEN = 4
_NLMSG_NOOP, _NLMSG_ERROR, _NLMSG_DONE, _NLMSG_OVERRUN = 1, 2, 3, 4
_NLMSG_MIN_TYPE = 16
NLA_TYPE_MASK = 0x3FFF  # without NLA_F_NESTED and NLA_F_NET_BYTEORDER


def _align(n: int) -> int:
    return (n + 3) & ~3


@dataclass(frozen=True, slots=True)
class Message:
    """One checked message: its type, its bytes, its top-level attributes."""

    type: int
    data: bytes  # the whole message, nlmsghdr included
    attrs: tuple[tuple[int, bytes], ...]  # (type without the flag bits, payload), in order

    def attr(self, kind: int) -> bytes | None:
        """The payload of the first attribute of ``kind``."""
        return next((payload for k, payload in self.attrs if k == kind), None)


def u32(payload: bytes | None) -> int | None:
    """A host-order u32 attribute's value (its size was checked by :func:`split`)."""
    return None if payload is None or len(payload) < 4 else int(struct.unpack_from("=I", payload)[0])


def nla_chain(data: bytes, offset: int, end: int,
              nests: frozenset[int] = frozenset()) -> tuple[tuple[int, bytes], ...] | None:
    """The attributes in ``data[offset:end]``; None unless every one lies
    inside, and the chain ends where the message does (the last attribute's
    padding may be left out).  Attributes of a type in ``nests`` must hold a
    well-formed chain too."""
    out = []
    while offset + NLA_HDRLEN <= end:
        size, kind = struct.unpack_from("=HH", data, offset)
        kind &= NLA_TYPE_MASK
        if size < NLA_HDRLEN or offset + size > end:
            return None
        if kind in nests and nla_chain(data, offset + NLA_HDRLEN, offset + size, nests) is None:
            return None
        out.append((kind, data[offset + NLA_HDRLEN:offset + size]))
        offset += _align(size)
    return tuple(out) if offset >= end else None  # no stray bytes after the last attribute


def attrs(payload: bytes) -> tuple[tuple[int, bytes], ...]:
    """The attributes of a nest's ``payload``, leniently: none when the chain
    is damaged (:func:`split` checks the nests a caller must trust; the
    others are read for what they hold)."""
    return nla_chain(payload, 0, len(payload)) or ()


def split(data: bytes, *, msg_type: int | None, fixed: int, sizes: Mapping[int, int] | None = None,
          nests: frozenset[int] = frozenset()) -> list[Message] | str:
    """The messages of ``msg_type`` (any family type when None) in ``data``,
    or why ``data`` is not such a reply.

    ``fixed`` is the family header's size (``struct ifinfomsg``...);
    ``sizes`` the smallest payload each attribute type must have (a u32
    needs 4 bytes).  Acknowledgements, NOOP and DONE are skipped; an
    ``NLMSG_ERROR`` with an errno is the kernel's refusal: its errno name.
    """
    out: list[Message] = []
    offset = 0
    while offset < len(data):
        if len(data) - offset < NLMSG_HDRLEN:
            return "truncated reply"
        length, kind = struct.unpack_from("=IH", data, offset)
        if length < NLMSG_HDRLEN or offset + length > len(data):
            return "truncated reply"
        body = data[offset:offset + length]
        offset += _align(length)
        if kind == _NLMSG_ERROR:
            if length < NLMSG_HDRLEN + 4:
                return "truncated reply"
            code = struct.unpack_from("=i", body, NLMSG_HDRLEN)[0]
            if code:
                return errno_name(-code)
            continue
        if kind in (_NLMSG_NOOP, _NLMSG_DONE):
            continue
        if kind < _NLMSG_MIN_TYPE or (msg_type is not None and kind != msg_type):
            return f"unexpected message type {kind}"
        if length < NLMSG_HDRLEN + fixed:
            return "truncated message"
        attrs = nla_chain(body, NLMSG_HDRLEN + _align(fixed), length, nests)
        if attrs is None or any(len(payload) < (sizes or {}).get(k, 0) for k, payload in attrs):
            return "malformed attributes"
        out.append(Message(kind, body, attrs))
    return out


def narrow(base: type[Any], name: str, nla_map: tuple[tuple[Any, ...], ...]) -> type[Any]:
    """A subclass of pyroute2's message class ``base`` that decodes only the
    attributes in ``nla_map`` (``(number, name, type)``); the others stay
    undecoded.  pyroute2 compiles a class's NLA table once and marks it in a
    name-mangled class attribute that a subclass would inherit, so the mark
    is reset here."""
    return type(name, (base,), {"nla_map": nla_map, "_nlmsg_base__compiled_nla": False})


def parse(cls: type[Any], message: Message) -> Any | None:
    """``message`` decoded by the pyroute2 class ``cls``; None if it fails anyway."""
    try:
        msg = cls(message.data)
        msg.decode()
    except Exception:  # noqa: BLE001 - pyroute2 raises assorted errors on odd values
        return None
    return msg


def raw(msg: Any) -> bytes:
    """The bytes a pyroute2 message was parsed from, nlmsghdr included."""
    return bytes(msg.data[msg.offset:msg.offset + msg["header"]["length"]])


def concat(msgs: Iterable[Any]) -> bytes:
    """The bytes of several pyroute2 messages, as a reply holds them."""
    out = bytearray()
    for m in msgs:
        data = raw(m)
        out += data + b"\0" * (-len(data) % 4)  # NLMSG_ALIGN
    return bytes(out)
