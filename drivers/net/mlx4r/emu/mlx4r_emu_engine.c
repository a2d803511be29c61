/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * The engines of the emulated ConnectX-3.
 *
 * Tx: on a send doorbell (the Tx hook), execute the WQEs the driver posted
 * (those whose owner bit is that of their pass): check each one (opcode, DS
 * count against the WQE size limit, lkey and bounds of every data segment,
 * the prefetch headroom), gather the frame, insert the VLAN tag and compute
 * the checksums it asks for, append an ICRC unless it says SOLICIT, put it
 * on the port's wire (or loop it back) and write a CQE if it asked for one.
 * A bad WQE moves the QP to ERR with an error CQE; WQEs posted to a QP in
 * ERR are flushed with error CQEs. The rules and their sources:
 * doc/guides/nics/mlx4r_hardware.rst, "Transmit".
 *
 * Rx: steer a frame arriving at a port by its flow rules, then by the
 * Toeplitz hash of the RSS QP that owns the rule, into a WQ; scatter it
 * into the WQ's next posted WQE (or count it missed) and write the CQE,
 * body first, owner byte last with a release store.
 *
 * Handshakes with the datapath (the driver, on its own lcore):
 *  - SQ: the driver writes a WQE, then its owner word after a write
 *    barrier, then the doorbell; the engine runs on the same thread right
 *    after (the hook), and loads the owner word with acquire before the
 *    rest of the WQE.
 *  - RQ: the driver writes receive WQEs, then the doorbell record (after a
 *    write barrier); the engine, on any lcore, loads the record with
 *    acquire before it reads the WQEs it covers. It keeps the value it
 *    read (wq->pi_seen) and loads the record again only once it has
 *    consumed every WQE that value covers: the WQEs below it were
 *    published by that acquire load and stay posted until consumed.
 *  - CQ: the engine writes a CQE body, then the owner byte with release;
 *    the driver loads the owner byte, then (after a read barrier) the
 *    body. The driver stores the consumer index when it is done with the
 *    CQEs; the engine loads it with acquire before it reuses an entry.
 */

/*
 * DPDK's generic byte swaps and atomics, what its non-x86 builds use: on
 * x86 rte_bswap32/64 are asm volatile, which the compiler can neither
 * fold into a compare with a constant (the WQE's flags and opcode tests)
 * nor schedule; the generic ones are __builtin_bswap (15 instructions a
 * frame fewer on the looping forward, devtools/callgrind-fwd.sh). The
 * spinlocks are then the generic __atomic ones, on the same lock words
 * as the other files' (an exchange of 0 and 1 either way).
 */
#define RTE_FORCE_INTRINSICS
#include <errno.h>
#include <string.h>
#include <netinet/in.h>

#include <rte_common.h>
#include <rte_cpuflags.h>
#include <rte_vect.h>
#include <rte_byteorder.h>
#include <rte_branch_prediction.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>
#if defined(RTE_ARCH_X86) && defined(__SSE2__)
#include <emmintrin.h>
#ifdef __SSE4_1__
#include <smmintrin.h>
#endif
#endif

#include "mlx4r_emu_priv.h"

void
emu_port_add_stat(uint64_t *ctr, uint64_t n)
{
	if (n != 0)
		__atomic_fetch_add(ctr, n, __ATOMIC_RELAXED);
}

/*
 * Toeplitz.
 */

/* The 32 key bits starting at bit @p t (bit 0 = MSB of key[0]). */
static uint32_t
emu_key_window(const uint8_t *key, size_t key_len, size_t t)
{
	uint64_t v = 0;
	size_t m;

	for (m = 0; m < 5; m++) {
		size_t i = t / 8 + m;

		v = (v << 8) | (i < key_len ? key[i] : 0);
	}
	return (uint32_t)(v >> (8 - t % 8));
}

uint32_t
mlx4r_emu_toeplitz(const uint8_t *key, size_t key_len, const uint8_t *data,
		   size_t len)
{
	uint32_t hash = 0;
	size_t i;
	int k;

	for (i = 0; i < len; i++)
		for (k = 0; k < 8; k++)
			if (data[i] & (0x80 >> k))
				hash ^= emu_key_window(key, key_len, i * 8 + k);
	return hash;
}

void
emu_rss_table_init(uint32_t (*tbl)[256], const uint8_t *key)
{
	uint32_t w[8];
	unsigned int i, b, k;

	for (i = 0; i < EMU_RSS_INPUT_MAX; i++) {
		for (k = 0; k < 8; k++)
			w[k] = emu_key_window(key, EMU_RSS_KEY_LEN, i * 8 + k);
		/*
		 * The hash of byte b is that of b without its lowest set bit
		 * (bit 7 - k of the byte, MSB first), xor that bit's window:
		 * one xor per entry (a reset's RSS QP builds it anew).
		 */
		tbl[i][0] = 0;
		for (b = 1; b < 256; b++) {
			uint32_t low = b & -b;

			k = 7 - (unsigned int)__builtin_ctz(low);
			tbl[i][b] = tbl[i][b ^ low] ^ w[k];
		}
	}
}

/*
 * Packet parsing, shared by steering, RSS and checksum status.
 */
static void
emu_parse(const uint8_t *d, uint32_t len, struct emu_pkt *p)
{
	uint16_t off = RTE_ETHER_HDR_LEN;

	memset(p, 0, sizeof(*p));
	if (len < RTE_ETHER_HDR_LEN)
		return;
	p->etype = (uint16_t)(d[12] << 8 | d[13]);
	if (p->etype == RTE_ETHER_TYPE_VLAN && len >= off + 4u) {
		p->vlan = true;
		p->tci = (uint16_t)(d[14] << 8 | d[15]);
		p->etype = (uint16_t)(d[16] << 8 | d[17]);
		off += 4;
	}
	p->l3 = off;
	if (p->etype == RTE_ETHER_TYPE_IPV4 &&
	    len >= off + sizeof(struct rte_ipv4_hdr)) {
		const uint8_t *ip = d + off;
		uint32_t ihl = (ip[0] & 0xf) * 4u;
		uint32_t tot = (uint32_t)(ip[2] << 8 | ip[3]);
		uint16_t fo = (uint16_t)(ip[6] << 8 | ip[7]);

		if ((ip[0] >> 4) != 4 || ihl < 20 || len < off + ihl)
			return;
		p->ipv = 4;
		p->ipopt = ihl > 20;
		p->frag = (fo & (RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK))
			  != 0;
		if (tot < ihl || off + tot > len)
			tot = len - off < ihl ? ihl : len - off;
		if (!p->frag && (ip[9] == IPPROTO_TCP || ip[9] == IPPROTO_UDP)) {
			p->proto = ip[9];
			p->l4 = (uint16_t)(off + ihl);
			p->l4_len = (uint16_t)(tot - ihl);
		}
	} else if (p->etype == RTE_ETHER_TYPE_IPV6 &&
		   len >= off + sizeof(struct rte_ipv6_hdr)) {
		const uint8_t *ip = d + off;
		uint32_t plen = (uint32_t)(ip[4] << 8 | ip[5]);

		if ((ip[0] >> 4) != 6)
			return;
		p->ipv = 6;
		if (off + 40 + plen > len)
			plen = len - off - 40;
		if (ip[6] == 44) {
			p->frag = true;
		} else if (ip[6] == IPPROTO_TCP || ip[6] == IPPROTO_UDP) {
			p->proto = ip[6];
			p->l4 = (uint16_t)(off + 40);
			p->l4_len = (uint16_t)plen;
		}
	}
	if (p->proto == IPPROTO_TCP && p->l4_len < 20)
		p->proto = 0, p->l4 = 0;
	if (p->proto == IPPROTO_UDP && p->l4_len < 8)
		p->proto = 0, p->l4 = 0;
}

/* Sum of the pseudo header of @p p. */
static __rte_always_inline uint64_t
emu_pseudo_sum(const uint8_t *d, const struct emu_pkt *p)
{
	uint8_t ph[40];
	uint64_t sum;

	if (p->ipv == 4) {
		uint64_t a;
		uint32_t w;

		/*
		 * Addresses as one 8-byte word, then the word of bytes
		 * 0, proto, length: what emu_csum_add() makes of them (a
		 * sum of memory-order words with the carry added back).
		 */
		memcpy(&a, d + p->l3 + 12, 8);
		w = rte_cpu_to_be_32((uint32_t)p->proto << 16 | p->l4_len);
		sum = a + w;
		return sum + (sum < w);
	}
	sum = emu_csum_add(0, d + p->l3 + 8, 32);
	memset(ph, 0, 8);
	ph[2] = (uint8_t)(p->l4_len >> 8);
	ph[3] = (uint8_t)p->l4_len;
	ph[7] = p->proto;
	return emu_csum_add(sum, ph, 8);
}

static bool
emu_l3_ok(const uint8_t *d, const struct emu_pkt *p)
{
	if (p->ipv != 4)
		return p->ipv == 6;
	return emu_csum_fold(emu_csum_add(0, d + p->l3,
					  (d[p->l3] & 0xf) * 4u)) == 0xffff;
}

/* An IPv4 UDP frame without a checksum (field 0). */
static bool
emu_udp_no_csum(const uint8_t *d, const struct emu_pkt *p)
{
	return p->proto == IPPROTO_UDP && p->ipv == 4 &&
	       d[p->l4 + 6] == 0 && d[p->l4 + 7] == 0;
}

/* emu_rx_csum_field() of a TCP or UDP frame (p->proto set). */
static __rte_always_inline uint16_t
emu_l4_csum_field(const uint8_t *d, const struct emu_pkt *p)
{
	return emu_csum_fold(emu_csum_add(emu_pseudo_sum(d, p), d + p->l4,
					  p->l4_len));
}

/*
 * The CQE's checksum field, as mlx4_en reads it (Linux en_rx.c
 * mlx4_en_process_rx_cq and check_csum): for TCP/UDP the one's complement
 * sum of the pseudo header and the L4 segment, 0xffff when the segment's
 * checksum is right; for other IPv4 the pseudo header and the payload
 * (get_fixed_ipv4_csum subtracts the pseudo header); for other IPv6 the
 * header without its first 4 bytes, next header and hop limit, then the
 * payload (get_fixed_ipv6_csum adds those 6 bytes back). Stored as the
 * big-endian 16 bits of the sum (memory order). 0 for non-IP frames.
 */
static uint16_t
emu_rx_csum_field(const uint8_t *d, uint32_t len, const struct emu_pkt *p)
{
	uint64_t sum;
	uint16_t c;
	uint8_t ph[4];

	if (p->proto != 0) {
		return emu_l4_csum_field(d, p);
	} else if (p->ipv == 4) {
		uint32_t ihl = (d[p->l3] & 0xf) * 4u;
		uint32_t tot = (uint32_t)(d[p->l3 + 2] << 8 | d[p->l3 + 3]);
		uint32_t pl;

		if (tot < ihl || p->l3 + tot > len)
			tot = RTE_MAX(ihl, len - p->l3);
		pl = tot - ihl;
		sum = emu_csum_add(0, d + p->l3 + 12, 8);
		ph[0] = 0;
		ph[1] = d[p->l3 + 9];
		ph[2] = (uint8_t)(pl >> 8);
		ph[3] = (uint8_t)pl;
		sum = emu_csum_add(sum, ph, 4);
		sum = emu_csum_add(sum, d + p->l3 + ihl, pl);
	} else if (p->ipv == 6) {
		uint32_t pl = (uint32_t)(d[p->l3 + 4] << 8 | d[p->l3 + 5]);

		if (p->l3 + 40 + pl > len)
			pl = len - p->l3 - 40;
		sum = emu_csum_add(0, d + p->l3 + 4, 2);
		sum = emu_csum_add(sum, d + p->l3 + 8, 32 + pl);
	} else {
		return 0;
	}
	c = emu_csum_fold(sum);
	return c;
}

/* Tx checksum offloads, computed into the frame. */
static uint32_t
emu_tx_csum(uint8_t *d, uint32_t len, uint32_t flags)
{
	struct emu_pkt p;
	uint32_t known = 0;
	uint16_t c;

	emu_parse(d, len, &p);
	if ((flags & MLX4_WQE_CTRL_IP_HDR_CSUM) && p.ipv == 4) {
		uint32_t ihl = (d[p.l3] & 0xf) * 4u;

		d[p.l3 + 10] = 0;
		d[p.l3 + 11] = 0;
		c = (uint16_t)~emu_csum_fold(emu_csum_add(0, d + p.l3, ihl));
		memcpy(d + p.l3 + 10, &c, 2);
		known |= EMU_CSUM_L3_OK;
	}
	if ((flags & MLX4_WQE_CTRL_TCP_UDP_CSUM) && p.proto != 0) {
		uint32_t at = p.l4 + (p.proto == IPPROTO_TCP ? 16 : 6);

		d[at] = 0;
		d[at + 1] = 0;
		c = (uint16_t)~emu_csum_fold(emu_csum_add(emu_pseudo_sum(d, &p),
							  d + p.l4, p.l4_len));
		if (c == 0 && p.proto == IPPROTO_UDP)
			c = 0xffff;
		memcpy(d + at, &c, 2);
		known |= EMU_CSUM_L4_OK;
	}
	return known;
}

/*
 * The inner frame of a VXLAN frame (UDP to MLX4R_VXLAN_PORT, the I flag
 * set, room for the 8-byte VXLAN header and an Ethernet header): its
 * offset in @p d, 0 if @p d is not one. What a ConnectX-3 Pro in mlx4_en's
 * tunnel_offload_mode VXLAN parses (Linux en_netdev.c
 * mlx4_udp_tunnel_sync sets the port, mlx4_en_features_check offloads
 * only UDP to it).
 */
static uint32_t
emu_vxlan_inner(const uint8_t *d, const struct emu_pkt *p)
{
	uint32_t at;

	if (p->proto != IPPROTO_UDP || p->frag ||
	    p->l4_len < 8 + 8 + RTE_ETHER_HDR_LEN ||
	    (uint16_t)(d[p->l4 + 2] << 8 | d[p->l4 + 3]) != MLX4R_VXLAN_PORT)
		return 0;
	at = p->l4 + 8u;
	if (!(d[at] & 0x08)) /* RFC 7348: the I flag, a valid VNI */
		return 0;
	return at + 8;
}

/*
 * Inner checksums of a tunnelled frame (ConnectX-3 Pro): owner_opcode's
 * MLX4R_WQE_CTRL_IIP_CSUM (inner IPv4 header) and _IL4_CSUM (inner
 * TCP/UDP), set by mlx4_en for an encapsulated skb (en_tx.c
 * mlx4_en_xmit) and by upstream for RTE_MBUF_F_TX_TUNNEL_* (mlx4_rxtx.c
 * mlx4_tx_burst). Computed before the outer ones, which cover them.
 */
static void
emu_tx_inner_csum(uint8_t *d, uint32_t len, uint32_t w0)
{
	struct emu_pkt p;
	uint32_t in, flags = 0;

	emu_parse(d, len, &p);
	in = emu_vxlan_inner(d, &p);
	if (in == 0)
		return;
	if (w0 & MLX4R_WQE_CTRL_IIP_CSUM)
		flags |= MLX4_WQE_CTRL_IP_HDR_CSUM;
	if (w0 & MLX4R_WQE_CTRL_IL4_CSUM)
		flags |= MLX4_WQE_CTRL_TCP_UDP_CSUM;
	emu_tx_csum(d + in, p.l4 + p.l4_len - in, flags);
}

/*
 * CQs.
 */

static inline struct mlx4_cqe *
emu_cqe_at(struct emu_cq *cq, uint32_t pi)
{
	return (struct mlx4_cqe *)(cq->buf +
		((size_t)(pi & (cq->cnt - 1)) * cq->cqe_size) +
		(cq->cqe_size - 32));
}

/* libmlx4 cq.c get_sw_cqe(): the owner bit is the pass parity of @p n. */
static inline bool
emu_cqe_sw(struct emu_cq *cq, uint32_t n)
{
	return !(emu_cqe_at(cq, n)->owner_sr_opcode & MLX4_CQE_OWNER_MASK) ==
	       !(n & cq->cnt);
}

/*
 * What libmlx4 does to the CQ of a QP or WQ moved to RESET (rdma-core 44
 * providers/mlx4/verbs.c mlx4_modify_qp(), mlx4_modify_wq() ->
 * cq.c __mlx4_cq_clean()), done here for the seam, where the emulated
 * device stands for libmlx4 too (a CQ in user memory is the kernel
 * face's: the real libmlx4 does it there): from libmlx4's own consumer
 * index, which a direct-verbs driver never moves, the entries that look
 * software-owned (at most cnt - 1) are swept backwards, those of
 * @p qpn removed by moving the older others up, and when any was removed,
 * that index, advanced by their number, is written into the CQ's
 * doorbell record (mlx4_update_cons_index()). The driver's own consumer
 * index is then lost from the record: a driver must write it again. The
 * engine rereads the record from there (ci_seen). Lock of the CQ's user
 * held; its QP or WQ is in RESET (no CQE comes from it any more).
 */
void
emu_cq_libmlx4_clean(struct emu_cq *cq, uint32_t qpn)
{
	uint32_t prod, nfreed = 0;

	if (cq->umem)
		return;
	for (prod = cq->lib_ci; emu_cqe_sw(cq, prod); prod++)
		if (prod == cq->lib_ci + cq->cnt - 1)
			break;
	while ((int32_t)(--prod - cq->lib_ci) >= 0) {
		struct mlx4_cqe *cqe = emu_cqe_at(cq, prod);

		if ((rte_be_to_cpu_32(cqe->vlan_my_qpn) &
		     MLX4R_CQ_DB_CI_MASK) == qpn) {
			nfreed++;
		} else if (nfreed != 0) {
			struct mlx4_cqe *dest = emu_cqe_at(cq, prod + nfreed);
			uint8_t owner = dest->owner_sr_opcode &
					MLX4_CQE_OWNER_MASK;

			memcpy(dest, cqe, sizeof(*cqe));
			dest->owner_sr_opcode = owner |
				(dest->owner_sr_opcode & ~MLX4_CQE_OWNER_MASK);
		}
	}
	if (nfreed == 0)
		return;
	cq->lib_ci += nfreed;
	__atomic_store_n(&cq->db[0],
			 rte_cpu_to_be_32(cq->lib_ci & MLX4R_CQ_DB_CI_MASK),
			 __ATOMIC_RELEASE);
	cq->ci_seen = cq->lib_ci & MLX4R_CQ_DB_CI_MASK;
}

/*
 * The next CQE to write, or NULL when the CQ is full (overrun: the CQ is
 * in error from then on, its context gets IBV_EVENT_CQ_ERR).
 */
static __rte_noinline struct mlx4_cqe *
emu_cqe_next_slow(struct emu_cq *cq)
{
	uint32_t ci;

	if (unlikely(cq->overrun)) {
		cq->overruns++;
		return NULL;
	}
	/*
	 * The driver's consumer index only grows (libmlx4 cq.c
	 * mlx4_update_cons_index, upstream mlx4_rxtx.c mlx4_rx_burst: set_ci
	 * is the count of CQEs polled), so with fewer than cnt entries
	 * written past the value last read the CQ has room whatever the
	 * driver did since: db[0] is read again only when the CQ looks
	 * full from there, and the overrun check below is the same as if it
	 * were read for every CQE.
	 */
	if (((cq->pi - cq->ci_seen) & MLX4R_CQ_DB_CI_MASK) < cq->cnt) {
		cq->room = cq->cnt - ((cq->pi - cq->ci_seen) &
				      MLX4R_CQ_DB_CI_MASK);
		return emu_cqe_at(cq, cq->pi);
	}
	/*
	 * Pairs with the driver's consumer index store (see top): the
	 * driver read the CQEs up to ci before it stored ci, so the entries
	 * below it may be rewritten.
	 */
	ci = rte_be_to_cpu_32(__atomic_load_n(&cq->db[0], __ATOMIC_ACQUIRE)) &
	     MLX4R_CQ_DB_CI_MASK;
	cq->ci_seen = ci;
	if (unlikely(((cq->pi - ci) & MLX4R_CQ_DB_CI_MASK) >= cq->cnt)) {
		cq->overrun = true;
		cq->overruns++;
		EMU_LOG(ERR, "CQ 0x%x overrun", cq->hw.cqn);
		/* a counter only: read whenever (mlx4r_emu_dev_info) */
		__atomic_fetch_add(&container_of(cq->hw.ctx, struct emu_ctx,
						 hw)->dev->cq_overruns, 1,
				   __ATOMIC_RELAXED);
		emu_ctx_post_event(container_of(cq->hw.ctx, struct emu_ctx, hw),
				   IBV_EVENT_CQ_ERR, &cq->hw, 0, 0);
		return NULL;
	}
	cq->room = cq->cnt - ((cq->pi - ci) & MLX4R_CQ_DB_CI_MASK);
	return emu_cqe_at(cq, cq->pi);
}

/*
 * emu_cqe_next_slow(), its common case inline: room below ci_seen, as
 * counted down since the slow path last measured it (cq->room: the same
 * verdict, one test instead of two loads and a subtraction; a clean that
 * moved ci_seen since only makes it count short, and the slow path
 * measures again).
 */
static inline struct mlx4_cqe *
emu_cqe_next(struct emu_cq *cq)
{
	if (likely(cq->room != 0))
		return emu_cqe_at(cq, cq->pi);
	return emu_cqe_next_slow(cq);
}

/* Hand a written CQE to software: owner byte last, with release. */
static inline void
emu_cqe_commit(struct emu_cq *cq, struct mlx4_cqe *cqe, uint8_t op)
{
	uint8_t owner = (cq->pi & cq->cnt) ? MLX4_CQE_OWNER_MASK : 0;

	__atomic_store_n(&cqe->owner_sr_opcode, (uint8_t)(op | owner),
			 __ATOMIC_RELEASE);
	cq->pi++;
	cq->room--; /* emu_cqe_next() found it non-zero */
	/* an armed CQ raises its event (mlx4r_emu_intr.c) */
	if (unlikely(cq->ch != NULL))
		emu_cq_notify(cq, (op & MLX4_CQE_OPCODE_MASK) ==
			      MLX4_CQE_OPCODE_ERROR);
}

static bool
emu_err_cqe(struct emu_cq *cq, uint32_t qpn, uint16_t wqe_index,
	    uint8_t syndrome, uint8_t vendor, bool send)
{
	struct mlx4_err_cqe *e = (struct mlx4_err_cqe *)emu_cqe_next(cq);

	if (e == NULL)
		return false;
	memset(e, 0, offsetof(struct mlx4_err_cqe, owner_sr_opcode));
	e->vlan_my_qpn = rte_cpu_to_be_32(qpn);
	e->wqe_index = rte_cpu_to_be_16(wqe_index);
	e->vendor_err = vendor;
	e->syndrome = syndrome;
	emu_cqe_commit(cq, (struct mlx4_cqe *)e, MLX4_CQE_OPCODE_ERROR |
		       (send ? MLX4_CQE_IS_SEND_MASK : 0));
	return true;
}

/*
 * Memory regions: the lkey names a slot of the context's table; the slot
 * is checked again after its fields were read, so that a registration
 * racing with the engine (a driver bug) is never half-seen. A key is good
 * for its own PD, the access it was registered with and exactly
 * [addr, addr + len) of its registration: the MPT that Linux mlx4_ib
 * writes (mr.c mlx4_ib_reg_user_mr() -> mlx4_mr_alloc(start, length,
 * access)); anything else, a deregistered key included (dereg moves the
 * MPT to software ownership, mlx4 mr.c mlx4_mr_free() HW2SW_MPT), is a
 * local protection error.
 */
static bool
emu_mr_check(struct emu_ctx *ctx, uint32_t lkey, uint32_t pdn, uint64_t addr,
	     uint32_t len, uint32_t need, uint8_t *verr)
{
	struct emu_mr_slot *s = &ctx->mrs[(lkey >> 8) % EMU_MR_SLOTS];
	uintptr_t start;
	size_t size;
	uint32_t access, spdn;

	if (__atomic_load_n(&s->lkey, __ATOMIC_ACQUIRE) != lkey || lkey == 0)
		goto bad_key;
	start = s->addr;
	size = s->len;
	access = s->access;
	spdn = s->pdn;
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (__atomic_load_n(&s->lkey, __ATOMIC_RELAXED) != lkey)
		goto bad_key;
	if (spdn != pdn || (access & need) != need)
		goto bad_key;
	/*
	 * Pages unmapped since the registration: a card would still reach
	 * the pages the MR pinned (Linux umem.c ib_umem_get() keeps them),
	 * which the process no longer sees at that address: silent loss or
	 * corruption. Stricter, as the model must be: a local protection
	 * error. Acquire: pairs with the release of emu_mem_event().
	 */
	if (__atomic_load_n(&s->unmapped, __ATOMIC_ACQUIRE) != 0)
		goto bad_key;
	if (addr < start || addr + len > start + size || addr + len < addr) {
		*verr = MLX4R_EMU_VERR_BOUNDS;
		return false;
	}
	return true;
bad_key:
	*verr = MLX4R_EMU_VERR_LKEY;
	return false;
}

/*
 * emu_mr_check() through the queue's cache @p c of the last key it found
 * good, for the queue's own PD and access @p need (both fixed for a
 * queue). A hit is a key and a range within what the table said at
 * generation c->gen, and no key has turned bad since (mr_gen unchanged):
 * the same verdict as the table's. Everything else (another key, out of
 * the cached range, any deregistration or unmapping since) is checked
 * against the table, and errors always are.
 *
 * mr_gen is loaded with acquire before the slot: pairs with the release
 * increments of emu_dereg_mr_locked() and emu_mem_event(), which come
 * after their stores to the slot; an entry filled from a slot read after
 * a generation was loaded carries that generation, so a change to the
 * slot that the fill may have missed has bumped mr_gen past it. The
 * miss (emu_mr_check_fill()) takes @p gen as emu_mr_check_cached() loaded
 * it, before the fill reads the slot.
 */
static __rte_noinline bool
emu_mr_check_fill(struct emu_ctx *ctx, struct emu_mr_cache *c,
		  uint32_t lkey, const struct emu_pd *pd, uint64_t addr,
		  uint32_t len, uint32_t need, uint8_t *verr, uint64_t gen)
{
	struct emu_mr_slot *s;

	if (!emu_mr_check(ctx, lkey, pd->hw.pdn, addr, len, need, verr))
		return false;
	/* emu_mr_check() saw these fields under this lkey */
	s = &ctx->mrs[(lkey >> 8) % EMU_MR_SLOTS];
	c->start = s->addr;
	c->end = s->addr + s->len;
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (__atomic_load_n(&s->lkey, __ATOMIC_RELAXED) != lkey)
		return true; /* changed meanwhile: good this time, not kept */
	c->lkey = lkey;
	c->gen = gen;
	return true;
}

/*
 * The hit inline, the table's check and the fill called
 * (emu_mr_check_fill()): the PD's number is read only there, and the
 * caller's registers are not spent on the miss's arguments.
 */
static __rte_always_inline bool
emu_mr_check_cached(struct emu_ctx *ctx, struct emu_mr_cache *c,
		    uint32_t lkey, const struct emu_pd *pd, uint64_t addr,
		    uint32_t len, uint32_t need, uint8_t *verr)
{
	uint64_t gen = __atomic_load_n(&ctx->mr_gen, __ATOMIC_ACQUIRE);

	if (likely(lkey == c->lkey && gen == c->gen && addr >= c->start &&
		   addr + len <= c->end && addr + len >= addr))
		return true;
	return emu_mr_check_fill(ctx, c, lkey, pd, addr, len, need, verr, gen);
}

/*
 * Rx.
 */

/* (a & m) == v, v the rule's value already masked: the masked bits agree. */
static inline bool
emu_mac_match(const uint8_t *a, uint64_t v, uint64_t m)
{
	return (emu_mac48(a) & m) == v;
}

/*
 * Destination address tests on frame bytes, which may sit at any address
 * (a one-segment send is read in place from the sender's buffer): byte
 * reads, where DPDK's rte_is_*_ether_addr() load 16-bit words and need
 * the 2-byte alignment of struct rte_ether_addr.
 */
static inline bool
emu_mac_is_mcast(const uint8_t *d)
{
	return (d[0] & 0x01) != 0;
}

static inline bool
emu_mac_is_bcast(const uint8_t *d)
{
	return (d[0] & d[1] & d[2] & d[3] & d[4] & d[5]) == 0xff;
}

static bool
emu_rule_match(const struct emu_flow *f, const uint8_t *d,
	       const struct emu_pkt *p)
{
	switch (f->cls) {
	case 2: /* promiscuous */
		return true;
	case 1: /* all-multicast */
		return emu_mac_is_mcast(d);
	default:
		break;
	}
	/* destination and VLAN only: what mlx4_ib gives the card (obj.c) */
	if (!emu_mac_match(d, f->dmac_v, f->dmac_m))
		return false;
	if (f->has_vlan_spec &&
	    (!p->vlan || (p->tci & f->vlan_m) != (f->vlan & f->vlan_m)))
		return false;
	if (f->has_ip_spec) {
		uint32_t s, t;

		if (p->ipv != 4)
			return false;
		memcpy(&s, d + p->l3 + 12, 4);
		memcpy(&t, d + p->l3 + 16, 4);
		if ((s & f->sip_m) != (f->sip & f->sip_m) ||
		    (t & f->dip_m) != (f->dip & f->dip_m))
			return false;
	}
	if (f->l4 != 0) {
		uint16_t sp, dp;

		if (p->proto != f->l4)
			return false;
		memcpy(&sp, d + p->l4, 2);
		memcpy(&dp, d + p->l4 + 2, 2);
		if ((sp & f->sport_m) != (f->sport & f->sport_m) ||
		    (dp & f->dport_m) != (f->dport & f->dport_m))
			return false;
	}
	return true;
}

/* Whether the port's netdev has a rule for the frame's destination. */
static bool
emu_netdev_claims(const struct emu_port *port, const uint8_t *d)
{
	uint32_t i;

	if (memcmp(d, port->mac.addr_bytes, RTE_ETHER_ADDR_LEN) == 0 ||
	    emu_mac_is_bcast(d))
		return true;
	if (!emu_mac_is_mcast(d))
		return false;
	for (i = 0; i < port->nd.nb_mc; i++)
		if (memcmp(d, port->nd.mc[i].addr_bytes,
			   RTE_ETHER_ADDR_LEN) == 0)
			return true;
	return false;
}

#define EMU_STEER_MISS ((struct emu_flow *)(uintptr_t)1)

/*
 * The netdev's promiscuous and all-multicast flags, which steering reads.
 * Writer: mlx4r_emu_netdev_set_rx_mode (obj.c), under dev->lock, not
 * rx_lock (the Rx paths hold that across a run). Readers: the verdict of
 * emu_rx_classify and the recheck of the run paths (emu_rx_deliver_tx
 * once per frame, emu_rx_deliver_seq once per run of one flow's frames),
 * without a lock. Both flags are one byte, stored and loaded whole, so a
 * frame sees the old pair or the new one, never a half-changed pair (two
 * separate stores would let a frame racing promisc -> allmulti see
 * neither, and a multicast frame both modes take would be lost; on
 * x86 that takes a preemption between the two stores, so
 * test_netdev_rx_mode_race guards it rather than catches it). Relaxed suffices: the byte is the whole
 * message (no other data is read because of it); a frame of a doorbell
 * rung after set_rx_mode returned, in that thread or one synchronised
 * with it, reads the new value by coherence of the one location; a frame
 * in flight during the change takes either, as on the card.
 */
static inline uint8_t
emu_nd_flags(const struct emu_port *port)
{
	return __atomic_load_n(&port->nd.rx_mode, __ATOMIC_RELAXED);
}

/*
 * Steering domains of device-managed flow steering, highest first:
 *  1. the uverbs rules (mlx4_ib main.c __mlx4_ib_create_flow: priority
 *     MLX4_DOMAIN_UVERBS | attr->priority, 0x1000...), by priority then
 *     age;
 *  2. the netdev's own rules while it is up (mlx4_en: its MAC
 *     (en_netdev.c mlx4_en_uc_steer_add), broadcast and the multicast
 *     addresses it joined (mlx4_en_start_port, mlx4_en_do_set_rx_mode,
 *     mcg.c mlx4_multicast_attach), MLX4_DOMAIN_NIC, 0x5000; on a PF
 *     without SR-IOV mlx4_core main.c mlx4_handle_eth_header_mcast_prio
 *     does not move uverbs multicast rules down to it, mlx4_is_master
 *     being false);
 *  3. the default rules, MLX4_FS_MC_DEFAULT / MLX4_FS_ALL_DEFAULT
 *     (ibv ALL_DEFAULT / MC_DEFAULT, mlx4_ib_create_flow): they catch
 *     only what no rule matched, as mlx4_en's own promiscuous mode uses
 *     them (en_netdev.c mlx4_en_set_promisc_mode). Among them by
 *     priority: the netdev's own (IFF_PROMISC: ALL_DEFAULT, IFF_ALLMULTI:
 *     MC_DEFAULT, mlx4_en_do_multicast) at priority 0, since mcg.c
 *     mlx4_flow_steer_promisc_add sets none (trans_rule_ctrl_to_hw copies
 *     rule->priority), first; then the uverbs ones, 0x1000 | priority.
 * Every rule steals what it takes: mlx4_ib programs no DONT_TRAP
 * (duplicating) rule unless asked (main.c mlx4_ib_add_dont_trap_rule,
 * which the emulated device refuses), and a PF without SR-IOV has no
 * eSwitch loopback, so a frame goes to one place, never to both the
 * netdev and a uverbs QP.
 * Returns the uverbs rule that takes the frame, NULL when the netdev
 * takes it, EMU_STEER_MISS when nothing does. rx_lock held.
 */
static struct emu_flow *
emu_steer(struct emu_port *port, const uint8_t *d, const struct emu_pkt *p,
	  uint8_t nd_flags)
{
	uint32_t i;

	/* rules[] is sorted: normal rules (by priority, age), then default */
	for (i = 0; i < port->nb_rules && port->rules[i]->cls == 0; i++)
		if (emu_rule_match(port->rules[i], d, p))
			return port->rules[i];
	if (emu_netdev_claims(port, d))
		return NULL;
	if ((nd_flags & EMU_ND_PROMISC) ||
	    (emu_mac_is_mcast(d) && (nd_flags & EMU_ND_ALLMULTI)))
		return NULL;
	for (; i < port->nb_rules; i++)
		if (emu_rule_match(port->rules[i], d, p))
			return port->rules[i];
	return EMU_STEER_MISS;
}

static uint32_t
emu_rss_hash(const struct emu_qp *qp, const uint8_t *d,
	     const struct emu_pkt *p)
{
	const uint64_t f = qp->hash_fields;
	uint8_t in[EMU_RSS_INPUT_MAX];
	uint32_t n = 0, i, h = 0;
	bool ports = false;

	if (p->ipv == 4) {
		if (f & IBV_RX_HASH_SRC_IPV4) {
			memcpy(in + n, d + p->l3 + 12, 4);
			n += 4;
		}
		if (f & IBV_RX_HASH_DST_IPV4) {
			memcpy(in + n, d + p->l3 + 16, 4);
			n += 4;
		}
	} else if (p->ipv == 6) {
		if (f & IBV_RX_HASH_SRC_IPV6) {
			memcpy(in + n, d + p->l3 + 8, 16);
			n += 16;
		}
		if (f & IBV_RX_HASH_DST_IPV6) {
			memcpy(in + n, d + p->l3 + 24, 16);
			n += 16;
		}
	}
	if (p->proto == IPPROTO_TCP) {
		ports = true;
		if (f & IBV_RX_HASH_SRC_PORT_TCP) {
			memcpy(in + n, d + p->l4, 2);
			n += 2;
		}
		if (f & IBV_RX_HASH_DST_PORT_TCP) {
			memcpy(in + n, d + p->l4 + 2, 2);
			n += 2;
		}
	} else if (p->proto == IPPROTO_UDP) {
		ports = true;
		if (f & IBV_RX_HASH_SRC_PORT_UDP) {
			memcpy(in + n, d + p->l4, 2);
			n += 2;
		}
		if (f & IBV_RX_HASH_DST_PORT_UDP) {
			memcpy(in + n, d + p->l4 + 2, 2);
			n += 2;
		}
	}
	RTE_SET_USED(ports);
	for (i = 0; i < n; i++)
		h ^= qp->rss_tbl[i][in[i]];
	return h;
}

/*
 * Status and checksum field of a receive CQE. Firmware reports a good
 * TCP/UDP checksum both ways, MLX4_CQE_STATUS_L4_CSUM (rdma-core's
 * MLX4_CQE_STATUS_TCP_UDP_CSUM_OK, what upstream net_mlx4 reads) and the
 * checksum field at 0xffff with IPOK (what mlx4_en reads); with
 * conf.rx_csum_field_only it leaves the status bit clear, as firmware
 * mlx4_en copes with does.
 */
static uint32_t
emu_rx_status_hdr(const struct emu_port *port, const struct emu_frame *f,
		  const struct emu_pkt *p, uint16_t *csum, uint8_t *sum,
		  bool *udp0)
{
	const uint8_t *d = f->data;
	uint32_t st = 0;

	*csum = 0;
	*sum = EMU_RX_SUM_NONE;
	*udp0 = false;
	if (p->ipv == 4) {
		st |= MLX4R_CQE_STATUS_IPV4;
		if (p->frag)
			st |= MLX4R_CQE_STATUS_IPV4F;
		if (p->ipopt)
			st |= MLX4R_CQE_STATUS_IPV4OPT;
	} else if (p->ipv == 6) {
		st |= MLX4R_CQE_STATUS_IPV6;
		if (p->frag)
			st |= MLX4R_CQE_STATUS_IPV6F;
	} else {
		return 0;
	}
	if ((f->csum_known & EMU_CSUM_L3_OK) || emu_l3_ok(d, p))
		st |= MLX4R_CQE_STATUS_IP_HDR_CSUM_OK;
	if (p->proto == 0) {
		*sum = EMU_RX_SUM_L3;
		return st;
	}
	st |= p->proto == IPPROTO_TCP ? MLX4R_CQE_STATUS_TCP :
	      MLX4R_CQE_STATUS_UDP;
	/* computed on Tx (offload, generator): right by construction */
	if (f->csum_known & EMU_CSUM_L4_OK) {
		*csum = 0xffff;
		if (!port->dev->conf.rx_csum_field_only)
			st |= MLX4R_CQE_STATUS_TCP_UDP_CSUM_OK;
		return st;
	}
	*udp0 = emu_udp_no_csum(d, p);
	*sum = EMU_RX_SUM_L4;
	return st;
}

/*
 * The part of the status that sums the payload (@p sum from
 * emu_rx_status_hdr()): the checksum field, and for TCP/UDP whether the
 * segment's checksum is right (or an IPv4 UDP one is absent, @p udp0).
 */
static __rte_always_inline void
emu_rx_status_sum(const struct emu_port *port, const struct emu_frame *f,
		  const struct emu_pkt *p, uint8_t sum, bool udp0,
		  uint32_t *st, uint16_t *csum)
{
	if (sum == EMU_RX_SUM_NONE)
		return;
	/* TCP/UDP (every frame of a forward) inline, the rest called */
	*csum = sum == EMU_RX_SUM_L4 ? emu_l4_csum_field(f->data, p) :
		emu_rx_csum_field(f->data, f->len, p);
	if (sum == EMU_RX_SUM_L4 && (*csum == 0xffff || udp0) &&
	    !port->dev->conf.rx_csum_field_only)
		*st |= MLX4R_CQE_STATUS_TCP_UDP_CSUM_OK;
}

/* emu_rx_status_hdr() and emu_rx_status_sum(): the whole status. */
static uint32_t
emu_rx_status(const struct emu_port *port, const struct emu_frame *f,
	      const struct emu_pkt *p, uint16_t *csum)
{
	uint32_t st;
	uint8_t sum;
	bool udp0;

	st = emu_rx_status_hdr(port, f, p, csum, &sum, &udp0);
	emu_rx_status_sum(port, f, p, sum, udp0, &st, csum);
	return st;
}

/*
 * A VXLAN frame on a ConnectX-3 Pro: the CQE's status and checksum field
 * describe the inner headers, vlan_my_qpn's MLX4R_CQE_L2_TUNNEL* bits
 * the outer ones (what upstream net_mlx4 reads: mlx4_rxtx.c
 * rxq_cq_to_pkt_type, mlx4_cqe_flags; mlx4_en en_rx.c
 * mlx4_en_process_rx_cq sets csum_level 1 on MLX4_CQE_L2_TUNNEL).
 * @return the vlan_my_qpn bits (0: not a tunnelled frame, *st and *csum
 *   untouched).
 */
static uint32_t
emu_rx_tunnel(const struct emu_port *port, const struct emu_frame *f,
	      const struct emu_pkt *p, uint32_t *st, uint16_t *csum)
{
	const uint8_t *d = f->data;
	struct emu_frame in;
	struct emu_pkt ip;
	uint32_t at, bits = MLX4R_CQE_L2_TUNNEL;
	uint16_t oc;

	at = emu_vxlan_inner(d, p);
	if (at == 0)
		return 0;
	if (p->ipv == 4) {
		bits |= MLX4R_CQE_L2_TUNNEL_IPV4;
		if ((f->csum_known & EMU_CSUM_L3_OK) || emu_l3_ok(d, p))
			bits |= MLX4R_CQE_L2_TUNNEL_IPOK;
	}
	oc = (f->csum_known & EMU_CSUM_L4_OK) ? 0xffff :
	     emu_rx_csum_field(d, f->len, p);
	if (oc == 0xffff || emu_udp_no_csum(d, p))
		bits |= MLX4R_CQE_L2_TUNNEL_CSUM;
	in.data = d + at;
	in.len = p->l4 + p->l4_len - at;
	in.csum_known = 0;
	emu_parse(in.data, in.len, &ip);
	*st = emu_rx_status(port, &in, &ip, csum);
	return bits;
}

/*
 * A receive WQ in the error state completes every WQE posted to it with a
 * flush error (IB: outstanding and newly posted work requests of a queue
 * in error complete with IBV_WC_WR_FLUSH_ERR), as many as its CQ holds.
 * Called with the bound port's rx_lock held, or when it is not bound.
 * @return the WQEs flushed.
 */
uint32_t
emu_wq_flush(struct emu_wq *wq)
{
	uint32_t pi, n = 0;

	if (wq->state != IBV_WQS_ERR)
		return 0;
	/* Pairs with the driver's doorbell record store (see top). */
	pi = rte_be_to_cpu_32(__atomic_load_n(wq->rdb, __ATOMIC_ACQUIRE));
	while (((pi - wq->ci) & 0xffff) != 0 &&
	       emu_err_cqe(wq->cq, wq->hw.wq_num, (uint16_t)wq->ci,
			   MLX4_CQE_SYNDROME_WR_FLUSH_ERR, MLX4R_EMU_VERR_FLUSH,
			   false)) {
		wq->ci++;
		n++;
	}
	/* ci may have passed the record's value the Rx path kept */
	wq->pi_seen = pi;
	return n;
}

/*
 * The Ethernet FCS of a frame: CRC-32 of IEEE 802.3 (reflected polynomial
 * 0xedb88320, initial and final value all ones), sent least significant
 * byte first; four bits at a time.
 */
static uint32_t
emu_eth_fcs(const uint8_t *d, uint32_t len)
{
	static const uint32_t nib[16] = {
		0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac,
		0x76dc4190, 0x6b6b51f4, 0x4db26158, 0x5005713c,
		0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c,
		0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c,
	};
	uint32_t c = 0xffffffff, i;

	for (i = 0; i < len; i++) {
		c ^= d[i];
		c = (c >> 4) ^ nib[c & 15];
		c = (c >> 4) ^ nib[c & 15];
	}
	return ~c;
}

/*
 * The receive copy of a large frame, the model's stand-in for the card's
 * DMA write into a buffer posted one ring earlier (512 WQEs of each port
 * by default), whose lines have left this core's L2 by then. x86's
 * "rep movsb" on a CPU with ERMS (enhanced rep movsb/stosb,
 * CPUID.(EAX=7):EBX bit 9) may write whole lines without reading them in
 * first (Intel's optimization manual, "Enhanced REP MOVSB and STOSB
 * operation"), where vector stores read each line for ownership; why it
 * gains here was not measured (no PMU in the guests). Measured in
 * testpmd's looping forward (mlx4r_perf.rst, "The 1500 B copy"): 1.0 to
 * 1.25 times libc's memcpy from 640 to 1500 bytes, 0.87 to 0.94 at 512
 * to 600 bytes, hence EMU_RX_COPY_REP_MIN; non-temporal stores, which
 * send the lines to memory for the send's gather to read back, 0.2 to
 * 0.6. glibc's memcpy takes rep movsb only from 2112 bytes on this CPU
 * (its x86_rep_movsb_threshold).
 */
enum emu_csum_isa emu_csum_isa = EMU_CSUM_SCALAR;

/*
 * DPDK's rule for vector paths: what the CPU has, within the bit width
 * EAL allows (rte_vect_get_max_simd_bitwidth(): 256 by default on x86,
 * --force-max-simd-bitwidth=128 for the scalar sums), as the PMDs with
 * vector paths pick them. Measured in the looping forward at 1500 B
 * (mlx4r_perf.rst, "The 1500 B checksum in vector registers").
 */
static void
emu_csum_pick_once(void)
{
	enum emu_csum_isa isa = EMU_CSUM_SCALAR;

#ifdef EMU_CSUM_HAVE_X86_VEC
	if (rte_vect_get_max_simd_bitwidth() >= RTE_VECT_SIMD_256 &&
	    rte_cpu_get_flag_enabled(RTE_CPUFLAG_AVX2) > 0)
		isa = EMU_CSUM_AVX2;
#endif
	__atomic_store_n(&emu_csum_isa, isa, __ATOMIC_RELAXED);
	EMU_LOG(DEBUG, "receive checksum: %s",
		isa == EMU_CSUM_AVX2 ? "AVX2" : "scalar");
}

void
emu_csum_pick(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, emu_csum_pick_once);
}

#ifndef EMU_RX_COPY_REP_MIN
#define EMU_RX_COPY_REP_MIN 640
#endif
#ifdef RTE_ARCH_X86_64
static bool emu_rx_copy_erms;

RTE_INIT(emu_rx_copy_init)
{
	/* set once at load, before any device exists; read only after */
	emu_rx_copy_erms = rte_cpu_get_flag_enabled(RTE_CPUFLAG_ERMS) > 0;
}
#endif

static __rte_always_inline void
emu_rx_copy_large(uint8_t *dst, const uint8_t *src, uint32_t n)
{
#ifdef RTE_ARCH_X86_64
	if (likely(emu_rx_copy_erms)) {
		size_t c = n;

		__asm__ volatile("rep movsb"
				 : "+D"(dst), "+S"(src), "+c"(c)
				 :
				 : "memory");
		return;
	}
#endif
	memcpy(dst, src, n);
}

/* Bytes [off, off + n) of the frame as delivered: data, then @p fcs. */
static __rte_always_inline void
emu_rx_copy(uint8_t *dst, const struct emu_frame *f, const uint8_t *fcs,
	    uint32_t off, uint32_t n)
{
	/* all of it from the frame (no FCS bytes): the common case first */
	uint32_t k = likely(off + n <= f->len) ? n :
		     off < f->len ? f->len - off : 0;

	/*
	 * 32 to 64 bytes (minimum-size frames): two fixed 32-byte copies
	 * that overlap in the middle, a few vector moves inline instead of
	 * a call into libc's memcpy (10 instructions fewer a frame,
	 * callgrind-fwd.sh). The frame and the receive buffer never
	 * overlap: a WQE's buffer is the device's to write, not a frame
	 * in flight.
	 */
	if (k >= 32 && k <= 64) {
		memcpy(dst, f->data + off, 32);
		memcpy(dst + k - 32, f->data + off + k - 32, 32);
	} else if (k >= EMU_RX_COPY_REP_MIN) {
		emu_rx_copy_large(dst, f->data + off, k);
	} else if (k != 0) {
		memcpy(dst, f->data + off, k);
	}
	if (k < n)
		memcpy(dst + k, fcs + (off + k - f->len), n - k);
}

/*
 * Whether @p port takes a frame at all: the device is alive, the port
 * open, the frame within its MTU. Counts what it refuses.
 */
static inline bool
emu_rx_gate(struct emu_port *port, const struct emu_frame *f)
{
	if (unlikely(__atomic_load_n(&port->dev->fatal, __ATOMIC_RELAXED)))
		return false;
	/*
	 * While the netdev is down mlx4_en keeps the port closed (Linux
	 * en_netdev.c mlx4_en_stop_port: mlx4_CLOSE_PORT): nothing comes in.
	 */
	if (unlikely(!__atomic_load_n(&port->nd.up, __ATOMIC_RELAXED))) {
		EMU_INC(port->st.rx_port_down, 1);
		return false;
	}
	/*
	 * The port takes frames up to its MTU: mlx4_en_start_port programs
	 * it with mlx4_SET_PORT_general(MLX4_EN_EFF_MTU(mtu) + FCS)
	 * (en_rx.c mlx4_en_calc_rx_buf); larger ones are dropped.
	 */
	if (unlikely(f->len > EMU_PORT_MAX_FRAME(__atomic_load_n(&port->nd.mtu,
							  __ATOMIC_RELAXED)))) {
		EMU_INC(port->st.rx_oversize, 1);
		return false;
	}
	return true;
}

/*
 * emu_rx_gate() as a bound on a frame's length (emu_rx_run.rx_lim): the
 * largest frame @p port takes plus one, or 0 when it takes none.
 */
static __rte_always_inline uint32_t
emu_rx_gate_lim(const struct emu_port *port)
{
	if (unlikely(__atomic_load_n(&port->dev->fatal, __ATOMIC_RELAXED)) ||
	    unlikely(!__atomic_load_n(&port->nd.up, __ATOMIC_RELAXED)))
		return 0;
	return EMU_PORT_MAX_FRAME(__atomic_load_n(&port->nd.mtu,
						  __ATOMIC_RELAXED)) + 1;
}

/*
 * emu_rx_gate() for a frame of run @p run, on what the gate read at the
 * run's first frame at @p port: one compare a frame instead of three
 * loads and three tests. The three inputs are written by other threads
 * under dev->lock, not the rx_lock (mlx4r_emu_fault_fatal(): "a burst
 * in flight may finish"; mlx4r_emu_netdev_set_up() and _set_mtu()), and
 * read relaxed either way, so a frame could already see them as of an
 * earlier moment; sampled, that moment is the start of the run (one Tx
 * doorbell's walk, one generator pump), as a frame already in a card's
 * pipeline when the port closes still arrives. A frame the sample
 * refuses goes through the live gate, which counts it (rx_port_down,
 * rx_oversize) or, the port open meanwhile, takes it and renews the
 * sample: the sample only ever lets in what the port took at the run's
 * start.
 */
static __rte_always_inline bool
emu_rx_gate_run(struct emu_port *port, const struct emu_frame *f,
		struct emu_rx_run *run)
{
	if (unlikely(run->gate != port)) {
		run->gate = port;
		run->rx_lim = emu_rx_gate_lim(port);
	}
	if (likely(f->len < run->rx_lim))
		return true;
	if (!emu_rx_gate(port, f))
		return false;
	run->rx_lim = emu_rx_gate_lim(port);
	return true;
}

/*
 * What the receive side decides from a frame's headers and the port's
 * steering, before it looks at a WQE: steering domain and rule, the RSS
 * QP and its hash, the WQ, the CQE's status and checksum field. Returns
 * false when the frame does not go to a WQ (the netdev's, or dropped:
 * counted here). Nothing here reads a byte past v->key_len (the
 * headers up to the first 8 bytes of TCP/UDP), except for a tunnelled
 * frame, or one that may be (UDP to the VXLAN port on a ConnectX-3 Pro):
 * v->same is false then. The sums over the payload are left to
 * emu_rx_place() (v->sum), which makes them for every frame. So the
 * verdict holds for any frame of the same length, csum_known and first
 * key_len bytes while the steering it read is unchanged: see
 * emu_rx_deliver_seq() and emu_rx_deliver_tx_in(). port->rx_lock held.
 */
static bool
emu_rx_classify(struct emu_port *port, const struct emu_frame *f,
		struct emu_rx_verdict *v)
{
	struct emu_flow *rule;
	struct emu_qp *qp;
	struct emu_wq *wq;
	struct emu_pkt p;
	enum ibv_qp_state qs;
	uint32_t hash;

	v->nd_flags = emu_nd_flags(port);
	emu_parse(f->data, f->len, &p);
	rule = emu_steer(port, f->data, &p, v->nd_flags);
	if (rule == NULL) {
		/* the netdev's: up its Rx ring to the kernel (en_rx.c) */
		EMU_INC(port->st.netdev_rx, 1);
		if (port->nd.rx_fn != NULL &&
		    !port->nd.rx_fn(port->nd.rx_arg, port->num, f->data,
				    f->len))
			EMU_INC(port->st.netdev_rx_dropped, 1);
		return false;
	}
	if (rule == EMU_STEER_MISS || rule->qp->hw.kind != MLX4R_HW_QP_RSS)
		goto drop;
	qp = rule->qp;
	qs = __atomic_load_n(&qp->state, __ATOMIC_ACQUIRE);
	if (qs != IBV_QPS_RTR && qs != IBV_QPS_RTS)
		goto drop;
	hash = emu_rss_hash(qp, f->data, &p);
	wq = qp->ind->wqs[hash & qp->ind->mask];
	if (wq->state != IBV_WQS_RDY || wq->port != port->num)
		goto drop;
	v->qp = qp;
	v->wq = wq;
	v->hash = hash;
	v->p = p;
	v->status = emu_rx_status_hdr(port, f, &p, &v->csum, &v->sum,
				      &v->udp0);
	v->same = true;
	if (unlikely(port->dev->conf.pro) && !port->dev->conf.vf &&
	    p.proto == IPPROTO_UDP) {
		v->tun = emu_rx_tunnel(port, f, &p, &v->status, &v->csum);
		if (v->tun != 0)
			v->sum = EMU_RX_SUM_NONE; /* all of it, inner too */
		/* emu_vxlan_inner() read the VXLAN flags */
		v->same = (uint16_t)(f->data[p.l4 + 2] << 8 |
				     f->data[p.l4 + 3]) != MLX4R_VXLAN_PORT;
	} else {
		v->tun = 0;
	}
	v->cqe_head[0] = rte_cpu_to_be_32(wq->hw.wq_num | v->tun);
	v->cqe_head[1] = rte_cpu_to_be_32(hash);
	v->cqe_head[2] = 0; /* g_mlpath_rqpn */
	v->cqe_head[3] = 0; /* sl_vid, rlid (ts_47_16) */
	/*
	 * status and byte_cnt as emu_rx_place() stores them, for the
	 * frames a verdict serves (all of this one's length: see
	 * emu_rx_deliver_tx_in() and emu_rx_deliver_seq()) when no sum
	 * is left per frame
	 */
	v->cqe_w8 = (uint64_t)rte_cpu_to_be_32(f->len + (wq->scatter_fcs ?
							RTE_ETHER_CRC_LEN : 0))
		    << 32 | rte_cpu_to_be_32(v->status);
	if (p.l4 != 0)
		v->key_len = p.l4 + 8u;
	else if (p.ipv == 4)
		v->key_len = p.l3 + (f->data[p.l3] & 0xf) * 4u;
	else if (p.ipv == 6)
		v->key_len = p.l3 + 40u;
	else /* what emu_parse() may have read of an IP header */
		v->key_len = RTE_MIN(f->len, p.l3 + 40u);
	return true;
drop:
	EMU_INC(port->st.rx_dropped, 1);
	return false;
}

/*
 * The per-frame part of a delivery into the WQ of verdict @p v: the
 * posted WQE, its MR checks, the copy and the CQE, every one for every
 * frame. The QP's and the WQ's state are the verdict's: emu_rx_classify()
 * tested them for the run's first frame, and they serve the run as the
 * port gate's sample does (emu_rx_gate_run()). The WQ's state and ci
 * change under rx_lock only (emu_modify_wq(), mlx4r_emu_obj.c), which the
 * run holds throughout, or here: a WQ this frame puts in error (a
 * protection error) ends the run, false returned. The RSS QP's state is
 * stored without rx_lock (emu_modify_qp(): "a stale state for one frame
 * is what hardware does too") and, read once a run, is now stale for at
 * most a run (one generator pump, one doorbell's walk): the frames a card
 * already has in its pipeline when the QP leaves RTR. The QP and the WQ
 * stay allocated while the run holds rx_lock (mlx4r_emu_obj.c): the rule
 * that led to them leaves the steering table only under it
 * (emu_destroy_flow_locked(), emu_detach_flows_locked()), a QP with rules
 * is not destroyed (EBUSY), nor a WQ that an indirection table holds, nor
 * a table that a QP holds (users).
 * @p tally: where the frames received and their bytes are counted, to be
 * added to port->st by the caller when its run ends; NULL: to port->st
 * at once. port->rx_lock held.
 */
static __rte_always_inline bool
emu_rx_place(struct emu_port *port, const struct emu_frame *f,
	     const struct emu_rx_verdict *v, struct emu_rx_tally *tally)
{
	struct emu_wq *wq = v->wq;
	struct emu_ctx *ctx;
	struct mlx4_cqe *cqe;
	const uint8_t *wqe;
	uint32_t i, pi, off, len;
	uint8_t fcs[RTE_ETHER_CRC_LEN];
	uint32_t status, w4;
	uint16_t csum;
	uint8_t verr = 0;
	uint64_t w8;

	/*
	 * The doorbell record once per WQ's posted batch, not per frame:
	 * the driver's producer index only grows (libmlx4 verbs.c
	 * mlx4_post_wq_recv, upstream mlx4_rxtx.c mlx4_rx_burst: rq_db is
	 * the count of WQEs posted), so WQEs between ci and the value last
	 * read are still posted; the record is read again when ci reaches
	 * it, and a frame then finding no WQE is missed as before.
	 */
	pi = wq->pi_seen;
	if (((pi - wq->ci) & 0xffff) == 0) {
		/* Pairs with the driver's doorbell record store (see top). */
		pi = rte_be_to_cpu_32(__atomic_load_n(wq->rdb,
						      __ATOMIC_ACQUIRE));
		wq->pi_seen = pi;
		if (((pi - wq->ci) & 0xffff) == 0) {
			wq->missed++;
			EMU_INC(port->st.rx_missed, 1);
			return true;
		}
	}
	ctx = wq->ctx;
	/*
	 * A WQ with SCATTER_FCS (the QP context's FCS-keep bit, Linux
	 * mlx4_ib qp.c __mlx4_ib_modify_qp: param3 bit 29) gets the frame's
	 * four FCS bytes after it, counted in the CQE's byte count.
	 */
	len = f->len;
	if (wq->scatter_fcs) {
		uint32_t c = emu_eth_fcs(f->data, f->len);

		for (i = 0; i < RTE_ETHER_CRC_LEN; i++)
			fcs[i] = (uint8_t)(c >> (8 * i));
		len += RTE_ETHER_CRC_LEN;
	}
	wqe = wq->buf + ((size_t)(wq->ci & (wq->cnt - 1)) << wq->shift);
	if (likely(wq->sges == 1 && len != 0)) {
		/*
		 * A one-segment WQE (the driver's default: no Rx scatter):
		 * the loop below for i = 0, without it. The same checks in
		 * the same order: an invalid lkey ends the WQE's list (no
		 * segment: length error), the MR check of the whole
		 * segment, then the bytes it holds against the frame's (the
		 * part that fits is written, as the loop writes it, before
		 * the length error).
		 */
		const struct mlx4_wqe_data_seg *s = (const void *)wqe;
		uint32_t lkey = rte_be_to_cpu_32(s->lkey);
		uint32_t bc = rte_be_to_cpu_32(s->byte_count);
		uint64_t addr = rte_be_to_cpu_64(s->addr);

		if (unlikely(lkey == MLX4_INVALID_LKEY))
			goto length_error;
		if (!emu_mr_check_cached(ctx, &wq->mrc, lkey, wq->pd,
					 addr, bc, IBV_ACCESS_LOCAL_WRITE,
					 &verr))
			goto prot_error;
		if (unlikely(bc < len)) {
			emu_rx_copy((uint8_t *)(uintptr_t)addr, f, fcs, 0, bc);
			goto length_error;
		}
		emu_rx_copy((uint8_t *)(uintptr_t)addr, f, fcs, 0, len);
	} else {
		off = 0;
		for (i = 0; i < wq->sges && off < len; i++) {
			const struct mlx4_wqe_data_seg *s =
				(const void *)(wqe + i * sizeof(*s));
			uint32_t lkey = rte_be_to_cpu_32(s->lkey);
			uint32_t bc = rte_be_to_cpu_32(s->byte_count);
			uint64_t addr = rte_be_to_cpu_64(s->addr);
			uint32_t n;

			if (lkey == MLX4_INVALID_LKEY)
				break;
			if (!emu_mr_check_cached(ctx, &wq->mrc, lkey,
						 wq->pd, addr, bc,
						 IBV_ACCESS_LOCAL_WRITE,
						 &verr))
				goto prot_error;
			n = RTE_MIN(bc, len - off);
			emu_rx_copy((uint8_t *)(uintptr_t)addr, f, fcs, off,
				    n);
			off += n;
		}
		if (off < len)
			goto length_error;
	}
	cqe = emu_cqe_next(wq->cq);
	if (cqe == NULL) {
		EMU_INC(port->st.rx_dropped, 1);
		return true;
	}
	/*
	 * Every byte but the owner's, in four stores: the verdict's first
	 * 16 (vlan_my_qpn, immed_rss_invalid, g_mlpath_rqpn, ts_47_16),
	 * status and byte_cnt as one little-endian word, wqe_index and
	 * checksum (memory order) as another, the timestamp bytes 0.
	 */
	RTE_BUILD_BUG_ON(RTE_BYTE_ORDER != RTE_LITTLE_ENDIAN);
	RTE_BUILD_BUG_ON(offsetof(struct mlx4_cqe, status) != 16 ||
			 offsetof(struct mlx4_cqe, byte_cnt) != 20 ||
			 offsetof(struct mlx4_cqe, wqe_index) != 24 ||
			 offsetof(struct mlx4_cqe, checksum) != 26 ||
			 offsetof(struct mlx4_cqe, reserved3) != 28);
	memcpy(cqe, v->cqe_head, sizeof(v->cqe_head));
	csum = v->csum;
	if (likely(v->sum == EMU_RX_SUM_NONE)) {
		/* status and checksum field final: the verdict's word */
		w8 = v->cqe_w8;
	} else {
		status = v->status;
		emu_rx_status_sum(port, f, &v->p, v->sum, v->udp0, &status,
				  &csum);
		w8 = (uint64_t)rte_cpu_to_be_32(len) << 32 |
		     rte_cpu_to_be_32(status);
	}
	memcpy(&cqe->status, &w8, sizeof(w8));
	w4 = (uint32_t)csum << 16 | rte_cpu_to_be_16((uint16_t)wq->ci);
	memcpy(&cqe->wqe_index, &w4, sizeof(w4));
	cqe->reserved3 = 0;
	cqe->ts_15_8 = 0;
	cqe->ts_7_0 = 0;
	emu_cqe_commit(wq->cq, cqe, MLX4_RECV_OPCODE_SEND);
	wq->ci++;
	if (tally != NULL) {
		tally->frames++;
		tally->bytes += len;
	} else {
		EMU_INC(port->st.rx_frames, 1);
		EMU_INC(port->st.rx_bytes, len);
	}
	return true;
length_error:
	/* Frame larger than the WQE: consumed with an error CQE. */
	if (emu_err_cqe(wq->cq, wq->hw.wq_num, (uint16_t)wq->ci,
			MLX4_CQE_SYNDROME_LOCAL_LENGTH_ERR,
			MLX4R_EMU_VERR_LENGTH, false))
		wq->ci++;
	EMU_INC(port->st.rx_errors, 1);
	return true;
prot_error:
	/*
	 * A receive WQE the device may not write: an error CQE, the WQ goes
	 * to error and its other WQEs are flushed. No async event: mlx4_ib
	 * drops every WQ event (Linux 6.1 qp.c mlx4_ib_wq_event(), "Events
	 * are not supported for WQs"), so the driver learns it from the
	 * CQEs only.
	 */
	emu_err_cqe(wq->cq, wq->hw.wq_num, (uint16_t)wq->ci,
		    MLX4_CQE_SYNDROME_LOCAL_PROT_ERR, verr, false);
	wq->ci++;
	wq->state = IBV_WQS_ERR;
	EMU_INC(port->st.rx_errors, 1 + emu_wq_flush(wq));
	return false;
}

/*
 * Deliver a frame that arrived at @p port. Called with port->rx_lock held
 * (from the Tx engine of a port wired to this one, or from this port's
 * pump).
 */
void
emu_rx_deliver(struct emu_port *port, const struct emu_frame *f)
{
	struct emu_rx_verdict v;

	if (emu_rx_gate(port, f) && emu_rx_classify(port, f, &v))
		emu_rx_place(port, f, &v, NULL);
}

/*
 * emu_rx_place() for up to @p n frames of the generator's run at once,
 * frame j being @p f with the big-endian seq + j at @p seq_at, while each
 * is the common case: the verdict's CQE word final (no payload sum), a
 * one-segment WQE without FCS, its lkey the one the WQ's MR cache holds
 * and its buffer large enough, a CQ without a completion channel. The
 * WQEs posted and the CQ's room are counted once for the batch, as
 * emu_rx_place() counts them (the doorbell record read when the WQEs
 * seen run out, the room counted down); every frame's WQE, its lkey
 * against the cache (the table's generation read for each, as there),
 * its byte count and the CQE are the frame's own. The indexes in locals,
 * stored when the batch ends. Returns the frames placed: it stops before
 * the first frame that is not that case (0: the next frame), which
 * emu_rx_place() then takes with its errors and counters. port->rx_lock
 * held, the verdict valid for the run (see emu_rx_place()).
 */
static __rte_always_inline uint64_t
emu_rx_place_seq(const struct emu_frame *f, const struct emu_rx_verdict *v,
		 uint8_t *seq_at, uint64_t seq, uint64_t n,
		 struct emu_rx_tally *tally)
{
	struct emu_wq *wq = v->wq;
	struct emu_cq *cq = wq->cq;
	struct emu_ctx *ctx = wq->ctx;
	const struct emu_mr_cache *mc = &wq->mrc;
	const uint8_t *wbuf = wq->buf;
	uint8_t *cbuf = cq->buf;
	const uint32_t wmask = wq->cnt - 1, wshift = wq->shift;
	const uint32_t ccnt = cq->cnt, csize = cq->cqe_size;
	const uint32_t len = f->len;
	const uint64_t w8 = v->cqe_w8;
	const uint32_t csum16 = (uint32_t)v->csum << 16;
	uint32_t ci = wq->ci, cpi = cq->pi, avail, k, j;
	uint64_t v64;

	if (unlikely(v->sum != EMU_RX_SUM_NONE || wq->sges != 1 ||
		     wq->scatter_fcs || cq->ch != NULL || len == 0))
		return 0;
	/* emu_rx_place()'s doorbell record rule */
	avail = (wq->pi_seen - ci) & 0xffff;
	if (avail == 0) {
		/* Pairs with the driver's doorbell record store (see top). */
		wq->pi_seen = rte_be_to_cpu_32(__atomic_load_n(wq->rdb,
							       __ATOMIC_ACQUIRE));
		avail = (wq->pi_seen - ci) & 0xffff;
	}
	k = (uint32_t)RTE_MIN(n, (uint64_t)RTE_MIN(avail, cq->room));
	for (j = 0; j < k; j++) {
		const struct mlx4_wqe_data_seg *s = (const void *)
			(wbuf + ((size_t)(ci & wmask) << wshift));
		const uint32_t lkey = rte_be_to_cpu_32(s->lkey);
		const uint32_t bc = rte_be_to_cpu_32(s->byte_count);
		const uint64_t addr = rte_be_to_cpu_64(s->addr);
		const uint64_t gen = __atomic_load_n(&ctx->mr_gen,
						     __ATOMIC_ACQUIRE);
		struct mlx4_cqe *cqe;
		uint32_t w4;

		/*
		 * emu_mr_check_cached()'s hit for the whole segment, as
		 * emu_rx_place() checks it, and a segment that holds the
		 * frame; anything else is emu_rx_place()'s
		 */
		if (unlikely(lkey == MLX4_INVALID_LKEY || lkey != mc->lkey ||
			     gen != mc->gen || addr < mc->start ||
			     addr + bc > mc->end || addr + bc < addr ||
			     bc < len))
			break;
		v64 = rte_cpu_to_be_64(seq + j);
		memcpy(seq_at, &v64, sizeof(v64));
		emu_rx_copy((uint8_t *)(uintptr_t)addr, f, NULL, 0, len);
		/* emu_rx_place()'s CQE, its last word with the owner byte */
		cqe = (struct mlx4_cqe *)(cbuf +
			(size_t)(cpi & (ccnt - 1)) * csize + (csize - 32));
		memcpy(cqe, v->cqe_head, sizeof(v->cqe_head));
		memcpy(&cqe->status, &w8, sizeof(w8));
		w4 = csum16 | rte_cpu_to_be_16((uint16_t)ci);
		memcpy(&cqe->wqe_index, &w4, sizeof(w4));
		/*
		 * reserved3, ts_15_8, ts_7_0 (0) and owner_sr_opcode in one
		 * store, with emu_cqe_commit()'s release. It pairs with the
		 * driver's read of the owner byte, then its read barrier,
		 * then the body (mlx4r_rxtx.c mlx4r_rx_frames1()): the owner
		 * byte comes with or after every other byte of the CQE, and
		 * the three bytes stored with it are not ones the driver
		 * reads before the owner
		 */
		RTE_BUILD_BUG_ON(offsetof(struct mlx4_cqe, owner_sr_opcode) !=
				 31);
		__atomic_store_n((uint32_t *)(void *)&cqe->reserved3,
				 (uint32_t)(MLX4_RECV_OPCODE_SEND |
					    ((cpi & ccnt) ?
					     MLX4_CQE_OWNER_MASK : 0)) << 24,
				 __ATOMIC_RELEASE);
		ci++;
		cpi++;
	}
	wq->ci = ci;
	cq->pi = cpi;
	cq->room -= j;
	tally->frames += j;
	tally->bytes += (uint64_t)j * len;
	return j;
}

/*
 * The generator's run (one flow: the same frame but for its sequence
 * number, rx_lock held throughout). The gate's sample, the verdict and
 * the netdev flags it read are taken or checked at the run's first
 * frame, and again only after a frame the gate refused or the verdict
 * could not serve (a tunnelled one: v->same false) or that ended the
 * verdict (emu_rx_place() false); for the frames between, the frame's
 * length and headers being those checked, what the checks would find is
 * what they found, but for the inputs other threads store without
 * rx_lock (dead device, netdev up, MTU, promiscuous and all-multicast
 * flags, the RSS QP's state), which count as of the run's first frame:
 * see emu_rx_gate_run() and emu_rx_place(). The frames after the checks
 * go in batches (emu_rx_place_seq()), a frame the batch does not take
 * through emu_rx_place().
 */
void
emu_rx_deliver_seq(struct emu_port *port, const struct emu_frame *f,
		   struct emu_rx_run *run, uint8_t *seq_at, uint64_t seq,
		   uint64_t n)
{
	/*
	 * The frame in locals: the compiler cannot tell that the stores into
	 * receive buffers and CQEs leave *f alone, and would load it again
	 * for every frame.
	 */
	const struct emu_frame fr = *f;
	struct emu_rx_tally tally = { 0, 0 };
	bool checked = false;
	uint64_t v64, k;

	while (n != 0) {
		if (unlikely(!checked)) {
			v64 = rte_cpu_to_be_64(seq);
			memcpy(seq_at, &v64, sizeof(v64));
			if (!emu_rx_gate_run(port, &fr, run))
				goto next;
			if (!run->valid ||
			    run->v.nd_flags != emu_nd_flags(port)) {
				run->valid = false;
				if (!emu_rx_classify(port, f, &run->v))
					goto next;
				run->valid = run->v.same;
			}
			/* fr.len < run->rx_lim now, for every frame of it */
			checked = run->valid;
			if (!checked)
				goto one; /* a verdict for this frame only */
		}
		k = emu_rx_place_seq(&fr, &run->v, seq_at, seq, n, &tally);
		n -= k;
		seq += k;
		if (n == 0)
			break;
		/* the next frame is not the batch's case */
		v64 = rte_cpu_to_be_64(seq);
		memcpy(seq_at, &v64, sizeof(v64));
one:
		if (unlikely(!emu_rx_place(port, &fr, &run->v, &tally))) {
			run->valid = false;
			checked = false;
		}
next:
		n--;
		seq++;
	}
	EMU_INC(port->st.rx_frames, tally.frames);
	EMU_INC(port->st.rx_bytes, tally.bytes);
}

#if defined(RTE_ARCH_X86) && defined(__SSE2__)
/* The bytes that differ between 16 at @p a and 16 at @p b (non-zero). */
static __rte_always_inline __m128i
emu_xor16(const uint8_t *a, const uint8_t *b)
{
	return _mm_xor_si128(_mm_loadu_si128((const void *)a),
			     _mm_loadu_si128((const void *)b));
}
#endif

/*
 * Whether the first @p n bytes of @p d are the run's key @p key: the
 * verdict's compare, for every frame of a run. Inline 16-byte compares
 * (libc's memcmp was about 16 instructions and a call a frame): the
 * 16-byte blocks from the start, then the block that ends at byte n - 1
 * (overlapping the one before it), so that no load reads a byte at or
 * past n of either buffer: n is at most sizeof(run->key), and at most
 * the frame's length (emu_rx_deliver_tx_in()). Keys of 33 to 48 bytes
 * (IPv4 TCP/UDP: 42, 46 with a VLAN tag) without a loop. Shorter keys
 * (frames under 16 bytes) and other architectures: memcmp.
 */
static __rte_always_inline bool
emu_rx_key_same(const uint8_t *key, const uint8_t *d, uint32_t n)
{
#if defined(RTE_ARCH_X86) && defined(__SSE2__)
	__m128i x;
	uint32_t i;

	if (likely(n > 32 && n <= 48)) {
		x = _mm_or_si128(_mm_or_si128(emu_xor16(key, d),
					      emu_xor16(key + 16, d + 16)),
				 emu_xor16(key + n - 16, d + n - 16));
	} else if (n >= 16) {
		x = emu_xor16(key + n - 16, d + n - 16);
		for (i = 0; i + 16 < n; i += 16)
			x = _mm_or_si128(x, emu_xor16(key + i, d + i));
	} else {
		return memcmp(key, d, n) == 0;
	}
#ifdef __SSE4_1__
	return _mm_testz_si128(x, x) != 0;
#else
	return _mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_setzero_si128())) ==
	       0xffff;
#endif
#else
	return memcmp(key, d, n) == 0;
#endif
}

/*
 * emu_rx_deliver_tx(), inline into the Tx engine's send paths (no call
 * per frame on a loopback or cross-connect wire: emu_wire_port()).
 */
static __rte_always_inline void
emu_rx_deliver_tx_in(struct emu_port *port, const struct emu_frame *f,
		     rte_spinlock_t **held, struct emu_rx_run *run)
{
	struct emu_rx_verdict *v = &run->v;

	/* taken anew: the steering may have changed while it was not held */
	if (*held != &port->rx_lock) {
		run->valid = false;
		emu_lock_switch(held, &port->rx_lock);
	}
	if (!emu_rx_gate_run(port, f, run))
		return;
	/*
	 * The key compare last: with the run valid and of the frame's
	 * length, v->key_len is at most f->len (emu_rx_classify() takes it
	 * from what emu_parse() found inside the frame) and at most
	 * sizeof(run->key) (tested below before the run is made valid).
	 */
	if (!run->valid || run->port != port || run->len != f->len ||
	    run->csum_known != f->csum_known ||
	    v->nd_flags != emu_nd_flags(port) ||
	    !emu_rx_key_same(run->key, f->data, v->key_len)) {
		run->valid = false;
		if (!emu_rx_classify(port, f, v))
			return;
		if (v->same && v->key_len <= sizeof(run->key)) {
			memcpy(run->key, f->data, v->key_len);
			run->port = port;
			run->len = f->len;
			run->csum_known = f->csum_known;
			run->valid = true;
		}
	}
	if (unlikely(!emu_rx_place(port, f, v, NULL)))
		run->valid = false;
}

void
emu_rx_deliver_tx(struct emu_port *port, const struct emu_frame *f,
		  rte_spinlock_t **held, struct emu_rx_run *run)
{
	emu_rx_deliver_tx_in(port, f, held, run);
}

void
emu_rx_hook(void *arg)
{
	struct emu_wq *wq = arg;
	struct emu_dev *dev = wq->ctx->dev;
	struct emu_port *port;
	uint8_t p;

	/* dead device, or a queue of a incarnation before the reset */
	if (unlikely(emu_ctx_frozen(wq->ctx)))
		return;
	emu_dev_run_timers(dev);
	/* Bound when its RSS QP moved to INIT (release there). */
	p = __atomic_load_n(&wq->port, __ATOMIC_ACQUIRE);
	if (p == 0)
		return;
	port = &dev->port[p - 1];
	/*
	 * Another lcore pumping or delivering into this port delivers for
	 * every WQ of it: skip rather than wait.
	 */
	if (!rte_spinlock_trylock(&port->rx_lock))
		return;
	/* WQEs posted to a WQ in error complete in flush error at once */
	if (unlikely(wq->state == IBV_WQS_ERR))
		EMU_INC(port->st.rx_errors, emu_wq_flush(wq));
	emu_wire_pump(port);
	rte_spinlock_unlock(&port->rx_lock);
}

/*
 * Tx.
 *
 * The SQ is 1 << qp->shift byte basic blocks (64-byte TXBBs for the
 * driver's and upstream net_mlx4's 1-SGE QPs); a WQE spans as many
 * blocks as its DS count needs, and its first block's owner bit says
 * whether it is posted (the wrap parity of its index). A block whose owner
 * bit is that of another pass ends the posted WQEs, whatever else it
 * holds: that is all the device looks at (libmlx4 reuses its 1-block
 * WQEs without stamping them; upstream and mlx4_en stamp every freed
 * TXBB 0x7fffffff with the previous pass's owner bit).
 */

void
emu_sq_stamp_all(struct emu_qp *qp)
{
	const uint32_t stride = 1u << qp->shift;
	uint32_t i, k, dwords;

	/*
	 * What libmlx4 writes at RESET->INIT (providers/mlx4/qp.c
	 * mlx4_qp_init_sq_ownership, stamp_send_wqe): each WQE a NOP with
	 * the owner bit of no pass-0 WQE and the size of its stride, every
	 * further 64-byte chunk of it 0xffffffff.
	 */
	for (i = 0; i < qp->txbbs; i++) {
		struct mlx4_wqe_ctrl_seg *c = (void *)(qp->sq +
						       (size_t)i * stride);
		uint8_t fs = (uint8_t)(1u << (qp->shift - 4));

		c->owner_opcode = RTE_BE32(MLX4R_WQE_OWNER_BIT);
		c->fence_size = fs;
		dwords = (uint32_t)(fs & MLX4R_WQE_DS_MASK) << 2;
		for (k = 16; k < dwords; k += 16)
			((uint32_t *)c)[k] = 0xffffffff;
	}
}

/*
 * The ICRC a raw Ethernet send gets without MLX4_WQE_CTRL_SOLICIT: modelled
 * as a CRC32 (the polynomial of the Ethernet FCS and of the IB ICRC) of the
 * frame, appended as 4 bytes; what matters is that the frame leaves 4
 * bytes longer. Only bad WQEs pay for it.
 */
static uint32_t
emu_crc32(const uint8_t *d, uint32_t len)
{
	uint32_t crc = 0xffffffff;
	uint32_t i;
	int k;

	for (i = 0; i < len; i++) {
		crc ^= d[i];
		for (k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320 & (0u - (crc & 1)));
	}
	return ~crc;
}

struct emu_tx_acc {
	uint64_t frames, bytes, dropped, errors;
	/* the receive verdict of this doorbell's frames (emu_rx_deliver_tx) */
	struct emu_rx_run *rx;
	/*
	 * emu_wire_port() of the QP's port at the start of the walk, for
	 * emu_tx_send1(): the port that receives, or NULL and the other
	 * wire. Cabling and links are read without a lock either way
	 * (mlx4r_emu_wire.c: "re-cable a port while its queues are idle,
	 * or accept that a frame in flight takes the old wire"); read once
	 * a walk, the frames in flight are one doorbell's, not one. Nothing
	 * here keeps a cross-connected peer's device alive: the rule asks
	 * that it be unwired and freed only while nothing sends to it, as
	 * it did when the peer was read for every frame.
	 */
	struct emu_port *to;
	enum mlx4r_emu_wire_kind w;
};

/* Blocks of a WQE of @p ds 16-byte units (0 for ds 0). */
static inline uint32_t
emu_wqe_blocks(const struct emu_qp *qp, uint32_t ds)
{
	return (ds + qp->ds_round) >> qp->ds_shift;
}

/* Copy @p len bytes at byte @p off of the WQE at @p base, modulo the SQ. */
static void
emu_sq_read(const struct emu_qp *qp, uint32_t base, uint32_t off,
	    uint8_t *dst, uint32_t len)
{
	const uint32_t size = qp->txbbs << qp->shift;
	uint32_t at = (base + off) & (size - 1);
	uint32_t n = RTE_MIN(len, size - at);

	memcpy(dst, qp->sq + at, n);
	memcpy(dst + n, qp->sq, len - n);
}

/*
 * A VF's frame that the eSwitch switches back to the function itself:
 * the eSwitch takes the destination from the control segment
 * (srcrb_flags16[0], imm), which a multi-function device's drivers fill
 * on every send so that VFs and the PF reach each other without the wire
 * (mlx4_en en_main.c mlx4_en_update_loopback_state:
 * MLX4_EN_FLAG_ENABLE_HW_LOOPBACK when mlx4_is_mfunc(), en_tx.c
 * mlx4_en_xmit; upstream net_mlx4 mlx4_rxtx.c mlx4_tx_burst when txq->lb,
 * mlx4_txq.c: lb = priv->vf). The model's eSwitch knows one vport per
 * port, this VF's, with the port's MAC: a frame whose control segment
 * names it goes to the port's Rx, not the wire; any other MAC (0 when the
 * driver leaves it out) leaves by the wire.
 */
static inline bool
emu_vf_local(const struct emu_qp *qp, const struct emu_port *port,
	     const struct mlx4_wqe_ctrl_seg *ctrl)
{
	return unlikely(qp->vf) &&
	       memcmp(&ctrl->srcrb_flags16[0], port->mac.addr_bytes, 2) == 0 &&
	       memcmp(&ctrl->imm, port->mac.addr_bytes + 2, 4) == 0;
}

/* Hand one frame to the port's loopback or its wire (emu_tx_one's). */
static void
emu_tx_emit(struct emu_qp *qp, struct emu_port *port,
	    const struct mlx4_wqe_ctrl_seg *ctrl, uint32_t flags,
	    struct emu_frame *fr, rte_spinlock_t **held,
	    struct emu_tx_acc *acc)
{
	if ((flags & MLX4R_WQE_CTRL_FORCE_LOOPBACK) ||
	    emu_vf_local(qp, port, ctrl)) {
		if (unlikely(qp->vf) &&
		    (memcmp(&ctrl->srcrb_flags16[0], fr->data, 2) != 0 ||
		     memcmp(&ctrl->imm, fr->data + 2, 4) != 0)) {
			acc->dropped++;
			return;
		}
		emu_rx_deliver_tx(port, fr, held, acc->rx);
	} else if (!emu_wire_tx(port, fr, held, acc->rx)) {
		acc->dropped++;
		return;
	}
	acc->frames++;
	acc->bytes += fr->len;
}

/*
 * The outer headers of the segment @p f (@p len bytes) of a VXLAN LSO
 * WQE (outer headers @p o): IPv4 total length and identification @p id,
 * or IPv6 payload length; UDP length, UDP checksum 0 (what Linux's
 * software GSO makes of a VXLAN skb without SKB_GSO_UDP_TUNNEL_CSUM,
 * net/ipv4/udp_offload.c __skb_udp_tunnel_segment, and what mlx4_en
 * offers: NETIF_F_GSO_UDP_TUNNEL only, en_netdev.c mlx4_en_init_netdev;
 * RFC 7348 allows it over IPv4).
 */
static void
emu_lso_outer(uint8_t *f, uint32_t len, const struct emu_pkt *o, uint32_t id)
{
	uint32_t v;

	if (o->ipv == 4) {
		v = len - o->l3;
		f[o->l3 + 2] = (uint8_t)(v >> 8);
		f[o->l3 + 3] = (uint8_t)v;
		f[o->l3 + 4] = (uint8_t)(id >> 8);
		f[o->l3 + 5] = (uint8_t)id;
	} else {
		v = len - o->l3 - 40;
		f[o->l3 + 4] = (uint8_t)(v >> 8);
		f[o->l3 + 5] = (uint8_t)v;
	}
	v = len - o->l4;
	f[o->l4 + 4] = (uint8_t)(v >> 8);
	f[o->l4 + 5] = (uint8_t)v;
	f[o->l4 + 6] = 0;
	f[o->l4 + 7] = 0;
}

/* Most data segments of an LSO WQE (63 16-byte units, two for control). */
#define EMU_LSO_MAX_SEGS 62

/*
 * An LSO WQE (MLX4_OPCODE_LSO): the control segment, then
 * struct mlx4_wqe_lso_seg (mss << 16 | header size, the header inline)
 * padded to 16 bytes, then data segments of the payload (Linux mlx4_ib
 * qp.c build_lso_seg, mlx4_en en_tx.c mlx4_en_xmit, upstream mlx4_rxtx.c
 * mlx4_tx_burst_tso). The device sends ceil(payload / mss) frames (one
 * for no payload), each the header then the next mss bytes, and fixes
 * each header as TCP segmentation does (Linux net/ipv4/tcp_offload.c
 * tcp_gso_segment, net/ipv4/af_inet.c inet_gso_segment; the LSO the
 * mlx4_en driver hands it: NETIF_F_TSO, a GSO skb's headers once):
 *  - IPv4: total length of the segment, identification + k for the k-th
 *    segment, header checksum (MLX4_WQE_CTRL_IP_HDR_CSUM);
 *  - IPv6: payload length of the segment;
 *  - TCP: sequence number + k * mss; FIN and PSH on the last segment
 *    only, CWR on the first only; the checksum with the pseudo header of
 *    the segment (MLX4_WQE_CTRL_TCP_UDP_CSUM).
 * The checksums follow srcrb's flags as for a send (mlx4_en sets both
 * on every LSO WQE: a GSO skb is CHECKSUM_PARTIAL); what the hardware
 * does without them is not known, the model leaves the field as the
 * header has it. Rules (the WQE is bad otherwise: a local QP operation
 * error, or a local length error for lengths):
 *  - mss and header size not 0; the header Ethernet (one VLAN tag at
 *    most) + IPv4/IPv6 + TCP, not a fragment, TCP's data offset ending
 *    exactly at the header size;
 *  - the LSO segment inside the DS count (max_sq_desc_sz, as a send),
 *    and MLX4R_WQE_CTRL_LSO_BLH in owner_opcode when the LSO segment is
 *    above 64 bytes (mlx4_ib qp.c build_lso_seg sets "blh" then);
 *  - the payload at most max_gso_sz (tso_caps.max_tso); header + mss a
 *    frame the device can build (MLX4R_EMU_MAX_FRAME; the wire drops
 *    frames above the port's MTU, as for a send);
 *  - no VLAN insertion (qpn_vlan ins_vlan; not modelled for LSO).
 * On a ConnectX-3 Pro, an LSO WQE with the inner checksum bits
 * (MLX4R_WQE_CTRL_IIP_CSUM, _IL4_CSUM) is a VXLAN one (upstream
 * mlx4_rxtx.c mlx4_tx_burst_tso_get_params counts the outer headers in
 * its header for RTE_MBUF_F_TX_TUNNEL_*): the header must be Ethernet +
 * IP + UDP to MLX4R_VXLAN_PORT + VXLAN + the TCP headers above; the
 * inner ones are fixed as above, the outer ones by emu_lso_outer (IPv4
 * identification + k as Linux's GSO does for the outer header too), the
 * inner checksums by the bits, the outer IPv4 one by srcrb's flag.
 * Segments count as frames on the port (tx_frames, tx_bytes: what the
 * port's counters see), the WQE once in tx_lso. *total is the bytes sent.
 */
static bool
emu_tx_lso(struct emu_qp *qp, struct emu_port *port,
	   const struct mlx4_wqe_ctrl_seg *ctrl, uint32_t w0, uint32_t ds,
	   rte_spinlock_t **held, struct emu_tx_acc *acc,
	   uint8_t *syn, uint8_t *verr, uint32_t *total)
{
	const uint32_t size_mask = (qp->txbbs << qp->shift) - 1;
	const uint32_t base = (qp->head & (qp->txbbs - 1)) << qp->shift;
	uint32_t flags = rte_be_to_cpu_32(ctrl->srcrb_flags);
	const uint8_t *qv = (const uint8_t *)ctrl + 4; /* qpn_vlan */
	struct { uint64_t addr; uint32_t len; } seg[EMU_LSO_MAX_SEGS];
	uint32_t w, mss, hsz, units, k, nseg, n, si, so, payload = 0;
	uint32_t seq0, tcp, id0 = 0, oid0 = 0, in = 0;
	uint8_t *f = qp->frame;
	struct emu_frame fr;
	struct emu_pkt p, o = { 0 };
	/* a ConnectX-3 Pro takes the inner checksum bits as a tunnel */
	const bool tun = (w0 & (MLX4R_WQE_CTRL_IIP_CSUM |
				MLX4R_WQE_CTRL_IL4_CSUM)) &&
			 qp->ctx->dev->conf.pro && !qp->vf;

	*verr = MLX4R_EMU_VERR_LSO;
	emu_sq_read(qp, base, sizeof(*ctrl), (uint8_t *)&w, sizeof(w));
	w = rte_be_to_cpu_32(w);
	mss = w >> 16;
	hsz = w & 0xffff;
	units = (4 + hsz + 15) / 16;
	if (mss == 0 || hsz == 0 || 1 + units > ds ||
	    hsz + mss > MLX4R_EMU_MAX_FRAME ||
	    (units > 4 && !(w0 & MLX4R_WQE_CTRL_LSO_BLH)) ||
	    (qv[2] & (EMU_WQE_INS_CVLAN | EMU_WQE_INS_SVLAN)))
		return false;
	emu_sq_read(qp, base, sizeof(*ctrl) + 4, f, hsz);
	emu_parse(f, hsz, &p);
	if (tun) {
		/* VXLAN: p the inner headers, o the outer ones */
		o = p;
		in = emu_vxlan_inner(f, &o);
		if (in == 0)
			return false;
		emu_parse(f + in, hsz - in, &p);
		p.l3 += in;
		p.l4 += in;
	}
	if (p.proto != IPPROTO_TCP || p.frag ||
	    p.l4 + (uint32_t)(f[p.l4 + 12] >> 4) * 4 != hsz)
		return false;
	/* the gather list: checked whole before anything is sent */
	for (k = 1 + units, n = 0; k < ds; k++) {
		const struct mlx4_wqe_data_seg *s = (const void *)
			(qp->sq + ((base + k * 16) & size_mask));
		uint32_t bc = rte_be_to_cpu_32(s->byte_count);
		uint64_t addr = rte_be_to_cpu_64(s->addr);
		uint32_t len;

		if (bc & MLX4_INLINE_SEG) {
			if ((bc & ~MLX4_INLINE_SEG) == 0)
				continue; /* an empty segment, as for a send */
			*verr = MLX4R_EMU_VERR_INLINE;
			return false;
		}
		len = bc != 0 ? bc : 1u << 31;
		if (!emu_mr_check_cached(qp->ctx, &qp->mrc,
					 rte_be_to_cpu_32(s->lkey),
					 qp->pd, addr, len, 0, verr)) {
			*syn = MLX4_CQE_SYNDROME_LOCAL_PROT_ERR;
			return false;
		}
		if (len > port->dev->conf.max_gso - payload) {
			*syn = MLX4_CQE_SYNDROME_LOCAL_LENGTH_ERR;
			*verr = MLX4R_EMU_VERR_LENGTH;
			return false;
		}
		seg[n].addr = addr;
		seg[n].len = len;
		payload += len;
		n++;
	}
	tcp = p.l4;
	seq0 = (uint32_t)f[tcp + 4] << 24 | (uint32_t)f[tcp + 5] << 16 |
	       (uint32_t)f[tcp + 6] << 8 | f[tcp + 7];
	if (p.ipv == 4)
		id0 = (uint32_t)f[p.l3 + 4] << 8 | f[p.l3 + 5];
	if (tun && o.ipv == 4)
		oid0 = (uint32_t)f[o.l3 + 4] << 8 | f[o.l3 + 5];
	nseg = payload == 0 ? 1 : (payload + mss - 1) / mss;
	*total = 0;
	for (k = 0, si = 0, so = 0; k < nseg; k++) {
		uint32_t len = RTE_MIN(mss, payload - k * mss);
		uint32_t got = 0, v;

		if (k != 0) /* the header again, the previous one's fixed */
			emu_sq_read(qp, base, sizeof(*ctrl) + 4, f, hsz);
		while (got < len) {
			uint32_t c = RTE_MIN(len - got, seg[si].len - so);

			memcpy(f + hsz + got,
			       (const void *)(uintptr_t)(seg[si].addr + so), c);
			got += c;
			so += c;
			if (so == seg[si].len) {
				si++;
				so = 0;
			}
		}
		if (p.ipv == 4) {
			v = hsz - p.l3 + len;
			f[p.l3 + 2] = (uint8_t)(v >> 8);
			f[p.l3 + 3] = (uint8_t)v;
			v = (id0 + k) & 0xffff;
			f[p.l3 + 4] = (uint8_t)(v >> 8);
			f[p.l3 + 5] = (uint8_t)v;
		} else {
			v = hsz - p.l3 - 40 + len;
			f[p.l3 + 4] = (uint8_t)(v >> 8);
			f[p.l3 + 5] = (uint8_t)v;
		}
		v = seq0 + k * mss;
		f[tcp + 4] = (uint8_t)(v >> 24);
		f[tcp + 5] = (uint8_t)(v >> 16);
		f[tcp + 6] = (uint8_t)(v >> 8);
		f[tcp + 7] = (uint8_t)v;
		if (k != nseg - 1)
			f[tcp + 13] &= (uint8_t)~(RTE_TCP_FIN_FLAG |
						  RTE_TCP_PSH_FLAG);
		if (k != 0)
			f[tcp + 13] &= (uint8_t)~RTE_TCP_CWR_FLAG;
		fr.data = f;
		fr.len = hsz + len;
		fr.csum_known = 0;
		if (tun) {
			emu_lso_outer(f, fr.len, &o, oid0 + k);
			emu_tx_inner_csum(f, fr.len, w0);
		}
		if (flags & (MLX4_WQE_CTRL_IP_HDR_CSUM |
			     MLX4_WQE_CTRL_TCP_UDP_CSUM))
			fr.csum_known = emu_tx_csum(f, fr.len, flags);
		if (unlikely(!(flags & MLX4_WQE_CTRL_SOLICIT))) {
			uint32_t icrc = rte_cpu_to_le_32(emu_crc32(f, fr.len));

			memcpy(f + fr.len, &icrc, 4);
			fr.len += 4;
		}
		*total += fr.len;
		emu_tx_emit(qp, port, ctrl, flags, &fr, held, acc);
	}
	emu_port_add_stat(&port->st.tx_lso, 1);
	return true;
}

/*
 * A success CQE at CQ index @p cqe completes the WQEs of a Tx QP up to
 * block @p end: the driver may free them once it consumed that CQE. The
 * list holds the CQEs of the current walk only (emu_tx_run() empties it
 * as a walk begins). When it is full the newest entry takes the later
 * end: once the driver consumed that entry's CQE it seems to have freed
 * more, never less, than it can have; that CQE is of this walk, so the
 * driver cannot have consumed it before the walk wrote it.
 */
static inline void
emu_tx_done_push(struct emu_qp *qp, uint32_t cqe, uint32_t end)
{
	uint32_t w;

	if (qp->nb_done == EMU_TX_DONE) {
		qp->done[(qp->done_r + EMU_TX_DONE - 1) % EMU_TX_DONE].end = end;
		return;
	}
	w = (qp->done_r + qp->nb_done) % EMU_TX_DONE;
	qp->done[w].cqe = cqe;
	qp->done[w].end = end;
	qp->nb_done++;
}

/*
 * Whether the driver can have block @p end of a Tx QP's WQE outstanding
 * within the wqe_cnt - spare blocks the prefetch headroom leaves (libmlx4
 * verbs.c create_qp_ex, upstream mlx4_txq.c mlx4_txq_fill_dv_obj_info
 * remain_size), @p start being the head when this doorbell's walk began.
 *
 * A driver frees a WQE only once a CQE reported it or a later one
 * (upstream mlx4_rxtx.c mlx4_txq_complete: up to the eocb saved for the
 * signalled WQE; libmlx4 cq.c mlx4_poll_one: the tail past the CQE's
 * wqe_index, qp.c wq_overflow) and it tells the CQ consumer index
 * (set_ci, CQ doorbell record) before it posts into what it freed
 * (mlx4_txq_complete writes set_ci before mlx4_tx_burst posts; libmlx4
 * mlx4_poll_cq writes it before returning). So what it can have freed is
 * at most the end of the last WQE whose CQE the consumer index covers.
 * Blocks up to @p start were posted before the doorbell: when the walk
 * runs in the doorbell (the UAR write the model sees), none of them can
 * be reused by the time it ends, whatever the driver freed. The kface
 * device thread has no doorbell: it walks the SQ while the driver, on its
 * own core, polls the CQEs of that walk, frees and posts again (issue 11:
 * upstream txonly at full rate, 992 blocks in one walk of a 1024-block
 * ring with at most 512 descriptors outstanding): counting the blocks of
 * the walk took that for a broken headroom.
 *
 * The consumer index is read only when the count from what is known
 * exceeds the limit. It pairs with the driver's store of set_ci before
 * its owner-bit stores (a write barrier in both drivers, see above): the
 * owner bit of @p end, read with acquire, makes that set_ci visible.
 */
static bool
emu_tx_room(struct emu_qp *qp, uint32_t start, uint32_t end)
{
	const uint32_t limit = qp->txbbs - qp->spare;
	uint32_t base, ci, pi;

	base = (int32_t)(qp->freed - start) > 0 ? qp->freed : start;
	if (likely(end - base <= limit))
		return true;
	ci = rte_be_to_cpu_32(__atomic_load_n(&qp->cq->db[0],
					      __ATOMIC_ACQUIRE)) &
	     MLX4R_CQ_DB_CI_MASK;
	pi = qp->cq->pi;
	while (qp->nb_done != 0) {
		uint32_t c = qp->done[qp->done_r].cqe;
		uint32_t d_ci = (ci - c) & MLX4R_CQ_DB_CI_MASK;

		/* consumed: ci in (c, pi] */
		if (d_ci == 0 || d_ci > ((pi - c) & MLX4R_CQ_DB_CI_MASK))
			break;
		qp->freed = qp->done[qp->done_r].end;
		qp->done_r = (qp->done_r + 1) % EMU_TX_DONE;
		qp->nb_done--;
	}
	base = (int32_t)(qp->freed - start) > 0 ? qp->freed : start;
	return end - base <= limit;
}

/* The send CQE of the WQE at qp->head (@p ds units), asked by CQ_UPDATE. */
static inline void
emu_tx_cqe(struct emu_qp *qp, uint32_t opcode, uint32_t ds, uint32_t total)
{
	struct mlx4_cqe *cqe = emu_cqe_next(qp->cq);

	if (cqe == NULL)
		return;
	memset(cqe, 0, offsetof(struct mlx4_cqe, owner_sr_opcode));
	cqe->vlan_my_qpn = rte_cpu_to_be_32(qp->hw.qpn);
	cqe->byte_cnt = rte_cpu_to_be_32(total);
	cqe->wqe_index = rte_cpu_to_be_16((uint16_t)qp->head);
	/* once the driver consumed it, it may free this WQE */
	emu_tx_done_push(qp, qp->cq->pi, qp->head + emu_wqe_blocks(qp, ds));
	emu_cqe_commit(qp->cq, cqe, (uint8_t)(opcode | MLX4_CQE_IS_SEND_MASK));
}

/*
 * Execute one WQE at qp->head (valid owner). Returns false with *syn /
 * *verr set when the WQE is bad.
 */
static bool
emu_tx_one(struct emu_qp *qp, struct emu_port *port,
	   const struct mlx4_wqe_ctrl_seg *ctrl, uint32_t w0,
	   rte_spinlock_t **held, struct emu_tx_acc *acc,
	   uint8_t *syn, uint8_t *verr)
{
	const uint32_t size_mask = (qp->txbbs << qp->shift) - 1;
	const uint32_t base = (qp->head & (qp->txbbs - 1)) << qp->shift;
	uint32_t opcode = w0 & MLX4R_WQE_OPCODE_MASK;
	uint32_t ds = ctrl->fence_size & MLX4R_WQE_DS_MASK;
	uint32_t flags = rte_be_to_cpu_32(ctrl->srcrb_flags);
	const uint8_t *qv = (const uint8_t *)ctrl + 4; /* qpn_vlan */
	uint32_t k, total = 0;
	struct emu_frame fr;

	*syn = MLX4_CQE_SYNDROME_LOCAL_QP_OP_ERR;
	if (opcode != MLX4_OPCODE_SEND && opcode != MLX4_OPCODE_NOP &&
	    (opcode != MLX4_OPCODE_LSO || qp->ctx->dev->conf.max_gso == 0)) {
		/* LSO only where the firmware reports max_gso_sz */
		*verr = MLX4R_EMU_VERR_OPCODE;
		return false;
	}
	/*
	 * The size limit of a send WQE is the firmware's max_sq_desc_sz
	 * (mlx4_core fw.c mlx4_QUERY_DEV_CAP; mlx4_ib qp.c
	 * set_kernel_sq_size refuses larger ones), not the SGEs the QP was
	 * created for: upstream net_mlx4 (mlx4_rxtx.c mlx4_tx_burst_segs)
	 * and mlx4_en (en_tx.c mlx4_en_xmit) build multi-TXBB WQEs of many
	 * segments on 1-SGE QPs.
	 */
	if (ds > qp->max_ds || ds < (opcode == MLX4_OPCODE_NOP ? 1u : 2u)) {
		*verr = MLX4R_EMU_VERR_DS;
		return false;
	}
	if (unlikely(opcode == MLX4_OPCODE_LSO)) {
		if (!emu_tx_lso(qp, port, ctrl, w0, ds, held, acc, syn, verr,
				&total))
			return false;
	} else if (opcode == MLX4_OPCODE_SEND) {
		/*
		 * One data segment and nothing to change in the frame (no
		 * VLAN insertion, no checksum offload, no ICRC to append):
		 * the wire and the receive side read the frame where the
		 * driver put it, during this call, after the same checks,
		 * instead of from a gathered copy.
		 */
		const bool direct = ds == 2 &&
			!(qv[2] & (EMU_WQE_INS_CVLAN | EMU_WQE_INS_SVLAN)) &&
			(flags & (MLX4_WQE_CTRL_IP_HDR_CSUM |
				  MLX4_WQE_CTRL_TCP_UDP_CSUM |
				  MLX4_WQE_CTRL_SOLICIT)) ==
			MLX4_WQE_CTRL_SOLICIT &&
			!(w0 & (MLX4R_WQE_CTRL_IIP_CSUM |
				MLX4R_WQE_CTRL_IL4_CSUM));

		fr.data = qp->frame;
		for (k = 1; k < ds; k++) {
			const struct mlx4_wqe_data_seg *s = (const void *)
				(qp->sq + ((base + k * 16) & size_mask));
			uint32_t bc = rte_be_to_cpu_32(s->byte_count);
			uint64_t addr = rte_be_to_cpu_64(s->addr);
			uint32_t len;

			if (bc & MLX4_INLINE_SEG) {
				/*
				 * 0x80000000: an inline segment of no data,
				 * which is how libmlx4 (qp.c set_data_seg)
				 * and upstream (mlx4_rxtx.c) write an empty
				 * segment.
				 */
				if ((bc & ~MLX4_INLINE_SEG) == 0)
					continue;
				*verr = MLX4R_EMU_VERR_INLINE;
				return false;
			}
			/*
			 * A byte count of 0 means 2^31 bytes to the device
			 * (hence the 0x80000000 above): it fails the MR
			 * bounds check, a local protection error.
			 */
			len = bc != 0 ? bc : 1u << 31;
			if (!emu_mr_check_cached(qp->ctx, &qp->mrc,
						 rte_be_to_cpu_32(s->lkey),
						 qp->pd, addr, len, 0,
						 verr)) {
				*syn = MLX4_CQE_SYNDROME_LOCAL_PROT_ERR;
				return false;
			}
			if (len > MLX4R_EMU_MAX_FRAME - total) {
				*syn = MLX4_CQE_SYNDROME_LOCAL_LENGTH_ERR;
				*verr = MLX4R_EMU_VERR_LENGTH;
				return false;
			}
			if (direct)
				fr.data = (const uint8_t *)(uintptr_t)addr;
			else
				memcpy(qp->frame + total,
				       (const void *)(uintptr_t)addr, bc);
			total += bc;
		}
		if (total < RTE_ETHER_HDR_LEN) {
			*syn = MLX4_CQE_SYNDROME_LOCAL_LENGTH_ERR;
			*verr = MLX4R_EMU_VERR_LENGTH;
			return false;
		}
		/*
		 * VLAN insertion asked by qpn_vlan (mlx4_en en_tx.c
		 * mlx4_en_xmit writes vlan_tag and ins_vlan in every WQE):
		 * bytes a driver leaves there are obeyed.
		 */
		if (unlikely(qv[2] & (EMU_WQE_INS_CVLAN | EMU_WQE_INS_SVLAN))) {
			memmove(qp->frame + 16, qp->frame + 12, total - 12);
			qp->frame[12] = (qv[2] & EMU_WQE_INS_SVLAN) ? 0x88 : 0x81;
			qp->frame[13] = (qv[2] & EMU_WQE_INS_SVLAN) ? 0xa8 : 0x00;
			qp->frame[14] = qv[0];
			qp->frame[15] = qv[1];
			total += 4;
		}
		fr.csum_known = 0;
		/* a ConnectX-3 ignores the inner checksum bits */
		if (unlikely(w0 & (MLX4R_WQE_CTRL_IIP_CSUM |
				   MLX4R_WQE_CTRL_IL4_CSUM)) &&
		    qp->ctx->dev->conf.pro && !qp->vf)
			emu_tx_inner_csum(qp->frame, total, w0);
		if (flags & (MLX4_WQE_CTRL_IP_HDR_CSUM |
			     MLX4_WQE_CTRL_TCP_UDP_CSUM))
			fr.csum_known = emu_tx_csum(qp->frame, total, flags);
		/*
		 * On raw Ethernet, SOLICIT means "no ICRC": libmlx4 (qp.c
		 * mlx4_post_send, IBV_QPT_RAW_PACKET), upstream (mlx4_rxtx.c
		 * mlx4_tx_burst) and mlx4_en (en_netdev.c ctrl_flags) set it
		 * on every send. Without it the frame carries 4 more bytes.
		 */
		if (unlikely(!(flags & MLX4_WQE_CTRL_SOLICIT))) {
			uint32_t icrc = rte_cpu_to_le_32(emu_crc32(qp->frame,
								   total));

			memcpy(qp->frame + total, &icrc, 4);
			total += 4;
		}
		fr.len = total;
		if ((flags & MLX4R_WQE_CTRL_FORCE_LOOPBACK) ||
		    emu_vf_local(qp, port, ctrl)) {
			/*
			 * A VF's eSwitch delivers a looped-back frame to the
			 * vport of the destination MAC the control segment
			 * carries (srcrb_flags16[0], imm: mlx4_en en_tx.c
			 * mlx4_en_xmit "allows loopback in eSwitch", set on
			 * every multi-function device by en_main.c
			 * mlx4_en_update_loopback_state; upstream
			 * mlx4_rxtx.c mlx4_tx_burst for txq->lb, a VF).
			 * Another MAC than the frame's names no vport of
			 * this function: the frame is lost.
			 */
			if (unlikely(qp->vf) &&
			    (memcmp(&ctrl->srcrb_flags16[0], fr.data, 2) != 0 ||
			     memcmp(&ctrl->imm, fr.data + 2, 4) != 0)) {
				acc->dropped++;
			} else {
				emu_rx_deliver_tx(port, &fr, held, acc->rx);
				acc->frames++;
				acc->bytes += total;
			}
		} else if (emu_wire_tx(port, &fr, held, acc->rx)) {
			acc->frames++;
			acc->bytes += total;
		} else {
			acc->dropped++;
		}
	}
	if (flags & MLX4_WQE_CTRL_CQ_UPDATE)
		emu_tx_cqe(qp, opcode, ds, total);
	return true;
}

/*
 * The one-segment send fast path of the Tx engine, for the WQE every
 * driver posts for a one-segment mbuf: opcode SEND, DS 2 (control and
 * one data segment: one TXBB), SOLICIT (no ICRC), no checksum offload, no
 * VLAN insertion, no forced loopback, not a VF's. Such a WQE, when its segment
 * points into a good MR with a length the device takes, is executed
 * here as emu_tx_one() would, with the same checks (lkey, PD, bounds:
 * emu_mr_check_cached(); length: 14 to MLX4R_EMU_MAX_FRAME bytes, not
 * inline) and the same frame, wire and CQE. Anything else, a WQE that
 * fails one of them included, returns false without a side effect (the
 * MR cache holds only good keys) and goes to emu_tx_one(), which
 * executes it or reports its error. DS 2 is within every QP's max_ds
 * (max_sq_desc_sz is at least 32 bytes, obj.c).
 */
static inline bool
emu_tx_send1(struct emu_qp *qp, struct emu_port *port,
	     const struct mlx4_wqe_ctrl_seg *ctrl, uint32_t w0,
	     rte_spinlock_t **held, struct emu_tx_acc *acc)
{
	const uint32_t flags = rte_be_to_cpu_32(ctrl->srcrb_flags);
	const uint8_t *qv = (const uint8_t *)ctrl + 4; /* qpn_vlan */
	const struct mlx4_wqe_data_seg *s;
	struct emu_frame fr;
	uint64_t addr;
	uint32_t bc;
	uint8_t verr;

	/* a VF's sends go through its eSwitch (emu_vf_local()): emu_tx_one */
	if (unlikely(qp->vf) ||
	    (w0 & (MLX4R_WQE_OPCODE_MASK | MLX4R_WQE_CTRL_IIP_CSUM |
		   MLX4R_WQE_CTRL_IL4_CSUM)) != MLX4_OPCODE_SEND ||
	    (ctrl->fence_size & MLX4R_WQE_DS_MASK) != 2 ||
	    (flags & (MLX4_WQE_CTRL_IP_HDR_CSUM | MLX4_WQE_CTRL_TCP_UDP_CSUM |
		      MLX4_WQE_CTRL_SOLICIT | MLX4R_WQE_CTRL_FORCE_LOOPBACK)) !=
	    MLX4_WQE_CTRL_SOLICIT ||
	    (qv[2] & (EMU_WQE_INS_CVLAN | EMU_WQE_INS_SVLAN)))
		return false;
	/*
	 * The data segment follows the control segment in the WQE's first
	 * block: a block is 1 << qp->shift >= 64 bytes (EMU_SQ_MIN_STRIDE),
	 * so it does not wrap.
	 */
	RTE_BUILD_BUG_ON((1u << EMU_SQ_MIN_STRIDE) <
			 sizeof(*ctrl) + sizeof(*s));
	s = (const struct mlx4_wqe_data_seg *)(ctrl + 1);
	bc = rte_be_to_cpu_32(s->byte_count);
	/* inline, 0 (2^31 bytes), shorter than a header, longer than a frame */
	if (bc < RTE_ETHER_HDR_LEN || bc > MLX4R_EMU_MAX_FRAME)
		return false;
	addr = rte_be_to_cpu_64(s->addr);
	if (!emu_mr_check_cached(qp->ctx, &qp->mrc, rte_be_to_cpu_32(s->lkey),
				 qp->pd, addr, bc, 0, &verr))
		return false;
	fr.data = (const uint8_t *)(uintptr_t)addr;
	fr.len = bc;
	fr.csum_known = 0;
	if (likely(acc->to != NULL)) {
		emu_rx_deliver_tx_in(acc->to, &fr, held, acc->rx);
		acc->frames++;
		acc->bytes += bc;
	} else if (acc->w == MLX4R_EMU_WIRE_PEER) {
		/* the checker: called directly, not through the wire switch */
		emu_lock_switch(held, &port->chk_lock);
		emu_chk_frame(port, &fr);
		acc->frames++;
		acc->bytes += bc;
	} else if (emu_wire_tx_other(port, acc->w, &fr, held)) {
		acc->frames++;
		acc->bytes += bc;
	} else {
		acc->dropped++;
	}
	if (flags & MLX4_WQE_CTRL_CQ_UPDATE)
		emu_tx_cqe(qp, MLX4_OPCODE_SEND, 2, bc);
	return true;
}

/*
 * The first word of block @p idx of an SQ of @p txbbs blocks of
 * 1 << @p shift bytes at @p sq; true if it is posted.
 */
static __rte_always_inline bool
emu_sq_posted(const uint8_t *sq, uint32_t txbbs, uint32_t shift,
	      uint32_t idx, const struct mlx4_wqe_ctrl_seg **ctrl,
	      uint32_t *w0)
{
	*ctrl = (const void *)(sq + ((size_t)(idx & (txbbs - 1)) << shift));
	/* Pairs with the driver's barrier before the owner word. */
	*w0 = rte_be_to_cpu_32(__atomic_load_n(&(*ctrl)->owner_opcode,
					       __ATOMIC_ACQUIRE));
	return !!(*w0 & MLX4R_WQE_OWNER_BIT) == !!(idx & txbbs);
}

/* The first word of block @p idx of the SQ; true if it is posted. */
static inline bool
emu_tx_owned_at(const struct emu_qp *qp, uint32_t idx,
		const struct mlx4_wqe_ctrl_seg **ctrl, uint32_t *w0)
{
	return emu_sq_posted(qp->sq, qp->txbbs, qp->shift, idx, ctrl, w0);
}

static inline bool
emu_tx_owned(const struct emu_qp *qp, const struct mlx4_wqe_ctrl_seg **ctrl,
	     uint32_t *w0)
{
	return emu_tx_owned_at(qp, qp->head, ctrl, w0);
}

/* Flush posted WQEs of a QP in error. */
static uint64_t
emu_tx_flush(struct emu_qp *qp)
{
	const struct mlx4_wqe_ctrl_seg *ctrl;
	uint32_t budget = qp->txbbs, w0, n;
	uint64_t flushed = 0;

	while (budget > 0 && emu_tx_owned(qp, &ctrl, &w0)) {
		n = emu_wqe_blocks(qp, ctrl->fence_size & MLX4R_WQE_DS_MASK);
		n = RTE_MIN(RTE_MAX(n, 1u), budget);
		if (!emu_err_cqe(qp->cq, qp->hw.qpn, (uint16_t)qp->head,
				 MLX4_CQE_SYNDROME_WR_FLUSH_ERR,
				 MLX4R_EMU_VERR_FLUSH, true))
			break;
		qp->head += n;
		budget -= n;
		flushed++;
	}
	return flushed;
}

/*
 * The prefetch headroom (libmlx4 verbs.c create_qp_ex "leave 2 KB + 1 WQE
 * of headroom in the SQ to allow HW to prefetch"; mlx4_ib qp.c
 * set_kernel_sq_size; upstream mlx4_txq.c mlx4_txq_fill_dv_obj_info
 * "Continuous headroom size bytes must always stay freed"): the device
 * reads up to qp->spare blocks past the last posted WQE ahead of time. A
 * block there that looks posted (the owner bit of its pass: not stamped
 * since its last use, or written ahead) would be taken for a WQE with
 * stale contents, corrupting what the driver posts next; the model makes
 * it a QP error. Returns the index of the first such block past @p end,
 * or @p end when the headroom is clean.
 *
 * A block found clean stays so until the driver writes it, which only a
 * new WQE does: then it is posted, executed and behind the next end. So
 * each block is checked once, when it enters the headroom (qp->hr_done
 * is where the last check stopped), whatever the burst size.
 */
/*
 * Whether one of @p n blocks from @p b, @p stride apart, has the owner bit
 * @p posted (0x80 or 0): the top bit of the first byte, accumulated over
 * the run so that a clean run costs a load and two logic operations per
 * block.
 */
static inline bool
emu_tx_run_posted(const uint8_t *b, uint32_t n, uint32_t stride,
		  uint8_t posted)
{
	uint8_t all = 0xff, any = 0;

	for (; n != 0; n--, b += stride) {
		uint8_t v = __atomic_load_n(b, __ATOMIC_RELAXED);

		all &= v;
		any |= v;
	}
	return posted ? (any & 0x80) != 0 : (all & 0x80) == 0;
}

static uint32_t
emu_tx_headroom(struct emu_qp *qp, uint32_t end)
{
	const struct mlx4_wqe_ctrl_seg *ctrl;
	const uint32_t stride = 1u << qp->shift;
	uint32_t j = end + 1, to = end + qp->spare, run, k, w0;
	const uint8_t *b;
	uint8_t posted;

	/* block end itself ended the posted WQEs: its owner is not valid */
	if ((int32_t)(qp->hr_done - j) > 0)
		j = qp->hr_done;
	for (; j != to; j += run) {
		/* up to the end of the ring at most: one owner bit value */
		k = j & (qp->txbbs - 1);
		run = RTE_MIN(to - j, qp->txbbs - k);
		b = qp->sq + ((size_t)k << qp->shift);
		posted = (j & qp->txbbs) ? 0x80 : 0;
		if (likely(!emu_tx_run_posted(b, run, stride, posted)))
			continue;
		for (k = 0; k < run; k++)
			if ((__atomic_load_n(b + (size_t)k * stride,
					     __ATOMIC_RELAXED) & 0x80) == posted)
				break;
		if (k == run)
			continue; /* written meanwhile (kernel face) */
		qp->hr_done = j + k;
		/*
		 * Unless block end was posted meanwhile (a driver posts in
		 * order, each owner word after a barrier, so whoever sees
		 * a later WQE's owner sees this one's): then it is a new
		 * WQE, for the next round.
		 */
		if (emu_tx_owned_at(qp, end, &ctrl, &w0))
			return end;
		return j + k;
	}
	qp->hr_done = to;
	return end;
}

/*
 * emu_tx_send1() for the run of WQEs from block @p idx on, at most @p max,
 * while each is its case with nothing to fill or count apart: posted, of
 * one block (DS 2) within the headroom rule's bound as the walk last
 * measured it (@p base, @p limit), the lkey the QP's MR cache holds, a
 * port or the checker to take the frame. Each WQE's owner, opcode,
 * flags, VLAN bits, byte count and lkey are its own, tested as
 * emu_tx_send1() tests them, its frame delivered and its CQE written if
 * it asks for one (qp->head moved to it first: emu_tx_cqe()); the
 * counters are the run's, added to @p acc when it ends. Stops before the
 * first WQE that is not that case, which the walk then takes one at a
 * time. Returns the WQEs executed, qp->head past them. qp->lock held.
 * Compiled once per wire kind (@p chk: the checker, else acc->to) and
 * called, once a walk (again only past a WQE of another kind): inline in
 * the walk, whose own state takes the registers, the loop's lived on the
 * stack (callgrind-fwd.sh, walk and run: 106.5 instructions a frame
 * inline, 93.5 called per wire kind).
 */
static __rte_always_inline uint32_t
emu_tx_send1_run_tmpl(struct emu_qp *qp, struct emu_port *port,
		      const uint8_t *sq, uint32_t txbbs, uint32_t shift,
		      uint32_t idx, uint32_t base, uint32_t limit, uint32_t max,
		      rte_spinlock_t **held, struct emu_tx_acc *acc,
		      const bool chk)
{
	const struct emu_ctx *ctx = qp->ctx;
	const struct emu_mr_cache *mc = &qp->mrc;
	struct emu_port *to = acc->to;
	uint64_t bytes = 0;
	uint32_t k;

	if (chk) /* one lock for the run: the checker's */
		emu_lock_switch(held, &port->chk_lock);
	for (k = 0; k < max; k++) {
		const struct mlx4_wqe_ctrl_seg *ctrl;
		const struct mlx4_wqe_data_seg *s;
		const uint8_t *qv;
		struct emu_frame fr;
		uint32_t w0, flags, bc, lkey;
		uint64_t addr, gen;

		if (!emu_sq_posted(sq, txbbs, shift, idx + k, &ctrl, &w0) ||
		    (ctrl->fence_size & MLX4R_WQE_DS_MASK) != 2 ||
		    idx + k + 1 - base > limit)
			break;
		/* emu_tx_send1()'s tests, in its order */
		flags = rte_be_to_cpu_32(ctrl->srcrb_flags);
		qv = (const uint8_t *)ctrl + 4;
		if ((w0 & (MLX4R_WQE_OPCODE_MASK | MLX4R_WQE_CTRL_IIP_CSUM |
			   MLX4R_WQE_CTRL_IL4_CSUM)) != MLX4_OPCODE_SEND ||
		    (flags & (MLX4_WQE_CTRL_IP_HDR_CSUM |
			      MLX4_WQE_CTRL_TCP_UDP_CSUM |
			      MLX4_WQE_CTRL_SOLICIT |
			      MLX4R_WQE_CTRL_FORCE_LOOPBACK)) !=
		    MLX4_WQE_CTRL_SOLICIT ||
		    (qv[2] & (EMU_WQE_INS_CVLAN | EMU_WQE_INS_SVLAN)))
			break;
		s = (const struct mlx4_wqe_data_seg *)(ctrl + 1);
		bc = rte_be_to_cpu_32(s->byte_count);
		if (bc < RTE_ETHER_HDR_LEN || bc > MLX4R_EMU_MAX_FRAME)
			break;
		addr = rte_be_to_cpu_64(s->addr);
		lkey = rte_be_to_cpu_32(s->lkey);
		/* emu_mr_check_cached()'s hit; a miss is emu_tx_send1()'s */
		gen = __atomic_load_n(&ctx->mr_gen, __ATOMIC_ACQUIRE);
		if (!(lkey == mc->lkey && gen == mc->gen &&
		      addr >= mc->start && addr + bc <= mc->end &&
		      addr + bc >= addr))
			break;
		fr.data = (const uint8_t *)(uintptr_t)addr;
		fr.len = bc;
		fr.csum_known = 0;
		if (!chk)
			emu_rx_deliver_tx_in(to, &fr, held, acc->rx);
		else
			emu_chk_frame(port, &fr);
		bytes += bc;
		if (flags & MLX4_WQE_CTRL_CQ_UPDATE) {
			qp->head = idx + k;
			emu_tx_cqe(qp, MLX4_OPCODE_SEND, 2, bc);
		}
	}
	qp->head = idx + k;
	acc->frames += k;
	acc->bytes += bytes;
	return k;
}

/* The run into a port (acc->to): wire loopback or cross-connect. */
static __rte_noinline uint32_t
emu_tx_send1_run_port(struct emu_qp *qp, struct emu_port *port,
		      const uint8_t *sq, uint32_t txbbs, uint32_t shift,
		      uint32_t idx, uint32_t base, uint32_t limit, uint32_t max,
		      rte_spinlock_t **held, struct emu_tx_acc *acc)
{
	return emu_tx_send1_run_tmpl(qp, port, sq, txbbs, shift, idx, base,
				     limit, max, held, acc, false);
}

/*
 * The run to the checker (wire peer): chk_lock taken once for the run,
 * as nothing in it takes another engine lock (emu_tx_cqe()'s channel and
 * event locks nest inside them: mlx4r_emu_priv.h).
 */
static __rte_noinline uint32_t
emu_tx_send1_run_chk(struct emu_qp *qp, struct emu_port *port,
		     const uint8_t *sq, uint32_t txbbs, uint32_t shift,
		     uint32_t idx, uint32_t base, uint32_t limit, uint32_t max,
		     rte_spinlock_t **held, struct emu_tx_acc *acc)
{
	return emu_tx_send1_run_tmpl(qp, port, sq, txbbs, shift, idx, base,
				     limit, max, held, acc, true);
}

/* emu_tx_send1_run_tmpl() for the walk's wire; 0 for the other wires. */
static __rte_always_inline uint32_t
emu_tx_send1_run(struct emu_qp *qp, struct emu_port *port, const uint8_t *sq,
		 uint32_t txbbs, uint32_t shift, uint32_t idx, uint32_t base,
		 uint32_t limit, uint32_t max, rte_spinlock_t **held,
		 struct emu_tx_acc *acc)
{
	if (acc->to != NULL)
		return emu_tx_send1_run_port(qp, port, sq, txbbs, shift, idx,
					     base, limit, max, held, acc);
	if (acc->w == MLX4R_EMU_WIRE_PEER)
		return emu_tx_send1_run_chk(qp, port, sq, txbbs, shift, idx,
					    base, limit, max, held, acc);
	return 0;
}

/*
 * The Tx engine after a doorbell: the posted WQEs, at most @p max blocks
 * of them (then the rest waits for the next call: the device thread's
 * next round, see emu_tx_kick() and emu_tx_engine()). true when @p max
 * cut the walk short: more may be posted, and the doorbell is spent.
 */
static bool
emu_tx_walk(struct emu_qp *qp, uint32_t max)
{
	struct emu_dev *dev = qp->ctx->dev;
	const struct mlx4_wqe_ctrl_seg *ctrl;
	struct emu_port *port;
	rte_spinlock_t *held = NULL;
	struct emu_rx_run rx_run;
	struct emu_tx_acc acc = { 0, 0, 0, 0, &rx_run, NULL,
				  MLX4R_EMU_WIRE_NONE };
	uint32_t owned = 0, w0, n, bad, start, txbbs, shift, limit, base;
	uint8_t syn = 0, verr = 0, ds_round, ds_shift;
	const uint8_t *sq;
	bool cut = false;

	emu_rx_run_init(&rx_run);
	rte_spinlock_lock(&qp->lock);
	port = emu_dev_port(dev, qp->port);
	if (port == NULL)
		goto out;
	if (unlikely(qp->lost_db != 0)) {
		qp->lost_db--;
		emu_port_add_stat(&port->st.lost_doorbells, 1);
		goto out;
	}
	emu_port_add_stat(&port->st.doorbells, 1);
	if (unlikely(qp->state == IBV_QPS_ERR)) {
		acc.errors += emu_tx_flush(qp);
		goto out;
	}
	if (qp->state != IBV_QPS_RTS)
		goto out;
	acc.to = emu_wire_port(port, &acc.w);
	/*
	 * The posted WQEs: up to the first block of another pass. The SQ's
	 * geometry in locals (the frames' stores could alias the QP as far
	 * as the compiler knows), and emu_tx_room()'s first test with its
	 * base kept: qp->freed only moves in its second part.
	 */
	start = qp->head;
	/*
	 * The completions an earlier walk listed all end at or before
	 * start (that walk left qp->head past them), so none can move base
	 * past start any more: dropped. Kept, a list filled by earlier walks
	 * would lend its newest entry, a CQE the driver consumed long ago,
	 * the ends of this walk's WQEs (emu_tx_done_push() when full), and
	 * the driver would seem to have freed WQEs it has not seen complete:
	 * the headroom rule then let a doorbell take more than wqe_cnt -
	 * spare blocks (found by fuzz_emu_tx; test_headroom_after_completions).
	 */
	qp->nb_done = 0;
	sq = qp->sq;
	txbbs = qp->txbbs;
	shift = qp->shift;
	ds_round = qp->ds_round;
	ds_shift = qp->ds_shift;
	limit = qp->txbbs - qp->spare;
	base = (int32_t)(qp->freed - start) > 0 ? qp->freed : start;
	while (owned < max) {
		uint32_t idx = qp->head;

		/* a VF's sends take its eSwitch: emu_tx_one() */
		if (likely(!qp->vf)) {
			uint32_t k = emu_tx_send1_run(qp, port, sq, txbbs,
						      shift, idx, base, limit,
						      max - owned, &held,
						      &acc);

			owned += k;
			idx += k;
			if (owned >= max)
				break;
		}
		if (!emu_sq_posted(sq, txbbs, shift, idx, &ctrl, &w0))
			break;
		/* emu_wqe_blocks() */
		n = ((ctrl->fence_size & MLX4R_WQE_DS_MASK) + ds_round) >>
		    ds_shift;
		/* at most wqe_cnt - spare blocks outstanding: emu_tx_room() */
		if (unlikely(idx + n - base > limit)) {
			if (likely(emu_tx_room(qp, start, idx + n))) {
				base = (int32_t)(qp->freed - start) > 0 ?
				       qp->freed : start;
				goto room;
			}
			base = (int32_t)(qp->freed - start) > 0 ?
			       qp->freed : start;
			EMU_LOG(ERR, "QP 0x%x: WQE %u makes %u blocks outstanding (posted past %u, not known freed), more than wqe_cnt %u - the %u spare ones of the prefetch headroom (libmlx4 verbs.c create_qp_ex)",
				qp->hw.qpn, qp->head, qp->head + n - base,
				base, qp->txbbs, qp->spare);
			syn = MLX4_CQE_SYNDROME_LOCAL_QP_OP_ERR;
			verr = MLX4R_EMU_VERR_HEADROOM;
			goto wqe_error;
		}
room:
		if (likely(emu_tx_send1(qp, port, ctrl, w0, &held, &acc))) {
			qp->head += n;
			owned += n;
			continue;
		}
		if (unlikely(!emu_tx_one(qp, port, ctrl, w0, &held, &acc,
					 &syn, &verr))) {
			EMU_LOG(DEBUG, "QP 0x%x WQE %u: syndrome 0x%x "
				"vendor 0x%x", qp->hw.qpn, qp->head, syn, verr);
			goto wqe_error;
		}
		qp->head += n;
		owned += n;
	}
	/* stopped by max: the walk goes on next time, the headroom then */
	cut = owned >= max;
	if (owned == 0 || cut)
		goto out;
	bad = emu_tx_headroom(qp, qp->head);
	if (unlikely(bad != qp->head)) {
		EMU_LOG(ERR, "QP 0x%x: block %u of the %u-block prefetch headroom past WQE %u looks posted, not stamped free (libmlx4 verbs.c create_qp_ex)",
			qp->hw.qpn, bad, qp->spare, qp->head);
		emu_err_cqe(qp->cq, qp->hw.qpn, (uint16_t)bad,
			    MLX4_CQE_SYNDROME_LOCAL_QP_OP_ERR,
			    MLX4R_EMU_VERR_HEADROOM, true);
		acc.errors++;
		__atomic_store_n(&qp->state, IBV_QPS_ERR, __ATOMIC_RELAXED);
	}
	goto out;
wqe_error:
	emu_err_cqe(qp->cq, qp->hw.qpn, (uint16_t)qp->head, syn, verr, true);
	acc.errors++;
	__atomic_store_n(&qp->state, IBV_QPS_ERR, __ATOMIC_RELAXED);
	/* The bad WQE (at least a block) is consumed; flush the rest. */
	qp->head += RTE_MAX(1u, emu_wqe_blocks(qp, ctrl->fence_size &
					       MLX4R_WQE_DS_MASK));
	acc.errors += emu_tx_flush(qp);
out:
	if (held != NULL)
		rte_spinlock_unlock(held);
	rte_spinlock_unlock(&qp->lock);
	if (port != NULL) {
		emu_port_add_stat(&port->st.tx_frames, acc.frames);
		emu_port_add_stat(&port->st.tx_bytes, acc.bytes);
		emu_port_add_stat(&port->st.tx_dropped, acc.dropped);
		emu_port_add_stat(&port->st.tx_errors, acc.errors);
	}
	return cut;
}

/*
 * The Tx engine at a doorbell rung by the thread that calls it (the
 * burst's hook, or emu_tx_kick()): a doorbell the model sees at once.
 */
static void
emu_tx_run(struct emu_qp *qp, uint32_t max)
{
	volatile uint32_t *db = (volatile uint32_t *)(qp->uar +
						      MLX4_SEND_DOORBELL);

	/* dead device, or a queue of a incarnation before the reset */
	if (unlikely(emu_ctx_frozen(qp->ctx)))
		return;
	emu_dev_run_timers(qp->ctx->dev);
	/* Written by this thread just before (the doorbell itself). */
	if (*db != qp->doorbell_qpn)
		return;
	*db = 0;
	emu_tx_walk(qp, max);
}

void
emu_tx_hook(void *arg)
{
	/* a doorbell the model sees: everything posted, as the card would */
	emu_tx_run(arg, UINT32_MAX);
}

int
mlx4r_emu_port_stats(struct mlx4r_emu_dev *edev, uint8_t port_num,
		     struct mlx4r_emu_port_stats *st)
{
	struct emu_port *port = emu_dev_port((struct emu_dev *)edev, port_num);
	const uint64_t *src;
	uint64_t *dst;
	size_t i;

	if (port == NULL || st == NULL)
		return -EINVAL;
	src = (const uint64_t *)&port->st;
	dst = (uint64_t *)st;
	for (i = 0; i < sizeof(*st) / sizeof(uint64_t); i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
	return 0;
}

bool
emu_tx_pending(struct emu_qp *qp)
{
	const struct mlx4_wqe_ctrl_seg *ctrl;
	enum ibv_qp_state st = __atomic_load_n(&qp->state, __ATOMIC_RELAXED);
	uint32_t w0;

	if (st != IBV_QPS_RTS && st != IBV_QPS_ERR)
		return false;
	return emu_tx_owned(qp, &ctrl, &w0);
}

void
emu_tx_kick(struct emu_qp *qp)
{
	volatile uint32_t *db = (volatile uint32_t *)(qp->uar +
						      MLX4_SEND_DOORBELL);

	/* what the driver's write of the QP number to the UAR would do */
	*db = qp->doorbell_qpn;
	/*
	 * A ring's worth at most: while the driver keeps posting, the walk
	 * would never end and the thread's other queues (the other port's,
	 * the receive pumps) would wait; the card's send scheduler serves
	 * its QPs in turn.
	 */
	emu_tx_run(qp, qp->txbbs);
}

/*
 * engine=thread: a QP's part of a turn of the device's engine thread
 * (mlx4r_emu_thread.c), which no burst hook helps. The card starts on the
 * send doorbell, which names the QP, and walks the owner bits from where
 * it stopped (PRM; libmlx4 qp.c mlx4_post_send writes only the QPN): a WQE
 * posted with no doorbell after it waits, as it does on the card.
 *
 * The other side is the driver's doorbell write, after its WQEs (their
 * owner words last) and a write barrier (mlx4r_rxtx.c, upstream
 * mlx4_rxtx.c mlx4_tx_burst): the exchange is an acquire, so the walk
 * sees every WQE written before the doorbell it took; one rung after the
 * exchange stays in the page for the next turn, and one rung before it
 * is taken with its WQEs. The read-then-clear of emu_tx_run(), right on
 * the writer's own thread, would lose a doorbell rung between its load
 * and its store here. A walk cut short by its budget (EMU_TX_TURN blocks,
 * so that the other queues get their turn, as the card's send scheduler
 * serves its QPs in turn) goes on at the next turn without a doorbell
 * (eng_more: the engine thread's alone).
 * true if the QP had work.
 */
#define EMU_TX_TURN 64u

bool
emu_tx_engine(struct emu_qp *qp)
{
	uint32_t *db = (uint32_t *)(qp->uar + MLX4_SEND_DOORBELL);

	/* dead device, or a queue of a incarnation before the reset */
	if (unlikely(emu_ctx_frozen(qp->ctx)))
		return false;
	if (!qp->eng_more) {
		if (__atomic_load_n(db, __ATOMIC_RELAXED) == 0)
			return false;
		/* another QP's number rings no QP (emu_tx_run() ignores it) */
		if (__atomic_exchange_n(db, 0, __ATOMIC_ACQUIRE) !=
		    qp->doorbell_qpn)
			return false;
	}
	qp->eng_more = emu_tx_walk(qp, EMU_TX_TURN);
	return true;
}
