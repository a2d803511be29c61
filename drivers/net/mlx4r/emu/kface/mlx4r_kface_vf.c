/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * The kernel face of an SR-IOV virtual function (with-emu-cx3.sh --vf,
 * part 4100): mlx4_core on a VF is a slave, whose firmware commands go
 * through the comm channel to the host's PF, which checks them in its
 * resource tracker before it executes them
 * (drivers/net/ethernet/mellanox/mlx4/resource_tracker.c). What a VF may
 * not do that a PF may, here: its steering rules
 * (mlx4_QP_FLOW_STEERING_ATTACH_wrapper). The PF's refusal comes back to
 * the VF as a command status (cmd.c mlx4_errno_to_status: -EINVAL is
 * CMD_STAT_BAD_PARAM), which the slave turns back into -EINVAL
 * (mlx4_status_to_errno), and mlx4_ib returns it from
 * mlx4_ib_create_flow().
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <infiniband/verbs.h>

#include "mlx4r_kface.h"

bool
kf_vf(void)
{
	return kf_conf.vf;
}

/*
 * The MAC the VF registered on @p port (resource_tracker.c: the slave's
 * RES_MAC list, which mlx4_register_mac() fills): its mlx4_en registers the
 * netdev's address while the netdev is up (en_netdev.c mlx4_en_get_qp()
 * from mlx4_en_start_port(), mlx4_en_put_qp() at stop), so the list holds
 * the TAP interface's address when it is up, nothing when it is down. No
 * netdev (no network namespace for the wrapper): the firmware's address.
 * @return true if a MAC is registered (*mac).
 */
static bool
kf_vf_mac(uint8_t port, uint8_t mac[6])
{
	const char *ifname = kf_conf.ifname[port - 1];
	struct ifreq ifr;
	bool up = false;
	int s;

	if (ifname[0] == '\0') {
		memcpy(mac, kf_conf.mac[port - 1].addr_bytes, 6);
		return true;
	}
	s = kf_real.socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return false;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (kf_real.ioctl(s, SIOCGIFFLAGS, &ifr) == 0 &&
	    (ifr.ifr_flags & IFF_UP)) {
		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
		if (kf_real.ioctl(s, SIOCGIFHWADDR, &ifr) == 0) {
			memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
			up = true;
		}
	}
	kf_real.close(s);
	return up;
}

int
kf_vf_flow_check(struct ibv_flow_attr *attr, size_t cap)
{
	struct ibv_flow_spec_eth eth;
	uint8_t *specs = (uint8_t *)(attr + 1);
	const struct ibv_flow_spec *first = (const void *)specs;
	uint8_t mac[6];

	if (attr->port < 1 || attr->port > kf_conf.nb_ports)
		return -EINVAL; /* mlx4_slave_convert_port() */
	/*
	 * The first rule header of the mailbox decides: a rule with no spec
	 * (mlx4_ib puts only the control part in the mailbox: IBV_FLOW_ATTR_
	 * MC_DEFAULT as upstream net_mlx4 makes it for all-multicast,
	 * mlx4_flow.c mlx4_flow_merge_eth) starts with a zeroed header whose
	 * id is no rule's (map_hw_to_sw_id: -EINVAL): "Corrupted mailbox".
	 */
	if (attr->num_of_specs == 0)
		return -EINVAL;
	switch (first->hdr.type) {
	case IBV_FLOW_SPEC_ETH:
		/*
		 * validate_eth_header_mac(): a unicast destination (the
		 * value, whatever its mask) must be one of the VF's MACs;
		 * multicast and broadcast pass. The all-zero mask of
		 * upstream's promiscuous rule comes with ff:00:00:00:00:00
		 * as its value (mlx4_flow_merge_eth), which passes.
		 */
		if (first->eth.val.dst_mac[0] & 1)
			return 0;
		if (!kf_vf_mac(attr->port, mac) ||
		    memcmp(mac, first->eth.val.dst_mac, 6) != 0)
			return -EINVAL;
		return 0;
	case IBV_FLOW_SPEC_IPV4:
	case IBV_FLOW_SPEC_TCP:
	case IBV_FLOW_SPEC_UDP:
		/*
		 * add_eth_header(): the PF puts an Ethernet header in front,
		 * the VF's MAC on the port under a full mask, and -EINVAL if
		 * the VF has none there.
		 */
		if (!kf_vf_mac(attr->port, mac))
			return -EINVAL;
		if (attr->size + sizeof(eth) > cap)
			return -EINVAL;
		memset(&eth, 0, sizeof(eth));
		eth.type = IBV_FLOW_SPEC_ETH;
		eth.size = sizeof(eth);
		memcpy(eth.val.dst_mac, mac, 6);
		memset(eth.mask.dst_mac, 0xff, 6);
		memmove(specs + sizeof(eth), specs,
			attr->size - sizeof(*attr));
		memcpy(specs, &eth, sizeof(eth));
		attr->size = (uint16_t)(attr->size + sizeof(eth));
		attr->num_of_specs++;
		return 0;
	default:
		return -EINVAL; /* "Corrupted mailbox" */
	}
}
