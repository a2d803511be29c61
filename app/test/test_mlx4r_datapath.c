/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * The real datapath of net_mlx4r on the emulated ConnectX-3, through the
 * ethdev API: frames across loopback and cross-connect wires byte for
 * byte, multi-segment Tx, scattered Rx, RSS spreading by the RETA, MAC
 * filtering with promiscuous and all-multicast modes, packet types and
 * checksum flags, Tx checksum offload, descriptor rounding, mbufs back in
 * their pool after stop and close, the generator wire, missed frames, and
 * the errors of bad arguments.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <rte_bus_vdev.h>
#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>
#include <rte_tcp.h>
#include <rte_thash.h>

#include "test.h"
#include "test_common.h"
#include "mlx4r.h"
#include "emu/mlx4r_emu.h"

#define NB_MBUF 4095
#define BURST 32
#define HCA "net_mlx4r_dp"

static struct rte_mempool *mp;
static struct rte_mempool *small_mp; /* 256-byte data room */
static uint16_t p1, p2;

static int
dp_setup(void)
{
	mp = rte_pktmbuf_pool_create("dp_mp", NB_MBUF, 0, 0,
				     RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	small_mp = rte_pktmbuf_pool_create("dp_small_mp", NB_MBUF, 0, 0,
					   256 + RTE_PKTMBUF_HEADROOM,
					   SOCKET_ID_ANY);
	if (mp == NULL || small_mp == NULL)
		return TEST_FAILED;
	return TEST_SUCCESS;
}

static void
dp_teardown(void)
{
	rte_mempool_free(mp);
	rte_mempool_free(small_mp);
	mp = NULL;
	small_mp = NULL;
}

static int
hca_up(const char *devargs)
{
	if (rte_vdev_init(HCA, devargs) != 0)
		return TEST_FAILED;
	if (rte_eth_dev_get_port_by_name(HCA, &p1) != 0)
		return TEST_FAILED;
	if (rte_eth_dev_get_port_by_name(HCA "_port2", &p2) != 0)
		p2 = UINT16_MAX;
	return TEST_SUCCESS;
}

static int
hca_loopback(void)
{
	return hca_up("wire=loopback");
}

static int
hca_xconnect(void)
{
	return hca_up("ports=2,wire=xconnect");
}

static void
hca_down(void)
{
	rte_vdev_uninit(HCA);
}

/* configure with nrxq/ntxq queues on pool @p pool, then start */
static int
port_up_conf(uint16_t port, uint16_t nrxq, uint16_t ntxq,
	     struct rte_eth_conf *conf, struct rte_mempool *pool,
	     uint64_t rx_offloads)
{
	struct rte_eth_rxconf rxc;
	uint16_t q;

	memset(&rxc, 0, sizeof(rxc));
	rxc.offloads = rx_offloads;
	TEST_ASSERT_SUCCESS(rte_eth_dev_configure(port, nrxq, ntxq, conf),
			    "configure port %u", port);
	for (q = 0; q < nrxq; q++)
		TEST_ASSERT_SUCCESS(rte_eth_rx_queue_setup(port, q, 128,
				SOCKET_ID_ANY, &rxc, pool), "rxq %u", q);
	for (q = 0; q < ntxq; q++)
		TEST_ASSERT_SUCCESS(rte_eth_tx_queue_setup(port, q, 128,
				SOCKET_ID_ANY, NULL), "txq %u", q);
	TEST_ASSERT_SUCCESS(rte_eth_dev_start(port), "start port %u", port);
	return TEST_SUCCESS;
}

static int
port_up(uint16_t port)
{
	struct rte_eth_conf conf;

	memset(&conf, 0, sizeof(conf));
	return port_up_conf(port, 1, 1, &conf, mp, 0);
}

/* An Ethernet frame of @p len bytes to @p dst with a pattern seeded by i. */
static struct rte_mbuf *
make_frame(const struct rte_ether_addr *dst, uint16_t len, unsigned int i)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	struct rte_ether_hdr *eh;
	uint8_t *p;
	uint16_t k;

	if (m == NULL || rte_pktmbuf_append(m, len) == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	eh->dst_addr = *dst;
	eh->src_addr = (struct rte_ether_addr){
		.addr_bytes = { 0x02, 0, 0, 0, 0, 0x01 } };
	eh->ether_type = rte_cpu_to_be_16(0x88b5);
	p = (uint8_t *)(eh + 1);
	for (k = 0; k < len - sizeof(*eh); k++)
		p[k] = (uint8_t)(i * 7 + k);
	return m;
}

static int
frames_to(uint16_t port, struct rte_mbuf **m, unsigned int n, uint16_t len)
{
	struct rte_ether_addr mac;
	unsigned int i;

	TEST_ASSERT_SUCCESS(rte_eth_macaddr_get(port, &mac), "MAC");
	for (i = 0; i < n; i++) {
		m[i] = make_frame(&mac, len, i);
		TEST_ASSERT_NOT_NULL(m[i], "frame %u", i);
	}
	return TEST_SUCCESS;
}

/* Receive up to @p want frames from queue q, polling a few times. */
static uint16_t
rx_some(uint16_t port, uint16_t q, struct rte_mbuf **m, uint16_t want)
{
	uint16_t got = 0;
	int tries;

	for (tries = 0; tries < 16 && got < want; tries++)
		got += rte_eth_rx_burst(port, q, m + got, want - got);
	return got;
}

/* Destinations of the filter tests: another unicast MAC, a group, broadcast. */
static const struct rte_ether_addr other = {
	.addr_bytes = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 } };
static const struct rte_ether_addr mcast = {
	.addr_bytes = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 } };
static const struct rte_ether_addr bcast = {
	.addr_bytes = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } };

/*
 * One 64-byte frame to @p dst out of p1's queue 0, on a loopback wire:
 * @p want of it (1: received, 0: filtered) back on its queue 0.
 */
static int
send_expect(const struct rte_ether_addr *dst, uint16_t want, const char *what)
{
	struct rte_mbuf *m[1], *rx[4];

	m[0] = make_frame(dst, 64, 0);
	TEST_ASSERT_EQUAL(rte_eth_tx_burst(p1, 0, m, 1), 1, "sent %s", what);
	TEST_ASSERT_EQUAL(rx_some(p1, 0, rx, 1), want, "%s", what);
	if (want != 0)
		rte_pktmbuf_free(rx[0]);
	return TEST_SUCCESS;
}

#define SEND_EXPECT(dst, want, what) \
	TEST_ASSERT_SUCCESS(send_expect((dst), (want), (what)), "%s", (what))

static uint64_t
xstat(uint16_t port, const char *name)
{
	uint64_t id, v = UINT64_MAX;

	if (rte_eth_xstats_get_id_by_name(port, name, &id) == 0)
		rte_eth_xstats_get_by_id(port, &id, &v, 1);
	return v;
}

/*
 * Rx buffers of a pool whose mbufs carry a private area: the ring is
 * posted from each mbuf's address without reading the mbuf (the buffer
 * after the mbuf and its private area, mlx4r_rxq.c mlx4r_rxq_buf()), so
 * the device must write where the application reads, and never into the
 * private area.
 */
static int
test_rx_pool_private_area(void)
{
	struct rte_mbuf *tx[8], *ref[8], *rx[8];
	struct rte_ether_addr mac;
	struct rte_mempool *pp;
	struct rte_eth_conf conf;
	unsigned int i, j;
	uint16_t n;

	pp = rte_pktmbuf_pool_create("dp_priv_mp", 1023, 0, 64,
				     RTE_MBUF_DEFAULT_BUF_SIZE,
				     SOCKET_ID_ANY);
	TEST_ASSERT_NOT_NULL(pp, "pool with a private area");
	memset(&conf, 0, sizeof(conf));
	TEST_ASSERT_EQUAL(port_up_conf(p1, 1, 1, &conf, pp, 0), TEST_SUCCESS,
			  "up");
	TEST_ASSERT_SUCCESS(rte_eth_macaddr_get(p1, &mac), "MAC");
	for (i = 0; i < RTE_DIM(tx); i++) {
		tx[i] = make_frame(&mac, 200 + i, i);
		ref[i] = make_frame(&mac, 200 + i, i);
		TEST_ASSERT(tx[i] != NULL && ref[i] != NULL, "frame");
	}
	TEST_ASSERT_EQUAL(rte_eth_tx_burst(p1, 0, tx, RTE_DIM(tx)),
			  RTE_DIM(tx), "sent");
	n = rx_some(p1, 0, rx, RTE_DIM(rx));
	TEST_ASSERT_EQUAL(n, RTE_DIM(rx), "received");
	for (i = 0; i < n; i++) {
		const uint8_t *priv = (const uint8_t *)(rx[i] + 1);

		TEST_ASSERT(rx[i]->pool == pp, "from the queue's pool");
		TEST_ASSERT_EQUAL(rte_pktmbuf_pkt_len(rx[i]), 200 + i, "length");
		TEST_ASSERT_BUFFERS_ARE_EQUAL(rte_pktmbuf_mtod(rx[i], void *),
					      rte_pktmbuf_mtod(ref[i], void *),
					      200 + i, "content of frame %u", i);
		for (j = 0; j < 64; j++)
			TEST_ASSERT_EQUAL(priv[j], 0, "private area byte %u", j);
	}
	rte_pktmbuf_free_bulk(rx, n);
	rte_pktmbuf_free_bulk(ref, RTE_DIM(ref));
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	TEST_ASSERT_EQUAL(rte_mempool_in_use_count(pp), 0, "all back");
	rte_mempool_free(pp);
	return TEST_SUCCESS;
}

/* Frames of many sizes cross the loopback wire unchanged. */
static int
test_loopback_byte_exact(void)
{
	static const uint16_t lens[] = { 60, 61, 64, 127, 128, 512, 1000,
					 1514 };
	struct rte_mbuf *tx[RTE_DIM(lens)], *rx[RTE_DIM(lens)];
	struct rte_eth_stats st;
	struct rte_ether_addr mac;
	uint64_t bytes = 0;
	unsigned int i, base = rte_mempool_in_use_count(mp);
	uint16_t n;

	TEST_ASSERT_EQUAL(port_up(p1), TEST_SUCCESS, "up");
	TEST_ASSERT_SUCCESS(rte_eth_macaddr_get(p1, &mac), "MAC");
	for (i = 0; i < RTE_DIM(lens); i++) {
		tx[i] = make_frame(&mac, lens[i], i);
		TEST_ASSERT_NOT_NULL(tx[i], "frame");
		bytes += lens[i];
	}
	/* keep a copy of every frame: the driver frees what it sent */
	{
		struct rte_mbuf *ref[RTE_DIM(lens)];

		for (i = 0; i < RTE_DIM(lens); i++)
			ref[i] = make_frame(&mac, lens[i], i);
		n = rte_eth_tx_burst(p1, 0, tx, RTE_DIM(lens));
		TEST_ASSERT_EQUAL(n, RTE_DIM(lens), "all sent");
		n = rx_some(p1, 0, rx, RTE_DIM(lens));
		TEST_ASSERT_EQUAL(n, RTE_DIM(lens), "all looped back");
		for (i = 0; i < n; i++) {
			TEST_ASSERT_EQUAL(rx[i]->port, p1, "mbuf port");
			TEST_ASSERT_EQUAL(rte_pktmbuf_pkt_len(rx[i]), lens[i],
					  "length of frame %u", i);
			TEST_ASSERT_EQUAL(rx[i]->nb_segs, 1, "one segment");
			TEST_ASSERT_BUFFERS_ARE_EQUAL(
				rte_pktmbuf_mtod(rx[i], void *),
				rte_pktmbuf_mtod(ref[i], void *), lens[i],
				"content of frame %u", i);
		}
		rte_pktmbuf_free_bulk(ref, RTE_DIM(lens));
	}
	rte_pktmbuf_free_bulk(rx, n);
	TEST_ASSERT_SUCCESS(rte_eth_stats_get(p1, &st), "stats");
	TEST_ASSERT_EQUAL_U(st.opackets, RTE_DIM(lens), "opackets");
	TEST_ASSERT_EQUAL_U(st.obytes, bytes, "obytes");
	TEST_ASSERT_EQUAL_U(st.ipackets, RTE_DIM(lens), "ipackets");
	TEST_ASSERT_EQUAL_U(st.ibytes, bytes, "ibytes");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	TEST_ASSERT_EQUAL(rte_mempool_in_use_count(mp), base,
			  "mbufs back in the pool after stop");
	return TEST_SUCCESS;
}

/* Many bursts: the Tx ring wraps, completions free every mbuf. */
static int
test_ring_wrap_and_completions(void)
{
	struct rte_mbuf *tx[BURST], *rx[BURST];
	unsigned int base = rte_mempool_in_use_count(mp);
	unsigned int round, total = 0;
	uint16_t n;

	TEST_ASSERT_EQUAL(port_up(p1), TEST_SUCCESS, "up");
	for (round = 0; round < 64; round++) {
		TEST_ASSERT_EQUAL(frames_to(p1, tx, BURST, 60 + round),
				  TEST_SUCCESS, "frames");
		n = rte_eth_tx_burst(p1, 0, tx, BURST);
		if (n < BURST)
			rte_pktmbuf_free_bulk(tx + n, BURST - n);
		n = rx_some(p1, 0, rx, BURST);
		total += n;
		rte_pktmbuf_free_bulk(rx, n);
	}
	TEST_ASSERT_EQUAL(total, 64 * BURST, "every frame came back");
	/* in use now: posted Rx buffers + Tx frames awaiting completion */
	TEST_ASSERT(rte_mempool_in_use_count(mp) - base <= 128 + 128,
		    "no more in use than the rings hold (%u)",
		    rte_mempool_in_use_count(mp) - base);
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	TEST_ASSERT_EQUAL(rte_mempool_in_use_count(mp), base, "baseline");
	return TEST_SUCCESS;
}

/*
 * @p n frames out and back, all received and freed, then the Tx
 * completions polled: how many mbufs the port holds beyond @p base.
 */
static int
tx_held_after(unsigned int n, unsigned int base, unsigned int *held)
{
	struct rte_mbuf *tx[BURST], *rx[BURST];
	unsigned int k, got = 0;
	uint16_t r;
	int t;

	while (n != 0) {
		k = RTE_MIN(n, (unsigned int)BURST);
		TEST_ASSERT_EQUAL(frames_to(p1, tx, k, 60), TEST_SUCCESS,
				  "frames");
		TEST_ASSERT_EQUAL(rte_eth_tx_burst(p1, 0, tx, k), k, "sent");
		r = rx_some(p1, 0, rx, k);
		TEST_ASSERT_EQUAL(r, k, "back");
		rte_pktmbuf_free_bulk(rx, r);
		got += r;
		n -= k;
	}
	for (t = 0; t < 4; t++)
		rte_eth_tx_burst(p1, 0, NULL, 0);
	*held = rte_mempool_in_use_count(mp) - base;
	return TEST_SUCCESS;
}

/*
 * Completion moderation, exact: a completion is asked every comp_thresh
 * TXBBs (one a 64-byte frame) and frees every frame up to and including
 * the WQE that asked, none after it. So comp_thresh - 1 frames stay
 * held, one more and none is.
 */
static int
test_tx_completion_exact(void)
{
	struct mlx4r_txq *txq;
	unsigned int base, held, th;

	TEST_ASSERT_EQUAL(port_up(p1), TEST_SUCCESS, "up");
	txq = mlx4r_port_txq(mlx4r_port_of(&rte_eth_devices[p1]), 0);
	th = txq->comp_thresh;
	TEST_ASSERT(th > 1, "a threshold (%u)", th);
	/* the Rx ring posted: what the port holds at rest */
	base = rte_mempool_in_use_count(mp);
	TEST_ASSERT_EQUAL(tx_held_after(th, base, &held), TEST_SUCCESS,
			  "first");
	TEST_ASSERT_EQUAL(held, 0, "%u frames: all freed", th);
	TEST_ASSERT_EQUAL(tx_held_after(th - 1, base, &held), TEST_SUCCESS,
			  "short");
	TEST_ASSERT_EQUAL(held, th - 1, "%u frames: none asked", th - 1);
	TEST_ASSERT_EQUAL(tx_held_after(1, base, &held), TEST_SUCCESS,
			  "one more");
	TEST_ASSERT_EQUAL(held, 0, "the one that asked frees them all");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	return TEST_SUCCESS;
}

/*
 * A Tx burst of mbufs from two pools, interleaved: each goes back to its
 * own pool at completion (the completion frees in runs of one pool), and
 * each pool's count of mbufs in use is as before.
 */
static int
test_tx_free_two_pools(void)
{
	struct rte_mbuf *tx[BURST], *rx[BURST];
	struct rte_ether_addr mac;
	unsigned int base, small_base, i, round;
	uint16_t n;

	base = rte_mempool_in_use_count(mp);
	small_base = rte_mempool_in_use_count(small_mp);
	TEST_ASSERT_EQUAL(port_up(p1), TEST_SUCCESS, "up");
	TEST_ASSERT_SUCCESS(rte_eth_macaddr_get(p1, &mac), "MAC");
	for (round = 0; round < 8; round++) {
		for (i = 0; i < BURST; i++) {
			struct rte_mempool *pool = (i + round) % 2 ? small_mp :
						   mp;
			struct rte_ether_hdr *eh;

			tx[i] = rte_pktmbuf_alloc(pool);
			TEST_ASSERT_NOT_NULL(tx[i], "mbuf %u", i);
			eh = (void *)rte_pktmbuf_append(tx[i], 64);
			TEST_ASSERT_NOT_NULL(eh, "append");
			memset(eh, 0, 64);
			eh->dst_addr = mac;
			eh->ether_type = rte_cpu_to_be_16(0x88b5);
		}
		n = rte_eth_tx_burst(p1, 0, tx, BURST);
		TEST_ASSERT_EQUAL(n, BURST, "round %u: sent", round);
		n = rx_some(p1, 0, rx, BURST);
		TEST_ASSERT_EQUAL(n, BURST, "round %u: back", round);
		rte_pktmbuf_free_bulk(rx, n);
	}
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	TEST_ASSERT_EQUAL(rte_mempool_in_use_count(small_mp), small_base,
			  "every small mbuf back in its pool");
	TEST_ASSERT_EQUAL(rte_mempool_in_use_count(mp), base,
			  "every mbuf of the queue's pool back in it");
	return TEST_SUCCESS;
}

/*
 * Tx completion gives back only what the driver held: an mbuf the
 * application still references (refcnt 2) loses one reference and stays
 * out of the pool; an indirect clone is detached, its parent released by
 * one; only then do the buffers go home. (The completion's fast path puts
 * direct single-segment mbufs of refcnt 1 straight into their pool.)
 */
static int
test_tx_shared_mbufs(void)
{
	struct rte_mbuf *tx[BURST], *rx[BURST], *held, *parent, *clone;
	struct rte_ether_addr mac;
	unsigned int base = rte_mempool_in_use_count(mp);
	unsigned int round, in_use;
	uint8_t copy[200];
	uint16_t n;

	TEST_ASSERT_EQUAL(port_up(p1), TEST_SUCCESS, "up");
	TEST_ASSERT_SUCCESS(rte_eth_macaddr_get(p1, &mac), "MAC");
	held = make_frame(&mac, 200, 7);
	parent = make_frame(&mac, 120, 9);
	TEST_ASSERT(held != NULL && parent != NULL, "frames");
	memcpy(copy, rte_pktmbuf_mtod(held, void *), sizeof(copy));
	rte_mbuf_refcnt_update(held, 1);
	clone = rte_pktmbuf_clone(parent, mp);
	TEST_ASSERT_NOT_NULL(clone, "clone");
	TEST_ASSERT_EQUAL(rte_mbuf_refcnt_read(parent), 2, "clone attached");
	tx[0] = held;
	tx[1] = clone;
	TEST_ASSERT_EQUAL(rte_eth_tx_burst(p1, 0, tx, 2), 2, "sent");
	TEST_ASSERT_EQUAL(rx_some(p1, 0, rx, 2), 2, "received");
	rte_pktmbuf_free_bulk(rx, 2);
	/* enough traffic behind them for their completions to come back */
	for (round = 0; round < 16; round++) {
		TEST_ASSERT_EQUAL(frames_to(p1, tx, BURST, 64), TEST_SUCCESS,
				  "frames");
		n = rte_eth_tx_burst(p1, 0, tx, BURST);
		if (n < BURST)
			rte_pktmbuf_free_bulk(tx + n, BURST - n);
		n = rx_some(p1, 0, rx, BURST);
		rte_pktmbuf_free_bulk(rx, n);
	}
	TEST_ASSERT_EQUAL(rte_mbuf_refcnt_read(held), 1,
			  "the driver dropped its reference only");
	TEST_ASSERT_BUFFERS_ARE_EQUAL(rte_pktmbuf_mtod(held, void *), copy,
				      sizeof(copy), "held frame untouched");
	TEST_ASSERT_EQUAL(rte_mbuf_refcnt_read(parent), 1,
			  "the clone was detached from its parent");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	/* held and parent are all the application still has */
	in_use = rte_mempool_in_use_count(mp);
	TEST_ASSERT_EQUAL(in_use, base + 2,
			  "in use: the two frames still held (%u)",
			  in_use - base);
	rte_pktmbuf_free(held);
	rte_pktmbuf_free(parent);
	TEST_ASSERT_EQUAL(rte_mempool_in_use_count(mp), base, "baseline");
	return TEST_SUCCESS;
}

/* A chain of three segments leaves as one frame. */
static int
test_multiseg_tx(void)
{
	struct rte_mbuf *segs[3], *rx[1];
	struct rte_ether_addr mac;
	uint8_t expect[300];
	unsigned int i, k, off = 0;

	TEST_ASSERT_EQUAL(port_up(p1), TEST_SUCCESS, "up");
	TEST_ASSERT_SUCCESS(rte_eth_macaddr_get(p1, &mac), "MAC");
	segs[0] = make_frame(&mac, 100, 1);
	TEST_ASSERT_NOT_NULL(segs[0], "head");
	memcpy(expect, rte_pktmbuf_mtod(segs[0], void *), 100);
	off = 100;
	for (i = 1; i < 3; i++) {
		uint8_t *p;

		segs[i] = rte_pktmbuf_alloc(mp);
		TEST_ASSERT_NOT_NULL(segs[i], "segment");
		p = (uint8_t *)rte_pktmbuf_append(segs[i], 100);
		for (k = 0; k < 100; k++)
			p[k] = expect[off + k] = (uint8_t)(0xa0 + i + k);
		off += 100;
		TEST_ASSERT_SUCCESS(rte_pktmbuf_chain(segs[0], segs[i]),
				    "chain");
	}
	TEST_ASSERT_EQUAL(segs[0]->nb_segs, 3, "three segments");
	TEST_ASSERT_EQUAL(rte_eth_tx_burst(p1, 0, segs, 1), 1, "sent");
	TEST_ASSERT_EQUAL(rx_some(p1, 0, rx, 1), 1, "received");
	TEST_ASSERT_EQUAL(rte_pktmbuf_pkt_len(rx[0]), 300, "length");
	TEST_ASSERT_BUFFERS_ARE_EQUAL(rte_pktmbuf_mtod(rx[0], void *), expect,
				      300, "gathered content");
	rte_pktmbuf_free(rx[0]);
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	return TEST_SUCCESS;
}

/* A chain of @p n segments of @p len[i] bytes (to our MAC), its bytes. */
static struct rte_mbuf *
make_chain(const struct rte_ether_addr *mac, const uint16_t *len,
	   unsigned int n, unsigned int seed, uint8_t *expect)
{
	struct rte_mbuf *head, *m;
	unsigned int i, k, off;

	head = make_frame(mac, len[0], seed);
	if (head == NULL)
		return NULL;
	memcpy(expect, rte_pktmbuf_mtod(head, void *), len[0]);
	off = len[0];
	for (i = 1; i < n; i++) {
		uint8_t *p;

		m = rte_pktmbuf_alloc(mp);
		if (m == NULL)
			goto fail;
		p = (uint8_t *)rte_pktmbuf_append(m, len[i]);
		if (len[i] != 0 && p == NULL) {
			rte_pktmbuf_free(m);
			goto fail;
		}
		for (k = 0; k < len[i]; k++)
			p[k] = expect[off + k] = (uint8_t)(seed + 0x30 * i + k);
		off += len[i];
		if (rte_pktmbuf_chain(head, m) != 0) {
			rte_pktmbuf_free(m);
			goto fail;
		}
	}
	return head;
fail:
	rte_pktmbuf_free(head);
	return NULL;
}

/*
 * An empty mbuf segment (data_len 0) leaves nothing in the frame: the
 * WQE says 0x80000000, an empty segment; 0 would be 2 GB to the device.
 */
static int
test_empty_segment_tx(void)
{
	static const uint16_t len[] = { 100, 0, 100, 0 };
	struct rte_mbuf *m, *rx[1];
	struct rte_ether_addr mac;
	struct rte_eth_stats st;
	uint8_t expect[200];

	TEST_ASSERT_EQUAL(port_up(p1), TEST_SUCCESS, "up");
	TEST_ASSERT_SUCCESS(rte_eth_macaddr_get(p1, &mac), "MAC");
	m = make_chain(&mac, len, RTE_DIM(len), 5, expect);
	TEST_ASSERT_NOT_NULL(m, "chain");
	TEST_ASSERT_EQUAL(m->nb_segs, 4, "four segments, two empty");
	TEST_ASSERT_EQUAL(rte_eth_tx_burst(p1, 0, &m, 1), 1, "sent");
	TEST_ASSERT_EQUAL(rx_some(p1, 0, rx, 1), 1, "received");
	TEST_ASSERT_EQUAL(rte_pktmbuf_pkt_len(rx[0]), 200, "length");
	TEST_ASSERT_BUFFERS_ARE_EQUAL(rte_pktmbuf_mtod(rx[0], void *), expect,
				      200, "content");
	rte_pktmbuf_free(rx[0]);
	TEST_ASSERT_SUCCESS(rte_eth_stats_get(p1, &st), "stats");
	TEST_ASSERT_EQUAL_U(st.oerrors, 0, "no Tx error");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	return TEST_SUCCESS;
}

/*
 * The largest frame: MLX4R_MAX_TX_SEGS segments. One more than a WQE
 * holds: tx_prepare says EINVAL, the burst stops at it (it stays with the
 * application), counted in oerrors and tx_too_many_segs each time it is
 * offered, and the ring is intact (the frames around it go out whole).
 * A frame that would also be larger than the room the ring has left is
 * told apart from a full ring (before: the burst stopped uncounted).
 */
static int
test_max_segments_tx(void)
{
	uint16_t len[MLX4R_MAX_TX_SEGS + 1];
	uint8_t expect[(MLX4R_MAX_TX_SEGS + 1) * 40];
	struct rte_mbuf *m, *big, *rx[4], *tx[3];
	struct rte_eth_dev_info info;
	struct rte_ether_addr mac;
	struct rte_eth_stats st;
	unsigned int i;

	for (i = 0; i < RTE_DIM(len); i++)
		len[i] = 40;
	TEST_ASSERT_EQUAL(port_up(p1), TEST_SUCCESS, "up");
	TEST_ASSERT_SUCCESS(rte_eth_dev_info_get(p1, &info), "info");
	TEST_ASSERT_EQUAL(info.tx_desc_lim.nb_mtu_seg_max, MLX4R_MAX_TX_SEGS,
			  "nb_mtu_seg_max");
	TEST_ASSERT_SUCCESS(rte_eth_macaddr_get(p1, &mac), "MAC");
	m = make_chain(&mac, len, MLX4R_MAX_TX_SEGS, 7, expect);
	TEST_ASSERT_NOT_NULL(m, "chain");
	TEST_ASSERT_EQUAL(rte_eth_tx_prepare(p1, 0, &m, 1), 1, "prepared");
	TEST_ASSERT_EQUAL(rte_eth_tx_burst(p1, 0, &m, 1), 1, "sent");
	TEST_ASSERT_EQUAL(rx_some(p1, 0, rx, 1), 1, "received");
	TEST_ASSERT_EQUAL(rte_pktmbuf_pkt_len(rx[0]), MLX4R_MAX_TX_SEGS * 40,
			  "length");
	TEST_ASSERT_BUFFERS_ARE_EQUAL(rte_pktmbuf_mtod(rx[0], void *), expect,
				      MLX4R_MAX_TX_SEGS * 40, "content");
	rte_pktmbuf_free(rx[0]);
	/* one segment more, between two frames */
	big = make_chain(&mac, len, MLX4R_MAX_TX_SEGS + 1, 7, expect);
	TEST_ASSERT_NOT_NULL(big, "chain");
	tx[0] = make_frame(&mac, 60, 1);
	tx[1] = big;
	tx[2] = make_frame(&mac, 60, 2);
	TEST_ASSERT(tx[0] != NULL && tx[2] != NULL, "frames");
	rte_errno = 0;
	TEST_ASSERT_EQUAL(rte_eth_tx_prepare(p1, 0, tx, 3), 1,
			  "prepare stops at it");
	TEST_ASSERT_EQUAL(rte_errno, EINVAL, "prepare's errno");
	TEST_ASSERT_EQUAL(rte_eth_tx_burst(p1, 0, tx, 3), 1,
			  "the burst stops at it");
	TEST_ASSERT_EQUAL(rte_eth_tx_burst(p1, 0, &tx[1], 1), 0,
			  "offered again: refused again");
	TEST_ASSERT_EQUAL(rte_eth_tx_burst(p1, 0, &tx[2], 1), 1, "the next");
	TEST_ASSERT_EQUAL(rx_some(p1, 0, rx, 3), 2, "both around it");
	TEST_ASSERT(rte_pktmbuf_pkt_len(rx[0]) == 60 &&
		    rte_pktmbuf_pkt_len(rx[1]) == 60 &&
		    rx[0]->nb_segs == 1 && rx[1]->nb_segs == 1,
		    "whole: %u %u", rte_pktmbuf_pkt_len(rx[0]),
		    rte_pktmbuf_pkt_len(rx[1]));
	rte_pktmbuf_free_bulk(rx, 2);
	/*
	 * More segments than the ring has room: the burst reads only
	 * nb_segs of a frame it refuses, so one mbuf that says 2000 stands
	 * for such a chain (the ring has 256 TXBBs, the frame would need
	 * 501). It is refused and counted, not taken for a full ring.
	 */
	big->next = NULL;
	rte_pktmbuf_free(big); /* the real chain back */
	tx[1] = make_frame(&mac, 60, 3);
	TEST_ASSERT_NOT_NULL(tx[1], "frame");
	tx[1]->nb_segs = 2000;
	TEST_ASSERT_EQUAL(rte_eth_tx_prepare(p1, 0, &tx[1], 1), 0,
			  "prepare refuses it");
	TEST_ASSERT_EQUAL(rte_eth_tx_burst(p1, 0, &tx[1], 1), 0,
			  "the burst stops at it");
	tx[1]->nb_segs = 1;
	rte_pktmbuf_free(tx[1]);
	TEST_ASSERT_SUCCESS(rte_eth_stats_get(p1, &st), "stats");
	TEST_ASSERT_EQUAL_U(st.oerrors, 3, "counted each time");
	TEST_ASSERT_EQUAL_U(st.opackets, 3, "the others sent");
	TEST_ASSERT_EQUAL_U(xstat(p1, "tx_too_many_segs"), 3,
			    "tx_too_many_segs");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	return TEST_SUCCESS;
}

/*
 * The Tx queue's geometry is what libmlx4 makes of one SGE: 64-byte TXBBs,
 * nb_desc + 33 rounded up to a power of two; every TXBB but the 33 of the
 * prefetch headroom may be outstanding. With the doorbells lost, the ring
 * fills at exactly that many frames, and the device, when a doorbell
 * finally comes, finds its headroom rule kept.
 */
static int
test_tx_ring_headroom(void)
{
	struct rte_mbuf *tx[BURST], *rx[BURST];
	struct mlx4r_emu_port_stats st0, st1;
	struct rte_eth_conf conf;
	struct mlx4r_emu_dev *emu;
	struct mlx4r_txq *txq;
	unsigned int b, taken = 0;
	uint16_t n;

	memset(&conf, 0, sizeof(conf));
	TEST_ASSERT_SUCCESS(rte_eth_dev_configure(p1, 1, 1, &conf), "conf");
	TEST_ASSERT_SUCCESS(rte_eth_rx_queue_setup(p1, 0, 128, SOCKET_ID_ANY,
						   NULL, mp), "rxq");
	/* 4096 descriptors: 8192 TXBBs, not rings for 15-SGE WQEs */
	TEST_ASSERT_SUCCESS(rte_eth_tx_queue_setup(p1, 0, 4096, SOCKET_ID_ANY,
						   NULL), "txq");
	TEST_ASSERT_SUCCESS(rte_eth_dev_start(p1), "start");
	txq = rte_eth_devices[p1].data->tx_queues[0];
	TEST_ASSERT_EQUAL(txq->txbb_cnt, 8192, "4096 + 33 -> 8192 TXBBs");
	TEST_ASSERT_EQUAL(txq->txbb_max, 8192 - 33, "all but the headroom");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	TEST_ASSERT_SUCCESS(rte_eth_tx_queue_setup(p1, 0, 128, SOCKET_ID_ANY,
						   NULL), "txq");
	TEST_ASSERT_SUCCESS(rte_eth_dev_start(p1), "start");
	txq = rte_eth_devices[p1].data->tx_queues[0];
	TEST_ASSERT_EQUAL(txq->txbb_cnt, 256, "128 + 33 -> 256 TXBBs");
	TEST_ASSERT_EQUAL(txq->txbb_max, 256 - 33, "223 usable");
	emu = mlx4r_emu_dev_lookup(HCA);
	TEST_ASSERT_NOT_NULL(emu, "emulated device");
	/* six bursts of 32 stay posted, the seventh's doorbell arrives */
	TEST_ASSERT_SUCCESS(mlx4r_emu_fault_lost_doorbell(emu, txq->qp->qpn,
							  6), "lose 6");
	mlx4r_emu_port_stats(emu, 1, &st0);
	for (b = 0; b < 8; b++) {
		TEST_ASSERT_EQUAL(frames_to(p1, tx, BURST, 60), TEST_SUCCESS,
				  "frames");
		n = rte_eth_tx_burst(p1, 0, tx, BURST);
		if (n < BURST)
			rte_pktmbuf_free_bulk(tx + n, BURST - n);
		if (b < 6)
			TEST_ASSERT_EQUAL(n, BURST, "burst %u: room", b);
		if (b == 6) {
			TEST_ASSERT_EQUAL(n, 223 - 6 * BURST,
					  "the ring is full at 223");
			mlx4r_emu_port_stats(emu, 1, &st1);
			TEST_ASSERT_EQUAL_U(st1.tx_frames - st0.tx_frames, 223,
					    "all 223 sent at once");
		}
		if (b == 7)
			TEST_ASSERT_EQUAL(n, BURST, "room again");
		taken += n;
		while ((n = rte_eth_rx_burst(p1, 0, rx, BURST)) != 0)
			rte_pktmbuf_free_bulk(rx, n);
	}
	mlx4r_emu_port_stats(emu, 1, &st1);
	TEST_ASSERT_EQUAL_U(st1.tx_errors - st0.tx_errors, 0,
			    "the device's headroom rule kept");
	TEST_ASSERT_EQUAL_U(st1.tx_frames - st0.tx_frames, taken,
			    "every frame taken was sent");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	return TEST_SUCCESS;
}

/*
 * A WQE that starts where an older WQE's data segment was leaves no VLAN
 * insertion behind: the driver writes the whole qpn_vlan word. The MRs of
 * this case get numbers 64..127, so that their lkeys, in the second word
 * of a TXBB, would ask for a C-VLAN tag (ins_vlan bit 6).
 */
static int
hca_loopback_mr64(void)
{
	struct mlx4r_hw_ctx *ctx;
	struct mlx4r_hw_pd *pd;
	struct mlx4r_hw_mr *mr[63];
	static uint8_t buf[64];
	unsigned int i;

	mlx4r_emu_dev_destroy(HCA);
	if (mlx4r_emu_dev_create(HCA, NULL) != 0 ||
	    mlx4r_hw_open_device(mlx4r_hw_backend("emu"), HCA, &ctx) != 0)
		return TEST_FAILED;
	if (mlx4r_hw_alloc_pd(ctx, &pd) != 0)
		return TEST_FAILED;
	for (i = 0; i < RTE_DIM(mr); i++)
		if (mlx4r_hw_reg_mr(pd, buf, sizeof(buf), 0, &mr[i]) != 0)
			return TEST_FAILED;
	mlx4r_hw_close_device(ctx);
	return hca_loopback();
}

static void
hca_down_emu(void)
{
	hca_down();
	mlx4r_emu_dev_destroy(HCA);
}

static int
test_no_stale_vlan_insertion(void)
{
	static const uint16_t len[] = { 40, 40, 40, 40 };
	struct rte_mbuf *tx[16], *rx[16], *m;
	uint8_t expect[16][160];
	struct rte_ether_addr mac;
	struct mlx4r_mr_cache cache;
	unsigned int i, round, rounds, nseg, got, bad = 0;
	uint32_t lkey;
	uint16_t k;

	TEST_ASSERT_EQUAL(port_up(p1), TEST_SUCCESS, "up");
	TEST_ASSERT_SUCCESS(rte_eth_macaddr_get(p1, &mac), "MAC");
	m = make_frame(&mac, 60, 0);
	TEST_ASSERT_NOT_NULL(m, "frame");
	memset(&cache, 0, sizeof(cache));
	cache.dev = mlx4r_port_of(&rte_eth_devices[p1])->dev;
	lkey = rte_be_to_cpu_32(mlx4r_mr_lookup(&cache,
					rte_pktmbuf_mtod(m, uintptr_t),
					m->data_len));
	rte_pktmbuf_free(m);
	/* byte 6 of a TXBB holding this lkey: bit 6, INS_CVLAN */
	TEST_ASSERT((lkey >> 8) & 0x40,
		    "premise: lkey 0x%x would ask for a C-VLAN tag", lkey);
	/* a pass of two-TXBB WQEs (4 segments), then one-TXBB ones */
	rounds = 256 / 2 / 16 + 2 * 256 / 16;
	for (round = 0; round < rounds; round++) {
		nseg = round < 256 / 2 / 16 ? 4 : 1;
		for (i = 0; i < 16; i++) {
			tx[i] = make_chain(&mac, len, nseg, round * 16 + i,
					   expect[i]);
			TEST_ASSERT_NOT_NULL(tx[i], "frame");
		}
		TEST_ASSERT_EQUAL(rte_eth_tx_burst(p1, 0, tx, 16), 16, "sent");
		got = rx_some(p1, 0, rx, 16);
		TEST_ASSERT_EQUAL(got, 16, "round %u received", round);
		for (k = 0; k < got; k++) {
			if (rte_pktmbuf_pkt_len(rx[k]) != 40 * nseg ||
			    memcmp(rte_pktmbuf_mtod(rx[k], void *), expect[k],
				   40 * nseg) != 0)
				bad++;
		}
		rte_pktmbuf_free_bulk(rx, got);
	}
	TEST_ASSERT_EQUAL(bad, 0, "frames changed on the way");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	return TEST_SUCCESS;
}

/*
 * On a VF the eSwitch loops frames back by the destination MAC in the
 * control segment: in lpbk_mode the port hears its own frames only if
 * its WQEs carry it, as upstream's do for VFs.
 */
static int
hca_vf(void)
{
	struct mlx4r_emu_dev_conf conf;

	memset(&conf, 0, sizeof(conf));
	conf.vf = true;
	mlx4r_emu_dev_destroy(HCA);
	if (mlx4r_emu_dev_create(HCA, &conf) != 0)
		return TEST_FAILED;
	return hca_up("");
}

/* A VF cabled to nothing: what it receives came through its eSwitch. */
static int
hca_vf_unplugged(void)
{
	struct mlx4r_emu_dev_conf conf;

	memset(&conf, 0, sizeof(conf));
	conf.vf = true;
	mlx4r_emu_dev_destroy(HCA);
	if (mlx4r_emu_dev_create(HCA, &conf) != 0)
		return TEST_FAILED;
	return hca_up("wire=none");
}

static int
test_vf_loopback(void)
{
	struct rte_mbuf *tx[BURST], *rx[BURST];
	struct rte_eth_conf conf;
	struct mlx4r_txq *txq;
	unsigned int i, got;

	memset(&conf, 0, sizeof(conf));
	conf.lpbk_mode = 1;
	TEST_ASSERT_EQUAL(port_up_conf(p1, 1, 1, &conf, mp, 0), TEST_SUCCESS,
			  "up in loopback mode");
	txq = rte_eth_devices[p1].data->tx_queues[0];
	TEST_ASSERT_EQUAL(txq->lb, 1, "a VF: MAC in the WQEs");
	TEST_ASSERT_EQUAL(frames_to(p1, tx, BURST, 80), TEST_SUCCESS, "frames");
	TEST_ASSERT_EQUAL(rte_eth_tx_burst(p1, 0, tx, BURST), BURST, "sent");
	got = rx_some(p1, 0, rx, BURST);
	TEST_ASSERT_EQUAL(got, BURST, "looped back by the eSwitch");
	for (i = 0; i < got; i++)
		TEST_ASSERT_EQUAL(rte_pktmbuf_pkt_len(rx[i]), 80, "length");
	rte_pktmbuf_free_bulk(rx, got);
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	return TEST_SUCCESS;
}

/*
 * Without lpbk_mode too, a VF's eSwitch switches by the control segment's
 * MAC: frames to the port's own MAC (which the WQEs of a VF carry) come
 * back to its Rx instead of leaving by the wire (unplugged here: lost).
 */
static int
test_vf_eswitch_local(void)
{
	struct rte_mbuf *tx[BURST], *rx[BURST];
	struct rte_eth_conf conf;
	unsigned int i, got;

	memset(&conf, 0, sizeof(conf));
	TEST_ASSERT_EQUAL(port_up_conf(p1, 1, 1, &conf, mp, 0), TEST_SUCCESS,
			  "up");
	TEST_ASSERT_EQUAL(frames_to(p1, tx, BURST, 80), TEST_SUCCESS, "frames");
	TEST_ASSERT_EQUAL(rte_eth_tx_burst(p1, 0, tx, BURST), BURST, "sent");
	got = rx_some(p1, 0, rx, BURST);
	TEST_ASSERT_EQUAL(got, BURST, "switched back to the VF by the eSwitch");
	for (i = 0; i < got; i++)
		TEST_ASSERT_EQUAL(rte_pktmbuf_pkt_len(rx[i]), 80, "length");
	rte_pktmbuf_free_bulk(rx, got);
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	return TEST_SUCCESS;
}

/* Frames larger than an mbuf arrive as chains with the scatter offload. */
static int
test_scattered_rx(void)
{
	struct rte_mbuf *tx[4], *rx[4], *ref[4];
	struct rte_eth_rxq_info qi;
	struct rte_eth_conf conf;
	struct rte_ether_addr mac;
	unsigned int i, round, base = rte_mempool_in_use_count(small_mp);
	uint16_t n;

	memset(&conf, 0, sizeof(conf));
	/* without the offload the port refuses to start */
	TEST_ASSERT_SUCCESS(rte_eth_dev_configure(p1, 1, 1, &conf), "cfg");
	TEST_ASSERT_SUCCESS(rte_eth_rx_queue_setup(p1, 0, 128, SOCKET_ID_ANY,
						   NULL, small_mp), "rxq");
	TEST_ASSERT_SUCCESS(rte_eth_tx_queue_setup(p1, 0, 128, SOCKET_ID_ANY,
						   NULL), "txq");
	TEST_ASSERT_EQUAL(rte_eth_dev_start(p1), -EINVAL,
			  "1500-byte MTU on 256-byte buffers needs scatter");
	TEST_ASSERT_EQUAL(rte_mempool_in_use_count(small_mp), base,
			  "a failed start leaves no mbuf behind");
	conf.rxmode.offloads = RTE_ETH_RX_OFFLOAD_SCATTER;
	TEST_ASSERT_EQUAL(port_up_conf(p1, 1, 1, &conf, small_mp,
				       RTE_ETH_RX_OFFLOAD_SCATTER),
			  TEST_SUCCESS, "up with scatter");
	TEST_ASSERT_SUCCESS(rte_eth_rx_queue_info_get(p1, 0, &qi), "info");
	TEST_ASSERT_EQUAL(qi.scattered_rx, 1, "scattered Rx reported");
	TEST_ASSERT_SUCCESS(rte_eth_macaddr_get(p1, &mac), "MAC");
	/*
	 * Rounds of big and small frames in turn: the segments of freed
	 * chains come back as the heads of one-segment frames, and must
	 * then have next NULL and nb_segs 1 (rte_mbuf_check walks them).
	 */
	for (round = 0; round < 8; round++) {
		for (i = 0; i < RTE_DIM(tx); i++) {
			uint16_t len = (round & 1) ? 100 + i * 40 :
						     1514 - i * 300;

			tx[i] = make_frame(&mac, len, i);
			ref[i] = make_frame(&mac, len, i);
		}
		TEST_ASSERT_EQUAL(rte_eth_tx_burst(p1, 0, tx, RTE_DIM(tx)),
				  RTE_DIM(tx), "sent");
		n = rx_some(p1, 0, rx, RTE_DIM(rx));
		TEST_ASSERT_EQUAL(n, RTE_DIM(rx), "received");
		for (i = 0; i < n; i++) {
			uint8_t flat[1514];
			uint32_t len = rte_pktmbuf_pkt_len(ref[i]);

			TEST_ASSERT_EQUAL(rte_pktmbuf_pkt_len(rx[i]), len,
					  "length");
			/* 256 bytes after the headroom, then 384-byte buffers */
			TEST_ASSERT_EQUAL(rx[i]->nb_segs, len <= 256 ? 1 :
					  1 + (len - 256 + 383) / 384,
					  "segments of a %u-byte frame", len);
			TEST_ASSERT_SUCCESS(rte_mbuf_check(rx[i], 1, NULL),
					    "a sane chain");
			TEST_ASSERT_BUFFERS_ARE_EQUAL(
				rte_pktmbuf_read(rx[i], 0, len, flat),
				rte_pktmbuf_mtod(ref[i], void *), len,
				"content of frame %u", i);
		}
		rte_pktmbuf_free_bulk(rx, n);
		rte_pktmbuf_free_bulk(ref, RTE_DIM(ref));
	}
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	TEST_ASSERT_EQUAL(rte_mempool_in_use_count(small_mp), base,
			  "small pool back to baseline");
	return TEST_SUCCESS;
}

/* An IPv4/UDP (or TCP) frame to @p dst, checksums right unless told. */
static struct rte_mbuf *
make_ip_frame(const struct rte_ether_addr *dst, uint32_t src_ip,
	      uint16_t sport, uint8_t proto, bool bad_ip_csum)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	uint16_t l4len = proto == IPPROTO_TCP ? sizeof(struct rte_tcp_hdr) :
			 sizeof(struct rte_udp_hdr);
	uint16_t len = sizeof(struct rte_ether_hdr) +
		       sizeof(struct rte_ipv4_hdr) + l4len + 32;
	struct rte_ether_hdr *eh;
	struct rte_ipv4_hdr *ip;

	if (m == NULL || rte_pktmbuf_append(m, len) == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	memset(rte_pktmbuf_mtod(m, void *), 0x5a, len);
	eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	eh->dst_addr = *dst;
	eh->src_addr = (struct rte_ether_addr){
		.addr_bytes = { 0x02, 0, 0, 0, 0, 0x02 } };
	eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip = (struct rte_ipv4_hdr *)(eh + 1);
	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16(len - sizeof(*eh));
	ip->time_to_live = 64;
	ip->next_proto_id = proto;
	ip->src_addr = rte_cpu_to_be_32(src_ip);
	ip->dst_addr = rte_cpu_to_be_32(0x0a010001);
	if (proto == IPPROTO_TCP) {
		struct rte_tcp_hdr *t = (struct rte_tcp_hdr *)(ip + 1);

		memset(t, 0, sizeof(*t));
		t->src_port = rte_cpu_to_be_16(sport);
		t->dst_port = rte_cpu_to_be_16(80);
		t->data_off = 5 << 4;
		t->cksum = rte_ipv4_udptcp_cksum(ip, t);
	} else {
		struct rte_udp_hdr *u = (struct rte_udp_hdr *)(ip + 1);

		u->src_port = rte_cpu_to_be_16(sport);
		u->dst_port = rte_cpu_to_be_16(4789);
		u->dgram_len = rte_cpu_to_be_16(l4len + 32);
		u->dgram_cksum = 0;
		u->dgram_cksum = rte_ipv4_udptcp_cksum(ip, u);
	}
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	if (bad_ip_csum)
		ip->hdr_checksum ^= 0x1234;
	return m;
}

/* RSS spreads flows by the RETA; a RETA update moves them. */
static int
test_rss_reta(void)
{
	struct rte_eth_rss_reta_entry64 reta[1];
	struct rte_eth_rss_conf rc;
	struct rte_eth_conf conf;
	struct rte_ether_addr mac;
	struct rte_mbuf *m[64], *rx[64];
	uint8_t key[40];
	unsigned int q, i, per_q[4], total;
	uint16_t n;

	memset(&conf, 0, sizeof(conf));
	conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
	conf.rx_adv_conf.rss_conf.rss_hf = RTE_ETH_RSS_NONFRAG_IPV4_UDP;
	TEST_ASSERT_EQUAL(port_up_conf(p1, 4, 1, &conf, mp, 0), TEST_SUCCESS,
			  "up with 4 Rx queues");
	memset(&rc, 0, sizeof(rc));
	rc.rss_key = key;
	rc.rss_key_len = sizeof(key);
	TEST_ASSERT_SUCCESS(rte_eth_dev_rss_hash_conf_get(p1, &rc), "key");
	TEST_ASSERT_EQUAL(rc.rss_key_len, 40, "40-byte key");
	TEST_ASSERT(rc.rss_hf & RTE_ETH_RSS_NONFRAG_IPV4_UDP, "hf kept");
	TEST_ASSERT_SUCCESS(rte_eth_macaddr_get(p1, &mac), "MAC");
	for (i = 0; i < RTE_DIM(m); i++)
		m[i] = make_ip_frame(&mac, 0x0a000001 + i, 1024 + i,
				     IPPROTO_UDP, false);
	TEST_ASSERT_EQUAL(rte_eth_tx_burst(p1, 0, m, RTE_DIM(m)), RTE_DIM(m),
			  "sent");
	total = 0;
	for (q = 0; q < 4; q++) {
		per_q[q] = rx_some(p1, q, rx, RTE_DIM(rx));
		total += per_q[q];
		rte_pktmbuf_free_bulk(rx, per_q[q]);
		TEST_ASSERT(per_q[q] > 0, "queue %u got nothing of 64 flows",
			    q);
	}
	TEST_ASSERT_EQUAL(total, RTE_DIM(m), "every frame received once");

	/* every RETA entry to queue 2 */
	memset(reta, 0, sizeof(reta));
	reta[0].mask = UINT64_MAX;
	for (i = 0; i < 64; i++)
		reta[0].reta[i] = 2;
	TEST_ASSERT_SUCCESS(rte_eth_dev_rss_reta_update(p1, reta, 64),
			    "RETA update");
	memset(reta, 0, sizeof(reta));
	reta[0].mask = UINT64_MAX;
	TEST_ASSERT_SUCCESS(rte_eth_dev_rss_reta_query(p1, reta, 64), "query");
	for (i = 0; i < 64; i++)
		TEST_ASSERT_EQUAL(reta[0].reta[i], 2, "RETA entry %u", i);
	for (i = 0; i < RTE_DIM(m); i++)
		m[i] = make_ip_frame(&mac, 0x0a000001 + i, 1024 + i,
				     IPPROTO_UDP, false);
	TEST_ASSERT_EQUAL(rte_eth_tx_burst(p1, 0, m, RTE_DIM(m)), RTE_DIM(m),
			  "sent");
	n = rx_some(p1, 2, rx, RTE_DIM(rx));
	TEST_ASSERT_EQUAL(n, RTE_DIM(m), "all on queue 2");
	rte_pktmbuf_free_bulk(rx, n);
	for (q = 0; q < 4; q++)
		TEST_ASSERT_EQUAL(rte_eth_rx_burst(p1, q, rx, 1), 0,
				  "nothing else on queue %u", q);

	/* a new key: queried back, traffic still all on queue 2 */
	for (i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(i * 13 + 1);
	rc.rss_key = key;
	rc.rss_key_len = sizeof(key);
	rc.rss_hf = RTE_ETH_RSS_NONFRAG_IPV4_UDP;
	TEST_ASSERT_SUCCESS(rte_eth_dev_rss_hash_update(p1, &rc), "new key");
	{
		uint8_t got[40];
		struct rte_eth_rss_conf q = { .rss_key = got,
					      .rss_key_len = sizeof(got) };

		TEST_ASSERT_SUCCESS(rte_eth_dev_rss_hash_conf_get(p1, &q),
				    "query key");
		TEST_ASSERT_BUFFERS_ARE_EQUAL(got, key, sizeof(key),
					      "key updated");
	}
	m[0] = make_ip_frame(&mac, 0x0a000001, 1024, IPPROTO_UDP, false);
	TEST_ASSERT_EQUAL(rte_eth_tx_burst(p1, 0, m, 1), 1, "sent");
	TEST_ASSERT_EQUAL(rx_some(p1, 2, rx, 1), 1, "still on queue 2");
	rte_pktmbuf_free(rx[0]);

	/* bad arguments */
	reta[0].reta[0] = 4;
	reta[0].mask = 1;
	TEST_ASSERT_EQUAL(rte_eth_dev_rss_reta_update(p1, reta, 64), -EINVAL,
			  "queue 4 of 4");
	TEST_ASSERT(rte_eth_dev_rss_reta_update(p1, reta, 128) < 0,
		    "RETA of 128 entries");
	rc.rss_key_len = 16;
	TEST_ASSERT(rte_eth_dev_rss_hash_update(p1, &rc) < 0, "16-byte key");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	return TEST_SUCCESS;
}

/* Send 64 UDP flows to port @p port (loopback), count them per queue. */
static int
rss_count(uint16_t port, uint16_t nq, unsigned int *per_q)
{
	struct rte_ether_addr mac;
	struct rte_mbuf *m[64], *rx[64];
	unsigned int i, q, total = 0;

	TEST_ASSERT_SUCCESS(rte_eth_macaddr_get(port, &mac), "MAC");
	for (i = 0; i < RTE_DIM(m); i++) {
		m[i] = make_ip_frame(&mac, 0x0a000001 + i, 1024 + i,
				     IPPROTO_UDP, false);
		TEST_ASSERT_NOT_NULL(m[i], "frame");
	}
	TEST_ASSERT_EQUAL(rte_eth_tx_burst(port, 0, m, RTE_DIM(m)),
			  RTE_DIM(m), "sent");
	for (q = 0; q < nq; q++) {
		per_q[q] = rx_some(port, q, rx, RTE_DIM(rx));
		total += per_q[q];
		rte_pktmbuf_free_bulk(rx, per_q[q]);
	}
	TEST_ASSERT_EQUAL(total, RTE_DIM(m), "every frame received once");
	return TEST_SUCCESS;
}

/*
 * ConnectX-3 RSS tables are 2^k consecutive WQs from a multiple of 2^k
 * (Linux mlx4_ib_create_rwq_ind_table): with 3 Rx queues the port starts
 * and spreads over queues 0 and 1 (upstream rounds down the same way);
 * a RETA the card can express is taken, others are refused and change
 * nothing.
 */
static int
test_rss_not_pow2(void)
{
	struct rte_eth_rss_reta_entry64 reta[1];
	struct rte_eth_conf conf;
	unsigned int per_q[3], i;

	memset(&conf, 0, sizeof(conf));
	conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
	conf.rx_adv_conf.rss_conf.rss_hf = RTE_ETH_RSS_NONFRAG_IPV4_UDP;
	TEST_ASSERT_EQUAL(port_up_conf(p1, 3, 1, &conf, mp, 0), TEST_SUCCESS,
			  "up with 3 Rx queues");
	memset(reta, 0, sizeof(reta));
	reta[0].mask = UINT64_MAX;
	TEST_ASSERT_SUCCESS(rte_eth_dev_rss_reta_query(p1, reta, 64), "query");
	for (i = 0; i < 64; i++)
		TEST_ASSERT_EQUAL(reta[0].reta[i], i % 2, "default entry %u",
				  i);
	TEST_ASSERT_EQUAL(rss_count(p1, 3, per_q), TEST_SUCCESS, "traffic");
	TEST_ASSERT(per_q[0] > 0 && per_q[1] > 0, "queues 0 and 1 (%u, %u)",
		    per_q[0], per_q[1]);
	TEST_ASSERT_EQUAL(per_q[2], 0, "queue 2 out of the default table");

	/* all on queue 2: a table of one */
	for (i = 0; i < 64; i++)
		reta[0].reta[i] = 2;
	TEST_ASSERT_SUCCESS(rte_eth_dev_rss_reta_update(p1, reta, 64),
			    "all to queue 2");
	TEST_ASSERT_EQUAL(rss_count(p1, 3, per_q), TEST_SUCCESS, "traffic");
	TEST_ASSERT_EQUAL(per_q[2], 64, "all on queue 2");

	/* not expressible: refused, the table in force stays */
	for (i = 0; i < 64; i++)
		reta[0].reta[i] = i % 3;
	TEST_ASSERT_EQUAL(rte_eth_dev_rss_reta_update(p1, reta, 64), -EINVAL,
			  "round-robin over 3");
	for (i = 0; i < 64; i++)
		reta[0].reta[i] = 1 + i % 2;
	TEST_ASSERT_EQUAL(rte_eth_dev_rss_reta_update(p1, reta, 64), -EINVAL,
			  "queues 1, 2: not aligned to 2");
	for (i = 0; i < 64; i++)
		reta[0].reta[i] = (i + 1) % 2;
	TEST_ASSERT_EQUAL(rte_eth_dev_rss_reta_update(p1, reta, 64), -EINVAL,
			  "queues 1, 0: out of order");
	memset(reta, 0, sizeof(reta));
	reta[0].mask = UINT64_MAX;
	TEST_ASSERT_SUCCESS(rte_eth_dev_rss_reta_query(p1, reta, 64), "query");
	for (i = 0; i < 64; i++)
		TEST_ASSERT_EQUAL(reta[0].reta[i], 2, "entry %u unchanged", i);
	TEST_ASSERT_EQUAL(rss_count(p1, 3, per_q), TEST_SUCCESS, "traffic");
	TEST_ASSERT_EQUAL(per_q[2], 64, "still all on queue 2");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	return TEST_SUCCESS;
}

/*
 * Both ports share the device context, hence its WQN ranges: a port with
 * fewer Rx queues than its range (3 of 4) must not leave the range open,
 * or the other port's WQs are refused (mlx4_ib_alloc_wqn: -EINVAL for a
 * new range while the newest is open).
 */
static int
test_rss_two_ports(void)
{
	struct rte_eth_conf conf;
	unsigned int per_q[4], k;

	memset(&conf, 0, sizeof(conf));
	conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
	conf.rx_adv_conf.rss_conf.rss_hf = RTE_ETH_RSS_NONFRAG_IPV4_UDP;
	conf.lpbk_mode = 1;
	TEST_ASSERT_EQUAL(port_up_conf(p1, 3, 1, &conf, mp, 0), TEST_SUCCESS,
			  "port 1 up with 3 Rx queues");
	for (k = 0; k < 3; k++) {
		TEST_ASSERT_EQUAL(port_up_conf(p2, 2, 1, &conf, mp, 0),
				  TEST_SUCCESS, "port 2 up with 2 queues (%u)",
				  k);
		TEST_ASSERT_EQUAL(rss_count(p2, 2, per_q), TEST_SUCCESS,
				  "port 2 traffic");
		TEST_ASSERT(per_q[0] > 0 && per_q[1] > 0, "port 2 spreads");
		TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p2), "stop port 2");
	}
	TEST_ASSERT_EQUAL(port_up_conf(p2, 4, 1, &conf, mp, 0), TEST_SUCCESS,
			  "port 2 up with 4 queues");
	TEST_ASSERT_EQUAL(rss_count(p2, 4, per_q), TEST_SUCCESS, "traffic");
	TEST_ASSERT_EQUAL(rss_count(p1, 3, per_q), TEST_SUCCESS,
			  "port 1 traffic");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p2), "stop port 2");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop port 1");
	/* and the other way round: port 1 restarts beside port 2 */
	TEST_ASSERT_EQUAL(port_up_conf(p2, 3, 1, &conf, mp, 0), TEST_SUCCESS,
			  "port 2 up with 3 queues");
	TEST_ASSERT_EQUAL(port_up_conf(p1, 2, 1, &conf, mp, 0), TEST_SUCCESS,
			  "port 1 up with 2 queues");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop port 1");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p2), "stop port 2");
	return TEST_SUCCESS;
}

/* Steering: own MAC, broadcast; others only in promiscuous mode, etc. */
static int
test_mac_filter_modes(void)
{
	struct rte_ether_addr added = other;
	unsigned int base = rte_mempool_in_use_count(mp);

	TEST_ASSERT_EQUAL(port_up(p1), TEST_SUCCESS, "up");
	SEND_EXPECT(&bcast, 1, "broadcast is received");
	SEND_EXPECT(&other, 0, "another unicast MAC is filtered");
	SEND_EXPECT(&mcast, 0, "multicast is filtered");
	TEST_ASSERT(xstat(p1, "rx_steering_dropped") >= 2,
		    "the device counted the filtered frames");
	TEST_ASSERT_SUCCESS(rte_eth_allmulticast_enable(p1), "allmulti on");
	SEND_EXPECT(&mcast, 1, "multicast in all-multicast mode");
	SEND_EXPECT(&other, 0, "unicast still filtered in all-multicast");
	TEST_ASSERT_SUCCESS(rte_eth_allmulticast_disable(p1), "allmulti off");
	SEND_EXPECT(&mcast, 0, "multicast filtered again");
	TEST_ASSERT_SUCCESS(rte_eth_promiscuous_enable(p1), "promisc on");
	SEND_EXPECT(&other, 1, "anything in promiscuous mode");
	SEND_EXPECT(&mcast, 1, "multicast in promiscuous mode");
	TEST_ASSERT_SUCCESS(rte_eth_promiscuous_disable(p1), "promisc off");
	SEND_EXPECT(&other, 0, "filtered again");
	TEST_ASSERT_SUCCESS(rte_eth_dev_mac_addr_add(p1, &added, 0), "add");
	SEND_EXPECT(&other, 1, "an added MAC is received");
	TEST_ASSERT_SUCCESS(rte_eth_dev_mac_addr_remove(p1, &added), "remove");
	SEND_EXPECT(&other, 0, "a removed MAC is filtered");
	TEST_ASSERT_SUCCESS(rte_eth_dev_default_mac_addr_set(p1, &added),
			    "set default MAC");
	SEND_EXPECT(&other, 1, "the new default MAC is received");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	TEST_ASSERT_EQUAL(rte_mempool_in_use_count(mp), base, "baseline");
	return TEST_SUCCESS;
}

/*
 * p1 up with RSS over two Rx queues (UDP over IPv4 hashed) and
 * @p rx_offloads, @p nb UDP frames of distinct addresses and ports sent
 * round the port's loopback: @p check sees each received mbuf with its
 * queue and the port's key; every frame must come back. The port is left
 * stopped.
 */
static int
rss_two_queues(uint64_t rx_offloads, unsigned int nb,
	       int (*check)(const struct rte_mbuf *m, unsigned int q,
			    const uint8_t *key))
{
	struct rte_eth_rss_conf rc;
	struct rte_eth_conf conf;
	struct rte_ether_addr mac;
	struct rte_mbuf *m[16], *rx[16];
	uint8_t key[40];
	unsigned int i, q, n, seen = 0;

	RTE_VERIFY(nb <= RTE_DIM(m));
	memset(&conf, 0, sizeof(conf));
	conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
	conf.rxmode.offloads = rx_offloads;
	conf.rx_adv_conf.rss_conf.rss_hf = RTE_ETH_RSS_NONFRAG_IPV4_UDP;
	TEST_ASSERT_EQUAL(port_up_conf(p1, 2, 1, &conf, mp, rx_offloads &
				       ~RTE_ETH_RX_OFFLOAD_RSS_HASH),
			  TEST_SUCCESS, "up with 2 Rx queues");
	memset(&rc, 0, sizeof(rc));
	rc.rss_key = key;
	rc.rss_key_len = sizeof(key);
	TEST_ASSERT_SUCCESS(rte_eth_dev_rss_hash_conf_get(p1, &rc), "key");
	TEST_ASSERT_SUCCESS(rte_eth_macaddr_get(p1, &mac), "MAC");
	for (i = 0; i < nb; i++)
		m[i] = make_ip_frame(&mac, 0x0a000001 + i, 1024 + i,
				     IPPROTO_UDP, false);
	TEST_ASSERT_EQUAL(rte_eth_tx_burst(p1, 0, m, nb), nb, "sent");
	for (q = 0; q < 2; q++) {
		n = rx_some(p1, q, rx, RTE_DIM(rx));
		for (i = 0; i < n; i++) {
			int ret = check(rx[i], q, key);

			if (ret != TEST_SUCCESS) {
				rte_pktmbuf_free_bulk(rx, n);
				return ret;
			}
		}
		seen += n;
		rte_pktmbuf_free_bulk(rx, n);
	}
	TEST_ASSERT_EQUAL(seen, nb, "all received");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	return TEST_SUCCESS;
}

/* The hash flag, the Toeplitz hash of the frame, the queue it picked. */
static int
check_rss_hash(const struct rte_mbuf *m, unsigned int q, const uint8_t *key)
{
	const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m,
		const struct rte_ipv4_hdr *, sizeof(struct rte_ether_hdr));
	const struct rte_udp_hdr *u = (const struct rte_udp_hdr *)(ip + 1);
	uint32_t t[3] = {
		rte_be_to_cpu_32(ip->src_addr),
		rte_be_to_cpu_32(ip->dst_addr),
		(uint32_t)rte_be_to_cpu_16(u->src_port) << 16 |
		rte_be_to_cpu_16(u->dst_port),
	};
	uint32_t h = rte_softrss(t, 3, key);

	TEST_ASSERT(m->ol_flags & RTE_MBUF_F_RX_RSS_HASH, "RSS hash flag");
	TEST_ASSERT_EQUAL_U(m->hash.rss, h, "Toeplitz hash of the frame");
	TEST_ASSERT_EQUAL(h & 1, q, "hash picked queue %u", q);
	return TEST_SUCCESS;
}

/*
 * The CQE's RSS hash reaches the mbuf (RTE_MBUF_F_RX_RSS_HASH, hash.rss)
 * while the port hashes, and equals the Toeplitz hash of the frame's
 * addresses and ports with the port's key; without RSS there is no flag.
 */
static int
test_rss_hash_mbuf(void)
{
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf;
	struct rte_ether_addr mac;
	struct rte_mbuf *m[1], *rx[1];

	TEST_ASSERT_SUCCESS(rte_eth_dev_info_get(p1, &info), "info");
	TEST_ASSERT(info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_RSS_HASH,
		    "RSS hash offload listed");
	TEST_ASSERT_SUCCESS(rss_two_queues(RTE_ETH_RX_OFFLOAD_RSS_HASH, 16,
					   check_rss_hash), "hashed");

	/* without RSS the CQE carries no hash worth reporting */
	memset(&conf, 0, sizeof(conf));
	TEST_ASSERT_EQUAL(port_up_conf(p1, 1, 1, &conf, mp, 0), TEST_SUCCESS,
			  "up without RSS");
	TEST_ASSERT_SUCCESS(rte_eth_macaddr_get(p1, &mac), "MAC");
	m[0] = make_ip_frame(&mac, 0x0a000001, 1024, IPPROTO_UDP, false);
	TEST_ASSERT_EQUAL(rte_eth_tx_burst(p1, 0, m, 1), 1, "sent");
	TEST_ASSERT_EQUAL(rx_some(p1, 0, rx, 1), 1, "received");
	TEST_ASSERT_EQUAL_U(rx[0]->ol_flags & RTE_MBUF_F_RX_RSS_HASH, 0,
			    "no RSS hash flag");
	rte_pktmbuf_free(rx[0]);
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	return TEST_SUCCESS;
}

/*
 * On mlx4, ALL_DEFAULT and MC_DEFAULT catch only what no other rule
 * matched, and the kernel netdev has rules for the port's MAC, broadcast
 * and its multicast groups: in promiscuous and all-multicast mode the port
 * keeps its MAC and broadcast rules (upstream's mlx4_flow_internal), or
 * the netdev takes that traffic.
 */
static int
test_promisc_steering(void)
{
	static const struct rte_ether_addr grp = {
		.addr_bytes = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x09 } };
	static const struct rte_ether_addr joined = {
		.addr_bytes = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x0a } };
	struct mlx4r_emu_dev *emu = mlx4r_emu_dev_lookup(HCA);
	struct mlx4r_emu_port_stats st0, st1;
	struct rte_ether_addr own;
	unsigned int mode;

	TEST_ASSERT_EQUAL(port_up(p1), TEST_SUCCESS, "up");
	TEST_ASSERT_SUCCESS(rte_eth_macaddr_get(p1, &own), "MAC");
	/* the kernel joined a group on the port's netdev */
	TEST_ASSERT_SUCCESS(mlx4r_emu_netdev_mc_add(emu, 1, &joined), "join");
	for (mode = 0; mode < 2; mode++) {
		if (mode == 0)
			TEST_ASSERT_SUCCESS(rte_eth_promiscuous_enable(p1),
					    "promiscuous");
		else
			TEST_ASSERT_SUCCESS(rte_eth_allmulticast_enable(p1),
					    "all-multicast");
		mlx4r_emu_port_stats(emu, 1, &st0);
		SEND_EXPECT(&own, 1, "own MAC");
		SEND_EXPECT(&bcast, 1, "broadcast");
		SEND_EXPECT(&grp, 1, "a multicast group");
		SEND_EXPECT(&other, mode == 0 ? 1 : 0, "another unicast");
		/* ahead of the default rules, as on the card */
		SEND_EXPECT(&joined, 0, "a group the netdev joined");
		mlx4r_emu_port_stats(emu, 1, &st1);
		TEST_ASSERT_EQUAL_U(st1.netdev_rx - st0.netdev_rx, 1,
				    "the netdev got its group only");
		if (mode == 0)
			TEST_ASSERT_SUCCESS(rte_eth_promiscuous_disable(p1),
					    "promiscuous off");
	}
	TEST_ASSERT_SUCCESS(rte_eth_allmulticast_disable(p1), "off");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	return TEST_SUCCESS;
}

/* Objects alive on the emulated device of the HCA. */
static uint32_t
emu_objects(void)
{
	struct mlx4r_emu_dev_info info;

	if (mlx4r_emu_dev_info(mlx4r_emu_dev_lookup(HCA), &info) != 0)
		return UINT32_MAX;
	return info.nb_objects;
}

/*
 * A RETA or hash update the device refuses at any step (table, hash QP,
 * its move to ready, a rule) returns the error and leaves a running port
 * receiving as before, its configuration unchanged, nothing leaked.
 */
static int
test_rss_update_fails(void)
{
	static const uint32_t ops[] = {
		MLX4R_EMU_OP_CREATE_IND, MLX4R_EMU_OP_CREATE_QP,
		MLX4R_EMU_OP_MODIFY_QP, MLX4R_EMU_OP_CREATE_FLOW,
	};
	struct mlx4r_emu_dev *emu = mlx4r_emu_dev_lookup(HCA);
	struct rte_eth_rss_reta_entry64 reta[1];
	struct rte_eth_rss_conf rc;
	struct rte_eth_conf conf;
	uint8_t key[40], got[40];
	unsigned int per_q[4], i, k;
	uint32_t objs;

	memset(&conf, 0, sizeof(conf));
	conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
	conf.rx_adv_conf.rss_conf.rss_hf = RTE_ETH_RSS_NONFRAG_IPV4_UDP;
	TEST_ASSERT_EQUAL(port_up_conf(p1, 4, 1, &conf, mp, 0), TEST_SUCCESS,
			  "up with 4 Rx queues");
	objs = emu_objects();
	memset(reta, 0, sizeof(reta));
	reta[0].mask = UINT64_MAX;
	for (i = 0; i < 64; i++)
		reta[0].reta[i] = 3;
	for (k = 0; k < RTE_DIM(ops); k++) {
		TEST_ASSERT_SUCCESS(mlx4r_emu_fault_cmd(emu, ops[k], 1, ENOSPC,
							0), "fault");
		TEST_ASSERT_EQUAL(rte_eth_dev_rss_reta_update(p1, reta, 64),
				  -ENOSPC, "RETA update, op 0x%x fails",
				  ops[k]);
		mlx4r_emu_fault_cmd(emu, 0, 0, 1, 0);
		TEST_ASSERT_EQUAL(emu_objects(), objs, "nothing left (0x%x)",
				  ops[k]);
		TEST_ASSERT_EQUAL(rss_count(p1, 4, per_q), TEST_SUCCESS,
				  "traffic after op 0x%x failed", ops[k]);
		for (i = 0; i < 4; i++)
			TEST_ASSERT(per_q[i] > 0, "queue %u still in the table",
				    i);
	}
	memset(reta, 0, sizeof(reta));
	reta[0].mask = UINT64_MAX;
	TEST_ASSERT_SUCCESS(rte_eth_dev_rss_reta_query(p1, reta, 64), "query");
	for (i = 0; i < 64; i++)
		TEST_ASSERT_EQUAL(reta[0].reta[i], i % 4, "RETA entry %u kept",
				  i);

	/* a key the device does not take: the old key stays */
	memset(&rc, 0, sizeof(rc));
	rc.rss_key = got;
	rc.rss_key_len = sizeof(got);
	TEST_ASSERT_SUCCESS(rte_eth_dev_rss_hash_conf_get(p1, &rc), "key");
	memcpy(key, got, sizeof(key));
	for (i = 0; i < sizeof(key); i++)
		key[i] ^= 0x5a;
	rc.rss_key = key;
	rc.rss_hf = RTE_ETH_RSS_IPV4;
	TEST_ASSERT_SUCCESS(mlx4r_emu_fault_cmd(emu, MLX4R_EMU_OP_CREATE_QP, 1,
						EIO, 0), "fault");
	TEST_ASSERT_EQUAL(rte_eth_dev_rss_hash_update(p1, &rc), -EIO,
			  "hash update fails");
	rc.rss_key = key;
	TEST_ASSERT_SUCCESS(rte_eth_dev_rss_hash_conf_get(p1, &rc), "key");
	TEST_ASSERT_BUFFERS_ARE_EQUAL(key, got, sizeof(key), "old key kept");
	TEST_ASSERT_EQUAL_U(rc.rss_hf, RTE_ETH_RSS_NONFRAG_IPV4_UDP,
			    "old hash types kept");
	TEST_ASSERT_EQUAL(emu_objects(), objs, "nothing left");
	TEST_ASSERT_EQUAL(rss_count(p1, 4, per_q), TEST_SUCCESS, "traffic");
	for (i = 0; i < 4; i++)
		TEST_ASSERT(per_q[i] > 0, "queue %u", i);

	/* and without a fault the update is made */
	for (i = 0; i < 64; i++)
		reta[0].reta[i] = 3;
	reta[0].mask = UINT64_MAX;
	TEST_ASSERT_SUCCESS(rte_eth_dev_rss_reta_update(p1, reta, 64),
			    "RETA update");
	TEST_ASSERT_EQUAL(rss_count(p1, 4, per_q), TEST_SUCCESS, "traffic");
	TEST_ASSERT_EQUAL(per_q[3], 64, "all on queue 3");
	TEST_ASSERT_EQUAL(emu_objects(), objs, "the old objects went");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	return TEST_SUCCESS;
}

/*
 * A filter change the device refuses (a rule it cannot create) returns
 * the error and leaves the port receiving what it received before.
 */
static int
test_filter_change_fails(void)
{
	struct mlx4r_emu_dev *emu = mlx4r_emu_dev_lookup(HCA);
	struct rte_ether_addr own;
	unsigned int base = rte_mempool_in_use_count(mp), k;
	uint32_t objs;

#define FAIL_NEXT_RULE() \
	TEST_ASSERT_SUCCESS(mlx4r_emu_fault_cmd(emu, MLX4R_EMU_OP_CREATE_FLOW, \
						1, ENOMEM, 0), "fault")

	TEST_ASSERT_EQUAL(port_up(p1), TEST_SUCCESS, "up");
	TEST_ASSERT_SUCCESS(rte_eth_macaddr_get(p1, &own), "MAC");
	objs = emu_objects();
	for (k = 0; k < 5; k++) {
		FAIL_NEXT_RULE();
		switch (k) {
		case 0:
			TEST_ASSERT_EQUAL(rte_eth_promiscuous_enable(p1),
					  -ENOMEM, "promiscuous on fails");
			TEST_ASSERT_EQUAL(rte_eth_promiscuous_get(p1), 0,
					  "still not promiscuous");
			break;
		case 1:
			TEST_ASSERT_EQUAL(rte_eth_allmulticast_enable(p1),
					  -ENOMEM, "all-multicast on fails");
			TEST_ASSERT_EQUAL(rte_eth_allmulticast_get(p1), 0,
					  "still not all-multicast");
			break;
		case 2:
			TEST_ASSERT_EQUAL(rte_eth_dev_mac_addr_add(p1,
				(struct rte_ether_addr *)(uintptr_t)&other, 0),
				-ENOMEM, "MAC add fails");
			break;
		case 3:
			TEST_ASSERT_EQUAL(rte_eth_dev_default_mac_addr_set(p1,
				(struct rte_ether_addr *)(uintptr_t)&other),
				-ENOMEM, "default MAC set fails");
			break;
		default:
			mlx4r_emu_fault_cmd(emu, 0, 0, 1, 0);
			break;
		}
		mlx4r_emu_fault_cmd(emu, 0, 0, 1, 0);
		TEST_ASSERT_EQUAL(emu_objects(), objs, "rules as before (%u)",
				  k);
		SEND_EXPECT(&own, 1, "own MAC still received");
		SEND_EXPECT(&bcast, 1, "broadcast still received");
		SEND_EXPECT(&other, 0, "other MAC still filtered");
		SEND_EXPECT(&mcast, 0, "multicast still filtered");
	}
	/* the same changes without a fault */
	TEST_ASSERT_SUCCESS(rte_eth_dev_mac_addr_add(p1,
		(struct rte_ether_addr *)(uintptr_t)&other, 0), "MAC add");
	SEND_EXPECT(&other, 1, "the added MAC");
	SEND_EXPECT(&own, 1, "own MAC");
	TEST_ASSERT_SUCCESS(rte_eth_allmulticast_enable(p1), "all-multicast");
	SEND_EXPECT(&mcast, 1, "multicast");
	FAIL_NEXT_RULE();
	TEST_ASSERT_EQUAL(rte_eth_allmulticast_disable(p1), 0,
			  "a change that only removes rules needs no new one");
	mlx4r_emu_fault_cmd(emu, 0, 0, 1, 0);
	SEND_EXPECT(&mcast, 0, "multicast filtered again");
	SEND_EXPECT(&other, 1, "the added MAC kept");
#undef FAIL_NEXT_RULE
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	TEST_ASSERT_EQUAL(rte_mempool_in_use_count(mp), base, "baseline");
	return TEST_SUCCESS;
}

/*
 * Leave in every free mbuf of @p pool values a last use could have left
 * (the mbuf library resets them at rte_pktmbuf_alloc(), not at free).
 */
static void
stale_mbufs(struct rte_mempool *pool)
{
	static void *objs[NB_MBUF];
	unsigned int n = 0, i;

	while (n < RTE_DIM(objs) && rte_mempool_get(pool, &objs[n]) == 0)
		n++;
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = objs[i];

		m->ol_flags = RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_RSS_HASH |
			      RTE_MBUF_F_RX_IP_CKSUM_BAD |
			      RTE_MBUF_F_RX_L4_CKSUM_GOOD;
		m->packet_type = RTE_PTYPE_L2_ETHER_VLAN | RTE_PTYPE_L3_IPV6 |
				 RTE_PTYPE_TUNNEL_GRE;
	}
	rte_mempool_put_bulk(pool, objs, n);
}

/*
 * A queue without checksum offloads nor hash (the Rx burst's
 * one-segment loop): each frame's packet type from its CQE, and no flag,
 * in buffers whose last use left other values (the burst takes them raw
 * from the pool: it must write both fields). UDP, TCP and a non-IP frame.
 */
static int
test_ptype_no_offload(void)
{
	struct rte_mbuf *m[BURST], *rx[BURST];
	uint32_t want[BURST];
	struct rte_ether_addr mac;
	unsigned int round, i;

	stale_mbufs(mp);
	TEST_ASSERT_EQUAL(port_up(p1), TEST_SUCCESS, "up");
	TEST_ASSERT_SUCCESS(rte_eth_macaddr_get(p1, &mac), "MAC");
	for (round = 0; round < 3; round++) {
		for (i = 0; i < BURST; i++) {
			if (i % 3 == 2) {
				m[i] = make_frame(&mac, 64, i);
				want[i] = RTE_PTYPE_L2_ETHER;
			} else {
				m[i] = make_ip_frame(&mac, 0x0a000001 + i,
						     1000 + i, i % 3 ?
						     IPPROTO_TCP : IPPROTO_UDP,
						     false);
				want[i] = RTE_PTYPE_L2_ETHER |
					  RTE_PTYPE_L3_IPV4 | (i % 3 ?
					  RTE_PTYPE_L4_TCP : RTE_PTYPE_L4_UDP);
			}
			TEST_ASSERT_NOT_NULL(m[i], "frame %u", i);
		}
		TEST_ASSERT_EQUAL(rte_eth_tx_burst(p1, 0, m, BURST), BURST,
				  "sent");
		TEST_ASSERT_EQUAL(rx_some(p1, 0, rx, BURST), BURST,
				  "received");
		for (i = 0; i < BURST; i++) {
			TEST_ASSERT_EQUAL(rx[i]->packet_type, want[i],
					  "round %u frame %u: ptype 0x%x",
					  round, i, rx[i]->packet_type);
			TEST_ASSERT_EQUAL_U(rx[i]->ol_flags, 0,
					    "round %u frame %u: no flag",
					    round, i);
		}
		rte_pktmbuf_free_bulk(rx, BURST);
	}
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	return TEST_SUCCESS;
}

/* Packet types and checksum flags come from the CQE. */
static int
test_ptype_csum_flags(void)
{
	struct rte_mbuf *m[3], *rx[3];
	struct rte_eth_conf conf;
	struct rte_ether_addr mac;
	uint32_t ptypes[16];
	int np;

	np = rte_eth_dev_get_supported_ptypes(p1, RTE_PTYPE_ALL_MASK, ptypes,
					      RTE_DIM(ptypes));
	TEST_ASSERT(np >= 5, "supported ptypes listed (%d)", np);
	memset(&conf, 0, sizeof(conf));
	conf.rxmode.offloads = RTE_ETH_RX_OFFLOAD_CHECKSUM;
	TEST_ASSERT_EQUAL(port_up_conf(p1, 1, 1, &conf, mp,
				       RTE_ETH_RX_OFFLOAD_CHECKSUM),
			  TEST_SUCCESS, "up");
	TEST_ASSERT_SUCCESS(rte_eth_macaddr_get(p1, &mac), "MAC");
	m[0] = make_ip_frame(&mac, 0x0a000001, 1000, IPPROTO_UDP, false);
	m[1] = make_ip_frame(&mac, 0x0a000002, 1001, IPPROTO_TCP, false);
	m[2] = make_ip_frame(&mac, 0x0a000003, 1002, IPPROTO_UDP, true);
	TEST_ASSERT_EQUAL(rte_eth_tx_burst(p1, 0, m, 3), 3, "sent");
	TEST_ASSERT_EQUAL(rx_some(p1, 0, rx, 3), 3, "received");
	TEST_ASSERT_EQUAL(rx[0]->packet_type, RTE_PTYPE_L2_ETHER |
			  RTE_PTYPE_L3_IPV4 | RTE_PTYPE_L4_UDP, "UDP ptype");
	TEST_ASSERT_EQUAL(rx[1]->packet_type, RTE_PTYPE_L2_ETHER |
			  RTE_PTYPE_L3_IPV4 | RTE_PTYPE_L4_TCP, "TCP ptype");
	TEST_ASSERT_EQUAL_U(rx[0]->ol_flags & (RTE_MBUF_F_RX_IP_CKSUM_MASK |
					       RTE_MBUF_F_RX_L4_CKSUM_MASK),
			    RTE_MBUF_F_RX_IP_CKSUM_GOOD |
			    RTE_MBUF_F_RX_L4_CKSUM_GOOD, "good checksums");
	TEST_ASSERT_EQUAL_U(rx[1]->ol_flags & (RTE_MBUF_F_RX_IP_CKSUM_MASK |
					       RTE_MBUF_F_RX_L4_CKSUM_MASK),
			    RTE_MBUF_F_RX_IP_CKSUM_GOOD |
			    RTE_MBUF_F_RX_L4_CKSUM_GOOD, "good TCP");
	/*
	 * The device's IPOK clear means "not found right", not "found
	 * wrong": unknown (upstream net_mlx4 never reports BAD either).
	 */
	TEST_ASSERT_EQUAL_U(rx[2]->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK,
			    RTE_MBUF_F_RX_IP_CKSUM_UNKNOWN,
			    "bad IP checksum: unknown");
	rte_pktmbuf_free_bulk(rx, 3);
	/* a wrong UDP checksum: L4 unknown, IP good */
	m[0] = make_ip_frame(&mac, 0x0a000004, 1003, IPPROTO_UDP, false);
	rte_pktmbuf_mtod_offset(m[0], uint8_t *, 14 + 20 + 6)[0] ^= 0x40;
	TEST_ASSERT_EQUAL(rte_eth_tx_burst(p1, 0, m, 1), 1, "sent");
	TEST_ASSERT_EQUAL(rx_some(p1, 0, rx, 1), 1, "received");
	TEST_ASSERT_EQUAL_U(rx[0]->ol_flags & (RTE_MBUF_F_RX_IP_CKSUM_MASK |
					       RTE_MBUF_F_RX_L4_CKSUM_MASK),
			    RTE_MBUF_F_RX_IP_CKSUM_GOOD |
			    RTE_MBUF_F_RX_L4_CKSUM_UNKNOWN,
			    "bad UDP checksum: unknown");
	rte_pktmbuf_free(rx[0]);
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	return TEST_SUCCESS;
}

/*
 * Firmware that says "L4 good" only with the CQE's checksum field
 * (IPOK + TCP/UDP + 0xffff, Linux mlx4_en's test) and leaves the status
 * bit clear: the frames are reported good, not bad.
 */
static int
test_csum_field_only(void)
{
	struct mlx4r_emu_dev_conf ec;
	struct rte_eth_conf conf;
	struct rte_ether_addr mac;
	struct rte_mbuf *m[3], *rx[3];
	int ret = TEST_FAILED;

	memset(&ec, 0, sizeof(ec));
	ec.nb_ports = 1;
	ec.rx_csum_field_only = true;
	TEST_ASSERT_SUCCESS(mlx4r_emu_dev_create(HCA, &ec), "device");
	if (hca_up("wire=loopback") != TEST_SUCCESS)
		goto out;
	memset(&conf, 0, sizeof(conf));
	conf.rxmode.offloads = RTE_ETH_RX_OFFLOAD_CHECKSUM;
	if (port_up_conf(p1, 1, 1, &conf, mp, RTE_ETH_RX_OFFLOAD_CHECKSUM) !=
	    TEST_SUCCESS || rte_eth_macaddr_get(p1, &mac) != 0)
		goto out;
	m[0] = make_ip_frame(&mac, 0x0a000001, 1000, IPPROTO_UDP, false);
	m[1] = make_ip_frame(&mac, 0x0a000002, 1001, IPPROTO_TCP, false);
	m[2] = make_ip_frame(&mac, 0x0a000003, 1002, IPPROTO_TCP, false);
	rte_pktmbuf_mtod_offset(m[2], uint8_t *, 14 + 20 + 16)[0] ^= 0x11;
	if (rte_eth_tx_burst(p1, 0, m, 3) != 3 || rx_some(p1, 0, rx, 3) != 3) {
		printf("frames lost\n");
		goto out;
	}
	if ((rx[0]->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) !=
	    RTE_MBUF_F_RX_L4_CKSUM_GOOD ||
	    (rx[1]->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) !=
	    RTE_MBUF_F_RX_L4_CKSUM_GOOD) {
		printf("good UDP/TCP not reported good (0x%" PRIx64 ", 0x%"
		       PRIx64 ")\n", rx[0]->ol_flags, rx[1]->ol_flags);
		goto free;
	}
	if ((rx[2]->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) !=
	    RTE_MBUF_F_RX_L4_CKSUM_UNKNOWN) {
		printf("bad TCP not reported unknown (0x%" PRIx64 ")\n",
		       rx[2]->ol_flags);
		goto free;
	}
	ret = TEST_SUCCESS;
free:
	rte_pktmbuf_free_bulk(rx, 3);
out:
	rte_vdev_uninit(HCA);
	mlx4r_emu_dev_destroy(HCA);
	return ret;
}

/* The device fills in the checksums a WQE asks for. */
static int
test_tx_csum_offload(void)
{
	struct rte_eth_txconf txc;
	struct rte_eth_conf conf;
	struct rte_ether_addr mac;
	struct rte_mbuf *m[2], *rx[2];
	unsigned int i;

	memset(&conf, 0, sizeof(conf));
	conf.txmode.offloads = RTE_ETH_TX_OFFLOAD_IPV4_CKSUM |
			       RTE_ETH_TX_OFFLOAD_UDP_CKSUM |
			       RTE_ETH_TX_OFFLOAD_TCP_CKSUM;
	TEST_ASSERT_SUCCESS(rte_eth_dev_configure(p1, 1, 1, &conf), "cfg");
	TEST_ASSERT_SUCCESS(rte_eth_rx_queue_setup(p1, 0, 128, SOCKET_ID_ANY,
						   NULL, mp), "rxq");
	memset(&txc, 0, sizeof(txc));
	txc.offloads = conf.txmode.offloads;
	TEST_ASSERT_SUCCESS(rte_eth_tx_queue_setup(p1, 0, 128, SOCKET_ID_ANY,
						   &txc), "txq");
	TEST_ASSERT_SUCCESS(rte_eth_dev_start(p1), "start");
	TEST_ASSERT_SUCCESS(rte_eth_macaddr_get(p1, &mac), "MAC");
	m[0] = make_ip_frame(&mac, 0x0a000001, 1000, IPPROTO_UDP, false);
	m[1] = make_ip_frame(&mac, 0x0a000002, 1001, IPPROTO_TCP, false);
	for (i = 0; i < 2; i++) {
		struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m[i],
			struct rte_ipv4_hdr *, sizeof(struct rte_ether_hdr));

		ip->hdr_checksum = 0;
		if (i == 0)
			((struct rte_udp_hdr *)(ip + 1))->dgram_cksum =
				rte_ipv4_phdr_cksum(ip, 0);
		else
			((struct rte_tcp_hdr *)(ip + 1))->cksum =
				rte_ipv4_phdr_cksum(ip, 0);
		m[i]->l2_len = sizeof(struct rte_ether_hdr);
		m[i]->l3_len = sizeof(struct rte_ipv4_hdr);
		m[i]->ol_flags = RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM |
			(i == 0 ? RTE_MBUF_F_TX_UDP_CKSUM :
				  RTE_MBUF_F_TX_TCP_CKSUM);
	}
	TEST_ASSERT_EQUAL(rte_eth_tx_burst(p1, 0, m, 2), 2, "sent");
	TEST_ASSERT_EQUAL(rx_some(p1, 0, rx, 2), 2, "received");
	for (i = 0; i < 2; i++) {
		struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(rx[i],
			struct rte_ipv4_hdr *, sizeof(struct rte_ether_hdr));

		TEST_ASSERT(ip->hdr_checksum != 0, "IP checksum filled in");
		TEST_ASSERT_EQUAL(rte_raw_cksum(ip, sizeof(*ip)), 0xffff,
				  "IP header sums to 0xffff");
		TEST_ASSERT_SUCCESS(rte_ipv4_udptcp_cksum_verify(ip, ip + 1),
				    "L4 checksum of frame %u right", i);
	}
	rte_pktmbuf_free_bulk(rx, 2);
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	return TEST_SUCCESS;
}

/*
 * Checksum flags of an mbuf on a queue that did not enable the offloads
 * are not handed to the device (as upstream net_mlx4, txq->csum; ethdev:
 * an offload is used only when enabled): the frame leaves as it was.
 */
static int
test_tx_csum_not_enabled(void)
{
	struct rte_ether_addr mac;
	struct rte_mbuf *m, *rx;
	struct rte_ipv4_hdr *ip;

	TEST_ASSERT_EQUAL(port_up(p1), TEST_SUCCESS, "up, no Tx offloads");
	TEST_ASSERT_SUCCESS(rte_eth_macaddr_get(p1, &mac), "MAC");
	m = make_ip_frame(&mac, 0x0a000001, 1000, IPPROTO_UDP, false);
	TEST_ASSERT_NOT_NULL(m, "frame");
	ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *,
				     sizeof(struct rte_ether_hdr));
	ip->hdr_checksum = 0;
	m->l2_len = sizeof(struct rte_ether_hdr);
	m->l3_len = sizeof(struct rte_ipv4_hdr);
	m->ol_flags = RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM;
	TEST_ASSERT_EQUAL(rte_eth_tx_burst(p1, 0, &m, 1), 1, "sent");
	TEST_ASSERT_EQUAL(rx_some(p1, 0, &rx, 1), 1, "received");
	ip = rte_pktmbuf_mtod_offset(rx, struct rte_ipv4_hdr *,
				     sizeof(struct rte_ether_hdr));
	TEST_ASSERT_EQUAL(ip->hdr_checksum, 0,
			  "IP checksum left alone: the offload is not enabled");
	rte_pktmbuf_free(rx);
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	return TEST_SUCCESS;
}

/* nb_desc rounding as documented, and the Rx ring holds that many. */
static int
test_desc_rounding(void)
{
	struct rte_eth_rxq_info rxi;
	struct rte_eth_txq_info txi;
	struct rte_eth_conf conf;
	unsigned int base = rte_mempool_in_use_count(mp);

	memset(&conf, 0, sizeof(conf));
	TEST_ASSERT_SUCCESS(rte_eth_dev_configure(p1, 1, 1, &conf), "cfg");
	TEST_ASSERT_SUCCESS(rte_eth_rx_queue_setup(p1, 0, 128, SOCKET_ID_ANY,
						   NULL, mp), "rxq");
	TEST_ASSERT_SUCCESS(rte_eth_tx_queue_setup(p1, 0, 960, SOCKET_ID_ANY,
						   NULL), "txq");
	TEST_ASSERT_SUCCESS(rte_eth_rx_queue_info_get(p1, 0, &rxi), "rxi");
	TEST_ASSERT_SUCCESS(rte_eth_tx_queue_info_get(p1, 0, &txi), "txi");
	TEST_ASSERT_EQUAL(rxi.nb_desc, 128, "128 stays");
	TEST_ASSERT_EQUAL(txi.nb_desc, 1024, "960 -> 1024");
	TEST_ASSERT_SUCCESS(rte_eth_dev_start(p1), "start");
	TEST_ASSERT_EQUAL(rte_mempool_in_use_count(mp) - base, 128,
			  "one posted mbuf per Rx descriptor");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	TEST_ASSERT_EQUAL(rte_mempool_in_use_count(mp), base, "baseline");
	return TEST_SUCCESS;
}

/* Close with traffic in flight: every mbuf returns, nothing leaks. */
static int
test_close_returns_mbufs(void)
{
	struct rte_mbuf *tx[BURST];
	unsigned int base = rte_mempool_in_use_count(mp);

	TEST_ASSERT_EQUAL(port_up(p1), TEST_SUCCESS, "up");
	TEST_ASSERT_EQUAL(frames_to(p1, tx, BURST, 200), TEST_SUCCESS, "fr");
	TEST_ASSERT_EQUAL(rte_eth_tx_burst(p1, 0, tx, BURST), BURST, "sent");
	/* frames sit in Rx WQEs and in the Tx ring: stop + close */
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	TEST_ASSERT_SUCCESS(rte_eth_dev_close(p1), "close");
	TEST_ASSERT_EQUAL(rte_mempool_in_use_count(mp), base, "baseline");
	return TEST_SUCCESS;
}

/* Cross-connect: each port receives what the other sent. */
static int
test_xconnect(void)
{
	struct rte_mbuf *tx[BURST], *rx[BURST];

	TEST_ASSERT_EQUAL(port_up(p1), TEST_SUCCESS, "port 1 up");
	TEST_ASSERT_EQUAL(port_up(p2), TEST_SUCCESS, "port 2 up");
	TEST_ASSERT_EQUAL(frames_to(p2, tx, BURST, 64), TEST_SUCCESS, "fr");
	TEST_ASSERT_EQUAL(rte_eth_tx_burst(p1, 0, tx, BURST), BURST, "1->2");
	TEST_ASSERT_EQUAL(rte_eth_rx_burst(p1, 0, rx, BURST), 0,
			  "port 1 does not hear itself");
	TEST_ASSERT_EQUAL(rx_some(p2, 0, rx, BURST), BURST, "port 2 got all");
	rte_pktmbuf_free_bulk(rx, BURST);
	TEST_ASSERT_EQUAL(frames_to(p1, tx, BURST, 64), TEST_SUCCESS, "fr");
	TEST_ASSERT_EQUAL(rte_eth_tx_burst(p2, 0, tx, BURST), BURST, "2->1");
	TEST_ASSERT_EQUAL(rx_some(p1, 0, rx, BURST), BURST, "port 1 got all");
	rte_pktmbuf_free_bulk(rx, BURST);
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop 1");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p2), "stop 2");
	return TEST_SUCCESS;
}

/* The default wire: the generator sends, the checker sees our Tx. */
static int
test_generator_wire(void)
{
	struct rte_mbuf *rx[BURST];
	struct mlx4r_emu_gen_stats gen, gen2;
	struct mlx4r_emu_chk_stats chk;
	struct mlx4r_emu_dev *emu;
	struct rte_eth_stats st;
	unsigned int got = 0, sent = 0, i, k;
	uint64_t bytes = 0;
	uint16_t n, s;

	TEST_ASSERT_SUCCESS(rte_vdev_init("net_mlx4r_gen", "gen_flows=4"),
			    "probe with the default wire");
	TEST_ASSERT_SUCCESS(rte_eth_dev_get_port_by_name("net_mlx4r_gen",
							 &p1), "port");
	emu = mlx4r_emu_dev_lookup("net_mlx4r_gen");
	TEST_ASSERT_NOT_NULL(emu, "the emulated device is named after the vdev");
	TEST_ASSERT_EQUAL(mlx4r_emu_wire_kind(emu, 1), MLX4R_EMU_WIRE_PEER,
			  "cabled to the generator");
	TEST_ASSERT_EQUAL(port_up(p1), TEST_SUCCESS, "up");
	for (i = 0; i < 64 && got < 256; i++) {
		n = rte_eth_rx_burst(p1, 0, rx, BURST);
		got += n;
		/* echo back: the checker verifies the stamps */
		for (k = 0; k < n; k++)
			bytes += rte_pktmbuf_pkt_len(rx[k]);
		s = rte_eth_tx_burst(p1, 0, rx, n);
		sent += s;
		for (k = s; k < n; k++)
			bytes -= rte_pktmbuf_pkt_len(rx[k]);
		if (s < n)
			rte_pktmbuf_free_bulk(rx + s, n - s);
	}
	TEST_ASSERT(got >= 256, "generated frames arrive (%u)", got);
	/* flush the last unsignalled WQEs by stopping the port */
	TEST_ASSERT_SUCCESS(rte_eth_stats_get(p1, &st), "stats");
	TEST_ASSERT_EQUAL_U(st.ipackets, got, "ipackets");
	TEST_ASSERT_SUCCESS(mlx4r_emu_chk_stats(emu, 1, &chk), "checker");
	TEST_ASSERT_EQUAL_U(chk.received, sent, "the checker saw our frames");
	/* as they were sent: no ICRC (SOLICIT), nothing inserted */
	TEST_ASSERT_EQUAL_U(chk.bytes, bytes, "and their bytes");
	TEST_ASSERT_EQUAL_U(chk.duplicated, 0, "no duplicate");
	TEST_ASSERT_SUCCESS(mlx4r_emu_gen_stats(emu, 1, &gen), "generator");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	/* a stop/start does not restart the generator's stream */
	TEST_ASSERT_SUCCESS(rte_eth_dev_start(p1), "restart");
	for (i = 0; i < 64; i++) {
		n = rte_eth_rx_burst(p1, 0, rx, BURST);
		rte_pktmbuf_free_bulk(rx, n);
	}
	TEST_ASSERT_SUCCESS(mlx4r_emu_gen_stats(emu, 1, &gen2), "generator");
	TEST_ASSERT_EQUAL(gen2.stream, gen.stream, "same stream after restart");
	TEST_ASSERT_GE_U(gen2.sent, gen.sent, "its counters run on");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	TEST_ASSERT_SUCCESS(rte_vdev_uninit("net_mlx4r_gen"), "remove");
	TEST_ASSERT_NULL(mlx4r_emu_dev_lookup("net_mlx4r_gen"),
			 "the emulated device goes with the vdev");
	return TEST_SUCCESS;
}

/* Give back the @p nh mbufs a test took from the pool to starve it. */
static void
free_held(struct rte_mbuf **held, unsigned int nh)
{
	unsigned int i;

	for (i = 0; i < nh; i++)
		rte_pktmbuf_free(held[i]);
	free(held);
}

/*
 * The receive pool empty: the frames of the burst are dropped and
 * counted (rx_nombuf), their buffers stay posted, and the queue takes
 * frames again once the pool has mbufs (mlx4r_rx_drop()).
 */
static int
test_rx_pool_empty(void)
{
	struct rte_mbuf *m[4], *rx[4], **held;
	struct rte_eth_stats st;
	unsigned int nh = 0;
	int ret = TEST_FAILED;

	TEST_ASSERT_EQUAL(port_up(p1), TEST_SUCCESS, "up");
	TEST_ASSERT_SUCCESS(frames_to(p1, m, 4, 64), "frames");
	held = malloc(NB_MBUF * sizeof(*held));
	TEST_ASSERT_NOT_NULL(held, "array");
	while (nh < NB_MBUF && (held[nh] = rte_pktmbuf_alloc(mp)) != NULL)
		nh++;
	if (rte_eth_stats_reset(p1) != 0 ||
	    rte_eth_tx_burst(p1, 0, m, 4) != 4) {
		printf("reset or send failed\n");
		goto out;
	}
	if (rte_eth_rx_burst(p1, 0, rx, 4) != 0) {
		printf("a frame received without a buffer to repost\n");
		goto out;
	}
	if (rte_eth_stats_get(p1, &st) != 0 || st.rx_nombuf != 4 ||
	    st.ipackets != 0) {
		printf("rx_nombuf %" PRIu64 " ipackets %" PRIu64
		       ", expected 4 and 0\n", st.rx_nombuf, st.ipackets);
		goto out;
	}
	ret = TEST_SUCCESS;
out:
	free_held(held, nh);
	TEST_ASSERT_SUCCESS(ret, "with the pool empty");
	/* the buffers stayed posted: the next frames land */
	TEST_ASSERT_SUCCESS(frames_to(p1, m, 4, 64), "frames");
	TEST_ASSERT_EQUAL(rte_eth_tx_burst(p1, 0, m, 4), 4, "sent again");
	TEST_ASSERT_EQUAL(rx_some(p1, 0, rx, 4), 4, "received again");
	rte_pktmbuf_free_bulk(rx, 4);
	TEST_ASSERT_SUCCESS(rte_eth_stats_get(p1, &st), "stats");
	TEST_ASSERT_EQUAL_U(st.rx_nombuf, 4, "no more dropped");
	TEST_ASSERT_EQUAL_U(st.ipackets, 4, "received");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	return TEST_SUCCESS;
}

/*
 * The Rx burst takes a replacement for every frame it may return before
 * it counts the frames (mlx4r_rx_burst_tmpl()): a short burst gives the
 * ones it did not use back at once (the pool loses one mbuf per frame
 * received, no more), and a pool too short for the whole burst but not
 * for the frames there still delivers them (the CQEs counted, as many
 * asked): nothing dropped, rx_nombuf 0.
 */
static int
test_rx_pool_short(void)
{
	struct rte_mbuf *m[2], *rx[4], **held;
	struct rte_eth_stats st;
	unsigned int nh = 0, avail;
	uint16_t got;
	int ret = TEST_FAILED;

	TEST_ASSERT_EQUAL(port_up(p1), TEST_SUCCESS, "up");
	TEST_ASSERT_SUCCESS(rte_eth_stats_reset(p1), "reset");
	TEST_ASSERT_SUCCESS(frames_to(p1, m, 2, 64), "frames");
	TEST_ASSERT_EQUAL(rte_eth_tx_burst(p1, 0, m, 2), 2, "sent");
	avail = rte_mempool_avail_count(mp);
	got = rte_eth_rx_burst(p1, 0, rx, 4);
	TEST_ASSERT_EQUAL(got, 2, "the two frames in a burst of 4");
	TEST_ASSERT_EQUAL_U(rte_mempool_avail_count(mp), avail - 2,
			    "two replacements kept, the other two returned");
	rte_pktmbuf_free_bulk(rx, got);
	/* three mbufs left for a burst of four, two frames waiting */
	TEST_ASSERT_SUCCESS(frames_to(p1, m, 2, 64), "frames");
	held = malloc(NB_MBUF * sizeof(*held));
	TEST_ASSERT_NOT_NULL(held, "array");
	if (rte_eth_tx_burst(p1, 0, m, 2) != 2) {
		printf("send failed\n");
		goto out;
	}
	while (nh < NB_MBUF && rte_mempool_avail_count(mp) > 3 &&
	       (held[nh] = rte_pktmbuf_alloc(mp)) != NULL)
		nh++;
	if (rte_mempool_avail_count(mp) != 3) {
		printf("pool at %u mbufs, not 3\n",
		       rte_mempool_avail_count(mp));
		goto out;
	}
	got = rte_eth_rx_burst(p1, 0, rx, 4);
	if (got != 2 || rte_eth_stats_get(p1, &st) != 0 ||
	    st.rx_nombuf != 0 || rte_mempool_avail_count(mp) != 1) {
		printf("got %u (expected 2), rx_nombuf %" PRIu64
		       " (expected 0), pool at %u (expected 1)\n", got,
		       st.rx_nombuf, rte_mempool_avail_count(mp));
		goto out;
	}
	rte_pktmbuf_free_bulk(rx, got);
	ret = TEST_SUCCESS;
out:
	free_held(held, nh);
	TEST_ASSERT_SUCCESS(ret, "with the pool short");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	return TEST_SUCCESS;
}

/* check_rss_hash(), good checksum flags and the UDP packet type. */
static int
check_hash_and_csum(const struct rte_mbuf *m, unsigned int q,
		    const uint8_t *key)
{
	const uint64_t good = RTE_MBUF_F_RX_IP_CKSUM_GOOD |
			      RTE_MBUF_F_RX_L4_CKSUM_GOOD;

	if (check_rss_hash(m, q, key) != TEST_SUCCESS)
		return TEST_FAILED;
	TEST_ASSERT_EQUAL_U(m->ol_flags & (RTE_MBUF_F_RX_IP_CKSUM_MASK |
					   RTE_MBUF_F_RX_L4_CKSUM_MASK), good,
			    "good checksums");
	TEST_ASSERT_EQUAL(m->packet_type, RTE_PTYPE_L2_ETHER |
			  RTE_PTYPE_L3_IPV4 | RTE_PTYPE_L4_UDP, "UDP ptype");
	return TEST_SUCCESS;
}

/*
 * Checksum flags and the RSS hash together (the Rx burst's frames loop
 * compiled with both: mlx4r_rx_frames()): each frame has both, and its
 * packet type.
 */
static int
test_rx_hash_and_csum(void)
{
	return rss_two_queues(RTE_ETH_RX_OFFLOAD_RSS_HASH |
			      RTE_ETH_RX_OFFLOAD_CHECKSUM, 8,
			      check_hash_and_csum);
}

/* Frames that find no posted WQE are counted as imissed. */
static int
test_rx_missed(void)
{
	struct rte_mbuf *rx[1];
	struct rte_eth_stats st;
	struct rte_eth_conf conf;
	unsigned int i;

	TEST_ASSERT_SUCCESS(rte_vdev_init("net_mlx4r_miss",
					  "gen_rate=0,gen_size=64"), "probe");
	TEST_ASSERT_SUCCESS(rte_eth_dev_get_port_by_name("net_mlx4r_miss",
							 &p1), "port");
	memset(&conf, 0, sizeof(conf));
	TEST_ASSERT_SUCCESS(rte_eth_dev_configure(p1, 1, 1, &conf), "cfg");
	TEST_ASSERT_SUCCESS(rte_eth_rx_queue_setup(p1, 0, 64, SOCKET_ID_ANY,
						   NULL, mp), "rxq");
	TEST_ASSERT_SUCCESS(rte_eth_tx_queue_setup(p1, 0, 64, SOCKET_ID_ANY,
						   NULL), "txq");
	TEST_ASSERT_SUCCESS(rte_eth_dev_start(p1), "start");
	TEST_ASSERT_SUCCESS(rte_eth_stats_reset(p1), "reset");
	/* each burst pumps a generator burst in but takes one frame out */
	for (i = 0; i < 16; i++) {
		if (rte_eth_rx_burst(p1, 0, rx, 1) == 1)
			rte_pktmbuf_free(rx[0]);
	}
	TEST_ASSERT_SUCCESS(rte_eth_stats_get(p1, &st), "stats");
	TEST_ASSERT(st.imissed > 0, "imissed counted");
	TEST_ASSERT_EQUAL_U(xstat(p1, "rx_missed_errors"), st.imissed,
			    "xstat rx_missed_errors");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	TEST_ASSERT_SUCCESS(rte_vdev_uninit("net_mlx4r_miss"), "remove");
	return TEST_SUCCESS;
}

static volatile unsigned int lsc_events;

static int
lsc_cb(uint16_t port, enum rte_eth_event_type type, void *arg, void *ret)
{
	RTE_SET_USED(port);
	RTE_SET_USED(type);
	RTE_SET_USED(arg);
	RTE_SET_USED(ret);
	lsc_events++;
	return 0;
}

static int
wait_lsc(unsigned int n)
{
	int ms;

	for (ms = 0; ms < 2000 && lsc_events < n; ms++)
		rte_delay_ms(1);
	return lsc_events >= n ? 0 : -1;
}

/* Port events of the device become link status and LSC events. */
static int
test_link_events(void)
{
	struct rte_eth_conf conf;
	struct rte_eth_link link;
	struct mlx4r_emu_dev *emu = mlx4r_emu_dev_lookup(HCA);

	TEST_ASSERT_NOT_NULL(emu, "emulated device");
	memset(&conf, 0, sizeof(conf));
	conf.intr_conf.lsc = 1;
	TEST_ASSERT_EQUAL(port_up_conf(p1, 1, 1, &conf, mp, 0), TEST_SUCCESS,
			  "up with LSC interrupts");
	lsc_events = 0;
	TEST_ASSERT_SUCCESS(rte_eth_dev_callback_register(p1,
			RTE_ETH_EVENT_INTR_LSC, lsc_cb, NULL), "callback");
	TEST_ASSERT_SUCCESS(rte_eth_link_get_nowait(p1, &link), "link");
	TEST_ASSERT_EQUAL(link.link_status, RTE_ETH_LINK_UP, "up");
	TEST_ASSERT_SUCCESS(mlx4r_emu_link_set(emu, 1, false), "cable out");
	TEST_ASSERT_SUCCESS(wait_lsc(1), "LSC event for link down");
	TEST_ASSERT_SUCCESS(rte_eth_link_get_nowait(p1, &link), "link");
	TEST_ASSERT_EQUAL(link.link_status, RTE_ETH_LINK_DOWN, "down");
	TEST_ASSERT_SUCCESS(mlx4r_emu_link_set(emu, 1, true), "cable in");
	TEST_ASSERT_SUCCESS(wait_lsc(2), "LSC event for link up");
	TEST_ASSERT_SUCCESS(rte_eth_link_get_nowait(p1, &link), "link");
	TEST_ASSERT_EQUAL(link.link_status, RTE_ETH_LINK_UP, "up again");
	TEST_ASSERT_SUCCESS(rte_eth_dev_callback_unregister(p1,
			RTE_ETH_EVENT_INTR_LSC, lsc_cb, NULL), "unregister");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	return TEST_SUCCESS;
}

/* Bad queue ids and bad arguments get -EINVAL. */
static int
test_bad_args(void)
{
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;

	TEST_ASSERT_SUCCESS(rte_eth_dev_info_get(p1, &info), "info");
	TEST_ASSERT_EQUAL(info.reta_size, 64, "RETA size");
	TEST_ASSERT_EQUAL(info.hash_key_size, 40, "key size");
	TEST_ASSERT(info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS,
		    "multi-segment Tx");
	memset(&conf, 0, sizeof(conf));
	conf.rx_adv_conf.rss_conf.rss_key_len = 8;
	conf.rx_adv_conf.rss_conf.rss_key = (uint8_t *)"12345678";
	TEST_ASSERT_EQUAL(rte_eth_dev_configure(p1, 1, 1, &conf), -EINVAL,
			  "8-byte RSS key");
	memset(&conf, 0, sizeof(conf));
	TEST_ASSERT_SUCCESS(rte_eth_dev_configure(p1, 2, 2, &conf), "cfg");
	TEST_ASSERT_EQUAL(rte_eth_rx_queue_setup(p1, 2, 64, SOCKET_ID_ANY,
						 NULL, mp), -EINVAL,
			  "Rx queue 2 of 2");
	TEST_ASSERT_EQUAL(rte_eth_tx_queue_setup(p1, 5, 64, SOCKET_ID_ANY,
						 NULL), -EINVAL,
			  "Tx queue 5 of 2");
	TEST_ASSERT_EQUAL(rte_eth_rx_queue_setup(p1, 0, 64, SOCKET_ID_ANY,
						 NULL, NULL), -EINVAL,
			  "no mempool");
	TEST_ASSERT_SUCCESS(rte_eth_rx_queue_setup(p1, 0, 64, SOCKET_ID_ANY,
						   NULL, mp), "rxq 0");
	TEST_ASSERT_SUCCESS(rte_eth_tx_queue_setup(p1, 0, 64, SOCKET_ID_ANY,
						   NULL), "txq 0");
	TEST_ASSERT_EQUAL(rte_eth_dev_start(p1), -EINVAL,
			  "start with queue 1 not set up");
	return TEST_SUCCESS;
}

static struct unit_test_suite datapath_suite = {
	.suite_name = "mlx4r datapath on the emulated device",
	.setup = dp_setup,
	.teardown = dp_teardown,
	.unit_test_cases = {
		TEST_CASE_ST(hca_loopback, hca_down, test_loopback_byte_exact),
		TEST_CASE_ST(hca_loopback, hca_down, test_rx_pool_private_area),
		TEST_CASE_ST(hca_loopback, hca_down,
			     test_ring_wrap_and_completions),
		TEST_CASE_ST(hca_loopback, hca_down, test_tx_completion_exact),
		TEST_CASE_ST(hca_loopback, hca_down, test_tx_free_two_pools),
		TEST_CASE_ST(hca_loopback, hca_down, test_tx_shared_mbufs),
		TEST_CASE_ST(hca_loopback, hca_down, test_multiseg_tx),
		TEST_CASE_ST(hca_loopback, hca_down, test_empty_segment_tx),
		TEST_CASE_ST(hca_loopback, hca_down, test_max_segments_tx),
		TEST_CASE_ST(hca_loopback, hca_down, test_tx_ring_headroom),
		TEST_CASE_ST(hca_loopback_mr64, hca_down_emu,
			     test_no_stale_vlan_insertion),
		TEST_CASE_ST(hca_vf, hca_down_emu, test_vf_loopback),
		TEST_CASE_ST(hca_vf_unplugged, hca_down_emu, test_vf_eswitch_local),
		TEST_CASE_ST(hca_loopback, hca_down, test_scattered_rx),
		TEST_CASE_ST(hca_loopback, hca_down, test_rss_reta),
		TEST_CASE_ST(hca_loopback, hca_down, test_rss_not_pow2),
		TEST_CASE_ST(hca_xconnect, hca_down, test_rss_two_ports),
		TEST_CASE_ST(hca_loopback, hca_down, test_rss_hash_mbuf),
		TEST_CASE_ST(hca_loopback, hca_down, test_rss_update_fails),
		TEST_CASE_ST(hca_loopback, hca_down, test_filter_change_fails),
		TEST_CASE_ST(hca_loopback, hca_down, test_mac_filter_modes),
		TEST_CASE_ST(hca_loopback, hca_down, test_promisc_steering),
		TEST_CASE_ST(hca_loopback, hca_down, test_ptype_csum_flags),
		TEST_CASE_ST(hca_loopback, hca_down, test_ptype_no_offload),
		TEST_CASE(test_csum_field_only),
		TEST_CASE_ST(hca_loopback, hca_down, test_tx_csum_offload),
		TEST_CASE_ST(hca_loopback, hca_down, test_tx_csum_not_enabled),
		TEST_CASE_ST(hca_loopback, hca_down, test_desc_rounding),
		TEST_CASE_ST(hca_loopback, hca_down, test_close_returns_mbufs),
		TEST_CASE_ST(hca_xconnect, hca_down, test_xconnect),
		TEST_CASE(test_generator_wire),
		TEST_CASE(test_rx_missed),
		TEST_CASE_ST(hca_loopback, hca_down, test_rx_pool_empty),
		TEST_CASE_ST(hca_loopback, hca_down, test_rx_pool_short),
		TEST_CASE_ST(hca_loopback, hca_down, test_rx_hash_and_csum),
		TEST_CASE_ST(hca_loopback, hca_down, test_link_events),
		TEST_CASE_ST(hca_loopback, hca_down, test_bad_args),
		TEST_CASES_END()
	}
};

static int
mlx4r_datapath_autotest(void)
{
	return unit_test_suite_runner(&datapath_suite);
}

REGISTER_TEST_COMMAND(mlx4r_datapath_autotest, mlx4r_datapath_autotest);
