/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * The gate of the ethdev operations of a primary process's port: the ops
 * of mlx4r_ethdev.c behind the reset machine (mlx4r_reset.c). Every gated
 * op runs under the control lock, so it never overlaps a phase of the
 * control thread. Calls that need the device return their errno at once
 * while a reset runs (the errno table of doc/guides/nics/mlx4r_reset.rst);
 * stop, close, queue release, statistics and information always work.
 * Stop and close prove the port quiescent (mlx4r_quiesce.c) before they
 * free anything; dev_reset is a port's acknowledgement in passive mode.
 */

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <rte_common.h>
#include <rte_string_fns.h>

#include <ethdev_driver.h>
#include <rte_flow.h>
#include <rte_flow_driver.h>

#include "mlx4r.h"
#include "mlx4r_gate.h"
#include "mlx4r_quiesce.h"
#include "mlx4r_reset.h"

/* stop/close wait this long for a burst before they say so in the log. */
#define MLX4R_STOP_WARN_MS 1000

/* Release every queue of the driver's list of the port. */
static void
mlx4r_port_release_queues(struct rte_eth_dev *eth_dev)
{
	struct mlx4r_port *port = mlx4r_port_of(eth_dev);
	struct mlx4r_rxq *rxq;
	struct mlx4r_txq *txq;
	uint16_t i;

	MLX4R_FOREACH_RXQ(port, i, rxq)
		mlx4r_rx_queue_release(eth_dev, i);
	MLX4R_FOREACH_TXQ(port, i, txq)
		mlx4r_tx_queue_release(eth_dev, i);
}

static struct eth_dev_ops mlx4r_gated_ops;

/*
 * Has the application reset @p port (rte_eth_dev_reset(), the passive
 * acknowledgement) in the reset that runs now? Such a port is stopped,
 * without queues, in the initial state (start is refused until the reset
 * ends): it may be configured in software until the device is back.
 */
static bool
mlx4r_port_acked(const struct mlx4r_dev *dev, const struct mlx4r_port *port)
{
	/* relaxed: written under the control lock, also read before it */
	return dev->args.reset.mode == MLX4R_RST_PASSIVE &&
	       __atomic_load_n(&dev->reset->port[port->port_num - 1].acked,
			       __ATOMIC_RELAXED);
}

/*
 * errno of an op that changes a port's configuration (the errno table of
 * doc/guides/nics/mlx4r_reset.rst), or 0 to go ahead: -EIO once FAILED;
 * during a reset -EBUSY, except (passive mode, @p soft) on a port the
 * application reset in this reset: software only, applied at its start.
 */
static int
mlx4r_gate_err(struct mlx4r_dev *dev, bool soft, struct mlx4r_port *port)
{
	enum mlx4r_rst_state st = __atomic_load_n(&dev->reset->state,
						  __ATOMIC_RELAXED);

	if (st == MLX4R_RST_LIVE)
		return 0;
	if (st == MLX4R_RST_FAILED)
		return -EIO;
	if (soft && mlx4r_port_acked(dev, port))
		return 0;
	return -EBUSY;
}

/*
 * The state is read once without the lock, so that a call made while a
 * reset runs returns its errno at once instead of waiting for the lock;
 * read again under the lock, which a phase change needs.
 */
#define GATE_BEGIN(eth_dev, soft) \
	struct mlx4r_port *port_ = mlx4r_port_of(eth_dev); \
	struct mlx4r_dev *dev_ = port_->dev; \
	int gret_ = mlx4r_gate_err(dev_, (soft), port_); \
	if (gret_ != 0) \
		return gret_; \
	pthread_mutex_lock(&dev_->reset->lock); \
	gret_ = mlx4r_gate_err(dev_, (soft), port_); \
	if (gret_ != 0) { \
		pthread_mutex_unlock(&dev_->reset->lock); \
		return gret_; \
	}

#define GATE_END(expr) do { \
	int r_ = (expr); \
	pthread_mutex_unlock(&dev_->reset->lock); \
	return r_; \
} while (0)

/*
 * errno of start and queue set-up, which need the device: -EIO after a
 * failure; while a reset runs, -EAGAIN on a port the application reset
 * (passive: retry once the device is back, RECOVERY_SUCCESS says when),
 * -EBUSY otherwise (proactive; passive before the port's reset).
 */
static int
mlx4r_setup_err(struct mlx4r_dev *dev, struct mlx4r_port *port)
{
	enum mlx4r_rst_state st = __atomic_load_n(&dev->reset->state,
						  __ATOMIC_RELAXED);

	if (st == MLX4R_RST_LIVE)
		return 0;
	if (st == MLX4R_RST_FAILED)
		return -EIO;
	return mlx4r_port_acked(dev, port) ? -EAGAIN : -EBUSY;
}

static int
mlx4r_g_configure(struct rte_eth_dev *eth_dev)
{
	GATE_BEGIN(eth_dev, true);
	GATE_END(mlx4r_dev_ops.dev_configure(eth_dev));
}

static int
mlx4r_g_start(struct rte_eth_dev *eth_dev)
{
	struct mlx4r_port *port = mlx4r_port_of(eth_dev);
	struct mlx4r_dev *dev = port->dev;
	struct mlx4r_reset *rst = dev->reset;
	int ret;

	ret = mlx4r_setup_err(dev, port);
	if (ret != 0)
		return ret; /* at once, see GATE_BEGIN */
	pthread_mutex_lock(&rst->lock);
	ret = mlx4r_setup_err(dev, port);
	if (ret == 0 && !port->started) {
		struct mlx4r_rxq *rxq;
		struct mlx4r_txq *txq;
		uint16_t i;

		/*
		 * The application's start: every queue starts but the
		 * deferred ones. A reset's replay calls the ungated start,
		 * which keeps the queues the application stopped stopped.
		 */
		MLX4R_FOREACH_RXQ(port, i, rxq)
			rxq->stopped = rxq->deferred;
		MLX4R_FOREACH_TXQ(port, i, txq)
			txq->stopped = txq->deferred;
	}
	if (ret == 0)
		ret = mlx4r_dev_ops.dev_start(eth_dev);
	/*
	 * ethdev copies eth_dev->rx/tx_pkt_burst (set once at probe) with the
	 * queue arrays into rte_eth_fp_ops right after.
	 */
	if (ret == 0)
		mlx4r_port_unbar(port);
	pthread_mutex_unlock(&rst->lock);
	return ret;
}

/*
 * Stop works in every phase: bar the port, prove quiescence (no deadline:
 * an lcore inside a burst is a bug of the application we must not turn
 * into a use-after-free; logged every second), then release the device
 * objects if the port still has any.
 */
static void
mlx4r_stop_locked(struct mlx4r_port *port)
{
	struct mlx4r_dev *dev = port->dev;
	struct mlx4r_reset *rst = dev->reset;

	mlx4r_port_bar(port);
	mlx4r_process_fence();
	while (mlx4r_port_drain_wait(port, mlx4r_now_ns() +
				     MLX4R_STOP_WARN_MS * 1000000ull,
				     NULL) != 0)
		;
	rst->port[port->port_num - 1].restart = false;
	if (rst->state == MLX4R_RST_LIVE)
		mlx4r_dev_ops.dev_stop(port->eth_dev);
	else
		mlx4r_port_release_hw(dev, port, false); /* counted */
	/* buffers a drain kept for the replay this stop cancels */
	mlx4r_port_drop_kept(port);
	/* the application's stop, also of a port a reset stopped before */
	mlx4r_port_queue_states(port, false);
}

static int
mlx4r_g_stop(struct rte_eth_dev *eth_dev)
{
	struct mlx4r_port *port = mlx4r_port_of(eth_dev);
	struct mlx4r_reset *rst = port->dev->reset;

	/* ethdev put its dummy bursts and queues in place before calling us */
	pthread_mutex_lock(&rst->lock);
	mlx4r_stop_locked(port);
	mlx4r_intr_port_stop(port, false);
	pthread_mutex_unlock(&rst->lock);
	return 0;
}

static int
mlx4r_g_close(struct rte_eth_dev *eth_dev)
{
	struct mlx4r_port *port = mlx4r_port_of(eth_dev);
	struct mlx4r_dev *dev = port->dev;
	struct mlx4r_reset *rst = dev->reset;
	unsigned int i;

	if (rte_eal_process_type() != RTE_PROC_PRIMARY)
		return 0;
	mlx4r_raise_fence(rst, eth_dev);
	/* the last port stops the control thread first: close wins */
	if (dev->nb_live_ports == 1)
		mlx4r_reset_stop_thread(dev);
	pthread_mutex_lock(&rst->lock);
	mlx4r_stop_locked(port);
	mlx4r_flow_api_clean(port); /* the rte_flow rules, off since stop */
	mlx4r_port_release_queues(eth_dev);
	mlx4r_intr_port_stop(port, true);
	/* the control thread's view of the ports (control lock) */
	for (i = 0; i < MLX4R_MAX_PORTS; i++)
		if (rst->ports[i] == port)
			rst->ports[i] = NULL;
	/*
	 * Wake the control thread if it waits for the acknowledgements
	 * (mlx4r_wait_acks(), passive mode): it re-checks them under the
	 * control lock, which orders our store above before its check, and
	 * this port no longer counts; without it, it slept until
	 * reset_deadline_ms although every port left had acknowledged
	 * (model ports.pml, CLOSE_NO_WAKE). rq_lock under the control lock,
	 * the order mlx4r_g_reset() and mlx4r_wait_acks() take them in; a
	 * broadcast, as in mlx4r_g_reset().
	 */
	pthread_mutex_lock(&rst->rq_lock);
	pthread_cond_broadcast(&rst->rq_cond);
	pthread_mutex_unlock(&rst->rq_lock);
	pthread_mutex_unlock(&rst->lock);
	/*
	 * dev->ports[] (the interrupt thread's view) is cleared under
	 * ev_lock by mlx4r_dev_port_closed(), after the control lock was
	 * released: the interrupt thread holds ev_lock while an LSC callback
	 * runs, and that callback may call a gated op (control lock).
	 * The last port frees the device (or leaves it to the thread).
	 */
	mlx4r_dev_port_closed(dev, port);
	return 0;
}

/*
 * dev_reset. With no reset running: a reset of the port's software state
 * (ethdev stopped the port just before, rte_eth_dev_reset(); its queues
 * are released, ethdev's contract: the application sets them up again).
 * During a passive reset: the port's acknowledgement, the same release,
 * then 0 at once: the device is reset once every port acknowledged (or at
 * the deadline), and the port's queue set-up and start return -EAGAIN
 * until RECOVERY_SUCCESS. Nothing waits for the device here: a control
 * thread that resets port after port (lib/resetcoord, testpmd) is never held.
 * Refused, with nothing released: -EBUSY during a proactive reset, -EIO
 * once FAILED.
 */
static int
mlx4r_g_reset(struct rte_eth_dev *eth_dev)
{
	struct mlx4r_port *port = mlx4r_port_of(eth_dev);
	struct mlx4r_dev *dev = port->dev;
	struct mlx4r_reset *rst = dev->reset;
	unsigned int i;
	bool last = true;

	pthread_mutex_lock(&rst->lock);
	if (rst->state == MLX4R_RST_FAILED) {
		pthread_mutex_unlock(&rst->lock);
		return -EIO;
	}
	if (rst->state != MLX4R_RST_LIVE &&
	    dev->args.reset.mode == MLX4R_RST_PROACTIVE) {
		pthread_mutex_unlock(&rst->lock);
		return -EBUSY;
	}
	if (port->started)
		mlx4r_stop_locked(port);
	mlx4r_port_release_queues(eth_dev);
	if (rst->state == MLX4R_RST_LIVE) {
		pthread_mutex_unlock(&rst->lock);
		return 0;
	}
	__atomic_store_n(&rst->port[port->port_num - 1].acked, true,
			 __ATOMIC_RELAXED);
	for (i = 0; i < MLX4R_MAX_PORTS; i++)
		if (rst->ports[i] != NULL && !rst->port[i].acked)
			last = false;
	/*
	 * Wake the control thread (mlx4r_wait_acks(), which re-checks acked
	 * under the control lock): a broadcast, since a close may wait on
	 * the same condition (mlx4r_raise_fence()) and a signal could wake
	 * that one instead.
	 */
	pthread_mutex_lock(&rst->rq_lock);
	pthread_cond_broadcast(&rst->rq_cond);
	pthread_mutex_unlock(&rst->rq_lock);
	pthread_mutex_unlock(&rst->lock);
	RST_LOG(NOTICE, MLX4R_PORT_FMT " acknowledged the reset%s",
		MLX4R_PORT_ARGS(port), last ? " (last)" : "");
	return 0;
}

static int
mlx4r_g_rxq_setup(struct rte_eth_dev *eth_dev, uint16_t idx, uint16_t nb,
		  unsigned int socket, const struct rte_eth_rxconf *conf,
		  struct rte_mempool *mp)
{
	struct mlx4r_port *port = mlx4r_port_of(eth_dev);
	struct mlx4r_reset *rst = port->dev->reset;
	int ret;

	ret = mlx4r_setup_err(port->dev, port);
	if (ret != 0)
		return ret;
	pthread_mutex_lock(&rst->lock);
	ret = mlx4r_setup_err(port->dev, port);
	if (ret == 0)
		ret = mlx4r_rx_queue_setup(eth_dev, idx, nb, socket, conf, mp);
	pthread_mutex_unlock(&rst->lock);
	return ret;
}

static int
mlx4r_g_txq_setup(struct rte_eth_dev *eth_dev, uint16_t idx, uint16_t nb,
		  unsigned int socket, const struct rte_eth_txconf *conf)
{
	struct mlx4r_port *port = mlx4r_port_of(eth_dev);
	struct mlx4r_reset *rst = port->dev->reset;
	int ret;

	ret = mlx4r_setup_err(port->dev, port);
	if (ret != 0)
		return ret;
	pthread_mutex_lock(&rst->lock);
	ret = mlx4r_setup_err(port->dev, port);
	if (ret == 0)
		ret = mlx4r_tx_queue_setup(eth_dev, idx, nb, socket, conf);
	pthread_mutex_unlock(&rst->lock);
	return ret;
}

static void
mlx4r_g_rxq_release(struct rte_eth_dev *eth_dev, uint16_t idx)
{
	struct mlx4r_reset *rst = mlx4r_port_of(eth_dev)->dev->reset;

	pthread_mutex_lock(&rst->lock);
	mlx4r_rx_queue_release(eth_dev, idx);
	pthread_mutex_unlock(&rst->lock);
}

static void
mlx4r_g_txq_release(struct rte_eth_dev *eth_dev, uint16_t idx)
{
	struct mlx4r_reset *rst = mlx4r_port_of(eth_dev)->dev->reset;

	pthread_mutex_lock(&rst->lock);
	mlx4r_tx_queue_release(eth_dev, idx);
	pthread_mutex_unlock(&rst->lock);
}

static int
mlx4r_g_infos_get(struct rte_eth_dev *eth_dev, struct rte_eth_dev_info *info)
{
	struct mlx4r_port *port = mlx4r_port_of(eth_dev);
	int ret = mlx4r_dev_ops.dev_infos_get(eth_dev, info);

	info->err_handle_mode =
		port->dev->args.reset.mode == MLX4R_RST_PASSIVE ?
		RTE_ETH_ERROR_HANDLE_MODE_PASSIVE :
		RTE_ETH_ERROR_HANDLE_MODE_PROACTIVE;
	return ret;
}

/* Information: always answers; the port's copy while a reset runs. */
static int
mlx4r_g_fw_version(struct rte_eth_dev *eth_dev, char *fw_ver, size_t size)
{
	struct mlx4r_port *port = mlx4r_port_of(eth_dev);
	struct mlx4r_reset *rst = port->dev->reset;
	int ret;

	pthread_mutex_lock(&rst->lock);
	if (rst->state == MLX4R_RST_LIVE)
		ret = mlx4r_dev_ops.fw_version_get(eth_dev, fw_ver, size);
	else
		ret = mlx4r_dev_ops_secondary.fw_version_get(eth_dev, fw_ver,
							      size);
	pthread_mutex_unlock(&rst->lock);
	return ret;
}

static int
mlx4r_g_link_update(struct rte_eth_dev *eth_dev, int wait)
{
	struct mlx4r_port *port = mlx4r_port_of(eth_dev);
	struct mlx4r_reset *rst = port->dev->reset;
	int ret = 0;

	if (__atomic_load_n(&rst->state, __ATOMIC_RELAXED) != MLX4R_RST_LIVE)
		return 0; /* the link as last known */
	pthread_mutex_lock(&rst->lock);
	if (rst->state == MLX4R_RST_LIVE)
		ret = mlx4r_dev_ops.link_update(eth_dev, wait);
	pthread_mutex_unlock(&rst->lock);
	return ret;
}

/* Software-only unless the port runs: -EBUSY/-EIO then. */
static int
mlx4r_g_promisc_on(struct rte_eth_dev *e)
{
	GATE_BEGIN(e, true);
	GATE_END(mlx4r_dev_ops.promiscuous_enable(e));
}

static int
mlx4r_g_promisc_off(struct rte_eth_dev *e)
{
	GATE_BEGIN(e, true);
	GATE_END(mlx4r_dev_ops.promiscuous_disable(e));
}

static int
mlx4r_g_allmulti_on(struct rte_eth_dev *e)
{
	GATE_BEGIN(e, true);
	GATE_END(mlx4r_dev_ops.allmulticast_enable(e));
}

static int
mlx4r_g_allmulti_off(struct rte_eth_dev *e)
{
	GATE_BEGIN(e, true);
	GATE_END(mlx4r_dev_ops.allmulticast_disable(e));
}

static int
mlx4r_g_mac_set(struct rte_eth_dev *e, struct rte_ether_addr *a)
{
	GATE_BEGIN(e, true);
	GATE_END(mlx4r_dev_ops.mac_addr_set(e, a));
}

static int
mlx4r_g_mac_add(struct rte_eth_dev *e, struct rte_ether_addr *a,
		uint32_t index, uint32_t vmdq)
{
	GATE_BEGIN(e, true);
	GATE_END(mlx4r_dev_ops.mac_addr_add(e, a, index, vmdq));
}

static void
mlx4r_g_mac_remove(struct rte_eth_dev *e, uint32_t index)
{
	struct mlx4r_port *port = mlx4r_port_of(e);
	struct mlx4r_reset *rst = port->dev->reset;

	pthread_mutex_lock(&rst->lock);
	if (rst->state == MLX4R_RST_LIVE || !port->started)
		mlx4r_dev_ops.mac_addr_remove(e, index);
	else /* the replay rebuilds the rules from mac_addrs */
		memset(&e->data->mac_addrs[index], 0,
		       sizeof(e->data->mac_addrs[index]));
	pthread_mutex_unlock(&rst->lock);
}

static int
mlx4r_g_mc_list(struct rte_eth_dev *e, struct rte_ether_addr *list,
		uint32_t num)
{
	GATE_BEGIN(e, true);
	GATE_END(mlx4r_dev_ops.set_mc_addr_list(e, list, num));
}

static int
mlx4r_g_vlan_filter(struct rte_eth_dev *e, uint16_t vlan_id, int on)
{
	GATE_BEGIN(e, true);
	GATE_END(mlx4r_dev_ops.vlan_filter_set(e, vlan_id, on));
}

static int
mlx4r_g_vlan_offload(struct rte_eth_dev *e, int mask)
{
	GATE_BEGIN(e, true);
	GATE_END(mlx4r_dev_ops.vlan_offload_set(e, mask));
}

/*
 * Software only on a passive port reset by the application (recorded,
 * applied by its start, mlx4r_port_netdev_start()).
 */
static int
mlx4r_g_link_set(struct rte_eth_dev *e, bool up)
{
	GATE_BEGIN(e, true);
	if (dev_->reset->state != MLX4R_RST_LIVE) {
		port_->link_down = !up;
		GATE_END(0);
	}
	GATE_END(up ? mlx4r_dev_ops.dev_set_link_up(e) :
		 mlx4r_dev_ops.dev_set_link_down(e));
}

static int
mlx4r_g_link_up(struct rte_eth_dev *e)
{
	return mlx4r_g_link_set(e, true);
}

static int
mlx4r_g_link_down(struct rte_eth_dev *e)
{
	return mlx4r_g_link_set(e, false);
}

/* Flow control: the netdev's; recorded only on a passive port reset. */
static int
mlx4r_g_fc_get(struct rte_eth_dev *e, struct rte_eth_fc_conf *fc)
{
	GATE_BEGIN(e, false);
	GATE_END(mlx4r_dev_ops.flow_ctrl_get(e, fc));
}

static int
mlx4r_g_fc_set(struct rte_eth_dev *e, struct rte_eth_fc_conf *fc)
{
	GATE_BEGIN(e, true);
	if (dev_->reset->state != MLX4R_RST_LIVE)
		GATE_END(mlx4r_flow_ctrl_record(port_, fc));
	GATE_END(mlx4r_dev_ops.flow_ctrl_set(e, fc));
}

/* Queue start/stop need the device: -EBUSY/-EIO during a reset. */
static int
mlx4r_g_rxq_start(struct rte_eth_dev *e, uint16_t idx)
{
	GATE_BEGIN(e, false);
	GATE_END(mlx4r_dev_ops.rx_queue_start(e, idx));
}

static int
mlx4r_g_rxq_stop(struct rte_eth_dev *e, uint16_t idx)
{
	GATE_BEGIN(e, false);
	GATE_END(mlx4r_dev_ops.rx_queue_stop(e, idx));
}

static int
mlx4r_g_txq_start(struct rte_eth_dev *e, uint16_t idx)
{
	GATE_BEGIN(e, false);
	GATE_END(mlx4r_dev_ops.tx_queue_start(e, idx));
}

static int
mlx4r_g_txq_stop(struct rte_eth_dev *e, uint16_t idx)
{
	GATE_BEGIN(e, false);
	GATE_END(mlx4r_dev_ops.tx_queue_stop(e, idx));
}

static int
mlx4r_g_mtu_set(struct rte_eth_dev *e, uint16_t mtu)
{
	GATE_BEGIN(e, true);
	GATE_END(mlx4r_dev_ops.mtu_set(e, mtu));
}

static int
mlx4r_g_reta_update(struct rte_eth_dev *e,
		    struct rte_eth_rss_reta_entry64 *c, uint16_t size)
{
	GATE_BEGIN(e, true);
	GATE_END(mlx4r_dev_ops.reta_update(e, c, size));
}

static int
mlx4r_g_rss_update(struct rte_eth_dev *e, struct rte_eth_rss_conf *c)
{
	GATE_BEGIN(e, true);
	GATE_END(mlx4r_dev_ops.rss_hash_update(e, c));
}

/* Statistics always work; the device's counters are skipped meanwhile. */
static int
mlx4r_g_stats_get(struct rte_eth_dev *e, struct rte_eth_stats *s)
{
	struct mlx4r_reset *rst = mlx4r_port_of(e)->dev->reset;
	int ret;

	pthread_mutex_lock(&rst->lock);
	ret = mlx4r_dev_ops.stats_get(e, s);
	pthread_mutex_unlock(&rst->lock);
	return ret;
}

static int
mlx4r_g_stats_reset(struct rte_eth_dev *e)
{
	struct mlx4r_reset *rst = mlx4r_port_of(e)->dev->reset;
	int ret;

	pthread_mutex_lock(&rst->lock);
	ret = mlx4r_dev_ops.stats_reset(e);
	pthread_mutex_unlock(&rst->lock);
	return ret;
}

static int
mlx4r_g_xstats_reset(struct rte_eth_dev *e)
{
	struct mlx4r_reset *rst = mlx4r_port_of(e)->dev->reset;
	int ret;

	pthread_mutex_lock(&rst->lock);
	ret = mlx4r_dev_ops.xstats_reset(e);
	pthread_mutex_unlock(&rst->lock);
	return ret;
}

/* Reset xstats, after the driver's own. */
static const char * const mlx4r_rst_xstat_names[] = {
	"reset_started",
	"reset_succeeded",
	"reset_failed",
	"reset_coalesced",
	"reset_restarts",
	"reset_last_us",
	"reset_worst_us",
	"reset_generation",
	"reset_late_clients",
	"reset_port_late",
	"reset_mbufs_reclaimed",
	"reset_cancelled",
	"reset_mbufs_kept",
};

static int
mlx4r_g_xstats_get_names(struct rte_eth_dev *e,
			 struct rte_eth_xstat_name *names, unsigned int size)
{
	int base = mlx4r_dev_ops.xstats_get_names(e, NULL, 0);
	unsigned int total, i;

	if (base < 0)
		return base;
	total = base + RTE_DIM(mlx4r_rst_xstat_names);
	if (names == NULL || size < total)
		return total;
	mlx4r_dev_ops.xstats_get_names(e, names, base);
	for (i = 0; i < RTE_DIM(mlx4r_rst_xstat_names); i++)
		strlcpy(names[base + i].name, mlx4r_rst_xstat_names[i],
			sizeof(names[base + i].name));
	return total;
}

static int
mlx4r_g_xstats_get(struct rte_eth_dev *e, struct rte_eth_xstat *xs,
		   unsigned int n)
{
	struct mlx4r_port *port = mlx4r_port_of(e);
	struct mlx4r_reset *rst = port->dev->reset;
	const struct mlx4r_port_reset *pr = &rst->port[port->port_num - 1];
	int base = mlx4r_dev_ops.xstats_get(e, NULL, 0);
	unsigned int total, i;
	uint64_t v[RTE_DIM(mlx4r_rst_xstat_names)];

	if (base < 0)
		return base;
	total = base + RTE_DIM(v);
	if (xs == NULL || n < total)
		return total;
	pthread_mutex_lock(&rst->lock);
	base = mlx4r_dev_ops.xstats_get(e, xs, base);
	v[0] = rst->started;
	v[1] = rst->succeeded;
	v[2] = rst->failed;
	v[3] = rst->coalesced;
	v[4] = rst->restarts;
	v[5] = rst->last_us;
	v[6] = rst->worst_us;
	v[7] = rst->generation;
	v[8] = rst->late_clients;
	v[9] = pr->late;
	v[10] = pr->mbufs_reclaimed + port->rx_kept_freed;
	v[11] = rst->cancelled;
	v[12] = port->rx_kept_posted;
	pthread_mutex_unlock(&rst->lock);
	if (base < 0)
		return base;
	for (i = 0; i < RTE_DIM(v); i++) {
		xs[base + i].id = base + i;
		xs[base + i].value = v[i];
	}
	return base + RTE_DIM(v);
}

/*
 * rte_flow (mlx4r_flow_api.c): ethdev calls these through the table
 * flow_ops_get hands out, not through eth_dev_ops. Create and isolate
 * change the configuration (the errno of mlx4r_gate_err(), in an
 * rte_flow_error); validate, destroy and flush always work, in software
 * while a reset runs (the port's rules are off the device then).
 */
static int
mlx4r_g_flow_err(struct rte_flow_error *error, int ret)
{
	return rte_flow_error_set(error, -ret, RTE_FLOW_ERROR_TYPE_UNSPECIFIED,
				  NULL, ret == -EBUSY ?
				  "the device is being reset" :
				  "the device failed to recover");
}

static int
mlx4r_g_flow_validate(struct rte_eth_dev *e, const struct rte_flow_attr *attr,
		      const struct rte_flow_item pattern[],
		      const struct rte_flow_action actions[],
		      struct rte_flow_error *error)
{
	struct mlx4r_port *port = mlx4r_port_of(e);
	int ret;

	pthread_mutex_lock(&port->dev->reset->lock);
	ret = mlx4r_flow_api_validate(port, attr, pattern, actions, error);
	pthread_mutex_unlock(&port->dev->reset->lock);
	return ret;
}

static struct rte_flow *
mlx4r_g_flow_create(struct rte_eth_dev *e, const struct rte_flow_attr *attr,
		    const struct rte_flow_item pattern[],
		    const struct rte_flow_action actions[],
		    struct rte_flow_error *error)
{
	struct mlx4r_port *port = mlx4r_port_of(e);
	struct mlx4r_dev *dev = port->dev;
	struct rte_flow *f = NULL;
	int ret = mlx4r_gate_err(dev, true, port);

	if (ret == 0) {
		pthread_mutex_lock(&dev->reset->lock);
		ret = mlx4r_gate_err(dev, true, port);
		if (ret == 0)
			f = mlx4r_flow_api_create(port, attr, pattern, actions,
						  error);
		pthread_mutex_unlock(&dev->reset->lock);
	}
	if (ret != 0)
		mlx4r_g_flow_err(error, ret);
	return f;
}

static int
mlx4r_g_flow_destroy(struct rte_eth_dev *e, struct rte_flow *flow,
		     struct rte_flow_error *error)
{
	struct mlx4r_port *port = mlx4r_port_of(e);
	int ret;

	pthread_mutex_lock(&port->dev->reset->lock);
	ret = mlx4r_flow_api_destroy(port, flow, error);
	pthread_mutex_unlock(&port->dev->reset->lock);
	return ret;
}

static int
mlx4r_g_flow_flush(struct rte_eth_dev *e, struct rte_flow_error *error)
{
	struct mlx4r_port *port = mlx4r_port_of(e);

	RTE_SET_USED(error);
	pthread_mutex_lock(&port->dev->reset->lock);
	mlx4r_flow_api_clean(port);
	pthread_mutex_unlock(&port->dev->reset->lock);
	return 0;
}

static int
mlx4r_g_flow_isolate(struct rte_eth_dev *e, int enable,
		     struct rte_flow_error *error)
{
	struct mlx4r_port *port = mlx4r_port_of(e);
	struct mlx4r_dev *dev = port->dev;
	int ret = mlx4r_gate_err(dev, true, port);

	if (ret == 0) {
		pthread_mutex_lock(&dev->reset->lock);
		ret = mlx4r_gate_err(dev, true, port);
		if (ret == 0)
			ret = mlx4r_flow_api_isolate(port, enable, error);
		else
			ret = mlx4r_g_flow_err(error, ret);
		pthread_mutex_unlock(&dev->reset->lock);
		return ret;
	}
	return mlx4r_g_flow_err(error, ret);
}

static const struct rte_flow_ops mlx4r_gated_flow_ops = {
	.validate = mlx4r_g_flow_validate,
	.create = mlx4r_g_flow_create,
	.destroy = mlx4r_g_flow_destroy,
	.flush = mlx4r_g_flow_flush,
	.isolate = mlx4r_g_flow_isolate,
};

static int
mlx4r_g_flow_ops_get(struct rte_eth_dev *e, const struct rte_flow_ops **ops)
{
	RTE_SET_USED(e);
	*ops = &mlx4r_gated_flow_ops;
	return 0;
}

static pthread_once_t mlx4r_gated_once = PTHREAD_ONCE_INIT;

static void
mlx4r_gated_build(void)
{
	mlx4r_gated_ops = mlx4r_dev_ops;
	mlx4r_gated_ops.dev_configure = mlx4r_g_configure;
	mlx4r_gated_ops.dev_start = mlx4r_g_start;
	mlx4r_gated_ops.dev_stop = mlx4r_g_stop;
	mlx4r_gated_ops.dev_close = mlx4r_g_close;
	mlx4r_gated_ops.dev_reset = mlx4r_g_reset;
	mlx4r_gated_ops.dev_set_link_up = mlx4r_g_link_up;
	mlx4r_gated_ops.dev_set_link_down = mlx4r_g_link_down;
	mlx4r_gated_ops.dev_infos_get = mlx4r_g_infos_get;
	mlx4r_gated_ops.flow_ops_get = mlx4r_g_flow_ops_get;
	mlx4r_gated_ops.fw_version_get = mlx4r_g_fw_version;
	mlx4r_gated_ops.link_update = mlx4r_g_link_update;
	mlx4r_gated_ops.promiscuous_enable = mlx4r_g_promisc_on;
	mlx4r_gated_ops.promiscuous_disable = mlx4r_g_promisc_off;
	mlx4r_gated_ops.allmulticast_enable = mlx4r_g_allmulti_on;
	mlx4r_gated_ops.allmulticast_disable = mlx4r_g_allmulti_off;
	mlx4r_gated_ops.mac_addr_set = mlx4r_g_mac_set;
	mlx4r_gated_ops.mac_addr_add = mlx4r_g_mac_add;
	mlx4r_gated_ops.mac_addr_remove = mlx4r_g_mac_remove;
	mlx4r_gated_ops.set_mc_addr_list = mlx4r_g_mc_list;
	mlx4r_gated_ops.vlan_filter_set = mlx4r_g_vlan_filter;
	mlx4r_gated_ops.vlan_offload_set = mlx4r_g_vlan_offload;
	mlx4r_gated_ops.flow_ctrl_get = mlx4r_g_fc_get;
	mlx4r_gated_ops.flow_ctrl_set = mlx4r_g_fc_set;
	mlx4r_gated_ops.mtu_set = mlx4r_g_mtu_set;
	mlx4r_gated_ops.reta_update = mlx4r_g_reta_update;
	mlx4r_gated_ops.rss_hash_update = mlx4r_g_rss_update;
	mlx4r_gated_ops.stats_get = mlx4r_g_stats_get;
	mlx4r_gated_ops.stats_reset = mlx4r_g_stats_reset;
	mlx4r_gated_ops.xstats_get = mlx4r_g_xstats_get;
	mlx4r_gated_ops.xstats_get_names = mlx4r_g_xstats_get_names;
	mlx4r_gated_ops.xstats_reset = mlx4r_g_xstats_reset;
	mlx4r_gated_ops.rx_queue_setup = mlx4r_g_rxq_setup;
	mlx4r_gated_ops.tx_queue_setup = mlx4r_g_txq_setup;
	mlx4r_gated_ops.rx_queue_release = mlx4r_g_rxq_release;
	mlx4r_gated_ops.rx_queue_start = mlx4r_g_rxq_start;
	mlx4r_gated_ops.rx_queue_stop = mlx4r_g_rxq_stop;
	mlx4r_gated_ops.tx_queue_start = mlx4r_g_txq_start;
	mlx4r_gated_ops.tx_queue_stop = mlx4r_g_txq_stop;
	mlx4r_gated_ops.tx_queue_release = mlx4r_g_txq_release;
}

/* The ops of a primary process's port: mlx4r_dev_ops behind the gate. */
const struct eth_dev_ops *
mlx4r_gate_dev_ops(void)
{
	pthread_once(&mlx4r_gated_once, mlx4r_gated_build);
	return &mlx4r_gated_ops;
}
