/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * What mlx4_en answers for its netdevs that the TAP interfaces standing
 * in for them do not, or answer otherwise: the ethtool pause parameters
 * and link settings, and the MTU's bounds. Drivers ask them on a socket
 * with the netdev's name (upstream mlx4_ethdev.c mlx4_ifreq(), mlx4r's
 * verbs backend verbs_ifreq()); the answer comes from the model's port,
 * as mlx4_en's comes from the port's state. Everything else, and every
 * other interface, goes to the kernel.
 */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <net/if.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>

#include "mlx4r_kface.h"
#include "mlx4r_emu_priv.h"

/* __ETHTOOL_LINK_MODE_MASK_NU32 of Linux 6.1 (include/uapi/linux/ethtool.h) */
#define KF_LINK_MODE_NU32 3

/* The port (1-based) whose netdev @p ifr names, 0 if none. */
static uint8_t
kf_netdev_port(const struct ifreq *ifr)
{
	unsigned int p;

	for (p = 0; p < kf_conf.nb_ports; p++)
		if (kf_conf.ifname[p][0] != '\0' &&
		    strncmp(ifr->ifr_name, kf_conf.ifname[p], IFNAMSIZ) == 0)
			return (uint8_t)(p + 1);
	return 0;
}

/* Speed (Mb/s, SPEED_UNKNOWN without carrier) and duplex of the port. */
static void
kf_netdev_speed(struct emu_dev *dev, uint8_t port, uint32_t *speed,
		uint8_t *duplex)
{
	struct mlx4r_emu_netdev_info info;

	/*
	 * en_ethtool.c mlx4_en_get_link_ksettings(): the port's speed while
	 * it has carrier (mlx4_en_QUERY_PORT), SPEED_UNKNOWN and
	 * DUPLEX_UNKNOWN without; the carrier is the model's (running).
	 */
	if (mlx4r_emu_netdev_info((struct mlx4r_emu_dev *)dev, port, &info) == 0 &&
	    info.running) {
		*speed = dev->conf.speed;
		*duplex = DUPLEX_FULL;
	} else {
		*speed = (uint32_t)SPEED_UNKNOWN;
		*duplex = DUPLEX_UNKNOWN;
	}
}

static int
kf_ethtool(struct emu_dev *dev, uint8_t port_num, void *data)
{
	struct emu_port *port = emu_dev_port(dev, port_num);
	uint32_t cmd;

	if (data == NULL || port == NULL)
		return -EFAULT;
	memcpy(&cmd, data, sizeof(cmd));
	switch (cmd) {
	case ETHTOOL_GPAUSEPARAM: {
		/* en_ethtool.c mlx4_en_get_pauseparam(): never autoneg */
		struct ethtool_pauseparam *ep = data;

		pthread_mutex_lock(&dev->lock);
		ep->autoneg = 0;
		ep->rx_pause = port->nd.rx_pause;
		ep->tx_pause = port->nd.tx_pause;
		pthread_mutex_unlock(&dev->lock);
		return 0;
	}
	case ETHTOOL_SPAUSEPARAM: {
		/*
		 * en_ethtool.c mlx4_en_set_pauseparam(): autoneg -EINVAL,
		 * else the port's pause (mlx4_SET_PORT_general).
		 */
		const struct ethtool_pauseparam *ep = data;

		if (ep->autoneg)
			return -EINVAL;
		pthread_mutex_lock(&dev->lock);
		port->nd.rx_pause = ep->rx_pause != 0;
		port->nd.tx_pause = ep->tx_pause != 0;
		pthread_mutex_unlock(&dev->lock);
		return 0;
	}
	case ETHTOOL_GSET: {
		/* net/ethtool/ioctl.c ethtool_get_settings(): the ksettings */
		struct ethtool_cmd *ec = data;
		uint32_t speed;
		uint8_t duplex;

		kf_netdev_speed(dev, port_num, &speed, &duplex);
		memset(ec, 0, sizeof(*ec));
		ec->cmd = ETHTOOL_GSET;
		ethtool_cmd_speed_set(ec, speed);
		ec->duplex = duplex;
		ec->port = PORT_DA;
		ec->autoneg = AUTONEG_DISABLE;
		return 0;
	}
	case ETHTOOL_GLINKSETTINGS: {
		/*
		 * net/ethtool/ioctl.c ethtool_get_link_ksettings(): a request
		 * with the wrong number of mask words is answered with the
		 * right one, negated, and nothing else (the handshake).
		 */
		struct ethtool_link_settings *ls = data;
		uint32_t speed;
		uint8_t duplex;

		if (ls->link_mode_masks_nwords != KF_LINK_MODE_NU32) {
			memset(ls, 0, sizeof(*ls));
			ls->cmd = ETHTOOL_GLINKSETTINGS;
			ls->link_mode_masks_nwords = -KF_LINK_MODE_NU32;
			return 0;
		}
		kf_netdev_speed(dev, port_num, &speed, &duplex);
		memset(ls, 0, sizeof(*ls) + 3 * KF_LINK_MODE_NU32 * sizeof(uint32_t));
		ls->cmd = ETHTOOL_GLINKSETTINGS;
		ls->link_mode_masks_nwords = KF_LINK_MODE_NU32;
		ls->speed = speed;
		ls->duplex = duplex;
		ls->port = PORT_DA;
		ls->autoneg = AUTONEG_DISABLE;
		return 0;
	}
	default:
		return 1;
	}
}

int
kf_netdev_ioctl(unsigned long req, void *arg, int *ret)
{
	struct emu_dev *dev = (struct emu_dev *)kf_model();
	struct ifreq *ifr = arg;
	uint8_t port;
	int r;

	if ((req != SIOCETHTOOL && req != SIOCSIFMTU) || ifr == NULL ||
	    dev == NULL)
		return 0;
	port = kf_netdev_port(ifr);
	if (port == 0)
		return 0;
	if (req == SIOCSIFMTU) {
		/*
		 * net/core/dev.c dev_validate_mtu(): -EINVAL outside
		 * min_mtu..max_mtu; mlx4_en's max_mtu is the port's
		 * eth_mtu_cap less the headers (en_netdev.c
		 * mlx4_en_init_netdev()), the model's max_mtu. A TAP takes
		 * up to 65521: without this the kernel's netdev and the port
		 * would disagree.
		 */
		if (ifr->ifr_mtu < 68 || ifr->ifr_mtu > dev->conf.max_mtu) {
			*ret = -EINVAL;
			return 1;
		}
		return 0;
	}
	r = kf_ethtool(dev, port, ifr->ifr_data);
	if (r > 0)
		return 0;
	*ret = r;
	return 1;
}
