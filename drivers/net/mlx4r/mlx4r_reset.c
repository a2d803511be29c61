/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * The coordinated soft reset of an HCA: the state machine
 *
 *   LIVE -> BARRED -> DRAINING -> RESETTING -> REINIT -> LIVE
 *                         \__________________________\__-> FAILED
 *
 * run by one control thread per HCA, the events it raises, and where
 * close stops a running reset (mlx4r_reset_stop(), mlx4r_dev_free()).
 *
 * Threads
 * -------
 * - The control thread ("mlx4r-rst-<n>", a DPDK control thread) sleeps
 *   on rq_cond with a timeout: every MLX4R_HEALTH_MS it checks the device
 *   (mlx4r_dev_health(): the async fd's state and a firmware command,
 *   not query_device, which the kernel answers from a copy), fires the
 *   devargs fault schedule, and runs a reset when a request is posted
 *   (or, for a queue in error, a repair of that queue alone:
 *   mlx4r_repair.c). It raises every reset event, never holding a lock
 *   an application callback could need.
 * - The EAL interrupt thread reads async events (mlx4r_core.c) and only
 *   posts requests (rq_lock, never the control lock).
 * - Application threads call the ethdev ops, gated under the control
 *   lock (mlx4r_gate.c): a defined errno while a reset runs (errno table
 *   in doc/guides/nics/mlx4r_reset.rst), always-working stop/close/
 *   release/stats/info.
 *
 * The quiescence proof of the datapath (bar, membarrier, drain, unbar)
 * is mlx4r_quiesce.c.
 *
 * The reset never writes rte_eth_fp_ops[port] (nor eth_dev->rx/
 * tx_pkt_burst): ethdev owns that entry and replaces it as a whole, burst
 * function and queue array, at stop and start, without any lock the
 * driver could share; a reset that wrote the real burst function back
 * while an application's stop had put ethdev's dummy queue array in place
 * would hand a polling lcore that array. During a reset the bursts stay
 * the real ones and the bar refuses (return 0, counted), the same effect
 * for an application as the dummy bursts ethdev's documentation of
 * RTE_ETH_EVENT_ERR_RECOVERING mentions; the bursts refuse whatever queue
 * pointer is not one of ours (mlx4r_rxtx.c).
 *
 * What is freed by whom: the reset frees device objects, rings and mbufs,
 * only after the quiescence proof. Queue structures (struct mlx4r_rxq/txq)
 * are type-stable: released queues stay, barred, at their addresses and
 * are reused by the next set-up of their index; they are freed with the
 * device (mlx4r.h). The control thread walks the driver's list of a
 * port's queues (mlx4r_port.rxqs/txqs, control lock), never ethdev's
 * rx_queues[]/tx_queues[], which ethdev frees without the driver's lock
 * (eth_dev_rx_queue_config(dev, 0), lib/ethdev/ethdev_private.c).
 */

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/queue.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_pause.h>
#include <rte_tailq.h>

#include <ethdev_driver.h>

#include "mlx4r.h"
#include "mlx4r_fault.h"
#include "mlx4r_mp.h"
#include "mlx4r_quiesce.h"
#include "mlx4r_registry.h"
#include "mlx4r_reset.h"
#include "rte_pmd_mlx4r.h"

static void mlx4r_dev_free_now(struct mlx4r_dev *dev);

/* Period of the health check and of the fault schedule. */
#define MLX4R_HEALTH_MS 100
/* First and largest back-off between two reopen attempts. */
#define MLX4R_BACKOFF_MIN_MS 5
#define MLX4R_BACKOFF_MAX_MS 200

/*
 * Poll period while the device is dying or absent after a catastrophic
 * error, first and largest: the kernel needs seconds (mlx4 catas.c: a 1 s
 * chip reset, then mlx4_restart_one() unloads and reloads the device),
 * so the period grows rather than spend hundreds of device scans.
 */
#define MLX4R_REAPPEAR_POLL_MIN_MS 10
#define MLX4R_REAPPEAR_POLL_MAX_MS 250

/* enum rte_pmd_mlx4r_reset_phase mirrors enum mlx4r_rst_state. */
static_assert((int)RTE_PMD_MLX4R_RESET_FAILED == (int)MLX4R_RST_FAILED &&
	      (int)RTE_PMD_MLX4R_RESET_REINIT == (int)MLX4R_RST_REINIT,
	      "public and private phases differ");

static const char * const mlx4r_state_names[] = {
	[MLX4R_RST_LIVE] = "live",
	[MLX4R_RST_BARRED] = "barred",
	[MLX4R_RST_DRAINING] = "draining",
	[MLX4R_RST_RESETTING] = "resetting",
	[MLX4R_RST_REINIT] = "reinit",
	[MLX4R_RST_FAILED] = "failed",
};

const char *
mlx4r_reset_state_name(enum mlx4r_rst_state s)
{
	return (unsigned int)s < RTE_DIM(mlx4r_state_names) ?
	       mlx4r_state_names[s] : "?";
}

/*
 * The reset machine whose event callbacks this thread is running now, or
 * NULL: set by mlx4r_raise_one() around rte_eth_dev_callback_process(),
 * on the control thread and on the EAL interrupt thread (LSC). A close or
 * a remove called from inside such a callback must not wait for what
 * waits for the callback to return (mlx4r_reset_stop()).
 */
static __thread const struct mlx4r_reset *mlx4r_cb_rst;

/*
 * The control threads of devices whose last port was closed from inside
 * one of their own event callbacks: such a thread cannot be joined by the
 * close (it is the caller, or it waits for the caller's callback to
 * return), so it frees the device on its way out and stays here until
 * someone joins it: the vdev remove path (rte_vdev_uninit(), and
 * rte_eal_cleanup() through the vdev bus's cleanup, eal_bus_cleanup() ->
 * vdev_cleanup() -> remove in DPDK 22.11) and the probe of a device of the
 * same name (mlx4r_reset_reap()). Process-local; mlx4r_dying_lock guards
 * the list, never held while joining.
 */
struct mlx4r_dying {
	TAILQ_ENTRY(mlx4r_dying) next;
	char name[RTE_DEV_NAME_MAX_LEN]; /**< vdev name of the device */
	mlx4r_thread_t tid;              /**< its control thread */
	const struct mlx4r_reset *rst;   /**< identity only, never read */
};

static TAILQ_HEAD(, mlx4r_dying) mlx4r_dying_list =
	TAILQ_HEAD_INITIALIZER(mlx4r_dying_list);
static pthread_mutex_t mlx4r_dying_lock = PTHREAD_MUTEX_INITIALIZER;

/*
 * Mbufs a stopped-now port's rings hold that the stop frees: the Tx
 * rings', and the Rx rings' unless @p keep_rx (mlx4r_rxq_keep()).
 */
static uint64_t
mlx4r_port_pending_mbufs(struct mlx4r_port *port, bool keep_rx)
{
	struct mlx4r_rxq *rxq;
	struct mlx4r_txq *txq;
	uint64_t n = 0;
	uint32_t j;
	uint16_t i;

	/* the driver's list, never ethdev's arrays (mlx4r_port.rxqs) */
	MLX4R_FOREACH_RXQ(port, i, rxq) {
		if (rxq->elts == NULL || keep_rx)
			continue;
		for (j = 0; j < rxq->nb_wqe * rxq->sges; j++)
			n += rxq->elts[j] != NULL;
	}
	MLX4R_FOREACH_TXQ(port, i, txq) {
		if (txq->elts == NULL)
			continue;
		for (j = 0; j < txq->txbb_cnt; j++)
			if (txq->elts[j] != NULL)
				n += txq->elts[j]->nb_segs;
	}
	return n;
}

/*
 * Stop a port's device objects and take back its mbufs, counted; its
 * queues are barred and quiescent. A port the reset replays (proactive)
 * keeps its posted Rx buffers for the new WQs (mlx4r_rxq_keep()), unless
 * @p keep_rx is false. Control lock held.
 */
void
mlx4r_port_release_hw(struct mlx4r_dev *dev, struct mlx4r_port *port,
		      bool keep_rx)
{
	struct mlx4r_reset *rst = dev->reset;
	uint64_t n;

	if (!port->started)
		return;
	keep_rx = keep_rx && rst->port[port->port_num - 1].restart;
	n = mlx4r_port_pending_mbufs(port, keep_rx);
	rst->port[port->port_num - 1].mbufs_reclaimed += n;
	rst->mbufs_reclaimed += n;
	/* the ethdev stop op: lpbk off, flows, RSS, queues (frees mbufs) */
	port->keep_rx = keep_rx;
	mlx4r_dev_ops.dev_stop(port->eth_dev);
	port->keep_rx = false;
	/*
	 * The driver's stop, not the application's: ethdev still has the
	 * port started, and its queue states stay the application's
	 * (mlx4r_port_queue_states()); the application's own stop in a
	 * reset sets them stopped (mlx4r_stop_locked()).
	 */
	mlx4r_port_queue_states(port, true);
}

/*
 * The Rx buffers a reset kept for a replay that will not come (the reset
 * failed for good, the application stopped the port meanwhile; control
 * lock held): back to their pools, counted.
 */
void
mlx4r_port_drop_kept(struct mlx4r_port *port)
{
	struct mlx4r_rxq *rxq;
	uint16_t i;

	MLX4R_FOREACH_RXQ(port, i, rxq)
		if (rxq->kept != 0 && rxq->wq == NULL)
			mlx4r_rxq_stop(rxq);
}

/*
 * Requests and events.
 */

/* A new port joins the clients of the device core (probe). */
void
mlx4r_reset_port_add(struct mlx4r_dev *dev, struct mlx4r_port *port)
{
	pthread_mutex_lock(&dev->reset->lock);
	dev->reset->ports[port->port_num - 1] = port;
	pthread_mutex_unlock(&dev->reset->lock);
	pthread_mutex_lock(&dev->reset->rq_lock);
	dev->reset->open_devs[port->port_num - 1] = port->eth_dev;
	pthread_mutex_unlock(&dev->reset->rq_lock);
}

void
mlx4r_reset_lock(struct mlx4r_dev *dev)
{
	pthread_mutex_lock(&dev->reset->lock);
}

void
mlx4r_reset_unlock(struct mlx4r_dev *dev)
{
	pthread_mutex_unlock(&dev->reset->lock);
}

/* State change, control lock held: wake dev_reset waiters. */
static void
mlx4r_set_state(struct mlx4r_reset *rst, enum mlx4r_rst_state s)
{
	/* relaxed: observers (telemetry, state_get) only report it */
	__atomic_store_n(&rst->state, s, __ATOMIC_RELAXED);
	pthread_cond_broadcast(&rst->st_cond);
}

/*
 * Post a request to the control thread; any thread, no control lock
 * needed (the EAL interrupt thread must not take it). Requests coalesce in
 * one bit mask; the control thread takes the whole mask at once.
 */
void
mlx4r_reset_post(struct mlx4r_dev *dev, uint32_t req)
{
	struct mlx4r_reset *rst = dev->reset;

	if (rst == NULL)
		return;
	pthread_mutex_lock(&rst->rq_lock);
	/* already pending: merged (a repair request is not a reset) */
	if ((rst->req & req) == req && req != MLX4R_REQ_REPAIR)
		rst->coalesced++;
	rst->req |= req;
	/*
	 * A broadcast: a close may wait on rq_cond too (mlx4r_raise_fence())
	 * and a signal could wake it instead of the control thread.
	 */
	pthread_cond_broadcast(&rst->rq_cond);
	pthread_mutex_unlock(&rst->rq_lock);
}

static bool
mlx4r_closing(struct mlx4r_reset *rst)
{
	bool c;

	pthread_mutex_lock(&rst->rq_lock);
	c = rst->closing;
	pthread_mutex_unlock(&rst->rq_lock);
	return c;
}

/* Sleep up to @p ms or until closing; rq_lock not held. */
static void
mlx4r_nap(struct mlx4r_reset *rst, uint32_t ms)
{
	struct timespec ts;

	mlx4r_abstime(&ts, mlx4r_now_ns() + (uint64_t)ms * 1000000u);
	pthread_mutex_lock(&rst->rq_lock);
	while (!rst->closing &&
	       pthread_cond_timedwait(&rst->rq_cond, &rst->rq_lock, &ts) == 0)
		;
	pthread_mutex_unlock(&rst->rq_lock);
}

/*
 * Raise @p ev on every port listed in @p eth_devs. Called by the control
 * thread with no lock held: an application callback may call any ethdev
 * function (they take the control lock), and rte_eth_dev_callback_process()
 * itself releases ethdev's callback lock around each callback.
 */
/*
 * Raise @p ev on one port unless it was closed: ethdev would run a
 * released port's callbacks with its zeroed data (port id 0). Handshake
 * with mlx4r_raise_fence() in close (an application thread): the port is
 * checked and this thread registered as a raiser under rq_lock; close
 * removes the port from open_devs under rq_lock, then waits until no
 * other thread raises on it. No lock is held while callbacks run. Called
 * by the control thread and by the interrupt thread (LSC).
 *
 * INTR_RMV goes only to the ports whose application asked for it
 * (intr_conf.rmv), and that is read here, under rq_lock with the port in
 * open_devs, for the same reason: once close has fenced the port, ethdev
 * releases it, and DPDK 24.11's rte_eth_dev_release_port() leaves
 * eth_dev->data NULL (22.11 zeroes the data in place). Reading it after
 * the outcome was raised, without the fence, crashed the control thread
 * when the application closed the port in between (the stress suite's
 * removal at the end of a round that ended FAILED).
 */
static void
mlx4r_raise_one(struct mlx4r_reset *rst, struct rte_eth_dev *eth_dev,
		enum rte_eth_event_type ev)
{
	const struct mlx4r_reset *prev;
	pthread_t self = pthread_self();
	unsigned int i, k;

	pthread_mutex_lock(&rst->rq_lock);
	for (i = 0; i < RTE_DIM(rst->open_devs); i++)
		if (rst->open_devs[i] == eth_dev)
			break;
	if (rst->closing || i == RTE_DIM(rst->open_devs) ||
	    rst->nb_raisers[i] == RTE_DIM(rst->raisers[i]) ||
	    (ev == RTE_ETH_EVENT_INTR_RMV &&
	     !eth_dev->data->dev_conf.intr_conf.rmv)) {
		pthread_mutex_unlock(&rst->rq_lock);
		return;
	}
	rst->raisers[i][rst->nb_raisers[i]++] = self;
	pthread_mutex_unlock(&rst->rq_lock);
	prev = mlx4r_cb_rst;
	mlx4r_cb_rst = rst;
	rte_eth_dev_callback_process(eth_dev, ev, NULL);
	mlx4r_cb_rst = prev;
	pthread_mutex_lock(&rst->rq_lock);
	for (k = 0; k < rst->nb_raisers[i]; k++) {
		if (pthread_equal(rst->raisers[i][k], self)) {
			rst->raisers[i][k] =
				rst->raisers[i][--rst->nb_raisers[i]];
			break;
		}
	}
	pthread_cond_broadcast(&rst->rq_cond);
	pthread_mutex_unlock(&rst->rq_lock);
}

static void
mlx4r_raise(struct mlx4r_reset *rst, struct rte_eth_dev **eth_devs,
	    unsigned int n, enum rte_eth_event_type ev)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		mlx4r_raise_one(rst, eth_devs[i], ev);
}

/* The interrupt thread's link events go through the same handshake. */
void
mlx4r_reset_raise(struct mlx4r_dev *dev, struct rte_eth_dev *eth_dev,
		  enum rte_eth_event_type ev)
{
	mlx4r_raise_one(dev->reset, eth_dev, ev);
}

/* Is a thread other than the caller raising on port i? rq_lock held. */
static bool
mlx4r_raising_others(const struct mlx4r_reset *rst, unsigned int i)
{
	unsigned int k;

	for (k = 0; k < rst->nb_raisers[i]; k++)
		if (!pthread_equal(rst->raisers[i][k], pthread_self()))
			return true;
	return false;
}

/*
 * Close of a port (no lock held): no event is raised on it from now on,
 * and none runs on another thread. A close from one of its own event
 * callbacks (testpmd closes a port on INTR_RMV) does not wait for itself.
 */
void
mlx4r_raise_fence(struct mlx4r_reset *rst, struct rte_eth_dev *eth_dev)
{
	unsigned int i;

	pthread_mutex_lock(&rst->rq_lock);
	for (i = 0; i < RTE_DIM(rst->open_devs); i++) {
		if (rst->open_devs[i] != eth_dev)
			continue;
		rst->open_devs[i] = NULL;
		while (mlx4r_raising_others(rst, i))
			pthread_cond_wait(&rst->rq_cond, &rst->rq_lock);
	}
	pthread_mutex_unlock(&rst->rq_lock);
}

/* The live ports, control lock held. */
static unsigned int
mlx4r_live_ports(struct mlx4r_dev *dev, struct mlx4r_port **ports,
		 struct rte_eth_dev **eth_devs)
{
	const struct mlx4r_reset *rst = dev->reset;
	unsigned int i, n = 0;

	for (i = 0; i < MLX4R_MAX_PORTS; i++) {
		if (rst->ports[i] == NULL)
			continue;
		if (ports != NULL)
			ports[n] = rst->ports[i];
		if (eth_devs != NULL)
			eth_devs[n] = rst->ports[i]->eth_dev;
		n++;
	}
	return n;
}

/*
 * The phases. Each returns 0, or -EINTR when close asked the thread to
 * stop (then it returns with nothing held), or another errno to fail the
 * attempt.
 */

/*
 * BARRED: bar every queue, fence, prove quiescence. Called and returns
 * with the control lock held, but drops it between two looks at the
 * markers once the first microseconds of spinning are over, so that no
 * control call waits for an lcore inside a burst (only stop and close of
 * that port do, for their own proof). Meanwhile
 * a port may be stopped (its hardware released, counted) or closed (it
 * leaves rst->ports), a queue released: the next look sees the lists as
 * they are. No queue can be set up or started, and none unbarred: the
 * gate refuses while the state is not LIVE.
 */
static int
mlx4r_phase_barred(struct mlx4r_dev *dev)
{
	struct mlx4r_reset *rst = dev->reset;
	uint64_t t0 = mlx4r_now_ns();
	uint64_t deadline = t0 + (uint64_t)dev->args.reset.deadline_ms *
			    1000000u;
	unsigned int i, n = 0, spins = 0;
	const char *dir = NULL;
	uint16_t q = 0;
	int ret = 0;

	mlx4r_set_state(rst, MLX4R_RST_BARRED);
	for (i = 0; i < MLX4R_MAX_PORTS; i++)
		if (rst->ports[i] != NULL)
			mlx4r_port_bar(rst->ports[i]);
	mlx4r_process_fence();
	for (;;) {
		struct mlx4r_port *busy = NULL;

		for (i = 0; i < MLX4R_MAX_PORTS && busy == NULL; i++) {
			if (rst->ports[i] != NULL &&
			    !mlx4r_port_quiescent(rst->ports[i], &dir, &q))
				busy = rst->ports[i];
		}
		if (busy == NULL)
			break;
		/* relaxed: closing only goes true; checked again under rq_lock */
		if (__atomic_load_n(&rst->closing, __ATOMIC_RELAXED))
			return -EINTR;
		if (mlx4r_now_ns() >= deadline) {
			for (i = 0; i < MLX4R_MAX_PORTS; i++) {
				struct mlx4r_port *p = rst->ports[i];

				if (p == NULL ||
				    mlx4r_port_quiescent(p, &dir, &q))
					continue;
				rst->late_clients++;
				rst->port[i].late++;
				RST_LOG(ERR, MLX4R_PORT_FMT " not quiescent after %u ms (an lcore inside %s queue %u): the device is left as it is",
					MLX4R_PORT_ARGS(p),
					dev->args.reset.deadline_ms, dir, q);
			}
			ret = -ETIMEDOUT;
			break;
		}
		/*
		 * Bursts take microseconds: spin first (the lock held, for a
		 * few microseconds), then sleep without the lock.
		 */
		if (++spins < 1000) {
			rte_pause();
			continue;
		}
		pthread_mutex_unlock(&rst->lock);
		rte_delay_us_sleep(50);
		pthread_mutex_lock(&rst->lock);
	}
	if (ret == 0)
		mlx4r_quiesce_grace();
	for (i = 0; i < MLX4R_MAX_PORTS; i++)
		n += rst->ports[i] != NULL;
	rst->quiesce_ns_last = mlx4r_now_ns() - t0;
	RST_LOG(NOTICE, "%s: barred, %u port(s) %s in %" PRIu64 " us",
		dev->name, n, ret == 0 ? "quiescent" : "NOT quiescent",
		rst->quiesce_ns_last / 1000);
	return ret;
}

/*
 * Passive DRAINING: wait until every live port acknowledged (dev_reset) or
 * the deadline passed (the queues were proven quiescent in BARRED, so the
 * device may be reset anyway). Called without the control lock (dev_reset
 * needs it); returns with it held.
 */
static int
mlx4r_wait_acks(struct mlx4r_dev *dev)
{
	struct mlx4r_reset *rst = dev->reset;
	uint64_t deadline = mlx4r_now_ns() +
			    (uint64_t)dev->args.reset.deadline_ms * 1000000u;
	struct timespec ts;
	unsigned int i;

	mlx4r_abstime(&ts, deadline);
	for (;;) {
		bool all = true;

		pthread_mutex_lock(&rst->lock);
		for (i = 0; i < MLX4R_MAX_PORTS; i++)
			if (rst->ports[i] != NULL && !rst->port[i].acked)
				all = false;
		if (all)
			break;
		if (mlx4r_now_ns() >= deadline) {
			for (i = 0; i < MLX4R_MAX_PORTS; i++) {
				if (rst->ports[i] == NULL || rst->port[i].acked)
					continue;
				rst->port[i].late++;
				rst->late_clients++;
				RST_LOG(WARNING, MLX4R_PORT_FMT " did not acknowledge within %u ms (rte_eth_dev_reset): resetting without it",
					MLX4R_PORT_ARGS(rst->ports[i]),
					dev->args.reset.deadline_ms);
			}
			break;
		}
		/*
		 * dev_reset (mlx4r_g_reset, an application thread) sets acked
		 * under the control lock, then takes rq_lock to signal
		 * rq_cond. Taking rq_lock before dropping the control lock
		 * (the same order) leaves it no gap between our check above
		 * and the wait below: its signal comes once we wait.
		 */
		pthread_mutex_lock(&rst->rq_lock);
		pthread_mutex_unlock(&rst->lock);
		if (rst->closing) {
			pthread_mutex_unlock(&rst->rq_lock);
			return -EINTR;
		}
		pthread_cond_timedwait(&rst->rq_cond, &rst->rq_lock, &ts);
		pthread_mutex_unlock(&rst->rq_lock);
	}
	return 0;
}

/* DRAINING (control lock held): every port gives its mbufs back. */
static void
mlx4r_phase_draining(struct mlx4r_dev *dev)
{
	struct mlx4r_reset *rst = dev->reset;
	uint64_t before = rst->mbufs_reclaimed;
	unsigned int i;

	mlx4r_set_state(rst, MLX4R_RST_DRAINING);
	for (i = 0; i < MLX4R_MAX_PORTS; i++) {
		if (rst->ports[i] != NULL)
			mlx4r_port_release_hw(dev, rst->ports[i], true);
	}
	RST_LOG(NOTICE, "%s: drained, %" PRIu64 " mbufs back to their pools",
		dev->name, rst->mbufs_reclaimed - before);
}

/*
 * RESETTING: memory registrations, PD, context. The interrupt callback is
 * removed first, without the control lock (see mlx4r_reset.h).
 */
static void
mlx4r_phase_resetting(struct mlx4r_dev *dev)
{
	struct mlx4r_reset *rst = dev->reset;
	void *stale[RTE_DIM(dev->qp_errs)];

	mlx4r_set_state(rst, MLX4R_RST_RESETTING);
	pthread_mutex_unlock(&rst->lock);
	mlx4r_dev_intr_uninstall(dev);
	/* QP errors of this context: its queues are rebuilt anyway */
	mlx4r_dev_take_qp_errors(dev, stale, RTE_DIM(stale));
	/*
	 * The old context's handler is gone: the requests posted until now
	 * (its late events, operators) are merged into this reset. From here
	 * on, a fault request is about the context REINIT opens, even one
	 * posted before its handler is installed: mlx4r_run_reset() restarts
	 * the attempt for it.
	 */
	pthread_mutex_lock(&rst->rq_lock);
	if (rst->req != 0)
		rst->coalesced++;
	rst->req = 0;
	pthread_mutex_unlock(&rst->rq_lock);
	pthread_mutex_lock(&rst->lock);
	mlx4r_dev_ctx_close(dev);
	RST_LOG(NOTICE, "%s: device closed", dev->name);
}

/* Tear down whatever a failed REINIT built (control lock held). */
static void
mlx4r_reinit_undo(struct mlx4r_dev *dev)
{
	struct mlx4r_reset *rst = dev->reset;
	unsigned int i;

	for (i = 0; i < MLX4R_MAX_PORTS; i++) {
		struct mlx4r_port *port = rst->ports[i];

		if (port != NULL && port->started) {
			mlx4r_port_bar(port);
			mlx4r_port_release_hw(dev, port, true);
		}
	}
	mlx4r_phase_resetting(dev);
}

/*
 * REINIT (control lock held): reopen with back-off, PD, events, memory,
 * then replay each port that was started (proactive). The lock is
 * released while backing off.
 */
static int
mlx4r_phase_reinit(struct mlx4r_dev *dev, uint32_t *attempt)
{
	struct mlx4r_reset *rst = dev->reset;
	uint32_t backoff = MLX4R_BACKOFF_MIN_MS;
	uint32_t poll_ms = MLX4R_REAPPEAR_POLL_MIN_MS;
	uint64_t appear_by = mlx4r_now_ns() +
		(uint64_t)dev->args.reset.reappear_ms * 1000000;
	int waiting = 0;
	unsigned int i;
	int ret;

	mlx4r_set_state(rst, MLX4R_RST_REINIT);
	for (;;) {
		struct mlx4r_hw_ctx *ctx = NULL;

		/*
		 * The open is where a device takes its time after a reset
		 * (its firmware reset: seconds on a ConnectX-3, fw_reset_slow
		 * on the emulated one): not under the control lock, so that
		 * no control call waits for it. dev->ctx stays NULL meanwhile
		 * (closed in RESETTING): the gated ops refuse in REINIT and
		 * those that always work take a NULL context
		 * (mlx4r_hw_port_counters(), mlx4r_hw_query_port()). The new
		 * context is published under the lock.
		 */
		pthread_mutex_unlock(&rst->lock);
		ret = mlx4r_hw_open_device(dev->ops,
			dev->args.backend == MLX4R_BACKEND_VERBS ?
			dev->args.ibdev : dev->name, &ctx);
		pthread_mutex_lock(&rst->lock);
		if (mlx4r_closing(rst)) {
			if (ret == 0)
				mlx4r_hw_close_device(ctx);
			return -EINTR;
		}
		if (ret == 0) {
			dev->ctx = ctx;
			/* a new mp_gen; secondaries map its UAR again */
			mlx4r_mp_publish(dev, true);
		}
		/*
		 * A device that is not back yet, after a catastrophic error
		 * (Linux mlx4 catas.c, mlx4_ib main.c): listed but dying,
		 * when mlx4_ib_alloc_ucontext() refuses a context (-EAGAIN,
		 * !ib_active), then absent while mlx4_core reloads it (not
		 * listed by rdma-core: -ENODEV), then re-created under the
		 * same name. An open that works after DEVICE_FATAL is the
		 * new device (the dying one refuses opens): a new
		 * incarnation of it. Poll, more and more slowly, until
		 * reinit_timeout_ms, without spending an attempt.
		 */
		if ((ret == -ENODEV || ret == -EAGAIN) &&
		    mlx4r_now_ns() < appear_by) {
			if (waiting != ret)
				RST_LOG(NOTICE, "%s: the device is %s: waiting up to %u ms (reinit_timeout_ms) for it to come back",
					dev->name, ret == -EAGAIN ?
					"dying (no new context)" :
					"absent", dev->args.reset.reappear_ms);
			waiting = ret;
			pthread_mutex_unlock(&rst->lock);
			mlx4r_nap(rst, poll_ms);
			poll_ms = RTE_MIN(poll_ms * 2,
					  (uint32_t)MLX4R_REAPPEAR_POLL_MAX_MS);
			pthread_mutex_lock(&rst->lock);
			if (mlx4r_closing(rst))
				return -EINTR;
			continue;
		}
		if (ret == 0 && waiting != 0) {
			RST_LOG(NOTICE, "%s: the device is back (incarnation %u)",
				dev->name, dev->ctx->incarnation);
			waiting = 0;
		}
		if (ret == 0)
			ret = mlx4r_hw_alloc_pd(dev->ctx, &dev->pd);
		if (ret == 0)
			ret = mlx4r_dev_intr_install(dev);
		/* the request word was cleared in RESETTING, not here */
		/* the ranges the queues used, with the new PD (new lkeys) */
		if (ret == 0)
			ret = mlx4r_mr_rekey(dev);
		if (ret == 0) {
			for (i = 0; i < MLX4R_MAX_PORTS && ret == 0; i++) {
				struct mlx4r_port *port = rst->ports[i];

				if (port == NULL || !rst->port[i].restart)
					continue;
				ret = mlx4r_dev_ops.dev_start(port->eth_dev);
				if (ret < 0)
					RST_LOG(ERR, MLX4R_PORT_FMT ": replay failed: %s",
						MLX4R_PORT_ARGS(port),
						strerror(-ret));
			}
		}
		if (ret == 0)
			return 0;
		RST_LOG(ERR, "%s: attempt %u of %u to bring the device back failed: %s",
			dev->name, *attempt, dev->args.reset.attempts,
			strerror(-ret));
		if (dev->ctx != NULL)
			mlx4r_reinit_undo(dev);
		if (*attempt >= dev->args.reset.attempts)
			return ret;
		(*attempt)++;
		rst->restarts++;
		mlx4r_set_state(rst, MLX4R_RST_REINIT);
		pthread_mutex_unlock(&rst->lock);
		mlx4r_nap(rst, backoff);
		backoff = RTE_MIN(backoff * 2, (uint32_t)MLX4R_BACKOFF_MAX_MS);
		pthread_mutex_lock(&rst->lock);
		if (mlx4r_closing(rst))
			return -EINTR;
	}
}

/*
 * A finished reset into the history (control lock held). The records are
 * written under rq_lock too, so that mlx4r_reset_history() can copy them
 * without waiting for a phase (rq_lock is never held across one).
 */
static void
mlx4r_record(struct mlx4r_reset *rst, uint64_t t0, uint32_t trigger,
	     uint32_t attempts, uint32_t late, enum mlx4r_reset_result result)
{
	struct mlx4r_reset_record *r = &rst->hist[rst->hist_n %
						   MLX4R_RESET_HISTORY];
	uint64_t us = (mlx4r_now_ns() - t0) / 1000;

	pthread_mutex_lock(&rst->rq_lock);

	r->start_us = (t0 - rst->probe_ns) / 1000;
	r->duration_us = us;
	r->trigger = trigger;
	r->attempts = attempts;
	r->generation = rst->generation;
	r->late = late;
	r->result = result;
	rst->hist_n++;
	pthread_mutex_unlock(&rst->rq_lock);
	rst->last_us = us;
	if (us > rst->worst_us)
		rst->worst_us = us;
}

/*
 * Copy the history (at most MLX4R_RESET_HISTORY records, a ring indexed by
 * the count of records written) into @p rec; any thread, no lock held;
 * never waits for a phase. @return the count of records written.
 */
uint32_t
mlx4r_reset_history(struct mlx4r_dev *dev, struct mlx4r_reset_record *rec)
{
	struct mlx4r_reset *rst = dev->reset;
	uint32_t n;

	pthread_mutex_lock(&rst->rq_lock);
	n = rst->hist_n;
	memcpy(rec, rst->hist, sizeof(rst->hist));
	pthread_mutex_unlock(&rst->rq_lock);
	return n;
}

/*
 * An operator's reset of a working device that cannot be carried out (a
 * port not proven quiescent by the deadline: an lcore stays inside a
 * burst) is cancelled before it is announced: the device was not touched,
 * so it stays LIVE at the same generation, and no event is raised.
 * Control lock held.
 */
static void
mlx4r_reset_cancel(struct mlx4r_dev *dev, uint64_t t0, uint32_t trigger,
		   uint64_t late0)
{
	struct mlx4r_reset *rst = dev->reset;
	unsigned int i;

	mlx4r_ports_unbar(rst->ports, MLX4R_MAX_PORTS);
	for (i = 0; i < MLX4R_MAX_PORTS; i++) {
		struct mlx4r_port *port = rst->ports[i];

		if (port != NULL && port->started)
			mlx4r_intr_port_kick(port);
	}
	rst->cancelled++;
	mlx4r_record(rst, t0, trigger, 0, rst->late_clients - late0,
		     MLX4R_RESET_CANCELLED);
	mlx4r_set_state(rst, MLX4R_RST_LIVE);
	RST_LOG(WARNING, "%s: reset %" PRIu64 " cancelled: not quiescent within %u ms; the device was not touched and stays live",
		dev->name, rst->started, dev->args.reset.deadline_ms);
}

/*
 * Run one reset to its end (LIVE or FAILED) or until close interrupts it.
 * Called by the control thread without any lock.
 *
 * The events follow the grammar of doc/guides/nics/mlx4r_reset.rst, per
 * port: one announcement (ERR_RECOVERING in proactive mode, INTR_RESET in
 * passive mode), then exactly one outcome (RECOVERY_SUCCESS, or
 * RECOVERY_FAILED followed by INTR_RMV where intr_conf.rmv), in both
 * modes and on every path (a quiescence timeout included), unless the
 * port is closed meanwhile; nothing else. A fault during the reset
 * restarts the attempt without a new announcement (the ports are barred
 * and, in passive mode, acknowledged already); an operator's reset that
 * cannot be carried out on a working device is cancelled before it is
 * announced (mlx4r_reset_cancel()).
 */
/* "fatal, request": the MLX4R_REQ_* bits of @p trigger, for the log. */
static void
mlx4r_trigger_names(uint32_t trigger, char *buf, size_t len)
{
	static const struct {
		uint32_t bit;
		const char *name;
	} names[] = {
		{ MLX4R_REQ_FATAL, "fatal" },
		{ MLX4R_REQ_HEALTH, "health" },
		{ MLX4R_REQ_QUEUE, "queue-error" },
		{ MLX4R_REQ_OPERATOR, "request" },
	};
	const char *sep = "";
	unsigned int i;
	size_t n = 0;

	buf[0] = '\0';
	for (i = 0; i < RTE_DIM(names) && n < len; i++) {
		if (!(trigger & names[i].bit))
			continue;
		n += snprintf(buf + n, len - n, "%s%s", sep, names[i].name);
		sep = ", ";
	}
}

static void
mlx4r_run_reset(struct mlx4r_dev *dev, uint32_t trigger)
{
	struct mlx4r_reset *rst = dev->reset;
	struct rte_eth_dev *eth_devs[MLX4R_MAX_PORTS];
	bool proactive = dev->args.reset.mode == MLX4R_RST_PROACTIVE;
	uint64_t t0 = mlx4r_now_ns();
	uint64_t late0;
	uint32_t attempt = 1;
	unsigned int i, n;
	bool from_failed;
	char why[64];
	int ret;

	pthread_mutex_lock(&rst->lock);
	if (rst->state == MLX4R_RST_FAILED &&
	    !(trigger & MLX4R_REQ_OPERATOR)) {
		pthread_mutex_unlock(&rst->lock);
		return; /* only an operator brings a failed device back */
	}
	from_failed = rst->state == MLX4R_RST_FAILED;
	rst->started++;
	rst->cur_trigger = trigger;
	late0 = rst->late_clients;
	for (i = 0; i < MLX4R_MAX_PORTS; i++) {
		struct mlx4r_port *port = rst->ports[i];

		/* relaxed: the gate also reads it before the control lock */
		__atomic_store_n(&rst->port[i].acked, false, __ATOMIC_RELAXED);
		/*
		 * What the replay starts again (proactive): the ports
		 * started now; from FAILED, the ports that were started when
		 * the device failed and that the application has not stopped
		 * since (mlx4r_stop_locked() clears the flag). A failure
		 * left them stopped in the driver, started in ethdev.
		 */
		if (!from_failed)
			rst->port[i].restart = proactive && port != NULL &&
					       port->started;
	}
	mlx4r_trigger_names(trigger, why, sizeof(why));
	RST_LOG(NOTICE, "%s: reset %" PRIu64 " started (%s), %s mode%s",
		dev->name, rst->started, why,
		proactive ? "proactive" : "passive",
		from_failed ? ", from FAILED" : "");
	ret = mlx4r_phase_barred(dev);
	if (ret == -EINTR) {
		pthread_mutex_unlock(&rst->lock);
		return;
	}
	if (ret == -ETIMEDOUT && !from_failed &&
	    !(trigger & MLX4R_REQ_FAULTS)) {
		mlx4r_reset_cancel(dev, t0, trigger, late0);
		pthread_mutex_unlock(&rst->lock);
		return;
	}
	if (ret == 0) /* quiescent: clients may release and acknowledge */
		mlx4r_set_state(rst, MLX4R_RST_DRAINING);
	/* the ports announced now get the outcome (unless closed since) */
	n = mlx4r_live_ports(dev, NULL, eth_devs);
	pthread_mutex_unlock(&rst->lock);
	mlx4r_raise(rst, eth_devs, n, proactive ?
		    RTE_ETH_EVENT_ERR_RECOVERING : RTE_ETH_EVENT_INTR_RESET);
	if (ret == 0 && !proactive)
		ret = mlx4r_wait_acks(dev); /* returns locked unless -EINTR */
	else
		pthread_mutex_lock(&rst->lock);
	if (ret == -EINTR || mlx4r_closing(rst)) {
		if (ret != -EINTR)
			pthread_mutex_unlock(&rst->lock);
		return;
	}
	while (ret == 0) {
		uint32_t again;

		mlx4r_phase_draining(dev);
		mlx4r_phase_resetting(dev);
		ret = mlx4r_phase_reinit(dev, &attempt);
		if (ret == -EINTR) {
			pthread_mutex_unlock(&rst->lock);
			return;
		}
		if (ret != 0)
			break;
		/*
		 * A fault of the new context while it was being built (its
		 * async events, posted after the new interrupt callback was
		 * installed): the attempt restarts, the "fault during a
		 * reset" rule, without a new announcement (the replayed ports
		 * are still barred: nothing to prove quiescent again).
		 * Operator requests made meanwhile are merged.
		 */
		pthread_mutex_lock(&rst->rq_lock);
		again = rst->req & MLX4R_REQ_FAULTS;
		if (rst->req != 0)
			rst->coalesced++;
		rst->req = 0;
		pthread_mutex_unlock(&rst->rq_lock);
		if (again == 0)
			break;
		if (attempt >= dev->args.reset.attempts) {
			/* not declared live with a fault pending: it failed */
			RST_LOG(ERR, "%s: new fault during the last attempt (%u): the device did not come back",
				dev->name, attempt);
			mlx4r_reinit_undo(dev);
			ret = -EIO;
			break;
		}
		attempt++;
		rst->restarts++;
		RST_LOG(WARNING, "%s: new fault during the reset: restarting it",
			dev->name);
	}
	if (ret == 0) {
		rst->generation++;
		mlx4r_ports_unbar(rst->ports, MLX4R_MAX_PORTS);
		for (i = 0; i < MLX4R_MAX_PORTS; i++) {
			struct mlx4r_port *port = rst->ports[i];

			/* Rx interrupt sleepers arm the new CQs (mlx4r_intr.c) */
			if (port != NULL && port->started)
				mlx4r_intr_port_kick(port);
		}
		rst->succeeded++;
		mlx4r_record(rst, t0, trigger, attempt,
			     rst->late_clients - late0, MLX4R_RESET_LIVE);
		mlx4r_set_state(rst, MLX4R_RST_LIVE);
		RST_LOG(NOTICE, "%s: live again, generation %u, in %" PRIu64 " us (%u attempt(s))",
			dev->name, rst->generation, rst->last_us, attempt);
		pthread_mutex_unlock(&rst->lock);
		mlx4r_raise(rst, eth_devs, n, RTE_ETH_EVENT_RECOVERY_SUCCESS);
		return;
	}
	for (i = 0; i < MLX4R_MAX_PORTS; i++)
		if (rst->ports[i] != NULL)
			mlx4r_port_drop_kept(rst->ports[i]);
	rst->failed++;
	mlx4r_record(rst, t0, trigger, attempt, rst->late_clients - late0,
		     MLX4R_RESET_FAILED);
	mlx4r_set_state(rst, MLX4R_RST_FAILED);
	RST_LOG(ERR, "%s: recovery failed after %u attempt(s) in %" PRIu64 " us: ports return -EIO until closed",
		dev->name, attempt, rst->last_us);
	pthread_mutex_unlock(&rst->lock);
	mlx4r_raise(rst, eth_devs, n, RTE_ETH_EVENT_RECOVERY_FAILED);
	/* removal events where the application asked for them (raise_one) */
	mlx4r_raise(rst, eth_devs, n, RTE_ETH_EVENT_INTR_RMV);
}

/* Health check, fault schedule (control thread, no lock held). */
static uint32_t
mlx4r_periodic(struct mlx4r_dev *dev)
{
	struct mlx4r_reset *rst = dev->reset;
	uint64_t since = (mlx4r_now_ns() - rst->probe_ns) / 1000000u;
	uint32_t req = 0;
	unsigned int i;
	bool live;

	for (i = 0; i < dev->args.reset.nb_sched; i++) {
		const struct mlx4r_fault_sched *f = &dev->args.reset.sched[i];
		int ret;

		if (rst->fault_sched_done[i] || since < f->at_ms)
			continue;
		rst->fault_sched_done[i] = true;
		pthread_mutex_lock(&rst->lock);
		ret = mlx4r_fault_inject(dev, rst->ports[0] != NULL ?
					 rst->ports[0] : rst->ports[1],
					 f->fault, f->arg);
		pthread_mutex_unlock(&rst->lock);
		RST_LOG(NOTICE, "%s: scheduled fault %s at %u ms: %s",
			dev->name, mlx4r_fault_name(f->fault), f->at_ms,
			ret == 0 ? "injected" : strerror(-ret));
	}
	pthread_mutex_lock(&rst->lock);
	live = rst->state == MLX4R_RST_LIVE && dev->ctx != NULL;
	pthread_mutex_unlock(&rst->lock);
	/*
	 * Without the control lock: the check's firmware command may wait
	 * seconds on a dead device, and the ops must not wait with it. Only
	 * this thread changes the state from LIVE and closes dev->ctx (in a
	 * reset, or after it was joined); the seam's query_port may run
	 * beside another thread's control call.
	 */
	if (live && mlx4r_dev_health(dev) < 0)
		req = MLX4R_REQ_HEALTH;
	return req;
}

/*
 * Repair the queues in error of every started port without a device
 * reset (mlx4r_repair.c), control thread, no lock held. Nothing to do
 * unless the device is live: a reset rebuilds every queue anyway.
 * @return 0, or -errno when a repair failed or is not possible: the
 * caller resets the device.
 */
static int
mlx4r_run_repairs(struct mlx4r_dev *dev)
{
	struct mlx4r_reset *rst = dev->reset;
	void *qp_errs[RTE_DIM(dev->qp_errs)];
	unsigned int i, n;
	uint64_t deadline;
	int ret = 0;

	/*
	 * Taken under the control lock, which the destroys hold: a handle
	 * taken is that of a QP alive until the comparisons are done
	 * (mlx4r_dev_destroy_qp() takes out those of destroyed QPs).
	 */
	pthread_mutex_lock(&rst->lock);
	n = mlx4r_dev_take_qp_errors(dev, qp_errs, RTE_DIM(qp_errs));
	if (rst->state != MLX4R_RST_LIVE) {
		pthread_mutex_unlock(&rst->lock);
		return 0;
	}
	deadline = mlx4r_now_ns() +
		   (uint64_t)dev->args.reset.deadline_ms * 1000000u;
	for (i = 0; i < MLX4R_MAX_PORTS && ret == 0; i++) {
		struct mlx4r_port *port = rst->ports[i];

		if (port != NULL && port->started)
			ret = mlx4r_port_repair(port, qp_errs, n, deadline,
						&rst->closing);
	}
	pthread_mutex_unlock(&rst->lock);
	if (ret < 0 && ret != -EINTR)
		RST_LOG(ERR, "%s: a queue in error cannot be repaired alone (%s): resetting the device",
			dev->name, strerror(-ret));
	return ret == -EINTR ? 0 : ret;
}

/* Milliseconds to the next scheduled fault, or MLX4R_HEALTH_MS. */
static uint32_t
mlx4r_next_wake_ms(struct mlx4r_dev *dev)
{
	struct mlx4r_reset *rst = dev->reset;
	uint64_t since = (mlx4r_now_ns() - rst->probe_ns) / 1000000u;
	uint32_t ms = MLX4R_HEALTH_MS;
	unsigned int i;

	for (i = 0; i < dev->args.reset.nb_sched; i++) {
		const struct mlx4r_fault_sched *f = &dev->args.reset.sched[i];

		if (!rst->fault_sched_done[i])
			ms = RTE_MIN(ms, f->at_ms > since ?
				     (uint32_t)(f->at_ms - since) : 0);
	}
	return ms;
}

static mlx4r_thread_ret_t
mlx4r_ctl_thread(void *arg)
{
	struct mlx4r_dev *dev = arg;
	struct mlx4r_reset *rst = dev->reset;
	bool free_dev;

	for (;;) {
		struct timespec ts;
		uint32_t req;

		mlx4r_abstime(&ts, mlx4r_now_ns() +
			      (uint64_t)mlx4r_next_wake_ms(dev) * 1000000u);
		pthread_mutex_lock(&rst->rq_lock);
		while (!rst->closing && rst->req == 0 &&
		       pthread_cond_timedwait(&rst->rq_cond, &rst->rq_lock,
					      &ts) == 0)
			;
		if (rst->closing) {
			pthread_mutex_unlock(&rst->rq_lock);
			break;
		}
		req = rst->req;
		rst->req = 0;
		pthread_mutex_unlock(&rst->rq_lock);
		if (req & MLX4R_REQ_REPAIR) {
			/* a queue in error; a device reset repairs it too */
			req &= ~MLX4R_REQ_REPAIR;
			if (!(req & (MLX4R_REQ_FAULTS | MLX4R_REQ_OPERATOR)) &&
			    mlx4r_run_repairs(dev) < 0)
				req |= MLX4R_REQ_QUEUE;
			if (req == 0)
				continue;
		}
		if (req == 0)
			req = mlx4r_periodic(dev);
		if (req != 0)
			mlx4r_run_reset(dev, req);
	}
	/* pairs with mlx4r_reset_stop(), which wrote it under rq_lock */
	pthread_mutex_lock(&rst->rq_lock);
	free_dev = rst->free_on_exit;
	pthread_mutex_unlock(&rst->rq_lock);
	if (free_dev)
		mlx4r_dev_free_now(dev); /* closed from one of our callbacks */
	return MLX4R_THREAD_RET;
}

/*
 * Life cycle.
 */

int
mlx4r_reset_init(struct mlx4r_dev *dev)
{
	struct mlx4r_reset *rst;
	pthread_condattr_t ca;
	char name[RTE_MAX_THREAD_NAME_LEN];
	static uint32_t seq;
	int ret;

	mlx4r_quiesce_init();
	rst = rte_zmalloc_socket("mlx4r_reset", sizeof(*rst),
				 RTE_CACHE_LINE_SIZE, dev->socket_id);
	if (rst == NULL)
		return -ENOMEM;
	pthread_mutex_init(&rst->lock, NULL);
	pthread_mutex_init(&rst->rq_lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&rst->rq_cond, &ca);
	pthread_cond_init(&rst->st_cond, &ca);
	pthread_condattr_destroy(&ca);
	rst->state = MLX4R_RST_LIVE;
	rst->generation = 1;
	rst->probe_ns = mlx4r_now_ns();
	dev->reset = rst;
	snprintf(name, sizeof(name), "mlx4r-rst-%u",
		 __atomic_fetch_add(&seq, 1, __ATOMIC_RELAXED));
	ret = mlx4r_thread_create_control(&rst->tid, name, mlx4r_ctl_thread,
					  dev);
	if (ret != 0) {
		INIT_LOG(ERR, "%s: cannot create the control thread: %s",
			 dev->name, strerror(-ret));
		dev->reset = NULL;
		rte_free(rst);
		return ret;
	}
	rst->thread_up = true;
	return 0;
}

/* Keep a control thread that frees its device for a later join. */
static void
mlx4r_dying_add(const char *name, struct mlx4r_reset *rst)
{
	struct mlx4r_dying *d = calloc(1, sizeof(*d));

	if (d == NULL) {
		/* nobody can join it then: at least do not leak it */
		RST_LOG(ERR, "%s: out of memory: the control thread is detached and cannot be waited for",
			name);
		mlx4r_thread_detach(rst->tid);
		return;
	}
	strlcpy(d->name, name, sizeof(d->name));
	d->tid = rst->tid;
	d->rst = rst;
	pthread_mutex_lock(&mlx4r_dying_lock);
	TAILQ_INSERT_TAIL(&mlx4r_dying_list, d, next);
	pthread_mutex_unlock(&mlx4r_dying_lock);
}

/*
 * Join the control threads of the devices that were closed from inside
 * their own event callbacks (mlx4r_dying_list), except those the caller
 * must not wait for: itself, and the one whose callback it is running
 * (that thread waits for the callback to return before it frees its
 * device: mlx4r_dev_intr_uninstall()). Called by the vdev remove and
 * probe paths, with no lock of any device held.
 * @return -EBUSY if a thread of a device named @p name (NULL: none) is
 *   left running, else 0.
 */
int
mlx4r_reset_reap(const char *name)
{
	TAILQ_HEAD(, mlx4r_dying) join = TAILQ_HEAD_INITIALIZER(join);
	struct mlx4r_dying *d, *tmp;
	int ret = 0;

	pthread_mutex_lock(&mlx4r_dying_lock);
	RTE_TAILQ_FOREACH_SAFE(d, &mlx4r_dying_list, next, tmp) {
		if (mlx4r_thread_is_self(d->tid) ||
		    d->rst == mlx4r_cb_rst) {
			if (name != NULL && strcmp(d->name, name) == 0)
				ret = -EBUSY;
			continue;
		}
		TAILQ_REMOVE(&mlx4r_dying_list, d, next);
		TAILQ_INSERT_TAIL(&join, d, next);
	}
	pthread_mutex_unlock(&mlx4r_dying_lock);
	/* not under the list lock: a thread finishing a callback may probe */
	RTE_TAILQ_FOREACH_SAFE(d, &join, next, tmp) {
		mlx4r_thread_join(d->tid);
		free(d);
	}
	return ret;
}

/*
 * Stop the control thread: close/remove wins, the thread stops at its next
 * safe point (between two phases, or in a wait). @return true when the
 * caller may free the device, false when the free is left to the thread:
 * the caller is the control thread itself (a port closed from inside one
 * of our event callbacks) or runs one of this device's event callbacks on
 * another thread (an LSC callback on the EAL interrupt thread), which the
 * thread waits for before it frees anything (mlx4r_dev_free_now() begins
 * with the removal of the interrupt handler, which waits for a running
 * one). Such a thread is kept for a later join (mlx4r_reset_reap()).
 */
static bool
mlx4r_reset_stop(struct mlx4r_dev *dev)
{
	struct mlx4r_reset *rst = dev->reset;
	bool defer;

	if (!rst->thread_up)
		return !rst->free_on_exit; /* written by this closer, below */
	defer = mlx4r_thread_is_self(rst->tid) ||
		mlx4r_cb_rst == rst;
	/*
	 * Pairs with the thread's checks of closing under rq_lock; an atomic
	 * store, as the quiescence waits also read it without the lock.
	 */
	pthread_mutex_lock(&rst->rq_lock);
	__atomic_store_n(&rst->closing, true, __ATOMIC_RELAXED);
	rst->free_on_exit = defer;
	pthread_cond_broadcast(&rst->rq_cond);
	pthread_mutex_unlock(&rst->rq_lock);
	rst->thread_up = false;
	if (defer) {
		mlx4r_dying_add(dev->name, rst);
		return false;
	}
	mlx4r_thread_join(rst->tid);
	return true;
}

/*
 * At device free, first: stop the control thread (false: called from it,
 * the free is deferred to its exit). The machine itself stays until
 * mlx4r_reset_free(), after the async-event handler is gone, because that
 * handler posts requests to it.
 */
bool
mlx4r_reset_stop_thread(struct mlx4r_dev *dev)
{
	return dev->reset == NULL || mlx4r_reset_stop(dev);
}

/* At device free, last: the thread and the event handler are gone. */
void
mlx4r_reset_free(struct mlx4r_dev *dev)
{
	struct mlx4r_reset *rst = dev->reset;

	if (rst == NULL)
		return;
	pthread_cond_destroy(&rst->rq_cond);
	pthread_cond_destroy(&rst->st_cond);
	pthread_mutex_destroy(&rst->lock);
	pthread_mutex_destroy(&rst->rq_lock);
	rte_free(rst);
	dev->reset = NULL;
}

/*
 * Free the device: stop its control thread (close wins over a running
 * reset), then the interrupt handler, the reset machine and the device
 * core (mlx4r_core.c).
 */
void
mlx4r_dev_free(struct mlx4r_dev *dev)
{
	/* stops the reset thread; deferred to it from our callbacks */
	if (mlx4r_reset_stop_thread(dev))
		mlx4r_dev_free_now(dev);
}

/* The free itself, once the control thread is stopped (or is the caller). */
static void
mlx4r_dev_free_now(struct mlx4r_dev *dev)
{
	/*
	 * Order: the thread is joined first (it may itself be uninstalling
	 * the handler in RESETTING); then the handler goes (unregister waits
	 * for a running one on the interrupt thread), and only then the reset
	 * machine it posts requests to.
	 */
	mlx4r_dev_intr_uninstall(dev);
	mlx4r_reset_free(dev);
	mlx4r_dev_core_free(dev);
}

/*
 * Called by dev_close of a port once its queues are gone: the port leaves
 * the device core; the last one frees the device.
 */
void
mlx4r_dev_port_closed(struct mlx4r_dev *dev, struct mlx4r_port *port)
{
	/* no public call uses the port (nor, if last, the device) after */
	mlx4r_registry_del(port);
	if (mlx4r_dev_port_leave(dev, port)) {
		INIT_LOG(DEBUG, "%s: last port closed, freeing the device",
			 dev->name);
		mlx4r_dev_free(dev);
	}
}

/* What the device core's async events tell (mlx4r_core.h). */
const struct mlx4r_dev_events mlx4r_reset_dev_events = {
	.request = mlx4r_reset_post,
	.link_event = mlx4r_port_link_event,
	.raise = mlx4r_reset_raise,
};
