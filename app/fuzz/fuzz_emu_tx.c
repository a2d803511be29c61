/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * Fuzzer of the emulated ConnectX-3's send engine (emu/mlx4r_emu_engine.c
 * emu_tx_hook, emu_tx_one, emu_tx_headroom, emu_tx_flush) and, behind
 * its loopback wire, of its receive side (emu_rx_deliver, steering, RSS,
 * checksums), fed arbitrary SQ bytes, owner bits, DS counts, segments,
 * QP/WQ states and CQ/RQ doorbell records, as a buggy or hostile driver
 * could write them.
 *
 * Each input is one fresh device (port 1 in loopback, a Tx QP in RTS, an
 * Rx WQ behind an RSS QP taking every frame), then a program of
 * operations (one byte of operation, then its operands; a short input
 * reads zeros past its end):
 *
 *   0 RAW    u16 offset, u8 length, bytes: written into the SQ (wraps)
 *   1 WQE    a WQE at the driver's head: u8 opcode, u8 DS, u8 flags,
 *            u8 control (owner flip, VLAN insertion), u16 VLAN tag, u8
 *            segments (0..4), each u8 kind, u16 offset, u16 length
 *   2 DOORBELL the send doorbell and the Tx hook, then every Tx CQE
 *   3 STAMP  the TXBBs the device consumed, stamped free as drivers do
 *   4 QP     u8: modify the Tx QP to RESET, INIT, RTR, RTS or ERR
 *   5 CQDB   u32 written as the Tx CQ's consumer index record
 *   6 RXPOST u8: that many receive WQEs posted
 *   7 RXPOLL the Rx hook, then every Rx CQE
 *   8 WQ     u8: the WQ to RDY or ERR
 *   9 RQRAW  u16 offset, u8 length, bytes: written into the RQ ring
 *  10 DATA   u16 offset, u8 length, bytes: frame bytes of the buffer
 *
 * The first bytes choose the device and queues: CQE size, a VF, the
 * firmware's WQE size limit, the SGEs (thus the stride) and depth of the
 * SQ, the hash fields of the RSS QP, a MAC rule besides the default one.
 *
 * Checks, besides the sanitizers (no crash, no out-of-bounds access, no
 * UB, nothing leaked): every CQE is well formed (an error CQE carries a
 * syndrome and a vendor error of the list the engine documents,
 * enum mlx4r_emu_vendor_err); and while the program has not touched the
 * Tx CQ's doorbell record, the CQEs of each doorbell are exactly those a
 * reference model of the card's rules computes from the same SQ bytes
 * (below, expect_doorbell): an invalid WQE ends in the error CQE the
 * hardware gives, with its syndrome, vendor error and WQE index, the QP
 * in error and the WQEs after it flushed; a valid one completes (when
 * asked) with its byte count. The rules are those of the table of
 * doc/guides/nics/mlx4r_hardware.rst, "Transmit", with the sources cited
 * at each in the engine.
 */

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_atomic.h>
#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_io.h>

#include "fuzz_common.h"
#include "test_emu_util.h"
#include "emu/mlx4r_emu_priv.h"

#define DEV "fuzz_emu_tx"
#define MAX_EXP 4096
/*
 * The registered buffer the segments point into: 128 KB, allocated once
 * and cleared per input (the 1 MB of temu_env_init, faulted in anew for
 * each input, cost most of the time of a run).
 */
#define BUF_SIZE (1u << 17)

enum {
	OP_RAW,
	OP_WQE,
	OP_DOORBELL,
	OP_STAMP,
	OP_QP,
	OP_CQDB,
	OP_RXPOST,
	OP_RXPOLL,
	OP_WQ,
	OP_RQRAW,
	OP_DATA,
	OP_MAX,
};

/* Kinds of data segment of OP_WQE. */
enum {
	SEG_BUF,      /* in the registered buffer */
	SEG_RXMEM,    /* in the Rx queue's memory (another MR, same PD) */
	SEG_BADKEY,   /* an lkey no MR has */
	SEG_OUTSIDE,  /* the buffer's lkey, past its end */
	SEG_EMPTY,    /* 0x80000000: inline of no data */
	SEG_INLINE,   /* inline data */
	SEG_ZERO,     /* byte count 0 (2^31 bytes) */
	SEG_WILD,     /* offset and length taken as address and count */
	SEG_MAX,
};

struct cursor {
	const uint8_t *p;
	size_t n;
};

/* A CQE the model expects. */
struct exp_cqe {
	bool err;
	uint8_t op;       /* MLX4_OPCODE_SEND or _NOP when !err */
	uint8_t syn;
	uint8_t verr;
	uint16_t widx;
	uint32_t bytes;
};

struct fuzz {
	struct temu_env env;
	/* the Tx queue, as a driver holds it */
	struct mlx4r_hw_cq *cq;
	struct mlx4r_hw_qp *qp;
	const struct emu_qp *eqp; /* geometry only: spare, max_ds, ... */
	struct mlx4dv_qp dv;
	struct mlx4dv_cq cdv;
	struct mlx4r_hw_hook hook;
	uint8_t *sq;
	uint32_t cnt;             /* strides (sq.wqe_cnt) */
	uint32_t shift;           /* log2 of the stride */
	uint32_t head;            /* next stride to write */
	uint32_t tail;            /* first stride not stamped free */
	uint32_t cq_ci;
	/* the receive side */
	struct temu_rxq rxq;
	struct mlx4r_hw_ind_table *ind;
	struct mlx4r_hw_qp *rss;
	struct mlx4r_hw_flow *flow;
	struct mlx4r_hw_flow *mac_flow;
	/* the reference model of the send engine */
	bool armed;
	enum ibv_qp_state o_state;
	bool o_bound;             /* through RESET->INIT since its RESET */
	uint32_t o_head;
	uint32_t o_hr_done;
	struct exp_cqe exp[MAX_EXP];
	unsigned int nb_exp;
};

static struct fuzz fz;
/* the destination of the frames of make_seeds.py */
static const uint8_t seed_mac[6] = { 0x02, 0, 0, 0, 0, 0xaa };
static uint8_t *fuzz_buf;
/* MLX4R_FUZZ_TRACE set: each operation and expected CQE on stderr */
static bool trace;

int
LLVMFuzzerInitialize(int *argc __attribute__((unused)),
		     char ***argv __attribute__((unused)))
{
	fuzz_eal_init("mlx4r-fuzz-emu-tx", NULL, 0);
	trace = getenv("MLX4R_FUZZ_TRACE") != NULL;
	fuzz_buf = aligned_alloc(4096, BUF_SIZE);
	if (fuzz_buf == NULL)
		abort();
	return 0;
}

static uint8_t
take8(struct cursor *c)
{
	if (c->n == 0)
		return 0;
	c->n--;
	return *c->p++;
}

static uint16_t
take16(struct cursor *c)
{
	uint16_t v = take8(c);

	return (uint16_t)(v << 8 | take8(c));
}

static uint32_t
take32(struct cursor *c)
{
	uint32_t v = take16(c);

	return v << 16 | take16(c);
}

/* Copy up to @p len input bytes into @p ring of @p size bytes (wraps). */
static void
take_into(struct cursor *c, uint8_t *ring, size_t size, size_t off,
	  size_t len)
{
	size_t i;

	for (i = 0; i < len && c->n > 0; i++)
		ring[(off + i) % size] = take8(c);
}

static uint8_t *
stride_at(uint32_t idx)
{
	return fz.sq + ((size_t)(idx & (fz.cnt - 1)) << fz.shift);
}

/*
 * The reference model. It reads the SQ as the device does, from the
 * same bytes, and applies the rules of a ConnectX-3 send queue:
 *  - a WQE is posted when the owner bit of its first stride is the wrap
 *    parity of its index (PRM; libmlx4 qp.c mlx4_post_send);
 *  - at most wqe_cnt - spare strides are owned at once, and the spare
 *    strides past the last posted WQE must not look posted (libmlx4
 *    verbs.c create_qp_ex, the prefetch headroom), each checked once,
 *    when it enters the headroom;
 *  - opcode SEND or NOP on a raw Ethernet QP; DS count at least 2 for a
 *    SEND (control + one data segment), 1 for a NOP, at most
 *    max_sq_desc_sz / 16 (mlx4_core fw.c mlx4_QUERY_DEV_CAP);
 *  - data segments: 0x80000000 is an empty inline segment (libmlx4 qp.c
 *    set_data_seg), other inline data is not run; a byte count of 0
 *    means 2^31; the lkey must be of an MR of the QP's PD and the bytes
 *    within it (local protection error); the frame at most
 *    MLX4R_EMU_MAX_FRAME bytes and at least an Ethernet header (local
 *    length error);
 *  - VLAN insertion adds 4 bytes, a send without SOLICIT 4 bytes of
 *    ICRC; a completion only when CQ_UPDATE is asked;
 *  - the first bad WQE completes in error, the QP goes to error, every
 *    WQE posted after it completes in flush error; doorbells of a QP in
 *    error flush, those of a QP in RESET, INIT or RTR do nothing;
 *  - a QP moved to error straight from RESET completes nothing: the
 *    emulated device binds a QP to its port at RESET->INIT only (the
 *    port comes with that transition, mlx4_ib qp.c __mlx4_ib_modify_qp),
 *    and flushes nothing for a QP without one. What the card does there
 *    is not established: mlx4_ib passes the QP context, CQs included,
 *    with 2ERR_QP from RESET too. No driver posts to such a QP; the
 *    model follows the emulated device.
 */
static void
expect(bool err, uint8_t op, uint8_t syn, uint8_t verr, uint32_t widx,
       uint32_t bytes)
{
	struct exp_cqe *e;

	FUZZ_CHECK(fz.nb_exp < MAX_EXP, "model: more than %u CQEs", MAX_EXP);
	e = &fz.exp[fz.nb_exp++];
	if (trace)
		fprintf(stderr, "  model: CQE %s op 0x%x syndrome 0x%x vendor 0x%x WQE %u, %u bytes\n",
			err ? "error" : "ok", op, syn, verr, widx, bytes);
	e->err = err;
	e->op = op;
	e->syn = syn;
	e->verr = verr;
	e->widx = (uint16_t)widx;
	e->bytes = bytes;
}

static bool
model_owned(uint32_t idx)
{
	const uint8_t *b = stride_at(idx);

	return !!(b[0] & 0x80) == !!(idx & fz.cnt);
}

static uint32_t
model_ds(uint32_t idx)
{
	return ((const struct mlx4_wqe_ctrl_seg *)stride_at(idx))->fence_size &
	       MLX4R_WQE_DS_MASK;
}

static uint32_t
model_strides(uint32_t ds)
{
	uint32_t per = 1u << (fz.shift - 4); /* DS units per stride */

	return (ds + per - 1) / per;
}

static void
model_flush(void)
{
	uint32_t budget = fz.cnt, n;

	while (budget > 0 && model_owned(fz.o_head)) {
		n = RTE_MIN(RTE_MAX(model_strides(model_ds(fz.o_head)), 1u),
			    budget);
		expect(true, 0, MLX4_CQE_SYNDROME_WR_FLUSH_ERR,
		       MLX4R_EMU_VERR_FLUSH, fz.o_head, 0);
		fz.o_head += n;
		budget -= n;
	}
}

/* An MR of the PD: the buffer or the Rx queue's memory. */
static bool
model_mr(uint32_t lkey, uint64_t addr, uint32_t len, uint8_t *verr)
{
	uint64_t start, size;

	if (lkey != 0 && lkey == fz.env.mr->lkey) {
		start = (uintptr_t)fz.env.buf;
		size = BUF_SIZE;
	} else if (lkey != 0 && lkey == fz.rxq.mr->lkey) {
		start = (uintptr_t)fz.rxq.mem;
		size = (uint64_t)fz.rxq.cnt * fz.rxq.sges * fz.rxq.seg_size;
	} else {
		*verr = MLX4R_EMU_VERR_LKEY;
		return false;
	}
	if (addr < start || addr + len > start + size || addr + len < addr) {
		*verr = MLX4R_EMU_VERR_BOUNDS;
		return false;
	}
	return true;
}

/* The verdict on the posted WQE at @p idx: true and its bytes, or false. */
static bool
model_wqe(uint32_t idx, uint8_t *op, uint32_t *bytes, uint8_t *syn,
	  uint8_t *verr)
{
	const uint32_t size = fz.cnt << fz.shift;
	const uint32_t base = (idx & (fz.cnt - 1)) << fz.shift;
	const struct mlx4_wqe_ctrl_seg *c = (const void *)stride_at(idx);
	uint32_t w0 = rte_be_to_cpu_32(c->owner_opcode);
	uint32_t opcode = w0 & MLX4R_WQE_OPCODE_MASK;
	uint32_t ds = c->fence_size & MLX4R_WQE_DS_MASK;
	uint32_t flags = rte_be_to_cpu_32(c->srcrb_flags);
	uint8_t ins = ((const uint8_t *)c)[6];
	uint32_t k, total = 0;

	*syn = MLX4_CQE_SYNDROME_LOCAL_QP_OP_ERR;
	*op = (uint8_t)opcode;
	/*
	 * LSO too: the emulated firmware always reports a max_gso_sz
	 * (mlx4r_emu_obj.c, QUERY_DEV_CAP), and the engine then takes the
	 * opcode (emu_tx_one), checking its DS count as a SEND's.
	 */
	if (opcode != MLX4_OPCODE_SEND && opcode != MLX4_OPCODE_NOP &&
	    opcode != MLX4_OPCODE_LSO) {
		*verr = MLX4R_EMU_VERR_OPCODE;
		return false;
	}
	if (ds > fz.eqp->max_ds ||
	    ds < (opcode == MLX4_OPCODE_NOP ? 1u : 2u)) {
		*verr = MLX4R_EMU_VERR_DS;
		return false;
	}
	if (opcode == MLX4_OPCODE_LSO) {
		/*
		 * What the engine makes of an LSO WQE (its header, MSS and
		 * segments) is not modelled here: from this WQE on, the
		 * CQEs are only checked to be well formed (check_cqe()).
		 * mlx4r_tso_autotest and test_emu_lso_rules check LSO.
		 */
		fz.armed = false;
		*bytes = 0;
		return true;
	}
	if (opcode == MLX4_OPCODE_SEND) {
		for (k = 1; k < ds; k++) {
			const struct mlx4_wqe_data_seg *s = (const void *)
				(fz.sq + ((base + k * 16) & (size - 1)));
			uint32_t bc = rte_be_to_cpu_32(s->byte_count);
			uint32_t len;

			if (bc & MLX4_INLINE_SEG) {
				if ((bc & ~MLX4_INLINE_SEG) == 0)
					continue;
				*verr = MLX4R_EMU_VERR_INLINE;
				return false;
			}
			len = bc != 0 ? bc : 1u << 31;
			if (!model_mr(rte_be_to_cpu_32(s->lkey),
				      rte_be_to_cpu_64(s->addr), len, verr)) {
				*syn = MLX4_CQE_SYNDROME_LOCAL_PROT_ERR;
				return false;
			}
			if (len > MLX4R_EMU_MAX_FRAME - total) {
				*syn = MLX4_CQE_SYNDROME_LOCAL_LENGTH_ERR;
				*verr = MLX4R_EMU_VERR_LENGTH;
				return false;
			}
			total += bc;
		}
		if (total < RTE_ETHER_HDR_LEN) {
			*syn = MLX4_CQE_SYNDROME_LOCAL_LENGTH_ERR;
			*verr = MLX4R_EMU_VERR_LENGTH;
			return false;
		}
		if (ins & (EMU_WQE_INS_CVLAN | EMU_WQE_INS_SVLAN))
			total += 4;
		if (!(flags & MLX4_WQE_CTRL_SOLICIT))
			total += 4;
	}
	*bytes = total;
	/* a completion only when asked */
	return true;
}

/* First stride of the headroom past @p end that looks posted, or end. */
static uint32_t
model_headroom(uint32_t end)
{
	uint32_t j = end + 1, to = end + fz.eqp->spare;

	if ((int32_t)(fz.o_hr_done - j) > 0)
		j = fz.o_hr_done;
	for (; j != to; j++) {
		if (model_owned(j)) {
			fz.o_hr_done = j;
			return j;
		}
	}
	fz.o_hr_done = to;
	return end;
}

static void
expect_doorbell(void)
{
	uint32_t owned = 0, n, bytes = 0, bad;
	uint8_t op = 0, syn = 0, verr = 0;
	const struct mlx4_wqe_ctrl_seg *c;

	if (!fz.o_bound)
		return;
	if (fz.o_state == IBV_QPS_ERR) {
		model_flush();
		return;
	}
	if (fz.o_state != IBV_QPS_RTS)
		return;
	while (model_owned(fz.o_head)) {
		n = model_strides(model_ds(fz.o_head));
		if (owned + n > fz.cnt - fz.eqp->spare) {
			syn = MLX4_CQE_SYNDROME_LOCAL_QP_OP_ERR;
			verr = MLX4R_EMU_VERR_HEADROOM;
			goto wqe_error;
		}
		if (!model_wqe(fz.o_head, &op, &bytes, &syn, &verr))
			goto wqe_error;
		c = (const void *)stride_at(fz.o_head);
		if (rte_be_to_cpu_32(c->srcrb_flags) & MLX4_WQE_CTRL_CQ_UPDATE)
			expect(false, op, 0, 0, fz.o_head, bytes);
		fz.o_head += n;
		owned += n;
	}
	if (owned == 0)
		return;
	bad = model_headroom(fz.o_head);
	if (bad != fz.o_head) {
		expect(true, 0, MLX4_CQE_SYNDROME_LOCAL_QP_OP_ERR,
		       MLX4R_EMU_VERR_HEADROOM, bad, 0);
		fz.o_state = IBV_QPS_ERR;
	}
	return;
wqe_error:
	expect(true, 0, syn, verr, fz.o_head, 0);
	fz.o_state = IBV_QPS_ERR;
	fz.o_head += RTE_MAX(1u, model_strides(model_ds(fz.o_head)));
	model_flush();
}

/* A CQE is well formed whatever the program did. */
static void
check_cqe(const struct mlx4_cqe *cqe, bool send)
{
	const struct mlx4_err_cqe *e = (const void *)cqe;
	uint8_t op = cqe->owner_sr_opcode & MLX4_CQE_OPCODE_MASK;

	FUZZ_CHECK(!!(cqe->owner_sr_opcode & MLX4_CQE_IS_SEND_MASK) == send,
		   "CQE 0x%02x on the %s CQ", cqe->owner_sr_opcode,
		   send ? "send" : "receive");
	if (op == MLX4_CQE_OPCODE_ERROR) {
		FUZZ_CHECK(e->syndrome == MLX4_CQE_SYNDROME_LOCAL_LENGTH_ERR ||
			   e->syndrome == MLX4_CQE_SYNDROME_LOCAL_QP_OP_ERR ||
			   e->syndrome == MLX4_CQE_SYNDROME_LOCAL_PROT_ERR ||
			   e->syndrome == MLX4_CQE_SYNDROME_WR_FLUSH_ERR,
			   "syndrome 0x%x", e->syndrome);
		FUZZ_CHECK(e->vendor_err >= MLX4R_EMU_VERR_OPCODE &&
			   e->vendor_err <= MLX4R_EMU_VERR_LSO,
			   "vendor error 0x%x", e->vendor_err);
		/* flushes, and only flushes, are WR_FLUSH_ERR */
		FUZZ_CHECK((e->syndrome == MLX4_CQE_SYNDROME_WR_FLUSH_ERR) ==
			   (e->vendor_err == MLX4R_EMU_VERR_FLUSH),
			   "syndrome 0x%x, vendor error 0x%x", e->syndrome,
			   e->vendor_err);
	} else if (send) {
		FUZZ_CHECK(op == MLX4_OPCODE_SEND || op == MLX4_OPCODE_NOP,
			   "send CQE opcode 0x%x", op);
		FUZZ_CHECK(rte_be_to_cpu_32(cqe->byte_cnt) <=
			   MLX4R_EMU_MAX_FRAME + 8, "send CQE of %u bytes",
			   rte_be_to_cpu_32(cqe->byte_cnt));
	} else {
		FUZZ_CHECK(rte_be_to_cpu_32(cqe->byte_cnt) <=
			   MLX4R_EMU_MAX_FRAME + 8, "receive CQE of %u bytes",
			   rte_be_to_cpu_32(cqe->byte_cnt));
	}
	if (send)
		FUZZ_CHECK((rte_be_to_cpu_32(cqe->vlan_my_qpn) & 0xffffff) ==
			   fz.qp->qpn, "CQE of QP 0x%x",
			   rte_be_to_cpu_32(cqe->vlan_my_qpn));
}

static void
op_doorbell(void)
{
	struct mlx4_cqe cqe;
	unsigned int i = 0;

	fz.nb_exp = 0;
	if (fz.armed)
		expect_doorbell();
	rte_wmb();
	rte_write32(fz.dv.doorbell_qpn, fz.dv.sdb);
	mlx4r_hw_hook_call(&fz.hook);
	while (temu_cq_poll(&fz.cdv, &fz.cq_ci, &cqe)) {
		const struct mlx4_err_cqe *e = (const void *)&cqe;
		const struct exp_cqe *x = &fz.exp[i];
		uint8_t op = cqe.owner_sr_opcode & MLX4_CQE_OPCODE_MASK;

		check_cqe(&cqe, true);
		if (!fz.armed)
			continue;
		FUZZ_CHECK(i < fz.nb_exp, "CQE %u (0x%02x, WQE %u): the model expects %u",
			   i, cqe.owner_sr_opcode,
			   rte_be_to_cpu_16(cqe.wqe_index), fz.nb_exp);
		FUZZ_CHECK(rte_be_to_cpu_16(cqe.wqe_index) == x->widx,
			   "CQE %u: WQE %u, the model %u", i,
			   rte_be_to_cpu_16(cqe.wqe_index), x->widx);
		if (x->err) {
			FUZZ_CHECK(op == MLX4_CQE_OPCODE_ERROR &&
				   e->syndrome == x->syn &&
				   e->vendor_err == x->verr,
				   "CQE %u (WQE %u): opcode 0x%x syndrome 0x%x vendor 0x%x, the model: error 0x%x vendor 0x%x",
				   i, x->widx, op, e->syndrome, e->vendor_err,
				   x->syn, x->verr);
		} else {
			FUZZ_CHECK(op == x->op &&
				   rte_be_to_cpu_32(cqe.byte_cnt) == x->bytes,
				   "CQE %u (WQE %u): opcode 0x%x, %u bytes, the model: opcode 0x%x, %u bytes",
				   i, x->widx, op,
				   rte_be_to_cpu_32(cqe.byte_cnt), x->op,
				   x->bytes);
		}
		i++;
	}
	if (fz.armed)
		FUZZ_CHECK(i == fz.nb_exp, "%u CQEs, the model expects %u", i,
			   fz.nb_exp);
}

/* A WQE as a driver writes it: segments, control, owner word last. */
static void
op_wqe(struct cursor *c)
{
	const uint32_t size = fz.cnt << fz.shift;
	uint32_t base = (fz.head & (fz.cnt - 1)) << fz.shift;
	uint8_t opc = take8(c), dsb = take8(c), flags = take8(c);
	uint8_t ctl = take8(c);
	uint16_t vlan = take16(c);
	unsigned int nseg = take8(c) % 5, i;
	struct mlx4_wqe_ctrl_seg *ctrl = (void *)stride_at(fz.head);
	uint32_t ds, owner, opcode;

	for (i = 0; i < nseg; i++) {
		struct mlx4_wqe_data_seg *s = (void *)(fz.sq +
			((base + (i + 1) * 16) & (size - 1)));
		uint8_t kind = take8(c) % SEG_MAX;
		uint32_t off = take16(c), len = take16(c), lkey;
		uint64_t addr;

		lkey = fz.env.mr->lkey;
		addr = (uintptr_t)fz.env.buf + off;
		len %= MLX4R_EMU_MAX_FRAME + 64;
		switch (kind) {
		case SEG_RXMEM:
			lkey = fz.rxq.mr->lkey;
			addr = (uintptr_t)fz.rxq.mem;
			len %= 2049;
			break;
		case SEG_BADKEY:
			lkey ^= (uint32_t)off << 8 | 1;
			break;
		case SEG_OUTSIDE:
			addr = (uintptr_t)fz.env.buf + BUF_SIZE - off % 64;
			break;
		case SEG_EMPTY:
			len = MLX4_INLINE_SEG;
			break;
		case SEG_INLINE:
			len |= MLX4_INLINE_SEG | 1;
			break;
		case SEG_ZERO:
			len = 0;
			break;
		case SEG_WILD:
			addr = (uint64_t)off << 48 | (uint64_t)len << 16;
			len = (uint32_t)off << 16 | len;
			break;
		default:
			break;
		}
		s->addr = rte_cpu_to_be_64(addr);
		s->lkey = rte_cpu_to_be_32(lkey);
		s->byte_count = rte_cpu_to_be_32(len);
	}
	/* DS: 1 + segments, unless the program says otherwise */
	ds = (dsb & 0x40) ? (dsb & MLX4R_WQE_DS_MASK) : 1 + nseg;
	ctrl->bf_qpn = rte_cpu_to_be_32((uint32_t)vlan << 16 |
					(uint32_t)(ctl & 0xc0) << 8 |
					(ds & MLX4R_WQE_DS_MASK));
	ctrl->srcrb_flags = rte_cpu_to_be_32(flags);
	ctrl->imm = 0;
	/* opcode: SEND, NOP, or any 5 bits */
	opcode = (opc & 0x80) ? (opc & MLX4R_WQE_OPCODE_MASK) :
		 (opc & 1) ? MLX4_OPCODE_NOP : MLX4_OPCODE_SEND;
	owner = (fz.head & fz.cnt) ? MLX4R_WQE_OWNER_BIT : 0;
	if (ctl & 1)
		owner ^= MLX4R_WQE_OWNER_BIT;
	/* The device may start on the WQE once its owner word is valid. */
	rte_io_wmb();
	ctrl->owner_opcode = rte_cpu_to_be_32(opcode | owner);
	/* a WQE the device does not own is written over next time */
	if (!(ctl & 1))
		fz.head += RTE_MAX(1u, model_strides(ds));
}

/* Stamp what the device consumed: first word, the other pass's owner. */
static void
op_stamp(void)
{
	/* the engine's head: never stamp what it has not consumed */
	uint32_t dev_head = fz.eqp->head;

	for (; (int32_t)(dev_head - fz.tail) > 0; fz.tail++) {
		uint32_t owner = (fz.tail & fz.cnt) ? MLX4R_WQE_OWNER_BIT : 0;

		*(uint32_t *)(void *)stride_at(fz.tail) =
			rte_cpu_to_be_32(MLX4R_TXBB_STAMP | owner);
	}
	if ((int32_t)(fz.tail - fz.head) > 0)
		fz.head = fz.tail;
}

static void
op_qp(struct cursor *c)
{
	static const enum ibv_qp_state states[] = {
		IBV_QPS_RESET, IBV_QPS_INIT, IBV_QPS_RTR, IBV_QPS_RTS,
		IBV_QPS_ERR,
	};
	enum ibv_qp_state next = states[take8(c) % RTE_DIM(states)];
	enum ibv_qp_state cur = fz.qp->state;
	struct ibv_qp_attr a;
	int mask = IBV_QP_STATE;

	memset(&a, 0, sizeof(a));
	a.qp_state = next;
	if (cur == IBV_QPS_RESET && next == IBV_QPS_INIT) {
		a.port_num = 1;
		mask |= IBV_QP_PORT;
	}
	if (mlx4r_hw_modify_qp(fz.qp, &a, mask) != 0)
		return;
	/* the model follows the engine's state: the QP's, or its error */
	fz.o_state = next;
	if (cur == IBV_QPS_RESET && next == IBV_QPS_INIT)
		fz.o_bound = true;
	if (next == IBV_QPS_RESET) {
		fz.o_bound = false;
		/* libmlx4 starts the rings over (qp.c mlx4_init_qp_indices) */
		fz.o_head = 0;
		fz.o_hr_done = 0;
		fz.head = 0;
		fz.tail = 0;
	}
}

static void
op_rxpoll(void)
{
	struct mlx4_cqe cqe;
	unsigned int n = 0;

	while (n++ < 4 * fz.rxq.cnt && temu_rx_poll(&fz.rxq, &cqe))
		check_cqe(&cqe, false);
}

static int
setup(struct cursor *c)
{
	static const uint32_t sges[] = { 1, 3, 4, 7, 15, 32 };
	static const uint64_t hash[] = {
		0,
		IBV_RX_HASH_SRC_IPV4 | IBV_RX_HASH_DST_IPV4,
		IBV_RX_HASH_SRC_IPV4 | IBV_RX_HASH_DST_IPV4 |
		IBV_RX_HASH_SRC_PORT_TCP | IBV_RX_HASH_DST_PORT_TCP,
		IBV_RX_HASH_SRC_IPV6 | IBV_RX_HASH_DST_IPV6 |
		IBV_RX_HASH_SRC_PORT_UDP | IBV_RX_HASH_DST_PORT_UDP,
	};
	struct mlx4r_emu_dev_conf conf;
	struct mlx4r_hw_qp_attr qa;
	struct temu_rxq *r[1] = { &fz.rxq };
	struct ibv_qp_attr a;
	uint8_t c0 = take8(c), c1 = take8(c), c2 = take8(c);

	memset(&conf, 0, sizeof(conf));
	conf.cqe_size = (c0 & 1) ? 64 : 32;
	conf.vf = (c0 & 2) != 0;
	conf.max_sq_desc_sz = (c0 & 4) ? 512 : 0;
	conf.rx_csum_field_only = (c0 & 8) != 0;
	/* temu_env_init() with the buffer of this file */
	fz.env.name = DEV;
	if (mlx4r_emu_dev_create(DEV, &conf) != 0)
		return -1;
	fz.env.dev = mlx4r_emu_dev_lookup(DEV);
	mlx4r_emu_clock_manual(fz.env.dev, true);
	mlx4r_emu_netdev_set_up(fz.env.dev, 1, true);
	mlx4r_emu_netdev_set_up(fz.env.dev, 2, true);
	memset(fuzz_buf, 0, BUF_SIZE);
	fz.env.buf = fuzz_buf;
	if (mlx4r_hw_open_device(mlx4r_hw_backend("emu"), DEV,
				 &fz.env.ctx) != 0 ||
	    mlx4r_hw_alloc_pd(fz.env.ctx, &fz.env.pd) != 0 ||
	    mlx4r_hw_reg_mr(fz.env.pd, fz.env.buf, BUF_SIZE,
			    IBV_ACCESS_LOCAL_WRITE, &fz.env.mr) != 0)
		return -1;
	if (mlx4r_emu_wire_loopback(fz.env.dev, 1) != 0)
		return -1;
	/* the Tx queue: a CQ with room for every stride twice */
	fz.cnt = 0;
	memset(&qa, 0, sizeof(qa));
	qa.cap.max_send_wr = 1 + c2 % 64;
	qa.cap.max_send_sge = sges[(c1 & 0x7f) % RTE_DIM(sges)];
	if (mlx4r_hw_create_cq(fz.env.ctx, 2 * (qa.cap.max_send_wr + 33),
			       &fz.cq) != 0)
		return -1;
	qa.send_cq = fz.cq;
	/* a stride above max_sq_desc_sz is refused: that is all */
	if (mlx4r_hw_create_qp(fz.env.pd, &qa, &fz.qp) != 0)
		return 1;
	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_INIT;
	a.port_num = 1;
	if (mlx4r_hw_modify_qp(fz.qp, &a, IBV_QP_STATE | IBV_QP_PORT) != 0)
		return -1;
	a.qp_state = IBV_QPS_RTR;
	if (mlx4r_hw_modify_qp(fz.qp, &a, IBV_QP_STATE) != 0)
		return -1;
	a.qp_state = IBV_QPS_RTS;
	if (mlx4r_hw_modify_qp(fz.qp, &a, IBV_QP_STATE) != 0)
		return -1;
	if (mlx4r_hw_qp_view(fz.qp, &fz.dv, &fz.hook) != 0 ||
	    mlx4r_hw_cq_view(fz.cq, &fz.cdv) != 0)
		return -1;
	fz.eqp = container_of(fz.qp, struct emu_qp, hw);
	fz.sq = (uint8_t *)fz.dv.buf.buf + fz.dv.sq.offset;
	fz.cnt = fz.dv.sq.wqe_cnt;
	fz.shift = fz.dv.sq.wqe_shift;
	fz.armed = true;
	fz.o_state = IBV_QPS_RTS;
	fz.o_bound = true;
	/* the receive side: every frame of port 1 to one WQ */
	if (temu_rxq_create(&fz.env, 16, 1 + (c1 >> 7), 2048, &fz.rxq) != 0 ||
	    temu_rss_create(&fz.env, 1, r, NULL, 0, hash[(c0 >> 4) % 4],
			    NULL, &fz.ind, &fz.rss) != 0 ||
	    temu_flow_kind(fz.rss, 1, IBV_FLOW_ATTR_ALL_DEFAULT,
			   &fz.flow) != 0)
		return -1;
	/* and a rule for the seeds' destination MAC */
	if ((c0 & 0x40) &&
	    temu_flow_mac(fz.rss, 1, seed_mac, &fz.mac_flow) != 0)
		return -1;
	temu_rxq_post(&fz.rxq, fz.rxq.cnt);
	return 0;
}

static void
teardown(void)
{
	/* closing the context destroys what is left, as the kernel does */
	if (fz.env.ctx != NULL)
		mlx4r_hw_close_device(fz.env.ctx);
	mlx4r_emu_dev_destroy(DEV);
	free(fz.rxq.mem);
	memset(&fz, 0, offsetof(struct fuzz, exp));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cursor c = { data, size };
	unsigned int steps = 0;
	int ret;

	ret = setup(&c);
	FUZZ_CHECK(ret >= 0, "set-up of the device failed");
	while (ret == 0 && c.n > 0 && steps++ < 1024) {
		uint8_t op = take8(&c) % OP_MAX;
		uint32_t off, len;

		if (trace)
			fprintf(stderr, "op %u: head %u tail %u, device head %u state %d, model head %u hr_done %u state %d\n",
				op, fz.head, fz.tail, fz.eqp->head,
				fz.eqp->state, fz.o_head, fz.o_hr_done,
				fz.o_state);
		switch (op) {
		case OP_RAW:
			off = take16(&c);
			len = 1 + take8(&c) % 64;
			take_into(&c, fz.sq, (size_t)fz.cnt << fz.shift, off,
				  len);
			break;
		case OP_WQE:
			op_wqe(&c);
			break;
		case OP_DOORBELL:
			op_doorbell();
			break;
		case OP_STAMP:
			op_stamp();
			break;
		case OP_QP:
			op_qp(&c);
			break;
		case OP_CQDB:
			/* CQEs the device drops from now on: no model */
			*fz.cdv.set_ci_db = rte_cpu_to_be_32(take32(&c));
			fz.armed = false;
			break;
		case OP_RXPOST:
			temu_rxq_post(&fz.rxq, take8(&c) % (2 * fz.rxq.cnt));
			break;
		case OP_RXPOLL:
			op_rxpoll();
			break;
		case OP_WQ:
			mlx4r_hw_modify_wq(fz.rxq.wq, (take8(&c) & 1) ?
					   IBV_WQS_ERR : IBV_WQS_RDY);
			break;
		case OP_RQRAW:
			off = take16(&c);
			len = 1 + take8(&c) % 64;
			take_into(&c, (uint8_t *)fz.rxq.dv.buf.buf +
				  fz.rxq.dv.rq.offset,
				  (size_t)fz.rxq.dv.rq.wqe_cnt <<
				  fz.rxq.dv.rq.wqe_shift, off, len);
			break;
		case OP_DATA:
			off = take16(&c);
			len = 1 + take8(&c);
			take_into(&c, fz.env.buf, BUF_SIZE, off, len);
			break;
		default:
			break;
		}
	}
	teardown();
	return 0;
}
