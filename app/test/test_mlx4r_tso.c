/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * TSO and tunnel (VXLAN) checksums (issue 14), through the ethdev API on
 * the emulated device's loopback wire: what the device puts on the wire
 * comes back to the port's receive side, where each segment is checked
 * byte by byte (lengths, IPv4 identification, TCP sequence numbers and
 * flags, both checksums, the payload slice). Also the frames the driver
 * refuses and their counters, a TSO burst across a proactive reset, and
 * the ConnectX-3 Pro's inner checksums on Tx and tunnel flags on Rx, with
 * and without the part (devarg model=cx3pro).
 */

#include <errno.h>
#include <string.h>

#include <rte_bus_vdev.h>
#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_pmd_mlx4r.h>

#include "test.h"
#include "test_common.h"
#include "mlx4r.h"
#include "emu/mlx4r_emu.h"
#include "test_emu_util.h"

#define NB_MBUF 1023
#define HCA "net_mlx4r_tso"
#define FLAT 16384 /* largest test frame before segmentation */

static struct rte_mempool *mp;
static uint16_t pid;
static bool own_emu; /* the test created the emulated device */

static int
tso_setup(void)
{
	mp = rte_pktmbuf_pool_create("tso_mp", NB_MBUF, 0, 0,
				     RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	return mp == NULL ? TEST_FAILED : TEST_SUCCESS;
}

static void
tso_teardown(void)
{
	rte_mempool_free(mp);
	mp = NULL;
}

/* The HCA with @p devargs (and the emulated device of @p ec if not NULL). */
static int
hca_up(const char *devargs, const struct mlx4r_emu_dev_conf *ec)
{
	own_emu = ec != NULL;
	if (ec != NULL)
		TEST_ASSERT_SUCCESS(mlx4r_emu_dev_create(HCA, ec), "device");
	TEST_ASSERT_SUCCESS(rte_vdev_init(HCA, devargs), "probe %s", devargs);
	TEST_ASSERT_SUCCESS(rte_eth_dev_get_port_by_name(HCA, &pid), "port");
	return TEST_SUCCESS;
}

static int
hca_loopback(void)
{
	return hca_up("wire=loopback", NULL);
}

static int
hca_proactive(void)
{
	return hca_up("wire=loopback,recovery=proactive", NULL);
}

static int
hca_pro(void)
{
	return hca_up("wire=loopback,model=cx3pro", NULL);
}

static void
hca_down(void)
{
	rte_vdev_uninit(HCA);
	if (own_emu)
		mlx4r_emu_dev_destroy(HCA);
	own_emu = false;
}

static int
port_start(uint64_t tx_offloads)
{
	struct rte_eth_conf conf;

	memset(&conf, 0, sizeof(conf));
	conf.rxmode.offloads = RTE_ETH_RX_OFFLOAD_CHECKSUM |
			       RTE_ETH_RX_OFFLOAD_SCATTER;
	conf.txmode.offloads = tx_offloads;
	TEST_ASSERT_SUCCESS(rte_eth_dev_configure(pid, 1, 1, &conf),
			    "configure");
	TEST_ASSERT_SUCCESS(rte_eth_rx_queue_setup(pid, 0, 512, SOCKET_ID_ANY,
						   NULL, mp), "rxq");
	TEST_ASSERT_SUCCESS(rte_eth_tx_queue_setup(pid, 0, 256, SOCKET_ID_ANY,
						   NULL), "txq");
	TEST_ASSERT_SUCCESS(rte_eth_dev_start(pid), "start");
	TEST_ASSERT_SUCCESS(rte_eth_promiscuous_enable(pid), "promiscuous");
	return TEST_SUCCESS;
}

#define TSO_OFFLOADS (RTE_ETH_TX_OFFLOAD_TCP_TSO | \
		      RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | \
		      RTE_ETH_TX_OFFLOAD_TCP_CKSUM | \
		      RTE_ETH_TX_OFFLOAD_UDP_CKSUM | \
		      RTE_ETH_TX_OFFLOAD_MULTI_SEGS)

static uint64_t
xstat(const char *name)
{
	uint64_t id, v = UINT64_MAX;

	if (rte_eth_xstats_get_id_by_name(pid, name, &id) == 0)
		rte_eth_xstats_get_by_id(pid, &id, &v, 1);
	return v;
}

static struct mlx4r_emu_port_stats
emu_stats(void)
{
	struct mlx4r_emu_port_stats st;

	memset(&st, 0, sizeof(st));
	mlx4r_emu_port_stats(mlx4r_emu_dev_lookup(HCA), 1, &st);
	return st;
}

/* One's complement sum of big-endian 16-bit words, folded. */
static uint16_t
sum16(const uint8_t *d, size_t n, uint32_t s)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)d[i] << 8 | d[i + 1];
	if (n & 1)
		s += (uint32_t)d[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static uint16_t
rd16(const uint8_t *d)
{
	return (uint16_t)(d[0] << 8 | d[1]);
}

static uint32_t
rd32(const uint8_t *d)
{
	return (uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 |
	       (uint32_t)d[2] << 8 | d[3];
}

static void
wr16(uint8_t *d, uint32_t v)
{
	d[0] = (uint8_t)(v >> 8);
	d[1] = (uint8_t)v;
}

static void
wr32(uint8_t *d, uint32_t v)
{
	wr16(d, v >> 16);
	wr16(d + 2, v);
}

/* The IPv4 header at @p ip is valid (its checksum). */
static bool
ip4_ok(const uint8_t *ip)
{
	return sum16(ip, (ip[0] & 0xf) * 4u, 0) == 0xffff;
}

/* The TCP/UDP segment of @p l4len bytes after IP header @p ip is valid. */
static bool
l4_ok(const uint8_t *ip, const uint8_t *l4, uint32_t l4len, uint8_t proto)
{
	uint32_t s;

	if ((ip[0] >> 4) == 4)
		s = sum16(ip + 12, 8, 0);
	else
		s = sum16(ip + 8, 32, 0);
	s += proto + l4len;
	return sum16(l4, l4len, s) == 0xffff;
}

#define SEQ0 0xfffff000u /* wraps within the test's segments */
#define ID0 0xfffeu      /* so does the IPv4 identification */
#define PAYLOAD_BYTE(i) ((uint8_t)((i) * 7 + 3))

/*
 * A TCP frame into @p d: Ethernet, IPv4 (ipv6 false) or IPv6, TCP with
 * @p opts bytes of options (NOPs), @p payload bytes, TCP flags @p fl, both
 * checksums 0 (the device's to compute). @return its length; *hdr the
 * header length.
 */
static uint32_t
tcp_frame(uint8_t *d, bool ipv6, uint32_t opts, uint32_t payload,
	  uint8_t fl, uint32_t *hdr)
{
	uint32_t l3 = ipv6 ? 40 : 20, l4 = 20 + opts, i;
	uint8_t *ip = d + 14, *tcp = d + 14 + l3;

	memset(d, 0, 14 + l3 + l4);
	memcpy(d, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
	if (ipv6) {
		wr16(d + 12, RTE_ETHER_TYPE_IPV6);
		ip[0] = 0x60;
		wr16(ip + 4, l4 + payload); /* the device rewrites it */
		ip[6] = IPPROTO_TCP;
		ip[7] = 64;
		ip[8] = 0xfd;
		ip[23] = 1;
		ip[24] = 0xfd;
		ip[39] = 2;
	} else {
		wr16(d + 12, RTE_ETHER_TYPE_IPV4);
		ip[0] = 0x45;
		wr16(ip + 2, l3 + l4 + payload);
		wr16(ip + 4, ID0);
		wr16(ip + 6, 0x4000); /* DF */
		ip[8] = 64;
		ip[9] = IPPROTO_TCP;
		wr32(ip + 12, 0x0a000001);
		wr32(ip + 16, 0x0a000002);
	}
	wr16(tcp, 1234);
	wr16(tcp + 2, 80);
	wr32(tcp + 4, SEQ0);
	wr32(tcp + 8, 0x11223344);
	tcp[12] = (uint8_t)((l4 / 4) << 4);
	tcp[13] = fl;
	wr16(tcp + 14, 65535);
	memset(tcp + 20, 1, opts); /* NOP */
	for (i = 0; i < payload; i++)
		d[14 + l3 + l4 + i] = PAYLOAD_BYTE(i);
	*hdr = 14 + l3 + l4;
	return 14 + l3 + l4 + payload;
}

/*
 * An mbuf chain of the @p len bytes of @p d: the first mbuf @p first
 * bytes, the others @p each bytes (the last the rest).
 */
static struct rte_mbuf *
chain(const uint8_t *d, uint32_t len, uint32_t first, uint32_t each)
{
	struct rte_mbuf *head = NULL, *m;
	uint32_t off = 0;

	while (off < len || head == NULL) {
		uint32_t n = RTE_MIN(len - off, head == NULL ? first : each);
		char *p;

		m = rte_pktmbuf_alloc(mp);
		if (m == NULL)
			goto fail;
		p = rte_pktmbuf_append(m, (uint16_t)n);
		if (p == NULL && n != 0) {
			rte_pktmbuf_free(m);
			goto fail;
		}
		memcpy(p, d + off, n);
		off += n;
		if (head == NULL)
			head = m;
		else if (rte_pktmbuf_chain(head, m) != 0) {
			rte_pktmbuf_free(m);
			goto fail;
		}
	}
	return head;
fail:
	rte_pktmbuf_free(head);
	return NULL;
}

static void
tso_mark(struct rte_mbuf *m, bool ipv6, uint32_t hdr, uint16_t mss)
{
	m->l2_len = 14;
	m->l3_len = ipv6 ? 40 : 20;
	m->l4_len = hdr - 14 - m->l3_len;
	m->tso_segsz = mss;
	m->ol_flags = RTE_MBUF_F_TX_TCP_SEG | (ipv6 ? RTE_MBUF_F_TX_IPV6 :
		      RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM);
}

/* Receive up to @p max frames (the loopback delivers during the burst). */
static unsigned int
rx_all(struct rte_mbuf **rx, unsigned int max)
{
	unsigned int got = 0, tries;

	for (tries = 0; tries < 64 && got < max; tries++)
		got += rte_eth_rx_burst(pid, 0, rx + got,
					(uint16_t)RTE_MIN(max - got, 32u));
	return got;
}

/*
 * Check the segments @p rx[0..n) of the TCP frame @p d (@p hdr header
 * bytes, @p len in all) cut at @p mss, byte by byte.
 */
static int
check_segments(struct rte_mbuf **rx, unsigned int n, const uint8_t *d,
	       uint32_t len, uint32_t hdr, uint32_t mss, bool ipv6)
{
	static uint8_t f[FLAT];
	uint32_t payload = len - hdr, want = (payload + mss - 1) / mss, k;
	const uint32_t l3 = 14, l4 = 14 + (ipv6 ? 40 : 20);
	uint8_t fl = d[l4 + 13];

	TEST_ASSERT_EQUAL(n, want, "segments of %u bytes at MSS %u",
			  payload, mss);
	for (k = 0; k < n; k++) {
		uint32_t plen = RTE_MIN(mss, payload - k * mss);
		uint32_t flen = rte_pktmbuf_pkt_len(rx[k]);
		uint8_t want_fl = fl;
		const uint8_t *p;

		TEST_ASSERT_EQUAL(flen, hdr + plen, "segment %u length", k);
		p = rte_pktmbuf_read(rx[k], 0, flen, f);
		TEST_ASSERT_NOT_NULL(p, "segment %u read", k);
		if (p != f)
			memcpy(f, p, flen);
		/* Ethernet as sent */
		TEST_ASSERT_BUFFERS_ARE_EQUAL(f, d, 14, "segment %u L2", k);
		if (ipv6) {
			TEST_ASSERT_EQUAL(rd16(f + l3 + 4), hdr - 54 + plen,
					  "segment %u IPv6 payload length", k);
			TEST_ASSERT_BUFFERS_ARE_EQUAL(f + l3, d + l3, 4,
						      "segment %u IPv6", k);
			TEST_ASSERT_BUFFERS_ARE_EQUAL(f + l3 + 6, d + l3 + 6,
						      34, "segment %u IPv6", k);
		} else {
			TEST_ASSERT_EQUAL(rd16(f + l3 + 2), hdr - 14 + plen,
					  "segment %u IPv4 total length", k);
			TEST_ASSERT_EQUAL(rd16(f + l3 + 4), (ID0 + k) & 0xffff,
					  "segment %u IPv4 identification", k);
			TEST_ASSERT(ip4_ok(f + l3),
				    "segment %u IPv4 header checksum", k);
			TEST_ASSERT_BUFFERS_ARE_EQUAL(f + l3 + 6, d + l3 + 6,
						      4, "segment %u IPv4", k);
			TEST_ASSERT_BUFFERS_ARE_EQUAL(f + l3 + 12, d + l3 + 12,
						      8, "segment %u IPv4", k);
		}
		TEST_ASSERT_EQUAL_U(rd32(f + l4 + 4), (uint32_t)(SEQ0 + k * mss),
				    "segment %u TCP sequence", k);
		if (k != n - 1)
			want_fl &= (uint8_t)~(RTE_TCP_FIN_FLAG |
					      RTE_TCP_PSH_FLAG);
		if (k != 0)
			want_fl &= (uint8_t)~RTE_TCP_CWR_FLAG;
		TEST_ASSERT_EQUAL(f[l4 + 13], want_fl, "segment %u TCP flags",
				  k);
		TEST_ASSERT_BUFFERS_ARE_EQUAL(f + l4, d + l4, 4,
					      "segment %u TCP ports", k);
		TEST_ASSERT_BUFFERS_ARE_EQUAL(f + l4 + 8, d + l4 + 8, 5,
					      "segment %u TCP ack, offset", k);
		TEST_ASSERT_BUFFERS_ARE_EQUAL(f + l4 + 14, d + l4 + 14, 2,
					      "segment %u TCP window", k);
		TEST_ASSERT_BUFFERS_ARE_EQUAL(f + l4 + 18, d + l4 + 18,
					      hdr - l4 - 18,
					      "segment %u TCP options", k);
		TEST_ASSERT(l4_ok(f + l3, f + l4, flen - l4, IPPROTO_TCP),
			    "segment %u TCP checksum", k);
		TEST_ASSERT_BUFFERS_ARE_EQUAL(f + hdr, d + hdr + k * mss, plen,
					      "segment %u payload", k);
		/* and the receive side found them right too */
		TEST_ASSERT_EQUAL_U(rx[k]->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK,
				    RTE_MBUF_F_RX_L4_CKSUM_GOOD,
				    "segment %u Rx L4 flag", k);
		if (!ipv6)
			TEST_ASSERT_EQUAL_U(rx[k]->ol_flags &
					    RTE_MBUF_F_RX_IP_CKSUM_MASK,
					    RTE_MBUF_F_RX_IP_CKSUM_GOOD,
					    "segment %u Rx IP flag", k);
	}
	return TEST_SUCCESS;
}

/*
 * Send one TSO frame and check what came back. @p first / @p each: the
 * mbuf chain's cut.
 */
static int
tso_one(bool ipv6, uint32_t opts, uint32_t payload, uint16_t mss,
	uint32_t first, uint32_t each)
{
	static uint8_t d[FLAT];
	struct rte_mbuf *m, *rx[64];
	struct mlx4r_emu_port_stats s0, s1;
	struct rte_eth_stats e0, e1;
	uint32_t hdr, len, want;
	unsigned int got;
	int ret;

	len = tcp_frame(d, ipv6, opts, payload,
			RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG | RTE_TCP_FIN_FLAG |
			RTE_TCP_CWR_FLAG, &hdr);
	m = chain(d, len, first, each);
	TEST_ASSERT_NOT_NULL(m, "mbufs");
	tso_mark(m, ipv6, hdr, mss);
	want = (payload + mss - 1) / mss;
	s0 = emu_stats();
	TEST_ASSERT_SUCCESS(rte_eth_stats_get(pid, &e0), "stats");
	TEST_ASSERT_EQUAL(rte_eth_tx_burst(pid, 0, &m, 1), 1, "sent");
	got = rx_all(rx, RTE_DIM(rx));
	ret = check_segments(rx, got, d, len, hdr, mss, ipv6);
	rte_pktmbuf_free_bulk(rx, got);
	if (ret != TEST_SUCCESS)
		return ret;
	s1 = emu_stats();
	TEST_ASSERT_SUCCESS(rte_eth_stats_get(pid, &e1), "stats");
	/* the port's counters see frames; the queue counts the mbuf */
	TEST_ASSERT_EQUAL_U(s1.tx_lso - s0.tx_lso, 1, "LSO WQEs");
	TEST_ASSERT_EQUAL_U(s1.tx_frames - s0.tx_frames, want,
			    "frames on the wire");
	TEST_ASSERT_EQUAL_U(s1.tx_bytes - s0.tx_bytes, len + (want - 1) * hdr,
			    "bytes on the wire");
	TEST_ASSERT_EQUAL_U(e1.opackets - e0.opackets, 1, "opackets");
	TEST_ASSERT_EQUAL_U(e1.obytes - e0.obytes, len, "obytes");
	return TEST_SUCCESS;
}

/* Offload capabilities: TSO where tso_caps say so, tunnels on a Pro. */
static int
test_tso_caps(void)
{
	struct mlx4r_emu_dev_conf ec;
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf;

	TEST_ASSERT_SUCCESS(hca_loopback(), "HCA");
	TEST_ASSERT_SUCCESS(rte_eth_dev_info_get(pid, &info), "info");
	TEST_ASSERT(info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_TCP_TSO,
		    "TSO offered");
	TEST_ASSERT(!(info.tx_offload_capa &
		      (RTE_ETH_TX_OFFLOAD_OUTER_IPV4_CKSUM |
		       RTE_ETH_TX_OFFLOAD_VXLAN_TNL_TSO)),
		    "no tunnel offload on a ConnectX-3");
	memset(&conf, 0, sizeof(conf));
	conf.txmode.offloads = RTE_ETH_TX_OFFLOAD_OUTER_IPV4_CKSUM;
	TEST_ASSERT_EQUAL(rte_eth_dev_configure(pid, 1, 1, &conf), -EINVAL,
			  "outer checksum refused");
	hca_down();
	/* firmware without LSO: no tso_caps */
	memset(&ec, 0, sizeof(ec));
	ec.nb_ports = 1;
	ec.no_tso = true;
	TEST_ASSERT_SUCCESS(hca_up("wire=loopback", &ec), "HCA");
	TEST_ASSERT_SUCCESS(rte_eth_dev_info_get(pid, &info), "info");
	TEST_ASSERT(!(info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_TCP_TSO),
		    "no TSO without tso_caps");
	TEST_ASSERT_EQUAL(info.tx_desc_lim.nb_seg_max, 31,
			  "nb_seg_max without TSO: the MTU frame's");
	conf.txmode.offloads = RTE_ETH_TX_OFFLOAD_TCP_TSO;
	TEST_ASSERT_EQUAL(rte_eth_dev_configure(pid, 1, 1, &conf), -EINVAL,
			  "TSO refused");
	hca_down();
	TEST_ASSERT_SUCCESS(hca_pro(), "HCA");
	TEST_ASSERT_SUCCESS(rte_eth_dev_info_get(pid, &info), "info");
	TEST_ASSERT(info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_OUTER_IPV4_CKSUM,
		    "outer checksum on a ConnectX-3 Pro");
	TEST_ASSERT(info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_VXLAN_TNL_TSO,
		    "VXLAN TSO on a ConnectX-3 Pro");
	TEST_ASSERT(!(info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_GRE_TNL_TSO),
		    "no GRE TSO (the Pro's tunnel mode is VXLAN)");
	hca_down();
	/* the model devarg is the emulated device's */
	TEST_ASSERT(rte_vdev_init(HCA, "model=cx3pro,backend=verbs") != 0,
		    "model with backend=verbs refused");
	TEST_ASSERT(rte_vdev_init(HCA, "model=cx4") != 0, "unknown model");
	return TEST_SUCCESS;
}

/* IPv4: 3 mbufs, a header alone in the first, four segments. */
static int
test_tso_ipv4(void)
{
	TEST_ASSERT_SUCCESS(port_start(TSO_OFFLOADS), "port");
	TEST_ASSERT_SUCCESS(tso_one(false, 0, 3000, 800, 54, 1600),
			    "header-only first mbuf");
	/* the payload starts in the first mbuf; one short last segment */
	TEST_ASSERT_SUCCESS(tso_one(false, 12, 4001, 1000, 1200, 2000),
			    "payload in the first mbuf");
	/* less than one MSS: one frame, its flags all kept */
	TEST_ASSERT_SUCCESS(tso_one(false, 0, 100, 1400, 2048, 2048),
			    "one segment");
	return TEST_SUCCESS;
}

/*
 * IPv6 with options: a header above 60 bytes (the LSO segment spans the
 * WQE's second TXBB, whose first word goes last, and needs the big-header
 * bit), MSS 800 as testpmd's "tso set 800".
 */
static int
test_tso_ipv6(void)
{
	TEST_ASSERT_SUCCESS(port_start(TSO_OFFLOADS), "port");
	TEST_ASSERT_SUCCESS(tso_one(true, 20, 2500, 800, 1000, 1000),
			    "IPv6");
	TEST_ASSERT_SUCCESS(tso_one(true, 40, 1600, 800, 134, 2000),
			    "IPv6, header alone");
	return TEST_SUCCESS;
}

/* One refused TSO frame: consumed, counted, freed, nothing on the wire. */
static int
refused(struct rte_mbuf *m, const char *what)
{
	unsigned int base;
	uint64_t r0 = xstat("tx_tso_refused");
	struct mlx4r_emu_port_stats s0 = emu_stats(), s1;
	struct rte_eth_stats e0, e1;
	struct rte_mbuf *rx[4];

	TEST_ASSERT_NOT_NULL(m, "mbufs for %s", what);
	base = rte_mempool_in_use_count(mp) - m->nb_segs;
	TEST_ASSERT_SUCCESS(rte_eth_stats_get(pid, &e0), "stats");
	TEST_ASSERT_EQUAL(rte_eth_tx_burst(pid, 0, &m, 1), 1,
			  "%s: consumed", what);
	TEST_ASSERT_EQUAL(rx_all(rx, RTE_DIM(rx)), 0, "%s: nothing back",
			  what);
	s1 = emu_stats();
	TEST_ASSERT_SUCCESS(rte_eth_stats_get(pid, &e1), "stats");
	TEST_ASSERT_EQUAL_U(xstat("tx_tso_refused") - r0, 1,
			    "%s: tx_tso_refused", what);
	TEST_ASSERT_EQUAL_U(e1.oerrors - e0.oerrors, 1, "%s: oerrors", what);
	TEST_ASSERT_EQUAL_U(e1.opackets - e0.opackets, 0, "%s: opackets",
			    what);
	TEST_ASSERT_EQUAL_U(s1.tx_frames - s0.tx_frames, 0, "%s: wire", what);
	TEST_ASSERT_EQUAL_U(s1.tx_errors - s0.tx_errors, 0,
			    "%s: no WQE error", what);
	TEST_ASSERT_EQUAL(rte_mempool_in_use_count(mp), base,
			  "%s: mbufs freed", what);
	return TEST_SUCCESS;
}

/*
 * One TSO frame of more segments than its WQE holds: tx_prepare says
 * EINVAL, the burst stops at it (it stays with the application, which
 * frees it here), counted in oerrors and tx_too_many_segs, not in
 * tx_tso_refused; nothing on the wire.
 */
static int
stopped(struct rte_mbuf *m, const char *what)
{
	uint64_t r0 = xstat("tx_tso_refused"), t0 = xstat("tx_too_many_segs");
	struct mlx4r_emu_port_stats s0 = emu_stats(), s1;
	struct rte_eth_stats e0, e1;
	struct rte_mbuf *rx[4];

	TEST_ASSERT_NOT_NULL(m, "mbufs for %s", what);
	TEST_ASSERT_SUCCESS(rte_eth_stats_get(pid, &e0), "stats");
	rte_errno = 0;
	TEST_ASSERT_EQUAL(rte_eth_tx_prepare(pid, 0, &m, 1), 0,
			  "%s: prepare refuses it", what);
	TEST_ASSERT_EQUAL(rte_errno, EINVAL, "%s: prepare's errno", what);
	TEST_ASSERT_EQUAL(rte_eth_tx_burst(pid, 0, &m, 1), 0,
			  "%s: the burst stops at it", what);
	TEST_ASSERT_EQUAL(rx_all(rx, RTE_DIM(rx)), 0, "%s: nothing back",
			  what);
	s1 = emu_stats();
	TEST_ASSERT_SUCCESS(rte_eth_stats_get(pid, &e1), "stats");
	TEST_ASSERT_EQUAL_U(xstat("tx_too_many_segs") - t0, 1,
			    "%s: tx_too_many_segs", what);
	TEST_ASSERT_EQUAL_U(xstat("tx_tso_refused") - r0, 0,
			    "%s: not tx_tso_refused", what);
	TEST_ASSERT_EQUAL_U(e1.oerrors - e0.oerrors, 1, "%s: oerrors", what);
	TEST_ASSERT_EQUAL_U(s1.tx_frames - s0.tx_frames, 0, "%s: wire", what);
	rte_pktmbuf_free(m);
	return TEST_SUCCESS;
}

/*
 * nb_seg_max with TSO: what any TSO frame may count on, the largest
 * header inline (192 bytes, 13 units): 18 data segments, 19 mbufs when the
 * first holds only the header; tx_prepare reads the mbufs only, so chains
 * of that header are checked there (no TCP header that long parses).
 */
static int
test_tso_seg_limits(void)
{
	static uint8_t d[FLAT];
	struct rte_eth_dev_info info;
	struct rte_mbuf *m;
	uint32_t hdr, len;

	TEST_ASSERT_SUCCESS(port_start(TSO_OFFLOADS), "port");
	TEST_ASSERT_SUCCESS(rte_eth_dev_info_get(pid, &info), "info");
	TEST_ASSERT_EQUAL(info.tx_desc_lim.nb_seg_max, 18, "nb_seg_max");
	TEST_ASSERT_EQUAL(info.tx_desc_lim.nb_mtu_seg_max, 31,
			  "nb_mtu_seg_max");
	len = tcp_frame(d, false, 0, 17 * 10 + 10, RTE_TCP_ACK_FLAG, &hdr);
	/* 192 header bytes and 10 of payload in the first, 17 more */
	m = chain(d, len + 138, 202, 10);
	TEST_ASSERT_EQUAL(m != NULL ? m->nb_segs : 0, 18, "18 mbufs");
	tso_mark(m, false, 192, 100);
	TEST_ASSERT_EQUAL(rte_eth_tx_prepare(pid, 0, &m, 1), 1, "18: ok");
	rte_pktmbuf_free(m);
	m = chain(d, len + 148, 202, 10);
	TEST_ASSERT_EQUAL(m != NULL ? m->nb_segs : 0, 19, "19 mbufs");
	tso_mark(m, false, 192, 100);
	rte_errno = 0;
	TEST_ASSERT_EQUAL(rte_eth_tx_prepare(pid, 0, &m, 1), 0, "19: refused");
	TEST_ASSERT_EQUAL(rte_errno, EINVAL, "EINVAL");
	rte_pktmbuf_free(m);
	/* the header alone in the first mbuf: 19 */
	m = chain(d, len + 138, 192, 10);
	TEST_ASSERT_EQUAL(m != NULL ? m->nb_segs : 0, 19, "19 mbufs");
	tso_mark(m, false, 192, 100);
	TEST_ASSERT_EQUAL(rte_eth_tx_prepare(pid, 0, &m, 1), 1,
			  "19, header alone: ok");
	rte_pktmbuf_free(m);
	/* a TSO header the device does not take: EINVAL too */
	m = chain(d, len, 2048, 2048);
	tso_mark(m, false, 194, 100);
	TEST_ASSERT_EQUAL(rte_eth_tx_prepare(pid, 0, &m, 1), 0, "header 194");
	rte_pktmbuf_free(m);
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(pid), "stop");
	return TEST_SUCCESS;
}

/*
 * What the driver refuses, as upstream (mlx4_rxtx.c
 * mlx4_tx_burst_tso_get_params) and beyond; the queue goes on.
 */
static int
test_tso_refused(void)
{
	static uint8_t d[FLAT];
	struct rte_mbuf *m;
	uint32_t hdr, len;

	TEST_ASSERT_SUCCESS(port_start(TSO_OFFLOADS), "port");
	len = tcp_frame(d, false, 0, 1000, RTE_TCP_ACK_FLAG, &hdr);
	/* tso_segsz 0 */
	m = chain(d, len, 2048, 2048);
	tso_mark(m, false, hdr, 0);
	TEST_ASSERT_SUCCESS(refused(m, "tso_segsz 0"), "MSS 0");
	/* no header lengths */
	m = chain(d, len, 2048, 2048);
	tso_mark(m, false, hdr, 500);
	m->l2_len = m->l3_len = m->l4_len = 0;
	TEST_ASSERT_SUCCESS(refused(m, "header 0"), "header 0");
	/* header above 192 bytes */
	m = chain(d, len, 2048, 2048);
	tso_mark(m, false, hdr, 500);
	m->l4_len = 160;
	TEST_ASSERT_SUCCESS(refused(m, "header 194"), "header too long");
	/* header not whole in the first mbuf */
	m = chain(d, len, 40, 2048);
	tso_mark(m, false, hdr, 500);
	TEST_ASSERT_SUCCESS(refused(m, "split header"), "split header");
	/* a segment above the largest frame */
	m = chain(d, len, 2048, 2048);
	tso_mark(m, false, hdr, 9600);
	TEST_ASSERT_SUCCESS(refused(m, "MSS 9600"), "MSS too large");
	/* a tunnel: no tunnel TSO */
	m = chain(d, len, 2048, 2048);
	tso_mark(m, false, hdr, 500);
	m->ol_flags |= RTE_MBUF_F_TX_TUNNEL_VXLAN;
	TEST_ASSERT_SUCCESS(refused(m, "tunnel"), "tunnel TSO");
	/*
	 * Too many segments: with a 54-byte header alone in the first
	 * mbuf, 27 more make the largest WQE (32 units, 8 TXBBs), 28 one
	 * TXBB too many.
	 */
	len = tcp_frame(d, false, 0, 27 * 10, RTE_TCP_ACK_FLAG, &hdr);
	TEST_ASSERT_SUCCESS(tso_one(false, 0, 27 * 10, 100, 54, 10),
			    "27 payload mbufs");
	len = tcp_frame(d, false, 0, 28 * 10, RTE_TCP_ACK_FLAG, &hdr);
	m = chain(d, len, 54, 10);
	TEST_ASSERT_EQUAL(m != NULL ? m->nb_segs : 0, 29, "29 mbufs");
	tso_mark(m, false, hdr, 100);
	TEST_ASSERT_SUCCESS(stopped(m, "28 payload mbufs"), "too many");
	/*
	 * The largest header that parses (IPv6, 40 bytes of TCP options:
	 * 114 bytes, an LSO segment of 8 units): 23 data segments, the
	 * payload starting in the first mbuf; 24 are too many.
	 */
	len = tcp_frame(d, true, 40, 22 * 10 + 10, RTE_TCP_ACK_FLAG, &hdr);
	TEST_ASSERT_EQUAL(hdr, 114, "header");
	TEST_ASSERT_SUCCESS(tso_one(true, 40, 22 * 10 + 10, 100, 124, 10),
			    "23 segments");
	len = tcp_frame(d, true, 40, 23 * 10 + 10, RTE_TCP_ACK_FLAG, &hdr);
	m = chain(d, len, 124, 10);
	TEST_ASSERT_EQUAL(m != NULL ? m->nb_segs : 0, 24, "24 mbufs");
	tso_mark(m, true, hdr, 100);
	TEST_ASSERT_SUCCESS(stopped(m, "24 segments, 114-byte header"),
			    "too many");
	/* and the queue still sends */
	TEST_ASSERT_SUCCESS(tso_one(false, 0, 3000, 800, 54, 1600), "after");
	return TEST_SUCCESS;
}

/* A payload above tso_caps.max_tso (a device reporting 4096). */
static int
test_tso_max_payload(void)
{
	static uint8_t d[FLAT];
	struct mlx4r_emu_dev_conf ec;
	struct rte_mbuf *m;
	uint32_t hdr, len;

	memset(&ec, 0, sizeof(ec));
	ec.nb_ports = 1;
	ec.max_gso = 4096;
	TEST_ASSERT_SUCCESS(hca_up("wire=loopback", &ec), "HCA");
	TEST_ASSERT_SUCCESS(port_start(TSO_OFFLOADS), "port");
	TEST_ASSERT_SUCCESS(tso_one(false, 0, 4096, 1000, 54, 2048),
			    "max_tso bytes");
	len = tcp_frame(d, false, 0, 4097, RTE_TCP_ACK_FLAG, &hdr);
	m = chain(d, len, 54, 2048);
	tso_mark(m, false, hdr, 1000);
	TEST_ASSERT_SUCCESS(refused(m, "4097 bytes"), "above max_tso");
	return TEST_SUCCESS;
}

/* Ask for a proactive reset and wait until the device is back. */
static int
reset_and_wait(void)
{
	struct rte_pmd_mlx4r_reset_state st;
	uint32_t gen;
	unsigned int i;

	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_reset_state_get(pid, &st), "state");
	gen = st.generation;
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_reset(pid), "reset request");
	for (i = 0; i < 50000; i++) {
		TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_reset_state_get(pid, &st),
				    "state");
		if (st.phase == RTE_PMD_MLX4R_RESET_LIVE && st.generation > gen)
			return TEST_SUCCESS;
		rte_delay_us_sleep(100);
	}
	TEST_FAIL("no new generation after the reset (phase %d)", st.phase);
}

/*
 * TSO across a proactive reset: frames posted before it and not yet
 * completed come back to their pool, the offload is set again on the
 * new queue, and its segments are right.
 */
static int
test_tso_reset(void)
{
	static uint8_t d[FLAT];
	struct rte_mbuf *m[8];
	unsigned int i;
	uint32_t hdr, len;

	TEST_ASSERT_SUCCESS(port_start(TSO_OFFLOADS), "port");
	TEST_ASSERT_SUCCESS(tso_one(false, 0, 3000, 800, 54, 1600), "before");
	/* TSO frames in the ring when the reset comes */
	len = tcp_frame(d, false, 0, 2000, RTE_TCP_ACK_FLAG, &hdr);
	for (i = 0; i < RTE_DIM(m); i++) {
		m[i] = chain(d, len, 1000, 1000);
		TEST_ASSERT_NOT_NULL(m[i], "mbufs");
		tso_mark(m[i], false, hdr, 500);
	}
	TEST_ASSERT_EQUAL(rte_eth_tx_burst(pid, 0, m, RTE_DIM(m)),
			  RTE_DIM(m), "sent");
	TEST_ASSERT_SUCCESS(reset_and_wait(), "reset");
	for (i = 0; i < 64; i++) {
		struct rte_mbuf *rx[32];
		uint16_t k = rte_eth_rx_burst(pid, 0, rx, RTE_DIM(rx));

		rte_pktmbuf_free_bulk(rx, k);
	}
	TEST_ASSERT_SUCCESS(tso_one(false, 0, 3000, 800, 54, 1600), "after");
	TEST_ASSERT_SUCCESS(tso_one(true, 20, 2500, 800, 1000, 1000),
			    "after, IPv6");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(pid), "stop");
	TEST_ASSERT_EQUAL(rte_mempool_in_use_count(mp), 0,
			  "every mbuf back (Rx ring and TSO frames)");
	return TEST_SUCCESS;
}

/*
 * A VXLAN frame (outer IPv4/UDP to 4789, inner IPv4/TCP of @p payload
 * bytes), every checksum 0 but the inner TCP one, @p tcp_csum.
 */
static uint32_t
vxlan_frame(uint8_t *d, uint32_t payload, uint16_t tcp_csum)
{
	uint8_t *oip = d + 14, *udp = d + 34, *vx = d + 42, *in = d + 50;
	uint8_t *iip = in + 14, *tcp = in + 34;
	uint32_t inner = 14 + 20 + 20 + payload, i;

	memset(d, 0, 50 + inner);
	memcpy(d, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
	wr16(d + 12, RTE_ETHER_TYPE_IPV4);
	oip[0] = 0x45;
	wr16(oip + 2, 20 + 8 + 8 + inner);
	wr16(oip + 4, 7);
	oip[8] = 64;
	oip[9] = IPPROTO_UDP;
	wr32(oip + 12, 0xc0a80001);
	wr32(oip + 16, 0xc0a80002);
	wr16(udp, 49152);
	wr16(udp + 2, MLX4R_VXLAN_PORT);
	wr16(udp + 4, 8 + 8 + inner); /* UDP checksum 0: none */
	vx[0] = 0x08;
	vx[6] = 0x42; /* VNI */
	memcpy(in, "\x02\x00\x00\x00\x00\x12\x02\x00\x00\x00\x00\x11", 12);
	wr16(in + 12, RTE_ETHER_TYPE_IPV4);
	iip[0] = 0x45;
	wr16(iip + 2, 20 + 20 + payload);
	iip[8] = 64;
	iip[9] = IPPROTO_TCP;
	wr32(iip + 12, 0x0a000001);
	wr32(iip + 16, 0x0a000002);
	wr16(tcp, 1000);
	wr16(tcp + 2, 2000);
	tcp[12] = 0x50;
	tcp[13] = RTE_TCP_ACK_FLAG;
	wr16(tcp + 16, tcp_csum);
	for (i = 0; i < payload; i++)
		tcp[20 + i] = PAYLOAD_BYTE(i);
	return 50 + inner;
}

/* Send one VXLAN frame with @p ol_flags; the frame back in @p f. */
static int
vxlan_loop(uint64_t ol_flags, uint16_t tcp_csum, uint8_t *f, uint32_t *len,
	   uint32_t *ptype, uint64_t *rx_flags)
{
	static uint8_t d[2048];
	struct rte_mbuf *m, *rx[4];
	unsigned int got;

	*len = vxlan_frame(d, 200, tcp_csum);
	m = chain(d, *len, 2048, 2048);
	TEST_ASSERT_NOT_NULL(m, "mbuf");
	m->outer_l2_len = 14;
	m->outer_l3_len = 20;
	m->l2_len = 8 + 8 + 14;
	m->l3_len = 20;
	m->l4_len = 20;
	m->ol_flags = ol_flags;
	TEST_ASSERT_EQUAL(rte_eth_tx_burst(pid, 0, &m, 1), 1, "sent");
	got = rx_all(rx, RTE_DIM(rx));
	TEST_ASSERT_EQUAL(got, 1, "one frame back");
	TEST_ASSERT_EQUAL(rte_pktmbuf_pkt_len(rx[0]), *len, "length");
	memcpy(f, rte_pktmbuf_mtod(rx[0], void *), *len);
	*ptype = rx[0]->packet_type;
	*rx_flags = rx[0]->ol_flags;
	rte_pktmbuf_free(rx[0]);
	return TEST_SUCCESS;
}

#define VXLAN_TX (RTE_MBUF_F_TX_TUNNEL_VXLAN | RTE_MBUF_F_TX_OUTER_IPV4 | \
		  RTE_MBUF_F_TX_OUTER_IP_CKSUM | RTE_MBUF_F_TX_IPV4 | \
		  RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_TCP_CKSUM)
#define VXLAN_PTYPE (RTE_PTYPE_L2_ETHER | RTE_PTYPE_L3_IPV4_EXT_UNKNOWN | \
		     RTE_PTYPE_L4_UDP | RTE_PTYPE_TUNNEL_VXLAN | \
		     RTE_PTYPE_INNER_L2_ETHER | RTE_PTYPE_INNER_L3_IPV4 | \
		     RTE_PTYPE_INNER_L4_TCP)

/*
 * ConnectX-3 Pro: inner IPv4 and TCP checksums and the outer IPv4 one
 * computed on Tx; on Rx the tunnel packet type, the inner checksums'
 * flags (from the CQE's status) and the outer UDP one (vlan_my_qpn).
 */
static int
test_tunnel_pro(void)
{
	static uint8_t f[2048];
	const uint8_t *oip = f + 14, *iip = f + 64, *tcp = f + 84;
	const uint32_t sup[] = { RTE_PTYPE_TUNNEL_VXLAN };
	uint32_t len, pt, ptypes[32];
	uint64_t fl;
	int i, n;

	TEST_ASSERT_SUCCESS(port_start(RTE_ETH_TX_OFFLOAD_OUTER_IPV4_CKSUM |
				       RTE_ETH_TX_OFFLOAD_IPV4_CKSUM |
				       RTE_ETH_TX_OFFLOAD_TCP_CKSUM), "port");
	n = rte_eth_dev_get_supported_ptypes(pid, RTE_PTYPE_TUNNEL_MASK,
					     ptypes, RTE_DIM(ptypes));
	for (i = 0; i < n && ptypes[i] != sup[0]; i++)
		;
	TEST_ASSERT(i < n, "VXLAN among the supported packet types");
	TEST_ASSERT_SUCCESS(vxlan_loop(VXLAN_TX, 0, f, &len, &pt, &fl),
			    "VXLAN");
	TEST_ASSERT(ip4_ok(oip), "outer IPv4 checksum");
	TEST_ASSERT_EQUAL(rd16(f + 34 + 6), 0, "outer UDP checksum left 0");
	TEST_ASSERT(ip4_ok(iip), "inner IPv4 checksum");
	TEST_ASSERT(l4_ok(iip, tcp, len - 84, IPPROTO_TCP),
		    "inner TCP checksum");
	TEST_ASSERT_EQUAL_U(pt, VXLAN_PTYPE, "tunnel packet type");
	TEST_ASSERT_EQUAL_U(fl & (RTE_MBUF_F_RX_IP_CKSUM_MASK |
				  RTE_MBUF_F_RX_L4_CKSUM_MASK |
				  RTE_MBUF_F_RX_OUTER_L4_CKSUM_MASK),
			    RTE_MBUF_F_RX_IP_CKSUM_GOOD |
			    RTE_MBUF_F_RX_L4_CKSUM_GOOD |
			    RTE_MBUF_F_RX_OUTER_L4_CKSUM_GOOD, "Rx flags");
	/* no inner L4 offload, a wrong inner checksum: not GOOD on Rx */
	TEST_ASSERT_SUCCESS(vxlan_loop(VXLAN_TX & ~RTE_MBUF_F_TX_TCP_CKSUM,
				       0x1234, f, &len, &pt, &fl), "VXLAN");
	TEST_ASSERT_EQUAL(rd16(tcp + 16), 0x1234, "inner TCP left alone");
	TEST_ASSERT(ip4_ok(iip), "inner IPv4 checksum");
	TEST_ASSERT_EQUAL_U(pt, VXLAN_PTYPE, "tunnel packet type");
	TEST_ASSERT_EQUAL_U(fl & (RTE_MBUF_F_RX_IP_CKSUM_MASK |
				  RTE_MBUF_F_RX_L4_CKSUM_MASK),
			    RTE_MBUF_F_RX_IP_CKSUM_GOOD, "inner L4 unknown");
	return TEST_SUCCESS;
}

/*
 * VXLAN TSO on a ConnectX-3 Pro: each segment's outer IPv4 length,
 * identification and checksum, UDP length (checksum 0), inner IPv4
 * length, identification and checksum, TCP sequence and checksum, byte
 * by byte; the receive side sees tunnel frames with good checksums.
 */
static int
test_tso_vxlan(void)
{
	static uint8_t d[FLAT], f[FLAT];
	const uint32_t mss = 800, payload = 2500, hdr = 104;
	struct rte_mbuf *m, *rx[16];
	unsigned int got, k;
	uint32_t len;

	TEST_ASSERT_SUCCESS(port_start(TSO_OFFLOADS |
				       RTE_ETH_TX_OFFLOAD_OUTER_IPV4_CKSUM |
				       RTE_ETH_TX_OFFLOAD_VXLAN_TNL_TSO),
			    "port");
	len = vxlan_frame(d, payload, 0);
	m = chain(d, len, 1000, 1000);
	TEST_ASSERT_NOT_NULL(m, "mbufs");
	m->outer_l2_len = 14;
	m->outer_l3_len = 20;
	m->l2_len = 8 + 8 + 14;
	m->l3_len = 20;
	m->l4_len = 20;
	m->tso_segsz = mss;
	m->ol_flags = RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_TUNNEL_VXLAN |
		      RTE_MBUF_F_TX_OUTER_IPV4 | RTE_MBUF_F_TX_OUTER_IP_CKSUM |
		      RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM;
	TEST_ASSERT_EQUAL(rte_eth_tx_burst(pid, 0, &m, 1), 1, "sent");
	got = rx_all(rx, RTE_DIM(rx));
	if (got != 4) {
		rte_pktmbuf_free_bulk(rx, got);
		TEST_FAIL("%u segments, expected 4", got);
	}
	for (k = 0; k < got; k++) {
		uint32_t plen = RTE_MIN(mss, payload - k * mss);
		uint32_t flen = rte_pktmbuf_pkt_len(rx[k]);
		const uint8_t *p = rte_pktmbuf_read(rx[k], 0, flen, f);
		uint32_t pt = rx[k]->packet_type;
		uint64_t fl = rx[k]->ol_flags;

		if (p != NULL && p != f)
			memcpy(f, p, flen);
		rte_pktmbuf_free(rx[k]);
		rx[k] = NULL;
		TEST_ASSERT_NOT_NULL(p, "segment %u read", k);
		TEST_ASSERT_EQUAL(flen, hdr + plen, "segment %u length", k);
		TEST_ASSERT_EQUAL(rd16(f + 16), flen - 14,
				  "segment %u outer IPv4 length", k);
		TEST_ASSERT_EQUAL(rd16(f + 18), 7 + k,
				  "segment %u outer IPv4 identification", k);
		TEST_ASSERT(ip4_ok(f + 14), "segment %u outer IPv4 checksum", k);
		TEST_ASSERT_EQUAL(rd16(f + 38), flen - 34,
				  "segment %u UDP length", k);
		TEST_ASSERT_EQUAL(rd16(f + 40), 0, "segment %u UDP checksum 0",
				  k);
		TEST_ASSERT_BUFFERS_ARE_EQUAL(f + 42, d + 42, 22,
					      "segment %u VXLAN, inner L2", k);
		TEST_ASSERT_EQUAL(rd16(f + 66), flen - 64,
				  "segment %u inner IPv4 length", k);
		TEST_ASSERT_EQUAL(rd16(f + 68), k,
				  "segment %u inner IPv4 identification", k);
		TEST_ASSERT(ip4_ok(f + 64), "segment %u inner IPv4 checksum", k);
		TEST_ASSERT_EQUAL_U(rd32(f + 88), k * mss,
				    "segment %u TCP sequence", k);
		TEST_ASSERT_EQUAL(f[97], RTE_TCP_ACK_FLAG, "segment %u flags",
				  k);
		TEST_ASSERT(l4_ok(f + 64, f + 84, flen - 84, IPPROTO_TCP),
			    "segment %u inner TCP checksum", k);
		TEST_ASSERT_BUFFERS_ARE_EQUAL(f + hdr, d + hdr + k * mss, plen,
					      "segment %u payload", k);
		TEST_ASSERT_EQUAL_U(pt, VXLAN_PTYPE, "segment %u ptype", k);
		TEST_ASSERT_EQUAL_U(fl & (RTE_MBUF_F_RX_IP_CKSUM_MASK |
					  RTE_MBUF_F_RX_L4_CKSUM_MASK |
					  RTE_MBUF_F_RX_OUTER_L4_CKSUM_MASK),
				    RTE_MBUF_F_RX_IP_CKSUM_GOOD |
				    RTE_MBUF_F_RX_L4_CKSUM_GOOD |
				    RTE_MBUF_F_RX_OUTER_L4_CKSUM_GOOD,
				    "segment %u Rx flags", k);
	}
	/* GRE is not a tunnel the Pro segments: refused */
	m = chain(d, len, 1000, 1000);
	TEST_ASSERT_NOT_NULL(m, "mbufs");
	m->outer_l2_len = 14;
	m->outer_l3_len = 20;
	m->l2_len = 30;
	m->l3_len = 20;
	m->l4_len = 20;
	m->tso_segsz = mss;
	m->ol_flags = RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_TUNNEL_GRE |
		      RTE_MBUF_F_TX_OUTER_IPV4 | RTE_MBUF_F_TX_IPV4;
	TEST_ASSERT_SUCCESS(refused(m, "GRE TSO"), "GRE");
	return TEST_SUCCESS;
}

/*
 * A ConnectX-3 (no tunnel offload): the mbuf's checksum flags go to the
 * outer headers, as upstream does without hw_csum_l2tun; the inner
 * headers are left as they are; Rx sees a plain UDP frame.
 */
static int
test_tunnel_plain(void)
{
	static uint8_t f[2048];
	const uint8_t *oip = f + 14, *iip = f + 64;
	uint32_t len, pt;
	uint64_t fl;

	TEST_ASSERT_SUCCESS(port_start(RTE_ETH_TX_OFFLOAD_IPV4_CKSUM |
				       RTE_ETH_TX_OFFLOAD_TCP_CKSUM), "port");
	TEST_ASSERT_SUCCESS(vxlan_loop(VXLAN_TX, 0, f, &len, &pt, &fl),
			    "VXLAN");
	TEST_ASSERT(ip4_ok(oip), "outer IPv4 checksum");
	TEST_ASSERT_EQUAL(rd16(iip + 10), 0, "inner IPv4 checksum not set");
	TEST_ASSERT_EQUAL(rd16(f + 84 + 16), 0, "inner TCP checksum not set");
	TEST_ASSERT_EQUAL_U(pt, RTE_PTYPE_L2_ETHER | RTE_PTYPE_L3_IPV4 |
			    RTE_PTYPE_L4_UDP, "no tunnel packet type");
	TEST_ASSERT_EQUAL_U(fl & RTE_MBUF_F_RX_OUTER_L4_CKSUM_MASK, 0,
			    "no outer flag");
	return TEST_SUCCESS;
}

/*
 * The device's LSO rules, on the emulated device directly (WQEs written
 * as a driver would): each bad WQE completes in error with the syndrome
 * and vendor code of mlx4r_emu_engine.c emu_tx_lso, a good one is sent
 * as its segments.
 */
#define EMU_DEV "mlx4r_tso_emu"

static struct temu_env env;

/*
 * Post an LSO WQE: @p mss, the @p hsz header bytes of @p frame inline,
 * one data segment for the rest (@p plen bytes), owner_opcode bits
 * @p w0; DS count @p ds (0: what it takes). Doorbell, then the CQE.
 */
static int
emu_lso(struct temu_txq *t, uint32_t w0, uint32_t mss, uint32_t hsz,
	const uint8_t *frame, uint32_t plen, uint32_t ds, struct mlx4_cqe *c)
{
	const uint32_t size = t->txbbs * 64;
	uint32_t base = (t->head & (t->txbbs - 1)) * 64;
	uint32_t lso = (4 + hsz + 15) & ~15u, w, i;
	struct mlx4_wqe_ctrl_seg *ctrl = (void *)(t->sq + base);
	uint8_t body[512];
	struct mlx4_wqe_data_seg *d;

	memset(body, 0, sizeof(body));
	w = rte_cpu_to_be_32(mss << 16 | hsz);
	memcpy(body, &w, 4);
	memcpy(body + 4, frame, hsz);
	d = (void *)(body + lso);
	d->addr = rte_cpu_to_be_64((uintptr_t)frame + hsz);
	d->lkey = rte_cpu_to_be_32(env.mr->lkey);
	d->byte_count = rte_cpu_to_be_32(plen);
	if (ds == 0)
		ds = 1 + lso / 16 + 1;
	for (i = 0; i < lso + 16; i++)
		t->sq[(base + 16 + i) & (size - 1)] = body[i];
	ctrl->bf_qpn = rte_cpu_to_be_32(ds);
	ctrl->srcrb_flags = rte_cpu_to_be_32(MLX4_WQE_CTRL_SOLICIT |
					     MLX4_WQE_CTRL_CQ_UPDATE |
					     MLX4_WQE_CTRL_IP_HDR_CSUM |
					     MLX4_WQE_CTRL_TCP_UDP_CSUM);
	ctrl->imm = 0;
	rte_io_wmb();
	ctrl->owner_opcode = rte_cpu_to_be_32(MLX4_OPCODE_LSO | w0 |
		((t->head & t->txbbs) ? MLX4R_WQE_OWNER_BIT : 0));
	t->head += (ds * 16 + 63) / 64;
	temu_tx_doorbell(t);
	TEST_ASSERT(temu_cq_poll(&t->cdv, &t->cq_ci, c), "a CQE");
	return TEST_SUCCESS;
}

/* One LSO WQE on a new QP; its CQE's opcode, syndrome, vendor code. */
static int
emu_lso_case(uint32_t w0, uint32_t mss, uint32_t hsz, const uint8_t *frame,
	     uint32_t plen, uint32_t ds, uint8_t syn, uint8_t vendor,
	     const char *what)
{
	struct temu_txq t;
	struct mlx4_cqe c;
	struct mlx4_err_cqe e;
	int ret;

	TEST_ASSERT_SUCCESS(temu_txq_create(&env, 1, 64, &t), "QP");
	ret = emu_lso(&t, w0, mss, hsz, frame, plen, ds, &c);
	temu_txq_destroy(&t);
	TEST_ASSERT_SUCCESS(ret, "%s", what);
	memcpy(&e, &c, sizeof(e));
	if (vendor == 0) {
		TEST_ASSERT_EQUAL(c.owner_sr_opcode & MLX4_CQE_OPCODE_MASK,
				  MLX4_OPCODE_LSO, "%s: completed", what);
		return TEST_SUCCESS;
	}
	TEST_ASSERT_EQUAL(e.owner_sr_opcode & MLX4_CQE_OPCODE_MASK,
			  MLX4_CQE_OPCODE_ERROR, "%s: error CQE", what);
	TEST_ASSERT_EQUAL(e.syndrome, syn, "%s: syndrome", what);
	TEST_ASSERT_EQUAL(e.vendor_err, vendor, "%s: vendor code", what);
	return TEST_SUCCESS;
}

static int
test_emu_lso_rules(void)
{
	struct mlx4r_emu_dev_conf ec;
	struct mlx4r_emu_port_stats s0, s1;
	const uint8_t op = MLX4_CQE_SYNDROME_LOCAL_QP_OP_ERR;
	uint8_t *f;
	uint32_t hdr, hdr6, len, len6;

	memset(&ec, 0, sizeof(ec));
	ec.nb_ports = 1;
	ec.max_gso = 8192;
	TEST_ASSERT_SUCCESS(temu_env_init(&env, EMU_DEV, &ec), "device");
	TEST_ASSERT_SUCCESS(mlx4r_emu_wire_none(env.dev, 1), "no wire");
	f = env.buf;
	len = tcp_frame(f, false, 0, 9000, RTE_TCP_ACK_FLAG, &hdr);
	len6 = tcp_frame(f + FLAT, true, 20, 3000, RTE_TCP_ACK_FLAG, &hdr6);
	/* good ones: counted once as LSO, as segments on the port */
	mlx4r_emu_port_stats(env.dev, 1, &s0);
	TEST_ASSERT_SUCCESS(emu_lso_case(0, 1000, hdr, f, 3000, 0, 0, 0,
					 "IPv4"), "IPv4");
	TEST_ASSERT_SUCCESS(emu_lso_case(MLX4R_WQE_CTRL_LSO_BLH, 1000, hdr6,
					 f + FLAT, len6 - hdr6, 0, 0, 0,
					 "IPv6, 94-byte header"), "IPv6");
	mlx4r_emu_port_stats(env.dev, 1, &s1);
	TEST_ASSERT_EQUAL_U(s1.tx_lso - s0.tx_lso, 2, "LSO WQEs");
	TEST_ASSERT_EQUAL_U(s1.tx_dropped - s0.tx_dropped, 3 + 3,
			    "segments (no wire: dropped)");
	TEST_ASSERT_EQUAL_U(s1.tx_errors - s0.tx_errors, 0, "no error");
	/* the rules */
	TEST_ASSERT_SUCCESS(emu_lso_case(0, 0, hdr, f, 3000, 0, op,
					 MLX4R_EMU_VERR_LSO, "MSS 0"), "MSS 0");
	TEST_ASSERT_SUCCESS(emu_lso_case(0, 1000, 0, f, 3000, 0, op,
					 MLX4R_EMU_VERR_LSO, "header 0"),
			    "header 0");
	TEST_ASSERT_SUCCESS(emu_lso_case(0, 1000, hdr - 1, f, 3000, 0, op,
					 MLX4R_EMU_VERR_LSO,
					 "header short of TCP's end"), "short");
	TEST_ASSERT_SUCCESS(emu_lso_case(0, 1000, hdr6, f + FLAT,
					 len6 - hdr6, 0, op,
					 MLX4R_EMU_VERR_LSO,
					 "big header without BLH"), "BLH");
	TEST_ASSERT_SUCCESS(emu_lso_case(0, 1000, hdr, f, 3000, 4, op,
					 MLX4R_EMU_VERR_LSO,
					 "LSO segment beyond the DS count"),
			    "DS");
	TEST_ASSERT_SUCCESS(emu_lso_case(0, 1000, hdr, f, len - hdr, 0,
					 MLX4_CQE_SYNDROME_LOCAL_LENGTH_ERR,
					 MLX4R_EMU_VERR_LENGTH,
					 "payload above max_gso_sz"), "max_gso");
	TEST_ASSERT_SUCCESS(emu_lso_case(0, 9600, hdr, f, 3000, 0, op,
					 MLX4R_EMU_VERR_LSO,
					 "segment above the largest frame"),
			    "MSS 9600");
	/* a UDP header: not TCP */
	temu_frame_ip4(f + 2 * FLAT, f, f + 6, 1, 2, IPPROTO_UDP, 1, 2, 100,
		       true);
	TEST_ASSERT_SUCCESS(emu_lso_case(0, 50, 42, f + 2 * FLAT, 100, 0, op,
					 MLX4R_EMU_VERR_LSO, "UDP"), "UDP");
	temu_env_fini(&env);
	/* firmware without LSO: a bad opcode */
	ec.no_tso = true;
	TEST_ASSERT_SUCCESS(temu_env_init(&env, EMU_DEV, &ec), "device");
	f = env.buf;
	len = tcp_frame(f, false, 0, 3000, RTE_TCP_ACK_FLAG, &hdr);
	TEST_ASSERT_SUCCESS(emu_lso_case(0, 1000, hdr, f, 3000, 0, op,
					 MLX4R_EMU_VERR_OPCODE, "no LSO"),
			    "no LSO");
	temu_env_fini(&env);
	return TEST_SUCCESS;
}

static struct unit_test_suite mlx4r_tso_suite = {
	.suite_name = "mlx4r TSO and tunnel checksums",
	.setup = tso_setup,
	.teardown = tso_teardown,
	.unit_test_cases = {
		TEST_CASE(test_tso_caps),
		TEST_CASE_ST(hca_loopback, hca_down, test_tso_ipv4),
		TEST_CASE_ST(hca_loopback, hca_down, test_tso_ipv6),
		TEST_CASE_ST(hca_loopback, hca_down, test_tso_refused),
		TEST_CASE_ST(hca_loopback, hca_down, test_tso_seg_limits),
		TEST_CASE_ST(NULL, hca_down, test_tso_max_payload),
		TEST_CASE_ST(hca_proactive, hca_down, test_tso_reset),
		TEST_CASE_ST(hca_pro, hca_down, test_tunnel_pro),
		TEST_CASE_ST(hca_pro, hca_down, test_tso_vxlan),
		TEST_CASE_ST(hca_loopback, hca_down, test_tunnel_plain),
		TEST_CASE(test_emu_lso_rules),
		TEST_CASES_END()
	}
};

static int
mlx4r_tso_autotest(void)
{
	return unit_test_suite_runner(&mlx4r_tso_suite);
}

REGISTER_TEST_COMMAND(mlx4r_tso_autotest, mlx4r_tso_autotest);
