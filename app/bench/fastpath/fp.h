/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * Fast-path micro-benchmark: two drivers' bursts against the same fake
 * mlx4 rings. Each driver lives in a translation unit of its own (its
 * headers would clash with the other's): fp_upstream.c wraps upstream
 * net_mlx4's mlx4_rxtx.c, fp_mlx4r.c wraps ours. fp_dev.c plays the
 * device, between bursts and untimed: it fills CQEs for Rx (the frames
 * land in the posted buffers) and completes the WQEs that ask for a
 * completion on Tx. Only the burst calls are timed (fp_main.c).
 */

#ifndef FP_H
#define FP_H

#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>

/* Ring geometry both drivers are given, as libmlx4 lays it out. */
struct fp_rx_ring {
	uint8_t *wqes;       /* RQ: one 16-byte data segment per WQE */
	uint32_t nb_wqe;     /* power of two */
	uint8_t *cqes;       /* CQ buffer, 32-byte entries */
	uint32_t nb_cqe;     /* power of two */
	volatile uint32_t *rq_db;
	volatile uint32_t *cq_db;
	/* the device's side */
	uint32_t wqe_pos;    /* next WQE it fills */
	uint32_t cqe_pos;    /* next CQE it writes */
};

struct fp_tx_ring {
	uint8_t *sq;         /* SQ buffer, 64-byte TXBBs */
	uint32_t nb_txbb;    /* power of two, headroom included */
	uint8_t *cqes;       /* CQ buffer, 32-byte entries */
	uint32_t nb_cqe;
	volatile uint32_t *cq_db;
	volatile uint32_t *sdb;   /* the send doorbell register */
	/* the device's side */
	uint32_t txbb_pos;   /* next TXBB it looks at */
	uint32_t cqe_pos;
};

/* One driver under test. */
struct fp_driver {
	const char *name;
	void *(*rx_create)(struct rte_mempool *mp, struct fp_rx_ring *r);
	uint16_t (*rx_burst)(void *q, struct rte_mbuf **pkts, uint16_t n);
	void *(*tx_create)(struct rte_mempool *mp, struct fp_tx_ring *r,
			   uint32_t nb_desc);
	uint16_t (*tx_burst)(void *q, struct rte_mbuf **pkts, uint16_t n);
	/* what create allocated; the mbufs go back with the pool */
	void (*rx_destroy)(void *q);
	void (*tx_destroy)(void *q);
};

extern const struct fp_driver fp_upstream;
extern const struct fp_driver fp_mlx4r;

/* fp_dev.c */
void fp_rx_ring_alloc(struct fp_rx_ring *r, uint32_t nb_wqe);
void fp_tx_ring_alloc(struct fp_tx_ring *r, uint32_t nb_txbb);
void fp_rx_ring_free(struct fp_rx_ring *r);
void fp_tx_ring_free(struct fp_tx_ring *r);
/* Deliver n frames of len bytes into the next posted WQEs. */
void fp_dev_rx(struct fp_rx_ring *r, uint32_t n, uint32_t len);
/* Execute the posted WQEs; a CQE for each that asks for one. */
void fp_dev_tx(struct fp_tx_ring *r);
/* The registered range every buffer of the pool lies in, and its lkey. */
void fp_pool_range(struct rte_mempool *mp, uintptr_t *start, uintptr_t *end);
#define FP_LKEY 0x1234u

#endif
