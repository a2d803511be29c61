/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * The reset-coordination library (lib/resetcoord) through its public header,
 * with events raised the way any PMD raises them
 * (rte_eth_dev_callback_process): proactive and passive flows, event and
 * acknowledgement order, a client that never acknowledges, reset during
 * reset, removal, a port closed during a reset, many clients over two
 * ports, and an lcore really polling while resets happen.
 */

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_bus_vdev.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_mbuf.h>

#include <ethdev_driver.h>

#include "resetcoord.h"
#include "test.h"

#define NB_MBUF 2047
#define MAX_EVENTS 32

static struct rte_mempool *mp;
static uint16_t p1, p2; /* two ports of net_mlx4r_resetcoord (loopback wires) */

/* What the notify callback saw, in order. */
static struct {
	uint16_t port;
	enum resetcoord_event ev;
	char client[32];
} events[MAX_EVENTS];
static unsigned int nb_events;
/* and how many of each kind, beyond MAX_EVENTS too */
static unsigned int ev_count[RESETCOORD_EVENT_LATE_CLIENT + 1];
/* stats read back from inside the callback (the library lets it) */
static uint64_t stats_in_cb;
static struct resetcoord *cur_r; /* the instance of the running case */

/*
 * A gate in the notify callback: the first notification of gate_event
 * holds the library's control thread there (at most 2 s) until the case
 * opens the gate, so that a case can queue acks and events while the
 * control thread is known to be stopped. The case and the control thread
 * hand over through gate_entered / gate_open (release / acquire).
 */
static int gate_event = -1;
static unsigned int gate_entered, gate_open;

static void
gate_arm(enum resetcoord_event ev)
{
	__atomic_store_n(&gate_entered, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&gate_open, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&gate_event, (int)ev, __ATOMIC_RELEASE);
}

/* Wait (at most 2 s) until the control thread is held at the gate. */
static int
gate_wait_entered(void)
{
	uint64_t end = rte_get_timer_cycles() + 2 * rte_get_timer_hz();

	while (__atomic_load_n(&gate_entered, __ATOMIC_ACQUIRE) == 0) {
		if (rte_get_timer_cycles() > end)
			return -1;
		rte_delay_us_sleep(100);
	}
	return 0;
}

static void
gate_release(void)
{
	__atomic_store_n(&gate_open, 1, __ATOMIC_RELEASE);
}

static void
gate_pass(enum resetcoord_event ev)
{
	uint64_t end;

	if (__atomic_load_n(&gate_event, __ATOMIC_ACQUIRE) != (int)ev)
		return;
	__atomic_store_n(&gate_event, -1, __ATOMIC_RELAXED); /* once */
	__atomic_store_n(&gate_entered, 1, __ATOMIC_RELEASE);
	end = rte_get_timer_cycles() + 2 * rte_get_timer_hz();
	while (__atomic_load_n(&gate_open, __ATOMIC_ACQUIRE) == 0 &&
	       rte_get_timer_cycles() < end)
		rte_delay_us_sleep(100);
}

/* What a case wants done from inside the notify callback, if anything. */
static void (*notify_hook)(uint16_t port, enum resetcoord_event ev);

static void
record(uint16_t port, enum resetcoord_event ev, const char *client, void *arg)
{
	unsigned int n = __atomic_load_n(&nb_events, __ATOMIC_RELAXED);
	struct resetcoord_port_stats st;

	RTE_SET_USED(arg);
	if ((unsigned int)ev < RTE_DIM(ev_count))
		__atomic_fetch_add(&ev_count[ev], 1, __ATOMIC_RELEASE);
	/* would deadlock if notify ran under the library's lock */
	if (cur_r != NULL && resetcoord_port_stats_get(cur_r, port, &st) == 0)
		__atomic_fetch_add(&stats_in_cb, 1, __ATOMIC_RELAXED);
	if (n < MAX_EVENTS) {
		events[n].port = port;
		events[n].ev = ev;
		snprintf(events[n].client, sizeof(events[n].client), "%s",
			 client != NULL ? client : "");
		/* pairs with the acquire load in wait_events() */
		__atomic_store_n(&nb_events, n + 1, __ATOMIC_RELEASE);
	}
	if (notify_hook != NULL)
		notify_hook(port, ev);
	gate_pass(ev);
}

/* Wait (at most 2 s) until @p n events were notified. */
static int
wait_events(unsigned int n)
{
	uint64_t end = rte_get_timer_cycles() + 2 * rte_get_timer_hz();

	while (__atomic_load_n(&nb_events, __ATOMIC_ACQUIRE) < n) {
		if (rte_get_timer_cycles() > end)
			return -1;
		rte_delay_us_sleep(200);
	}
	return 0;
}

static void
raise_event(uint16_t port, enum rte_eth_event_type type)
{
	rte_eth_dev_callback_process(&rte_eth_devices[port], type, NULL);
}

static int
port_up(uint16_t port, struct resetcoord_port_conf *pc)
{
	uint16_t q;

	memset(pc, 0, sizeof(*pc));
	pc->nb_rxq = 1;
	pc->nb_txq = 1;
	pc->nb_rxd = 256;
	pc->nb_txd = 256;
	pc->mp = mp;
	pc->promiscuous = true; /* the test frames carry no address */
	if (rte_eth_dev_configure(port, 1, 1, &pc->eth_conf) != 0)
		return -1;
	for (q = 0; q < 1; q++) {
		if (rte_eth_rx_queue_setup(port, q, 256, SOCKET_ID_ANY, NULL,
					   mp) != 0 ||
		    rte_eth_tx_queue_setup(port, q, 256, SOCKET_ID_ANY,
					   NULL) != 0)
			return -1;
	}
	if (rte_eth_dev_start(port) != 0)
		return -1;
	return rte_eth_promiscuous_enable(port);
}

static int
resetcoord_suite_setup(void)
{
	mp = rte_pktmbuf_pool_create("resetcoord_mp", NB_MBUF, 0, 0,
				     RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (mp == NULL)
		return TEST_FAILED;
	return TEST_SUCCESS;
}

static void
resetcoord_suite_teardown(void)
{
	rte_mempool_free(mp);
}

static struct resetcoord_port_conf pc1, pc2;

static int
case_setup(void)
{
	nb_events = 0;
	memset(ev_count, 0, sizeof(ev_count));
	stats_in_cb = 0;
	cur_r = NULL;
	if (rte_vdev_init("net_mlx4r_resetcoord", "ports=2,wire=loopback") != 0)
		return TEST_FAILED;
	if (rte_eth_dev_get_port_by_name("net_mlx4r_resetcoord", &p1) != 0 ||
	    rte_eth_dev_get_port_by_name("net_mlx4r_resetcoord_port2", &p2) != 0)
		return TEST_FAILED;
	if (port_up(p1, &pc1) != 0 || port_up(p2, &pc2) != 0)
		return TEST_FAILED;
	return TEST_SUCCESS;
}

/* The instance of the running case: freed here even when the case failed. */
static void
free_instance(void)
{
	resetcoord_free(cur_r);
	cur_r = NULL;
}

static void
case_teardown(void)
{
	gate_event = -1;
	notify_hook = NULL;
	gate_release(); /* a failed case may have left the gate shut */
	free_instance();
	rte_vdev_uninit("net_mlx4r_resetcoord");
}

static struct resetcoord *
make(uint32_t ack_ms, uint32_t rec_ms)
{
	struct resetcoord_conf conf = {
		.name = "test",
		.ack_timeout_ms = ack_ms,
		.recovery_timeout_ms = rec_ms,
		.notify = record,
	};
	/* set before any event of the case is raised */
	cur_r = resetcoord_create(&conf);
	return cur_r;
}

static int
test_api_errors(void)
{
	struct resetcoord *r = make(0, 0);
	struct resetcoord_client *c;
	struct resetcoord_port_stats st;
	unsigned int i;

	TEST_ASSERT_NOT_NULL(r, "create");
	TEST_ASSERT_NULL(resetcoord_create(NULL), "NULL conf");
	TEST_ASSERT_EQUAL(rte_errno, EINVAL, "errno of NULL conf");
	TEST_ASSERT_EQUAL(resetcoord_port_add(r, RTE_MAX_ETHPORTS - 1, &pc1), -1,
			  "invalid port");
	TEST_ASSERT_EQUAL(rte_errno, EINVAL, "EINVAL");
	TEST_ASSERT_SUCCESS(resetcoord_port_add(r, p1, &pc1), "add");
	TEST_ASSERT_EQUAL(resetcoord_port_add(r, p1, &pc1), -1, "twice");
	TEST_ASSERT_EQUAL(rte_errno, EEXIST, "EEXIST");
	c = resetcoord_client_register(r, "lc", NULL, NULL);
	TEST_ASSERT_NOT_NULL(c, "client");
	TEST_ASSERT_EQUAL(resetcoord_client_use(c, p2, 0, 0), -1, "unmanaged port");
	TEST_ASSERT_EQUAL(rte_errno, EINVAL, "EINVAL");
	for (i = 0; i < RESETCOORD_MAX_USES; i++)
		TEST_ASSERT_EQUAL(resetcoord_client_use(c, p1, 0, 0), (int)i, "use");
	TEST_ASSERT_EQUAL(resetcoord_client_use(c, p1, 0, 0), -1, "too many uses");
	TEST_ASSERT_EQUAL(rte_errno, ENOSPC, "ENOSPC");
	TEST_ASSERT_EQUAL(resetcoord_port_stats_get(r, p2, &st), -1, "stats of p2");
	TEST_ASSERT_SUCCESS(resetcoord_port_stats_get(r, p1, &st), "stats");
	TEST_ASSERT_EQUAL(st.state, RESETCOORD_PORT_LIVE, "live");
	TEST_ASSERT_EQUAL(resetcoord_client_pending(c), false, "nothing pending");
	TEST_ASSERT_SUCCESS(resetcoord_client_sync(c), "sync without reset");
	free_instance();
	resetcoord_free(NULL);
	return TEST_SUCCESS;
}

/* Drain callback: counts its calls. */
static void
drain_count(void *arg)
{
	__atomic_fetch_add((unsigned int *)arg, 1, __ATOMIC_RELAXED);
}

/* Call sync on every client until all return 0 (bounded). */
static int
sync_all(struct resetcoord_client **c, unsigned int n, uint32_t ms)
{
	uint64_t end = rte_get_timer_cycles() + rte_get_timer_hz() / 1000 * ms;
	unsigned int i, done;

	do {
		for (i = 0, done = 0; i < n; i++)
			done += resetcoord_client_sync(c[i]) == 0;
		if (done == n)
			return 0;
		rte_delay_us_sleep(100);
	} while (rte_get_timer_cycles() < end);
	return -1;
}

/*
 * @p r manages p1 with @p pc, and a client "lcore-a" uses its queue 0,
 * its drain callback drain_count() on @p drained (none when NULL).
 */
static int
add_p1_client(struct resetcoord *r, const struct resetcoord_port_conf *pc,
	      unsigned int *drained, struct resetcoord_client **c)
{
	TEST_ASSERT_SUCCESS(resetcoord_port_add(r, p1, pc), "add");
	*c = resetcoord_client_register(r, "lcore-a",
					drained != NULL ? drain_count : NULL,
					drained);
	resetcoord_client_use(*c, p1, 0, 0);
	return TEST_SUCCESS;
}

static int
test_proactive(void)
{
	struct resetcoord *r = make(100, 2000);
	unsigned int drained = 0;
	struct resetcoord_port_stats st;
	struct resetcoord_client *c;

	TEST_ASSERT_NOT_NULL(r, "create");
	TEST_ASSERT_SUCCESS(resetcoord_port_add(r, p1, &pc1), "add");
	c = resetcoord_client_register(r, "lcore-a", drain_count, &drained);
	TEST_ASSERT_EQUAL(resetcoord_client_use(c, p1, 0, 0), 0, "use");
	/* generation 1 before any reset, as the driver's at probe */
	TEST_ASSERT_EQUAL(resetcoord_client_ops(c, 0)->generation, 1,
			  "generation 1 before a reset");
	TEST_ASSERT_SUCCESS(resetcoord_port_stats_get(r, p1, &st), "stats");
	TEST_ASSERT_EQUAL_U(st.generation, 1, "stats: generation 1");
	raise_event(p1, RTE_ETH_EVENT_ERR_RECOVERING);
	TEST_ASSERT_SUCCESS(wait_events(1), "RESET_BEGIN notified");
	TEST_ASSERT_EQUAL(events[0].ev, RESETCOORD_EVENT_RESET_BEGIN, "first event");
	TEST_ASSERT(resetcoord_client_pending(c), "pending seen by the client");
	TEST_ASSERT_EQUAL(resetcoord_client_sync(c), -EAGAIN, "not over yet");
	TEST_ASSERT_EQUAL(drained, 1, "drained once");
	TEST_ASSERT_EQUAL(resetcoord_client_sync(c), -EAGAIN, "still not over");
	TEST_ASSERT_EQUAL(drained, 1, "drained once per reset");
	rte_delay_ms(20);
	TEST_ASSERT_EQUAL(__atomic_load_n(&nb_events, __ATOMIC_ACQUIRE), 1,
			  "no end before RECOVERY_SUCCESS");
	raise_event(p1, RTE_ETH_EVENT_RECOVERY_SUCCESS);
	TEST_ASSERT_SUCCESS(wait_events(2), "RESET_DONE notified");
	TEST_ASSERT_EQUAL(events[1].ev, RESETCOORD_EVENT_RESET_DONE, "second event");
	TEST_ASSERT_SUCCESS(sync_all(&c, 1, 500), "client resumes");
	TEST_ASSERT_EQUAL(resetcoord_client_ops(c, 0)->state, RESETCOORD_PORT_LIVE, "live");
	TEST_ASSERT_EQUAL(resetcoord_client_ops(c, 0)->generation, 2,
			  "generation 2 after one reset");
	TEST_ASSERT_SUCCESS(resetcoord_port_stats_get(r, p1, &st), "stats");
	TEST_ASSERT_EQUAL_U(st.resets, 1, "one reset");
	TEST_ASSERT_EQUAL_U(st.resets_ok, 1, "succeeded");
	TEST_ASSERT_EQUAL_U(st.late_clients, 0, "no late client");
	TEST_ASSERT(__atomic_load_n(&stats_in_cb, __ATOMIC_RELAXED) >= 2,
		    "the notify callback could read the stats");
	return TEST_SUCCESS;
}

/* RECOVERY_FAILED ends in FAILED; then INTR_RMV in REMOVED. */
static int
test_proactive_failed_then_removed(void)
{
	struct resetcoord *r = make(100, 2000);
	struct resetcoord_client *c;

	TEST_ASSERT_SUCCESS(add_p1_client(r, &pc1, NULL, &c), "add");
	raise_event(p1, RTE_ETH_EVENT_ERR_RECOVERING);
	TEST_ASSERT_SUCCESS(wait_events(1), "begin");
	TEST_ASSERT_EQUAL(resetcoord_client_sync(c), -EAGAIN, "ack");
	raise_event(p1, RTE_ETH_EVENT_RECOVERY_FAILED);
	TEST_ASSERT_SUCCESS(wait_events(2), "end");
	TEST_ASSERT_EQUAL(events[1].ev, RESETCOORD_EVENT_RESET_FAILED, "failed");
	TEST_ASSERT_SUCCESS(sync_all(&c, 1, 500), "client resumes");
	TEST_ASSERT_EQUAL(resetcoord_client_ops(c, 0)->state, RESETCOORD_PORT_FAILED,
			  "told the port failed");
	raise_event(p1, RTE_ETH_EVENT_INTR_RMV);
	TEST_ASSERT_SUCCESS(wait_events(4), "removal notified");
	TEST_ASSERT_EQUAL(events[3].ev, RESETCOORD_EVENT_REMOVED, "removed");
	TEST_ASSERT_SUCCESS(sync_all(&c, 1, 500), "client resumes");
	TEST_ASSERT_EQUAL(resetcoord_client_ops(c, 0)->state, RESETCOORD_PORT_REMOVED,
			  "told the port is gone");
	return TEST_SUCCESS;
}

/*
 * A reset that ends before the client acknowledged (a removal with no
 * reset running begins and ends at once): the client's lcore may be in
 * the middle of an iteration, reading its ops, so they must not change
 * under it; it takes the new state in resetcoord_client_sync(), after its drain.
 */
static int
test_ops_change_in_sync_only(void)
{
	struct resetcoord *r = make(100, 2000);
	unsigned int drained = 0;
	struct resetcoord_client *c;

	TEST_ASSERT_SUCCESS(add_p1_client(r, &pc1, &drained, &c), "add");
	raise_event(p1, RTE_ETH_EVENT_INTR_RMV);
	TEST_ASSERT_SUCCESS(wait_events(2), "begin and removed");
	TEST_ASSERT(resetcoord_client_pending(c), "pending");
	TEST_ASSERT_EQUAL(resetcoord_client_ops(c, 0)->state, RESETCOORD_PORT_LIVE,
			  "ops untouched before the client's sync");
	TEST_ASSERT_SUCCESS(sync_all(&c, 1, 1000), "client resumes");
	TEST_ASSERT_EQUAL(drained, 1, "drained first");
	TEST_ASSERT_EQUAL(resetcoord_client_ops(c, 0)->state, RESETCOORD_PORT_REMOVED,
			  "then the new state");
	return TEST_SUCCESS;
}

/* Restore callback of the passive tests: counts, answers what it's told. */
static int restore_calls, restore_ret;

static int
restore_cb(uint16_t port_id, void *arg)
{
	RTE_SET_USED(port_id);
	RTE_SET_USED(arg);
	/* on the control thread; cases poll the count */
	__atomic_fetch_add(&restore_calls, 1, __ATOMIC_RELEASE);
	return restore_ret;
}

/*
 * Passive mode on a PMD with dev_reset: reset, then the saved
 * configuration; on one without: the reset fails and says so.
 */
static int
test_passive(void)
{
	struct resetcoord *r = make(100, 2000);
	struct resetcoord_port_conf pc = pc1;
	struct resetcoord_client *c;
	int ret;

	restore_calls = 0;
	restore_ret = 0;
	pc.restore = restore_cb;
	TEST_ASSERT_SUCCESS(add_p1_client(r, &pc, NULL, &c), "add");
	raise_event(p1, RTE_ETH_EVENT_INTR_RESET);
	TEST_ASSERT_SUCCESS(wait_events(1), "begin");
	TEST_ASSERT_EQUAL(restore_calls, 0, "nothing before the ack");
	TEST_ASSERT_SUCCESS(sync_all(&c, 1, 1500), "client resumes");
	TEST_ASSERT_SUCCESS(wait_events(2), "end");
	ret = rte_eth_dev_reset(p1);
	if (ret == -ENOTSUP) {
		/* the driver has no dev_reset: the library must say FAILED */
		TEST_ASSERT_EQUAL(events[1].ev, RESETCOORD_EVENT_RESET_FAILED,
				  "reset without dev_reset fails");
		TEST_ASSERT_EQUAL(restore_calls, 0, "no restore");
		TEST_ASSERT_EQUAL(resetcoord_client_ops(c, 0)->state, RESETCOORD_PORT_FAILED,
				  "state");
	} else {
		TEST_ASSERT_EQUAL(events[1].ev, RESETCOORD_EVENT_RESET_DONE, "done");
		TEST_ASSERT_EQUAL(restore_calls, 1, "restored once");
		TEST_ASSERT_EQUAL(resetcoord_client_ops(c, 0)->state, RESETCOORD_PORT_LIVE,
				  "state");
	}
	return TEST_SUCCESS;
}

/* A restore that keeps failing ends in FAILED within the deadline. */
static int
test_passive_restore_fails(void)
{
	struct resetcoord *r = make(50, 300);
	struct resetcoord_port_conf pc = pc1;
	struct resetcoord_client *c;
	struct resetcoord_port_stats st;

	if (rte_eth_dev_reset(p1) == -ENOTSUP)
		TEST_SKIP("the driver has no dev_reset yet");
	TEST_ASSERT_SUCCESS(port_up(p1, &pc1), "port back up");
	restore_calls = 0;
	restore_ret = -EAGAIN;
	pc.restore = restore_cb;
	TEST_ASSERT_SUCCESS(add_p1_client(r, &pc, NULL, &c), "add");
	raise_event(p1, RTE_ETH_EVENT_INTR_RESET);
	/* the client sees the reset only once it began (as in test_passive) */
	TEST_ASSERT_SUCCESS(wait_events(1), "begin");
	TEST_ASSERT_SUCCESS(sync_all(&c, 1, 1500), "client resumes");
	TEST_ASSERT_SUCCESS(wait_events(2), "end");
	TEST_ASSERT_EQUAL(events[1].ev, RESETCOORD_EVENT_RESET_FAILED, "failed");
	TEST_ASSERT(restore_calls > 1, "-EAGAIN retried (%d calls)",
		    restore_calls);
	TEST_ASSERT_SUCCESS(resetcoord_port_stats_get(r, p1, &st), "stats");
	TEST_ASSERT_EQUAL_U(st.resets_failed, 1, "counted");
	return TEST_SUCCESS;
}

/*
 * RECOVERY_FAILED or INTR_RMV in every phase, with and without a reset
 * running, in both modes: the lcores leave the port and take the state
 * from fresh ops, and the application is told.
 */
enum lost_phase {
	LOST_IDLE,          /* no reset, port live */
	LOST_IDLE_FAILED,   /* no reset, port failed before */
	LOST_ACKS,          /* a reset waits for the client's ack */
	LOST_RECOVERY,      /* proactive: acked, waiting for the outcome */
	LOST_RESTORE,       /* passive: acked, the restore keeps failing */
};

static const char * const lost_phase_names[] = {
	"idle", "idle after a failure", "waiting for acks",
	"waiting for the outcome", "restoring",
};

static int
lost_case(enum lost_phase ph, enum rte_eth_event_type ev)
{
	enum resetcoord_port_state want = ev == RTE_ETH_EVENT_INTR_RMV ?
				   RESETCOORD_PORT_REMOVED : RESETCOORD_PORT_FAILED;
	enum resetcoord_event note = ev == RTE_ETH_EVENT_INTR_RMV ?
			      RESETCOORD_EVENT_REMOVED : RESETCOORD_EVENT_RESET_FAILED;
	const char *name = lost_phase_names[ph];
	struct resetcoord_port_conf pc = pc1;
	struct resetcoord_port_stats st;
	struct resetcoord_client *c;
	unsigned int base, i;
	struct resetcoord *r;

	free_instance();
	nb_events = 0;
	restore_calls = 0;
	restore_ret = -EAGAIN;
	pc.restore = restore_cb;
	/* deadlines far beyond the 2 s of wait_events(): no help from them */
	r = make(5000, 10000);
	TEST_ASSERT_NOT_NULL(r, "create");
	TEST_ASSERT_SUCCESS(resetcoord_port_add(r, p1, &pc), "add");
	c = resetcoord_client_register(r, "lcore-a", NULL, NULL);
	TEST_ASSERT_EQUAL(resetcoord_client_use(c, p1, 0, 0), 0, "use");
	switch (ph) {
	case LOST_IDLE:
		break;
	case LOST_IDLE_FAILED:
		raise_event(p1, RTE_ETH_EVENT_RECOVERY_FAILED);
		TEST_ASSERT_SUCCESS(wait_events(2), "%s: failed first", name);
		TEST_ASSERT_SUCCESS(sync_all(&c, 1, 1000), "%s: left", name);
		break;
	case LOST_ACKS:
		raise_event(p1, RTE_ETH_EVENT_ERR_RECOVERING);
		TEST_ASSERT_SUCCESS(wait_events(1), "%s: begin", name);
		break;
	case LOST_RECOVERY:
		raise_event(p1, RTE_ETH_EVENT_ERR_RECOVERING);
		TEST_ASSERT_SUCCESS(wait_events(1), "%s: begin", name);
		TEST_ASSERT_EQUAL(resetcoord_client_sync(c), -EAGAIN, "%s: ack", name);
		break;
	case LOST_RESTORE:
		raise_event(p1, RTE_ETH_EVENT_INTR_RESET);
		TEST_ASSERT_SUCCESS(wait_events(1), "%s: begin", name);
		TEST_ASSERT_EQUAL(resetcoord_client_sync(c), -EAGAIN, "%s: ack", name);
		for (i = 0; i < 20000 &&
		     __atomic_load_n(&restore_calls, __ATOMIC_ACQUIRE) == 0;
		     i++)
			rte_delay_us_sleep(100);
		TEST_ASSERT(restore_calls > 0, "%s: restoring", name);
		break;
	}
	base = __atomic_load_n(&nb_events, __ATOMIC_ACQUIRE);
	raise_event(p1, ev);
	/* the reset in progress ends; with none, one begins and ends */
	base += ph == LOST_IDLE || ph == LOST_IDLE_FAILED ? 2 : 1;
	TEST_ASSERT_SUCCESS(wait_events(base), "%s: outcome notified", name);
	TEST_ASSERT_EQUAL(events[base - 1].ev, note, "%s: outcome", name);
	TEST_ASSERT_SUCCESS(sync_all(&c, 1, 1000), "%s: client resumes", name);
	TEST_ASSERT_EQUAL(resetcoord_client_ops(c, 0)->state, want,
			  "%s: the client is off the port", name);
	TEST_ASSERT_SUCCESS(resetcoord_port_stats_get(r, p1, &st), "stats");
	TEST_ASSERT_EQUAL(st.state, want, "%s: state", name);
	return TEST_SUCCESS;
}

static int
test_failure_in_every_phase(void)
{
	unsigned int ph;

	if (rte_eth_dev_reset(p1) == -ENOTSUP)
		TEST_SKIP("the driver has no dev_reset");
	TEST_ASSERT_SUCCESS(port_up(p1, &pc1), "port back up");
	for (ph = LOST_IDLE; ph <= LOST_RESTORE; ph++) {
		if (ph != LOST_IDLE_FAILED &&
		    lost_case(ph, RTE_ETH_EVENT_RECOVERY_FAILED) != 0)
			return TEST_FAILED;
		if (lost_case(ph, RTE_ETH_EVENT_INTR_RMV) != 0)
			return TEST_FAILED;
	}
	return TEST_SUCCESS;
}

/*
 * A passive INTR_RESET raised while the library restores the port (the
 * restore called once, asked to be called again): the driver waits for
 * rte_eth_dev_reset() again, so the port goes through another
 * rte_eth_dev_reset() before the restore is tried again.
 */
static int restore2_calls, restore2_started;

static int
restore_raise_cb(uint16_t port_id, void *arg)
{
	struct resetcoord_port_conf pc;

	RTE_SET_USED(arg);
	if (++restore2_calls == 1) {
		/* restored, then the device needs a reset again */
		if (port_up(port_id, &pc) != 0)
			return -EIO;
		raise_event(port_id, RTE_ETH_EVENT_INTR_RESET);
		return -EAGAIN;
	}
	restore2_started = rte_eth_devices[port_id].data->dev_started;
	return port_up(port_id, &pc) != 0 ? -EIO : 0;
}

static int
test_reset_during_restore(void)
{
	struct resetcoord *r = make(100, 2000);
	struct resetcoord_port_conf pc = pc1;
	struct resetcoord_port_stats st;
	struct resetcoord_client *c;

	if (rte_eth_dev_reset(p1) == -ENOTSUP)
		TEST_SKIP("the driver has no dev_reset");
	TEST_ASSERT_SUCCESS(port_up(p1, &pc1), "port back up");
	restore2_calls = 0;
	restore2_started = -1;
	pc.restore = restore_raise_cb;
	TEST_ASSERT_SUCCESS(add_p1_client(r, &pc, NULL, &c), "add");
	raise_event(p1, RTE_ETH_EVENT_INTR_RESET);
	TEST_ASSERT_SUCCESS(wait_events(1), "begin");
	TEST_ASSERT_SUCCESS(sync_all(&c, 1, 1500), "client resumes");
	TEST_ASSERT_SUCCESS(wait_events(2), "end");
	TEST_ASSERT_EQUAL(events[1].ev, RESETCOORD_EVENT_RESET_DONE, "done");
	TEST_ASSERT_EQUAL(restore2_calls, 2, "restored twice");
	TEST_ASSERT_EQUAL(restore2_started, 0,
			  "rte_eth_dev_reset() again before the second restore");
	TEST_ASSERT_SUCCESS(resetcoord_port_stats_get(r, p1, &st), "stats");
	TEST_ASSERT_EQUAL_U(st.resets, 1, "one reset for both requests");
	TEST_ASSERT_EQUAL(resetcoord_client_ops(c, 0)->state, RESETCOORD_PORT_LIVE, "live");
	return TEST_SUCCESS;
}

/*
 * An INTR_RESET during a proactive reset (acked, waiting for the
 * outcome): the library waits for the outcome (ethdev: no control call
 * before it), then resets and restores the port for the INTR_RESET.
 */
static int restore3_calls, restore3_after_outcome;
static unsigned int outcome_raised;

static int
restore_after_cb(uint16_t port_id, void *arg)
{
	RTE_SET_USED(port_id);
	RTE_SET_USED(arg);
	restore3_calls++;
	restore3_after_outcome = __atomic_load_n(&outcome_raised,
						 __ATOMIC_ACQUIRE);
	return 0;
}

static int
test_reset_during_recovery(void)
{
	struct resetcoord *r = make(100, 2000);
	struct resetcoord_port_conf pc = pc1;
	struct resetcoord_client *c;

	if (rte_eth_dev_reset(p1) == -ENOTSUP)
		TEST_SKIP("the driver has no dev_reset");
	TEST_ASSERT_SUCCESS(port_up(p1, &pc1), "port back up");
	restore3_calls = 0;
	restore3_after_outcome = 0;
	outcome_raised = 0;
	pc.restore = restore_after_cb;
	TEST_ASSERT_SUCCESS(add_p1_client(r, &pc, NULL, &c), "add");
	raise_event(p1, RTE_ETH_EVENT_ERR_RECOVERING);
	TEST_ASSERT_SUCCESS(wait_events(1), "begin");
	TEST_ASSERT_EQUAL(resetcoord_client_sync(c), -EAGAIN, "ack");
	raise_event(p1, RTE_ETH_EVENT_INTR_RESET);
	__atomic_store_n(&outcome_raised, 1, __ATOMIC_RELEASE);
	raise_event(p1, RTE_ETH_EVENT_RECOVERY_SUCCESS);
	TEST_ASSERT_SUCCESS(wait_events(2), "end");
	TEST_ASSERT_EQUAL(events[1].ev, RESETCOORD_EVENT_RESET_DONE, "done");
	TEST_ASSERT_EQUAL(restore3_calls, 1, "reset and restored once");
	TEST_ASSERT_EQUAL(restore3_after_outcome, 1, "after the outcome");
	TEST_ASSERT_SUCCESS(sync_all(&c, 1, 1000), "client resumes");
	TEST_ASSERT_EQUAL(resetcoord_client_ops(c, 0)->state, RESETCOORD_PORT_LIVE, "live");
	return TEST_SUCCESS;
}

/* A client that never acknowledges: named, counted, port left alone. */
static int
test_late_client(void)
{
	struct resetcoord *r = make(30, 200);
	struct resetcoord_client *ok, *late;
	unsigned int late_drained = 0;
	struct resetcoord_port_stats st;
	unsigned int i;
	bool named = false;

	TEST_ASSERT_SUCCESS(resetcoord_port_add(r, p1, &pc1), "add");
	ok = resetcoord_client_register(r, "lcore-ok", NULL, NULL);
	late = resetcoord_client_register(r, "lcore-asleep", drain_count,
				   &late_drained);
	resetcoord_client_use(ok, p1, 0, 0);
	resetcoord_client_use(late, p1, 0, 0);
	raise_event(p1, RTE_ETH_EVENT_INTR_RESET);
	TEST_ASSERT_SUCCESS(wait_events(1), "begin");
	TEST_ASSERT_EQUAL(resetcoord_client_sync(ok), -EAGAIN, "one ack");
	TEST_ASSERT_SUCCESS(wait_events(3), "late client + failure");
	for (i = 0; i < 3; i++)
		named |= events[i].ev == RESETCOORD_EVENT_LATE_CLIENT &&
			 strcmp(events[i].client, "lcore-asleep") == 0;
	TEST_ASSERT(named, "the late client is named");
	TEST_ASSERT_EQUAL(events[2].ev, RESETCOORD_EVENT_RESET_FAILED, "fails");
	TEST_ASSERT_EQUAL(rte_eth_devices[p1].data->dev_started, 1,
			  "the port was not reset under the late lcore");
	TEST_ASSERT_SUCCESS(resetcoord_port_stats_get(r, p1, &st), "stats");
	TEST_ASSERT_EQUAL_U(st.late_clients, 1, "counted once");
	/* the late lcore still owes its drain before it may go on */
	TEST_ASSERT(resetcoord_client_pending(late), "still pending for it");
	TEST_ASSERT_EQUAL(late_drained, 0, "not drained yet");
	TEST_ASSERT_SUCCESS(sync_all(&late, 1, 1000), "resumes once drained");
	TEST_ASSERT_EQUAL(late_drained, 1, "drained once");
	TEST_ASSERT_EQUAL(resetcoord_client_ops(late, 0)->state, RESETCOORD_PORT_FAILED,
			  "and told the port failed");
	return TEST_SUCCESS;
}

/* Reset during reset: coalesced into one. */
static int
test_coalesce(void)
{
	struct resetcoord *r = make(100, 2000);
	struct resetcoord_port_stats st;
	struct resetcoord_client *c;

	TEST_ASSERT_SUCCESS(add_p1_client(r, &pc1, NULL, &c), "add");
	raise_event(p1, RTE_ETH_EVENT_ERR_RECOVERING);
	TEST_ASSERT_SUCCESS(wait_events(1), "begin");
	raise_event(p1, RTE_ETH_EVENT_ERR_RECOVERING);
	raise_event(p1, RTE_ETH_EVENT_ERR_RECOVERING);
	TEST_ASSERT_EQUAL(resetcoord_client_sync(c), -EAGAIN, "ack");
	raise_event(p1, RTE_ETH_EVENT_RECOVERY_SUCCESS);
	TEST_ASSERT_SUCCESS(sync_all(&c, 1, 1000), "resumes");
	TEST_ASSERT_SUCCESS(wait_events(2), "done");
	rte_delay_ms(20);
	TEST_ASSERT_SUCCESS(resetcoord_port_stats_get(r, p1, &st), "stats");
	TEST_ASSERT_EQUAL_U(st.resets, 1, "one reset for three requests");
	TEST_ASSERT_EQUAL(__atomic_load_n(&nb_events, __ATOMIC_ACQUIRE), 2,
			  "begin + done only");
	return TEST_SUCCESS;
}

/*
 * The end of one recovery and the start of the next, raised back to back
 * after the client acknowledged: both are seen, in order (the next reset
 * drains the client again), however late the control thread looks.
 */
static int
test_event_order(void)
{
	struct resetcoord *r = make(100, 2000);
	unsigned int drained = 0;
	struct resetcoord_port_stats st;
	struct resetcoord_client *c;

	TEST_ASSERT_SUCCESS(add_p1_client(r, &pc1, &drained, &c), "add");
	/*
	 * The control thread is held in the notify callback of the first
	 * RESET_BEGIN while the client acknowledges and the outcome and the
	 * next error are raised: it finds the ack and both events queued
	 * together. The ack came first, so the first reset ends with the
	 * RECOVERY_SUCCESS and the ERR_RECOVERING begins a second one.
	 */
	gate_arm(RESETCOORD_EVENT_RESET_BEGIN);
	raise_event(p1, RTE_ETH_EVENT_ERR_RECOVERING);
	TEST_ASSERT_SUCCESS(gate_wait_entered(), "control thread at the gate");
	TEST_ASSERT_EQUAL(resetcoord_client_sync(c), -EAGAIN, "ack");
	raise_event(p1, RTE_ETH_EVENT_RECOVERY_SUCCESS);
	raise_event(p1, RTE_ETH_EVENT_ERR_RECOVERING);
	gate_release();
	TEST_ASSERT_SUCCESS(wait_events(3), "done, then the second begin");
	TEST_ASSERT_EQUAL(events[1].ev, RESETCOORD_EVENT_RESET_DONE, "first done");
	TEST_ASSERT_EQUAL(events[2].ev, RESETCOORD_EVENT_RESET_BEGIN,
			  "second begin, not coalesced away");
	TEST_ASSERT_EQUAL(resetcoord_client_sync(c), -EAGAIN, "second ack");
	TEST_ASSERT_EQUAL(drained, 2, "drained for each reset");
	raise_event(p1, RTE_ETH_EVENT_RECOVERY_SUCCESS);
	TEST_ASSERT_SUCCESS(sync_all(&c, 1, 1000), "resumes");
	TEST_ASSERT_SUCCESS(resetcoord_port_stats_get(r, p1, &st), "stats");
	TEST_ASSERT_EQUAL_U(st.resets, 2, "two resets");
	TEST_ASSERT_EQUAL_U(st.resets_ok, 2, "both recovered");
	TEST_ASSERT_EQUAL(resetcoord_client_ops(c, 0)->generation, 3,
			  "generation 3 after two resets");
	return TEST_SUCCESS;
}

/*
 * Eight clients over two ports, acknowledging in reverse order: the
 * resets end only after the last ack of each port's clients.
 */
static int
test_many_clients(void)
{
	struct resetcoord *r = make(500, 3000);
	struct resetcoord_client *c[8];
	struct resetcoord_port_stats s1, s2;
	unsigned int drained[8] = { 0 };
	char name[16];
	int i;

	TEST_ASSERT_SUCCESS(resetcoord_port_add(r, p1, &pc1), "add 1");
	TEST_ASSERT_SUCCESS(resetcoord_port_add(r, p2, &pc2), "add 2");
	for (i = 0; i < 8; i++) {
		snprintf(name, sizeof(name), "lcore-%d", i);
		c[i] = resetcoord_client_register(r, name, drain_count, &drained[i]);
		TEST_ASSERT_NOT_NULL(c[i], "client %d", i);
		/* even clients on port 1, odd on port 2, 0 and 1 on both */
		if (i % 2 == 0 || i < 2)
			resetcoord_client_use(c[i], p1, 0, 0);
		if (i % 2 == 1 || i < 2)
			resetcoord_client_use(c[i], p2, 0, 0);
	}
	raise_event(p1, RTE_ETH_EVENT_ERR_RECOVERING);
	raise_event(p2, RTE_ETH_EVENT_ERR_RECOVERING);
	raise_event(p1, RTE_ETH_EVENT_RECOVERY_SUCCESS);
	raise_event(p2, RTE_ETH_EVENT_RECOVERY_SUCCESS);
	TEST_ASSERT_SUCCESS(wait_events(2), "both begin");
	for (i = 7; i >= 1; i--)
		resetcoord_client_sync(c[i]);
	rte_delay_ms(30);
	TEST_ASSERT_SUCCESS(resetcoord_port_stats_get(r, p1, &s1), "stats 1");
	TEST_ASSERT_EQUAL_U(s1.resets_ok, 0, "port 1 waits for client 0");
	TEST_ASSERT_EQUAL(resetcoord_client_pending(c[7]), true,
			  "everybody waits while a port is resetting");
	TEST_ASSERT_SUCCESS(sync_all(c, 8, 2000), "all resume");
	TEST_ASSERT_SUCCESS(resetcoord_port_stats_get(r, p1, &s1), "stats 1");
	TEST_ASSERT_SUCCESS(resetcoord_port_stats_get(r, p2, &s2), "stats 2");
	TEST_ASSERT_EQUAL_U(s1.resets_ok, 1, "port 1 back");
	TEST_ASSERT_EQUAL_U(s2.resets_ok, 1, "port 2 back");
	for (i = 0; i < 8; i++)
		TEST_ASSERT_EQUAL(drained[i], 1, "client %d drained once", i);
	return TEST_SUCCESS;
}

/*
 * The port is closed while its reset waits: ethdev released it, so the
 * reset ends with the port REMOVED (not reset, no crash).
 */
static int
test_port_closed_during_reset(void)
{
	struct resetcoord *r = make(100, 500);
	struct resetcoord_client *c;

	TEST_ASSERT_SUCCESS(add_p1_client(r, &pc1, NULL, &c), "add");
	raise_event(p1, RTE_ETH_EVENT_INTR_RESET);
	TEST_ASSERT_SUCCESS(wait_events(1), "begin");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	TEST_ASSERT_SUCCESS(rte_eth_dev_close(p1), "close");
	TEST_ASSERT_SUCCESS(sync_all(&c, 1, 1500), "client resumes");
	TEST_ASSERT_SUCCESS(wait_events(2), "end");
	TEST_ASSERT_EQUAL(events[1].ev, RESETCOORD_EVENT_REMOVED, "removed");
	TEST_ASSERT_EQUAL(resetcoord_client_ops(c, 0)->state, RESETCOORD_PORT_REMOVED,
			  "told");
	return TEST_SUCCESS;
}

/*
 * The port is closed while no reset runs: its clients are told it is
 * gone, and the instance lets the port id go, so that the next device on
 * that port id is not taken for the old one (ethdev keeps a released
 * port id's callback list for the next device).
 */
static int
test_port_closed_while_idle(void)
{
	struct resetcoord_conf conf = { .name = "next", .notify = record };
	struct resetcoord *r = make(100, 2000), *r2;
	struct resetcoord_port_stats st;
	struct resetcoord_client *c;
	uint16_t old = p1;

	TEST_ASSERT_SUCCESS(add_p1_client(r, &pc1, NULL, &c), "add");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop");
	TEST_ASSERT_SUCCESS(rte_eth_dev_close(p1), "close");
	TEST_ASSERT_SUCCESS(wait_events(2), "the close is notified");
	TEST_ASSERT_EQUAL(events[0].ev, RESETCOORD_EVENT_RESET_BEGIN, "begin");
	TEST_ASSERT_EQUAL(events[1].ev, RESETCOORD_EVENT_REMOVED, "removed");
	TEST_ASSERT_SUCCESS(sync_all(&c, 1, 1000), "client leaves the port");
	TEST_ASSERT_EQUAL(resetcoord_client_ops(c, 0)->state, RESETCOORD_PORT_REMOVED,
			  "told");
	TEST_ASSERT_SUCCESS(resetcoord_port_stats_get(r, old, &st), "stats");
	TEST_ASSERT_EQUAL(st.state, RESETCOORD_PORT_REMOVED, "state");
	/* a new device on the same port id */
	rte_vdev_uninit("net_mlx4r_resetcoord");
	if (rte_vdev_init("net_mlx4r_resetcoord", "ports=2,wire=loopback") != 0 ||
	    rte_eth_dev_get_port_by_name("net_mlx4r_resetcoord", &p1) != 0 ||
	    rte_eth_dev_get_port_by_name("net_mlx4r_resetcoord_port2", &p2) != 0)
		TEST_FAIL("new device");
	TEST_ASSERT_EQUAL(p1, old, "same port id");
	TEST_ASSERT_SUCCESS(port_up(p1, &pc1), "port up");
	/* the old instance keeps its slot: a new instance takes the port */
	TEST_ASSERT_EQUAL(resetcoord_port_add(r, p1, &pc1), -1, "slot taken");
	TEST_ASSERT_EQUAL(rte_errno, EEXIST, "EEXIST");
	r2 = resetcoord_create(&conf);
	TEST_ASSERT_NOT_NULL(r2, "second instance");
	if (resetcoord_port_add(r2, p1, &pc1) != 0) {
		resetcoord_free(r2);
		TEST_FAIL("the old instance still holds the port id: %s",
			  rte_strerror(rte_errno));
	}
	raise_event(p1, RTE_ETH_EVENT_ERR_RECOVERING);
	if (wait_events(3) != 0) {
		resetcoord_free(r2);
		TEST_FAIL("the new instance saw no reset");
	}
	resetcoord_free(r2);
	TEST_ASSERT_EQUAL(events[2].ev, RESETCOORD_EVENT_RESET_BEGIN, "begin");
	TEST_ASSERT_SUCCESS(resetcoord_port_stats_get(r, old, &st), "stats");
	TEST_ASSERT_EQUAL_U(st.resets, 1, "the old instance left it alone");
	return TEST_SUCCESS;
}

/* Two instances never manage one port: the second is refused. */
static int
test_one_owner_per_port(void)
{
	struct resetcoord_conf conf = { .name = "second" };
	struct resetcoord *r = make(100, 2000), *r2;
	unsigned int drained = 0;
	struct resetcoord_client *c;

	TEST_ASSERT_SUCCESS(resetcoord_port_add(r, p1, &pc1), "first instance");
	r2 = resetcoord_create(&conf);
	TEST_ASSERT_NOT_NULL(r2, "second instance");
	TEST_ASSERT_EQUAL(resetcoord_port_add(r2, p1, &pc1), -1, "same port");
	TEST_ASSERT_EQUAL(rte_errno, EBUSY, "EBUSY");
	TEST_ASSERT_SUCCESS(resetcoord_port_add(r2, p2, &pc2), "another port");
	/* the refused instance left nothing behind: one reset, one begin */
	c = resetcoord_client_register(r, "lcore-a", drain_count, &drained);
	resetcoord_client_use(c, p1, 0, 0);
	raise_event(p1, RTE_ETH_EVENT_ERR_RECOVERING);
	TEST_ASSERT_SUCCESS(wait_events(1), "begin");
	TEST_ASSERT_EQUAL(resetcoord_client_sync(c), -EAGAIN, "ack");
	raise_event(p1, RTE_ETH_EVENT_RECOVERY_SUCCESS);
	TEST_ASSERT_SUCCESS(sync_all(&c, 1, 1000), "resumes");
	TEST_ASSERT_EQUAL(drained, 1, "drained once");
	resetcoord_free(r2);
	/* once the owner is gone, the port may be managed again */
	free_instance();
	r = make(100, 2000);
	TEST_ASSERT_SUCCESS(resetcoord_port_add(r, p1, &pc1), "after the free");
	return TEST_SUCCESS;
}

/*
 * resetcoord_free() while the library's ethdev callback runs on another thread
 * for a port other than the last port id (the interleaving of ethdev's
 * RTE_ETH_ALL unregister, which reports -EAGAIN for the last port id
 * only): the free must wait for the callback, not free the instance under
 * it (and leave its entry registered).
 *
 * To hold the callback, the test stops the control thread in the notify
 * callback, fills the event queue from a raiser thread, and catches the
 * library's "event queue full" log line (which the callback writes) in a
 * log stream that holds that thread for 200 ms. Meanwhile the case calls
 * resetcoord_free(): it must return after the held callback went on.
 */
static unsigned int hold_entered, hold_seq, held_done_seq;
static unsigned int free_done_seq;

static ssize_t
hold_write(void *cookie, const char *buf, size_t size)
{
	RTE_SET_USED(cookie);
	if (memmem(buf, size, "event queue full", 16) != NULL &&
	    __atomic_exchange_n(&hold_entered, 1, __ATOMIC_ACQ_REL) == 0) {
		rte_delay_us_sleep(200 * 1000);
		/* the callback goes on after this write returns */
		__atomic_store_n(&held_done_seq,
				 __atomic_add_fetch(&hold_seq, 1,
						    __ATOMIC_SEQ_CST),
				 __ATOMIC_RELEASE);
	}
	return fwrite(buf, 1, size, stderr);
}

static void *
raiser_main(void *arg)
{
	unsigned int i;

	RTE_SET_USED(arg);
	/* more than the event queue holds (4096); stop once held */
	for (i = 0; i < 8192; i++) {
		raise_event(p1, RTE_ETH_EVENT_RECOVERY_SUCCESS);
		if (__atomic_load_n(&hold_entered, __ATOMIC_ACQUIRE) != 0)
			break;
	}
	return NULL;
}

static int
test_free_waits_for_callback(void)
{
	cookie_io_functions_t io = { .write = hold_write };
	struct resetcoord *r = make(100, 2000);
	uint64_t end;
	pthread_t th;
	FILE *f;
	int ret;

	TEST_ASSERT_SUCCESS(resetcoord_port_add(r, p1, &pc1), "add");
	TEST_ASSERT(p1 != RTE_MAX_ETHPORTS - 1, "p1 is not the last port id");
	hold_entered = 0;
	hold_seq = 0;
	held_done_seq = 0;
	free_done_seq = 0;
	f = fopencookie(NULL, "w", io);
	TEST_ASSERT_NOT_NULL(f, "log stream");
	setvbuf(f, NULL, _IONBF, 0);
	gate_arm(RESETCOORD_EVENT_RESET_BEGIN);
	raise_event(p1, RTE_ETH_EVENT_ERR_RECOVERING);
	TEST_ASSERT_SUCCESS(gate_wait_entered(), "control thread held");
	rte_openlog_stream(f);
	ret = pthread_create(&th, NULL, raiser_main, NULL);
	if (ret != 0) {
		rte_openlog_stream(NULL);
		fclose(f);
		TEST_FAIL("pthread_create: %d", ret);
	}
	end = rte_get_timer_cycles() + 5 * rte_get_timer_hz();
	while (__atomic_load_n(&hold_entered, __ATOMIC_ACQUIRE) == 0 &&
	       rte_get_timer_cycles() < end)
		rte_delay_us_sleep(100);
	gate_release();
	ret = __atomic_load_n(&hold_entered, __ATOMIC_ACQUIRE);
	free_instance();
	free_done_seq = __atomic_add_fetch(&hold_seq, 1, __ATOMIC_SEQ_CST);
	pthread_join(th, NULL);
	rte_openlog_stream(NULL);
	fclose(f);
	TEST_ASSERT_EQUAL(ret, 1, "a callback was held in the event queue");
	TEST_ASSERT(free_done_seq >
		    __atomic_load_n(&held_done_seq, __ATOMIC_ACQUIRE),
		    "resetcoord_free() returned before the callback (free %u, callback %u)",
		    free_done_seq, held_done_seq);
	return TEST_SUCCESS;
}

/*
 * More events than the event queue holds while the control thread is
 * held up (an application callback that blocks): none is lost. The last
 * one, a removal, must still remove the port.
 */
static int
test_event_queue_overflow(void)
{
	struct resetcoord *r = make(100, 2000);
	struct resetcoord_port_stats st;
	struct resetcoord_client *c;
	unsigned int i;

	TEST_ASSERT_SUCCESS(add_p1_client(r, &pc1, NULL, &c), "add");
	gate_arm(RESETCOORD_EVENT_RESET_BEGIN);
	raise_event(p1, RTE_ETH_EVENT_ERR_RECOVERING);
	TEST_ASSERT_SUCCESS(gate_wait_entered(), "control thread held");
	/* the queue holds 4095 events; the outcome repeated is harmless */
	for (i = 0; i < 4200; i++)
		raise_event(p1, RTE_ETH_EVENT_RECOVERY_SUCCESS);
	raise_event(p1, RTE_ETH_EVENT_INTR_RMV);
	gate_release();
	for (i = 0; i < 20000 &&
	     __atomic_load_n(&ev_count[RESETCOORD_EVENT_REMOVED],
			     __ATOMIC_ACQUIRE) == 0; i++) {
		resetcoord_client_sync(c);
		rte_delay_us_sleep(100);
	}
	TEST_ASSERT_EQUAL(__atomic_load_n(&ev_count[RESETCOORD_EVENT_REMOVED],
					  __ATOMIC_ACQUIRE), 1,
			  "the removal was not lost");
	TEST_ASSERT_SUCCESS(sync_all(&c, 1, 2000), "client resumes");
	TEST_ASSERT_EQUAL(resetcoord_client_ops(c, 0)->state, RESETCOORD_PORT_REMOVED,
			  "the client is off the port");
	TEST_ASSERT_SUCCESS(resetcoord_port_stats_get(r, p1, &st), "stats");
	TEST_ASSERT_EQUAL(st.state, RESETCOORD_PORT_REMOVED, "state");
	/* after the overflow, events go through the queue again */
	TEST_ASSERT_SUCCESS(resetcoord_port_add(r, p2, &pc2), "add p2");
	raise_event(p2, RTE_ETH_EVENT_RECOVERY_FAILED);
	for (i = 0; i < 20000 &&
	     __atomic_load_n(&ev_count[RESETCOORD_EVENT_RESET_FAILED],
			     __ATOMIC_ACQUIRE) == 0; i++)
		rte_delay_us_sleep(100);
	TEST_ASSERT_SUCCESS(resetcoord_port_stats_get(r, p2, &st), "stats p2");
	TEST_ASSERT_EQUAL(st.state, RESETCOORD_PORT_FAILED, "p2 failed");
	return TEST_SUCCESS;
}

/*
 * Many notifications in one go (the control thread finds 400 events at
 * once): every one is delivered, in order, none dropped for want of room.
 */
static int
test_many_notifications(void)
{
	struct resetcoord *r = make(100, 2000);
	unsigned int i, n = 200;

	TEST_ASSERT_SUCCESS(resetcoord_port_add(r, p1, &pc1), "add");
	gate_arm(RESETCOORD_EVENT_RESET_BEGIN);
	raise_event(p1, RTE_ETH_EVENT_ERR_RECOVERING);
	TEST_ASSERT_SUCCESS(gate_wait_entered(), "control thread held");
	/* each pair ends the running reset and begins the next one */
	for (i = 0; i < n; i++) {
		raise_event(p1, RTE_ETH_EVENT_RECOVERY_FAILED);
		raise_event(p1, RTE_ETH_EVENT_ERR_RECOVERING);
	}
	raise_event(p1, RTE_ETH_EVENT_RECOVERY_SUCCESS);
	gate_release();
	for (i = 0; i < 20000 &&
	     __atomic_load_n(&ev_count[RESETCOORD_EVENT_RESET_DONE],
			     __ATOMIC_ACQUIRE) == 0; i++)
		rte_delay_us_sleep(100);
	TEST_ASSERT_EQUAL(__atomic_load_n(&ev_count[RESETCOORD_EVENT_RESET_BEGIN],
					  __ATOMIC_ACQUIRE), n + 1, "begins");
	TEST_ASSERT_EQUAL(__atomic_load_n(&ev_count[RESETCOORD_EVENT_RESET_FAILED],
					  __ATOMIC_ACQUIRE), n, "failures");
	TEST_ASSERT_EQUAL(__atomic_load_n(&ev_count[RESETCOORD_EVENT_RESET_DONE],
					  __ATOMIC_ACQUIRE), 1, "the last one");
	for (i = 0; i < MAX_EVENTS; i++)
		TEST_ASSERT_EQUAL(events[i].ev, i % 2 == 0 ?
				  RESETCOORD_EVENT_RESET_BEGIN :
				  RESETCOORD_EVENT_RESET_FAILED, "order at %u", i);
	return TEST_SUCCESS;
}

/*
 * The callback-context rules: what would deadlock or free what the caller
 * stands on fails with an errno, what is allowed works.
 */
static struct resetcoord_client *ctx_client;
static int ctx_free_ret, ctx_free_errno, ctx_sync_ret, ctx_use_ret;
static int ctx_restore_free_ret, ctx_restore_free_errno;
static int ctx_drain_sync, ctx_drain_unreg, ctx_drain_unreg_errno;
static int ctx_drain_free, ctx_drain_free_errno;
static struct resetcoord_client *ctx_late;
static unsigned int ctx_hooked; /* notifications the hook has handled */

static void
ctx_notify(uint16_t port, enum resetcoord_event ev)
{
	RTE_SET_USED(port);
	if (ev == RESETCOORD_EVENT_RESET_BEGIN) {
		ctx_free_ret = resetcoord_free(cur_r);
		ctx_free_errno = rte_errno;
		ctx_sync_ret = resetcoord_client_sync(ctx_client);
	} else if (ev == RESETCOORD_EVENT_RESET_DONE) {
		/* registration is allowed here */
		ctx_late = resetcoord_client_register(cur_r, "from-notify", NULL,
					       NULL);
		ctx_use_ret = ctx_late != NULL ?
			      resetcoord_client_use(ctx_late, p2, 0, 0) : -2;
	}
	/* pairs with the acquire load in ctx_wait() */
	__atomic_fetch_add(&ctx_hooked, 1, __ATOMIC_RELEASE);
}

/* Wait (at most 2 s) until the hook handled n notifications. */
static int
ctx_wait(unsigned int n)
{
	unsigned int i;

	for (i = 0; i < 20000; i++) {
		if (__atomic_load_n(&ctx_hooked, __ATOMIC_ACQUIRE) >= n)
			return 0;
		rte_delay_us_sleep(100);
	}
	return -1;
}

static void
ctx_drain(void *arg)
{
	RTE_SET_USED(arg);
	ctx_drain_sync = resetcoord_client_sync(ctx_client);
	ctx_drain_unreg = resetcoord_client_unregister(ctx_client);
	ctx_drain_unreg_errno = rte_errno;
	ctx_drain_free = resetcoord_free(cur_r);
	ctx_drain_free_errno = rte_errno;
}

static int
ctx_restore(uint16_t port_id, void *arg)
{
	RTE_SET_USED(port_id);
	RTE_SET_USED(arg);
	ctx_restore_free_ret = resetcoord_free(cur_r);
	ctx_restore_free_errno = rte_errno;
	return 0;
}

static int
test_callback_contexts(void)
{
	struct resetcoord *r = make(100, 2000);
	struct resetcoord_port_conf pc = pc1;
	struct resetcoord_port_stats st;
	int ret;

	if (rte_eth_dev_reset(p1) == -ENOTSUP)
		TEST_SKIP("the driver has no dev_reset");
	TEST_ASSERT_SUCCESS(port_up(p1, &pc1), "port back up");
	pc.restore = ctx_restore;
	ctx_free_ret = ctx_sync_ret = ctx_use_ret = 1;
	ctx_restore_free_ret = ctx_drain_sync = ctx_drain_unreg = 1;
	ctx_drain_free = 1;
	ctx_late = NULL;
	ctx_hooked = 0;
	TEST_ASSERT_SUCCESS(resetcoord_port_add(r, p1, &pc), "add");
	TEST_ASSERT_SUCCESS(resetcoord_port_add(r, p2, &pc2), "add p2");
	ctx_client = resetcoord_client_register(r, "lcore-a", ctx_drain, NULL);
	resetcoord_client_use(ctx_client, p1, 0, 0);
	notify_hook = ctx_notify;
	raise_event(p1, RTE_ETH_EVENT_INTR_RESET);
	TEST_ASSERT_SUCCESS(ctx_wait(1), "begin");
	/* notify, on the control thread */
	TEST_ASSERT_EQUAL(ctx_free_ret, -1, "resetcoord_free() from notify");
	TEST_ASSERT_EQUAL(ctx_free_errno, EDEADLK, "EDEADLK");
	TEST_ASSERT_EQUAL(ctx_sync_ret, -EPERM, "sync from notify");
	/* drain, on this thread inside resetcoord_client_sync() */
	ret = resetcoord_client_sync(ctx_client);
	/* 0 if the whole passive reset ran between the ack and the return */
	TEST_ASSERT(ret == -EAGAIN || ret == 0, "ack: %d", ret);
	TEST_ASSERT_EQUAL(ctx_drain_sync, -EBUSY, "sync from drain");
	TEST_ASSERT_EQUAL(ctx_drain_unreg, -1, "unregister from drain");
	TEST_ASSERT_EQUAL(ctx_drain_unreg_errno, EBUSY, "EBUSY");
	TEST_ASSERT_EQUAL(ctx_drain_free, -1, "resetcoord_free() from drain");
	TEST_ASSERT_EQUAL(ctx_drain_free_errno, EBUSY, "EBUSY");
	/* the refused calls left everything in place: the reset goes on */
	TEST_ASSERT_SUCCESS(sync_all(&ctx_client, 1, 1500), "resumes");
	TEST_ASSERT_SUCCESS(ctx_wait(2), "end");
	TEST_ASSERT_EQUAL(events[1].ev, RESETCOORD_EVENT_RESET_DONE, "done");
	TEST_ASSERT_EQUAL(ctx_restore_free_ret, -1, "resetcoord_free() from restore");
	TEST_ASSERT_EQUAL(ctx_restore_free_errno, EDEADLK, "EDEADLK");
	TEST_ASSERT_NOT_NULL(ctx_late, "register from notify");
	TEST_ASSERT_EQUAL(ctx_use_ret, 0, "use from notify");
	TEST_ASSERT_SUCCESS(resetcoord_port_stats_get(r, p1, &st), "stats");
	TEST_ASSERT_EQUAL_U(st.resets_ok, 1, "reset done");
	return TEST_SUCCESS;
}

/* A worker lcore really forwarding on p1 while resets come and go. */
struct worker {
	struct resetcoord_client *c;
	volatile int quit;
	uint64_t loops_after_reset;
	uint64_t rx, tx, held_freed;
	struct rte_mbuf *held[32];
	unsigned int nb_held;
};

static void
worker_drain(void *arg)
{
	struct worker *w = arg;

	rte_pktmbuf_free_bulk(w->held, w->nb_held);
	w->held_freed += w->nb_held;
	w->nb_held = 0;
}

static int
worker_main(void *arg)
{
	struct worker *w = arg;
	struct rte_mbuf *m[32];
	uint16_t n, s;

	while (!w->quit) {
		const struct resetcoord_ops *o;

		if (unlikely(resetcoord_client_pending(w->c)) &&
		    resetcoord_client_sync(w->c) != 0)
			continue;
		o = resetcoord_client_ops(w->c, 0);
		if (o->state != RESETCOORD_PORT_LIVE)
			continue;
		if (o->generation > 1)
			w->loops_after_reset++;
		/* keep a few frames in flight on the loopback wire */
		if (w->nb_held == 0 &&
		    rte_pktmbuf_alloc_bulk(mp, w->held, 8) == 0) {
			for (s = 0; s < 8; s++)
				rte_pktmbuf_append(w->held[s], 64);
			w->nb_held = 8;
		}
		s = rte_eth_tx_burst(o->port_id, o->tx_queue, w->held,
				     w->nb_held);
		memmove(w->held, w->held + s, (w->nb_held - s) * sizeof(void *));
		w->nb_held -= s;
		w->tx += s;
		n = rte_eth_rx_burst(o->port_id, o->rx_queue, m, 32);
		w->rx += n;
		rte_pktmbuf_free_bulk(m, n);
	}
	worker_drain(w);
	return 0;
}

static int
test_worker_lcore(void)
{
	struct resetcoord *r = make(200, 2000);
	static struct worker w;
	unsigned int lcore = rte_get_next_lcore(-1, 1, 0);
	int i;

	if (lcore >= RTE_MAX_LCORE)
		TEST_SKIP("needs a worker lcore (-l 0-1)");
	memset(&w, 0, sizeof(w));
	TEST_ASSERT_SUCCESS(resetcoord_port_add(r, p1, &pc1), "add");
	w.c = resetcoord_client_register(r, "worker", worker_drain, &w);
	resetcoord_client_use(w.c, p1, 0, 0);
	TEST_ASSERT_SUCCESS(rte_eal_remote_launch(worker_main, &w, lcore),
			    "launch");
	for (i = 0; i < 5; i++) {
		unsigned int base = __atomic_load_n(&nb_events,
						    __ATOMIC_ACQUIRE);

		rte_delay_ms(10);
		raise_event(p1, RTE_ETH_EVENT_ERR_RECOVERING);
		TEST_ASSERT_SUCCESS(wait_events(base + 1), "begin %d", i);
		/* the driver recovers; the lcore must have left first */
		rte_delay_ms(5);
		raise_event(p1, RTE_ETH_EVENT_RECOVERY_SUCCESS);
		TEST_ASSERT_SUCCESS(wait_events(base + 2), "done %d", i);
		TEST_ASSERT_EQUAL(events[base + 1].ev, RESETCOORD_EVENT_RESET_DONE,
				  "reset %d ok", i);
	}
	rte_delay_ms(10);
	w.quit = 1;
	rte_eal_wait_lcore(lcore);
	TEST_ASSERT(w.rx > 0 && w.tx > 0, "traffic flowed (rx %" PRIu64
		    ", tx %" PRIu64 ")", w.rx, w.tx);
	TEST_ASSERT(w.loops_after_reset > 0, "the lcore resumed after resets");
	TEST_ASSERT_EQUAL(resetcoord_client_ops(w.c, 0)->generation, 6,
			  "generation 6 after five resets");
	free_instance();
	/*
	 * Every mbuf the worker held went back through its drain, and a
	 * stopped port holds none: the pool is full again.
	 */
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p1), "stop 1");
	TEST_ASSERT_SUCCESS(rte_eth_dev_stop(p2), "stop 2");
	TEST_ASSERT_EQUAL(rte_mempool_in_use_count(mp), 0,
			  "every mbuf back in the pool");
	return TEST_SUCCESS;
}

static struct unit_test_suite resetcoord_suite = {
	.suite_name = "resetcoord reset coordination library",
	.setup = resetcoord_suite_setup,
	.teardown = resetcoord_suite_teardown,
	.unit_test_cases = {
		TEST_CASE_ST(case_setup, case_teardown, test_api_errors),
		TEST_CASE_ST(case_setup, case_teardown, test_proactive),
		TEST_CASE_ST(case_setup, case_teardown,
			     test_proactive_failed_then_removed),
		TEST_CASE_ST(case_setup, case_teardown,
			     test_ops_change_in_sync_only),
		TEST_CASE_ST(case_setup, case_teardown, test_passive),
		TEST_CASE_ST(case_setup, case_teardown,
			     test_passive_restore_fails),
		TEST_CASE_ST(case_setup, case_teardown,
			     test_failure_in_every_phase),
		TEST_CASE_ST(case_setup, case_teardown,
			     test_reset_during_restore),
		TEST_CASE_ST(case_setup, case_teardown,
			     test_reset_during_recovery),
		TEST_CASE_ST(case_setup, case_teardown, test_late_client),
		TEST_CASE_ST(case_setup, case_teardown, test_coalesce),
		TEST_CASE_ST(case_setup, case_teardown, test_event_order),
		TEST_CASE_ST(case_setup, case_teardown, test_many_clients),
		TEST_CASE_ST(case_setup, case_teardown,
			     test_port_closed_during_reset),
		TEST_CASE_ST(case_setup, case_teardown,
			     test_port_closed_while_idle),
		TEST_CASE_ST(case_setup, case_teardown, test_one_owner_per_port),
		TEST_CASE_ST(case_setup, case_teardown,
			     test_free_waits_for_callback),
		TEST_CASE_ST(case_setup, case_teardown,
			     test_event_queue_overflow),
		TEST_CASE_ST(case_setup, case_teardown,
			     test_many_notifications),
		TEST_CASE_ST(case_setup, case_teardown, test_callback_contexts),
		TEST_CASE_ST(case_setup, case_teardown, test_worker_lcore),
		TEST_CASES_END()
	}
};

static int
resetcoord_autotest(void)
{
	return unit_test_suite_runner(&resetcoord_suite);
}

REGISTER_TEST_COMMAND(resetcoord_autotest, resetcoord_autotest);
