"""Which names the server answers to (the ``Host`` header), and which addresses are this machine only.

A browser sends the name it was given in the ``Host`` header. Checking it stops DNS rebinding: a
web page on ``evil.example`` whose name is made to point at 127.0.0.1 reaches the server with
``Host: evil.example`` and is refused (421) before any route runs.

* Loopback bind (127.x, ::1, ``localhost``): only ``127.0.0.1``, ``localhost`` and ``[::1]``.
* Any other bind: the names in ``[serve] allowed_hosts`` plus the bind address itself; a wildcard
  bind (``0.0.0.0``, ``::``) listens on every interface, loopback included, so it also answers to
  the loopback names and to this machine's network address (the one ``shizu serve`` prints), but
  never to the wildcard address as a name.

Any port is accepted; names are compared without case, IPv6 addresses in their compressed form.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Iterable

from shizu.errors import ServeError

LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "[::1]"})
WILDCARDS = ("0.0.0.0", "::", "")
_NAME = re.compile(r"[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*")


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach (localhost, 127.x, ::1)."""
    if host.casefold() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def host_name(value: str) -> str | None:
    """The name of a ``Host`` header value (``name``, ``name:port``, ``[v6]``, ``[v6]:port``),
    lower-cased, IPv6 compressed and in brackets; ``None`` for anything else."""
    value = value.strip().lower()
    if value.startswith("["):
        end = value.find("]")
        inside, rest = value[1:end], value[end + 1:]
        try:
            name = f"[{ipaddress.IPv6Address(inside).compressed}]" if end > 0 else ""
        except ValueError:
            return None
    else:
        name, colon, port = value.partition(":")
        rest = colon + port
        if not _NAME.fullmatch(name):
            return None
    if rest and not (rest.startswith(":") and rest[1:].isdigit() and len(rest) <= 6):
        return None
    return name or None


def address_name(address: str) -> str | None:
    """A bind address or configured name as :func:`host_name` writes it (IPv6 in brackets)."""
    try:
        ip = ipaddress.ip_address(address.strip("[]"))
    except ValueError:
        return host_name(address) if ":" not in address else None
    return f"[{ip.compressed}]" if ip.version == 6 else str(ip)


def allowed_names(bind: str, configured: Iterable[str] = (), lan: str | None = None) -> frozenset[str]:
    """The ``Host`` names a server bound to ``bind`` answers to (see the module's rules).

    ``lan``: this machine's network address, added for a wildcard bind. Raises :class:`ServeError`
    for a configured name that is not a host name or an IP address.
    """
    if is_loopback(bind):
        return LOOPBACK_NAMES
    names: set[str] = set()
    for entry in configured:
        name = address_name(entry)
        if name is None:
            raise ServeError(
                f"[serve] allowed_hosts: {entry!r} is not a host name or an IP address",
                hint='List bare names, without scheme, port or path: allowed_hosts = ["mika.example.org", "192.168.1.20"]',
            )
        names.add(name)
    if bind in WILDCARDS:
        names |= LOOPBACK_NAMES
        if lan and (name := address_name(lan)) is not None:
            names.add(name)
    elif (name := address_name(bind)) is not None:
        names.add(name)
    return frozenset(names)


def lan_address() -> str:
    """This machine's address on its local network (no packet is sent), else its host name."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.168.0.1", 9))
            return str(probe.getsockname()[0])
        except OSError:
            return socket.gethostname()
