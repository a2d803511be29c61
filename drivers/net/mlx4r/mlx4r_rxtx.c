/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * Fast path. Until the emulated device is in place, a port's wire is a
 * ring: a Tx queue puts frames on the wire of its destination port (itself
 * in loopback mode, the other port of the HCA otherwise) and Rx queues take
 * them off their own port's wire. A one-port HCA without loopback has
 * nothing on the other end of its cable: frames leave and are freed.
 */

#include <rte_common.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "mlx4r.h"

struct rte_ring *
mlx4r_tx_destination(struct mlx4r_port *port)
{
	const struct mlx4r_dev *dev = port->dev;
	const struct rte_eth_conf *conf = &port->eth_dev->data->dev_conf;

	if (conf->lpbk_mode != 0)
		return port->wire;
	if (dev->args.nb_ports == 2)
		return dev->wire[port->port_num == 1 ? 1 : 0];
	return NULL;
}

uint16_t
mlx4r_rx_burst(void *q, struct rte_mbuf **pkts, uint16_t n)
{
	struct mlx4r_rxq *rxq = q;
	uint64_t bytes = 0;
	unsigned int i, got;

	got = rte_ring_mc_dequeue_burst(rxq->wire, (void **)pkts, n, NULL);
	for (i = 0; i < got; i++) {
		pkts[i]->port = rxq->port->eth_dev->data->port_id;
		bytes += rte_pktmbuf_pkt_len(pkts[i]);
	}
	rxq->ipackets += got;
	rxq->ibytes += bytes;
	return got;
}

uint16_t
mlx4r_tx_burst(void *q, struct rte_mbuf **pkts, uint16_t n)
{
	struct mlx4r_txq *txq = q;
	uint64_t bytes = 0;
	unsigned int i, sent;

	for (i = 0; i < n; i++)
		bytes += rte_pktmbuf_pkt_len(pkts[i]);
	if (txq->wire == NULL) {
		/* no peer: the frames leave the port and are gone */
		rte_pktmbuf_free_bulk(pkts, n);
		sent = n;
	} else {
		sent = rte_ring_mp_enqueue_burst(txq->wire, (void **)pkts, n,
						 NULL);
		/* a full wire is back-pressure: the caller keeps the rest */
		for (i = sent; i < n; i++)
			bytes -= rte_pktmbuf_pkt_len(pkts[i]);
	}
	txq->opackets += sent;
	txq->obytes += bytes;
	return sent;
}
