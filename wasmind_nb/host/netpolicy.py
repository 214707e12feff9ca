"""Which hosts, ports and addresses an actor may reach over the ``http`` capability.

Entries (``capabilities.http_hosts``):

* ``api.example.com``: that host on ports 80 and 443; ``api.example.com:8080``: port 8080 only;
  ``api.example.com:*``: every port.
* ``*.example.com``: every subdomain of ``example.com`` (not ``example.com`` itself), same port rules.
* ``203.0.113.7``, ``[2001:db8::1]``, ``[2001:db8::1]:8443``: an IP address, same port rules.
* ``*``: every public host on every port.

Two checks guard every hop: the URL's host and port against the entries (:meth:`HttpPolicy.check`), then
each address the host resolves to (:meth:`HttpPolicy.check_address`). Loopback, private, link-local,
shared (CGNAT), unique-local, multicast, unspecified and reserved addresses, and IPv6 forms embedding one,
are refused unless an entry names that exact IP address (with a matching port) and the URL's host is that
address or is named exactly (no wildcard) by another entry; or the URL's host is ``localhost``, an entry
``localhost`` matches it and the address is a loopback one. ``*`` and ``*.domain`` never grant them, so a
name that resolves (or rebinds) to ``127.0.0.1`` is refused unless the grant lists both it and the address.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from wasmind_nb.host.denial import Denial

__all__ = ["DEFAULT_PORTS", "HostEntry", "HttpPolicy", "address_kind", "host_port"]

DEFAULT_PORTS = frozenset({80, 443})
"""Ports an entry without a port grants."""

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_CGNAT = ipaddress.IPv4Network("100.64.0.0/10")
_THIS_NETWORK = ipaddress.IPv4Network("0.0.0.0/8")
_ULA = ipaddress.IPv6Network("fc00::/7")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_V4_COMPATIBLE = ipaddress.IPv6Network("::/96")


@dataclass(frozen=True, slots=True)
class HostEntry:
    """One parsed ``http_hosts`` entry. ``ports`` is ``None`` for every port."""

    text: str
    name: str
    ports: frozenset[int] | None
    address: IPAddress | None

    @classmethod
    def parse(cls, text: str) -> HostEntry:
        """Parse an entry; raises ``ValueError`` naming it when it is none of the forms above."""
        entry = text.strip().lower()
        if not entry or any(char in entry for char in "/@?#") or any(char.isspace() for char in entry):
            raise ValueError(f"'{text}' is not a host entry (write 'api.example.com' or 'host:8080')")
        name, port = _split_port(entry, text)
        ports = _parse_port(port, text)
        if "*" in name and not (name == "*" or (name.startswith("*.") and "*" not in name[2:])):
            raise ValueError(
                f"'{text}': a wildcard is only allowed as a leading '*.' (as in '*.example.com')"
            )
        if name == "*":
            if port is not None:
                raise ValueError(f"'{text}': '*' stands for every public host on every port; drop the port")
            return cls(text, "*", None, None)
        address = _ip(name)
        return cls(text, str(address) if address else _ascii(name), ports, address)

    def matches(self, host: str, port: int) -> bool:
        """Whether this entry grants ``host`` (normalised, see :func:`normalise_host`) on ``port``."""
        if self.ports is not None and port not in self.ports:
            return False
        return self.matches_name(host)

    def matches_name(self, host: str) -> bool:
        if self.name == "*":
            return True
        if self.name.startswith("*."):
            return _ip(host) is None and host.endswith(self.name[1:])
        if self.address is not None:
            return _ip(host) == self.address
        return host == self.name


@dataclass(frozen=True, slots=True)
class HttpPolicy:
    """The ``http_hosts`` grant of ``actor``. An empty ``allowed`` denies everything."""

    allowed: tuple[str, ...]
    actor: str
    entries: tuple[HostEntry, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "entries", tuple(HostEntry.parse(text) for text in self.allowed))

    def check(self, host: str, port: int) -> Denial | None:
        """``None`` if an entry grants ``host`` on ``port``, else the denial."""
        name = normalise_host(host)
        if any(entry.matches(name, port) for entry in self.entries):
            return None
        target = host_port(name, port)
        if not self.entries:
            reason = f"actor '{self.actor}' is not allowed to reach {target}: it has no http_hosts grant"
        elif any(entry.matches_name(name) for entry in self.entries):
            ports = sorted({p for e in self.entries if e.matches_name(name) and e.ports for p in e.ports})
            reason = (
                f"actor '{self.actor}' is not allowed to reach {target}: its http_hosts grant this host on "
                f"port {', '.join(map(str, ports))} only (an entry without a port means 80 and 443); "
                f"grant '{target}' for this port"
            )
        else:
            reason = f"actor '{self.actor}' is not allowed to reach {target}: not in its http_hosts"
        return self._denial(target, reason)

    def check_address(self, host: str, port: int, address: str) -> Denial | None:
        """``None`` if ``host`` may be reached at ``address`` (one it resolved to), else the denial."""
        ip = _ip(address.split("%", 1)[0])
        name = normalise_host(host)
        target = host_port(name, port)
        if ip is None:
            return self._denial(target, f"{target} resolved to '{address}', which is not an IP address")
        kind = address_kind(ip)
        if kind is None or self._grants_address(name, port, ip, kind):
            return None
        shown = host_port(str(ip), port)
        if _ip(name) is not None:
            reason = f"{target} is a {kind} address; only the http_hosts entry '{shown}' grants it"
        else:
            reason = (
                f"{name} resolves to {ip}, a {kind} address; only http_hosts listing both '{target}' and "
                f"'{shown}' grant it, never a wildcard"
            )
        reason = f"actor '{self.actor}' is not allowed to reach {target}: {reason}"
        return self._denial(target, reason)

    def _grants_address(self, host: str, port: int, ip: IPAddress, kind: str) -> bool:
        """An entry names ``ip`` and, for a host name, another names the host exactly (no wildcard)."""
        named = [entry for entry in self.entries if entry.ports is None or port in entry.ports]
        if host == "localhost" and kind == "loopback" and any(e.name == "localhost" for e in named):
            return True
        if not any(entry.address is not None and entry.address in (ip, _embedded_v4(ip)) for entry in named):
            return False
        if _ip(host) is not None:
            return True
        return any(entry.name == host for entry in named)

    def _denial(self, target: str, reason: str) -> Denial:
        return Denial(self.actor, "http_hosts", target, reason)


def normalise_host(host: str) -> str:
    """Lower-case, without brackets or trailing dot, IDNA-encoded; IP addresses in canonical form."""
    name = host.strip().strip("[]").rstrip(".").lower()
    address = _ip(name)
    return str(address) if address is not None else _ascii(name)


def host_port(host: str, port: int) -> str:
    """``host:port``, with an IPv6 address in brackets."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def address_kind(ip: IPAddress) -> str | None:
    """``None`` for a public address, else what makes it non-public (``"loopback"``, ``"private"``, ...)."""
    embedded = _embedded_v4(ip)
    if embedded is not None:
        kind = address_kind(embedded)
        if ip in _NAT64 or kind is not None:
            return None if kind is None else f"{kind} (embedded in {ip})"
        return None if ip.is_global else "reserved"
    if ip.is_unspecified or (isinstance(ip, ipaddress.IPv4Address) and ip in _THIS_NETWORK):
        return "unspecified"
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT:
        return "shared (CGNAT)"
    if isinstance(ip, ipaddress.IPv6Address) and ip in _ULA:
        return "unique-local"
    if isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local:
        return "site-local"
    if ip.is_multicast:
        return "multicast"
    if ip.is_private:
        return "private"
    if not ip.is_global:
        return "reserved"
    return None


def _embedded_v4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address inside an IPv4-mapped, IPv4-compatible, 6to4 or NAT64 IPv6 address."""
    if isinstance(ip, ipaddress.IPv4Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64 or (ip in _V4_COMPATIBLE and int(ip) > 1):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def _ip(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _ascii(name: str) -> str:
    try:
        return name.encode("idna").decode("ascii")
    except UnicodeError:
        return name


def _split_port(entry: str, original: str) -> tuple[str, str | None]:
    """As ``config.models._split_port``: ``[v6]``, ``[v6]:port``, ``name:port``, or a bare name or v6."""
    if entry.startswith("["):
        close = entry.find("]")
        if close < 0 or (close + 1 < len(entry) and entry[close + 1] != ":"):
            raise ValueError(f"'{original}': write an IPv6 address as '[::1]' or '[::1]:8080'")
        name = entry[1:close]
        if not isinstance(_ip(name), ipaddress.IPv6Address):
            raise ValueError(f"'{original}': '{name}' in brackets is not an IPv6 address")
        return name, (entry[close + 2 :] if close + 1 < len(entry) else None)
    if entry.count(":") == 1:
        name, port = entry.split(":")
        return name, port
    return entry, None


def _parse_port(port: str | None, original: str) -> frozenset[int] | None:
    if port is None:
        return DEFAULT_PORTS
    if port == "*":
        return None
    if not (port.isascii() and port.isdigit() and len(port) <= 5 and 0 < int(port) < 65_536):
        raise ValueError(f"'{original}': the port must be a number from 1 to 65535, or '*'")
    return frozenset({int(port)})
