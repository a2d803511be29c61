/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

#ifndef TEST_EMU_UTIL_H
#define TEST_EMU_UTIL_H

/*
 * Helpers for the emulated device's tests: they play the driver, writing
 * WQEs, posting receive WQEs and polling CQEs through the mlx4dv views,
 * exactly as a mlx4 datapath does (big-endian fields, owner bit = wrap
 * parity, write barrier before the owner word, doorbell records).
 */

#include <stdbool.h>
#include <stdint.h>

#include "mlx4r_hw.h"
#include "emu/mlx4r_emu.h"

/** A Tx queue as a driver holds it. */
struct temu_txq {
	struct mlx4r_hw_cq *cq;
	struct mlx4r_hw_qp *qp;
	struct mlx4dv_qp dv;
	struct mlx4dv_cq cdv;
	struct mlx4r_hw_hook hook;
	uint8_t *sq;       /**< SQ buffer */
	uint32_t txbbs;    /**< TXBBs in the SQ */
	uint32_t head;     /**< next TXBB to write */
	uint32_t tail;     /**< first TXBB not yet stamped free */
	uint32_t cq_ci;    /**< CQ consumer index */
};

/** An Rx queue as a driver holds it. */
struct temu_rxq {
	struct mlx4r_hw_cq *cq;
	struct mlx4r_hw_wq *wq;
	struct mlx4dv_rwq dv;
	struct mlx4dv_cq cdv;
	struct mlx4r_hw_hook hook;
	struct mlx4r_hw_mr *mr;
	uint8_t *mem;      /**< cnt * sges * seg_size bytes */
	uint32_t cnt;      /**< WQEs */
	uint32_t sges;     /**< segments per WQE */
	uint32_t seg_size; /**< bytes per segment */
	uint32_t pi;       /**< WQEs posted */
	uint32_t cq_ci;    /**< CQ consumer index */
};

/** A data segment to send. */
struct temu_seg {
	const void *addr;
	uint32_t len;
	uint32_t lkey;     /**< host order */
};

/** Environment of a test: device, context, PD, a registered buffer. */
struct temu_env {
	const char *name;
	struct mlx4r_emu_dev *dev;
	struct mlx4r_hw_ctx *ctx;
	struct mlx4r_hw_pd *pd;
	uint8_t *buf;      /**< TEMU_BUF_SIZE bytes, registered */
	struct mlx4r_hw_mr *mr;
};

#define TEMU_BUF_SIZE (1u << 20)

/* Set up / tear down an environment on a fresh device. */
int temu_env_init(struct temu_env *e, const char *name,
		  const struct mlx4r_emu_dev_conf *conf);
void temu_env_fini(struct temu_env *e);

/* Tx queue in RTS on @p port: @p nb_wr WRs of one SGE (64-byte TXBBs). */
int temu_txq_create(struct temu_env *e, uint8_t port, uint32_t nb_wr,
		    struct temu_txq *t);
void temu_txq_destroy(struct temu_txq *t);
/** A Tx WQE to write, field by field (zeroed fields: defaults). */
struct temu_wqe {
	uint32_t opcode;              /**< MLX4_OPCODE_* */
	const struct temu_seg *segs;  /**< data segments (len as written) */
	unsigned int n;               /**< number of segments */
	uint32_t flags;               /**< srcrb_flags (host), as written */
	uint32_t ds;                  /**< DS count; 0: 1 + n */
	bool owner_flip;              /**< the wrong owner bit */
	uint16_t vlan_tag;            /**< qpn_vlan.vlan_tag (host) */
	uint8_t ins_vlan;             /**< qpn_vlan.ins_vlan */
	const uint8_t *dmac;          /**< srcrb_flags16[0] + imm, or NULL */
};

/*
 * Write one WQE at the head, as the driver does: data segments, the
 * control segment (the whole qpn_vlan word), the owner word last after a
 * barrier. Returns its TXBB index.
 */
uint32_t temu_tx_post_wqe(struct temu_txq *t, const struct temu_wqe *w);
/*
 * The same with SOLICIT added to @p flags, as every raw Ethernet send
 * has it; @p ds_override != 0 forces the DS count, @p owner_flip writes
 * the wrong owner bit.
 */
uint32_t temu_tx_post_raw(struct temu_txq *t, uint32_t opcode,
			  const struct temu_seg *segs, unsigned int n,
			  uint32_t flags, uint32_t ds_override,
			  bool owner_flip);
uint32_t temu_tx_post(struct temu_txq *t, const void *frame, uint32_t len,
		      uint32_t lkey, uint32_t flags);
/* Send doorbell (UAR write) then the hook, as the datapath does. */
void temu_tx_doorbell(struct temu_txq *t);
/* Stamp every TXBB the device consumed (all of them up to head). */
void temu_tx_reclaim(struct temu_txq *t);

/* Poll one CQE; copies it (32 bytes) and advances the consumer index. */
bool temu_cq_poll(struct mlx4dv_cq *cdv, uint32_t *ci, struct mlx4_cqe *out);

/* Rx queue of @p cnt WQEs of @p sges segments of @p seg_size bytes. */
int temu_rxq_create(struct temu_env *e, uint32_t cnt, uint32_t sges,
		    uint32_t seg_size, struct temu_rxq *r);
void temu_rxq_destroy(struct temu_rxq *r);
/* Post @p n WQEs (all segments) and write the doorbell record. */
void temu_rxq_post(struct temu_rxq *r, uint32_t n);
/* Data of the WQE a CQE names. */
uint8_t *temu_rxq_data(struct temu_rxq *r, uint16_t wqe_index);
/* Rx hook then one CQE. */
bool temu_rx_poll(struct temu_rxq *r, struct mlx4_cqe *cqe);

/* Indirection table + RSS QP in RTR on @p port over @p rxq[]. */
int temu_rss_create(struct temu_env *e, uint8_t port, struct temu_rxq **rxq,
		    const unsigned int *map, uint32_t log_size,
		    uint64_t fields, const uint8_t *key,
		    struct mlx4r_hw_ind_table **ind, struct mlx4r_hw_qp **qp);

/* Flow rules. */
int temu_flow_mac(struct mlx4r_hw_qp *qp, uint8_t port, const uint8_t *mac,
		  struct mlx4r_hw_flow **f);
int temu_flow_kind(struct mlx4r_hw_qp *qp, uint8_t port,
		   enum ibv_flow_attr_type type, struct mlx4r_hw_flow **f);

/* Frames: IPv4/UDP or TCP with correct checksums (csum false: zeros). */
uint32_t temu_frame_ip4(uint8_t *d, const uint8_t *dmac, const uint8_t *smac,
			uint32_t sip, uint32_t dip, uint8_t proto,
			uint16_t sport, uint16_t dport, uint32_t payload,
			bool csum);
/* IPv6/TCP with a correct checksum. */
uint32_t temu_frame_ip6_tcp(uint8_t *d, const uint8_t *dmac,
			    const uint8_t *smac, const uint8_t *sip,
			    const uint8_t *dip, uint16_t sport, uint16_t dport,
			    uint32_t payload);

/* The Microsoft RSS verification key. */
extern const uint8_t temu_rss_key[40];

#endif /* TEST_EMU_UTIL_H */
