/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * The forwarding lcore: io forwarding of its streams, one resetcoord client.
 *
 * Each loop iteration starts with resetcoord_client_pending() (one acquire
 * load). When a reset is pending, resetcoord_client_sync() calls fwd_drain() on
 * this lcore -- it flushes every Tx buffer; what the barred port does not
 * take is freed and counted as refused -- acknowledges, and returns
 * -EAGAIN until the library publishes fresh ops: meanwhile the lcore does
 * not touch any port of the reset, nor any other port (a lcore's streams
 * all cross the HCA being reset, so there is nothing else to do).
 */

#include <stdint.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "fwd.h"

/* Flush Tx buffers at least this often (us). */
#define FWD_FLUSH_US 100

/* Tx buffer error callback: frames tx_burst did not take. */
void
fwd_tx_unsent_cb(struct rte_mbuf **pkts, uint16_t unsent, void *arg)
{
	struct fwd_stream *s = arg;

	rte_pktmbuf_free_bulk(pkts, unsent);
	s->refused += unsent;
}

static inline void
fwd_stream_flush(struct fwd_stream *s)
{
	uint16_t port_id = fwd.ports[s->tx_port].port_id;

	s->tx += rte_eth_tx_buffer_flush(port_id, s->queue, s->txb);
}

/*
 * resetcoord drain callback, on this lcore: hand over or drop what we hold. The
 * port is barred (proactive) or about to be reset (passive): a flush may
 * still go through, else the error callback frees and counts.
 */
void
fwd_drain(void *arg)
{
	struct fwd_lcore *lc = arg;
	unsigned int i;

	for (i = 0; i < lc->nb_streams; i++) {
		struct fwd_stream *s = lc->streams[i];

		fwd_stream_flush(s);
		s->drain_rx_tsc = s->last_rx_tsc;
		/* the gap of this reset begins at this frame */
		s->resumed = false;
	}
	lc->syncs++;
}

static inline void
fwd_stream_poll(struct fwd_lcore *lc, struct fwd_stream *s)
{
	const struct resetcoord_ops *ro = resetcoord_client_ops(lc->client, s->rx_use);
	const struct resetcoord_ops *to = resetcoord_client_ops(lc->client, s->tx_use);
	struct rte_mbuf *pkts[FWD_BURST];
	uint16_t n, i;

	if (ro->state != RESETCOORD_PORT_LIVE)
		return;
	n = rte_eth_rx_burst(ro->port_id, ro->rx_queue, pkts, FWD_BURST);
	if (n == 0)
		return;
	s->rx += n;
	s->last_rx_tsc = rte_rdtsc();
	if (unlikely(s->resumed)) {
		s->first_rx_tsc = s->last_rx_tsc;
		s->resumed = false;
	}
	if (unlikely(to->state != RESETCOORD_PORT_LIVE)) {
		/* the peer failed for good: nowhere to send them */
		rte_pktmbuf_free_bulk(pkts, n);
		s->refused += n;
		return;
	}
	for (i = 0; i < n; i++)
		s->tx += rte_eth_tx_buffer(to->port_id, to->tx_queue, s->txb,
					   pkts[i]);
}

int
fwd_lcore_main(void *arg)
{
	struct fwd_lcore *lc = arg;
	uint64_t flush_tsc = rte_get_tsc_hz() / 1000000 * FWD_FLUSH_US;
	uint64_t last_flush = rte_rdtsc();
	bool in_reset = false;
	unsigned int i;

	/* Pairs with the main lcore's store before rte_eal_remote_launch. */
	while (!__atomic_load_n(&fwd.stop, __ATOMIC_RELAXED)) {
		uint64_t now;

		if (unlikely(resetcoord_client_pending(lc->client))) {
			uint64_t t0 = rte_rdtsc();

			in_reset = true;
			if (resetcoord_client_sync(lc->client) != 0) {
				rte_pause();
				lc->paused_tsc += rte_rdtsc() - t0;
				continue;
			}
		}
		/*
		 * Fresh ops are in place: when the library clears pending, a
		 * lcore that was told -EAGAIN just sees pending == 0 here.
		 */
		if (unlikely(in_reset)) {
			in_reset = false;
			for (i = 0; i < lc->nb_streams; i++) {
				lc->streams[i]->resumed = true;
				lc->streams[i]->first_rx_tsc = 0;
			}
		}
		for (i = 0; i < lc->nb_streams; i++)
			fwd_stream_poll(lc, lc->streams[i]);
		now = rte_rdtsc();
		if (now - last_flush >= flush_tsc) {
			for (i = 0; i < lc->nb_streams; i++) {
				struct fwd_stream *s = lc->streams[i];
				const struct resetcoord_ops *to =
					resetcoord_client_ops(lc->client, s->tx_use);

				if (s->txb->length != 0 &&
				    to->state == RESETCOORD_PORT_LIVE)
					fwd_stream_flush(s);
			}
			last_flush = now;
		}
	}
	/*
	 * Leaving: a reset may still wait for us. Drain (counted) and
	 * acknowledge if so, then flush what is left.
	 */
	if (resetcoord_client_pending(lc->client))
		(void)resetcoord_client_sync(lc->client);
	for (i = 0; i < lc->nb_streams; i++) {
		struct fwd_stream *s = lc->streams[i];

		if (s->txb->length == 0)
			continue;
		if (!resetcoord_client_pending(lc->client) &&
		    resetcoord_client_ops(lc->client, s->tx_use)->state ==
		    RESETCOORD_PORT_LIVE) {
			fwd_stream_flush(s);
		} else {
			rte_pktmbuf_free_bulk(s->txb->pkts, s->txb->length);
			s->refused += s->txb->length;
			s->txb->length = 0;
		}
	}
	return 0;
}

uint64_t
fwd_port_rx(const struct fwd_app *a, uint16_t p)
{
	uint64_t n = 0;
	unsigned int i;

	for (i = 0; i < a->nb_streams; i++)
		if (a->streams[i].rx_port == p)
			n += __atomic_load_n(&a->streams[i].rx,
					     __ATOMIC_RELAXED);
	return n;
}

uint64_t
fwd_port_tx(const struct fwd_app *a, uint16_t p)
{
	uint64_t n = 0;
	unsigned int i;

	for (i = 0; i < a->nb_streams; i++)
		if (a->streams[i].tx_port == p)
			n += __atomic_load_n(&a->streams[i].tx,
					     __ATOMIC_RELAXED);
	return n;
}

uint64_t
fwd_port_refused(const struct fwd_app *a, uint16_t p)
{
	uint64_t n = 0;
	unsigned int i;

	for (i = 0; i < a->nb_streams; i++)
		if (a->streams[i].rx_port == p)
			n += __atomic_load_n(&a->streams[i].refused,
					     __ATOMIC_RELAXED);
	return n;
}
