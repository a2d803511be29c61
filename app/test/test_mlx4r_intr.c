/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * Rx interrupts (issue 14): an l3fwd-power-style loop on the emulated
 * device through the ethdev API (rte_eth_dev_rx_intr_ctl_q, _enable,
 * _disable, rte_epoll_wait): no event while no frame comes, one when the
 * wire brings one, one event per arm, the arm sequence numbers, and the
 * application's fd and epoll registration across a proactive reset.
 *
 * "No event" is asserted over a short window (NO_EVENT_MS): it says that
 * nothing woke the epoll set while no CQE was written, not how fast
 * anything is. Waits for an event have a generous deadline (EVENT_MS)
 * and return as soon as the event comes.
 */

#include <errno.h>
#include <poll.h>
#include <string.h>

#include <rte_bus_vdev.h>
#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_epoll.h>
#include <rte_ethdev.h>
#include <rte_interrupts.h>
#include <rte_mbuf.h>
#include <rte_pmd_mlx4r.h>

#include "test.h"
#include "test_common.h"
#include "test_emu_util.h"
#include "emu/mlx4r_emu.h"

#define NB_MBUF 2047
#define HCA_GEN "net_mlx4r_intg"
#define HCA_LB "net_mlx4r_intl"
#define NO_EVENT_MS 50
#define EVENT_MS 5000

static struct rte_mempool *mp;
static uint16_t pid;
static const char *hca;

static int
intr_setup(void)
{
	mp = rte_pktmbuf_pool_create("intr_mp", NB_MBUF, 0, 0,
				     RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	return mp == NULL ? TEST_FAILED : TEST_SUCCESS;
}

static void
intr_teardown(void)
{
	rte_mempool_free(mp);
	mp = NULL;
}

static int
hca_up(const char *name, const char *args)
{
	hca = name;
	if (rte_vdev_init(name, args) != 0 ||
	    rte_eth_dev_get_port_by_name(name, &pid) != 0)
		return TEST_FAILED;
	return TEST_SUCCESS;
}

static int
hca_gen(void)
{
	return hca_up(HCA_GEN, "");
}

static int
hca_lb(void)
{
	return hca_up(HCA_LB, "wire=loopback");
}

static void
hca_down(void)
{
	rte_vdev_uninit(hca);
}

/* One Rx and one Tx queue, intr_conf.rxq as asked, started. */
static int
port_up(int rxq_intr)
{
	struct rte_eth_conf conf;

	memset(&conf, 0, sizeof(conf));
	conf.intr_conf.rxq = rxq_intr;
	TEST_ASSERT_SUCCESS(rte_eth_dev_configure(pid, 1, 1, &conf),
			    "configure");
	TEST_ASSERT_SUCCESS(rte_eth_rx_queue_setup(pid, 0, 128, SOCKET_ID_ANY,
						   NULL, mp), "rxq");
	TEST_ASSERT_SUCCESS(rte_eth_tx_queue_setup(pid, 0, 128, SOCKET_ID_ANY,
						   NULL), "txq");
	TEST_ASSERT_SUCCESS(rte_eth_dev_start(pid), "start");
	return TEST_SUCCESS;
}

/* Frames waiting in Rx queue 0, received and freed. */
static unsigned int
rx_drain(void)
{
	struct rte_mbuf *m[32];
	unsigned int total = 0, i;
	uint16_t n;

	do {
		n = rte_eth_rx_burst(pid, 0, m, RTE_DIM(m));
		for (i = 0; i < n; i++)
			rte_pktmbuf_free(m[i]);
		total += n;
	} while (n != 0);
	return total;
}

/*
 * Receive until @p want frames came or @p ms passed; returns how many
 * came. For frames another thread delivers (the emulated device's event
 * thread pumps the generator while the lcore sleeps): the CQ's event
 * comes with the first CQE of a pump, as a card's with its first
 * completion, and the pump's later frames may still be on their way when
 * the woken lcore polls, so one empty burst does not mean the end.
 */
static unsigned int
rx_wait(unsigned int want, int ms)
{
	uint64_t end = rte_get_timer_cycles() +
		       rte_get_timer_hz() * (uint64_t)ms / 1000;
	unsigned int total = 0;

	while (total < want && rte_get_timer_cycles() < end)
		total += rx_drain();
	return total;
}

/* Send @p n 64-byte frames on Tx queue 0 (loopback: to our own Rx). */
static int
tx_frames(unsigned int n)
{
	struct rte_ether_addr own;
	struct rte_mbuf *m;
	unsigned int i;

	TEST_ASSERT_SUCCESS(rte_eth_macaddr_get(pid, &own), "MAC");
	for (i = 0; i < n; i++) {
		struct rte_ether_hdr *eh;

		m = rte_pktmbuf_alloc(mp);
		TEST_ASSERT_NOT_NULL(m, "mbuf");
		TEST_ASSERT_NOT_NULL(rte_pktmbuf_append(m, 64), "room");
		eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
		memset(eh, 0x5a, 64);
		eh->dst_addr = own;
		eh->src_addr = own;
		eh->ether_type = rte_cpu_to_be_16(0x88b5);
		TEST_ASSERT_EQUAL(rte_eth_tx_burst(pid, 0, &m, 1), 1, "sent");
	}
	return TEST_SUCCESS;
}

/* Events of the calling thread's epoll set within @p ms. */
static int
wait_events(int ms)
{
	struct rte_epoll_event ev[4];

	return rte_epoll_wait(RTE_EPOLL_PER_THREAD, ev, RTE_DIM(ev), ms);
}

/* Register Rx queue 0 in the calling thread's epoll set. */
static int
register_q0(void)
{
	TEST_ASSERT_SUCCESS(rte_eth_dev_rx_intr_ctl_q(pid, 0,
			RTE_EPOLL_PER_THREAD, RTE_INTR_EVENT_ADD, NULL),
			"rx_intr_ctl_q ADD");
	return TEST_SUCCESS;
}

/* Stop and close the port: every mbuf back in the pool. */
static int
port_down(void)
{
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(pid), "stop");
	TEST_ASSERT_EQUAL(rte_mempool_in_use_count(mp), 0,
			  "every mbuf back in its pool");
	return TEST_SUCCESS;
}

/*
 * Without intr_conf.rxq: enable and disable refuse (-EINVAL, as upstream
 * net_mlx4 with no channel), and ethdev finds no interrupt handle.
 */
static int
test_needs_intr_conf(void)
{
	TEST_ASSERT_EQUAL(port_up(0), TEST_SUCCESS, "up");
	TEST_ASSERT_EQUAL(rte_eth_dev_rx_intr_enable(pid, 0), -EINVAL,
			  "enable without intr_conf.rxq");
	TEST_ASSERT_EQUAL(rte_eth_dev_rx_intr_disable(pid, 0), -EINVAL,
			  "disable without intr_conf.rxq");
	TEST_ASSERT_EQUAL(rte_eth_dev_rx_intr_ctl_q(pid, 0,
			RTE_EPOLL_PER_THREAD, RTE_INTR_EVENT_ADD, NULL),
			-ENOTSUP, "no interrupt handle");
	return port_down();
}

/*
 * The l3fwd-power loop on the generator wire: armed, the lcore sleeps
 * while the generator is silent (no event), and wakes when it sends; the
 * event is taken by disable, the frames by the burst; a second disable
 * finds no event (-EAGAIN, as upstream).
 */
static int
test_sleep_and_wake(void)
{
	struct mlx4r_emu_gen_conf gc;
	struct mlx4r_emu_dev *emu = mlx4r_emu_dev_lookup(hca);

	TEST_ASSERT_NOT_NULL(emu, "emulated device");
	TEST_ASSERT_EQUAL(port_up(1), TEST_SUCCESS, "up");
	TEST_ASSERT_SUCCESS(mlx4r_emu_gen_stop(emu, 1), "generator off");
	rx_drain();
	TEST_ASSERT(rte_eth_dev_rx_intr_ctl_q_get_fd(pid, 0) >= 0,
		    "an fd for queue 0");
	TEST_ASSERT_EQUAL(register_q0(), TEST_SUCCESS, "register");
	TEST_ASSERT_SUCCESS(rte_eth_dev_rx_intr_enable(pid, 0), "arm");
	TEST_ASSERT_EQUAL(wait_events(NO_EVENT_MS), 0,
			  "no event while nothing arrives");
	memset(&gc, 0, sizeof(gc));
	gc.count = 4;
	TEST_ASSERT_SUCCESS(mlx4r_emu_gen_start(emu, 1, &gc), "generator on");
	TEST_ASSERT_EQUAL(wait_events(EVENT_MS), 1, "woken by the traffic");
	TEST_ASSERT_SUCCESS(rte_eth_dev_rx_intr_disable(pid, 0),
			    "the event taken");
	TEST_ASSERT_EQUAL(rx_wait(4, EVENT_MS), 4, "the generator's frames");
	TEST_ASSERT_EQUAL(rx_drain(), 0, "and no more");
	TEST_ASSERT_EQUAL(rte_eth_dev_rx_intr_disable(pid, 0), -EAGAIN,
			  "no second event");
	TEST_ASSERT_EQUAL(wait_events(NO_EVENT_MS), 0,
			  "quiet once the event is taken");
	return port_down();
}

/*
 * One event per arm, and the arm sequence number (libmlx4 cq.c
 * mlx4_arm_cq / mlx4_cq_event): after an event the CQ is disarmed, so
 * more frames raise nothing; an arm before the event is taken carries the
 * same sequence number (with a new consumer index) and the device ignores
 * it; taking the event (disable) counts it, and the next arm, with a CQE
 * already past the consumer index, raises an event at once.
 */
static int
test_one_event_per_arm(void)
{
	TEST_ASSERT_EQUAL(port_up(1), TEST_SUCCESS, "up");
	TEST_ASSERT_EQUAL(register_q0(), TEST_SUCCESS, "register");
	TEST_ASSERT_SUCCESS(rte_eth_dev_rx_intr_enable(pid, 0), "arm");
	TEST_ASSERT_EQUAL(wait_events(NO_EVENT_MS), 0, "armed, quiet");
	TEST_ASSERT_EQUAL(tx_frames(1), TEST_SUCCESS, "frame 1");
	TEST_ASSERT_EQUAL(wait_events(EVENT_MS), 1, "event of frame 1");
	TEST_ASSERT_EQUAL(tx_frames(1), TEST_SUCCESS, "frame 2");
	TEST_ASSERT_EQUAL(wait_events(NO_EVENT_MS), 0,
			  "disarmed by its event: none for frame 2");
	TEST_ASSERT_EQUAL(rx_drain(), 2, "frames 1 and 2");
	/* arm again, the event not taken: the last event's sn, stale */
	TEST_ASSERT_SUCCESS(rte_eth_dev_rx_intr_enable(pid, 0), "re-arm");
	TEST_ASSERT_EQUAL(tx_frames(1), TEST_SUCCESS, "frame 3");
	TEST_ASSERT_EQUAL(wait_events(NO_EVENT_MS), 0,
			  "an arm with the last event's sequence number");
	TEST_ASSERT_SUCCESS(rte_eth_dev_rx_intr_disable(pid, 0),
			    "the one event taken");
	TEST_ASSERT_EQUAL(rte_eth_dev_rx_intr_disable(pid, 0), -EAGAIN,
			  "only one event for three frames");
	/* counted: a new arm; frame 3 past ci already: an event at once */
	TEST_ASSERT_SUCCESS(rte_eth_dev_rx_intr_enable(pid, 0), "new arm");
	TEST_ASSERT_EQUAL(wait_events(EVENT_MS), 1,
			  "event for the CQE already there");
	TEST_ASSERT_SUCCESS(rte_eth_dev_rx_intr_disable(pid, 0), "taken");
	TEST_ASSERT_EQUAL(rx_drain(), 1, "frame 3");
	/* consumed up to ci: arming now waits for the next frame */
	TEST_ASSERT_SUCCESS(rte_eth_dev_rx_intr_enable(pid, 0), "arm");
	TEST_ASSERT_EQUAL(wait_events(NO_EVENT_MS), 0,
			  "nothing past the consumer index");
	TEST_ASSERT_EQUAL(tx_frames(2), TEST_SUCCESS, "frames 4, 5");
	TEST_ASSERT_EQUAL(wait_events(EVENT_MS), 1, "event");
	TEST_ASSERT_SUCCESS(rte_eth_dev_rx_intr_disable(pid, 0), "taken");
	TEST_ASSERT_EQUAL(rx_drain(), 2, "two frames");
	return port_down();
}

/*
 * Disable with no event leaves the CQ armed (a ConnectX-3 CQ cannot be
 * disarmed but by its event): the next frame still raises one, and the
 * next disable takes it. Enable/disable on a port without Rx queue are
 * refused.
 */
static int
test_disable_enable(void)
{
	TEST_ASSERT_EQUAL(port_up(1), TEST_SUCCESS, "up");
	TEST_ASSERT_EQUAL(register_q0(), TEST_SUCCESS, "register");
	TEST_ASSERT_SUCCESS(rte_eth_dev_rx_intr_enable(pid, 0), "arm");
	TEST_ASSERT_EQUAL(rte_eth_dev_rx_intr_disable(pid, 0), -EAGAIN,
			  "no event yet");
	TEST_ASSERT_EQUAL(tx_frames(1), TEST_SUCCESS, "frame");
	TEST_ASSERT_EQUAL(wait_events(EVENT_MS), 1,
			  "the arm outlives a disable without event");
	TEST_ASSERT_SUCCESS(rte_eth_dev_rx_intr_disable(pid, 0), "taken");
	TEST_ASSERT_EQUAL(rx_drain(), 1, "the frame");
	TEST_ASSERT_EQUAL(rte_eth_dev_rx_intr_enable(pid, 1), -EINVAL,
			  "no such queue");
	return port_down();
}

/*
 * Across a proactive reset: the context, the CQ and the completion
 * channel are new, the application's fd and its epoll registration are
 * the same. The driver wakes the sleeper once the queue is live again
 * (its CQ is new, not armed); it arms the new CQ and sleeps; a frame
 * wakes it. A stop drops the registration (as upstream's
 * mlx4_rx_intr_vec_disable), the fd stays for the next start.
 */
static int
test_fd_across_reset(void)
{
	struct rte_pmd_mlx4r_reset_state st;
	unsigned int i;
	uint32_t gen;
	int fd;

	TEST_ASSERT_EQUAL(port_up(1), TEST_SUCCESS, "up");
	fd = rte_eth_dev_rx_intr_ctl_q_get_fd(pid, 0);
	TEST_ASSERT(fd >= 0, "fd");
	TEST_ASSERT_EQUAL(register_q0(), TEST_SUCCESS, "register");
	TEST_ASSERT_SUCCESS(rte_eth_dev_rx_intr_enable(pid, 0), "arm");
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_reset_state_get(pid, &st), "state");
	TEST_ASSERT_EQUAL(st.proactive, 1, "proactive mode");
	gen = st.generation;
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_reset(pid), "reset request");
	/* asleep through the reset: the driver's wake ends the sleep */
	TEST_ASSERT_EQUAL(wait_events(EVENT_MS), 1,
			  "woken when the queue is live again");
	for (i = 0; i < 50000; i++) {
		TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_reset_state_get(pid, &st),
				    "state");
		if (st.phase == RTE_PMD_MLX4R_RESET_LIVE && st.generation > gen)
			break;
		rte_delay_us_sleep(100);
	}
	TEST_ASSERT(st.generation > gen, "a new generation");
	TEST_ASSERT_EQUAL(rte_eth_dev_rx_intr_ctl_q_get_fd(pid, 0), fd,
			  "the same fd after the reset");
	TEST_ASSERT_EQUAL(rte_eth_dev_rx_intr_disable(pid, 0), -EAGAIN,
			  "a wake, not a CQ event");
	TEST_ASSERT_EQUAL(rx_drain(), 0, "nothing received");
	TEST_ASSERT_SUCCESS(rte_eth_dev_rx_intr_enable(pid, 0),
			    "arm the new CQ");
	TEST_ASSERT_EQUAL(wait_events(NO_EVENT_MS), 0, "armed, quiet");
	TEST_ASSERT_EQUAL(tx_frames(1), TEST_SUCCESS, "frame");
	TEST_ASSERT_EQUAL(wait_events(EVENT_MS), 1,
			  "the registration made before the reset works");
	TEST_ASSERT_SUCCESS(rte_eth_dev_rx_intr_disable(pid, 0), "taken");
	TEST_ASSERT_EQUAL(rx_drain(), 1, "the frame");
	/* stop/start: registered again, as with any PMD */
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(pid), "stop");
	TEST_ASSERT_SUCCESS(rte_eth_dev_start(pid), "start");
	TEST_ASSERT_EQUAL(rte_eth_dev_rx_intr_ctl_q_get_fd(pid, 0), fd,
			  "the same fd after stop/start");
	TEST_ASSERT_EQUAL(register_q0(), TEST_SUCCESS, "register again");
	TEST_ASSERT_SUCCESS(rte_eth_dev_rx_intr_enable(pid, 0), "arm");
	TEST_ASSERT_EQUAL(tx_frames(1), TEST_SUCCESS, "frame");
	TEST_ASSERT_EQUAL(wait_events(EVENT_MS), 1, "event after restart");
	TEST_ASSERT_SUCCESS(rte_eth_dev_rx_intr_disable(pid, 0), "taken");
	TEST_ASSERT_EQUAL(rx_drain(), 1, "the frame");
	return port_down();
}

/* Wait for RTE_PMD_MLX4R_RESET_LIVE in a generation after @p gen. */
static int
wait_live_after(uint32_t gen)
{
	struct rte_pmd_mlx4r_reset_state st;
	unsigned int i;

	for (i = 0; i < 50000; i++) {
		TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_reset_state_get(pid, &st),
				    "state");
		if (st.phase == RTE_PMD_MLX4R_RESET_LIVE && st.generation > gen)
			return TEST_SUCCESS;
		rte_delay_us_sleep(100);
	}
	TEST_FAIL("no new generation (phase %d)", st.phase);
}

/*
 * A catastrophic error (proactive mode): the device dies under an armed,
 * sleeping queue, comes back with new contexts, CQs and channels; the
 * sleeper is woken once its queue is live, the same fd and registration
 * serve the new CQ.
 */
static int
test_fd_across_fatal(void)
{
	struct rte_pmd_mlx4r_reset_state st;
	int fd;

	TEST_ASSERT_EQUAL(port_up(1), TEST_SUCCESS, "up");
	fd = rte_eth_dev_rx_intr_ctl_q_get_fd(pid, 0);
	TEST_ASSERT_EQUAL(register_q0(), TEST_SUCCESS, "register");
	TEST_ASSERT_SUCCESS(rte_eth_dev_rx_intr_enable(pid, 0), "arm");
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_reset_state_get(pid, &st), "state");
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_inject_fault(pid,
			    RTE_PMD_MLX4R_FAULT_FATAL, 0), "fatal");
	TEST_ASSERT_EQUAL(wait_events(EVENT_MS), 1,
			  "woken when the queue is live again");
	TEST_ASSERT_EQUAL(wait_live_after(st.generation), TEST_SUCCESS,
			  "recovered");
	TEST_ASSERT_EQUAL(rte_eth_dev_rx_intr_ctl_q_get_fd(pid, 0), fd,
			  "the same fd");
	TEST_ASSERT_EQUAL(rte_eth_dev_rx_intr_disable(pid, 0), -EAGAIN,
			  "a wake, not a CQ event");
	rx_drain();
	TEST_ASSERT_SUCCESS(rte_eth_dev_rx_intr_enable(pid, 0), "arm");
	TEST_ASSERT_EQUAL(wait_events(NO_EVENT_MS), 0, "armed, quiet");
	TEST_ASSERT_EQUAL(tx_frames(1), TEST_SUCCESS, "frame");
	TEST_ASSERT_EQUAL(wait_events(EVENT_MS), 1, "event on the new CQ");
	TEST_ASSERT_SUCCESS(rte_eth_dev_rx_intr_disable(pid, 0), "taken");
	TEST_ASSERT_EQUAL(rx_drain(), 1, "the frame");
	return port_down();
}

static unsigned int ev_reset, ev_back;

static int
count_event(uint16_t port, enum rte_eth_event_type type, void *arg,
	    void *ret_param)
{
	RTE_SET_USED(port);
	RTE_SET_USED(arg);
	RTE_SET_USED(ret_param);
	/* the interrupt or control thread; the test polls (relaxed) */
	if (type == RTE_ETH_EVENT_INTR_RESET)
		__atomic_fetch_add(&ev_reset, 1, __ATOMIC_RELAXED);
	else
		__atomic_fetch_add(&ev_back, 1, __ATOMIC_RELAXED);
	return 0;
}

static int
hca_passive(void)
{
	ev_reset = ev_back = 0;
	if (hca_up(HCA_LB, "wire=loopback,recovery=passive") != TEST_SUCCESS)
		return TEST_FAILED;
	rte_eth_dev_callback_register(pid, RTE_ETH_EVENT_INTR_RESET,
				      count_event, NULL);
	rte_eth_dev_callback_register(pid, RTE_ETH_EVENT_RECOVERY_SUCCESS,
				      count_event, NULL);
	return TEST_SUCCESS;
}

static void
hca_passive_down(void)
{
	rte_eth_dev_callback_unregister(pid, RTE_ETH_EVENT_INTR_RESET,
					count_event, NULL);
	rte_eth_dev_callback_unregister(pid, RTE_ETH_EVENT_RECOVERY_SUCCESS,
					count_event, NULL);
	hca_down();
}

/*
 * Passive mode: the application stops, resets and sets the port up
 * again (testpmd's sequence); the stop drops its registration, as any
 * stop does, and the queue's fd number is the same afterwards: it
 * registers it again and sleeps on the new CQ.
 */
static int
test_fd_across_passive(void)
{
	unsigned int i;
	int fd;

	TEST_ASSERT_EQUAL(port_up(1), TEST_SUCCESS, "up");
	fd = rte_eth_dev_rx_intr_ctl_q_get_fd(pid, 0);
	TEST_ASSERT_EQUAL(register_q0(), TEST_SUCCESS, "register");
	TEST_ASSERT_SUCCESS(rte_eth_dev_rx_intr_enable(pid, 0), "arm");
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_reset(pid), "reset request");
	for (i = 0; i < 5000 && __atomic_load_n(&ev_reset,
						 __ATOMIC_RELAXED) == 0; i++)
		rte_delay_us_sleep(1000);
	TEST_ASSERT_EQUAL(ev_reset, 1, "INTR_RESET");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(pid), "stop");
	TEST_ASSERT_SUCCESS(rte_eth_dev_reset(pid), "reset");
	for (i = 0; i < 5000 && __atomic_load_n(&ev_back,
						 __ATOMIC_RELAXED) == 0; i++)
		rte_delay_us_sleep(1000);
	TEST_ASSERT_EQUAL(ev_back, 1, "RECOVERY_SUCCESS");
	TEST_ASSERT_EQUAL(port_up(1), TEST_SUCCESS, "up again");
	TEST_ASSERT_EQUAL(rte_eth_dev_rx_intr_ctl_q_get_fd(pid, 0), fd,
			  "the same fd number");
	TEST_ASSERT_EQUAL(register_q0(), TEST_SUCCESS, "register again");
	TEST_ASSERT_SUCCESS(rte_eth_dev_rx_intr_enable(pid, 0), "arm");
	TEST_ASSERT_EQUAL(wait_events(NO_EVENT_MS), 0, "armed, quiet");
	TEST_ASSERT_EQUAL(tx_frames(1), TEST_SUCCESS, "frame");
	TEST_ASSERT_EQUAL(wait_events(EVENT_MS), 1, "event on the new CQ");
	TEST_ASSERT_SUCCESS(rte_eth_dev_rx_intr_disable(pid, 0), "taken");
	TEST_ASSERT_EQUAL(rx_drain(), 1, "the frame");
	return port_down();
}

/*
 * The emulated device's channel rules, through the seam as a driver
 * would use it (a Tx CQ on a channel, armed by hand): one event per arm
 * (the arm's sequence number), the fd readable exactly while an event
 * waits, -EBUSY for a CQ whose events read are not all acknowledged
 * (libibverbs would wait for ever) and for a channel that still has a CQ
 * (ibv_destroy_comp_channel), the events of a destroyed CQ dropped.
 */
#define EMU_DEV "mlx4r_intr_emu"

static int
emu_txq_on(struct temu_env *e, struct mlx4r_hw_channel *ch,
	   struct temu_txq *t)
{
	struct mlx4r_hw_qp_attr qa;
	struct ibv_qp_attr a;

	memset(t, 0, sizeof(*t));
	TEST_ASSERT_SUCCESS(mlx4r_hw_create_cq_ch(e->ctx, 64, ch, &t->cq),
			    "CQ on the channel");
	memset(&qa, 0, sizeof(qa));
	qa.send_cq = t->cq;
	qa.cap.max_send_wr = 64;
	qa.cap.max_send_sge = 1;
	TEST_ASSERT_SUCCESS(mlx4r_hw_create_qp(e->pd, &qa, &t->qp), "QP");
	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_INIT;
	a.port_num = 1;
	TEST_ASSERT_SUCCESS(mlx4r_hw_modify_qp(t->qp, &a,
			    IBV_QP_STATE | IBV_QP_PORT), "INIT");
	a.qp_state = IBV_QPS_RTR;
	TEST_ASSERT_SUCCESS(mlx4r_hw_modify_qp(t->qp, &a, IBV_QP_STATE),
			    "RTR");
	a.qp_state = IBV_QPS_RTS;
	TEST_ASSERT_SUCCESS(mlx4r_hw_modify_qp(t->qp, &a, IBV_QP_STATE),
			    "RTS");
	TEST_ASSERT_SUCCESS(mlx4r_hw_qp_view(t->qp, &t->dv, &t->hook), "view");
	TEST_ASSERT_SUCCESS(mlx4r_hw_cq_view(t->cq, &t->cdv), "CQ view");
	t->sq = (uint8_t *)t->dv.buf.buf + t->dv.sq.offset;
	t->txbbs = t->dv.sq.wqe_cnt;
	TEST_ASSERT_EQUAL(t->cdv.arm_sn, 1, "arm_sn starts at 1 (libmlx4)");
	return TEST_SUCCESS;
}

/* The arm word of libmlx4's mlx4_arm_cq, then the model's notification. */
static void
emu_arm(struct temu_txq *t, uint32_t sn, uint32_t ci)
{
	*(volatile uint32_t *)t->cdv.arm_db =
		rte_cpu_to_be_32((sn & 3) << 28 | MLX4_CQ_DB_REQ_NOT |
				 (ci & 0xffffff));
	rte_wmb();
	mlx4r_hw_cq_armed(t->cq);
}

/* One completed send; the Tx engine runs in the doorbell's hook. */
static void
emu_send(struct temu_env *e, struct temu_txq *t)
{
	static uint8_t frame[64];

	memset(frame, 0xff, 12);
	temu_tx_post(t, frame, sizeof(frame), e->mr->lkey,
		     MLX4_WQE_CTRL_CQ_UPDATE);
	temu_tx_doorbell(t);
}

static bool
fd_ready(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, ms) == 1;
}

static int
test_emu_channel_rules(void)
{
	struct mlx4r_hw_channel *ch;
	struct mlx4r_hw_cq *cq;
	struct temu_env e;
	struct temu_txq t;
	unsigned int i;

	TEST_ASSERT_SUCCESS(temu_env_init(&e, EMU_DEV, NULL), "device");
	TEST_ASSERT_SUCCESS(mlx4r_hw_create_comp_channel(e.ctx, &ch),
			    "channel");
	TEST_ASSERT_EQUAL(emu_txq_on(&e, ch, &t), TEST_SUCCESS, "queue");
	TEST_ASSERT_EQUAL(mlx4r_hw_get_cq_event(ch, &cq), -EAGAIN, "empty");
	TEST_ASSERT(!fd_ready(ch->fd, 0), "fd quiet while empty");
	/* not armed: a CQE raises nothing */
	emu_send(&e, &t);
	TEST_ASSERT(!fd_ready(ch->fd, NO_EVENT_MS), "no arm, no event");
	/* armed at ci 0 with a CQE past it: an event at once */
	emu_arm(&t, 1, 0);
	TEST_ASSERT(fd_ready(ch->fd, EVENT_MS), "event for the waiting CQE");
	/* disarmed: more CQEs raise nothing more */
	for (i = 0; i < 3; i++)
		emu_send(&e, &t);
	/* the same sequence number with a new ci: stale, ignored */
	emu_arm(&t, 1, 1);
	emu_send(&e, &t);
	TEST_ASSERT_SUCCESS(mlx4r_hw_get_cq_event(ch, &cq), "the event");
	TEST_ASSERT(cq == t.cq, "of our CQ");
	TEST_ASSERT(!fd_ready(ch->fd, NO_EVENT_MS),
		    "one event for one arm, stale arm ignored");
	TEST_ASSERT_EQUAL(mlx4r_hw_get_cq_event(ch, &cq), -EAGAIN, "only one");
	/* a read event not acknowledged: the CQ cannot go */
	TEST_ASSERT_SUCCESS(mlx4r_hw_destroy_qp(t.qp), "QP");
	t.qp = NULL;
	TEST_ASSERT_EQUAL(mlx4r_hw_destroy_cq(t.cq), -EBUSY,
			  "an event read, not acknowledged");
	TEST_ASSERT_EQUAL(mlx4r_hw_destroy_comp_channel(ch), -EBUSY,
			  "a CQ on the channel");
	mlx4r_hw_ack_cq_events(t.cq, 1);
	TEST_ASSERT_SUCCESS(mlx4r_hw_destroy_cq(t.cq), "acknowledged");
	/* a CQ destroyed with an event nobody read: the event goes */
	TEST_ASSERT_EQUAL(emu_txq_on(&e, ch, &t), TEST_SUCCESS, "queue 2");
	emu_arm(&t, 1, 0);
	emu_send(&e, &t);
	TEST_ASSERT(fd_ready(ch->fd, EVENT_MS), "event of CQ 2");
	TEST_ASSERT_SUCCESS(mlx4r_hw_destroy_qp(t.qp), "QP 2");
	TEST_ASSERT_SUCCESS(mlx4r_hw_destroy_cq(t.cq), "unread: no ack due");
	TEST_ASSERT(!fd_ready(ch->fd, 0), "its event dropped");
	TEST_ASSERT_EQUAL(mlx4r_hw_get_cq_event(ch, &cq), -EAGAIN, "none");
	TEST_ASSERT_SUCCESS(mlx4r_hw_destroy_comp_channel(ch), "channel");
	temu_env_fini(&e);
	return TEST_SUCCESS;
}

/*
 * Two Rx queues: each its own fd and vector (efds[i] of queue i); an event
 * of queue 0 wakes the registration of queue 0 only (non-IP frames: RSS
 * entry 0).
 */
static int
test_two_queues(void)
{
	struct rte_epoll_event ev[4];
	struct rte_eth_conf conf;
	uint16_t q;
	int fd0, fd1;

	memset(&conf, 0, sizeof(conf));
	conf.intr_conf.rxq = 1;
	TEST_ASSERT_SUCCESS(rte_eth_dev_configure(pid, 2, 1, &conf),
			    "configure");
	for (q = 0; q < 2; q++)
		TEST_ASSERT_SUCCESS(rte_eth_rx_queue_setup(pid, q, 128,
				    SOCKET_ID_ANY, NULL, mp), "rxq %u", q);
	TEST_ASSERT_SUCCESS(rte_eth_tx_queue_setup(pid, 0, 128, SOCKET_ID_ANY,
						   NULL), "txq");
	TEST_ASSERT_SUCCESS(rte_eth_dev_start(pid), "start");
	fd0 = rte_eth_dev_rx_intr_ctl_q_get_fd(pid, 0);
	fd1 = rte_eth_dev_rx_intr_ctl_q_get_fd(pid, 1);
	TEST_ASSERT(fd0 >= 0 && fd1 >= 0 && fd0 != fd1, "one fd per queue");
	for (q = 0; q < 2; q++) {
		TEST_ASSERT_SUCCESS(rte_eth_dev_rx_intr_ctl_q(pid, q,
				RTE_EPOLL_PER_THREAD, RTE_INTR_EVENT_ADD,
				(void *)(uintptr_t)(q + 1)), "register %u", q);
		TEST_ASSERT_SUCCESS(rte_eth_dev_rx_intr_enable(pid, q),
				    "arm %u", q);
	}
	TEST_ASSERT_EQUAL(wait_events(NO_EVENT_MS), 0, "armed, quiet");
	TEST_ASSERT_EQUAL(tx_frames(1), TEST_SUCCESS, "frame");
	TEST_ASSERT_EQUAL(rte_epoll_wait(RTE_EPOLL_PER_THREAD, ev, RTE_DIM(ev),
					 EVENT_MS), 1, "one event");
	TEST_ASSERT_EQUAL(ev[0].fd, fd0, "on queue 0's fd");
	TEST_ASSERT(ev[0].epdata.data == (void *)1, "queue 0's registration");
	TEST_ASSERT_EQUAL(rte_eth_dev_rx_intr_disable(pid, 1), -EAGAIN,
			  "none for queue 1");
	TEST_ASSERT_SUCCESS(rte_eth_dev_rx_intr_disable(pid, 0), "queue 0's");
	TEST_ASSERT_EQUAL(rx_drain(), 1, "the frame, on queue 0");
	return port_down();
}

static struct unit_test_suite mlx4r_intr_suite = {
	.suite_name = "mlx4r Rx interrupts",
	.setup = intr_setup,
	.teardown = intr_teardown,
	.unit_test_cases = {
		TEST_CASE_ST(hca_lb, hca_down, test_needs_intr_conf),
		TEST_CASE_ST(hca_gen, hca_down, test_sleep_and_wake),
		TEST_CASE_ST(hca_lb, hca_down, test_one_event_per_arm),
		TEST_CASE_ST(hca_lb, hca_down, test_disable_enable),
		TEST_CASE_ST(hca_lb, hca_down, test_two_queues),
		TEST_CASE_ST(hca_lb, hca_down, test_fd_across_reset),
		TEST_CASE_ST(hca_lb, hca_down, test_fd_across_fatal),
		TEST_CASE_ST(hca_passive, hca_passive_down,
			     test_fd_across_passive),
		TEST_CASE(test_emu_channel_rules),
		TEST_CASES_END()
	}
};

static int
mlx4r_intr_autotest(void)
{
	return unit_test_suite_runner(&mlx4r_intr_suite);
}

REGISTER_TEST_COMMAND(mlx4r_intr_autotest, mlx4r_intr_autotest);
