/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * Faults of the emulated ConnectX-3: catastrophic error (frozen engine,
 * EIO, destroys succeed, DEVICE_FATAL on the async fd after the detection
 * delay, new generation after every context is closed), re-initialisation
 * failing N times, slow firmware reset, command failures and timeouts,
 * link flap, a QP forced to error, a lost doorbell.
 */

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <netinet/in.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_ip.h>

#include "test.h"
#include "test_emu_util.h"

#define DEV "t_emu_fault"

static struct temu_env env;
static struct temu_txq txq;
static struct temu_rxq rxq;
static struct mlx4r_hw_ind_table *ind;
static struct mlx4r_hw_qp *rss;
static struct mlx4r_hw_flow *flow;
static uint32_t flen;

static int
setup(void)
{
	struct temu_rxq *r[1] = { &rxq };
	static const uint8_t a[6] = { 2, 0, 0, 0, 0, 1 };

	if (temu_env_init(&env, DEV, NULL) != 0 ||
	    mlx4r_emu_wire_loopback(env.dev, 1) != 0 ||
	    temu_txq_create(&env, 1, 64, &txq) != 0 ||
	    temu_rxq_create(&env, 64, 1, 2048, &rxq) != 0 ||
	    temu_rss_create(&env, 1, r, NULL, 0, 0, NULL, &ind, &rss) != 0 ||
	    temu_flow_kind(rss, 1, IBV_FLOW_ATTR_ALL_DEFAULT, &flow) != 0)
		return TEST_FAILED;
	temu_rxq_post(&rxq, 64);
	flen = temu_frame_ip4(env.buf, a, a, 1, 2, IPPROTO_UDP, 1, 2, 30, true);
	return TEST_SUCCESS;
}

static void
teardown(void)
{
	mlx4r_emu_fault_clear(env.dev);
	temu_env_fini(&env);
	free(rxq.mem);
	memset(&txq, 0, sizeof(txq));
	memset(&rxq, 0, sizeof(rxq));
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* One frame out on port 1 (loopback); true if it came back. */
static bool
send_one(uint32_t flags)
{
	struct mlx4_cqe cqe;

	temu_tx_post(&txq, env.buf, flen, env.mr->lkey, flags);
	temu_tx_doorbell(&txq);
	temu_tx_reclaim(&txq);
	return temu_rx_poll(&rxq, &cqe);
}

/* Wait (poll()) up to @p ms for an event; returns its type or -1. */
static int
wait_event(struct mlx4r_hw_ctx *ctx, int ms,
	   struct mlx4r_hw_async_event *ev)
{
	struct pollfd pfd = { .fd = ctx->async_fd, .events = POLLIN };
	uint64_t end = now_ms() + (uint64_t)ms;

	for (;;) {
		int left = (int)(end - now_ms());

		if (left < 0)
			left = 0;
		if (poll(&pfd, 1, left) <= 0)
			return -1;
		if (mlx4r_hw_get_async_event(ctx, ev) == 0) {
			mlx4r_hw_ack_async_event(ctx, ev);
			return (int)ev->event_type;
		}
		if (now_ms() >= end)
			return -1;
	}
}

static int
test_fatal(void)
{
	const struct mlx4r_hw_ops *ops = mlx4r_hw_backend("emu");
	struct mlx4r_emu_dev_info info;
	struct mlx4r_hw_async_event ev;
	struct pollfd pfd = { .fd = env.ctx->async_fd, .events = POLLIN };
	struct mlx4r_hw_ctx *ctx2;
	struct mlx4r_hw_pd *pd;
	struct mlx4r_hw_cq *cq;
	struct ibv_port_attr pa;
	struct ibv_qp_attr qa;
	struct mlx4_cqe cqe;
	uint32_t old_qpn = txq.qp->qpn;
	uint64_t t0;

	TEST_ASSERT(send_one(MLX4_WQE_CTRL_CQ_UPDATE), "works before");
	TEST_ASSERT(temu_cq_poll(&txq.cdv, &txq.cq_ci, &cqe), "Tx CQE");
	t0 = now_ms();
	TEST_ASSERT_SUCCESS(mlx4r_emu_fault_fatal(env.dev, 80), "inject");
	TEST_ASSERT_EQUAL(mlx4r_emu_fault_fatal(env.dev, 0), -EALREADY, "");
	/* Frozen at once. */
	TEST_ASSERT(!send_one(MLX4_WQE_CTRL_CQ_UPDATE), "no frame");
	TEST_ASSERT(!temu_cq_poll(&txq.cdv, &txq.cq_ci, &cqe), "no CQE");
	/* Commands fail with EIO. */
	TEST_ASSERT_EQUAL(mlx4r_hw_alloc_pd(env.ctx, &pd), -EIO, "alloc_pd");
	TEST_ASSERT_EQUAL(mlx4r_hw_create_cq(env.ctx, 8, &cq), -EIO, "cq");
	TEST_ASSERT_EQUAL(mlx4r_hw_query_port(env.ctx, 1, &pa), -EIO, "port");
	memset(&qa, 0, sizeof(qa));
	qa.qp_state = IBV_QPS_ERR;
	TEST_ASSERT_EQUAL(mlx4r_hw_modify_qp(txq.qp, &qa, IBV_QP_STATE), -EIO,
			  "modify");
	/* Not detected yet. */
	TEST_ASSERT_EQUAL(poll(&pfd, 1, 0), 0, "no event before the delay");
	TEST_ASSERT_EQUAL(wait_event(env.ctx, 2000, &ev),
			  IBV_EVENT_DEVICE_FATAL, "DEVICE_FATAL");
	TEST_ASSERT_GE_U(now_ms() - t0, 75, "after the detection delay");
	/* Still in error: a second context does not bring it back. */
	TEST_ASSERT_EQUAL(mlx4r_hw_open_device(ops, DEV, &ctx2), -EIO,
			  "open while a context is left");
	/* Destroys succeed. */
	TEST_ASSERT_SUCCESS(mlx4r_hw_destroy_flow(flow), "flow");
	TEST_ASSERT_SUCCESS(mlx4r_hw_destroy_qp(rss), "rss qp");
	TEST_ASSERT_SUCCESS(mlx4r_hw_destroy_ind_table(ind), "ind");
	temu_rxq_destroy(&rxq);
	temu_txq_destroy(&txq);
	TEST_ASSERT_SUCCESS(mlx4r_hw_dereg_mr(env.mr), "mr");
	TEST_ASSERT_SUCCESS(mlx4r_hw_dealloc_pd(env.pd), "pd");
	TEST_ASSERT_SUCCESS(mlx4r_emu_dev_info(env.dev, &info), "info");
	TEST_ASSERT_EQUAL(info.nb_objects, 0, "all destroyed");
	TEST_ASSERT(info.fatal, "in error");
	TEST_ASSERT_SUCCESS(mlx4r_hw_close_device(env.ctx), "close");
	/* Back, with a new generation and new numbers. */
	TEST_ASSERT_SUCCESS(mlx4r_hw_open_device(ops, DEV, &env.ctx), "open");
	TEST_ASSERT_EQUAL(env.ctx->generation, 2, "generation");
	/* a new netdev (mlx4_restart_one), down: the driver brings it up */
	TEST_ASSERT_SUCCESS(mlx4r_hw_netdev_set_up(env.ctx, 1, true), "up");
	TEST_ASSERT_SUCCESS(mlx4r_hw_alloc_pd(env.ctx, &env.pd), "pd");
	TEST_ASSERT_SUCCESS(mlx4r_hw_reg_mr(env.pd, env.buf, TEMU_BUF_SIZE,
					    IBV_ACCESS_LOCAL_WRITE, &env.mr),
			    "mr");
	TEST_ASSERT_SUCCESS(temu_txq_create(&env, 1, 64, &txq), "txq");
	TEST_ASSERT(txq.qp->qpn > old_qpn, "new QP number");
	{
		struct temu_rxq *r[1] = { &rxq };

		TEST_ASSERT_SUCCESS(temu_rxq_create(&env, 64, 1, 2048, &rxq),
				    "rxq");
		TEST_ASSERT_SUCCESS(temu_rss_create(&env, 1, r, NULL, 0, 0,
						    NULL, &ind, &rss), "rss");
		TEST_ASSERT_SUCCESS(temu_flow_kind(rss, 1,
						   IBV_FLOW_ATTR_ALL_DEFAULT,
						   &flow), "flow");
		temu_rxq_post(&rxq, 8);
	}
	TEST_ASSERT(send_one(0), "traffic again");
	TEST_ASSERT_SUCCESS(mlx4r_emu_dev_info(env.dev, &info), "info");
	TEST_ASSERT(!info.fatal, "healthy");
	return TEST_SUCCESS;
}

static int
test_reinit_fail_and_slow_reset(void)
{
	const struct mlx4r_hw_ops *ops = mlx4r_hw_backend("emu");
	uint64_t t0;

	TEST_ASSERT_SUCCESS(mlx4r_emu_fault_reinit_fail(env.dev, 2), "");
	TEST_ASSERT_SUCCESS(mlx4r_emu_fault_fw_reset_delay(env.dev, 100), "");
	TEST_ASSERT_SUCCESS(mlx4r_emu_fault_fatal(env.dev, 0), "inject");
	TEST_ASSERT_SUCCESS(mlx4r_hw_close_device(env.ctx), "close");
	env.ctx = NULL;
	TEST_ASSERT_EQUAL(mlx4r_hw_open_device(ops, DEV, &env.ctx), -EIO,
			  "first reinit fails");
	TEST_ASSERT_EQUAL(mlx4r_hw_open_device(ops, DEV, &env.ctx), -EIO,
			  "second reinit fails");
	t0 = now_ms();
	TEST_ASSERT_SUCCESS(mlx4r_hw_open_device(ops, DEV, &env.ctx), "third");
	TEST_ASSERT_GE_U(now_ms() - t0, 95, "slow firmware reset");
	TEST_ASSERT_EQUAL(env.ctx->generation, 2, "generation");
	t0 = now_ms();
	{
		struct mlx4r_hw_ctx *c2;

		TEST_ASSERT_SUCCESS(mlx4r_hw_open_device(ops, DEV, &c2), "");
		TEST_ASSERT_LE_U(now_ms() - t0, 50, "no reset without error");
		TEST_ASSERT_EQUAL(c2->generation, 2, "same generation");
		mlx4r_hw_close_device(c2);
	}
	return TEST_SUCCESS;
}

static int
test_cmd_fail_timeout(void)
{
	struct mlx4r_hw_cq *cq;
	struct ibv_qp_attr qa;
	uint64_t t0;

	TEST_ASSERT_SUCCESS(mlx4r_emu_fault_cmd(env.dev,
						MLX4R_EMU_OP_CREATE_CQ, 2,
						ENOMEM, 0), "");
	TEST_ASSERT_EQUAL(mlx4r_hw_create_cq(env.ctx, 8, &cq), -ENOMEM, "1");
	TEST_ASSERT_EQUAL(mlx4r_hw_create_cq(env.ctx, 8, &cq), -ENOMEM, "2");
	TEST_ASSERT_SUCCESS(mlx4r_hw_create_cq(env.ctx, 8, &cq), "3rd works");
	TEST_ASSERT_SUCCESS(mlx4r_hw_destroy_cq(cq), "");
	TEST_ASSERT_SUCCESS(mlx4r_emu_fault_cmd(env.dev,
						MLX4R_EMU_OP_MODIFY_QP, 1,
						ETIMEDOUT, 60), "");
	memset(&qa, 0, sizeof(qa));
	qa.qp_state = IBV_QPS_RTS;
	t0 = now_ms();
	TEST_ASSERT_EQUAL(mlx4r_hw_modify_qp(txq.qp, &qa, IBV_QP_STATE),
			  -ETIMEDOUT, "timed out");
	TEST_ASSERT_GE_U(now_ms() - t0, 55, "after the command timeout");
	TEST_ASSERT_SUCCESS(mlx4r_hw_modify_qp(txq.qp, &qa, IBV_QP_STATE),
			    "next one works");
	TEST_ASSERT_EQUAL(mlx4r_emu_fault_cmd(env.dev, 1, 1, 0, 0), -EINVAL,
			  "errno must be positive");
	return TEST_SUCCESS;
}

static int
test_link_flap(void)
{
	struct mlx4r_hw_async_event ev;
	struct ibv_port_attr pa;
	uint64_t t0 = now_ms();

	TEST_ASSERT_SUCCESS(mlx4r_emu_fault_link_flap(env.dev, 1, 100), "");
	TEST_ASSERT_EQUAL(wait_event(env.ctx, 0, &ev), IBV_EVENT_PORT_ERR,
			  "PORT_ERR at once");
	TEST_ASSERT_EQUAL(ev.element.port_num, 1, "port 1");
	TEST_ASSERT_SUCCESS(mlx4r_hw_query_port(env.ctx, 1, &pa), "");
	TEST_ASSERT_EQUAL(pa.state, IBV_PORT_DOWN, "down");
	TEST_ASSERT(!send_one(0), "no traffic while down");
	TEST_ASSERT_EQUAL(wait_event(env.ctx, 2000, &ev),
			  IBV_EVENT_PORT_ACTIVE, "PORT_ACTIVE later");
	TEST_ASSERT_GE_U(now_ms() - t0, 95, "after the flap");
	TEST_ASSERT_SUCCESS(mlx4r_hw_query_port(env.ctx, 1, &pa), "");
	TEST_ASSERT_EQUAL(pa.state, IBV_PORT_ACTIVE, "up");
	TEST_ASSERT(send_one(0), "traffic again");
	/* Explicit down/up. */
	TEST_ASSERT_SUCCESS(mlx4r_emu_link_set(env.dev, 2, false), "");
	TEST_ASSERT_EQUAL(wait_event(env.ctx, 0, &ev), IBV_EVENT_PORT_ERR, "");
	TEST_ASSERT_EQUAL(ev.element.port_num, 2, "port 2");
	TEST_ASSERT_SUCCESS(mlx4r_emu_link_set(env.dev, 2, false), "again");
	TEST_ASSERT_EQUAL(wait_event(env.ctx, 0, &ev), -1, "no change, no event");
	TEST_ASSERT_SUCCESS(mlx4r_emu_link_set(env.dev, 2, true), "");
	TEST_ASSERT_EQUAL(wait_event(env.ctx, 0, &ev), IBV_EVENT_PORT_ACTIVE,
			  "");
	return TEST_SUCCESS;
}

static int
test_qp_forced_error(void)
{
	struct mlx4r_hw_async_event ev;
	struct mlx4_err_cqe e;
	struct mlx4_cqe cqe;

	TEST_ASSERT_EQUAL(mlx4r_emu_fault_qp_error(env.dev, 0xabcdef),
			  -ENOENT, "unknown QPN");
	TEST_ASSERT_SUCCESS(mlx4r_emu_fault_qp_error(env.dev, txq.qp->qpn),
			    "force");
	TEST_ASSERT_EQUAL(wait_event(env.ctx, 0, &ev), IBV_EVENT_QP_FATAL,
			  "QP_FATAL");
	TEST_ASSERT(ev.element.qp == txq.qp, "the QP");
	TEST_ASSERT_EQUAL(txq.qp->state, IBV_QPS_ERR, "state");
	TEST_ASSERT(!send_one(0), "flushed, not sent");
	TEST_ASSERT(temu_cq_poll(&txq.cdv, &txq.cq_ci, &cqe), "flush CQE");
	memcpy(&e, &cqe, sizeof(e));
	TEST_ASSERT_EQUAL(e.syndrome, MLX4_CQE_SYNDROME_WR_FLUSH_ERR, "flush");
	/* A WQ too. */
	TEST_ASSERT_SUCCESS(mlx4r_emu_fault_qp_error(env.dev,
						     rxq.wq->wq_num), "WQ");
	TEST_ASSERT_EQUAL(wait_event(env.ctx, 0, &ev), IBV_EVENT_WQ_FATAL,
			  "WQ_FATAL");
	TEST_ASSERT(ev.element.wq == rxq.wq, "the WQ");
	return TEST_SUCCESS;
}

static int
test_lost_doorbell(void)
{
	struct mlx4r_emu_port_stats st;
	struct mlx4_cqe cqe;

	TEST_ASSERT_SUCCESS(mlx4r_emu_fault_lost_doorbell(env.dev,
							  txq.qp->qpn, 1), "");
	/* No reclaim here: the WQE is still the device's. */
	temu_tx_post(&txq, env.buf, flen, env.mr->lkey, 0);
	temu_tx_doorbell(&txq);
	TEST_ASSERT(!temu_rx_poll(&rxq, &cqe), "doorbell lost: frame stays");
	TEST_ASSERT(send_one(0), "next doorbell sends");
	TEST_ASSERT(temu_rx_poll(&rxq, &cqe), "both frames");
	TEST_ASSERT(!temu_rx_poll(&rxq, &cqe), "exactly two");
	TEST_ASSERT_SUCCESS(mlx4r_emu_port_stats(env.dev, 1, &st), "");
	TEST_ASSERT_EQUAL_U(st.lost_doorbells, 1, "counted");
	TEST_ASSERT_EQUAL_U(st.tx_frames, 2, "sent");
	TEST_ASSERT_EQUAL(mlx4r_emu_fault_lost_doorbell(env.dev, 0xabcdef, 1),
			  -ENOENT, "unknown QPN");
	return TEST_SUCCESS;
}

static struct unit_test_suite emu_fault_suite = {
	.suite_name = "emulated ConnectX-3: faults",
	.unit_test_cases = {
		TEST_CASE_ST(setup, teardown, test_fatal),
		TEST_CASE_ST(setup, teardown, test_reinit_fail_and_slow_reset),
		TEST_CASE_ST(setup, teardown, test_cmd_fail_timeout),
		TEST_CASE_ST(setup, teardown, test_link_flap),
		TEST_CASE_ST(setup, teardown, test_qp_forced_error),
		TEST_CASE_ST(setup, teardown, test_lost_doorbell),
		TEST_CASES_END()
	}
};

static int
test_emu_fault(void)
{
	return unit_test_suite_runner(&emu_fault_suite);
}

REGISTER_TEST_COMMAND(emu_fault_autotest, test_emu_fault);
