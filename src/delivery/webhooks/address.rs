//! Which addresses a webhook may be sent to: public unicast only. Loopback,
//! private, shared (CGNAT), link-local, unique-local, multicast, unspecified,
//! documentation, benchmarking and reserved ranges are refused, and so are
//! IPv6 forms that embed such an IPv4 address. A pure rule (the DNS lookup
//! is the caller's).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{Ipv4Net, Ipv6Net};

const fn v4(a: u8, b: u8, c: u8, d: u8, len: u8) -> Ipv4Net {
    Ipv4Net::new_assert(Ipv4Addr::new(a, b, c, d), len)
}

const fn v6(segments: [u16; 8], len: u8) -> Ipv6Net {
    let [a, b, c, d, e, f, g, h] = segments;
    Ipv6Net::new_assert(Ipv6Addr::new(a, b, c, d, e, f, g, h), len)
}

/// IPv4 ranges that are not the public internet (RFC 6890 and friends).
pub const BLOCKED_V4: &[Ipv4Net] = &[
    v4(0, 0, 0, 0, 8),       // "this network", unspecified
    v4(10, 0, 0, 0, 8),      // private
    v4(100, 64, 0, 0, 10),   // shared address space (CGNAT)
    v4(127, 0, 0, 0, 8),     // loopback
    v4(169, 254, 0, 0, 16),  // link-local (cloud metadata lives here)
    v4(172, 16, 0, 0, 12),   // private
    v4(192, 0, 0, 0, 24),    // IETF protocol assignments
    v4(192, 0, 2, 0, 24),    // documentation
    v4(192, 88, 99, 0, 24),  // 6to4 relay anycast
    v4(192, 168, 0, 0, 16),  // private
    v4(198, 18, 0, 0, 15),   // benchmarking
    v4(198, 51, 100, 0, 24), // documentation
    v4(203, 0, 113, 0, 24),  // documentation
    v4(224, 0, 0, 0, 4),     // multicast
    v4(240, 0, 0, 0, 4),     // reserved, broadcast
];

/// IPv6: only global unicast (2000::/3) may be public at all.
const GLOBAL_UNICAST: Ipv6Net = v6([0x2000, 0, 0, 0, 0, 0, 0, 0], 3);

/// Inside 2000::/3, ranges that are still not the public internet.
pub const BLOCKED_V6: &[Ipv6Net] = &[
    v6([0x2001, 0, 0, 0, 0, 0, 0, 0], 23), // IETF protocol assignments (Teredo…)
    v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0], 32), // documentation
    v6([0x3fff, 0, 0, 0, 0, 0, 0, 0], 20), // documentation
];

/// 6to4: the IPv4 address is in bits 16..48.
const SIX_TO_FOUR: Ipv6Net = v6([0x2002, 0, 0, 0, 0, 0, 0, 0], 16);
/// NAT64 well-known prefix: the IPv4 address is in the last 32 bits.
const NAT64: Ipv6Net = v6([0x64, 0xff9b, 0, 0, 0, 0, 0, 0], 96);

/// Whether `ip` is a public unicast address a webhook may be sent to.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => is_public_v4(a),
        IpAddr::V6(a) => is_public_v6(a),
    }
}

fn is_public_v4(a: Ipv4Addr) -> bool {
    !BLOCKED_V4.iter().any(|n| n.contains(&a))
}

fn is_public_v6(a: Ipv6Addr) -> bool {
    // An IPv4 address written as IPv6 (::ffff:a.b.c.d) is that address.
    if let Some(v4) = a.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    let o = a.octets();
    if NAT64.contains(&a) {
        return is_public_v4(Ipv4Addr::new(o[12], o[13], o[14], o[15]));
    }
    if SIX_TO_FOUR.contains(&a) {
        return is_public_v4(Ipv4Addr::new(o[2], o[3], o[4], o[5]));
    }
    GLOBAL_UNICAST.contains(&a) && !BLOCKED_V6.iter().any(|n| n.contains(&a))
}

#[cfg(test)]
mod tests {
    //! Table-driven: every blocked range is refused at both ends and its
    //! neighbours outside every range are allowed. No address is written
    //! out, and nothing here opens a connection.
    use super::*;

    fn outside_all_v4(a: Ipv4Addr) -> bool {
        !BLOCKED_V4.iter().any(|n| n.contains(&a))
    }

    #[test]
    fn every_blocked_v4_range_is_refused_at_both_ends() {
        for n in BLOCKED_V4 {
            assert!(!is_public(IpAddr::V4(n.network())), "{n}");
            assert!(!is_public(IpAddr::V4(n.broadcast())), "{n}");
            let below = u32::from(n.network()).checked_sub(1).map(Ipv4Addr::from);
            let above = u32::from(n.broadcast()).checked_add(1).map(Ipv4Addr::from);
            for a in [below, above].into_iter().flatten() {
                assert_eq!(is_public(IpAddr::V4(a)), outside_all_v4(a), "{a}");
            }
        }
        assert!(!is_public(IpAddr::V4(Ipv4Addr::LOCALHOST)));
        assert!(!is_public(IpAddr::V4(Ipv4Addr::UNSPECIFIED)));
        assert!(!is_public(IpAddr::V4(Ipv4Addr::BROADCAST)));
    }

    #[test]
    fn v6_loopback_unspecified_and_local_forms_are_refused() {
        assert!(!is_public(IpAddr::V6(Ipv6Addr::LOCALHOST)));
        assert!(!is_public(IpAddr::V6(Ipv6Addr::UNSPECIFIED)));
        for n in BLOCKED_V6 {
            assert!(!is_public(IpAddr::V6(n.network())), "{n}");
        }
        // Unique-local, link-local and multicast lie outside 2000::/3.
        for first in [0xfc00u16, 0xfd00, 0xfe80, 0xff02] {
            let a = Ipv6Addr::new(first, 0, 0, 0, 0, 0, 0, 1);
            assert!(!is_public(IpAddr::V6(a)), "{a}");
        }
        // The first global unicast address past the blocked ranges is allowed.
        let after = u128::from(BLOCKED_V6[0].broadcast()) + 1;
        assert!(is_public(IpAddr::V6(Ipv6Addr::from(after))));
    }

    #[test]
    fn v4_inside_v6_is_judged_as_v4() {
        let lo = Ipv4Addr::LOCALHOST;
        assert!(!is_public(IpAddr::V6(lo.to_ipv6_mapped())));
        let [a, b, c, d] = lo.octets();
        let nat64 = Ipv6Addr::new(
            0x64,
            0xff9b,
            0,
            0,
            0,
            0,
            u16::from_be_bytes([a, b]),
            u16::from_be_bytes([c, d]),
        );
        assert!(!is_public(IpAddr::V6(nat64)));
        let six_to_four = Ipv6Addr::new(
            0x2002,
            u16::from_be_bytes([a, b]),
            u16::from_be_bytes([c, d]),
            0,
            0,
            0,
            0,
            1,
        );
        assert!(!is_public(IpAddr::V6(six_to_four)));
    }
}
