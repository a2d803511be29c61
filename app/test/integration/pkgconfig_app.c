/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * An application as a user writes it against an installed mlx4r: built
 * with nothing but
 *   cc -DALLOW_EXPERIMENTAL_API pkgconfig_app.c \
 *       $(pkg-config --cflags --libs librte_net_mlx4r libresetcoord)
 * (install.py builds it from a DESTDIR install and from the packages). It
 * calls the driver's API and the library on the port of the first --vdev
 * and prints what they answered, one "key=value" per line, for the test
 * to check.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include <rte_pmd_mlx4r.h>
#include <resetcoord.h>

int
main(int argc, char **argv)
{
	struct rte_pmd_mlx4r_reset_state st;
	struct rte_pmd_mlx4r_port_info info;
	struct resetcoord_port_conf pconf;
	struct resetcoord_port_stats rs;
	struct resetcoord_conf rconf;
	struct rte_mempool *mp;
	struct resetcoord *r;
	uint16_t port;
	int ret;

	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		fprintf(stderr, "rte_eal_init: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	if (rte_eth_dev_get_port_by_name("net_mlx4r0", &port) != 0) {
		fprintf(stderr, "no port net_mlx4r0 (is the driver loaded?)\n");
		return 1;
	}
	printf("port=%u\n", port);

	ret = rte_pmd_mlx4r_port_info_get(port, &info);
	printf("port_info_get=%d hca=%s port_num=%u nb_ports=%u backend=%s\n",
	       ret, info.hca_name, info.port_num, info.nb_ports, info.backend);
	ret = rte_pmd_mlx4r_reset_state_get(port, &st);
	printf("reset_state_get=%d phase=%d generation=%u started=%lu\n",
	       ret, (int)st.phase, st.generation, (unsigned long)st.started);

	mp = rte_pktmbuf_pool_create("pkgapp", 1024, 0, 0,
				     RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
	if (mp == NULL) {
		fprintf(stderr, "mempool: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	memset(&rconf, 0, sizeof(rconf));
	rconf.name = "pkgapp";
	r = resetcoord_create(&rconf);
	printf("resetcoord_create=%s\n", r != NULL ? "ok" : rte_strerror(rte_errno));
	if (r == NULL)
		return 1;
	memset(&pconf, 0, sizeof(pconf));
	pconf.nb_rxq = 1;
	pconf.nb_txq = 1;
	pconf.nb_rxd = 512;
	pconf.nb_txd = 512;
	pconf.mp = mp;
	ret = resetcoord_port_add(r, port, &pconf);
	printf("resetcoord_port_add=%d\n", ret);
	memset(&rs, 0, sizeof(rs));
	ret = resetcoord_port_stats_get(r, port, &rs);
	printf("resetcoord_port_stats_get=%d state=%d resets=%lu\n", ret,
	       (int)rs.state, (unsigned long)rs.resets);
	printf("resetcoord_free=%d\n", resetcoord_free(r));

	rte_eth_dev_close(port);
	rte_mempool_free(mp);
	rte_eal_cleanup();
	return 0;
}
