/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * Probe and removal of a net_mlx4r vdev: devargs, the device core (one per
 * HCA) and one ethdev per physical port.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <inttypes.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_interrupts.h>
#include <rte_kvargs.h>
#include <rte_malloc.h>

#include <bus_vdev_driver.h>
#include <ethdev_driver.h>
#include <ethdev_vdev.h>

#include "mlx4r.h"
#include "mlx4r_devargs.h"
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

/* Read and dispatch the device's async events (EAL interrupt thread). */
static void
mlx4r_dev_async_events(void *arg)
{
	struct mlx4r_dev *dev = arg;
	struct mlx4r_hw_async_event ev;

	while (mlx4r_hw_get_async_event(dev->ctx, &ev) == 0) {
		switch (ev.event_type) {
		case IBV_EVENT_PORT_ACTIVE:
		case IBV_EVENT_PORT_ERR: {
			int p = ev.element.port_num;
			struct rte_eth_dev *lsc = NULL;

			/* a port closing on another thread waits for this */
			rte_spinlock_lock(&dev->ev_lock);
			if (p >= 1 && p <= MLX4R_MAX_PORTS &&
			    dev->ports[p - 1] != NULL &&
			    mlx4r_port_link_event(dev->ports[p - 1]))
				lsc = dev->ports[p - 1]->eth_dev;
			rte_spinlock_unlock(&dev->ev_lock);
			/*
			 * The application's callback runs without ev_lock (it
			 * may close the port), fenced against close by the
			 * reset machine's raise handshake.
			 */
			if (lsc != NULL)
				mlx4r_reset_raise(dev, lsc,
						  RTE_ETH_EVENT_INTR_LSC);
			break;
		}
		case IBV_EVENT_DEVICE_FATAL:
			DRV_LOG(ERR, "%s: the device reported a fatal error",
				dev->name);
			/* the reset runs on the control thread, not here */
			mlx4r_reset_post(dev, MLX4R_REQ_FATAL);
			break;
		case IBV_EVENT_QP_FATAL:
		case IBV_EVENT_QP_REQ_ERR:
		case IBV_EVENT_QP_ACCESS_ERR:
		case IBV_EVENT_WQ_FATAL:
		case IBV_EVENT_CQ_ERR:
			/* a queue the datapath cannot repair: reset the HCA */
			DRV_LOG(ERR, "%s: queue error event %d", dev->name,
				ev.event_type);
			mlx4r_reset_post(dev, MLX4R_REQ_QUEUE);
			break;
		default:
			DRV_LOG(ERR, "%s: async event %d not handled",
				dev->name, ev.event_type);
			break;
		}
		mlx4r_hw_ack_async_event(dev->ctx, &ev);
	}
}

void
mlx4r_dev_intr_uninstall(struct mlx4r_dev *dev)
{
	int ret;

	if (dev->intr == NULL)
		return;
	/* -EAGAIN while the handler runs on the interrupt thread: retry */
	do {
		ret = rte_intr_callback_unregister(dev->intr,
						   mlx4r_dev_async_events, dev);
		if (ret == -EAGAIN)
			rte_delay_us_sleep(1000);
	} while (ret == -EAGAIN);
	rte_intr_instance_free(dev->intr);
	dev->intr = NULL;
}

int
mlx4r_dev_intr_install(struct mlx4r_dev *dev)
{
	int ret;

	dev->intr = rte_intr_instance_alloc(RTE_INTR_INSTANCE_F_PRIVATE);
	if (dev->intr == NULL)
		return -ENOMEM;
	if (rte_intr_fd_set(dev->intr, dev->ctx->async_fd) != 0 ||
	    rte_intr_type_set(dev->intr, RTE_INTR_HANDLE_EXT) != 0) {
		ret = -rte_errno;
		goto error;
	}
	ret = rte_intr_callback_register(dev->intr, mlx4r_dev_async_events,
					 dev);
	if (ret < 0)
		goto error;
	return 0;
error:
	INIT_LOG(ERR, "%s: cannot watch the async event fd: %s", dev->name,
		 rte_strerror(-ret));
	rte_intr_instance_free(dev->intr);
	dev->intr = NULL;
	return ret;
}

/* Cable a port of the emulated device as its devargs say. */
static int
mlx4r_dev_wire(struct mlx4r_dev *dev, unsigned int idx)
{
	const struct mlx4r_port_args *pa = &dev->args.port[idx];
	struct mlx4r_emu_dev *emu = mlx4r_emu_dev_lookup(dev->name);
	struct mlx4r_emu_gen_conf gen;
	uint8_t p = idx + 1;
	int ret;

	if (emu == NULL)
		return -ENODEV;
	switch (pa->wire) {
	case MLX4R_WIRE_GEN:
		ret = mlx4r_emu_wire_peer(emu, p);
		if (ret < 0)
			break;
		memset(&gen, 0, sizeof(gen));
		gen.rate_pps = pa->gen_rate;
		gen.frame_size = pa->gen_size;
		gen.nb_flows = pa->gen_flows;
		ret = mlx4r_emu_gen_start(emu, p, &gen);
		break;
	case MLX4R_WIRE_XCONNECT:
		ret = idx == 0 ? mlx4r_emu_wire_xconnect(emu, 1, emu, 2) : 0;
		break;
	case MLX4R_WIRE_LOOPBACK:
		ret = mlx4r_emu_wire_loopback(emu, p);
		break;
	case MLX4R_WIRE_TAP:
		ret = mlx4r_emu_wire_tap(emu, p, pa->tap_name, NULL);
		break;
	default:
		ret = mlx4r_emu_wire_none(emu, p);
		break;
	}
	if (ret < 0)
		INIT_LOG(ERR, "%s: cannot cable port %u to wire %s: %s",
			 dev->name, p, mlx4r_wire_name(pa->wire),
			 strerror(-ret));
	return ret;
}

/*
 * Internal loopback (lpbk_mode=1): Tx WQEs carry the force-loopback bit;
 * on the emulated device a port cabled to the generator is unplugged
 * meanwhile, so that the port hears only itself, as with a PHY in
 * loopback.
 */
int
mlx4r_dev_lpbk(struct mlx4r_port *port, bool on)
{
	struct mlx4r_dev *dev = port->dev;
	struct mlx4r_emu_dev *emu;
	unsigned int idx = port->port_num - 1;
	int ret;

	if (dev->args.backend != MLX4R_BACKEND_EMU ||
	    dev->args.port[idx].wire != MLX4R_WIRE_GEN)
		return 0;
	if (!on) {
		/*
		 * Re-cable only what loopback unplugged: re-cabling restarts
		 * the generator, whose counters must run on across stops
		 * and resets (applications account for every frame).
		 */
		if (!port->gen_unplugged)
			return 0;
		port->gen_unplugged = false;
		return mlx4r_dev_wire(dev, idx);
	}
	if (port->gen_unplugged)
		return 0;
	emu = mlx4r_emu_dev_lookup(dev->name);
	ret = emu == NULL ? -ENODEV : mlx4r_emu_wire_none(emu, port->port_num);
	if (ret == 0)
		port->gen_unplugged = true;
	return ret;
}

void
mlx4r_dev_free(struct mlx4r_dev *dev)
{
	/* stops the reset thread; deferred when called from it */
	if (!mlx4r_reset_stop_thread(dev))
		return;
	/*
	 * Order: the thread is joined first (it may itself be uninstalling
	 * the handler in RESETTING); then the handler goes (unregister waits
	 * for a running one on the interrupt thread), and only then the reset
	 * machine it posts requests to.
	 */
	mlx4r_dev_intr_uninstall(dev);
	mlx4r_reset_free(dev);
	mlx4r_mr_release_all(dev);
	if (dev->pd != NULL)
		mlx4r_hw_dealloc_pd(dev->pd);
	if (dev->ctx != NULL)
		mlx4r_hw_close_device(dev->ctx);
	if (dev->emu_owned && mlx4r_emu_dev_destroy(dev->name) < 0)
		INIT_LOG(ERR, "%s: the emulated device stays", dev->name);
	rte_free(dev);
}

/* Open the device and what the ports share: context, PD, events. */
static int
mlx4r_dev_open(struct mlx4r_dev *dev)
{
	struct ibv_port_attr pa;
	unsigned int i;
	int ret;

	if (dev->args.backend == MLX4R_BACKEND_VERBS) {
		char err[256];

		dev->ops = mlx4r_hw_verbs_backend(err, sizeof(err));
		if (dev->ops == NULL) {
			INIT_LOG(ERR, "%s: backend=verbs: cannot load the rdma-core backend (librte_net_mlx4r_verbs.so; needs libibverbs1 and ibverbs-providers): %s",
				 dev->name, err);
			return -ENOTSUP;
		}
	} else {
		dev->ops = &mlx4r_hw_emu_ops;
	}
	if (dev->args.backend == MLX4R_BACKEND_EMU) {
		struct mlx4r_emu_dev_conf conf = {
			.nb_ports = dev->args.nb_ports,
		};

		ret = mlx4r_emu_dev_create(dev->name, &conf);
		if (ret == 0) {
			dev->emu_owned = true;
		} else if (ret != -EEXIST) {
			INIT_LOG(ERR, "%s: cannot create the emulated device: %s",
				 dev->name, strerror(-ret));
			return ret;
		}
		/* -EEXIST: a device the application configured itself */
	}
	ret = mlx4r_hw_open_device(dev->ops,
		dev->args.backend == MLX4R_BACKEND_VERBS ? dev->args.ibdev :
		dev->name, &dev->ctx);
	if (ret < 0) {
		INIT_LOG(ERR, "%s: cannot open the %s device %s: %s", dev->name,
			 mlx4r_backend_name(dev->args.backend),
			 dev->args.backend == MLX4R_BACKEND_VERBS ?
			 dev->args.ibdev : dev->name, strerror(-ret));
		return ret;
	}
	if (dev->ctx->nb_ports < dev->args.nb_ports) {
		INIT_LOG(ERR, "%s: ports=%u but the device has %u", dev->name,
			 dev->args.nb_ports, dev->ctx->nb_ports);
		return -EINVAL;
	}
	for (i = 0; i < dev->args.nb_ports; i++) {
		ret = mlx4r_hw_query_port(dev->ctx, i + 1, &pa);
		if (ret == 0 && pa.link_layer != IBV_LINK_LAYER_ETHERNET)
			ret = -EPROTONOSUPPORT;
		if (ret < 0) {
			INIT_LOG(ERR, "%s: port %u is not usable: %s",
				 dev->name, i + 1, strerror(-ret));
			return ret;
		}
	}
	ret = mlx4r_hw_alloc_pd(dev->ctx, &dev->pd);
	if (ret < 0) {
		INIT_LOG(ERR, "%s: cannot allocate a PD: %s", dev->name,
			 strerror(-ret));
		return ret;
	}
	if (dev->args.backend == MLX4R_BACKEND_EMU) {
		for (i = 0; i < dev->args.nb_ports; i++) {
			ret = mlx4r_dev_wire(dev, i);
			if (ret < 0)
				return ret;
		}
	}
	return mlx4r_dev_intr_install(dev);
}

/*
 * Called by dev_close of a port once its queues are gone: the port leaves
 * the device core; the last one frees the core.
 */
void
mlx4r_dev_port_closed(struct mlx4r_dev *dev, struct mlx4r_port *port)
{
	bool last;

	/*
	 * Two ports may close at once (an application thread and a removal
	 * callback on the reset thread): the count moves under ev_lock too.
	 */
	rte_spinlock_lock(&dev->ev_lock);
	dev->ports[port->port_num - 1] = NULL;
	last = --dev->nb_live_ports == 0;
	rte_spinlock_unlock(&dev->ev_lock);
	port->dev = NULL;
	if (last) {
		INIT_LOG(DEBUG, "%s: last port closed, freeing the device",
			 dev->name);
		mlx4r_dev_free(dev);
	}
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
	ret = mlx4r_hw_port_mac(dev->ctx, port->port_num,
				port->mac.addr_bytes);
	if (ret < 0) {
		INIT_LOG(ERR, "%s: no MAC address for port %u: %s",
			 dev->name, idx + 1, strerror(-ret));
		goto error;
	}
	rte_ether_addr_copy(&port->mac, &eth_dev->data->mac_addrs[0]);
	/* the ops behind the reset gate (mlx4r_reset.c) */
	eth_dev->dev_ops = mlx4r_reset_dev_ops();
	eth_dev->rx_pkt_burst = mlx4r_rx_burst;
	eth_dev->tx_pkt_burst = mlx4r_tx_burst;
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
	dev->ports[idx] = port;
	mlx4r_reset_port_add(dev, port);
	dev->nb_live_ports++;
	rte_eth_dev_probing_finish(eth_dev);
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

static int
mlx4r_probe_secondary(struct rte_vdev_device *vdev, const char *name)
{
	char pname[RTE_ETH_NAME_MAX_LEN];
	struct rte_eth_dev *eth_dev;
	unsigned int i;

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
		eth_dev->dev_ops = &mlx4r_dev_ops_secondary;
		rte_eth_dev_probing_finish(eth_dev);
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
	dev = rte_zmalloc_socket(name, sizeof(*dev), RTE_CACHE_LINE_SIZE,
				 vdev->device.numa_node);
	if (dev == NULL) {
		INIT_LOG(ERR, "%s: out of memory for the device", name);
		return -ENOMEM;
	}
	strlcpy(dev->name, name, sizeof(dev->name));
	rte_spinlock_init(&dev->ev_lock);
	dev->args = args;
	dev->socket_id = vdev->device.numa_node;
	ret = mlx4r_dev_open(dev);
	if (ret == 0)
		ret = mlx4r_reset_init(dev);
	if (ret < 0)
		goto error;
	for (i = 0; i < args.nb_ports; i++) {
		ret = mlx4r_port_create(vdev, dev, i);
		if (ret < 0)
			goto error;
	}
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
	"recovery=<passive|proactive> "
	"recovery_attempts=<1..100> "
	"reset_deadline_ms=<ms> "
	"reinit_timeout_ms=<ms> "
	"fault=<fault>[/<arg>]@<ms>[:...]");
