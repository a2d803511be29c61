/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * Wires of the emulated ConnectX-3: generator (rate on a manual clock,
 * size, flows spread by RSS, frames exactly the reference frames, count,
 * missed frames), checker (received,
 * lost, out-of-order, duplicated), generator -> forwarder -> checker with
 * every frame accounted for, cross-connect, link down, a port's wire state
 * after its fini and a new init, and a TAP interface with real kernel
 * traffic in a network namespace of its own.
 */

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_ip.h>
#include <rte_launch.h>
#include <rte_lcore.h>

#include "test.h"
#include "test_emu_util.h"
#include "emu/mlx4r_emu_priv.h"

#define DEV "t_emu_wire"

static struct temu_env env;
static struct temu_txq txq[2];
static struct temu_rxq rxq[2][4];
static struct mlx4r_hw_ind_table *ind[2];
static struct mlx4r_hw_qp *rss[2];
static struct mlx4r_hw_flow *flow[2];
static struct mlx4r_hw_flow *mac_flow[2];

/* Both ports: a Tx queue, 4 Rx queues behind UDP/IPv4 RSS, promiscuous. */
static int
setup(void)
{
	const uint64_t f = IBV_RX_HASH_SRC_IPV4 | IBV_RX_HASH_DST_IPV4 |
		IBV_RX_HASH_SRC_PORT_UDP | IBV_RX_HASH_DST_PORT_UDP;
	struct temu_rxq *r[4];
	unsigned int p, q;
	uint8_t mac[6];

	if (temu_env_init(&env, DEV, NULL) != 0)
		return TEST_FAILED;
	for (p = 0; p < 2; p++) {
		if (temu_txq_create(&env, (uint8_t)(p + 1), 256, &txq[p]) != 0)
			return TEST_FAILED;
		/* ConnectX-3 RSS: 4 consecutive, aligned WQ numbers */
		if (mlx4r_hw_set_rss_range(env.ctx, 2) != 0)
			return TEST_FAILED;
		for (q = 0; q < 4; q++) {
			if (temu_rxq_create(&env, 256, 1, 2048,
					    &rxq[p][q]) != 0)
				return TEST_FAILED;
			r[q] = &rxq[p][q];
		}
		/*
		 * ALL_DEFAULT catches only what no rule matched: the port's
		 * own MAC (the generator's destination) is its kernel
		 * netdev's unless a rule of ours claims it.
		 */
		if (temu_rss_create(&env, (uint8_t)(p + 1), r, NULL, 2, f,
				    NULL, &ind[p], &rss[p]) != 0 ||
		    temu_flow_kind(rss[p], (uint8_t)(p + 1),
				   IBV_FLOW_ATTR_ALL_DEFAULT, &flow[p]) != 0 ||
		    mlx4r_hw_port_mac(env.ctx, (uint8_t)(p + 1), mac) != 0 ||
		    temu_flow_mac(rss[p], (uint8_t)(p + 1), mac,
				  &mac_flow[p]) != 0)
			return TEST_FAILED;
	}
	return TEST_SUCCESS;
}

static void
teardown(void)
{
	unsigned int p, q;

	temu_env_fini(&env);
	for (p = 0; p < 2; p++)
		for (q = 0; q < 4; q++)
			free(rxq[p][q].mem);
	memset(rxq, 0, sizeof(rxq));
	memset(txq, 0, sizeof(txq));
}

/* Poll every Rx queue of a port once (hook on the first one). */
static unsigned int
drain_port(unsigned int p, uint32_t *per_q, bool repost)
{
	struct mlx4_cqe cqe;
	unsigned int q, n = 0;

	mlx4r_hw_hook_call(&rxq[p][0].hook);
	for (q = 0; q < 4; q++) {
		while (temu_cq_poll(&rxq[p][q].cdv, &rxq[p][q].cq_ci, &cqe)) {
			n++;
			if (per_q != NULL)
				per_q[q]++;
			if (repost)
				temu_rxq_post(&rxq[p][q], 1);
		}
	}
	return n;
}

static int
test_gen_rate_flows(void)
{
	struct mlx4r_emu_gen_conf gc;
	struct mlx4r_emu_gen_stats gs;
	uint32_t per_q[4] = { 0 }, n = 0;
	unsigned int q, i;

	TEST_ASSERT_SUCCESS(mlx4r_emu_wire_peer(env.dev, 1), "peer");
	for (q = 0; q < 4; q++)
		temu_rxq_post(&rxq[0][q], 256);
	mlx4r_emu_clock_manual(env.dev, true);
	memset(&gc, 0, sizeof(gc));
	gc.rate_pps = 1000000; /* one frame per microsecond */
	gc.frame_size = 128;
	gc.nb_flows = 16;
	gc.burst = 64;
	TEST_ASSERT_SUCCESS(mlx4r_emu_gen_start(env.dev, 1, &gc), "start");
	TEST_ASSERT_EQUAL(drain_port(0, NULL, false), 0, "t=0: nothing due");
	mlx4r_emu_clock_advance(env.dev, 10000); /* 10 us */
	TEST_ASSERT_EQUAL(drain_port(0, per_q, false), 10, "10 frames");
	mlx4r_emu_clock_advance(env.dev, 500);
	TEST_ASSERT_EQUAL(drain_port(0, per_q, false), 0, "half a frame");
	mlx4r_emu_clock_advance(env.dev, 500);
	TEST_ASSERT_EQUAL(drain_port(0, per_q, false), 1, "one more");
	/* 200 frames due, at most burst (64) per pump. */
	mlx4r_emu_clock_advance(env.dev, 200000);
	for (i = 0; i < 10; i++)
		n += drain_port(0, per_q, false);
	TEST_ASSERT_EQUAL(n, 200, "200 frames, paced per pump");
	TEST_ASSERT_SUCCESS(mlx4r_emu_gen_stats(env.dev, 1, &gs), "stats");
	TEST_ASSERT_EQUAL_U(gs.sent, 211, "sent");
	TEST_ASSERT_EQUAL_U(gs.bytes, 211 * 128, "bytes");
	for (q = 0; q < 4; q++)
		TEST_ASSERT_GT_U(per_q[q], 0, "RSS spreads flows: WQ %u "
				 "(%u %u %u %u)", q, per_q[0], per_q[1],
				 per_q[2], per_q[3]);
	return TEST_SUCCESS;
}

/*
 * The generator stores only what changes from one frame to the next into
 * a frame built once: every frame must still be, byte for byte, the
 * reference frame mlx4r_emu_gen_frame() builds from scratch, across flows,
 * sequence numbers and restarts with another configuration.
 */
static int
check_gen_frames(uint32_t size, uint32_t nb_flows, uint32_t count)
{
	struct mlx4r_emu_gen_conf gc;
	struct mlx4r_emu_gen_stats gs;
	uint8_t ref[2048];
	bool seen[64] = { false };
	struct mlx4_cqe cqe;
	unsigned int q, n = 0;

	memset(&gc, 0, sizeof(gc));
	gc.frame_size = size;
	gc.nb_flows = nb_flows;
	gc.count = count;
	/* the reference frame has no port to take defaults from */
	gc.dst_mac = (struct rte_ether_addr){ .addr_bytes = {
		0x02, 0, 0, 0, 0, 0x11 } };
	gc.src_mac = (struct rte_ether_addr){ .addr_bytes = {
		0x02, 0, 0, 0, 0, 0x22 } };
	TEST_ASSERT_SUCCESS(mlx4r_emu_gen_start(env.dev, 1, &gc), "start");
	TEST_ASSERT_SUCCESS(mlx4r_emu_gen_stats(env.dev, 1, &gs), "stats");
	mlx4r_hw_hook_call(&rxq[0][0].hook);
	mlx4r_hw_hook_call(&rxq[0][0].hook);
	for (q = 0; q < 4; q++) {
		struct temu_rxq *r = &rxq[0][q];

		while (temu_cq_poll(&r->cdv, &r->cq_ci, &cqe)) {
			const uint8_t *d = temu_rxq_data(r,
				rte_be_to_cpu_16(cqe.wqe_index));
			uint16_t flow;
			uint64_t seq, k;

			TEST_ASSERT_EQUAL_U(rte_be_to_cpu_32(cqe.byte_cnt),
					    size, "frame size");
			memcpy(&flow, d + 48, 2);
			memcpy(&seq, d + 50, 8);
			flow = rte_be_to_cpu_16(flow);
			seq = rte_be_to_cpu_64(seq);
			k = seq * nb_flows + flow;
			TEST_ASSERT(flow < nb_flows && k < count &&
				    k < RTE_DIM(seen) && !seen[k],
				    "frame %u: flow %u seq %" PRIu64,
				    n, flow, seq);
			seen[k] = true;
			TEST_ASSERT_EQUAL(mlx4r_emu_gen_frame(&gc, gs.stream,
					  flow, seq, ref, sizeof(ref)),
					  (int)size, "reference frame");
			TEST_ASSERT_BUFFERS_ARE_EQUAL(d, ref, size,
				"frame %" PRIu64 " (flow %u, seq %" PRIu64
				") is the reference frame", k, flow, seq);
			n++;
		}
	}
	TEST_ASSERT_EQUAL_U(n, count, "every frame came");
	return TEST_SUCCESS;
}

static int
test_gen_frames_exact(void)
{
	unsigned int q;

	TEST_ASSERT_SUCCESS(mlx4r_emu_wire_peer(env.dev, 1), "peer");
	for (q = 0; q < 4; q++)
		temu_rxq_post(&rxq[0][q], 64);
	TEST_ASSERT_SUCCESS(check_gen_frames(100, 5, 23), "5 flows");
	TEST_ASSERT_SUCCESS(check_gen_frames(60, 1, 9), "one flow");
	TEST_ASSERT_SUCCESS(check_gen_frames(1514, 7, 40), "7 flows");
	return TEST_SUCCESS;
}

static int
test_gen_count_missed(void)
{
	struct mlx4r_emu_gen_conf gc;
	struct mlx4r_emu_port_stats st;
	struct mlx4r_emu_gen_stats gs;
	struct mlx4_cqe cqe;
	unsigned int i, q, n = 0;

	TEST_ASSERT_SUCCESS(mlx4r_emu_wire_peer(env.dev, 1), "peer");
	for (q = 0; q < 4; q++)
		temu_rxq_post(&rxq[0][q], 4);
	memset(&gc, 0, sizeof(gc));
	gc.count = 100;
	gc.nb_flows = 64;
	gc.frame_size = 1500;
	TEST_ASSERT_SUCCESS(mlx4r_emu_gen_start(env.dev, 1, &gc), "start");
	for (i = 0; i < 10; i++)
		n += drain_port(0, NULL, false);
	TEST_ASSERT_EQUAL(n, 16, "as many as WQEs posted");
	TEST_ASSERT_SUCCESS(mlx4r_emu_gen_stats(env.dev, 1, &gs), "stats");
	TEST_ASSERT_EQUAL_U(gs.sent, 100, "count reached, then stops");
	TEST_ASSERT_SUCCESS(mlx4r_emu_port_stats(env.dev, 1, &st), "stats");
	TEST_ASSERT_EQUAL_U(st.rx_missed, 84, "the rest missed");
	TEST_ASSERT_EQUAL_U(st.rx_frames, 16, "delivered");
	TEST_ASSERT_EQUAL_U(st.rx_bytes, 16 * 1500, "bytes");
	for (q = 0; q < 4; q++)
		TEST_ASSERT(!temu_cq_poll(&rxq[0][q].cdv, &rxq[0][q].cq_ci,
					  &cqe), "drained");
	return TEST_SUCCESS;
}

/*
 * One pump of a one-flow generator is one run of frames with one receive
 * verdict (emu_rx_deliver_seq()): every frame's own WQE is still checked.
 * Eight frames in one pump; the fourth WQE of every queue has an lkey no
 * MR has: frames 1-3 land, frame 4 gets a protection error CQE on its
 * WQE, the WQ goes to error and flushes WQEs 5-8, frames 5-8 are dropped
 * (the error ends the run: frame 5's verdict finds the WQ in error);
 * nothing lands in the bad WQE's buffer. The rx_frames count is the
 * run's, added when it ends.
 */
static int
test_gen_run_checks(void)
{
	struct mlx4r_emu_gen_conf gc;
	struct mlx4r_emu_port_stats st;
	struct mlx4_err_cqe ecqe;
	struct mlx4_cqe cqe;
	unsigned int q, i, hit = 4, n;

	TEST_ASSERT_SUCCESS(mlx4r_emu_wire_peer(env.dev, 1), "peer");
	for (q = 0; q < 4; q++) {
		struct temu_rxq *r = &rxq[0][q];
		struct mlx4_wqe_data_seg *seg;

		temu_rxq_post(r, 8);
		seg = (void *)((uint8_t *)r->dv.buf.buf + r->dv.rq.offset +
			       ((size_t)3 << r->dv.rq.wqe_shift));
		seg->lkey = rte_cpu_to_be_32(r->mr->lkey ^ 0x00ffff00);
	}
	memset(&gc, 0, sizeof(gc));
	gc.count = 8;
	gc.nb_flows = 1;
	gc.burst = 32;
	TEST_ASSERT_SUCCESS(mlx4r_emu_gen_start(env.dev, 1, &gc), "start");
	mlx4r_hw_hook_call(&rxq[0][0].hook);
	for (q = 0; q < 4; q++) {
		struct temu_rxq *r = &rxq[0][q];

		if (!temu_cq_poll(&r->cdv, &r->cq_ci, &cqe))
			continue;
		TEST_ASSERT_EQUAL(hit, 4, "one flow, one WQ (%u and %u)",
				  hit, q);
		hit = q;
		for (i = 0; i < 8; i++) {
			if (i > 0)
				TEST_ASSERT(temu_cq_poll(&r->cdv, &r->cq_ci,
							 &cqe), "CQE %u", i);
			TEST_ASSERT_EQUAL(rte_be_to_cpu_16(cqe.wqe_index), i,
					  "CQE %u: its WQE", i);
			if (i < 3) {
				TEST_ASSERT_EQUAL(cqe.owner_sr_opcode &
						  MLX4_CQE_OPCODE_MASK,
						  MLX4_RECV_OPCODE_SEND,
						  "frame %u received", i);
				continue;
			}
			memcpy(&ecqe, &cqe, sizeof(ecqe));
			TEST_ASSERT_EQUAL(ecqe.owner_sr_opcode &
					  MLX4_CQE_OPCODE_MASK,
					  MLX4_CQE_OPCODE_ERROR, "CQE %u: error",
					  i);
			TEST_ASSERT_EQUAL(ecqe.syndrome, i == 3 ?
					  MLX4_CQE_SYNDROME_LOCAL_PROT_ERR :
					  MLX4_CQE_SYNDROME_WR_FLUSH_ERR,
					  "CQE %u: syndrome", i);
			if (i == 3)
				TEST_ASSERT_EQUAL(ecqe.vendor_err,
						  MLX4R_EMU_VERR_LKEY, "lkey");
		}
		TEST_ASSERT(!temu_cq_poll(&r->cdv, &r->cq_ci, &cqe), "no more");
		for (i = 0; i < r->seg_size; i++)
			TEST_ASSERT_EQUAL(r->mem[3 * (size_t)r->sges *
						 r->seg_size + i], 0xee,
					  "bad WQE's byte %u not written", i);
	}
	TEST_ASSERT(hit < 4, "frames came");
	TEST_ASSERT_SUCCESS(mlx4r_emu_port_stats(env.dev, 1, &st), "stats");
	TEST_ASSERT_EQUAL_U(st.rx_frames, 3, "frames 1-3");
	TEST_ASSERT_EQUAL_U(st.rx_errors, 5, "the bad WQE, 4 flushed");
	TEST_ASSERT_EQUAL_U(st.rx_dropped, 4, "frames 5-8: WQ in error");
	TEST_ASSERT_EQUAL_U(st.rx_missed, 0, "none missed");
	/* the other queues: nothing taken from them */
	for (q = 0; q < 4; q++) {
		n = 0;
		if (q != hit)
			while (temu_cq_poll(&rxq[0][q].cdv, &rxq[0][q].cq_ci,
					    &cqe))
				n++;
		TEST_ASSERT_EQUAL(n, 0, "WQ %u untouched", q);
	}
	return TEST_SUCCESS;
}

/*
 * The queue of port 1 that holds a CQE (the one flow's), or NULL. The
 * hook pumps the generator first.
 */
static struct temu_rxq *
gen_hit_queue(void)
{
	unsigned int q;

	mlx4r_hw_hook_call(&rxq[0][0].hook);
	for (q = 0; q < 4; q++) {
		struct temu_rxq *r = &rxq[0][q];
		const struct mlx4_cqe *c = (const void *)
			((uint8_t *)r->cdv.buf.buf +
			 (size_t)(r->cq_ci & (r->cdv.cqe_cnt - 1)) *
			 r->cdv.cqe_size + (r->cdv.cqe_size - 32));

		if (!(c->owner_sr_opcode & MLX4_CQE_OWNER_MASK) ==
		    !(r->cq_ci & r->cdv.cqe_cnt))
			return r;
	}
	return NULL;
}

/*
 * The generator's run places its frames in a batch (emu_rx_place_seq())
 * while each is the common case; each frame's WQE is still checked on
 * its own, and the frame that is not the common case gets what a frame
 * alone would. Eight frames in one pump, every queue's WQE 3 too short
 * for the frame (30 bytes: a length error, the 30 bytes written, the WQ
 * goes on) and WQE 6 a segment that runs past its MR's end though the
 * frame would fit inside the MR (a protection error: the model checks
 * the whole segment, the WQ goes to error, WQEs 7-8 flushed, frames 7-8
 * dropped).
 */
static int
test_gen_batch_wqe_checks(void)
{
	struct mlx4r_emu_gen_conf gc;
	struct mlx4r_emu_port_stats st;
	struct mlx4_err_cqe ecqe;
	struct mlx4_cqe cqe;
	struct temu_rxq *r;
	uint8_t *tail = NULL;
	unsigned int q, i;

	TEST_ASSERT_SUCCESS(mlx4r_emu_wire_peer(env.dev, 1), "peer");
	for (q = 0; q < 4; q++) {
		uint8_t *ring;
		struct mlx4_wqe_data_seg *seg;

		r = &rxq[0][q];
		temu_rxq_post(r, 8);
		ring = (uint8_t *)r->dv.buf.buf + r->dv.rq.offset;
		seg = (void *)(ring + ((size_t)2 << r->dv.rq.wqe_shift));
		seg->byte_count = rte_cpu_to_be_32(30);
		/* the MR's last 64 bytes, the segment seg_size long */
		tail = r->mem + (size_t)r->cnt * r->sges * r->seg_size - 64;
		memset(tail, 0xee, 64);
		seg = (void *)(ring + ((size_t)5 << r->dv.rq.wqe_shift));
		seg->addr = rte_cpu_to_be_64((uintptr_t)tail);
	}
	memset(&gc, 0, sizeof(gc));
	gc.count = 8;
	gc.nb_flows = 1;
	gc.burst = 32;
	TEST_ASSERT_SUCCESS(mlx4r_emu_gen_start(env.dev, 1, &gc), "start");
	r = gen_hit_queue();
	TEST_ASSERT_NOT_NULL(r, "frames came");
	tail = r->mem + (size_t)r->cnt * r->sges * r->seg_size - 64;
	for (i = 0; i < 8; i++) {
		TEST_ASSERT(temu_cq_poll(&r->cdv, &r->cq_ci, &cqe), "CQE %u",
			    i);
		memcpy(&ecqe, &cqe, sizeof(ecqe));
		TEST_ASSERT_EQUAL(rte_be_to_cpu_16(cqe.wqe_index), i,
				  "CQE %u: its WQE", i);
		if (i != 2 && i < 5) {
			TEST_ASSERT_EQUAL(cqe.owner_sr_opcode &
					  MLX4_CQE_OPCODE_MASK,
					  MLX4_RECV_OPCODE_SEND,
					  "frame %u received", i);
			TEST_ASSERT_EQUAL(rte_be_to_cpu_32(cqe.byte_cnt), 60,
					  "frame %u: its length", i);
			continue;
		}
		TEST_ASSERT_EQUAL(ecqe.owner_sr_opcode & MLX4_CQE_OPCODE_MASK,
				  MLX4_CQE_OPCODE_ERROR, "CQE %u: error", i);
		TEST_ASSERT_EQUAL(ecqe.syndrome, i == 2 ?
				  MLX4_CQE_SYNDROME_LOCAL_LENGTH_ERR : i == 5 ?
				  MLX4_CQE_SYNDROME_LOCAL_PROT_ERR :
				  MLX4_CQE_SYNDROME_WR_FLUSH_ERR,
				  "CQE %u: syndrome 0x%x", i, ecqe.syndrome);
		if (i == 5)
			TEST_ASSERT_EQUAL(ecqe.vendor_err,
					  MLX4R_EMU_VERR_BOUNDS, "bounds");
	}
	TEST_ASSERT(!temu_cq_poll(&r->cdv, &r->cq_ci, &cqe), "no more");
	/* WQE 3: the 30 bytes that fit, as frame 1's; nothing after them */
	TEST_ASSERT_BUFFERS_ARE_EQUAL(temu_rxq_data(r, 2), temu_rxq_data(r, 0),
				      30, "the part that fits");
	for (i = 30; i < r->seg_size; i++)
		TEST_ASSERT_EQUAL(temu_rxq_data(r, 2)[i], 0xee,
				  "short WQE's byte %u not written", i);
	for (i = 0; i < 64; i++)
		TEST_ASSERT_EQUAL(tail[i], 0xee, "MR tail byte %u written", i);
	TEST_ASSERT_SUCCESS(mlx4r_emu_port_stats(env.dev, 1, &st), "stats");
	TEST_ASSERT_EQUAL_U(st.rx_frames, 4, "frames 1, 2, 4, 5");
	TEST_ASSERT_EQUAL_U(st.rx_bytes, 4 * 60, "their bytes");
	TEST_ASSERT_EQUAL_U(st.rx_errors, 4, "short, bounds, 2 flushed");
	TEST_ASSERT_EQUAL_U(st.rx_dropped, 2, "frames 7-8: WQ in error");
	return TEST_SUCCESS;
}

/*
 * A CQ the driver does not poll overruns in the middle of a batch: the
 * driver keeps posting WQEs (a ring's worth at a time) without polling,
 * until the CQ's entries are all written; the next frame finds the CQ
 * full: IBV_EVENT_CQ_ERR, the frame dropped, every CQE kept (none
 * written over), the frames after it dropped too.
 */
static int
test_gen_batch_cq_overrun(void)
{
	struct mlx4r_emu_gen_conf gc;
	struct mlx4r_hw_async_event ev;
	struct mlx4r_emu_port_stats st;
	struct mlx4r_emu_gen_stats gs;
	struct mlx4_cqe cqe;
	struct temu_rxq *r;
	unsigned int q, i, cnt = rxq[0][0].cdv.cqe_cnt, wqes, posted;

	TEST_ASSERT_SUCCESS(mlx4r_emu_wire_peer(env.dev, 1), "peer");
	wqes = RTE_MIN(cnt, rxq[0][0].cnt);
	for (q = 0; q < 4; q++)
		temu_rxq_post(&rxq[0][q], wqes);
	memset(&gc, 0, sizeof(gc));
	gc.count = cnt + 8;
	gc.nb_flows = 1;
	gc.burst = 8; /* a pump: 8 frames */
	TEST_ASSERT_SUCCESS(mlx4r_emu_gen_start(env.dev, 1, &gc), "start");
	r = gen_hit_queue();
	TEST_ASSERT_NOT_NULL(r, "frames came");
	posted = wqes;
	for (;;) {
		TEST_ASSERT_SUCCESS(mlx4r_emu_gen_stats(env.dev, 1, &gs),
				    "stats");
		if (gs.sent >= cnt + 8)
			break;
		if (gs.sent < posted) {
			mlx4r_hw_hook_call(&rxq[0][0].hook);
			continue;
		}
		/* the WQEs taken posted again, the CQ not polled */
		temu_rxq_post(r, RTE_MIN(wqes, cnt + 8 - posted));
		posted += RTE_MIN(wqes, cnt + 8 - posted);
	}
	TEST_ASSERT_SUCCESS(mlx4r_emu_port_stats(env.dev, 1, &st), "stats");
	TEST_ASSERT_SUCCESS(mlx4r_hw_get_async_event(env.ctx, &ev), "event");
	TEST_ASSERT_EQUAL(ev.event_type, IBV_EVENT_CQ_ERR, "CQ error");
	TEST_ASSERT(ev.element.cq == r->cq, "the Rx CQ");
	mlx4r_hw_ack_async_event(env.ctx, &ev);
	TEST_ASSERT_EQUAL_U(st.rx_frames, cnt, "as many as the CQ holds");
	TEST_ASSERT_EQUAL_U(st.rx_dropped, 8, "the 8 past it");
	TEST_ASSERT_EQUAL_U(st.rx_missed, 0, "none missed");
	for (i = 0; i < cnt; i++) {
		TEST_ASSERT(temu_cq_poll(&r->cdv, &r->cq_ci, &cqe),
			    "entry %u kept", i);
		TEST_ASSERT_EQUAL(rte_be_to_cpu_16(cqe.wqe_index),
				  (uint16_t)i, "in order, none written over");
	}
	TEST_ASSERT(!temu_cq_poll(&r->cdv, &r->cq_ci, &cqe), "no more");
	return TEST_SUCCESS;
}

/*
 * A WQ moved to RESET and back starts from WQE 0 again while its CQ goes
 * on (libmlx4 mlx4_modify_wq() zeroes the doorbell record; the driver's
 * repair relies on it): a batch's CQEs name their WQE by the WQ's
 * index, not the CQ's, and its frames land in those WQEs' buffers.
 */
static int
test_gen_batch_after_wq_reset(void)
{
	struct mlx4r_emu_gen_conf gc;
	struct mlx4_cqe cqe;
	struct temu_rxq *r;
	unsigned int q, i;

	TEST_ASSERT_SUCCESS(mlx4r_emu_wire_peer(env.dev, 1), "peer");
	for (q = 0; q < 4; q++)
		temu_rxq_post(&rxq[0][q], 8);
	memset(&gc, 0, sizeof(gc));
	gc.count = 5;
	gc.nb_flows = 1;
	TEST_ASSERT_SUCCESS(mlx4r_emu_gen_start(env.dev, 1, &gc), "start");
	r = gen_hit_queue();
	TEST_ASSERT_NOT_NULL(r, "frames came");
	for (i = 0; i < 5; i++)
		TEST_ASSERT(temu_cq_poll(&r->cdv, &r->cq_ci, &cqe), "CQE %u",
			    i);
	TEST_ASSERT_SUCCESS(mlx4r_hw_modify_wq(r->wq, IBV_WQS_RESET), "RST");
	TEST_ASSERT_SUCCESS(mlx4r_hw_modify_wq(r->wq, IBV_WQS_RDY), "RDY");
	/* the driver's index again (libmlx4's clean wrote its own) */
	*r->cdv.set_ci_db = rte_cpu_to_be_32(r->cq_ci);
	r->pi = 0;
	temu_rxq_post(r, 8);
	gc.count = 6;
	TEST_ASSERT_SUCCESS(mlx4r_emu_gen_start(env.dev, 1, &gc), "again");
	mlx4r_hw_hook_call(&rxq[0][0].hook);
	for (i = 0; i < 6; i++) {
		TEST_ASSERT(temu_cq_poll(&r->cdv, &r->cq_ci, &cqe), "CQE %u",
			    i);
		TEST_ASSERT_EQUAL(cqe.owner_sr_opcode & MLX4_CQE_OPCODE_MASK,
				  MLX4_RECV_OPCODE_SEND, "frame %u", i);
		TEST_ASSERT_EQUAL(rte_be_to_cpu_16(cqe.wqe_index), i,
				  "CQE %u: WQE %u of the new pass", i, i);
		TEST_ASSERT_EQUAL(temu_rxq_data(r, (uint16_t)i)[0] & 1, 0,
				  "frame %u in its WQE's buffer (unicast)", i);
		TEST_ASSERT(temu_rxq_data(r, (uint16_t)i)[0] != 0xee ||
			    temu_rxq_data(r, (uint16_t)i)[1] != 0xee,
			    "frame %u written", i);
	}
	TEST_ASSERT(!temu_cq_poll(&r->cdv, &r->cq_ci, &cqe), "no more");
	return TEST_SUCCESS;
}

/*
 * A one-flow run that outlasts the WQEs: each frame reads the doorbell
 * record (5 land, 7 missed), and frames posted later land.
 */
static int
test_gen_run_missed(void)
{
	struct mlx4r_emu_gen_conf gc;
	struct mlx4r_emu_port_stats st;
	unsigned int q, n;

	TEST_ASSERT_SUCCESS(mlx4r_emu_wire_peer(env.dev, 1), "peer");
	for (q = 0; q < 4; q++)
		temu_rxq_post(&rxq[0][q], 5);
	memset(&gc, 0, sizeof(gc));
	gc.count = 20;
	gc.nb_flows = 1;
	gc.burst = 12;
	TEST_ASSERT_SUCCESS(mlx4r_emu_gen_start(env.dev, 1, &gc), "start");
	n = drain_port(0, NULL, false);
	TEST_ASSERT_EQUAL(n, 5, "as many as the WQ had");
	TEST_ASSERT_SUCCESS(mlx4r_emu_port_stats(env.dev, 1, &st), "stats");
	TEST_ASSERT_EQUAL_U(st.rx_missed, 7, "the rest of the run missed");
	for (q = 0; q < 4; q++)
		temu_rxq_post(&rxq[0][q], 8);
	n = drain_port(0, NULL, false);
	TEST_ASSERT_EQUAL(n, 8, "the last 8, on WQEs posted since");
	TEST_ASSERT_SUCCESS(mlx4r_emu_port_stats(env.dev, 1, &st), "stats");
	TEST_ASSERT_EQUAL_U(st.rx_frames, 13, "delivered");
	TEST_ASSERT_EQUAL_U(st.rx_missed, 7, "none more missed");
	return TEST_SUCCESS;
}

static int
send_frame(unsigned int p, const void *frame, uint32_t len)
{
	memcpy(env.buf, frame, len);
	temu_tx_post(&txq[p], env.buf, len, env.mr->lkey, 0);
	temu_tx_doorbell(&txq[p]);
	temu_tx_reclaim(&txq[p]);
	return 0;
}

static int
test_checker_counts(void)
{
	static const uint64_t seqs[] = { 0, 1, 3, 2, 2, 5, 4, 7 };
	struct mlx4r_emu_gen_conf gc;
	struct mlx4r_emu_chk_stats cs;
	uint8_t f[256];
	unsigned int i;
	int len;

	TEST_ASSERT_SUCCESS(mlx4r_emu_wire_peer(env.dev, 2), "peer");
	memset(&gc, 0, sizeof(gc));
	gc.frame_size = 80;
	for (i = 0; i < RTE_DIM(seqs); i++) {
		len = mlx4r_emu_gen_frame(&gc, 42, 3, seqs[i], f, sizeof(f));
		TEST_ASSERT_EQUAL(len, 80, "frame");
		send_frame(1, f, (uint32_t)len);
	}
	memset(f, 0, 64);
	send_frame(1, f, 64);
	TEST_ASSERT_SUCCESS(mlx4r_emu_chk_stats(env.dev, 2, &cs), "stats");
	TEST_ASSERT_EQUAL_U(cs.received, 8, "received");
	TEST_ASSERT_EQUAL_U(cs.unique, 7, "unique");
	TEST_ASSERT_EQUAL_U(cs.duplicated, 1, "2 twice");
	TEST_ASSERT_EQUAL_U(cs.out_of_order, 2, "2 after 3, 4 after 5");
	TEST_ASSERT_EQUAL_U(cs.lost, 1, "6 never came");
	TEST_ASSERT_EQUAL_U(cs.foreign, 1, "unstamped frame");
	TEST_ASSERT_EQUAL_U(cs.bytes, 8 * 80 + 64, "bytes");
	/* 6 arrives late: no longer lost. */
	len = mlx4r_emu_gen_frame(&gc, 42, 3, 6, f, sizeof(f));
	send_frame(1, f, (uint32_t)len);
	TEST_ASSERT_SUCCESS(mlx4r_emu_chk_stats(env.dev, 2, &cs), "stats");
	TEST_ASSERT_EQUAL_U(cs.lost, 0, "gap filled");
	TEST_ASSERT_EQUAL_U(cs.out_of_order, 3, "late");
	TEST_ASSERT_SUCCESS(mlx4r_emu_chk_reset(env.dev, 2), "reset");
	TEST_ASSERT_SUCCESS(mlx4r_emu_chk_stats(env.dev, 2, &cs), "stats");
	TEST_ASSERT_EQUAL_U(cs.received, 0, "reset");
	return TEST_SUCCESS;
}

/*
 * The checker's window (EMU_CHK_WINDOW = 256 sequence numbers, a bit
 * each, reused every 256): 1 and 3 are skipped, 3 comes late after 10,
 * 2 to 300 otherwise in order, 257 reusing 1's bit; then 257 again is a
 * copy, not 1's late arrival, and 1 itself, 299 behind, is too old to
 * tell (a late frame). Fails if a frame in order, with a number still
 * missing in the window, leaves its bit as the number it replaces left
 * it, or if 3's late arrival lets the checker forget that 1 is missing.
 */
static int
test_checker_window(void)
{
	struct mlx4r_emu_gen_conf gc;
	struct mlx4r_emu_chk_stats cs;
	uint8_t f[256];
	uint64_t seq;
	int len;

	TEST_ASSERT_SUCCESS(mlx4r_emu_wire_peer(env.dev, 2), "peer");
	memset(&gc, 0, sizeof(gc));
	gc.frame_size = 64;
	for (seq = 0; seq <= 300; seq++) {
		if (seq == 1 || seq == 3)
			continue;
		len = mlx4r_emu_gen_frame(&gc, 42, 0, seq, f, sizeof(f));
		TEST_ASSERT_EQUAL(len, 64, "frame");
		send_frame(1, f, (uint32_t)len);
		if (seq == 10) {
			len = mlx4r_emu_gen_frame(&gc, 42, 0, 3, f,
						  sizeof(f));
			send_frame(1, f, (uint32_t)len);
		}
	}
	TEST_ASSERT_SUCCESS(mlx4r_emu_chk_stats(env.dev, 2, &cs), "stats");
	TEST_ASSERT_EQUAL_U(cs.lost, 1, "1 lost");
	TEST_ASSERT_EQUAL_U(cs.out_of_order, 1, "3 late");
	len = mlx4r_emu_gen_frame(&gc, 42, 0, 257, f, sizeof(f));
	send_frame(1, f, (uint32_t)len);
	TEST_ASSERT_SUCCESS(mlx4r_emu_chk_stats(env.dev, 2, &cs), "stats");
	TEST_ASSERT_EQUAL_U(cs.duplicated, 1, "257 again: a copy");
	TEST_ASSERT_EQUAL_U(cs.out_of_order, 1, "not a late one");
	TEST_ASSERT_EQUAL_U(cs.lost, 1, "1 still lost");
	len = mlx4r_emu_gen_frame(&gc, 42, 0, 1, f, sizeof(f));
	send_frame(1, f, (uint32_t)len);
	TEST_ASSERT_SUCCESS(mlx4r_emu_chk_stats(env.dev, 2, &cs), "stats");
	TEST_ASSERT_EQUAL_U(cs.out_of_order, 2, "1: too old, late");
	TEST_ASSERT_EQUAL_U(cs.duplicated, 1, "no more copies");
	TEST_ASSERT_EQUAL_U(cs.lost, 0, "none lost");
	TEST_ASSERT_EQUAL_U(cs.received, 302, "received");
	TEST_ASSERT_EQUAL_U(cs.unique, 301, "unique");
	return TEST_SUCCESS;
}

/*
 * The checker keeps the stream of the frame before (mlx4r_emu_wire.c
 * emu_chk_stream): two streams interleaved, A0 A1 B0 B1 A2 B2, are
 * counted apart (fails if the kept stream serves a frame of another id:
 * B0 would be a copy of A0); after a reset, B5 (B the stream kept) starts
 * a new stream, five lost (fails if the kept stream serves a frame once
 * it is no longer in use, i.e. if the reset does not forget it: B's old
 * state would count two).
 */
/* A generator frame of each stream and sequence number. */
struct gen_fr {
	uint16_t stream;
	uint64_t seq;
};

/* The frames of @p fr, in order, sent on port 1 (to port 2, its peer). */
static int
send_gen_frames(const struct mlx4r_emu_gen_conf *gc, const struct gen_fr *fr,
		unsigned int n)
{
	uint8_t f[256];
	unsigned int i;
	int len;

	for (i = 0; i < n; i++) {
		len = mlx4r_emu_gen_frame(gc, fr[i].stream, 0, fr[i].seq, f,
					  sizeof(f));
		TEST_ASSERT_EQUAL(len, (int)gc->frame_size, "frame");
		send_frame(1, f, (uint32_t)len);
	}
	return TEST_SUCCESS;
}

static int
test_checker_streams(void)
{
	static const struct gen_fr fr[] = {
		{ 42, 0 }, { 42, 1 }, { 43, 0 }, { 43, 1 }, { 42, 2 }, { 43, 2 },
	};
	struct mlx4r_emu_gen_conf gc;
	struct mlx4r_emu_chk_stats cs;
	uint8_t f[256];
	int len;

	TEST_ASSERT_SUCCESS(mlx4r_emu_wire_peer(env.dev, 2), "peer");
	memset(&gc, 0, sizeof(gc));
	gc.frame_size = 80;
	TEST_ASSERT_EQUAL(send_gen_frames(&gc, fr, RTE_DIM(fr)), TEST_SUCCESS,
			  "frames");
	TEST_ASSERT_SUCCESS(mlx4r_emu_chk_stats(env.dev, 2, &cs), "stats");
	TEST_ASSERT_EQUAL_U(cs.received, 6, "received");
	TEST_ASSERT_EQUAL_U(cs.unique, 6, "unique");
	TEST_ASSERT_EQUAL_U(cs.duplicated, 0, "no copies");
	TEST_ASSERT_EQUAL_U(cs.out_of_order, 0, "in order");
	TEST_ASSERT_EQUAL_U(cs.lost, 0, "none lost");
	TEST_ASSERT_SUCCESS(mlx4r_emu_chk_reset(env.dev, 2), "reset");
	len = mlx4r_emu_gen_frame(&gc, 43, 0, 5, f, sizeof(f));
	send_frame(1, f, (uint32_t)len);
	TEST_ASSERT_SUCCESS(mlx4r_emu_chk_stats(env.dev, 2, &cs), "stats");
	TEST_ASSERT_EQUAL_U(cs.unique, 1, "one since the reset");
	TEST_ASSERT_EQUAL_U(cs.lost, 5, "a new stream: 0-4 lost");
	return TEST_SUCCESS;
}

/*
 * A port's fini, then init again (mlx4r_emu_wire.c emu_wire_port_fini(),
 * emu_wire_port_init()): the checker is as new. Streams 42 and 43 seen
 * before, with counters; after the fini and init the counters read 0 and
 * stream 42's frame 5 starts a new stream, five lost (fails if the fini
 * leaves the streams marked used, their flows freed: the counters of
 * before, and frame 5 counted against stream 42's freed state), and the
 * port's steering table is empty and cabled to nothing.
 */
static int
test_checker_reinit(void)
{
	static const struct gen_fr fr[] = {
		{ 42, 0 }, { 42, 1 }, { 43, 0 }, { 42, 2 },
	};
	struct mlx4r_emu_gen_conf gc;
	struct mlx4r_emu_chk_stats cs;
	struct emu_port *port;
	uint8_t f[256];
	unsigned int i;
	int len;

	TEST_ASSERT_SUCCESS(mlx4r_emu_wire_peer(env.dev, 2), "peer");
	memset(&gc, 0, sizeof(gc));
	gc.frame_size = 80;
	TEST_ASSERT_EQUAL(send_gen_frames(&gc, fr, RTE_DIM(fr)), TEST_SUCCESS,
			  "frames");
	TEST_ASSERT_SUCCESS(mlx4r_emu_chk_stats(env.dev, 2, &cs), "stats");
	TEST_ASSERT_EQUAL_U(cs.received, 4, "received before");
	/* port 2's rules leave with the fini: their flows go first */
	TEST_ASSERT_SUCCESS(mlx4r_hw_destroy_flow(mac_flow[1]), "MAC flow");
	TEST_ASSERT_SUCCESS(mlx4r_hw_destroy_flow(flow[1]), "default flow");
	mac_flow[1] = NULL;
	flow[1] = NULL;
	port = emu_dev_port((struct emu_dev *)env.dev, 2);
	TEST_ASSERT_NOT_NULL(port, "port 2");
	emu_wire_port_fini(port);
	emu_wire_port_init(port);
	TEST_ASSERT_NOT_NULL(port->rx_frame, "pump buffer again");
	TEST_ASSERT_EQUAL(mlx4r_emu_wire_kind(env.dev, 2),
			  (int)MLX4R_EMU_WIRE_NONE, "cabled to nothing");
	TEST_ASSERT_EQUAL_U(port->nb_rules, 0, "no rule");
	TEST_ASSERT_EQUAL_U(port->rules_cap, 0, "no table");
	for (i = 0; i < EMU_CHK_STREAMS; i++)
		TEST_ASSERT(!port->chk[i].used && port->chk[i].flows == NULL,
			    "checker stream %u unused, nothing kept", i);
	TEST_ASSERT_SUCCESS(mlx4r_emu_chk_stats(env.dev, 2, &cs), "stats");
	TEST_ASSERT_EQUAL_U(cs.received, 0, "received after the init");
	TEST_ASSERT_EQUAL_U(cs.unique, 0, "unique after the init");
	TEST_ASSERT_EQUAL_U(cs.bytes, 0, "bytes after the init");
	TEST_ASSERT_SUCCESS(mlx4r_emu_wire_peer(env.dev, 2), "peer again");
	len = mlx4r_emu_gen_frame(&gc, 42, 0, 5, f, sizeof(f));
	send_frame(1, f, (uint32_t)len);
	TEST_ASSERT_SUCCESS(mlx4r_emu_chk_stats(env.dev, 2, &cs), "stats");
	TEST_ASSERT_EQUAL_U(cs.received, 1, "one frame since the init");
	TEST_ASSERT_EQUAL_U(cs.unique, 1, "unique");
	TEST_ASSERT_EQUAL_U(cs.lost, 5, "a new stream: 0-4 lost");
	TEST_ASSERT_EQUAL_U(cs.duplicated + cs.out_of_order, 0,
			    "no copy, in order");
	return TEST_SUCCESS;
}

/* Generator on port 1 -> test forwards Rx to port 2's Tx -> checker. */
static int
test_forward_accounting(void)
{
	struct mlx4r_emu_gen_conf gc;
	struct mlx4r_emu_gen_stats gs;
	struct mlx4r_emu_chk_stats cs;
	struct mlx4r_emu_port_stats st;
	struct mlx4_cqe cqe;
	unsigned int i, q;
	uint64_t fwd = 0;

	TEST_ASSERT_SUCCESS(mlx4r_emu_wire_peer(env.dev, 1), "peer");
	TEST_ASSERT_SUCCESS(mlx4r_emu_wire_peer(env.dev, 2), "peer");
	for (q = 0; q < 4; q++)
		temu_rxq_post(&rxq[0][q], 64);
	memset(&gc, 0, sizeof(gc));
	gc.count = 5000;
	gc.nb_flows = 32;
	gc.frame_size = 200;
	TEST_ASSERT_SUCCESS(mlx4r_emu_gen_start(env.dev, 1, &gc), "start");
	for (i = 0; i < 400; i++) {
		mlx4r_hw_hook_call(&rxq[0][0].hook);
		for (q = 0; q < 4; q++) {
			struct temu_rxq *r = &rxq[0][q];

			while (temu_cq_poll(&r->cdv, &r->cq_ci, &cqe)) {
				uint8_t *d = temu_rxq_data(r,
					rte_be_to_cpu_16(cqe.wqe_index));

				/* Forward straight from the Rx buffer. */
				temu_tx_post(&txq[1], d,
					     rte_be_to_cpu_32(cqe.byte_cnt),
					     r->mr->lkey, 0);
				fwd++;
			}
		}
		temu_tx_doorbell(&txq[1]);
		temu_tx_reclaim(&txq[1]);
		/* Buffers are free again once sent: repost them. */
		for (q = 0; q < 4; q++)
			temu_rxq_post(&rxq[0][q],
				      rxq[0][q].cq_ci + 64 - rxq[0][q].pi);
	}
	TEST_ASSERT_SUCCESS(mlx4r_emu_gen_stats(env.dev, 1, &gs), "gen");
	TEST_ASSERT_SUCCESS(mlx4r_emu_chk_stats(env.dev, 2, &cs), "chk");
	TEST_ASSERT_SUCCESS(mlx4r_emu_port_stats(env.dev, 1, &st), "port");
	TEST_ASSERT_EQUAL_U(gs.sent, 5000, "all sent");
	TEST_ASSERT_EQUAL_U(cs.unique + st.rx_missed, gs.sent,
			    "every frame accounted for");
	TEST_ASSERT_EQUAL_U(cs.unique, fwd, "forwarded = checked");
	TEST_ASSERT_EQUAL_U(cs.lost, st.rx_missed, "missed show as lost");
	TEST_ASSERT_EQUAL_U(cs.duplicated, 0, "no copies");
	TEST_ASSERT_EQUAL_U(cs.foreign, 0, "all stamped");
	TEST_ASSERT_GT_U(fwd, 4000, "most frames made it");
	return TEST_SUCCESS;
}

static int
test_xconnect_link(void)
{
	struct mlx4r_emu_port_stats st;
	struct temu_env e2;
	struct temu_txq t2;
	struct temu_rxq r2, *rr[1] = { &r2 };
	struct mlx4r_hw_ind_table *i2;
	struct mlx4r_hw_qp *q2;
	struct mlx4r_hw_flow *f2;
	uint32_t per_q[4] = { 0 };
	uint8_t f[128];
	int ret = TEST_FAILED;

	memset(f, 0, sizeof(f));
	temu_frame_ip4(f, (const uint8_t *)"\x02\0\0\0\0\1",
		       (const uint8_t *)"\x02\0\0\0\0\2", 1, 2, IPPROTO_UDP,
		       1, 2, 50, true);
	TEST_ASSERT_SUCCESS(mlx4r_emu_wire_xconnect(env.dev, 1, env.dev, 2),
			    "xconnect");
	TEST_ASSERT_EQUAL(mlx4r_emu_wire_kind(env.dev, 2),
			  MLX4R_EMU_WIRE_XCONNECT, "both ends");
	temu_rxq_post(&rxq[1][0], 256);
	temu_rxq_post(&rxq[1][1], 256);
	temu_rxq_post(&rxq[1][2], 256);
	temu_rxq_post(&rxq[1][3], 256);
	send_frame(0, f, 92);
	TEST_ASSERT_EQUAL(drain_port(1, per_q, false), 1, "1 -> 2");
	/* Link down: dropped, counted. */
	TEST_ASSERT_SUCCESS(mlx4r_emu_link_set(env.dev, 1, false), "down");
	send_frame(0, f, 92);
	TEST_ASSERT_EQUAL(drain_port(1, per_q, false), 0, "link down");
	TEST_ASSERT_SUCCESS(mlx4r_emu_port_stats(env.dev, 1, &st), "stats");
	TEST_ASSERT_EQUAL_U(st.tx_dropped, 1, "dropped");
	TEST_ASSERT_SUCCESS(mlx4r_emu_link_set(env.dev, 1, true), "up");
	send_frame(0, f, 92);
	TEST_ASSERT_EQUAL(drain_port(1, per_q, false), 1, "up again");
	/* The receiving end's link down: dropped at the sender's too. */
	TEST_ASSERT_SUCCESS(mlx4r_emu_link_set(env.dev, 2, false), "2 down");
	send_frame(0, f, 92);
	TEST_ASSERT_EQUAL(drain_port(1, per_q, false), 0, "peer's link down");
	TEST_ASSERT_SUCCESS(mlx4r_emu_port_stats(env.dev, 1, &st), "stats");
	TEST_ASSERT_EQUAL_U(st.tx_dropped, 2, "dropped");
	TEST_ASSERT_SUCCESS(mlx4r_emu_link_set(env.dev, 2, true), "2 up");
	send_frame(0, f, 92);
	TEST_ASSERT_EQUAL(drain_port(1, per_q, false), 1, "both up again");

	/* Across two devices. */
	TEST_ASSERT_SUCCESS(temu_env_init(&e2, "t_emu_wire2", NULL), "dev 2");
	if (temu_txq_create(&e2, 1, 64, &t2) != 0 ||
	    temu_rxq_create(&e2, 64, 1, 2048, &r2) != 0 ||
	    temu_rss_create(&e2, 1, rr, NULL, 0, 0, NULL, &i2, &q2) != 0 ||
	    temu_flow_kind(q2, 1, IBV_FLOW_ATTR_ALL_DEFAULT, &f2) != 0)
		goto out;
	if (mlx4r_emu_wire_xconnect(env.dev, 2, e2.dev, 1) != 0)
		goto out;
	if (mlx4r_emu_wire_kind(env.dev, 1) != MLX4R_EMU_WIRE_NONE) {
		printf("re-cabling port 2 must unplug port 1\n");
		goto out;
	}
	temu_rxq_post(&r2, 4);
	send_frame(1, f, 92);
	{
		struct mlx4_cqe cqe;

		if (!temu_rx_poll(&r2, &cqe)) {
			printf("frame did not cross devices\n");
			goto out;
		}
		memcpy(e2.buf, f, 92);
		temu_tx_post(&t2, e2.buf, 92, e2.mr->lkey, 0);
		temu_tx_doorbell(&t2);
		if (drain_port(1, NULL, false) != 1) {
			printf("frame did not come back\n");
			goto out;
		}
	}
	ret = TEST_SUCCESS;
out:
	mlx4r_emu_wire_none(env.dev, 2);
	temu_env_fini(&e2);
	free(r2.mem);
	return ret;
}

/*
 * Two lcores: lcore 1 sends on port 1 (its Tx hook delivers into port 2's
 * WQs over the cross-connect) while lcore 0 runs port 2's Rx hook, polls
 * its CQs and reposts WQEs. Every frame is received or counted missed.
 */
#define MT_FRAMES 20000u
static volatile bool mt_done;

static int
mt_sender(void *arg)
{
	uint32_t i;

	RTE_SET_USED(arg);
	for (i = 0; i < MT_FRAMES; i++) {
		temu_tx_post(&txq[0], env.buf, 64, env.mr->lkey, 0);
		if ((i & 7) == 7) {
			temu_tx_doorbell(&txq[0]);
			temu_tx_reclaim(&txq[0]);
		}
	}
	temu_tx_doorbell(&txq[0]);
	temu_tx_reclaim(&txq[0]);
	__atomic_store_n(&mt_done, true, __ATOMIC_RELEASE);
	return 0;
}

static int
test_two_lcores(void)
{
	struct mlx4r_emu_port_stats st1, st2;
	unsigned int worker, q;
	uint64_t rx = 0;

	worker = rte_get_next_lcore(rte_lcore_id(), 1, 0);
	if (worker >= RTE_MAX_LCORE)
		TEST_SKIP("needs two lcores (-l 0-1)");
	temu_frame_ip4(env.buf, (const uint8_t *)"\x02\0\0\0\0\1",
		       (const uint8_t *)"\x02\0\0\0\0\2", 1, 2, IPPROTO_UDP,
		       1, 2, 18, true);
	TEST_ASSERT_SUCCESS(mlx4r_emu_wire_xconnect(env.dev, 1, env.dev, 2),
			    "xconnect");
	for (q = 0; q < 4; q++)
		temu_rxq_post(&rxq[1][q], 256);
	mt_done = false;
	TEST_ASSERT_SUCCESS(rte_eal_remote_launch(mt_sender, NULL, worker),
			    "launch");
	do {
		rx += drain_port(1, NULL, true);
	} while (!__atomic_load_n(&mt_done, __ATOMIC_ACQUIRE));
	TEST_ASSERT_SUCCESS(rte_eal_wait_lcore(worker), "worker");
	rx += drain_port(1, NULL, true);
	TEST_ASSERT_SUCCESS(mlx4r_emu_port_stats(env.dev, 1, &st1), "");
	TEST_ASSERT_SUCCESS(mlx4r_emu_port_stats(env.dev, 2, &st2), "");
	TEST_ASSERT_EQUAL_U(st1.tx_frames, MT_FRAMES, "all sent");
	TEST_ASSERT_EQUAL_U(st2.rx_frames, rx, "every CQE seen once");
	TEST_ASSERT_EQUAL_U(rx + st2.rx_missed, MT_FRAMES,
			    "received + missed = sent");
	TEST_ASSERT_GT_U(rx, 0, "some received");
	return TEST_SUCCESS;
}

/*
 * TAP: the interface lives in a network namespace this test makes (the
 * calling thread enters it, creates the TAP and a socket there, and comes
 * back); the kernel answers ARP and ping and sends UDP.
 */
static int tap_sock = -1;

static int
tap_setup_ns(char *ifname)
{
	struct sockaddr_in *sin;
	struct ifreq ifr;
	int self, ret;

	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return -errno;
	if (unshare(CLONE_NEWNET) != 0) {
		ret = -errno;
		close(self);
		return ret;
	}
	ret = mlx4r_emu_wire_tap(env.dev, 1, "m4rtap0", ifname);
	if (ret == 0) {
		tap_sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (tap_sock < 0)
			ret = -errno;
	}
	if (setns(self, CLONE_NEWNET) != 0 && ret == 0)
		ret = -errno;
	close(self);
	if (ret != 0)
		return ret;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, ifname);
	sin = (struct sockaddr_in *)&ifr.ifr_addr;
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(RTE_IPV4(10, 99, 0, 1));
	if (ioctl(tap_sock, SIOCSIFADDR, &ifr) != 0)
		return -errno;
	sin->sin_addr.s_addr = htonl(0xffffff00);
	if (ioctl(tap_sock, SIOCSIFNETMASK, &ifr) != 0)
		return -errno;
	if (ioctl(tap_sock, SIOCGIFFLAGS, &ifr) != 0)
		return -errno;
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(tap_sock, SIOCSIFFLAGS, &ifr) != 0)
		return -errno;
	return 0;
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Wait up to 3 s for a frame matching @p want (ethertype, proto, ...). */
static const uint8_t *
tap_wait(bool (*want)(const uint8_t *d, uint32_t len))
{
	uint64_t end = now_ms() + 3000;
	struct mlx4_cqe cqe;
	struct temu_rxq *r = &rxq[0][0];

	while (now_ms() < end) {
		unsigned int q;

		mlx4r_hw_hook_call(&r->hook);
		for (q = 0; q < 4; q++) {
			struct temu_rxq *x = &rxq[0][q];

			while (temu_cq_poll(&x->cdv, &x->cq_ci, &cqe)) {
				const uint8_t *d = temu_rxq_data(x,
					rte_be_to_cpu_16(cqe.wqe_index));

				temu_rxq_post(x, 1);
				if (want(d, rte_be_to_cpu_32(cqe.byte_cnt)))
					return d;
			}
		}
		usleep(1000);
	}
	return NULL;
}

static bool
is_arp_reply(const uint8_t *d, uint32_t len)
{
	return len >= 42 && d[12] == 0x08 && d[13] == 0x06 && d[21] == 2 &&
	       d[28] == 10 && d[29] == 99 && d[30] == 0 && d[31] == 1;
}

static bool
is_echo_reply(const uint8_t *d, uint32_t len)
{
	return len >= 42 && d[12] == 0x08 && d[13] == 0x00 &&
	       d[23] == IPPROTO_ICMP && d[34] == 0 && d[38] == 0x12 &&
	       d[39] == 0x34;
}

static bool
is_udp_9999(const uint8_t *d, uint32_t len)
{
	return len >= 47 && d[12] == 0x08 && d[13] == 0x00 &&
	       d[23] == IPPROTO_UDP && d[36] == 9999 >> 8 &&
	       d[37] == (9999 & 0xff) && memcmp(d + 42, "hello", 5) == 0;
}

static int
test_tap_kernel(void)
{
	uint8_t mac[6], f[128];
	char ifname[IFNAMSIZ] = "";
	struct sockaddr_in dst;
	const uint8_t *d;
	unsigned int q;
	uint16_t c;
	int ret;

	for (q = 0; q < 4; q++)
		temu_rxq_post(&rxq[0][q], 64);
	ret = tap_setup_ns(ifname);
	if (ret == -EPERM || ret == -EACCES || ret == -ENOENT ||
	    ret == -ENODEV || ret == -EINVAL || ret == -ENOSYS) {
		if (tap_sock >= 0)
			close(tap_sock);
		tap_sock = -1;
		TEST_SKIP("this machine forbids a TAP in a new netns (%s)",
			  strerror(-ret));
	}
	TEST_ASSERT_SUCCESS(ret, "TAP set-up");
	mlx4r_hw_port_mac(env.ctx, 1, mac);

	/* ARP who-has 10.99.0.1 tell 10.99.0.2 */
	memset(f, 0, sizeof(f));
	memset(f, 0xff, 6);
	memcpy(f + 6, mac, 6);
	f[12] = 0x08; f[13] = 0x06;
	f[14] = 0; f[15] = 1; f[16] = 0x08; f[17] = 0; f[18] = 6; f[19] = 4;
	f[20] = 0; f[21] = 1;
	memcpy(f + 22, mac, 6);
	f[28] = 10; f[29] = 99; f[30] = 0; f[31] = 2;
	f[38] = 10; f[39] = 99; f[40] = 0; f[41] = 1;
	send_frame(0, f, 60);
	d = tap_wait(is_arp_reply);
	TEST_ASSERT_NOT_NULL(d, "kernel answered ARP");
	TEST_ASSERT_BUFFERS_ARE_EQUAL(d, mac, 6, "to our MAC");
	memcpy(f, d + 6, 6); /* kernel's MAC */

	/* ICMP echo request 10.99.0.2 -> 10.99.0.1, id 0x1234 */
	memcpy(f + 6, mac, 6);
	f[12] = 0x08; f[13] = 0x00;
	memset(f + 14, 0, 60 - 14);
	f[14] = 0x45; f[17] = 20 + 8 + 16; f[22] = 64; f[23] = IPPROTO_ICMP;
	f[26] = 10; f[27] = 99; f[28] = 0; f[29] = 2;
	f[30] = 10; f[31] = 99; f[32] = 0; f[33] = 1;
	f[34] = 8; f[38] = 0x12; f[39] = 0x34; f[41] = 1;
	memcpy(f + 42, "mlx4r emu ping!!", 16);
	c = rte_ipv4_cksum((const void *)(f + 14));
	memcpy(f + 24, &c, 2);
	c = (uint16_t)~rte_raw_cksum(f + 34, 24);
	memcpy(f + 36, &c, 2);
	send_frame(0, f, 60); /* 58 + padding */
	d = tap_wait(is_echo_reply);
	TEST_ASSERT_NOT_NULL(d, "kernel answered ping");
	TEST_ASSERT_BUFFERS_ARE_EQUAL(d + 42, "mlx4r emu ping!!", 16,
				      "echo payload");

	/* UDP from a socket of the namespace to 10.99.0.2:9999. */
	memset(&dst, 0, sizeof(dst));
	dst.sin_family = AF_INET;
	dst.sin_port = htons(9999);
	dst.sin_addr.s_addr = htonl(RTE_IPV4(10, 99, 0, 2));
	TEST_ASSERT_EQUAL(sendto(tap_sock, "hello", 5, 0,
				 (struct sockaddr *)&dst, sizeof(dst)), 5,
			  "sendto");
	d = tap_wait(is_udp_9999);
	TEST_ASSERT_NOT_NULL(d, "kernel UDP datagram received");
	close(tap_sock);
	tap_sock = -1;
	return TEST_SUCCESS;
}

static struct unit_test_suite emu_wire_suite = {
	.suite_name = "emulated ConnectX-3: wires",
	.unit_test_cases = {
		TEST_CASE_ST(setup, teardown, test_gen_rate_flows),
		TEST_CASE_ST(setup, teardown, test_gen_frames_exact),
		TEST_CASE_ST(setup, teardown, test_gen_count_missed),
		TEST_CASE_ST(setup, teardown, test_gen_run_checks),
		TEST_CASE_ST(setup, teardown, test_gen_run_missed),
		TEST_CASE_ST(setup, teardown, test_gen_batch_wqe_checks),
		TEST_CASE_ST(setup, teardown, test_gen_batch_cq_overrun),
		TEST_CASE_ST(setup, teardown, test_gen_batch_after_wq_reset),
		TEST_CASE_ST(setup, teardown, test_checker_counts),
		TEST_CASE_ST(setup, teardown, test_checker_window),
		TEST_CASE_ST(setup, teardown, test_checker_streams),
		TEST_CASE_ST(setup, teardown, test_checker_reinit),
		TEST_CASE_ST(setup, teardown, test_forward_accounting),
		TEST_CASE_ST(setup, teardown, test_xconnect_link),
		TEST_CASE_ST(setup, teardown, test_two_lcores),
		TEST_CASE_ST(setup, teardown, test_tap_kernel),
		TEST_CASES_END()
	}
};

static int
test_emu_wire(void)
{
	return unit_test_suite_runner(&emu_wire_suite);
}

REGISTER_TEST_COMMAND(emu_wire_autotest, test_emu_wire);
