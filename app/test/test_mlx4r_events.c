/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * The events of a reset and the control calls around them (issue 12,
 * items 5 to 8): the event grammar of doc/guides/nics/mlx4r_reset.rst on
 * every path (success, failure, quiescence timeout, a fault during the
 * reset, recovery from FAILED, close), what an application may call from
 * each event callback (close of the last port from its own callback, on
 * the control thread and on the EAL interrupt thread, then rte_vdev_uninit
 * and a probe of the same name), and the errno table, walked phase by
 * phase in both modes with each phase held open.
 *
 * The suite links the driver whole: a case may look at a queue through
 * mlx4r.h (an lcore "stuck" inside a burst) or at the emulated device.
 */

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include <rte_bus_vdev.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "test.h"
#include "test_common.h"

#include "mlx4r.h"
#include "mlx4r_reset.h"
#include "rte_pmd_mlx4r.h"
#include "emu/mlx4r_emu.h"

#define NB_MBUF 4095
#define NB_DESC 256
#define BURST 32
#define HCA "net_mlx4r_e0"
#define HCA_PORT2 "net_mlx4r_e0_port2"
#define WAIT_MS 5000

static struct rte_mempool *mp;
static uint16_t p1, p2;
static uint64_t heap_base;
/* The in_burst marker a case set, cleared by the teardown if need be. */
static uint8_t *stuck;

/*
 * Events: test_common's recorder, through ev_cb, which may run an action
 * a case armed for one event type.
 */
/* What the callback does on the armed event (then disarms). */
enum cb_action {
	CB_NONE,
	CB_CLOSE,          /* stop and close the port */
	CB_CLOSE_REPROBE,  /* close, rte_vdev_uninit, rte_vdev_init */
	CB_HOLD,           /* wait until the case releases it */
	CB_DEV_RESET,      /* rte_eth_dev_reset() (passive ack) */
	CB_PUBLIC,         /* the public calls of rte_pmd_mlx4r.h */
};

static struct {
	enum rte_eth_event_type type; /* armed event */
	uint16_t port;                /* of this port (UINT16_MAX: any) */
	enum cb_action action;
	uint32_t sleep_ms;            /* after the action, before returning */
	int ret[4];                   /* what the calls returned */
	struct rte_pmd_mlx4r_port_info info; /* CB_PUBLIC */
	bool armed;
	bool done;                    /* the action ran */
	bool release;                 /* CB_HOLD: return now */
	pthread_t thread;             /* where it ran */
} cb;

static int
ev_cb(uint16_t port, enum rte_eth_event_type type, void *arg, void *ret)
{
	RTE_SET_USED(arg);
	RTE_SET_USED(ret);
	test_ev_record(port, type);
	if (!__atomic_load_n(&cb.armed, __ATOMIC_ACQUIRE) || cb.type != type ||
	    (cb.port != UINT16_MAX && cb.port != port))
		return 0;
	cb.armed = false;
	cb.thread = pthread_self();
	switch (cb.action) {
	case CB_CLOSE:
	case CB_CLOSE_REPROBE:
		cb.ret[0] = rte_eth_dev_stop(port);
		cb.ret[1] = rte_eth_dev_close(port);
		if (cb.action == CB_CLOSE_REPROBE) {
			cb.ret[2] = rte_vdev_uninit(HCA);
			if (cb.ret[2] == 0)
				cb.ret[2] = rte_vdev_init(HCA, "");
		}
		break;
	case CB_HOLD:
		__atomic_store_n(&cb.done, true, __ATOMIC_RELEASE);
		while (!__atomic_load_n(&cb.release, __ATOMIC_ACQUIRE))
			rte_delay_us_sleep(1000);
		return 0;
	case CB_DEV_RESET:
		cb.ret[0] = rte_eth_dev_reset(port);
		break;
	case CB_PUBLIC: {
		struct rte_pmd_mlx4r_reset_state st;

		cb.ret[0] = rte_pmd_mlx4r_port_info_get(port, &cb.info);
		cb.ret[1] = rte_pmd_mlx4r_reset_state_get(port, &st);
		cb.ret[2] = rte_pmd_mlx4r_reset(port);
		cb.ret[3] = rte_pmd_mlx4r_inject_fault(port,
			RTE_PMD_MLX4R_FAULT_LINK_FLAP, 10);
		break;
	}
	default:
		break;
	}
	__atomic_store_n(&cb.done, true, __ATOMIC_RELEASE);
	if (cb.sleep_ms != 0)
		rte_delay_us_sleep(cb.sleep_ms * 1000);
	return 0;
}

static void
cb_arm(enum rte_eth_event_type type, enum cb_action action,
       uint32_t sleep_ms)
{
	memset(&cb, 0, sizeof(cb));
	cb.type = type;
	cb.port = UINT16_MAX;
	cb.action = action;
	cb.sleep_ms = sleep_ms;
	__atomic_store_n(&cb.armed, true, __ATOMIC_RELEASE);
}

/* Wait until the armed action ran (false: not within WAIT_MS). */
static bool
cb_wait_done(void)
{
	unsigned int i;

	for (i = 0; i < WAIT_MS; i++) {
		if (__atomic_load_n(&cb.done, __ATOMIC_ACQUIRE))
			return true;
		rte_delay_us_sleep(1000);
	}
	return false;
}

/* Wait until @p port saw @p nb events of @p type. */
static int
ev_wait(uint16_t port, enum rte_eth_event_type type, unsigned int nb)
{
	unsigned int i;

	for (i = 0; i < WAIT_MS && test_ev_count(port, type) < nb; i++)
		rte_delay_us_sleep(1000);
	TEST_ASSERT_EQUAL(test_ev_count(port, type), nb,
			  "port %u: events of type %d", port, type);
	return TEST_SUCCESS;
}

static bool
ev_is_announce(enum rte_eth_event_type t)
{
	return t == RTE_ETH_EVENT_INTR_RESET ||
	       t == RTE_ETH_EVENT_ERR_RECOVERING;
}

static bool
ev_is_outcome(enum rte_eth_event_type t)
{
	return t == RTE_ETH_EVENT_RECOVERY_SUCCESS ||
	       t == RTE_ETH_EVENT_RECOVERY_FAILED;
}

/*
 * The event grammar of mlx4r_reset.rst, per port:
 *   rounds := { ANNOUNCE OUTCOME }   [ ANNOUNCE ]   (an unfinished round
 *             only when the port was closed: then DESTROY follows)
 *   ANNOUNCE := ERR_RECOVERING (proactive) | INTR_RESET (passive)
 *   OUTCOME  := RECOVERY_SUCCESS | RECOVERY_FAILED [ INTR_RMV ]
 * INTR_RMV only right after RECOVERY_FAILED (where intr_conf.rmv); LSC
 * events may come anywhere. Fills the number of rounds and of outcomes
 * of each kind.
 */
static int
ev_grammar(uint16_t port, bool proactive, unsigned int *rounds,
	   unsigned int *ok, unsigned int *failed)
{
	enum rte_eth_event_type announce = proactive ?
		RTE_ETH_EVENT_ERR_RECOVERING : RTE_ETH_EVENT_INTR_RESET;
	enum rte_eth_event_type prev = RTE_ETH_EVENT_MAX;
	bool open = false, closed = false;
	uint32_t i, n = test_ev_n();

	*rounds = 0;
	*ok = 0;
	*failed = 0;
	for (i = 0; i < n; i++) {
		struct test_ev ev = test_ev_at(i);
		enum rte_eth_event_type t = ev.type;

		if (ev.port != port || t == RTE_ETH_EVENT_INTR_LSC)
			continue;
		TEST_ASSERT(!closed, "port %u: event %d after DESTROY (#%u)",
			    port, t, i);
		if (t == RTE_ETH_EVENT_DESTROY) {
			closed = true;
		} else if (ev_is_announce(t)) {
			TEST_ASSERT_EQUAL(t, announce,
					  "port %u: announcement of the other mode (#%u)",
					  port, i);
			TEST_ASSERT(!open, "port %u: a second announcement before an outcome (#%u)",
				    port, i);
			open = true;
			(*rounds)++;
		} else if (ev_is_outcome(t)) {
			TEST_ASSERT(open, "port %u: outcome %d with no announcement (#%u)",
				    port, t, i);
			open = false;
			if (t == RTE_ETH_EVENT_RECOVERY_SUCCESS)
				(*ok)++;
			else
				(*failed)++;
		} else if (t == RTE_ETH_EVENT_INTR_RMV) {
			TEST_ASSERT_EQUAL(prev, RTE_ETH_EVENT_RECOVERY_FAILED,
					  "port %u: INTR_RMV not right after RECOVERY_FAILED (#%u)",
					  port, i);
		}
		prev = t;
	}
	TEST_ASSERT(!open || closed,
		    "port %u: an announcement with no outcome", port);
	return TEST_SUCCESS;
}

/* ev_grammar() and the expected numbers of rounds, successes, failures. */
static int
ev_expect(uint16_t port, bool proactive, unsigned int rounds,
	  unsigned int ok, unsigned int failed)
{
	unsigned int r, s, f;

	TEST_ASSERT_SUCCESS(ev_grammar(port, proactive, &r, &s, &f),
			    "grammar of port %u", port);
	TEST_ASSERT_EQUAL(r, rounds, "port %u: announced rounds", port);
	TEST_ASSERT_EQUAL(s, ok, "port %u: RECOVERY_SUCCESS", port);
	TEST_ASSERT_EQUAL(f, failed, "port %u: RECOVERY_FAILED", port);
	return TEST_SUCCESS;
}

static int
suite_setup(void)
{
	mp = rte_pktmbuf_pool_create("events_mp", NB_MBUF, 0, 0,
				     RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (mp == NULL)
		return TEST_FAILED;
	test_ev_register(true, ev_cb);
	/* a first probe allocates what ethdev keeps for the process */
	if (rte_vdev_init(HCA, "") != 0 || rte_vdev_uninit(HCA) != 0)
		return TEST_FAILED;
	return TEST_SUCCESS;
}

static void
suite_teardown(void)
{
	test_ev_register(false, ev_cb);
	rte_mempool_free(mp);
	mp = NULL;
}

static void
case_teardown(void)
{
	/* a failed case may leave things behind: release them */
	__atomic_store_n(&cb.release, true, __ATOMIC_RELEASE);
	cb.armed = false;
	if (stuck != NULL)
		__atomic_store_n(stuck, 0, __ATOMIC_RELEASE);
	stuck = NULL;
	rte_vdev_uninit(HCA);
}

/* Probe HCA with @p args; p1 (and p2 with two ports). */
static int
hca_up(const char *args)
{
	heap_base = test_heap_allocated();
	test_ev_clear();
	TEST_ASSERT_SUCCESS(rte_vdev_init(HCA, args), "probe %s", args);
	TEST_ASSERT_SUCCESS(rte_eth_dev_get_port_by_name(HCA, &p1), "p1");
	if (rte_eth_dev_get_port_by_name(HCA_PORT2, &p2) != 0)
		p2 = UINT16_MAX;
	return TEST_SUCCESS;
}

/* Everything of the HCA gone: the emulated device, mbufs, heap. */
static int
hca_gone(void)
{
	TEST_ASSERT_NULL(mlx4r_emu_dev_lookup(HCA),
			 "the emulated device is still there");
	TEST_ASSERT_EQUAL_U(rte_mempool_in_use_count(mp), 0,
			    "mbufs still in use");
	TEST_ASSERT_EQUAL_U(test_heap_allocated(), heap_base,
			    "heap bytes leaked");
	return TEST_SUCCESS;
}

static int
hca_down(void)
{
	TEST_ASSERT_SUCCESS(rte_vdev_uninit(HCA), "remove");
	return hca_gone();
}

static int
port_conf(uint16_t port, uint16_t nq, bool rmv, bool lsc)
{
	struct rte_eth_conf conf;
	uint16_t q;
	int ret;

	memset(&conf, 0, sizeof(conf));
	conf.intr_conf.rmv = rmv;
	conf.intr_conf.lsc = lsc;
	ret = rte_eth_dev_configure(port, nq, nq, &conf);
	for (q = 0; q < nq && ret == 0; q++) {
		ret = rte_eth_rx_queue_setup(port, q, NB_DESC, SOCKET_ID_ANY,
					     NULL, mp);
		if (ret == 0)
			ret = rte_eth_tx_queue_setup(port, q, NB_DESC,
						     SOCKET_ID_ANY, NULL);
	}
	return ret;
}

static int
port_up(uint16_t port, bool rmv, bool lsc)
{
	TEST_ASSERT_SUCCESS(port_conf(port, 1, rmv, lsc), "set up %u", port);
	TEST_ASSERT_SUCCESS(rte_eth_dev_start(port), "start %u", port);
	return TEST_SUCCESS;
}

static int
wait_phase(uint16_t port, enum rte_pmd_mlx4r_reset_phase ph,
	   uint32_t min_gen)
{
	return test_wait_phase(port, ph, min_gen, WAIT_MS);
}

/*
 * Make the device fail for good (reopen fails more often than attempts);
 * wait for FAILED unless @p closes: a callback closes the port then.
 */
static int
make_fail(uint16_t port, bool closes)
{
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_inject_fault(port,
			    RTE_PMD_MLX4R_FAULT_REINIT_FAIL, 50), "reinit");
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_inject_fault(port,
			    RTE_PMD_MLX4R_FAULT_FATAL, 0), "fatal");
	return closes ? TEST_SUCCESS :
	       wait_phase(port, RTE_PMD_MLX4R_RESET_FAILED, 1);
}

/*
 * Item 5: the last port closed from its own INTR_RMV callback (on the
 * control thread, which therefore cannot be joined by the close and frees
 * the device on its way out). rte_vdev_uninit() waits for that thread, so
 * that everything is gone when it returns and a probe of the same name
 * works at once; a probe of the same name from inside the callback, while
 * the old device cannot be freed yet, fails with -EBUSY.
 */
static int
test_close_from_rmv_callback(void)
{
	struct rte_eth_dev_info info;
	uint64_t base;

	TEST_ASSERT_EQUAL(hca_up("wire=loopback,recovery_attempts=1"),
			  TEST_SUCCESS, "probe");
	TEST_ASSERT_EQUAL(port_up(p1, true, false), TEST_SUCCESS, "up");
	/* the callback returns 200 ms after its close: the thread is late */
	cb_arm(RTE_ETH_EVENT_INTR_RMV, CB_CLOSE, 200);
	TEST_ASSERT_EQUAL(make_fail(p1, true), TEST_SUCCESS, "fault");
	TEST_ASSERT(cb_wait_done(), "the RMV callback closed the port");
	TEST_ASSERT_SUCCESS(cb.ret[0], "stop from the callback");
	TEST_ASSERT_SUCCESS(cb.ret[1], "close from the callback");
	TEST_ASSERT(rte_eth_dev_info_get(p1, &info) != 0, "port released");
	TEST_ASSERT_EQUAL(ev_wait(p1, RTE_ETH_EVENT_DESTROY, 1), TEST_SUCCESS,
			  "DESTROY");
	TEST_ASSERT_EQUAL(ev_expect(p1, true, 1, 0, 1), TEST_SUCCESS,
			  "announced, failed, removed, closed");
	/* the vdev is still probed: its remove waits for the thread */
	TEST_ASSERT_EQUAL(hca_down(), TEST_SUCCESS,
			  "all freed when rte_vdev_uninit() returns");
	TEST_ASSERT_EQUAL(hca_up("wire=loopback"), TEST_SUCCESS,
			  "the same name probes again at once");
	TEST_ASSERT_EQUAL(port_up(p1, false, false), TEST_SUCCESS, "up");
	TEST_ASSERT_EQUAL(test_traffic(mp, p1, p1, BURST), TEST_SUCCESS, "traffic");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	TEST_ASSERT_EQUAL(hca_down(), TEST_SUCCESS, "down");

	/* uninit and a probe of the same name from inside the callback */
	TEST_ASSERT_EQUAL(hca_up("wire=loopback,recovery_attempts=1"),
			  TEST_SUCCESS, "probe");
	TEST_ASSERT_EQUAL(port_up(p1, true, false), TEST_SUCCESS, "up");
	cb_arm(RTE_ETH_EVENT_INTR_RMV, CB_CLOSE_REPROBE, 100);
	TEST_ASSERT_EQUAL(make_fail(p1, true), TEST_SUCCESS, "fault");
	TEST_ASSERT(cb_wait_done(), "the RMV callback ran");
	TEST_ASSERT_SUCCESS(cb.ret[1], "close from the callback");
	TEST_ASSERT_EQUAL(cb.ret[2], -EBUSY,
			  "a probe of the same name while the old device cannot be freed");
	/*
	 * The vdev was removed by the callback; a probe from here waits
	 * for the old device to be freed (the heap is compared with what
	 * it was before the old device).
	 */
	base = heap_base;
	TEST_ASSERT_EQUAL(hca_up("wire=loopback"), TEST_SUCCESS,
			  "probe after the callback");
	heap_base = base;
	TEST_ASSERT_EQUAL(port_up(p1, false, false), TEST_SUCCESS, "up");
	TEST_ASSERT_EQUAL(test_traffic(mp, p1, p1, BURST), TEST_SUCCESS, "traffic");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	return hca_down();
}

/*
 * One port closed from its RECOVERY_FAILED callback while the other stays
 * open, both configured with intr_conf.rmv: the closed port gets no
 * INTR_RMV (it was released), the other one gets it right after its
 * RECOVERY_FAILED. The control thread picks the ports that asked for
 * INTR_RMV after the outcome's callbacks ran; it used to read each one's
 * eth_dev->data to do it, unfenced, and DPDK 24.11's
 * rte_eth_dev_release_port() leaves data NULL: a crash of the control
 * thread there (on 22.11, which zeroes the data in place, a read of a
 * released port's data). The stress suite met it at random; this makes
 * it certain.
 */
static int
test_close_from_failed_callback(void)
{
	struct rte_eth_dev_info info;

	TEST_ASSERT_EQUAL(hca_up("ports=2,wire=loopback,recovery_attempts=1"),
			  TEST_SUCCESS, "probe");
	TEST_ASSERT(p2 != UINT16_MAX, "two ports");
	TEST_ASSERT_EQUAL(port_up(p1, true, false), TEST_SUCCESS, "up 1");
	TEST_ASSERT_EQUAL(port_up(p2, true, false), TEST_SUCCESS, "up 2");
	cb_arm(RTE_ETH_EVENT_RECOVERY_FAILED, CB_CLOSE, 0);
	cb.port = p1;
	TEST_ASSERT_EQUAL(make_fail(p2, false), TEST_SUCCESS, "fault");
	TEST_ASSERT(cb_wait_done(), "the RECOVERY_FAILED callback closed port 1");
	TEST_ASSERT_SUCCESS(cb.ret[0], "stop from the callback");
	TEST_ASSERT_SUCCESS(cb.ret[1], "close from the callback");
	TEST_ASSERT(rte_eth_dev_info_get(p1, &info) != 0, "port 1 released");
	TEST_ASSERT_EQUAL(ev_wait(p2, RTE_ETH_EVENT_INTR_RMV, 1), TEST_SUCCESS,
			  "INTR_RMV on the port left open");
	TEST_ASSERT_EQUAL(ev_wait(p1, RTE_ETH_EVENT_DESTROY, 1), TEST_SUCCESS,
			  "DESTROY of port 1");
	TEST_ASSERT_EQUAL_U(test_ev_count(p1, RTE_ETH_EVENT_INTR_RMV), 0,
			    "no INTR_RMV on the port closed before it");
	TEST_ASSERT_EQUAL(ev_expect(p1, true, 1, 0, 1), TEST_SUCCESS,
			  "port 1: announced, failed, closed");
	TEST_ASSERT_EQUAL(ev_expect(p2, true, 1, 0, 1), TEST_SUCCESS,
			  "port 2: announced, failed, removed");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p2), "stop 2");
	return hca_down();
}

/*
 * Item 5 and the callback contexts: the last port closed from its LSC
 * callback, on the EAL interrupt thread inside the driver's async-event
 * handler. The close cannot wait for the control thread (which may be
 * waiting for that handler) nor remove the handler it runs in: the free
 * goes to the control thread, after the callback returned. Before, the
 * close never returned.
 */
static int
test_close_from_lsc_callback(void)
{
	TEST_ASSERT_EQUAL(hca_up("wire=loopback"), TEST_SUCCESS, "probe");
	TEST_ASSERT_EQUAL(port_up(p1, false, true), TEST_SUCCESS, "up");
	cb_arm(RTE_ETH_EVENT_INTR_LSC, CB_CLOSE, 0);
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_inject_fault(p1,
			    RTE_PMD_MLX4R_FAULT_LINK_FLAP, 50), "flap");
	TEST_ASSERT(cb_wait_done(), "the LSC callback closed the port");
	TEST_ASSERT(!pthread_equal(cb.thread, pthread_self()),
		    "the LSC callback ran on another thread");
	TEST_ASSERT_SUCCESS(cb.ret[0], "stop from the callback");
	TEST_ASSERT_SUCCESS(cb.ret[1], "close from the callback");
	return hca_down();
}

/* Reset state of the HCA of @p port. */
static struct rte_pmd_mlx4r_reset_state
state_of(uint16_t port)
{
	struct rte_pmd_mlx4r_reset_state st;

	memset(&st, 0, sizeof(st));
	rte_pmd_mlx4r_reset_state_get(port, &st);
	return st;
}

/* An lcore "inside a burst" of Rx queue 0 of @p port, until unstuck. */
static void
stick(uint16_t port, bool on)
{
	struct mlx4r_rxq *rxq = rte_eth_devices[port].data->rx_queues[0];

	stuck = on ? &rxq->in_burst : NULL;
	__atomic_store_n(&rxq->in_burst, on, __ATOMIC_RELEASE);
}

/* The device core of @p port (to post a request as its handler would). */
static struct mlx4r_dev *
dev_of(uint16_t port)
{
	return mlx4r_port_of(&rte_eth_devices[port])->dev;
}

/*
 * Item 6, success in both modes: one announcement, one RECOVERY_SUCCESS.
 * In passive mode the outcome tells the application that the ports it
 * reset can be set up and started (before, passive mode raised no
 * outcome: the application had no event to learn it).
 */
static int
test_events_success(void)
{
	TEST_ASSERT_EQUAL(hca_up("wire=loopback"), TEST_SUCCESS, "probe");
	TEST_ASSERT_EQUAL(port_up(p1, false, false), TEST_SUCCESS, "up");
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_inject_fault(p1,
			    RTE_PMD_MLX4R_FAULT_FATAL, 0), "fatal");
	TEST_ASSERT_EQUAL(ev_wait(p1, RTE_ETH_EVENT_RECOVERY_SUCCESS, 1),
			  TEST_SUCCESS, "outcome");
	TEST_ASSERT_EQUAL(ev_expect(p1, true, 1, 1, 0), TEST_SUCCESS,
			  "proactive grammar");
	TEST_ASSERT_EQUAL(test_traffic(mp, p1, p1, BURST), TEST_SUCCESS, "traffic");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	TEST_ASSERT_EQUAL(hca_down(), TEST_SUCCESS, "down");

	TEST_ASSERT_EQUAL(hca_up("wire=loopback,recovery=passive"),
			  TEST_SUCCESS, "probe passive");
	TEST_ASSERT_EQUAL(port_up(p1, false, false), TEST_SUCCESS, "up");
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_inject_fault(p1,
			    RTE_PMD_MLX4R_FAULT_FATAL, 0), "fatal");
	TEST_ASSERT_EQUAL(ev_wait(p1, RTE_ETH_EVENT_INTR_RESET, 1),
			  TEST_SUCCESS, "announced");
	TEST_ASSERT_SUCCESS(rte_eth_dev_reset(p1), "ack");
	TEST_ASSERT_EQUAL(ev_wait(p1, RTE_ETH_EVENT_RECOVERY_SUCCESS, 1),
			  TEST_SUCCESS, "passive outcome");
	TEST_ASSERT_EQUAL(ev_expect(p1, false, 1, 1, 0), TEST_SUCCESS,
			  "passive grammar");
	TEST_ASSERT_EQUAL(port_up(p1, false, false), TEST_SUCCESS,
			  "set up and started after the outcome");
	TEST_ASSERT_EQUAL(test_traffic(mp, p1, p1, BURST), TEST_SUCCESS, "traffic");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	return hca_down();
}

/*
 * Item 6, failure in both modes: the announcement, RECOVERY_FAILED, then
 * INTR_RMV (removal events enabled). Passive mode raised only INTR_RMV.
 */
static int
test_events_failure(void)
{
	TEST_ASSERT_EQUAL(hca_up("wire=loopback,recovery_attempts=1"),
			  TEST_SUCCESS, "probe");
	TEST_ASSERT_EQUAL(port_up(p1, true, false), TEST_SUCCESS, "up");
	TEST_ASSERT_EQUAL(make_fail(p1, false), TEST_SUCCESS, "failed");
	TEST_ASSERT_EQUAL(ev_wait(p1, RTE_ETH_EVENT_INTR_RMV, 1),
			  TEST_SUCCESS, "removal");
	TEST_ASSERT_EQUAL(ev_expect(p1, true, 1, 0, 1), TEST_SUCCESS,
			  "proactive grammar");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	TEST_ASSERT_EQUAL(hca_down(), TEST_SUCCESS, "down");

	TEST_ASSERT_EQUAL(hca_up("wire=loopback,recovery=passive,recovery_attempts=1"),
			  TEST_SUCCESS, "probe passive");
	TEST_ASSERT_EQUAL(port_up(p1, true, false), TEST_SUCCESS, "up");
	TEST_ASSERT_EQUAL(make_fail(p1, true), TEST_SUCCESS, "fault");
	TEST_ASSERT_EQUAL(ev_wait(p1, RTE_ETH_EVENT_INTR_RESET, 1),
			  TEST_SUCCESS, "announced");
	rte_eth_dev_reset(p1); /* the ack; its errno: the errno walk */
	TEST_ASSERT_EQUAL(wait_phase(p1, RTE_PMD_MLX4R_RESET_FAILED, 1),
			  TEST_SUCCESS, "failed");
	TEST_ASSERT_EQUAL(ev_wait(p1, RTE_ETH_EVENT_INTR_RMV, 1),
			  TEST_SUCCESS, "removal");
	TEST_ASSERT_EQUAL(ev_expect(p1, false, 1, 0, 1), TEST_SUCCESS,
			  "passive grammar");
	return hca_down();
}

/*
 * Item 6, a quiescence timeout (an lcore stays inside a burst) during a
 * fault's reset: announced, then RECOVERY_FAILED, in both modes (before:
 * proactive raised RECOVERY_FAILED with no ERR_RECOVERING, passive
 * nothing). The device was left as it was; once the lcore is out, an
 * operator's reset from FAILED brings it back, announced again.
 */
static int
test_events_quiescence_timeout(void)
{
	static const char * const args[] = {
		"wire=loopback,reset_deadline_ms=100",
		"wire=loopback,reset_deadline_ms=100,recovery=passive",
	};
	struct rte_pmd_mlx4r_reset_state st;
	unsigned int m;

	for (m = 0; m < RTE_DIM(args); m++) {
		bool proactive = m == 0;

		TEST_ASSERT_EQUAL(hca_up(args[m]), TEST_SUCCESS, "probe");
		TEST_ASSERT_EQUAL(port_up(p1, false, false), TEST_SUCCESS,
				  "up");
		stick(p1, true);
		TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_inject_fault(p1,
				    RTE_PMD_MLX4R_FAULT_FATAL, 0), "fatal");
		TEST_ASSERT_EQUAL(wait_phase(p1, RTE_PMD_MLX4R_RESET_FAILED,
					     1), TEST_SUCCESS, "failed");
		TEST_ASSERT_EQUAL(ev_wait(p1, RTE_ETH_EVENT_RECOVERY_FAILED, 1),
				  TEST_SUCCESS, "outcome");
		TEST_ASSERT_EQUAL(ev_expect(p1, proactive, 1, 0, 1),
				  TEST_SUCCESS, "announced before it failed");
		st = state_of(p1);
		TEST_ASSERT_EQUAL_U(st.late_clients, 1, "late port counted");
		stick(p1, false);
		TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_reset(p1), "operator");
		if (!proactive) {
			TEST_ASSERT_EQUAL(ev_wait(p1, RTE_ETH_EVENT_INTR_RESET,
						  2), TEST_SUCCESS, "again");
			TEST_ASSERT_SUCCESS(rte_eth_dev_reset(p1), "ack");
		}
		TEST_ASSERT_EQUAL(wait_phase(p1, RTE_PMD_MLX4R_RESET_LIVE, 2),
				  TEST_SUCCESS, "back");
		TEST_ASSERT_EQUAL(ev_wait(p1, RTE_ETH_EVENT_RECOVERY_SUCCESS,
					  1), TEST_SUCCESS, "outcome");
		TEST_ASSERT_EQUAL(ev_expect(p1, proactive, 2, 1, 1),
				  TEST_SUCCESS, "two rounds");
		if (!proactive)
			TEST_ASSERT_EQUAL(port_up(p1, false, false),
					  TEST_SUCCESS, "up again");
		TEST_ASSERT_EQUAL(test_traffic(mp, p1, p1, BURST), TEST_SUCCESS,
				  "traffic");
		TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
		TEST_ASSERT_EQUAL(hca_down(), TEST_SUCCESS, "down");
	}
	return TEST_SUCCESS;
}

/*
 * Item 6: an operator's reset of a working device that cannot be carried
 * out (quiescence not proven by the deadline) is cancelled: no event, the
 * device stays LIVE at its generation and keeps forwarding; counted in
 * cancelled. Before, the healthy device ended FAILED.
 */
static int
test_events_operator_cancelled(void)
{
	struct rte_pmd_mlx4r_reset_state st;
	unsigned int i;

	TEST_ASSERT_EQUAL(hca_up("wire=loopback,reset_deadline_ms=100"),
			  TEST_SUCCESS, "probe");
	TEST_ASSERT_EQUAL(port_up(p1, false, false), TEST_SUCCESS, "up");
	stick(p1, true);
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_reset(p1), "operator");
	for (i = 0; i < WAIT_MS && state_of(p1).cancelled == 0; i++)
		rte_delay_us_sleep(1000);
	stick(p1, false);
	st = state_of(p1);
	TEST_ASSERT_EQUAL_U(st.cancelled, 1, "cancelled");
	TEST_ASSERT_EQUAL(st.phase, RTE_PMD_MLX4R_RESET_LIVE, "live");
	TEST_ASSERT_EQUAL(st.generation, 1, "not reset");
	TEST_ASSERT_EQUAL_U(st.started, 1, "started");
	TEST_ASSERT_EQUAL_U(st.failed + st.succeeded, 0, "no other outcome");
	TEST_ASSERT_EQUAL_U(st.late_clients, 1, "late port counted");
	TEST_ASSERT_EQUAL(test_ev_n(), 0, "no event");
	TEST_ASSERT_EQUAL(test_traffic(mp, p1, p1, BURST), TEST_SUCCESS,
			  "the port works on");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	return hca_down();
}

/*
 * Item 6: recovering from FAILED restarts the ports that were started
 * when the device failed (before: RECOVERY_SUCCESS, started in ethdev,
 * stopped in the driver, no traffic), but not one the application
 * stopped meanwhile.
 */
static int
test_events_recover_from_failed(void)
{
	struct rte_eth_link link;

	TEST_ASSERT_EQUAL(hca_up("ports=2,wire=xconnect,recovery_attempts=1"),
			  TEST_SUCCESS, "probe");
	TEST_ASSERT_EQUAL(port_up(p1, false, false), TEST_SUCCESS, "up 1");
	TEST_ASSERT_EQUAL(port_up(p2, false, false), TEST_SUCCESS, "up 2");
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_inject_fault(p1,
			    RTE_PMD_MLX4R_FAULT_REINIT_FAIL, 1), "reinit");
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_inject_fault(p1,
			    RTE_PMD_MLX4R_FAULT_FATAL, 0), "fatal");
	TEST_ASSERT_EQUAL(wait_phase(p1, RTE_PMD_MLX4R_RESET_FAILED, 1),
			  TEST_SUCCESS, "failed");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p2), "port 2 stopped in FAILED");
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_reset(p1), "operator");
	TEST_ASSERT_EQUAL(wait_phase(p1, RTE_PMD_MLX4R_RESET_LIVE, 2),
			  TEST_SUCCESS, "back");
	TEST_ASSERT_EQUAL(ev_wait(p1, RTE_ETH_EVENT_RECOVERY_SUCCESS, 1),
			  TEST_SUCCESS, "outcome 1");
	TEST_ASSERT_EQUAL(ev_wait(p2, RTE_ETH_EVENT_RECOVERY_SUCCESS, 1),
			  TEST_SUCCESS, "outcome 2");
	TEST_ASSERT_EQUAL(ev_expect(p1, true, 2, 1, 1), TEST_SUCCESS, "p1");
	TEST_ASSERT_EQUAL(ev_expect(p2, true, 2, 1, 1), TEST_SUCCESS, "p2");
	TEST_ASSERT_SUCCESS(rte_eth_link_get_nowait(p1, &link), "link");
	TEST_ASSERT_EQUAL(link.link_status, RTE_ETH_LINK_UP,
			  "port 1 restarted: link up");
	TEST_ASSERT_EQUAL(rte_eth_devices[p2].data->dev_started, 0,
			  "port 2 stays stopped");
	TEST_ASSERT_SUCCESS(rte_eth_dev_start(p2), "start port 2");
	TEST_ASSERT_EQUAL(test_traffic(mp, p1, p2, BURST), TEST_SUCCESS, "1 -> 2");
	TEST_ASSERT_EQUAL(test_traffic(mp, p2, p1, BURST), TEST_SUCCESS, "2 -> 1");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p2), "stop");
	return hca_down();
}

/*
 * Items 6 and 7: a fault of the new context while REINIT builds it. It is
 * posted while the slow firmware reset holds REINIT open, before the new
 * interrupt handler is installed: it restarts the attempt (before, the
 * request word was cleared after that install and the fault was merged
 * away), without a second announcement; with no attempt left the reset
 * fails (before, the fault was dropped and the device declared live).
 */
static int
test_events_fault_during_reinit(void)
{
	static const char * const args[] = {
		"wire=loopback",
		"wire=loopback,recovery_attempts=1",
	};
	struct rte_pmd_mlx4r_reset_state st;
	unsigned int m;

	for (m = 0; m < RTE_DIM(args); m++) {
		bool last = m == 1;

		TEST_ASSERT_EQUAL(hca_up(args[m]), TEST_SUCCESS, "probe");
		TEST_ASSERT_EQUAL(port_up(p1, false, false), TEST_SUCCESS,
				  "up");
		/* REINIT until released: the device held in its error */
		TEST_ASSERT_EQUAL(test_device_hold(HCA, true), TEST_SUCCESS,
				  "hold");
		TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_inject_fault(p1,
				    RTE_PMD_MLX4R_FAULT_FATAL, 0), "fatal");
		TEST_ASSERT_EQUAL(wait_phase(p1, RTE_PMD_MLX4R_RESET_REINIT, 1),
				  TEST_SUCCESS, "reinit");
		/* as the new context's handler would: a queue error */
		mlx4r_reset_post(dev_of(p1), MLX4R_REQ_QUEUE);
		TEST_ASSERT_EQUAL(test_device_hold(HCA, false), TEST_SUCCESS,
				  "release");
		TEST_ASSERT_EQUAL(wait_phase(p1, last ?
					     RTE_PMD_MLX4R_RESET_FAILED :
					     RTE_PMD_MLX4R_RESET_LIVE, 1),
				  TEST_SUCCESS, "end");
		TEST_ASSERT_EQUAL(ev_wait(p1, last ?
					  RTE_ETH_EVENT_RECOVERY_FAILED :
					  RTE_ETH_EVENT_RECOVERY_SUCCESS, 1),
				  TEST_SUCCESS, "outcome");
		st = state_of(p1);
		TEST_ASSERT_EQUAL_U(st.restarts, last ? 0 : 1,
				    "the fault restarted the attempt");
		TEST_ASSERT_EQUAL(st.generation, last ? 1 : 2, "generation");
		TEST_ASSERT_EQUAL(ev_expect(p1, true, 1, last ? 0 : 1,
					    last ? 1 : 0), TEST_SUCCESS,
				  "one announcement, one outcome");
		if (!last)
			TEST_ASSERT_EQUAL(test_traffic(mp, p1, p1, BURST), TEST_SUCCESS,
					  "traffic");
		TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
		TEST_ASSERT_EQUAL(hca_down(), TEST_SUCCESS, "down");
	}
	return TEST_SUCCESS;
}

/*
 * Item 6: a close during a reset ends the port's events: after the
 * announcement, DESTROY and no outcome (passive, nobody acknowledges).
 */
static int
test_events_close_during_reset(void)
{
	TEST_ASSERT_EQUAL(hca_up("wire=loopback,recovery=passive,"
				 "reset_deadline_ms=10000"),
			  TEST_SUCCESS, "probe");
	TEST_ASSERT_EQUAL(port_up(p1, false, false), TEST_SUCCESS, "up");
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_inject_fault(p1,
			    RTE_PMD_MLX4R_FAULT_FATAL, 0), "fatal");
	TEST_ASSERT_EQUAL(ev_wait(p1, RTE_ETH_EVENT_INTR_RESET, 1),
			  TEST_SUCCESS, "announced");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	TEST_ASSERT_EQUAL(hca_down(), TEST_SUCCESS, "close wins");
	TEST_ASSERT_EQUAL(test_ev_count(p1, RTE_ETH_EVENT_DESTROY), 1, "closed");
	return ev_expect(p1, false, 1, 0, 0);
}

/*
 * Item 8: in passive mode rte_eth_dev_reset() is the acknowledgement and
 * returns at once, even for the last port (it waited for the device to
 * come back, up to reset_deadline_ms + 10 s: a control thread resetting
 * ports one by one, lib/resetcoord's, was held that long); set-up and start say
 * -EAGAIN until RECOVERY_SUCCESS, then work.
 */
static int
test_passive_ack_returns_at_once(void)
{
	struct rte_pmd_mlx4r_reset_state st;

	TEST_ASSERT_EQUAL(hca_up("wire=loopback,recovery=passive"),
			  TEST_SUCCESS, "probe");
	TEST_ASSERT_EQUAL(port_up(p1, false, false), TEST_SUCCESS, "up");
	/* the device held in its error: back only when released */
	TEST_ASSERT_EQUAL(test_device_hold(HCA, true), TEST_SUCCESS, "hold");
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_inject_fault(p1,
			    RTE_PMD_MLX4R_FAULT_FATAL, 0), "fatal");
	TEST_ASSERT_EQUAL(ev_wait(p1, RTE_ETH_EVENT_INTR_RESET, 1),
			  TEST_SUCCESS, "announced");
	TEST_ASSERT_SUCCESS(rte_eth_dev_reset(p1), "the last port's ack");
	st = state_of(p1);
	TEST_ASSERT(st.phase != RTE_PMD_MLX4R_RESET_LIVE && st.generation == 1,
		    "returned before the device was back (phase %d)",
		    st.phase);
	TEST_ASSERT_EQUAL(port_conf(p1, 1, false, false), -EAGAIN,
			  "set-up until the device is back");
	TEST_ASSERT_EQUAL(test_device_hold(HCA, false), TEST_SUCCESS,
			  "release");
	TEST_ASSERT_EQUAL(ev_wait(p1, RTE_ETH_EVENT_RECOVERY_SUCCESS, 1),
			  TEST_SUCCESS, "back");
	TEST_ASSERT_EQUAL(port_up(p1, false, false), TEST_SUCCESS,
			  "set up and started after the outcome");
	TEST_ASSERT_EQUAL(test_traffic(mp, p1, p1, BURST), TEST_SUCCESS, "traffic");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	return hca_down();
}

/*
 * Item 8: in passive mode, calls on a port the application has not reset
 * yet are refused with -EBUSY, as documented (the gate let configuration
 * calls through in software on any stopped port, and answered -EAGAIN to
 * set-up and start); on a port it reset, configuration is software only
 * and set-up and start say -EAGAIN.
 */
static int
test_passive_unacked_port_refuses(void)
{
	struct rte_eth_conf conf;

	memset(&conf, 0, sizeof(conf));
	TEST_ASSERT_EQUAL(hca_up("ports=2,wire=xconnect,recovery=passive,"
				 "reset_deadline_ms=10000"),
			  TEST_SUCCESS, "probe");
	TEST_ASSERT_EQUAL(port_up(p1, false, false), TEST_SUCCESS, "up 1");
	TEST_ASSERT_EQUAL(port_up(p2, false, false), TEST_SUCCESS, "up 2");
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_inject_fault(p1,
			    RTE_PMD_MLX4R_FAULT_FATAL, 0), "fatal");
	TEST_ASSERT_EQUAL(ev_wait(p2, RTE_ETH_EVENT_INTR_RESET, 1),
			  TEST_SUCCESS, "announced");
	/* port 2: stopped, not reset */
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p2), "stop 2");
	TEST_ASSERT_EQUAL(rte_eth_promiscuous_enable(p2), -EBUSY, "promisc");
	TEST_ASSERT_EQUAL(rte_eth_dev_set_mtu(p2, 1400), -EBUSY, "mtu");
	TEST_ASSERT_EQUAL(rte_eth_rx_queue_setup(p2, 0, NB_DESC, SOCKET_ID_ANY,
						 NULL, mp), -EBUSY, "rxq");
	TEST_ASSERT_EQUAL(rte_eth_dev_start(p2), -EBUSY, "start");
	TEST_ASSERT_EQUAL(rte_eth_dev_configure(p2, 1, 1, &conf), -EBUSY,
			  "configure");
	/* port 1: reset */
	TEST_ASSERT_SUCCESS(rte_eth_dev_reset(p1), "ack 1");
	TEST_ASSERT_SUCCESS(rte_eth_dev_configure(p1, 1, 1, &conf),
			    "configure: software only");
	TEST_ASSERT_SUCCESS(rte_eth_promiscuous_enable(p1), "promisc: soft");
	TEST_ASSERT_EQUAL(rte_eth_rx_queue_setup(p1, 0, NB_DESC, SOCKET_ID_ANY,
						 NULL, mp), -EAGAIN, "rxq");
	TEST_ASSERT_EQUAL(rte_eth_dev_start(p1), -EAGAIN, "start");
	TEST_ASSERT_SUCCESS(rte_eth_dev_reset(p2), "ack 2");
	TEST_ASSERT_EQUAL(ev_wait(p2, RTE_ETH_EVENT_RECOVERY_SUCCESS, 1),
			  TEST_SUCCESS, "back");
	TEST_ASSERT_EQUAL(port_up(p1, false, false), TEST_SUCCESS, "up 1");
	TEST_ASSERT_EQUAL(port_up(p2, false, false), TEST_SUCCESS, "up 2");
	TEST_ASSERT_EQUAL(rte_eth_promiscuous_get(p1), 1,
			  "promiscuous applied at start");
	TEST_ASSERT_EQUAL(test_traffic(mp, p1, p2, BURST), TEST_SUCCESS, "traffic");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p2), "stop");
	return hca_down();
}

/*
 * Item 8: a refused rte_eth_dev_reset() changes nothing: during a
 * proactive reset (-EBUSY) and once FAILED (-EIO) the port keeps its
 * queues (they were released before the refusal; after the reset, a
 * start without set-up then failed with -EINVAL).
 */
static int
test_refused_dev_reset_keeps_queues(void)
{
	struct rte_eth_dev_data *data;

	TEST_ASSERT_EQUAL(hca_up("wire=loopback,recovery_attempts=1"),
			  TEST_SUCCESS, "probe");
	TEST_ASSERT_EQUAL(port_up(p1, false, false), TEST_SUCCESS, "up");
	data = rte_eth_devices[p1].data;
	TEST_ASSERT_EQUAL(test_device_hold(HCA, true), TEST_SUCCESS, "hold");
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_inject_fault(p1,
			    RTE_PMD_MLX4R_FAULT_FATAL, 0), "fatal");
	TEST_ASSERT_EQUAL(wait_phase(p1, RTE_PMD_MLX4R_RESET_REINIT, 1),
			  TEST_SUCCESS, "reinit");
	/* ethdev stops the port first: that always works */
	TEST_ASSERT_EQUAL(rte_eth_dev_reset(p1), -EBUSY, "proactive");
	TEST_ASSERT_NOT_NULL(data->rx_queues[0], "Rx queue kept");
	TEST_ASSERT_NOT_NULL(data->tx_queues[0], "Tx queue kept");
	TEST_ASSERT_EQUAL(test_device_hold(HCA, false), TEST_SUCCESS,
			  "release");
	TEST_ASSERT_EQUAL(wait_phase(p1, RTE_PMD_MLX4R_RESET_LIVE, 2),
			  TEST_SUCCESS, "back");
	TEST_ASSERT_SUCCESS(rte_eth_dev_start(p1), "start, no set-up needed");
	TEST_ASSERT_EQUAL(test_traffic(mp, p1, p1, BURST), TEST_SUCCESS, "traffic");
	TEST_ASSERT_EQUAL(make_fail(p1, false), TEST_SUCCESS, "failed");
	TEST_ASSERT_EQUAL(rte_eth_dev_reset(p1), -EIO, "FAILED");
	TEST_ASSERT_NOT_NULL(data->rx_queues[0], "Rx queue kept");
	TEST_ASSERT_NOT_NULL(data->tx_queues[0], "Tx queue kept");
	return hca_down();
}

/* Is the HCA of @p port still in phase @p ph of its first reset? */
static bool
still_in(uint16_t port, enum rte_pmd_mlx4r_reset_phase ph)
{
	struct rte_pmd_mlx4r_reset_state st = state_of(port);

	return st.phase == ph && st.generation == 1;
}

/*
 * Item 8: no control call waits for a phase. BARRED held by an lcore
 * inside a burst (the control thread held the control lock through the
 * whole wait, up to reset_deadline_ms), REINIT held by a slow firmware
 * reset (the open of the device ran under the control lock: 200-400 ms in
 * the fault campaign): the calls return while the phase is still on.
 */
static int
test_calls_do_not_wait_for_a_phase(void)
{
	struct rte_eth_stats stats;
	struct rte_eth_link link;

	TEST_ASSERT_EQUAL(hca_up("ports=2,wire=xconnect,"
				 "reset_deadline_ms=2000"),
			  TEST_SUCCESS, "probe");
	TEST_ASSERT_EQUAL(port_up(p1, false, false), TEST_SUCCESS, "up 1");
	TEST_ASSERT_EQUAL(port_up(p2, false, false), TEST_SUCCESS, "up 2");
	stick(p2, true);
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_inject_fault(p1,
			    RTE_PMD_MLX4R_FAULT_FW_RESET_SLOW, 1000), "slow");
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_inject_fault(p1,
			    RTE_PMD_MLX4R_FAULT_FATAL, 0), "fatal");
	TEST_ASSERT_EQUAL(wait_phase(p1, RTE_PMD_MLX4R_RESET_BARRED, 1),
			  TEST_SUCCESS, "barred");
	TEST_ASSERT_SUCCESS(rte_eth_stats_get(p1, &stats), "stats");
	TEST_ASSERT_EQUAL(rte_eth_promiscuous_enable(p1), -EBUSY, "promisc");
	TEST_ASSERT_SUCCESS(rte_eth_link_get_nowait(p1, &link), "link");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop of a quiescent port");
	TEST_ASSERT(still_in(p1, RTE_PMD_MLX4R_RESET_BARRED),
		    "the calls waited for BARRED to end");
	stick(p2, false);
	TEST_ASSERT_EQUAL(wait_phase(p1, RTE_PMD_MLX4R_RESET_REINIT, 1),
			  TEST_SUCCESS, "reinit");
	TEST_ASSERT_SUCCESS(rte_eth_stats_get(p2, &stats), "stats");
	TEST_ASSERT_EQUAL(rte_eth_dev_set_mtu(p2, 1400), -EBUSY, "mtu");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p2), "stop");
	TEST_ASSERT_EQUAL(rte_eth_dev_start(p2), -EBUSY, "start");
	TEST_ASSERT(still_in(p1, RTE_PMD_MLX4R_RESET_REINIT),
		    "the calls waited for REINIT to end");
	TEST_ASSERT_EQUAL(wait_phase(p1, RTE_PMD_MLX4R_RESET_LIVE, 2),
			  TEST_SUCCESS, "back");
	TEST_ASSERT_SUCCESS(rte_eth_dev_start(p1), "start 1");
	TEST_ASSERT_SUCCESS(rte_eth_dev_start(p2), "start 2");
	TEST_ASSERT_EQUAL(test_traffic(mp, p1, p2, BURST), TEST_SUCCESS, "traffic");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p2), "stop");
	return hca_down();
}

/* A thread that closes a port (and says when it is done). */
static void *
close_thread(void *arg)
{
	uint16_t port = *(uint16_t *)arg;

	rte_eth_dev_close(port);
	return NULL;
}

/*
 * Item 7: a passive acknowledgement wakes the control thread even when a
 * close waits on the same condition variable (mlx4r_raise_fence(): the
 * port's LSC callback still runs on the interrupt thread). The wake-up
 * was a pthread_cond_signal(), which woke the older waiter, the close,
 * and left the control thread asleep until the acknowledgement deadline
 * (here 30 s); a broadcast wakes both.
 */
static int
test_ack_wakes_control_thread(void)
{
	struct mlx4r_reset *rst;
	pthread_t t;
	unsigned int i;
	int ret;

	TEST_ASSERT_EQUAL(hca_up("wire=loopback,recovery=passive,"
				 "reset_deadline_ms=30000"),
			  TEST_SUCCESS, "probe");
	TEST_ASSERT_EQUAL(port_up(p1, false, true), TEST_SUCCESS, "up");
	rst = dev_of(p1)->reset;
	/* the interrupt thread held inside the port's LSC callback */
	cb_arm(RTE_ETH_EVENT_INTR_LSC, CB_HOLD, 0);
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_inject_fault(p1,
			    RTE_PMD_MLX4R_FAULT_LINK_FLAP, 50), "flap");
	TEST_ASSERT(cb_wait_done(), "LSC callback running");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	/* a close that waits for that callback, on rq_cond */
	TEST_ASSERT_SUCCESS(pthread_create(&t, NULL, close_thread, &p1),
			    "thread");
	for (i = 0; i < WAIT_MS && __atomic_load_n(&rst->open_devs[0],
						   __ATOMIC_RELAXED) != NULL;
	     i++)
		rte_delay_us_sleep(1000);
	rte_delay_us_sleep(20000); /* now inside pthread_cond_wait() */
	/* a reset: the control thread waits for the acknowledgement */
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_reset(p1), "request");
	TEST_ASSERT_EQUAL(wait_phase(p1, RTE_PMD_MLX4R_RESET_DRAINING, 1),
			  TEST_SUCCESS, "draining");
	rte_delay_us_sleep(20000);
	ret = rte_eth_dev_reset(p1);
	/* woken: past DRAINING, RESETTING waits for the LSC callback */
	if (ret == 0)
		ret = wait_phase(p1, RTE_PMD_MLX4R_RESET_RESETTING, 1);
	/* the close finishes once the callback returns, in any case */
	__atomic_store_n(&cb.release, true, __ATOMIC_RELEASE);
	TEST_ASSERT_SUCCESS(pthread_join(t, NULL), "close done");
	TEST_ASSERT_SUCCESS(ret, "the acknowledgement was seen at once");
	return hca_down();
}

/*
 * A passive reset of two ports: port 1 acknowledges, port 2 is closed
 * without acknowledging. The device is reset as soon as every port still
 * there acknowledged: the close wakes the control thread waiting for the
 * acknowledgements (mlx4r_wait_acks()), which slept until
 * reset_deadline_ms (here 30 s) before. Found by the model
 * (drivers/net/mlx4r/model/ports.pml, variant CLOSE_NO_WAKE).
 */
static int
test_close_wakes_ack_wait(void)
{
	struct rte_pmd_mlx4r_reset_state st;

	TEST_ASSERT_EQUAL(hca_up("ports=2,wire=xconnect,recovery=passive,"
				 "reset_deadline_ms=30000"),
			  TEST_SUCCESS, "probe");
	TEST_ASSERT_EQUAL(port_up(p1, false, false), TEST_SUCCESS, "up 1");
	TEST_ASSERT_EQUAL(port_up(p2, false, false), TEST_SUCCESS, "up 2");
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_reset_state_get(p1, &st), "state");
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_reset(p1), "request");
	TEST_ASSERT_EQUAL(wait_phase(p1, RTE_PMD_MLX4R_RESET_DRAINING,
				     st.generation), TEST_SUCCESS, "draining");
	TEST_ASSERT_SUCCESS(rte_eth_dev_reset(p1), "port 1 acknowledges");
	/* the control thread sees port 2's missing and sleeps again */
	rte_delay_us_sleep(20000);
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p2), "stop 2");
	TEST_ASSERT_SUCCESS(rte_eth_dev_close(p2), "close 2, unacknowledged");
	/* within WAIT_MS, not at the deadline */
	TEST_ASSERT_EQUAL(wait_phase(p1, RTE_PMD_MLX4R_RESET_LIVE,
				     st.generation + 1), TEST_SUCCESS,
			  "reset once every port left acknowledged");
	return hca_down();
}

/*
 * Items 7 and 8: the public calls of a port its close is releasing. From
 * the port's DESTROY callback (rte_eth_dev_release_port(), after the
 * driver's close) the port was still valid for ethdev but had left its
 * device: rte_pmd_mlx4r_port_info_get() dereferenced port->dev (NULL), and
 * the same calls racing a close on another thread read the freed, zeroed
 * port (port_num 0: index -1 of the per-port reset array, UBSan in the
 * fault campaign). Now the calls find a port only while it is in the
 * driver's table, and a close waits for the calls using it.
 */
static int
test_public_calls_of_a_closing_port(void)
{
	struct rte_pmd_mlx4r_port_info info;
	unsigned int i;

	TEST_ASSERT_EQUAL(hca_up("ports=2,wire=xconnect"), TEST_SUCCESS,
			  "probe");
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_port_info_get(p1, &info), "info");
	TEST_ASSERT_EQUAL(info.peer_port_id, p2, "peer");
	cb_arm(RTE_ETH_EVENT_DESTROY, CB_PUBLIC, 0);
	TEST_ASSERT_SUCCESS(rte_eth_dev_close(p2), "close port 2");
	TEST_ASSERT(cb_wait_done(), "DESTROY callback");
	for (i = 0; i < RTE_DIM(cb.ret); i++)
		TEST_ASSERT_EQUAL(cb.ret[i], -ENOTSUP,
				  "public call %u on the port being released",
				  i);
	TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_port_info_get(p1, &info), "info");
	TEST_ASSERT_EQUAL(info.peer_port_id, UINT16_MAX, "no peer any more");
	/* the last port: its device is freed before DESTROY */
	cb_arm(RTE_ETH_EVENT_DESTROY, CB_PUBLIC, 0);
	TEST_ASSERT_EQUAL(hca_down(), TEST_SUCCESS, "remove");
	TEST_ASSERT(cb_wait_done(), "DESTROY callback");
	for (i = 0; i < RTE_DIM(cb.ret); i++)
		TEST_ASSERT_EQUAL(cb.ret[i], -ENOTSUP,
				  "public call %u on the last port", i);
	return TEST_SUCCESS;
}

static bool race_quit;
static uint64_t race_calls;

/* The public calls on every port id, as fast as possible. */
static void *
race_thread(void *arg)
{
	struct rte_pmd_mlx4r_reset_state st;
	struct rte_pmd_mlx4r_port_info info;
	uint16_t port;

	RTE_SET_USED(arg);
	while (!__atomic_load_n(&race_quit, __ATOMIC_ACQUIRE)) {
		for (port = 0; port < 4; port++) {
			rte_pmd_mlx4r_reset_state_get(port, &st);
			rte_pmd_mlx4r_port_info_get(port, &info);
			race_calls++;
		}
	}
	return NULL;
}

/*
 * Items 7 and 8, under the sanitizers: the public calls on another thread
 * while the ports are closed, during resets and not (the UBSan report of
 * the fault campaign: index -1 of the per-port reset array, a freed and
 * zeroed port). Not a proof (a race); the DESTROY case above is the
 * deterministic one.
 */
static int
test_public_calls_race_close(void)
{
	unsigned int i;
	pthread_t t;

	__atomic_store_n(&race_quit, false, __ATOMIC_RELAXED);
	race_calls = 0;
	TEST_ASSERT_SUCCESS(pthread_create(&t, NULL, race_thread, NULL),
			    "thread");
	for (i = 0; i < 40; i++) {
		if (hca_up(i % 2 ? "ports=2,wire=xconnect" :
			   "ports=2,wire=xconnect,recovery=passive") !=
		    TEST_SUCCESS)
			break;
		if (i % 4 < 2)
			rte_pmd_mlx4r_reset(p1);
		rte_delay_us_sleep((i * 7919) % 2000);
		if (i % 3 == 0)
			rte_eth_dev_close(p2);
		if (hca_down() != TEST_SUCCESS)
			break;
	}
	__atomic_store_n(&race_quit, true, __ATOMIC_RELEASE);
	TEST_ASSERT_SUCCESS(pthread_join(t, NULL), "join");
	TEST_ASSERT_EQUAL(i, 40, "probe/close cycle %u failed", i);
	printf("  %u probe/close cycles, %" PRIu64 " rounds of public calls\n",
	       i, race_calls);
	return TEST_SUCCESS;
}

/* A telemetry command through the process's own telemetry socket. */
static int
telemetry(const char *cmd, char *out, size_t len)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 5 };
	ssize_t n;
	int s;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/dpdk_telemetry.v2",
		 rte_eal_get_runtime_dir());
	s = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	if (s < 0)
		return -errno;
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(s, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    read(s, out, len) <= 0 ||      /* the greeting */
	    write(s, cmd, strlen(cmd)) < 0) {
		close(s);
		return -EIO;
	}
	n = read(s, out, len - 1);
	close(s);
	if (n <= 0)
		return -ETIMEDOUT;
	out[n] = '\0';
	return 0;
}

static bool stop_done;

/* Let the "lcore" out of its burst after 8 s, whatever the case does. */
static void *
unstick_thread(void *arg)
{
	unsigned int i;

	for (i = 0; i < 8000 && !__atomic_load_n(&stop_done,
						 __ATOMIC_ACQUIRE); i++)
		rte_delay_us_sleep(1000);
	__atomic_store_n((uint8_t *)arg, 0, __ATOMIC_RELEASE);
	return NULL;
}

static void *
stop_thread(void *arg)
{
	rte_eth_dev_stop(*(uint16_t *)arg);
	__atomic_store_n(&stop_done, true, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * Item 7: telemetry's /mlx4r/history and the injection of a device fault
 * never wait for the control lock. A stop of a port an lcore is inside a
 * burst of holds that lock until the lcore leaves (it must not free
 * anything under it); history copied its records under it, and every
 * injection took it: both returned only when the stop did.
 */
static int
test_telemetry_does_not_wait(void)
{
	char out[4096], cmd[64];
	pthread_t t, w;
	int ret, ret2;

	TEST_ASSERT_EQUAL(hca_up("wire=loopback"), TEST_SUCCESS, "probe");
	TEST_ASSERT_EQUAL(port_up(p1, false, false), TEST_SUCCESS, "up");
	stick(p1, true);
	__atomic_store_n(&stop_done, false, __ATOMIC_RELAXED);
	/* a watchdog, so that a call that waits fails instead of hanging */
	TEST_ASSERT_SUCCESS(pthread_create(&w, NULL, unstick_thread, stuck),
			    "watchdog");
	TEST_ASSERT_SUCCESS(pthread_create(&t, NULL, stop_thread, &p1),
			    "thread");
	rte_delay_us_sleep(50000); /* the stop waits for the lcore */
	snprintf(cmd, sizeof(cmd), "/mlx4r/history,%u", p1);
	ret = telemetry(cmd, out, sizeof(out));
	ret2 = rte_pmd_mlx4r_inject_fault(p1, RTE_PMD_MLX4R_FAULT_LINK_FLAP,
					  10);
	TEST_ASSERT(!__atomic_load_n(&stop_done, __ATOMIC_ACQUIRE),
		    "answered only after the stop returned");
	stick(p1, false);
	TEST_ASSERT_SUCCESS(pthread_join(t, NULL), "stop done");
	TEST_ASSERT_SUCCESS(pthread_join(w, NULL), "watchdog done");
	TEST_ASSERT_SUCCESS(ret, "history answered: %s", out);
	TEST_ASSERT(strstr(out, "/mlx4r/history") != NULL,
		    "history reply: %s", out);
	TEST_ASSERT_SUCCESS(ret2, "fault injected");
	return hca_down();
}

/*
 * The errno table of doc/guides/nics/mlx4r_reset.rst ("What the control
 * path returns during a reset"), walked (brief A2 item 5): every row, in
 * every phase, in both modes, on a port the application has not reset
 * and (passive) on one it reset, each phase held open while the calls are
 * made, and each call returning while the phase is still on.
 */

/* The classes of rows of the table. */
enum walk_cls {
	W_ALWAYS,  /* always works: 0 */
	W_SOFT,    /* configuration: -EBUSY / passive reset port 0 / -EIO */
	W_SETUP,   /* queue set-up, start: -EBUSY / -EAGAIN / -EIO */
	W_RESET,   /* rte_eth_dev_reset(): -EBUSY / passive 0 / -EIO */
};

/* What the table says for a class, phase, mode and port. */
static int
walk_expect(enum walk_cls cls, enum rte_pmd_mlx4r_reset_phase ph,
	    bool proactive, bool acked)
{
	if (cls == W_ALWAYS || ph == RTE_PMD_MLX4R_RESET_LIVE)
		return 0;
	if (ph == RTE_PMD_MLX4R_RESET_FAILED)
		return -EIO;
	switch (cls) {
	case W_SOFT:
		return !proactive && acked ? 0 : -EBUSY;
	case W_SETUP:
		return !proactive && acked ? -EAGAIN : -EBUSY;
	default: /* W_RESET */
		return proactive ? -EBUSY : 0;
	}
}

static struct rte_ether_addr walk_mac = {{ 0x02, 0, 0, 0, 0x0e, 0x01 }};
static struct rte_ether_addr walk_mac2 = {{ 0x02, 0, 0, 0, 0x0e, 0x02 }};

static int op_info(uint16_t p) { struct rte_eth_dev_info i; return rte_eth_dev_info_get(p, &i); }
static int op_link(uint16_t p) { struct rte_eth_link l; return rte_eth_link_get_nowait(p, &l); }
static int op_stats(uint16_t p) { struct rte_eth_stats s; return rte_eth_stats_get(p, &s); }
static int op_stats_reset(uint16_t p) { return rte_eth_stats_reset(p); }
static int op_xstats_reset(uint16_t p) { return rte_eth_xstats_reset(p); }
static int op_promisc_off(uint16_t p) { return rte_eth_promiscuous_disable(p); }
static int op_allmulti_on(uint16_t p) { return rte_eth_allmulticast_enable(p); }
static int op_mac_add(uint16_t p) { return rte_eth_dev_mac_addr_add(p, &walk_mac2, 0); }
static int op_mac_remove(uint16_t p) { return rte_eth_dev_mac_addr_remove(p, &walk_mac); }
static int op_mtu(uint16_t p) { return rte_eth_dev_set_mtu(p, 1400); }
static int op_stop(uint16_t p) { return rte_eth_dev_stop(p); }
static int op_start(uint16_t p) { return rte_eth_dev_start(p); }
static int op_dev_reset(uint16_t p) { return rte_eth_dev_reset(p); }
static int op_close(uint16_t p) { return rte_eth_dev_close(p); }

static int
op_xstats(uint16_t p)
{
	struct rte_eth_xstat xs[64];
	int n = rte_eth_xstats_get(p, xs, RTE_DIM(xs));

	return n > 0 ? 0 : n;
}

static int
op_mac_set(uint16_t p)
{
	struct rte_ether_addr a;

	/* the address it has: a change the device must make, all the same */
	if (rte_eth_macaddr_get(p, &a) != 0)
		return -1;
	return rte_eth_dev_default_mac_addr_set(p, &a);
}

static int
op_reta_query(uint16_t p)
{
	struct rte_eth_rss_reta_entry64 r[1] = {{ .mask = UINT64_MAX }};

	return rte_eth_dev_rss_reta_query(p, r, 64);
}

static int
op_reta_update(uint16_t p)
{
	struct rte_eth_rss_reta_entry64 r[1] = {{ .mask = UINT64_MAX }};

	return rte_eth_dev_rss_reta_update(p, r, 64);
}

static int
op_rss_get(uint16_t p)
{
	struct rte_eth_rss_conf c = { .rss_key = NULL };

	return rte_eth_dev_rss_hash_conf_get(p, &c);
}

static int
op_rss_update(uint16_t p)
{
	struct rte_eth_rss_conf c = { .rss_hf = RTE_ETH_RSS_IPV4 };

	return rte_eth_dev_rss_hash_update(p, &c);
}

static int
op_rxq(uint16_t p)
{
	return rte_eth_rx_queue_setup(p, 0, NB_DESC, SOCKET_ID_ANY, NULL, mp);
}

static int
op_txq(uint16_t p)
{
	return rte_eth_tx_queue_setup(p, 0, NB_DESC, SOCKET_ID_ANY, NULL);
}

/* RSS mode: ethdev refuses RETA and hash updates without it (-ENOTSUP). */
static int
op_configure(uint16_t p)
{
	struct rte_eth_conf conf;

	memset(&conf, 0, sizeof(conf));
	conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
	conf.rx_adv_conf.rss_conf.rss_hf = RTE_ETH_RSS_IPV4;
	return rte_eth_dev_configure(p, 1, 1, &conf);
}

static int
op_pmd_state(uint16_t p)
{
	struct rte_pmd_mlx4r_reset_state st;

	return rte_pmd_mlx4r_reset_state_get(p, &st);
}

static int
op_pmd_info(uint16_t p)
{
	struct rte_pmd_mlx4r_port_info info;

	return rte_pmd_mlx4r_port_info_get(p, &info);
}

/* A request during a reset is merged into it (not made LIVE or FAILED). */
static int op_pmd_reset(uint16_t p) { return rte_pmd_mlx4r_reset(p); }

static const struct walk_op {
	const char *name;
	enum walk_cls cls;
	int (*fn)(uint16_t port);
	bool running_only; /* only while a reset runs (a request) */
} walk_ops[] = {
	/* on the started port */
	{ "info", W_ALWAYS, op_info, false },
	{ "link", W_ALWAYS, op_link, false },
	{ "stats", W_ALWAYS, op_stats, false },
	{ "xstats", W_ALWAYS, op_xstats, false },
	{ "stats_reset", W_ALWAYS, op_stats_reset, false },
	{ "xstats_reset", W_ALWAYS, op_xstats_reset, false },
	{ "reta_query", W_ALWAYS, op_reta_query, false },
	{ "rss_conf_get", W_ALWAYS, op_rss_get, false },
	{ "pmd_state_get", W_ALWAYS, op_pmd_state, false },
	{ "pmd_port_info_get", W_ALWAYS, op_pmd_info, false },
	{ "pmd_reset", W_ALWAYS, op_pmd_reset, true },
	/*
	 * ethdev answers 0 itself when a mode is already the one asked:
	 * promiscuous is on and all-multicast off when the walk begins.
	 */
	{ "promiscuous_disable", W_SOFT, op_promisc_off, false },
	{ "allmulticast_enable", W_SOFT, op_allmulti_on, false },
	{ "mac_addr_add", W_SOFT, op_mac_add, false },
	{ "mac_addr_set", W_SOFT, op_mac_set, false },
	{ "mtu_set", W_SOFT, op_mtu, false },
	{ "reta_update", W_SOFT, op_reta_update, false },
	{ "rss_hash_update", W_SOFT, op_rss_update, false },
	{ "mac_addr_remove", W_ALWAYS, op_mac_remove, false },
	{ "stop", W_ALWAYS, op_stop, false },
	/* on the stopped port: ethdev's own checks want it stopped */
	{ "rx_queue_setup", W_SETUP, op_rxq, false },
	{ "tx_queue_setup", W_SETUP, op_txq, false },
	{ "start", W_SETUP, op_start, false },
	{ "stop", W_ALWAYS, op_stop, false },
	{ "configure", W_SOFT, op_configure, false },
	{ "dev_reset", W_RESET, op_dev_reset, false },
};

/* After the passive acknowledgement: the port that was reset. */
static const struct walk_op walk_acked_ops[] = {
	{ "configure", W_SOFT, op_configure, false },
	{ "promiscuous_disable", W_SOFT, op_promisc_off, false },
	{ "allmulticast_enable", W_SOFT, op_allmulti_on, false },
	{ "mtu_set", W_SOFT, op_mtu, false },
	{ "rx_queue_setup", W_SETUP, op_rxq, false },
	{ "tx_queue_setup", W_SETUP, op_txq, false },
	{ "start", W_SETUP, op_start, false },
	{ "dev_reset", W_RESET, op_dev_reset, false },
};

static int
walk_one(const struct walk_op *op, enum rte_pmd_mlx4r_reset_phase ph,
	 bool proactive, bool acked, const char *mode)
{
	int want = walk_expect(op->cls, ph, proactive, acked);
	int got;

	if (op->running_only && (ph == RTE_PMD_MLX4R_RESET_LIVE ||
				 ph == RTE_PMD_MLX4R_RESET_FAILED))
		return TEST_SUCCESS;
	got = op->fn(p1);
	TEST_ASSERT_EQUAL(got, want, "%s, phase %d, %s%s: %s", mode, ph,
			  acked ? "port reset: " : "", op->name,
			  rte_strerror(-got));
	/* through the other port, which stays open (p1 is closed last) */
	TEST_ASSERT(ph == RTE_PMD_MLX4R_RESET_LIVE ||
		    state_of(p2).phase == ph,
		    "%s: %s returned after phase %d ended", mode, op->name,
		    ph);
	return TEST_SUCCESS;
}

/* How a case holds phase @p ph open, and releases it. */
static int
walk_hold(enum rte_pmd_mlx4r_reset_phase ph, bool proactive)
{
	switch (ph) {
	case RTE_PMD_MLX4R_RESET_BARRED:
		/* an lcore inside a burst of the other port */
		stick(p2, true);
		TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_reset(p1), "request");
		break;
	case RTE_PMD_MLX4R_RESET_DRAINING:
		/* passive: nobody acknowledges; proactive: a callback holds */
		if (proactive) {
			cb_arm(RTE_ETH_EVENT_ERR_RECOVERING, CB_HOLD, 0);
			cb.port = p2;
		}
		TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_reset(p1), "request");
		break;
	case RTE_PMD_MLX4R_RESET_RESETTING:
		/* the removal of the interrupt handler waits for this one */
		cb_arm(RTE_ETH_EVENT_INTR_LSC, CB_HOLD, 0);
		TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_inject_fault(p2,
				    RTE_PMD_MLX4R_FAULT_LINK_FLAP, 20), "flap");
		TEST_ASSERT(cb_wait_done(), "LSC callback held");
		TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_reset(p1), "request");
		break;
	case RTE_PMD_MLX4R_RESET_REINIT:
		TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_inject_fault(p1,
				    RTE_PMD_MLX4R_FAULT_FW_RESET_SLOW, 3000),
				    "slow");
		TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_inject_fault(p1,
				    RTE_PMD_MLX4R_FAULT_FATAL, 0), "fatal");
		break;
	case RTE_PMD_MLX4R_RESET_FAILED:
		TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_inject_fault(p1,
				    RTE_PMD_MLX4R_FAULT_REINIT_FAIL, 50), "reinit");
		TEST_ASSERT_SUCCESS(rte_pmd_mlx4r_inject_fault(p1,
				    RTE_PMD_MLX4R_FAULT_FATAL, 0), "fatal");
		break;
	default:
		return TEST_SUCCESS;
	}
	return wait_phase(p1, ph, 1);
}

static void
walk_release(void)
{
	if (stuck != NULL)
		__atomic_store_n(stuck, 0, __ATOMIC_RELEASE);
	stuck = NULL;
	__atomic_store_n(&cb.release, true, __ATOMIC_RELEASE);
}

static int
walk_phase(enum rte_pmd_mlx4r_reset_phase ph, bool proactive)
{
	const char *mode = proactive ? "proactive" : "passive";
	char args[160];
	unsigned int i;
	/* passive: past the acknowledgements on their deadline, unless held */
	unsigned int deadline = ph == RTE_PMD_MLX4R_RESET_BARRED ||
				ph == RTE_PMD_MLX4R_RESET_DRAINING ||
				proactive ? 10000 : 100;

	snprintf(args, sizeof(args),
		 "ports=2,wire=xconnect,recovery=%s,recovery_attempts=1,"
		 "reset_deadline_ms=%u", mode, deadline);
	TEST_ASSERT_EQUAL(hca_up(args), TEST_SUCCESS, "probe");
	TEST_ASSERT_SUCCESS(op_configure(p1), "configure 1");
	TEST_ASSERT_SUCCESS(op_rxq(p1), "rxq 1");
	TEST_ASSERT_SUCCESS(op_txq(p1), "txq 1");
	TEST_ASSERT_SUCCESS(rte_eth_dev_start(p1), "start 1");
	TEST_ASSERT_EQUAL(port_up(p2, false, true), TEST_SUCCESS, "up 2");
	TEST_ASSERT_SUCCESS(rte_eth_dev_mac_addr_add(p1, &walk_mac, 0),
			    "a MAC to remove");
	TEST_ASSERT_SUCCESS(rte_eth_promiscuous_enable(p1), "promiscuous on");
	TEST_ASSERT_EQUAL(walk_hold(ph, proactive), TEST_SUCCESS,
			  "%s: hold phase %d", mode, ph);
	for (i = 0; i < RTE_DIM(walk_ops); i++)
		TEST_ASSERT_EQUAL(walk_one(&walk_ops[i], ph, proactive, false,
					   mode), TEST_SUCCESS, "walk");
	/* passive during a reset: dev_reset was the acknowledgement */
	if (!proactive && ph != RTE_PMD_MLX4R_RESET_LIVE &&
	    ph != RTE_PMD_MLX4R_RESET_FAILED) {
		for (i = 0; i < RTE_DIM(walk_acked_ops); i++)
			TEST_ASSERT_EQUAL(walk_one(&walk_acked_ops[i], ph,
						   false, true, mode),
					  TEST_SUCCESS, "walk");
	}
	TEST_ASSERT_EQUAL(walk_one(&(const struct walk_op){ "close", W_ALWAYS,
				   op_close, false }, ph, proactive, false,
				   mode), TEST_SUCCESS, "close");
	walk_release();
	return hca_down();
}

static int
test_errno_table(void)
{
	static const enum rte_pmd_mlx4r_reset_phase phases[] = {
		RTE_PMD_MLX4R_RESET_LIVE,
		RTE_PMD_MLX4R_RESET_BARRED,
		RTE_PMD_MLX4R_RESET_DRAINING,
		RTE_PMD_MLX4R_RESET_RESETTING,
		RTE_PMD_MLX4R_RESET_REINIT,
		RTE_PMD_MLX4R_RESET_FAILED,
	};
	unsigned int m, i;

	for (m = 0; m < 2; m++)
		for (i = 0; i < RTE_DIM(phases); i++)
			TEST_ASSERT_EQUAL(walk_phase(phases[i], m == 0),
					  TEST_SUCCESS, "%s, phase %d",
					  m == 0 ? "proactive" : "passive",
					  phases[i]);
	return TEST_SUCCESS;
}

static struct unit_test_suite events_suite = {
	.suite_name = "mlx4r reset events and control calls",
	.setup = suite_setup,
	.teardown = suite_teardown,
	.unit_test_cases = {
		TEST_CASE_ST(NULL, case_teardown,
			     test_close_from_rmv_callback),
		TEST_CASE_ST(NULL, case_teardown,
			     test_close_from_failed_callback),
		TEST_CASE_ST(NULL, case_teardown,
			     test_close_from_lsc_callback),
		TEST_CASE_ST(NULL, case_teardown, test_events_success),
		TEST_CASE_ST(NULL, case_teardown, test_events_failure),
		TEST_CASE_ST(NULL, case_teardown,
			     test_events_quiescence_timeout),
		TEST_CASE_ST(NULL, case_teardown,
			     test_events_operator_cancelled),
		TEST_CASE_ST(NULL, case_teardown,
			     test_events_recover_from_failed),
		TEST_CASE_ST(NULL, case_teardown,
			     test_events_fault_during_reinit),
		TEST_CASE_ST(NULL, case_teardown,
			     test_events_close_during_reset),
		TEST_CASE_ST(NULL, case_teardown,
			     test_passive_ack_returns_at_once),
		TEST_CASE_ST(NULL, case_teardown,
			     test_passive_unacked_port_refuses),
		TEST_CASE_ST(NULL, case_teardown,
			     test_refused_dev_reset_keeps_queues),
		TEST_CASE_ST(NULL, case_teardown,
			     test_ack_wakes_control_thread),
		TEST_CASE_ST(NULL, case_teardown,
			     test_close_wakes_ack_wait),
		TEST_CASE_ST(NULL, case_teardown,
			     test_calls_do_not_wait_for_a_phase),
		TEST_CASE_ST(NULL, case_teardown,
			     test_public_calls_of_a_closing_port),
		TEST_CASE_ST(NULL, case_teardown,
			     test_public_calls_race_close),
		TEST_CASE_ST(NULL, case_teardown,
			     test_telemetry_does_not_wait),
		TEST_CASE_ST(NULL, case_teardown, test_errno_table),
		TEST_CASES_END()
	},
};

static int
mlx4r_events_autotest(void)
{
	return unit_test_suite_runner(&events_suite);
}

REGISTER_TEST_COMMAND(mlx4r_events_autotest, mlx4r_events_autotest);

/*
 * Item 7, run in a secondary process by the integration case
 * secondary_bursts (app/test/integration/stock_tools.py) while a primary
 * forwards on net_mlx4r ports of the emulated backend: the bursts of a
 * secondary refuse (0, rte_errno ENOTSUP: the engine is the primary's,
 * doc/guides/nics/mlx4r.rst "Multi-process") instead of calling through
 * NULL pointers, the reset calls say -ENOTSUP, port information works.
 * On the verbs backend a secondary forwards (kface_mp.py).
 */
static int
mlx4r_secondary_autotest(void)
{
	struct rte_pmd_mlx4r_port_info info;
	struct rte_pmd_mlx4r_reset_state st;
	struct rte_mbuf *pkts[BURST], *fake[4] = { NULL };
	unsigned int found = 0;
	uint16_t port;

	if (rte_eal_process_type() != RTE_PROC_SECONDARY)
		TEST_SKIP("run as a secondary process of a primary with net_mlx4r ports");
	RTE_ETH_FOREACH_DEV(port) {
		if (rte_pmd_mlx4r_port_info_get(port, &info) != 0)
			continue;
		found++;
		rte_errno = 0;
		TEST_ASSERT_EQUAL(rte_eth_rx_burst(port, 0, pkts, BURST), 0,
				  "port %u: Rx burst in a secondary", port);
		TEST_ASSERT_EQUAL(rte_errno, ENOTSUP, "port %u: Rx errno",
				  port);
		rte_errno = 0;
		TEST_ASSERT_EQUAL(rte_eth_tx_burst(port, 0, fake, RTE_DIM(fake)),
				  0, "port %u: Tx burst in a secondary", port);
		TEST_ASSERT_EQUAL(rte_errno, ENOTSUP, "port %u: Tx errno",
				  port);
		TEST_ASSERT_EQUAL(rte_pmd_mlx4r_reset(port), -ENOTSUP,
				  "port %u: reset", port);
		TEST_ASSERT_EQUAL(rte_pmd_mlx4r_reset_state_get(port, &st),
				  -ENOTSUP, "port %u: state", port);
		printf("port %u: %s port %u of %u, peer %u: bursts refused\n",
		       port, info.hca_name, info.port_num, info.nb_ports,
		       info.peer_port_id);
	}
	TEST_ASSERT(found > 0, "no mlx4r port attached");
	return TEST_SUCCESS;
}

REGISTER_TEST_COMMAND(mlx4r_secondary_autotest, mlx4r_secondary_autotest);
