/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * The fake device of the fast-path benchmark: what a ConnectX-3 does
 * between two bursts, in the formats of rdma-core's mlx4dv.h, written
 * plainly (it is not timed). Rx: the frame goes to the buffer of the next
 * WQE's data segment, then a 32-byte CQE (owner bit = wrap parity, byte
 * count, IPv4/UDP status with both checksums good). Tx: the SQ is walked
 * from where the device stopped, one WQE per owned first TXBB (its DS
 * count gives its TXBBs); a WQE with CQ_UPDATE gets a CQE whose
 * wqe_index is its first TXBB.
 */

#include <stdlib.h>
#include <string.h>

#include <infiniband/mlx4dv.h>
#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_debug.h>

#include "fp.h"

#define FP_STATUS_IPV4 (1u << 22)
#define FP_STATUS_UDP (1u << 27)
#define FP_STATUS_IPOK (1u << 28)
#define FP_STATUS_L4OK (1u << 2)
#define FP_CQE_SIZE 32
#define FP_TXBB 64

static void *
fp_zalloc(size_t sz)
{
	void *p = aligned_alloc(4096, RTE_ALIGN_CEIL(sz, 4096));

	if (p == NULL)
		rte_panic("fp: out of memory\n");
	memset(p, 0, RTE_ALIGN_CEIL(sz, 4096));
	return p;
}

static struct mlx4_cqe *
fp_cqe(uint8_t *cqes, uint32_t nb, uint32_t pos)
{
	return (struct mlx4_cqe *)(cqes + (size_t)(pos & (nb - 1)) *
				   FP_CQE_SIZE);
}

/* Every CQE starts owned by hardware: owner bit 1 on the first pass. */
static void
fp_cq_init(uint8_t *cqes, uint32_t nb)
{
	uint32_t i;

	for (i = 0; i < nb; i++)
		fp_cqe(cqes, nb, i)->owner_sr_opcode = MLX4_CQE_OWNER_MASK;
}

static void
fp_cqe_write(uint8_t *cqes, uint32_t nb, uint32_t pos, uint32_t status,
	     uint32_t len, uint16_t wqe_index, uint8_t opcode)
{
	struct mlx4_cqe *c = fp_cqe(cqes, nb, pos);

	memset(c, 0, sizeof(*c) - 1);
	c->status = rte_cpu_to_be_32(status);
	c->byte_cnt = rte_cpu_to_be_32(len);
	c->wqe_index = rte_cpu_to_be_16(wqe_index);
	c->checksum = RTE_BE16(0xffff);
	c->immed_rss_invalid = rte_cpu_to_be_32(0x5a5a0000u | (pos & 0xffff));
	/* the owner byte last: software owns it when it equals pos's parity */
	__atomic_store_n(&c->owner_sr_opcode,
			 (uint8_t)(((pos & nb) ? MLX4_CQE_OWNER_MASK : 0) |
				   opcode), __ATOMIC_RELEASE);
}

void
fp_rx_ring_alloc(struct fp_rx_ring *r, uint32_t nb_wqe)
{
	memset(r, 0, sizeof(*r));
	r->nb_wqe = nb_wqe;
	r->nb_cqe = nb_wqe;
	r->wqes = fp_zalloc((size_t)nb_wqe * 16);
	r->cqes = fp_zalloc((size_t)nb_wqe * FP_CQE_SIZE);
	r->rq_db = fp_zalloc(64);
	r->cq_db = fp_zalloc(64);
	fp_cq_init(r->cqes, r->nb_cqe);
}

void
fp_tx_ring_alloc(struct fp_tx_ring *r, uint32_t nb_txbb)
{
	uint32_t i;

	memset(r, 0, sizeof(*r));
	r->nb_txbb = nb_txbb;
	r->nb_cqe = RTE_MAX(nb_txbb / 4, 64u);
	r->sq = fp_zalloc((size_t)nb_txbb * FP_TXBB);
	r->cqes = fp_zalloc((size_t)r->nb_cqe * FP_CQE_SIZE);
	r->cq_db = fp_zalloc(64);
	r->sdb = fp_zalloc(64);
	fp_cq_init(r->cqes, r->nb_cqe);
	/* libmlx4 stamps every TXBB invalid for the first pass */
	for (i = 0; i < nb_txbb; i++)
		*(uint32_t *)(r->sq + (size_t)i * FP_TXBB) =
			rte_cpu_to_be_32(0x7fffffff | (1u << 31));
}

void
fp_rx_ring_free(struct fp_rx_ring *r)
{
	free(r->wqes);
	free(r->cqes);
	free((void *)(uintptr_t)r->rq_db);
	free((void *)(uintptr_t)r->cq_db);
	memset(r, 0, sizeof(*r));
}

void
fp_tx_ring_free(struct fp_tx_ring *r)
{
	free(r->sq);
	free(r->cqes);
	free((void *)(uintptr_t)r->cq_db);
	free((void *)(uintptr_t)r->sdb);
	memset(r, 0, sizeof(*r));
}

/* A UDP/IPv4 frame as a generator would send it. */
static const uint8_t fp_frame[64] = {
	0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00,
	0x45, 0, 0, 46, 0, 0, 0, 0, 64, 17, 0, 0,
	10, 0, 0, 1, 10, 0, 0, 2, 0x12, 0x34, 0x56, 0x78, 0, 26, 0, 0,
};

void
fp_dev_rx(struct fp_rx_ring *r, uint32_t n, uint32_t len)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		const struct mlx4_wqe_data_seg *d = (const void *)
			(r->wqes + (size_t)(r->wqe_pos & (r->nb_wqe - 1)) * 16);
		uint8_t *buf = (uint8_t *)(uintptr_t)rte_be_to_cpu_64(d->addr);

		if (rte_be_to_cpu_32(d->lkey) != FP_LKEY)
			rte_panic("fp: Rx WQE %u has lkey %#x\n", r->wqe_pos,
				  rte_be_to_cpu_32(d->lkey));
		memcpy(buf, fp_frame, RTE_MIN(len, sizeof(fp_frame)));
		fp_cqe_write(r->cqes, r->nb_cqe, r->cqe_pos,
			     FP_STATUS_IPV4 | FP_STATUS_UDP | FP_STATUS_IPOK |
			     FP_STATUS_L4OK, len, r->wqe_pos & 0xffff, 0);
		r->wqe_pos++;
		r->cqe_pos++;
	}
}

void
fp_dev_tx(struct fp_tx_ring *r)
{
	for (;;) {
		const struct mlx4_wqe_ctrl_seg *c = (const void *)
			(r->sq + (size_t)(r->txbb_pos & (r->nb_txbb - 1)) *
			 FP_TXBB);
		uint32_t own = rte_be_to_cpu_32(c->owner_opcode);
		uint32_t ds, txbbs;

		/* hardware owns it when its owner bit is the pass parity */
		if (!(own >> 31) != !(r->txbb_pos & r->nb_txbb) ||
		    (own & 0x1f) != MLX4_OPCODE_SEND)
			break;
		ds = c->fence_size & 0x3f;
		if (ds < 2)
			rte_panic("fp: WQE at TXBB %u has DS %u\n",
				  r->txbb_pos, ds);
		txbbs = (ds * 16 + FP_TXBB - 1) / FP_TXBB;
		if (c->srcrb_flags & RTE_BE32(MLX4_WQE_CTRL_CQ_UPDATE)) {
			fp_cqe_write(r->cqes, r->nb_cqe, r->cqe_pos, 0, 0,
				     r->txbb_pos & 0xffff,
				     MLX4_CQE_IS_SEND_MASK | MLX4_OPCODE_SEND);
			r->cqe_pos++;
		}
		r->txbb_pos += txbbs;
	}
}

void
fp_pool_range(struct rte_mempool *mp, uintptr_t *start, uintptr_t *end)
{
	struct rte_mempool_memhdr *h;

	*start = UINTPTR_MAX;
	*end = 0;
	STAILQ_FOREACH(h, &mp->mem_list, next) {
		*start = RTE_MIN(*start, (uintptr_t)h->addr);
		*end = RTE_MAX(*end, (uintptr_t)h->addr + h->len);
	}
}
