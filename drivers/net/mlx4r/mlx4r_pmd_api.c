/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/* The driver's public calls (rte_pmd_mlx4r.h). */

#include <errno.h>
#include <string.h>

#include <rte_string_fns.h>

#include <ethdev_driver.h>

#include "mlx4r.h"
#include "rte_pmd_mlx4r.h"

/* The port behind @p port_id if it is an mlx4r port, else NULL. */
static struct mlx4r_port *
mlx4r_port_lookup(uint16_t port_id, int *err)
{
	struct rte_eth_dev *eth_dev;

	if (!rte_eth_dev_is_valid_port(port_id)) {
		*err = -ENODEV;
		return NULL;
	}
	eth_dev = &rte_eth_devices[port_id];
	if (eth_dev->dev_ops != &mlx4r_dev_ops) {
		*err = -ENOTSUP;
		return NULL;
	}
	return mlx4r_port_of(eth_dev);
}

int
rte_pmd_mlx4r_port_info_get(uint16_t port_id,
			    struct rte_pmd_mlx4r_port_info *info)
{
	const struct mlx4r_port *port;
	const struct mlx4r_dev *dev;
	unsigned int peer;
	int err = 0;

	if (info == NULL)
		return -EINVAL;
	port = mlx4r_port_lookup(port_id, &err);
	if (port == NULL)
		return err;
	dev = port->dev;
	memset(info, 0, sizeof(*info));
	strlcpy(info->hca_name, dev->name, sizeof(info->hca_name));
	info->port_num = port->port_num;
	info->nb_ports = dev->args.nb_ports;
	info->peer_port_id = UINT16_MAX;
	peer = port->port_num == 1 ? 1 : 0;
	if (dev->args.nb_ports == 2 && dev->ports[peer] != NULL)
		info->peer_port_id = dev->ports[peer]->eth_dev->data->port_id;
	strlcpy(info->backend,
		dev->args.backend == MLX4R_BACKEND_EMU ? "emu" : "verbs",
		sizeof(info->backend));
	return 0;
}
