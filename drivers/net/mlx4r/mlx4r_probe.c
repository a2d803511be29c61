/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * Probe and removal of a net_mlx4r vdev: its devargs (mlx4r_devargs.c),
 * its device core (one per HCA, mlx4r_core.c), its reset machine
 * (mlx4r_reset.c) and one ethdev per physical port; the registration of
 * the driver.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <inttypes.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include <bus_vdev_driver.h>
#include <ethdev_driver.h>
#include <ethdev_vdev.h>

#include "mlx4r.h"
#include "mlx4r_core.h"
#include "mlx4r_devargs.h"
#include "mlx4r_gate.h"
#include "mlx4r_mp.h"
#include "mlx4r_registry.h"
#include "mlx4r_reset.h"
#include "rte_pmd_mlx4r.h"
#include "emu/mlx4r_emu.h"

/*
 * Name of the ethdev of port @p idx (0-based) of HCA @p hca: the first port
 * keeps the vdev name, the second is "<vdev>_port2".
 */
static int
mlx4r_port_name(const char *hca, unsigned int idx, char *buf, size_t len)
{
	int n;

	if (idx == 0)
		n = snprintf(buf, len, "%s", hca);
	else
		n = snprintf(buf, len, "%s_port%u", hca, idx + 1);
	if (n < 0 || (size_t)n >= len) {
		INIT_LOG(ERR, "%s: name too long for the ethdev of port %u",
			 hca, idx + 1);
		return -ENAMETOOLONG;
	}
	return 0;
}

static int
mlx4r_port_create(struct rte_vdev_device *vdev, struct mlx4r_dev *dev,
		  unsigned int idx)
{
	char name[RTE_ETH_NAME_MAX_LEN];
	struct rte_eth_dev *eth_dev;
	struct mlx4r_port *port;
	int ret;

	ret = mlx4r_port_name(dev->name, idx, name, sizeof(name));
	if (ret < 0)
		return ret;
	eth_dev = rte_eth_dev_allocate(name);
	if (eth_dev == NULL) {
		INIT_LOG(ERR, "%s: cannot allocate ethdev %s (name taken or too many ports)",
			 dev->name, name);
		return -ENOMEM;
	}
	eth_dev->device = &vdev->device;
	eth_dev->intr_handle = NULL;
	eth_dev->data->numa_node = dev->socket_id;
	port = rte_zmalloc_socket(name, sizeof(*port), RTE_CACHE_LINE_SIZE,
				  dev->socket_id);
	eth_dev->data->mac_addrs = rte_zmalloc_socket(name,
		MLX4R_MAX_MAC * sizeof(struct rte_ether_addr), 0,
		dev->socket_id);
	if (port == NULL || eth_dev->data->mac_addrs == NULL) {
		INIT_LOG(ERR, "%s: out of memory for port %u", dev->name,
			 idx + 1);
		rte_free(port);
		ret = -ENOMEM;
		goto error;
	}
	eth_dev->data->dev_private = port;
	port->dev = dev;
	port->eth_dev = eth_dev;
	port->port_num = idx + 1;
	TAILQ_INIT(&port->rte_flows);
	LIST_INIT(&port->flow_rss);
	ret = mlx4r_hw_port_mac(dev->ctx, port->port_num,
				port->mac.addr_bytes);
	if (ret < 0) {
		INIT_LOG(ERR, "%s: no MAC address for port %u: %s",
			 dev->name, idx + 1, strerror(-ret));
		goto error;
	}
	rte_ether_addr_copy(&port->mac, &eth_dev->data->mac_addrs[0]);
	mlx4r_port_netdev_probe(port);
	port->keep_crc_cap = (dev->ctx->raw_packet_caps &
			      IBV_RAW_PACKET_CAP_SCATTER_FCS) != 0;
	port->tso_max = dev->ctx->max_tso != 0 &&
			(dev->ctx->tso_qpts & (1u << IBV_QPT_RAW_PACKET)) ?
			dev->ctx->max_tso : 0;
	port->l2tun_cap = dev->ctx->vendor_part_id == MLX4R_PART_CX3_PRO;
	if (mlx4r_port_fw_read(port) < 0)
		INIT_LOG(WARNING, MLX4R_PORT_FMT ": no firmware version from the device",
			 MLX4R_PORT_ARGS(port));
	/* the ops behind the reset gate (mlx4r_gate.c) */
	eth_dev->dev_ops = mlx4r_gate_dev_ops();
	/*
	 * The bursts, set once: ethdev copies them into rte_eth_fp_ops at
	 * every start; the driver never writes either afterwards.
	 */
	eth_dev->rx_pkt_burst = port->l2tun_cap ? mlx4r_rx_burst_l2tun :
				mlx4r_rx_burst;
	eth_dev->tx_pkt_burst = mlx4r_tx_burst;
	eth_dev->tx_pkt_prepare = mlx4r_tx_prepare;
	/*
	 * Primary only: they read the rings' device memory, the primary's
	 * own (a secondary gets ethdev's -ENOTSUP).
	 */
	eth_dev->rx_descriptor_status = mlx4r_rx_descriptor_status;
	eth_dev->rx_queue_count = mlx4r_rx_queue_count;
	eth_dev->tx_descriptor_status = mlx4r_tx_descriptor_status;
	eth_dev->data->dev_link = (struct rte_eth_link){
		.link_speed = RTE_ETH_SPEED_NUM_40G,
		.link_duplex = RTE_ETH_LINK_FULL_DUPLEX,
		.link_status = RTE_ETH_LINK_DOWN,
		.link_autoneg = RTE_ETH_LINK_AUTONEG,
	};
	/* ethdev frees the port's ethdev on close */
	eth_dev->data->dev_flags |= RTE_ETH_DEV_AUTOFILL_QUEUE_XSTATS |
				    RTE_ETH_DEV_INTR_LSC |
				    RTE_ETH_DEV_INTR_RMV;
	mlx4r_dev_port_join(dev, port);
	mlx4r_reset_port_add(dev, port);
	rte_eth_dev_probing_finish(eth_dev);
	/* the public calls find it from now on (until its close) */
	mlx4r_registry_add(eth_dev->data->port_id, port);
	INIT_LOG(DEBUG, "%s: port %u is ethdev %u (%s)", dev->name, idx + 1,
		 eth_dev->data->port_id, name);
	return 0;
error:
	/* frees dev_private and mac_addrs */
	rte_eth_dev_release_port(eth_dev);
	return ret;
}

/* Close every port still open; the last one frees the device core. */
static void
mlx4r_dev_destroy(struct mlx4r_dev *dev)
{
	struct mlx4r_port *ports[MLX4R_MAX_PORTS];
	unsigned int i;

	/* copy first: closing the last port frees dev */
	memcpy(ports, dev->ports, sizeof(ports));
	for (i = 0; i < RTE_DIM(ports); i++) {
		/* rte_eth_dev_close() ends in mlx4r_dev_port_closed() */
		if (ports[i] != NULL)
			rte_eth_dev_close(ports[i]->eth_dev->data->port_id);
		/* never started during probe, so close cannot refuse */
	}
}

/*
 * The bursts of a secondary process on the emulated backend (and where
 * forwarding could not be set up, mlx4r_mp_secondary_attach()): a defined
 * refusal. The emulated device and its rings are the primary's private
 * memory, its engine runs in the primary's bursts, so a secondary cannot
 * send or receive on the port; before, its burst pointers were NULL, which ethdev's
 * rte_eth_fp_ops entry took at the secondary's probe
 * (rte_eth_dev_probing_finish()), and a burst called there crashed. Like
 * ethdev's dummy bursts (ethdev_private.c): 0 packets, rte_errno ENOTSUP;
 * a Tx burst leaves the packets to the caller.
 */
static uint16_t
mlx4r_burst_secondary(void *q, struct rte_mbuf **pkts, uint16_t n)
{
	RTE_SET_USED(q);
	RTE_SET_USED(pkts);
	RTE_SET_USED(n);
	rte_errno = ENOTSUP;
	return 0;
}

static int
mlx4r_probe_secondary(struct rte_vdev_device *vdev, const char *name)
{
	char pname[RTE_ETH_NAME_MAX_LEN];
	struct rte_eth_dev *eth_dev;
	unsigned int i;
	int ret;

	for (i = 0; i < MLX4R_MAX_PORTS; i++) {
		if (mlx4r_port_name(name, i, pname, sizeof(pname)) < 0)
			return -ENAMETOOLONG;
		eth_dev = rte_eth_dev_attach_secondary(pname);
		if (eth_dev == NULL) {
			if (i > 0)
				break; /* a one-port HCA */
			INIT_LOG(ERR, "%s: cannot attach to the primary's port",
				 name);
			return -ENODEV;
		}
		eth_dev->device = &vdev->device;
		/* read-only: the device context is the primary's */
		eth_dev->dev_ops = mlx4r_mp_secondary_ops();
		/* copied into rte_eth_fp_ops by rte_eth_dev_probing_finish() */
		eth_dev->rx_pkt_burst = mlx4r_burst_secondary;
		eth_dev->tx_pkt_burst = mlx4r_burst_secondary;
		/* the verbs backend's queues forward here too (mlx4r_mp.c) */
		ret = mlx4r_mp_secondary_attach(eth_dev);
		if (ret < 0 && ret != -ENOTSUP)
			INIT_LOG(ERR, "%s: no forwarding in this process (%s): its bursts return 0",
				 pname, strerror(-ret));
		rte_eth_dev_probing_finish(eth_dev);
		mlx4r_registry_add(eth_dev->data->port_id,
				   eth_dev->data->dev_private);
	}
	return 0;
}

static int
mlx4r_probe(struct rte_vdev_device *vdev)
{
	const char *name = rte_vdev_device_name(vdev);
	struct mlx4r_args args;
	struct mlx4r_dev *dev;
	unsigned int i;
	int ret;

	if (rte_eal_process_type() == RTE_PROC_SECONDARY)
		return mlx4r_probe_secondary(vdev, name);

	ret = mlx4r_parse_args(name, rte_vdev_device_args(vdev), &args);
	if (ret < 0)
		return ret;
	/*
	 * A device of this name closed from inside one of its own event
	 * callbacks may still be freeing itself (its emulated device, its
	 * context): wait for it, unless the caller runs that callback.
	 */
	if (mlx4r_reset_reap(name) < 0) {
		INIT_LOG(ERR, "%s: the previous device of this name is still being freed (its last port was closed from its event callback, which is still running): probe it again after that callback returned",
			 name);
		return -EBUSY;
	}
	/*
	 * A vdev has no NUMA node of its own (SOCKET_ID_ANY): take the
	 * probing lcore's, as net_null does (rte_eth_null.c,
	 * rte_pmd_null_probe). A port on socket -1 is skipped by tests that
	 * match ports to lcores by socket: pmd_perf_autotest
	 * (app/test/test_pmd_perf.c, test_pmd_perf) configures and starts
	 * such a port, then never stops it, so a second run fails to
	 * configure it and exits.
	 */
	if (vdev->device.numa_node == SOCKET_ID_ANY)
		vdev->device.numa_node = rte_socket_id();
	/* a probe from a thread of no socket (hotplug from a non-EAL thread) */
	if (vdev->device.numa_node == SOCKET_ID_ANY)
		vdev->device.numa_node =
			rte_lcore_to_socket_id(rte_get_main_lcore());
	dev = rte_zmalloc_socket(name, sizeof(*dev), RTE_CACHE_LINE_SIZE,
				 vdev->device.numa_node);
	if (dev == NULL) {
		INIT_LOG(ERR, "%s: out of memory for the device", name);
		return -ENOMEM;
	}
	strlcpy(dev->name, name, sizeof(dev->name));
	rte_spinlock_init(&dev->ev_lock);
	rte_spinlock_init(&dev->qp_err_lock);
	pthread_mutex_init(&dev->mp_lock, NULL);
	dev->mp_cmd_fd = -1;
	mlx4r_mr_init(dev);
	dev->args = args;
	dev->socket_id = vdev->device.numa_node;
	/* the device core tells the reset machine and the ports of events */
	dev->events = &mlx4r_reset_dev_events;
	ret = mlx4r_dev_open(dev);
	if (ret == 0) {
		/* for the secondaries' CMD_FD (mlx4r_mp.c), from mp_init on */
		mlx4r_mp_publish(dev, false);
		ret = mlx4r_reset_init(dev);
	}
	if (ret < 0)
		goto error;
	for (i = 0; i < args.nb_ports; i++) {
		ret = mlx4r_port_create(vdev, dev, i);
		if (ret < 0)
			goto error;
	}
	/* a secondary process asks this one for the device's counters */
	mlx4r_mp_init();
	INIT_LOG(INFO, "%s: %u port(s) on the %s backend", name,
		 args.nb_ports, mlx4r_backend_name(args.backend));
	return 0;
error:
	if (dev->nb_live_ports > 0)
		mlx4r_dev_destroy(dev); /* frees dev with its last port */
	else
		mlx4r_dev_free(dev);
	return ret;
}

static int
mlx4r_remove(struct rte_vdev_device *vdev)
{
	const char *name = rte_vdev_device_name(vdev);
	struct rte_eth_dev *eth_dev;
	uint16_t port_id;
	int ret = 0;

	if (rte_eal_process_type() == RTE_PROC_SECONDARY) {
		RTE_ETH_FOREACH_DEV_OF(port_id, &vdev->device) {
			eth_dev = &rte_eth_devices[port_id];
			mlx4r_registry_del(eth_dev->data->dev_private);
			rte_eth_dev_release_port(eth_dev);
		}
		return 0;
	}
	/*
	 * Closing the ports one by one releases them; the device core goes
	 * with the last. A port the application already closed is simply no
	 * longer listed.
	 */
	RTE_ETH_FOREACH_DEV_OF(port_id, &vdev->device) {
		int r = 0;

		/* rte_eth_dev_close() refuses a started port */
		if (rte_eth_devices[port_id].data->dev_started)
			r = rte_eth_dev_stop(port_id);
		if (r == 0)
			r = rte_eth_dev_close(port_id);
		if (r < 0 && ret == 0)
			ret = r;
	}
	/*
	 * Also the remove of rte_eal_cleanup() (the vdev bus's cleanup):
	 * join the control threads left to free devices closed from their
	 * own callbacks, this one's included, before EAL frees the memory
	 * they still use.
	 */
	mlx4r_reset_reap(NULL);
	INIT_LOG(DEBUG, "%s: removed", name);
	return ret;
}

static struct rte_vdev_driver mlx4r_vdev_driver = {
	.probe = mlx4r_probe,
	.remove = mlx4r_remove,
};

RTE_PMD_REGISTER_VDEV(MLX4R_DRIVER_NAME, mlx4r_vdev_driver);
RTE_PMD_REGISTER_PARAM_STRING(MLX4R_DRIVER_NAME,
	MLX4R_ARG_PORTS "=<1|2> "
	MLX4R_ARG_BACKEND "=<emu|verbs> "
	MLX4R_ARG_IBDEV "=<rdma device> "
	MLX4R_ARG_MAX_QUEUES "=<1..16> "
	MLX4R_ARG_WIRE "[1|2]=<gen|xconnect|loopback|tap[:ifname]|none> "
	MLX4R_ARG_GEN_RATE "[1|2]=<pps> "
	MLX4R_ARG_GEN_SIZE "[1|2]=<bytes> "
	MLX4R_ARG_GEN_FLOWS "[1|2]=<n> "
	MLX4R_ARG_GEN_DPORT "[1|2]=<udp port> "
	"recovery=<passive|proactive> "
	"recovery_attempts=<1..100> "
	"reset_deadline_ms=<ms> "
	"reinit_timeout_ms=<ms> "
	MLX4R_ARG_MODEL "=<cx3|cx3pro> "
	MLX4R_ARG_ENGINE "=<hook|thread> "
	"fault=<fault>[/<arg>]@<ms>[:...]");

/*
 * What backend=verbs needs of the kernel, as upstream mlx4 declares it
 * (drivers/net/mlx4/mlx4.c); dpdk-pmdinfo.py shows it. The emulated device
 * needs no module.
 */
RTE_PMD_REGISTER_KMOD_DEP(MLX4R_DRIVER_NAME,
	"* ib_uverbs & mlx4_en & mlx4_core & mlx4_ib");
