/*
 * packet/raw.h - what the raw engines (dpdk, pcap) do with frames, minus the
 * I/O: decide what a received frame is to us, answer ARP and neighbour
 * discovery for our own addresses, and write outgoing UDP frames from a
 * per-destination template.
 *
 * Purpose: one implementation of the link-layer duties both raw engines
 * share, kept pure so it is unit-tested and fuzzed like the codec: bytes in,
 * caller-owned fixed structs and buffers out; no allocation, no I/O, no
 * threads, no global state. Reentrant; any thread.
 * Hot path: yes. pkt_raw_classify runs once per received frame and
 * pkt_raw_tmpl_write once per sent datagram (the 10 Mpps TX path: a header
 * copy, four 16-bit fields, two checksums and the payload copy).
 * Untrusted input: yes, every received frame; the classifier never reads
 * outside [frame, frame + len).
 * Standards: RFC 826 (ARP), RFC 4861 (neighbour discovery: NS/NA, link-layer
 * address options), RFC 4291 §2.7.1 (solicited-node multicast), RFC 4443
 * (ICMPv6 checksum), RFC 791/8200/768 (frames, via packet/frame.h), RFC 6864
 * (IPv4 ID of atomic datagrams: any value).
 *
 * Policy (what "for us" means): a frame is looked at only when its Ethernet
 * destination is our MAC, broadcast or multicast, and its IP destination is
 * our source address of that family (for IPv6 also our solicited-node
 * multicast address). Everything else, including damaged frames meant for
 * other hosts, is PKT_RAW_IGNORE: a raw port sees a shared segment, and its
 * drop counters are about traffic sent to us. ARP and NDP frames carrying a
 * VLAN tag are ignored too: the engines transmit untagged, so an answer
 * would reach another VLAN. UDP frames may be tagged.
 *
 * ICMP destination unreachable to us (RFC 792 type 3, RFC 4443 type 1) is
 * recognised when its checksum holds and it quotes a UDP datagram from our
 * address (PKT_RAW_ICMP_UNREACH, with what it quotes); whether we really
 * sent that datagram is the engine's question (packet/probes.h). Other
 * ICMP to us stays "proto".
 */
#ifndef FCRSCAN_PACKET_RAW_H
#define FCRSCAN_PACKET_RAW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "packet/addr.h"
#include "packet/frame.h"

/* Longest header a template writes: Ethernet + 802.1Q + IPv6 + UDP. */
#define PKT_RAW_HDR_MAX (PKT_ETH_HDR_LEN + PKT_VLAN_HDR_LEN + PKT_IPV6_HDR_LEN + PKT_UDP_HDR_LEN)
/* Largest UDP payload a template accepts (IPv4 total length is 16 bits). */
#define PKT_RAW_PAYLOAD_MAX (0xFFFFu - PKT_IPV4_HDR_LEN - PKT_UDP_HDR_LEN)
/* Room for any frame pkt_raw_classify answers with or the *_build functions
 * write (an NS/NA with one link-layer option is 86 octets, ARP 42). */
#define PKT_RAW_CTRL_MAX 96
/* Destinations one peer table holds (>= the scanner's resolver limit). */
#define PKT_RAW_PEERS_MAX 64

/* The engine's own identity on its link; plain data. */
struct pkt_raw_self {
    uint8_t mac[6];
    struct pkt_addr v4; /* family PKT_ADDR_V4, or 0 when the engine has none */
    struct pkt_addr v6; /* family PKT_ADDR_V6, or 0 */
};

/* What a received frame is; pkt_raw_classify's non-negative results. */
enum pkt_raw_kind {
    PKT_RAW_IGNORE = 0,       /* not addressed to us (see the policy above) */
    PKT_RAW_UDP = 1,          /* a valid UDP datagram to one of our addresses */
    PKT_RAW_ARP_REQUEST = 2,  /* who-has our IPv4: the reply is in reply[] */
    PKT_RAW_ARP_REPLY = 3,    /* an ARP reply to us: learned_* */
    PKT_RAW_NDP_SOLICIT = 4,  /* NS for our IPv6: the NA is in reply[] */
    PKT_RAW_NDP_ADVERT = 5,   /* NA to us: learned_* */
    PKT_RAW_ICMP_UNREACH = 6, /* destination unreachable quoting a datagram from us: quoted_* */
};

/* pkt_raw_classify's result; pointers borrow the frame. */
struct pkt_raw_rx {
    /* PKT_RAW_UDP */
    struct pkt_addr src; /* the sender (dst is our address of that family) */
    uint16_t src_port;
    uint16_t dst_port;
    const uint8_t *payload; /* inside the frame */
    uint16_t payload_len;
    uint16_t payload_off; /* payload - frame */
    /* ARP and NDP: the sender's (request/solicitation) or the target's
     * (reply/advertisement) link-layer mapping, when has_learned. */
    bool has_learned;
    struct pkt_addr learned_ip;
    uint8_t learned_mac[6];
    /* PKT_RAW_ARP_REQUEST / PKT_RAW_NDP_SOLICIT: octets written to reply
     * (0 when reply was NULL or too small). */
    uint16_t reply_len;
    /* PKT_RAW_ICMP_UNREACH (src is the ICMP sender): the quoted datagram's
     * destination and ports (its source is our address), and as much of
     * its UDP payload as the message quotes (possibly nothing). */
    struct pkt_addr quoted_dst;
    uint16_t quoted_src_port;
    uint16_t quoted_dst_port;
    const uint8_t *quoted_payload;
    uint16_t quoted_payload_len;
};

/*
 * Classify one received frame (untrusted, borrowed) for an engine whose
 * identity is self. Returns an enum pkt_raw_kind (>= 0), or a negative enum
 * pkt_frame_err (PKT_FRAME_E_SHORT .. PKT_FRAME_E_EXTHDR) for a frame to us
 * that must be dropped and counted: the checks of pkt_frame_parse (lengths,
 * checksums, fragments), "proto" for IP traffic to us that is neither UDP
 * nor usable NDP nor a destination unreachable quoting our UDP datagram
 * (other ICMP and ICMPv6, NDP with hop limit != 255, bad options), "csum"
 * for a bad ICMP or ICMPv6 checksum. For an ARP request or NS for
 * our address, the answer frame is written to reply[0..reply_cap) when
 * reply_cap >= PKT_RAW_CTRL_MAX (reply may be NULL). A duplicate address
 * detection probe (NS from ::) is ignored.
 */
__attribute__((warn_unused_result)) int pkt_raw_classify(const uint8_t *frame, size_t len,
                                                         const struct pkt_raw_self *self,
                                                         struct pkt_raw_rx *out, uint8_t *reply,
                                                         size_t reply_cap);

/* Broadcast ARP request "who has target (IPv4) tell self" into buf.
 * Returns 42 or PKT_FRAME_E_SPACE / PKT_FRAME_E_IPHDR (self has no IPv4). */
__attribute__((warn_unused_result)) int pkt_raw_arp_request_build(uint8_t *buf, size_t cap,
                                                                  const struct pkt_raw_self *self,
                                                                  const struct pkt_addr *target);

/* Neighbour solicitation for target (IPv6) from self's IPv6 to target's
 * solicited-node multicast group, with our source link-layer address.
 * Returns 86 or PKT_FRAME_E_SPACE / PKT_FRAME_E_IPHDR (self has no IPv6). */
__attribute__((warn_unused_result)) int pkt_raw_ns_build(uint8_t *buf, size_t cap,
                                                         const struct pkt_raw_self *self,
                                                         const struct pkt_addr *target);

/* The Ethernet multicast address of target's solicited-node group
 * (33:33:ff + the address's last 24 bits). */
void pkt_raw_ns_mac(const struct pkt_addr *target, uint8_t mac[6]);

/*
 * A UDP frame template for one (family, destination): the whole header with
 * everything constant filled in, and the constant parts of both checksums.
 * Plain data; build with pkt_raw_tmpl_init, then read-only (any thread).
 */
struct pkt_raw_tmpl {
    uint8_t hdr[PKT_RAW_HDR_MAX];
    uint8_t hdr_len;
    uint8_t ip_off;   /* offset of the IP header in hdr */
    uint8_t family;   /* PKT_ADDR_V4 or PKT_ADDR_V6 */
    uint32_t ip_sum;  /* IPv4: header words except total length, ID, checksum */
    uint32_t udp_sum; /* pseudo-header addresses + protocol */
};

/*
 * Fill t from spec (borrowed): MACs, VLAN, addresses and TTL / hop limit
 * are fixed; spec's ports and ip_id are ignored (they are written per
 * packet). Returns 0, or PKT_FRAME_E_IPHDR for mixed or unknown families.
 */
__attribute__((warn_unused_result)) int pkt_raw_tmpl_init(struct pkt_raw_tmpl *t,
                                                          const struct pkt_frame_udp *spec);

/*
 * Write one frame into buf: t's header, then the per-packet fields (UDP
 * ports, IPv4 ID, IP total/payload length, UDP length, IPv4 header checksum,
 * UDP checksum) and payload (borrowed; it must not overlap buf unless it
 * already sits at buf + t->hdr_len, where it is not copied). The octets
 * equal pkt_frame_udp_build's for the same spec, ports and ip_id. buf must
 * hold t->hdr_len + payload_len octets. Returns the frame length, or 0 when
 * payload_len > PKT_RAW_PAYLOAD_MAX (nothing written).
 */
size_t pkt_raw_tmpl_write(const struct pkt_raw_tmpl *t, uint8_t *buf, uint16_t src_port,
                          uint16_t dst_port, uint16_t ip_id, const uint8_t *payload,
                          size_t payload_len);

/* One destination the engine sends to: its next-hop MAC (once resolved)
 * and its frame template. */
struct pkt_raw_peer {
    struct pkt_addr addr;
    bool resolved;
    uint8_t mac[6];
    struct pkt_raw_tmpl tmpl;
};

/* A fixed-capacity table of peers keyed by address (open addressing).
 * Plain data in caller storage; one writer, or read-only once filled. */
struct pkt_raw_peers {
    unsigned nb;
    uint8_t slot_of[2 * PKT_RAW_PEERS_MAX]; /* hash slot -> peer index + 1, 0 = empty */
    struct pkt_raw_peer peer[PKT_RAW_PEERS_MAX];
};

/* Empty table. */
void pkt_raw_peers_init(struct pkt_raw_peers *p);

/* The peer for a, added (unresolved, zeroed) when absent. NULL when the
 * table is full or a's family is neither IPv4 nor IPv6. */
struct pkt_raw_peer *pkt_raw_peers_add(struct pkt_raw_peers *p, const struct pkt_addr *a);

/* The peer for a, or NULL. Hot path: one hash and usually one compare. */
struct pkt_raw_peer *pkt_raw_peers_find(struct pkt_raw_peers *p, const struct pkt_addr *a);

/* Mark peer resolved to mac and build its template from self (our MAC and
 * the source address of the peer's family; TTL 64, untagged). Returns 0, or
 * PKT_FRAME_E_IPHDR when self has no address of that family. */
__attribute__((warn_unused_result)) int pkt_raw_peer_set_mac(struct pkt_raw_peer *peer,
                                                             const struct pkt_raw_self *self,
                                                             const uint8_t mac[6]);

/* The question that resolves a peer's MAC: an ARP request (IPv4) or a
 * neighbour solicitation (IPv6) into buf (>= PKT_RAW_CTRL_MAX). Returns the
 * frame length or a negative pkt_frame_err. */
__attribute__((warn_unused_result)) int pkt_raw_solicit_build(uint8_t *buf, size_t cap,
                                                              const struct pkt_raw_self *self,
                                                              const struct pkt_addr *target);

/*
 * Apply what pkt_raw_classify learned (rx->has_learned) to the table: an
 * unresolved peer with that address gets the MAC and its template. Returns
 * 1 when a peer became resolved, else 0. A resolved peer is never changed
 * (the TX path may be reading it).
 */
int pkt_raw_peers_learn(struct pkt_raw_peers *p, const struct pkt_raw_self *self,
                        const struct pkt_raw_rx *rx);

/*
 * Fill an empty table with the engine's destinations dst[0..nb) (borrowed).
 * With next_hop_mac (may be NULL) every peer is resolved to it at once;
 * otherwise they stay unresolved for ARP/NDP. Returns 0, or -EINVAL with a
 * message in err (too many destinations, a bad address, a family without
 * a source address in self, a template that cannot be built).
 */
__attribute__((warn_unused_result)) int pkt_raw_peers_setup(struct pkt_raw_peers *p,
                                                            const struct pkt_raw_self *self,
                                                            const struct pkt_addr *dst, unsigned nb,
                                                            const uint8_t *next_hop_mac, char *err,
                                                            size_t err_len);

/* Number of peers whose MAC is not known yet. */
unsigned pkt_raw_peers_unresolved(const struct pkt_raw_peers *p);

/*
 * The error for a failed resolution: names the first unresolved peer, what
 * was asked (ARP or neighbour solicitation), where (engine and port or
 * interface, e.g. "pcap engine ... on eth1") and how long, and says what to
 * do about it. err is "" when every peer is resolved.
 */
void pkt_raw_peers_unresolved_error(const struct pkt_raw_peers *p, const char *where,
                                    unsigned tries, unsigned total_s, char *err, size_t err_len);

#endif
