"""What a request says about who sent it and which site it reached."""

import functools
import ipaddress

from django.conf import settings
from django.urls import get_script_prefix
from django.utils.crypto import salted_hmac


def client_address(request) -> str | None:
    """The address a request came from, as a throttling key: an IPv4 address,
    or an IPv6 /64 network (one subscriber gets a whole /64 to pick from).

    Behind CLIENT_ADDRESS_PROXIES proxies it is the address the outermost of
    them saw, read from the right-hand end of X-Forwarded-For: entries to the
    left of it were written by the client and prove nothing."""
    address = request.META.get("REMOTE_ADDR", "")
    proxies = settings.CLIENT_ADDRESS_PROXIES
    if proxies > 0:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if len(hops) >= proxies:
            address = hops[-proxies]
    return address_key(address)


def address_key(address: str) -> str | None:
    """An IPv4 address as it is, an IPv6 one as its /64 network; text that is
    no address, cut short (None when empty)."""
    address = address.strip()
    # Remembered (every cached page's hit asks), but never text longer than any address.
    return _address_key(address) if len(address) <= 64 else address[:64]


@functools.lru_cache(maxsize=4096)
def _address_key(address: str) -> str | None:
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address[:64] or None
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return str(parsed)


def address_digest(address: str) -> str:
    """What is stored of a guest's address (comments, kudos): a digest of
    its address_key, keyed with the site's secret so it cannot be reversed
    by trying every IPv4 address; enough to count and compare, not to read.
    "" when there is no address."""
    key = address_key(address or "")
    if not key:
        return ""
    return salted_hmac("duster.address", key, algorithm="sha256").hexdigest()


def site_url(request) -> str:
    """The archive's root as this request reached it (scheme, host, any script
    prefix), ending in "/": links in mail sent later are built on it."""
    return request.build_absolute_uri(get_script_prefix())
