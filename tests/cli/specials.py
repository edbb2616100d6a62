"""The IANA special-purpose registries (RFC 6890 and their updates) plus
multicast and the reserved 240/4, as ranges fcrscan's default blocklist
must cover; shared by the cli tests."""

import ipaddress

V4 = ["0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
      "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16",
      "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4"]
V6 = ["::/128", "::1/128", "::ffff:0:0/96", "64:ff9b::/96", "64:ff9b:1::/48", "100::/64",
      "2001::/23", "2001:db8::/32", "2002::/16", "3fff::/20", "5f00::/16", "fc00::/7",
      "fe80::/10", "ff00::/8"]


def nets(cidrs):
    return list(ipaddress.collapse_addresses(ipaddress.ip_network(c) for c in cidrs))


def union_size(cidrs):
    return sum(n.num_addresses for n in nets(cidrs))
