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

#include <rte_common.h>
#include <rte_kvargs.h>
#include <rte_malloc.h>

#include <bus_vdev_driver.h>
#include <ethdev_driver.h>
#include <ethdev_vdev.h>

#include "mlx4r.h"
#include "rte_pmd_mlx4r.h"

RTE_LOG_REGISTER_DEFAULT(mlx4r_logtype, NOTICE);
RTE_LOG_REGISTER_SUFFIX(mlx4r_logtype_init, init, NOTICE);

#define MLX4R_ARG_PORTS "ports"
#define MLX4R_ARG_BACKEND "backend"

static const char * const mlx4r_valid_args[] = {
	MLX4R_ARG_PORTS,
	MLX4R_ARG_BACKEND,
	NULL,
};

static const char * const mlx4r_backend_names[] = {
	[MLX4R_BACKEND_EMU] = "emu",
	[MLX4R_BACKEND_VERBS] = "verbs",
};

/* Parse a decimal integer in [min, max]; -EINVAL on anything else. */
static int
mlx4r_parse_uint(const char *key, const char *value, unsigned long min,
		 unsigned long max, unsigned long *out)
{
	unsigned long v;
	char *end;

	if (value == NULL || value[0] == '\0') {
		INIT_LOG(ERR, "devarg %s: a value is required (%lu..%lu)",
			 key, min, max);
		return -EINVAL;
	}
	errno = 0;
	v = strtoul(value, &end, 0);
	if (errno != 0 || *end != '\0' || value[0] == '-' ||
	    v < min || v > max) {
		INIT_LOG(ERR, "devarg %s=%s: expected an integer in %lu..%lu",
			 key, value, min, max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int
mlx4r_arg_ports(const char *key, const char *value, void *opaque)
{
	struct mlx4r_args *args = opaque;
	unsigned long v;
	int ret;

	ret = mlx4r_parse_uint(key, value, 1, MLX4R_MAX_PORTS, &v);
	if (ret < 0)
		return ret;
	args->nb_ports = v;
	return 0;
}

static int
mlx4r_arg_backend(const char *key, const char *value, void *opaque)
{
	struct mlx4r_args *args = opaque;
	unsigned int i;

	for (i = 0; i < RTE_DIM(mlx4r_backend_names); i++) {
		if (value != NULL && strcmp(value, mlx4r_backend_names[i]) == 0)
			break;
	}
	if (i == RTE_DIM(mlx4r_backend_names)) {
		INIT_LOG(ERR, "devarg %s=%s: expected emu or verbs", key,
			 value != NULL ? value : "");
		return -EINVAL;
	}
	if (i == MLX4R_BACKEND_VERBS) {
		INIT_LOG(ERR, "devarg %s=%s: the rdma-core backend is not part of this build",
			 key, value);
		return -ENOTSUP;
	}
	args->backend = i;
	return 0;
}

/*
 * Parse the devargs string. rte_kvargs_parse() with a list of valid keys
 * fails without saying which key it refused, so keys are checked here,
 * each unknown one named in the log.
 */
static int
mlx4r_parse_args(const char *name, const char *params, struct mlx4r_args *args)
{
	struct rte_kvargs *kvlist;
	unsigned int i, j;
	int ret = 0;

	args->nb_ports = 1;
	args->backend = MLX4R_BACKEND_EMU;
	if (params == NULL || params[0] == '\0')
		return 0;
	kvlist = rte_kvargs_parse(params, NULL);
	if (kvlist == NULL) {
		INIT_LOG(ERR, "%s: cannot parse devargs \"%s\"", name, params);
		return -EINVAL;
	}
	for (i = 0; i < kvlist->count; i++) {
		const char *key = kvlist->pairs[i].key;

		for (j = 0; mlx4r_valid_args[j] != NULL; j++) {
			if (strcmp(key, mlx4r_valid_args[j]) == 0)
				break;
		}
		if (mlx4r_valid_args[j] == NULL) {
			INIT_LOG(ERR, "%s: unknown devarg \"%s\" (valid: %s, %s)",
				 name, key, MLX4R_ARG_PORTS,
				 MLX4R_ARG_BACKEND);
			ret = -EINVAL;
			goto out;
		}
		if (rte_kvargs_count(kvlist, key) > 1) {
			INIT_LOG(ERR, "%s: devarg \"%s\" given more than once",
				 name, key);
			ret = -EINVAL;
			goto out;
		}
	}
	ret = rte_kvargs_process(kvlist, MLX4R_ARG_PORTS, mlx4r_arg_ports,
				 args);
	if (ret < 0)
		goto out;
	ret = rte_kvargs_process(kvlist, MLX4R_ARG_BACKEND, mlx4r_arg_backend,
				 args);
out:
	rte_kvargs_free(kvlist);
	/* rte_kvargs_process() turns a callback's error into -1 */
	return ret < 0 ? -EINVAL : 0;
}

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

static void
mlx4r_dev_free(struct mlx4r_dev *dev)
{
	unsigned int i;

	for (i = 0; i < RTE_DIM(dev->wire); i++)
		rte_ring_free(dev->wire[i]);
	rte_free(dev);
}

/*
 * Called by dev_close of a port once its queues are gone: the port leaves
 * the device core; the last one frees the core.
 */
void
mlx4r_dev_port_closed(struct mlx4r_dev *dev, struct mlx4r_port *port)
{
	dev->ports[port->port_num - 1] = NULL;
	port->dev = NULL;
	if (--dev->nb_live_ports == 0) {
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
		sizeof(struct rte_ether_addr), 0, dev->socket_id);
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
	port->wire = dev->wire[idx];
	/*
	 * Locally administered address under Mellanox's OUI byte layout:
	 * 02:c9:00:<port id>:<hca>:<port number>. Unique per process.
	 */
	port->mac = (struct rte_ether_addr){ .addr_bytes = {
		0x02, 0xc9, 0x00, eth_dev->data->port_id,
		(uint8_t)(uintptr_t)dev, port->port_num } };
	rte_ether_addr_copy(&port->mac, &eth_dev->data->mac_addrs[0]);
	eth_dev->dev_ops = &mlx4r_dev_ops;
	eth_dev->rx_pkt_burst = mlx4r_rx_burst;
	eth_dev->tx_pkt_burst = mlx4r_tx_burst;
	eth_dev->data->dev_link = (struct rte_eth_link){
		.link_speed = RTE_ETH_SPEED_NUM_40G,
		.link_duplex = RTE_ETH_LINK_FULL_DUPLEX,
		.link_status = RTE_ETH_LINK_DOWN,
		.link_autoneg = RTE_ETH_LINK_AUTONEG,
	};
	/* ethdev frees the port's ethdev on close */
	eth_dev->data->dev_flags |= RTE_ETH_DEV_AUTOFILL_QUEUE_XSTATS;
	dev->ports[idx] = port;
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
		eth_dev->dev_ops = &mlx4r_dev_ops;
		eth_dev->rx_pkt_burst = mlx4r_rx_burst;
		eth_dev->tx_pkt_burst = mlx4r_tx_burst;
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
	dev->args = args;
	dev->socket_id = vdev->device.numa_node;
	for (i = 0; i < args.nb_ports; i++) {
		char ring_name[RTE_RING_NAMESIZE];

		snprintf(ring_name, sizeof(ring_name), "mlx4r_%p_%u",
			 (void *)dev, i);
		dev->wire[i] = rte_ring_create(ring_name, MLX4R_WIRE_SIZE,
					       dev->socket_id, 0);
		if (dev->wire[i] == NULL) {
			ret = -rte_errno;
			INIT_LOG(ERR, "%s: cannot create the wire of port %u: %s",
				 name, i + 1, rte_strerror(rte_errno));
			goto error;
		}
	}
	for (i = 0; i < args.nb_ports; i++) {
		ret = mlx4r_port_create(vdev, dev, i);
		if (ret < 0)
			goto error;
	}
	INIT_LOG(INFO, "%s: %u port(s) on the %s backend", name,
		 args.nb_ports, mlx4r_backend_names[args.backend]);
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
	MLX4R_ARG_BACKEND "=<emu|verbs>");
