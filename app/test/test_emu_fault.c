/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * Faults of the emulated ConnectX-3: catastrophic error on Linux's
 * timeline (dead, detected and dying, gone with every context
 * disassociated, back in a new incarnation; the legacy closure of the
 * event queue), re-initialisation failing N times, slow firmware reset,
 * command failures and timeouts, link flap, a QP forced to error, a lost
 * doorbell.
 */

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_ip.h>

#include "test.h"
#include "test_emu_util.h"

/*
 * Bound of a wait for something the device's own thread does (an event,
 * the next catastrophic phase): it returns as soon as that happens; the
 * bound only turns a hang into a failure, generous enough for a machine
 * loaded many times over.
 */
#define EV_WAIT_MS 10000
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

/* The receive CQE send_one() polled last. */
static struct mlx4_cqe cqe;

/* One frame out on port 1 (loopback); true if a receive CQE came. */
static bool
send_one(uint32_t flags)
{
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

/* Wait up to @p ms for the device to reach catastrophic phase @p ph. */
static int
wait_catas(enum mlx4r_emu_catas ph, unsigned int ms)
{
	struct mlx4r_emu_dev_info info;
	uint64_t end = now_ms() + ms;

	do {
		if (mlx4r_emu_dev_info(env.dev, &info) != 0)
			return -1;
		if (info.catas == ph)
			return 0;
		usleep(1000);
	} while (now_ms() < end);
	return -1;
}

/*
 * A catastrophic error on Linux's timeline: dead (commands wait for the
 * detection, the legacy query answers from its copy, open works), then
 * detected (DEVICE_FATAL, -EIO at once, open -EAGAIN, destroys work), then
 * gone (disassociated: -EIO for everything, a second DEVICE_FATAL, the
 * async fd quiet; open -ENODEV), then back under its name in a new
 * incarnation while the old context is still open.
 */
static int
test_fatal(void)
{
	const struct mlx4r_hw_ops *ops = mlx4r_hw_backend("emu");
	struct mlx4r_emu_dev_info info;
	struct mlx4r_hw_async_event ev;
	struct pollfd pfd = { .fd = env.ctx->async_fd, .events = POLLIN };
	struct mlx4r_hw_ctx *old = env.ctx, *ctx2, *ctx3;
	struct ibv_device_attr da;
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
	TEST_ASSERT_SUCCESS(mlx4r_emu_fault_fatal(env.dev, 150), "inject");
	TEST_ASSERT_EQUAL(mlx4r_emu_fault_fatal(env.dev, 0), -EALREADY, "");
	/*
	 * Once detected, held in ERROR until the checks of that phase are
	 * done, so that a loaded machine cannot move the device on meanwhile.
	 */
	mlx4r_emu_fault_catas_hold(env.dev, true);
	TEST_ASSERT_SUCCESS(mlx4r_emu_dev_info(env.dev, &info), "info");
	TEST_ASSERT_EQUAL(info.catas, MLX4R_EMU_CATAS_DEAD, "dead");
	/* Frozen at once. */
	TEST_ASSERT(!send_one(MLX4_WQE_CTRL_CQ_UPDATE), "no frame");
	TEST_ASSERT(!temu_cq_poll(&txq.cdv, &txq.cq_ci, &cqe), "no CQE");
	/*
	 * Not detected yet: the kernel's copy of the attributes and a PD
	 * (no firmware) still answer, a new context opens on the dying
	 * device, nothing on the async fd.
	 */
	TEST_ASSERT_SUCCESS(mlx4r_hw_query_device(env.ctx, &da),
			    "legacy QUERY_DEVICE answers from the cache");
	TEST_ASSERT_EQUAL(da.vendor_part_id, 4099, "attributes");
	TEST_ASSERT_SUCCESS(mlx4r_hw_alloc_pd(env.ctx, &pd), "PD, no firmware");
	TEST_ASSERT_SUCCESS(mlx4r_hw_dealloc_pd(pd), "");
	TEST_ASSERT_SUCCESS(mlx4r_hw_open_device(ops, DEV, &ctx2),
			    "open the dying device");
	TEST_ASSERT_EQUAL(poll(&pfd, 1, 0), 0, "no event before detection");
	/* A firmware command waits for the detection, then fails. */
	TEST_ASSERT_EQUAL(mlx4r_hw_query_port(env.ctx, 1, &pa), -EIO, "port");
	TEST_ASSERT_GE_U(now_ms() - t0, 145, "waited for the detection");
	TEST_ASSERT_SUCCESS(mlx4r_emu_dev_info(env.dev, &info), "info");
	TEST_ASSERT_EQUAL(info.catas, MLX4R_EMU_CATAS_ERROR, "detected");
	TEST_ASSERT_EQUAL(wait_event(env.ctx, EV_WAIT_MS, &ev),
			  IBV_EVENT_DEVICE_FATAL, "DEVICE_FATAL");
	TEST_ASSERT_EQUAL(wait_event(ctx2, EV_WAIT_MS, &ev),
			  IBV_EVENT_DEVICE_FATAL,
			  "DEVICE_FATAL on the context opened meanwhile");
	/*
	 * Detected, still listed: -EIO at once, open -EAGAIN. "At once" is
	 * the phase, not a stopwatch: only a command of the DEAD phase waits
	 * (for the detection, emu_cmd_check()); the device is held in ERROR,
	 * checked before the commands. The time they took is printed.
	 */
	TEST_ASSERT_SUCCESS(mlx4r_emu_dev_info(env.dev, &info), "info");
	TEST_ASSERT_EQUAL(info.catas, MLX4R_EMU_CATAS_ERROR,
			  "detected: nothing left to wait for");
	t0 = now_ms();
	TEST_ASSERT_EQUAL(mlx4r_hw_create_cq(env.ctx, 8, &cq), -EIO, "cq");
	memset(&qa, 0, sizeof(qa));
	qa.qp_state = IBV_QPS_ERR;
	TEST_ASSERT_EQUAL(mlx4r_hw_modify_qp(txq.qp, &qa, IBV_QP_STATE), -EIO,
			  "modify");
	printf("  two commands of a detected error failed in %" PRIu64 " ms\n",
	       now_ms() - t0);
	TEST_ASSERT_EQUAL(mlx4r_hw_open_device(ops, DEV, &ctx3), -EAGAIN,
			  "open while dying");
	TEST_ASSERT_SUCCESS(mlx4r_hw_query_device(env.ctx, &da), "cache");
	/* Destroys succeed. */
	TEST_ASSERT_SUCCESS(mlx4r_hw_destroy_flow(flow), "flow");
	TEST_ASSERT_SUCCESS(mlx4r_hw_destroy_qp(rss), "rss qp");
	TEST_ASSERT_SUCCESS(mlx4r_emu_dev_info(env.dev, &info), "info");
	TEST_ASSERT_EQUAL(info.catas, MLX4R_EMU_CATAS_ERROR, "held");
	mlx4r_emu_fault_catas_hold(env.dev, false);
	/* Unregistered: every context disassociated. */
	TEST_ASSERT_SUCCESS(wait_catas(MLX4R_EMU_CATAS_GONE, EV_WAIT_MS),
			    "gone");
	TEST_ASSERT_EQUAL(mlx4r_hw_open_device(ops, DEV, &ctx3), -ENODEV,
			  "not listed");
	TEST_ASSERT_EQUAL(mlx4r_hw_query_device(env.ctx, &da), -EIO,
			  "a disassociated context gets EIO for everything");
	TEST_ASSERT_EQUAL(mlx4r_hw_alloc_pd(ctx2, &pd), -EIO, "PD too");
	TEST_ASSERT_EQUAL(wait_event(env.ctx, EV_WAIT_MS, &ev),
			  IBV_EVENT_DEVICE_FATAL,
			  "a second DEVICE_FATAL from the disassociation");
	TEST_ASSERT_EQUAL(poll(&pfd, 1, 50), 0,
			  "then quiet (Linux 6.1: no EPOLLERR)");
	TEST_ASSERT_EQUAL(mlx4r_hw_get_async_event(env.ctx, &ev), -EAGAIN,
			  "nothing to read");
	TEST_ASSERT_SUCCESS(mlx4r_hw_destroy_ind_table(ind), "ind");
	temu_rxq_destroy(&rxq);
	temu_txq_destroy(&txq);
	TEST_ASSERT_SUCCESS(mlx4r_hw_dereg_mr(env.mr), "mr");
	env.mr = NULL;
	TEST_ASSERT_SUCCESS(mlx4r_emu_dev_info(env.dev, &info), "info");
	TEST_ASSERT(info.fatal, "in error");
	TEST_ASSERT_SUCCESS(mlx4r_hw_close_device(ctx2), "close ctx2");
	/* Back under its name, a new incarnation; the old context lingers. */
	TEST_ASSERT_SUCCESS(wait_catas(MLX4R_EMU_CATAS_NONE, 3000), "back");
	TEST_ASSERT_SUCCESS(mlx4r_hw_open_device(ops, DEV, &env.ctx), "open");
	TEST_ASSERT_EQUAL(env.ctx->incarnation, 2, "incarnation");
	/* a new netdev (mlx4_restart_one), down: the driver brings it up */
	TEST_ASSERT_SUCCESS(mlx4r_hw_netdev_set_up(env.ctx, 1, true), "up");
	TEST_ASSERT_EQUAL(mlx4r_hw_query_port(old, 1, &pa), -EIO,
			  "the old context stays disassociated");
	TEST_ASSERT_SUCCESS(mlx4r_hw_dealloc_pd(env.pd), "old PD");
	TEST_ASSERT_SUCCESS(mlx4r_hw_close_device(old), "close the old one");
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
	TEST_ASSERT_EQUAL(info.nb_contexts, 1, "one context");
	return TEST_SUCCESS;
}

/*
 * The durations scale with catas_time_pct; at 100 % they are Linux's
 * (estimated) unload and reload times.
 */
static int
test_fatal_time_scale(void)
{
	struct mlx4r_emu_dev_conf conf = { .catas_time_pct = 100 };
	struct mlx4r_emu_dev_info info;
	struct temu_env e2;

	TEST_ASSERT_EQUAL(mlx4r_emu_dev_create("t_emu_bad",
			  &(struct mlx4r_emu_dev_conf){ .catas_time_pct = 1001 }),
			  -EINVAL, "at most 1000 %%");
	TEST_ASSERT_SUCCESS(temu_env_init(&e2, "t_emu_catas100", &conf), "");
	TEST_ASSERT_SUCCESS(mlx4r_emu_fault_fatal(e2.dev, 0), "inject");
	TEST_ASSERT_SUCCESS(mlx4r_emu_dev_info(e2.dev, &info), "info");
	TEST_ASSERT_EQUAL(info.catas, MLX4R_EMU_CATAS_ERROR, "detected");
	TEST_ASSERT(info.catas_next_ms > MLX4R_EMU_CATAS_UNLOAD_MS - 50 &&
		    info.catas_next_ms <= MLX4R_EMU_CATAS_UNLOAD_MS,
		    "dying for the unload time (%u ms)", info.catas_next_ms);
	TEST_ASSERT_SUCCESS(mlx4r_emu_fault_reappear_delay(e2.dev, 5000),
			    "absent 5 s from now at least");
	usleep((MLX4R_EMU_CATAS_UNLOAD_MS + 20) * 1000);
	TEST_ASSERT_SUCCESS(mlx4r_emu_dev_info(e2.dev, &info), "info");
	TEST_ASSERT_EQUAL(info.catas, MLX4R_EMU_CATAS_GONE, "gone");
	TEST_ASSERT(info.catas_next_ms > 4500 && info.catas_next_ms <= 5000,
		    "absent for the delay asked (%u ms)", info.catas_next_ms);
	temu_env_fini(&e2);
	return TEST_SUCCESS;
}

/*
 * Linux 4.5 to 5.6 closed the async event queue at disassociation: the
 * fd then polls as ready for ever and reading it fails with EIO.
 */
static int
test_fatal_legacy_disassoc(void)
{
	struct mlx4r_emu_dev_conf conf = { .legacy_disassoc = true };
	struct mlx4r_hw_async_event ev;
	struct temu_env e2;
	struct pollfd pfd;
	int i;

	TEST_ASSERT_SUCCESS(temu_env_init(&e2, "t_emu_legacy", &conf), "");
	pfd.fd = e2.ctx->async_fd;
	pfd.events = POLLIN;
	TEST_ASSERT_SUCCESS(mlx4r_emu_fault_fatal(e2.dev, 0), "inject");
	TEST_ASSERT_EQUAL(wait_event(e2.ctx, EV_WAIT_MS, &ev),
			  IBV_EVENT_DEVICE_FATAL, "first DEVICE_FATAL");
	TEST_ASSERT_EQUAL(wait_event(e2.ctx, EV_WAIT_MS, &ev),
			  IBV_EVENT_DEVICE_FATAL, "second, at disassociation");
	for (i = 0; i < 3; i++) {
		TEST_ASSERT_EQUAL(poll(&pfd, 1, 0), 1, "ready for ever (%d)",
				  i);
		TEST_ASSERT_EQUAL(mlx4r_hw_get_async_event(e2.ctx, &ev), -EIO,
				  "and EIO to read");
	}
	temu_env_fini(&e2);
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
	TEST_ASSERT_SUCCESS(wait_catas(MLX4R_EMU_CATAS_NONE, 3000), "back");
	TEST_ASSERT_EQUAL(mlx4r_hw_open_device(ops, DEV, &env.ctx), -EIO,
			  "first reinit fails");
	TEST_ASSERT_EQUAL(mlx4r_hw_open_device(ops, DEV, &env.ctx), -EIO,
			  "second reinit fails");
	t0 = now_ms();
	TEST_ASSERT_SUCCESS(mlx4r_hw_open_device(ops, DEV, &env.ctx), "third");
	TEST_ASSERT_GE_U(now_ms() - t0, 95, "slow firmware reset");
	TEST_ASSERT_EQUAL(env.ctx->incarnation, 2, "incarnation");
	/*
	 * No firmware reset without an error: the open after the one that
	 * reset the firmware does not go through that path again. Shown by
	 * what the path consumes, not by a stopwatch: a pending reinit_fail
	 * is spent only by the open that resets the firmware
	 * (emu_open_check()), so this open succeeds and leaves it pending.
	 */
	TEST_ASSERT_SUCCESS(mlx4r_emu_fault_reinit_fail(env.dev, 1), "");
	{
		struct mlx4r_hw_ctx *c2;

		TEST_ASSERT_SUCCESS(mlx4r_hw_open_device(ops, DEV, &c2),
				    "no reset without error");
		TEST_ASSERT_EQUAL(c2->incarnation, 2, "same incarnation");
		mlx4r_hw_close_device(c2);
	}
	mlx4r_emu_fault_clear(env.dev);
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
			  "errno 0 needs a delay");
	TEST_ASSERT_EQUAL(mlx4r_emu_fault_cmd(env.dev, 1, 1, -EIO, 10),
			  -EINVAL, "errno must not be negative");
	/* errno 0: a slow command that succeeds (the kernel face's "slow") */
	TEST_ASSERT_SUCCESS(mlx4r_emu_fault_cmd(env.dev,
						MLX4R_EMU_OP_CREATE_CQ, 1, 0,
						60), "");
	t0 = now_ms();
	TEST_ASSERT_SUCCESS(mlx4r_hw_create_cq(env.ctx, 8, &cq), "slow, works");
	TEST_ASSERT_GE_U(now_ms() - t0, 55, "after its delay");
	TEST_ASSERT_SUCCESS(mlx4r_hw_destroy_cq(cq), "");
	t0 = now_ms();
	TEST_ASSERT_SUCCESS(mlx4r_hw_create_cq(env.ctx, 8, &cq), "next one");
	TEST_ASSERT(now_ms() - t0 < 55, "the next one without the delay");
	TEST_ASSERT_SUCCESS(mlx4r_hw_destroy_cq(cq), "");
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
	TEST_ASSERT_EQUAL(wait_event(env.ctx, EV_WAIT_MS, &ev),
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
	return TEST_SUCCESS;
}

/*
 * A WQ in error, as mlx4_ib reports it: no event (mlx4_ib_wq_event()
 * drops them), its posted WQEs flushed with error CQEs, every WQE posted
 * later too; RDY -> RDY does not repair it (the kernel believes it ready),
 * RESET -> RDY does.
 */
static int
test_wq_forced_error(void)
{
	struct mlx4r_hw_async_event ev;
	struct mlx4_err_cqe e;
	uint32_t i;

	TEST_ASSERT_SUCCESS(mlx4r_emu_fault_qp_error(env.dev,
						     rxq.wq->wq_num), "WQ");
	TEST_ASSERT_EQUAL(wait_event(env.ctx, 0, &ev), -1,
			  "no WQ event from mlx4_ib");
	for (i = 0; i < 64; i++) {
		TEST_ASSERT(temu_cq_poll(&rxq.cdv, &rxq.cq_ci, &cqe),
			    "flush CQE %u", i);
		memcpy(&e, &cqe, sizeof(e));
		TEST_ASSERT_EQUAL(e.syndrome, MLX4_CQE_SYNDROME_WR_FLUSH_ERR,
				  "flush %u", i);
		TEST_ASSERT_EQUAL(rte_be_to_cpu_16(e.wqe_index), i, "in order");
	}
	TEST_ASSERT(!temu_cq_poll(&rxq.cdv, &rxq.cq_ci, &cqe),
		    "every posted WQE, once");
	TEST_ASSERT(!send_one(0), "nothing received");
	temu_rxq_post(&rxq, 2);
	TEST_ASSERT(temu_rx_poll(&rxq, &cqe), "a WQE posted later: flushed");
	memcpy(&e, &cqe, sizeof(e));
	TEST_ASSERT_EQUAL(e.syndrome, MLX4_CQE_SYNDROME_WR_FLUSH_ERR, "flush");
	TEST_ASSERT(temu_cq_poll(&rxq.cdv, &rxq.cq_ci, &cqe), "both");
	TEST_ASSERT_SUCCESS(mlx4r_hw_modify_wq(rxq.wq, IBV_WQS_RDY),
			    "RDY -> RDY is accepted");
	temu_rxq_post(&rxq, 1);
	TEST_ASSERT(send_one(0), "a CQE");
	TEST_ASSERT_EQUAL(cqe.owner_sr_opcode & MLX4_CQE_OPCODE_MASK,
			  MLX4_CQE_OPCODE_ERROR,
			  "RDY -> RDY repaired nothing: the WQE is flushed");
	TEST_ASSERT_SUCCESS(mlx4r_hw_modify_wq(rxq.wq, IBV_WQS_RESET), "");
	TEST_ASSERT_SUCCESS(mlx4r_hw_modify_wq(rxq.wq, IBV_WQS_RDY), "");
	rxq.pi = 0; /* RESET: the WQ and its doorbell record start over */
	temu_rxq_post(&rxq, 8);
	TEST_ASSERT(send_one(0), "repaired through RESET");
	TEST_ASSERT_NOT_EQUAL(cqe.owner_sr_opcode & MLX4_CQE_OPCODE_MASK,
			      MLX4_CQE_OPCODE_ERROR, "a frame");
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
		TEST_CASE(test_fatal_time_scale),
		TEST_CASE(test_fatal_legacy_disassoc),
		TEST_CASE_ST(setup, teardown, test_reinit_fail_and_slow_reset),
		TEST_CASE_ST(setup, teardown, test_cmd_fail_timeout),
		TEST_CASE_ST(setup, teardown, test_link_flap),
		TEST_CASE_ST(setup, teardown, test_qp_forced_error),
		TEST_CASE_ST(setup, teardown, test_wq_forced_error),
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
