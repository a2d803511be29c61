/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * The send queue of the emulated ConnectX-3 against the rules of libmlx4,
 * mlx4_ib and the card (doc/guides/nics/mlx4r_hardware.rst, "Transmit"):
 * the SQ geometry libmlx4 makes of the capabilities asked and what mlx4_ib
 * accepts of it, the WQE size limit of the firmware, ownership by the
 * owner bit alone, no walk without a send doorbell, the prefetch headroom, SOLICIT (no ICRC), empty and
 * zero-length data segments, the VLAN insertion bytes of the control
 * segment, and a VF's loopback by the destination MAC of the control
 * segment.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_ip.h>

#include "test.h"
#include "test_emu_util.h"
#include "emu/mlx4r_emu_priv.h"

#define DEV "t_emu_sq"

static struct temu_env env;
static struct temu_txq txq;
static struct temu_rxq rxq;
static struct mlx4r_hw_ind_table *ind;
static struct mlx4r_hw_qp *rss;
static struct mlx4r_hw_flow *flow;
/*
 * Where the frames of these tests go: an address the port's kernel netdev
 * does not own, so that the uverbs default rule takes them.
 */
static const uint8_t port_mac[6] = { 0x02, 0, 0, 0, 0, 0xaa };
static const uint8_t peer_mac[6] = { 0x02, 0, 0, 0, 0, 0x66 };

/* Port 1 in loopback, a 64-WR Tx queue, an Rx queue taking everything. */
static int
setup_conf(const struct mlx4r_emu_dev_conf *conf)
{
	struct temu_rxq *r[1] = { &rxq };

	if (temu_env_init(&env, DEV, conf) != 0 ||
	    mlx4r_emu_wire_loopback(env.dev, 1) != 0 ||
	    temu_txq_create(&env, 1, 64, &txq) != 0 ||
	    temu_rxq_create(&env, 256, 1, 2048, &rxq) != 0 ||
	    temu_rss_create(&env, 1, r, NULL, 0, 0, NULL, &ind, &rss) != 0 ||
	    temu_flow_kind(rss, 1, IBV_FLOW_ATTR_ALL_DEFAULT, &flow) != 0)
		return TEST_FAILED;
	return TEST_SUCCESS;
}

static int
setup(void)
{
	struct mlx4r_emu_dev_conf conf;

	memset(&conf, 0, sizeof(conf));
	return setup_conf(&conf);
}

static int
setup_vf(void)
{
	struct mlx4r_emu_dev_conf conf;

	memset(&conf, 0, sizeof(conf));
	conf.vf = true;
	return setup_conf(&conf);
}

static int
setup_desc512(void)
{
	struct mlx4r_emu_dev_conf conf;

	memset(&conf, 0, sizeof(conf));
	conf.max_sq_desc_sz = 512;
	return setup_conf(&conf);
}

static void
teardown(void)
{
	temu_env_fini(&env);
	free(rxq.mem);
	memset(&txq, 0, sizeof(txq));
	memset(&rxq, 0, sizeof(rxq));
}

static uint8_t *
frame_at(uint32_t off)
{
	return env.buf + off;
}

static uint32_t
udp_frame(uint32_t off, uint16_t sport, uint32_t payload)
{
	return temu_frame_ip4(frame_at(off), port_mac, peer_mac,
			      RTE_IPV4(10, 0, 0, 1), RTE_IPV4(10, 0, 0, 2),
			      IPPROTO_UDP, sport, 4000, payload, true);
}

/* One CQE of the Tx CQ, as an error CQE. */
static int
tx_err_cqe(uint8_t syn, uint8_t vendor, uint32_t widx)
{
	struct mlx4_err_cqe e;
	struct mlx4_cqe cqe;

	TEST_ASSERT(temu_cq_poll(&txq.cdv, &txq.cq_ci, &cqe), "an error CQE");
	memcpy(&e, &cqe, sizeof(e));
	TEST_ASSERT_EQUAL(e.owner_sr_opcode & MLX4_CQE_OPCODE_MASK,
			  MLX4_CQE_OPCODE_ERROR, "error opcode");
	TEST_ASSERT_EQUAL(e.syndrome, syn, "syndrome");
	TEST_ASSERT_EQUAL(e.vendor_err, vendor, "vendor error");
	TEST_ASSERT_EQUAL(rte_be_to_cpu_16(e.wqe_index), widx & 0xffff,
			  "WQE index");
	return TEST_SUCCESS;
}

/*
 * Geometry: what libmlx4 makes of the capabilities asked, computed here
 * by hand from providers/mlx4/qp.c mlx4_calc_sq_wqe_size (stride: data
 * segments, at least a 32-byte bind segment, + 16, rounded up to a power
 * of two >= 64), verbs.c create_qp_ex (spare = 2048 / stride + 1, wqe_cnt =
 * roundup_pow_of_two(wr + spare)) and mlx4_set_sq_sizes (granted).
 */
static int
check_geom(uint32_t wr, uint32_t sge, int ret, uint32_t shift, uint32_t cnt,
	   uint32_t gwr, uint32_t gsge)
{
	struct mlx4r_hw_qp_attr qa;
	struct mlx4r_hw_cq *cq;
	struct mlx4r_hw_qp *qp;
	struct mlx4r_hw_hook hook;
	struct mlx4dv_qp dv;
	int r;

	TEST_ASSERT_SUCCESS(mlx4r_hw_create_cq(env.ctx, 64, &cq), "cq");
	memset(&qa, 0, sizeof(qa));
	qa.send_cq = cq;
	qa.cap.max_send_wr = wr;
	qa.cap.max_send_sge = sge;
	r = mlx4r_hw_create_qp(env.pd, &qa, &qp);
	TEST_ASSERT_EQUAL(r, ret, "create_qp(%u WRs, %u SGEs)", wr, sge);
	if (r == 0) {
		TEST_ASSERT_SUCCESS(mlx4r_hw_qp_view(qp, &dv, &hook), "view");
		TEST_ASSERT_EQUAL(dv.sq.wqe_shift, shift, "stride of %u/%u",
				  wr, sge);
		TEST_ASSERT_EQUAL(dv.sq.wqe_cnt, cnt, "WQEs of %u/%u", wr, sge);
		TEST_ASSERT_EQUAL(qa.cap.max_send_wr, gwr, "granted WRs");
		TEST_ASSERT_EQUAL(qa.cap.max_send_sge, gsge, "granted SGEs");
		/* the dummy RQ of one 16-byte WQE after the SQ, as libmlx4 */
		TEST_ASSERT_EQUAL(dv.rq.wqe_cnt, 1, "RQ WQEs");
		TEST_ASSERT_EQUAL(dv.rq.wqe_shift, 4, "RQ stride");
		TEST_ASSERT_EQUAL(dv.sq.offset, 0, "SQ first");
		TEST_ASSERT_EQUAL(dv.rq.offset, (int)(cnt << shift),
				  "RQ after the SQ");
		TEST_ASSERT_EQUAL(qa.cap.max_recv_wr, 1, "granted RQ");
		TEST_ASSERT_SUCCESS(mlx4r_hw_destroy_qp(qp), "destroy");
	}
	TEST_ASSERT_SUCCESS(mlx4r_hw_destroy_cq(cq), "destroy cq");
	return TEST_SUCCESS;
}

static int
test_geometry_libmlx4(void)
{
	struct ibv_device_attr da;

	/* mlx4_ib_query_device: max_wqes - 33, min(max_sq_sg, max_rq_sg) */
	TEST_ASSERT_SUCCESS(mlx4r_hw_query_device(env.ctx, &da), "query");
	TEST_ASSERT_EQUAL(da.max_qp_wr, 16384 - 33, "max_qp_wr");
	TEST_ASSERT_EQUAL(da.max_sge, 32, "max_sge");
	/* what the driver and upstream net_mlx4 ask: 64-byte TXBBs */
	TEST_ASSERT_SUCCESS(check_geom(64, 1, 0, 6, 128, 95, 3), "");
	TEST_ASSERT_SUCCESS(check_geom(4096, 1, 0, 6, 8192, 8159, 3), "");
	TEST_ASSERT_SUCCESS(check_geom(64, 3, 0, 6, 128, 95, 3), "");
	/* more SGEs, larger strides, fewer spare WQEs */
	TEST_ASSERT_SUCCESS(check_geom(64, 4, 0, 7, 128, 111, 7), "");
	/* the old driver's 15 SGEs: a 256-byte stride */
	TEST_ASSERT_SUCCESS(check_geom(512, 15, 0, 8, 1024, 1015, 15), "");
	TEST_ASSERT_SUCCESS(check_geom(100, 32, 0, 10, 128, 125, 63), "");
	/* the largest queue: 16351 + 33 = 16384 WQEs, max_wqes */
	TEST_ASSERT_SUCCESS(check_geom(16351, 1, 0, 6, 16384, 16351, 3), "");
	/* libmlx4's checks against query_device */
	TEST_ASSERT_SUCCESS(check_geom(16352, 1, -EINVAL, 0, 0, 0, 0), "");
	TEST_ASSERT_SUCCESS(check_geom(64, 33, -EINVAL, 0, 0, 0, 0), "");
	return TEST_SUCCESS;
}

/* A device with max_sq_desc_sz 512: strides above 512 bytes refused. */
static int
test_geometry_kernel_stride(void)
{
	TEST_ASSERT_SUCCESS(check_geom(100, 31, 0, 9, 128, 123, 31), "");
	TEST_ASSERT_SUCCESS(check_geom(100, 32, -EINVAL, 0, 0, 0, 0),
			    "a 1024-byte stride");
	return TEST_SUCCESS;
}

/* A device whose max_wqes is not a power of two: the count is checked. */
static int
test_geometry_kernel_count(void)
{
	struct mlx4r_emu_dev_conf conf;
	struct ibv_device_attr da;

	teardown();
	memset(&conf, 0, sizeof(conf));
	conf.max_qp_wr = 5000;
	TEST_ASSERT_SUCCESS(setup_conf(&conf), "setup");
	TEST_ASSERT_SUCCESS(mlx4r_hw_query_device(env.ctx, &da), "query");
	TEST_ASSERT_EQUAL(da.max_qp_wr, 5000 - 33, "max_qp_wr");
	TEST_ASSERT_SUCCESS(check_geom(4063, 1, 0, 6, 4096, 4063, 3), "");
	/* 4064 + 33 WQEs round up to 8192, above the 5000 of max_wqes */
	TEST_ASSERT_SUCCESS(check_geom(4064, 1, -EINVAL, 0, 0, 0, 0), "");
	return TEST_SUCCESS;
}

/* mlx4_ib's set_user_sq_size, as the kernel face calls it. */
static int
test_kernel_sq_check(void)
{
	const struct emu_dev *dev = (const struct emu_dev *)env.dev;
	size_t bytes = 0;

	TEST_ASSERT_SUCCESS(emu_kernel_sq_check(dev, 14, 6, &bytes),
			    "16384 WQEs of 64 bytes");
	TEST_ASSERT_EQUAL_U(bytes, 16384 * 64, "SQ bytes");
	TEST_ASSERT_SUCCESS(emu_kernel_sq_check(dev, 0, 10, &bytes),
			    "1024-byte stride (max_sq_desc_sz 1008)");
	TEST_ASSERT_EQUAL_U(bytes, 1024, "SQ bytes");
	TEST_ASSERT_EQUAL(emu_kernel_sq_check(dev, 15, 6, &bytes), -EINVAL,
			  "more than max_wqes");
	TEST_ASSERT_EQUAL(emu_kernel_sq_check(dev, 32, 6, &bytes), -EINVAL,
			  "shift overflow");
	TEST_ASSERT_EQUAL(emu_kernel_sq_check(dev, 40, 6, &bytes), -EINVAL,
			  "shift overflow");
	TEST_ASSERT_EQUAL(emu_kernel_sq_check(dev, 6, 5, &bytes), -EINVAL,
			  "below MLX4_IB_MIN_SQ_STRIDE");
	TEST_ASSERT_EQUAL(emu_kernel_sq_check(dev, 6, 11, &bytes), -EINVAL,
			  "above max_sq_desc_sz");
	return TEST_SUCCESS;
}

/* What libmlx4 writes at RESET->INIT: invalid NOPs of a stride each. */
static int
test_init_ownership(void)
{
	struct mlx4r_hw_qp_attr qa;
	struct mlx4r_hw_cq *cq;
	struct mlx4r_hw_qp *qp;
	struct mlx4r_hw_hook hook;
	struct mlx4dv_qp dv;
	struct ibv_qp_attr a;
	uint32_t i, k;

	for (i = 0; i < txq.txbbs; i++) {
		const uint8_t *b = txq.sq + (size_t)i * 64;

		TEST_ASSERT_EQUAL_U(rte_be_to_cpu_32(*(const uint32_t *)b),
				    MLX4R_WQE_OWNER_BIT, "TXBB %u: NOP", i);
		TEST_ASSERT_EQUAL(b[7], 4, "TXBB %u: 4 x 16 bytes", i);
	}
	/* a 256-byte stride: the 3 further chunks stamped 0xffffffff */
	TEST_ASSERT_SUCCESS(mlx4r_hw_create_cq(env.ctx, 64, &cq), "cq");
	memset(&qa, 0, sizeof(qa));
	qa.send_cq = cq;
	qa.cap.max_send_wr = 16;
	qa.cap.max_send_sge = 15;
	TEST_ASSERT_SUCCESS(mlx4r_hw_create_qp(env.pd, &qa, &qp), "qp");
	TEST_ASSERT_SUCCESS(mlx4r_hw_qp_view(qp, &dv, &hook), "view");
	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_INIT;
	a.port_num = 1;
	TEST_ASSERT_SUCCESS(mlx4r_hw_modify_qp(qp, &a, IBV_QP_STATE |
					       IBV_QP_PORT), "INIT");
	for (i = 0; i < dv.sq.wqe_cnt; i++) {
		const uint32_t *w = (const uint32_t *)((uint8_t *)dv.buf.buf +
						       (size_t)i * 256);

		TEST_ASSERT_EQUAL_U(rte_be_to_cpu_32(w[0]),
				    MLX4R_WQE_OWNER_BIT, "WQE %u", i);
		TEST_ASSERT_EQUAL(((const uint8_t *)w)[7], 16, "WQE %u size",
				  i);
		for (k = 16; k < 64; k += 16)
			TEST_ASSERT_EQUAL_U(w[k], 0xffffffff, "WQE %u chunk",
					    i);
	}
	TEST_ASSERT_SUCCESS(mlx4r_hw_destroy_qp(qp), "");
	TEST_ASSERT_SUCCESS(mlx4r_hw_destroy_cq(cq), "");
	return TEST_SUCCESS;
}

/* A WQE of 39 segments (10 TXBBs) on a 1-SGE QP: limited by the device. */
static int
test_ds_limit(void)
{
	enum { NSEG = 39, SEG = 20 };
	struct temu_seg s[NSEG + 1];
	struct mlx4_cqe cqe;
	uint32_t len, i, w;

	len = udp_frame(0, 9, NSEG * SEG - 42);
	TEST_ASSERT_EQUAL(len, NSEG * SEG, "frame");
	for (i = 0; i < NSEG; i++) {
		s[i].addr = frame_at(i * SEG);
		s[i].len = SEG;
		s[i].lkey = env.mr->lkey;
	}
	temu_rxq_post(&rxq, 4);
	w = temu_tx_post_raw(&txq, MLX4_OPCODE_SEND, s, NSEG,
			     MLX4_WQE_CTRL_CQ_UPDATE, 0, false);
	temu_tx_doorbell(&txq);
	TEST_ASSERT(temu_rx_poll(&rxq, &cqe), "received");
	TEST_ASSERT_EQUAL(rte_be_to_cpu_32(cqe.byte_cnt), len, "length");
	TEST_ASSERT_BUFFERS_ARE_EQUAL(temu_rxq_data(&rxq,
				      rte_be_to_cpu_16(cqe.wqe_index)),
				      frame_at(0), len, "gathered");
	TEST_ASSERT(temu_cq_poll(&txq.cdv, &txq.cq_ci, &cqe), "Tx CQE");
	TEST_ASSERT_EQUAL(cqe.owner_sr_opcode & MLX4_CQE_OPCODE_MASK,
			  MLX4_OPCODE_SEND, "good");
	TEST_ASSERT_EQUAL(txq.head - w, 10, "10 TXBBs");
	temu_tx_reclaim(&txq);
	return TEST_SUCCESS;
}

/* max_sq_desc_sz 512: DS 32 is the largest WQE, DS 33 is refused. */
static int
test_ds_limit_desc_sz(void)
{
	struct temu_seg s[32];
	struct mlx4_cqe cqe;
	uint32_t len, i, w;

	len = udp_frame(0, 9, 31 * 10 - 42);
	for (i = 0; i < 32; i++) {
		s[i].addr = frame_at(i * 10);
		s[i].len = 10;
		s[i].lkey = env.mr->lkey;
	}
	temu_rxq_post(&rxq, 4);
	temu_tx_post_raw(&txq, MLX4_OPCODE_SEND, s, 31, 0, 0, false);
	temu_tx_doorbell(&txq);
	TEST_ASSERT(temu_rx_poll(&rxq, &cqe), "DS 32 received");
	TEST_ASSERT_EQUAL(rte_be_to_cpu_32(cqe.byte_cnt), len, "length");
	temu_tx_reclaim(&txq);
	w = temu_tx_post_raw(&txq, MLX4_OPCODE_SEND, s, 32, 0, 0, false);
	temu_tx_doorbell(&txq);
	TEST_ASSERT_SUCCESS(tx_err_cqe(MLX4_CQE_SYNDROME_LOCAL_QP_OP_ERR,
				       MLX4R_EMU_VERR_DS, w), "DS 33");
	TEST_ASSERT(!temu_rx_poll(&rxq, &cqe), "not sent");
	return TEST_SUCCESS;
}

/*
 * The owner bit alone says what is posted: a WQE with the owner bit of
 * another pass is not executed (and nothing else happens), and a driver
 * that reuses its one-TXBB WQEs without stamping them, as libmlx4 does,
 * is served on every pass.
 */
static int
test_owner_bit_only(void)
{
	struct mlx4r_emu_port_stats st0, st1;
	struct temu_seg s = { frame_at(0), 0, 0 };
	struct mlx4_cqe cqe;
	uint32_t i, n, w, got = 0;

	s.len = udp_frame(0, 3, 30);
	s.lkey = env.mr->lkey;
	mlx4r_emu_port_stats(env.dev, 1, &st0);
	temu_rxq_post(&rxq, 8);
	w = temu_tx_post_raw(&txq, MLX4_OPCODE_SEND, &s, 1,
			     MLX4_WQE_CTRL_CQ_UPDATE, 0, true);
	temu_tx_doorbell(&txq);
	TEST_ASSERT(!temu_rx_poll(&rxq, &cqe), "not posted: not sent");
	TEST_ASSERT(!temu_cq_poll(&txq.cdv, &txq.cq_ci, &cqe), "no CQE");
	mlx4r_emu_port_stats(env.dev, 1, &st1);
	TEST_ASSERT_EQUAL_U(st1.tx_errors - st0.tx_errors, 0, "no error");
	TEST_ASSERT_EQUAL_U(st1.doorbells - st0.doorbells, 1, "doorbell");
	/* the right owner bit, another doorbell: sent */
	txq.head = w;
	temu_tx_post_raw(&txq, MLX4_OPCODE_SEND, &s, 1,
			 MLX4_WQE_CTRL_CQ_UPDATE, 0, false);
	temu_tx_doorbell(&txq);
	TEST_ASSERT(temu_rx_poll(&rxq, &cqe), "posted: sent");
	TEST_ASSERT(temu_cq_poll(&txq.cdv, &txq.cq_ci, &cqe), "CQE");
	/* libmlx4's way: no stamping, the old WQE's owner bit suffices */
	n = txq.txbbs * 3;
	for (i = 0; i < n; i++) {
		temu_rxq_post(&rxq, 1);
		temu_tx_post_raw(&txq, MLX4_OPCODE_SEND, &s, 1,
				 MLX4_WQE_CTRL_CQ_UPDATE, 0, false);
		temu_tx_doorbell(&txq);
		TEST_ASSERT(temu_cq_poll(&txq.cdv, &txq.cq_ci, &cqe),
			    "CQE %u", i);
		TEST_ASSERT_EQUAL(cqe.owner_sr_opcode & MLX4_CQE_OPCODE_MASK,
				  MLX4_OPCODE_SEND, "good CQE %u", i);
		while (temu_rx_poll(&rxq, &cqe))
			got++;
	}
	TEST_ASSERT_EQUAL(got, n, "every frame");
	return TEST_SUCCESS;
}

/*
 * The device owns at most wqe_cnt - spare TXBBs at once: posting exactly
 * that many before a doorbell is fine, one more is a QP error (libmlx4
 * verbs.c create_qp_ex, the 2 KB + 1 WQE of prefetch headroom).
 */
static int
test_headroom_posted(void)
{
	const uint32_t usable = txq.txbbs - 33;
	struct mlx4r_emu_port_stats st0, st1;
	struct mlx4_cqe cqe;
	struct ibv_qp_attr a;
	uint32_t len = udp_frame(0, 5, 10), i, pass;

	TEST_ASSERT_EQUAL(txq.txbbs, 128, "64 WRs: 128 TXBBs");
	TEST_ASSERT_SUCCESS(mlx4r_emu_wire_none(env.dev, 1), "no wire");
	for (pass = 0; pass < 2; pass++) {
		mlx4r_emu_port_stats(env.dev, 1, &st0);
		for (i = 0; i < usable + pass; i++)
			temu_tx_post(&txq, frame_at(0), len, env.mr->lkey,
				     i == usable - 1 ?
				     MLX4_WQE_CTRL_CQ_UPDATE : 0);
		temu_tx_doorbell(&txq);
		mlx4r_emu_port_stats(env.dev, 1, &st1);
		TEST_ASSERT_EQUAL_U(st1.tx_dropped - st0.tx_dropped, usable,
				    "pass %u: the first %u sent", pass, usable);
		TEST_ASSERT(temu_cq_poll(&txq.cdv, &txq.cq_ci, &cqe),
			    "completion");
		TEST_ASSERT_EQUAL(cqe.owner_sr_opcode & MLX4_CQE_OPCODE_MASK,
				  MLX4_OPCODE_SEND, "good");
		if (pass == 0) {
			TEST_ASSERT_EQUAL_U(st1.tx_errors - st0.tx_errors, 0,
					    "within the headroom rule");
			TEST_ASSERT(!temu_cq_poll(&txq.cdv, &txq.cq_ci, &cqe),
				    "no error");
			temu_tx_reclaim(&txq);
			continue;
		}
		TEST_ASSERT_SUCCESS(tx_err_cqe(MLX4_CQE_SYNDROME_LOCAL_QP_OP_ERR,
					       MLX4R_EMU_VERR_HEADROOM,
					       txq.head - 1),
				    "one TXBB too many");
		TEST_ASSERT_EQUAL_U(st1.tx_errors - st0.tx_errors, 1,
				    "one error");
	}
	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_RESET;
	TEST_ASSERT_SUCCESS(mlx4r_hw_modify_qp(txq.qp, &a, IBV_QP_STATE), "");
	return TEST_SUCCESS;
}

/*
 * The device keeps what the driver can have freed as the CQEs it wrote
 * and the WQE ends they report, 8 of them (EMU_TX_DONE). Ten doorbells
 * of one signalled WQE each, all consumed, fill that list; a doorbell of
 * wqe_cnt - spare + 1 signalled WQEs after them is still one TXBB too
 * many: none of its CQEs has been consumed when the walk reaches the
 * last. (The list once lent its newest entry, consumed long before, the
 * ends of the new walk's WQEs, and the last WQE was sent: found by
 * fuzz_emu_tx.)
 */
static int
test_headroom_after_completions(void)
{
	const uint32_t usable = txq.txbbs - 33;
	struct mlx4r_emu_port_stats st0, st1;
	struct mlx4_cqe cqe;
	uint32_t len = udp_frame(0, 5, 10), i;

	TEST_ASSERT_SUCCESS(mlx4r_emu_wire_none(env.dev, 1), "no wire");
	for (i = 0; i < 10; i++) {
		temu_tx_post(&txq, frame_at(0), len, env.mr->lkey,
			     MLX4_WQE_CTRL_CQ_UPDATE);
		temu_tx_doorbell(&txq);
		TEST_ASSERT(temu_cq_poll(&txq.cdv, &txq.cq_ci, &cqe),
			    "completion %u", i);
		TEST_ASSERT_EQUAL(cqe.owner_sr_opcode & MLX4_CQE_OPCODE_MASK,
				  MLX4_OPCODE_SEND, "good %u", i);
		temu_tx_reclaim(&txq);
	}
	mlx4r_emu_port_stats(env.dev, 1, &st0);
	for (i = 0; i < usable + 1; i++)
		temu_tx_post(&txq, frame_at(0), len, env.mr->lkey,
			     MLX4_WQE_CTRL_CQ_UPDATE);
	temu_tx_doorbell(&txq);
	mlx4r_emu_port_stats(env.dev, 1, &st1);
	TEST_ASSERT_EQUAL_U(st1.tx_dropped - st0.tx_dropped, usable,
			    "the first %u sent", usable);
	TEST_ASSERT_EQUAL_U(st1.tx_errors - st0.tx_errors, 1, "one error");
	for (i = 0; i < usable; i++) {
		TEST_ASSERT(temu_cq_poll(&txq.cdv, &txq.cq_ci, &cqe),
			    "completion %u", i);
		TEST_ASSERT_EQUAL(cqe.owner_sr_opcode & MLX4_CQE_OPCODE_MASK,
				  MLX4_OPCODE_SEND, "good %u", i);
	}
	return tx_err_cqe(MLX4_CQE_SYNDROME_LOCAL_QP_OP_ERR,
			  MLX4R_EMU_VERR_HEADROOM, txq.head - 1);
}

/*
 * The walk starts at the send doorbell (libmlx4 qp.c mlx4_post_send): a
 * WQE posted and the hook called without the QP number written to the
 * UAR is not sent; with the doorbell it is.
 */
static int
test_doorbell_needed(void)
{
	struct mlx4r_emu_port_stats st0, st1;
	struct mlx4_cqe cqe;
	uint32_t len = udp_frame(0, 5, 10);

	TEST_ASSERT_SUCCESS(mlx4r_emu_wire_none(env.dev, 1), "no wire");
	mlx4r_emu_port_stats(env.dev, 1, &st0);
	temu_tx_post(&txq, frame_at(0), len, env.mr->lkey,
		     MLX4_WQE_CTRL_CQ_UPDATE);
	rte_wmb();
	mlx4r_hw_hook_call(&txq.hook);
	mlx4r_emu_port_stats(env.dev, 1, &st1);
	TEST_ASSERT(!temu_cq_poll(&txq.cdv, &txq.cq_ci, &cqe),
		    "no CQE without a doorbell");
	TEST_ASSERT_EQUAL_U(st1.doorbells - st0.doorbells, 0, "no doorbell");
	TEST_ASSERT_EQUAL_U(st1.tx_dropped - st0.tx_dropped, 0, "not sent");
	temu_tx_doorbell(&txq);
	mlx4r_emu_port_stats(env.dev, 1, &st1);
	TEST_ASSERT(temu_cq_poll(&txq.cdv, &txq.cq_ci, &cqe),
		    "a CQE after the doorbell");
	TEST_ASSERT_EQUAL(cqe.owner_sr_opcode & MLX4_CQE_OPCODE_MASK,
			  MLX4_OPCODE_SEND, "a good send");
	TEST_ASSERT_EQUAL_U(st1.tx_dropped - st0.tx_dropped, 1,
			    "sent (dropped: no wire)");
	return TEST_SUCCESS;
}

/*
 * The driver of test_headroom_walk, on "its own core": called by the walk
 * for every frame it sends (the netdev's receive side: loopback,
 * broadcast), it touches memory only, as a driver polling beside the
 * kface device thread does: it polls the CQEs written so far (one per
 * WQE), frees what they report and posts while it has fewer than
 * walk_drv.limit blocks outstanding.
 */
static struct {
	uint32_t limit;   /* blocks it keeps outstanding at most */
	uint32_t todo;    /* WQEs left to post */
	uint32_t len;     /* frame length */
	uint32_t calls;   /* frames it saw */
	uint32_t bad;     /* CQEs other than a good send */
	uint32_t flags;   /* of its WQEs */
	bool cheat;       /* frees what it saw sent, without a CQE */
	uint32_t base;    /* then: its tail when it began */
} walk_drv;

static void
walk_drv_post(void)
{
	struct mlx4_cqe cqe;

	if (walk_drv.cheat)
		txq.tail = walk_drv.base + walk_drv.calls;
	while (!walk_drv.cheat && temu_cq_poll(&txq.cdv, &txq.cq_ci, &cqe)) {
		if ((cqe.owner_sr_opcode & MLX4_CQE_OPCODE_MASK) !=
		    MLX4_OPCODE_SEND)
			walk_drv.bad++;
		/* one-TXBB WQEs, each signalled: libmlx4's way, no stamp */
		txq.tail++;
	}
	while (walk_drv.todo != 0 &&
	       txq.head + 1 - txq.tail <= walk_drv.limit) {
		temu_tx_post(&txq, frame_at(1024), walk_drv.len, env.mr->lkey,
			     walk_drv.flags);
		walk_drv.todo--;
	}
}

static bool
walk_drv_rx(void *arg, uint8_t port, const void *frame, uint32_t len)
{
	RTE_SET_USED(arg);
	RTE_SET_USED(port);
	RTE_SET_USED(frame);
	RTE_SET_USED(len);
	walk_drv.calls++;
	walk_drv_post();
	return true;
}

/*
 * Issue 11: the kface device thread has no doorbell to see; it walks the
 * SQ while the driver polls the CQEs of that walk, frees and posts again,
 * so one walk takes more blocks than the ring holds. The headroom rule
 * counts what the driver can have outstanding (freed: what the CQ
 * consumer index says it consumed), not the blocks of the walk: four
 * rings' worth in one walk with wqe_cnt - spare outstanding is no error.
 * A driver that frees what it saw leave, without a CQE, is still caught
 * at wqe_cnt - spare + 1 blocks past the last CQE it consumed.
 */
static int
test_headroom_walk(void)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	const uint32_t usable = txq.txbbs - 33, n = txq.txbbs * 4;
	struct mlx4r_emu_port_stats st0, st1;

	memset(&walk_drv, 0, sizeof(walk_drv));
	walk_drv.len = temu_frame_ip4(frame_at(1024), bcast, peer_mac,
				      0x0a000001, 0x0a000002, IPPROTO_UDP,
				      1000, 2000, 10, false);
	TEST_ASSERT_SUCCESS(mlx4r_emu_netdev_set_up(env.dev, 1, true), "up");
	TEST_ASSERT_SUCCESS(mlx4r_emu_netdev_set_rx(env.dev, 1, walk_drv_rx,
						    NULL), "receive side");
	/* within the rule: one doorbell, one walk of n WQEs */
	mlx4r_emu_port_stats(env.dev, 1, &st0);
	walk_drv.limit = usable;
	walk_drv.todo = n;
	walk_drv.flags = MLX4_WQE_CTRL_CQ_UPDATE;
	walk_drv_post();
	temu_tx_doorbell(&txq);
	mlx4r_emu_port_stats(env.dev, 1, &st1);
	TEST_ASSERT_EQUAL_U(st1.doorbells - st0.doorbells, 1, "one walk");
	TEST_ASSERT_EQUAL(walk_drv.calls, n, "all %u sent in it", n);
	TEST_ASSERT_EQUAL_U(st1.tx_errors - st0.tx_errors, 0,
			    "no error: never more than %u outstanding", usable);
	walk_drv_post();
	TEST_ASSERT_EQUAL(walk_drv.bad, 0, "good CQEs only");
	TEST_ASSERT_EQUAL(txq.tail, txq.head, "all completed");
	/* unsignalled WQEs freed as they leave: no CQE covers them */
	walk_drv.cheat = true;
	walk_drv.base = txq.tail;
	walk_drv.flags = 0;
	walk_drv.todo = usable + 5;
	walk_drv.calls = 0;
	walk_drv_post();
	temu_tx_doorbell(&txq);
	TEST_ASSERT_EQUAL(walk_drv.calls, usable, "the first %u sent", usable);
	TEST_ASSERT_SUCCESS(tx_err_cqe(MLX4_CQE_SYNDROME_LOCAL_QP_OP_ERR,
				       MLX4R_EMU_VERR_HEADROOM,
				       walk_drv.base + usable),
			    "then the headroom rule");
	TEST_ASSERT_SUCCESS(mlx4r_emu_netdev_set_rx(env.dev, 1, NULL, NULL),
			    "");
	return TEST_SUCCESS;
}

/*
 * The kface device thread's kick (emu_tx_kick(): no doorbell, the owner
 * bit at the head says posted) takes at most a ring's worth of blocks a
 * round, so that a driver that keeps posting does not hold the thread on
 * one queue (the card's send scheduler serves its QPs in turn); the rest
 * is still pending for the next round. A doorbell the model sees takes
 * everything (test_headroom_walk).
 */
static int
test_kick_budget(void)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct emu_qp *qp = container_of(txq.qp, struct emu_qp, hw);
	const uint32_t n = txq.txbbs * 4;
	struct mlx4r_emu_port_stats st0, st1;
	uint32_t kicks = 0;

	memset(&walk_drv, 0, sizeof(walk_drv));
	walk_drv.len = temu_frame_ip4(frame_at(1024), bcast, peer_mac,
				      0x0a000001, 0x0a000002, IPPROTO_UDP,
				      1000, 2000, 10, false);
	TEST_ASSERT_SUCCESS(mlx4r_emu_netdev_set_up(env.dev, 1, true), "up");
	TEST_ASSERT_SUCCESS(mlx4r_emu_netdev_set_rx(env.dev, 1, walk_drv_rx,
						    NULL), "receive side");
	mlx4r_emu_port_stats(env.dev, 1, &st0);
	walk_drv.limit = txq.txbbs - 33;
	walk_drv.todo = n;
	walk_drv.flags = MLX4_WQE_CTRL_CQ_UPDATE;
	walk_drv_post();
	while (emu_tx_pending(qp) && kicks < n) {
		uint32_t before = walk_drv.calls;

		emu_tx_kick(qp);
		kicks++;
		TEST_ASSERT(walk_drv.calls - before <= txq.txbbs,
			    "kick %u: %u blocks, a ring (%u) at most", kicks,
			    walk_drv.calls - before, txq.txbbs);
		if (walk_drv.calls != n)
			TEST_ASSERT_EQUAL(walk_drv.calls - before, txq.txbbs,
					  "kick %u: a ring's worth", kicks);
	}
	mlx4r_emu_port_stats(env.dev, 1, &st1);
	TEST_ASSERT_EQUAL(walk_drv.calls, n, "all %u sent", n);
	TEST_ASSERT_EQUAL(kicks, n / txq.txbbs, "in %u rounds", n / txq.txbbs);
	TEST_ASSERT_EQUAL_U(st1.tx_errors - st0.tx_errors, 0, "no error");
	walk_drv_post();
	TEST_ASSERT_EQUAL(walk_drv.bad, 0, "good CQEs only");
	TEST_ASSERT_SUCCESS(mlx4r_emu_netdev_set_rx(env.dev, 1, NULL, NULL),
			    "");
	return TEST_SUCCESS;
}

/* Post a two-TXBB WQE whose second TXBB starts with an empty segment. */
static void
post_two_txbb(uint32_t len, bool stamp)
{
	struct temu_seg s[4];
	unsigned int i;

	for (i = 0; i < 3; i++) {
		s[i].addr = frame_at(i * 20);
		s[i].len = i < 2 ? 20 : len - 40;
		s[i].lkey = env.mr->lkey;
	}
	/* dseg 4 starts the second TXBB: 0x80000000, a valid empty one */
	s[3].addr = frame_at(0);
	s[3].len = MLX4_INLINE_SEG;
	s[3].lkey = env.mr->lkey;
	temu_tx_post_raw(&txq, MLX4_OPCODE_SEND, s, 4, 0, 0, false);
	temu_tx_doorbell(&txq);
	if (stamp)
		temu_tx_reclaim(&txq);
	else
		txq.tail = txq.head; /* reused, never stamped */
}

/*
 * A TXBB of the headroom that looks posted (here the empty segment of an
 * older WQE, 0x80000000, which has the owner bit of odd passes) is what
 * the card's prefetcher would take for a WQE: a QP error. Upstream's and
 * the driver's stamping of every freed TXBB keeps the headroom clean.
 */
static int
test_headroom_stale(void)
{
	struct mlx4r_emu_port_stats st0, st1;
	struct mlx4_err_cqe e;
	struct mlx4_cqe cqe;
	uint32_t len = udp_frame(0, 5, 30), i, bad;
	bool got;

	TEST_ASSERT_SUCCESS(mlx4r_emu_wire_none(env.dev, 1), "no wire");
	/* stamped: passes over the ring, no completion asked, no error */
	mlx4r_emu_port_stats(env.dev, 1, &st0);
	for (i = 0; i < txq.txbbs * 2; i++) {
		post_two_txbb(len, true);
		TEST_ASSERT(!temu_cq_poll(&txq.cdv, &txq.cq_ci, &cqe),
			    "stamped: no error (%u)", i);
	}
	mlx4r_emu_port_stats(env.dev, 1, &st1);
	TEST_ASSERT_EQUAL_U(st1.tx_dropped - st0.tx_dropped, txq.txbbs * 2,
			    "all sent");
	/* not stamped: caught once the headroom reaches such a TXBB */
	for (i = 0, got = false; i < txq.txbbs && !got; i++) {
		post_two_txbb(len, false);
		got = temu_cq_poll(&txq.cdv, &txq.cq_ci, &cqe);
	}
	TEST_ASSERT(got, "an error CQE");
	memcpy(&e, &cqe, sizeof(e));
	TEST_ASSERT_EQUAL(e.owner_sr_opcode & MLX4_CQE_OPCODE_MASK,
			  MLX4_CQE_OPCODE_ERROR, "error");
	TEST_ASSERT_EQUAL(e.syndrome, MLX4_CQE_SYNDROME_LOCAL_QP_OP_ERR,
			  "syndrome");
	TEST_ASSERT_EQUAL(e.vendor_err, MLX4R_EMU_VERR_HEADROOM,
			  "the headroom rule");
	bad = rte_be_to_cpu_16(e.wqe_index);
	/* the stale TXBB: an odd one, the second of a WQE of before */
	TEST_ASSERT_EQUAL(bad & 1, 1, "second TXBB of a WQE");
	TEST_ASSERT_EQUAL_U(rte_be_to_cpu_32(*(uint32_t *)(txq.sq +
			    (bad & (txq.txbbs - 1)) * 64)),
			    MLX4_INLINE_SEG, "an empty segment");
	TEST_ASSERT_GT_U(bad, txq.head, "past the last posted WQE");
	TEST_ASSERT_LE_U(bad, txq.head + 32, "within the headroom");
	return TEST_SUCCESS;
}

/* The bit-by-bit CRC32 of the Ethernet FCS, for the expected ICRC. */
static uint32_t
crc32_le(const uint8_t *d, uint32_t len)
{
	uint32_t crc = 0xffffffff, i;
	int k;

	for (i = 0; i < len; i++) {
		crc ^= d[i];
		for (k = 0; k < 8; k++)
			crc = (crc & 1) ? (crc >> 1) ^ 0xedb88320 : crc >> 1;
	}
	return ~crc;
}

/* Without SOLICIT a raw Ethernet send carries an ICRC: 4 more bytes. */
static int
test_solicit(void)
{
	struct temu_seg s = { frame_at(0), 0, 0 };
	struct temu_wqe w = {
		.opcode = MLX4_OPCODE_SEND,
		.segs = &s,
		.n = 1,
	};
	struct mlx4_cqe cqe;
	uint32_t crc;
	uint8_t *d;

	s.len = udp_frame(0, 3, 77);
	s.lkey = env.mr->lkey;
	temu_rxq_post(&rxq, 4);
	w.flags = MLX4_WQE_CTRL_SOLICIT;
	temu_tx_post_wqe(&txq, &w);
	temu_tx_doorbell(&txq);
	TEST_ASSERT(temu_rx_poll(&rxq, &cqe), "received");
	TEST_ASSERT_EQUAL(rte_be_to_cpu_32(cqe.byte_cnt), s.len,
			  "SOLICIT: the frame as posted");
	w.flags = 0;
	temu_tx_post_wqe(&txq, &w);
	temu_tx_doorbell(&txq);
	TEST_ASSERT(temu_rx_poll(&rxq, &cqe), "received");
	TEST_ASSERT_EQUAL(rte_be_to_cpu_32(cqe.byte_cnt), s.len + 4,
			  "no SOLICIT: 4 bytes more");
	d = temu_rxq_data(&rxq, rte_be_to_cpu_16(cqe.wqe_index));
	TEST_ASSERT_BUFFERS_ARE_EQUAL(d, frame_at(0), s.len, "the frame");
	crc = rte_cpu_to_le_32(crc32_le(frame_at(0), s.len));
	TEST_ASSERT_BUFFERS_ARE_EQUAL(d + s.len, &crc, 4, "then a CRC32");
	return TEST_SUCCESS;
}

/*
 * A data segment's byte count of 0 means 2^31 bytes: outside any MR, a
 * local protection error; 0x80000000 is an empty segment.
 */
static int
test_zero_length_segment(void)
{
	struct temu_seg s[3];
	struct mlx4_cqe cqe;
	uint32_t len = udp_frame(0, 4, 50), w;
	struct ibv_qp_attr a;

	s[0].addr = frame_at(0);
	s[0].len = 30;
	s[1].addr = frame_at(30);
	s[1].len = MLX4_INLINE_SEG;
	s[2].addr = frame_at(30);
	s[2].len = len - 30;
	s[0].lkey = s[1].lkey = s[2].lkey = env.mr->lkey;
	temu_rxq_post(&rxq, 4);
	temu_tx_post_raw(&txq, MLX4_OPCODE_SEND, s, 3, 0, 0, false);
	temu_tx_doorbell(&txq);
	TEST_ASSERT(temu_rx_poll(&rxq, &cqe), "0x80000000: received");
	TEST_ASSERT_EQUAL(rte_be_to_cpu_32(cqe.byte_cnt), len, "length");
	TEST_ASSERT_BUFFERS_ARE_EQUAL(temu_rxq_data(&rxq,
				      rte_be_to_cpu_16(cqe.wqe_index)),
				      frame_at(0), len, "the frame");
	temu_tx_reclaim(&txq);
	s[1].len = 0;
	w = temu_tx_post_raw(&txq, MLX4_OPCODE_SEND, s, 3, 0, 0, false);
	temu_tx_doorbell(&txq);
	TEST_ASSERT_SUCCESS(tx_err_cqe(MLX4_CQE_SYNDROME_LOCAL_PROT_ERR,
				       MLX4R_EMU_VERR_BOUNDS, w),
			    "0: 2 GB, outside the MR");
	TEST_ASSERT(!temu_rx_poll(&rxq, &cqe), "not sent");
	/* the QP is in error: the next WQE is flushed */
	temu_tx_post_raw(&txq, MLX4_OPCODE_SEND, s, 1, 0, 0, false);
	temu_tx_doorbell(&txq);
	TEST_ASSERT(temu_cq_poll(&txq.cdv, &txq.cq_ci, &cqe), "flush CQE");
	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_RESET;
	TEST_ASSERT_SUCCESS(mlx4r_hw_modify_qp(txq.qp, &a, IBV_QP_STATE), "");
	return TEST_SUCCESS;
}

/* ins_vlan of the control segment inserts a tag of vlan_tag. */
static int
test_vlan_insertion_bytes(void)
{
	static const uint8_t ins[] = { 0, EMU_WQE_INS_CVLAN,
				       EMU_WQE_INS_SVLAN };
	static const uint16_t tpid[] = { 0, 0x8100, 0x88a8 };
	struct temu_seg s = { frame_at(0), 0, 0 };
	struct temu_wqe w = {
		.opcode = MLX4_OPCODE_SEND,
		.segs = &s,
		.n = 1,
		.flags = MLX4_WQE_CTRL_SOLICIT,
		.vlan_tag = 0x0123,
	};
	struct mlx4_cqe cqe;
	unsigned int i;
	uint8_t *d;

	s.len = udp_frame(0, 3, 40);
	s.lkey = env.mr->lkey;
	for (i = 0; i < RTE_DIM(ins); i++) {
		temu_rxq_post(&rxq, 1);
		w.ins_vlan = ins[i];
		temu_tx_post_wqe(&txq, &w);
		temu_tx_doorbell(&txq);
		TEST_ASSERT(temu_rx_poll(&rxq, &cqe), "received %u", i);
		d = temu_rxq_data(&rxq, rte_be_to_cpu_16(cqe.wqe_index));
		if (i == 0) {
			TEST_ASSERT_EQUAL(rte_be_to_cpu_32(cqe.byte_cnt), s.len,
					  "no insertion");
			TEST_ASSERT_BUFFERS_ARE_EQUAL(d, frame_at(0), s.len,
						      "as posted");
			continue;
		}
		TEST_ASSERT_EQUAL(rte_be_to_cpu_32(cqe.byte_cnt), s.len + 4,
				  "a tag more");
		TEST_ASSERT_BUFFERS_ARE_EQUAL(d, frame_at(0), 12, "MACs");
		TEST_ASSERT_EQUAL(d[12] << 8 | d[13], tpid[i], "TPID");
		TEST_ASSERT_EQUAL(d[14] << 8 | d[15], 0x0123, "TCI");
		TEST_ASSERT_BUFFERS_ARE_EQUAL(d + 16, frame_at(12),
					      s.len - 12, "the rest");
	}
	return TEST_SUCCESS;
}

/* Force loopback on a PF: no destination MAC needed in the WQE. */
static int
test_loopback_pf(void)
{
	struct mlx4_cqe cqe;
	uint32_t len = udp_frame(0, 9, 30);

	TEST_ASSERT_SUCCESS(mlx4r_emu_wire_none(env.dev, 1), "no wire");
	temu_rxq_post(&rxq, 2);
	temu_tx_post(&txq, frame_at(0), len, env.mr->lkey,
		     MLX4R_WQE_CTRL_FORCE_LOOPBACK);
	temu_tx_doorbell(&txq);
	TEST_ASSERT(temu_rx_poll(&rxq, &cqe), "forced loopback");
	return TEST_SUCCESS;
}

/*
 * On a VF the eSwitch loops a frame back by the destination MAC of the
 * control segment: with the frame's MAC there it arrives, without it (or
 * with another) it is lost.
 */
static int
test_loopback_vf(void)
{
	static const uint8_t other[6] = { 0x00, 0x02, 0xc9, 9, 9, 9 };
	struct mlx4r_emu_port_stats st0, st1;
	struct ibv_device_attr da;
	struct temu_seg s = { frame_at(0), 0, 0 };
	struct temu_wqe w = {
		.opcode = MLX4_OPCODE_SEND,
		.segs = &s,
		.n = 1,
		.flags = MLX4_WQE_CTRL_SOLICIT | MLX4R_WQE_CTRL_FORCE_LOOPBACK,
	};
	struct mlx4_cqe cqe;

	TEST_ASSERT_SUCCESS(mlx4r_hw_query_device(env.ctx, &da), "query");
	TEST_ASSERT_EQUAL(da.vendor_part_id, MLX4R_PART_CX3_VF, "a VF");
	TEST_ASSERT_EQUAL(env.ctx->vendor_part_id, MLX4R_PART_CX3_VF,
			  "in the context too");
	TEST_ASSERT_SUCCESS(mlx4r_emu_wire_none(env.dev, 1), "no wire");
	s.len = udp_frame(0, 9, 30);
	s.lkey = env.mr->lkey;
	temu_rxq_post(&rxq, 4);
	mlx4r_emu_port_stats(env.dev, 1, &st0);
	temu_tx_post_wqe(&txq, &w);
	temu_tx_doorbell(&txq);
	TEST_ASSERT(!temu_rx_poll(&rxq, &cqe), "no MAC in the WQE: lost");
	w.dmac = other;
	temu_tx_post_wqe(&txq, &w);
	temu_tx_doorbell(&txq);
	TEST_ASSERT(!temu_rx_poll(&rxq, &cqe), "another MAC: lost");
	mlx4r_emu_port_stats(env.dev, 1, &st1);
	TEST_ASSERT_EQUAL_U(st1.tx_dropped - st0.tx_dropped, 2, "dropped");
	w.dmac = frame_at(0);
	temu_tx_post_wqe(&txq, &w);
	temu_tx_doorbell(&txq);
	TEST_ASSERT(temu_rx_poll(&rxq, &cqe), "its MAC: looped back");
	TEST_ASSERT_EQUAL(rte_be_to_cpu_32(cqe.byte_cnt), s.len, "length");
	return TEST_SUCCESS;
}

static struct unit_test_suite emu_sq_suite = {
	.suite_name = "emulated ConnectX-3: send queue rules",
	.unit_test_cases = {
		TEST_CASE_ST(setup, teardown, test_geometry_libmlx4),
		TEST_CASE_ST(setup_desc512, teardown,
			     test_geometry_kernel_stride),
		TEST_CASE_ST(setup, teardown, test_geometry_kernel_count),
		TEST_CASE_ST(setup, teardown, test_kernel_sq_check),
		TEST_CASE_ST(setup, teardown, test_init_ownership),
		TEST_CASE_ST(setup, teardown, test_ds_limit),
		TEST_CASE_ST(setup_desc512, teardown, test_ds_limit_desc_sz),
		TEST_CASE_ST(setup, teardown, test_owner_bit_only),
		TEST_CASE_ST(setup, teardown, test_doorbell_needed),
		TEST_CASE_ST(setup, teardown, test_headroom_posted),
		TEST_CASE_ST(setup, teardown, test_headroom_stale),
		TEST_CASE_ST(setup, teardown, test_headroom_walk),
		TEST_CASE_ST(setup, teardown, test_headroom_after_completions),
		TEST_CASE_ST(setup, teardown, test_kick_budget),
		TEST_CASE_ST(setup, teardown, test_solicit),
		TEST_CASE_ST(setup, teardown, test_zero_length_segment),
		TEST_CASE_ST(setup, teardown, test_vlan_insertion_bytes),
		TEST_CASE_ST(setup, teardown, test_loopback_pf),
		TEST_CASE_ST(setup_vf, teardown, test_loopback_vf),
		TEST_CASES_END()
	}
};

static int
test_emu_sq(void)
{
	return unit_test_suite_runner(&emu_sq_suite);
}

REGISTER_TEST_COMMAND(emu_sq_autotest, test_emu_sq);
