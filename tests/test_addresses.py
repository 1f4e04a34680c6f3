"""Which URLs the crawler refuses: other schemes, private/loopback addresses unless allow-listed."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crawler.addresses import check_url
from crawler.errors import RefusedRequest

PUBLIC = "93.184.216.34"


def resolver(table: dict[str, list[str]]) -> Callable[[str], list[str]]:
    return lambda host: table.get(host, [])


@pytest.mark.parametrize(
    "url", ["ftp://example.com/a", "file:///etc/passwd", "data:text/html,x", "gopher://x/"]
)
def test_only_http_and_https(url: str) -> None:
    with pytest.raises(RefusedRequest) as caught:
        check_url(url, resolver=resolver({}))
    assert caught.value.reason == "scheme"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/",
        "http://10.1.2.3/",
        "http://192.168.0.1/",
        "http://172.16.5.5/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://0.0.0.0/",
        "http://100.64.0.1/",
        "https://intranet.example/",  # a public-looking name that resolves inside
    ],
)
def test_private_and_loopback_addresses_are_refused(url: str) -> None:
    with pytest.raises(RefusedRequest) as caught:
        check_url(url, resolver=resolver({"intranet.example": [PUBLIC, "10.0.0.7"]}))
    assert caught.value.reason == "private_address"


def test_public_hosts_and_allow_listed_ones_pass() -> None:
    names = resolver({"news.example.cn": [PUBLIC], "fixture.local": ["127.0.0.1"]})
    check_url("https://news.example.cn/a.html", resolver=names)
    check_url("http://127.0.0.1:8000/x", allow=["127.0.0.1"], resolver=names)
    check_url("http://fixture.local/x", allow=["127.0.0.0/8"], resolver=names)
    with pytest.raises(RefusedRequest):  # the host name, not its address, is what is listed
        check_url("http://fixture.local/x", allow=["127.0.0.1"], resolver=names)


@pytest.mark.parametrize(
    "host", ["2130706433", "0x7f000001", "0177.0.0.1", "127.1", "0x7f.0.0.1", "127.0.0.1."]
)
def test_an_address_spelled_as_a_number_is_that_address(host: str) -> None:
    """A browser (WHATWG URL) and w3lib >= 2.6 read these as 127.0.0.1; the guard must too, with
    no resolver to do it: refused unless allow-listed, and allowed as 127.0.0.1 when it is."""
    with pytest.raises(RefusedRequest) as caught:
        check_url(f"http://{host}:8000/x", resolver=resolver({}))
    assert caught.value.reason == "private_address"
    check_url(f"http://{host}:8000/x", allow=["127.0.0.1:8000"], resolver=resolver({}))
    check_url("http://127.0.0.1:8000/x", allow=[f"{host}:8000"], resolver=resolver({}))


@pytest.mark.parametrize("host", ["999.0.0.1", "1.2.3.4.5", "0x100000000", "a.1", "09"])
def test_a_host_ending_in_a_bad_number_is_no_host(host: str) -> None:
    with pytest.raises(RefusedRequest) as caught:
        check_url(f"http://{host}/x", resolver=resolver({host: [PUBLIC]}))
    assert caught.value.reason == "no_host"


@given(st.ip_addresses())
def test_an_address_passes_only_if_it_is_global(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address,
) -> None:
    host = f"[{address}]" if address.version == 6 else str(address)
    try:
        check_url(f"http://{host}/", resolver=resolver({}))
    except RefusedRequest as refused:
        assert refused.reason == "private_address"
        assert not address.is_global or address.is_multicast
    else:
        assert address.is_global and not address.is_multicast
