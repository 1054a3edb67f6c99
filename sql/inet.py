"""PostgreSQL's inet and cidr values (Django's GenericIPAddressField is inet): an address
with its netmask length. inet keeps host bits (``192.168.0.1/24``); cidr refuses them. Output
drops a full-length mask (``192.168.0.1``, not ``/32``) except for cidr and ``text()``.

Values order as PostgreSQL's network_cmp orders them: IPv4 before IPv6, then by the network
part (the shorter mask's bits), then the mask length, then the whole address.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from sql.errors import InvalidTextRepresentation

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class Inet:
    address: Address
    bits: int  # the netmask's length
    cidr: bool = False

    @property
    def max_bits(self) -> int:
        return self.address.max_prefixlen

    def key(self) -> tuple[int, int, int, int]:
        whole = int(self.address)
        net = whole >> (self.max_bits - self.bits) << (self.max_bits - self.bits)
        return (self.address.version, net, self.bits, whole)

    def full(self) -> str:
        """text(inet), and cidr's output: always with the mask."""
        return f"{self.address.compressed}/{self.bits}"

    def __str__(self) -> str:
        if self.cidr or self.bits != self.max_bits:
            return self.full()
        return self.address.compressed

    def __lt__(self, other: Inet) -> bool:
        return self.key() < other.key()

    def __le__(self, other: Inet) -> bool:
        return self.key() <= other.key()

    def __gt__(self, other: Inet) -> bool:
        return self.key() > other.key()

    def __ge__(self, other: Inet) -> bool:
        return self.key() >= other.key()


def parse_inet(text: str, cidr: bool = False) -> Inet:
    kind = "cidr" if cidr else "inet"
    s = text.strip()
    addr, _, mask = s.partition("/")
    try:
        address: Address = ipaddress.ip_address(addr)
        bits = int(mask) if mask else address.max_prefixlen
    except ValueError:
        raise InvalidTextRepresentation(f'invalid input syntax for type {kind}: "{text}"') from None
    if not 0 <= bits <= address.max_prefixlen:
        raise InvalidTextRepresentation(f'invalid input syntax for type {kind}: "{text}"')
    if cidr and int(address) & ((1 << (address.max_prefixlen - bits)) - 1):
        raise InvalidTextRepresentation(
            f'invalid cidr value: "{text}"', detail="Value has bits set to right of mask."
        )
    return Inet(address, bits, cidr)


def to_storage(v: Inet) -> tuple[int, bytes, int, bytes]:
    """The order key with its addresses as big-endian bytes (an IPv6 address is past the
    KV codec's integers)."""
    version, net, bits, whole = v.key()
    size = 4 if version == 4 else 16
    return (version, net.to_bytes(size, "big"), bits, whole.to_bytes(size, "big"))


def from_storage(v: Any, cidr: bool) -> Inet:
    _, _, bits, whole = v
    address: Address = ipaddress.ip_address(bytes(whole))
    return Inet(address, bits, cidr)


def network(v: Inet) -> Inet:
    """network(inet), and inet::cidr: the address with its host bits cleared, as a cidr."""
    host_bits = v.max_bits - v.bits
    whole = int(v.address) >> host_bits << host_bits
    address: Address = (
        ipaddress.IPv4Address(whole) if v.address.version == 4 else ipaddress.IPv6Address(whole)
    )
    return Inet(address, v.bits, cidr=True)


def host(v: Inet) -> str:
    return v.address.compressed


def family(v: Inet) -> int:
    return v.address.version
